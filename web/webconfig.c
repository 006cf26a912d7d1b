/*
 * webconfig.c - --web.config.file (exporter-toolkit web config), see
 * webconfig.h. Passwords are bcrypt hashes checked with crypt_r(3) from
 * libxcrypt; a cache of recent successful (user, password) pairs keeps
 * bcrypt (tens of ms by design) off the hot path. The cache stores a hash
 * of the attempt, never the password.
 */
#include "web/webconfig.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

#include "lib/buf.h"
#include "lib/hash.h"

#define WC_MAX_USERS 64
#define WC_MAX_HEADERS 8
#define WC_CACHE 32

struct webconfig {
	char *cert_pem, *key_pem;            /* TLS material or NULL */
	char *users[WC_MAX_USERS];           /* user names */
	char *hashes[WC_MAX_USERS];          /* their bcrypt hashes */
	size_t n_users;
	const char *hdr_names[WC_MAX_HEADERS]; /* http_server_config.headers */
	const char *hdr_values[WC_MAX_HEADERS];
	size_t n_hdr;
	pthread_mutex_t mu;                  /* guards cache */
	uint64_t cache[WC_CACHE];            /* hashes of accepted user\0pass */
	size_t cache_next;
};

static char *read_file(const char *path, err *e)
{
	buf b;
	buf_init(&b);
	if (buf_read_file(&b, path, e)) {
		err_wrap(e, "web config");
		buf_reset(&b);
		return NULL;
	}
	return (char *)b.p;
}

/* Path relative to the config file's directory. */
static char *rel_path(const char *cfg, const char *p)
{
	if (p[0] == '/' || !strchr(cfg, '/'))
		return fl_strdup(p);
	size_t dl = (size_t)(strrchr(cfg, '/') - cfg);
	char *out = fl_malloc(dl + strlen(p) + 2);
	if (out)
		sprintf(out, "%.*s/%s", (int)dl, cfg, p);
	return out;
}

static const char *sval(yaml_document_t *d, int id)
{
	yaml_node_t *n = yaml_document_get_node(d, id);
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int load_section(webconfig *c, yaml_document_t *d, const char *sec, yaml_node_t *v, const char *path, err *e)
{
	if (v->type != YAML_MAPPING_NODE)
		return err_set(e, FL_EINVAL, "web config %s:%d: %s must be a mapping", path, (int)v->start_mark.line + 1, sec);
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *k = sval(d, p->key), *val = sval(d, p->value);
		int line = (int)yaml_document_get_node(d, p->key)->start_mark.line + 1;
		if (k && !strcmp(sec, "tls_server_config") && strcmp(k, "cert_file") && strcmp(k, "key_file"))
			continue; /* client_auth_type, min_version, cipher_suites (a list)...: defaults kept */
		if (!k || !val)
			return err_set(e, FL_EINVAL, "web config %s:%d: %s: expected string values", path, line, sec);
		if (!strcmp(sec, "basic_auth_users")) {
			if (c->n_users == WC_MAX_USERS)
				return err_set(e, FL_EINVAL, "web config %s:%d: too many users", path, line);
			c->users[c->n_users] = fl_strdup(k);
			c->hashes[c->n_users++] = fl_strdup(val);
		} else if (!strcmp(sec, "tls_server_config")) {
			char **dst = !strcmp(k, "cert_file") ? &c->cert_pem : !strcmp(k, "key_file") ? &c->key_pem : NULL;
			if (!dst)
				continue; /* client_auth_type, min_version...: accepted, defaults kept */
			char *fp = rel_path(path, val);
			*dst = fp ? read_file(fp, e) : NULL;
			fl_free(fp);
			if (!*dst)
				return FL_EIO;
		} else if (c->n_hdr < WC_MAX_HEADERS) {
			c->hdr_names[c->n_hdr] = fl_strdup(k);
			c->hdr_values[c->n_hdr++] = fl_strdup(val);
		}
	}
	return 0;
}

