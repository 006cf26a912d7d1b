/*
 * api_series.c - the metadata side of the API (Prometheus web/api/v1/api.go
 * series, labelNames, labelValues, metricMetadata, targets...,
 * rules, alerts, alertmanagers).
 *
 * match[] selectors are parsed with the PromQL selector parser; a set whose
 * matchers all match the empty string is refused ("match[] must contain at
 * least one non-empty matcher"). start/end default to Prometheus's min/max
 * API times. limit (3.x): 0 = none, negative is bad_data; when more results
 * exist the first `limit` are returned with the warning "results truncated
 * due to limit". Label names in /label/<name>/values may be UTF-8 escaped
 * as `U__...` (model.UnescapeName, value-encoding escaping), as Grafana
 * sends them.
 *
 * Rules, alerts, targets and alertmanagers are well-formed and empty until
 * flint has rule evaluation and scraping (later issues).
 */
#include "web/web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/timeparse.h"
#include "web/metadata.h"

int api_parse_matchers(const http_req *r, http_resp *w, api_matchers *m) { return api_parse_selectors(r, w, m, true); }

int api_parse_selectors(const http_req *r, http_resp *w, api_matchers *m, bool nonempty_only)
{
	memset(m, 0, sizeof *m);
	size_t n = api_param_all(r, "match[]", NULL, 0);
	if (!n)
		return 0;
	const char **sel = arena_calloc(r->arena, n, sizeof *sel);
	m->sets = arena_calloc(r->arena, n, sizeof *m->sets);
	m->lens = arena_calloc(r->arena, n, sizeof *m->lens);
	if (!sel || !m->sets || !m->lens) {
		api_error(w, API_INTERNAL, "out of memory");
		return -1;
	}
	api_param_all(r, "match[]", sel, n);
	for (size_t i = 0; i < n; i++) {
		err e;
		err_clear(&e);
		if (promql_parse_selector(sel[i], r->arena, &m->sets[i], &m->lens[i], &e)) {
			m->n = i + (m->sets[i] != NULL);
			api_error(w, API_BAD_DATA, "invalid parameter \"match[]\": %s", e.msg);
			api_matchers_free(m);
			return -1;
		}
		m->n = i + 1;
	}
	for (size_t i = 0; nonempty_only && i < m->n; i++) {
		bool nonempty = false;
		for (size_t k = 0; k < m->lens[i]; k++)
			if (!matcher_matches_empty(&m->sets[i][k]))
				nonempty = true;
		if (!nonempty) {
			api_error(w, API_BAD_DATA, "invalid parameter \"match[]\": match[] must contain at least one non-empty matcher");
			api_matchers_free(m);
			return -1;
		}
	}
	return 0;
}

void api_matchers_free(api_matchers *m)
{
	for (size_t i = 0; i < m->n; i++)
		for (size_t k = 0; m->sets[i] && k < m->lens[i]; k++)
			matcher_reset(&m->sets[i][k]);
	m->n = 0;
}

/* limit: 0 = none. Writes the error answer on failure. */
static int limit_param(const http_req *r, http_resp *w, size_t *limit)
{
	const char *s = http_param_get(r, "limit");
	*limit = 0;
	if (!s || !*s)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || end == s || errno) {
		api_error(w, API_BAD_DATA, "invalid parameter \"limit\": strconv.Atoi: parsing \"%s\": %s", s,
			  errno ? "value out of range" : "invalid syntax");
		return -1;
	}
	if (v < 0) {
		api_error(w, API_BAD_DATA, "invalid parameter \"limit\": limit must be non-negative");
		return -1;
	}
	*limit = (size_t)v;
	return 0;
}

/* The common prologue: form errors, start, end, match[], limit, a querier. */
typedef struct lookup {
	int64_t start, end; /* ms */
	api_matchers m;     /* parsed match[] */
	size_t limit;       /* 0 = none */
	querier *q;         /* open over [start, end] */
} lookup;

static int lookup_open(web_env *env, const http_req *r, http_resp *w, lookup *lk)
{
	memset(lk, 0, sizeof *lk);
	if (r->form_error) {
		api_error(w, API_BAD_DATA, "error parsing form values: %s", r->form_error);
		return -1;
	}
	if (api_param_time(r, w, "start", TIME_API_MIN_MS, &lk->start) ||
	    api_param_time(r, w, "end", TIME_API_MAX_MS, &lk->end))
		return -1;
	if (api_parse_matchers(r, w, &lk->m))
		return -1;
	if (limit_param(r, w, &lk->limit)) {
		api_matchers_free(&lk->m);
		return -1;
	}
	err e;
	err_clear(&e);
	lk->q = queryable_querier(env->queryable, lk->start, lk->end, &e);
	if (!lk->q) {
		api_error(w, API_INTERNAL, "%s", e.msg);
		api_matchers_free(&lk->m);
		return -1;
	}
	return 0;
}

