/*
 * flinttool_tsdb_dump.c - `flinttool tsdb dump` and `tsdb dump-openmetrics`,
 * promtool 3.x's dumpTSDBData with its three formatters
 * (cmd/promtool/tsdb.go):
 *
 *   tsdb dump [--min-time=MS] [--max-time=MS] [--match=SELECTOR]...
 *             [--format=prom|seriesjson] [DIR]
 *   tsdb dump-openmetrics [--min-time=MS] [--max-time=MS] [--match=SELECTOR]... [DIR]
 *
 * Opens DIR read-only (no lock, no WAL writes, no repair on disk: promtool's
 * sandbox directory is not needed), replays its WAL, selects the series of
 * every --match over [min, max] and prints them in label order, a series
 * matched by several selectors once (storage.NewMergeSeriesSet). Formats:
 *
 *   prom         {__name__="x", a="b"} VALUE TIMESTAMP_MS       per sample
 *   seriesjson   {"__name__":"x","a":"b"}                       per series
 *   openmetrics  x{a="b"} VALUE TIMESTAMP_SECONDS(%.3f)         per sample,
 *                then "# EOF"
 *
 * Label values are quoted as Go's strconv.Quote; VALUE is Go's %g (a stale
 * marker prints "NaN", in OpenMetrics too, as promtool's formatter does).
 * Defaults: all time, every series ({__name__=~"(?s:.*)"}).
 */
#include "cmd/flinttool_tsdb.h"
#include "lib/fmtfloat.h"
#include "lib/json.h"
#include "lib/log.h"
#include "promql/ast.h"
#include "tsdb/db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One --match: its matchers, its querier and series set. */
typedef struct dump_sel {
	matcher *ms;     /* parsed selector (arena) */
	size_t n_ms;     /* count */
	querier *q;      /* one per selector */
	series_set *ss;  /* its series, sorted */
	bool more;       /* ss is on a series */
} dump_sel;

static void flush_if_big(buf *out)
{
	if (out->len > (1 << 16)) {
		fwrite(out->p, 1, out->len, stdout);
		buf_clear(out);
	}
}

/* `{a="b",c="d"}` of ls without __name__ (promtool's CondensedString). */
static void condensed(buf *b, labels ls)
{
	buf_put_byte(b, '{');
	bool first = true;
	for (size_t i = 0; i < ls.n; i++) {
		if (!strcmp(ls.v[i].name, LABEL_NAME))
			continue;
		if (!first)
			buf_put_byte(b, ',');
		first = false;
		buf_put_str(b, ls.v[i].name);
		buf_put_byte(b, '=');
		fmt_go_quote(b, ls.v[i].value, strlen(ls.v[i].value));
	}
	buf_put_byte(b, '}');
}

/* The series prefix of each sample line (prom, openmetrics) into lb. */
static void series_prefix(buf *lb, labels ls, tsdb_dump_format f)
{
	buf_clear(lb);
	if (f == TSDB_DUMP_PROM) {
		labels_format(lb, ls); /* Go-quoted, as labels.String() */
		return;
	}
	const char *name = labels_get(ls, LABEL_NAME);
	buf_put_str(lb, name ? name : "");
	condensed(lb, ls);
}

/* Print the current series of ss; returns 0 or the iterator's error. */
static int dump_series(series_set *ss, tsdb_dump_format f, sample_iter **it, buf *out, buf *lb, err *e)
{
	labels ls = series_set_labels(ss);
	if (f == TSDB_DUMP_SERIESJSON) {
		buf_put_byte(out, '{');
		for (size_t i = 0; i < ls.n; i++) {
			if (i)
				buf_put_byte(out, ',');
			json_put_string(out, ls.v[i].name, strlen(ls.v[i].name));
			buf_put_byte(out, ':');
			json_put_string(out, ls.v[i].value, strlen(ls.v[i].value));
		}
		buf_put_str(out, "}\n");
		flush_if_big(out);
		return 0;
	}
	series_prefix(lb, ls, f);
	*it = series_set_iter(ss, *it);
	if (!*it)
		return err_set(e, FL_ENOMEM, "dump: no sample iterator");
	while (sample_iter_next(*it) == VAL_FLOAT) {
		int64_t t;
		double v;
		char num[FMT_FLOAT_MAX];
		sample_iter_at(*it, &t, &v);
		fmt_go_g(num, v);
		buf_put(out, lb->p, lb->len);
		if (f == TSDB_DUMP_PROM)
			buf_printf(out, " %s %" PRId64 "\n", num, t);
		else
			buf_printf(out, " %s %.3f\n", num, (double)t / 1000);
		flush_if_big(out);
	}
	return sample_iter_err(*it, e);
}

