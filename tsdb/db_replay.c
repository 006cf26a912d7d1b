/*
 * db_replay.c - WAL replay into the head at open (Prometheus tsdb/head.go
 * Init and head_wal.go loadWAL: one decoding thread, samples sharded by
 * series to worker threads).
 *
 * Order, as Prometheus's head.Init:
 *   0. the head-chunk files (chunks_head/, loadMmappedChunks): their
 *      chunks wait, by series ref, for the series records below, which
 *      attach them; samples at or before a series' last such chunk are
 *      skipped (they are in it), by this thread from a table by ref
 *      (rref) without touching the series;
 *   1. the last checkpoint wal/checkpoint.NNNNNNNN (all its segments);
 *   2. the WAL segments after NNNNNNNN (all of them when there is no
 *      checkpoint).
 * Series records create series under their WAL refs (head_replay_series,
 * which also folds duplicate label sets into one series); samples records
 * append; tombstones records become the head's tombstones
 * (head_add_tombstones). Samples older than the min valid time (the newest
 * block's maxTime, exclusive) are already in a block and are skipped;
 * samples for refs no series record introduced (so far) are counted and
 * dropped; out-of-order samples are counted and dropped. Other record
 * types (exemplars, metadata, m-map markers, histograms) are skipped.
 *
 * Threads (as loadWAL's decoder and walSubsetProcessors): this thread reads
 * and decodes every record, creates series, adds tombstones, drops old
 * samples and unknown refs, and looks each sample's series up
 * (head_replay_lookup: an alias gives the series it aliases, as multiRef);
 * it appends the sample to the batch of the worker owning that series
 * (a hash of the series' address picks it), and hands a full batch over
 * (a ring of REPLAY_RING batches per worker; it waits when the ring is
 * full). A worker appends its batches in order (head_replay_append). So
 * each series gets its samples in WAL order from one thread, and whether a
 * sample's ref is known is decided where it stands in the WAL: the head
 * is the same whatever the worker count (only the order chunks are written
 * to chunks_head/ varies). One worker means no thread: this one appends.
 * Series creation meanwhile only adds series, which no worker has yet.
 *
 * Damage never stops the open: a corrupt checkpoint is logged and the WAL
 * segments are still read; a corrupt segment stops the read at the first
 * bad record (everything before it is kept), is logged with what was
 * dropped, and, when `repair` is set, is truncated there with wal_repair
 * (later segments deleted), as Prometheus's wlog.Repair. Each such event
 * counts one corruption.
 *
 * Invariant: every record is decoded into one arena that is reset after
 * the record, so replay memory is bounded by the largest record, the
 * batches (workers x REPLAY_RING x REPLAY_BATCH samples) and what the head
 * keeps.
 */
#include "tsdb/db.h"
#include "lib/buf.h"
#include "tsdb/head.h"
#include "tsdb/record.h"
#include "tsdb/tombstones.h"
#include "tsdb/wal.h"
#include "lib/log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLAY_BATCH 4096     /* samples handed to a worker at once */
#define REPLAY_RING 4          /* batches per worker: one filling, the rest queued */
#define REPLAY_MAX_WORKERS 8   /* Prometheus: GOMAXPROCS */

/* A worker thread and its ring of batches. The ring: batch
 * buf[i % REPLAY_RING] for taken <= i < put is queued (n[] items); the one
 * at put is being filled by the decoder (fill items); put - taken <
 * REPLAY_RING whenever the decoder fills. */
typedef struct rworker {
	pthread_t th;                          /* the thread (unused inline) */
	head *h;                               /* target */
	pthread_mutex_t mu;                    /* guards n, taken, put, done, rc */
	pthread_cond_t cv;                     /* broadcast on every change of those */
	head_replay_item *buf[REPLAY_RING];    /* the batches */
	size_t n[REPLAY_RING];                 /* items of queued batches */
	unsigned taken, put;                   /* batches started by the worker / queued by the decoder */
	bool done;                             /* no more batches come */
	size_t fill;                           /* decoder's: items in buf[put % REPLAY_RING] */
	int rc;                                /* first error (FL_ENOMEM); the worker writes it under mu */
	head_replay_counts c;                  /* worker's until joined: what it did */
} rworker;

