/*
 * config_http.c - the shared blocks of prometheus.yml: HTTP client settings
 * (prometheus/common config.HTTPClientConfig with its Validate), relabel
 * configs (model/relabel through tsdb/relabel.h), discovery blocks
 * (static, file, http, dns; every other *_sd_configs is refused by name),
 * alerting (validated; not acted on yet). remote_write/remote_read: config_remote.c.
 *
 * oauth2 is the client credentials grant (the token is fetched by
 * scrape/httpc_oauth2.c), with its own tls_config and proxy settings for
 * the token request; the jwt-bearer grant is refused by name. Refused in
 * HTTP client blocks, with a message naming the key: *_ref secrets
 * (Prometheus itself refuses them without a secret manager) and inline TLS
 * PEMs (ca, cert, key: use the *_file keys). Relative file paths are joined to the config file's
 * directory as Prometheus's SetDirectory does. username_file, header
 * secrets and header files are read at load (Prometheus reads them per
 * request): the values are what the scraper sends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "scrape/config_int.h"

const char *const config__http_keys[] = {
	"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "proxy_url",
	"no_proxy", "proxy_from_environment", "proxy_connect_header", "follow_redirects", "enable_http2",
	"http_headers", NULL,
};

void config__http_defaults(scrape_http_client *h)
{
	h->follow_redirects = true;
	h->enable_http2 = true;
}

typedef struct http_ctx {
	scrape_http_client *h; /* being filled */
	const char *user_file; /* basic_auth.username_file */
} http_ctx;

/* The contents of a file, trimmed of surrounding space (Prometheus's
 * strings.TrimSpace of secrets read from files). */
static const char *read_trimmed(cfgp *p, yaml_node_t *n, const char *path, const char *file, const char *what)
{
	buf b;
	buf_init(&b);
	err e;
	const char *out = NULL;
	if (scrape_read_file(&b, file, &e))
		config__fail(p, n, path, "unable to read %s %s: %s", what, file, e.msg);
	else {
		size_t s = 0, l = b.len;
		while (s < l && strchr(" \t\r\n", b.p[s]))
			s++;
		while (l > s && strchr(" \t\r\n", b.p[l - 1]))
			l--;
		out = arena_strndup(&p->c->arena, (const char *)b.p + s, l - s);
	}
	buf_reset(&b);
	return out;
}

static void refuse_ref(cfgp *p, yaml_node_t *v, const char *path, const char *key)
{
	const char *s = config__scalar(p, v, path);
	if (s && *s)
		config__fail(p, v, path, "%s is not supported by flint (no secret manager)", key);
}

static void basic_auth_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	http_ctx *hc = ctx;
	(void)k;
	if (!strcmp(key, "username"))
		hc->h->basic_auth_user = config__scalar(p, v, path);
	else if (!strcmp(key, "username_file"))
		hc->user_file = config__path(p, config__scalar(p, v, path));
	else if (!strcmp(key, "password"))
		hc->h->basic_auth_pass = config__scalar(p, v, path);
	else if (!strcmp(key, "password_file"))
		hc->h->basic_auth_pass_file = config__path(p, config__scalar(p, v, path));
	else
		refuse_ref(p, v, path, key);
}

static void authz_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	http_ctx *hc = ctx;
	(void)k;
	if (!strcmp(key, "type"))
		hc->h->auth_type = config__scalar(p, v, path);
	else if (!strcmp(key, "credentials"))
		hc->h->auth_credentials = config__scalar(p, v, path);
	else if (!strcmp(key, "credentials_file"))
		hc->h->auth_credentials_file = config__path(p, config__scalar(p, v, path));
	else
		refuse_ref(p, v, path, key);
}

