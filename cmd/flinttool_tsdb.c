/*
 * flinttool_tsdb.c - the `flinttool tsdb` command table (cmd/cli.h):
 * promtool's tsdb subcommands, their flags and help (cmd/promtool/main.go),
 * each run reading its flags into the options of its file
 * (cmd/flinttool_tsdb_list.c, _analyze.c, _dump.c, _bench.c;
 * create-blocks-from in flinttool_backfill.c):
 *
 *   tsdb list [-r] [DIR]
 *   tsdb analyze [--limit=20] [--extended] [--match=SEL] [DIR] [BLOCK]
 *   tsdb dump [--min-time] [--max-time] [--match=SEL]... [--format=prom|seriesjson] [DIR]
 *   tsdb dump-openmetrics [--min-time] [--max-time] [--match=SEL]... [DIR]
 *   tsdb bench write [--out=benchout] [--metrics=10000] [--scrapes=3000] [FILE]
 *   tsdb create-blocks-from openmetrics [-r] [-q] [--max-block-duration] FILE [DIR]
 *
 * DIR defaults to data/, as promtool's. A command's help line is 2.42's
 * where 2.42 has the command (scripts grep them), its flags are 3.x's.
 * Bad flag values are usage errors in kingpin's words ("strconv.ParseInt:
 * parsing "x": invalid syntax"), exit 1.
 */
#include "cmd/flinttool.h"
#include "cmd/flinttool_tsdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MATCH "{__name__=~'(?s:.*)'}" /* promtool's default: every series */
#define DB_PATH_HELP "Database path (default is " TSDB_DEFAULT_DB_PATH ")."
#define BENCH_FILE "../../tsdb/testdata/20kseries.json"

/* A flag's value (or def) as kingpin's Int64/Int: strconv.ParseInt. */
static int int_flag(const cli_ctx *c, const char *name, const char *def, int64_t lo, int64_t hi, int64_t *out)
{
	const char *v = cli_str(c, name);
	if (!v)
		v = def;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end)
		return cli_usage_error("strconv.ParseInt: parsing \"%s\": invalid syntax", v);
	if (errno || x < lo || x > hi)
		return cli_usage_error("strconv.ParseInt: parsing \"%s\": value out of range", v);
	*out = x;
	return 0;
}

static const char *db_path(const cli_ctx *c)
{
	const char *d = cli_arg_value(c, "db path");
	return d ? d : TSDB_DEFAULT_DB_PATH;
}

static int run_list(const cli_ctx *c) { return flinttool_tsdb_list(db_path(c), cli_bool(c, "human-readable")); }

static int run_analyze(const cli_ctx *c)
{
	int64_t limit;
	if (int_flag(c, "limit", "20", INT32_MIN, INT32_MAX, &limit))
		return 1;
	tsdb_analyze_opts o = {
		.dir = db_path(c),
		.block_id = cli_arg_value(c, "block id"),
		.limit = (int)limit,
		.extended = cli_bool(c, "extended"),
		.match = cli_str(c, "match"),
	};
	return flinttool_tsdb_analyze(&o);
}

/* dump and dump-openmetrics: their shared flags, then format. */
static int run_dump_as(const cli_ctx *c, tsdb_dump_format format)
{
	tsdb_dump_opts o = {.dir = db_path(c), .format = format};
	if (int_flag(c, "min-time", "-9223372036854775808", INT64_MIN, INT64_MAX, &o.mint) ||
	    int_flag(c, "max-time", "9223372036854775807", INT64_MIN, INT64_MAX, &o.maxt))
		return 1;
	static const char *const all[] = {DEFAULT_MATCH};
	o.matches = cli_strs(c, "match", &o.n_matches);
	if (!o.n_matches)
		o.matches = all, o.n_matches = 1;
	return flinttool_tsdb_dump(&o);
}

static int run_dump(const cli_ctx *c)
{
	const char *f = cli_str(c, "format");
	if (f && strcmp(f, "prom") && strcmp(f, "seriesjson"))
		return cli_usage_error("enum value must be one of prom,seriesjson, got '%s'", f);
	return run_dump_as(c, f && !strcmp(f, "seriesjson") ? TSDB_DUMP_SERIESJSON : TSDB_DUMP_PROM);
}

static int run_dump_openmetrics(const cli_ctx *c) { return run_dump_as(c, TSDB_DUMP_OPENMETRICS); }

static int run_bench_write(const cli_ctx *c)
{
	int64_t metrics, scrapes;
	if (int_flag(c, "metrics", "10000", INT32_MIN, INT32_MAX, &metrics) ||
	    int_flag(c, "scrapes", "3000", INT32_MIN, INT32_MAX, &scrapes))
		return 1;
	const char *out = cli_str(c, "out"), *file = cli_arg_value(c, "file");
	tsdb_bench_opts o = {out ? out : "benchout", file ? file : BENCH_FILE, (int)metrics, (int)scrapes};
	return flinttool_tsdb_bench_write(&o);
}

