/*
 * api_value.c - decode Prometheus API responses as client_golang does and
 * print them as promtool does (see api_value.h for the forms).
 *
 * Decoding follows prometheus/common/model's UnmarshalJSON methods:
 *  - model.Time: the number's text split at '.', the fraction cut or padded
 *    to three digits (milliseconds), negative bases negate it;
 *  - model.SampleValue: a quoted string, strconv.ParseFloat;
 *  - model.Metric / LabelSet: a JSON object; a repeated key keeps its last
 *    value (Go map); unknown keys of the wrapping objects are ignored and
 *    missing ones are zero.
 * Printing follows model.Metric.String (name, then `k="v"` strings sorted as
 * strings), model.LabelSet.String (names sorted, strconv.Quote values),
 * Matrix.String (sorted by Metric.Before) and encoding/json (sorted keys).
 */
#include "web/api_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fmtfloat.h"
#include "lib/json.h"
#include "lib/jsonr.h"

/* ---- decoding ---- */

static const char *dup_str(jsonr *r, arena *a, buf *tmp)
{
	if (!jsonr_str(r, tmp))
		return NULL;
	char *s = arena_strndup(a, tmp->len ? (const char *)tmp->p : "", tmp->len);
	if (!s)
		jsonr_fail(r, "out of memory");
	return s;
}

/* model.Time.UnmarshalJSON over a number's text. */
static void parse_time(jsonr *r, int64_t *ms)
{
	const char *s;
	size_t n;
	if (!jsonr_num(r, &s, &n))
		return;
	char tx[64];
	if (n >= sizeof tx) {
		jsonr_fail(r, "time %.20s... out of range", s);
		return;
	}
	memcpy(tx, s, n);
	tx[n] = 0;
	char *dot = strchr(tx, '.'), *end;
	if (dot)
		*dot = 0;
	if (strchr(tx, 'e') || strchr(tx, 'E') || (dot && (strchr(dot + 1, 'e') || strchr(dot + 1, 'E')))) {
		jsonr_fail(r, "strconv.ParseInt: parsing \"%s\": invalid syntax", tx);
		return;
	}
	long long base = strtoll(tx, &end, 10);
	if (*end || end == tx) {
		jsonr_fail(r, "strconv.ParseInt: parsing \"%s\": invalid syntax", tx);
		return;
	}
	long long frac = 0;
	if (dot) {
		char f[4] = "000";
		size_t fl = strlen(dot + 1);
		memcpy(f, dot + 1, fl < 3 ? fl : 3);
		frac = strtoll(f, NULL, 10);
		if (tx[0] == '-')
			frac = -frac;
	}
	if (base > INT64_MAX / 1000 || base < INT64_MIN / 1000) {
		jsonr_fail(r, "time %s out of range", tx);
		return;
	}
	*ms = (int64_t)base * 1000 + frac;
}

/* model.SampleValue.UnmarshalJSON (a scalar's error says so first, as
 * model.Scalar.UnmarshalJSON wraps it). */
static void parse_value(jsonr *r, buf *tmp, double *v, bool scalar)
{
	if (jsonr_peek(r) != JSONR_STR) {
		if (jsonr_peek(r) != JSONR_NONE)
			jsonr_fail(r, "sample value must be a quoted string");
		return;
	}
	if (!jsonr_str(r, tmp))
		return;
	const char *s = buf_cstr(tmp);
	char *end;
	*v = strtod(s, &end);
	if (!*s || *end || (s[0] != '+' && s[0] != '-' && s[0] != '.' && (s[0] < '0' || s[0] > '9') && s[0] != 'N' &&
			     s[0] != 'n' && s[0] != 'I' && s[0] != 'i'))
		jsonr_fail(r, "%sstrconv.ParseFloat: parsing \"%s\": invalid syntax", scalar ? "error parsing sample value: " : "", s);
}

/* [t,"v"] */
static void parse_point(jsonr *r, buf *tmp, api_point *p, bool scalar)
{
	if (!jsonr_arr_begin(r)) {
		jsonr_fail(r, "expected a [time, value] pair");
		return;
	}
	if (jsonr_arr_next(r) == 1)
		parse_time(r, &p->t_ms);
	if (jsonr_arr_next(r) == 1)
		parse_value(r, tmp, &p->v, scalar);
	while (jsonr_arr_next(r) == 1)
		jsonr_skip(r);
}

