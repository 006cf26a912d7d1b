/*
 * head.c - the in-memory head block: the series registry (by ref and by
 * label hash), WAL replay entry points, replay of the m-mapped chunks of
 * chunks_head/, truncation with series garbage collection, stats and
 * series iteration. Mirrors Prometheus tsdb/head.go (stripeSeries,
 * getOrCreate, loadMmappedChunks, truncateMemory, gc, Stats).
 *
 * Replay of chunks_head/ (head_replay_mmapped_begin/_end): the chunks of
 * the files wait in an array sorted by series ref; a series record
 * creating that ref takes them (retaining each in head_chunks.c); WAL
 * samples at or before its last such chunk are skipped; chunks of refs no
 * record names are forgotten, and files nothing retains are deleted.
 *
 * Truncation (head_truncate): chunks wholly before mint are released
 * (their files go once empty, oldest first), then series with no chunk and
 * no pending sample are removed (see head_int.h, garbage collection).
 *
 * Series registry:
 *   - by ref: a two-level array (65536 pages of 65536 pointers), pages
 *     allocated on first use; reads are lock-free acquire loads, writes happen
 *     under the series' stripe mutex before the ref is published anywhere.
 *     Replay may alias a second ref to an existing series (duplicate label
 *     set in the WAL, Prometheus's multiRef).
 *   - by hash: n_stripes (16384) stripes picked by hash & mask, each a
 *     lib/map.h table of {ref, hash >> 32} probed from hash >> 32;
 *     collisions are resolved by comparing labels.
 *   - labels: interned id pairs inside the series allocation (intern.h).
 * New refs come from an atomic counter: sequential from 1, above every
 * replayed ref. Appending to a series takes only its spin lock (and the
 * shared side of commit_mu at commit, see head_isolation.c); creating a
 * series takes its stripe mutex and the postings write lock, as
 * Prometheus's MemPostings does.
 */
#include "tsdb/head_int.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/fmtfloat.h"
#include "lib/log.h"

#define HEAD_DEFAULT_RANGE (2 * 3600 * 1000LL)
#define HEAD_DEFAULT_STRIPES 16384
#define HEAD_REFCACHE_MAX (4u << 20) /* entries: 16 bytes each, ~90 MB at most */

static querier *head_querier_open(queryable *q, int64_t mint, int64_t maxt, err *e);

head *head_open(const head_opts *o, err *e)
{
	head *h = fl_calloc(1, sizeof *h);
	if (!h) {
		err_set(e, FL_ENOMEM, "head: out of memory");
		return NULL;
	}
	if (o)
		h->opts = *o;
	if (h->opts.chunk_range_ms <= 0)
		h->opts.chunk_range_ms = HEAD_DEFAULT_RANGE;
	int ns = h->opts.n_stripes > 0 ? h->opts.n_stripes : HEAD_DEFAULT_STRIPES;
	while (ns & (ns - 1))
		ns &= ns - 1; /* round down to a power of 2 */
	h->opts.n_stripes = ns;
	h->stripe_mask = (uint32_t)ns - 1;
	h->qable.querier = head_querier_open;
	h->stripes = fl_calloc((size_t)ns, sizeof *h->stripes);
	h->strs = intern_new();
	h->postings = mem_postings_new();
	h->chunks = hchunks_open(h->opts.chunks_dir, h->opts.chunks_read_only, e);
	h->opts.chunks_dir = NULL; /* borrowed only for the open */
	if (!h->stripes || !h->strs || !h->postings || !h->chunks) {
		int code = h->chunks ? FL_ENOMEM : (e && e->code ? e->code : FL_ENOMEM);
		hchunks_close(h->chunks, NULL);
		intern_free(h->strs);
		mem_postings_free(h->postings);
		fl_free(h->stripes);
		fl_free(h);
		if (code == FL_ENOMEM)
			err_set(e, FL_ENOMEM, "head: out of memory");
		return NULL;
	}
	for (int i = 0; i < ns; i++)
		pthread_mutex_init(&h->stripes[i].mu, NULL);
	refcache_init(&h->rcache, HEAD_REFCACHE_MAX);
	pthread_mutex_init(&h->ref_mu, NULL);
	pthread_mutex_init(&h->readers_mu, NULL);
	pthread_cond_init(&h->readers_cv, NULL);
	h->trunc_mint = INT64_MIN;
	atomic_store(&h->min_reader, UINT64_MAX);
	pthread_rwlockattr_t at;
	pthread_rwlockattr_init(&at);
	pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&h->commit_mu, &at);
	pthread_rwlockattr_destroy(&at);
	atomic_store(&h->min_time, INT64_MAX);
	atomic_store(&h->max_time, INT64_MIN);
	atomic_store(&h->min_valid_time, INT64_MIN);
	if (tombstones_holder_init(&h->tombs, NULL, e)) {
		head_close(h);
		return NULL;
	}
	return h;
}

