/*
 * db.c - the database: one data directory in Prometheus's layout (see
 * db.h), tying the persisted blocks, the head and its WAL together
 * (Prometheus tsdb/db.go Open / openDBWithMetrics, head.go Init).
 *
 * Open, in order:
 *   1. create the directory (unless read-only) and take `lock` with flock
 *      (read-only opens take no lock, as promtool's);
 *   2. load the blocks (db_blocks.c): leftover tmp directories and the
 *      parents of compacted blocks removed, broken blocks skipped and
 *      counted; read-write, retention applied (as Prometheus's open runs
 *      reloadBlocks);
 *   3. open the head with the log hook below and min valid time = the
 *      newest block's maxTime (exclusive), so samples already in a block
 *      are not replayed twice;
 *   4. replay the WAL (db_replay.c): last checkpoint, then the segments
 *      after it; damage is logged, counted and (read-write) repaired;
 *   5. read-write: open the WAL writer, which starts a new segment;
 *   6. read-write with maintenance_interval_ms > 0: start the maintenance
 *      thread, which runs db_compact every interval (Prometheus's db.run
 *      loop: a minute), then head_release_memory (heap freed by chunk cuts
 *      back to the system).
 *
 * Maintenance (db_compact, under maint_mu): cut blocks from the head,
 * compact blocks, then db_reload: rescan the directory (new blocks in,
 * their parents out) and apply retention, swapping the block set. The
 * first two are the compaction glue below (compact.c plans and writes); the WAL side of a
 * head compaction is db_truncate_wal; what goes into a block and which
 * blocks merge is compact.c's.
 *
 * Writes: the head calls db_log at every commit with the new series and
 * the accepted samples; db_log encodes one series record and one samples
 * record and writes both in one wal_log batch (all or nothing). Only after
 * it returns do the samples become visible, so whatever a committer was
 * told is committed is in the WAL (in the page cache; the kernel writes it
 * even if the process is killed).
 *
 * Reads: db_queryable acquires the current block set, pins the blocks that
 * overlap the range (the others are neither opened nor pinned), opens one
 * querier on each and one on the head, merged by querier_merge
 * (tsdb/merge.c); closing the querier unpins them. A block retention or
 * compaction drops stays readable until then (db_blocks.c).
 *
 * Locks: maint_mu serialises maintenance (block-set writers) and is taken
 * before db_blocks.mu; log_mu serialises db_log (it guards the encode
 * buffers; wal_log has its own mutex); stats_mu guards the compaction
 * histogram. Counters are atomics: each is read alone.
 */
#include "tsdb/db.h"
#include "tsdb/block.h"
#include "tsdb/compact.h"
#include "tsdb/db_blocks.h"
#include "tsdb/head.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"
#include "lib/fsutil.h"
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
#define DB_MAX_BLOCK_DURATION_MS (31 * 24 * 3600 * 1000LL) /* Prometheus's cap: 31d */

/* Counters for /metrics (atomics: each read on its own). */
typedef struct db_counters {
	atomic_llong time_retentions;      /* prometheus_tsdb_time_retentions_total */
	atomic_llong size_retentions;      /* prometheus_tsdb_size_retentions_total */
	atomic_llong compactions;          /* prometheus_tsdb_compactions_total */
	atomic_llong compactions_failed;   /* prometheus_tsdb_compactions_failed_total */
	atomic_llong checkpoint_creations; /* prometheus_tsdb_checkpoint_creations_total */
	atomic_llong checkpoint_failures;  /* prometheus_tsdb_checkpoint_creations_failed_total */
	atomic_llong blocks_failed;        /* blocks skipped as broken, at open and reloads */
	atomic_llong reloads;              /* prometheus_tsdb_reloads_total */
	atomic_llong reload_failures;      /* prometheus_tsdb_reloads_failures_total */
} db_counters;

