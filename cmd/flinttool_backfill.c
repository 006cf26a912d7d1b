/*
 * flinttool_backfill.c - `flinttool tsdb create-blocks-from openmetrics`,
 * promtool 2.42's backfill (cmd/promtool/backfill.go, tsdb/blockwriter.go):
 *
 *   flinttool tsdb create-blocks-from openmetrics [-r|--human-readable]
 *       [-q|--quiet] [--max-block-duration=DURATION] <input file> [<output directory>]
 *
 * (flags in cmd/flinttool_tsdb.c's table; output defaults to data/, the
 * duration is Go's, "6h", "90m"). As promtool does:
 *  1. One pass over the input finds the min and max timestamps; every
 *     sample needs one, and the input must end with "# EOF".
 *  2. The block duration is 2h, or with --max-block-duration above 2h the
 *     largest of Prometheus's ranges 2h, 6h, 18h, ... (x3) not above it.
 *  3. For each duration-aligned window from the aligned min: a fresh
 *     in-memory head with chunk range 2x the duration (so its
 *     out-of-bounds window never rejects a sample of the window) takes the
 *     window's samples in input order, committing every 5000; then its
 *     chunks become one level-1 block with minTime = first sample and
 *     maxTime = last sample + 1 (block_write_head). Empty windows make no
 *     block.
 * The head cuts chunks as Prometheus's does, so the blocks' index, chunks
 * and tombstones are byte-identical to promtool's (checked by
 * tests/conformance/backfill.sh).
 *
 * After each block it prints promtool's table row (header first), unless
 * --quiet. Errors print promtool's message on stderr and exit 1.
 */
#include "cmd/flinttool.h"
#include "cmd/flinttool_tsdb.h"
#include "lib/buf.h"
#include "lib/timeparse.h"
#include "scrape/textparse.h"
#include "tsdb/block.h"
#include "tsdb/head.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#define BLOCK_DURATION_MS (2 * 3600 * 1000LL) /* tsdb.DefaultBlockDuration */
#define MAX_SAMPLES_IN_APPENDER 5000         /* promtool's maxSamplesInAppender */

typedef struct bf_args {
	const char *input;    /* OpenMetrics file */
	const char *out;      /* output directory */
	bool human;           /* -r */
	bool quiet;           /* -q */
	int64_t max_block_ms; /* --max-block-duration, 0 = default */
	bool header_done;     /* the table header was printed */
	label *custom;        /* --label NAME=VALUE (3.x), set on every series (names owned) */
	size_t n_custom;      /* count */
} bf_args;

/* promtool's getCompatibleBlockDuration. */
static int64_t block_duration(int64_t max_ms)
{
	int64_t d = BLOCK_DURATION_MS;
	if (max_ms > BLOCK_DURATION_MS) {
		int64_t r = BLOCK_DURATION_MS, best = r;
		for (int i = 0; i < 10; i++, r *= 3) { /* ExponentialBlockRanges(2h, 10, 3) */
			if (r > max_ms)
				break;
			best = r;
		}
		d = best;
	}
	return d;
}

/* Pass 1: min and max timestamps (promtool's getMinAndMaxTimestamps). */
static int min_max(const char *text, size_t len, int64_t *mint, int64_t *maxt, err *e)
{
	*mint = INT64_MAX;
	*maxt = INT64_MIN;
	textparse *p = textparse_new(TEXTPARSE_OM, text, len, TEXTPARSE_V2);
	if (!p)
		return err_set(e, FL_ENOMEM, "out of memory");
	textparse_entry k;
	int rc;
	while ((rc = textparse_next(p, &k, e)) == 1) {
		if (k != TEXTPARSE_SERIES)
			continue;
		double v;
		bool has_ts;
		int64_t ts;
		textparse_sample(p, &v, &has_ts, &ts);
		if (!has_ts) {
			rc = err_set(e, FL_EPARSE, "expected timestamp for series got none");
			break;
		}
		*mint = FL_MIN(*mint, ts);
		*maxt = FL_MAX(*maxt, ts);
	}
	if (rc < 0 && e->code == FL_EPARSE && strncmp(e->msg, "expected timestamp", 18))
		err_wrap(e, "next");
	textparse_free(p);
	if (*maxt == INT64_MIN)
		*maxt = 0;
	if (*mint == INT64_MAX)
		*mint = 0;
	return rc < 0 ? rc : 0;
}

