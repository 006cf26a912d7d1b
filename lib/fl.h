/*
 * fl.h - flint's allocator hooks and the few universal types.
 *
 * Every heap allocation in flint goes through fl_malloc/fl_free so that the
 * live byte count can be exported on /metrics and tests can inject
 * failures (like libuv's uv_replace_allocator). NULL is an error return,
 * never an abort. fl_free(NULL) is a no-op.
 */
#ifndef FL_H
#define FL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

void *fl_malloc(size_t n);
void *fl_calloc(size_t n, size_t size);
void *fl_realloc(void *p, size_t n);
void fl_free(void *p);
char *fl_strdup(const char *s);
char *fl_strndup(const char *s, size_t n);

/* Makes the array *p of *cap elements of elem bytes hold at least need:
 * doubles *cap (from 16) until it does. False, with *p and *cap as they
 * were, when out of memory. Call as fl_grow((void **)&v, &cap, n + 1, sizeof *v). */
bool fl_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Bytes currently allocated through fl_* (approximate, for /metrics). */
int64_t fl_alloc_bytes(void);

/* Test hook: make the n-th allocation from now fail (0 disables). */
void fl_alloc_fail_after(long n);

/* For pools that take memory from the system themselves (lib/slab.c):
 * count delta bytes in fl_alloc_bytes(), and ask whether the allocation
 * about to be made should fail (the fl_alloc_fail_after hook). */
void fl_alloc_account(int64_t delta);
bool fl_alloc_should_fail(void);

/*
 * Invariant checks (STYLE.md "assert"): plain assert() for O(1) checks, on
 * in every build without NDEBUG (the release build included). FL_SLOW_ASSERT
 * for checks that cost O(n) or touch the hot path (a whole postings list is
 * sorted, per-thread lock bookkeeping): compiled only in the sanitizer build
 * `make test` uses (or with -DFL_SLOW_CHECKS), never in the -O2 release
 * build that bench and run use. FL_SLOW_CHECKS_ON says which.
 */
#if !defined(NDEBUG) && (defined(FL_SLOW_CHECKS) || defined(__SANITIZE_ADDRESS__))
#define FL_SLOW_CHECKS_ON 1
#define FL_SLOW_ASSERT(x) assert(x)
#else
#define FL_SLOW_CHECKS_ON 0
#define FL_SLOW_ASSERT(x) ((void)0)
#endif

#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Slice: borrowed bytes, not NUL-terminated in general. */
typedef struct slice {
	const char *p; /* first byte */
	size_t len;    /* byte length */
} slice;

static inline slice slice_of(const char *s) { slice r = {s, s ? strlen(s) : 0}; return r; }
static inline bool slice_eq(slice a, slice b) { return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0); }
static inline bool slice_eq_str(slice a, const char *s) { return slice_eq(a, slice_of(s)); }

#endif
