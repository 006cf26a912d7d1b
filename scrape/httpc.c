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
 *   oauth2              "Authorization: Bearer <token>", the token fetched
 *                       with the client credentials grant and kept until
 *                       it expires (see the oauth2 section below)
 *
 * Files are re-read at every use, so a rotated token takes effect at the
 * next scrape without a reload, as in Prometheus.
 */
#include "scrape/httpc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <yaml.h>

#include "lib/sha256.h"

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
	if (c->oauth2) {
		buf v;
		buf_init(&v);
		int rc = httpc_oauth2_authorization(c->oauth2, &v, e);
		if (!rc)
			rc = add_header(hdrs, "Authorization", buf_cstr(&v), e);
		buf_reset(&v);
		if (rc)
			goto fail;
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

typedef struct req_ctx {
	httpc_resp *r;  /* filled */
	size_t limit;   /* body cap */
	bool over;      /* cap reached */
} req_ctx;

static size_t req_write(char *p, size_t sz, size_t nm, void *ud)
{
	req_ctx *g = ud;
	size_t n = sz * nm;
	if (g->r->body.len + n > g->limit) {
		g->over = true;
		return 0;
	}
	buf_put(&g->r->body, p, n);
	return g->r->body.oom ? 0 : n;
}

/* The status line's text and the Content-Type of the last response. */
static size_t req_header(char *p, size_t sz, size_t nm, void *ud)
{
	httpc_resp *r = ((req_ctx *)ud)->r;
	size_t n = sz * nm, l = n;
	while (l && (p[l - 1] == '\r' || p[l - 1] == '\n'))
		l--;
	if (l > 5 && !strncmp(p, "HTTP/", 5)) {
		const char *sp = memchr(p, ' ', l);
		if (sp)
			snprintf(r->status_text, sizeof r->status_text, "%.*s", (int)(l - (size_t)(sp + 1 - p)), sp + 1);
		r->content_type[0] = 0;
	} else if (l > 13 && !strncasecmp(p, "content-type:", 13)) {
		const char *v = p + 13;
		while (v < p + l && (*v == ' ' || *v == '\t'))
			v++;
		snprintf(r->content_type, sizeof r->content_type, "%.*s", (int)(p + l - v), v);
	}
	return n;
}

/* One blocking request: GET when body is NULL, else POST. */
static int request(const char *method, const char *url, const scrape_http_client *c, const char *const *headers,
		   size_t n_headers, const void *body, size_t body_len, int64_t timeout_ms, size_t limit,
		   httpc_resp *r, err *e)
{
	CURL *h = curl_easy_init();
	if (!h)
		return err_set(e, FL_ENOMEM, "curl_easy_init failed");
	struct curl_slist *hdrs = NULL;
	int rc = c ? httpc_setup(h, c, &hdrs, e) : 0;
	for (size_t i = 0; i < n_headers && !rc; i++) {
		struct curl_slist *l = curl_slist_append(hdrs, headers[i]);
		if (!l)
			rc = err_set(e, FL_ENOMEM, "out of memory");
		else
			hdrs = l;
	}
	if (rc) {
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(h);
		return rc;
	}
	req_ctx g = {r, limit, false};
	r->status = 0;
	r->status_text[0] = r->content_type[0] = 0;
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, req_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, req_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &g);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	} else
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (g.over)
		rc = err_set(e, FL_ELIMIT, "%s: response body larger than %zu bytes", url, limit);
	else if (cc != CURLE_OK)
		rc = err_set(e, cc == CURLE_OPERATION_TIMEDOUT ? FL_ETIMEOUT : FL_EIO, "%s \"%s\": %s", method, url,
			     *errbuf ? errbuf : curl_easy_strerror(cc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

int httpc_get(const char *url, const scrape_http_client *c, int64_t timeout_ms, size_t limit, buf *out,
	      long *status, err *e)
{
	httpc_resp r = {.body = *out};
	int rc = request("Get", url, c, NULL, 0, NULL, 0, timeout_ms, limit, &r, e);
	*out = r.body;
	*status = r.status;
	return rc;
}

int httpc_post(const char *url, const scrape_http_client *c, const char *const *headers, size_t n_headers,
	       const void *body, size_t body_len, int64_t timeout_ms, size_t limit, httpc_resp *r, err *e)
{
	return request("Post", url, c, headers, n_headers, body ? body : "", body_len, timeout_ms, limit, r, e);
}

/* ---- oauth2: the client credentials grant (golang.org/x/oauth2/clientcredentials) ----
 *
 *   POST token_url   Content-Type: application/x-www-form-urlencoded
 *   grant_type=client_credentials&scope=a+b&<endpoint_params>
 *
 * Client authentication as x/oauth2's AuthStyleAutoDetect: first HTTP
 * basic auth (id and secret each QueryEscape'd), and when that request
 * fails, client_id and client_secret in the form; the style that worked is
 * kept for the block. The answer is JSON, or a form when its Content-Type
 * says application/x-www-form-urlencoded or text/plain: access_token,
 * token_type, expires_in. A client_secret_file is re-read at each request
 * and a changed secret drops the token, as Prometheus's round tripper does.
 */
#define OAUTH2_EXPIRY_DELTA_MS 10000 /* x/oauth2's expiryDelta */
#define OAUTH2_BODY_LIMIT (1u << 20) /* x/oauth2 reads at most 1 MB */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Go's url.QueryEscape. */
static void query_escape(buf *b, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (isalnum(*c) || strchr("-_.~", *c))
			buf_put_byte(b, *c);
		else if (*c == ' ')
			buf_put_byte(b, '+');
		else
			buf_printf(b, "%%%02X", *c);
}

typedef struct form_kv {
	const char *k, *v; /* borrowed */
} form_kv;

static int form_cmp(const void *a, const void *b)
{
	return strcmp(((const form_kv *)a)->k, ((const form_kv *)b)->k);
}

/* Set k=v in the form (a key appears once, as url.Values.Set). */
static void form_set(form_kv *f, size_t *n, const char *k, const char *v)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(f[i].k, k)) {
			f[i].v = v;
			return;
		}
	f[(*n)++] = (form_kv){k, v};
}

