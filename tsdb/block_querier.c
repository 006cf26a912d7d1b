/*
 * block_querier.c - the storage.h querier over one block (Prometheus
 * tsdb/querier.go blockQuerier, blockSeriesSet, populateWithDelSeriesIterator).
 *
 * select: the index turns the matchers into sorted series refs (sorted refs
 * are sorted label sets); each series keeps only the chunks that overlap
 * the select's [mint, maxt] (the querier's range narrowed to the hints',
 * querier_select_range) and are not wholly deleted, and a series left with none is
 * skipped. Its iterator decodes those chunks in order, drops samples outside
 * [mint, maxt] or inside a tombstone interval, and never goes back in time
 * (a sample not after the previous one is skipped, so overlapping chunks
 * cannot break the seek contract).
 *
 * Ownership: label arrays come from the querier's arena and point at the
 * index's symbol strings, so they live until querier_close; the block must
 * outlive its queriers. With hints' labels_transient (compaction) they come
 * from the set's own arena, emptied now and then by the next series_set_next
 * instead (a million series' labels are not kept). A querier is used by one
 * thread at a time.
 */
#include "tsdb/block_int.h"
#include "tsdb/chunk.h"

#include <stdio.h>

typedef struct bquerier {
	querier base; /* must be first */
	block *b;     /* borrowed */
	arena a;      /* labels handed out */
	tomb_set *ts; /* the block's tombstones when opened, pinned */
} bquerier;

typedef struct bset {
	series_set base;   /* must be first */
	bquerier *q;       /* owner */
	uint32_t *refs;    /* matching series, sorted */
	size_t n_refs;     /* count */
	size_t i;          /* next ref to read */
	labels cur;        /* current series' labels */
	uint64_t cur_ref;  /* current series ref */
	chunk_meta *chks;  /* current series' chunks in range */
	size_t n_chks;     /* count */
	size_t chks_cap;   /* capacity */
	int64_t mint;      /* the select's range (querier_select_range) */
	int64_t maxt;
	series_chunks cl;     /* the current series' chunk view (bs_chunks) */
	tinterval *del;    /* its deleted intervals, for cl */
	size_t del_cap;    /* capacity of del */
	bool transient;    /* labels_transient: labels from la, not q->a */
	arena la;          /* transient labels */
	err e;             /* first error */
} bset;

typedef struct biter {
	sample_iter base;  /* must be first */
	chunks_reader *cr; /* borrowed */
	chunk_meta *chks;  /* chunks to read, owned */
	size_t n_chks;     /* count */
	size_t chks_cap;   /* capacity */
	size_t ci;         /* next chunk to open */
	const tomb *tombs; /* deleted intervals, borrowed from the block */
	size_t n_tombs;    /* count */
	int64_t mint;      /* clip from */
	int64_t maxt;      /* clip to */
	int64_t *bt;       /* the open chunk's samples, decoded at once */
	double *bv;        /* their values */
	size_t bn;         /* samples in bt/bv */
	size_t bi;         /* next unread index */
	size_t bcap;       /* capacity of bt/bv */
	bool in_chunk;     /* bt/bv hold the chunk ci-1 */
	bool started;      /* t, v hold a sample */
	bool done;         /* exhausted or failed */
	int64_t t;         /* current sample */
	double v;          /* current sample */
	err e;             /* error, if any */
} biter;

/* ---------------------------------------------------------------- iterator */

static bool deleted(const biter *it, int64_t t) { return tombstones_contain(it->tombs, it->n_tombs, t); }

static int bi_fail(biter *it)
{
	it->done = true;
	it->in_chunk = false;
	return VAL_NONE;
}

/* The bytes of the XOR chunk at ref; other encodings are refused. */
static int get_xor(chunks_reader *cr, uint64_t ref, const uint8_t **data, size_t *len, err *e)
{
	uint8_t enc;
	int rc = chunks_get(cr, ref, false, &enc, data, len, e);
	if (!rc && enc != CHUNK_ENC_XOR) {
		char where[1200];
		chunks_ref_describe(cr, ref, where, sizeof where);
		rc = err_set(e, FL_EUNSUPPORTED, "chunks %s: chunk encoding %d is not supported", where, enc);
	}
	return rc;
}

