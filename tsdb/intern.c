/*
 * intern.c - the head's string pool (see intern.h).
 *
 * Layout:
 *   - 256 stripes chosen by the string's xxhash; each stripe holds a
 *     lib/map.h table of {id, 32-bit hash} slots (linear probing, grown
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
#include "lib/map.h"

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
	map slots;          /* in_slot entries (lib/map.h) */
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
		map_free(&s->slots);
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

/* A string to look up: its bytes and its 32 hash bits. */
typedef struct in_key {
	const intern *in; /* whose ids the slots hold */
	const char *s;    /* bytes, not NUL-terminated */
	size_t len;       /* byte length */
	uint32_t h;       /* str_hash(s, len) */
} in_key;

/* Slots probe from bits 8..31 of the hash (the stripe is picked by bits
 * 0..7), recomputed from the 32 bits a slot keeps when the table grows. */
static uint64_t slot_hash(const void *e) { return ((const in_slot *)e)->h >> 8; }

MAP_INLINE bool slot_eq(const void *e, const void *key)
{
	const in_slot *sl = e;
	const in_key *k = key;
	if (sl->h != k->h)
		return false;
	const char *p = intern_str(k->in, sl->id);
	return memcmp(p, k->s, k->len) == 0 && p[k->len] == 0;
}

static const map_type slot_type = {sizeof(in_slot), 16, slot_hash, slot_eq};

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

/* 32 bits: the slots keep them whole. */
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

/* Copies s into st and gives it the id in the empty slot sl; 0 on OOM. */
static uint32_t add(intern *in, in_stripe *st, in_slot *sl, const char *s, size_t len, uint32_t h)
{
	char *p = slab_copy(in, st, s, len);
	if (!p)
		return 0;
	uint32_t id = atomic_fetch_add(&in->n_ids, 1) + 1;
	if (!set_page_slot(in, id, p))
		return 0; /* the copy stays in the slab, unreferenced */
	sl->id = id;
	sl->h = h;
	map_added(&st->slots, sl);
	return id;
}

/* The id of s, interning it first when create; 0 when absent or on OOM. */
static uint32_t get(intern *in, const char *s, size_t len, bool create)
{
	uint64_t hash = str_hash(s, len);
	uint32_t id = cache_get(in, hash, s, len);
	if (id)
		return id;
	in_stripe *st = &in->stripes[hash & (IN_STRIPES - 1)];
	in_key key = {in, s, len, (uint32_t)hash};
	pthread_mutex_lock(&st->mu);
	in_slot *sl = create ? map_slot(&st->slots, &slot_type, hash >> 8, &key)
			     : map_find(&st->slots, &slot_type, hash >> 8, &key);
	if (sl && sl->id)
		id = sl->id;
	else if (sl && create)
		id = add(in, st, sl, s, len, (uint32_t)hash);
	pthread_mutex_unlock(&st->mu);
	if (id)
		cache_put(in, hash, id);
	return id;
}

uint32_t intern_lookup(intern *in, const char *s, size_t len) { return get(in, s, len, false); }
uint32_t intern_id(intern *in, const char *s, size_t len) { return get(in, s, len, true); }