/* url.Values.Encode: sorted by key. */
static void form_encode(form_kv *f, size_t n, buf *b)
{
	qsort(f, n, sizeof *f, form_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put_byte(b, '&');
		query_escape(b, f[i].k);
		buf_put_byte(b, '=');
		query_escape(b, f[i].v);
	}
}

/* One token request with the given client authentication style. */
static int token_post(const scrape_oauth2 *o, const char *secret, int style, httpc_resp *r, err *e)
{
	form_kv f[64];
	size_t n = 0;
	buf scope, form, id, pw;
	buf_init(&scope), buf_init(&form), buf_init(&id), buf_init(&pw);
	form_set(f, &n, "grant_type", "client_credentials");
	for (size_t i = 0; i < o->n_scopes; i++)
		buf_printf(&scope, "%s%s", i ? " " : "", o->scopes[i]);
	if (o->n_scopes)
		form_set(f, &n, "scope", buf_cstr(&scope));
	int rc = 0;
	for (size_t i = 0; i < o->n_endpoint_params && !rc; i++) {
		const scrape_kv *p = &o->endpoint_params[i];
		bool taken = false;
		for (size_t j = 0; j < n; j++)
			taken |= !strcmp(f[j].k, p->key);
		if (taken && strcmp(p->key, "grant_type"))
			rc = err_set(e, FL_EINVAL, "oauth2: cannot overwrite parameter \"%s\"", p->key);
		else if (n < FL_ARRAY_LEN(f) - 2)
			form_set(f, &n, p->key, p->value);
	}
	scrape_http_client hc = *o->http;
	if (style == 2) {
		if (*o->client_id)
			form_set(f, &n, "client_id", o->client_id);
		if (*secret)
			form_set(f, &n, "client_secret", secret);
	} else { /* SetBasicAuth(QueryEscape(id), QueryEscape(secret)) */
		query_escape(&id, o->client_id);
		query_escape(&pw, secret);
		hc.basic_auth_user = buf_cstr(&id);
		hc.basic_auth_pass = buf_cstr(&pw);
	}
	form_encode(f, n, &form);
	const char *ct = "Content-Type: application/x-www-form-urlencoded";
	if (!rc)
		rc = httpc_post(o->token_url, &hc, &ct, 1, buf_cstr(&form), form.len, HTTPC_OAUTH2_TIMEOUT_MS,
				OAUTH2_BODY_LIMIT, r, e);
	buf_reset(&scope), buf_reset(&form), buf_reset(&id), buf_reset(&pw);
	return rc;
}