static void series_free(hseries *s)
{
	fl_free(s->closed);
	xor_app_free(&s->app);
	head__series_hist_free(s);
	head__series_st_free(s);
	fl_free(s);
}

void head_close(head *h)
{
	if (!h)
		return;
	/* Pass 1 drops aliases (a replayed ref pointing at another ref's
	 * series), pass 2 frees each series once, under its own ref. */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t p = 0; p < HEAD_REF_PAGES; p++) {
			_Atomic(hseries *) *pg = atomic_load(&h->ref_pages[p]);
			for (uint32_t i = 0; pg && i < (1u << HEAD_REF_PAGE_BITS); i++) {
				hseries *s = atomic_load(&pg[i]);
				uint64_t ref = (uint64_t)p << HEAD_REF_PAGE_BITS | i;
				if (s && pass == 0 && s->ref != ref)
					atomic_store(&pg[i], NULL);
				else if (s && pass == 1)
					series_free(s);
			}
			if (pass == 1)
				fl_free((void *)pg);
		}
	}
	for (uint32_t i = 0; i <= h->stripe_mask; i++) {
		map_free(&h->stripes[i].tab);
		pthread_mutex_destroy(&h->stripes[i].mu);
	}
	fl_free(h->stripes);
	refcache_free(&h->rcache);
	intern_free(h->strs);
	mem_postings_free(h->postings);
	tombstones_holder_destroy(&h->tombs);
	err e;
	if (hchunks_close(h->chunks, &e))
		log_error("tsdb", "Closing the head chunk files failed", "err", e.msg, NULL);
	fl_free(h->pending);
	for (size_t i = 0; i < h->n_grave; i++)
		series_free(h->grave[i]);
	fl_free(h->grave);
	pthread_mutex_destroy(&h->ref_mu);
	pthread_mutex_destroy(&h->readers_mu);
	pthread_cond_destroy(&h->readers_cv);
	fl_free(h->readers);
	pthread_rwlock_destroy(&h->commit_mu);
	fl_free(h);
}

queryable *head_queryable(head *h) { return &h->qable; }

static querier *head_querier_open(queryable *q, int64_t mint, int64_t maxt, err *e)
{
	return head__querier((head *)q, mint, maxt, e);
}

/* ---- registry ---- */

static bool set_ref(head *h, uint64_t ref, hseries *s)
{
	uint32_t pi = (uint32_t)(ref >> HEAD_REF_PAGE_BITS);
	_Atomic(hseries *) *pg = atomic_load_explicit(&h->ref_pages[pi], memory_order_acquire);
	if (!pg) {
		pthread_mutex_lock(&h->ref_mu);
		pg = atomic_load_explicit(&h->ref_pages[pi], memory_order_relaxed);
		if (!pg) {
			pg = fl_calloc(1u << HEAD_REF_PAGE_BITS, sizeof *pg);
			if (pg)
				atomic_store_explicit(&h->ref_pages[pi], pg, memory_order_release);
		}
		pthread_mutex_unlock(&h->ref_mu);
		if (!pg)
			return false;
	}
	atomic_store_explicit(&pg[ref & ((1u << HEAD_REF_PAGE_BITS) - 1)], s, memory_order_release);
	return true;
}

static bool series_has_labels(head *h, const hseries *s, labels ls)
{
	if (s->n_labels != ls.n)
		return false;
	for (size_t i = 0; i < ls.n; i++)
		if (strcmp(intern_str(h->strs, s->lbl[2 * i]), ls.v[i].name) ||
		    strcmp(intern_str(h->strs, s->lbl[2 * i + 1]), ls.v[i].value))
			return false;
	return true;
}

/* The key a stripe lookup compares against: the labels and their hash. */
typedef struct series_key {
	head *h;       /* whose series the slots' refs name */
	uint64_t hash; /* labels_hash(ls) */
	labels ls;     /* without empty values */
} series_key;

static uint64_t slot_hash(const void *e) { return ((const hslot *)e)->h; }

/* Inlined into the probe loop (map_slot is inline, stripe_type constant):
 * most probed slots fail on the hash bits without a call. */
MAP_INLINE bool slot_eq(const void *e, const void *key)
{
	const hslot *sl = e;
	const series_key *k = key;
	if (sl->h != (uint32_t)(k->hash >> 32))
		return false;
	hseries *s = head__series_by_ref(k->h, sl->ref);
	return s->hash == k->hash && series_has_labels(k->h, s, k->ls);
}

/* A stripe's table: {ref, hash >> 32} slots probed from hash >> 32 (the
 * stripe is picked by the low bits). */
