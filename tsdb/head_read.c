/*
 * head_read.c - reading the head: its index-reader seam, the querier, its
 * series set and sample iterator (Prometheus tsdb/querier.go
 * PostingsForMatchers, tsdb/head_read.go, memSafeIterator).
 *
 * The head offers the index-reader seam (index.h index_source: label
 * names and values from the interned strings, postings from mem_postings);
 * PostingsForMatchers and the label APIs over it live in querier.c, shared
 * with the blocks.
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
#include "tsdb/index.h"

#include <stdlib.h>

/* ---- the index-reader seam over the head (index.h) ---- */

typedef struct hsrc {
	index_source base; /* must be first */
	head *h;           /* borrowed */
} hsrc;

static int src_nomem(err *e) { return err_set(e, FL_ENOMEM, "head: out of memory reading the index"); }

/* Replace ids[0..n) (owned, freed here) by their strings in *out. */
static int ids_to_strs(head *h, uint32_t *ids, size_t n, const char ***out, err *e)
{
	*out = NULL;
	if (n == 0) {
		fl_free(ids);
		return 0;
	}
	const char **v = fl_malloc(n * sizeof *v);
	if (v)
		for (size_t i = 0; i < n; i++)
			v[i] = intern_str(h->strs, ids[i]);
	fl_free(ids);
	*out = v;
	return v ? 0 : src_nomem(e);
}

static int hsrc_label_names(index_source *s, const char ***names, size_t *n, err *e)
{
	head *h = ((hsrc *)s)->h;
	uint32_t *ids = NULL;
	if (mem_postings_names(h->postings, &ids, n))
		return src_nomem(e);
	return ids_to_strs(h, ids, *n, names, e);
}

static int hsrc_label_values(index_source *s, const char *name, const char ***vals, size_t *n, err *e)
{
	head *h = ((hsrc *)s)->h;
	uint32_t nid = intern_lookup(h->strs, name, strlen(name)), *ids = NULL;
	*vals = NULL;
	*n = 0;
	if (!nid)
		return 0;
	if (mem_postings_values(h->postings, nid, &ids, n))
		return src_nomem(e);
	return ids_to_strs(h, ids, *n, vals, e);
}

static int hsrc_postings(index_source *s, const char *name, const char *const *vals, size_t n, postings_list *out,
			 err *e)
{
	head *h = ((hsrc *)s)->h;
	out->n = 0;
	uint32_t nid = intern_lookup(h->strs, name, strlen(name));
	if (!nid || n == 0)
		return 0;
	uint32_t one, *ids = n == 1 ? &one : fl_malloc(n * sizeof *ids);
	if (!ids)
		return src_nomem(e);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = intern_lookup(h->strs, vals[i], strlen(vals[i]));
		if (id)
			ids[k++] = id;
	}
	int rc = mem_postings_get_many(h->postings, nid, ids, k, out);
	if (ids != &one)
		fl_free(ids);
	return rc ? src_nomem(e) : 0;
}

static int hsrc_all_postings(index_source *s, postings_list *out, err *e)
{
	return mem_postings_all(((hsrc *)s)->h->postings, out) ? src_nomem(e) : 0;
}

/* Names (name == NULL) or values of name on the series in p. */
static int hsrc_labels_for(index_source *s, const char *name, const postings_list *p, const char ***out, size_t *n,
			   err *e)
{
	head *h = ((hsrc *)s)->h;
	uint32_t nid = name ? intern_lookup(h->strs, name, strlen(name)) : 0;
	postings_list acc;
	postings_init(&acc);
	*out = NULL;
	*n = 0;
	if (name && !nid)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		hseries *hs = head__series_by_ref(h, p->v[i]);
		for (uint16_t k = 0; hs && k < hs->n_labels; k++) {
			if (nid && hs->lbl[2 * k] != nid)
				continue;
			if (postings_push(&acc, hs->lbl[2 * k + (nid ? 1 : 0)])) {
				postings_free(&acc);
				return src_nomem(e);
			}
		}
	}
	postings_sort_unique(&acc);
	*n = acc.n;
	return ids_to_strs(h, acc.v, acc.n, out, e);
}

