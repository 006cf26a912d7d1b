/*
 * summary.c - quantiles over a ring of recent observations (summary.h).
 */
#include "lib/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fmtfloat.h"

void summary_observe(summary *s, double v)
{
	s->obs[s->count % SUMMARY_RING] = v;
	s->count++;
	s->sum += v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void summary_quantiles(const summary *s, const double *qs, size_t n, double *out)
{
	size_t k = s->count < SUMMARY_RING ? (size_t)s->count : SUMMARY_RING;
	double v[SUMMARY_RING];
	memcpy(v, s->obs, k * sizeof *v);
	qsort(v, k, sizeof *v, cmp_d);
	for (size_t i = 0; i < n; i++) {
		if (!k) {
			out[i] = NAN;
			continue;
		}
		size_t r = (size_t)ceil(qs[i] * (double)k);
		out[i] = v[r ? (r > k ? k : r) - 1 : 0];
	}
}

static void put_g(buf *b, double v)
{
	char s[FMT_FLOAT_MAX];
	if (isnan(v))
		buf_put_str(b, "NaN");
	else if (isinf(v))
		buf_put_str(b, v > 0 ? "+Inf" : "-Inf");
	else
		buf_put(b, s, (size_t)fmt_go_g(s, v));
}

void summary_write(const summary *s, buf *b, const char *name, const char *labels, const double *qs, size_t n)
{
	double q[16];
	if (n > 16)
		n = 16;
	summary_quantiles(s, qs, n, q);
	for (size_t i = 0; i < n; i++) {
		char qn[FMT_FLOAT_MAX];
		qn[fmt_go_g(qn, qs[i])] = 0;
		buf_printf(b, "%s{%s%squantile=\"%s\"} ", name, labels, *labels ? "," : "", qn);
		put_g(b, q[i]);
		buf_put_byte(b, '\n');
	}
	buf_printf(b, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	put_g(b, s->sum);
	buf_printf(b, "\n%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		   (unsigned long long)s->count);
}
