/*
 * head_int.h - the head's internals, shared by head.c (series registry,
 * replay, stats), head_append.c (appender, commit, chunk cutting) and
 * head_read.c (querier, postings for matchers, iterators). SQLite's
 * btreeInt.h pattern: nothing here is public.
 *
 * Memory per series (the aim is < 450 bytes at 1M series; bench_head
 * measures ~425): one allocation holding the hseries struct (120 bytes, its
 * xor_app 48) and its labels as interned id pairs (8 bytes a label), the open chunk's
 * growable buffer (64 bytes to start), 8 bytes in the ref table, ~11 in its
 * stripe's hash table, and ~4-6 per label in postings; 16 bytes a sample
 * more for series that get start timestamps (hst), none for others. A
 * full chunk costs 24 bytes (hchunk, in an array of a power-of-two room):
 * its bytes are in chunks_head/ files, mmapped (head_chunks.c), as
 * Prometheus's ChunkDiskMapper keeps them. bench_head phase 5 (every series
 * cut one chunk): fl heap 403 B/series, RSS 851 B/series - the allocator
 * keeps the high-water mark of the open chunks, all ~400 B just before the
 * cut there - and 522 B after head_release_memory (Prometheus 2.42: ~3.9 KB).
 * A remote-written series also has a 16-byte entry in rcache (refcache.h).
 *
 * Garbage collection (head_truncate): a series with no chunk left and no
 * sample pending in an appender is marked dead under its stripe mutex and
 * its own lock, unlinked from the stripe table, the ref table and the
 * postings, and freed after a grace period (head__epoch_sync), since
 * appenders and queriers find series without locks. An appender that
 * meets a dead series looks its labels up again (a new series, new ref).
 * Interned strings are not freed (ids are never reused).
 *
 * Isolation (what a querier sees):
 *   - every commit takes a sequence number h->seq + 1 while it holds
 *     commit_mu shared, and stamps each series it appends to with it;
 *   - a querier, when it opens, takes commit_mu exclusively for an instant
 *     (so no commit is half applied), reads S = h->seq and registers S as
 *     active: it sees exactly the commits numbered <= S;
 *   - a series' visible state is {closed chunks, samples of the next chunk,
 *     last time}; a commit about to change a series stamped with another
 *     number saves the old state in the series' history list when any
 *     querier is active, and drops history no active querier can need;
 *   - a querier reads a series' newest state stamped <= S: the current one,
 *     or one from its history; with none the series is invisible to it.
 *
 * Locks, in the order they may be taken:
 *   1. h->commit_mu (rwlock, writer-preferring): commits hold it shared while
 *      they apply samples; querier open holds it exclusively for an instant.
 *   2. stripe mutex (h->stripes[hash & mask].mu): guards the stripe's hash
 *      table (series creation and lookup by labels).
 *   3. series spin lock (s->lock): guards the series' mutable fields; never
 *      held while taking another lock.
 *   4. mem_postings' own rwlock, intern's stripe mutexes, h->ref_mu,
 *      h->readers_mu, the head-chunk files' mutex (leaves; cutting a chunk
 *      writes it to h->chunks with the series lock held).
 */
#ifndef FL_HEAD_INT_H
#define FL_HEAD_INT_H

#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "lib/map.h"
#include "lib/slab.h"
#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tsdb/head_chunks.h"
#include "tsdb/intern.h"
#include "tsdb/postings.h"
#include "tsdb/refcache.h"
#include "tsdb/tombstones.h"

#define HEAD_SAMPLES_PER_CHUNK 120
#define HEAD_REF_PAGE_BITS 16
#define HEAD_REF_PAGES 65536 /* refs up to 2^32 - 1 */

/* A closed (full) chunk: immutable once cut, its bytes in a head-chunk
 * file (head_chunks.h), as Prometheus's mmappedChunk. 24 bytes. */
typedef struct hchunk {
	int64_t mint; /* first sample time */
	int64_t maxt; /* last sample time */
	uint64_t ref; /* where its bytes are: hchunks_get(h->chunks, ref), retained once */
} hchunk;

/* What a querier sees of a series: its first n_closed chunks and open_n
 * samples of the next one, ending at last_t. Chunks are counted from the
 * series' first chunk ever (truncated ones included), so views stay valid
 * when head_truncate drops chunks from the front. */