static void tls_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	http_ctx *hc = ctx;
	scrape_http_client *h = hc->h;
	(void)k;
	if (!strcmp(key, "ca_file"))
		h->tls_ca_file = config__path(p, config__scalar(p, v, path));
	else if (!strcmp(key, "cert_file"))
		h->tls_cert_file = config__path(p, config__scalar(p, v, path));
	else if (!strcmp(key, "key_file"))
		h->tls_key_file = config__path(p, config__scalar(p, v, path));
	else if (!strcmp(key, "server_name")) {
		/* libcurl verifies and sends SNI for the URL's host only */
		h->tls_server_name = config__scalar(p, v, path);
		if (h->tls_server_name && *h->tls_server_name)
			config__fail(p, v, path, "tls_config.server_name is not supported by flint");
	}
	else if (!strcmp(key, "insecure_skip_verify"))
		config__boolean(p, v, path, &h->tls_insecure_skip_verify);
	else if (!strcmp(key, "min_version") || !strcmp(key, "max_version")) {
		const char *s = config__scalar(p, v, path);
		if (s && strcmp(s, "TLS10") && strcmp(s, "TLS11") && strcmp(s, "TLS12") && strcmp(s, "TLS13"))
			config__fail(p, v, path, "unknown TLS version: %s", s);
		else if (key[1] == 'i')
			h->tls_min_version = s;
		else
			h->tls_max_version = s;
	} else if (!strcmp(key, "ca") || !strcmp(key, "cert") || !strcmp(key, "key")) {
		const char *s = config__scalar(p, v, path);
		if (s && *s)
			config__fail(p, v, path, "inline tls_config.%s is not supported by flint (use %s_file)", key, key);
	} else
		refuse_ref(p, v, path, key);
}

bool config__reserved_header(const char *n)
{
	static const char *const r[] = {
		"Authorization", "Host", "Content-Encoding", "Content-Length", "Content-Type", "User-Agent", "Connection",
		"Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Www-Authenticate", "Accept-Encoding",
		"X-Prometheus-Remote-Write-Version", "X-Prometheus-Remote-Read-Version",
		"X-Prometheus-Scrape-Timeout-Seconds", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(r); i++)
		if (!strcasecmp(r[i], n))
			return true;
	return false;
}

/* Append name: value to a kv array (arena; amortized by doubling at powers of two). */
static void kv_add(cfgp *p, scrape_kv **kv, size_t *n, const char *name, const char *value)
{
	if (!(*n & (*n - 1)) || !*n) {
		scrape_kv *nk = arena_calloc(&p->c->arena, *n ? *n * 2 : 1, sizeof *nk);
		if (!nk)
			return;
		if (*n)
			memcpy(nk, *kv, *n * sizeof *nk);
		*kv = nk;
	}
	(*kv)[(*n)++] = (scrape_kv){name, value};
}

typedef struct header_ctx {
	http_ctx *hc;
	const char *name;
} header_ctx;

static void header_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	header_ctx *x = ctx;
	scrape_http_client *h = x->hc->h;
	(void)k;
	size_t n;
	const char **vals = config__string_list(p, v, path, &n);
	for (size_t i = 0; i < n && vals && !p->failed; i++) {
		const char *val = vals[i];
		if (!strcmp(key, "files"))
			val = read_trimmed(p, v, path, config__path(p, val), "headers file");
		if (val)
			kv_add(p, &h->headers, &h->n_headers, x->name, val);
	}
}

static void http_headers(cfgp *p, http_ctx *hc, yaml_node_t *v, const char *path)
{
	static const char *const keys[] = {"values", "secrets", "files", NULL};
	if (config__is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		config__fail(p, v, path, "expected a mapping of header names");
		return;
	}
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top && !p->failed; pr++) {
		yaml_node_t *k = config__node(p, pr->key);
		const char *name = config__scalar(p, k, path);
		if (!name)
			return;
		if (config__reserved_header(name)) {
			config__fail(p, k, path, "setting header \"%s\" is not allowed", name);
			return;
		}
		char sub[300];
		snprintf(sub, sizeof sub, "%s.%s", path, name);
		header_ctx x = {hc, name};
		config__walk_map(p, config__node(p, pr->value), sub, "config.Header", keys, header_field, &x);
	}
}

static void proxy_headers(cfgp *p, scrape_http_client *h, yaml_node_t *v, const char *path)
{
	if (config__is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		config__fail(p, v, path, "expected a mapping of header names to lists of values");
		return;
	}
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top && !p->failed; pr++) {
		const char *name = config__scalar(p, config__node(p, pr->key), path);
		size_t n;
		const char **vals = config__string_list(p, config__node(p, pr->value), path, &n);
		for (size_t i = 0; i < n && vals && name; i++)
			kv_add(p, &h->proxy_connect_headers, &h->n_proxy_connect_headers, name, vals[i]);
		/* libcurl sends proxy-only headers through a second list the
		 * client seam does not carry yet */
		if (n && !p->failed)
			config__fail(p, v, path, "proxy_connect_header is not supported by flint");
	}
}

