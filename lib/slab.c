/*
 * slab.c - the size-class pool of slab.h.
 *
 * Layout: the pool maps regions (4 MiB, then each twice the last, up to
 * 1 GiB) and carves them into 64 KiB slabs, aligned to 64 KiB. A slab
 * holds objects of one class, packed from its start with no header; its
 * metadata (smeta) lives outside, in an array per region, so that an empty
 * slab can give all its pages back. An address maps to its region by a scan
 * of the few regions, then to its slab by a shift.
 *
 * Classes: 8-byte steps up to 256 bytes (a series of n labels is 120 + 8n),
 * then 16 classes per doubling up to SLAB_MAX (a waste of at most 6%).
 *
 * A class keeps the slabs that have free slots on its partial list (doubly
 * linked through smeta): allocation pops a slot of the first one (its free
 * list, else the never-used tail of the slab); a free pushes the slot on
 * its slab's free list, puts a full slab back at the list's head, and hands
 * a slab that holds nothing any more to the pool's empty list, from where
 * any class may take it. So when every series cuts its chunk, the slabs of
 * the full chunks' buffers empty and the new, smaller buffers fill them
 * again, instead of leaving one small live buffer on each page as malloc
 * does. Empty slabs beyond a reserve (SLAB_KEEP_*) are madvised away
 * (DONTNEED) as they empty, and slab_release does it to the reserve too;
 * either way they move to a second list, used only when no resident empty
 * slab is left (their pages come back zeroed on first touch).
 *
 * Invariants:
 *   1. A slab is in exactly one state: on its class's partial list (some
 *      slot free, some live), full (assigned, no slot free, not listed),
 *      on the empty list (resident) or on the released list; an assigned
 *      slab has live >= 1.
 *   2. live counts the slots handed out and not freed; bump is the offset
 *      of the first never-used slot; free slots lie below bump.
 *   3. smeta.cls of a slab with a live object does not change, so a free
 *      may read it before taking the class lock.
 * Locks: a spin lock per class, then the pool mutex (empty lists, regions).
 * Under ASan free slots are poisoned and the regions are LSan root regions
 * (objects in them hold the only pointers to some fl_malloc'd blocks).
 */
#include "lib/slab.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SLAB_BITS 16
#define SLAB_SIZE ((size_t)1 << SLAB_BITS)
#define SLAB_NONE UINT32_MAX
#define SLAB_CLASSES 96            /* 32 of 8-byte steps, 4 doublings of 16 */
#define REGION_FIRST_BITS 22       /* 4 MiB */
#define REGION_MAX_BITS 30         /* 1 GiB */
#define REGION_IDX_BITS 14         /* slabs per region <= 2^14 */
#define SLAB_REGIONS 64
#define SLAB_KEEP_MIN 32           /* empty slabs kept resident: 2 MiB, */
#define SLAB_KEEP_FRACTION 16      /* or 1/16 of the slabs in use; more go back at once */

/* A slab's metadata. Guarded by its class's lock while assigned, by the
 * pool mutex while empty. */
typedef struct smeta {
	void *free;        /* freed slots, linked through their first 8 bytes */
	uint32_t bump;     /* offset of the first never-used slot */
	uint32_t live;     /* slots handed out, not freed */
	uint32_t next;     /* next on the partial or empty list, SLAB_NONE */
	uint32_t prev;     /* previous on the partial list, SLAB_NONE */
	uint8_t cls;       /* its class (meaningful while assigned) */
	uint8_t listed;    /* on its class's partial list */
} smeta;

typedef struct region {
	char *base;       /* SLAB_SIZE-aligned */
	size_t size;      /* bytes */
	smeta *meta;      /* size >> SLAB_BITS entries, set as slabs are carved */
	uint32_t carved;  /* slabs handed out from the start of the region */
} region;

typedef struct sclass {
	_Atomic uint8_t lock;     /* spin lock guarding the class and its slabs */
	uint32_t size;            /* object bytes */
	uint32_t partial;         /* first slab with free slots, SLAB_NONE */
	_Atomic size_t live;      /* objects (written under lock, read racily by stats) */
	_Atomic size_t slabs;     /* slabs assigned */
	char pad[64 - 32];        /* a cache line each: threads append to different classes */
} sclass;

struct slab_pool {
	sclass cls[SLAB_CLASSES];
	pthread_mutex_t mu;          /* guards the lists below and region creation */
	uint32_t empty;              /* resident empty slabs (a stack through next) */
	uint32_t released;           /* madvised empty slabs */
	size_t n_empty, n_released;  /* their counts */
	size_t n_assigned;           /* slabs holding objects */
	region reg[SLAB_REGIONS];    /* reg[0..n_regions) mapped; entries never move */
	_Atomic uint32_t n_regions;  /* published after the entry is written */
	size_t mapped;               /* bytes of all regions */
};