/* The decoder's entry for a series ref, in a table indexed by ref (refs
 * are dense: Prometheus gives them out one by one): the series it names
 * (NULL: no series record introduced it yet) and the max time of the
 * m-mapped chunks the series was given at creation. A WAL sample at or
 * before that is in those chunks: it is dropped here, before a worker
 * touches the series (Prometheus's mmMaxTime check in loadWAL's decoder),
 * which makes a long WAL over m-mapped chunks cheap to replay. */
typedef struct rref {
	struct hseries *s; /* head_replay_lookup's answer for the ref */
	int64_t mm_maxt;   /* INT64_MIN: no m-mapped chunk (or not known here) */
} rref;

#define RREF_MAX (UINT64_C(1) << 27) /* refs at or above go through head_replay_lookup */

typedef struct replay {
	rref *refs;           /* by ref, n_refs entries */
	size_t n_refs;
	int64_t n_series;     /* series records seen (bounds the table) */
	head *h;              /* target */
	int64_t min_valid;    /* samples below are skipped */
	arena a;              /* per-record decode memory */
	db_replay_stats *st;  /* counters */
	rworker *w;           /* n_alloc workers, the first n_w in use */
	int n_w, n_alloc;
	bool threaded;        /* workers run in threads (else this thread appends) */
} replay;

static void *worker_main(void *arg)
{
	rworker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->taken == w->put && !w->done)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->taken == w->put)
			break;
		unsigned i = w->taken % REPLAY_RING;
		size_t n = w->n[i];
		int rc = w->rc; /* only this thread writes it */
		pthread_mutex_unlock(&w->mu);
		if (!rc) /* after an error, batches are only drained */
			rc = head_replay_append(w->h, w->buf[i], n, &w->c);
		pthread_mutex_lock(&w->mu);
		w->rc = rc;
		w->taken++;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hand the batch being filled over and wait for room for the next one.
 * 0, or the worker's error. */
static int worker_put(replay *r, rworker *w)
{
	unsigned i = w->put % REPLAY_RING;
	if (!r->threaded) {
		if (!w->rc)
			w->rc = head_replay_append(w->h, w->buf[i], w->fill, &w->c);
		w->fill = 0;
		return w->rc;
	}
	pthread_mutex_lock(&w->mu);
	w->n[i] = w->fill;
	w->put++;
	pthread_cond_broadcast(&w->cv);
	while (w->put - w->taken == REPLAY_RING)
		pthread_cond_wait(&w->cv, &w->mu);
	int rc = w->rc; /* read under mu: written before taken moved */
	pthread_mutex_unlock(&w->mu);
	w->fill = 0;
	return rc;
}

static int replay_workers(int want)
{
	if (want <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		want = n > 0 ? (int)n : 1;
	}
	return FL_MIN(want, REPLAY_MAX_WORKERS);
}

/* Allocate the workers (want, or one per CPU for 0; at most
 * REPLAY_MAX_WORKERS) and start their threads; with one, or when no
 * thread can be made, this thread appends. */
static int workers_start(replay *r, int want, err *e)
{
	int n = replay_workers(want);
	r->w = fl_calloc((size_t)n, sizeof *r->w);
	if (!r->w)
		return err_set(e, FL_ENOMEM, "replay: out of memory");
	r->n_alloc = n;
	for (int i = 0; i < n; i++) {
		r->w[i].h = r->h;
		pthread_mutex_init(&r->w[i].mu, NULL);
		pthread_cond_init(&r->w[i].cv, NULL);
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < (n > 1 ? REPLAY_RING : 1); k++)
			if (!(r->w[i].buf[k] = fl_malloc(REPLAY_BATCH * sizeof *r->w[i].buf[k])))
				return err_set(e, FL_ENOMEM, "replay: out of memory");
	r->n_w = 1;
	for (int i = 0; n > 1 && i < n; i++) {
		if (pthread_create(&r->w[i].th, NULL, worker_main, &r->w[i]))
			break; /* run with the threads started so far (the hash spreads over n_w) */
		r->threaded = true;
		r->n_w = i + 1;
	}
	return 0;
}

