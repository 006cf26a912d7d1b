/*
 * webconfig_validate.c - exporter-toolkit's web.Validate over a web config
 * file (what `promtool check web-config` runs): webconfig_load's checks,
 * then, in exporter-toolkit's order, TLS version names, the
 * http_server_config.headers allowlist and values, each basic_auth_users
 * hash as bcrypt.Cost reads it, and the TLS block (cert_file and key_file
 * both given, PEM blocks of the right kind in each, client_auth_type a
 * known policy, client_ca_file readable and only with a policy). Messages
 * are exporter-toolkit's and Go's. Not checked: that the key matches the
 * certificate (that needs a TLS library flint does not link).
 */
#include "web/webconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "lib/buf.h"

typedef struct wv {
	yaml_document_t *d;
	const char *dir_of; /* the config's path (relative files are beside it) */
	err *e;
	int rc;
	const char *cert, *key, *client_auth, *client_ca; /* tls_server_config values or NULL */
	const char *min_version, *max_version;
} wv;

static const char *scalar(yaml_document_t *d, int id)
{
	yaml_node_t *n = yaml_document_get_node(d, id);
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* fn(v, key, value node) for each pair of mapping node n (if a mapping). */
static void each_pair(wv *v, yaml_node_t *n, void (*fn)(wv *, const char *, yaml_node_t *))
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && !v->rc; p++) {
		const char *k = scalar(v->d, p->key);
		if (k)
			fn(v, k, yaml_document_get_node(v->d, p->value));
	}
}

static const char *node_str(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void tls_key(wv *v, const char *k, yaml_node_t *n)
{
	const char *s = node_str(n);
	if (!strcmp(k, "cert_file"))
		v->cert = s;
	else if (!strcmp(k, "key_file"))
		v->key = s;
	else if (!strcmp(k, "client_auth_type"))
		v->client_auth = s;
	else if (!strcmp(k, "client_ca_file"))
		v->client_ca = s;
	else if (!strcmp(k, "min_version"))
		v->min_version = s;
	else if (!strcmp(k, "max_version"))
		v->max_version = s;
}

static void header(wv *v, const char *k, yaml_node_t *n)
{
	static const struct {
		const char *name;
		const char *values[3]; /* allowed values, none: any */
	} allowed[] = {
		{"Strict-Transport-Security", {NULL}}, {"X-Content-Type-Options", {"nosniff", NULL}},
		{"X-Frame-Options", {"deny", "sameorigin", NULL}}, {"X-XSS-Protection", {NULL}},
		{"Content-Security-Policy", {NULL}},
	};
	const char *val = node_str(n);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		if (strcmp(allowed[i].name, k))
			continue;
		if (!allowed[i].values[0])
			return;
		for (size_t j = 0; allowed[i].values[j]; j++)
			if (val && !strcmp(val, allowed[i].values[j]))
				return;
		buf q;
		buf_init(&q);
		for (size_t j = 0; allowed[i].values[j]; j++)
			buf_printf(&q, "%s\"%s\"", j ? " " : "", allowed[i].values[j]);
		v->rc = err_set(v->e, FL_EINVAL, "invalid value for %s. Expected one of: [%s], but got: \"%s\"", k,
				buf_cstr(&q), val ? val : "");
		buf_reset(&q);
		return;
	}
	v->rc = err_set(v->e, FL_EINVAL, "HTTP header \"%s\" can not be configured", k);
}

static void http_server_key(wv *v, const char *k, yaml_node_t *n)
{
	if (!strcmp(k, "headers"))
		each_pair(v, n, header);
}

/* golang.org/x/crypto/bcrypt's Cost(): prefix, version, cost range. */
static void user(wv *v, const char *k, yaml_node_t *n)
{
	const char *h = node_str(n);
	size_t len = h ? strlen(h) : 0;
	(void)k;
	if (len < 59) {
		v->rc = err_set(v->e, FL_EINVAL, "crypto/bcrypt: hashedSecret too short to be a bcrypted password");
	} else if (h[0] != '$') {
		v->rc = err_set(v->e, FL_EINVAL,
				"crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '%c'", h[0]);
	} else if (h[1] > '2') {
		v->rc = err_set(v->e, FL_EINVAL,
				"crypto/bcrypt: bcrypt algorithm version '%c' requested is newer than current version '2'",
				h[1]);
	} else {
		size_t at = h[2] != '$' ? 4 : 3; /* "$2a$10$" or "$2$10$" */
		char c0 = h[at], c1 = h[at + 1];
		if (c0 < '0' || c0 > '9' || c1 < '0' || c1 > '9')
			v->rc = err_set(v->e, FL_EINVAL, "strconv.Atoi: parsing \"%c%c\": invalid syntax", c0, c1);
		else if ((c0 - '0') * 10 + (c1 - '0') < 4 || (c0 - '0') * 10 + (c1 - '0') > 31)
			v->rc = err_set(v->e, FL_EINVAL, "crypto/bcrypt: cost %d is outside allowed range (4,31)",
					(c0 - '0') * 10 + (c1 - '0'));
	}
}