struct db {
	queryable q;           /* must be first: db_queryable hands out &d->q */
	char *dir;             /* data directory, owned */
	db_opts opts;          /* as opened */
	int lock_fd;           /* flock'ed dir/lock, -1 when read-only */
	head *h;               /* the head */
	wal *w;                /* WAL writer, NULL when read-only */
	db_blocks blocks;      /* the loaded blocks (db_blocks.c) */
	bool blocks_ok;        /* blocks initialised (for db_close) */
	int64_t min_valid_ms;  /* newest block's maxTime at open (INT64_MIN when none) */
	pthread_mutex_t maint_mu; /* serialises maintenance: block-set writers */
	pthread_mutex_t stop_mu;  /* guards stop, with stop_cv */
	pthread_cond_t stop_cv;   /* wakes the maintenance thread to stop */
	bool stop;             /* db_close asked the thread to end (stop_mu) */
	bool kick;             /* a commit made the head compactable: run now (stop_mu) */
	bool maint_running;    /* the maintenance thread was started */
	pthread_t maint;       /* the maintenance thread */
	db_counters c;         /* /metrics counters */
	pthread_mutex_t stats_mu; /* guards the histogram below */
	int64_t compaction_buckets[DB_COMPACTION_BUCKETS]; /* cumulative counts, le = 2^i s */
	double compaction_seconds; /* sum of compaction durations */
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
	o->max_block_duration_ms = 0; /* derived: see db_block_ranges */
}

size_t db_block_ranges(const db_opts *o, int64_t *ranges, size_t cap)
{
	int64_t min = o->chunk_range_ms > 0 ? o->chunk_range_ms : DB_DEFAULT_RANGE_MS;
	int64_t max = o->max_block_duration_ms;
	if (max <= 0) { /* cmd/prometheus/main.go: 10% of the retention time, at most 31d */
		max = DB_MAX_BLOCK_DURATION_MS;
		if (o->retention_ms > 0 && o->retention_ms / 10 < max)
			max = o->retention_ms / 10;
	}
	size_t n = 0;
	int64_t r = min;
	for (int i = 0; i < 10 && n < cap; i++) { /* tsdb.ExponentialBlockRanges(min, 10, 3) */
		if (n > 0 && r > max)
			break;
		ranges[n++] = r;
		if (r > INT64_MAX / 3)
			break;
		r *= 3;
	}
	return n;
}

const char *db_dir(const db *d) { return d->dir; }

int db_head_cardinality(db *d, size_t limit, arena *a, head_cardinality *out, err *e)
{
	return head_cardinality_get(d->h, limit, a, out, e);
}

db_block_set *db__blocks_acquire(db *d) { return db_blocks_acquire(&d->blocks); }
void db__blocks_swap(db *d, db_block_set *s) { db_blocks_swap(&d->blocks, s); }
head *db__head(db *d) { return d->h; }
int db__log_record(db *d, const void *rec, size_t len, err *e) { return d->w ? wal_log1(d->w, rec, len, e) : 0; }
void db__maint_lock(db *d) { pthread_mutex_lock(&d->maint_mu); }
void db__maint_unlock(db *d) { pthread_mutex_unlock(&d->maint_mu); }
bool db__read_only(const db *d) { return d->opts.read_only; }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- directory and lock ---- */

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

/* WAL and head chunks on disk: the head's share of the size retention
 * (Prometheus Head.Size). */
static int64_t head_disk_bytes(const db *d)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/wal", d->dir);
	int64_t n = fsutil_dir_size(p);
	snprintf(p, sizeof p, "%s/chunks_head", d->dir);
	return n + fsutil_dir_size(p);
}

/* Apply retention to s: a new set (the caller's) without the blocks beyond
 * it, counted; or s itself with a new ref when nothing goes. NULL on OOM. */
static db_block_set *retain(db *d, db_block_set *s, err *e)
{
	bool *del = fl_calloc(s->n + 1, sizeof *del);
	db_retention r;
	if (!del || db_blocks_retention(s, d->opts.retention_ms, d->opts.retention_bytes, head_disk_bytes(d), del, &r, e)) {
		fl_free(del);
		err_set(e, FL_ENOMEM, "db: out of memory applying retention");
		return NULL;
	}
	db_block_set *out = s;
	if (r.n == 0)
		atomic_fetch_add(&s->refs, 1);
	else
		out = db_block_set_without(s, del);
	fl_free(del);
	if (!out)
		err_set(e, FL_ENOMEM, "db: out of memory applying retention");
	if (out && r.time)
		atomic_fetch_add(&d->c.time_retentions, 1);
	if (out && r.size)
		atomic_fetch_add(&d->c.size_retentions, 1);
	if (out && r.n) {
		char n[24];
		snprintf(n, sizeof n, "%zu", r.n);
		log_info("tsdb", "Deleting blocks beyond retention", "blocks", n, "time", r.time ? "true" : "false", "size",
			 r.size ? "true" : "false", NULL);
	}
	return out;
}

