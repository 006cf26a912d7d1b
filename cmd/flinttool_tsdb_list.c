/*
 * flinttool_tsdb_list.c - `flinttool tsdb list [-r] [DIR]`, promtool's
 * listBlocks (cmd/promtool/tsdb.go), and the block table it shares with
 * `tsdb create-blocks-from`:
 *
 *   BLOCK ULID                  MIN TIME       MAX TIME       DURATION      NUM SAMPLES  ...  SIZE
 *   01M85ZJJW0Q48HSX1F1SJXQXMD  1699999999540  1700006398382  1h46m38.842s  10139        ...  60440
 *
 * A Go text/tabwriter with minwidth 13 and padding 2: every column but the
 * last is as wide as its widest cell + 2, at least 13. With -r times are
 * UTC dates (time.Unix(ms/1000, 0).UTC().String()) and sizes
 * units.Base2Bytes ("33KiB164B").
 *
 * The blocks are what OpenDBReadOnly(DIR).Blocks() loads: every
 * subdirectory named as a ULID, opened (one that fails to open is an error
 * unless a loaded block names it as a parent), sorted by minTime. The WAL
 * is not read: a directory of blocks alone lists fine.
 */
#include "cmd/flinttool_tsdb.h"
#include "lib/godur.h"
#include "tsdb/db.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* time.Duration.String() (lib/godur.c). */
void flinttool_go_duration(buf *b, int64_t ns)
{
	godur_format(b, ns);
}