/* ---------------------------------------------------------------- classes */

static size_t class_size(unsigned c)
{
	if (c < 32)
		return (size_t)(c + 1) * 8;
	unsigned t = (c - 32) / 16, i = (c - 32) % 16;
	return ((size_t)256 << t) + (size_t)(i + 1) * ((size_t)16 << t);
}

static unsigned class_of(size_t n)
{
	if (n <= 256)
		return n ? (unsigned)((n + 7) / 8 - 1) : 0;
	unsigned t = 31u - (unsigned)__builtin_clz((unsigned)((n - 1) >> 8));
	return 32 + 16 * t + (unsigned)(((n - 1) - ((size_t)256 << t)) >> (4 + t));
}

size_t slab_good_size(size_t n) { return n > SLAB_MAX ? n : class_size(class_of(n)); }

/* ---------------------------------------------------------------- locks */

static void spin_lock(_Atomic uint8_t *l)
{
	while (atomic_exchange_explicit(l, 1, memory_order_acquire))
		while (atomic_load_explicit(l, memory_order_relaxed))
			sched_yield();
}

static void spin_unlock(_Atomic uint8_t *l) { atomic_store_explicit(l, 0, memory_order_release); }

/* Counter bump by the lock holder (one writer: no read-modify-write). */
static void count(_Atomic size_t *c, long d)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (size_t)d, memory_order_relaxed);
}

/* ---------------------------------------------------------------- slabs */

static smeta *meta_of(slab_pool *p, uint32_t id) { return &p->reg[id >> REGION_IDX_BITS].meta[id & ((1u << REGION_IDX_BITS) - 1)]; }

static char *base_of(slab_pool *p, uint32_t id)
{
	return p->reg[id >> REGION_IDX_BITS].base + ((size_t)(id & ((1u << REGION_IDX_BITS) - 1)) << SLAB_BITS);
}

/* The slab holding q, or false when q is not from a slab of p. */
static bool locate(slab_pool *p, const void *q, uint32_t *id)
{
	uint32_t n = atomic_load_explicit(&p->n_regions, memory_order_acquire);
	uintptr_t a = (uintptr_t)q;
	for (uint32_t r = 0; r < n; r++) {
		uintptr_t off = a - (uintptr_t)p->reg[r].base;
		if (off < p->reg[r].size) {
			*id = r << REGION_IDX_BITS | (uint32_t)(off >> SLAB_BITS);
			return true;
		}
	}
	return false;
}