static void lookup_close(lookup *lk)
{
	querier_close(lk->q);
	api_matchers_free(&lk->m);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Answer a sorted, unique string list (limit applied). */
static void answer_strings(http_resp *w, const char **v, size_t n, size_t limit)
{
	const char *warn = "results truncated due to limit";
	bool truncated = limit && n > limit;
	json_w j;
	api_begin(w, &j);
	json_arr_open(&j);
	for (size_t i = 0; i < (truncated ? limit : n); i++)
		json_str(&j, v[i]);
	json_arr_close(&j);
	api_end(&j, truncated ? &warn : NULL, truncated, NULL, 0);
}

/* Union of lists, sorted and unique, into an fl_malloc'd array. */
static size_t merge_lists(strlist *ls, size_t n, const char ***out)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += ls[i].n;
	const char **v = fl_malloc((total ? total : 1) * sizeof *v);
	if (!v) {
		*out = NULL;
		return 0;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t x = 0; x < ls[i].n; x++)
			v[k++] = ls[i].v[x];
	if (k)
		qsort(v, k, sizeof *v, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[u - 1], v[i]))
			v[u++] = v[i];
	*out = v;
	return u;
}

/* names (value == NULL) or values of a label, over every match[] set. */
static void names_or_values(web_env *env, const http_req *r, http_resp *w, const char *label)
{
	lookup lk;
	if (lookup_open(env, r, w, &lk))
		return;
	size_t nl = lk.m.n ? lk.m.n : 1;
	strlist *ls = fl_calloc(nl, sizeof *ls);
	err e;
	err_clear(&e);
	int rc = ls ? 0 : FL_ENOMEM;
	for (size_t i = 0; i < nl && !rc; i++) {
		const matcher *ms = lk.m.n ? lk.m.sets[i] : NULL;
		size_t n = lk.m.n ? lk.m.lens[i] : 0;
		rc = label ? querier_label_values(lk.q, label, ms, n, &ls[i], &e) : querier_label_names(lk.q, ms, n, &ls[i], &e);
	}
	if (rc) {
		api_error(w, API_INTERNAL, "%s", e.msg[0] ? e.msg : fl_strerror(rc));
	} else {
		const char **v;
		size_t n = merge_lists(ls, nl, &v);
		answer_strings(w, v, n, lk.limit);
		fl_free((void *)v);
	}
	for (size_t i = 0; ls && i < nl; i++)
		strlist_free(&ls[i]);
	fl_free(ls);
	lookup_close(&lk);
}

WEB_HANDLER(api_labels_handler) { names_or_values(env, r, w, NULL); }

/* model.UnescapeName: "U__" + escaped name -> the UTF-8 name; the input
 * itself when it is not a valid escape. Result in the request arena. */
static const char *unescape_name(arena *a, const char *s)
{
	if (strncmp(s, "U__", 3))
		return s;
	const char *p = s + 3;
	size_t n = strlen(p);
	char *out = arena_alloc(a, n * 4 + 1);
	if (!out)
		return s;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '_') {
			if (i + 1 < n && p[i + 1] == '_') {
				out[o++] = '_';
				i++;
				continue;
			}
			uint32_t cp = 0;
			size_t j = i + 1;
			for (; j < n && p[j] != '_'; j++) {
				int d = p[j] >= '0' && p[j] <= '9' ? p[j] - '0' : (p[j] | 32) >= 'a' && (p[j] | 32) <= 'f' ? (p[j] | 32) - 'a' + 10 : -1;
				if (d < 0 || cp > 0x10ffff)
					return s;
				cp = cp * 16 + (uint32_t)d;
			}
			if (j >= n || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return s;
			i = j;
			if (cp < 0x80)
				out[o++] = (char)cp;
			else if (cp < 0x800)
				out[o++] = (char)(0xc0 | cp >> 6), out[o++] = (char)(0x80 | (cp & 0x3f));
			else if (cp < 0x10000)
				out[o++] = (char)(0xe0 | cp >> 12), out[o++] = (char)(0x80 | (cp >> 6 & 0x3f)), out[o++] = (char)(0x80 | (cp & 0x3f));
			else
				out[o++] = (char)(0xf0 | cp >> 18), out[o++] = (char)(0x80 | (cp >> 12 & 0x3f)),
				out[o++] = (char)(0x80 | (cp >> 6 & 0x3f)), out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ':' || (c >= '0' && c <= '9' && i > 0)) {
			out[o++] = c;
		} else {
			return s;
		}
	}
	out[o] = 0;
	return out;
}

WEB_HANDLER(api_label_values_handler)
{
	/* path_arg is "<name>/values" */
	const char *arg = r->path_arg ? r->path_arg : "";
	const char *slash = strrchr(arg, '/');
	if (!slash || strcmp(slash, "/values") || slash == arg) {
		web_text(w, 404, "404 page not found\n");
		return;
	}
	const char *name = unescape_name(r->arena, arena_strndup(r->arena, arg, (size_t)(slash - arg)));
	if (!name || !*name) {
		api_error(w, API_BAD_DATA, "invalid label name: \"%s\"", name ? name : "");
		return;
	}
	names_or_values(env, r, w, name);
}

