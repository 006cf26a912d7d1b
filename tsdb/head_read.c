/*
 * head_read.c - reading the head: PostingsForMatchers, the querier, its
 * series set and sample iterator (Prometheus tsdb/querier.go
 * PostingsForMatchers, tsdb/head_read.go, memSafeIterator).
 *
 * PostingsForMatchers semantics (upstream, exactly):
 *   - a label "must be set" when some matcher on it does not match "";
 *   - for such a label, `!=`/`!~` matchers whose inner matcher does not
 *     match "" are subtracted ("notIts"); other matchers intersect
 *     ("its"), and an empty one makes the result empty;
 *   - a matcher on a label that need not be set (it matches "") subtracts
 *     the series whose value it does not match, so series lacking the label
 *     match (`{a=""}`, `{a=~"x|"}`);
 *   - with nothing to intersect, start from all postings.
 * Values are found directly for `=` and literal-set regexes
 * (matcher_regex_set), else by scanning the label's values (the matcher's
 * own prefix / set fast paths run per value).
 *
 * Isolation: select takes commit_mu exclusively while it records, per
 * selected series, how many closed chunks and open-chunk samples exist
 * (no commit is half-applied then), and iterators decode exactly that:
 * closed chunks are immutable, the open chunk is copied under the stripe
 * lock and decoded up to the recorded count. The postings are computed
 * again under the lock when series were indexed meanwhile (a series is
 * indexed before its first commit, so none with visible samples is
 * missed). A select therefore sees each commit entirely or not at all; two selects of one querier may see
 * different (each consistent) snapshots.
 */
#include "tsdb/head_int.h"

#include <stdlib.h>

/* ---- postings for matchers ---- */

static const char *const *single(const matcher *m) { return (const char *const *)&m->value; }

/* Postings of series whose label m->name has a value v with
 * matcher_matches(m, v) == want. */