int db_reload(db *d, err *e)
{
	db_block_set *cur = db_blocks_acquire(&d->blocks), *loaded = NULL, *kept = NULL;
	int64_t failed = 0;
	atomic_fetch_add(&d->c.reloads, 1);
	int rc = db_blocks_load(d->dir, d->opts.read_only, d->blocks_ok ? cur : NULL, &loaded, &failed, e);
	if (rc == 0 && !d->opts.read_only && !(kept = retain(d, loaded, e)))
		rc = FL_ENOMEM;
	if (rc == 0) {
		db_blocks_swap(&d->blocks, kept ? kept : loaded);
		if (kept)
			db_block_set_release(loaded);
	} else {
		db_block_set_release(loaded);
		atomic_fetch_add(&d->c.reload_failures, 1);
	}
	atomic_fetch_add(&d->c.blocks_failed, failed);
	db_block_set_release(cur);
	return rc;
}

static int load_blocks(db *d, err *e)
{
	if (db_blocks_init(&d->blocks, e))
		return FL_ENOMEM;
	int rc = db_reload(d, e);
	d->blocks_ok = true;
	if (rc)
		return rc;
	db_block_set *s = db_blocks_acquire(&d->blocks);
	d->min_valid_ms = s->max_time;
	db_block_set_release(s);
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
			.chunks_dir = cdir, .chunks_read_only = d->opts.read_only,
			.series_removed = d->opts.series_removed, .series_removed_ctx = d->opts.series_removed_ctx};
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
	int rc = db__replay_wal(d->h, waldir, d->min_valid_ms, !d->opts.read_only, 0, &d->replay, e);
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

/* ---- maintenance ---- */

/* ---- compaction glue (Prometheus tsdb/db.go Compact, compactHead,
 * compactBlocks; head.go compactable) ---- */

#define DB_MAX_COMPACTIONS_PER_ROUND 1000 /* bound on each loop of a round */

/* Is the head wide enough to cut its oldest range (head.compactable:
 * maxt - mint > 1.5 x chunk range)? Then [*mint, *maxt) is that range:
 * from the head's min time to the end of its aligned range
 * (rangeForTimestamp). */
static bool head_compactable(db *d, int64_t *mint, int64_t *maxt)
{
	head_stats hs;
	head_get_stats(d->h, &hs);
	int64_t r = d->opts.chunk_range_ms;
	if (hs.min_time > hs.max_time || hs.max_time - hs.min_time <= r / 2 * 3)
		return false;
	*mint = hs.min_time;
	*maxt = (hs.min_time / r) * r + r;
	return true;
}

static void note_failed_compaction(db *d, const char *what, err *e)
{
	atomic_fetch_add(&d->c.compactions_failed, 1);
	log_error("tsdb", what, "err", e && e->msg[0] ? e->msg : "unknown", NULL);
}

/*
 * Cut [mint, maxt) of the head into a level-1 block while appends go on:
 * appends below maxt are refused from now (out of bounds, as they are
 * already by the head's window for all but appenders opened long ago), the
 * head's querier takes a snapshot, the block is written from it and
 * loaded, then the head drops what the block holds. A crash before the
 * rename leaves the head's WAL in charge; after it, the next open skips
 * the block's range on replay (min valid time = its maxTime).
 */
