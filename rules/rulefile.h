/*
 * rulefile.h - rule files (Prometheus model/rulefmt): load, validate.
 *
 *   groups:
 *   - name, interval, query_offset, limit, labels
 *     rules:
 *     - record | alert, expr, for, keep_firing_for, labels, annotations
 *
 * Validation is rulefmt's (strict YAML keys, one of record/alert, a valid
 * metric name for record, PromQL that parses, templates that parse, no
 * duplicate group names, no for/annotations/keep_firing_for on recording
 * rules, ...), with errors naming file, line and field in promtool's
 * wording where it has one. Everything lives in the file's arena.
 */
#ifndef FL_RULES_RULEFILE_H
#define FL_RULES_RULEFILE_H

#include "lib/arena.h"
#include "lib/err.h"
#include "tsdb/labels.h"

typedef struct rule_def {
	const char *record;        /* recording rule: the metric name, or NULL */
	const char *alert;         /* alerting rule: the alert name, or NULL */
	const char *expr;          /* as written */
	int64_t for_ms;            /* alerting only */
	int64_t keep_firing_for_ms; /* alerting only */
	labels labels;             /* sorted; values as written: templates (alerting), maybe "" (Prometheus then drops the label) */
	labels annotations;        /* sorted; templates */
	int line;                  /* of the rule in the file */
	int expr_line;             /* of its expr */
	int expr_col;              /* of its expr (0 with expr_line 0: no expr) */
	int record_line, record_col; /* of the record value, 0 when absent */
	int alert_line, alert_col; /* of the alert value, 0 when absent */
} rule_def;

typedef struct rule_group_def {
	const char *name;
	int64_t interval_ms;       /* 0 = the global evaluation_interval */
	int64_t query_offset_ms;   /* -1 = not set (the global rule_query_offset applies), else the group's (0 included) */
	int64_t limit;             /* 0 = none */
	labels labels;             /* group labels (3.x) added to every rule's output; a rule's own labels win */
	rule_def *rules;
	size_t n_rules;
	int line;
	int col;                   /* of the group's mapping */
} rule_group_def;

typedef struct rule_file {
	const char *path;
	rule_group_def *groups;
	size_t n_groups;
	arena arena;               /* owns everything above */
} rule_file;

/* Parse and validate YAML text; path is used in messages. On failure NULL,
 * with every error found in errs (promtool prints them all) and the first in e.
 * Each message is one of promtool's error lines (it may hold newlines:
 * "yaml: unmarshal errors:\n  line 3: ..."), prefixed "PATH: " as
 * rulefmt.ParseFile does; path NULL (standard input, rulefmt.Parse) gives
 * no prefix. errs may be NULL; a non-NULL errs is appended to. */
typedef struct rule_errors {
	char **msgs;
	size_t n;
} rule_errors;
rule_file *rule_file_parse(const char *text, size_t len, const char *path, rule_errors *errs, err *e);
rule_file *rule_file_load(const char *path, rule_errors *errs, err *e);
/* The same, with promtool's --ignore-unknown-fields (lax YAML keys). */
rule_file *rule_file_parse_opts(const char *text, size_t len, const char *path, bool ignore_unknown_fields,
				rule_errors *errs, err *e);
rule_file *rule_file_load_opts(const char *path, bool ignore_unknown_fields, rule_errors *errs, err *e);
/* Rules in all groups. */
size_t rule_file_n_rules(const rule_file *f);
void rule_file_free(rule_file *f);
void rule_errors_free(rule_errors *errs);

#endif
