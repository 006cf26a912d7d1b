/*
 * storage.h - THE seam (Prometheus storage/interface.go): everything that
 * writes uses an appender, everything that reads uses a querier. The head,
 * each block and the db (which merges them) offer the same interfaces, so
 * PromQL tests run on a bare head and the server runs on the db.
 *
 * Shape: vtables with the base struct first (SQLite's sqlite3_file):
 * an implementation embeds `struct sample_iter base;` as its first member.
 *
 * Contracts (copied from Prometheus's chunkenc.Iterator / SeriesSet):
 *  1. sample_iter_next returns VAL_FLOAT, VAL_HISTOGRAM (reserved) or
 *     VAL_NONE at the end; after VAL_NONE read sample_iter_err once.
 *  2. seek(t) advances to the first sample with ts >= t and returns its
 *     type, or VAL_NONE; seek never moves backwards (if the current sample
 *     is already >= t it stays).
 *  3. at() is undefined before the first next/seek that returned a value.
 *  4. series_set_next iterates series sorted by labels (when sorted was
 *     asked); the labels of the current series stay valid until the
 *     querier is closed.
 *  5. A querier sees a consistent snapshot: never half of an appender's
 *     commit. Whatever a querier hands out is valid until querier_close.
 */
#ifndef FL_STORAGE_H
#define FL_STORAGE_H

#include "lib/arena.h"
#include "lib/err.h"
#include "tsdb/labels.h"
#include "tsdb/matcher.h"

/* The stale marker: a NaN with these exact bits (Prometheus value.StaleNaN). */
#define STALE_NAN_BITS 0x7ff0000000000002ULL
static inline double stale_nan(void) { double d; uint64_t b = STALE_NAN_BITS; memcpy(&d, &b, 8); return d; }
static inline bool is_stale_nan(double d) { uint64_t b; memcpy(&b, &d, 8); return b == STALE_NAN_BITS; }

enum val_type { VAL_NONE = 0, VAL_FLOAT = 1, VAL_HISTOGRAM = 2, VAL_FLOAT_HISTOGRAM = 3 };

typedef struct sample {
	int64_t t; /* milliseconds since epoch */
	double v;  /* value */
} sample;

/* ---- sample iterator ---- */
typedef struct sample_iter sample_iter;
struct sample_iter_ops {
	int (*next)(sample_iter *it);              /* enum val_type */
	int (*seek)(sample_iter *it, int64_t t);   /* enum val_type */
	void (*at)(sample_iter *it, int64_t *t, double *v);
	int (*err)(sample_iter *it, err *e);       /* 0 or FL_E* */
	void (*close)(sample_iter *it);            /* frees it */
	/* Optional (NULL when the storage keeps none): the current sample's
	 * start timestamp (Prometheus AtST), 0 = unknown. Same validity as at(). */
	int64_t (*at_st)(sample_iter *it);
	/* Optional (NULL: next/at one by one). The samples next() would
	 * return from here on, while their t <= maxt, at most cap: into out,
	 * and their start timestamps into st (0 = unknown) unless st is NULL.
	 * A sample past maxt stays unread. Returns how many; fewer than cap
	 * at the end, past maxt, or on an error (err tells). at() is then the
	 * last sample read. Float samples only. */
	size_t (*read)(sample_iter *it, int64_t maxt, sample *out, int64_t *st, size_t cap);
};
struct sample_iter {
	const struct sample_iter_ops *ops;
};
static inline int sample_iter_next(sample_iter *it) { return it->ops->next(it); }
static inline int sample_iter_seek(sample_iter *it, int64_t t) { return it->ops->seek(it, t); }
static inline void sample_iter_at(sample_iter *it, int64_t *t, double *v) { it->ops->at(it, t, v); }
static inline int sample_iter_err(sample_iter *it, err *e) { return it->ops->err(it, e); }
static inline void sample_iter_close(sample_iter *it) { if (it) it->ops->close(it); }
/* For read ops over decoded arrays: copy samples i.. of bt/bv (n in all)
 * with t <= maxt into out, at most cap; returns the index after the last
 * one copied. */
static inline size_t sample_run_copy(const int64_t *bt, const double *bv, size_t i, size_t n, int64_t maxt,
				     sample *out, size_t cap)
{
	size_t end = n - i < cap ? n : i + cap;
	for (; i < end && bt[i] <= maxt; i++, out++) {
		out->t = bt[i];
		out->v = bv[i];
	}
	return i;
}
static inline int64_t sample_iter_at_st(sample_iter *it) { return it->ops->at_st ? it->ops->at_st(it) : 0; }

/* ---- chunks (the chunk view of a select; Prometheus ChunkQuerier) ---- */

/* One XOR chunk as stored: bytes are the 2-byte sample count then the
 * Gorilla stream (Prometheus chunkenc.XORChunk.Bytes()). */
typedef struct chunk_data {
	int64_t mint;     /* first sample time */
	int64_t maxt;     /* last sample time */
	const uint8_t *b; /* chunk bytes, borrowed (see series_set_chunks) */
	size_t len;       /* byte length */
} chunk_data;

