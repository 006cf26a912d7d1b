/*
 * sigv4.c - AWS Signature Version 4 header signing, as Prometheus's sigv4
 * round tripper (github.com/prometheus/sigv4, formerly common/sigv4) signs
 * through aws-sdk-go-v2's aws/signer/v4 SignHTTP:
 *
 *   canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n sha256hex(body)
 *   string to sign    = AWS4-HMAC-SHA256 \n 20060102T150405Z \n scope \n sha256hex(canonical)
 *   scope             = 20060102/region/service/aws4_request
 *   key               = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
 *   Authorization: AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=a;b, Signature=hex
 *
 * The details that decide whether AMP accepts a request:
 *  1. URI: Prometheus first path.Clean()s the decoded path (keeping a
 *     trailing slash, leaving an empty path alone); Go's EscapedPath() then
 *     keeps the raw spelling when it still decodes to that path, else
 *     re-escapes it; the signer escapes that once more (everything but
 *     A-Za-z0-9-_.~ and '/'), so "%20" is signed as "%2520" (non-S3 rule).
 *  2. QUERY: Go's url.Values: pairs split on '&' (a pair holding ';' or a
 *     bad escape is dropped), decoded, sorted by key then value, each
 *     re-escaped with QueryEscape and "+" written "%20".
 *  3. HEADERS: host (the URL's, without a default port) always; content-
 *     length when the body is not empty; every header the request carries
 *     but Authorization, User-Agent, X-Amzn-Trace-Id, Expect, Connection,
 *     Transfer-Encoding and Prometheus's denylisted uber-trace-id; names
 *     lowercased and sorted, values trimmed with inner runs of spaces
 *     collapsed, repeated names joined with ','. X-Amz-Date (and
 *     X-Amz-Security-Token with a session token) are set first, so signed.
 *  4. No X-Amz-Content-Sha256 header: SignHTTP takes the payload hash as a
 *     parameter and Prometheus adds no such header (botocore's SigV4Auth
 *     neither); the body's hash only enters the canonical request.
 *
 * One difference on purpose: Prometheus signs with the region of the
 * config only (an empty scope region when it came from AWS_REGION or the
 * profile, which AWS refuses); flint signs with the resolved region.
 */
#include "remote/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/sha256.h"
#include "lib/urlenc.h"

typedef struct url_parts {
	const char *scheme, *host, *path, *query; /* into the URL */
	size_t scheme_len, host_len, path_len, query_len;
} url_parts;

static int parse_url(const char *url, url_parts *u, err *e)
{
	memset(u, 0, sizeof *u);
	const char *p = strstr(url, "://");
	if (!p || p == url)
		return err_set(e, FL_EINVAL, "sigv4: %s: not an absolute URL", url);
	u->scheme = url, u->scheme_len = (size_t)(p - url);
	const char *h = p + 3, *end = h + strcspn(h, "/?#");
	const char *at = memchr(h, '@', (size_t)(end - h));
	if (at) /* userinfo is not part of the host */
		h = at + 1;
	u->host = h, u->host_len = (size_t)(end - h);
	if (!u->host_len)
		return err_set(e, FL_EINVAL, "sigv4: %s: no host", url);
	u->path = end, u->path_len = strcspn(end, "?#");
	if (end[u->path_len] == '?') {
		u->query = end + u->path_len + 1;
		u->query_len = strcspn(u->query, "#");
	}
	return 0;
}

/* Percent-decode s[0..n) into out (NUL-terminated); in a query component
 * '+' is a space. -1 on a bad escape (Go's url.unescape refuses it). */
