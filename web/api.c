/*
 * api.c - what every /api/v1 handler shares (Prometheus web/api/v1/api.go
 * respond/respondError and its parameter helpers):
 *
 *   success: {"status":"success","data":<data>[,"warnings":[...]][,"infos":[...]]}
 *   error:   {"status":"error","errorType":"bad_data","error":"<message>"}
 *
 * Error types and HTTP codes (3.x, which flint follows; 2.42 sends 503 for
 * canceled): bad_data 400, execution 422, timeout 503, canceled 499,
 * internal 500, unavailable 500, not_found 404, not_acceptable 406.
 */
#include "web/web.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/timeparse.h"

static const struct {
	const char *name;
	int status;
} errtypes[] = {
	[API_BAD_DATA] = {"bad_data", 400},     [API_EXECUTION] = {"execution", 422},
	[API_TIMEOUT] = {"timeout", 503},       [API_CANCELED] = {"canceled", 499},
	[API_INTERNAL] = {"internal", 500},     [API_UNAVAILABLE] = {"unavailable", 500},
	[API_NOT_FOUND] = {"not_found", 404},   [API_NOT_ACCEPTABLE] = {"not_acceptable", 406},
};

const char *api_errtype_name(api_errtype t) { return errtypes[t].name; }
int api_errtype_status(api_errtype t) { return errtypes[t].status; }

const char *http_param_get(const http_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (!strcmp(r->params[i].name, name))
			return r->params[i].value;
	return NULL;
}

void http_resp_header(http_resp *w, const char *name, const char *value)
{
	for (int i = 0; i < w->n_hdr; i++)
		if (!strcasecmp(w->hdr_name[i], name)) {
			w->hdr_value[i] = value;
			return;
		}
	if (w->n_hdr < HTTP_MAX_HEADERS) {
		w->hdr_name[w->n_hdr] = name;
		w->hdr_value[w->n_hdr] = value;
		w->n_hdr++;
	}
}

void web_text(http_resp *w, int status, const char *text)
{
	w->status = status;
	w->content_type = "text/plain; charset=utf-8";
	buf_clear(&w->body);
	buf_put_str(&w->body, text);
}

void api_begin(http_resp *w, json_w *j)
{
	w->status = 200;
	w->content_type = "application/json";
	buf_clear(&w->body);
	json_init(j, &w->body);
	json_obj_open(j);
	json_kstr(j, "status", "success");
	json_key(j, "data");
}

static void str_array(json_w *j, const char *key, const char *const *v, size_t n)
{
	if (!n)
		return;
	json_key(j, key);
	json_arr_open(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, v[i]);
	json_arr_close(j);
}

void api_end(json_w *j, const char *const *warnings, size_t n_warnings, const char *const *infos, size_t n_infos)
{
	str_array(j, "warnings", warnings, n_warnings);
	str_array(j, "infos", infos, n_infos);
	json_obj_close(j);
}

void api_error(http_resp *w, api_errtype t, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->status = errtypes[t].status;
	w->content_type = "application/json";
	buf_clear(&w->body);
	json_w j;
	json_init(&j, &w->body);
	json_obj_open(&j);
	json_kstr(&j, "status", "error");
	json_kstr(&j, "errorType", errtypes[t].name);
	json_kstr(&j, "error", msg);
	json_obj_close(&j);
}

size_t api_param_all(const http_req *r, const char *name, const char **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_params; i++)
		if (!strcmp(r->params[i].name, name)) {
			if (n < cap)
				out[n] = r->params[i].value;
			n++;
		}
	return n;
}

int api_param_time(const http_req *r, http_resp *w, const char *name, int64_t dflt, int64_t *ms)
{
	const char *v = http_param_get(r, name);
	if (!v || !*v) {
		*ms = dflt;
		return 0;
	}
	err e;
	err_clear(&e);
	if (timeparse_time(v, ms, &e)) {
		api_error(w, API_BAD_DATA, "invalid parameter \"%s\": Invalid time value for '%s': %s", name, name, e.msg);
		return -1;
	}
	return 0;
}


int api_parse_query_param(const http_req *r, http_resp *w, promql_expr *x)
{
	const char *q = http_param_get(r, "query");
	err e;
	err_clear(&e);
	if (promql_parse(q ? q : "", x, &e)) {
		api_error(w, API_BAD_DATA, "invalid parameter \"query\": %s", e.msg);
		promql_expr_free(x);
		return -1;
	}
	return 0;
}
