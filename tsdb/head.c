/*
 * head.c - the in-memory head block: the series registry (by ref and by
 * label hash), WAL replay entry points, stats and series iteration.
 * Mirrors Prometheus tsdb/head.go (stripeSeries, getOrCreate, Stats).
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

#include "lib/fmtfloat.h"

#define HEAD_DEFAULT_RANGE (2 * 3600 * 1000LL)
#define HEAD_DEFAULT_STRIPES 16384

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
	if (!h->stripes || !h->strs || !h->postings) {
		intern_free(h->strs);
		mem_postings_free(h->postings);
		fl_free(h->stripes);
		fl_free(h);
		err_set(e, FL_ENOMEM, "head: out of memory");
		return NULL;
	}
	for (int i = 0; i < ns; i++)
		pthread_mutex_init(&h->stripes[i].mu, NULL);
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
	return h;
}

static void series_free(hseries *s)
{
	for (uint16_t i = 0; i < s->n_closed; i++)
		fl_free(s->closed[i].b);
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
	intern_free(h->strs);
	mem_postings_free(h->postings);
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

/* ---- replay ---- */

int head_replay_series(head *h, uint64_t ref, labels ls, err *e)
{
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
	if (!created) {
		/* Same labels under another ref: alias it (Prometheus multiRef). */
		bump_last_ref(h, (uint32_t)ref);
		if (!set_ref(h, ref, s))
			return err_set(e, FL_ENOMEM, "head: out of memory");
	}
	return 0;
}

int head_replay_sample(head *h, uint64_t ref, int64_t t, double v)
{
	hseries *s = head__series_by_ref(h, ref);
	if (!s) {
		atomic_fetch_add(&h->n_unknown, 1);
		return FL_ENOTFOUND;
	}
	head__series_lock(s);
	int rc = head__appendable(s, t, v, atomic_load_explicit(&h->min_valid_time, memory_order_relaxed));
	if (rc == 0)
		rc = head__series_append(h, s, t, v);
	head__series_unlock(s);
	if (rc == 0) {
		atomic_fetch_add(&h->n_samples, 1);
		head__update_time(h, t, t);
	} else if (rc == FL_EOUT_OF_ORDER || rc == FL_EDUPLICATE) {
		atomic_fetch_add(&h->n_ooo, 1);
	} else if (rc == FL_ETOO_OLD) {
		atomic_fetch_add(&h->n_oob, 1);
	}
	return rc == 1 ? 0 : rc;
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
static int64_t series_truncate(hseries *s, int64_t mint)
{
	uint16_t k = 0;
	while (k < s->n_closed && s->closed[k].maxt < mint)
		fl_free(s->closed[k++].b);
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
		s->cap_closed = 0;
	}
	if (s->st)
		st_truncate(s);
	return dropped;
}

void head_truncate(head *h, int64_t mint)
{
	int64_t cur = atomic_load(&h->min_valid_time);
	while (mint > cur && !atomic_compare_exchange_weak(&h->min_valid_time, &cur, mint))
		;
	head__readers_truncate(h, mint);
	int64_t dropped = 0;
	uint32_t last = atomic_load(&h->last_ref);
	for (uint64_t ref = 1; ref <= last; ref++) {
		hseries *s = head__series_by_ref(h, ref);
		if (!s || s->ref != ref)
			continue;
		head__series_lock(s);
		dropped += series_truncate(s, mint);
		head__series_unlock(s);
	}
	atomic_fetch_sub(&h->n_chunks, dropped);
	cur = atomic_load(&h->min_time);
	while (mint > cur && !atomic_compare_exchange_weak(&h->min_time, &cur, mint))
		;
}

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
		(*metas)[i] = (head_chunk_meta){c->mint, c->maxt, c->b, c->len};
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
	int rc = 0;
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
	return rc;
}
