/*
 * sigv4_creds.c - where SigV4 credentials come from (see sigv4.h for the
 * chain), STS AssumeRole for role_arn, and the caching signer.
 *
 * Shared files are INI: "[name]" sections ("[profile name]" in the config
 * file, where "[default]" stays bare), "key = value" lines, '#' and ';'
 * comment lines. Keys read: aws_access_key_id, aws_secret_access_key,
 * aws_session_token, region; the credentials file wins over the config
 * file for the same profile, as in aws-sdk-go-v2.
 *
 * AssumeRole (aws-sdk-go-v2 stscreds, the awsquery protocol):
 *   POST <endpoint>/  Content-Type: application/x-www-form-urlencoded; charset=utf-8
 *   Action=AssumeRole&DurationSeconds=900[&ExternalId=...]&RoleArn=...&RoleSessionName=aws-go-sdk-<ns>&Version=2011-06-15
 * signed for service "sts" with the chain's credentials; the answer is
 *   <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>...
 *   <SecretAccessKey>...<SessionToken>...<Expiration>RFC3339</Expiration>
 * or <ErrorResponse><Error><Code>...</Code><Message>...</Message>.
 * The endpoint is AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL (the SDKs'
 * service endpoint variables), else https://sts.<region>.amazonaws.com/.
 *
 * The signer keeps the credentials under a mutex and refreshes them 30s
 * before they expire (Prometheus's CredentialsCache ExpiryWindow).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/timeparse.h"
#include "remote/sigv4.h"
#include "scrape/httpc.h"

#define STS_TIMEOUT_MS 10000
#define STS_BODY_LIMIT (1u << 20)
#define EXPIRY_WINDOW_MS 30000

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int copy_str(char *dst, size_t cap, const char *s, size_t n, const char *what, err *e)
{
	if (n >= cap)
		return err_set(e, FL_ELIMIT, "sigv4: %s longer than %zu bytes", what, cap - 1);
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

typedef struct profile {
	char access_key[128], secret_key[256], token[2048], region[64];
	bool found; /* a section of that name exists */
} profile;

/* Fill p from the section of path named want (only keys not yet set). */
static void ini_read(const char *path, const char *want, bool config_file, profile *p)
{
	buf b;
	buf_init(&b);
	err e;
	if (buf_read_file(&b, path, &e)) {
		buf_reset(&b);
		return;
	}
	const char *s = buf_cstr(&b), *end = s + b.len;
	bool in = false;
	while (s && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		while (s < le && isspace((unsigned char)*s))
			s++;
		const char *te = le;
		while (te > s && isspace((unsigned char)te[-1]))
			te--;
		size_t n = (size_t)(te - s);
		if (n && s[0] == '[' && te[-1] == ']') {
			const char *name = s + 1;
			size_t nn = n - 2;
			while (nn && isspace((unsigned char)*name))
				name++, nn--;
			while (nn && isspace((unsigned char)name[nn - 1]))
				nn--;
			if (config_file && nn > 8 && !strncmp(name, "profile", 7) && isspace((unsigned char)name[7])) {
				name += 8, nn -= 8;
				while (nn && isspace((unsigned char)*name))
					name++, nn--;
			}
			in = nn == strlen(want) && !memcmp(name, want, nn);
			p->found |= in;
		} else if (in && n && *s != '#' && *s != ';') {
			const char *eq = memchr(s, '=', n);
			if (eq) {
				const char *ke = eq, *v = eq + 1;
				while (ke > s && isspace((unsigned char)ke[-1]))
					ke--;
				while (v < te && isspace((unsigned char)*v))
					v++;
				size_t kl = (size_t)(ke - s), vl = (size_t)(te - v);
				struct {
					const char *key;
					char *dst;
					size_t cap;
				} keys[] = {{"aws_access_key_id", p->access_key, sizeof p->access_key},
					    {"aws_secret_access_key", p->secret_key, sizeof p->secret_key},
					    {"aws_session_token", p->token, sizeof p->token},
					    {"region", p->region, sizeof p->region}};
				for (size_t i = 0; i < FL_ARRAY_LEN(keys); i++)
					if (kl == strlen(keys[i].key) && !strncasecmp(s, keys[i].key, kl) && !keys[i].dst[0] &&
					    vl < keys[i].cap)
						memcpy(keys[i].dst, v, vl), keys[i].dst[vl] = 0;
			}
		}
		s = nl ? nl + 1 : NULL;
	}
	buf_reset(&b);
}