static int unescape(const char *s, size_t n, bool query, buf *out)
{
	if (!buf_reserve(out, n + 1))
		return -1;
	long l = url_unescape(s, n, query, (char *)out->p + out->len, NULL);
	if (l < 0)
		return -1;
	out->len += (size_t)l;
	return 0;
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Go's url.shouldEscape(c, encodePath). */
static bool go_path_escape(unsigned char c)
{
	if (unreserved(c))
		return false;
	return !strchr("$&+,/:;=@", c) || !c;
}

/* Go's url.validEncoded(s, encodePath). */
static bool go_valid_encoded(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("!$&'()*+,;=:@[]%", s[i]) && go_path_escape((unsigned char)s[i]))
			return false;
	return true;
}

static void put_pct(buf *b, unsigned char c)
{
	static const char hx[] = "0123456789ABCDEF";
	buf_put_byte(b, '%');
	buf_put_byte(b, (uint8_t)hx[c >> 4]);
	buf_put_byte(b, (uint8_t)hx[c & 15]);
}

/* Go's path.Clean of a rooted or relative path, lexically. */
static void go_clean(const char *p, size_t n, buf *out)
{
	bool rooted = n && p[0] == '/';
	size_t base = 0;
	if (rooted)
		buf_put_byte(out, '/'), base = 1;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		size_t sl = j - i;
		const char *seg = p + i;
		i = j + 1;
		if (!sl || (sl == 1 && seg[0] == '.'))
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			size_t l = out->len;
			bool dotdot = l >= base + 2 && out->p[l - 1] == '.' && out->p[l - 2] == '.' &&
				      (l == base + 2 || out->p[l - 3] == '/');
			if (l > base && !dotdot) { /* drop the last element */
				while (out->len > base && out->p[out->len - 1] != '/')
					out->len--;
				if (out->len > base)
					out->len--;
				continue;
			}
			if (rooted)
				continue;
		}
		if (out->len > base)
			buf_put_byte(out, '/');
		buf_put(out, seg, sl);
	}
	if (!out->len)
		buf_put_byte(out, '.');
	buf_cstr(out);
}

/* Detail 1: the canonical URI. */
static int canonical_uri(const url_parts *u, buf *out, err *e)
{
	buf dec, cl, esc;
	buf_init(&dec), buf_init(&cl), buf_init(&esc);
	int rc = 0;
	if (unescape(u->path, u->path_len, false, &dec)) {
		rc = err_set(e, FL_EINVAL, "sigv4: invalid URL escape in path \"%.*s\"", (int)u->path_len, u->path);
		goto out;
	}
	const char *path = dec.len ? (const char *)dec.p : "";
	size_t path_len = dec.len;
	if (path_len) {
		go_clean(path, path_len, &cl);
		if (!(cl.len == 1 && cl.p[0] == '.')) {
			if (!(cl.len == 1 && cl.p[0] == '/') && path[path_len - 1] == '/')
				buf_put_byte(&cl, '/');
			path = buf_cstr(&cl), path_len = cl.len;
		}
	}
	/* EscapedPath: the raw spelling when it decodes to the path */
	if (go_valid_encoded(u->path, u->path_len) && dec.len == path_len && (!path_len || !memcmp(dec.p, path, path_len)))
		buf_put(&esc, u->path, u->path_len);
	else
		for (size_t i = 0; i < path_len; i++) {
			unsigned char c = (unsigned char)path[i];
			if (go_path_escape(c) || c == '?')
				put_pct(&esc, c);
			else
				buf_put_byte(&esc, c);
		}
	if (!esc.len)
		buf_put_byte(&esc, '/');
	for (size_t i = 0; i < esc.len; i++) { /* the signer's own escaping */
		unsigned char c = esc.p[i];
		if (unreserved(c) || c == '/')
			buf_put_byte(out, c);
		else
			put_pct(out, c);
	}
out:
	buf_reset(&dec), buf_reset(&cl), buf_reset(&esc);
	return rc;
}

static void query_escape(buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c))
			buf_put_byte(b, c);
		else
			put_pct(b, c); /* a space too: QueryEscape's '+' is then written %20 */
	}
}