/* ---- oauth2 (common/config.OAuth2, client credentials grant) ---- */
typedef struct oauth2_ctx {
	scrape_oauth2 *o;       /* being filled */
	scrape_http_client *th; /* its token request's TLS and proxy settings */
} oauth2_ctx;

static void endpoint_params(cfgp *p, scrape_oauth2 *o, yaml_node_t *v, const char *path)
{
	if (config__is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		config__fail(p, v, path, "expected a mapping of parameter names to values");
		return;
	}
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top && !p->failed; pr++) {
		const char *k = config__scalar(p, config__node(p, pr->key), path);
		const char *val = config__scalar(p, config__node(p, pr->value), path);
		if (k && val)
			kv_add(p, &o->endpoint_params, &o->n_endpoint_params, k, val);
	}
}

static void oauth2_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	oauth2_ctx *x = ctx;
	scrape_oauth2 *o = x->o;
	(void)k;
	if (!strcmp(key, "client_id"))
		o->client_id = config__scalar(p, v, path);
	else if (!strcmp(key, "client_secret"))
		o->client_secret = config__scalar(p, v, path);
	else if (!strcmp(key, "client_secret_file"))
		o->client_secret_file = config__path(p, config__scalar(p, v, path));
	else if (!strcmp(key, "client_secret_ref") || !strcmp(key, "client_certificate_key_ref"))
		refuse_ref(p, v, path, key);
	else if (!strcmp(key, "scopes"))
		o->scopes = config__string_list(p, v, path, &o->n_scopes);
	else if (!strcmp(key, "token_url"))
		o->token_url = config__scalar(p, v, path);
	else if (!strcmp(key, "endpoint_params"))
		endpoint_params(p, o, v, path);
	else if (!strcmp(key, "grant_type")) {
		const char *g = config__scalar(p, v, path);
		if (g && !strcmp(g, "urn:ietf:params:oauth:grant-type:jwt-bearer"))
			config__fail(p, v, path, "oauth2 grant_type %s is not supported by flint", g);
	} else if (!strcmp(key, "claims")) {
		if (!config__is_null(v) && v->type != YAML_MAPPING_NODE)
			config__fail(p, v, path, "expected a mapping of claims");
	} else if (!config__http_field(p, x->th, key, v, path))
		config__scalar(p, v, path); /* used by the jwt-bearer grant only */
}

/* An oauth2 block, validated as its UnmarshalYAML does (the proxy and TLS
 * settings); the checks against the rest of the client are in
 * config__http_validate. */
static void oauth2_block(cfgp *p, scrape_http_client *h, yaml_node_t *v, const char *path)
{
	static const char *const keys[] = {
		"client_id", "client_secret", "client_secret_file", "client_secret_ref", "client_certificate_key_id",
		"client_certificate_key", "client_certificate_key_file", "client_certificate_key_ref", "grant_type",
		"signature_algorithm", "iss", "audience", "claims", "scopes", "token_url", "endpoint_params",
		"tls_config", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header", NULL,
	};
	arena *a = &p->c->arena;
	oauth2_ctx x = {arena_calloc(a, 1, sizeof *x.o), arena_calloc(a, 1, sizeof *x.th)};
	scrape_oauth2_token *t = arena_calloc(a, 1, sizeof *t);
	if (!x.o || !x.th || !t) {
		config__fail(p, v, path, "out of memory");
		return;
	}
	pthread_mutex_init(&t->mu, NULL);
	config__http_defaults(x.th);
	x.o->http = x.th;
	x.o->token = t;
	h->oauth2 = x.o;
	config__walk_map(p, v, path, "config.OAuth2", keys, oauth2_field, &x);
	config__http_validate(p, x.th, v, path);
}

/* The pending state of a block being parsed lives in the client itself:
 * bearer_token lands in auth_credentials with auth_type NULL until
 * config__http_validate sorts it out (the marks below tell them apart). */
static const char BEARER_MARK[] = "\001bearer";

