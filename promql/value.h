/*
 * value.h - the engine's value types (Prometheus promql/value.go) and the
 * evaluator state shared by the engine's files (engine.c, eval_*.c,
 * functions*.c): SQLite's btreeInt.h pattern, not a public API.
 *
 * Evaluation follows engine.go's range evaluation: every expression is
 * evaluated over the whole step grid [start, end] every `interval` at once.
 *  - an instant-vector value is a matrix whose series have points only at
 *    grid timestamps (a series may skip steps);
 *  - a scalar value is one double per step;
 *  - a range-vector value (matrix selector, subquery) is a raw matrix plus
 *    the window rule: at step ts the window is (ref - range, ref] where
 *    ref = (@ time or ts) - offset. Functions slice it per step.
 *
 * Invariants:
 *  1. Everything a query allocates lives in ev->a (the result arena) and is
 *     released with it; growable arrays double inside the arena.
 *  2. Series points are in strictly increasing time order.
 *  3. A vector element's `drop_name` marks 3.x delayed name removal: the
 *     __name__ label is removed when the query finishes (engine.c).
 */
#ifndef FL_PROMQL_VALUE_H
#define FL_PROMQL_VALUE_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/gomath.h" /* go_max/go_min: Go's float rules, used across the engine */
#include "promql/ast.h"
#include "promql/engine.h"
#include "tsdb/storage.h"

/* One element of an instant vector at one step. */
typedef struct pq_elem {
	labels metric;  /* labels (arena or querier owned) */
	double v;       /* value */
	int64_t t;      /* sample timestamp (timestamp() needs it) */
	bool drop_name; /* delayed __name__ removal pending */
	uint32_t sidx;  /* index of the source series (stepper), for per-series caches */
} pq_elem;

typedef struct pq_vec {
	pq_elem *e; /* elements */
	size_t n;   /* used */
	size_t cap; /* allocated */
} pq_vec;

typedef struct pq_series {
	labels metric;  /* labels */
	sample *s;      /* points, time ordered */
	size_t n;       /* used */
	size_t cap;     /* allocated */
	bool drop_name; /* delayed __name__ removal pending */
	int64_t *st;    /* start timestamps parallel to s (0 = unknown), or NULL:
			 * only raw selections of series that have them */
} pq_series;

typedef struct pq_matrix {
	pq_series *s; /* series */
	size_t n;     /* used */
	size_t cap;   /* allocated */
} pq_matrix;

/* A range-vector source: raw samples plus the window rule. */
typedef struct pq_range {
	pq_matrix m;      /* raw samples, per series */
	int64_t range_ms; /* window length */
	int64_t offset_ms;/* offset modifier */
	bool has_at;      /* @ given */
	int64_t at_ms;    /* @ time */
	bool anchored;    /* 3.x `anchored`: windows reach back one lookback more */
	bool smoothed;    /* 3.x `smoothed`: one lookback more on both sides */
	int64_t lookback_ms; /* the lookback those use */
} pq_range;

typedef struct pq_val {
	promql_type type; /* PT_SCALAR, PT_VECTOR, PT_MATRIX, PT_STRING */
	double *sc;       /* PT_SCALAR: one per step */
	pq_matrix m;      /* PT_VECTOR: points on the step grid */
	pq_range r;       /* PT_MATRIX */
	const char *str;  /* PT_STRING */
} pq_val;

/* A list of annotation strings. */
typedef struct pq_strs {
	const char **v;
	size_t n, cap;
} pq_strs;

/* The evaluator (engine.go's evaluator). */
typedef struct ev {
	const promql_engine_opts *o; /* settings */
	querier *qr;                 /* data source for the whole query */
	arena *a;                    /* result arena: everything lives here */
	err *e;                      /* error message */
	promql_errtype errtype;      /* kind of error when failing */
	int64_t start, end, interval;/* current grid (subqueries change it) */
	int64_t qstart, qend;        /* the query's own range (@ start()/end()) */
	int64_t qstep;               /* the query's step, 0 for instant (step()) */
	int64_t samples;             /* samples loaded/produced so far */
	int64_t peak;                /* max of samples */
	promql_cancel *cancel;       /* may be NULL */
	int64_t deadline_ns;         /* CLOCK_MONOTONIC deadline, 0 = none */
	unsigned ticks;              /* cheap counter for time checks */
	int depth;                   /* recursion depth guard */
	pq_strs warnings, infos;     /* annotations, de-duplicated */
	labels_builder lb;           /* scratch builder */
} ev;

/* labels_builder_reset that accepts an empty set on a fresh builder
 * (memcpy from NULL is undefined even for 0 bytes). */
static inline void pq_lb_reset(labels_builder *b, labels from)
{
	if (from.n) {
		labels_builder_reset(b, from);
	} else {
		b->n = 0;
		b->oom = false;
	}
}

