/*
 * query_durations.c - the recorder behind prometheus_engine_query_duration_seconds
 * (see query_durations.h; Prometheus promql/engine.go's queryResultSummary).
 *
 * Quantiles are nearest-rank over the ring's recent observations (client_golang
 * computes them over a 10-minute sliding window with small error bounds; a
 * ring of the last QD_RING observations is the same idea without the clock).
 * With no observations a quantile is NaN, as client_golang writes it. Sum and
 * count are exact and never reset. Text format 0.0.4, families as upstream:
 * slices in label order, quantile lines then _sum then _count per slice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "web/query_durations.h"
#include "web/remote.h"

static const char *const qd_names[QD_N_SLICES] = {"inner_eval", "prepare_time", "queue_time", "result_sort"};
static const double qd_quantiles[] = {0.5, 0.9, 0.99};
static const char *const qd_qnames[] = {"0.5", "0.9", "0.99"};

static void qd_lock(query_durations *qd)
{
	while (atomic_exchange_explicit(&qd->lock, 1, memory_order_acquire))
		;
}

static void qd_unlock(query_durations *qd)
{
	atomic_store_explicit(&qd->lock, 0, memory_order_release);
}

void qd_observe(query_durations *qd, qd_slice sl, double s)
{
	if (sl >= QD_N_SLICES)
		return;
	if (!(s > 0))
		s = 0; /* negative or NaN: a clock hiccup */
	qd_lock(qd);
	qd_ring *r = &qd->slice[sl];
	r->obs[r->count % QD_RING] = s;
	r->count++;
	r->sum += s;
	qd_unlock(qd);
}

static int qd_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void qd_line(buf *b, const char *suffix, const char *slice, const char *q, double v)
{
	buf_printf(b, "prometheus_engine_query_duration_seconds%s{slice=\"%s\"", suffix, slice);
	if (q)
		buf_printf(b, ",quantile=\"%s\"", q);
	buf_put_str(b, "} ");
	remote_put_float(b, v);
	buf_put_byte(b, '\n');
}

void qd_write(query_durations *qd, buf *b)
{
	buf_put_str(b, "# HELP prometheus_engine_query_duration_seconds Query timings\n"
		       "# TYPE prometheus_engine_query_duration_seconds summary\n");
	for (int s = 0; s < QD_N_SLICES; s++) {
		qd_lock(qd);
		qd_ring r = qd->slice[s];
		qd_unlock(qd);
		size_t n = r.count < QD_RING ? (size_t)r.count : QD_RING;
		double *v = r.obs;
		qsort(v, n, sizeof *v, qd_cmp);
		for (size_t i = 0; i < sizeof qd_quantiles / sizeof *qd_quantiles; i++) {
			double val = NAN;
			if (n) {
				size_t k = (size_t)ceil(qd_quantiles[i] * (double)n);
				val = v[k ? k - 1 : 0];
			}
			qd_line(b, "", qd_names[s], qd_qnames[i], val);
		}
		qd_line(b, "_sum", qd_names[s], NULL, r.sum);
		qd_line(b, "_count", qd_names[s], NULL, (double)r.count);
	}
}
