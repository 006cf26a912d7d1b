/*
 * querier.c - one PostingsForMatchers and one label-API implementation over
 * the index-reader seam (index.h index_source), serving the head and every
 * block alike (Prometheus tsdb/querier.go PostingsForMatchers,
 * postingsForMatcher, inversePostingsForMatcher, labelValuesWithMatchers,
 * labelNamesWithMatchers).
 *
 * Algorithm (upstream's, see index.h for the rules): each matcher yields the
 * postings of the values it accepts ("its", intersected, shortest first) or
 * of the values it rejects ("nots", subtracted at the end). Values are found
 *   - directly, for `=` and for regexes that are a finite literal set
 *     (matcher_regex_set: `a|b|c`), and for the inverse of `!=` / `!~` alike;
 *   - else by scanning the label's values with the matcher (its own prefix
 *     and set fast paths run per value).
 *
 * Invariants:
 *  1. Every postings_list handed between steps is sorted and unique (the
 *     seam's contract); combine() therefore only intersects and subtracts.
 *  2. Nothing here holds a lock or keeps a pointer into the source past the
 *     call: postings are copies, strings are borrowed for the caller.
 */
#include "tsdb/index.h"

#include <stdlib.h>

/* Postings of series whose label m->name has a value v with
 * matcher_matches(m, v) == want (the inverse when !want). */
static int values_postings(index_source *s, const matcher *m, bool want, postings_list *out, err *e)
{
	out->n = 0;
	const char *const *lits = NULL;
	size_t n_lits = 0;
	if ((m->type == MATCH_EQ && want) || (m->type == MATCH_NEQ && !want)) {
		lits = (const char *const *)&m->value;
		n_lits = 1;
	} else if ((m->type == MATCH_RE && want) || (m->type == MATCH_NRE && !want)) {
		n_lits = matcher_regex_set(m, &lits);
	}
	if (lits)
		return s->ops->postings(s, m->name, lits, n_lits, out, e);
	const char **vals = NULL;
	size_t n = 0;
	int rc = s->ops->label_values(s, m->name, &vals, &n, e);
	if (rc)
		return rc;
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (matcher_matches(m, vals[i], strlen(vals[i])) == want)
			vals[w++] = vals[i];
	rc = w ? s->ops->postings(s, m->name, vals, w, out, e) : 0;
	fl_free(vals);
	return rc;
}

static inline bool sorted_unique(const postings_list *p)
{
	for (size_t i = 1; i < p->n; i++)
		if (p->v[i - 1] >= p->v[i])
			return false;
	return true;
}

static bool must_be_set(const matcher *ms, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ms[i].name, name) && !matcher_matches_empty(&ms[i]))
			return true;
	return false;
}

static int cmp_len(const void *a, const void *b)
{
	const postings_list *x = a, *y = b;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* out = ∩ its[0..n_its) \ ∪ nots[0..n_nots); n_its >= 1. Takes its[0]. */
static int combine(postings_list *its, size_t n_its, postings_list *nots, size_t n_nots, postings_list *out)
{
	qsort(its, n_its, sizeof *its, cmp_len);
	postings_list cur = its[0], tmp;
	postings_init(&its[0]);
	postings_init(&tmp);
	int rc = 0;
	for (size_t i = 1; i < n_its + n_nots && !rc && cur.n; i++) {
		rc = i < n_its ? postings_intersect(&cur, &its[i], &tmp) : postings_subtract(&cur, &nots[i - n_its], &tmp);
		postings_list t = cur;
		cur = tmp;
		tmp = t;
	}
	postings_free(&tmp);
	postings_free(out);
	*out = cur;
	return rc;
}

int index_postings_for_matchers(index_source *s, const matcher *ms, size_t n, postings_list *out, err *e)
{
	postings_list *its = fl_calloc(n + 1, sizeof *its), *nots = fl_calloc(n + 1, sizeof *nots);
	size_t n_its = 0, n_nots = 0;
	int rc = its && nots ? 0 : err_set(e, FL_ENOMEM, "postings for matchers: out of memory");
	bool empty = false;
	for (size_t i = 0; i < n && !rc && !empty; i++) {
		const matcher *m = &ms[i];
		if (!m->name[0] && !m->value[0])
			continue; /* upstream: the empty matcher is ignored */
		bool is_not = m->type == MATCH_NEQ || m->type == MATCH_NRE;
		if (must_be_set(ms, n, m->name) && !(is_not && matcher_matches_empty(m))) {
			rc = values_postings(s, m, true, &its[n_its], e);
			empty = its[n_its++].n == 0;
		} else {
			rc = values_postings(s, m, false, &nots[n_nots++], e);
		}
	}
	if (!rc && !empty && n_its == 0)
		rc = s->ops->all_postings(s, &its[n_its++], e);
	out->n = 0;
	if (!rc && !empty && (rc = combine(its, n_its, nots, n_nots, out)))
		err_set(e, rc, "postings for matchers: out of memory");
	for (size_t i = 0; its && i < n_its; i++)
		postings_free(&its[i]);
	for (size_t i = 0; nots && i < n_nots; i++)
		postings_free(&nots[i]);
	fl_free(its);
	fl_free(nots);
	FL_SLOW_ASSERT(rc || sorted_unique(out));
	return rc;
}

/* Names (name == NULL) or values of name, of the series matching ms. */
static int labels_matching(index_source *s, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	const char **v = NULL;
	size_t k = 0;
	int rc;
	out->v = NULL;
	out->n = 0;
	if (n == 0) {
		rc = name ? s->ops->label_values(s, name, &v, &k, e) : s->ops->label_names(s, &v, &k, e);
	} else {
		postings_list p;
		postings_init(&p);
		rc = index_postings_for_matchers(s, ms, n, &p, e);
		if (!rc && p.n)
			rc = s->ops->labels_for(s, name, &p, &v, &k, e);
		postings_free(&p);
	}
	if (rc) {
		fl_free(v);
		return rc;
	}
	return strlist_take_sorted(out, v, k, e);
}

int index_label_names_matching(index_source *s, const matcher *ms, size_t n, strlist *out, err *e)
{
	return labels_matching(s, NULL, ms, n, out, e);
}

int index_label_values_matching(index_source *s, const char *name, const matcher *ms, size_t n, strlist *out,
				err *e)
{
	return labels_matching(s, name, ms, n, out, e);
}
