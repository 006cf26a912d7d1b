/* arena.c - see arena.h. */
#include "lib/arena.h"

#include <assert.h>

struct arena_block {
	arena_block *next; /* older block */
	size_t cap;        /* usable bytes in data[] */
	size_t off;        /* next free offset */
	_Alignas(16) unsigned char data[];
};

void arena_init(arena *a) { a->head = NULL; a->used = 0; a->limit = 0; }

void arena_reset(arena *a)
{
	arena_block *b = a->head;
	while (b) {
		arena_block *n = b->next;
		fl_free(b);
		b = n;
	}
	a->head = NULL;
	a->used = 0;
}

void *arena_alloc(arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (a->limit && a->used + n > a->limit)
		return NULL;
	arena_block *b = a->head;
	if (!b || b->cap - b->off < n) {
		size_t cap = b ? b->cap * 2 : 4096;
		if (cap > (1 << 20))
			cap = 1 << 20;
		if (cap < n)
			cap = n;
		arena_block *nb = fl_malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->cap = cap;
		nb->off = 0;
		if (b && n > b->cap - b->off && cap == n && b->cap - b->off > 256) {
			/* big one-off: keep the current block on top */
			nb->next = b->next;
			b->next = nb;
			nb->off = n;
			a->used += n;
			return nb->data;
		}
		nb->next = b;
		a->head = b = nb;
	}
	void *p = b->data + b->off;
	b->off += n;
	a->used += n;
	assert(b->off <= b->cap); /* a block never hands out past its end */
	return p;
}

bool arena_owns(const arena *a, const void *p)
{
	const unsigned char *q = p;
	for (const arena_block *b = a->head; b; b = b->next)
		if (q >= b->data && q < b->data + b->off)
			return true;
	return false;
}

void *arena_calloc(arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

void *arena_grow(arena *a, void *old, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return old;
	size_t nc = *cap ? 2 * *cap : 8;
	void *nv = arena_alloc(a, nc * elem);
	if (!nv)
		return NULL;
	if (n)
		memcpy(nv, old, n * elem);
	*cap = nc;
	return nv;
}