/* arena_grow, failing the reader when out of memory. */
static void *grow_or_fail(jsonr *r, arena *a, void *old, size_t n, size_t *cap, size_t elem)
{
	void *p = arena_grow(a, old, n, cap, elem);
	if (!p)
		jsonr_fail(r, "out of memory");
	return p;
}

static int label_name_cmp(const void *a, const void *b)
{
	const label *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	/* equal names: the later one sorts last, so it wins below */
	return c ? c : (x < y ? -1 : x > y);
}

/* A JSON object of strings as a Go map: sorted, last duplicate kept. */
static labels parse_metric(jsonr *r, arena *a, buf *key, buf *tmp)
{
	labels ls = {NULL, 0};
	if (jsonr_peek(r) == JSONR_NULL) {
		jsonr_skip(r);
		return ls;
	}
	if (!jsonr_obj_begin(r)) {
		jsonr_fail(r, "expected a label object");
		return ls;
	}
	size_t cap = 0, n = 0;
	label *v = NULL;
	while (jsonr_obj_key(r, key) == 1) {
		if (!(v = grow_or_fail(r, a, v, n, &cap, sizeof *v)))
			return ls;
		const char *name = arena_strndup(a, key->len ? (const char *)key->p : "", key->len);
		const char *val = dup_str(r, a, tmp);
		if (!name || !val) {
			if (!name)
				jsonr_fail(r, "out of memory");
			return ls;
		}
		v[n++] = (label){name, val};
	}
	if (!n)
		return ls;
	qsort(v, n, sizeof *v, label_name_cmp);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w && !strcmp(v[w - 1].name, v[i].name))
			w--;
		v[w++] = v[i];
	}
	ls.v = v, ls.n = w;
	return ls;
}



/* One element of a vector / matrix / series result. */
static void parse_series(jsonr *r, arena *a, api_vtype t, buf *key, buf *tmp, api_series *s)
{
	if (t == API_V_SERIES) {
		s->metric = parse_metric(r, a, key, tmp);
		return;
	}
	if (!jsonr_obj_begin(r)) {
		jsonr_fail(r, "expected a series object");
		return;
	}
	size_t cap = 0;
	while (jsonr_obj_key(r, key) == 1) {
		const char *k = buf_cstr(key);
		if (!strcmp(k, "metric")) {
			s->metric = parse_metric(r, a, key, tmp);
		} else if (t == API_V_VECTOR && !strcmp(k, "value")) {
			if (!s->pts && !(s->pts = arena_calloc(a, 1, sizeof *s->pts))) {
				jsonr_fail(r, "out of memory");
				return;
			}
			s->n_pts = 1;
			parse_point(r, tmp, s->pts, false);
		} else if (t == API_V_MATRIX && !strcmp(k, "values")) {
			s->n_pts = 0;
			if (jsonr_peek(r) == JSONR_NULL) {
				jsonr_skip(r);
				continue;
			}
			if (!jsonr_arr_begin(r)) {
				jsonr_fail(r, "expected an array of values");
				return;
			}
			while (jsonr_arr_next(r) == 1) {
				if (!(s->pts = grow_or_fail(r, a, s->pts, s->n_pts, &cap, sizeof *s->pts)))
					return;
				s->pts[s->n_pts] = (api_point){0, 0};
				parse_point(r, tmp, &s->pts[s->n_pts++], false);
			}
		} else if (!strcmp(k, "histogram") || !strcmp(k, "histograms")) {
			jsonr_fail(r, "native histograms are not supported");
			return;
		} else {
			jsonr_skip(r);
		}
	}
	if (t == API_V_VECTOR && !s->n_pts) {
		if (!(s->pts = arena_calloc(a, 1, sizeof *s->pts))) {
			jsonr_fail(r, "out of memory");
			return;
		}
		s->n_pts = 1;
	}
}

