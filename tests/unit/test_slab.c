/*
 * test_slab.c - lib/slab.h: size classes, objects that never overlap,
 * realloc across classes and to and from fl_malloc, empty slabs reused by
 * other classes and returned to the system, threads, failure injection
 * and byte accounting.
 */
#include "test.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/slab.h"

static void slab_size_classes(void)
{
	size_t prev = 0;
	for (size_t n = 1; n <= SLAB_MAX + 100; n++) {
		size_t g = slab_good_size(n);
		ASSERT(g >= n);
		ASSERT(g >= prev);
		ASSERT_EQ(slab_good_size(g), g);
		ASSERT(g % 8 == 0 || n > SLAB_MAX);
		if (n <= 256)
			ASSERT(g - n < 8);
		else if (n <= SLAB_MAX)
			ASSERT((g - n) * 16 < n); /* under 1/16 of waste */
		else
			ASSERT_EQ(g, n);
		prev = g;
	}
	ASSERT_EQ(slab_good_size(168), 168); /* a series of 6 labels */
	ASSERT_EQ(slab_good_size(24), 24);   /* one closed chunk */
}

/* Fill q with a pattern of its id; check it. */
static void fill(void *q, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)q)[i] = (uint8_t)(id * 31 + i);
}
static bool check(const void *q, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)q)[i] != (uint8_t)(id * 31 + i))
			return false;
	return true;
}

static void slab_objects_do_not_overlap(void)
{
	slab_pool *p = slab_pool_new();
	ASSERT(p);
	enum { N = 20000 };
	static void *v[N];
	static size_t sz[N];
	uint64_t rng = 88172645463325252ull;
	for (int round = 0; round < 4; round++) {
		for (uint32_t i = 0; i < N; i++) {
			if (v[i] && (i + round) % 3 == 0) {
				ASSERT(check(v[i], sz[i], i));
				slab_free(p, v[i]);
				v[i] = NULL;
			}
			if (!v[i]) {
				rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
				sz[i] = 1 + rng % (i % 50 ? 300 : SLAB_MAX + 2000);
				v[i] = slab_alloc(p, sz[i]);
				ASSERT(v[i]);
				ASSERT(((uintptr_t)v[i] & 7) == 0);
				fill(v[i], sz[i], i);
			}
		}
		for (uint32_t i = 0; i < N; i++)
			ASSERT(check(v[i], sz[i], i));
	}
	for (uint32_t i = 0; i < N; i++)
		slab_free(p, v[i]);
	slab_stats st;
	slab_get_stats(p, &st);
	ASSERT_EQ(st.live_bytes, 0);
	ASSERT_EQ(st.slab_bytes, 0);
	slab_pool_free(p);
}

static void slab_realloc_keeps_bytes(void)
{
	slab_pool *p = slab_pool_new();
	size_t sizes[] = {8, 24, 48, 64, 100, 256, 300, 1000, SLAB_MAX, SLAB_MAX + 1, 10000, 200, 16, 70000, 40};
	void *q = slab_realloc(p, NULL, 8);
	ASSERT(q);
	fill(q, 8, 7);
	size_t have = 8;
	for (size_t i = 1; i < FL_ARRAY_LEN(sizes); i++) {
		size_t n = sizes[i], keep = n < have ? n : have;
		void *r = slab_realloc(p, q, n);
		ASSERT(r);
		ASSERT(check(r, keep, 7));
		fill(r, n, 7);
		q = r;
		have = n;
	}
	/* within a class the object stays where it is */
	void *a = slab_alloc(p, 161);
	ASSERT(slab_realloc(p, a, 168) == a);
	slab_free(p, a);
	slab_free(p, q);
	slab_free(p, NULL);
	slab_pool_free(p);
}

/* Empty slabs go to any class; released ones leave memory and come back. */
static void slab_empty_slabs_reused_and_released(void)
{
	slab_pool *p = slab_pool_new();
	enum { N = 4096 }; /* 256-byte objects: 16 slabs of 64 KiB */
	static void *v[N];
	for (int i = 0; i < N; i++)
		ASSERT((v[i] = slab_alloc(p, 256)));
	slab_stats st;
	slab_get_stats(p, &st);
	ASSERT_EQ(st.live_bytes, N * 256);
	ASSERT_EQ(st.slab_bytes, 16 * 65536);
	size_t mapped = st.mapped_bytes;
	for (int i = 0; i < N; i++) {
		memset(v[i], 0xab, 256);
		slab_free(p, v[i]);
	}
	slab_get_stats(p, &st);
	ASSERT_EQ(st.slab_bytes, 0);
	ASSERT_EQ(st.empty_bytes, 16 * 65536);
	/* another class takes the empty slabs: nothing new is mapped */
	for (int i = 0; i < N; i++)
		ASSERT((v[i] = slab_alloc(p, 64)));
	slab_get_stats(p, &st);
	ASSERT_EQ(st.slab_bytes, 4 * 65536);
	ASSERT_EQ(st.empty_bytes, 12 * 65536);
	ASSERT_EQ(st.mapped_bytes, mapped);
	/* release: the pages of the empty slabs leave (mincore), their
	 * address space is reused */
	ASSERT_EQ(slab_release(p), 12 * 65536);
	ASSERT_EQ(slab_release(p), 0);
	slab_get_stats(p, &st);
	ASSERT_EQ(st.empty_bytes, 0);
	ASSERT_EQ(st.released_bytes, 12 * 65536);
	for (int i = 0; i < N; i++)
		slab_free(p, v[i]);
	ASSERT_EQ(slab_release(p), 4 * 65536);
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char vec[65536 / 4096 + 1];
	ASSERT(mincore((void *)((uintptr_t)v[0] & ~(uintptr_t)65535), 65536, vec) == 0);
	for (long i = 0; i < 65536 / pg; i++)
		ASSERT_EQ(vec[i] & 1, 0);
	for (int i = 0; i < N; i++)
		ASSERT((v[i] = slab_calloc(p, 1000)));
	for (int i = 0; i < N; i++)
		for (int k = 0; k < 1000; k++)
			ASSERT_EQ(((uint8_t *)v[i])[k], 0);
	slab_get_stats(p, &st);
	ASSERT(st.mapped_bytes >= N * 1000);
	for (int i = 0; i < N; i++)
		slab_free(p, v[i]);
	slab_pool_free(p);
}