typedef struct hview {
	int64_t last_t;    /* time of the last sample (unset when nothing) */
	uint32_t n_closed; /* closed chunks, absolute count */
	uint16_t open_n;   /* samples in the chunk after them */
} hview;

/* An older visible state of a series, kept for active queriers. */
typedef struct hhist {
	struct hhist *older; /* next older state */
	uint64_t seq;        /* commit that produced this state */
	hview v;             /* the state */
} hhist;

/* One series. All mutable fields are guarded by its own spin lock (held
 * for one sample append or one chunk copy at most), which shares the series'
 * cache line, so appending costs one cache miss, not two. */
/* Start timestamps of a series' samples (Prometheus ST), kept beside the
 * chunks only for series that received one: (t, st) pairs in time order,
 * st != 0. Guarded by the series lock; grows only. Not in the WAL yet
 * (a later issue): a replayed head has none. */
typedef struct hst_ent {
	int64_t t, st;
} hst_ent;
typedef struct hst {
	hst_ent *e;
	size_t n, cap;
} hst;

typedef struct hseries {
	uint64_t hash;       /* labels_hash of its labels (immutable) */
	uint32_t ref;        /* its ref (immutable) */
	uint16_t n_labels;   /* label pairs in lbl (immutable) */
	uint16_t n_closed;   /* closed chunks; closed has room for head__closed_cap(n_closed) at least */
	_Atomic uint8_t lock; /* spin lock guarding every mutable field */
	uint8_t dead;        /* garbage-collected: unlinked, freed after a grace period */
	uint16_t pending;    /* samples appenders hold for it, not yet committed
	                      * (saturates at UINT16_MAX: such a series is never removed) */
	uint32_t n_dropped;  /* chunks truncated so far: closed[0] is chunk n_dropped */
	hchunk *closed;      /* closed chunks, oldest first */
	uint64_t seq;        /* commit that produced the current state (0: replay/none) */
	hhist *hist;         /* older states, newest first, for active queriers */
	xor_app app;         /* open chunk; app.n == 0 (b may be NULL) = none */
	int64_t open_mint;   /* first sample time of the open chunk */
	int64_t next_at;     /* cut the open chunk at a sample >= this */
	struct hst *st;      /* start timestamps, NULL until a sample brings one */
	uint32_t lbl[];      /* 2 * n_labels interned ids: name, value (immutable) */
} hseries;

/* A slot of a stripe's table: the ref and 32 hash bits, so that probing
 * touches a series only when those bits match. */
typedef struct hslot {
	uint32_t ref; /* 0 = empty */
	uint32_t h;   /* hash >> 32 */
} hslot;

/* A stripe: series whose hash & mask picks it. */
typedef struct hstripe {
	pthread_mutex_t mu; /* guards the table */
	map tab;            /* hslot entries, probed from h (lib/map.h) */
} hstripe;

/* An open querier, as the head tracks it. */
typedef struct hreader {
	uint64_t snap; /* its snapshot number */
	int64_t mint;  /* the lowest time it may read */
} hreader;