static int compact_head_range(db *d, int64_t mint, int64_t maxt, err *e)
{
	int64_t t0 = now_ms();
	head_set_min_valid_time(d->h, FL_MAX(maxt, d->min_valid_ms));
	querier *q = queryable_querier(head_queryable(d->h), mint, maxt - 1, e);
	int rc = q ? 0 : (e && e->code ? e->code : FL_ENOMEM);
	block_meta m;
	if (rc == 0)
		rc = compact_write(q, d->dir, mint, maxt, NULL, &m, e);
	querier_close(q); /* before head_truncate, which waits for older readers */
	bool empty = rc == FL_ENOTFOUND;
	if (empty) {
		rc = 0;
		err_clear(e);
	}
	if (rc == 0 && !empty)
		rc = db_reload(d, e);
	if (rc) {
		note_failed_compaction(d, "Head compaction failed", e);
		return rc;
	}
	head_truncate(d->h, maxt);
	if (!empty) {
		double secs = (double)(now_ms() - t0) / 1000;
		db__note_compaction(d, secs);
		char lo[24], hi[24], dur[32];
		snprintf(lo, sizeof lo, "%" PRId64, mint);
		snprintf(hi, sizeof hi, "%" PRId64, maxt);
		snprintf(dur, sizeof dur, "%.3fs", secs);
		log_info("tsdb", "write block", "mint", lo, "maxt", hi, "ulid", m.ulid, "duration", dur, NULL);
	}
	return 0;
}

static bool keep_alive(void *ctx, uint64_t ref) { return head_series_alive(((db *)ctx)->h, ref); }

/* Head compaction while compactable, then the WAL's truncation up to the
 * last range cut (head.truncateWAL). */
static int compact_head(db *d, err *e)
{
	int64_t mint, maxt, last = INT64_MIN;
	int rc = 0;
	for (int i = 0; i < DB_MAX_COMPACTIONS_PER_ROUND && rc == 0 && head_compactable(d, &mint, &maxt); i++) {
		rc = compact_head_range(d, mint, maxt, e);
		if (rc == 0)
			last = maxt;
	}
	if (last != INT64_MIN) {
		err e2;
		err_clear(&e2);
		int wrc = db_truncate_wal(d, last, keep_alive, d, &e2);
		if (wrc)
			log_error("tsdb", "WAL truncation failed", "err", e2.msg, NULL);
		if (rc == 0 && wrc) {
			rc = wrc;
			if (e)
				*e = e2;
		}
	}
	return rc;
}

/* Drop s's blocks marked in del from the db at once (a compaction left
 * nothing of them): they are deleted when their last reader goes. */
static int drop_blocks(db *d, db_block_set *s, const bool *del, err *e)
{
	db_block_set *n = db_block_set_without(s, del);
	if (!n)
		return err_set(e, FL_ENOMEM, "db: out of memory dropping compacted blocks");
	db_blocks_swap(&d->blocks, n);
	return 0;
}

/* One planned block compaction of the current set; *did when one ran. */
static int compact_blocks_once(db *d, bool *did, err *e)
{
	int64_t ranges[10];
	size_t n_ranges = db_block_ranges(&d->opts, ranges, 10);
	db_block_set *s = db_blocks_acquire(&d->blocks);
	compact_block_info *info = fl_calloc(s->n + 1, sizeof *info);
	size_t *pick = fl_calloc(s->n + 1, sizeof *pick);
	block **bs = fl_calloc(s->n + 1, sizeof *bs);
	bool *del = fl_calloc(s->n + 1, sizeof *del);
	int rc = info && pick && bs && del ? 0 : err_set(e, FL_ENOMEM, "db: out of memory planning compaction");
	*did = false;
	size_t k = 0;
	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		const block_meta *m = block_meta_get(s->v[i]->b);
		info[i] = (compact_block_info){m->min_time, m->max_time, m->num_series, m->num_tombstones};
	}
	if (rc == 0)
		k = compact_plan(info, s->n, ranges, n_ranges, pick);
	if (k) {
		int64_t t0 = now_ms();
		for (size_t j = 0; j < k; j++) {
			bs[j] = s->v[pick[j]]->b;
			del[pick[j]] = true;
		}
		block_meta m;
		rc = compact_blocks(bs, k, d->dir, &m, e);
		if (rc == FL_ENOTFOUND) { /* all deleted: Prometheus marks the inputs deletable */
			err_clear(e);
			rc = drop_blocks(d, s, del, e);
		} else if (rc == 0) {
			rc = db_reload(d, e); /* loads m, drops its parents */
		}
		if (rc)
			note_failed_compaction(d, "Block compaction failed", e);
		else
			db__note_compaction(d, (double)(now_ms() - t0) / 1000);
		*did = rc == 0;
	}
	fl_free(info);
	fl_free(pick);
	fl_free(bs);
	fl_free(del);
	db_block_set_release(s);
	return rc;
}

