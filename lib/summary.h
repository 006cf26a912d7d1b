/*
 * summary.h - a client_golang-style summary for self-metrics: exact sum and
 * count, and quantiles over the most recent observations.
 *
 * client_golang estimates its objectives over a 10-minute sliding window
 * (CKMS, with small error bounds); here the window is the last SUMMARY_RING
 * observations, and a quantile is the nearest-rank value among them (NaN
 * with none, as client_golang writes it). The caller serialises calls
 * (a summary lives under its owner's lock).
 */
#ifndef FL_SUMMARY_H
#define FL_SUMMARY_H

#include <stdint.h>

#include "lib/buf.h"

#define SUMMARY_RING 512

typedef struct summary {
	double obs[SUMMARY_RING]; /* the newest min(count, SUMMARY_RING) are valid */
	uint64_t count;           /* observations ever */
	double sum;
} summary;

/* Zeroed storage is an empty summary too. */
void summary_observe(summary *s, double v);
/* out[i] = the qs[i] quantile (0..1) of the recent observations. */
void summary_quantiles(const summary *s, const double *qs, size_t n, double *out);
/* Write the quantile, _sum and _count lines of one series of a family:
 * name{labels,quantile="q"} v ... where labels is "" or `a="b"` (already
 * escaped); values as Go's 'g' -1 (NaN, +Inf as client_golang). */
void summary_write(const summary *s, buf *b, const char *name, const char *labels, const double *qs, size_t n);

#endif
