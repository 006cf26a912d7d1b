/*
 * flinttool_http.c - blocking libcurl exchanges for flinttool (see
 * flinttool_http.h), with Go's net/http error texts: the url.Error form
 * `Op "URL": err`, where err is what Go's dialer says ("dial tcp
 * HOST:PORT: connect: connection refused", "dial tcp: lookup HOST: no such
 * host") or "context deadline exceeded".
 */
#include "cmd/flinttool_http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/version.h"
#include "scrape/httpc.h"

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	buf *b = ud;
	buf_put(b, p, sz * n);
	return b->oom ? 0 : sz * n;
}

/* Keep the last status line's code and reason ("HTTP/1.1 400 Bad Request"). */
static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	ft_http_resp *r = ud;
	size_t len = sz * n;
	buf_put(&r->headers, p, len);
	if (len > 5 && !memcmp(p, "HTTP/", 5)) {
		const char *sp = memchr(p, ' ', len);
		if (sp) {
			size_t k = len - (size_t)(sp + 1 - p);
			while (k && (sp[1 + k - 1] == '\r' || sp[1 + k - 1] == '\n'))
				k--;
			snprintf(r->status, sizeof r->status, "%.*s", (int)k, sp + 1);
		}
	}
	return len;
}

/* host:port as Go's dialer names it (default ports 80/443). */
static void dial_addr(const char *url, char *out, size_t cap)
{
	const char *h = strstr(url, "://");
	bool https = !strncasecmp(url, "https", 5);
	h = h ? h + 3 : url;
	size_t n = strcspn(h, "/?#");
	const char *at = memchr(h, '@', n);
	if (at)
		n -= (size_t)(at + 1 - h), h = at + 1;
	const char *close = h[0] == '[' ? memchr(h, ']', n) : NULL;
	const char *colon = close ? (close + 1 < h + n && close[1] == ':' ? close + 1 : NULL) : memchr(h, ':', n);
	if (colon)
		snprintf(out, cap, "%.*s", (int)n, h);
	else
		snprintf(out, cap, "%.*s:%s", (int)n, h, https ? "443" : "80");
}

static void go_error(const ft_http_req *rq, CURL *c, CURLcode rc, buf *msg)
{
	char op[8];
	snprintf(op, sizeof op, "%c%s", rq->method[0], rq->method + 1);
	for (char *p = op + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	buf_printf(msg, "%s \"%s\": ", op, rq->url);
	char addr[512];
	dial_addr(rq->url, addr, sizeof addr);
	long os_errno = 0;
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED || !os_errno)
			buf_printf(msg, "dial tcp %s: connect: connection refused", addr);
		else
			buf_printf(msg, "dial tcp %s: connect: %s", addr, strerror((int)os_errno));
		return;
	case CURLE_COULDNT_RESOLVE_HOST: {
		char host[512];
		snprintf(host, sizeof host, "%s", addr);
		char *colon = strrchr(host, ':');
		if (colon)
			*colon = 0;
		buf_printf(msg, "dial tcp: lookup %s: no such host", host);
		return;
	}
	case CURLE_OPERATION_TIMEDOUT:
		buf_printf(msg, "context deadline exceeded%s", rq->timeout_suffix ? rq->timeout_suffix : "");
		return;
	case CURLE_UNSUPPORTED_PROTOCOL: {
		const char *s = strstr(rq->url, "://");
		buf_printf(msg, "unsupported protocol scheme \"%.*s\"", s ? (int)(s - rq->url) : 0, rq->url);
		return;
	}
	case CURLE_PEER_FAILED_VERIFICATION:
		buf_put_str(msg, "tls: failed to verify certificate: x509: certificate signed by unknown authority");
		return;
	case CURLE_GOT_NOTHING:
		buf_put_str(msg, "EOF");
		return;
	default:
		buf_put_str(msg, curl_easy_strerror(rc));
	}
}