bool config__http_field(cfgp *p, scrape_http_client *h, const char *key, yaml_node_t *v, const char *path)
{
	static const char *const basic_keys[] = {"username", "username_file", "username_ref", "password",
						 "password_file", "password_ref", NULL};
	static const char *const authz_keys[] = {"type", "credentials", "credentials_file", "credentials_ref", NULL};
	static const char *const tls_keys[] = {"ca", "cert", "key", "ca_file", "cert_file", "key_file", "ca_ref",
					       "cert_ref", "key_ref", "server_name", "insecure_skip_verify",
					       "min_version", "max_version", NULL};
	bool known = false;
	for (size_t i = 0; config__http_keys[i]; i++)
		known |= !strcmp(config__http_keys[i], key);
	if (!known)
		return false;
	http_ctx hc = {.h = h};
	if (!strcmp(key, "basic_auth")) {
		if (config__is_null(v))
			return true;
		config__walk_map(p, v, path, "config.BasicAuth", basic_keys, basic_auth_field, &hc);
		if (hc.user_file && !p->failed) {
			if (h->basic_auth_user && *h->basic_auth_user)
				config__fail(p, v, path, "at most one of basic_auth username, username_file & username_ref must be configured");
			else
				h->basic_auth_user = read_trimmed(p, v, path, hc.user_file, "basic_auth username_file");
		}
		if (!h->basic_auth_user)
			h->basic_auth_user = "";
	} else if (!strcmp(key, "authorization")) {
		if (config__is_null(v))
			return true;
		const char *bearer = h->auth_credentials, *bearer_file = h->auth_credentials_file;
		bool had_bearer = h->auth_type == BEARER_MARK;
		h->auth_credentials = h->auth_credentials_file = NULL;
		h->auth_type = NULL;
		config__walk_map(p, v, path, "config.Authorization", authz_keys, authz_field, &hc);
		if (had_bearer && (bearer || bearer_file))
			config__fail(p, v, path, "authorization is not compatible with bearer_token & bearer_token_file");
		if (h->auth_credentials && *h->auth_credentials && h->auth_credentials_file && *h->auth_credentials_file)
			config__fail(p, v, path, "at most one of authorization credentials & credentials_file must be configured");
		if (!h->auth_type)
			h->auth_type = "";
	} else if (!strcmp(key, "oauth2")) {
		if (!config__is_null(v))
			oauth2_block(p, h, v, path);
	} else if (!strcmp(key, "bearer_token") || !strcmp(key, "bearer_token_file")) {
		const char *s = config__scalar(p, v, path);
		if (!s || !*s)
			return true;
		if (h->auth_type && h->auth_type != BEARER_MARK) {
			config__fail(p, v, path, "authorization is not compatible with bearer_token & bearer_token_file");
			return true;
		}
		h->auth_type = BEARER_MARK;
		if (key[12] == '_')
			h->auth_credentials_file = config__path(p, s);
		else
			h->auth_credentials = s;
		if (h->auth_credentials && h->auth_credentials_file)
			config__fail(p, v, path, "at most one of bearer_token & bearer_token_file must be configured");
	} else if (!strcmp(key, "tls_config")) {
		config__walk_map(p, v, path, "config.TLSConfig", tls_keys, tls_field, &hc);
	} else if (!strcmp(key, "proxy_url")) {
		h->proxy_url = config__scalar(p, v, path);
		if (h->proxy_url && !*h->proxy_url)
			h->proxy_url = NULL;
	} else if (!strcmp(key, "no_proxy")) {
		h->no_proxy = config__scalar(p, v, path);
		if (h->no_proxy && !*h->no_proxy)
			h->no_proxy = NULL;
	} else if (!strcmp(key, "proxy_from_environment"))
		config__boolean(p, v, path, &h->proxy_from_environment);
	else if (!strcmp(key, "proxy_connect_header"))
		proxy_headers(p, h, v, path);
	else if (!strcmp(key, "follow_redirects"))
		config__boolean(p, v, path, &h->follow_redirects);
	else if (!strcmp(key, "enable_http2"))
		config__boolean(p, v, path, &h->enable_http2);
	else if (!strcmp(key, "http_headers"))
		http_headers(p, &hc, v, path);
	return true;
}

/* HTTPClientConfig.Validate's oauth2 checks: -1 when one failed. */
static int oauth2_validate(cfgp *p, scrape_http_client *h, yaml_node_t *n, const char *path)
{
	const scrape_oauth2 *o = h->oauth2;
	if (h->basic_auth_user)
		config__fail(p, n, path, "at most one of basic_auth, oauth2 & authorization must be configured");
	else if (!o->client_id || !*o->client_id)
		config__fail(p, n, path, "oauth2 client_id must be configured");
	else if (!o->token_url || !*o->token_url)
		config__fail(p, n, path, "oauth2 token_url must be configured");
	else if (o->client_secret && *o->client_secret && o->client_secret_file && *o->client_secret_file)
		config__fail(p, n, path, "at most one of oauth2 client_secret, client_secret_file & client_secret_ref "
					 "must be configured using grant-type=client_credentials");
	return p->failed ? -1 : 0;
}

