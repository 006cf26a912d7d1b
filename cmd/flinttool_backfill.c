/*
 * flinttool_backfill.c - `flinttool tsdb create-blocks-from openmetrics`,
 * promtool 2.42's backfill (cmd/promtool/backfill.go, tsdb/blockwriter.go):
 *
 *   flinttool tsdb create-blocks-from openmetrics [-r|--human-readable]
 *       [-q|--quiet] [--max-block-duration=DURATION] <input file> [<output directory>]
 *
 * (output defaults to data/). As promtool does:
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
} bf_args;

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "flinttool: error: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nusage: flinttool tsdb create-blocks-from openmetrics [-r] [-q] "
			"[--max-block-duration=DURATION] <input file> [<output directory>]\n");
	return 1;
}

static int parse_args(int argc, char **argv, bf_args *a)
{
	memset(a, 0, sizeof *a);
	int pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "-r") || !strcmp(s, "--human-readable")) {
			a->human = true;
		} else if (!strcmp(s, "-q") || !strcmp(s, "--quiet")) {
			a->quiet = true;
		} else if (!strncmp(s, "--max-block-duration", 20)) {
			const char *v = s[20] == '=' ? s + 21 : (s[20] == 0 && i + 1 < argc ? argv[++i] : NULL);
			err e;
			if (!v || timeparse_model_duration(v, strlen(v), &a->max_block_ms, &e) != 0)
				return usage("invalid --max-block-duration \"%s\"", v ? v : "");
		} else if (s[0] == '-' && s[1]) {
			return usage("unknown flag %s", s);
		} else if (pos == 0) {
			a->input = s;
			pos++;
		} else if (pos == 1) {
			a->out = s;
			pos++;
		} else {
			return usage("unexpected %s", s);
		}
	}
	if (!a->input)
		return usage("required argument 'input file' not provided%s", "");
	if (!a->out)
		a->out = "data/";
	return 0;
}

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
static int fill_head(head *h, const char *text, size_t len, int64_t t0, int64_t t1, err *e)
{
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
	return rc;
}

/* Go's time.Duration.String() for a whole number of milliseconds. */
static void go_duration(buf *b, int64_t ms)
{
	uint64_t u = ms < 0 ? (uint64_t)-ms : (uint64_t)ms;
	if (ms < 0)
		buf_put_byte(b, '-');
	if (u == 0) {
		buf_put_str(b, "0s");
		return;
	}
	if (u < 1000) {
		buf_printf(b, "%" PRIu64 "ms", u);
		return;
	}
	uint64_t h = u / 3600000, m = u / 60000 % 60, s = u / 1000 % 60, frac = u % 1000;
	if (h)
		buf_printf(b, "%" PRIu64 "h", h);
	if (h || m)
		buf_printf(b, "%" PRIu64 "m", m);
	buf_printf(b, "%" PRIu64, s);
	if (frac) {
		char f[8];
		snprintf(f, sizeof f, ".%03u", (unsigned)frac);
		for (size_t l = strlen(f); f[l - 1] == '0'; l--)
			f[l - 1] = 0;
		buf_put_str(b, f);
	}
	buf_put_byte(b, 's');
}

/* alecthomas/units Base2Bytes.String(): "59KiB24B". */
static void base2_bytes(buf *b, int64_t n)
{
	static const char *unit[] = {"", "K", "M", "G", "T", "P", "E"};
	char parts[7][32];
	int used[7] = {0};
	for (int i = 0; i < 7; i++) {
		if (n % 1024 != 0 || (i == 0 && n == 0)) {
			snprintf(parts[i], sizeof parts[i], "%" PRId64 "%s%s", n % 1024, unit[i], i == 0 ? "B" : "iB");
			used[i] = 1;
		}
		n /= 1024;
		if (n == 0)
			break;
	}
	for (int i = 6; i >= 0; i--)
		if (used[i])
			buf_put_str(b, parts[i]);
}

