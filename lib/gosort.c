/*
 * gosort.c - Go's sort.Sort (pdqsort as Go 1.19+ implements it), see
 * gosort.h. Indices are signed (long) as in Go: the loops step past both
 * ends. Every call into less/swap happens in Go's order.
 */
#include "lib/gosort.h"

#include <stdint.h>

enum { INSERTION_MAX = 12, NINTHER_MIN = 50, PARTIAL_STEPS = 5, PARTIAL_SHIFT_MIN = 50 };
typedef enum { HINT_UNKNOWN, HINT_INCREASING, HINT_DECREASING } sort_hint;

static bool lt(const go_sort_iface *d, long i, long j) { return d->less(d->ctx, (size_t)i, (size_t)j); }
static void sw(const go_sort_iface *d, long i, long j) { d->swap(d->ctx, (size_t)i, (size_t)j); }

static int bit_len(unsigned long x) /* Go's bits.Len */
{
	int n = 0;
	for (; x; x >>= 1)
		n++;
	return n;
}

static void insertion(const go_sort_iface *d, long a, long b)
{
	for (long i = a + 1; i < b; i++)
		for (long j = i; j > a && lt(d, j, j - 1); j--)
			sw(d, j, j - 1);
}

/* max-heap on [first + lo, first + hi) */
static void sift_down(const go_sort_iface *d, long lo, long hi, long first)
{
	long root = lo;
	for (;;) {
		long child = 2 * root + 1;
		if (child >= hi)
			return;
		if (child + 1 < hi && lt(d, first + child, first + child + 1))
			child++;
		if (!lt(d, first + root, first + child))
			return;
		sw(d, first + root, first + child);
		root = child;
	}
}

static void heap_sort(const go_sort_iface *d, long a, long b)
{
	long hi = b - a;
	for (long i = (hi - 1) / 2; i >= 0; i--)
		sift_down(d, i, hi, a);
	for (long i = hi - 1; i >= 0; i--) {
		sw(d, a, a + i);
		sift_down(d, 0, i, a);
	}
}

/* Go's xorshift (13, 17, 5), seeded with the slice length */
static void break_patterns(const go_sort_iface *d, long a, long b)
{
	long n = b - a;
	if (n < 8)
		return;
	uint64_t r = (uint64_t)n;
	unsigned long mask = (1UL << bit_len((unsigned long)n)) - 1;
	for (long idx = a + (n / 4) * 2 - 1; idx <= a + (n / 4) * 2 + 1; idx++) {
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		long other = (long)((unsigned long)r & mask);
		if (other >= n)
			other -= n;
		sw(d, idx, a + other);
	}
}

/* the two of x, y in order; counts a swap when y < x */
static void order2(const go_sort_iface *d, long *x, long *y, int *swaps)
{
	if (lt(d, *y, *x)) {
		long t = *x;
		*x = *y;
		*y = t;
		(*swaps)++;
	}
}

static long median3(const go_sort_iface *d, long a, long b, long c, int *swaps)
{
	order2(d, &a, &b, swaps);
	order2(d, &b, &c, swaps);
	order2(d, &a, &b, swaps);
	return b;
}

static long choose_pivot(const go_sort_iface *d, long a, long b, sort_hint *hint)
{
	long n = b - a;
	int swaps = 0;
	long i = a + n / 4, j = a + n / 4 * 2, k = a + n / 4 * 3;
	if (n >= 8) {
		if (n >= NINTHER_MIN) {
			i = median3(d, i - 1, i, i + 1, &swaps);
			j = median3(d, j - 1, j, j + 1, &swaps);
			k = median3(d, k - 1, k, k + 1, &swaps);
		}
		j = median3(d, i, j, k, &swaps);
	}
	*hint = swaps == 0 ? HINT_INCREASING : swaps == 12 ? HINT_DECREASING : HINT_UNKNOWN;
	return j;
}

static void reverse_range(const go_sort_iface *d, long a, long b)
{
	for (long i = a, j = b - 1; i < j; i++, j--)
		sw(d, i, j);
}

/* Up to PARTIAL_STEPS adjacent inversions fixed by shifting; true when
 * [a, b) ends up sorted. */
static bool partial_insertion(const go_sort_iface *d, long a, long b)
{
	long i = a + 1;
	for (int step = 0; step < PARTIAL_STEPS; step++) {
		while (i < b && !lt(d, i, i - 1))
			i++;
		if (i == b)
			return true;
		if (b - a < PARTIAL_SHIFT_MIN)
			return false;
		sw(d, i, i - 1);
		if (i - a >= 2)
			for (long j = i - 1; j >= 1 && lt(d, j, j - 1); j--)
				sw(d, j, j - 1);
		if (b - i >= 2)
			for (long j = i + 1; j < b && lt(d, j, j - 1); j++)
				sw(d, j, j - 1);
	}
	return false;
}

/* Elements < pivot to its left, the rest to its right; returns the pivot's
 * new place and whether nothing had to move. */
static long partition(const go_sort_iface *d, long a, long b, long pivot, bool *already)
{
	sw(d, a, pivot);
	long i = a + 1, j = b - 1;
	while (i <= j && lt(d, i, a))
		i++;
	while (i <= j && !lt(d, j, a))
		j--;
	*already = i > j;
	while (i <= j) {
		sw(d, i, j);
		i++;
		j--;
		while (i <= j && lt(d, i, a))
			i++;
		while (i <= j && !lt(d, j, a))
			j--;
	}
	sw(d, j, a);
	return j;
}

/* [a, b) holds nothing below the pivot: equal ones first; returns where
 * the greater ones start. */
static long partition_equal(const go_sort_iface *d, long a, long b, long pivot)
{
	sw(d, a, pivot);
	long i = a + 1, j = b - 1;
	for (;;) {
		while (i <= j && !lt(d, a, i))
			i++;
		while (i <= j && lt(d, a, j))
			j--;
		if (i > j)
			return i;
		sw(d, i, j);
		i++;
		j--;
	}
}

static void pdqsort(const go_sort_iface *d, long a, long b, int limit)
{
	bool balanced = true, partitioned = true;
	for (;;) {
		long n = b - a;
		if (n <= INSERTION_MAX) {
			insertion(d, a, b);
			return;
		}
		if (limit == 0) {
			heap_sort(d, a, b);
			return;
		}
		if (!balanced) {
			break_patterns(d, a, b);
			limit--;
		}
		sort_hint hint;
		long pivot = choose_pivot(d, a, b, &hint);
		if (hint == HINT_DECREASING) {
			reverse_range(d, a, b);
			pivot = (b - 1) - (pivot - a);
			hint = HINT_INCREASING;
		}
		if (balanced && partitioned && hint == HINT_INCREASING && partial_insertion(d, a, b))
			return;
		if (a > 0 && !lt(d, a - 1, pivot)) {
			a = partition_equal(d, a, b, pivot);
			continue;
		}
		long mid = partition(d, a, b, pivot, &partitioned);
		long left = mid - a, right = b - mid;
		if (left < right) {
			balanced = left >= n / 8;
			pdqsort(d, a, mid, limit);
			a = mid + 1;
		} else {
			balanced = right >= n / 8;
			pdqsort(d, mid + 1, b, limit);
			b = mid;
		}
	}
}

void go_sort(const go_sort_iface *d, size_t n)
{
	if (n <= 1)
		return;
	pdqsort(d, 0, (long)n, bit_len(n));
}