static int values_postings(head *h, const matcher *m, bool want, postings_list *out)
{
	out->n = 0;
	uint32_t name = intern_lookup(h->strs, m->name, strlen(m->name));
	if (!name)
		return 0;
	const char *const *lits = NULL;
	size_t n_lits = 0;
	if ((m->type == MATCH_EQ && want) || (m->type == MATCH_NEQ && !want)) {
		lits = single(m);
		n_lits = 1;
	} else if ((m->type == MATCH_RE && want) || (m->type == MATCH_NRE && !want)) {
		n_lits = matcher_regex_set(m, &lits);
	}
	uint32_t *ids = NULL;
	size_t n = 0;
	int rc;
	if (lits) {
		ids = fl_malloc((n_lits ? n_lits : 1) * sizeof *ids);
		if (!ids)
			return FL_ENOMEM;
		for (size_t i = 0; i < n_lits; i++) {
			uint32_t id = intern_lookup(h->strs, lits[i], strlen(lits[i]));
			if (id)
				ids[n++] = id;
		}
	} else {
		if ((rc = mem_postings_values(h->postings, name, &ids, &n)))
			return rc;
		size_t w = 0;
		for (size_t i = 0; i < n; i++) {
			const char *v = intern_str(h->strs, ids[i]);
			if (matcher_matches(m, v, strlen(v)) == want)
				ids[w++] = ids[i];
		}
		n = w;
	}
	rc = mem_postings_get_many(h->postings, name, ids, n, out);
	fl_free(ids);
	return rc;
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

/* Intersect its[0..n_its), subtract nots[0..n_nots), into out. */
static int combine(postings_list *its, size_t n_its, postings_list *nots, size_t n_nots, postings_list *out)
{
	qsort(its, n_its, sizeof *its, cmp_len);
	postings_list cur, tmp;
	postings_init(&tmp);
	cur = its[0];
	postings_init(&its[0]);
	int rc = 0;
	for (size_t i = 1; i < n_its && !rc && cur.n; i++) {
		rc = postings_intersect(&cur, &its[i], &tmp);
		postings_list t = cur;
		cur = tmp;
		tmp = t;
	}
	for (size_t i = 0; i < n_nots && !rc && cur.n; i++) {
		rc = postings_subtract(&cur, &nots[i], &tmp);
		postings_list t = cur;
		cur = tmp;
		tmp = t;
	}
	postings_free(&tmp);
	postings_free(out);
	*out = cur;
	return rc;
}

int head__postings_for_matchers(head *h, const matcher *ms, size_t n, postings_list *out)
{
	postings_list *its = fl_calloc(n + 1, sizeof *its), *nots = fl_calloc(n + 1, sizeof *nots);
	size_t n_its = 0, n_nots = 0;
	int rc = its && nots ? 0 : FL_ENOMEM;
	bool empty = false;
	for (size_t i = 0; i < n && !rc && !empty; i++) {
		const matcher *m = &ms[i];
		if (!m->name[0] && !m->value[0])
			continue; /* upstream: the empty matcher is ignored */
		bool is_not = m->type == MATCH_NEQ || m->type == MATCH_NRE;
		bool me = matcher_matches_empty(m);
		if (must_be_set(ms, n, m->name) && !(is_not && me)) {
			rc = values_postings(h, m, true, &its[n_its]);
			empty = its[n_its++].n == 0;
		} else {
			rc = values_postings(h, m, false, &nots[n_nots++]);
		}
	}
	if (!rc && !empty && n_its == 0)
		rc = mem_postings_all(h->postings, &its[n_its++]);
	out->n = 0;
	if (!rc && !empty)
		rc = combine(its, n_its, nots, n_nots, out);
	for (size_t i = 0; its && i < n_its; i++)
		postings_free(&its[i]);
	for (size_t i = 0; nots && i < n_nots; i++)
		postings_free(&nots[i]);
	fl_free(its);
	fl_free(nots);
	return rc;
}

/* ---- sample iterator ---- */

typedef struct hck {
	int64_t mint, maxt; /* sample time range of what is decoded */
	const uint8_t *b;   /* bytes (closed chunk, or the iterator's copy) */
	uint32_t len;       /* byte length */
	uint16_t limit;     /* samples to decode (0 = all) */
} hck;

typedef struct hiter {
	sample_iter base;   /* must be first */
	int64_t mint, maxt; /* querier range */
	hck *ck;            /* chunks overlapping the range, oldest first */
	size_t n_ck, cap_ck;
	uint8_t *copy;      /* open chunk copy */
	size_t copy_cap;
	size_t ci;          /* current chunk */
	bool in_chunk;      /* xi is positioned in ck[ci] */
	bool valid;         /* a current sample exists (t, v) */
	xor_iter xi;        /* decoder of ck[ci] */
	hst_ent *st;        /* copy of the series' start timestamps in range */
	size_t n_st, cap_st, sti; /* count, allocated, cursor (times only grow) */
	int err;            /* 0 or FL_ECORRUPT / FL_ENOMEM */
} hiter;

/* Advance to the next decoded sample at all (ignoring the range start). */
static bool hi_step(hiter *it)
{
	while (it->ci < it->n_ck) {
		if (!it->in_chunk) {
			hck *c = &it->ck[it->ci];
			xor_iter_init(&it->xi, c->b, c->len, c->limit);
			it->in_chunk = true;
		}
		if (xor_iter_next(&it->xi))
			return true;
		if (it->xi.err) {
			it->err = it->xi.err;
			it->ci = it->n_ck;
			return false;
		}
		it->ci++;
		it->in_chunk = false;
	}
	return false;
}

static int hi_finish(hiter *it, bool ok)
{
	it->valid = ok && it->xi.t <= it->maxt;
	if (!it->valid)
		it->ci = it->n_ck;
	return it->valid ? VAL_FLOAT : VAL_NONE;
}

static int hi_next(sample_iter *si)
{
	hiter *it = (hiter *)si;
	bool ok;
	while ((ok = hi_step(it)) && it->xi.t < it->mint)
		;
	return hi_finish(it, ok);
}

static int hi_seek(sample_iter *si, int64_t t)
{
	hiter *it = (hiter *)si;
	if (it->valid && it->xi.t >= t)
		return VAL_FLOAT;
	if (t < it->mint)
		t = it->mint;
	/* Skip whole chunks that end before t. */
	while (it->ci < it->n_ck && it->ck[it->ci].maxt < t) {
		it->ci++;
		it->in_chunk = false;
	}
	bool ok;
	while ((ok = hi_step(it)) && it->xi.t < t)
		;
	return hi_finish(it, ok);
}

static void hi_at(sample_iter *si, int64_t *t, double *v)
{
	hiter *it = (hiter *)si;
	*t = it->xi.t;
	*v = it->xi.v;
}

static int64_t hi_at_st(sample_iter *si)
{
	hiter *it = (hiter *)si;
	while (it->sti < it->n_st && it->st[it->sti].t < it->xi.t)
		it->sti++;
	return it->sti < it->n_st && it->st[it->sti].t == it->xi.t ? it->st[it->sti].st : 0;
}

static int hi_err(sample_iter *si, err *e)
{
	hiter *it = (hiter *)si;
	if (!it->err)
		return 0;
	return err_set(e, it->err, "head: %s decoding chunk %zu", it->err == FL_ENOMEM ? "out of memory" : "corrupt data",
		       it->ci);
}

static void hi_close(sample_iter *si)
{
	hiter *it = (hiter *)si;
	fl_free(it->ck);
	fl_free(it->copy);
	fl_free(it->st);
	fl_free(it);
}

static const struct sample_iter_ops hiter_ops = {hi_next, hi_seek, hi_at, hi_err, hi_close, hi_at_st};

/* ---- series set ---- */

typedef struct snap {
	hseries *s; /* the series */
	labels ls;  /* materialized in the querier arena */
	hview v;    /* what the querier sees of it */
} snap;

typedef struct hq {
	querier base;  /* must be first */
	head *h;       /* owner */
	arena ar;      /* labels handed out */
	uint64_t snap; /* isolation snapshot number */
} hq;

typedef struct hset {
	series_set base; /* must be first */
	hq *q;           /* querier */
	snap *v;         /* selected series */
	size_t n;        /* count */
	size_t i;        /* next index; current is i - 1 */
} hset;

static bool push_ck(hiter *it, hck c)
{
	if (!fl_grow((void **)&it->ck, &it->cap_ck, it->n_ck + 1, sizeof *it->ck))
		return false;
	it->ck[it->n_ck++] = c;
	return true;
}

/* Collect the visible chunks of sn overlapping [mint, maxt] (series locked). */
static bool collect_chunks(hiter *it, const snap *sn)
{
	hseries *s = sn->s;
	/* Views count chunks from the series' first ever (head_truncate may
	 * have dropped some from the front since: those are below the range). */
	uint32_t base = s->n_dropped;
	for (uint32_t k = base; k < sn->v.n_closed; k++) {
		hchunk *c = &s->closed[k - base];
		if (c->maxt >= it->mint && c->mint <= it->maxt && !push_ck(it, (hck){c->mint, c->maxt, c->b, c->len, 0}))
			return false;
	}
	if (!sn->v.open_n || sn->v.n_closed < base)
		return true;
	if (base + s->n_closed > sn->v.n_closed) { /* the open chunk was cut since */
		hchunk *c = &s->closed[sn->v.n_closed - base];
		if (c->mint > it->maxt || sn->v.last_t < it->mint)
			return true;
		return push_ck(it, (hck){c->mint, sn->v.last_t, c->b, c->len, sn->v.open_n});
	}
	if (s->open_mint > it->maxt || sn->v.last_t < it->mint)
		return true;
	if (s->app.len > it->copy_cap) {
		uint8_t *p = fl_realloc(it->copy, s->app.len);
		if (!p)
			return false;
		it->copy = p;
		it->copy_cap = s->app.len;
	}
	memcpy(it->copy, s->app.b, s->app.len);
	return push_ck(it, (hck){s->open_mint, sn->v.last_t, it->copy, (uint32_t)s->app.len, sn->v.open_n});
}

/* Copy the start timestamps of samples in the iterator's range (series
 * lock held); series without any cost nothing. */
static bool collect_st(hiter *it, const hseries *s)
{
	if (!s->st)
		return true;
	const hst *x = s->st;
	size_t lo = 0;
	while (lo < x->n && x->e[lo].t < it->mint)
		lo++;
	size_t hi = lo;
	while (hi < x->n && x->e[hi].t <= it->maxt)
		hi++;
	if (hi - lo > it->cap_st) {
		hst_ent *ne = fl_realloc(it->st, (hi - lo) * sizeof *ne);
		if (!ne)
			return false;
		it->st = ne;
		it->cap_st = hi - lo;
	}
	if (hi > lo)
		memcpy(it->st, x->e + lo, (hi - lo) * sizeof *x->e);
	it->n_st = hi - lo;
	return true;
}

static sample_iter *hs_iter(series_set *ss, sample_iter *reuse)
{
	hset *set = (hset *)ss;
	hiter *it = NULL;
	if (reuse && reuse->ops == &hiter_ops)
		it = (hiter *)reuse;
	else {
		sample_iter_close(reuse);
		it = fl_calloc(1, sizeof *it);
		if (!it)
			return NULL;
		it->base.ops = &hiter_ops;
	}
	it->mint = set->q->base.mint;
	it->maxt = set->q->base.maxt;
	it->n_ck = it->ci = it->n_st = it->sti = 0;
	it->in_chunk = it->valid = false;
	it->err = 0;
	if (set->i == 0 || set->i > set->n)
		return &it->base;
	const snap *sn = &set->v[set->i - 1];
	head__series_lock(sn->s);
	bool ok = collect_chunks(it, sn) && collect_st(it, sn->s);
	head__series_unlock(sn->s);
	if (!ok) {
		it->n_ck = 0;
		it->err = FL_ENOMEM;
	}
	return &it->base;
}

static bool hs_next(series_set *ss)
{
	hset *set = (hset *)ss;
	if (set->i >= set->n) {
		set->i = set->n + 1;
		return false;
	}
	set->i++;
	return true;
}

static labels hs_labels(series_set *ss)
{
	hset *set = (hset *)ss;
	labels none = {NULL, 0};
	return set->i && set->i <= set->n ? set->v[set->i - 1].ls : none;
}

static int hs_err(series_set *ss, err *e) { return 0; }

static void hs_close(series_set *ss)
{
	hset *set = (hset *)ss;
	fl_free(set->v);
	fl_free(set);
}

static const struct series_set_ops hset_ops = {hs_next, hs_labels, hs_iter, hs_err, hs_close};

static int cmp_snap(const void *a, const void *b)
{
	return labels_compare(((const snap *)a)->ls, ((const snap *)b)->ls);
}

/* Record what the querier sees of each listed series with samples in range. */
static size_t take_snapshot(hq *q, const postings_list *p, snap *v)
{
	head *h = q->h;
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		hseries *s = head__series_by_ref(h, p->v[i]);
		if (!s)
			continue;
		head__series_lock(s);
		hview hv;
		bool vis = head__series_view(s, q->snap, &hv) && (s->n_closed || s->app.n);
		int64_t first = vis ? (s->n_closed ? s->closed[0].mint : s->open_mint) : 0;
		head__series_unlock(s);
		if (vis && first <= q->base.maxt && hv.last_t >= q->base.mint)
			v[n++] = (snap){s, {NULL, 0}, hv};
	}
	return n;
}

