/*
 * manager.h - the rule manager (Prometheus rules/manager.go): loads the
 * config's rule_files, keeps the groups, evaluates each at its interval on
 * one thread, swaps groups on reload keeping the state of unchanged rules,
 * and exposes the groups to the HTTP API and the self-metrics.
 */
#ifndef FL_RULES_MANAGER_H
#define FL_RULES_MANAGER_H

#include "lib/buf.h"
#include "rules/group.h"

typedef struct rules_manager rules_manager;

/* o is copied (its external_labels and external_url are replaced at each
 * update); the engine, queryable and callbacks are borrowed until free. */
rules_manager *rules_manager_new(const rules_opts *o, err *e);
/* Stop the thread (the groups stay readable). Safe twice. */
void rules_manager_stop(rules_manager *m);
void rules_manager_free(rules_manager *m);

/* What a config gives the rules. */
typedef struct rules_config {
	const char *const *files;      /* rule_files globs (already resolved against the config's directory) */
	size_t n_files;
	int64_t interval_ms;           /* global evaluation_interval */
	int64_t query_offset_ms;       /* global rule_query_offset */
	labels external_labels;
	const char *external_url;      /* --web.external-url (or NULL) */
} rules_config;

/*
 * Load every file the globs match and replace the groups. On any error
 * (a file that does not parse, an expression that does not) nothing changes
 * and e names the file and line ("rules/x.yml:3:5: ..."), as Prometheus
 * fails the reload. Groups that persist keep their rules' state; groups
 * removed get stale markers for their series. Starts the thread on the
 * first call.
 */
int rules_manager_update(rules_manager *m, const rules_config *c, err *e);

/* Readers: the groups sorted by file, then name (Prometheus's
 * Manager.RuleGroups order). Hold the lock while
 * using them (and each group's own lock for its state). */
void rules_manager_lock(rules_manager *m);
void rules_manager_unlock(rules_manager *m);
rule_group *const *rules_manager_groups(rules_manager *m, size_t *n);

/* Prometheus's prometheus_rule_* metrics in exposition text. */
void rules_manager_metrics(rules_manager *m, buf *b);

/* Evaluate every group once at ts_ms, in order, on the caller's thread (tests). */
void rules_manager_eval_all(rules_manager *m, int64_t ts_ms);

#endif
