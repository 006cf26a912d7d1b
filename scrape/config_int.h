/*
 * config_int.h - what the files of the prometheus.yml loader share
 * (config.c: the walker, global, scrape_configs, the top level;
 * config_http.c: HTTP client blocks, relabel configs, discovery blocks,
 * alerting; config_remote.c: remote write/read; config_print.c: the YAML
 * printer). Not a public header: the SQLite btreeInt.h pattern.
 */
#ifndef FL_SCRAPE_CONFIG_INT_H
#define FL_SCRAPE_CONFIG_INT_H

#include <yaml.h>

#include "scrape/config.h"

typedef struct cfgp {
	yaml_document_t *doc; /* parsed document */
	scrape_config *c;     /* being filled (its arena holds everything) */
	const char *file;     /* for messages */
	const char *dir;      /* the file's directory: relative paths are joined to it (Prometheus's SetDirectory) */
	err *e;               /* first error */
	bool failed;          /* an error was set */
} cfgp;

/* Iterate a mapping: fn(p, ctx, key, key node, value node, path "a.b.key") per pair. */
typedef void (*config__map_fn)(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path);

int config__line(yaml_node_t *n);
void config__fail(cfgp *p, yaml_node_t *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
yaml_node_t *config__node(cfgp *p, int id);
bool config__is_null(yaml_node_t *n);
/* Scalars converted into the arena (NULL and an error when not a scalar). */
const char *config__scalar(cfgp *p, yaml_node_t *n, const char *path);
void config__duration(cfgp *p, yaml_node_t *n, const char *path, int64_t *ms);
void config__boolean(cfgp *p, yaml_node_t *n, const char *path, bool *b);
void config__uint(cfgp *p, yaml_node_t *n, const char *path, int64_t *v);
/* A path joined to the file's directory unless absolute or empty. */
const char *config__path(cfgp *p, const char *s);
/* known: NULL-terminated key list; type: Go type name for messages. */
void config__walk_map(cfgp *p, yaml_node_t *n, const char *path, const char *type, const char *const *known,
		      config__map_fn fn, void *ctx);
size_t config__seq_len(cfgp *p, yaml_node_t *n, const char *path);
yaml_node_t *config__seq_at(cfgp *p, yaml_node_t *n, size_t i);
const char **config__string_list(cfgp *p, yaml_node_t *n, const char *path, size_t *count);
labels config__label_map(cfgp *p, yaml_node_t *n, const char *path, labels *as_written);

/* config_http.c */
/* An HTTP client key of a job, an SD block, an alertmanager or a remote
 * endpoint: true if key was one (handled, maybe failed). */
bool config__http_field(cfgp *p, scrape_http_client *h, const char *key, yaml_node_t *v, const char *path);
extern const char *const config__http_keys[]; /* NULL-terminated, for the key lists */
void config__http_defaults(scrape_http_client *h);
/* Prometheus's HTTPClientConfig.Validate, at node n. */
void config__http_validate(cfgp *p, scrape_http_client *h, yaml_node_t *n, const char *path);
/* A list of relabel configs, compiled. */
relabel_config *config__relabel_list(cfgp *p, yaml_node_t *v, const char *path, size_t *count);
/* A *_sd_configs / static_configs key: true if it was one (a discovery
 * mechanism flint lacks is an error naming it). */
extern const char *const config__sd_keys[]; /* NULL-terminated */
bool config__sd_field(cfgp *p, scrape_sd_configs *sd, const char *key, yaml_node_t *v, const char *path);
/* Prometheus's checkStaticTargets: no "/" in a static target. */
void config__check_static_targets(cfgp *p, const scrape_sd_configs *sd, yaml_node_t *n, const char *path);
void config__parse_alerting(cfgp *p, yaml_node_t *v, const char *path);
/* A header name Prometheus refuses in headers blocks (it sets it itself). */
bool config__reserved_header(const char *n);

/* config_remote.c */
scrape_remote_config *config__parse_remotes(cfgp *p, yaml_node_t *v, const char *what, size_t *count);

#endif