static bool head_overlaps(head *h, int64_t mint, int64_t maxt)
{
	int64_t hmin = atomic_load(&h->min_time), hmax = atomic_load(&h->max_time);
	return hmax != INT64_MIN && hmin <= maxt && hmax >= mint;
}

static series_set *hq_select(querier *qq, bool sorted, const select_hints *hints, const matcher *ms, size_t n)
{
	hq *q = (hq *)qq;
	head *h = q->h;
	if (!head_overlaps(h, qq->mint, qq->maxt))
		return series_set_empty();
	postings_list p;
	postings_init(&p);
	hset *set = fl_calloc(1, sizeof *set);
	if (!set || head__postings_for_matchers(h, ms, n, &p))
		goto oom;
	set->base.ops = &hset_ops;
	set->q = q;
	set->v = fl_malloc((p.n ? p.n : 1) * sizeof *set->v);
	if (!set->v)
		goto oom;
	set->n = take_snapshot(q, &p, set->v);
	postings_free(&p);
	for (size_t i = 0; i < set->n; i++) {
		set->v[i].ls = head__series_labels(h, set->v[i].s, &q->ar);
		if (!set->v[i].ls.v)
			goto oom;
	}
	if (sorted)
		qsort(set->v, set->n, sizeof *set->v, cmp_snap);
	return &set->base;
oom:
	postings_free(&p);
	if (set)
		fl_free(set->v);
	fl_free(set);
	return series_set_error(FL_ENOMEM, "head: out of memory selecting series");
}

