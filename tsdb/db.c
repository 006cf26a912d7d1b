/*
 * db.c - the database: one data directory in Prometheus's layout (see
 * db.h), tying the persisted blocks, the head and its WAL together
 * (Prometheus tsdb/db.go Open / openDBWithMetrics, head.go Init).
 *
 * Open, in order:
 *   1. create the directory (unless read-only) and take `lock` with flock
 *      (read-only opens take no lock, as promtool's);
 *   2. load every block: a <ULID>/ directory holding meta.json;
 *   3. open the head with the log hook below and min valid time = the
 *      newest block's maxTime (exclusive), so samples already in a block
 *      are not replayed twice;
 *   4. replay the WAL (db_replay.c): last checkpoint, then the segments
 *      after it; damage is logged, counted and (read-write) repaired;
 *   5. read-write: open the WAL writer, which starts a new segment.
 *
 * Writes: the head calls db_log at every commit with the new series and
 * the accepted samples; db_log encodes one series record and one samples
 * record and writes both in one wal_log batch (all or nothing). Only after
 * it returns do the samples become visible, so whatever a committer was
 * told is committed is in the WAL (in the page cache; the kernel writes it
 * even if the process is killed).
 *
 * Reads: db_queryable opens one querier per block overlapping the range and
 * one on the head, merged by querier_merge (tsdb/merge.c).
 *
 * Locks: log_mu serialises db_log (it guards the encode buffers; wal_log
 * has its own mutex). Blocks are immutable while the db is open.
 */
#include "tsdb/db.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"
#include "lib/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DB_DEFAULT_RANGE_MS (2 * 3600 * 1000LL)
#define DB_DEFAULT_RETENTION_MS (15 * 24 * 3600 * 1000LL)

struct db {
	queryable q;           /* must be first: db_queryable hands out &d->q */
	char *dir;             /* data directory, owned */
	db_opts opts;          /* as opened */
	int lock_fd;           /* flock'ed dir/lock, -1 when read-only */
	head *h;               /* the head */
	wal *w;                /* WAL writer, NULL when read-only */
	block **blocks;        /* loaded blocks, by minTime */
	size_t n_blocks;       /* number of blocks */
	int64_t min_valid_ms;  /* newest block's maxTime (INT64_MIN when none) */
	db_replay_stats replay; /* what the open-time replay did */
	int64_t replay_ms;     /* its duration */
	pthread_mutex_t log_mu; /* guards the encode state below */
	buf series_rec;        /* encoded series record (log_mu) */
	buf samples_rec;       /* encoded samples record (log_mu) */
};

static querier *db_querier(queryable *self, int64_t mint, int64_t maxt, err *e);

void db_opts_default(db_opts *o)
{
	memset(o, 0, sizeof *o);
	o->wal_compression = true;
	o->retention_ms = DB_DEFAULT_RETENTION_MS;
	o->chunk_range_ms = DB_DEFAULT_RANGE_MS;
}

const char *db_dir(const db *d) { return d->dir; }

int db_head_cardinality(db *d, size_t limit, arena *a, head_cardinality *out, err *e)
{
	return head_cardinality_get(d->h, limit, a, out, e);
}

block *const *db__blocks(const db *d, size_t *n)
{
	*n = d->n_blocks;
	return d->blocks;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- directory and lock ---- */

static int mkdir_p(const char *dir, err *e)
{
	char path[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof path)
		return err_set(e, FL_EINVAL, "db: bad directory name \"%s\"", dir);
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		char c = path[i];
		path[i] = 0;
		if (mkdir(path, 0777) && errno != EEXIST)
			return err_set(e, FL_EIO, "db: create %s: %s", path, strerror(errno));
		path[i] = c;
	}
	return 0;
}

static int take_lock(db *d, err *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/lock", d->dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->lock_fd < 0)
		return err_set(e, FL_EIO, "lock DB directory: open %s: %s", path, strerror(errno));
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		int errnum = errno;
		close(d->lock_fd);
		d->lock_fd = -1;
		return err_set(e, FL_EUNAVAILABLE, "lock DB directory: %s: %s", path, strerror(errnum));
	}
	return 0;
}

/* ---- blocks ---- */

bool db_is_ulid(const char *s)
{
	if (strlen(s) != 26)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", *s))
			return false;
	return true;
}

static int block_cmp(const void *a, const void *b)
{
	int64_t x = block_meta_get(*(block *const *)a)->min_time, y = block_meta_get(*(block *const *)b)->min_time;
	return x < y ? -1 : x > y;
}