int ft_http_do(const scrape_http_client *hc, const ft_http_req *rq, ft_http_resp *resp, buf *msg)
{
	memset(resp, 0, sizeof *resp);
	buf_init(&resp->body);
	buf_init(&resp->headers);
	CURL *c = curl_easy_init();
	if (!c) {
		buf_put_str(msg, "out of memory");
		return -1;
	}
	struct curl_slist *hdrs = NULL;
	err e;
	err_clear(&e);
	static const scrape_http_client none = {.follow_redirects = true, .enable_http2 = true};
	if (httpc_setup(c, hc ? hc : &none, &hdrs, &e) < 0) {
		buf_put_str(msg, e.msg);
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(c);
		return -1;
	}
	for (size_t i = 0; i < rq->n_headers; i++)
		hdrs = curl_slist_append(hdrs, rq->headers[i]);
	if (!strcmp(rq->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		hdrs = curl_slist_append(hdrs, "Expect:");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "flinttool/" FLINT_VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_POSTREDIR, 0L);
	if (rq->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc != CURLE_OK) {
		go_error(rq, c, rc, msg);
		ret = -1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->code);
		if (!resp->status[0])
			snprintf(resp->status, sizeof resp->status, "%ld", resp->code);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

void ft_http_resp_free(ft_http_resp *r)
{
	buf_reset(&r->body);
	buf_reset(&r->headers);
}

static void query_escape(buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
			buf_put_byte(b, *p);
		else if (*p == ' ')
			buf_put_byte(b, '+');
		else {
			buf_put_byte(b, '%');
			buf_put_byte(b, (uint8_t)hex[*p >> 4]);
			buf_put_byte(b, (uint8_t)hex[*p & 15]);
		}
	}
}

void ft_query_add(buf *b, const char *key, const char *value)
{
	if (b->len)
		buf_put_byte(b, '&');
	query_escape(b, key);
	buf_put_byte(b, '=');
	query_escape(b, value);
}

int ft_base_url(const char *server, buf *out, buf *msg)
{
	const char *sep = strstr(server, "://");
	size_t scheme_len = sep ? (size_t)(sep - server) : 0;
	for (size_t i = 0; i < scheme_len; i++)
		if (!(isalnum((unsigned char)server[i]) || server[i] == '+' || server[i] == '-' || server[i] == '.') ||
		    (i == 0 && !isalpha((unsigned char)server[i])))
			sep = NULL, scheme_len = 0;
	for (const char *p = server; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			buf_printf(msg, "parse \"%s\": net/url: invalid control character in URL", server);
			return -1;
		}
	if (!sep) {
		const char *colon = strchr(server, ':');
		if (colon && (size_t)(colon - server) < strcspn(server, "/")) {
			buf_printf(msg, "parse \"%s\": first path segment in URL cannot contain colon", server);
			return -1;
		}
		buf_put_str(out, "http://");
		buf_put_str(out, server);
	} else {
		const char *host = sep + 3;
		size_t hl = strcspn(host, "/?#");
		for (size_t i = 0; i < hl; i++)
			if (host[i] == ' ') {
				buf_printf(msg, "parse \"%s\": invalid character \" \" in host name", server);
				return -1;
			}
		buf_put_str(out, server);
	}
	/* drop the query and fragment, then trailing slashes (path.Join) */
	const char *s = buf_cstr(out);
	const char *hs = strstr(s, "://") + 3;
	size_t cut = (size_t)(hs - s) + strcspn(hs, "?#");
	out->len = cut;
	while (out->len > (size_t)(hs - s) && out->p[out->len - 1] == '/')
		out->len--;
	buf_cstr(out);
	return 0;
}

int ft_userinfo_conflict(const char *url, bool http_config_given)
{
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	if (!http_config_given || !memchr(host, '@', strcspn(host, "/?#")))
		return 0;
	fprintf(stderr, "flinttool: error: Cannot set base auth in the server URL and use a http.config.file at "
			"the same time\n");
	return 1;
}