static void load_profile(const char *name, profile *p)
{
	memset(p, 0, sizeof *p);
	char path[4096];
	const char *home = env("HOME");
	const char *cred = env("AWS_SHARED_CREDENTIALS_FILE"), *conf = env("AWS_CONFIG_FILE");
	if (!cred && home)
		snprintf(path, sizeof path, "%s/.aws/credentials", home), cred = path;
	if (cred)
		ini_read(cred, name, false, p);
	if (!conf && home)
		snprintf(path, sizeof path, "%s/.aws/config", home), conf = path;
	if (conf)
		ini_read(conf, name, true, p);
}

int sigv4_resolve(const scrape_sigv4 *c, sigv4_creds *cr, char *region, size_t region_cap, err *e)
{
	memset(cr, 0, sizeof *cr);
	bool named = c->profile && *c->profile;
	const char *pname = named ? c->profile : env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
	profile p;
	load_profile(pname, &p);
	int rc = 0;
	const char *ak = env("AWS_ACCESS_KEY_ID") ? env("AWS_ACCESS_KEY_ID") : env("AWS_ACCESS_KEY");
	const char *sk = env("AWS_SECRET_ACCESS_KEY") ? env("AWS_SECRET_ACCESS_KEY") : env("AWS_SECRET_KEY");
	if (c->access_key && *c->access_key && c->secret_key && *c->secret_key) {
		rc = copy_str(cr->access_key, sizeof cr->access_key, c->access_key, strlen(c->access_key), "access_key", e);
		if (!rc)
			rc = copy_str(cr->secret_key, sizeof cr->secret_key, c->secret_key, strlen(c->secret_key), "secret_key", e);
	} else if (named && !p.found) {
		rc = err_set(e, FL_EINVAL, "could not get SigV4 credentials: failed to get shared config profile, %s", pname);
	} else if (!named && ak && sk) {
		const char *tok = env("AWS_SESSION_TOKEN");
		rc = copy_str(cr->access_key, sizeof cr->access_key, ak, strlen(ak), "AWS_ACCESS_KEY_ID", e);
		if (!rc)
			rc = copy_str(cr->secret_key, sizeof cr->secret_key, sk, strlen(sk), "AWS_SECRET_ACCESS_KEY", e);
		if (!rc && tok)
			rc = copy_str(cr->session_token, sizeof cr->session_token, tok, strlen(tok), "AWS_SESSION_TOKEN", e);
	} else if (p.access_key[0] && p.secret_key[0]) {
		memcpy(cr->access_key, p.access_key, sizeof cr->access_key);
		memcpy(cr->secret_key, p.secret_key, sizeof cr->secret_key);
		memcpy(cr->session_token, p.token, sizeof cr->session_token);
	} else
		rc = err_set(e, FL_EINVAL,
			     "could not get SigV4 credentials: none in the config, in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
			     "or in profile %s of the shared credentials and config files (flint reads no instance metadata)",
			     pname);
	const char *r = c->region && *c->region ? c->region
			: env("AWS_REGION")             ? env("AWS_REGION")
			: env("AWS_DEFAULT_REGION")     ? env("AWS_DEFAULT_REGION")
							: p.region;
	if (!rc && !*r)
		rc = err_set(e, FL_EINVAL, "region not configured in sigv4 or in default credentials chain");
	if (!rc)
		rc = copy_str(region, region_cap, r, strlen(r), "region", e);
	memset(&p, 0, sizeof p);
	if (rc)
		memset(cr, 0, sizeof *cr);
	return rc;
}

/* ---- the STS response ---- */

/* The text of the first <tag>...</tag> in s[0..n), entities decoded, into
 * dst. 0, or -1 when absent or too long. */