typedef struct token_fields {
	char access_token[8192], token_type[32], expires_in[32]; /* "" when absent */
	char error[256], error_description[512], error_uri[256];
} token_fields;

static void field_set(token_fields *t, const char *k, size_t kl, const char *v, size_t vl)
{
	struct {
		const char *name;
		char *dst;
		size_t cap;
	} fs[] = {{"access_token", t->access_token, sizeof t->access_token},
		  {"token_type", t->token_type, sizeof t->token_type},
		  {"expires_in", t->expires_in, sizeof t->expires_in},
		  {"error", t->error, sizeof t->error},
		  {"error_description", t->error_description, sizeof t->error_description},
		  {"error_uri", t->error_uri, sizeof t->error_uri}};
	for (size_t i = 0; i < FL_ARRAY_LEN(fs); i++)
		if (kl == strlen(fs[i].name) && !memcmp(k, fs[i].name, kl))
			snprintf(fs[i].dst, fs[i].cap, "%.*s", (int)vl, v);
}

/* application/x-www-form-urlencoded (url.ParseQuery: a bad escape drops the pair). */
static void parse_form(const char *s, size_t n, token_fields *t)
{
	while (n) {
		size_t l = 0;
		while (l < n && s[l] != '&')
			l++;
		char dec[2][8192];
		size_t dl[2] = {0, 0};
		int part = 0;
		bool bad = false;
		for (size_t i = 0; i < l && !bad; i++) {
			char c = s[i];
			if (c == '=' && !part) {
				part = 1;
				continue;
			}
			if (c == '+')
				c = ' ';
			else if (c == '%') {
				char hx[3] = {i + 1 < l ? s[i + 1] : 0, i + 2 < l ? s[i + 2] : 0, 0};
				char *end;
				long x = strtol(hx, &end, 16);
				bad = end != hx + 2 || !isxdigit((unsigned char)hx[0]);
				c = (char)x, i += 2;
			}
			if (dl[part] + 1 < sizeof dec[part])
				dec[part][dl[part]++] = c;
		}
		if (!bad)
			field_set(t, dec[0], dl[0], dec[1], dl[1]);
		s += l, n -= l;
		if (n)
			s++, n--;
	}
}

/* JSON through libyaml (a JSON object is a YAML flow mapping), as
 * scrape/sd_groups.c reads http_sd answers. -1 when not an object. */
static int parse_json(const char *s, size_t n, token_fields *t)
{
	yaml_parser_t yp;
	yaml_document_t doc;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)s, n);
	if (!yaml_parser_load(&yp, &doc)) {
		yaml_parser_delete(&yp);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = root && root->type == YAML_MAPPING_NODE ? 0 : -1;
	for (yaml_node_pair_t *pr = rc ? NULL : root->data.mapping.pairs.start; pr && pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pr->key), *v = yaml_document_get_node(&doc, pr->value);
		if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE)
			field_set(t, (const char *)k->data.scalar.value, k->data.scalar.length,
				  (const char *)v->data.scalar.value, v->data.scalar.length);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	return rc;
}

/* x/oauth2's RetrieveError text. */
static int token_error(const httpc_resp *r, const token_fields *t, err *e)
{
	if (t->error[0]) {
		char m[1024];
		int l = snprintf(m, sizeof m, "oauth2: \"%s\"", t->error);
		if (t->error_description[0] && l < (int)sizeof m)
			l += snprintf(m + l, sizeof m - (size_t)l, " \"%s\"", t->error_description);
		if (t->error_uri[0] && l < (int)sizeof m)
			snprintf(m + l, sizeof m - (size_t)l, " \"%s\"", t->error_uri);
		return err_set(e, FL_EIO, "%s", m);
	}
	return err_set(e, FL_EIO, "oauth2: cannot fetch token: %s\nResponse: %.*s", r->status_text,
		       (int)(r->body.len > 256 ? 256 : r->body.len), r->body.len ? (const char *)r->body.p : "");
}

