/*
 * head_stats.c - the head's cardinality statistics, what
 * /api/v1/status/tsdb shows (Prometheus tsdb/head.go Head.Stats and
 * tsdb/index/postings.go MemPostings.Stats).
 *
 * Computed from the postings index, never from the series: for every label
 * name, its values; for every value, the length of its postings list. That
 * gives, with no per-series work:
 *   - labelValueCountByLabelName: the number of values of a name;
 *   - memoryInBytesByLabelName: the bytes of a name's values, each distinct
 *     value once (Prometheus 2.42; later versions multiply by the series
 *     count, which 2.42 - the peer we answer like - does not);
 *   - seriesCountByLabelValuePair: postings length of name=value;
 *   - seriesCountByMetricName: the same restricted to __name__;
 *   - numLabelPairs: the number of distinct name=value pairs.
 *
 * Each list keeps its top `limit` entries in a bounded min-heap (the worst
 * kept entry at the root), so memory is O(limit) whatever the cardinality,
 * and is then sorted by count descending. Prometheus leaves the order of
 * equal counts to Go's map iteration (random); flint sorts ties by name
 * ascending, "name=value" compared as that string, so answers are stable.
 */
#include "tsdb/head_int.h"

#include <stdlib.h>

/* A candidate entry: the name a, or "a=b" when b is set (strings interned,
 * never concatenated unless kept). */
typedef struct cand {
	const char *a;  /* borrowed from the head */
	const char *b;  /* borrowed from the head, or NULL */
	uint64_t count; /* the statistic */
} cand;

/* Byte i of c's name, -1 past its end (la = strlen(c->a)). */
static int name_byte(const cand *c, size_t la, size_t i)
{
	if (i < la)
		return (unsigned char)c->a[i];
	if (!c->b)
		return -1;
	if (i == la)
		return '=';
	unsigned char ch = (unsigned char)c->b[i - la - 1];
	return ch ? ch : -1;
}

static int name_cmp(const cand *x, const cand *y)
{
	size_t lx = strlen(x->a), ly = strlen(y->a);
	for (size_t i = 0;; i++) {
		int cx = name_byte(x, lx, i), cy = name_byte(y, ly, i);
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx < 0)
			return 0;
	}
}

/* < 0 when x ranks before y: higher count, then smaller name. */
static int rank_cmp(const void *px, const void *py)
{
	const cand *x = px, *y = py;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return name_cmp(x, y);
}

typedef struct topk {
	cand *v;  /* min-heap by rank: v[0] ranks last; fl_malloc'd */
	size_t n; /* entries */
	size_t k; /* capacity: the limit, bounded by the candidates there are */
} topk;

static int topk_init(topk *t, size_t limit, size_t candidates)
{
	t->n = 0;
	t->k = FL_MIN(limit, candidates);
	t->v = fl_malloc((t->k ? t->k : 1) * sizeof *t->v);
	return t->v ? 0 : FL_ENOMEM;
}

static void swap_cand(cand *x, cand *y)
{
	cand t = *x;
	*x = *y;
	*y = t;
}

static void topk_push(topk *t, cand c)
{
	if (t->n < t->k) {
		size_t i = t->n++;
		t->v[i] = c;
		while (i > 0 && rank_cmp(&t->v[i], &t->v[(i - 1) / 2]) > 0) {
			swap_cand(&t->v[i], &t->v[(i - 1) / 2]);
			i = (i - 1) / 2;
		}
		return;
	}
	if (!t->k || c.count < t->v[0].count || rank_cmp(&c, &t->v[0]) >= 0)
		return; /* ranks after every kept entry */
	t->v[0] = c;
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < t->n && rank_cmp(&t->v[l], &t->v[w]) > 0)
			w = l;
		if (r < t->n && rank_cmp(&t->v[r], &t->v[w]) > 0)
			w = r;
		if (w == i)
			break;
		swap_cand(&t->v[i], &t->v[w]);
		i = w;
	}
}

