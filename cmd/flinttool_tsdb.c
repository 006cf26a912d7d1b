/*
 * flinttool_tsdb.c - `flinttool tsdb ...`: reads each subcommand's flags
 * and arguments and runs it (cmd/flinttool_tsdb_list.c, _analyze.c,
 * _dump.c, _bench.c; create-blocks-from in flinttool_backfill.c).
 *
 *   tsdb list [-r] [DIR]
 *   tsdb analyze [--limit=20] [--extended] [--match=SEL] [DIR] [BLOCK]
 *   tsdb dump [--min-time] [--max-time] [--match=SEL]... [--format=prom|seriesjson] [DIR]
 *   tsdb dump-openmetrics [--min-time] [--max-time] [--match=SEL]... [DIR]
 *   tsdb bench write [--out=benchout] [--metrics=10000] [--scrapes=3000] [FILE]
 *   tsdb create-blocks-from openmetrics [-r] [-q] [--max-block-duration] FILE [DIR]
 *
 * DIR defaults to data/, as promtool's. Usage errors print
 * "flinttool: error: ..., try --help" and exit 1.
 */
#include "cmd/flinttool.h"
#include "cmd/flinttool_tsdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MATCH "{__name__=~'(?s:.*)'}" /* promtool's default: every series */
#define MAX_VALUES 64

/* A parsed command line: flag values by name, then positionals. */
typedef struct parsed {
	const char *name[MAX_VALUES]; /* flag names (long) */
	const char *val[MAX_VALUES];  /* their values ("true" for a boolean) */
	size_t n;                     /* flags given */
	const char *pos[MAX_VALUES];  /* positional arguments */
	size_t n_pos;                 /* count */
} parsed;

/* One known flag: long name, short letter or 0, takes a value. */
typedef struct known {
	const char *name;
	char short_name;
	bool value;
} known;

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flinttool: error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ", try --help\n");
	return 1;
}

static const known *find_known(const known *k, const char *name, size_t len, char short_name)
{
	for (; k->name; k++)
		if (short_name ? k->short_name == short_name : strlen(k->name) == len && !strncmp(k->name, name, len))
			return k;
	return NULL;
}

/* Parse argv[1..) against k (kingpin's "--x=v", "--x v", "-x"). */
static int parse(int argc, char **argv, const known *k, size_t max_pos, parsed *p)
{
	memset(p, 0, sizeof *p);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || !a[1]) {
			if (p->n_pos >= max_pos)
				return usage_error("unexpected %s", a);
			p->pos[p->n_pos++] = a;
			continue;
		}
		const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
		const known *f = a[1] == '-' ? find_known(k, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), 0)
					   : a[2] ? NULL : find_known(k, NULL, 0, a[1]);
		if (!f)
			return usage_error(a[1] == '-' ? "unknown long flag '%s'" : "unknown short flag '%s'", a);
		const char *v = "true";
		if (f->value) {
			v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
			if (!v)
				return usage_error("expected argument for flag '%s'", a);
		}
		if (p->n >= MAX_VALUES)
			return usage_error("too many flags at '%s'", a);
		p->name[p->n] = f->name;
		p->val[p->n++] = v;
	}
	return 0;
}

/* The last value of flag name, or def. */
static const char *get(const parsed *p, const char *name, const char *def)
{
	for (size_t i = p->n; i-- > 0;)
		if (!strcmp(p->name[i], name))
			return p->val[i];
	return def;
}

/* Every value of flag name into out (at most MAX_VALUES). */
static size_t get_all(const parsed *p, const char *name, const char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->name[i], name))
			out[n++] = p->val[i];
	return n;
}

/* kingpin's Int64/Int: strconv.ParseInt. */
static int int_flag(const parsed *p, const char *name, const char *def, int64_t lo, int64_t hi, int64_t *out)
{
	const char *v = get(p, name, def);
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end) {
		fprintf(stderr, "flinttool: error: strconv.ParseInt: parsing \"%s\": invalid syntax, try --help\n", v);
		return 1;
	}
	if (errno || x < lo || x > hi) {
		fprintf(stderr, "flinttool: error: strconv.ParseInt: parsing \"%s\": value out of range, try --help\n", v);
		return 1;
	}
	*out = x;
	return 0;
}