/* Map the next region (pool mutex held). False when out of memory. */
static bool region_add(slab_pool *p)
{
	uint32_t r = atomic_load_explicit(&p->n_regions, memory_order_relaxed);
	if (r == SLAB_REGIONS)
		return false;
	unsigned bits = REGION_FIRST_BITS + r < REGION_MAX_BITS ? REGION_FIRST_BITS + r : REGION_MAX_BITS;
	size_t size = (size_t)1 << bits;
	smeta *meta = fl_malloc((size >> SLAB_BITS) * sizeof *meta);
	char *m = meta ? mmap(NULL, size + SLAB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
		       : MAP_FAILED;
	if (m == MAP_FAILED) {
		fl_free(meta);
		return false;
	}
	/* Trim to a SLAB_SIZE-aligned range of size bytes. */
	size_t lead = (SLAB_SIZE - ((uintptr_t)m & (SLAB_SIZE - 1))) & (SLAB_SIZE - 1);
	if (lead)
		munmap(m, lead);
	munmap(m + lead + size, SLAB_SIZE - lead);
	p->reg[r] = (region){m + lead, size, meta, 0};
	p->mapped += size;
	POISON(m + lead, size);
#ifdef __SANITIZE_ADDRESS__
	__lsan_register_root_region(m + lead, size);
#endif
	atomic_store_explicit(&p->n_regions, r + 1, memory_order_release);
	return true;
}

/* An empty slab for class c (class lock held): a resident empty one, a
 * released one, or a new one. SLAB_NONE when out of memory. */
static uint32_t slab_take(slab_pool *p, unsigned c)
{
	pthread_mutex_lock(&p->mu);
	uint32_t id = SLAB_NONE;
	if (p->empty != SLAB_NONE) {
		id = p->empty;
		p->empty = meta_of(p, id)->next;
		p->n_empty--;
	} else if (p->released != SLAB_NONE) {
		id = p->released;
		p->released = meta_of(p, id)->next;
		p->n_released--;
	} else {
		uint32_t n = atomic_load_explicit(&p->n_regions, memory_order_relaxed);
		if (!n || p->reg[n - 1].carved == p->reg[n - 1].size >> SLAB_BITS) {
			if (!region_add(p)) {
				pthread_mutex_unlock(&p->mu);
				return SLAB_NONE;
			}
			n++;
		}
		id = (n - 1) << REGION_IDX_BITS | p->reg[n - 1].carved++;
	}
	p->n_assigned++;
	pthread_mutex_unlock(&p->mu);
	*meta_of(p, id) = (smeta){NULL, 0, 0, SLAB_NONE, SLAB_NONE, (uint8_t)c, 0};
	count(&p->cls[c].slabs, 1);
	fl_alloc_account((int64_t)SLAB_SIZE);
	return id;
}

/* Slab id holds nothing any more: to the resident empty list, or, when
 * that holds enough already, back to the system at once. */
static void slab_give(slab_pool *p, uint32_t id)
{
	fl_alloc_account(-(int64_t)SLAB_SIZE);
	pthread_mutex_lock(&p->mu);
	p->n_assigned--;
	bool keep = p->n_empty < SLAB_KEEP_MIN || p->n_empty < p->n_assigned / SLAB_KEEP_FRACTION;
	if (keep) {
		meta_of(p, id)->next = p->empty;
		p->empty = id;
		p->n_empty++;
	}
	pthread_mutex_unlock(&p->mu);
	if (keep)
		return;
	madvise(base_of(p, id), SLAB_SIZE, MADV_DONTNEED);
	pthread_mutex_lock(&p->mu);
	meta_of(p, id)->next = p->released;
	p->released = id;
	p->n_released++;
	pthread_mutex_unlock(&p->mu);
}

static void partial_push(slab_pool *p, sclass *k, uint32_t id)
{
	smeta *m = meta_of(p, id);
	m->prev = SLAB_NONE;
	m->next = k->partial;
	if (k->partial != SLAB_NONE)
		meta_of(p, k->partial)->prev = id;
	k->partial = id;
	m->listed = 1;
}

static void partial_unlink(slab_pool *p, sclass *k, uint32_t id)
{
	smeta *m = meta_of(p, id);
	if (m->prev != SLAB_NONE)
		meta_of(p, m->prev)->next = m->next;
	else
		k->partial = m->next;
	if (m->next != SLAB_NONE)
		meta_of(p, m->next)->prev = m->prev;
	m->listed = 0;
}

/* ---------------------------------------------------------------- pool */

slab_pool *slab_pool_new(void)
{
	slab_pool *p = fl_calloc(1, sizeof *p);
	if (!p)
		return NULL;
	for (unsigned c = 0; c < SLAB_CLASSES; c++) {
		p->cls[c].size = (uint32_t)class_size(c);
		p->cls[c].partial = SLAB_NONE;
	}
	pthread_mutex_init(&p->mu, NULL);
	p->empty = p->released = SLAB_NONE;
	return p;
}

void slab_pool_free(slab_pool *p)
{
	if (!p)
		return;
	size_t assigned = 0;
	for (unsigned c = 0; c < SLAB_CLASSES; c++)
		assigned += atomic_load(&p->cls[c].slabs);
	fl_alloc_account(-(int64_t)(assigned * SLAB_SIZE));
	uint32_t n = atomic_load(&p->n_regions);
	for (uint32_t r = 0; r < n; r++) {
#ifdef __SANITIZE_ADDRESS__
		__lsan_unregister_root_region(p->reg[r].base, p->reg[r].size);
		UNPOISON(p->reg[r].base, p->reg[r].size);
#endif
		munmap(p->reg[r].base, p->reg[r].size);
		fl_free(p->reg[r].meta);
	}
	pthread_mutex_destroy(&p->mu);
	fl_free(p);
}

void *slab_alloc(slab_pool *p, size_t n)
{
	if (n > SLAB_MAX)
		return fl_malloc(n);
	if (fl_alloc_should_fail())
		return NULL;
	unsigned c = class_of(n);
	sclass *k = &p->cls[c];
	spin_lock(&k->lock);
	uint32_t id = k->partial;
	if (id == SLAB_NONE) {
		id = slab_take(p, c);
		if (id == SLAB_NONE) {
			spin_unlock(&k->lock);
			return NULL;
		}
		partial_push(p, k, id);
	}
	smeta *m = meta_of(p, id);
	char *q = m->free;
	if (q) {
		UNPOISON(q, sizeof(void *));
		memcpy(&m->free, q, sizeof(void *));
	} else {
		q = base_of(p, id) + m->bump;
		m->bump += k->size;
	}
	m->live++;
	if (!m->free && m->bump + k->size > SLAB_SIZE)
		partial_unlink(p, k, id); /* full */
	count(&k->live, 1);
	spin_unlock(&k->lock);
	UNPOISON(q, k->size);
	return q;
}

void *slab_calloc(slab_pool *p, size_t n)
{
	void *q = slab_alloc(p, n);
	if (q)
		memset(q, 0, n);
	return q;
}

void slab_free(slab_pool *p, void *q)
{
	uint32_t id;
	if (!q)
		return;
	if (!locate(p, q, &id)) {
		fl_free(q);
		return;
	}
	smeta *m = meta_of(p, id);
	sclass *k = &p->cls[m->cls]; /* invariant 3 */
#ifdef __SANITIZE_ADDRESS__
	assert(!__asan_address_is_poisoned(q)); /* a double free */
#endif
	assert(((uintptr_t)q & (SLAB_SIZE - 1)) % k->size == 0);
	spin_lock(&k->lock);
	assert(m->live > 0 && ((uintptr_t)q & (SLAB_SIZE - 1)) < m->bump);
	bool was_full = !m->listed;
	memcpy(q, &m->free, sizeof(void *));
	m->free = q;
	POISON(q, k->size);
	m->live--;
	count(&k->live, -1);
	if (m->live == 0) {
		if (!was_full)
			partial_unlink(p, k, id);
		count(&k->slabs, -1);
		spin_unlock(&k->lock);
		slab_give(p, id);
		return;
	}
	if (was_full)
		partial_push(p, k, id);
	spin_unlock(&k->lock);
}

void *slab_realloc(slab_pool *p, void *q, size_t n)
{
	uint32_t id;
	if (!q)
		return slab_alloc(p, n);
	if (!locate(p, q, &id)) { /* from fl_malloc: bigger than SLAB_MAX */
		if (n > SLAB_MAX)
			return fl_realloc(q, n);
		void *r = slab_alloc(p, n);
		if (r) {
			memcpy(r, q, n);
			fl_free(q);
		}
		return r;
	}
	unsigned c = meta_of(p, id)->cls;
	if (n <= SLAB_MAX && class_of(n) == c)
		return q;
	void *r = slab_alloc(p, n);
	if (!r)
		return NULL;
	size_t old = class_size(c);
	memcpy(r, q, old < n ? old : n);
	slab_free(p, q);
	return r;
}

/* ---------------------------------------------------------------- release */

size_t slab_release(slab_pool *p)
{
	pthread_mutex_lock(&p->mu);
	uint32_t list = p->empty;
	size_t n = p->n_empty;
	p->empty = SLAB_NONE;
	p->n_empty = 0;
	pthread_mutex_unlock(&p->mu);
	if (list == SLAB_NONE)
		return 0;
	/* madvise outside the lock: allocations meanwhile carve or take
	 * released slabs. Runs of adjacent slabs go in one call. */
	uint32_t last = list, len = 0;
	for (uint32_t id = list; id != SLAB_NONE;) {
		uint32_t next = meta_of(p, id)->next;
		len++;
		if (next == SLAB_NONE || next != id - 1 || (next >> REGION_IDX_BITS) != (id >> REGION_IDX_BITS)) {
			madvise(base_of(p, id), (size_t)len << SLAB_BITS, MADV_DONTNEED); /* id: the run's lowest */
			len = 0;
		}
		last = id;
		id = next;
	}
	pthread_mutex_lock(&p->mu);
	meta_of(p, last)->next = p->released;
	p->released = list;
	p->n_released += n;
	pthread_mutex_unlock(&p->mu);
	return n * SLAB_SIZE;
}

void slab_get_stats(slab_pool *p, slab_stats *st)
{
	memset(st, 0, sizeof *st);
	for (unsigned c = 0; c < SLAB_CLASSES; c++) {
		st->live_bytes += atomic_load_explicit(&p->cls[c].live, memory_order_relaxed) * p->cls[c].size;
		st->slab_bytes += atomic_load_explicit(&p->cls[c].slabs, memory_order_relaxed) * SLAB_SIZE;
	}
	pthread_mutex_lock(&p->mu);
	st->empty_bytes = p->n_empty * SLAB_SIZE;
	st->released_bytes = p->n_released * SLAB_SIZE;
	st->mapped_bytes = p->mapped;
	pthread_mutex_unlock(&p->mu);
}
