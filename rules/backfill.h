/*
 * backfill.h - recording-rule backfill: promtool's `tsdb create-blocks-from
 * rules` (cmd/promtool/rules.go), evaluating each rule of some rule files
 * over a past range through a server's query_range and writing the results
 * as blocks.
 *
 * For every group and every rule (alerting rules too, as promtool 2.42 does:
 * their series are named after the alert), for every block-duration window
 * from the aligned start up to the end:
 *   - the first query time is the group's evaluation slot (its interval and
 *     hash offset, rules/group.h) at or after max(window start, start), in
 *     seconds; the last is min(window end, end), whole seconds; the step is
 *     the group's interval (--eval-interval when the group sets none);
 *   - each result series gets the rule's labels over the query's, then
 *     __name__ = the rule's name; its samples go to a fresh in-memory head
 *     (chunk range twice the window, committed every 5000 samples), which
 *     becomes one block [first sample, last sample + 1) unless empty.
 * A rule whose query fails stops at that window; the others go on, and the
 * whole run then reports "error importing rules".
 */
#ifndef FL_RULES_BACKFILL_H
#define FL_RULES_BACKFILL_H

#include <stdio.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

/* One range query: expr from start_ns to end_s (whole seconds) every
 * step_ms. Fills body with the answer and *status with the HTTP status;
 * returns 0, or an error (transport) in e. */
typedef int (*rules_backfill_query_fn)(void *ctx, const char *expr, int64_t start_ns, int64_t end_s,
				       int64_t step_ms, buf *body, long *status, err *e);

typedef struct rules_backfill_opts {
	const char *out_dir;      /* blocks go here (created if missing) */
	int64_t start_ms, end_ms; /* the range; start before end */
	int64_t eval_interval_ms; /* for groups without an interval */
	int64_t max_block_ms;     /* --max-block-duration, 0 = 2h */
	rules_backfill_query_fn query;
	void *query_ctx;
	FILE *log;                /* promtool's logfmt lines and per-rule errors (stderr), or NULL */
} rules_backfill_opts;

/* Load the files and backfill every rule. 0, or an error whose message is
 * promtool's ("rule importer parse error: FILE: ...", "error importing
 * rules" after each rule's error went to o->log). */
int rules_backfill(const rules_backfill_opts *o, const char *const *files, size_t n_files, err *e);

/* Decode a query_range answer (client_golang's rules: a non-2xx status
 * other than 400/422 is "server_error: server error: 500", a status
 * "error" body is "TYPE: MESSAGE"), calling fn for each series of the
 * matrix with its labels (borrowed for the call; "" values dropped) and
 * samples. fn returns 0 or an error that stops decoding. A result that is
 * not a matrix is FL_EUNSUPPORTED "rule result is wrong type vector". */
typedef int (*rules_backfill_series_fn)(void *ctx, labels ls, const int64_t *t, const double *v, size_t n,
					err *e);
int rules_backfill_decode(const char *body, size_t len, long status, rules_backfill_series_fn fn, void *ctx,
			  err *e);

#endif