static int xml_text(const char *s, size_t n, const char *tag, char *dst, size_t cap)
{
	char open[64];
	int ol = snprintf(open, sizeof open, "<%s>", tag);
	const char *end = s + n, *p = s;
	while (p < end) {
		const char *q = memchr(p, '<', (size_t)(end - p));
		if (!q || (size_t)(end - q) < (size_t)ol)
			return -1;
		if (memcmp(q, open, (size_t)ol)) {
			p = q + 1;
			continue;
		}
		const char *t = q + ol;
		const char *te = memchr(t, '<', (size_t)(end - t));
		if (!te || (size_t)(end - te) < (size_t)ol + 1 || te[1] != '/' || memcmp(te + 2, tag, (size_t)ol - 2) ||
		    te[ol] != '>')
			return -1;
		size_t j = 0;
		for (const char *c = t; c < te; c++) {
			char ch = *c;
			if (ch == '&') {
				static const struct {
					const char *ent;
					char ch;
				} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
				size_t k = 0;
				for (; k < FL_ARRAY_LEN(ents); k++) {
					size_t el = strlen(ents[k].ent);
					if ((size_t)(te - c) >= el && !memcmp(c, ents[k].ent, el)) {
						ch = ents[k].ch, c += el - 1;
						break;
					}
				}
				if (k == FL_ARRAY_LEN(ents))
					return -1;
			}
			if (j + 1 >= cap)
				return -1;
			dst[j++] = ch;
		}
		dst[j] = 0;
		return 0;
	}
	return -1;
}

int sigv4_sts_parse(const char *body, size_t len, sigv4_creds *out, err *e)
{
	memset(out, 0, sizeof *out);
	char code[128], msg[256], exp[64];
	if (!xml_text(body, len, "Code", code, sizeof code)) {
		if (xml_text(body, len, "Message", msg, sizeof msg))
			msg[0] = 0;
		return err_set(e, FL_EIO, "sts: AssumeRole: %s: %s", code, msg);
	}
	if (xml_text(body, len, "AccessKeyId", out->access_key, sizeof out->access_key) ||
	    xml_text(body, len, "SecretAccessKey", out->secret_key, sizeof out->secret_key) ||
	    xml_text(body, len, "SessionToken", out->session_token, sizeof out->session_token) ||
	    xml_text(body, len, "Expiration", exp, sizeof exp) || !out->access_key[0] || !out->secret_key[0]) {
		memset(out, 0, sizeof *out);
		return err_set(e, FL_ECORRUPT, "sts: AssumeRole: response without complete credentials");
	}
	if (timeparse_rfc3339(exp, &out->expires_ms)) {
		memset(out, 0, sizeof *out);
		return err_set(e, FL_ECORRUPT, "sts: AssumeRole: bad Expiration \"%s\"", exp);
	}
	return 0;
}

/* ---- AssumeRole ---- */

static void form_put(buf *b, const char *key, const char *val)
{
	if (b->len)
		buf_put_byte(b, '&');
	buf_put_str(b, key);
	buf_put_byte(b, '=');
	for (const unsigned char *c = (const unsigned char *)val; *c; c++)
		if (isalnum(*c) || strchr("-_.~", *c))
			buf_put_byte(b, *c);
		else
			buf_printf(b, "%%%02X", *c);
}

