/*
 * postings.c - postings lists, their set operations, and the head's
 * in-memory label index (Prometheus tsdb/index/postings.go: MemPostings,
 * Intersect, Merge, Without).
 *
 * Set operations work on materialized sorted arrays: intersect and subtract
 * are linear merges that gallop (binary-search forward) when one side is
 * much shorter; union of k lists is a k-way heap merge.
 *
 * mem_postings layout (all under one pthread rwlock, writer-preferring):
 *   pairs: lib/map.h table keyed by (name id, value id); each slot
 *          holds its postings inline when it has at most 2 refs (most label
 *          values of high-cardinality labels), else a growable array.
 *   names: name id -> growable array of its value ids (unordered).
 *   all:   every ref ("all postings", Prometheus's AllPostingsKey).
 * Invariant: every list is strictly increasing; a ref appears under a pair
 * iff it was added with that pair.
 */
#include "tsdb/postings.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/map.h"

#if FL_SLOW_CHECKS_ON
/* Strictly increasing: the invariant of every list here (O(n)). */
static bool postings_check(const postings_list *p)
{
	for (size_t i = 1; i < p->n; i++)
		if (p->v[i - 1] >= p->v[i])
			return false;
	return true;
}
#endif

void postings_free(postings_list *p)
{
	fl_free(p->v);
	postings_init(p);
}

int postings_reserve(postings_list *p, size_t n)
{
	return fl_grow((void **)&p->v, &p->cap, n, sizeof *p->v) ? 0 : FL_ENOMEM;
}

int postings_push(postings_list *p, uint32_t ref)
{
	if (p->n == p->cap && postings_reserve(p, p->n + 1))
		return FL_ENOMEM;
	p->v[p->n++] = ref;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void postings_sort_unique(postings_list *p)
{
	if (p->n < 2)
		return;
	bool sorted = true;
	for (size_t i = 1; i < p->n && sorted; i++)
		sorted = p->v[i - 1] < p->v[i];
	if (sorted)
		return;
	qsort(p->v, p->n, sizeof *p->v, cmp_u32);
	size_t w = 1;
	for (size_t i = 1; i < p->n; i++)
		if (p->v[i] != p->v[w - 1])
			p->v[w++] = p->v[i];
	p->n = w;
}

/* First index i in [lo, hi) with v[i] >= x, or hi (binary search). */
static size_t lower_bound(const uint32_t *v, size_t lo, size_t hi, uint32_t x)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index i >= lo with v[i] >= x (galloping then binary search). */
static size_t gallop(const uint32_t *v, size_t lo, size_t n, uint32_t x)
{
	size_t step = 1, hi = lo;
	while (hi < n && v[hi] < x) {
		lo = hi + 1;
		hi += step;
		step *= 2;
	}
	return lower_bound(v, lo, FL_MIN(hi, n), x);
}

bool postings_contains(const postings_list *p, uint32_t ref)
{
	size_t i = gallop(p->v, 0, p->n, ref);
	return i < p->n && p->v[i] == ref;
}

int postings_intersect(const postings_list *a, const postings_list *b, postings_list *out)
{
	FL_SLOW_ASSERT(postings_check(a) && postings_check(b));
	assert(out != a && out != b);
	out->n = 0;
	if (a->n > b->n) {
		const postings_list *t = a;
		a = b;
		b = t;
	}
	if (postings_reserve(out, a->n))
		return FL_ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < a->n && j < b->n; i++) {
		j = gallop(b->v, j, b->n, a->v[i]);
		if (j < b->n && b->v[j] == a->v[i])
			out->v[out->n++] = a->v[i];
	}
	FL_SLOW_ASSERT(postings_check(out));
	return 0;
}

int postings_subtract(const postings_list *a, const postings_list *b, postings_list *out)
{
	FL_SLOW_ASSERT(postings_check(a) && postings_check(b));
	assert(out != a && out != b);
	out->n = 0;
	if (postings_reserve(out, a->n))
		return FL_ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		j = gallop(b->v, j, b->n, a->v[i]);
		if (j >= b->n || b->v[j] != a->v[i])
			out->v[out->n++] = a->v[i];
	}
	FL_SLOW_ASSERT(postings_check(out));
	return 0;
}

