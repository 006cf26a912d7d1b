/*
 * intern.c - the head's string pool (see intern.h).
 *
 * Layout:
 *   - 256 stripes chosen by the string's xxhash; each stripe holds an
 *     open-addressing table of {id, 32-bit hash} slots (linear probing, grown
 *     at 3/4 load) and a chain of 64 KiB slabs holding its strings
 *     NUL-terminated, so a string costs its bytes + 1 and ~11 bytes of table.
 *   - id -> string: a two-level array (65536 pages of 65536 pointers),
 *     pages allocated on first use; reads are lock-free (acquire loads).
 *
 *   - a direct-mapped cache of 4096 {32-bit hash, id} words in front of the
 *     stripes: a hit (checked against the string itself) takes no lock,
 *     which serves the few names and common values of every new series.
 *
 * Invariants:
 *   1. An id is written into its page slot before it is inserted into a
 *      stripe table, and ids only reach other threads through that table
 *      (under the stripe mutex) or through structures published under locks,
 *      so intern_str never sees an unset slot.
 *   2. Strings never move and are never freed before intern_free.
 * Mirrors no upstream file: Prometheus's stringlabels share strings through
 * Go's GC; here the pool owns them.
 */
#include "tsdb/intern.h"

#include <pthread.h>
#include <stdatomic.h>

#include "lib/hash.h"

#define IN_STRIPES 256
#define IN_PAGE_BITS 16
#define IN_PAGE_SIZE (1u << IN_PAGE_BITS)
#define IN_TOP 65536
#define IN_SLAB_SIZE 65536
#define IN_CACHE 4096

typedef struct in_slab {
	struct in_slab *next; /* older slab */
	size_t used;          /* bytes used in data */
	size_t cap;           /* bytes of data */
	char data[];          /* strings, NUL-terminated */
} in_slab;

typedef struct in_slot {
	uint32_t id; /* 0 = empty */
	uint32_t h;  /* low 32 bits of the hash */
} in_slot;

typedef struct in_stripe {
	pthread_mutex_t mu; /* guards everything below */
	in_slot *slots;     /* open addressing table */
	size_t cap;         /* slots (power of 2, or 0) */
	size_t n;           /* used slots */
	in_slab *slab;      /* newest slab */
} in_stripe;

struct intern {
	in_stripe stripes[IN_STRIPES];          /* by hash */
	_Atomic(const char **) pages[IN_TOP];   /* id -> string, lazily allocated */
	pthread_mutex_t page_mu;                /* serializes page allocation */
	_Atomic uint32_t n_ids;                 /* ids handed out (last id) */
	_Atomic uint64_t cache[IN_CACHE];       /* hash << 32 | id of recent strings */
	_Atomic size_t bytes;                   /* bytes held */
};

intern *intern_new(void)
{
	intern *in = fl_calloc(1, sizeof *in);
	if (!in)
		return NULL;
	for (int i = 0; i < IN_STRIPES; i++)
		pthread_mutex_init(&in->stripes[i].mu, NULL);
	pthread_mutex_init(&in->page_mu, NULL);
	return in;
}

void intern_free(intern *in)
{
	if (!in)
		return;
	for (int i = 0; i < IN_STRIPES; i++) {
		in_stripe *s = &in->stripes[i];
		fl_free(s->slots);
		for (in_slab *b = s->slab, *nx; b; b = nx) {
			nx = b->next;
			fl_free(b);
		}
		pthread_mutex_destroy(&s->mu);
	}
	for (int i = 0; i < IN_TOP; i++)
		fl_free((void *)atomic_load_explicit(&in->pages[i], memory_order_relaxed));
	pthread_mutex_destroy(&in->page_mu);
	fl_free(in);
}

const char *intern_str(const intern *in, uint32_t id)
{
	const char **pg = atomic_load_explicit(&((intern *)in)->pages[id >> IN_PAGE_BITS], memory_order_acquire);
	return pg ? pg[id & (IN_PAGE_SIZE - 1)] : NULL;
}

uint32_t intern_count(const intern *in) { return atomic_load(&((intern *)in)->n_ids); }
size_t intern_bytes(const intern *in) { return atomic_load(&((intern *)in)->bytes); }

static bool slot_eq(const intern *in, const in_slot *sl, uint32_t h, const char *s, size_t len)
{
	if (sl->h != h)
		return false;
	const char *p = intern_str(in, sl->id);
	return memcmp(p, s, len) == 0 && p[len] == 0;
}

/* Index of s's slot, or of the empty slot where it would go. cap > 0. */
static size_t find_slot(const intern *in, const in_stripe *st, uint64_t hash, const char *s, size_t len)
{
	size_t mask = st->cap - 1, i = (size_t)(hash >> 8) & mask;
	uint32_t h = (uint32_t)hash;
	while (st->slots[i].id && !slot_eq(in, &st->slots[i], h, s, len))
		i = (i + 1) & mask;
	return i;
}