void config__http_validate(cfgp *p, scrape_http_client *h, yaml_node_t *n, const char *path)
{
	if (p->failed)
		return;
	bool basic = h->basic_auth_user != NULL;
	if (h->auth_type == BEARER_MARK) {
		if (basic || h->oauth2) {
			config__fail(p, n, path, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
			return;
		}
		h->auth_type = "Bearer";
	} else if (h->auth_type) { /* an authorization block */
		char *t = arena_strdup(&p->c->arena, h->auth_type);
		if (!t)
			return;
		while (*t == ' ' || *t == '\t')
			t++;
		for (size_t l = strlen(t); l && (t[l - 1] == ' ' || t[l - 1] == '\t'); l--)
			t[l - 1] = 0;
		h->auth_type = *t ? t : "Bearer";
		if (!strcasecmp(h->auth_type, "basic")) {
			config__fail(p, n, path, "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
			return;
		}
		if (basic || h->oauth2) {
			config__fail(p, n, path, "at most one of basic_auth, oauth2 & authorization must be configured");
			return;
		}
	}
	if (h->oauth2 && oauth2_validate(p, h, n, path))
		return;
	if (basic && h->basic_auth_pass && *h->basic_auth_pass && h->basic_auth_pass_file && *h->basic_auth_pass_file) {
		config__fail(p, n, path, "at most one of basic_auth password, password_file & password_ref must be configured");
		return;
	}
	if ((h->tls_cert_file != NULL) != (h->tls_key_file != NULL)) {
		config__fail(p, n, path, h->tls_cert_file ? "exactly one of key or key_file must be configured when a client certificate is configured"
							  : "exactly one of cert or cert_file must be configured when a client key is configured");
		return;
	}
	if (h->n_proxy_connect_headers && !h->proxy_from_environment && !h->proxy_url)
		config__fail(p, n, path, "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured");
	else if (h->proxy_from_environment && h->proxy_url)
		config__fail(p, n, path, "if proxy_from_environment is configured, proxy_url must not be configured");
	else if (h->proxy_from_environment && h->no_proxy)
		config__fail(p, n, path, "if proxy_from_environment is configured, no_proxy must not be configured");
	else if (!h->proxy_url && h->no_proxy)
		config__fail(p, n, path, "if no_proxy is configured, proxy_url must also be configured");
	if (h->basic_auth_user && !*h->basic_auth_user && !h->basic_auth_pass && !h->basic_auth_pass_file)
		h->basic_auth_user = NULL; /* `basic_auth: {}` */
}

/* ---- relabel_configs ---- */
static void relabel_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	relabel_config *r = ctx;
	(void)k;
	if (!strcmp(key, "source_labels"))
		r->source_labels = config__string_list(p, v, path, &r->n_source_labels);
	else if (!strcmp(key, "separator"))
		r->separator = config__is_null(v) ? "" : config__scalar(p, v, path);
	else if (!strcmp(key, "regex"))
		r->regex = config__is_null(v) ? "" : config__scalar(p, v, path);
	else if (!strcmp(key, "target_label"))
		r->target_label = config__is_null(v) ? NULL : config__scalar(p, v, path);
	else if (!strcmp(key, "replacement"))
		r->replacement = config__is_null(v) ? "" : config__scalar(p, v, path);
	else if (!strcmp(key, "modulus")) {
		int64_t m = 0;
		config__uint(p, v, path, &m);
		r->modulus = (uint64_t)m;
	} else if (!strcmp(key, "action")) {
		const char *s = config__scalar(p, v, path);
		int a = s ? relabel_action_parse(s) : 0;
		if (s && a < 0)
			config__fail(p, v, path, "unknown relabel action \"%s\"", s);
		else
			r->action = (relabel_action)a;
	}
}

relabel_config *config__relabel_list(cfgp *p, yaml_node_t *v, const char *path, size_t *count)
{
	static const char *const keys[] = {"source_labels", "separator", "regex", "modulus", "target_label",
					   "replacement", "action", NULL};
	size_t n = config__seq_len(p, v, path);
	relabel_config *rs = arena_calloc(&p->c->arena, n + 1, sizeof *rs);
	*count = 0;
	for (size_t i = 0; i < n && rs && !p->failed; i++) {
		char sub[300];
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		yaml_node_t *rn = config__seq_at(p, v, i);
		if (config__is_null(rn)) {
			config__fail(p, rn, sub, "empty or null relabeling rule");
			break;
		}
		relabel_config_defaults(&rs[i]);
		config__walk_map(p, rn, sub, "relabel.Config", keys, relabel_field, &rs[i]);
		err e;
		if (!p->failed && relabel_compile(&rs[i], &e))
			config__fail(p, rn, sub, "%s", e.msg);
		if (!p->failed)
			*count = i + 1;
	}
	return rs;
}

/* ---- discovery blocks ---- */
static void static_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_static_config *sc = ctx;
	(void)k;
	if (!strcmp(key, "targets"))
		sc->targets = config__string_list(p, v, path, &sc->n_targets);
	else if (!strcmp(key, "labels"))
		sc->labels = config__label_map(p, v, path, &sc->labels_as_written);
}

