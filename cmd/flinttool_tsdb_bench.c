/*
 * flinttool_tsdb_bench.c - `flinttool tsdb bench write [--out=benchout]
 * [--metrics=10000] [--scrapes=3000] [FILE]`, promtool's local TSDB write
 * benchmark (cmd/promtool/tsdb.go benchmarkWrite) on flint's tsdb:
 *
 *  1. readData: the first --metrics distinct label sets of FILE, one a
 *     line, `{"a":"b","c":"d"}` read as promtool reads it (quotes and
 *     braces dropped, split at "," then at ":"; labels sorted by name).
 *  2. ingestScrapes: into a fresh db at <out>/storage (2h blocks, 15d
 *     retention, no compaction), rounds of 100 scrapes: each round the
 *     series are cut into batches of 1000, each batch a thread appending
 *     its 100 scrapes (one appender and commit per scrape) at times 30s
 *     apart from round*100*30s, values 123456789 + 1000 per scrape.
 *     --scrapes is thus rounded up to a multiple of 100.
 *  3. stopStorage: close the db.
 *
 * Output is promtool's, stage by stage:
 *   >> start stage=readData
 *   >> completed stage=readData duration=1.234ms
 *   ...
 *   ingestion completed
 *    > total samples: 30000000
 *    > samples/sec: 1.2e+06
 * promtool also writes Go pprof profiles (cpu, mem, block, mutex) to
 * --out; C has no pprof, so flint writes none (its own allocation and
 * head statistics are on flint's /metrics).
 */
#include "cmd/flinttool_tsdb.h"
#include "lib/fmtfloat.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "tsdb/db.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TIME_DELTA_MS 30000 /* promtool's timeDelta */
#define BATCH 1000          /* series per ingesting thread */
#define ROUND 100           /* scrapes per thread per round */

typedef struct bench_series {
	labels ls;       /* sorted, in the bench arena */
	series_ref ref;  /* 0 until the first append */
} bench_series;

typedef struct bench_batch {
	db *d;            /* the storage */
	bench_series *s;  /* this batch's series */
	size_t n;         /* count */
	int64_t base_ms;  /* round * 100 * 30s */
	uint64_t total;   /* samples appended */
	err e;            /* the first error */
	int rc;           /* 0 or its code */
} bench_batch;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void stage_start(const char *stage, int64_t *t0)
{
	printf(">> start stage=%s\n", stage);
	fflush(stdout);
	*t0 = now_ns();
}

static int64_t stage_done(const char *stage, int64_t t0)
{
	int64_t d = now_ns() - t0;
	buf b;
	buf_init(&b);
	flinttool_go_duration(&b, d);
	printf(">> completed stage=%s duration=%s\n", stage, buf_cstr(&b));
	fflush(stdout);
	buf_reset(&b);
	return d;
}

static int cmp_label(const void *a, const void *b) { return strcmp(((const label *)a)->name, ((const label *)b)->name); }

/* One line as promtool's readPrometheusLabels reads it. */
static int parse_line(char *line, arena *a, labels *out, err *e)
{
	char *w = line;
	for (char *r = line; *r; r++) /* drop `"`, `{`, `}` */
		if (*r != '"' && *r != '{' && *r != '}')
			*w++ = *r;
	*w = 0;
	size_t n = 1;
	for (char *p = line; *p; p++)
		n += *p == ',';
	label *v = arena_alloc(a, n * sizeof *v);
	if (!v)
		return err_set(e, FL_ENOMEM, "out of memory");
	char *chunk = line;
	for (size_t i = 0; i < n; i++) {
		char *next = strchr(chunk, ',');
		if (next)
			*next = 0;
		char *colon = strchr(chunk, ':');
		if (!colon)
			return err_set(e, FL_EINVAL, "label %zu \"%s\" has no \":\"", i, chunk);
		*colon = 0;
		char *end = strchr(colon + 1, ':'); /* strings.Split(...)[1] */
		if (end)
			*end = 0;
		v[i] = (label){arena_strdup(a, chunk), arena_strdup(a, colon + 1)};
		if (!v[i].name || !v[i].value)
			return err_set(e, FL_ENOMEM, "out of memory");
		chunk = next ? next + 1 : chunk;
	}
	qsort(v, n, sizeof *v, cmp_label);
	*out = (labels){v, n};
	return 0;
}

/* Double the open-addressing set of hashes (0 = empty slot). */
static int grow(uint64_t **set, size_t *n_slots, err *e)
{
	size_t nn = *n_slots * 2;
	uint64_t *v = fl_calloc(nn, sizeof *v);
	if (!v)
		return err_set(e, FL_ENOMEM, "out of memory");
	for (size_t i = 0; i < *n_slots; i++) {
		uint64_t h = (*set)[i];
		if (!h)
			continue;
		size_t k = h & (nn - 1);
		while (v[k])
			k = (k + 1) & (nn - 1);
		v[k] = h;
	}
	fl_free(*set);
	*set = v;
	*n_slots = nn;
	return 0;
}