static int load_doc(webconfig *c, yaml_document_t *d, const char *path, err *e)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	if (!root)
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return err_set(e, FL_EINVAL, "web config %s: top level must be a mapping", path);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const char *k = sval(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		int line = (int)yaml_document_get_node(d, p->key)->start_mark.line + 1;
		int rc = 0;
		if (k && (!strcmp(k, "basic_auth_users") || !strcmp(k, "tls_server_config")))
			rc = load_section(c, d, k, v, path, e);
		else if (k && !strcmp(k, "http_server_config")) {
			for (yaml_node_pair_t *q = v->type == YAML_MAPPING_NODE ? v->data.mapping.pairs.start : NULL;
			     q && q < v->data.mapping.pairs.top && !rc; q++) {
				const char *hk = sval(d, q->key);
				yaml_node_t *hv = yaml_document_get_node(d, q->value);
				if (hk && !strcmp(hk, "headers") && hv->type == YAML_MAPPING_NODE)
					rc = load_section(c, d, "headers", hv, path, e);
			}
		} else
			return err_set(e, FL_EINVAL, "web config %s:%d: field %s not found in type web.Config", path, line,
				       k ? k : "?");
		if (rc)
			return rc;
	}
	if (!c->cert_pem != !c->key_pem)
		return err_set(e, FL_EINVAL, "web config %s: tls_server_config needs both cert_file and key_file", path);
	return 0;
}

webconfig *webconfig_load(const char *path, err *e)
{
	char *text = read_file(path, e);
	if (!text)
		return NULL;
	webconfig *c = fl_calloc(1, sizeof *c);
	if (!c) {
		fl_free(text);
		err_set(e, FL_ENOMEM, "web config: out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	yaml_parser_t yp;
	yaml_document_t d;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, strlen(text));
	int rc;
	if (!yaml_parser_load(&yp, &d)) {
		rc = err_set(e, FL_EINVAL, "web config %s:%d: yaml: %s", path, (int)yp.problem_mark.line + 1,
			     yp.problem ? yp.problem : "syntax error");
	} else {
		rc = load_doc(c, &d, path, e);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&yp);
	fl_free(text);
	if (rc) {
		webconfig_free(c);
		return NULL;
	}
	return c;
}

void webconfig_free(webconfig *c)
{
	if (!c)
		return;
	fl_free(c->cert_pem);
	fl_free(c->key_pem);
	for (size_t i = 0; i < c->n_users; i++) {
		fl_free(c->users[i]);
		fl_free(c->hashes[i]);
	}
	for (size_t i = 0; i < c->n_hdr; i++) {
		fl_free((void *)c->hdr_names[i]);
		fl_free((void *)c->hdr_values[i]);
	}
	pthread_mutex_destroy(&c->mu);
	fl_free(c);
}

const char *webconfig_cert_pem(const webconfig *c) { return c ? c->cert_pem : NULL; }
const char *webconfig_key_pem(const webconfig *c) { return c ? c->key_pem : NULL; }
bool webconfig_needs_auth(const webconfig *c) { return c && c->n_users > 0; }

size_t webconfig_headers(const webconfig *c, const char *const **names, const char *const **values)
{
	*names = c->hdr_names;
	*values = c->hdr_values;
	return c->n_hdr;
}

bool webconfig_check(webconfig *c, const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass);
	char *key = fl_malloc(ul + pl + 2);
	if (!key)
		return false;
	memcpy(key, user, ul + 1);
	memcpy(key + ul + 1, pass, pl + 1);
	uint64_t h = hash_xxh64(key, ul + pl + 2);
	fl_free(key);
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < WC_CACHE; i++)
		if (c->cache[i] == h && h) {
			pthread_mutex_unlock(&c->mu);
			return true;
		}
	pthread_mutex_unlock(&c->mu);
	const char *hash = NULL;
	for (size_t i = 0; i < c->n_users; i++)
		if (!strcmp(c->users[i], user))
			hash = c->hashes[i];
	if (!hash)
		return false;
	struct crypt_data *cd = fl_calloc(1, sizeof *cd);
	if (!cd)
		return false;
	const char *out = crypt_r(pass, hash, cd);
	bool ok = out && out[0] != '*' && !strcmp(out, hash);
	fl_free(cd);
	if (ok) {
		pthread_mutex_lock(&c->mu);
		c->cache[c->cache_next++ % WC_CACHE] = h;
		pthread_mutex_unlock(&c->mu);
	}
	return ok;
}