static int cmp_labels(const void *a, const void *b) { return labels_compare(*(const labels *)a, *(const labels *)b); }

WEB_HANDLER(api_series_handler)
{
	if (r->form_error) {
		api_error(w, API_BAD_DATA, "error parsing form values: %s", r->form_error);
		return;
	}
	if (!api_param_all(r, "match[]", NULL, 0)) {
		api_error(w, API_BAD_DATA, "no match[] parameter provided");
		return;
	}
	lookup lk;
	if (lookup_open(env, r, w, &lk))
		return;
	/* collect every set's series, then sort and dedupe by labels */
	select_hints h = {.start_ms = lk.start, .end_ms = lk.end, .func = "series", .series_only = true};
	labels *all = NULL;
	size_t n = 0, cap = 0;
	err e;
	err_clear(&e);
	int rc = 0;
	for (size_t i = 0; i < lk.m.n && !rc; i++) {
		series_set *ss = querier_select(lk.q, true, &h, lk.m.sets[i], lk.m.lens[i]);
		while (series_set_next(ss)) {
			if (!fl_grow((void **)&all, &cap, n + 1, sizeof *all)) {
				rc = err_set(&e, FL_ENOMEM, "out of memory");
				break;
			}
			all[n++] = series_set_labels(ss);
		}
		if (!rc)
			rc = series_set_err(ss, &e);
		series_set_close(ss);
	}
	if (rc) {
		api_error(w, API_INTERNAL, "%s", e.msg);
	} else {
		if (lk.m.n > 1 && n)
			qsort(all, n, sizeof *all, cmp_labels);
		const char *warn = "results truncated due to limit";
		size_t shown = 0;
		bool truncated = false;
		json_w j;
		api_begin(w, &j);
		json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			if (i && labels_equal(all[i - 1], all[i]))
				continue;
			if (lk.limit && shown == lk.limit) {
				truncated = true;
				break;
			}
			json_result_labels(&j, all[i]);
			shown++;
		}
		json_arr_close(&j);
		api_end(&j, truncated ? &warn : NULL, truncated, NULL, 0);
	}
	fl_free(all);
	lookup_close(&lk);
}

WEB_HANDLER(api_metadata_handler)
{
	const char *ls = http_param_get(r, "limit"), *metric = http_param_get(r, "metric");
	const char *lpm = http_param_get(r, "limit_per_metric");
	long long limit = -1;
	if (ls && *ls) {
		char *end;
		limit = strtoll(ls, &end, 10);
		if (*end || end == ls) {
			api_error(w, API_BAD_DATA, "limit must be a number");
			return;
		}
	}
	if (lpm && *lpm) {
		char *end;
		long long v = strtoll(lpm, &end, 10);
		(void)v;
		if (*end || end == lpm) {
			api_error(w, API_BAD_DATA, "limit_per_metric must be a number");
			return;
		}
	}
	metadata_entry *v = NULL;
	size_t n = metadata_store_snapshot(env->metadata, &v);
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	long long shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (metric && *metric && strcmp(metric, v[i].metric))
			continue;
		if (limit >= 0 && shown >= limit)
			break;
		json_key(&j, v[i].metric);
		json_arr_open(&j);
		json_obj_open(&j);
		json_kstr(&j, "type", v[i].type);
		json_kstr(&j, "help", v[i].help);
		json_kstr(&j, "unit", v[i].unit);
		json_obj_close(&j);
		json_arr_close(&j);
		shown++;
	}
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
	metadata_snapshot_free(v, n);
}

/* An object whose members are the given empty arrays (and, for
 * targets, the empty droppedTargetCounts object). */
static void answer_empty(http_resp *w, const char *const *arrays, size_t n, const char *empty_obj)
{
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	for (size_t i = 0; i < n; i++) {
		json_key(&j, arrays[i]);
		json_arr_open(&j);
		json_arr_close(&j);
	}
	if (empty_obj) {
		json_key(&j, empty_obj);
		json_obj_open(&j);
		json_obj_close(&j);
	}
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

WEB_HANDLER(api_rules_handler)
{
	static const char *const keys[] = {"groups"};
	(void)env;
	const char *type = http_param_get(r, "type");
	if (type && *type && strcasecmp(type, "alert") && strcasecmp(type, "record")) {
		api_error(w, API_BAD_DATA, "invalid parameter \"type\": not supported value \"%s\"", type);
		return;
	}
	answer_empty(w, keys, 1, NULL);
}

WEB_HANDLER(api_alerts_handler)
{
	static const char *const keys[] = {"alerts"};
	(void)env;
	(void)r;
	answer_empty(w, keys, 1, NULL);
}

WEB_HANDLER(api_alertmanagers_handler)
{
	static const char *const keys[] = {"activeAlertmanagers", "droppedAlertmanagers"};
	(void)env;
	(void)r;
	answer_empty(w, keys, 2, NULL);
}