static int add_block(db *d, const char *name, size_t *cap, err *e)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s/meta.json", d->dir, name);
	if (stat(path, &st))
		return 0; /* not (yet) a block: Prometheus ignores it too */
	snprintf(path, sizeof path, "%s/%s", d->dir, name);
	err be;
	err_clear(&be);
	block *b = block_open(path, &be);
	if (!b) {
		if (be.code == FL_ENOMEM)
			return err_set(e, FL_ENOMEM, "%s", be.msg);
		log_error("tsdb", "Cannot open block: skipping it", "block", name, "err", be.msg, NULL);
		return 0;
	}
	if (!fl_grow((void **)&d->blocks, cap, d->n_blocks + 1, sizeof *d->blocks)) {
		block_close(b);
		return err_set(e, FL_ENOMEM, "db: out of memory loading blocks");
	}
	d->blocks[d->n_blocks++] = b;
	return 0;
}

static int load_blocks(db *d, err *e)
{
	DIR *dh = opendir(d->dir);
	if (!dh)
		return err_set(e, FL_EIO, "db: open %s: %s", d->dir, strerror(errno));
	size_t cap = 0;
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(dh)))
		if (db_is_ulid(de->d_name))
			rc = add_block(d, de->d_name, &cap, e);
	closedir(dh);
	if (rc)
		return rc;
	if (d->n_blocks > 1)
		qsort(d->blocks, d->n_blocks, sizeof *d->blocks, block_cmp);
	d->min_valid_ms = INT64_MIN;
	for (size_t i = 0; i < d->n_blocks; i++)
		d->min_valid_ms = FL_MAX(d->min_valid_ms, block_meta_get(d->blocks[i])->max_time);
	return 0;
}

/* ---- the head's log hook ---- */

/* Encode the batch into the reusable record buffers (log_mu held). */
static int encode_batch(db *d, const head_log_batch *b, slice *recs, size_t *n, err *e)
{
	*n = 0;
	buf_clear(&d->series_rec);
	buf_clear(&d->samples_rec);
	if (b->n_series) {
		record_encode_series(&d->series_rec, b->series, b->n_series);
		recs[(*n)++] = (slice){(const char *)d->series_rec.p, d->series_rec.len};
	}
	if (b->n_samples) {
		record_encode_samples(&d->samples_rec, b->samples, b->n_samples);
		recs[(*n)++] = (slice){(const char *)d->samples_rec.p, d->samples_rec.len};
	}
	if (d->series_rec.oom || d->samples_rec.oom) {
		buf_reset(&d->series_rec);
		buf_reset(&d->samples_rec);
		return err_set(e, FL_ENOMEM, "wal: out of memory encoding a commit");
	}
	return 0;
}

static int db_log(void *ctx, const head_log_batch *b, err *e)
{
	db *d = ctx;
	if (!d->w || (!b->n_series && !b->n_samples))
		return 0;
	pthread_mutex_lock(&d->log_mu);
	slice recs[2];
	size_t n;
	int rc = encode_batch(d, b, recs, &n, e);
	if (rc == 0)
		rc = wal_log(d->w, recs, n, e);
	pthread_mutex_unlock(&d->log_mu);
	return rc;
}

/* ---- open / close ---- */

static int open_head(db *d, err *e)
{
	char cdir[4096];
	snprintf(cdir, sizeof cdir, "%s/chunks_head", d->dir);
	head_opts ho = {.chunk_range_ms = d->opts.chunk_range_ms, .log = db_log, .log_ctx = d,
			.chunks_dir = cdir, .chunks_read_only = d->opts.read_only};
	d->h = head_open(&ho, e);
	if (!d->h)
		return e && e->code ? e->code : FL_ENOMEM;
	if (d->min_valid_ms != INT64_MIN)
		head_set_min_valid_time(d->h, d->min_valid_ms);
	return 0;
}

static int replay_wal(db *d, err *e)
{
	char waldir[4096];
	snprintf(waldir, sizeof waldir, "%s/wal", d->dir);
	log_info("tsdb", "Replaying WAL, this may take a while", "dir", waldir, NULL);
	int64_t t0 = now_ms();
	int rc = db__replay_wal(d->h, waldir, d->min_valid_ms, !d->opts.read_only, &d->replay, e);
	d->replay_ms = now_ms() - t0;
	if (rc)
		return rc;
	char dur[32], series[32], samples[32], mm[32];
	snprintf(dur, sizeof dur, "%.3fs", (double)d->replay_ms / 1000);
	snprintf(series, sizeof series, "%" PRId64, d->replay.series);
	snprintf(samples, sizeof samples, "%" PRId64, d->replay.samples);
	snprintf(mm, sizeof mm, "%" PRId64, d->replay.mmapped_chunks);
	log_info("tsdb", "WAL replay completed", "duration", dur, "series", series, "samples", samples,
		 "mmapped_chunks", mm, NULL);
	if (d->opts.read_only)
		return 0;
	wal_opts wo = {.compress = d->opts.wal_compression};
	d->w = wal_open(waldir, &wo, e);
	return d->w ? 0 : (e && e->code ? e->code : FL_EIO);
}