/* Decode chunk ci (all of it: xor_iter_next_batch) into bt/bv. */
static bool bi_open_chunk(biter *it)
{
	const chunk_meta *c = &it->chks[it->ci++];
	const uint8_t *data;
	size_t len;
	if (get_xor(it->cr, c->ref, &data, &len, &it->e) != 0)
		return false;
	size_t n = xor_chunk_count(data, len);
	if (n > it->bcap) {
		int64_t *bt = fl_realloc(it->bt, n * sizeof *bt);
		if (bt)
			it->bt = bt;
		double *bv = bt ? fl_realloc(it->bv, n * sizeof *bv) : NULL;
		if (!bv) {
			err_set(&it->e, FL_ENOMEM, "block querier: out of memory for %zu samples", n);
			return false;
		}
		it->bv = bv;
		it->bcap = n;
	}
	xor_iter x;
	xor_iter_init(&x, data, len, 0);
	it->bn = xor_iter_next_batch(&x, it->bt, it->bv, n);
	if (it->bn != n || x.err) {
		char where[1200];
		chunks_ref_describe(it->cr, c->ref, where, sizeof where);
		err_set(&it->e, FL_ECORRUPT, "chunks %s: corrupt XOR data after %zu of %zu samples", where, it->bn, n);
		return false;
	}
	it->bi = 0;
	it->in_chunk = true;
	return true;
}