/* An array of series, label sets or strings into out. */
static void parse_list(jsonr *r, arena *a, api_vtype t, buf *key, buf *tmp, api_value *out)
{
	out->type = t;
	if (jsonr_peek(r) == JSONR_NULL) {
		jsonr_skip(r);
		out->null = true;
		return;
	}
	if (!jsonr_arr_begin(r)) {
		jsonr_fail(r, "expected an array");
		return;
	}
	size_t cap = 0;
	while (jsonr_arr_next(r) == 1) {
		if (t == API_V_VALUES) {
			if (!(out->values = grow_or_fail(r, a, out->values, out->n_values, &cap, sizeof *out->values)))
				return;
			const char *s = dup_str(r, a, tmp);
			if (!s)
				return;
			out->values[out->n_values++] = s;
			continue;
		}
		if (!(out->series = grow_or_fail(r, a, out->series, out->n_series, &cap, sizeof *out->series)))
			return;
		api_series *s = &out->series[out->n_series++];
		memset(s, 0, sizeof *s);
		parse_series(r, a, t, key, tmp, s);
	}
}

/* {"resultType": ..., "result": ...}: the result may come first, so its
 * span is kept and decoded once the type is known. */
static void parse_query(jsonr *r, arena *a, buf *key, buf *tmp, api_value *out)
{
	const char *res = NULL;
	size_t res_len = 0;
	char type[16] = "";
	if (!jsonr_obj_begin(r)) {
		jsonr_fail(r, "expected a query result object");
		return;
	}
	while (jsonr_obj_key(r, key) == 1) {
		const char *k = buf_cstr(key);
		if (!strcmp(k, "resultType")) {
			if (!jsonr_str(r, tmp))
				return;
			snprintf(type, sizeof type, "%s", buf_cstr(tmp));
			if (strcmp(type, "scalar") && strcmp(type, "vector") && strcmp(type, "matrix") && strcmp(type, "string")) {
				jsonr_fail(r, "unknown value type \"%s\"", buf_cstr(tmp));
				return;
			}
		} else if (!strcmp(k, "result")) {
			while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
				r->p++;
			res = r->p;
			if (!jsonr_skip(r))
				return;
			res_len = (size_t)(r->p - res);
		} else {
			jsonr_skip(r);
		}
	}
	if (r->err)
		return;
	if (strcmp(type, "scalar") && strcmp(type, "vector") && strcmp(type, "matrix")) {
		jsonr_fail(r, "unexpected value type \"%s\"", type);
		return;
	}
	jsonr sub;
	jsonr_init(&sub, res ? res : "null", res ? res_len : 4);
	if (!strcmp(type, "scalar")) {
		out->type = API_V_SCALAR;
		if (jsonr_peek(&sub) != JSONR_NULL)
			parse_point(&sub, tmp, &out->scalar, true);
	} else {
		parse_list(&sub, a, type[0] == 'v' ? API_V_VECTOR : API_V_MATRIX, key, tmp, out);
	}
	if (sub.err)
		jsonr_fail(r, "%s", sub.msg);
}

/* The end of a decode: nothing may follow; the scratch buffers freed. */
static int finish(jsonr *r, buf *key, buf *tmp, err *e)
{
	jsonr_end(r);
	buf_reset(key);
	buf_reset(tmp);
	if (r->err)
		return err_set(e, FL_EPARSE, "%s", r->msg);
	return 0;
}

int api_value_decode(const char *data, size_t len, api_vtype type, arena *a, api_value *out, err *e)
{
	memset(out, 0, sizeof *out);
	buf key, tmp;
	buf_init(&key);
	buf_init(&tmp);
	jsonr r;
	jsonr_init(&r, data, len);
	if (type == API_V_SERIES || type == API_V_VALUES)
		parse_list(&r, a, type, &key, &tmp, out);
	else
		parse_query(&r, a, &key, &tmp, out);
	return finish(&r, &key, &tmp, e);
}