static const struct index_source_ops hsrc_ops = {hsrc_label_names, hsrc_label_values, hsrc_postings,
						 hsrc_all_postings, hsrc_labels_for};

#define HSRC(h) (&(hsrc){{&hsrc_ops}, (h)}.base)

int head__postings_for_matchers(head *h, const matcher *ms, size_t n, postings_list *out)
{
	return index_postings_for_matchers(HSRC(h), ms, n, out, NULL);
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
	bool in_chunk;      /* bt/bv hold ck[ci]'s samples */
	bool valid;         /* a current sample exists (t, v) */
	int64_t *bt;        /* ck[ci]'s samples, decoded at once (xor_iter_next_batch) */
	double *bv;         /* their values */
	size_t bn, bi;      /* decoded, next unread */
	size_t bt_cap, bv_cap; /* allocated */
	int bad;            /* ck[ci] is corrupt after its bn samples */
	int64_t t;          /* current sample */
	double v;
	const tomb *del;    /* the series' deleted intervals (the querier's pinned set) */
	size_t n_del;       /* count */
	hst_ent *st;        /* copy of the series' start timestamps in range */
	size_t n_st, cap_st, sti; /* count, allocated, cursor (times only grow) */
	int err;            /* 0 or FL_ECORRUPT / FL_ENOMEM */
} hiter;

/* Decode chunk ci whole into bt/bv. */
static bool hi_open_chunk(hiter *it)
{
	hck *c = &it->ck[it->ci];
	xor_iter x;
	xor_iter_init(&x, c->b, c->len, c->limit);
	size_t n = x.err ? 0 : x.total;
	if (!fl_grow((void **)&it->bt, &it->bt_cap, n, sizeof *it->bt) ||
	    !fl_grow((void **)&it->bv, &it->bv_cap, n, sizeof *it->bv)) {
		it->err = FL_ENOMEM;
		it->ci = it->n_ck;
		return false;
	}
	it->bn = n ? xor_iter_next_batch(&x, it->bt, it->bv, n) : 0;
	it->bad = x.err ? x.err : it->bn < n ? FL_ECORRUPT : 0;
	it->bi = 0;
	it->in_chunk = true;
	return true;
}

