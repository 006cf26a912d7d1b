/*
 * engine.h - PromQL evaluation (Prometheus promql/engine.go), over the
 * storage seam only (tsdb/storage.h): it runs on a bare head in tests and
 * on the db in the server, and later a rule evaluator calls it too.
 *
 * Results live in the result's own arena; promql_result_free releases them.
 */
#ifndef FL_PROMQL_ENGINE_H
#define FL_PROMQL_ENGINE_H

#include "promql/ast.h"
#include "tsdb/storage.h"

typedef struct promql_engine_opts {
	int64_t lookback_ms;       /* default 5m */
	int64_t max_samples;       /* --query.max-samples, default 50,000,000 */
	int64_t timeout_ms;        /* --query.timeout, default 2m; 0 = none */
	int64_t no_step_subquery_interval_ms; /* default subquery step for instant queries, default 60s */
	bool enable_at_modifier;   /* always on in 3.x */
	bool enable_negative_offset; /* always on in 3.x */
	bool enable_experimental_functions; /* needed by some .test scripts */
} promql_engine_opts;

void promql_engine_opts_default(promql_engine_opts *o);

typedef struct promql_engine promql_engine;
promql_engine *promql_engine_new(const promql_engine_opts *o);
void promql_engine_free(promql_engine *e);

/* One output series: a vector element has n == 1. */
typedef struct promql_series {
	labels metric;   /* in the result arena */
	sample *samples; /* in time order */
	size_t n;        /* number of samples */
	/* native histogram points: reserved for the histogram issue */
} promql_series;

typedef enum promql_errtype {
	PE_NONE, PE_BAD_DATA, PE_EXECUTION, PE_TIMEOUT, PE_CANCELED, PE_INTERNAL,
} promql_errtype;

typedef struct promql_result {
	promql_type type;        /* PT_SCALAR, PT_VECTOR, PT_MATRIX, PT_STRING */
	double scalar;           /* PT_SCALAR value */
	int64_t t;               /* PT_SCALAR/PT_STRING timestamp */
	const char *str;         /* PT_STRING value */
	promql_series *series;   /* PT_VECTOR/PT_MATRIX */
	size_t n_series;         /* number of series */
	bool ordered;            /* the expression defines an order (sort, topk...) */
	const char **warnings;   /* annotations ("PromQL warning: ...") */
	size_t n_warnings;
	const char **infos;      /* "PromQL info: ..." */
	size_t n_infos;
	promql_errtype errtype;  /* PE_NONE on success */
	int64_t total_samples;   /* stats: samples loaded */
	int64_t peak_samples;    /* stats: peak samples held */
	double prepare_s;        /* timings (seconds): parsing and opening the querier, */
	double eval_s;           /* evaluation, */
	double sort_s;           /* sorting the output series */
	arena arena;             /* owns everything above */
} promql_result;

/* Checked by the engine as it runs; set from another thread to cancel. */
typedef struct promql_cancel {
	volatile int canceled; /* non-zero cancels */
} promql_cancel;

/*
 * Instant query at t_ms, or range query [start, end] every step (ms).
 * Returns 0 and fills *out, or a negative FL_E* with *out's errtype and e set
 * (parse errors: PE_BAD_DATA; too many samples: PE_EXECUTION with
 * "query processing would load too many samples into memory in query
 * execution"; timeout: PE_TIMEOUT "query timed out in query execution").
 * Range queries with more than 11,000 steps are refused (PE_BAD_DATA),
 * as the HTTP API does. promql_result_free(out) is always safe afterwards.
 */
int promql_query_instant(promql_engine *eng, queryable *q, const char *query, int64_t t_ms,
			 promql_cancel *cancel, promql_result *out, err *e);
int promql_query_range(promql_engine *eng, queryable *q, const char *query, int64_t start_ms,
		       int64_t end_ms, int64_t step_ms, promql_cancel *cancel, promql_result *out, err *e);
/* The instant query of an expression parsed once (promql_parse) and kept:
 * what rule groups run at every evaluation. x is only read. */
int promql_query_instant_expr(promql_engine *eng, queryable *q, const promql_expr *x, int64_t t_ms,
			      promql_cancel *cancel, promql_result *out, err *e);
void promql_result_free(promql_result *r);

#endif