/* k-way merge of sorted runs given as (pointer, length) pairs. */
typedef struct run {
	const uint32_t *v; /* next ref */
	const uint32_t *end; /* one past the last */
} run;

static void heap_down(run *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && *h[l].v < *h[m].v)
			m = l;
		if (l + 1 < n && *h[l + 1].v < *h[m].v)
			m = l + 1;
		if (m == i)
			return;
		run t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int merge_runs(run *h, size_t k, size_t total, postings_list *out)
{
	out->n = 0;
	if (postings_reserve(out, total))
		return FL_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < k; i++)
		if (h[i].v < h[i].end)
			h[n++] = h[i];
	for (size_t i = n; i-- > 0;)
		heap_down(h, n, i);
	while (n) {
		uint32_t x = *h[0].v++;
		if (!out->n || out->v[out->n - 1] != x)
			out->v[out->n++] = x;
		if (h[0].v == h[0].end)
			h[0] = h[--n];
		heap_down(h, n, 0);
	}
	FL_SLOW_ASSERT(postings_check(out)); /* runs sorted: merged and deduplicated */
	return 0;
}

int postings_union(const postings_list *ls, size_t n, postings_list *out)
{
	run *h = fl_malloc((n ? n : 1) * sizeof *h);
	if (!h)
		return FL_ENOMEM;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		h[i].v = ls[i].v;
		h[i].end = ls[i].v + ls[i].n;
		total += ls[i].n;
	}
	int rc = merge_runs(h, n, total, out);
	fl_free(h);
	return rc;
}

/* ---- mem_postings ---- */

typedef struct mp_slot {
	uint32_t name;  /* name id, 0 = empty slot */
	uint32_t value; /* value id */
	uint32_t n;     /* refs */
	uint32_t cap;   /* 0: refs inline in u.inl; else allocated */
	union {
		uint32_t *p;     /* cap > 0 */
		uint32_t inl[2]; /* cap == 0 */
	} u;
} mp_slot;

typedef struct mp_name {
	uint32_t name;  /* name id, 0 = empty slot */
	uint32_t n;     /* values */
	uint32_t cap;   /* allocated values */
	uint32_t *vals; /* value ids, unordered */
} mp_name;

struct mem_postings {
	pthread_rwlock_t mu; /* guards everything below */
	map pairs;           /* mp_slot entries: (name, value) -> refs */
	map names;           /* mp_name entries: name -> values */
	postings_list all;   /* every ref */
	size_t bytes;        /* bytes held by lists */
};

static inline uint32_t *slot_refs(mp_slot *s) { return s->cap ? s->u.p : s->u.inl; }

static inline size_t pair_hash(uint32_t name, uint32_t value)
{
	uint64_t x = ((uint64_t)name << 32 | value) * 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 20);
}

/* The pairs table: slots keyed by {name, value}; the names table: slots
 * keyed by name (a key is the slot's leading uint32s). */
static uint64_t pair_slot_hash(const void *e) { return pair_hash(((const mp_slot *)e)->name, ((const mp_slot *)e)->value); }
static uint64_t name_slot_hash(const void *e) { return pair_hash(((const mp_name *)e)->name, 0); }

MAP_INLINE bool pair_eq(const void *e, const void *key)
{
	const mp_slot *s = e;
	const uint32_t *k = key;
	return s->name == k[0] && s->value == k[1];
}

MAP_INLINE bool name_eq(const void *e, const void *key) { return ((const mp_name *)e)->name == *(const uint32_t *)key; }

static const map_type pair_type = {sizeof(mp_slot), 1024, pair_slot_hash, pair_eq};
static const map_type name_type = {sizeof(mp_name), 64, name_slot_hash, name_eq};

static mp_slot *pair_find(const mem_postings *mp, uint32_t name, uint32_t value)
{
	uint32_t k[2] = {name, value};
	return map_find(&mp->pairs, &pair_type, pair_hash(name, value), k);
}

static mp_name *name_find(const mem_postings *mp, uint32_t name)
{
	return map_find(&mp->names, &name_type, pair_hash(name, 0), &name);
}