static void fmt_time(buf *b, int64_t ms, bool human)
{
	if (!human) {
		buf_printf(b, "%" PRId64, ms);
		return;
	}
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char s[64];
	strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	buf_put_str(b, s);
}

static int64_t dir_size(const char *dir)
{
	static const char *files[] = {"index", "tombstones", "meta.json"};
	char path[1200];
	struct stat st;
	int64_t n = 0;
	for (size_t i = 0; i < FL_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (stat(path, &st) == 0)
			n += st.st_size;
	}
	snprintf(path, sizeof path, "%s/chunks", dir);
	DIR *d = opendir(path);
	for (struct dirent *de; d && (de = readdir(d));) {
		snprintf(path, sizeof path, "%s/chunks/%s", dir, de->d_name);
		if (de->d_name[0] != '.' && stat(path, &st) == 0)
			n += st.st_size;
	}
	if (d)
		closedir(d);
	return n;
}

/* promtool's printBlocks: a tabwriter (minwidth 13, padding 2) per call. */
static void print_block(bf_args *a, const block_meta *m)
{
	enum { NCOL = 8 };
	buf cell[2][NCOL];
	static const char *hdr[NCOL] = {"BLOCK ULID", "MIN TIME", "MAX TIME", "DURATION",
					"NUM SAMPLES", "NUM CHUNKS", "NUM SERIES", "SIZE"};
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < NCOL; c++)
			buf_init(&cell[r][c]);
	for (int c = 0; c < NCOL; c++)
		buf_put_str(&cell[0][c], hdr[c]);
	buf_put_str(&cell[1][0], m->ulid);
	fmt_time(&cell[1][1], m->min_time, a->human);
	fmt_time(&cell[1][2], m->max_time, a->human);
	go_duration(&cell[1][3], m->max_time - m->min_time);
	buf_printf(&cell[1][4], "%" PRIu64, m->num_samples);
	buf_printf(&cell[1][5], "%" PRIu64, m->num_chunks);
	buf_printf(&cell[1][6], "%" PRIu64, m->num_series);
	char dir[1200];
	snprintf(dir, sizeof dir, "%s/%s", a->out, m->ulid);
	int64_t size = dir_size(dir);
	if (a->human)
		base2_bytes(&cell[1][7], size);
	else
		buf_printf(&cell[1][7], "%" PRId64, size);
	int first = a->header_done ? 1 : 0;
	a->header_done = true;
	for (int r = first; r < 2; r++) {
		for (int c = 0; c < NCOL; c++) {
			size_t w = 13;
			for (int k = first; k < 2; k++)
				w = FL_MAX(w, cell[k][c].len + 2);
			printf("%s", buf_cstr(&cell[r][c]));
			if (c < NCOL - 1)
				printf("%*s", (int)(w - cell[r][c].len), "");
		}
		printf("\n");
	}
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < NCOL; c++)
			buf_reset(&cell[r][c]);
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
		rc = fill_head(h, text, len, t, t + bd, e);
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

int flinttool_backfill(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "openmetrics")) {
		fprintf(stderr, "flinttool: error: expected command but got \"%s\" (want: openmetrics)\n",
			argc < 2 ? "" : argv[1]);
		return 1;
	}
	bf_args a;
	if (parse_args(argc - 1, argv + 1, &a))
		return 1;
	err e;
	err_clear(&e);
	buf in;
	buf_init(&in);
	int rc = buf_read_file(&in, a.input, &e);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		buf_reset(&in);
		return 1;
	}
	if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkdir %s: %s\n", a.out, strerror(errno));
		buf_reset(&in);
		return 1;
	}
	int64_t mint, maxt;
	rc = min_max((const char *)in.p, in.len, &mint, &maxt, &e);
	if (rc)
		err_wrap(&e, "getting min and max timestamp");
	else if ((rc = create_blocks(&a, (const char *)in.p, in.len, mint, maxt, &e)) != 0)
		err_wrap(&e, "block creation");
	fflush(stdout);
	buf_reset(&in);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : fl_strerror(rc));
		return 1;
	}
	return 0;
}