/* Advance to the next decoded sample at all (ignoring the range start). */
static bool hi_step(hiter *it)
{
	while (it->ci < it->n_ck) {
		if (!it->in_chunk && !hi_open_chunk(it))
			return false;
		if (it->bi < it->bn) {
			it->t = it->bt[it->bi];
			it->v = it->bv[it->bi++];
			return true;
		}
		if (it->bad) {
			it->err = it->bad;
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
	it->valid = ok && it->t <= it->maxt;
	if (!it->valid)
		it->ci = it->n_ck;
	return it->valid ? VAL_FLOAT : VAL_NONE;
}

static int hi_next(sample_iter *si)
{
	hiter *it = (hiter *)si;
	bool ok;
	while ((ok = hi_step(it)) && (it->t < it->mint || tombstones_contain(it->del, it->n_del, it->t)))
		;
	return hi_finish(it, ok);
}

static int hi_seek(sample_iter *si, int64_t t)
{
	hiter *it = (hiter *)si;
	if (it->valid && it->t >= t)
		return VAL_FLOAT;
	if (t < it->mint)
		t = it->mint;
	/* Skip whole chunks that end before t. */
	while (it->ci < it->n_ck && it->ck[it->ci].maxt < t) {
		it->ci++;
		it->in_chunk = false;
	}
	bool ok;
	while ((ok = hi_step(it)) && (it->t < t || tombstones_contain(it->del, it->n_del, it->t)))
		;
	return hi_finish(it, ok);
}

static void hi_at(sample_iter *si, int64_t *t, double *v)
{
	hiter *it = (hiter *)si;
	*t = it->t;
	*v = it->v;
}

/* The start timestamp of the sample at t (times only grow). */
static int64_t hi_st_of(hiter *it, int64_t t)
{
	while (it->sti < it->n_st && it->st[it->sti].t < t)
		it->sti++;
	return it->sti < it->n_st && it->st[it->sti].t == t ? it->st[it->sti].st : 0;
}

static int64_t hi_at_st(sample_iter *si)
{
	hiter *it = (hiter *)si;
	return hi_st_of(it, it->t);
}

/* sample_iter read: runs of the decoded chunk copied straight out; the
 * rest (chunk openings, deletions, samples before mint) one hi_next at a
 * time, taking back a sample past maxt (bt[bi - 1] of the chunk then). */
static size_t hi_read(sample_iter *si, int64_t maxt, sample *out, int64_t *st, size_t cap)
{
	hiter *it = (hiter *)si;
	size_t k = 0;
	if (maxt > it->maxt)
		maxt = it->maxt;
	while (k < cap) {
		if (it->in_chunk && it->bi < it->bn && it->n_del == 0 && it->bt[it->bi] >= it->mint) {
			size_t from = it->bi;
			it->bi = sample_run_copy(it->bt, it->bv, from, it->bn, maxt, out + k, cap - k);
			for (size_t j = from; st && j < it->bi; j++)
				st[k + j - from] = hi_st_of(it, it->bt[j]);
			k += it->bi - from;
			if (it->bi > from) {
				it->t = out[k - 1].t;
				it->v = out[k - 1].v;
				it->valid = true;
			}
			if (it->bi < it->bn)
				break; /* past maxt, or cap reached */
			continue;
		}
		int64_t pt = it->t;
		double pv = it->v;
		bool pvalid = it->valid;
		if (hi_next(si) != VAL_FLOAT)
			break;
		if (it->t > maxt) {
			it->bi--;
			it->t = pt;
			it->v = pv;
			it->valid = pvalid;
			break;
		}
		out[k].t = it->t;
		out[k].v = it->v;
		if (st)
			st[k] = hi_st_of(it, it->t);
		k++;
	}
	return k;
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
	fl_free(it->bt);
	fl_free(it->bv);
	fl_free(it->copy);
	fl_free(it->st);
	fl_free(it);
}

static const struct sample_iter_ops hiter_ops = {hi_next, hi_seek, hi_at, hi_err, hi_close, hi_at_st, hi_read};

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
	int epoch;     /* head__epoch_enter token: series it finds stay allocated */
	tomb_set *ts;  /* the head's tombstones when opened, pinned */
} hq;

typedef struct hset {
	series_set base; /* must be first */
	hq *q;           /* querier */
	snap *v;         /* selected series */
	size_t n;        /* count */
	size_t i;        /* next index; current is i - 1 */
	int64_t mint;    /* the select's range (querier_select_range) */
	int64_t maxt;
	sample_iter *ck_it; /* hs_chunks' collector (an hiter), owned */
	series_chunks cl;   /* the current series' chunk view (hs_chunks) */
	tinterval *del;     /* hs_chunks' deleted intervals */
	size_t del_cap;     /* their capacity */
} hset;

static bool push_ck(hiter *it, hck c)
{
	if (!fl_grow((void **)&it->ck, &it->cap_ck, it->n_ck + 1, sizeof *it->ck))
		return false;
	it->ck[it->n_ck++] = c;
	return true;
}

/* Push closed chunk c (its bytes from the head-chunk files) decoding
 * `limit` samples (0 = all) up to maxt. */
static bool push_closed(hiter *it, head *h, const hchunk *c, int64_t maxt, uint16_t limit)
{
	const uint8_t *b;
	size_t len;
	err e;
	if (hchunks_get(h->chunks, c->ref, &b, &len, &e)) {
		it->err = FL_ECORRUPT;
		return true;
	}
	return push_ck(it, (hck){c->mint, maxt, b, (uint32_t)len, limit});
}

/* Collect the visible chunks of sn overlapping [mint, maxt] (series locked).
 * A closed chunk wholly inside a deleted interval is left out; the open
 * chunk never is: Prometheus's head index gives it maxTime MaxInt64, so no
 * (clamped) interval covers it and a series with an open chunk is still
 * selected, its samples hidden by the iterator (what /api/v1/series shows). */
static bool collect_chunks(hiter *it, head *h, const snap *sn)
{
	hseries *s = sn->s;
	/* Views count chunks from the series' first ever (head_truncate may
	 * have dropped some from the front since: those are below the range). */
	uint32_t base = s->n_dropped;
	for (uint32_t k = base; k < sn->v.n_closed; k++) {
		hchunk *c = &s->closed[k - base];
		if (c->maxt >= it->mint && c->mint <= it->maxt && !tombstones_cover(it->del, it->n_del, c->mint, c->maxt) &&
		    !push_closed(it, h, c, c->maxt, 0))
			return false;
	}
	if (!sn->v.open_n || sn->v.n_closed < base)
		return true;
	if (base + s->n_closed > sn->v.n_closed) { /* the open chunk was cut since */
		hchunk *c = &s->closed[sn->v.n_closed - base];
		if (c->mint > it->maxt || sn->v.last_t < it->mint)
			return true;
		return push_closed(it, h, c, sn->v.last_t, sn->v.open_n);
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
	it->mint = set->mint;
	it->maxt = set->maxt;
	it->n_ck = it->ci = it->n_st = it->sti = 0;
	it->in_chunk = it->valid = false;
	it->err = 0;
	it->del = NULL;
	it->n_del = 0;
	if (set->i == 0 || set->i > set->n)
		return &it->base;
	const snap *sn = &set->v[set->i - 1];
	it->del = tombstones_set_get(set->q->ts, sn->s->ref, &it->n_del);
	head__series_lock(sn->s);
	bool ok = collect_chunks(it, set->q->h, sn) && collect_st(it, sn->s);
	head__series_unlock(sn->s);
	if (it->err) {
		it->n_ck = 0;
	} else if (!ok) {
		it->n_ck = 0;
		it->err = FL_ENOMEM;
	}
	return &it->base;
}

static sample_iter *hs_iter(series_set *ss, sample_iter *reuse);

/* Does the current series keep a chunk outside its deleted intervals? */
static bool hs_visible(hset *set)
{
	size_t n_del;
	if (!tombstones_set_get(set->q->ts, set->v[set->i - 1].s->ref, &n_del))
		return true;
	set->ck_it = hs_iter(&set->base, set->ck_it);
	return !set->ck_it || ((hiter *)set->ck_it)->n_ck > 0 || ((hiter *)set->ck_it)->err;
}

static bool hs_next(series_set *ss)
{
	hset *set = (hset *)ss;
	while (set->i < set->n) {
		set->i++;
		if (hs_visible(set))
			return true;
	}
	set->i = set->n + 1;
	return false;
}

static labels hs_labels(series_set *ss)
{
	hset *set = (hset *)ss;
	labels none = {NULL, 0};
	return set->i && set->i <= set->n ? set->v[set->i - 1].ls : none;
}

static int hs_err(series_set *ss, err *e) { return 0; }

/* The chunk view: the chunks an iterator would decode (closed ones as
 * they are, the open one as the iterator's snapshot copy), re-encoded only
 * where trimmed to the range or cut to the visible sample count. */
static int hs_chunks(series_set *ss, const chunk_data **out, size_t *n, err *e)
{
	hset *set = (hset *)ss;
	series_chunks_reset(&set->cl);
	set->ck_it = hs_iter(ss, set->ck_it);
	if (!set->ck_it)
		return err_set(e, FL_ENOMEM, "head: out of memory reading chunks");
	hiter *it = (hiter *)set->ck_it;
	int rc = hi_err(set->ck_it, e);
	if (!rc && it->n_del > set->del_cap) {
		tinterval *d = fl_realloc(set->del, it->n_del * sizeof *d);
		if (!d)
			return err_set(e, FL_ENOMEM, "head: out of memory reading chunks");
		set->del = d;
		set->del_cap = it->n_del;
	}
	for (size_t i = 0; !rc && i < it->n_del; i++)
		set->del[i] = (tinterval){it->del[i].mint, it->del[i].maxt};
	for (size_t k = 0; k < it->n_ck && !rc; k++) {
		const hck *c = &it->ck[k];
		rc = series_chunks_add_xor(&set->cl, c->b, c->len, c->limit, c->mint, c->maxt, set->mint, set->maxt, set->del,
					it->n_del, e);
	}
	*out = set->cl.v;
	*n = rc ? 0 : set->cl.n;
	return rc;
}

static void hs_close(series_set *ss)
{
	hset *set = (hset *)ss;
	sample_iter_close(set->ck_it);
	series_chunks_free(&set->cl);
	fl_free(set->del);
	fl_free(set->v);
	fl_free(set);
}

static const struct series_set_ops hset_ops = {hs_next, hs_labels, hs_iter, hs_err, hs_close, hs_chunks};

static int cmp_snap(const void *a, const void *b)
{
	return labels_compare(((const snap *)a)->ls, ((const snap *)b)->ls);
}

/* Record what the querier sees of each listed series with samples in range. */
static size_t take_snapshot(hq *q, const postings_list *p, int64_t mint, int64_t maxt, snap *v)
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
		if (vis && first <= maxt && hv.last_t >= mint)
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
	int64_t mint, maxt;
	querier_select_range(qq, hints, &mint, &maxt);
	if (mint > maxt || !head_overlaps(h, mint, maxt))
		return series_set_empty();
	postings_list p;
	postings_init(&p);
	hset *set = fl_calloc(1, sizeof *set);
	if (!set || head__postings_for_matchers(h, ms, n, &p))
		goto oom;
	set->base.ops = &hset_ops;
	set->q = q;
	series_chunks_init(&set->cl);
	set->mint = mint;
	set->maxt = maxt;
	set->v = fl_malloc((p.n ? p.n : 1) * sizeof *set->v);
	if (!set->v)
		goto oom;
	set->n = take_snapshot(q, &p, set->mint, set->maxt, set->v);
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

static int hq_label_names(querier *qq, const matcher *ms, size_t n, strlist *out, err *e)
{
	hq *q = (hq *)qq;
	if (!head_overlaps(q->h, qq->mint, qq->maxt))
		return strlist_take_sorted(out, NULL, 0, e);
	return index_label_names_matching(HSRC(q->h), ms, n, out, e);
}

static int hq_label_values(querier *qq, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	hq *q = (hq *)qq;
	if (!head_overlaps(q->h, qq->mint, qq->maxt))
		return strlist_take_sorted(out, NULL, 0, e);
	return index_label_values_matching(HSRC(q->h), name, ms, n, out, e);
}

static void hq_close(querier *qq)
{
	hq *q = (hq *)qq;
	head__reader_close(q->h, q->snap, q->base.mint);
	head__epoch_exit(q->h, q->epoch);
	tombstones_set_release(q->ts);
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
	q->epoch = head__epoch_enter(h);
	q->ts = tombstones_holder_acquire(&h->tombs);
	q->base.ops = &hq_ops;
	q->base.mint = mint;
	q->base.maxt = maxt;
	q->h = h;
	arena_init(&q->ar);
	return &q->base;
}