static const map_type stripe_type = {sizeof(hslot), 4, slot_hash, slot_eq};

static void bump_last_ref(head *h, uint32_t ref)
{
	uint32_t cur = atomic_load(&h->last_ref);
	while (cur < ref && !atomic_compare_exchange_weak(&h->last_ref, &cur, ref))
		;
}

/* Allocate the series with interned labels; NULL on OOM. */
static hseries *series_new(head *h, labels ls, uint64_t hash)
{
	hseries *s = fl_calloc(1, sizeof *s + 2 * ls.n * sizeof(uint32_t));
	if (!s)
		return NULL;
	s->hash = hash;
	s->n_labels = (uint16_t)ls.n;
	s->app.leading = 0xff;
	for (size_t i = 0; i < ls.n; i++) {
		s->lbl[2 * i] = intern_id(h->strs, ls.v[i].name, strlen(ls.v[i].name));
		s->lbl[2 * i + 1] = intern_id(h->strs, ls.v[i].value, strlen(ls.v[i].value));
		if (!s->lbl[2 * i] || !s->lbl[2 * i + 1]) {
			fl_free(s);
			return NULL;
		}
	}
	return s;
}

static int check_labels(labels ls, err *e)
{
	if (ls.n == 0)
		return err_set(e, FL_EINVAL, "empty labelset: invalid sample");
	if (ls.n > UINT16_MAX)
		return err_set(e, FL_EINVAL, "too many labels (%zu): invalid sample", ls.n);
	for (size_t i = 0; i < ls.n; i++) {
		if (!ls.v[i].name || !ls.v[i].value || !ls.v[i].name[0])
			return err_set(e, FL_EINVAL, "label %zu: empty name: invalid sample", i);
		if (i && strcmp(ls.v[i - 1].name, ls.v[i].name) >= 0)
			return err_set(e, FL_EINVAL, strcmp(ls.v[i - 1].name, ls.v[i].name)
							 ? "labels not sorted at \"%s\": invalid sample"
							 : "label name \"%s\" is not unique: invalid sample",
				       ls.v[i].name);
	}
	return 0;
}

/* Drop empty-valued labels (Prometheus WithoutEmpty) into tmp if needed. */
static labels without_empty(labels ls, label *tmp, size_t tmp_cap, label **heap)
{
	size_t k = 0;
	for (size_t i = 0; i < ls.n; i++)
		k += ls.v[i].value && ls.v[i].value[0];
	if (k == ls.n)
		return ls;
	label *dst = tmp;
	if (k > tmp_cap && !(dst = *heap = fl_malloc(k * sizeof *dst))) {
		labels none = {NULL, 0};
		return none;
	}
	k = 0;
	for (size_t i = 0; i < ls.n; i++)
		if (ls.v[i].value && ls.v[i].value[0])
			dst[k++] = ls.v[i];
	labels r = {dst, k};
	return r;
}

static hseries *insert_new(head *h, hstripe *st, hslot *slot, labels ls, uint64_t hash, uint64_t ref_hint, err *e)
{
	hseries *s = series_new(h, ls, hash);
	if (!s) {
		err_set(e, FL_ENOMEM, "head: out of memory creating series");
		return NULL;
	}
	uint32_t ref = ref_hint ? (uint32_t)ref_hint : atomic_fetch_add(&h->last_ref, 1) + 1;
	if (ref_hint)
		bump_last_ref(h, ref);
	s->ref = ref;
	if (!set_ref(h, ref, s)) {
		fl_free(s);
		err_set(e, FL_ENOMEM, "head: out of memory creating series");
		return NULL;
	}
	slot->ref = ref;
	slot->h = (uint32_t)(hash >> 32);
	map_added(&st->tab, slot);
	atomic_fetch_add(&h->n_series, 1);
	return s;
}

hseries *head__get_or_create(head *h, labels in, uint64_t ref_hint, bool *created, err *e)
{
	*created = false;
	if (check_labels(in, e))
		return NULL;
	label tmp[32], *heap = NULL;
	labels ls = without_empty(in, tmp, FL_ARRAY_LEN(tmp), &heap);
	FL_SLOW_ASSERT(labels_valid_order(ls)); /* checked above; dropping empties keeps the order */
	if (!ls.n) {
		fl_free(heap);
		err_set(e, ls.v || in.n ? FL_EINVAL : FL_ENOMEM, "empty labelset: invalid sample");
		return NULL;
	}
	uint64_t hash = labels_hash(ls);
	hstripe *st = head__stripe(h, hash);
	hseries *s = NULL;
	pthread_mutex_lock(&st->mu);
	series_key key = {h, hash, ls};
	hslot *slot = map_slot(&st->tab, &stripe_type, hash >> 32, &key);
	if (!slot) {
		err_set(e, FL_ENOMEM, "head: out of memory");
		goto out;
	}
	if (slot->ref) {
		s = head__series_by_ref(h, slot->ref);
		goto out;
	}
	s = insert_new(h, st, slot, ls, hash, ref_hint, e);
	*created = s != NULL;
out:
	pthread_mutex_unlock(&st->mu);
	if (*created && mem_postings_add(h->postings, s->ref, s->lbl, s->n_labels)) {
		/* The series exists but is not findable by matchers; report it. */
		err_set(e, FL_ENOMEM, "head: out of memory indexing series");
	}
	fl_free(heap);
	return s;
}