mem_postings *mem_postings_new(void)
{
	mem_postings *mp = fl_calloc(1, sizeof *mp);
	if (!mp)
		return NULL;
	pthread_rwlockattr_t at;
	pthread_rwlockattr_init(&at);
	pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&mp->mu, &at);
	pthread_rwlockattr_destroy(&at);
	return mp;
}

void mem_postings_free(mem_postings *mp)
{
	if (!mp)
		return;
	mp_slot *s;
	for (size_t i = 0; (s = map_next(&mp->pairs, &pair_type, &i));)
		if (s->cap)
			fl_free(s->u.p);
	mp_name *nm;
	for (size_t i = 0; (nm = map_next(&mp->names, &name_type, &i));)
		fl_free(nm->vals);
	map_free(&mp->pairs);
	map_free(&mp->names);
	postings_free(&mp->all);
	pthread_rwlock_destroy(&mp->mu);
	fl_free(mp);
}

/* Position of ref in sorted v[0..n) (where it is, or would go); searched
 * backwards from the end, where new refs almost always land. */
static uint32_t find_pos(const uint32_t *v, uint32_t n, uint32_t ref)
{
	if (!n || v[n - 1] < ref)
		return n;
	uint32_t step = 1, hi = n, lo;
	for (;;) { /* gallop back from the end */
		lo = hi > step ? hi - step : 0;
		if (lo == 0 || v[lo - 1] < ref)
			break;
		hi = lo;
		step *= 2;
	}
	return (uint32_t)lower_bound(v, lo, hi, ref);
}

/* Insert ref into sorted v[0..n) (room for n+1) unless present; true if
 * inserted. Out-of-order refs (concurrent creators, WAL replay in commit
 * order) cost a binary search and a short move, never a scan. */
static bool sorted_insert(uint32_t *v, uint32_t n, uint32_t ref)
{
	uint32_t i = find_pos(v, n, ref);
	if (i < n && v[i] == ref)
		return false;
	memmove(v + i + 1, v + i, (size_t)(n - i) * sizeof *v);
	v[i] = ref;
	return true;
}

static int slot_add(mem_postings *mp, mp_slot *s, uint32_t ref)
{
	uint32_t *v = slot_refs(s);
	uint32_t i = find_pos(v, s->n, ref);
	if (i < s->n && v[i] == ref)
		return 0;
	uint32_t room = s->cap ? s->cap : 2;
	if (s->n == room) {
		uint32_t ncap = room * 2;
		uint32_t *p = fl_malloc(ncap * sizeof *p);
		if (!p)
			return FL_ENOMEM;
		memcpy(p, v, s->n * sizeof *p);
		if (s->cap)
			fl_free(s->u.p);
		mp->bytes += (ncap - s->cap) * sizeof *p;
		s->u.p = p;
		s->cap = ncap;
		v = p;
	}
	sorted_insert(v, s->n, ref);
	s->n++;
	return 0;
}

static int name_add_value(mem_postings *mp, uint32_t name, uint32_t value)
{
	mp_name *nm = map_slot(&mp->names, &name_type, pair_hash(name, 0), &name);
	if (!nm)
		return FL_ENOMEM;
	if (!nm->name) {
		nm->name = name;
		map_added(&mp->names, nm);
	}
	if (nm->n == nm->cap) {
		uint32_t ncap = nm->cap ? nm->cap * 2 : 4;
		uint32_t *p = fl_realloc(nm->vals, ncap * sizeof *p);
		if (!p)
			return FL_ENOMEM;
		mp->bytes += (ncap - nm->cap) * sizeof *p;
		nm->vals = p;
		nm->cap = ncap;
	}
	nm->vals[nm->n++] = value;
	return 0;
}

static int add_pair(mem_postings *mp, uint32_t ref, uint32_t name, uint32_t value)
{
	uint32_t k[2] = {name, value};
	mp_slot *s = map_slot(&mp->pairs, &pair_type, pair_hash(name, value), k);
	if (!s)
		return FL_ENOMEM;
	if (!s->name) {
		if (name_add_value(mp, name, value))
			return FL_ENOMEM;
		s->name = name;
		s->value = value;
		map_added(&mp->pairs, s);
	}
	return slot_add(mp, s, ref);
}

