/*
 * series_chunks.c - building the chunk view of a select (storage.h
 * series_set_chunks; Prometheus storage.ChunkSeries and the chunk side of
 * tsdb/querier.go populateWithDelChunkSeriesIterator and
 * storage/merge.go NewCompactingChunkSeriesMerger).
 *
 * The point is to hand stored chunks out as they are: remote read's
 * STREAMED_XOR_CHUNKS sends them without decoding. A chunk is re-encoded
 * only when what the sample iterator returns differs from it:
 *   - it reaches outside the select's range (samples are trimmed to it);
 *   - a deleted interval (tombstone) touches it;
 *   - only a prefix of it is visible (the head's open chunk under isolation);
 *   - it overlaps a chunk of the same series from another source (merge).
 * Re-encoded chunks hold at most SERIES_CHUNKS_SAMPLES samples, like the
 * chunks Prometheus cuts.
 *
 * Invariants:
 *  1. l->v[0..n) is in time order and its chunks do not overlap, when the
 *     inputs were (each source's chunks are time-ordered, see storage.h).
 *  2. Bytes of re-encoded chunks live in l->a until series_chunks_reset;
 *     other chunks are borrowed from the caller.
 */
#include "tsdb/chunk.h"
#include "tsdb/storage.h"

#include <stdlib.h>

void series_chunks_init(series_chunks *l)
{
	memset(l, 0, sizeof *l);
	arena_init(&l->a);
}

void series_chunks_reset(series_chunks *l)
{
	l->n = 0;
	arena_reset(&l->a);
}

void series_chunks_free(series_chunks *l)
{
	arena_reset(&l->a);
	fl_free(l->v);
	fl_free(l->s);
	memset(l, 0, sizeof *l);
}

static int nomem(err *e) { return err_set(e, FL_ENOMEM, "chunks: out of memory"); }

static int push(series_chunks *l, chunk_data c, err *e)
{
	if (!fl_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
		return nomem(e);
	l->v[l->n++] = c;
	return 0;
}

int series_chunks_add_samples(series_chunks *l, const sample *s, size_t n, err *e)
{
	for (size_t from = 0; from < n; from += SERIES_CHUNKS_SAMPLES) {
		size_t to = FL_MIN(from + SERIES_CHUNKS_SAMPLES, n);
		xor_app x;
		if (xor_app_init(&x))
			return nomem(e);
		int rc = 0;
		for (size_t i = from; i < to && !rc; i++)
			rc = xor_app_append(&x, s[i].t, s[i].v);
		uint8_t *b = rc ? NULL : arena_alloc(&l->a, xor_app_len(&x));
		if (b)
			memcpy(b, xor_app_bytes(&x), xor_app_len(&x));
		size_t len = xor_app_len(&x);
		xor_app_free(&x);
		if (!b || push(l, (chunk_data){s[from].t, s[to - 1].t, b, len}, e))
			return nomem(e);
	}
	return 0;
}

static bool deleted(int64_t t, const tinterval *del, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t >= del[i].mint && t <= del[i].maxt)
			return true;
	return false;
}

/* Make room for n decoded samples in l->s. */
static int scratch(series_chunks *l, size_t n, err *e)
{
	if (n <= l->s_cap)
		return 0;
	sample *s = fl_realloc(l->s, n * sizeof *s);
	if (!s)
		return nomem(e);
	l->s = s;
	l->s_cap = n;
	return 0;
}

/* Append the samples of chunk c (first limit, 0 = all) kept by the filter
 * to l->s[*k..]; room for them must exist. */
static int decode(series_chunks *l, const uint8_t *b, size_t len, uint16_t limit, int64_t mint, int64_t maxt,
		  const tinterval *del, size_t n_del, size_t *k, err *e)
{
	xor_iter x;
	xor_iter_init(&x, b, len, limit);
	while (xor_iter_next(&x))
		if (x.t >= mint && x.t <= maxt && !deleted(x.t, del, n_del))
			l->s[(*k)++] = (sample){x.t, x.v};
	if (x.err)
		return err_set(e, FL_ECORRUPT, "chunks: corrupt XOR chunk of %zu bytes", len);
	return 0;
}