struct head {
	queryable qable;          /* head_queryable's face; must stay first */
	head_opts opts;           /* chunk range resolved, stripes resolved */
	hstripe *stripes;         /* n_stripes */
	uint32_t stripe_mask;     /* n_stripes - 1 */
	_Atomic(hseries *) *_Atomic ref_pages[HEAD_REF_PAGES]; /* ref -> series, pages allocated lazily */
	pthread_mutex_t ref_mu;   /* serializes ref page allocation */
	_Atomic uint32_t last_ref; /* highest ref handed out */
	intern *strs;             /* interned label names and values */
	slab_pool *mem;           /* series, open-chunk buffers, closed lists (head_mem.c) */
	hchunks *chunks;          /* full chunks' bytes (chunks_head/, or memory) */
	struct hmmap *pending;    /* chunks found at open, until replay attaches them */
	size_t n_pending, cap_pending; /* their count (sorted by series ref), allocated */
	mem_postings *postings;   /* label pair -> refs */
	pthread_rwlock_t commit_mu; /* see the lock order above */
	_Atomic uint64_t seq;      /* commits numbered so far (isolation) */
	pthread_mutex_t readers_mu; /* guards readers, trunc_mint */
	pthread_cond_t readers_cv; /* signalled when a querier closes */
	hreader *readers;          /* open queriers (multiset) */
	size_t n_readers, cap_readers;
	int64_t trunc_mint;        /* chunks below were truncated; queriers start here */
	_Atomic uint64_t min_reader; /* smallest of readers, UINT64_MAX when none */
	_Atomic int64_t min_time;  /* INT64_MAX when empty */
	_Atomic int64_t max_time;  /* INT64_MIN when empty */
	_Atomic int64_t min_valid_time; /* samples below are out of bounds */
	_Atomic int64_t n_series;  /* live series */
	_Atomic int64_t n_chunks;  /* open + closed chunks */
	_Atomic int64_t n_cuts;    /* open chunks cut (their buffers freed) since open */
	_Atomic int64_t cuts_trimmed; /* n_cuts at the last head_release_memory */
	_Atomic int64_t n_samples; /* samples appended */
	_Atomic int64_t n_ooo;     /* out-of-order rejections */
	_Atomic int64_t n_oob;     /* out-of-bounds rejections */
	_Atomic int64_t n_unknown; /* replayed samples with an unknown ref */
	_Atomic int64_t n_truncations; /* head_truncate calls */
	_Atomic uint64_t epoch;    /* grace periods begun (head__epoch_sync) */
	_Atomic int64_t epoch_active[2]; /* appenders and queriers open, by epoch parity */
	hseries **grave;           /* removed series awaiting a grace period (truncation only) */
	size_t n_grave, cap_grave;
	int64_t mm_found, mm_dropped, mm_attached; /* chunks_head replay (single-threaded) */
	_Atomic int64_t n_removed; /* series garbage-collected */
	tombstones_holder tombs;   /* deleted intervals by series ref (head_tombstones.c); queriers pin a set */
	refcache rcache;           /* refs by a sender's label bytes (head_refcache); cleared when series go */
};

static inline hstripe *head__stripe(head *h, uint64_t hash) { return &h->stripes[hash & h->stripe_mask]; }

#if FL_SLOW_CHECKS_ON
/* Series locks this thread holds (debug builds): a series lock is a leaf,
 * never held while taking another series lock or commit_mu. */
extern _Thread_local int head__series_locks_held;
#endif