void config__check_static_targets(cfgp *p, const scrape_sd_configs *sd, yaml_node_t *n, const char *path)
{
	for (size_t s = 0; s < sd->n_static_configs && !p->failed; s++)
		for (size_t i = 0; i < sd->static_configs[s].n_targets && !p->failed; i++) {
			const char *t = sd->static_configs[s].targets[i];
			if (t && strchr(t, '/'))
				config__fail(p, n, path, "\"%s\" is not a valid hostname", t);
		}
}

/* file.SDConfig's patFileSDName: ^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$ */
static bool valid_file_sd_name(const char *s)
{
	const char *star = strchr(s, '*');
	if (star && (strchr(star + 1, '*') || strchr(star + 1, '/')))
		return false;
	const char *dot = strrchr(s, '.');
	static const char *const ext[] = {"json", "yml", "yaml", "JSON", "YML", "YAML"};
	for (size_t i = 0; dot && i < FL_ARRAY_LEN(ext); i++)
		if (!strcmp(dot + 1, ext[i]))
			return true;
	return false;
}

static void file_sd_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_file_sd *f = ctx;
	(void)k;
	if (!strcmp(key, "files")) {
		f->files = config__string_list(p, v, path, &f->n_files);
		for (size_t i = 0; i < f->n_files && !p->failed; i++) {
			if (!valid_file_sd_name(f->files[i]))
				config__fail(p, v, path, "path name \"%s\" is not valid for file discovery", f->files[i]);
			f->files[i] = config__path(p, f->files[i]);
		}
	} else if (!strcmp(key, "refresh_interval"))
		config__duration(p, v, path, &f->refresh_ms);
}

static void http_sd_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_http_sd *h = ctx;
	(void)k;
	if (config__http_field(p, &h->http, key, v, path))
		return;
	if (!strcmp(key, "url"))
		h->url = config__scalar(p, v, path);
	else if (!strcmp(key, "refresh_interval"))
		config__duration(p, v, path, &h->refresh_ms);
}

static void dns_sd_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_dns_sd *d = ctx;
	(void)k;
	if (!strcmp(key, "names"))
		d->names = config__string_list(p, v, path, &d->n_names);
	else if (!strcmp(key, "type")) {
		d->type = config__scalar(p, v, path);
		if (d->type && !*d->type)
			d->type = "SRV";
	} else if (!strcmp(key, "port")) {
		int64_t port = 0;
		config__uint(p, v, path, &port);
		d->port = (int)(port > 65535 ? 65535 : port);
	} else if (!strcmp(key, "refresh_interval"))
		config__duration(p, v, path, &d->refresh_ms);
}

