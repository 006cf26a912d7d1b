/*
 * fl.c - counting allocator. Each block carries a 16-byte header holding
 * its size so fl_free can keep fl_alloc_bytes() exact without malloc_usable_size.
 */
#include "lib/fl.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int64_t alloc_bytes;
static _Atomic long fail_after;

#define HDR 16

static bool should_fail(void)
{
	long n = atomic_load_explicit(&fail_after, memory_order_relaxed);
	if (n <= 0)
		return false;
	if (atomic_fetch_sub(&fail_after, 1) == 1)
		return true;
	return false;
}

void *fl_malloc(size_t n)
{
	if (should_fail() || n > SIZE_MAX - HDR)
		return NULL;
	unsigned char *p = malloc(n + HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	atomic_fetch_add_explicit(&alloc_bytes, (int64_t)n, memory_order_relaxed);
	return p + HDR;
}

void *fl_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = fl_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *fl_realloc(void *q, size_t n)
{
	if (!q)
		return fl_malloc(n);
	if (should_fail() || n > SIZE_MAX - HDR)
		return NULL;
	unsigned char *b = (unsigned char *)q - HDR;
	size_t old;
	memcpy(&old, b, sizeof old);
	unsigned char *p = realloc(b, n + HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	atomic_fetch_add_explicit(&alloc_bytes, (int64_t)n - (int64_t)old, memory_order_relaxed);
	return p + HDR;
}

void fl_free(void *q)
{
	if (!q)
		return;
	unsigned char *b = (unsigned char *)q - HDR;
	size_t old;
	memcpy(&old, b, sizeof old);
	atomic_fetch_sub_explicit(&alloc_bytes, (int64_t)old, memory_order_relaxed);
	free(b);
}

char *fl_strndup(const char *s, size_t n)
{
	char *p = fl_malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *fl_strdup(const char *s) { return fl_strndup(s, strlen(s)); }

int64_t fl_alloc_bytes(void) { return atomic_load_explicit(&alloc_bytes, memory_order_relaxed); }

bool fl_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap : 16;
	while (nc < need)
		nc = nc > SIZE_MAX / 2 ? need : nc * 2;
	if (elem && nc > SIZE_MAX / elem)
		return false;
	void *np = fl_realloc(*p, nc * elem);
	if (!np)
		return false;
	*p = np;
	*cap = nc;
	return true;
}

void fl_alloc_fail_after(long n) { atomic_store(&fail_after, n); }

void fl_alloc_account(int64_t delta) { atomic_fetch_add_explicit(&alloc_bytes, delta, memory_order_relaxed); }

bool fl_alloc_should_fail(void) { return should_fail(); }
