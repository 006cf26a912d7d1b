/*
 * flinttool_tsdb.c - `flinttool tsdb dump`, promtool's `tsdb dump`
 * (cmd/promtool/tsdb.go dumpSamples).
 *
 *   flinttool tsdb dump [--min-time=MS] [--max-time=MS] [--match=SELECTOR] [DIR]
 *
 * (DIR defaults to data/, as promtool's.)
 * Opens DIR read-only (no lock, no WAL writes, no repair on disk), replays
 * its WAL, and prints every sample of the matching series in [min, max]:
 *
 *   {__name__="x", a="b"} VALUE TIMESTAMP_MS
 *
 * one line per sample, series in label order, labels sorted by name and
 * joined by ", ", values quoted as Go's strconv.Quote, VALUE as Go's %g
 * (stale markers print "NaN"). Defaults: all time, all series
 * ({__name__=~"(?s:.*)"}). Bad usage and unreadable directories print
 * "flinttool: error: ..." on stderr and exit 1, as promtool (kingpin) does.
 */
#include "cmd/flinttool.h"
#include "lib/fmtfloat.h"
#include "lib/log.h"
#include "promql/ast.h"
#include "tsdb/db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MATCH "{__name__=~\"(?s:.*)\"}" /* promtool's default: every series */

typedef struct dump_args {
	int64_t mint;         /* --min-time */
	int64_t maxt;         /* --max-time */
	const char *match;    /* --match or NULL for all series */
	const char *dir;      /* DIR */
} dump_args;

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flinttool: error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: flinttool tsdb dump [--min-time=MS] [--max-time=MS] [--match=SELECTOR] [DIR]\n");
	return 1;
}

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return false;
	*out = v;
	return true;
}

/* --name=value or --name value; returns the value or NULL (advances *i). */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int parse_dump_args(int argc, char **argv, dump_args *a)
{
	a->mint = INT64_MIN;
	a->maxt = INT64_MAX;
	a->match = NULL;
	a->dir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = flag_value(argc, argv, &i, "--min-time"))) {
			if (!parse_i64(v, &a->mint))
				return usage_error("invalid --min-time \"%s\": want integer milliseconds", v);
		} else if ((v = flag_value(argc, argv, &i, "--max-time"))) {
			if (!parse_i64(v, &a->maxt))
				return usage_error("invalid --max-time \"%s\": want integer milliseconds", v);
		} else if ((v = flag_value(argc, argv, &i, "--match"))) {
			a->match = v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("unknown flag or missing value: %s", argv[i]);
		} else if (a->dir) {
			return usage_error("unexpected argument \"%s\"", argv[i]);
		} else {
			a->dir = argv[i];
		}
	}
	if (!a->dir)
		a->dir = "data/"; /* promtool's default */
	return 0;
}

/* Print one series' samples; returns 0 or the iterator's error. */
static int dump_series(series_set *ss, sample_iter **it, buf *out, buf *lb, err *e)
{
	buf_clear(lb);
	labels_format(lb, series_set_labels(ss)); /* Go-quoted, as labels.String() */
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
		buf_printf(out, " %s %" PRId64 "\n", num, t);
		if (out->len > (1 << 16)) {
			fwrite(out->p, 1, out->len, stdout);
			buf_clear(out);
		}
	}
	return sample_iter_err(*it, e);
}

static int dump(db *d, const dump_args *a, const matcher *ms, size_t n_ms, err *e)
{
	querier *q = queryable_querier(db_queryable(d), a->mint, a->maxt, e);
	if (!q)
		return e->code ? e->code : FL_EIO;
	select_hints h = {.start_ms = a->mint, .end_ms = a->maxt};
	series_set *ss = querier_select(q, true, &h, ms, n_ms);
	sample_iter *it = NULL;
	buf out, lb;
	buf_init(&out);
	buf_init(&lb);
	int rc = 0;
	while (rc == 0 && series_set_next(ss))
		rc = dump_series(ss, &it, &out, &lb, e);
	if (rc == 0)
		rc = series_set_err(ss, e);
	if (rc == 0 && (out.oom || lb.oom))
		rc = err_set(e, FL_ENOMEM, "dump: out of memory");
	fwrite(out.p, 1, out.len, stdout);
	fflush(stdout);
	sample_iter_close(it);
	series_set_close(ss);
	querier_close(q);
	buf_reset(&out);
	buf_reset(&lb);
	return rc;
}

static int tsdb_dump(int argc, char **argv)
{
	dump_args args;
	if (parse_dump_args(argc, argv, &args))
		return 1;
	struct stat st;
	if (stat(args.dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "flinttool: error: open %s: %s\n", args.dir, strerror(errno ? errno : ENOTDIR));
		return 1;
	}
	err e;
	err_clear(&e);
	arena a;
	arena_init(&a);
	matcher *ms = NULL;
	size_t n_ms = 0;
	int rc = promql_parse_selector(args.match ? args.match : DEFAULT_MATCH, &a, &ms, &n_ms, &e);
	if (rc) {
		fprintf(stderr, "flinttool: error: --match \"%s\": %s\n", args.match ? args.match : DEFAULT_MATCH, e.msg);
		arena_reset(&a);
		return 1;
	}
	db_opts o;
	db_opts_default(&o);
	o.read_only = true;
	log_set_level(LOG_WARN);
	db *d = db_open(args.dir, &o, &e);
	rc = d ? dump(d, &args, ms, n_ms, &e) : (e.code ? e.code : FL_EIO);
	db_close(d);
	for (size_t i = 0; i < n_ms; i++)
		matcher_reset(&ms[i]);
	arena_reset(&a);
	if (rc) {
		fprintf(stderr, "flinttool: error: %s\n", e.msg[0] ? e.msg : fl_strerror(rc));
		return 1;
	}
	return 0;
}