typedef struct kv {
	char *k, *v;   /* decoded, fl_malloc'd */
	size_t kl, vl; /* lengths (may hold NULs) */
	size_t order;  /* position in the request (headers keep it per name) */
} kv;

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

static int kv_cmp_query(const void *a, const void *b)
{
	const kv *x = a, *y = b;
	int c = cmp_bytes(x->k, x->kl, y->k, y->kl);
	return c ? c : cmp_bytes(x->v, x->vl, y->v, y->vl);
}

static int kv_cmp_header(const void *a, const void *b)
{
	const kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void kv_free(kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fl_free(v[i].k), fl_free(v[i].v);
	fl_free(v);
}

static char *take(buf *b, size_t *len)
{
	buf_cstr(b);
	*len = b->len;
	char *s = b->oom ? NULL : (char *)b->p;
	if (!s)
		buf_reset(b);
	buf_init(b);
	return s;
}

/* Detail 2: the canonical query string. */
static int canonical_query(const url_parts *u, buf *out, err *e)
{
	size_t n = 0, cap = 1;
	for (size_t i = 0; i < u->query_len; i++)
		cap += u->query[i] == '&';
	kv *v = fl_calloc(cap, sizeof *v);
	if (!v)
		return err_set(e, FL_ENOMEM, "out of memory");
	for (size_t i = 0; i < u->query_len;) {
		const char *s = u->query + i;
		size_t l = 0;
		while (i + l < u->query_len && s[l] != '&')
			l++;
		i += l + 1;
		if (!l || memchr(s, ';', l))
			continue;
		const char *eq = memchr(s, '=', l);
		size_t kl = eq ? (size_t)(eq - s) : l;
		buf k, val;
		buf_init(&k), buf_init(&val);
		if (unescape(s, kl, true, &k) || (eq && unescape(eq + 1, l - kl - 1, true, &val))) {
			buf_reset(&k), buf_reset(&val);
			continue; /* Go's ParseQuery drops the pair */
		}
		v[n].k = take(&k, &v[n].kl);
		v[n].v = take(&val, &v[n].vl);
		if (!v[n].k || !v[n].v) {
			n++;
			kv_free(v, n);
			return err_set(e, FL_ENOMEM, "out of memory");
		}
		n++;
	}
	qsort(v, n, sizeof *v, kv_cmp_query);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put_byte(out, '&');
		query_escape(out, v[i].k, v[i].kl);
		buf_put_byte(out, '=');
		query_escape(out, v[i].v, v[i].vl);
	}
	kv_free(v, n);
	return 0;
}

static bool ignored_header(const char *lname)
{
	static const char *const ig[] = {"authorization",   "user-agent",        "x-amzn-trace-id", "expect",
					 "connection",      "transfer-encoding", "uber-trace-id",   "content-length",
					 "host",            "x-amz-date"};
	for (size_t i = 0; i < FL_ARRAY_LEN(ig); i++)
		if (!strcmp(ig[i], lname))
			return true;
	return false;
}

/* A header value as signed: trimmed, inner runs of spaces collapsed. */
static char *clean_value(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	char *o = fl_malloc(n + 1);
	if (!o)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == ' ' && j && o[j - 1] == ' '))
			o[j++] = s[i];
	o[j] = 0;
	return o;
}