/* Sort the kept entries into out (names "a=b" built in ar), free t. */
static int topk_finish(topk *t, arena *ar, head_card_list *out)
{
	int rc = 0;
	out->n = 0;
	out->v = arena_alloc(ar, (t->n ? t->n : 1) * sizeof *out->v);
	if (!out->v)
		rc = FL_ENOMEM;
	if (!rc && t->n)
		qsort(t->v, t->n, sizeof *t->v, rank_cmp);
	for (size_t i = 0; !rc && i < t->n; i++) {
		const cand *c = &t->v[i];
		const char *name = c->a;
		if (c->b) {
			size_t la = strlen(c->a), lb = strlen(c->b);
			char *s = arena_alloc(ar, la + lb + 2);
			if (!s) {
				rc = FL_ENOMEM;
				break;
			}
			memcpy(s, c->a, la);
			s[la] = '=';
			memcpy(s + la + 1, c->b, lb + 1);
			name = s;
		}
		out->v[out->n++] = (head_card_stat){name, c->count};
	}
	fl_free(t->v);
	t->v = NULL;
	return rc;
}

/* The four lists, in head_cardinality's order. */
enum { BY_METRIC, VALUES_BY_NAME, BYTES_BY_NAME, BY_PAIR, N_LISTS };

/* Push every value of name (ids vals[0..nv)) into the lists. */
static void scan_name(head *h, uint32_t name, bool is_metric, const uint32_t *vals, size_t nv, uint32_t *counts,
		      topk *t, head_cardinality *out)
{
	const char *nm = intern_str(h->strs, name);
	mem_postings_counts(h->postings, name, vals, nv, counts);
	uint64_t bytes = 0, live = 0;
	for (size_t j = 0; j < nv; j++) {
		if (!counts[j])
			continue;
		const char *v = intern_str(h->strs, vals[j]);
		live++;
		bytes += strlen(v);
		topk_push(&t[BY_PAIR], (cand){nm, v, counts[j]});
		if (is_metric)
			topk_push(&t[BY_METRIC], (cand){v, NULL, counts[j]});
	}
	topk_push(&t[VALUES_BY_NAME], (cand){nm, NULL, live});
	topk_push(&t[BYTES_BY_NAME], (cand){nm, NULL, bytes});
	out->num_label_pairs += (int64_t)live;
}

int head_cardinality_get(head *h, size_t limit, arena *a, head_cardinality *out, err *e)
{
	memset(out, 0, sizeof *out);
	head_stats st;
	head_get_stats(h, &st);
	out->num_series = st.series;
	out->chunk_count = st.chunks;
	out->min_time = st.min_time;
	out->max_time = st.max_time;

	uint32_t *names = NULL, **vals = NULL, *counts = NULL;
	size_t n_names = 0, *nv = NULL, total = 0, most = 0, n_metric = 0;
	topk t[N_LISTS] = {{0}};
	int rc = mem_postings_names(h->postings, &names, &n_names);
	if (!rc && (!(vals = fl_calloc(n_names + 1, sizeof *vals)) || !(nv = fl_calloc(n_names + 1, sizeof *nv))))
		rc = FL_ENOMEM;
	uint32_t metric = intern_lookup(h->strs, LABEL_NAME, strlen(LABEL_NAME));
	for (size_t i = 0; !rc && i < n_names; i++) {
		rc = mem_postings_values(h->postings, names[i], &vals[i], &nv[i]);
		total += nv[i];
		most = FL_MAX(most, nv[i]);
		if (names[i] == metric)
			n_metric = nv[i];
	}
	if (!rc && !(counts = fl_malloc((most + 1) * sizeof *counts)))
		rc = FL_ENOMEM;
	const size_t cands[N_LISTS] = {n_metric, n_names, n_names, total};
	for (int l = 0; !rc && l < N_LISTS; l++)
		rc = topk_init(&t[l], limit, cands[l]);
	for (size_t i = 0; !rc && i < n_names; i++)
		scan_name(h, names[i], names[i] == metric, vals[i], nv[i], counts, t, out);
	head_card_list *lists[N_LISTS] = {&out->by_metric, &out->values_by_name, &out->bytes_by_name, &out->by_pair};
	for (int l = 0; l < N_LISTS; l++) {
		int r = t[l].v ? topk_finish(&t[l], a, lists[l]) : 0;
		rc = rc ? rc : r;
	}
	for (size_t i = 0; vals && i < n_names; i++)
		fl_free(vals[i]);
	fl_free(vals);
	fl_free(nv);
	fl_free(names);
	fl_free(counts);
	return rc ? err_set(e, rc, "tsdb status: out of memory") : 0;
}