refcache *head_refcache(head *h) { return &h->rcache; }

labels head__series_labels(head *h, const hseries *s, arena *a)
{
	labels r = {NULL, 0};
	label *v = arena_alloc(a, (s->n_labels ? s->n_labels : 1) * sizeof *v);
	if (!v)
		return r;
	for (uint16_t i = 0; i < s->n_labels; i++) {
		v[i].name = intern_str(h->strs, s->lbl[2 * i]);
		v[i].value = intern_str(h->strs, s->lbl[2 * i + 1]);
	}
	r.v = v;
	r.n = s->n_labels;
	return r;
}

uint32_t head__series_label(const hseries *s, uint32_t name)
{
	for (uint16_t i = 0; i < s->n_labels; i++)
		if (s->lbl[2 * i] == name)
			return s->lbl[2 * i + 1];
	return 0;
}

/* ---- times, validation messages ---- */

void head__update_time(head *h, int64_t mint, int64_t maxt)
{
	int64_t cur = atomic_load(&h->min_time);
	while (mint < cur && !atomic_compare_exchange_weak(&h->min_time, &cur, mint))
		;
	cur = atomic_load(&h->max_time);
	while (maxt > cur && !atomic_compare_exchange_weak(&h->max_time, &cur, maxt))
		;
}

int64_t head__min_valid(head *h)
{
	int64_t mv = atomic_load(&h->min_valid_time), maxt = atomic_load(&h->max_time);
	if (maxt == INT64_MIN)
		return mv;
	int64_t cw = maxt - h->opts.chunk_range_ms / 2;
	return cw > mv ? cw : mv;
}

void head_set_min_valid_time(head *h, int64_t t) { atomic_store(&h->min_valid_time, t); }

int head__dup_error(err *e, int64_t t, double existing, double v)
{
	char a[FMT_FLOAT_MAX], b[FMT_FLOAT_MAX];
	fmt_go_g(a, existing);
	fmt_go_g(b, v);
	return err_set(e, FL_EDUPLICATE, "duplicate sample for timestamp %" PRId64 "; overrides not allowed: existing %s, new value %s",
		       t, a, b);
}

/* ---- replay of chunks_head/ ---- */

/* A chunk found in the head-chunk files, waiting for its series. */
typedef struct hmmap {
	uint64_t series_ref; /* 0 once attached or dropped */
	uint64_t ref;        /* chunk ref (file << 32 | offset): file order */
	int64_t mint, maxt;  /* sample times */
} hmmap;

static int collect_mmapped(void *ctx, uint64_t series_ref, uint64_t ref, int64_t mint, int64_t maxt, uint8_t enc,
			   const uint8_t *data, size_t len)
{
	head *h = ctx;
	(void)data;
	(void)len;
	h->mm_found++;
	if (enc != CHUNK_ENC_XOR || mint > maxt || series_ref == 0 || series_ref > UINT32_MAX ||
	    maxt < atomic_load(&h->min_valid_time)) {
		h->mm_dropped++; /* out-of-order chunks (enc bit 0x80) are not kept either */
		return 0;
	}
	if (!fl_grow((void **)&h->pending, &h->cap_pending, h->n_pending + 1, sizeof *h->pending))
		return FL_ENOMEM;
	h->pending[h->n_pending++] = (hmmap){series_ref, ref, mint, maxt};
	return 0;
}