db *db_open(const char *dir, const db_opts *o, err *e)
{
	db *d = fl_calloc(1, sizeof *d);
	if (!d) {
		err_set(e, FL_ENOMEM, "db: out of memory");
		return NULL;
	}
	db_opts_default(&d->opts);
	if (o)
		d->opts = *o;
	if (d->opts.chunk_range_ms <= 0)
		d->opts.chunk_range_ms = DB_DEFAULT_RANGE_MS;
	d->lock_fd = -1;
	d->min_valid_ms = INT64_MIN;
	pthread_mutex_init(&d->log_mu, NULL);
	buf_init(&d->series_rec);
	buf_init(&d->samples_rec);
	d->q.querier = db_querier;
	d->dir = fl_strdup(dir);
	int rc = d->dir ? 0 : err_set(e, FL_ENOMEM, "db: out of memory");
	if (rc == 0 && !d->opts.read_only)
		rc = mkdir_p(dir, e);
	if (rc == 0 && !d->opts.read_only)
		rc = take_lock(d, e);
	if (rc == 0)
		rc = load_blocks(d, e);
	if (rc == 0)
		rc = open_head(d, e);
	if (rc == 0)
		rc = replay_wal(d, e);
	if (rc) {
		db_close(d);
		return NULL;
	}
	return d;
}

void db_close(db *d)
{
	if (!d)
		return;
	if (d->w) {
		err e;
		if (wal_close(d->w, &e))
			log_error("tsdb", "Closing the WAL failed", "err", e.msg, NULL);
	}
	head_close(d->h);
	for (size_t i = 0; i < d->n_blocks; i++)
		block_close(d->blocks[i]);
	fl_free(d->blocks);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* releases the flock */
	buf_reset(&d->series_rec);
	buf_reset(&d->samples_rec);
	pthread_mutex_destroy(&d->log_mu);
	fl_free(d->dir);
	fl_free(d);
}

/* ---- the seams ---- */

appender *db_appender(db *d) { return head_appender(d->h); }

queryable *db_queryable(db *d) { return &d->q; }

/* One querier per overlapping block plus the head, merged. */
static querier *db_querier(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	db *d = (db *)self;
	querier **qs = fl_calloc(d->n_blocks + 1, sizeof *qs);
	if (!qs) {
		err_set(e, FL_ENOMEM, "db: out of memory opening a querier");
		return NULL;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->n_blocks; i++) {
		block *b = d->blocks[i];
		/* block maxTime is exclusive */
		if (block_meta_get(b)->min_time > maxt || block_meta_get(b)->max_time <= mint)
			continue;
		if (!(qs[n] = queryable_querier(block_queryable(b), mint, maxt, e)))
			goto fail;
		n++;
	}
	if (!(qs[n] = queryable_querier(head_queryable(d->h), mint, maxt, e)))
		goto fail;
	n++;
	querier *q = querier_merge(qs, n, mint, maxt, e); /* owns the queriers, copies the array */
	fl_free(qs);
	return q;
fail:
	for (size_t i = 0; i < n; i++)
		querier_close(qs[i]);
	fl_free(qs);
	return NULL;
}

void db_get_stats(db *d, db_stats *s)
{
	memset(s, 0, sizeof *s);
	head_stats hs;
	head_get_stats(d->h, &hs);
	s->head_series = hs.series;
	s->head_chunks = hs.chunks;
	s->head_samples_appended = hs.samples_appended;
	s->head_min_time = hs.min_time;
	s->head_max_time = hs.max_time;
	s->out_of_order_samples = hs.out_of_order;
	s->blocks_loaded = (int64_t)d->n_blocks;
	s->wal_corruptions = d->replay.corruptions;
	s->wal_segment_current = d->w ? wal_segment_current(d->w) : -1;
	s->replay_ms = d->replay_ms;
	s->replay_series = d->replay.series;
	s->replay_samples = d->replay.samples;
	s->replay_in_mmapped = d->replay.in_mmapped;
	s->head_truncations = hs.truncations;
	s->head_series_removed = hs.series_removed;
	s->min_time = hs.min_time;
	s->max_time = hs.max_time;
	for (size_t i = 0; i < d->n_blocks; i++) {
		s->min_time = FL_MIN(s->min_time, block_meta_get(d->blocks[i])->min_time);
		s->max_time = FL_MAX(s->max_time, block_meta_get(d->blocks[i])->max_time - 1);
	}
}