/* Checks after a block's keys (Prometheus's UnmarshalYAML of each SDConfig). */
static void sd_validate(cfgp *p, const char *kind, void *cfg, yaml_node_t *n, const char *path)
{
	if (p->failed)
		return;
	if (kind[0] == 'f') {
		scrape_file_sd *f = cfg;
		if (!f->n_files)
			config__fail(p, n, path, "file service discovery config must contain at least one path name");
	} else if (kind[0] == 'h') {
		scrape_http_sd *h = cfg;
		const char *u = h->url;
		if (!u || !*u)
			config__fail(p, n, path, "URL is missing");
		else if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
			config__fail(p, n, path, "URL scheme must be 'http' or 'https'");
		else if (!u[u[4] == 's' ? 8 : 7] || u[u[4] == 's' ? 8 : 7] == '/')
			config__fail(p, n, path, "host is missing in URL");
		else
			config__http_validate(p, &h->http, n, path);
	} else {
		scrape_dns_sd *d = cfg;
		if (!d->n_names)
			config__fail(p, n, path, "DNS-SD config must contain at least one SRV record name");
		else if (strcmp(d->type, "SRV") && strcmp(d->type, "A") && strcmp(d->type, "AAAA") && strcmp(d->type, "MX") &&
			 strcmp(d->type, "NS"))
			config__fail(p, n, path, "invalid DNS-SD records type %s", d->type);
		else if (strcmp(d->type, "SRV") && !d->port)
			config__fail(p, n, path, "a port is required in DNS-SD configs for all record types except SRV");
	}
}

/* Every discovery key Prometheus 3.x registers; the first four run in
 * flint, the others are refused by name. */
const char *const config__sd_keys[] = {
	"static_configs", "file_sd_configs", "http_sd_configs", "dns_sd_configs",
	"azure_sd_configs", "consul_sd_configs", "digitalocean_sd_configs", "docker_sd_configs",
	"dockerswarm_sd_configs", "ec2_sd_configs", "eureka_sd_configs", "gce_sd_configs",
	"hetzner_sd_configs", "ionos_sd_configs", "kubernetes_sd_configs", "kuma_sd_configs",
	"lightsail_sd_configs", "linode_sd_configs", "marathon_sd_configs", "nerve_sd_configs",
	"nomad_sd_configs", "openstack_sd_configs", "ovhcloud_sd_configs", "puppetdb_sd_configs",
	"scaleway_sd_configs", "serverset_sd_configs", "triton_sd_configs", "uyuni_sd_configs",
	"vultr_sd_configs", "stackit_sd_configs", "aws_sd_configs", NULL,
};

bool config__sd_field(cfgp *p, scrape_sd_configs *sd, const char *key, yaml_node_t *v, const char *path)
{
	const char *const *refused = config__sd_keys + 4;
	static const char *const static_keys[] = {"targets", "labels", NULL};
	static const char *const file_keys[] = {"files", "refresh_interval", NULL};
	static const char *const dns_keys[] = {"names", "type", "port", "refresh_interval", NULL};
	static const char *http_keys[32];
	for (size_t i = 0; refused[i]; i++)
		if (!strcmp(refused[i], key)) {
			config__fail(p, v, path, "%s is not supported by flint", key);
			return true;
		}
	bool st = !strcmp(key, "static_configs"), fi = !strcmp(key, "file_sd_configs");
	bool ht = !strcmp(key, "http_sd_configs"), dn = !strcmp(key, "dns_sd_configs");
	if (!st && !fi && !ht && !dn)
		return false;
	if (!http_keys[0]) {
		size_t k = 0;
		http_keys[k++] = "url", http_keys[k++] = "refresh_interval";
		for (size_t i = 0; config__http_keys[i]; i++)
			http_keys[k++] = config__http_keys[i];
		http_keys[k] = NULL;
	}
	size_t n = config__seq_len(p, v, path);
	arena *a = &p->c->arena;
	if (st)
		sd->static_configs = arena_calloc(a, n + 1, sizeof *sd->static_configs), sd->n_static_configs = n;
	else if (fi)
		sd->file_sd = arena_calloc(a, n + 1, sizeof *sd->file_sd), sd->n_file_sd = n;
	else if (ht)
		sd->http_sd = arena_calloc(a, n + 1, sizeof *sd->http_sd), sd->n_http_sd = n;
	else
		sd->dns_sd = arena_calloc(a, n + 1, sizeof *sd->dns_sd), sd->n_dns_sd = n;
	for (size_t i = 0; i < n && !p->failed; i++) {
		char sub[300];
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		yaml_node_t *in = config__seq_at(p, v, i);
		if (st) {
			config__walk_map(p, in, sub, "targetgroup.Group", static_keys, static_field, &sd->static_configs[i]);
		} else if (fi) {
			sd->file_sd[i].refresh_ms = 5 * 60000;
			config__walk_map(p, in, sub, "file.SDConfig", file_keys, file_sd_field, &sd->file_sd[i]);
			sd_validate(p, "file", &sd->file_sd[i], in, sub);
		} else if (ht) {
			sd->http_sd[i].refresh_ms = 60000;
			config__http_defaults(&sd->http_sd[i].http);
			config__walk_map(p, in, sub, "http.SDConfig", http_keys, http_sd_field, &sd->http_sd[i]);
			sd_validate(p, "http", &sd->http_sd[i], in, sub);
		} else {
			sd->dns_sd[i].refresh_ms = 30000;
			sd->dns_sd[i].type = "SRV";
			config__walk_map(p, in, sub, "dns.SDConfig", dns_keys, dns_sd_field, &sd->dns_sd[i]);
			sd_validate(p, "dns", &sd->dns_sd[i], in, sub);
		}
	}
	return true;
}