static int cmp_hmmap(const void *a, const void *b)
{
	const hmmap *x = a, *y = b;
	if (x->series_ref != y->series_ref)
		return x->series_ref < y->series_ref ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

int head_replay_mmapped_begin(head *h, err *e)
{
	int rc = hchunks_iterate(h->chunks, collect_mmapped, h);
	if (rc) {
		fl_free(h->pending);
		h->pending = NULL;
		h->n_pending = h->cap_pending = 0;
		return err_set(e, rc, "head: out of memory reading head chunks");
	}
	if (h->n_pending > 1)
		qsort(h->pending, h->n_pending, sizeof *h->pending, cmp_hmmap);
	/* A series whose chunks overlap keeps none of them (Prometheus drops
	 * every m-mapped chunk then; the WAL has the samples). */
	for (size_t i = 0, j; i < h->n_pending; i = j) {
		bool bad = false;
		for (j = i + 1; j < h->n_pending && h->pending[j].series_ref == h->pending[i].series_ref; j++)
			bad |= h->pending[j].mint <= h->pending[j - 1].maxt;
		if (bad) {
			char sr[24];
			snprintf(sr, sizeof sr, "%" PRIu64, h->pending[i].series_ref);
			log_warn("tsdb", "Out of sequence m-mapped chunks: replaying the series from the WAL", "series", sr, NULL);
			for (size_t k = i; k < j; k++)
				h->pending[k].series_ref = 0;
			h->mm_dropped += (int64_t)(j - i);
		}
	}
	return 0;
}

/* Give a new series the chunks found for its ref. 0 or FL_ENOMEM. */
static int attach_mmapped(head *h, hseries *s)
{
	size_t lo = 0, hi = h->n_pending;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->pending[mid].series_ref < s->ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = 0;
	while (lo + k < h->n_pending && h->pending[lo + k].series_ref == s->ref && k < UINT16_MAX)
		k++;
	if (!k)
		return 0;
	hchunk *c = fl_malloc(head__closed_cap((uint16_t)k) * sizeof *c);
	if (!c)
		return FL_ENOMEM;
	for (size_t i = 0; i < k; i++) {
		hmmap *m = &h->pending[lo + i];
		c[i] = (hchunk){m->mint, m->maxt, m->ref};
		hchunks_retain(h->chunks, m->ref);
		m->series_ref = 0;
	}
	head__series_lock(s);
	fl_free(s->closed);
	s->closed = c;
	s->n_closed = (uint16_t)k;
	head__series_unlock(s);
	atomic_fetch_add(&h->n_chunks, (int64_t)k);
	head__update_time(h, c[0].mint, c[k - 1].maxt);
	h->mm_attached += (int64_t)k;
	return 0;
}

void head_replay_mmapped_end(head *h, head_mmap_stats *st)
{
	for (size_t i = 0; i < h->n_pending; i++)
		h->mm_dropped += h->pending[i].series_ref != 0; /* no series record named it */
	fl_free(h->pending);
	h->pending = NULL;
	h->n_pending = h->cap_pending = 0;
	hchunks_gc(h->chunks);
	st->found = h->mm_found;
	st->attached = h->mm_attached;
	st->dropped = h->mm_dropped;
}

/* ---- replay ---- */

int head_replay_series(head *h, uint64_t ref, labels ls, err *e) { return head_replay_series_mm(h, ref, ls, NULL, e); }

int head_replay_series_mm(head *h, uint64_t ref, labels ls, int64_t *mm_maxt, err *e)
{
	if (mm_maxt)
		*mm_maxt = INT64_MIN;
	if (ref == 0 || ref > UINT32_MAX)
		return err_set(e, FL_ECORRUPT, "head: series ref %" PRIu64 " out of range", ref);
	if (head__series_by_ref(h, ref)) {
		bump_last_ref(h, (uint32_t)ref);
		return 0; /* already known (e.g. checkpoint and segment both hold it) */
	}
	bool created;
	hseries *s = head__get_or_create(h, ls, ref, &created, e);
	if (!s)
		return e && e->code ? e->code : FL_ENOMEM;
	if (created && h->n_pending && attach_mmapped(h, s))
		return err_set(e, FL_ENOMEM, "head: out of memory");
	if (created && mm_maxt && s->n_closed) /* new: no worker has it yet */
		*mm_maxt = s->closed[s->n_closed - 1].maxt;
	if (!created) {
		/* Same labels under another ref: alias it (Prometheus multiRef). */
		bump_last_ref(h, (uint32_t)ref);
		if (!set_ref(h, ref, s))
			return err_set(e, FL_ENOMEM, "head: out of memory");
	}
	return 0;
}

struct hseries *head_replay_lookup(head *h, uint64_t ref)
{
	hseries *s = head__series_by_ref(h, ref);
	if (!s)
		atomic_fetch_add_explicit(&h->n_unknown, 1, memory_order_relaxed);
	return s;
}

/* One replayed sample into s: 0 appended (or an exact duplicate of the
 * last, dropped silently), HEAD_REPLAY_IN_MMAPPED, FL_EOUT_OF_ORDER /
 * FL_EDUPLICATE / FL_ETOO_OLD, or FL_ENOMEM. Without the series lock: during
 * replay a series is written by one thread only (head.h) and nothing else
 * reads the head yet (the db is not open); the lock's atomic exchange, a
 * full barrier, cost a third of the replay by serializing the cache misses
 * of consecutive series. */
static int replay_one(head *h, hseries *s, int64_t t, double v, int64_t min_valid)
{
	/* head_wal.go: samples at or before the last m-mapped chunk are in it */
	if (s->n_closed && t <= s->closed[s->n_closed - 1].maxt)
		return HEAD_REPLAY_IN_MMAPPED;
	int rc = head__appendable(s, t, v, min_valid);
	if (rc == 0)
		rc = head__series_append(h, s, t, v);
	return rc == 1 ? 0 : rc;
}

/* Fold a batch's tallies into the head's counters: one atomic each per
 * batch, not per sample (workers would fight over the cache lines). */
static void replay_tally(head *h, const head_replay_counts *c, int64_t ooo, int64_t oob, int64_t mint, int64_t maxt)
{
	if (c->samples) {
		atomic_fetch_add(&h->n_samples, c->samples);
		head__update_time(h, mint, maxt);
	}
	if (ooo)
		atomic_fetch_add(&h->n_ooo, ooo);
	if (oob)
		atomic_fetch_add(&h->n_oob, oob);
}

int head_replay_append(head *h, const head_replay_item *v, size_t n, head_replay_counts *c)
{
	int64_t min_valid = atomic_load_explicit(&h->min_valid_time, memory_order_relaxed);
	head_replay_counts k = {0, 0, 0};
	int64_t ooo = 0, oob = 0, mint = INT64_MAX, maxt = INT64_MIN;
	int rc = 0;
	for (size_t i = 0; i < n && rc != FL_ENOMEM; i++) {
		/* The series of a batch are scattered over the heap: fetch the
		 * struct a few samples ahead, then (once it is in cache) the
		 * byte its chunk is written at. The series is this thread's. */
		if (i + 8 < n) {
			__builtin_prefetch(v[i + 8].s, 1);
			__builtin_prefetch((const char *)v[i + 8].s + 64, 1);
			__builtin_prefetch((const char *)v[i + 8].s + sizeof(hseries) - 1, 1);
		}
		if (i + 4 < n && v[i + 4].s->app.b)
			__builtin_prefetch(v[i + 4].s->app.b + v[i + 4].s->app.len, 1);
		rc = replay_one(h, v[i].s, v[i].t, v[i].v, min_valid);
		if (rc == 0) {
			k.samples++;
			mint = FL_MIN(mint, v[i].t);
			maxt = FL_MAX(maxt, v[i].t);
		} else if (rc == HEAD_REPLAY_IN_MMAPPED) {
			k.in_mmapped++;
		} else if (rc != FL_ENOMEM) {
			k.rejected++;
			ooo += rc == FL_EOUT_OF_ORDER || rc == FL_EDUPLICATE;
			oob += rc == FL_ETOO_OLD;
		}
	}
	replay_tally(h, &k, ooo, oob, mint, maxt);
	c->samples += k.samples;
	c->in_mmapped += k.in_mmapped;
	c->rejected += k.rejected;
	return rc == FL_ENOMEM ? rc : 0;
}

int head_replay_sample(head *h, uint64_t ref, int64_t t, double v)
{
	hseries *s = head_replay_lookup(h, ref);
	if (!s)
		return FL_ENOTFOUND;
	int rc = replay_one(h, s, t, v, atomic_load_explicit(&h->min_valid_time, memory_order_relaxed));
	head_replay_counts k = {rc == 0, 0, 0};
	replay_tally(h, &k, rc == FL_EOUT_OF_ORDER || rc == FL_EDUPLICATE, rc == FL_ETOO_OLD, t, t);
	return rc;
}

/* ---- truncation ---- */

/* Drop the start timestamps of samples no chunk holds any more (s locked). */
static void st_truncate(hseries *s)
{
	hst *x = s->st;
	int64_t keep = s->n_closed ? s->closed[0].mint : s->app.n ? s->open_mint : INT64_MAX;
	size_t k = 0;
	while (k < x->n && x->e[k].t < keep)
		k++;
	if (k == x->n) {
		head__series_st_free(s);
		return;
	}
	memmove(x->e, x->e + k, (x->n - k) * sizeof *x->e);
	x->n -= k;
}

/* Drop s's chunks older than mint (s locked); returns chunks dropped. */
static int64_t series_truncate(head *h, hseries *s, int64_t mint)
{
	uint16_t k = 0;
	while (k < s->n_closed && s->closed[k].maxt < mint)
		hchunks_release(h->chunks, s->closed[k++].ref);
	if (k) {
		memmove(s->closed, s->closed + k, (size_t)(s->n_closed - k) * sizeof *s->closed);
		s->n_closed = (uint16_t)(s->n_closed - k);
		s->n_dropped += k;
	}
	int64_t dropped = k;
	if (!s->n_closed && s->app.n && s->app.t < mint) {
		/* The open chunk goes too; it keeps its number, so a view of it
		 * (in a querier reading at or above mint) finds it dropped. */
		xor_app_free(&s->app);
		s->app.n = 0;
		s->n_dropped++;
		dropped++;
	}
	if (!s->n_closed && !s->app.n) {
		fl_free(s->closed);
		s->closed = NULL;
	}
	if (s->st)
		st_truncate(s);
	return dropped;
}

/* Match a stripe slot by ref (for removal). */
static bool slot_ref_eq(const void *e, const void *key) { return ((const hslot *)e)->ref == *(const uint32_t *)key; }
static const map_type stripe_ref_type = {sizeof(hslot), 4, slot_hash, slot_ref_eq};

/* Unlink s if it is still empty and nothing is pending for it: mark it
 * dead, drop it from its stripe and the ref table. True if it was. */
static bool series_unlink(head *h, hseries *s)
{
	hstripe *st = head__stripe(h, s->hash);
	pthread_mutex_lock(&st->mu);
	head__series_lock(s);
	bool gone = !s->dead && !s->n_closed && !s->app.n && !s->pending;
	if (gone)
		s->dead = 1;
	head__series_unlock(s);
	if (gone) {
		uint32_t ref = s->ref;
		hslot *sl = map_find(&st->tab, &stripe_ref_type, s->hash >> 32, &ref);
		assert(sl); /* a live series is in its stripe */
		if (sl)
			map_del(&st->tab, &stripe_type, sl);
		set_ref(h, ref, NULL); /* the page exists: never fails */
	}
	pthread_mutex_unlock(&st->mu);
	return gone;
}

/* Free the removed series once nobody can hold them. */
static void grave_reap(head *h, int timeout_ms)
{
	if (!h->n_grave || !head__epoch_sync(h, timeout_ms))
		return;
	for (size_t i = 0; i < h->n_grave; i++)
		series_free(h->grave[i]);
	h->n_grave = 0;
}

/* Remove the series among cand[0..n) (ascending refs) that are still
 * empty: series tables, aliases, postings; report and bury them. */
static int64_t gc_series(head *h, const uint32_t *cand, size_t n)
{
	uint32_t *dead = fl_malloc((n ? n : 1) * sizeof *dead);
	uint64_t *pairs = NULL;
	size_t n_dead = 0, n_pairs = 0, cap_pairs = 0;
	if (!dead || !fl_grow((void **)&h->grave, &h->cap_grave, h->n_grave + n, sizeof *h->grave)) {
		fl_free(dead);
		return 0; /* out of memory: the series stay, empty */
	}
	for (size_t i = 0; i < n; i++) {
		hseries *s = head__series_by_ref(h, cand[i]);
		if (!s || !fl_grow((void **)&pairs, &cap_pairs, n_pairs + s->n_labels, sizeof *pairs))
			continue;
		if (!series_unlink(h, s))
			continue;
		for (uint16_t k = 0; k < s->n_labels; k++)
			pairs[n_pairs++] = (uint64_t)s->lbl[2 * k] << 32 | s->lbl[2 * k + 1];
		dead[n_dead++] = s->ref;
		h->grave[h->n_grave++] = s;
	}
	if (n_dead) {
		uint32_t last = atomic_load(&h->last_ref);
		for (uint64_t ref = 1; ref <= last; ref++) { /* replay aliases of removed series */
			hseries *s = head__series_by_ref(h, ref);
			if (s && s->ref != ref && s->dead)
				set_ref(h, ref, NULL);
		}
		mem_postings_delete(h->postings, dead, n_dead, pairs, n_pairs);
		atomic_fetch_sub(&h->n_series, (int64_t)n_dead);
		atomic_fetch_add(&h->n_removed, (int64_t)n_dead);
		refcache_clear(&h->rcache); /* its refs may name removed series */
		if (h->opts.series_removed) {
			uint64_t *refs = fl_malloc(n_dead * sizeof *refs);
			for (size_t i = 0; refs && i < n_dead; i++)
				refs[i] = dead[i];
			if (refs)
				h->opts.series_removed(h->opts.series_removed_ctx, refs, n_dead);
			fl_free(refs);
		}
	}
	fl_free(pairs);
	fl_free(dead);
	return (int64_t)n_dead;
}

bool head_release_memory(head *h)
{
	int64_t cuts = atomic_load_explicit(&h->n_cuts, memory_order_relaxed);
	if (cuts == atomic_exchange(&h->cuts_trimmed, cuts))
		return false;
#ifdef __GLIBC__
	malloc_trim(0);
	return true;
#else
	return false;
#endif
}

int64_t head_truncate(head *h, int64_t mint)
{
	int64_t cur = atomic_load(&h->min_valid_time);
	while (mint > cur && !atomic_compare_exchange_weak(&h->min_valid_time, &cur, mint))
		;
	head__readers_truncate(h, mint);
	int64_t dropped = 0;
	uint32_t *cand = NULL;
	size_t n_cand = 0, cap_cand = 0;
	uint32_t last = atomic_load(&h->last_ref);
	for (uint64_t ref = 1; ref <= last; ref++) {
		hseries *s = head__series_by_ref(h, ref);
		if (!s || s->ref != ref)
			continue;
		head__series_lock(s);
		dropped += series_truncate(h, s, mint);
		bool empty = !s->n_closed && !s->app.n && !s->pending;
		head__series_unlock(s);
		if (empty && fl_grow((void **)&cand, &cap_cand, n_cand + 1, sizeof *cand))
			cand[n_cand++] = (uint32_t)ref;
	}
	atomic_fetch_sub(&h->n_chunks, dropped);
	hchunks_gc(h->chunks); /* files nothing holds any more; no querier reads below mint */
	int64_t removed = gc_series(h, cand, n_cand);
	fl_free(cand);
	head__tombstones_truncate(h, mint);
	grave_reap(h, 1000);
	atomic_fetch_add(&h->n_truncations, 1);
	cur = atomic_load(&h->min_time);
	while (mint > cur && !atomic_compare_exchange_weak(&h->min_time, &cur, mint))
		;
	return removed;
}

bool head_series_alive(head *h, uint64_t ref) { return head__series_by_ref(h, ref) != NULL; }

/* ---- stats, iteration ---- */

void head_get_stats(head *h, head_stats *s)
{
	memset(s, 0, sizeof *s);
	s->series = atomic_load(&h->n_series);
	s->chunks = atomic_load(&h->n_chunks);
	s->samples_appended = atomic_load(&h->n_samples);
	s->min_time = atomic_load(&h->min_time);
	s->max_time = atomic_load(&h->max_time);
	s->out_of_order = atomic_load(&h->n_ooo);
	s->out_of_bounds = atomic_load(&h->n_oob);
	s->replay_unknown_refs = atomic_load(&h->n_unknown);
	s->truncations = atomic_load(&h->n_truncations);
	s->series_removed = atomic_load(&h->n_removed);
	s->chunks_disk_bytes = hchunks_disk_bytes(h->chunks);
}

static int visit_series(head *h, hseries *s, head_chunk_meta **metas, size_t *cap, arena *a,
			int (*fn)(void *, uint64_t, labels, const head_chunk_meta *, size_t), void *ctx)
{
	head__series_lock(s);
	size_t n = (size_t)s->n_closed + (s->app.n > 0);
	if (n > *cap) {
		head_chunk_meta *m = fl_realloc(*metas, n * sizeof *m);
		if (!m) {
			head__series_unlock(s);
			return FL_ENOMEM;
		}
		*metas = m;
		*cap = n;
	}
	for (uint16_t i = 0; i < s->n_closed; i++) {
		hchunk *c = &s->closed[i];
		const uint8_t *b;
		size_t len;
		err e;
		if (hchunks_get(h->chunks, c->ref, &b, &len, &e)) {
			head__series_unlock(s);
			return FL_ECORRUPT;
		}
		(*metas)[i] = (head_chunk_meta){c->mint, c->maxt, b, len};
	}
	uint8_t *copy = NULL;
	if (s->app.n) {
		copy = arena_alloc(a, s->app.len);
		if (!copy) {
			head__series_unlock(s);
			return FL_ENOMEM;
		}
		memcpy(copy, s->app.b, s->app.len);
		(*metas)[s->n_closed] = (head_chunk_meta){s->open_mint, s->app.t, copy, s->app.len};
	}
	head__series_unlock(s);
	if (!n)
		return 0;
	labels ls = head__series_labels(h, s, a);
	if (!ls.v)
		return FL_ENOMEM;
	return fn(ctx, s->ref, ls, *metas, n);
}

int head_for_each_series(head *h,
			 int (*fn)(void *ctx, uint64_t ref, labels ls, const head_chunk_meta *chunks, size_t n),
			 void *ctx)
{
	head_chunk_meta *metas = NULL;
	size_t cap = 0;
	arena a;
	arena_init(&a);
	int rc = 0, ep = head__epoch_enter(h);
	uint32_t last = atomic_load(&h->last_ref);
	for (uint64_t ref = 1; ref <= last && !rc; ref++) {
		hseries *s = head__series_by_ref(h, ref);
		if (s && s->ref == ref)
			rc = visit_series(h, s, &metas, &cap, &a, fn, ctx);
		if ((ref & 1023) == 0)
			arena_reset(&a);
	}
	arena_reset(&a);
	fl_free(metas);
	head__epoch_exit(h, ep);
	return rc;
}