static inline void head__series_lock(hseries *s)
{
#if FL_SLOW_CHECKS_ON
	assert(head__series_locks_held == 0);
	head__series_locks_held++;
#endif
	while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&s->lock, memory_order_relaxed))
			sched_yield();
}
static inline void head__series_unlock(hseries *s)
{
#if FL_SLOW_CHECKS_ON
	assert(atomic_load_explicit(&s->lock, memory_order_relaxed)); /* held */
	assert(head__series_locks_held == 1);
	head__series_locks_held--;
#endif
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/* Room the closed array has for n chunks (at least; 0 for n == 0): its
 * slab class, which fits n hchunks exactly up to 10 (every 8 bytes is a
 * class up to 256), then within 1/16; past SLAB_MAX bytes a power of two
 * of chunks. A cut that finds the array full (n == cap) grows it to
 * head__closed_cap(n + 1): every cut while small, one move per 120 samples
 * at most. Truncation shrinks it to head__closed_cap of what is left (or
 * leaves it larger when that fails: room is never less). */
static inline size_t head__closed_cap(size_t n)
{
	if (n * sizeof(hchunk) <= SLAB_MAX)
		return slab_good_size(n * sizeof(hchunk)) / sizeof(hchunk);
	size_t c = SLAB_MAX / sizeof(hchunk);
	while (c < n)
		c *= 2;
	return c;
}

/* Appender bookkeeping of s->pending (s locked). */
static inline void head__pending_inc(hseries *s)
{
	if (s->pending < UINT16_MAX)
		s->pending++;
}
static inline void head__pending_dec(hseries *s)
{
	if (s->pending < UINT16_MAX) {
		assert(s->pending > 0);
		s->pending--;
	}
}

/* Series by ref (lock-free), NULL when unknown. */
static inline hseries *head__series_by_ref(head *h, uint64_t ref)
{
	if (ref == 0 || ref > UINT32_MAX)
		return NULL;
	_Atomic(hseries *) *pg = atomic_load_explicit(&h->ref_pages[ref >> HEAD_REF_PAGE_BITS], memory_order_acquire);
	return pg ? atomic_load_explicit(&pg[ref & ((1u << HEAD_REF_PAGE_BITS) - 1)], memory_order_acquire) : NULL;
}

/* Find or create the series of ls (sorted, valid). *created tells which.
 * ref_hint != 0 forces that ref for a new series (replay). NULL on OOM or an
 * invalid set (e filled). */
hseries *head__get_or_create(head *h, labels ls, uint64_t ref_hint, bool *created, err *e);
/* Drop the tombstones wholly before mint (head_truncate; head_tombstones.c). */
void head__tombstones_truncate(head *h, int64_t mint);
/* Materialize a series' labels into the arena (strings borrowed from the
 * head). .v == NULL on OOM. */
labels head__series_labels(head *h, const hseries *s, arena *a);
/* Value id of label name id in s, 0 when absent. */
uint32_t head__series_label(const hseries *s, uint32_t name);

/* The state of s a querier with snapshot number snap sees (s locked);
 * false when it sees nothing of s. */
bool head__series_view(const hseries *s, uint64_t snap, hview *out);
/* Register a querier reading from *mint (raised to the truncation point):
 * *snap is its snapshot number. 0 or FL_ENOMEM. */
int head__reader_open(head *h, int64_t *mint, uint64_t *snap);
void head__reader_close(head *h, uint64_t snap, int64_t mint);
/* Raise the truncation point and wait for queriers reading below it. */
void head__readers_truncate(head *h, int64_t mint);
/* Before a commit numbered seq changes s (s locked): stamp s and keep
 * the old state if an active querier (oldest snapshot min_reader) may need
 * it. 0 or FL_ENOMEM. */
int head__series_stamp(hseries *s, uint64_t seq, uint64_t min_reader);
/* Free s's history. */
void head__series_hist_free(hseries *s);
/* Series memory reclamation (head_isolation.c): appenders and queriers
 * run inside an epoch, so that garbage-collected series are freed only
 * when nobody who could have found them is left. enter returns the token
 * exit takes. sync waits (up to timeout_ms per stage) for everyone inside
 * when it began; false on timeout (free nothing then, try again later). */
int head__epoch_enter(head *h);
void head__epoch_exit(head *h, int token);
bool head__epoch_sync(head *h, int timeout_ms);

/* Open-chunk buffers, from h->mem (head_mem.c). xor_app_append needs
 * HEAD_XOR_HEADROOM bytes of room past len (chunk_xor.c: the largest
 * sample, 32, and 16 zeroed bytes), or it reallocates through fl_realloc,
 * which a slab buffer must never meet: reserve before every append. */
#define HEAD_XOR_HEADROOM 48
/* Start an empty open chunk in a (as xor_app_init). 0 or FL_ENOMEM. */
int head__open_init(head *h, xor_app *a);
/* Move a's bytes to a larger buffer: room for HEAD_XOR_HEADROOM more. */
int head__open_grow(head *h, xor_app *a);
static inline int head__open_reserve(head *h, xor_app *a)
{
	return a->len + HEAD_XOR_HEADROOM <= a->cap ? 0 : head__open_grow(h, a);
}
/* Free a's buffer (as xor_app_free). */
void head__open_free(head *h, xor_app *a);

/* Append one sample to s (caller holds s's lock and has checked
 * t > last). Applies Prometheus's chunk cutting. 0 or FL_ENOMEM. */
int head__series_append(head *h, hseries *s, int64_t t, double v);
/* Record start timestamp st of the sample at t (series lock held; t after
 * every recorded one). 0, or FL_ENOMEM. */
int head__series_set_st(hseries *s, int64_t t, int64_t st);
/* Free the series' start timestamps. */
void head__series_st_free(hseries *s);
/* Is (t, v) appendable to s? 0, 1 for an exact duplicate of the last sample
 * (silently dropped), or FL_EOUT_OF_ORDER / FL_EDUPLICATE / FL_ETOO_OLD.
 * Caller holds s's lock. */
int head__appendable(const hseries *s, int64_t t, double v, int64_t min_valid);
/* Raise max_time / lower min_time atomically. */
void head__update_time(head *h, int64_t mint, int64_t maxt);
/* Minimum valid time for a new appender: max(max_time - range/2, min_valid),
 * or just min_valid when the head is empty. */
int64_t head__min_valid(head *h);
/* PostingsForMatchers over the head's index into out (cleared first). */
int head__postings_for_matchers(head *h, const matcher *ms, size_t n, postings_list *out);
/* A querier over [mint, maxt] (head_read.c). */
querier *head__querier(head *h, int64_t mint, int64_t maxt, err *e);
/* Prometheus's duplicate message into e. */
int head__dup_error(err *e, int64_t t, double existing, double v);

#endif