const char *flinttool_go_strerror(int errnum)
{
	static _Thread_local char s[128];
	snprintf(s, sizeof s, "%s", strerror(errnum));
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

/* Go's time.ParseDuration (kingpin's Duration flags; lib/godur.c): "30s",
 * "1.5m", "1h2m300ms", "-1s", "0". */
bool flinttool_go_parse_duration(const char *s, int64_t *ns)
{
	return godur_parse(s, ns, NULL) == 0;
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

int64_t flinttool_block_size(const char *dir)
{
	static const char *files[] = {"index", "tombstones", "meta.json"};
	char path[4200];
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

enum { NCOL = 8 };

/* Row r's cells (r == 0: the header) into cell[0..NCOL). */
static void block_row(buf *cell, const block_meta *m, const char *dir, bool human)
{
	static const char *hdr[NCOL] = {"BLOCK ULID", "MIN TIME", "MAX TIME", "DURATION",
					"NUM SAMPLES", "NUM CHUNKS", "NUM SERIES", "SIZE"};
	if (!m) {
		for (int c = 0; c < NCOL; c++)
			buf_put_str(&cell[c], hdr[c]);
		return;
	}
	buf_put_str(&cell[0], m->ulid);
	fmt_time(&cell[1], m->min_time, human);
	fmt_time(&cell[2], m->max_time, human);
	flinttool_go_duration(&cell[3], (m->max_time - m->min_time) * 1000000);
	buf_printf(&cell[4], "%" PRIu64, m->num_samples);
	buf_printf(&cell[5], "%" PRIu64, m->num_chunks);
	buf_printf(&cell[6], "%" PRIu64, m->num_series);
	int64_t size = flinttool_block_size(dir);
	if (human)
		base2_bytes(&cell[7], size);
	else
		buf_printf(&cell[7], "%" PRId64, size);
}

void flinttool_print_blocks(const block_meta *m, const char *const *dirs, size_t n, bool header, bool human)
{
	size_t rows = n + (header ? 1 : 0);
	buf *cell = fl_calloc(rows ? rows * NCOL : 1, sizeof *cell);
	if (!cell)
		return;
	size_t w[NCOL];
	for (int c = 0; c < NCOL; c++)
		w[c] = 13;
	for (size_t r = 0; r < rows; r++) {
		for (int c = 0; c < NCOL; c++)
			buf_init(&cell[r * NCOL + c]);
		size_t i = r - (header ? 1 : 0);
		block_row(&cell[r * NCOL], header && r == 0 ? NULL : &m[i], header && r == 0 ? NULL : dirs[i], human);
		for (int c = 0; c < NCOL; c++)
			w[c] = FL_MAX(w[c], cell[r * NCOL + c].len + 2);
	}
	for (size_t r = 0; r < rows; r++) {
		for (int c = 0; c < NCOL; c++) {
			buf *x = &cell[r * NCOL + c];
			fwrite(x->p, 1, x->len, stdout);
			if (c < NCOL - 1)
				printf("%*s", (int)(w[c] - x->len), "");
			buf_reset(x);
		}
		printf("\n");
	}
	fl_free(cell);
}

/* The loaded blocks of dir, by minTime. */
typedef struct block_list {
	block **v;   /* open blocks */
	size_t n;    /* count */
} block_list;

static void block_list_close(block_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		block_close(l->v[i]);
	fl_free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int by_min_time(const void *a, const void *b)
{
	const block_meta *x = block_meta_get(*(block *const *)a), *y = block_meta_get(*(block *const *)b);
	return x->min_time < y->min_time ? -1 : x->min_time > y->min_time;
}

/* Is ulid a parent of a loaded block (a compaction's leftover)? */
static bool superseded(const block_list *l, const char *ulid)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t np;
		const block_desc *p = block_parents(l->v[i], &np);
		for (size_t k = 0; k < np; k++)
			if (!strcmp(p[k].ulid, ulid))
				return true;
	}
	return false;
}

/* Does path hold a meta.json that parses? */
static bool meta_readable(const char *path)
{
	buf b;
	buf_init(&b);
	block_meta m;
	err e;
	bool ok = buf_read_file(&b, path, &e) == 0 && block_meta_parse((const char *)b.p, b.len, &m, &e) == 0;
	buf_reset(&b);
	return ok;
}

/* OpenDBReadOnly(dir).Blocks(). 0, or 1 after printing the error. */
static int load_blocks(const char *dir, block_list *out)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		fprintf(stderr, "opening the db dir: stat %s: %s\n", dir, flinttool_go_strerror(errno));
		return 1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "open %s: %s\n", dir, flinttool_go_strerror(errno));
		return 1;
	}
	char (*failed)[32] = NULL;
	err *why = NULL;
	size_t n_failed = 0;
	int rc = 0;
	for (struct dirent *de; rc == 0 && (de = readdir(d));) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (!db_is_ulid(de->d_name) || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(path, sizeof path, "%s/%s/meta.json", dir, de->d_name);
		if (!meta_readable(path)) /* Prometheus skips it ("Failed to read meta.json") */
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		err e;
		err_clear(&e);
		block *b = block_open(path, &e);
		if (b) {
			block **g = fl_realloc(out->v, (out->n + 1) * sizeof *g);
			if (g)
				out->v = g, out->v[out->n++] = b;
			else
				block_close(b), rc = 1;
			continue;
		}
		char(*gf)[32] = fl_realloc(failed, (n_failed + 1) * sizeof *gf);
		if (gf)
			failed = gf;
		err *gw = gf ? fl_realloc(why, (n_failed + 1) * sizeof *gw) : NULL;
		if (gw)
			why = gw;
		if (!gf || !gw) {
			rc = 1;
			continue;
		}
		snprintf(failed[n_failed], sizeof failed[0], "%s", de->d_name);
		why[n_failed++] = e;
	}
	if (rc)
		fprintf(stderr, "out of memory\n");
	closedir(d);
	for (size_t i = 0; rc == 0 && i < n_failed; i++)
		if (!superseded(out, failed[i])) {
			fprintf(stderr, "open block %s: %s\n", failed[i], why[i].msg);
			rc = 1;
		}
	fl_free(failed);
	fl_free(why);
	if (rc)
		block_list_close(out);
	else if (out->n)
		qsort(out->v, out->n, sizeof *out->v, by_min_time);
	return rc;
}

int flinttool_tsdb_list(const char *dir, bool human)
{
	block_list l = {0};
	if (load_blocks(dir, &l))
		return 1;
	block_meta *m = fl_calloc(l.n + 1, sizeof *m);
	const char **dirs = fl_calloc(l.n + 1, sizeof *dirs);
	if (m && dirs) {
		for (size_t i = 0; i < l.n; i++) {
			m[i] = *block_meta_get(l.v[i]);
			dirs[i] = block_dir(l.v[i]);
		}
		flinttool_print_blocks(m, dirs, l.n, true, human);
	}
	fflush(stdout);
	fl_free(m);
	fl_free(dirs);
	block_list_close(&l);
	if (!m || !dirs) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	return 0;
}