/* ---- alerting (validated; the notifier does not exist yet) ---- */
static void am_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_alertmanager_config *am = ctx;
	(void)k;
	if (config__http_field(p, &am->http, key, v, path) || config__sd_field(p, &am->sd, key, v, path))
		return;
	if (!strcmp(key, "scheme")) {
		am->scheme = config__scalar(p, v, path);
		if (am->scheme && strcmp(am->scheme, "http") && strcmp(am->scheme, "https"))
			config__fail(p, v, path, "unknown scheme %s (want http or https)", am->scheme);
	} else if (!strcmp(key, "path_prefix"))
		am->path_prefix = config__scalar(p, v, path);
	else if (!strcmp(key, "timeout"))
		config__duration(p, v, path, &am->timeout_ms);
	else if (!strcmp(key, "api_version")) {
		am->api_version = config__scalar(p, v, path);
		if (am->api_version && strcmp(am->api_version, "v2"))
			config__fail(p, v, path, "expected Alertmanager api version to be one of [v2] but got %s", am->api_version);
	} else if (!strcmp(key, "relabel_configs"))
		am->relabel_configs = config__relabel_list(p, v, path, &am->n_relabel_configs);
	else if (!strcmp(key, "alert_relabel_configs"))
		am->alert_relabel_configs = config__relabel_list(p, v, path, &am->n_alert_relabel_configs);
	else if (!strcmp(key, "sigv4") && !config__is_null(v))
		config__fail(p, v, path, "sigv4 is not supported by flint");
}

static void alerting_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_alerting_config *al = ctx;
	static const char *am_keys[96];
	(void)k;
	if (!am_keys[0]) {
		static const char *const own[] = {"scheme", "path_prefix", "timeout", "api_version", "relabel_configs",
						  "alert_relabel_configs", "sigv4", NULL};
		size_t n = 0;
		for (size_t i = 0; own[i]; i++)
			am_keys[n++] = own[i];
		for (size_t i = 0; config__sd_keys[i]; i++)
			am_keys[n++] = config__sd_keys[i];
		for (size_t i = 0; config__http_keys[i]; i++)
			am_keys[n++] = config__http_keys[i];
		am_keys[n] = NULL;
	}
	if (!strcmp(key, "alert_relabel_configs")) {
		al->alert_relabel_configs = config__relabel_list(p, v, path, &al->n_alert_relabel_configs);
		return;
	}
	size_t n = config__seq_len(p, v, path);
	al->alertmanagers = arena_calloc(&p->c->arena, n + 1, sizeof *al->alertmanagers);
	al->n_alertmanagers = al->alertmanagers ? n : 0;
	for (size_t i = 0; i < al->n_alertmanagers && !p->failed; i++) {
		char sub[300];
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		yaml_node_t *in = config__seq_at(p, v, i);
		scrape_alertmanager_config *am = &al->alertmanagers[i];
		am->scheme = "http", am->timeout_ms = 10000, am->api_version = "v2";
		config__http_defaults(&am->http);
		/* unknown SD mechanisms are errors here too; walk with every *_sd_configs key known */
		config__walk_map(p, in, sub, "config.AlertmanagerConfig", am_keys, am_field, am);
		if (p->failed)
			return;
		config__http_validate(p, &am->http, in, sub);
		if (!am->n_relabel_configs)
			config__check_static_targets(p, &am->sd, in, sub);
	}
}

void config__parse_alerting(cfgp *p, yaml_node_t *v, const char *path)
{
	static const char *const keys[] = {"alert_relabel_configs", "alertmanagers", NULL};
	config__walk_map(p, v, path, "config.AlertingConfig", keys, alerting_field, &p->c->alerting);
}