int db_compact(db *d, err *e)
{
	if (d->opts.read_only)
		return 0;
	pthread_mutex_lock(&d->maint_mu);
	int rc = compact_head(d, e);
	int64_t mint, maxt;
	bool did = true;
	/* Block compaction gives way to the head as soon as it is compactable
	 * again (db.go compactBlocks). A failure stops the round: the old
	 * blocks stay, the next round retries. */
	for (int i = 0; i < DB_MAX_COMPACTIONS_PER_ROUND && rc == 0 && did && !head_compactable(d, &mint, &maxt); i++)
		rc = compact_blocks_once(d, &did, e);
	if (rc == 0)
		rc = db_reload(d, e); /* retention, and whatever blocks appeared */
	pthread_mutex_unlock(&d->maint_mu);
	return rc;
}

static void *maint_main(void *arg)
{
	db *d = arg;
	pthread_mutex_lock(&d->stop_mu);
	while (!d->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = ts.tv_nsec + (d->opts.maintenance_interval_ms % 1000) * 1000000;
		ts.tv_sec += d->opts.maintenance_interval_ms / 1000 + ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		while (!d->stop && !d->kick)
			if (pthread_cond_timedwait(&d->stop_cv, &d->stop_mu, &ts) == ETIMEDOUT)
				break;
		if (d->stop)
			break;
		d->kick = false;
		pthread_mutex_unlock(&d->stop_mu);
		err e;
		err_clear(&e);
		if (db_compact(d, &e))
			log_error("tsdb", "Compaction failed", "err", e.msg, NULL);
		head_release_memory(d->h); /* the open chunks' high-water mark, once cut (head.h) */
		pthread_mutex_lock(&d->stop_mu);
	}
	pthread_mutex_unlock(&d->stop_mu);
	return NULL;
}

static int start_maintenance(db *d, err *e)
{
	if (d->opts.read_only || d->opts.maintenance_interval_ms <= 0)
		return 0;
	if (pthread_create(&d->maint, NULL, maint_main, d))
		return err_set(e, FL_ENOMEM, "db: cannot start the maintenance thread");
	d->maint_running = true;
	return 0;
}

static void stop_maintenance(db *d)
{
	if (!d->maint_running)
		return;
	pthread_mutex_lock(&d->stop_mu);
	d->stop = true;
	pthread_cond_signal(&d->stop_cv);
	pthread_mutex_unlock(&d->stop_mu);
	pthread_join(d->maint, NULL);
	d->maint_running = false;
}

int db_truncate_wal(db *d, int64_t mint, bool (*keep)(void *ctx, uint64_t ref), void *ctx, err *e)
{
	if (!d->w)
		return 0;
	int cp = -1;
	wal_checkpoint_stats st;
	int rc = wal_checkpoint_truncate(d->w, mint, keep, ctx, d->opts.wal_compression, &cp, &st, e);
	if (rc || cp >= 0) /* Prometheus counts every attempt */
		atomic_fetch_add(&d->c.checkpoint_creations, 1);
	if (rc)
		atomic_fetch_add(&d->c.checkpoint_failures, 1);
	return rc;
}

void db__note_compaction(db *d, double seconds)
{
	atomic_fetch_add(&d->c.compactions, 1);
	pthread_mutex_lock(&d->stats_mu);
	d->compaction_seconds += seconds;
	double le = 1;
	for (int i = 0; i < DB_COMPACTION_BUCKETS; i++, le *= 2)
		if (seconds <= le)
			d->compaction_buckets[i]++;
	pthread_mutex_unlock(&d->stats_mu);
}