static int run_list(int argc, char **argv)
{
	static const known k[] = {{"human-readable", 'r', false}, {0}};
	parsed p;
	if (parse(argc, argv, k, 1, &p))
		return 1;
	return flinttool_tsdb_list(p.n_pos ? p.pos[0] : TSDB_DEFAULT_DB_PATH, get(&p, "human-readable", NULL) != NULL);
}

static int run_analyze(int argc, char **argv)
{
	static const known k[] = {{"limit", 0, true}, {"extended", 0, false}, {"match", 0, true}, {0}};
	parsed p;
	int64_t limit;
	if (parse(argc, argv, k, 2, &p) || int_flag(&p, "limit", "20", INT32_MIN, INT32_MAX, &limit))
		return 1;
	tsdb_analyze_opts o = {
		.dir = p.n_pos ? p.pos[0] : TSDB_DEFAULT_DB_PATH,
		.block_id = p.n_pos > 1 ? p.pos[1] : NULL,
		.limit = (int)limit,
		.extended = get(&p, "extended", NULL) != NULL,
		.match = get(&p, "match", NULL),
	};
	return flinttool_tsdb_analyze(&o);
}

static int run_dump_as(int argc, char **argv, bool openmetrics)
{
	static const known k[] = {{"min-time", 0, true}, {"max-time", 0, true}, {"match", 0, true},
				  {"format", 0, true},   {"sandbox-dir-root", 0, true}, {0}};
	parsed p;
	tsdb_dump_opts o = {.format = openmetrics ? TSDB_DUMP_OPENMETRICS : TSDB_DUMP_PROM};
	if (parse(argc, argv, k, 1, &p) || int_flag(&p, "min-time", "-9223372036854775808", INT64_MIN, INT64_MAX, &o.mint) ||
	    int_flag(&p, "max-time", "9223372036854775807", INT64_MIN, INT64_MAX, &o.maxt))
		return 1;
	const char *format = get(&p, "format", "prom");
	if (openmetrics && get(&p, "format", NULL))
		return usage_error("unknown long flag '%s'", "--format");
	if (!strcmp(format, "seriesjson"))
		o.format = TSDB_DUMP_SERIESJSON;
	else if (strcmp(format, "prom"))
		return usage_error("enum value must be one of prom,seriesjson, got '%s'", format);
	const char *matches[MAX_VALUES];
	o.n_matches = get_all(&p, "match", matches);
	if (!o.n_matches)
		matches[o.n_matches++] = DEFAULT_MATCH;
	o.matches = matches;
	o.dir = p.n_pos ? p.pos[0] : TSDB_DEFAULT_DB_PATH;
	return flinttool_tsdb_dump(&o);
}

static int run_bench(int argc, char **argv)
{
	static const known k[] = {{"out", 0, true}, {"metrics", 0, true}, {"scrapes", 0, true}, {0}};
	parsed p;
	int64_t metrics, scrapes;
	if (argc < 2 || strcmp(argv[1], "write"))
		return usage_error("expected command but got \"%s\"", argc < 2 ? "" : argv[1]);
	if (parse(argc - 1, argv + 1, k, 1, &p) || int_flag(&p, "metrics", "10000", INT32_MIN, INT32_MAX, &metrics) ||
	    int_flag(&p, "scrapes", "3000", INT32_MIN, INT32_MAX, &scrapes))
		return 1;
	tsdb_bench_opts o = {get(&p, "out", "benchout"), p.n_pos ? p.pos[0] : "../../tsdb/testdata/20kseries.json",
			     (int)metrics, (int)scrapes};
	return flinttool_tsdb_bench_write(&o);
}

static int run_dump(int argc, char **argv) { return run_dump_as(argc, argv, false); }
static int run_dump_openmetrics(int argc, char **argv) { return run_dump_as(argc, argv, true); }

int flinttool_tsdb(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{"list", run_list},
		{"analyze", run_analyze},
		{"dump", run_dump},
		{"dump-openmetrics", run_dump_openmetrics},
		{"create-blocks-from", flinttool_backfill},
		{"bench", run_bench},
	};
	for (size_t i = 0; argc > 1 && i < FL_ARRAY_LEN(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	if (argc < 2)
		return usage_error("%sexpected command", "");
	return usage_error("expected command but got \"%s\"", argv[1]);
}