static int add_kv(kv *v, size_t *n, const char *name, size_t nl, const char *val, size_t vl, err *e)
{
	char *k = fl_strndup(name, nl), *c = clean_value(val, vl);
	if (!k || !c) {
		fl_free(k), fl_free(c);
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	for (char *p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	v[*n] = (kv){.k = k, .v = c, .kl = nl, .vl = strlen(c), .order = *n};
	(*n)++;
	return 0;
}

/* Detail 3: "name:value\n" lines into canon, "a;b" into names. */
static int canonical_headers(const url_parts *u, const char *const *headers, size_t n_headers, size_t body_len,
			     const char *amz_date, const char *token, buf *canon, buf *names, err *e)
{
	kv *v = fl_calloc(n_headers + 4, sizeof *v);
	if (!v)
		return err_set(e, FL_ENOMEM, "out of memory");
	size_t n = 0;
	int rc = 0;
	const char *host = NULL;
	size_t host_len = 0;
	for (size_t i = 0; i < n_headers && !rc; i++) {
		const char *h = headers[i];
		size_t nl = strcspn(h, ":;");
		if (!nl || !h[nl])
			continue; /* not a header line */
		const char *val = h + nl + 1;
		const char *vs = val + strspn(val, " \t");
		if (h[nl] == ';' ? *val : !*vs)
			continue; /* libcurl: "Name:" removes a header, "Name;" sends it empty */
		char lname[64];
		snprintf(lname, sizeof lname, "%.*s", (int)nl, h);
		for (char *p = lname; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!strcmp(lname, "host"))
			host = val, host_len = strlen(val);
		if (ignored_header(lname) || (token && !strcmp(lname, "x-amz-security-token")))
			continue;
		rc = add_kv(v, &n, h, nl, val, strlen(val), e);
	}
	char cl[32];
	snprintf(cl, sizeof cl, "%zu", body_len);
	if (!host) { /* the URL's host, without the scheme's default port */
		host = u->host, host_len = u->host_len;
		const char *colon = NULL;
		for (size_t i = host_len; i > 0; i--)
			if (host[i - 1] == ':' || host[i - 1] == ']') {
				colon = host[i - 1] == ':' ? host + i - 1 : NULL;
				break;
			}
		if (colon) {
			const char *port = colon + 1;
			size_t pl = (size_t)(host + host_len - port);
			bool https = u->scheme_len == 5 && !strncasecmp(u->scheme, "https", 5);
			bool http = u->scheme_len == 4 && !strncasecmp(u->scheme, "http", 4);
			if (!pl || (http && pl == 2 && !memcmp(port, "80", 2)) || (https && pl == 3 && !memcmp(port, "443", 3)))
				host_len = (size_t)(colon - host);
		}
	}
	if (!rc)
		rc = add_kv(v, &n, "host", 4, host, host_len, e);
	if (!rc && body_len)
		rc = add_kv(v, &n, "content-length", 14, cl, strlen(cl), e);
	if (!rc)
		rc = add_kv(v, &n, "x-amz-date", 10, amz_date, strlen(amz_date), e);
	if (!rc && token)
		rc = add_kv(v, &n, "x-amz-security-token", 20, token, strlen(token), e);
	if (!rc) {
		qsort(v, n, sizeof *v, kv_cmp_header);
		for (size_t i = 0; i < n; i++) {
			bool same = i && !strcmp(v[i].k, v[i - 1].k);
			if (same)
				buf_put_byte(canon, ',');
			else {
				if (i) {
					buf_put_byte(canon, '\n');
					buf_put_byte(names, ';');
				}
				buf_put_str(canon, v[i].k);
				buf_put_byte(canon, ':');
				buf_put_str(names, v[i].k);
			}
			buf_put_str(canon, v[i].v);
		}
		buf_put_byte(canon, '\n');
	}
	kv_free(v, n);
	return rc;
}

static void hmac_str(const uint8_t *key, size_t key_len, const char *msg, uint8_t out[SHA256_LEN])
{
	hmac_sha256(key, key_len, msg, strlen(msg), out);
}

static int set_header(sigv4_signed *out, const char *name, const char *value, err *e)
{
	sigv4_header *h = &out->h[out->n];
	if ((size_t)out->n >= FL_ARRAY_LEN(out->h) || strlen(value) >= sizeof h->value)
		return err_set(e, FL_ELIMIT, "sigv4: %s header longer than %zu bytes", name, sizeof h->value - 1);
	snprintf(h->name, sizeof h->name, "%s", name);
	snprintf(h->value, sizeof h->value, "%s", value);
	out->n++;
	return 0;
}

int sigv4_sign_creds(const sigv4_creds *cr, const char *region, const char *service, const char *method,
		     const char *url, const char *const *headers, size_t n_headers, const void *body,
		     size_t body_len, int64_t now_ms, sigv4_signed *out, err *e)
{
	out->n = 0;
	url_parts u;
	if (parse_url(url, &u, e))
		return e ? e->code : FL_EINVAL;
	time_t secs = (time_t)(now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000);
	struct tm tm;
	char amz_date[32], day[16];
	if (!gmtime_r(&secs, &tm) || !strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm))
		return err_set(e, FL_EINVAL, "sigv4: time %lld out of range", (long long)now_ms);
	snprintf(day, sizeof day, "%.8s", amz_date);
	const char *token = cr->session_token[0] ? cr->session_token : NULL;

	buf creq, names, canon;
	buf_init(&creq), buf_init(&names), buf_init(&canon);
	buf_put_str(&creq, method);
	buf_put_byte(&creq, '\n');
	int rc = canonical_uri(&u, &creq, e);
	buf_put_byte(&creq, '\n');
	if (!rc)
		rc = canonical_query(&u, &creq, e);
	buf_put_byte(&creq, '\n');
	if (!rc)
		rc = canonical_headers(&u, headers, n_headers, body_len, amz_date, token, &canon, &names, e);
	if (rc)
		goto out;
	uint8_t d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	sha256_sum(body, body_len, d);
	sha256_hex(d, sizeof d, hex);
	buf_printf(&creq, "%s\n%s\n%s", buf_cstr(&canon), buf_cstr(&names), hex);
	if (creq.oom || names.oom || canon.oom) {
		rc = err_set(e, FL_ENOMEM, "out of memory");
		goto out;
	}
	sha256_sum(creq.p, creq.len, d);
	sha256_hex(d, sizeof d, hex);
	char scope[256], sts[512];
	snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", day, region, service);
	snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, hex);

	char k0[300];
	uint8_t k[SHA256_LEN];
	int kl = snprintf(k0, sizeof k0, "AWS4%s", cr->secret_key);
	hmac_sha256(k0, (size_t)kl, day, strlen(day), k);
	hmac_str(k, sizeof k, region, k);
	hmac_str(k, sizeof k, service, k);
	hmac_str(k, sizeof k, "aws4_request", k);
	hmac_str(k, sizeof k, sts, d);
	sha256_hex(d, sizeof d, hex);
	memset(k0, 0, sizeof k0);

	buf auth;
	buf_init(&auth);
	buf_printf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", cr->access_key, scope,
		   buf_cstr(&names), hex);
	rc = set_header(out, "X-Amz-Date", amz_date, e);
	if (!rc && token)
		rc = set_header(out, "X-Amz-Security-Token", token, e);
	if (!rc)
		rc = auth.oom ? err_set(e, FL_ENOMEM, "out of memory") : set_header(out, "Authorization", buf_cstr(&auth), e);
	buf_reset(&auth);
out:
	buf_reset(&creq), buf_reset(&names), buf_reset(&canon);
	return rc;
}

int sigv4_sign(const scrape_sigv4 *c, const char *method, const char *url, const char *const *headers, size_t n_headers,
	       const void *body, size_t body_len, int64_t now_ms, sigv4_signed *out, err *e)
{
	sigv4_creds cr, as;
	char region[64];
	int rc = sigv4_resolve(c, &cr, region, sizeof region, e);
	if (!rc && c->role_arn && *c->role_arn) {
		rc = sigv4_assume_role(&cr, region, c->role_arn, c->external_id, now_ms, &as, e);
		cr = as;
	}
	if (!rc)
		rc = sigv4_sign_creds(&cr, region, "aps", method, url, headers, n_headers, body, body_len, now_ms, out, e);
	memset(&cr, 0, sizeof cr), memset(&as, 0, sizeof as);
	return rc;
}