int api_response_decode(const char *body, size_t len, arena *a, api_response *out, err *e)
{
	memset(out, 0, sizeof *out);
	out->status = out->error_type = out->error = "";
	buf key, tmp;
	buf_init(&key);
	buf_init(&tmp);
	jsonr r;
	jsonr_init(&r, body, len);
	size_t cap = 0;
	if (!jsonr_obj_begin(&r))
		jsonr_fail(&r, "expected a JSON object");
	while (jsonr_obj_key(&r, &key) == 1) {
		const char *k = buf_cstr(&key);
		const char **dst = !strcmp(k, "status") ? &out->status : !strcmp(k, "errorType") ? &out->error_type
								  : !strcmp(k, "error") ? &out->error : NULL;
		if (dst && jsonr_peek(&r) == JSONR_NULL) {
			jsonr_skip(&r);
		} else if (dst) {
			const char *s = dup_str(&r, a, &tmp);
			if (s)
				*dst = s;
		} else if (!strcmp(k, "data")) {
			while (r.p < r.end && (*r.p == ' ' || *r.p == '\t' || *r.p == '\n' || *r.p == '\r'))
				r.p++;
			out->data = r.p;
			if (jsonr_skip(&r))
				out->data_len = (size_t)(r.p - out->data);
		} else if (!strcmp(k, "warnings") && jsonr_peek(&r) == JSONR_ARR) {
			jsonr_arr_begin(&r);
			while (jsonr_arr_next(&r) == 1) {
				if (!(out->warnings = grow_or_fail(&r, a, out->warnings, out->n_warnings, &cap, sizeof *out->warnings)))
					break;
				const char *s = dup_str(&r, a, &tmp);
				if (s)
					out->warnings[out->n_warnings++] = s;
			}
		} else {
			jsonr_skip(&r);
		}
	}
	return finish(&r, &key, &tmp, e);
}

/* ---- printing ---- */

static void put_time(buf *b, int64_t ms)
{
	char t[FMT_FLOAT_F_MAX];
	buf_put(b, t, (size_t)fmt_go_f(t, (double)ms / 1000.0));
}