/* ---- label names and values ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Turn ids into a sorted unique strlist (takes ownership of ids). */
static int ids_to_strlist(head *h, uint32_t *ids, size_t n, strlist *out, err *e)
{
	postings_list p = {ids, n, n};
	postings_sort_unique(&p);
	out->v = fl_malloc((p.n ? p.n : 1) * sizeof *out->v);
	if (!out->v) {
		fl_free(ids);
		return err_set(e, FL_ENOMEM, "head: out of memory");
	}
	for (size_t i = 0; i < p.n; i++)
		out->v[i] = intern_str(h->strs, p.v[i]);
	out->n = p.n;
	qsort(out->v, out->n, sizeof *out->v, cmp_str);
	fl_free(ids);
	return 0;
}

/* ids of label names (name == 0) or of values of name, on series in p. */
static int ids_of_series(head *h, const postings_list *p, uint32_t name, uint32_t **ids, size_t *n)
{
	postings_list acc;
	postings_init(&acc);
	for (size_t i = 0; i < p->n; i++) {
		hseries *s = head__series_by_ref(h, p->v[i]);
		if (!s)
			continue;
		for (uint16_t k = 0; k < s->n_labels; k++) {
			if (name && s->lbl[2 * k] != name)
				continue;
			if (postings_push(&acc, s->lbl[2 * k + (name ? 1 : 0)])) {
				postings_free(&acc);
				return FL_ENOMEM;
			}
		}
	}
	*ids = acc.v;
	*n = acc.n;
	return 0;
}

