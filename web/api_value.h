/*
 * api_value.h - the client side of Prometheus's HTTP API: a response's
 * bytes decoded the way client_golang decodes them (api/prometheus/v1:
 * the {"status","data","errorType","error","warnings"} envelope, then the
 * data into prometheus/common model values), and printed the way promtool
 * prints them (cmd/promtool/main.go's printers):
 *
 *   -o promql   fmt.Println(v): model.Value's String() forms
 *               vector  `up{instance="a", job="b"} => 1 @[1435781451.781]`
 *               matrix  `up{...} =>\n1 @[1]\n2 @[2]`, series sorted by
 *                       Metric.Before (fewer labels first)
 *               scalar  `scalar: 1 @[1]`
 *               series  `{__name__="up", job="b"}` one per line
 *               values  one per line, raw
 *   -o json     json.NewEncoder(os.Stdout).Encode(v): keys sorted, values
 *               as 'f' -1 strings, times as seconds 'f' -1, one line
 *
 * Values pass through Go's types, so the output is normalised: 1e-07
 * prints 0.0000001 and 1435781451.500 prints 1435781451.5. Native
 * histograms are not decoded (flint stores none yet): a histogram sample
 * is an error. Used by `flinttool query`.
 */
#ifndef FL_WEB_API_VALUE_H
#define FL_WEB_API_VALUE_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

typedef enum api_vtype {
	API_V_SCALAR, /* query: [t,"v"] */
	API_V_VECTOR, /* query: one point per series */
	API_V_MATRIX, /* query: points per series */
	API_V_SERIES, /* /api/v1/series: label sets */
	API_V_VALUES, /* /api/v1/label/<name>/values: strings */
} api_vtype;

typedef struct api_point {
	int64_t t_ms; /* model.Time */
	double v;     /* model.SampleValue */
} api_point;

typedef struct api_series {
	labels metric;   /* sorted by name, duplicates resolved (last wins, as a Go map) */
	api_point *pts;  /* vector: exactly one; matrix: in order; series: none */
	size_t n_pts;    /* number of points */
} api_series;

typedef struct api_value {
	api_vtype type;       /* which of the below is set */
	bool null;            /* data was JSON null (series, values): Go prints null */
	api_series *series;   /* vector, matrix, series (arena) */
	size_t n_series;      /* number of them */
	api_point scalar;     /* scalar */
	const char **values;  /* values (arena) */
	size_t n_values;      /* number of them */
} api_value;

/* The response envelope (client_golang's apiResponse). Strings in the arena. */
typedef struct api_response {
	const char *status;     /* "success", "error", or "" when absent */
	const char *error_type; /* errorType, or "" */
	const char *error;      /* error, or "" */
	const char *data;       /* raw JSON of "data" (borrowed from the body), or NULL */
	size_t data_len;        /* its length */
	const char **warnings;  /* warnings (arena) */
	size_t n_warnings;      /* number of them */
} api_response;

/* Decode the envelope of body (which must outlive out->data). FL_EPARSE
 * with a message when it is not the JSON object expected. */
int api_response_decode(const char *body, size_t len, arena *a, api_response *out, err *e);

/* Decode data as `type` (API_V_SCALAR/VECTOR/MATRIX accept a query's
 * {"resultType","result"} and take the type from it; a "string" result is
 * an error as in client_golang: `unexpected value type "string"`). */
int api_value_decode(const char *data, size_t len, api_vtype type, arena *a, api_value *out, err *e);

/* Append what promtool prints for v, trailing newline(s) included. */
void api_value_print_promql(buf *b, const api_value *v);
void api_value_print_json(buf *b, const api_value *v);

#endif
