/*
 * gosort.h - Go's sort.Sort, comparison for comparison and swap for swap,
 * for results whose order Prometheus leaves to it: sort()/sort_desc() and
 * topk/bottomk output order over equal (or NaN) values. sort.Sort is not
 * stable, so only the same algorithm puts ties where Prometheus does.
 *
 * The algorithm (Go 1.19+, sort/zsortinterface.go) is pattern-defeating
 * quicksort: insertion sort up to 12 elements; median-of-three pivots
 * (Tukey's ninther from 50), a "probably sorted" check by a bounded partial
 * insertion sort, an equal-elements partition when the pivot equals the
 * element before the slice, a few deterministic xorshift swaps after an
 * unbalanced partition, heapsort after too many of those. less(i, j) may
 * be any relation (Prometheus's NaN-first Less is not a strict weak order):
 * the sequence of calls is what is reproduced, not a sorting guarantee.
 */
#ifndef FL_GOSORT_H
#define FL_GOSORT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct go_sort_iface {
	void *ctx;                                   /* passed to both */
	bool (*less)(void *ctx, size_t i, size_t j); /* element i sorts before j */
	void (*swap)(void *ctx, size_t i, size_t j); /* exchange elements i and j */
} go_sort_iface;

/* sort.Sort on n elements. */
void go_sort(const go_sort_iface *d, size_t n);

#endif