int sigv4_assume_role(const sigv4_creds *base, const char *region, const char *role_arn, const char *external_id,
		      int64_t now_ms, sigv4_creds *out, err *e)
{
	char url[512], session[64];
	const char *ep = env("AWS_ENDPOINT_URL_STS") ? env("AWS_ENDPOINT_URL_STS") : env("AWS_ENDPOINT_URL");
	if (ep)
		snprintf(url, sizeof url, "%s%s", ep, ep[strlen(ep) - 1] == '/' ? "" : "/");
	else
		snprintf(url, sizeof url, "https://sts.%s.amazonaws.com/", region);
	snprintf(session, sizeof session, "aws-go-sdk-%lld", (long long)now_ms * 1000000);
	buf form;
	buf_init(&form);
	form_put(&form, "Action", "AssumeRole");
	form_put(&form, "DurationSeconds", "900");
	if (external_id && *external_id)
		form_put(&form, "ExternalId", external_id);
	form_put(&form, "RoleArn", role_arn);
	form_put(&form, "RoleSessionName", session);
	form_put(&form, "Version", "2011-06-15");
	const char *ct = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
	sigv4_signed sg;
	int rc = form.oom ? err_set(e, FL_ENOMEM, "out of memory")
			  : sigv4_sign_creds(base, region, "sts", "POST", url, &ct, 1, form.p, form.len, now_ms, &sg, e);
	const char *hl[1 + FL_ARRAY_LEN(sg.h)];
	char lines[FL_ARRAY_LEN(sg.h)][sizeof sg.h[0].name + sizeof sg.h[0].value + 4];
	size_t nh = 0;
	hl[nh++] = ct;
	for (int i = 0; !rc && i < sg.n; i++) {
		snprintf(lines[i], sizeof lines[i], "%s: %s", sg.h[i].name, sg.h[i].value);
		hl[nh++] = lines[i];
	}
	httpc_resp r = {.status = 0};
	buf_init(&r.body);
	if (!rc)
		rc = httpc_post(url, NULL, hl, nh, form.p, form.len, STS_TIMEOUT_MS, STS_BODY_LIMIT, &r, e);
	if (!rc) {
		rc = sigv4_sts_parse(r.body.len ? (const char *)r.body.p : "", r.body.len, out, e);
		if ((!rc || (e && e->code == FL_ECORRUPT)) && (r.status < 200 || r.status > 299))
			rc = err_set(e, FL_EIO, "sts: POST %s: HTTP status %s", url, r.status_text);
	}
	buf_reset(&r.body);
	buf_reset(&form);
	memset(lines, 0, sizeof lines);
	memset(&sg, 0, sizeof sg);
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}

/* ---- the caching signer ---- */

struct sigv4_signer {
	pthread_mutex_t mu;  /* guards creds */
	char region[64];     /* resolved once */
	char role_arn[512];  /* "" when none */
	char external_id[256]; /* "" when none */
	sigv4_creds base;    /* the chain's credentials, resolved once */
	sigv4_creds creds;   /* what signs: base, or the assumed role's (mu) */
	bool have;           /* creds valid (mu) */
};

sigv4_signer *sigv4_signer_new(const scrape_sigv4 *c, err *e)
{
	sigv4_signer *s = fl_calloc(1, sizeof *s);
	if (!s) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	if (sigv4_resolve(c, &s->base, s->region, sizeof s->region, e) ||
	    (c->role_arn && copy_str(s->role_arn, sizeof s->role_arn, c->role_arn, strlen(c->role_arn), "role_arn", e)) ||
	    (c->external_id &&
	     copy_str(s->external_id, sizeof s->external_id, c->external_id, strlen(c->external_id), "external_id", e))) {
		memset(s, 0, sizeof *s);
		fl_free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	if (!s->role_arn[0])
		s->creds = s->base, s->have = true;
	return s;
}

int sigv4_signer_sign(sigv4_signer *s, const char *method, const char *url, const char *const *headers,
		      size_t n_headers, const void *body, size_t body_len, int64_t now_ms, sigv4_signed *out, err *e)
{
	sigv4_creds cr;
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	if (!s->have || (s->creds.expires_ms && now_ms >= s->creds.expires_ms - EXPIRY_WINDOW_MS)) {
		s->have = false;
		rc = sigv4_assume_role(&s->base, s->region, s->role_arn, s->external_id, now_ms, &s->creds, e);
		s->have = !rc;
	}
	cr = s->creds;
	pthread_mutex_unlock(&s->mu);
	if (!rc)
		rc = sigv4_sign_creds(&cr, s->region, "aps", method, url, headers, n_headers, body, body_len, now_ms, out, e);
	memset(&cr, 0, sizeof cr);
	return rc;
}

void sigv4_signer_free(sigv4_signer *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	memset(s, 0, sizeof *s);
	fl_free(s);
}
