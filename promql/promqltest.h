/*
 * promqltest.h - the PromQL test-script runner (Prometheus
 * promql/promqltest/test.go): runs upstream `.test` scripts unchanged on a
 * bare head (tsdb/head.h) through the engine.
 *
 * Script language (promql/promqltest/README.md): `load <interval>` blocks of
 * `series points` in the expanding notation (`1+2x3`, `_`, `_x3`, `stale`),
 * `clear`, `eval instant at <t> <expr>` / `eval range from <a> to <b> step
 * <s> <expr>` followed by `expect ...` lines and expected series; blank or
 * comment lines end a block. Values match within a relative 1e-6; NaN
 * equals NaN.
 *
 * Each eval counts once: passed, failed, or known (its `file:line` is on the
 * known-failures list). A known entry that passes is reported so the list
 * only shrinks.
 */
#ifndef FL_PROMQLTEST_H
#define FL_PROMQLTEST_H

#include <stdio.h>

#include "lib/arena.h"
#include "lib/err.h"
#include "lib/fl.h"
#include "tsdb/labels.h"

/* Checked-in list of expected failures: "file.test:123 reason" lines. */
typedef struct promqltest_known {
	char **keys;   /* "file.test:123" */
	char **reason; /* the reason text */
	bool *hit;     /* seen while running */
	size_t n;
} promqltest_known;

int promqltest_known_load(promqltest_known *k, const char *path, err *e);
void promqltest_known_free(promqltest_known *k);

typedef struct promqltest_stats {
	int passed;       /* evals that passed (incl. known ones that now pass) */
	int failed;       /* unexpected failures */
	int known;        /* failures on the known list */
	int known_passed; /* known entries that passed */
} promqltest_stats;

/*
 * Run one script file. Failures and known-now-passing entries are printed
 * to out as `file:line: query: reason`. k may be NULL. Returns 0, or a
 * negative FL_E* when the file cannot be read or parsed (e set).
 */
int promqltest_run_file(const char *path, const promqltest_known *k, FILE *out, promqltest_stats *st, err *e);

/* Run a script held in memory (name is used in messages). */
int promqltest_run_string(const char *name, const char *text, const promqltest_known *k, FILE *out,
			  promqltest_stats *st, err *e);

/*
 * The load notation, for other runners (promtool's rule unit tests):
 * a series selector `name{a="b"}` (labels in a's memory; returns false when
 * it does not parse or text follows it), and a values string (`1+2x3 _
 * stale 5x2`) expanded into v[i] with missing[i] for `_` (fl_malloc'd, free
 * both; false when it does not parse; histograms are not expanded).
 */
bool promqltest_parse_series(const char *text, arena *a, labels *out);
bool promqltest_parse_values(const char *text, double **v, bool **missing, size_t *n);

#endif
