/*
 * json_result.c - PromQL results in the HTTP API's JSON shapes
 * (Prometheus web/api/v1/json_codec.go, util/jsonutil/marshal.go):
 *
 *   vector: [{"metric":{...},"value":[t,"v"]}, ...]
 *   matrix: [{"metric":{...},"values":[[t,"v"],...]}, ...]
 *   scalar: [t,"v"]          string: [t,"text"]
 *
 * t is a JSON number: seconds, with exactly three decimals when the
 * millisecond part is not zero (fmt_api_time); v is a JSON string with the
 * shortest round-trip digits, 'e' form below 1e-6 and from 1e21, "NaN",
 * "+Inf", "-Inf" (fmt_api_float). Label objects keep the label set's order.
 */
#include "web/web.h"

#include "lib/fmtfloat.h"

/* [t,"v"] composed in place and written in one piece (v never needs
 * escaping: digits, '.', 'e', signs, NaN, Inf). */
void json_result_point(json_w *j, int64_t t, double v)
{
	char p[2 * FMT_FLOAT_MAX + 8];
	size_t n = 0;
	p[n++] = '[';
	n += (size_t)fmt_api_time(p + n, t);
	p[n++] = ',';
	p[n++] = '"';
	n += (size_t)fmt_api_float(p + n, v);
	p[n++] = '"';
	p[n++] = ']';
	json_raw(j, p, n);
}

void json_result_labels(json_w *j, labels ls)
{
	json_obj_open(j);
	for (size_t i = 0; i < ls.n; i++)
		json_kstr(j, ls.v[i].name, ls.v[i].value);
	json_obj_close(j);
}

static void series_list(json_w *j, const promql_result *res, bool matrix)
{
	json_arr_open(j);
	for (size_t i = 0; i < res->n_series; i++) {
		const promql_series *s = &res->series[i];
		if (matrix && !s->n)
			continue; /* series without points in range are omitted */
		json_obj_open(j);
		json_key(j, "metric");
		json_result_labels(j, s->metric);
		if (matrix) {
			json_key(j, "values");
			json_arr_open(j);
			for (size_t k = 0; k < s->n; k++)
				json_result_point(j, s->samples[k].t, s->samples[k].v);
			json_arr_close(j);
		} else {
			json_key(j, "value");
			json_result_point(j, s->n ? s->samples[0].t : res->t, s->n ? s->samples[0].v : 0);
		}
		json_obj_close(j);
	}
	json_arr_close(j);
}

/* [[t, n], ...]: t as encoding/json writes float64(t)/1000 (1.5, not 1.500). */
static void per_step(json_w *j, const api_step_stat *steps, size_t n)
{
	char ts[FMT_FLOAT_MAX];
	json_key(j, "totalQueryableSamplesPerStep");
	json_arr_open(j);
	for (size_t i = 0; i < n; i++) {
		json_arr_open(j);
		json_raw(j, ts, (size_t)fmt_api_float(ts, (double)steps[i].t_ms / 1000.0));
		json_int(j, steps[i].n);
		json_arr_close(j);
	}
	json_arr_close(j);
}

static void stats(json_w *j, const promql_result *res, double eval_s, const api_step_stat *steps, size_t n_steps)
{
	json_key(j, "stats");
	json_obj_open(j);
	json_key(j, "timings");
	json_obj_open(j);
	json_key(j, "evalTotalTime");
	json_num(j, eval_s);
	json_key(j, "resultSortTime");
	json_num(j, 0);
	json_key(j, "queryPreparationTime");
	json_num(j, 0);
	json_key(j, "innerEvalTime");
	json_num(j, eval_s);
	json_key(j, "execQueueTime");
	json_num(j, 0);
	json_key(j, "execTotalTime");
	json_num(j, eval_s);
	json_obj_close(j);
	json_key(j, "samples");
	json_obj_open(j);
	if (steps && n_steps)
		per_step(j, steps, n_steps);
	json_kint(j, "totalQueryableSamples", res->total_samples);
	json_kint(j, "peakSamples", res->peak_samples);
	json_obj_close(j);
	json_obj_close(j);
}

void json_result_write(json_w *j, const promql_result *res, bool with_stats, double eval_s,
		       const api_step_stat *steps, size_t n_steps)
{
	json_obj_open(j);
	switch (res->type) {
	case PT_SCALAR:
		json_kstr(j, "resultType", "scalar");
		json_key(j, "result");
		json_result_point(j, res->t, res->scalar);
		break;
	case PT_STRING: {
		char ts[FMT_FLOAT_MAX];
		int tl = fmt_api_time(ts, res->t);
		json_kstr(j, "resultType", "string");
		json_key(j, "result");
		json_arr_open(j);
		json_raw(j, ts, (size_t)tl);
		json_str(j, res->str ? res->str : "");
		json_arr_close(j);
		break;
	}
	case PT_MATRIX:
		json_kstr(j, "resultType", "matrix");
		json_key(j, "result");
		series_list(j, res, true);
		break;
	default:
		json_kstr(j, "resultType", "vector");
		json_key(j, "result");
		series_list(j, res, false);
		break;
	}
	if (with_stats)
		stats(j, res, eval_s, steps, n_steps);
	json_obj_close(j);
}