static bool grow_table(in_stripe *st)
{
	size_t ncap = st->cap ? st->cap * 2 : 16;
	in_slot *ns = fl_calloc(ncap, sizeof *ns);
	if (!ns)
		return false;
	for (size_t i = 0; i < st->cap; i++) {
		in_slot sl = st->slots[i];
		if (!sl.id)
			continue;
		/* Re-derive the probe start from the stored hash bits: slots keep
		 * only 32 bits, so tables probe from (h >> 8) of the 32-bit part. */
		size_t j = (size_t)(sl.h >> 8) & (ncap - 1);
		while (ns[j].id)
			j = (j + 1) & (ncap - 1);
		ns[j] = sl;
	}
	fl_free(st->slots);
	st->slots = ns;
	st->cap = ncap;
	return true;
}

static char *slab_copy(intern *in, in_stripe *st, const char *s, size_t len)
{
	in_slab *b = st->slab;
	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > IN_SLAB_SIZE / 4 ? len + 1 : IN_SLAB_SIZE - sizeof(in_slab);
		in_slab *nb = fl_malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		atomic_fetch_add(&in->bytes, sizeof *nb + cap);
		nb->used = 0;
		nb->cap = cap;
		if (b && cap != IN_SLAB_SIZE - sizeof(in_slab) && b->cap - b->used > 64) {
			/* A big string gets its own slab behind the current one. */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			st->slab = nb;
		}
		b = nb;
	}
	char *p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = 0;
	b->used += len + 1;
	return p;
}

static bool set_page_slot(intern *in, uint32_t id, const char *p)
{
	uint32_t pi = id >> IN_PAGE_BITS;
	if (pi >= IN_TOP)
		return false;
	const char **pg = atomic_load_explicit(&in->pages[pi], memory_order_acquire);
	if (!pg) {
		pthread_mutex_lock(&in->page_mu);
		pg = atomic_load_explicit(&in->pages[pi], memory_order_relaxed);
		if (!pg) {
			pg = fl_calloc(IN_PAGE_SIZE, sizeof *pg);
			if (pg) {
				atomic_store_explicit(&in->pages[pi], pg, memory_order_release);
				atomic_fetch_add(&in->bytes, IN_PAGE_SIZE * sizeof *pg);
			}
		}
		pthread_mutex_unlock(&in->page_mu);
		if (!pg)
			return false;
	}
	pg[id & (IN_PAGE_SIZE - 1)] = p;
	return true;
}

/* Slot probing uses bits 8..31 of the 64-bit hash so that grow_table can
 * recompute it from the 32 stored bits. */
static uint64_t str_hash(const char *s, size_t len) { return hash_xxh64(s, len) & 0xffffffffu; }

/* Lock-free lookup in the cache: the id of s, or 0. Ids and strings never
 * change once published, so a word read whole is either right or checked
 * false by the comparison. */
static uint32_t cache_get(intern *in, uint64_t hash, const char *s, size_t len)
{
	uint64_t w = atomic_load_explicit(&in->cache[(hash >> 12) & (IN_CACHE - 1)], memory_order_acquire);
	uint32_t id = (uint32_t)w;
	if (!id || (uint32_t)(w >> 32) != (uint32_t)hash)
		return 0;
	const char *p = intern_str(in, id);
	return p && memcmp(p, s, len) == 0 && p[len] == 0 ? id : 0;
}

static void cache_put(intern *in, uint64_t hash, uint32_t id)
{
	atomic_store_explicit(&in->cache[(hash >> 12) & (IN_CACHE - 1)], (uint64_t)(uint32_t)hash << 32 | id,
			      memory_order_release);
}

uint32_t intern_lookup(intern *in, const char *s, size_t len)
{
	uint64_t hash = str_hash(s, len);
	uint32_t hit = cache_get(in, hash, s, len);
	if (hit)
		return hit;
	in_stripe *st = &in->stripes[hash & (IN_STRIPES - 1)];
	uint32_t id = 0;
	pthread_mutex_lock(&st->mu);
	if (st->cap)
		id = st->slots[find_slot(in, st, hash, s, len)].id;
	pthread_mutex_unlock(&st->mu);
	return id;
}

uint32_t intern_id(intern *in, const char *s, size_t len)
{
	uint64_t hash = str_hash(s, len);
	uint32_t id = cache_get(in, hash, s, len);
	if (id)
		return id;
	in_stripe *st = &in->stripes[hash & (IN_STRIPES - 1)];
	pthread_mutex_lock(&st->mu);
	if ((st->n + 1) * 4 > st->cap * 3 && !grow_table(st))
		goto out;
	size_t i = find_slot(in, st, hash, s, len);
	if (st->slots[i].id) {
		id = st->slots[i].id;
		goto out;
	}
	char *p = slab_copy(in, st, s, len);
	if (!p)
		goto out;
	uint32_t nid = atomic_fetch_add(&in->n_ids, 1) + 1;
	if (!set_page_slot(in, nid, p))
		goto out; /* the copy stays in the slab, unreferenced */
	st->slots[i].id = nid;
	st->slots[i].h = (uint32_t)hash;
	st->n++;
	id = nid;
out:
	pthread_mutex_unlock(&st->mu);
	if (id)
		cache_put(in, hash, id);
	return id;
}
