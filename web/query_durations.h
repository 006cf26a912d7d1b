/*
 * query_durations.h - prometheus_engine_query_duration_seconds: per-slice
 * query timings (Prometheus promql/engine.go's summary, labelled slice =
 * inner_eval, prepare_time, queue_time, result_sort, quantiles 0.5, 0.9,
 * 0.99). Each slice keeps an exact sum and count and a fixed ring of the
 * most recent observations from which quantiles are computed at scrape time.
 * Zero-initialised storage is a valid empty recorder; all calls are
 * thread-safe (a spinlock per recorder, held only for a copy).
 */
#ifndef FL_WEB_QUERY_DURATIONS_H
#define FL_WEB_QUERY_DURATIONS_H

#include <stdatomic.h>
#include <stdint.h>

#include "lib/buf.h"

typedef enum qd_slice {
	QD_INNER_EVAL, QD_PREPARE_TIME, QD_QUEUE_TIME, QD_RESULT_SORT, QD_N_SLICES,
} qd_slice;

#define QD_RING 512 /* recent observations kept per slice */

typedef struct qd_ring {
	double obs[QD_RING]; /* seconds; the newest min(count, QD_RING) are valid */
	uint64_t count;      /* observations ever */
	double sum;          /* their sum, seconds */
} qd_ring;

typedef struct query_durations {
	_Atomic int lock; /* 0 = free */
	qd_ring slice[QD_N_SLICES];
} query_durations;

/* Record one observation of s seconds (negative values count as 0). */
void qd_observe(query_durations *qd, qd_slice sl, double s);
/* Write the summary family (# HELP, # TYPE, quantiles, _sum, _count). */
void qd_write(query_durations *qd, buf *b);

#endif