int series_chunks_add_xor(series_chunks *l, const uint8_t *b, size_t len, uint16_t limit, int64_t cmint, int64_t cmaxt,
		       int64_t mint, int64_t maxt, const tinterval *del, size_t n_del, err *e)
{
	uint16_t count = xor_chunk_count(b, len);
	bool whole = (limit == 0 || limit >= count) && cmint >= mint && cmaxt <= maxt;
	for (size_t i = 0; i < n_del && whole; i++)
		if (del[i].mint <= cmaxt && del[i].maxt >= cmint)
			whole = false;
	if (whole)
		return push(l, (chunk_data){cmint, cmaxt, b, len}, e);
	size_t k = 0;
	int rc = scratch(l, count, e);
	if (!rc)
		rc = decode(l, b, len, limit, mint, maxt, del, n_del, &k, e);
	return rc ? rc : series_chunks_add_samples(l, l->s, k, e);
}

/* ---------------------------------------------------------------- merge */

typedef struct mref {
	const chunk_data *c; /* the chunk */
	size_t src;          /* index of its array: lower wins on equal times */
} mref;

static int cmp_mref(const void *a, const void *b)
{
	const mref *x = a, *y = b;
	if (x->c->mint != y->c->mint)
		return x->c->mint < y->c->mint ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

typedef struct tsample {
	sample s;   /* the sample */
	size_t src; /* its array */
	size_t seq; /* decode order, for a stable sort */
} tsample;

static int cmp_tsample(const void *a, const void *b)
{
	const tsample *x = a, *y = b;
	if (x->s.t != y->s.t)
		return x->s.t < y->s.t ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Decode the overlapping run r[0..n), merge by time (first of equal times
 * wins) and add it re-encoded. */
static int merge_run(series_chunks *l, const mref *r, size_t n, err *e)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += xor_chunk_count(r[i].c->b, r[i].c->len);
	tsample *ts = fl_malloc((total ? total : 1) * sizeof *ts);
	int rc = ts ? scratch(l, total, e) : nomem(e);
	size_t k = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		size_t from = k;
		rc = decode(l, r[i].c->b, r[i].c->len, 0, INT64_MIN, INT64_MAX, NULL, 0, &k, e);
		for (size_t j = from; j < k; j++)
			ts[j] = (tsample){l->s[j], r[i].src, j};
	}
	if (!rc) {
		qsort(ts, k, sizeof *ts, cmp_tsample);
		size_t w = 0;
		for (size_t i = 0; i < k; i++)
			if (w == 0 || l->s[w - 1].t != ts[i].s.t)
				l->s[w++] = ts[i].s;
		rc = series_chunks_add_samples(l, l->s, w, e);
	}
	fl_free(ts);
	return rc;
}

int series_chunks_merge(series_chunks *l, const chunk_data *const *ins, const size_t *n_in, size_t n_ins, err *e)
{
	size_t total = 0;
	for (size_t i = 0; i < n_ins; i++)
		total += n_in[i];
	mref *r = fl_malloc((total ? total : 1) * sizeof *r);
	if (!r)
		return nomem(e);
	size_t k = 0;
	for (size_t i = 0; i < n_ins; i++)
		for (size_t j = 0; j < n_in[i]; j++)
			r[k++] = (mref){&ins[i][j], i};
	qsort(r, k, sizeof *r, cmp_mref);
	int rc = 0;
	for (size_t i = 0; i < k && !rc;) {
		size_t j = i + 1;
		int64_t maxt = r[i].c->maxt;
		while (j < k && r[j].c->mint <= maxt) {
			maxt = FL_MAX(maxt, r[j].c->maxt);
			j++;
		}
		rc = j == i + 1 ? push(l, *r[i].c, e) : merge_run(l, r + i, j - i, e);
		i = j;
	}
	fl_free(r);
	return rc;
}