/* ---- memory helpers (value.c) ---- */
void *pq_grow(arena *a, void *p, size_t *cap, size_t n, size_t elem);
int pq_vec_push(ev *v, pq_vec *vec, labels m, double val, int64_t t, bool drop);
pq_series *pq_matrix_add(ev *v, pq_matrix *m, labels metric, bool drop);
int pq_series_push(ev *v, pq_series *s, int64_t t, double val);
/* Reserve room for n points (a grid series holds at most one per step). */
int pq_series_reserve(ev *v, pq_series *s, size_t n);
labels pq_labels_copy(ev *v, labels ls);
/* Labels of b's current contents copied into the arena. */
labels pq_builder_labels(ev *v, labels_builder *b);
labels pq_labels_without(ev *v, labels ls, const char *name);
void pq_annotate(ev *v, bool info, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pq_fail(ev *v, promql_errtype t, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int pq_nomem(ev *v);
/* Go's %g and %q of a value, in the arena (for messages). */
const char *pq_g(ev *v, double x);
const char *pq_quote(ev *v, const char *s);
/* Account n more samples; fails with the max-samples error. */
int pq_account(ev *v, int64_t n);
/* Cancellation / timeout check (cheap; call in loops). */
int pq_check(ev *v);

/* Open-addressing map from a 64-bit hash to an index. */
typedef struct pq_map {
	uint64_t *keys;  /* hash+1 (0 = empty) */
	size_t *vals;    /* index */
	size_t n, cap;   /* used, slots (power of two) */
} pq_map;
void pq_map_init(pq_map *m);
void pq_map_free(pq_map *m);
/* Returns a pointer to the value slot; *found says if it existed. NULL on OOM. */
size_t *pq_map_put(pq_map *m, uint64_t key, bool *found);
size_t *pq_map_get(pq_map *m, uint64_t key);

static inline size_t pq_nsteps(const ev *v) { return (size_t)((v->end - v->start) / v->interval) + 1; }
static inline int64_t pq_step_ts(const ev *v, size_t i) { return v->start + (int64_t)i * v->interval; }

/* Natural order helpers for sorting result series. */
int pq_series_cmp(const void *a, const void *b);

/* ---- evaluation (engine.c and eval_*.c) ---- */
int pq_eval(ev *v, const node *n, pq_val *out);
/* A 3.x duration expression (or NULL: fallback) in milliseconds. */
int64_t pq_duration_ms(ev *v, const node *n, int64_t fallback_ms);
int pq_eval_vector_selector(ev *v, const node *n, pq_val *out);
int pq_eval_matrix_selector(ev *v, const node *n, pq_range *out);
int pq_eval_subquery(ev *v, const node *n, pq_range *out);
int pq_eval_range_arg(ev *v, const node *n, pq_range *out);
int pq_select_vector(ev *v, const node *n, bool want_ts, pq_val *out);
int pq_eval_binary(ev *v, const node *n, pq_val *out);
int pq_eval_aggregate(ev *v, const node *n, pq_val *out);
int pq_eval_call(ev *v, const node *n, pq_val *out);
/* Window of series s at step ts: samples in (ref - range, ref]. */
void pq_range_window(const pq_range *r, const pq_series *s, int64_t ts, size_t *lo, size_t *hi);
int64_t pq_range_ref(const pq_range *r, int64_t ts);
/* extendFloats: the window s[0..n) (raw, reaching past the range as the
 * modifiers ask) cut to [start, end] with a synthetic point at each end
 * (picked, or interpolated when smoothed); writes into out (n + 2). */
size_t pq_extend_floats(const sample *s, size_t n, int64_t start, int64_t end, bool smoothed, sample *out);

/* Per-step iteration over a grid-aligned matrix: cursors per series. */
typedef struct pq_stepper {
	const pq_matrix *m; /* source */
	size_t *cur;        /* per series cursor */
} pq_stepper;
int pq_stepper_init(ev *v, pq_stepper *st, const pq_matrix *m);
/* Fill vec with the elements at ts (vec is cleared first). */
int pq_stepper_at(ev *v, pq_stepper *st, int64_t ts, pq_vec *vec);

/* Collects per-step output vectors into a grid matrix. */
typedef struct pq_collect {
	pq_matrix m; /* output */
	pq_map map;  /* labels hash -> series index */
	pq_map byptr;/* label set pointer (mixed) -> series index */
} pq_collect;
void pq_collect_init(pq_collect *c);
/* Adds vec's elements at ts; fails on a duplicate labelset within a step. */
int pq_collect_step(ev *v, pq_collect *c, const pq_vec *vec, int64_t ts);
void pq_collect_done(pq_collect *c, pq_val *out);

/* ---- kernels (functions.c, functions_range.c, quantile.c) ---- */
typedef struct pq_bucket {
	double upper; /* le */
	double count; /* cumulative count */
} pq_bucket;
double pq_bucket_quantile(ev *v, double q, pq_bucket *b, size_t n, bool *forced_monotonic, bool *fixed_precision);
double pq_quantile(double q, double *vals, size_t n);   /* sorts vals */
int pq_call_range_fn(ev *v, const node *n, pq_val *out); /* rate, *_over_time... */
int pq_histogram_quantile(ev *v, const node *n, pq_val *out);
int pq_eval_info(ev *v, const node *n, pq_val *out); /* functions_info.c */
/* absent()'s labels: the selector's single `=` matchers (not __name__). */
labels pq_absent_labels(ev *v, const node *arg);
double pq_kahan_add(double inc, double sum, double *c);
/* First index i in [0, n) with s[i].t > t, or n (Go's sort.Search). */
size_t pq_search_gt(const sample *s, size_t n, int64_t t);
/* First index i in [0, n) with s[i].t >= t, or n. */
size_t pq_search_ge(const sample *s, size_t n, int64_t t);
/* A label name as 3.x accepts it: non-empty, valid UTF-8. */
bool pq_valid_label_name(const char *s);

#endif