static void top_tls(wv *v, const char *k, yaml_node_t *n)
{
	if (!strcmp(k, "tls_server_config"))
		each_pair(v, n, tls_key);
}

static void top_http(wv *v, const char *k, yaml_node_t *n)
{
	if (!strcmp(k, "http_server_config"))
		each_pair(v, n, http_server_key);
}

static void top_users(wv *v, const char *k, yaml_node_t *n)
{
	if (!strcmp(k, "basic_auth_users"))
		each_pair(v, n, user);
}

static bool tls_version_ok(const char *s)
{
	return !s || !strcmp(s, "TLS10") || !strcmp(s, "TLS11") || !strcmp(s, "TLS12") || !strcmp(s, "TLS13");
}

/* The file p beside the config cfg (when relative), read whole and
 * NUL-terminated; NULL with the error in e. */
static char *read_beside(const char *cfg, const char *p, err *e)
{
	buf path, b;
	buf_init(&path);
	buf_init(&b);
	const char *slash = strrchr(cfg, '/');
	if (p[0] != '/' && slash)
		buf_printf(&path, "%.*s/", (int)(slash - cfg), cfg);
	buf_put_str(&path, p);
	int rc = buf_read_file(&b, buf_cstr(&path), e);
	buf_reset(&path);
	if (rc) {
		buf_reset(&b);
		return NULL;
	}
	buf_put_byte(&b, 0);
	return (char *)b.p;
}

/* tls.LoadX509KeyPair's PEM checks. */
static int check_pem(const char *cert, const char *key, err *e)
{
	const char *pre = "failed to load X509KeyPair: ";
	bool cert_has_cert = strstr(cert, "-----BEGIN CERTIFICATE-----") != NULL;
	if (!cert_has_cert) {
		if (strstr(cert, "PRIVATE KEY-----"))
			return err_set(e, FL_EINVAL, "%stls: failed to find certificate PEM data in certificate input, but "
					    "did find a private key; PEM inputs may have been switched", pre);
		return err_set(e, FL_EINVAL, "%stls: failed to find any PEM data in certificate input", pre);
	}
	if (!strstr(key, "PRIVATE KEY-----")) {
		if (strstr(key, "-----BEGIN CERTIFICATE-----"))
			return err_set(e, FL_EINVAL, "%stls: found a certificate rather than a key in the PEM for the private "
					    "key", pre);
		return err_set(e, FL_EINVAL, "%stls: failed to find any PEM data in key input", pre);
	}
	return 0;
}

static int check_tls(wv *v, const webconfig *c)
{
	if (!v->cert && !v->key && !v->client_auth && !v->client_ca)
		return 0;
	if (!v->cert || !*v->cert)
		return err_set(v->e, FL_EINVAL, "missing cert_file");
	if (!v->key || !*v->key)
		return err_set(v->e, FL_EINVAL, "missing key_file");
	int rc = check_pem(webconfig_cert_pem(c), webconfig_key_pem(c), v->e);
	if (rc)
		return rc;
	if (v->client_ca && *v->client_ca) {
		err re;
		err_clear(&re);
		char *ca = read_beside(v->dir_of, v->client_ca, &re);
		if (!ca)
			return err_set(v->e, FL_EINVAL, "open %s: %s", v->client_ca, strerror(ENOENT));
		fl_free(ca);
	}
	static const char *const policies[] = {"RequestClientCert", "RequireAnyClientCert", "RequireClientCert",
					       "VerifyClientCertIfGiven", "RequireAndVerifyClientCert", "",
					       "NoClientCert", NULL};
	const char *auth = v->client_auth ? v->client_auth : "";
	size_t i = 0;
	while (policies[i] && strcmp(policies[i], auth))
		i++;
	if (!policies[i])
		return err_set(v->e, FL_EINVAL, "Invalid ClientAuth: %s", auth);
	if (v->client_ca && *v->client_ca && (!*auth || !strcmp(auth, "NoClientCert")))
		return err_set(v->e, FL_EINVAL, "Client CA's have been configured without a Client Auth Policy");
	return 0;
}

int webconfig_validate(const char *path, err *e)
{
	webconfig *c = webconfig_load(path, e);
	if (!c)
		return e->code ? e->code : FL_EINVAL;
	char *text = read_beside("", path, e);
	if (!text) {
		webconfig_free(c);
		return FL_EIO;
	}
	yaml_parser_t yp;
	yaml_document_t d;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, strlen(text));
	int rc = 0;
	if (yaml_parser_load(&yp, &d)) { /* webconfig_load parsed it already */
		wv v = {.d = &d, .dir_of = path, .e = e};
		yaml_node_t *root = yaml_document_get_root_node(&d);
		each_pair(&v, root, top_tls);
		if (!tls_version_ok(v.min_version) || !tls_version_ok(v.max_version))
			v.rc = err_set(e, FL_EINVAL, "unknown TLS version: %s",
				       tls_version_ok(v.min_version) ? v.max_version : v.min_version);
		if (!v.rc)
			each_pair(&v, root, top_http);
		if (!v.rc)
			each_pair(&v, root, top_users);
		rc = v.rc ? v.rc : check_tls(&v, c);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&yp);
	fl_free(text);
	webconfig_free(c);
	return rc;
}