/* Merge the selectors' sorted series sets: each series once, in label
 * order. 0 or an error code with e set. */
static int dump_merged(dump_sel *s, size_t n, tsdb_dump_format f, err *e)
{
	sample_iter *it = NULL;
	buf out, lb;
	buf_init(&out);
	buf_init(&lb);
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		s[i].more = series_set_next(s[i].ss);
	for (;;) {
		size_t min = n;
		for (size_t i = 0; i < n; i++)
			if (s[i].more && (min == n || labels_compare(series_set_labels(s[i].ss), series_set_labels(s[min].ss)) < 0))
				min = i;
		if (min == n || rc)
			break;
		rc = dump_series(s[min].ss, f, &it, &out, &lb, e);
		labels cur = series_set_labels(s[min].ss);
		for (size_t i = 0; i < n; i++) /* the same series in other sets: skipped */
			if (i != min && s[i].more && labels_equal(series_set_labels(s[i].ss), cur))
				s[i].more = series_set_next(s[i].ss);
		s[min].more = series_set_next(s[min].ss);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = series_set_err(s[i].ss, e);
	if (rc == 0 && f == TSDB_DUMP_OPENMETRICS)
		buf_put_str(&out, "# EOF\n");
	if (rc == 0 && (out.oom || lb.oom))
		rc = err_set(e, FL_ENOMEM, "dump: out of memory");
	fwrite(out.p, 1, out.len, stdout);
	fflush(stdout);
	sample_iter_close(it);
	buf_reset(&out);
	buf_reset(&lb);
	return rc;
}

/* Parse the selectors and open a querier and series set for each. */
static int dump_select(db *d, const tsdb_dump_opts *o, dump_sel *s, arena *a, err *e)
{
	for (size_t i = 0; i < o->n_matches; i++) {
		int rc = promql_parse_selector(o->matches[i], a, &s[i].ms, &s[i].n_ms, e);
		if (rc)
			return rc;
	}
	select_hints h = {.start_ms = o->mint, .end_ms = o->maxt};
	for (size_t i = 0; i < o->n_matches; i++) {
		s[i].q = queryable_querier(db_queryable(d), o->mint, o->maxt, e);
		if (!s[i].q)
			return e->code ? e->code : FL_EIO;
		s[i].ss = querier_select(s[i].q, true, &h, s[i].ms, s[i].n_ms);
		if (!s[i].ss)
			return err_set(e, FL_ENOMEM, "dump: out of memory");
	}
	return 0;
}

int flinttool_tsdb_dump(const tsdb_dump_opts *o)
{
	struct stat st;
	if (stat(o->dir, &st) != 0) {
		fprintf(stderr, "opening the db dir: stat %s: %s\n", o->dir, flinttool_go_strerror(errno));
		return 1;
	}
	err e;
	err_clear(&e);
	db_opts dopts;
	db_opts_default(&dopts);
	dopts.read_only = true;
	log_set_level(LOG_WARN);
	db *d = db_open(o->dir, &dopts, &e);
	if (!d) {
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : "open db: failed");
		return 1;
	}
	arena a;
	arena_init(&a);
	dump_sel *s = fl_calloc(o->n_matches + 1, sizeof *s);
	int rc = s ? dump_select(d, o, s, &a, &e) : err_set(&e, FL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = dump_merged(s, o->n_matches, o->format, &e);
	for (size_t i = 0; s && i < o->n_matches; i++) {
		series_set_close(s[i].ss);
		if (s[i].q)
			querier_close(s[i].q);
		for (size_t k = 0; k < s[i].n_ms; k++)
			matcher_reset(&s[i].ms[k]);
	}
	fl_free(s);
	arena_reset(&a);
	db_close(d);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : fl_strerror(rc));
		return 1;
	}
	return 0;
}