/* Beyond a reserve, slabs that empty go back to the system at once. */
static void slab_empty_reserve_is_bounded(void)
{
	slab_pool *p = slab_pool_new();
	enum { N = 200 * 16 }; /* 4096-byte objects: 200 slabs */
	static void *v[N];
	for (int i = 0; i < N; i++) {
		ASSERT((v[i] = slab_alloc(p, 4096)));
		memset(v[i], 1, 4096);
	}
	for (int i = 0; i < N; i++)
		slab_free(p, v[i]);
	slab_stats st;
	slab_get_stats(p, &st);
	ASSERT_EQ(st.slab_bytes, 0);
	ASSERT_EQ(st.empty_bytes, 32 * 65536);
	ASSERT_EQ(st.released_bytes, 168 * 65536);
	/* a big pool keeps up to 1/16 of its slabs in use: 1200 slabs, the
	 * first 600 emptied */
	enum { M = 1200 * 16 };
	void **w = malloc(M * sizeof *w);
	ASSERT(w);
	for (int i = 0; i < M; i++)
		ASSERT((w[i] = slab_alloc(p, 4096)));
	for (int i = 0; i < M / 2; i++)
		slab_free(p, w[i]);
	slab_get_stats(p, &st);
	ASSERT_EQ(st.slab_bytes, 600 * 65536);
	ASSERT(st.empty_bytes > 32 * 65536);
	ASSERT(st.empty_bytes <= 1200 / 16 * 65536);
	for (int i = M / 2; i < M; i++)
		slab_free(p, w[i]);
	free(w);
	slab_pool_free(p);
}

typedef struct worker {
	slab_pool *p;
	uint32_t seed;
	bool ok;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	enum { N = 2000 };
	void *v[N] = {0};
	size_t sz[N];
	uint64_t rng = w->seed * 2654435761u + 1;
	w->ok = true;
	for (int round = 0; round < 40000; round++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint32_t i = (uint32_t)(rng % N), id = i + w->seed * N;
		if (v[i]) {
			w->ok &= check(v[i], sz[i], id);
			if (rng & 0x100) {
				slab_free(w->p, v[i]);
				v[i] = NULL;
				continue;
			}
			sz[i] = 1 + (rng >> 20) % 600;
			v[i] = slab_realloc(w->p, v[i], sz[i]);
		} else {
			sz[i] = 1 + (rng >> 20) % 600;
			v[i] = slab_alloc(w->p, sz[i]);
		}
		if (!v[i])
			return w->ok = false, NULL;
		fill(v[i], sz[i], id);
	}
	for (int i = 0; i < N; i++)
		slab_free(w->p, v[i]);
	return NULL;
}

static void slab_threads(void)
{
	slab_pool *p = slab_pool_new();
	pthread_t t[4];
	worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (worker){p, (uint32_t)i + 1, false};
		ASSERT(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ASSERT(w[i].ok);
	}
	slab_stats st;
	slab_get_stats(p, &st);
	ASSERT_EQ(st.live_bytes, 0);
	ASSERT_EQ(st.slab_bytes, 0);
	slab_pool_free(p);
}

static void slab_failure_and_accounting(void)
{
	int64_t before = fl_alloc_bytes();
	slab_pool *p = slab_pool_new();
	void *a = slab_alloc(p, 100);
	ASSERT(a);
	ASSERT(fl_alloc_bytes() >= before + 65536); /* a slab at a time */
	fl_alloc_fail_after(1);
	ASSERT(slab_alloc(p, 100) == NULL);
	ASSERT(slab_alloc(p, 100) != NULL); /* only the one */
	fl_alloc_fail_after(1);
	ASSERT(slab_realloc(p, a, 1000) == NULL);
	ASSERT(check(a, 0, 0));
	slab_pool_free(p); /* live objects go with it */
	ASSERT_EQ(fl_alloc_bytes(), before);
}

const struct test tests_slab[] = {
	{"slab_size_classes", slab_size_classes},
	{"slab_objects_do_not_overlap", slab_objects_do_not_overlap},
	{"slab_realloc_keeps_bytes", slab_realloc_keeps_bytes},
	{"slab_empty_slabs_reused_and_released", slab_empty_slabs_reused_and_released},
	{"slab_empty_reserve_is_bounded", slab_empty_reserve_is_bounded},
	{"slab_threads", slab_threads},
	{"slab_failure_and_accounting", slab_failure_and_accounting},
	{NULL, NULL},
};