/* Hand over every partial batch, stop and join the threads, add up their
 * counts, free them. Returns the first worker error. */
static int workers_stop(replay *r)
{
	int rc = 0;
	for (int i = 0; i < r->n_w && r->w; i++) {
		rworker *w = &r->w[i];
		if (w->fill)
			(void)worker_put(r, w);
		if (r->threaded) {
			pthread_mutex_lock(&w->mu);
			w->done = true;
			pthread_cond_broadcast(&w->cv);
			pthread_mutex_unlock(&w->mu);
			pthread_join(w->th, NULL);
		}
		if (!rc)
			rc = w->rc;
		r->st->samples += w->c.samples;
		r->st->in_mmapped += w->c.in_mmapped;
		r->st->rejected += w->c.rejected;
	}
	for (int i = 0; i < r->n_alloc; i++) {
		for (int k = 0; k < REPLAY_RING; k++)
			fl_free(r->w[i].buf[k]);
		pthread_mutex_destroy(&r->w[i].mu);
		pthread_cond_destroy(&r->w[i].cv);
	}
	fl_free(r->w);
	r->w = NULL;
	r->n_w = r->n_alloc = 0;
	return rc;
}

/* Shard by the series' address: aliases of one series meet in one worker. */
static rworker *worker_of(replay *r, const struct hseries *s)
{
	uint64_t x = (uint64_t)(uintptr_t)s >> 4;
	return &r->w[((x * UINT64_C(0x9E3779B97F4A7C15)) >> 32) % (uint64_t)r->n_w];
}

/* The table entry for ref, grown to hold it while refs stay about as dense
 * as the series seen; NULL when ref is past that (or memory is short):
 * the ref then goes through head_replay_lookup each time. */
static rref *ref_slot(replay *r, uint64_t ref)
{
	if (ref < r->n_refs)
		return &r->refs[ref];
	if (ref >= RREF_MAX || ref > 4 * (uint64_t)r->n_series + 65536)
		return NULL;
	size_t n = FL_MAX(2 * r->n_refs, (size_t)ref + 1);
	n = FL_MAX(n, (size_t)4096);
	rref *p = fl_realloc(r->refs, n * sizeof *p);
	if (!p)
		return NULL;
	for (size_t i = r->n_refs; i < n; i++)
		p[i] = (rref){NULL, INT64_MIN};
	r->refs = p;
	r->n_refs = n;
	return &r->refs[ref];
}

static int replay_series(replay *r, const uint8_t *rec, size_t len, err *e)
{
	record_series *s;
	size_t n;
	int rc = record_decode_series(rec, len, &r->a, &s, &n, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int64_t mm_maxt;
		rc = head_replay_series_mm(r->h, s[i].ref, s[i].ls, &mm_maxt, e);
		if (rc)
			return rc;
		r->n_series++;
		rref *x = ref_slot(r, s[i].ref);
		if (x && !x->s) /* first record of the ref (a repeat changes nothing) */
			*x = (rref){head_replay_lookup(r->h, s[i].ref), mm_maxt};
	}
	r->st->series += (int64_t)n;
	return 0;
}

static int replay_samples(replay *r, const uint8_t *rec, size_t len, err *e)
{
	record_sample *s;
	size_t n;
	int rc = record_decode_samples(rec, len, &r->a, &s, &n, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (s[i].t < r->min_valid) {
			r->st->skipped_old++;
			continue;
		}
		const rref *x = s[i].ref < r->n_refs ? &r->refs[s[i].ref] : NULL;
		struct hseries *hs;
		if (x && x->s) {
			if (s[i].t <= x->mm_maxt) {
				r->st->in_mmapped++;
				continue;
			}
			hs = x->s;
		} else if (!(hs = head_replay_lookup(r->h, s[i].ref))) {
			r->st->unknown_refs++;
			continue;
		}
		rworker *w = worker_of(r, hs);
		w->buf[w->put % REPLAY_RING][w->fill++] = (head_replay_item){hs, s[i].t, s[i].v};
		if (w->fill == REPLAY_BATCH && (rc = worker_put(r, w)))
			return err_set(e, rc, "replay samples: %s", fl_strerror(rc));
	}
	return 0;
}