/* ---- open / close ---- */

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
	pthread_mutex_init(&d->maint_mu, NULL);
	pthread_mutex_init(&d->stop_mu, NULL);
	pthread_mutex_init(&d->stats_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	buf_init(&d->series_rec);
	buf_init(&d->samples_rec);
	d->q.querier = db_querier;
	d->dir = fl_strdup(dir);
	int rc = d->dir ? 0 : err_set(e, FL_ENOMEM, "db: out of memory");
	if (rc == 0 && !d->opts.read_only)
		rc = fsutil_mkdir_all(dir, e) ? err_wrap(e, "db") : 0;
	if (rc == 0 && !d->opts.read_only)
		rc = take_lock(d, e);
	if (rc == 0)
		rc = load_blocks(d, e);
	if (rc == 0)
		rc = open_head(d, e);
	if (rc == 0)
		rc = replay_wal(d, e);
	if (rc == 0)
		rc = start_maintenance(d, e);
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
	stop_maintenance(d);
	if (d->w) {
		err e;
		if (wal_close(d->w, &e))
			log_error("tsdb", "Closing the WAL failed", "err", e.msg, NULL);
	}
	head_close(d->h);
	db_blocks_destroy(&d->blocks);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* releases the flock */
	buf_reset(&d->series_rec);
	buf_reset(&d->samples_rec);
	pthread_mutex_destroy(&d->log_mu);
	pthread_mutex_destroy(&d->maint_mu);
	pthread_mutex_destroy(&d->stop_mu);
	pthread_mutex_destroy(&d->stats_mu);
	pthread_cond_destroy(&d->stop_cv);
	fl_free(d->dir);
	fl_free(d);
}

/* ---- the seams ---- */

/* The db's appender: the head's, plus Prometheus's dbAppender.Commit
 * nudge - a commit that leaves the head compactable wakes the maintenance
 * thread at once instead of at its next tick. */
typedef struct db_app {
	appender base; /* must be first */
	appender *in;  /* the head's appender, owned until commit/rollback */
	db *d;         /* the db */
} db_app;

static int dba_append(appender *a, series_ref ref, labels ls, int64_t t, double v, series_ref *out, err *e)
{
	return appender_append(((db_app *)a)->in, ref, ls, t, v, out, e);
}

static int dba_append_st(appender *a, series_ref ref, labels ls, int64_t st, int64_t t, double v, series_ref *out,
			 err *e)
{
	return appender_append_st(((db_app *)a)->in, ref, ls, st, t, v, out, e);
}

static int dba_append_histogram(appender *a, series_ref ref, labels ls, int64_t t, const void *h, series_ref *out,
				err *e)
{
	appender *in = ((db_app *)a)->in;
	return in->ops->append_histogram(in, ref, ls, t, h, out, e);
}

static int dba_commit(appender *a, err *e)
{
	db_app *x = (db_app *)a;
	db *d = x->d;
	int rc = appender_commit(x->in, e);
	fl_free(x);
	int64_t mint, maxt;
	if (rc == 0 && d->maint_running && head_compactable(d, &mint, &maxt)) {
		pthread_mutex_lock(&d->stop_mu);
		d->kick = true;
		pthread_cond_signal(&d->stop_cv);
		pthread_mutex_unlock(&d->stop_mu);
	}
	return rc;
}

static void dba_rollback(appender *a)
{
	appender_rollback(((db_app *)a)->in);
	fl_free(a);
}

static const struct appender_ops db_app_ops = {
	.append = dba_append, .append_histogram = dba_append_histogram, .commit = dba_commit,
	.rollback = dba_rollback, .append_st = dba_append_st,
};

appender *db_appender(db *d)
{
	if (!d->maint_running)
		return head_appender(d->h);
	db_app *x = fl_calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->in = head_appender(d->h);
	if (!x->in) {
		fl_free(x);
		return NULL;
	}
	x->base.ops = &db_app_ops;
	x->d = d;
	return &x->base;
}

queryable *db_queryable(db *d) { return &d->q; }

struct refcache *db_refcache(db *d) { return head_refcache(d->h); }

/* The merged querier plus the blocks it pinned. */
typedef struct db_querier_t {
	querier base;     /* must be first */
	querier *merged;  /* over the pinned blocks and the head, owned */
	db_block **pins;  /* blocks pinned for this querier, one ref each */
	size_t n_pins;
} db_querier_t;

static series_set *dbq_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	return querier_select(((db_querier_t *)q)->merged, sorted, h, ms, n);
}

static int dbq_label_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e)
{
	return querier_label_names(((db_querier_t *)q)->merged, ms, n, out, e);
}

static int dbq_label_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	return querier_label_values(((db_querier_t *)q)->merged, name, ms, n, out, e);
}

static void unpin(db_block **pins, size_t n)
{
	for (size_t i = 0; i < n; i++)
		db_block_unref(pins[i]);
	fl_free(pins);
}