/* A deleted (or excluded) closed time interval. */
typedef struct tinterval {
	int64_t mint, maxt; /* inclusive */
} tinterval;

/* ---- series set ---- */
typedef struct series_set series_set;
struct series_set_ops {
	bool (*next)(series_set *s);
	labels (*labels)(series_set *s); /* current series; valid until querier close */
	/* Iterator over the current series' samples within the querier's range.
	 * `reuse` may be a previous iterator from this set to recycle (or NULL);
	 * the caller closes what is returned. */
	sample_iter *(*iter)(series_set *s, sample_iter *reuse);
	int (*err)(series_set *s, err *e);
	void (*close)(series_set *s);
	/* Optional (NULL: samples only). The current series' chunks within the
	 * select's range, oldest first and not overlapping (Prometheus
	 * ChunkSeries.Iterator): stored chunks as they are when wholly inside
	 * the range and untouched by deletions, else re-encoded with only the
	 * samples the sample iterator would return (the head's open chunk is
	 * a snapshot copy). Valid until the next next/chunks call on the set.
	 * 0, or FL_ECORRUPT / FL_EUNSUPPORTED / FL_ENOMEM with e. */
	int (*chunks)(series_set *s, const chunk_data **out, size_t *n, err *e);
};
struct series_set {
	const struct series_set_ops *ops;
};
static inline bool series_set_next(series_set *s) { return s->ops->next(s); }
static inline labels series_set_labels(series_set *s) { return s->ops->labels(s); }
static inline sample_iter *series_set_iter(series_set *s, sample_iter *reuse) { return s->ops->iter(s, reuse); }
static inline int series_set_err(series_set *s, err *e) { return s->ops->err(s, e); }
static inline void series_set_close(series_set *s) { if (s) s->ops->close(s); }
static inline bool series_set_has_chunks(const series_set *s) { return s->ops->chunks != NULL; }
static inline int series_set_chunks(series_set *s, const chunk_data **out, size_t *n, err *e)
{
	if (!s->ops->chunks)
		return err_set(e, FL_EUNSUPPORTED, "series set: no chunk view");
	return s->ops->chunks(s, out, n, e);
}

/* Hints for select (Prometheus storage.SelectHints). */
typedef struct select_hints {
	int64_t start_ms; /* data needed from */
	int64_t end_ms;   /* data needed until */
	int64_t step_ms;  /* query step, 0 for instant */
	const char *func; /* surrounding function name or NULL */
	int64_t range_ms; /* range of a range selector, 0 otherwise */
	bool series_only; /* only labels needed (api/v1/series): no samples */
	bool labels_transient; /* a series' labels are read only until the next
				  series_set_next (compaction): the set may reuse
				  their memory instead of keeping every series' */
} select_hints;

/* A list of strings (label names or values); the array is owned by the
 * list (free with strlist_free), the strings are borrowed from the querier. */
typedef struct strlist {
	const char **v; /* sorted, unique */
	size_t n;
} strlist;
static inline void strlist_free(strlist *l) { fl_free((void *)l->v); l->v = NULL; l->n = 0; }
/* Sort v[0..n) (strcmp order), drop duplicates and empty strings, and make
 * the result out; takes ownership of v (fl_malloc'd, NULL when n == 0).
 * 0, or FL_ENOMEM. (merge.c) */
int strlist_take_sorted(strlist *out, const char **v, size_t n, err *e);

/* ---- querier ---- */
typedef struct querier querier;
struct querier_ops {
	/* Series matching all matchers (n >= 1), with samples in [mint, maxt]
	 * of the querier narrowed to the hints' range (querier_select_range;
	 * h may be NULL). Never NULL: errors come out of series_set_err. */
	series_set *(*select)(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n);
	/* Names of labels of series matching ms (all series when n == 0). */
	int (*label_names)(querier *q, const matcher *ms, size_t n, strlist *out, err *e);
	/* Values of label `name` on series matching ms (all when n == 0). */
	int (*label_values)(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e);
	void (*close)(querier *q);
};
struct querier {
	const struct querier_ops *ops;
	int64_t mint; /* inclusive lower bound of the queried range */
	int64_t maxt; /* inclusive upper bound */
};
static inline series_set *querier_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n) { return q->ops->select(q, sorted, h, ms, n); }
static inline int querier_label_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e) { return q->ops->label_names(q, ms, n, out, e); }
static inline int querier_label_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e) { return q->ops->label_values(q, name, ms, n, out, e); }
static inline void querier_close(querier *q) { if (q) q->ops->close(q); }
/* The time range a select reads: the querier's, narrowed to the hints'
 * [start_ms, end_ms] when hints are given (Prometheus blockQuerier.Select:
 * chunks wholly outside it are not collected, samples are trimmed to it). */
static inline void querier_select_range(const querier *q, const select_hints *h, int64_t *mint, int64_t *maxt)
{
	*mint = h && h->start_ms > q->mint ? h->start_ms : q->mint;
	*maxt = h && h->end_ms < q->maxt ? h->end_ms : q->maxt;
}

