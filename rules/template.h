/*
 * template.h - Go's text/template language as Prometheus uses it in rule
 * labels and annotations (template/template.go): {{ }} actions, pipelines,
 * variables ($labels, $value, $externalLabels, $externalURL, and `$x :=`),
 * if/else/range/with/define/template/block, comparison and logic builtins
 * (eq ne lt le gt ge and or not len index print printf println html js
 * urlquery), whitespace trimming {{- -}}, and Prometheus's functions
 * (query, first, label, value, strvalue, sortByLabel, humanize*,
 * title, toUpper, toLower, reReplaceAll, match, graphLink, tableLink,
 * stripPort, stripDomain, parseDuration, toTime, toDuration, now, pathPrefix,
 * externalURL, args, safeHtml, ...).
 *
 * Execution is bounded: a step budget, a nesting limit and an output cap;
 * exceeding one is an error, never a hang.
 */
#ifndef FL_RULES_TEMPLATE_H
#define FL_RULES_TEMPLATE_H

#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

typedef struct tmpl tmpl;

/* One sample of a query result as templates see it ({Labels, Value}). */
typedef struct tmpl_sample {
	labels labels;
	double value;
} tmpl_sample;

/* The `query` function: run an instant PromQL query at the evaluation time;
 * results (in the template's arena) are a vector or a scalar as one sample
 * with no labels. 0 or an error. */
typedef int (*tmpl_query_fn)(void *ctx, const char *q, int64_t t_ms, tmpl_sample **out, size_t *n, err *e);

typedef struct tmpl_data {
	labels labels;           /* $labels (alert's labels) */
	double value;            /* $value */
	labels external_labels;  /* $externalLabels */
	const char *external_url; /* $externalURL */
	int64_t t_ms;            /* evaluation time (query, now) */
	tmpl_query_fn query;     /* or NULL (query then errors) */
	void *query_ctx;
} tmpl_data;

/* Parse src as Prometheus does, with the "__alert_"+name template name in
 * messages (Go's "template: NAME:LINE: ..." wording). NULL with e set.
 * name is the alert's name (the "__alert_" prefix is added here), src the
 * label or annotation text as written; Prometheus's preamble
 * "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
 * {{$externalURL := .ExternalURL}}{{$value := .Value}}" is prepended here
 * too (so error columns on line 1 count it, as Prometheus's do). The
 * tree is read-only afterwards: one tmpl may run on several threads. */
tmpl *tmpl_parse(const char *name, const char *src, err *e);
void tmpl_free(tmpl *t);
/* Expand into out (appended). Errors as Prometheus words them ("error
 * executing template NAME: ..."; FL_EEXEC, FL_ENOMEM); out is then left
 * as it was. The caller (alerting rules) logs and uses the error text as
 * the value, as Prometheus does. Bounded: 1,000,000 steps, 100 nested
 * {{template}} calls, 1 MiB of output. */
int tmpl_exec(const tmpl *t, const tmpl_data *d, buf *out, err *e);
/* Parse, run and free: Prometheus's Expander.Expand (a parse error reads
 * "error parsing template __alert_NAME: template: ..."). */
int tmpl_expand(const char *name, const char *src, const tmpl_data *d, buf *out, err *e);

#endif