/* head_wal.go: intervals wholly below the min valid time and unknown refs
 * are skipped; the rest become the head's tombstones. */
static int replay_tombstones(replay *r, const uint8_t *rec, size_t len, err *e)
{
	record_tombstone *s;
	size_t n;
	int rc = record_decode_tombstones(rec, len, &r->a, &s, &n, e);
	if (rc || n == 0)
		return rc;
	tomb *v = arena_alloc(&r->a, n * sizeof *v);
	if (!v)
		return err_set(e, FL_ENOMEM, "replay: out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = (tomb){s[i].ref, s[i].mint, s[i].maxt};
	int64_t skipped = 0;
	rc = head_add_tombstones(r->h, v, n, &skipped, e);
	r->st->tombstones += (int64_t)n - skipped;
	return rc;
}

static int replay_record(replay *r, const uint8_t *rec, size_t len, err *e)
{
	int rc = 0;
	switch (record_type(rec, len)) {
	case RECORD_SERIES:
		rc = replay_series(r, rec, len, e);
		break;
	case RECORD_SAMPLES:
		rc = replay_samples(r, rec, len, e);
		break;
	case RECORD_TOMBSTONES:
		rc = replay_tombstones(r, rec, len, e);
		break;
	default:
		r->st->other_records++;
		break;
	}
	r->st->records++;
	arena_reset(&r->a);
	return rc;
}

/* Bytes from the damage to the end of the WAL: what a repair drops. */
static int64_t bytes_after(const wal_corruption *c)
{
	int first, last;
	err e;
	if (!c->dir[0] || wal_segments(c->dir, &first, &last, &e))
		return -1;
	int64_t n = 0;
	for (int i = FL_MAX(first, c->segment); i <= last; i++) {
		char path[1100];
		struct stat sb;
		wal_segment_name(path, sizeof path, c->dir, i);
		if (stat(path, &sb) == 0)
			n += (int64_t)sb.st_size - (i == c->segment ? c->offset : 0);
	}
	return n;
}

static void log_corruption(const char *what, const wal_corruption *c, const db_replay_stats *st, bool repair)
{
	char seg[16], off[32], kept[32], dropped[32];
	snprintf(seg, sizeof seg, "%08d", c->segment);
	snprintf(off, sizeof off, "%" PRId64, c->offset);
	snprintf(kept, sizeof kept, "%" PRId64, st->records);
	snprintf(dropped, sizeof dropped, "%" PRId64, bytes_after(c));
	log_warn("tsdb", c->torn ? "Torn WAL tail: the last record was half written" : "Corrupt WAL: dropping the rest",
		 "what", what, "dir", c->dir, "segment", seg, "offset", off, "records_kept", kept, "bytes_dropped", dropped,
		 "repair", repair ? (c->torn ? "truncate torn tail" : "truncate and delete later segments") : "none (read-only)",
		 "err", c->msg, NULL);
}

/* ---- the reading thread ---- */

/* The reading thread (loadWAL's decoding goroutine reads too): it runs
 * wal_reader_next (pages, CRC, snappy), copies the records, length first,
 * into slots of about FEED_BYTES and hands them over in order; feed_next
 * gives them back one by one. Without worker threads there is no reading
 * thread either: feed_next calls wal_reader_next itself. */
#define FEED_SLOTS 4
#define FEED_BYTES (256 << 10)

typedef struct feed {
	wal_reader *rd;        /* the thread's until joined */
	bool threaded;         /* a reading thread runs */
	pthread_t th;          /* it */
	pthread_mutex_t mu;    /* guards taken, put, stop, end, rc, e */
	pthread_cond_t cv;     /* broadcast on every change of those */
	buf slot[FEED_SLOTS];  /* slot[i % FEED_SLOTS] for taken <= i < put: records handed over */
	unsigned taken, put;   /* slots consumed / handed over */
	bool stop;             /* the consumer quits: stop reading */
	bool end;              /* the thread is done: rc, e say how */
	int rc;                /* wal_reader_next's last return (<= 0) */
	err e;                 /* its error */
	size_t off;            /* consumer's: read offset in slot[taken % FEED_SLOTS] */
	bool holding;          /* consumer's: it is reading that slot */
} feed;

/* A free slot for the thread, emptied; NULL when asked to stop. */
static buf *feed_slot(feed *f)
{
	pthread_mutex_lock(&f->mu);
	while (f->put - f->taken == FEED_SLOTS && !f->stop)
		pthread_cond_wait(&f->cv, &f->mu);
	buf *b = f->stop ? NULL : &f->slot[f->put % FEED_SLOTS];
	pthread_mutex_unlock(&f->mu);
	if (b)
		buf_clear(b);
	return b;
}

static void *feed_main(void *arg)
{
	feed *f = arg;
	buf *b = NULL;
	int rc;
	err e;
	err_clear(&e);
	do {
		if (!b && !(b = feed_slot(f))) {
			rc = 0;
			break;
		}
		const uint8_t *rec;
		size_t len, mark = b->len;
		rc = wal_reader_next(f->rd, &rec, &len, &e);
		if (rc == 1) {
			buf_put(b, &len, sizeof len);
			buf_put(b, rec, len);
			if (b->oom) {
				b->len = mark;
				rc = err_set(&e, FL_ENOMEM, "replay: out of memory reading the WAL");
			}
		}
		if (rc != 1 || b->len >= FEED_BYTES) {
			pthread_mutex_lock(&f->mu);
			f->put += b->len > 0;
			pthread_cond_broadcast(&f->cv);
			pthread_mutex_unlock(&f->mu);
			b = NULL;
		}
	} while (rc == 1);
	pthread_mutex_lock(&f->mu);
	f->end = true;
	f->rc = rc;
	f->e = e;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Start the reading thread when threaded (else, or when it cannot be
 * made, feed_next reads on this thread). */
static void feed_start(feed *f, wal_reader *rd, bool threaded)
{
	memset(f, 0, sizeof *f);
	f->rd = rd;
	if (!threaded)
		return;
	for (int i = 0; i < FEED_SLOTS; i++)
		buf_init(&f->slot[i]);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->threaded = true;
	if (pthread_create(&f->th, NULL, feed_main, f)) {
		f->threaded = false; /* read on this thread */
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
	}
}

/* As wal_reader_next: 1 with the next record, else how reading ended. */
static int feed_next(feed *f, const uint8_t **rec, size_t *len, err *e)
{
	if (!f->threaded)
		return wal_reader_next(f->rd, rec, len, e);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (f->holding && f->off < f->slot[f->taken % FEED_SLOTS].len)
			break;
		if (f->holding) { /* slot read: give it back */
			f->taken++;
			f->holding = false;
			pthread_cond_broadcast(&f->cv);
		}
		while (f->taken == f->put && !f->end)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->taken == f->put) {
			int rc = f->rc;
			if (rc < 0)
				err_set(e, rc, "%s", f->e.msg);
			pthread_mutex_unlock(&f->mu);
			return rc;
		}
		f->holding = true;
		f->off = 0;
	}
	pthread_mutex_unlock(&f->mu);
	const buf *b = &f->slot[f->taken % FEED_SLOTS]; /* the consumer's while holding */
	memcpy(len, b->p + f->off, sizeof *len);
	*rec = b->p + f->off + sizeof *len;
	f->off += sizeof *len + *len;
	return 1;
}

