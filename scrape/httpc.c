/*
 * httpc.c - a prometheus.yml HTTP client block applied to a libcurl easy
 * handle (see httpc.h; Prometheus common/config.HTTPClientConfig).
 *
 *   basic_auth          CURLOPT_USERNAME/PASSWORD (password_file read now)
 *   authorization       "Authorization: <type> <credentials>" (credentials_file
 *                       read at each use, trailing whitespace trimmed as
 *                       Prometheus's strings.TrimSpace)
 *   tls_config          CA, client cert/key, insecure_skip_verify, min_version
 *   proxy_url           CURLOPT_PROXY
 *   http_headers        extra request headers
 *
 * Files are re-read at every use, so a rotated token takes effect at the
 * next scrape without a reload, as in Prometheus.
 */
#include "scrape/httpc.h"

#include <ctype.h>
#include <stdio.h>

/* The trimmed contents of path (fl_malloc'd) or NULL with e. */
static char *read_secret(const char *path, const char *what, err *e)
{
	buf b;
	buf_init(&b);
	if (buf_read_file(&b, path, e)) {
		err_wrap(e, "unable to read %s", what);
		buf_reset(&b);
		return NULL;
	}
	size_t s = 0, n = b.len;
	while (s < n && isspace(b.p[s]))
		s++;
	while (n > s && isspace(b.p[n - 1]))
		n--;
	char *r = fl_strndup((const char *)b.p + s, n - s);
	buf_reset(&b);
	if (!r)
		err_set(e, FL_ENOMEM, "out of memory");
	return r;
}

static int add_header(struct curl_slist **hdrs, const char *name, const char *value, err *e)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = fl_malloc(n);
	if (!h)
		return err_set(e, FL_ENOMEM, "out of memory");
	snprintf(h, n, "%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(*hdrs, h);
	fl_free(h);
	if (!l)
		return err_set(e, FL_ENOMEM, "out of memory");
	*hdrs = l;
	return 0;
}

static int tls_version(const char *v)
{
	if (!v)
		return CURL_SSLVERSION_DEFAULT;
	if (!strcmp(v, "TLS10"))
		return CURL_SSLVERSION_TLSv1_0;
	if (!strcmp(v, "TLS11"))
		return CURL_SSLVERSION_TLSv1_1;
	if (!strcmp(v, "TLS13"))
		return CURL_SSLVERSION_TLSv1_3;
	return CURL_SSLVERSION_TLSv1_2;
}

static long tls_max_version(const char *v)
{
	if (!v)
		return CURL_SSLVERSION_MAX_DEFAULT;
	if (!strcmp(v, "TLS10"))
		return CURL_SSLVERSION_MAX_TLSv1_0;
	if (!strcmp(v, "TLS11"))
		return CURL_SSLVERSION_MAX_TLSv1_1;
	if (!strcmp(v, "TLS12"))
		return CURL_SSLVERSION_MAX_TLSv1_2;
	return CURL_SSLVERSION_MAX_TLSv1_3;
}

int httpc_setup(CURL *h, const scrape_http_client *c, struct curl_slist **hdrs, err *e)
{
	*hdrs = NULL;
	if (c->basic_auth_user || c->basic_auth_pass || c->basic_auth_pass_file) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->basic_auth_user ? c->basic_auth_user : "");
		if (c->basic_auth_pass_file) {
			char *p = read_secret(c->basic_auth_pass_file, "basic auth password file", e);
			if (!p)
				return e->code;
			curl_easy_setopt(h, CURLOPT_PASSWORD, p);
			fl_free(p);
		} else {
			curl_easy_setopt(h, CURLOPT_PASSWORD, c->basic_auth_pass ? c->basic_auth_pass : "");
		}
	}
	if (c->auth_credentials || c->auth_credentials_file) {
		char *cred = c->auth_credentials_file ? read_secret(c->auth_credentials_file, "authorization credentials file", e)
						      : fl_strdup(c->auth_credentials);
		if (!cred)
			return e && e->code ? e->code : err_set(e, FL_ENOMEM, "out of memory");
		size_t n = strlen(cred) + 64;
		char *v = fl_malloc(n);
		if (v)
			snprintf(v, n, "%s %s", c->auth_type ? c->auth_type : "Bearer", cred);
		fl_free(cred);
		int rc = v ? add_header(hdrs, "Authorization", v, e) : err_set(e, FL_ENOMEM, "out of memory");
		fl_free(v);
		if (rc)
			goto fail;
	}
	for (size_t i = 0; i < c->n_headers; i++)
		if (add_header(hdrs, c->headers[i].key, c->headers[i].value, e))
			goto fail;
	if (c->tls_ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->tls_ca_file);
	if (c->tls_cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->tls_cert_file);
	if (c->tls_key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->tls_key_file);
	if (c->tls_insecure_skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)tls_version(c->tls_min_version) | tls_max_version(c->tls_max_version));
	/* Go's transport ignores HTTP(S)_PROXY unless proxy_from_environment;
	 * libcurl reads them by default, so an empty proxy turns that off */
	if (c->proxy_url)
		curl_easy_setopt(h, CURLOPT_PROXY, c->proxy_url);
	else if (!c->proxy_from_environment)
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (c->no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, c->no_proxy);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, c->follow_redirects ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
			 (long)(c->enable_http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
	return 0;
fail:
	curl_slist_free_all(*hdrs);
	*hdrs = NULL;
	return e->code;
}

typedef struct get_ctx {
	buf *out;      /* body */
	size_t limit;  /* cap */
	bool over;     /* cap reached */
} get_ctx;

static size_t get_write(char *p, size_t sz, size_t nm, void *ud)
{
	get_ctx *g = ud;
	size_t n = sz * nm;
	if (g->out->len + n > g->limit) {
		g->over = true;
		return 0;
	}
	buf_put(g->out, p, n);
	return g->out->oom ? 0 : n;
}

int httpc_get(const char *url, const scrape_http_client *c, int64_t timeout_ms, size_t limit, buf *out,
	      long *status, err *e)
{
	CURL *h = curl_easy_init();
	if (!h)
		return err_set(e, FL_ENOMEM, "curl_easy_init failed");
	struct curl_slist *hdrs = NULL;
	int rc = httpc_setup(h, c, &hdrs, e);
	if (rc) {
		curl_easy_cleanup(h);
		return rc;
	}
	get_ctx g = {out, limit, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, get_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(h);
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (g.over)
		rc = err_set(e, FL_ELIMIT, "%s: response body larger than %zu bytes", url, limit);
	else if (cc != CURLE_OK)
		rc = err_set(e, cc == CURLE_OPERATION_TIMEDOUT ? FL_ETIMEOUT : FL_EIO, "Get \"%s\": %s", url,
			     *errbuf ? errbuf : curl_easy_strerror(cc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}
