/*
 * test_head_mem.c - the head's memory side (tsdb/head_mem.c): the room the
 * head reserves before an append is all xor_app_append ever needs, chunks
 * built in slab buffers are byte-identical to xor_app's own, and empty
 * slabs go back to the system once every series cut its chunk.
 */
#include "test.h"

#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tsdb/head_int.h"

/* With HEAD_XOR_HEADROOM bytes of room past len, xor_app_append allocates
 * nothing, whatever the sample (worst cases: 64-bit dod, full XOR window). */
static void head_mem_headroom_is_enough(void)
{
	uint64_t rng = 88172645463325252ull;
	for (int kind = 0; kind < 4; kind++) {
		xor_app a;
		ASSERT(xor_app_init(&a) == 0);
		int64_t t = kind == 3 ? INT64_MIN / 2 : 0;
		for (int i = 0; i < 2000 && a.n < UINT16_MAX; i++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			double v;
			uint64_t bits = kind == 0 ? rng : rng | 1 | (UINT64_C(1) << 62);
			memcpy(&v, &bits, 8);
			t += kind == 1 ? 1 : (int64_t)(rng >> (kind == 2 ? 24 : 44)) + 1; /* dod of 64 bits, or small */
			if (a.len + HEAD_XOR_HEADROOM > a.cap) { /* grow outside the check */
				fl_alloc_fail_after(0);
				uint8_t *b = fl_realloc(a.b, a.cap * 2);
				ASSERT(b);
				memset(b + a.cap, 0, a.cap);
				a.b = b;
				a.cap *= 2;
			}
			uint8_t *before = a.b;
			fl_alloc_fail_after(1); /* any allocation now fails */
			ASSERT_EQ(xor_app_append(&a, t, v), 0);
			fl_alloc_fail_after(0);
			ASSERT(a.b == before);
		}
		xor_app_free(&a);
	}
}

/* The closed-chunk list's room: exact while small, never less than asked,
 * growing with n. */
static void head_mem_closed_cap(void)
{
	size_t prev = 0;
	for (size_t n = 0; n <= 70000; n++) {
		size_t c = head__closed_cap(n);
		ASSERT(c >= n);
		ASSERT(c >= prev);
		if (n <= 10)
			ASSERT_EQ(c, n);
		prev = c;
	}
}

/* Chunks the head builds in its slab buffers equal xor_app's. */
static void head_mem_chunks_identical(void)
{
	err e;
	head *h = head_open(NULL, &e);
	ASSERT(h);
	appender *ap = head_appender(h);
	label l[2] = {{"__name__", "m"}, {"i", "x"}};
	series_ref ref = 0;
	xor_app want;
	ASSERT(xor_app_init(&want) == 0);
	uint64_t rng = 1;
	for (int i = 0; i < 100; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		double v = i % 7 ? (double)(rng % 1000) / 8 : (double)rng;
		int64_t t = 1000 + i * 15000 + (int64_t)(rng % 300);
		ASSERT(appender_append(ap, ref, (labels){l, 2}, t, v, &ref, &e) == 0);
		ASSERT(xor_app_append(&want, t, v) == 0);
	}
	ASSERT(appender_commit(ap, &e) == 0);
	hseries *s = head__series_by_ref(h, ref);
	ASSERT(s);
	ASSERT_EQ(s->app.n, 100);
	ASSERT_EQ(s->app.len, want.len);
	ASSERT(memcmp(s->app.b, want.b, want.len) == 0);
	for (uint32_t k = s->app.len; k < s->app.cap; k++)
		ASSERT_EQ(s->app.b[k], 0); /* chunk.h invariant 3 */
	xor_app_free(&want);
	head_close(h);
}

/* Every series cuts its chunk: the full chunks' slabs empty, and
 * head_release_memory returns them. */
static void head_mem_cut_empties_slabs(void)
{
	err e;
	head *h = head_open(NULL, &e);
	ASSERT(h);
	enum { N = 3000 };
	static series_ref refs[N];
	for (int r = 0; r < 130; r++) {
		appender *ap = head_appender(h);
		for (int i = 0; i < N; i++) {
			char v[16];
			snprintf(v, sizeof v, "%d", i);
			label l[2] = {{"__name__", "m"}, {"i", v}};
			ASSERT(appender_append(ap, refs[i], (labels){l, 2}, (int64_t)r * 15000, (double)(i * r), &refs[i],
					       &e) == 0);
		}
		ASSERT(appender_commit(ap, &e) == 0);
	}
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.chunks, 2 * N); /* cut at 120 samples */
	ASSERT(st.mem_empty_bytes > 0);
	ASSERT(st.mem_live_bytes <= st.mem_slab_bytes);
	ASSERT(head_release_memory(h));
	head_get_stats(h, &st);
	ASSERT_EQ(st.mem_empty_bytes, 0);
	ASSERT(!head_release_memory(h)); /* no cut since */
	head_close(h);
}

const struct test tests_head_mem[] = {
	{"head_mem_headroom_is_enough", head_mem_headroom_is_enough},
	{"head_mem_closed_cap", head_mem_closed_cap},
	{"head_mem_chunks_identical", head_mem_chunks_identical},
	{"head_mem_cut_empties_slabs", head_mem_cut_empties_slabs},
	{NULL, NULL},
};