/* First index in [bi, bn) with bt[i] >= target (bn if none). */
static size_t bi_lower_bound(const biter *it, int64_t target)
{
	size_t lo = it->bi, hi = it->bn;
	if (lo < hi && it->bt[lo] >= target)
		return lo; /* the usual next() case */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (it->bt[mid] < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Move to the first visible sample with t >= target (and after the
 * current one: never back). */
static int bi_advance(biter *it, int64_t target)
{
	if (it->done)
		return VAL_NONE;
	if (target < it->mint)
		target = it->mint;
	if (it->started && target <= it->t) {
		if (it->t == INT64_MAX)
			return bi_fail(it);
		target = it->t + 1;
	}
	for (;;) {
		if (!it->in_chunk) {
			while (it->ci < it->n_chks && it->chks[it->ci].maxt < target)
				it->ci++;
			if (it->ci >= it->n_chks || !bi_open_chunk(it))
				return bi_fail(it);
		}
		size_t i = bi_lower_bound(it, target);
		if (i == it->bn) {
			it->in_chunk = false;
			continue;
		}
		int64_t t = it->bt[i];
		it->bi = i + 1;
		if (t > it->maxt)
			return bi_fail(it);
		if (deleted(it, t)) {
			if (t == INT64_MAX)
				return bi_fail(it);
			target = t + 1;
			continue;
		}
		it->t = t;
		it->v = it->bv[i];
		it->started = true;
		return VAL_FLOAT;
	}
}

static int bi_next(sample_iter *s)
{
	biter *it = (biter *)s;
	return bi_advance(it, it->mint);
}

static int bi_seek(sample_iter *s, int64_t t)
{
	biter *it = (biter *)s;
	if (it->started && !it->done && it->t >= t)
		return VAL_FLOAT;
	return bi_advance(it, t);
}

/* sample_iter read: runs of the open chunk copied straight out; the rest
 * (chunk openings, tombstones, samples before mint) one bi_advance at a
 * time, taking back a sample past maxt (it is bt[bi - 1] of the open
 * chunk then, so bi - 1 makes it next again). */
static size_t bi_read(sample_iter *s, int64_t maxt, sample *out, int64_t *st, size_t cap)
{
	biter *it = (biter *)s;
	size_t k = 0;
	if (maxt > it->maxt)
		maxt = it->maxt;
	while (k < cap && !it->done) {
		if (it->in_chunk && it->bi < it->bn && it->n_tombs == 0 && it->bt[it->bi] >= it->mint) {
			size_t i = sample_run_copy(it->bt, it->bv, it->bi, it->bn, maxt, out + k, cap - k);
			if (st)
				memset(st + k, 0, (i - it->bi) * sizeof *st);
			k += i - it->bi;
			if (i > it->bi) {
				it->t = out[k - 1].t;
				it->v = out[k - 1].v;
				it->started = true;
				it->bi = i;
			}
			if (i < it->bn)
				break; /* past maxt, or cap reached */
			continue;
		}
		int64_t pt = it->t;
		double pv = it->v;
		bool ps = it->started;
		if (bi_advance(it, it->mint) != VAL_FLOAT)
			break;
		if (it->t > maxt) {
			it->bi--;
			it->t = pt;
			it->v = pv;
			it->started = ps;
			break;
		}
		out[k].t = it->t;
		out[k].v = it->v;
		if (st)
			st[k] = 0;
		k++;
	}
	return k;
}

static void bi_at(sample_iter *s, int64_t *t, double *v)
{
	biter *it = (biter *)s;
	*t = it->t;
	*v = it->v;
}

static int bi_err(sample_iter *s, err *e)
{
	biter *it = (biter *)s;
	if (it->e.code && e)
		*e = it->e;
	return it->e.code;
}

static void bi_close(sample_iter *s)
{
	biter *it = (biter *)s;
	fl_free(it->chks);
	fl_free(it->bt);
	fl_free(it->bv);
	fl_free(it);
}

static const struct sample_iter_ops biter_ops = {bi_next, bi_seek, bi_at, bi_err, bi_close, NULL, bi_read};

/* ---------------------------------------------------------------- series set */

/* A transient set's label arena is emptied once it holds this much. */
#define TRANSIENT_LABELS_BYTES (64u << 10)

static bool chunk_visible(const chunk_meta *c, int64_t mint, int64_t maxt, const tomb *tb, size_t n_tb)
{
	return c->maxt >= mint && c->mint <= maxt && !tombstones_cover(tb, n_tb, c->mint, c->maxt);
}

static bool bs_next(series_set *s)
{
	bset *bs = (bset *)s;
	while (!bs->e.code && bs->i < bs->n_refs) {
		uint32_t ref = bs->refs[bs->i++];
		bs->n_chks = 0;
		if (bs->transient && bs->la.used > TRANSIENT_LABELS_BYTES)
			arena_reset(&bs->la); /* the previous series' labels are done with */
		arena *a = bs->transient ? &bs->la : &bs->q->a;
		if (index_series(bs->q->b->ix, ref, a, &bs->cur, &bs->chks, &bs->n_chks, &bs->chks_cap, &bs->e) != 0)
			return false;
		size_t n_tb;
		const tomb *tb = tombstones_set_get(bs->q->ts, ref, &n_tb);
		size_t w = 0;
		for (size_t k = 0; k < bs->n_chks; k++)
			if (chunk_visible(&bs->chks[k], bs->mint, bs->maxt, tb, n_tb))
				bs->chks[w++] = bs->chks[k];
		bs->n_chks = w;
		if (w == 0)
			continue;
		bs->cur_ref = ref;
		return true;
	}
	return false;
}

static labels bs_labels(series_set *s) { return ((bset *)s)->cur; }

static sample_iter *bs_iter(series_set *s, sample_iter *reuse)
{
	bset *bs = (bset *)s;
	biter *it = NULL;
	if (reuse && reuse->ops == &biter_ops) {
		it = (biter *)reuse;
	} else {
		sample_iter_close(reuse);
		it = fl_calloc(1, sizeof *it);
		if (!it)
			return NULL;
		it->base.ops = &biter_ops;
	}
	if (it->chks_cap < bs->n_chks) {
		chunk_meta *nc = fl_realloc(it->chks, bs->n_chks * sizeof *nc);
		if (!nc) {
			bi_close(&it->base);
			return NULL;
		}
		it->chks = nc;
		it->chks_cap = bs->n_chks;
	}
	/* reset everything but the owned buffers */
	biter keep = *it;
	memset(it, 0, sizeof *it);
	it->base.ops = &biter_ops;
	it->chks = keep.chks;
	it->chks_cap = keep.chks_cap;
	it->bt = keep.bt;
	it->bv = keep.bv;
	it->bcap = keep.bcap;
	it->cr = bs->q->b->cr;
	it->n_chks = bs->n_chks;
	memcpy(it->chks, bs->chks, bs->n_chks * sizeof *it->chks);
	it->tombs = tombstones_set_get(bs->q->ts, bs->cur_ref, &it->n_tombs);
	it->mint = bs->mint;
	it->maxt = bs->maxt;
	return &it->base;
}

static int bs_err(series_set *s, err *e)
{
	bset *bs = (bset *)s;
	if (bs->e.code && e)
		*e = bs->e;
	return bs->e.code;
}

/* The chunk view: stored chunks as they are, unless trimmed or touched by
 * a tombstone (series_chunks_add_xor). */
static int bs_chunks(series_set *s, const chunk_data **out, size_t *n, err *e)
{
	bset *bs = (bset *)s;
	size_t n_tb;
	const tomb *tb = tombstones_set_get(bs->q->ts, bs->cur_ref, &n_tb);
	series_chunks_reset(&bs->cl);
	if (n_tb > bs->del_cap) {
		tinterval *d = fl_realloc(bs->del, n_tb * sizeof *d);
		if (!d)
			return err_set(e, FL_ENOMEM, "block querier: out of memory");
		bs->del = d;
		bs->del_cap = n_tb;
	}
	for (size_t i = 0; i < n_tb; i++)
		bs->del[i] = (tinterval){tb[i].mint, tb[i].maxt};
	for (size_t k = 0; k < bs->n_chks; k++) {
		const chunk_meta *c = &bs->chks[k];
		const uint8_t *data;
		size_t len;
		int rc = get_xor(bs->q->b->cr, c->ref, &data, &len, e);
		if (!rc)
			rc = series_chunks_add_xor(&bs->cl, data, len, 0, c->mint, c->maxt, bs->mint, bs->maxt, bs->del, n_tb, e);
		if (rc)
			return rc;
	}
	*out = bs->cl.v;
	*n = bs->cl.n;
	return 0;
}

static void bs_close(series_set *s)
{
	bset *bs = (bset *)s;
	series_chunks_free(&bs->cl);
	arena_reset(&bs->la);
	fl_free(bs->del);
	fl_free(bs->refs);
	fl_free(bs->chks);
	fl_free(bs);
}

static const struct series_set_ops bset_ops = {bs_next, bs_labels, bs_iter, bs_err, bs_close, bs_chunks};

/* ---------------------------------------------------------------- querier */

static series_set *bq_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	bquerier *bq = (bquerier *)q;
	bset *bs = fl_calloc(1, sizeof *bs);
	if (!bs)
		return series_set_error(FL_ENOMEM, "block querier: out of memory");
	bs->base.ops = &bset_ops;
	bs->q = bq;
	bs->transient = h && h->labels_transient;
	arena_init(&bs->la);
	series_chunks_init(&bs->cl);
	querier_select_range(q, h, &bs->mint, &bs->maxt);
	if (bs->mint > bs->maxt || bs->maxt < bq->b->meta.min_time || bs->mint >= bq->b->meta.max_time)
		return &bs->base; /* nothing in range */
	if (index_select(bq->b->ix, ms, n, &bs->refs, &bs->n_refs, &bs->e) != 0)
		err_wrap(&bs->e, "block %s", bq->b->meta.ulid);
	return &bs->base;
}

static int bq_label_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e)
{
	bquerier *bq = (bquerier *)q;
	return index_label_names_matching(index_reader_source(bq->b->ix), ms, n, out, e);
}

static int bq_label_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	bquerier *bq = (bquerier *)q;
	return index_label_values_matching(index_reader_source(bq->b->ix), name, ms, n, out, e);
}

static void bq_close(querier *q)
{
	bquerier *bq = (bquerier *)q;
	arena_reset(&bq->a);
	tombstones_set_release(bq->ts);
	fl_free(bq);
}

static const struct querier_ops bquerier_ops = {bq_select, bq_label_names, bq_label_values, bq_close};

querier *block__querier(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	block *b = (block *)self;
	bquerier *bq = fl_calloc(1, sizeof *bq);
	if (!bq) {
		err_set(e, FL_ENOMEM, "block querier: out of memory");
		return NULL;
	}
	bq->base.ops = &bquerier_ops;
	bq->base.mint = mint;
	bq->base.maxt = maxt;
	bq->b = b;
	bq->ts = block_tombstones_acquire(b);
	arena_init(&bq->a);
	return &bq->base;
}