static void dbq_close(querier *q)
{
	db_querier_t *x = (db_querier_t *)q;
	querier_close(x->merged); /* the block queriers first, then their blocks */
	unpin(x->pins, x->n_pins);
	fl_free(x);
}

static const struct querier_ops db_querier_ops = {
	.select = dbq_select, .label_names = dbq_label_names, .label_values = dbq_label_values, .close = dbq_close,
};

/* Pin the blocks of the current set that overlap [mint, maxt] into x->pins. */
static int pin_blocks(db *d, int64_t mint, int64_t maxt, db_querier_t *x, err *e)
{
	db_block_set *s = db_blocks_acquire(&d->blocks);
	x->pins = fl_calloc(s->n + 1, sizeof *x->pins);
	if (!x->pins) {
		db_block_set_release(s);
		return err_set(e, FL_ENOMEM, "db: out of memory opening a querier");
	}
	for (size_t i = 0; i < s->n; i++) {
		const block_meta *m = block_meta_get(s->v[i]->b);
		if (m->min_time > maxt || m->max_time <= mint) /* block maxTime is exclusive */
			continue;
		db_block_ref(s->v[i]);
		x->pins[x->n_pins++] = s->v[i];
	}
	db_block_set_release(s);
	return 0;
}

/* One querier per overlapping block plus the head, merged; the blocks stay
 * pinned until the querier closes. */
static querier *db_querier(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	db *d = (db *)self;
	db_querier_t *x = fl_calloc(1, sizeof *x);
	if (!x || pin_blocks(d, mint, maxt, x, e)) {
		fl_free(x);
		err_set(e, FL_ENOMEM, "db: out of memory opening a querier");
		return NULL;
	}
	x->base.ops = &db_querier_ops;
	querier **qs = fl_calloc(x->n_pins + 1, sizeof *qs);
	size_t n = 0;
	if (!qs) {
		err_set(e, FL_ENOMEM, "db: out of memory opening a querier");
		goto fail;
	}
	for (size_t i = 0; i < x->n_pins; i++, n++)
		if (!(qs[n] = queryable_querier(block_queryable(x->pins[i]->b), mint, maxt, e)))
			goto fail;
	if (!(qs[n] = queryable_querier(head_queryable(d->h), mint, maxt, e)))
		goto fail;
	n++;
	x->merged = querier_merge(qs, n, mint, maxt, e); /* owns the queriers, copies the array */
	fl_free(qs);
	if (!x->merged) {
		unpin(x->pins, x->n_pins);
		fl_free(x);
		return NULL;
	}
	return &x->base;
fail:
	for (size_t i = 0; i < n; i++)
		querier_close(qs[i]);
	fl_free(qs);
	unpin(x->pins, x->n_pins);
	fl_free(x);
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
	db_block_set *bs = db_blocks_acquire(&d->blocks);
	s->blocks_loaded = (int64_t)bs->n;
	s->blocks_bytes = bs->bytes;
	for (size_t i = 0; i < bs->n; i++) {
		s->min_time = FL_MIN(s->min_time, block_meta_get(bs->v[i]->b)->min_time);
		s->max_time = FL_MAX(s->max_time, block_meta_get(bs->v[i]->b)->max_time - 1);
	}
	db_block_set_release(bs);
	s->retention_limit_bytes = d->opts.retention_bytes;
	s->time_retentions = atomic_load(&d->c.time_retentions);
	s->size_retentions = atomic_load(&d->c.size_retentions);
	s->compactions = atomic_load(&d->c.compactions);
	s->compactions_failed = atomic_load(&d->c.compactions_failed);
	s->checkpoint_creations = atomic_load(&d->c.checkpoint_creations);
	s->checkpoint_creations_failed = atomic_load(&d->c.checkpoint_failures);
	s->blocks_failed = atomic_load(&d->c.blocks_failed);
	s->reloads = atomic_load(&d->c.reloads);
	s->reload_failures = atomic_load(&d->c.reload_failures);
	pthread_mutex_lock(&d->stats_mu);
	memcpy(s->compaction_buckets, d->compaction_buckets, sizeof s->compaction_buckets);
	s->compaction_seconds = d->compaction_seconds;
	pthread_mutex_unlock(&d->stats_mu);
}
