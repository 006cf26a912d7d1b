/*
 * test_gosort.c - lib/gosort.h: Go's sort.Sort. It must sort (any size,
 * any pattern: sorted, reversed, all equal, random with duplicates), and
 * it must leave ties exactly where Go does: the pinned orders below are
 * Prometheus 2.42's own answers for sort() over these values (checked
 * against the real server by tests/e2e/prom_compare.sh's tie_many block).
 */
#include "tests/unit/test.h"

#include "lib/gosort.h"

typedef struct item {
	double v;
	int id;
} item;

typedef struct arr {
	item *e;
	bool prom_sort; /* Less is sort()'s: h.Less(j, i) of vectorByReverseValueHeap */
} arr;

static bool a_less(void *ctx, size_t i, size_t j)
{
	const arr *a = ctx;
	double x = a->e[i].v, y = a->e[j].v;
	if (a->prom_sort)
		return isnan(y) || y > x;
	return x < y;
}

static void a_swap(void *ctx, size_t i, size_t j)
{
	item *e = ((arr *)ctx)->e, t = e[i];
	e[i] = e[j];
	e[j] = t;
}

static void sort_items(item *e, size_t n, bool prom_sort)
{
	arr a = {e, prom_sort};
	go_sort(&(go_sort_iface){&a, a_less, a_swap}, n);
}

static void check_sorted(item *e, size_t n, int line)
{
	long sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += e[i].id;
		if (i && e[i].v < e[i - 1].v)
			test_fail(__FILE__, line, "n=%zu: out of order at %zu (%g after %g)", n, i, e[i].v, e[i - 1].v);
	}
	if (sum != (long)n * ((long)n - 1) / 2)
		test_fail(__FILE__, line, "n=%zu: not a permutation", n);
}

static void gosort_sorts(void)
{
	static item e[2000];
	uint64_t r = 88172645463325252ULL;
	for (size_t n = 0; n <= 2000; n = n < 100 ? n + 1 : n * 3 / 2) {
		for (int pattern = 0; pattern < 5; pattern++) {
			for (size_t i = 0; i < n; i++) {
				r ^= r << 13, r ^= r >> 7, r ^= r << 17;
				double x = pattern == 0 ? (double)(r % 7)               /* many duplicates */
					   : pattern == 1 ? (double)(r % 100000)      /* few */
					   : pattern == 2 ? (double)i                 /* sorted */
					   : pattern == 3 ? (double)(n - i)           /* reversed */
							  : 1;                        /* all equal */
				e[i] = (item){x, (int)i};
			}
			sort_items(e, n, false);
			check_sorted(e, n, __LINE__);
		}
		/* Prometheus's NaN-first Less is no strict weak order: still a
		 * permutation, numbers in order, NaN last */
		for (size_t i = 0; i < n; i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			e[i] = (item){r % 5 == 0 ? NAN : (double)(r % 4), (int)i};
		}
		sort_items(e, n, true);
		size_t k = n;
		while (k > 0 && isnan(e[k - 1].v))
			k--;
		for (size_t i = 0; i < k; i++)
			ASSERT(!isnan(e[i].v));
		for (size_t i = k; i < n; i++)
			e[i].v = INFINITY;
		check_sorted(e, n, __LINE__);
	}
}

/* ids of e in order, comma-separated */
static const char *ids(const item *e, size_t n)
{
	static char out[512];
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%d", i ? "," : "", e[i].id);
	return out;
}

static void gosort_ties_as_go(void)
{
	/* up to 12: insertion sort, equal values keep their order */
	item s[] = {{1, 0}, {0, 1}, {1, 2}, {0, 3}, {NAN, 4}, {1, 5}};
	sort_items(s, 6, true);
	ASSERT_STR_EQ(ids(s, 6), "1,3,0,2,5,4");
	/* 40 values of 0, 1, 2 and NaN (tie_many at one step): pdqsort */
	item e[40];
	for (int i = 0; i < 40; i++)
		e[i] = (item){(i + 38) % 11 == 0 ? NAN : (double)(((i * 7 + 38 * 3) % 5) / 2), i};
	sort_items(e, 40, true);
	ASSERT_STR_EQ(ids(e, 40), "23,16,26,3,31,38,1,21,36,18,8,11,33,13,7,34,14,12,9,19,32,29,22,37,24,4,2,27,20,30,25,0,15,35,10,5,39,6,17,28");
}

const struct test tests_gosort[] = {
	{"gosort_sorts", gosort_sorts},
	{"gosort_ties_as_go", gosort_ties_as_go},
	{NULL, NULL},
};