/* Append the samples of [t0, t1) to h, committing every 5000. */
static int fill_head(const bf_args *a, head *h, const char *text, size_t len, int64_t t0, int64_t t1, err *e)
{
	labels_builder lb;
	labels_builder_init(&lb);
	textparse *p = textparse_new(TEXTPARSE_OM, text, len, TEXTPARSE_V2);
	if (!p)
		return err_set(e, FL_ENOMEM, "out of memory");
	appender *app = head_appender(h);
	size_t n = 0;
	textparse_entry k;
	int rc = app ? 0 : err_set(e, FL_ENOMEM, "out of memory");
	while (rc == 0 && (rc = textparse_next(p, &k, e)) == 1) {
		rc = 0;
		if (k != TEXTPARSE_SERIES)
			continue;
		double v;
		bool has_ts;
		int64_t ts;
		textparse_sample(p, &v, &has_ts, &ts);
		if (!has_ts) {
			labels ls = textparse_labels(p, e);
			buf b;
			buf_init(&b);
			labels_format(&b, ls);
			rc = err_set(e, FL_EPARSE, "expected timestamp for series %s, got none", buf_cstr(&b));
			buf_reset(&b);
			break;
		}
		if (ts < t0 || ts >= t1)
			continue;
		labels ls = textparse_labels(p, e);
		if (!ls.v) {
			rc = e->code ? e->code : FL_ENOMEM;
			break;
		}
		for (size_t i = 1; i < ls.n && rc == 0; i++)
			if (!strcmp(ls.v[i - 1].name, ls.v[i].name))
				rc = err_set(e, FL_EINVAL, "add sample: label name \"%s\" is not unique: invalid sample",
					     ls.v[i].name);
		if (rc)
			break;
		if (a->n_custom) { /* 3.x's --label: set (an empty value deletes) */
			labels_builder_reset(&lb, ls);
			for (size_t i = 0; i < a->n_custom; i++)
				labels_builder_set(&lb, a->custom[i].name, a->custom[i].value);
			ls = labels_builder_labels(&lb);
			if (lb.oom) {
				rc = err_set(e, FL_ENOMEM, "out of memory");
				break;
			}
		}
		series_ref ref;
		rc = appender_append(app, 0, ls, ts, v, &ref, e);
		if (rc) {
			err_wrap(e, "add sample");
			break;
		}
		if (++n < MAX_SAMPLES_IN_APPENDER)
			continue;
		rc = appender_commit(app, e);
		app = rc ? NULL : head_appender(h);
		if (rc == 0 && !app)
			rc = err_set(e, FL_ENOMEM, "out of memory");
		n = 0;
	}
	if (rc < 0 && app)
		appender_rollback(app);
	else if (app)
		rc = appender_commit(app, e);
	textparse_free(p);
	labels_builder_free(&lb);
	return rc;
}

/* promtool's printBlocks for one new block: its own tabwriter, the
 * header before the first. */
static void print_block(bf_args *a, const block_meta *m)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/%s", a->out, m->ulid);
	const char *dirs[1] = {dir};
	flinttool_print_blocks(m, dirs, 1, !a->header_done, a->human);
	a->header_done = true;
}

static int create_blocks(bf_args *a, const char *text, size_t len, int64_t mint, int64_t maxt, err *e)
{
	int64_t bd = block_duration(a->max_block_ms);
	mint = bd * (mint / bd); /* Go's division truncates toward zero, as C's */
	int rc = 0;
	for (int64_t t = mint; t <= maxt && rc == 0; t += bd) {
		head_opts ho = {.chunk_range_ms = 2 * bd, .n_stripes = 1024};
		head *h = head_open(&ho, e);
		if (!h)
			return e->code ? e->code : FL_ENOMEM;
		rc = fill_head(a, h, text, len, t, t + bd, e);
		head_stats st;
		head_get_stats(h, &st);
		block_meta m;
		if (rc == 0 && st.max_time >= st.min_time) {
			rc = block_write_head(h, a->out, st.min_time, st.max_time + 1, &m, e);
			if (rc == FL_ENOTFOUND)
				rc = 0;
			else if (rc == 0 && !a->quiet)
				print_block(a, &m);
			else if (rc)
				err_wrap(e, "flush");
		}
		if (rc)
			err_wrap(e, "process blocks");
		head_close(h);
	}
	return rc;
}

/* --label NAME=VALUE... into a->custom (kingpin's StringMap). */
static int custom_labels(const cli_ctx *c, bf_args *a)
{
	size_t n;
	const char *const *kv = cli_strs(c, "label", &n);
	a->custom = n ? fl_calloc(n, sizeof *a->custom) : NULL;
	if (n && !a->custom)
		return fprintf(stderr, "out of memory\n"), 1;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char *name = eq ? fl_malloc((size_t)(eq - kv[i]) + 1) : NULL;
		if (!name) {
			for (size_t k = 0; k < a->n_custom; k++)
				fl_free((char *)a->custom[k].name);
			fl_free(a->custom);
			return eq ? (fprintf(stderr, "out of memory\n"), 1) : cli_usage_error("expected KEY=VALUE got '%s'", kv[i]);
		}
		memcpy(name, kv[i], (size_t)(eq - kv[i]));
		name[eq - kv[i]] = 0;
		a->custom[a->n_custom++] = (label){name, eq + 1};
	}
	return 0;
}

static int backfill(bf_args *a);

int flinttool_backfill(const cli_ctx *c)
{
	bf_args a = {
		.input = cli_arg_value(c, "input file"),
		.out = cli_arg_value(c, "output directory"),
		.human = cli_bool(c, "human-readable"),
		.quiet = cli_bool(c, "quiet"),
	};
	if (!a.out)
		a.out = TSDB_DEFAULT_DB_PATH;
	const char *d = cli_str(c, "max-block-duration");
	int64_t ns = 0;
	if (d && !flinttool_go_parse_duration(d, &ns))
		return cli_usage_error("time: invalid duration \"%s\"", d);
	a.max_block_ms = ns / 1000000;
	if (custom_labels(c, &a))
		return 1;
	int rc = backfill(&a);
	for (size_t i = 0; i < a.n_custom; i++)
		fl_free((char *)a.custom[i].name);
	fl_free(a.custom);
	return rc;
}

/* Read the input, make the blocks, print them. The exit status. */
static int backfill(bf_args *a)
{
	err e;
	err_clear(&e);
	buf in;
	buf_init(&in);
	int rc = buf_read_file(&in, a->input, &e);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		buf_reset(&in);
		return 1;
	}
	if (mkdir(a->out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkdir %s: %s\n", a->out, strerror(errno));
		buf_reset(&in);
		return 1;
	}
	int64_t mint, maxt;
	rc = min_max((const char *)in.p, in.len, &mint, &maxt, &e);
	if (rc)
		err_wrap(&e, "getting min and max timestamp");
	else if ((rc = create_blocks(a, (const char *)in.p, in.len, mint, maxt, &e)) != 0)
		err_wrap(&e, "block creation");
	fflush(stdout);
	buf_reset(&in);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : fl_strerror(rc));
		return 1;
	}
	return 0;
}