int flinttool_tsdb(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "flinttool: error: expected tsdb subcommand: dump, create-blocks-from\n");
		return 1;
	}
	if (!strcmp(argv[1], "dump"))
		return tsdb_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "create-blocks-from"))
		return flinttool_backfill(argc - 1, argv + 1);
	fprintf(stderr, "flinttool: error: unknown tsdb subcommand \"%s\" (want: dump, create-blocks-from)\n", argv[1]);
	return 1;
}

/* ---- the tsdb table (cmd/cli.h); its commands run the argv parsers
 * above through argv rebuilt from the parsed values (transitional) ---- */

#define MAX_ADAPT_ARGS 32

/* Append "--name=value" for each given flag, then the arguments. */
static int adapt(const cli_ctx *c, const char *const *head, size_t n_head, const char *const *flags,
		 const char *const *args, int (*fn)(int, char **))
{
	char *argv[MAX_ADAPT_ARGS];
	buf b[MAX_ADAPT_ARGS];
	int argc = 0, rc;
	for (size_t i = 0; i < n_head; i++)
		argv[argc++] = (char *)head[i];
	int nb = 0;
	for (size_t i = 0; flags[i]; i++) {
		size_t n;
		const char *const *v = cli_strs(c, flags[i], &n);
		for (size_t k = 0; k < n && nb < MAX_ADAPT_ARGS - 8 && argc < MAX_ADAPT_ARGS - 4; k++) {
			buf_init(&b[nb]);
			if (!strcmp(v[k], "true") || !strcmp(v[k], "false")) {
				if (!strcmp(v[k], "false"))
					continue;
				buf_printf(&b[nb], "--%s", flags[i]);
			} else {
				buf_printf(&b[nb], "--%s=%s", flags[i], v[k]);
			}
			argv[argc++] = (char *)buf_cstr(&b[nb]);
			nb++;
		}
	}
	for (size_t i = 0; args[i]; i++) {
		const char *v = cli_arg_value(c, args[i]);
		if (v && argc < MAX_ADAPT_ARGS - 1)
			argv[argc++] = (char *)v;
	}
	argv[argc] = NULL;
	rc = fn(argc, argv);
	for (int i = 0; i < nb; i++)
		buf_reset(&b[i]);
	return rc;
}

static int run_dump(const cli_ctx *c)
{
	static const char *const head[] = {"tsdb", "dump"};
	static const char *const flags[] = {"min-time", "max-time", "match", NULL};
	static const char *const args[] = {"db path", NULL};
	return adapt(c, head, 2, flags, args, flinttool_tsdb);
}

static int run_openmetrics(const cli_ctx *c)
{
	static const char *const head[] = {"create-blocks-from", "openmetrics"};
	static const char *const flags[] = {"human-readable", "quiet", "max-block-duration", NULL};
	static const char *const args[] = {"input file", "output directory", NULL};
	return adapt(c, head, 2, flags, args, flinttool_backfill);
}

static const cli_flag dump_flags[] = {
	{"min-time", 0, "-9223372036854775808", "Minimum timestamp to dump, in milliseconds since the Unix epoch.", NULL, 0},
	{"max-time", 0, "9223372036854775807", "Maximum timestamp to dump, in milliseconds since the Unix epoch.", NULL, 0},
	{"match", 0, "\"{__name__=~'(?s:.*)'}\"", "Series selector.", NULL, 0},
	{0},
};
static const cli_arg db_path_args[] = {{"db path", "Database path (default is data/).", 0}, {0}};

static const cli_flag import_flags[] = {
	{"human-readable", 'r', NULL, "Print human readable values.", NULL, 0},
	{"quiet", 'q', NULL, "Do not print created blocks.", NULL, 0},
	{"max-block-duration", 0, "<duration>", "Maximum duration created blocks may span. Anything less than 2h is ignored.",
	 NULL, CLI_HIDDEN},
	{0},
};
static const cli_arg openmetrics_args[] = {
	{"input file", "OpenMetrics file to read samples from.", CLI_REQUIRED},
	{"output directory", "Output directory for generated blocks.", 0},
	{0},
};
static const cli_cmd import_cmds[] = {
	{"openmetrics", "Import samples from OpenMetrics input and produce TSDB blocks. Please refer to the storage docs "
	 "for more details.", NULL, openmetrics_args, NULL, run_openmetrics, 0},
	{0},
};

const cli_cmd flinttool_tsdb_cmds[] = {
	{"dump", "Dump samples from a TSDB.", dump_flags, db_path_args, NULL, run_dump, 0},
	{"create-blocks-from", "[Experimental] Import samples from input and produce TSDB blocks. Please refer to the "
	 "storage docs for more details.", import_flags, NULL, import_cmds, NULL, 0},
	{0},
};
