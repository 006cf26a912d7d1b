/*
 * group.h - rule groups and their rules as Prometheus evaluates them
 * (rules/group.go, rules/recording.go, rules/alerting.go).
 *
 * A group holds its rules in file order and evaluates them one after the
 * other at one evaluation timestamp; each rule's output is committed through
 * its own appender before the next rule runs, so later rules see earlier
 * results. Series a rule wrote at the previous evaluation and not at this
 * one get a stale marker. An alerting rule keeps its active alerts
 * (pending, firing, and resolved ones for 15 minutes) keyed by label set,
 * writes ALERTS and ALERTS_FOR_STATE once its state is restored, and hands
 * the alerts that need sending to the notify callback.
 *
 * The group's state (rules' health, errors, alerts, timings) is guarded by
 * the group's mutex: rule_group_eval takes it per rule only to apply a
 * result (never while a query runs or samples are appended), readers (the
 * HTTP API) take it through rule_group_lock. A rule's previous-series set
 * belongs to the one thread evaluating the group. The group's definition
 * fields never change after rule_group_new.
 */
#ifndef FL_RULES_GROUP_H
#define FL_RULES_GROUP_H

#include <pthread.h>
#include <stdatomic.h>

#include "promql/engine.h"
#include "rules/rulefile.h"
#include "tsdb/storage.h"

/* Prometheus's defaults (cmd/prometheus/main.go). */
#define RULES_OUTAGE_TOLERANCE_MS (60 * 60 * 1000)  /* --rules.alert.for-outage-tolerance 1h */
#define RULES_FOR_GRACE_PERIOD_MS (10 * 60 * 1000)  /* --rules.alert.for-grace-period 10m */
#define RULES_RESEND_DELAY_MS (60 * 1000)           /* --rules.alert.resend-delay 1m */
#define RULES_RESOLVED_RETENTION_MS (15 * 60 * 1000) /* rules/alerting.go resolvedRetention */

typedef enum rule_health { RULE_HEALTH_UNKNOWN, RULE_HEALTH_OK, RULE_HEALTH_ERR } rule_health;
const char *rule_health_name(rule_health h); /* "unknown", "ok", "err" */

typedef enum alert_state { ALERT_INACTIVE, ALERT_PENDING, ALERT_FIRING } alert_state;
const char *alert_state_name(alert_state s); /* "inactive", "pending", "firing" */

/* An alert as the notifier receives it (rules/manager.go SendAlerts). */
typedef struct rule_notify_alert {
	labels labels;        /* borrowed for the call */
	labels annotations;   /* borrowed for the call */
	int64_t starts_at_ms; /* FiredAt */
	int64_t ends_at_ms;   /* ResolvedAt, or ValidUntil while firing */
} rule_notify_alert;
/* expr is the rule's canonical expression (for generatorURL). */
typedef void (*rule_notify_fn)(void *ctx, const char *expr, const rule_notify_alert *a, size_t n);

/* What groups need from the server; borrowed for the groups' lifetime. */
typedef struct rules_opts {
	promql_engine *engine;            /* queries */
	queryable *queryable;             /* what queries read */
	appender *(*appender)(void *ctx); /* a new appender (commit/rollback frees it) */
	void *appender_ctx;
	labels external_labels;           /* $externalLabels */
	const char *external_url;         /* $externalURL */
	int64_t outage_tolerance_ms;      /* restore of `for` state */
	int64_t for_grace_period_ms;
	int64_t resend_delay_ms;
	rule_notify_fn notify;            /* or NULL */
	void *notify_ctx;
} rules_opts;
void rules_opts_default(rules_opts *o);

typedef struct rule_alert {
	labels labels;            /* alert labels (no __name__), owned (labels_dup) */
	labels annotations;       /* expanded, owned (labels_dup) */
	uint64_t hash;            /* labels_hash(labels) */
	alert_state state;
	double value;             /* last sample value */
	int64_t active_at_ms;     /* evaluation time it became pending */
	int64_t fired_at_ms;      /* 0 = never */
	int64_t resolved_at_ms;   /* 0 = not resolved */
	int64_t last_sent_at_ms;  /* 0 = never */
	int64_t valid_until_ms;
	int64_t keep_firing_since_ms; /* 0 = not keeping */
} rule_alert;

/* A series written at the previous evaluation (for stale markers). */
typedef struct rule_prev {
	uint64_t hash;
	labels ls; /* owned (labels_dup) */
} rule_prev;