static int hq_label_names(querier *qq, const matcher *ms, size_t n, strlist *out, err *e)
{
	hq *q = (hq *)qq;
	out->v = NULL;
	out->n = 0;
	uint32_t *ids = NULL;
	size_t k = 0;
	int rc;
	if (!head_overlaps(q->h, qq->mint, qq->maxt))
		return ids_to_strlist(q->h, NULL, 0, out, e);
	if (n == 0) {
		rc = mem_postings_names(q->h->postings, &ids, &k);
	} else {
		postings_list p;
		postings_init(&p);
		rc = head__postings_for_matchers(q->h, ms, n, &p);
		if (!rc)
			rc = ids_of_series(q->h, &p, 0, &ids, &k);
		postings_free(&p);
	}
	if (rc)
		return err_set(e, rc, "head: out of memory listing label names");
	return ids_to_strlist(q->h, ids, k, out, e);
}

static int hq_label_values(querier *qq, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	hq *q = (hq *)qq;
	out->v = NULL;
	out->n = 0;
	uint32_t nid = intern_lookup(q->h->strs, name, strlen(name));
	uint32_t *ids = NULL;
	size_t k = 0;
	int rc = 0;
	if (!nid || !head_overlaps(q->h, qq->mint, qq->maxt))
		return ids_to_strlist(q->h, NULL, 0, out, e);
	if (n == 0) {
		rc = mem_postings_values(q->h->postings, nid, &ids, &k);
	} else {
		postings_list p;
		postings_init(&p);
		rc = head__postings_for_matchers(q->h, ms, n, &p);
		if (!rc)
			rc = ids_of_series(q->h, &p, nid, &ids, &k);
		postings_free(&p);
	}
	if (rc)
		return err_set(e, rc, "head: out of memory listing label values of %s", name);
	return ids_to_strlist(q->h, ids, k, out, e);
}

static void hq_close(querier *qq)
{
	hq *q = (hq *)qq;
	head__reader_close(q->h, q->snap, q->base.mint);
	arena_reset(&q->ar);
	fl_free(q);
}

static const struct querier_ops hq_ops = {hq_select, hq_label_names, hq_label_values, hq_close};

querier *head__querier(head *h, int64_t mint, int64_t maxt, err *e)
{
	hq *q = fl_calloc(1, sizeof *q);
	if (!q) {
		err_set(e, FL_ENOMEM, "head: out of memory opening querier");
		return NULL;
	}
	if (head__reader_open(h, &mint, &q->snap)) {
		fl_free(q);
		err_set(e, FL_ENOMEM, "head: out of memory opening querier");
		return NULL;
	}
	q->base.ops = &hq_ops;
	q->base.mint = mint;
	q->base.maxt = maxt;
	q->h = h;
	arena_init(&q->ar);
	return &q->base;
}
