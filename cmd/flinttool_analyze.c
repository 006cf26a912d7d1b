/*
 * flinttool_analyze.c - the bucket statistics of `flinttool query analyze
 * --type=histogram` (cmd/promtool/analyze.go), for classic histograms.
 *
 * Each matcher is queried as `<matcher>[<duration>]` at --time; series
 * named *_bucket with an le label are grouped by their other labels (the
 * key prints as `name_bucket{a="b"}`), a group's buckets are sorted by le
 * (stably, an unparsable le counting as 0) and, at each sample index, the
 * number of populated buckets (non-zero differences of cumulative counts,
 * truncated to integers as Go's int() does) gives min/avg/max. Groups with
 * fewer than two samples in their first series are skipped. promtool walks
 * the groups in Go map order (random); flint prints them in the order the
 * server returned their first series. Native histograms: flint stores none,
 * so only the classic part exists.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/flinttool_query.h"
#include "lib/fmtfloat.h"

static const char header[] =
	"Bucket stats for each histogram series over time\n"
	"------------------------------------------------\n"
	"First the min, avg, and max number of populated buckets, followed by the total\n"
	"number of buckets (only if different from the max number of populated buckets\n"
	"which is typical for classic but not native histograms).";
static const char footer[] =
	"Aggregated bucket stats\n"
	"-----------------------\n"
	"Each line shows min/avg/max over the series above.";

static void dist_init(ft_dist *d)
{
	d->min = INT64_MAX;
	d->max = 0;
	d->count = 0;
	d->avg = 0;
}

static void dist_update(ft_dist *d, int64_t v)
{
	if (d->min > v)
		d->min = v;
	if (d->max < v)
		d->max = v;
	d->count++;
	d->avg += (double)v / (double)d->count - d->avg / (double)d->count;
}

static bool dist_equal(const ft_dist *a, const ft_dist *b)
{
	return a->min == b->min && a->max == b->max && a->count == b->count && a->avg == b->avg;
}

static void dist_put(buf *b, const ft_dist *d)
{
	buf_printf(b, "%lld/%.3f/%lld", (long long)d->min, d->avg, (long long)d->max);
}

void ft_analyze_begin(ft_analyze *an, buf *out)
{
	an->out = out;
	dist_init(&an->min_pop);
	dist_init(&an->avg_pop);
	dist_init(&an->max_pop);
	dist_init(&an->total);
	buf_printf(out, "%s\n\n", header);
}

/* Go's int(float64) on amd64: truncation; out of range gives MinInt64. */
static int64_t go_int(double v)
{
	if (!(v > -9.223372036854775808e18 && v < 9.223372036854775808e18))
		return INT64_MIN;
	return (int64_t)v;
}

static double series_le(const api_series *s)
{
	const char *le = labels_get(s->metric, "le");
	char *end;
	double v = le ? strtod(le, &end) : 0;
	return le && *le && !*end ? v : 0;
}

/* Stable insertion sort by le (sort.SliceStable). */
static void sort_by_le(const api_series **m, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const api_series *x = m[i];
		double lx = series_le(x);
		size_t j = i;
		while (j > 0 && lx < series_le(m[j - 1])) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = x;
	}
}

/* calcClassicBucketStatistics over one group; 1 when not enough data. */
static int group_stats(const api_series **m, size_t n, int64_t st[3], double *avg, buf *msg)
{
	if (n == 0 || m[0]->n_pts < 2)
		return 1;
	size_t n_samples = m[0]->n_pts;
	sort_by_le(m, n);
	int64_t min_pop = INT64_MAX, max_pop = 0, total_pop = 0;
	for (size_t t = 0; t < n_samples; t++) {
		int64_t pop = 0;
		if (t < m[0]->n_pts) {
			pop += go_int(m[0]->pts[t].v) != 0;
			for (size_t i = 1; i < n; i++) {
				if (t >= m[i]->n_pts)
					break;
				const api_point *cur = &m[i]->pts[t], *prev = &m[i - 1]->pts[t];
				if (cur->t_ms != prev->t_ms) {
					buf_put_str(msg, "matrix result is not time aligned");
					return -1;
				}
				pop += go_int(cur->v - prev->v) != 0;
			}
		}
		total_pop += pop;
		if (min_pop > pop)
			min_pop = pop;
		if (max_pop < pop)
			max_pop = pop;
	}
	st[0] = min_pop, st[1] = max_pop, st[2] = (int64_t)n;
	*avg = (double)total_pop / (double)n_samples;
	return 0;
}