/* Something a querier can be opened on (head, block, db). */
typedef struct queryable queryable;
struct queryable {
	querier *(*querier)(queryable *self, int64_t mint, int64_t maxt, err *e);
};
static inline querier *queryable_querier(queryable *q, int64_t mint, int64_t maxt, err *e) { return q->querier(q, mint, maxt, e); }

/* A series set that is always empty, or that carries an error. */
series_set *series_set_empty(void);
series_set *series_set_error(int code, const char *msg);

/* ---- appender ---- */
typedef uint64_t series_ref; /* 0 = unknown */
typedef struct appender appender;
struct appender_ops {
	/* Append one float sample. If ref is non-zero and known it is used and
	 * ls may be empty; else the series is looked up or created by ls
	 * (which must be sorted and valid; it is copied). Returns 0 and sets
	 * *out_ref, or FL_EOUT_OF_ORDER / FL_EDUPLICATE / FL_ETOO_OLD / FL_EINVAL
	 * with Prometheus's wording in e ("out of order sample",
	 * "duplicate sample for timestamp", "out of bounds"). A rejected sample
	 * does not spoil the rest of the batch. */
	int (*append)(appender *a, series_ref ref, labels ls, int64_t t, double v, series_ref *out_ref, err *e);
	/* Reserved for native histograms (later issue): returns FL_EUNSUPPORTED today. */
	int (*append_histogram)(appender *a, series_ref ref, labels ls, int64_t t, const void *h, series_ref *out_ref, err *e);
	/* Write the WAL records, then make every sample visible at once. Frees a. */
	int (*commit)(appender *a, err *e);
	/* Drop everything appended. Frees a. */
	void (*rollback)(appender *a);
	/* Optional (NULL: start timestamps are dropped): append with the
	 * sample's start timestamp st (ms, 0 = unknown); else as append. */
	int (*append_st)(appender *a, series_ref ref, labels ls, int64_t st, int64_t t, double v, series_ref *out_ref,
			 err *e);
};
struct appender {
	const struct appender_ops *ops;
};
static inline int appender_append(appender *a, series_ref ref, labels ls, int64_t t, double v, series_ref *out, err *e) { return a->ops->append(a, ref, ls, t, v, out, e); }
static inline int appender_append_st(appender *a, series_ref ref, labels ls, int64_t st, int64_t t, double v,
				     series_ref *out, err *e)
{
	if (a->ops->append_st)
		return a->ops->append_st(a, ref, ls, st, t, v, out, e);
	return a->ops->append(a, ref, ls, t, v, out, e);
}
static inline int appender_commit(appender *a, err *e) { return a->ops->commit(a, e); }
static inline void appender_rollback(appender *a) { a->ops->rollback(a); }

/* ---- chunk lists: what implementations of series_set_chunks build
 * (series_chunks.c). Re-encoded chunks hold at most SERIES_CHUNKS_SAMPLES. ---- */
#define SERIES_CHUNKS_SAMPLES 120
typedef struct series_chunks {
	chunk_data *v;  /* chunks, in order added */
	size_t n, cap;  /* used, allocated */
	arena a;        /* re-encoded bytes (reset with the list) */
	sample *s;      /* decode scratch */
	size_t s_cap;   /* its capacity */
} series_chunks;
void series_chunks_init(series_chunks *l);
void series_chunks_reset(series_chunks *l); /* empty it (re-encoded bytes freed) */
void series_chunks_free(series_chunks *l);
/* Add XOR chunk b[0..len) holding samples [cmint, cmaxt], of which only
 * the first `limit` count (0: all): as it is when all of them are kept,
 * else re-encoded with the samples in [mint, maxt] outside del[0..n_del)
 * (nothing when none are left). b is borrowed: it must outlive the list's
 * use. 0, FL_ECORRUPT or FL_ENOMEM (with e). */
int series_chunks_add_xor(series_chunks *l, const uint8_t *b, size_t len, uint16_t limit, int64_t cmint, int64_t cmaxt,
		       int64_t mint, int64_t maxt, const tinterval *del, size_t n_del, err *e);
/* Add samples s[0..n) (time-ordered), encoded into new chunks. */
int series_chunks_add_samples(series_chunks *l, const sample *s, size_t n, err *e);
/* Add the union of the chunk arrays ins[i][0..n_in[i]) (each time-ordered)
 * in time order: a chunk overlapping no other is added as it is (borrowed),
 * a run of overlapping ones is decoded, merged (on equal times the earlier
 * array wins, as querier_merge) and re-encoded, as Prometheus's compacting
 * chunk series merger. */
int series_chunks_merge(series_chunks *l, const chunk_data *const *ins, const size_t *n_in, size_t n_ins, err *e);

/* Merge several queriers (head + blocks) into one (merge.c): series sets
 * merged in label order, a series present in several merged into one sample
 * stream with duplicate timestamps dropped (the earlier querier in qs wins),
 * label names and values unioned. Takes ownership of the queriers qs[0..n)
 * (closed by the merged querier's close, or here on failure), not of the
 * array itself. n == 1 returns qs[0]. */
querier *querier_merge(querier **qs, size_t n, int64_t mint, int64_t maxt, err *e);

#endif