#define SANDBOX_HELP                                                                                                   \
	"Root directory where a sandbox directory will be created, this sandbox is used in case WAL replay generates " \
	"chunks (default is the database path). The sandbox is cleaned up at the end. (flint writes nothing: "        \
	"accepted, unused)"
#define DUMP_FLAGS                                                                                                     \
	{"sandbox-dir-root", 0, "<sandbox-dir-root>", SANDBOX_HELP, NULL, 0},                                          \
	{"min-time", 0, "-9223372036854775808", "Minimum timestamp to dump, in milliseconds since the Unix epoch.",    \
	 NULL, 0},                                                                                                     \
	{"max-time", 0, "9223372036854775807", "Maximum timestamp to dump, in milliseconds since the Unix epoch.",     \
	 NULL, 0},                                                                                                     \
	{"match", 0, "\"{__name__=~'(?s:.*)'}\"", "Series selector. Can be specified multiple times.", NULL, CLI_REPEAT}

static const cli_flag dump_flags[] = {
	DUMP_FLAGS,
	{"format", 0, "prom", "Output format of the dump (prom (default) or seriesjson).", NULL, 0},
	{0},
};
static const cli_flag dump_om_flags[] = {DUMP_FLAGS, {0}};
static const cli_arg db_path_args[] = {{"db path", DB_PATH_HELP, 0}, {0}};

static const cli_flag list_flags[] = {
	{"human-readable", 'r', NULL, "Print human readable values.", NULL, 0},
	{0},
};

static const cli_flag analyze_flags[] = {
	{"limit", 0, "20", "How many items to show in each list.", NULL, 0},
	{"extended", 0, NULL, "Run extended analysis.", NULL, 0},
	{"match", 0, "\"\"", "Series selector to analyze. Only 1 set of matchers is supported now.", NULL, 0},
	{0},
};
static const cli_arg analyze_args[] = {
	{"db path", DB_PATH_HELP, 0},
	{"block id", "Block to analyze (default is the last block).", 0},
	{0},
};

static const cli_flag bench_write_flags[] = {
	{"out", 0, "\"benchout\"", "Set the output path.", NULL, 0},
	{"metrics", 0, "10000", "Number of metrics to read.", NULL, 0},
	{"scrapes", 0, "3000", "Number of scrapes to simulate.", NULL, 0},
	{0},
};
static const cli_arg bench_write_args[] = {
	{"file", "Input file with samples data, default is (" BENCH_FILE ").", 0},
	{0},
};
static const cli_cmd bench_cmds[] = {
	{"write", "Run a write performance benchmark.", bench_write_flags, bench_write_args, NULL, run_bench_write, 0},
	{0},
};

static const cli_flag import_flags[] = {
	{"human-readable", 'r', NULL, "Print human readable values.", NULL, 0},
	{"quiet", 'q', NULL, "Do not print created blocks.", NULL, 0},
	{"max-block-duration", 0, "<duration>", "Maximum duration created blocks may span. Anything less than 2h is ignored.",
	 NULL, CLI_HIDDEN},
	{0},
};
static const cli_flag openmetrics_flags[] = {
	{"label", 0, "KEY=VALUE", "Label to attach to metrics. Can be specified multiple times. Example "
	 "--label=label_name=label_value", NULL, CLI_REPEAT},
	{0},
};
static const cli_arg openmetrics_args[] = {
	{"input file", "OpenMetrics file to read samples from.", CLI_REQUIRED},
	{"output directory", "Output directory for generated blocks.", 0},
	{0},
};
static const cli_cmd import_cmds[] = {
	{"openmetrics", "Import samples from OpenMetrics input and produce TSDB blocks. Please refer to the storage docs "
	 "for more details.", openmetrics_flags, openmetrics_args, NULL, flinttool_backfill, 0},
	{"rules", "Create blocks of data for new recording rules.", flinttool_backfill_rules_flags, flinttool_backfill_rules_args, NULL, flinttool_backfill_rules, 0},
	{0},
};

const cli_cmd flinttool_tsdb_cmds[] = {
	{"bench", "Run benchmarks.", NULL, NULL, bench_cmds, NULL, 0},
	{"analyze", "Analyze churn, label pair cardinality and compaction efficiency.", analyze_flags, analyze_args, NULL,
	 run_analyze, 0},
	{"list", "List tsdb blocks.", list_flags, db_path_args, NULL, run_list, 0},
	{"dump", "Dump samples from a TSDB.", dump_flags, db_path_args, NULL, run_dump, 0},
	{"dump-openmetrics", "[Experimental] Dump samples from a TSDB into OpenMetrics text format, excluding native "
	 "histograms and staleness markers, which are not representable in OpenMetrics.", dump_om_flags, db_path_args,
	 NULL, run_dump_openmetrics, 0},
	{"create-blocks-from", "[Experimental] Import samples from input and produce TSDB blocks. Please refer to the "
	 "storage docs for more details.", import_flags, NULL, import_cmds, NULL, 0},
	{0},
};