int mem_postings_add(mem_postings *mp, uint32_t ref, const uint32_t *pairs, size_t n)
{
	int rc = 0;
	pthread_rwlock_wrlock(&mp->mu);
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_pair(mp, ref, pairs[2 * i], pairs[2 * i + 1]);
	if (!rc && (rc = postings_reserve(&mp->all, mp->all.n + 1)) == 0)
		mp->all.n += sorted_insert(mp->all.v, (uint32_t)mp->all.n, ref);
	pthread_rwlock_unlock(&mp->mu);
	return rc;
}

int mem_postings_get(mem_postings *mp, uint32_t name, uint32_t value, postings_list *out)
{
	return mem_postings_get_many(mp, name, &value, 1, out);
}

int mem_postings_get_many(mem_postings *mp, uint32_t name, const uint32_t *values, size_t n, postings_list *out)
{
	out->n = 0;
	run *h = fl_malloc((n ? n : 1) * sizeof *h);
	if (!h)
		return FL_ENOMEM;
	pthread_rwlock_rdlock(&mp->mu);
	size_t k = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		mp_slot *s = pair_find(mp, name, values[i]);
		if (!s)
			continue;
		h[k].v = slot_refs(s);
		h[k].end = h[k].v + s->n;
		total += s->n;
		k++;
	}
	int rc = merge_runs(h, k, total, out);
	pthread_rwlock_unlock(&mp->mu);
	fl_free(h);
	return rc;
}

int mem_postings_all(mem_postings *mp, postings_list *out)
{
	int rc;
	pthread_rwlock_rdlock(&mp->mu);
	out->n = 0;
	rc = postings_reserve(out, mp->all.n);
	if (!rc && mp->all.n) {
		memcpy(out->v, mp->all.v, mp->all.n * sizeof *out->v);
		out->n = mp->all.n;
	}
	pthread_rwlock_unlock(&mp->mu);
	return rc;
}

static int copy_ids(const uint32_t *src, size_t n, uint32_t **dst, size_t *dn)
{
	*dn = 0;
	*dst = fl_malloc((n ? n : 1) * sizeof **dst);
	if (!*dst)
		return FL_ENOMEM;
	if (n)
		memcpy(*dst, src, n * sizeof **dst);
	*dn = n;
	return 0;
}

int mem_postings_values(mem_postings *mp, uint32_t name, uint32_t **vals, size_t *n)
{
	pthread_rwlock_rdlock(&mp->mu);
	mp_name *nm = name_find(mp, name);
	int rc = nm ? copy_ids(nm->vals, nm->n, vals, n) : copy_ids(NULL, 0, vals, n);
	pthread_rwlock_unlock(&mp->mu);
	return rc;
}

int mem_postings_names(mem_postings *mp, uint32_t **names, size_t *n)
{
	pthread_rwlock_rdlock(&mp->mu);
	int rc = copy_ids(NULL, 0, names, n);
	if (!rc && map_len(&mp->names)) {
		fl_free(*names);
		*names = fl_malloc(map_len(&mp->names) * sizeof **names);
		if (!*names)
			rc = FL_ENOMEM;
		const mp_name *nm;
		for (size_t i = 0; !rc && (nm = map_next(&mp->names, &name_type, &i));)
			if (nm->n)
				(*names)[(*n)++] = nm->name;
	}
	pthread_rwlock_unlock(&mp->mu);
	return rc;
}

size_t mem_postings_bytes(mem_postings *mp)
{
	pthread_rwlock_rdlock(&mp->mu);
	size_t b = mp->bytes + mp->pairs.cap * sizeof(mp_slot) + mp->names.cap * sizeof(mp_name) + mp->all.cap * 4;
	pthread_rwlock_unlock(&mp->mu);
	return b;
}

void mem_postings_counts(mem_postings *mp, uint32_t name, const uint32_t *values, size_t n, uint32_t *counts)
{
	pthread_rwlock_rdlock(&mp->mu);
	for (size_t i = 0; i < n; i++) {
		const mp_slot *s = pair_find(mp, name, values[i]);
		counts[i] = s && s->name ? s->n : 0;
	}
	pthread_rwlock_unlock(&mp->mu);
}