/* readData: up to max distinct label sets of path. */
static int read_series(const char *path, int max, arena *a, bench_series **out, size_t *n, err *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(e, FL_EIO, "open %s: %s", path, flinttool_go_strerror(errno));
	*out = NULL;
	*n = 0;
	size_t n_slots = 1024;
	uint64_t *hashes = fl_calloc(n_slots, sizeof *hashes); /* promtool's map of hashes */
	if (!hashes) {
		fclose(f);
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0;
	ssize_t len;
	while (rc == 0 && (int64_t)*n < max && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		labels ls;
		if ((rc = parse_line(line, a, &ls, e)) != 0) {
			err_wrap(e, "%s:%zu", path, lineno);
			break;
		}
		if (2 * (*n + 1) > n_slots && (rc = grow(&hashes, &n_slots, e)) != 0)
			break;
		uint64_t h = labels_hash(ls);
		h = h ? h : 1; /* 0 marks an empty slot */
		size_t slot = h & (n_slots - 1);
		while (hashes[slot] && hashes[slot] != h)
			slot = (slot + 1) & (n_slots - 1);
		if (hashes[slot]) /* seen: promtool skips it too */
			continue;
		bench_series *g = fl_realloc(*out, (*n + 1) * sizeof *g);
		if (!g) {
			rc = err_set(e, FL_ENOMEM, "out of memory");
			break;
		}
		*out = g;
		hashes[slot] = h;
		(*out)[(*n)++] = (bench_series){ls, 0};
	}
	free(line);
	fl_free(hashes);
	fclose(f);
	return rc;
}

/* ingestScrapesShard: 100 scrapes of one batch. */
static void *ingest_batch(void *arg)
{
	bench_batch *b = arg;
	int64_t ts = b->base_ms;
	err_clear(&b->e);
	for (size_t i = 0; i < b->n; i++)
		b->s[i].ref = 0; /* promtool's refs live for one round */
	for (int s = 0; s < ROUND && b->rc == 0; s++) {
		appender *app = db_appender(b->d);
		if (!app) {
			b->rc = err_set(&b->e, FL_ENOMEM, "out of memory");
			break;
		}
		ts += TIME_DELTA_MS;
		for (size_t i = 0; i < b->n && b->rc == 0; i++) {
			double v = 123456789.0 + 1000.0 * (s + 1); /* each round starts afresh, as promtool's */
			b->rc = appender_append(app, b->s[i].ref, b->s[i].ls, ts, v, &b->s[i].ref, &b->e);
			b->total += b->rc == 0;
		}
		if (b->rc)
			appender_rollback(app);
		else
			b->rc = appender_commit(app, &b->e);
	}
	return NULL;
}

/* ingestScrapes: rounds of 100 scrapes, a thread per batch of 1000. */
static int ingest(db *d, bench_series *s, size_t n, int scrapes, uint64_t *total, err *e)
{
	size_t nb = (n + BATCH - 1) / BATCH;
	bench_batch *b = fl_calloc(nb + 1, sizeof *b);
	pthread_t *th = fl_calloc(nb + 1, sizeof *th);
	int rc = b && th ? 0 : err_set(e, FL_ENOMEM, "out of memory");
	for (int i = 0; i < scrapes && rc == 0; i += ROUND) {
		size_t started = 0;
		for (size_t k = 0; k < nb; k++) {
			b[k] = (bench_batch){d, s + k * BATCH, FL_MIN(BATCH, n - k * BATCH), (int64_t)TIME_DELTA_MS * i, 0, {0}, 0};
			if (pthread_create(&th[k], NULL, ingest_batch, &b[k]) != 0) {
				rc = err_set(e, FL_EIO, "bench: cannot start a thread");
				break;
			}
			started++;
		}
		for (size_t k = 0; k < started; k++) {
			pthread_join(th[k], NULL);
			*total += b[k].total;
			if (b[k].rc) /* promtool prints " err ..." and goes on */
				printf(" err %s\n", b[k].e.msg);
		}
	}
	fl_free(b);
	fl_free(th);
	if (rc == 0)
		printf("ingestion completed\n");
	return rc;
}

int flinttool_tsdb_bench_write(const tsdb_bench_opts *o)
{
	char tmp[] = "/tmp/tsdb_benchXXXXXX";
	const char *out = o->out;
	err e;
	err_clear(&e);
	if (!*out && !(out = mkdtemp(tmp))) {
		fprintf(stderr, "mkdtemp: %s\n", flinttool_go_strerror(errno));
		return 1;
	}
	if (fsutil_remove_all(out, &e) || (mkdir(out, 0777) && errno != EEXIST)) {
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : flinttool_go_strerror(errno));
		return 1;
	}
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/storage", out);
	db_opts dopts;
	db_opts_default(&dopts);
	dopts.retention_ms = 15 * 24 * 3600 * 1000LL;
	dopts.chunk_range_ms = 2 * 3600 * 1000LL;
	dopts.maintenance_interval_ms = 0; /* DisableCompactions */
	log_set_level(LOG_WARN);
	db *d = db_open(dir, &dopts, &e);
	if (!d) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	arena a;
	arena_init(&a);
	bench_series *s = NULL;
	size_t n = 0;
	uint64_t total = 0;
	int64_t t0;
	stage_start("readData", &t0);
	int rc = read_series(o->file, o->metrics, &a, &s, &n, &e);
	if (rc == 0) {
		stage_done("readData", t0);
		stage_start("ingestScrapes", &t0);
		rc = ingest(d, s, n, o->scrapes, &total, &e);
	}
	if (rc == 0) {
		int64_t ns = stage_done("ingestScrapes", t0);
		char rate[FMT_FLOAT_MAX];
		fmt_go_g(rate, (double)total / ((double)ns / 1e9));
		printf(" > total samples: %" PRIu64 "\n > samples/sec: %s\n", total, rate);
		stage_start("stopStorage", &t0);
	}
	db_close(d);
	if (rc == 0)
		stage_done("stopStorage", t0);
	fflush(stdout);
	fl_free(s);
	arena_reset(&a);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : fl_strerror(rc));
		return 1;
	}
	return 0;
}
