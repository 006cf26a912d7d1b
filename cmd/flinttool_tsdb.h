/*
 * flinttool_tsdb.h - what the files of `flinttool tsdb` share (private to
 * cmd/flinttool_tsdb*.c and cmd/flinttool_backfill.c): each subcommand as
 * a function of its parsed options, so that the command table
 * (flinttool_tsdb.c) only reads flags, and promtool's block table.
 *
 * Every function prints what promtool prints and returns the exit status:
 * 0, or 1 after one line on stderr (promtool's checkErr: the error alone).
 */
#ifndef FL_CMD_FLINTTOOL_TSDB_H
#define FL_CMD_FLINTTOOL_TSDB_H

#include "lib/buf.h"
#include "tsdb/block.h"

#include <stdbool.h>
#include <stdint.h>

#define TSDB_DEFAULT_DB_PATH "data/" /* promtool's defaultDBPath */

/* Go's time.Duration.String() of ns nanoseconds ("1h46m38.842s", "1.5ms", "0s"). */
void flinttool_go_duration(buf *b, int64_t ns);

/* Go's time.ParseDuration (kingpin's Duration flags) into *ns. */
bool flinttool_go_parse_duration(const char *s, int64_t *ns);

/* strerror(errnum) as Go's syscall.Errno prints it ("no such file or directory"). */
const char *flinttool_go_strerror(int errnum);

/* Block.Size(): the bytes of index, tombstones, meta.json and chunks/. */
int64_t flinttool_block_size(const char *dir);

/* promtool's printBlocks: one tabwriter (minwidth 13, padding 2) over the
 * header (when header) and a row per block m[i] (its directory dirs[i]);
 * human prints times as UTC dates and sizes as "33KiB164B". */
void flinttool_print_blocks(const block_meta *m, const char *const *dirs, size_t n, bool header, bool human);

/* tsdb list [-r] DIR */
int flinttool_tsdb_list(const char *dir, bool human);

/* tsdb analyze */
typedef struct tsdb_analyze_opts {
	const char *dir;      /* db path */
	const char *block_id; /* NULL or "": the block with the newest ULID time */
	int limit;            /* --limit: lines per list */
	bool extended;        /* --extended: compaction analysis */
	const char *match;    /* --match: one series selector, or NULL */
} tsdb_analyze_opts;
int flinttool_tsdb_analyze(const tsdb_analyze_opts *o);

/* tsdb dump / dump-openmetrics */
typedef enum tsdb_dump_format {
	TSDB_DUMP_PROM,        /* `{a="b"} VALUE TS_MS` per sample */
	TSDB_DUMP_SERIESJSON,  /* one JSON object of labels per series */
	TSDB_DUMP_OPENMETRICS, /* `name{a="b"} VALUE TS_SECONDS` per sample, then "# EOF" */
} tsdb_dump_format;
typedef struct tsdb_dump_opts {
	const char *dir;            /* db path */
	int64_t mint, maxt;         /* --min-time, --max-time (inclusive) */
	const char *const *matches; /* --match selectors (at least one) */
	size_t n_matches;           /* count */
	tsdb_dump_format format;    /* what to print */
} tsdb_dump_opts;
int flinttool_tsdb_dump(const tsdb_dump_opts *o);

/* tsdb bench write */
typedef struct tsdb_bench_opts {
	const char *out;     /* --out: recreated; the db goes in <out>/storage */
	const char *file;    /* series file: one {"name":"value",...} per line */
	int metrics;         /* --metrics: series to read */
	int scrapes;         /* --scrapes: rounded up to a multiple of 100 */
} tsdb_bench_opts;
int flinttool_tsdb_bench_write(const tsdb_bench_opts *o);

#endif
