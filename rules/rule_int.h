/*
 * rule_int.h - what group.c and rule.c share: one rule's evaluation into a
 * vector of samples, and its notifications (rules/recording.go,
 * rules/alerting.go).
 */
#ifndef FL_RULES_RULE_INT_H
#define FL_RULES_RULE_INT_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "rules/group.h"

/* One output sample of a rule; labels in the evaluation's arena. */
typedef struct rule_sample {
	labels ls;
	int64_t t;
	double v;
} rule_sample;

typedef struct rule_vec {
	rule_sample *v;
	size_t n, cap;
} rule_vec;

/* What a rule's query produced, before the rule's state changes. */
typedef struct rule_pre {
	rule_vec out;         /* recording: the output samples */
	struct rule_alert *alerts; /* alerting: this evaluation's alerts (in the arena) */
	uint64_t *hashes;     /* alerting: their label hashes, sorted */
	size_t n_alerts;
} rule_pre;

/*
 * Evaluating r at ts_ms (queries at ts_ms - query_offset_ms) is two steps,
 * so that the group's mutex is not held while the query runs:
 *   rule__prepare (no lock: reads only r's definition): the query, and the
 *     output series (recording) or the alerts with their expanded labels
 *     and annotations (alerting);
 *   rule__apply (the caller holds the group mutex): alerting rules update
 *     their active alerts and give ALERTS/ALERTS_FOR_STATE; recording rules
 *     hand over their output.
 * Output samples live in a (the caller's arena for this evaluation). On
 * error both return a negative FL_E* with e set, Prometheus's wording.
 */
int rule__prepare(const rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_pre *p, err *e);
int rule__apply(rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_pre *p, rule_vec *out, err *e);
/* Both steps at once (the caller holds the group mutex). */
int rule__eval(rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_vec *out, err *e);
/* Hand the alerts that need sending to o->notify (sendAlerts). */
void rule__send_alerts(rule *r, const rule_group *g, int64_t ts_ms);
/* Run an instant query as rules do: a vector, or a scalar as one sample
 * with no labels; anything else is an error. Samples in a. */
int rule__query(const rules_opts *o, const char *q, int64_t t_ms, arena *a, rule_vec *out, err *e);
/* The same for an expression parsed at load. */
int rule__query_expr(const rules_opts *o, const struct promql_expr *x, int64_t t_ms, arena *a, rule_vec *out,
		     err *e);
void rule__free(rule *r);
/* Parse r's label and annotation templates once (alerting rules). */
int rule__parse_templates(rule *r);

/* Exposition helpers for the self-metrics (manager.c, notifier.c): a
 * sample value as client_golang writes it (Go's 'g', -1), and a label
 * value escaped (backslash, quote, newline). */
void rules__put_g(buf *b, double v);
void rules__put_label_value(buf *b, const char *s);
void rule__alerts_clear(rule *r);

#endif