static void put_value(buf *b, double v)
{
	char t[FMT_FLOAT_F_MAX];
	buf_put(b, t, (size_t)fmt_go_f(t, v));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* model.Metric.String(): the name, then `k="v"` (strconv.Quote) strings
 * sorted as strings, in braces; "{}" for an empty metric. */
static void put_metric(buf *b, labels ls)
{
	const char *name = labels_get(ls, LABEL_NAME);
	bool has_name = false;
	for (size_t i = 0; i < ls.n; i++)
		has_name |= !strcmp(ls.v[i].name, LABEL_NAME);
	size_t n = ls.n - (has_name ? 1 : 0);
	if (!n) {
		buf_put_str(b, has_name ? name : "{}");
		return;
	}
	buf parts;
	buf_init(&parts);
	size_t *offs = fl_malloc((n + 1) * sizeof *offs);
	const char **strs = fl_malloc(n * sizeof *strs);
	if (!offs || !strs) {
		fl_free(offs);
		fl_free(strs);
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < ls.n; i++) {
		if (!strcmp(ls.v[i].name, LABEL_NAME))
			continue;
		offs[k++] = parts.len;
		buf_put_str(&parts, ls.v[i].name);
		buf_put_byte(&parts, '=');
		fmt_go_quote(&parts, ls.v[i].value, strlen(ls.v[i].value));
		buf_put_byte(&parts, 0);
	}
	for (size_t i = 0; i < n; i++)
		strs[i] = (const char *)parts.p + offs[i];
	qsort(strs, n, sizeof *strs, str_cmp);
	if (has_name)
		buf_put_str(b, name);
	buf_put_byte(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put_str(b, ", ");
		buf_put_str(b, strs[i]);
	}
	buf_put_byte(b, '}');
	fl_free(offs);
	fl_free(strs);
	buf_reset(&parts);
}

/* model.LabelSet.Before: fewer labels first, then the first differing
 * value over the union of names in order (a name missing from a side
 * makes that side first). */
static bool metric_before(labels a, labels b)
{
	if (a.n != b.n)
		return a.n < b.n;
	size_t i = 0, j = 0;
	while (i < a.n && j < b.n) {
		int c = strcmp(a.v[i].name, b.v[j].name);
		if (c < 0)
			return false; /* b lacks a's name */
		if (c > 0)
			return true;  /* a lacks b's name */
		int d = strcmp(a.v[i].value, b.v[j].value);
		if (d)
			return d < 0;
		i++, j++;
	}
	return false;
}

static int series_cmp(const void *x, const void *y)
{
	const api_series *a = *(const api_series *const *)x, *b = *(const api_series *const *)y;
	return metric_before(a->metric, b->metric) ? -1 : metric_before(b->metric, a->metric) ? 1 : 0;
}

static void put_point(buf *b, const api_point *p)
{
	put_value(b, p->v);
	buf_put_str(b, " @[");
	put_time(b, p->t_ms);
	buf_put_byte(b, ']');
}

void api_value_print_promql(buf *b, const api_value *v)
{
	switch (v->type) {
	case API_V_SCALAR:
		buf_put_str(b, "scalar: ");
		put_point(b, &v->scalar);
		buf_put_byte(b, '\n');
		return;
	case API_V_VECTOR:
		for (size_t i = 0; i < v->n_series; i++) {
			if (i)
				buf_put_byte(b, '\n');
			put_metric(b, v->series[i].metric);
			buf_put_str(b, " => ");
			put_point(b, &v->series[i].pts[0]);
		}
		buf_put_byte(b, '\n');
		return;
	case API_V_MATRIX: {
		const api_series **s = fl_malloc((v->n_series + 1) * sizeof *s);
		if (!s)
			return;
		for (size_t i = 0; i < v->n_series; i++)
			s[i] = &v->series[i];
		qsort(s, v->n_series, sizeof *s, series_cmp);
		for (size_t i = 0; i < v->n_series; i++) {
			if (i)
				buf_put_byte(b, '\n');
			put_metric(b, s[i]->metric);
			buf_put_str(b, " =>\n");
			for (size_t k = 0; k < s[i]->n_pts; k++) {
				if (k)
					buf_put_byte(b, '\n');
				put_point(b, &s[i]->pts[k]);
			}
		}
		buf_put_byte(b, '\n');
		fl_free(s);
		return;
	}
	case API_V_SERIES:
		for (size_t i = 0; i < v->n_series; i++) {
			labels_format(b, v->series[i].metric); /* model.LabelSet.String() */
			buf_put_byte(b, '\n');
		}
		return;
	case API_V_VALUES:
		for (size_t i = 0; i < v->n_values; i++) {
			buf_put_str(b, v->values[i]);
			buf_put_byte(b, '\n');
		}
		return;
	}
}

/* [t,"v"] as encoding/json writes a SamplePair. */
static void json_point(json_w *j, const api_point *p)
{
	char t[FMT_FLOAT_F_MAX + 8];
	size_t n = 0;
	n += (size_t)fmt_go_f(t, (double)p->t_ms / 1000.0);
	json_arr_open(j);
	json_raw(j, t, n);
	n = (size_t)fmt_go_f(t, p->v);
	json_strn(j, t, n);
	json_arr_close(j);
}

static void json_labels(json_w *j, labels ls)
{
	json_obj_open(j);
	for (size_t i = 0; i < ls.n; i++)
		json_kstr(j, ls.v[i].name, ls.v[i].value);
	json_obj_close(j);
}

void api_value_print_json(buf *b, const api_value *v)
{
	json_w j;
	json_init(&j, b);
	if (v->null) {
		buf_put_str(b, "null\n");
		return;
	}
	switch (v->type) {
	case API_V_SCALAR:
		json_point(&j, &v->scalar);
		break;
	case API_V_VECTOR:
	case API_V_MATRIX:
	case API_V_SERIES:
		json_arr_open(&j);
		for (size_t i = 0; i < v->n_series; i++) {
			const api_series *s = &v->series[i];
			if (v->type == API_V_SERIES) {
				json_labels(&j, s->metric);
				continue;
			}
			json_obj_open(&j);
			json_key(&j, "metric");
			json_labels(&j, s->metric);
			if (v->type == API_V_VECTOR) {
				json_key(&j, "value");
				json_point(&j, &s->pts[0]);
			} else {
				json_key(&j, "values");
				json_arr_open(&j);
				for (size_t k = 0; k < s->n_pts; k++)
					json_point(&j, &s->pts[k]);
				json_arr_close(&j);
			}
			json_obj_close(&j);
		}
		json_arr_close(&j);
		break;
	case API_V_VALUES:
		json_arr_open(&j);
		for (size_t i = 0; i < v->n_values; i++)
			json_str(&j, v->values[i]);
		json_arr_close(&j);
		break;
	}
	buf_put_byte(b, '\n');
}