int httpc_oauth2_parse(const httpc_resp *r, int64_t now, scrape_oauth2_token *tok, err *e)
{
	token_fields *t = fl_calloc(1, sizeof *t);
	if (!t)
		return err_set(e, FL_ENOMEM, "out of memory");
	const char *s = r->body.len ? (const char *)r->body.p : "";
	bool form = !strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33) ||
		    !strncasecmp(r->content_type, "text/plain", 10);
	int prc = 0, rc = 0;
	if (form)
		parse_form(s, r->body.len, t);
	else
		prc = parse_json(s, r->body.len, t);
	if (r->status < 200 || r->status > 299)
		rc = token_error(r, t, e);
	else if (prc)
		rc = err_set(e, FL_EIO, "oauth2: cannot parse json: %.*s", (int)(r->body.len > 128 ? 128 : r->body.len), s);
	else if (!t->access_token[0])
		rc = err_set(e, FL_EIO, "oauth2: server response missing access_token");
	else {
		memcpy(tok->access_token, t->access_token, sizeof tok->access_token);
		snprintf(tok->token_type, sizeof tok->token_type, "%s", t->token_type);
		long long secs = strtoll(t->expires_in, NULL, 10);
		if (secs > 2147483647LL) /* x/oauth2 caps at MaxInt32 */
			secs = 2147483647LL;
		if (secs < -2147483647LL)
			secs = -2147483647LL;
		tok->expiry_ms = secs ? now + secs * 1000 : 0;
	}
	fl_free(t);
	return rc;
}

/* One attempt: post, then read the answer into tok. */
static int token_try(const scrape_oauth2 *o, const char *secret, int style, scrape_oauth2_token *tok, err *e)
{
	httpc_resp r = {.status = 0};
	buf_init(&r.body);
	int rc = token_post(o, secret, style, &r, e);
	if (!rc)
		rc = httpc_oauth2_parse(&r, now_ms(), tok, e);
	buf_reset(&r.body);
	return rc;
}

static bool token_valid(const scrape_oauth2_token *t)
{
	return t->access_token[0] && (!t->expiry_ms || now_ms() < t->expiry_ms - OAUTH2_EXPIRY_DELTA_MS);
}

/* token.Type(): bearer, mac and basic canonically spelled, "" is Bearer. */
static const char *token_type(const char *t)
{
	if (!*t || !strcasecmp(t, "bearer"))
		return "Bearer";
	if (!strcasecmp(t, "mac"))
		return "MAC";
	if (!strcasecmp(t, "basic"))
		return "Basic";
	return t;
}

int httpc_oauth2_authorization(const scrape_oauth2 *o, buf *out, err *e)
{
	scrape_oauth2_token *t = o->token;
	char *secret = o->client_secret_file ? read_secret(o->client_secret_file, "oauth2 client secret", e)
					     : fl_strdup(o->client_secret ? o->client_secret : "");
	if (!secret)
		return e && e->code ? e->code : err_set(e, FL_ENOMEM, "out of memory");
	uint8_t h[SHA256_LEN];
	sha256_sum(secret, strlen(secret), h);
	int rc = 0;
	pthread_mutex_lock(&t->mu);
	if (memcmp(h, t->secret_hash, sizeof h)) { /* a new secret: a new token source */
		memcpy(t->secret_hash, h, sizeof h);
		t->access_token[0] = 0;
		t->auth_style = 0;
	}
	if (!token_valid(t)) {
		t->access_token[0] = 0;
		int style = t->auth_style ? t->auth_style : 1;
		rc = token_try(o, secret, style, t, e);
		if (rc && !t->auth_style) {
			style = 2;
			rc = token_try(o, secret, style, t, e);
		}
		if (!rc)
			t->auth_style = style;
	}
	if (!rc)
		buf_printf(out, "%s %s", token_type(t->token_type), t->access_token);
	pthread_mutex_unlock(&t->mu);
	memset(secret, 0, strlen(secret));
	fl_free(secret);
	return rc ? rc : out->oom ? err_set(e, FL_ENOMEM, "out of memory") : 0;
}