/* The group key: name + LabelSet.String() of the labels but __name__ and le. */
static void group_key(buf *b, labels ls)
{
	buf_put_str(b, labels_get(ls, LABEL_NAME));
	buf_put_byte(b, '{');
	bool first = true;
	for (size_t i = 0; i < ls.n; i++) {
		if (!strcmp(ls.v[i].name, LABEL_NAME) || !strcmp(ls.v[i].name, "le"))
			continue;
		if (!first)
			buf_put_str(b, ", ");
		first = false;
		buf_printf(b, "%s=", ls.v[i].name);
		fmt_go_quote(b, ls.v[i].value, strlen(ls.v[i].value));
	}
	buf_put_byte(b, '}');
}

int ft_analyze_matrix(ft_analyze *an, const api_value *m, buf *msg)
{
	size_t n = m->n_series;
	if (!n)
		return 0;
	/* keys[i]: the group key of series i, or NULL when it is skipped */
	buf keys;
	buf_init(&keys);
	size_t *off = calloc(n, sizeof *off);
	bool *use = calloc(n, sizeof *use), *done = calloc(n, sizeof *done);
	const api_series **grp = calloc(n, sizeof *grp);
	int rc = 0;
	if (!off || !use || !done || !grp) {
		rc = -1;
		buf_put_str(msg, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const api_series *s = &m->series[i];
		const char *name = labels_get(s->metric, LABEL_NAME);
		size_t nl = name ? strlen(name) : 0;
		if (!s->n_pts || !labels_get(s->metric, "le") || nl < 7 || strcmp(name + nl - 7, "_bucket"))
			continue;
		use[i] = true;
		off[i] = keys.len;
		group_key(&keys, s->metric);
		buf_put_byte(&keys, 0);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!use[i] || done[i])
			continue;
		const char *key = (const char *)keys.p + off[i];
		size_t g = 0;
		for (size_t j = i; j < n; j++)
			if (use[j] && !done[j] && !strcmp(key, (const char *)keys.p + off[j])) {
				grp[g++] = &m->series[j];
				done[j] = true;
			}
		int64_t st[3];
		double avg;
		int r = group_stats(grp, g, st, &avg, msg);
		if (r < 0)
			rc = -1;
		if (r)
			continue;
		buf_printf(an->out, "- %s (classic): ", key);
		if (st[1] == st[2])
			buf_printf(an->out, "%lld/%.3f/%lld\n", (long long)st[0], avg, (long long)st[1]);
		else
			buf_printf(an->out, "%lld/%.3f/%lld/%lld\n", (long long)st[0], avg, (long long)st[1], (long long)st[2]);
		dist_update(&an->min_pop, st[0]);
		dist_update(&an->avg_pop, go_int(avg));
		dist_update(&an->max_pop, st[1]);
		dist_update(&an->total, st[2]);
	}
out:
	free(off);
	free(use);
	free(done);
	free(grp);
	buf_reset(&keys);
	return rc;
}

void ft_analyze_end(ft_analyze *an)
{
	buf *b = an->out;
	buf_printf(b, "\n%s\n", footer);
	if (an->min_pop.count == 0)
		return;
	buf_printf(b, "\nClassic histogram series (%lld in total):\n- min populated: ", (long long)an->min_pop.count);
	dist_put(b, &an->min_pop);
	buf_put_str(b, "\n- avg populated: ");
	dist_put(b, &an->avg_pop);
	buf_put_str(b, "\n- max populated: ");
	dist_put(b, &an->max_pop);
	if (!dist_equal(&an->max_pop, &an->total)) {
		buf_put_str(b, "\n- total: ");
		dist_put(b, &an->total);
	}
	buf_put_byte(b, '\n');
}