typedef struct rule {
	/* definition (immutable) */
	bool alerting;            /* alerting rule, else recording */
	char *name;               /* record: or alert: */
	char *expr;               /* canonical PromQL (Prometheus's String()) */
	struct promql_expr *parsed; /* expr parsed once at load (never changed by evaluation), owned */
	int64_t for_ms;           /* alerting */
	int64_t keep_firing_for_ms; /* alerting */
	labels labels;            /* group labels merged under rule labels, owned */
	labels annotations;       /* owned */
	struct tmpl **label_tmpl; /* alerting: parsed labels.v[i] templates (NULL: no action, or unparsable), owned */
	struct tmpl **ann_tmpl;   /* alerting: parsed annotations.v[i] templates, owned */
	/* state (group mutex) */
	rule_health health;
	char *last_error;         /* or NULL, fl_malloc */
	double eval_seconds;      /* duration of the last evaluation */
	int64_t last_eval_ms;     /* wall clock at its start, 0 = never */
	rule_alert *active;       /* alerting: active alerts */
	size_t n_active, cap_active;
	bool restored;            /* alerting: ALERTS series written once true */
	rule_prev *prev;          /* sorted by hash: series of the previous evaluation */
	size_t n_prev;
} rule;

typedef struct rule_group {
	/* definition (immutable) */
	char *name;
	char *file;
	int64_t interval_ms;
	int64_t query_offset_ms;  /* effective */
	int64_t limit;            /* 0 = none */
	rule *rules;
	size_t n_rules;
	const rules_opts *opts;   /* borrowed */
	/* state */
	pthread_mutex_t mu;       /* guards rules' state and the group below */
	double eval_seconds;      /* last evaluation's duration */
	int64_t last_eval_ms;     /* wall clock at the start of the last evaluation, 0 = never */
	int64_t last_eval_ts_ms;  /* the last evaluation timestamp */
	bool should_restore;      /* restore `for` state after the second evaluation */
	int n_evals_done;         /* evaluations since creation (restore logic) */
	_Atomic uint64_t evals_total;    /* prometheus_rule_evaluations_total */
	_Atomic uint64_t failures_total; /* prometheus_rule_evaluation_failures_total */
	_Atomic uint64_t missed_total;   /* prometheus_rule_group_iterations_missed_total */
	_Atomic uint64_t iterations_total; /* prometheus_rule_group_iterations_total */
	int64_t samples_last;     /* prometheus_rule_group_last_evaluation_samples */
} rule_group;

/*
 * A group from its definition. default_interval_ms is the global
 * evaluation_interval, default_query_offset_ms the global
 * rule_query_offset. Expressions are parsed here (an error names the rule).
 * restored: whether alerting rules write ALERTS from the start (true for
 * groups added after the first load, as Prometheus's manager does).
 */
rule_group *rule_group_new(const rule_group_def *d, const char *file, int64_t default_interval_ms,
			   int64_t default_query_offset_ms, bool restored, const rules_opts *o, err *e);
void rule_group_free(rule_group *g);

/* Prometheus's group identity: file + ";" + name (GroupKey). */
bool rule_group_same(const rule_group *a, const rule_group *b);
/* Take over old's alert state and previous series for rules with the same
 * name and labels as in old (rules/group.go CopyState; the expression may
 * have changed). */
void rule_group_copy_state(rule_group *g, rule_group *old);

/* The evaluation timestamp (ms) of the slot at or before now_ns, shifted by
 * the group's hash as Prometheus's EvalTimestamp. */
int64_t rule_group_eval_timestamp(const rule_group *g, int64_t now_ns);
/* The same slot in ns (what promtool's backfill sends as a query start). */
int64_t rule_group_eval_timestamp_ns(const rule_group *g, int64_t now_ns);

/* Evaluate every rule at ts_ms (then queries run at ts_ms - query offset). */
void rule_group_eval(rule_group *g, int64_t ts_ms);
/* Restore `for` state from ALERTS_FOR_STATE at ts_ms (RestoreForState). */
void rule_group_restore(rule_group *g, int64_t ts_ms);
/* Write stale markers for every series the group wrote last (the group was
 * removed on reload), at ts_ms. */
void rule_group_mark_stale(rule_group *g, int64_t ts_ms);

static inline void rule_group_lock(rule_group *g) { pthread_mutex_lock(&g->mu); }
static inline void rule_group_unlock(rule_group *g) { pthread_mutex_unlock(&g->mu); }

/* Wall clock in ms / ns. */
int64_t rules_now_ms(void);
int64_t rules_now_ns(void);

#endif