/* Stop the thread (early or at the end), free the slots. */
static void feed_stop(feed *f)
{
	if (!f->threaded)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	for (int i = 0; i < FEED_SLOTS; i++)
		buf_reset(&f->slot[i]);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

/* Read every record of ranges; on corruption log it, count it, and repair
 * if asked (only WAL segments, never a checkpoint). */
static int replay_ranges(replay *r, const wal_segment_range *ranges, size_t n, const char *what,
			 const char *repair_dir, err *e)
{
	err oe;
	err_clear(&oe);
	wal_reader *rd = wal_reader_open(ranges, n, &oe);
	if (!rd) {
		if (oe.code == FL_ENOMEM)
			return err_set(e, FL_ENOMEM, "%s", oe.msg);
		r->st->corruptions++;
		log_error("tsdb", "Cannot read WAL: skipping it", "what", what, "err", oe.msg, NULL);
		return 0;
	}
	const uint8_t *rec;
	size_t len;
	int rc;
	feed f;
	feed_start(&f, rd, r->threaded);
	while ((rc = feed_next(&f, &rec, &len, e)) == 1) {
		err re;
		err_clear(&re);
		if (replay_record(r, rec, len, &re) == 0)
			continue;
		if (re.code != FL_ENOMEM && re.code != FL_EIO) { /* passed its CRC but does not decode */
			r->st->bad_records++;
			log_warn("tsdb", "Skipping undecodable WAL record", "what", what, "err", re.msg, NULL);
			continue;
		}
		rc = err_set(e, re.code, "%s", re.msg);
		break;
	}
	feed_stop(&f); /* the reader is this thread's again */
	if (rc == FL_ECORRUPT) {
		const wal_corruption *c = wal_reader_corruption(rd);
		r->st->corruptions++;
		if (c) {
			log_corruption(what, c, r->st, repair_dir != NULL);
			if (repair_dir) {
				err re;
				if (wal_repair(repair_dir, c, &re))
					log_error("tsdb", "WAL repair failed", "err", re.msg, NULL);
			}
		}
		err_clear(e);
		rc = 0;
	}
	wal_reader_close(rd);
	return rc < 0 ? rc : 0;
}

static int replay_wal_records(struct head *h, const char *waldir, int64_t min_valid, bool repair, int workers,
			      db_replay_stats *st, err *e);

int db__replay_wal(struct head *h, const char *waldir, int64_t min_valid, bool repair, int workers, db_replay_stats *st,
		   err *e)
{
	memset(st, 0, sizeof *st);
	int rc = head_replay_mmapped_begin(h, e);
	if (rc == 0)
		rc = replay_wal_records(h, waldir, min_valid, repair, workers, st, e);
	head_mmap_stats ms;
	head_replay_mmapped_end(h, &ms);
	st->mmapped_chunks = ms.attached;
	st->mmapped_dropped = ms.dropped;
	return rc;
}

static int replay_wal_records(struct head *h, const char *waldir, int64_t min_valid, bool repair, int workers,
			      db_replay_stats *st, err *e)
{
	struct stat sb;
	if (stat(waldir, &sb) && errno == ENOENT)
		return 0; /* nothing written yet */
	wal_replay_plan p;
	if (wal_replay_plan_make(waldir, &p, e)) {
		st->corruptions++;
		log_error("tsdb", "Cannot plan WAL replay: starting with an empty head", "dir", waldir,
			  "err", e ? e->msg : "", NULL);
		err_clear(e);
		return 0;
	}
	replay r = {.h = h, .min_valid = min_valid, .st = st};
	arena_init(&r.a);
	int rc = workers_start(&r, workers, e);
	if (rc == 0 && p.checkpoint_index >= 0) {
		wal_segment_range cp = {p.checkpoint, -1, -1};
		rc = replay_ranges(&r, &cp, 1, "checkpoint", NULL, e);
	}
	if (rc == 0 && p.first <= p.last) {
		wal_segment_range seg = {waldir, p.first, p.last};
		rc = replay_ranges(&r, &seg, 1, "segments", repair ? waldir : NULL, e);
	}
	int wrc = workers_stop(&r);
	fl_free(r.refs);
	if (rc == 0 && wrc)
		rc = err_set(e, wrc, "replay samples: %s", fl_strerror(wrc));
	arena_reset(&r.a);
	return rc;
}
