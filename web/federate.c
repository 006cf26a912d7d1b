/*
 * federate.c - GET /federate?match[]=... (Prometheus web/federate.go): the
 * latest sample of every series matching any of the selectors, within the
 * lookback window [now - lookback, now], in the text exposition format
 * 0.0.4:
 *
 *   # TYPE http_requests_total untyped
 *   http_requests_total{job="api",instance=""} 1027 1700000000000
 *
 * As Prometheus does: a bad selector answers 400 (plain text); stale
 * markers are dropped (the format has none); series are grouped into one
 * family per metric name, families sorted by name, each with a
 * `# TYPE <name> untyped` line and no HELP; empty-valued labels and
 * nameless series are skipped; the external labels follow the series' own
 * labels (those the series lacks), with `instance=""` added when no
 * external label is called instance, so that the federating server keeps
 * the original instance rather than adding its own. Values use Go's %g
 * (client_golang's writeFloat), with the sample's timestamp in ms.
 * A series matched by several selectors is written once.
 */
#include <stdio.h>
#include <stdlib.h>

#include "promql/ast.h"
#include "web/remote.h"

typedef struct fed_sample {
	labels ls;   /* request arena */
	int64_t t;   /* latest timestamp in the window */
	double v;    /* its value */
} fed_sample;

typedef struct fed_vec {
	fed_sample *v;
	size_t n, cap;
} fed_vec;

static bool is_stale(double v)
{
	uint64_t b;
	memcpy(&b, &v, 8);
	return b == 0x7ff0000000000002ull;
}

static int fed_cmp(const void *x, const void *y)
{
	const fed_sample *a = x, *b = y;
	const char *na = labels_get(a->ls, LABEL_NAME), *nb = labels_get(b->ls, LABEL_NAME);
	int c = strcmp(na ? na : "", nb ? nb : "");
	return c ? c : labels_compare(a->ls, b->ls);
}

/* Latest sample of each series of one selector into vec. */
static int collect(querier *q, const select_hints *h, const matcher *ms, size_t n, arena *a, fed_vec *vec, err *e)
{
	series_set *ss = querier_select(q, true, h, ms, n);
	sample_iter *it = NULL;
	int rc = 0;
	while (!rc && series_set_next(ss)) {
		it = series_set_iter(ss, it);
		int64_t t = 0, lt = 0;
		double v = 0, lv = 0;
		bool have = false;
		int vt;
		while ((vt = sample_iter_next(it)) != VAL_NONE) {
			if (vt != VAL_FLOAT)
				continue;
			sample_iter_at(it, &t, &v);
			if (t > h->end_ms)
				break;
			lt = t, lv = v, have = true;
		}
		rc = sample_iter_err(it, e);
		if (rc || !have || is_stale(lv))
			continue;
		if (!fl_grow((void **)&vec->v, &vec->cap, vec->n + 1, sizeof *vec->v)) {
			rc = err_set(e, FL_ENOMEM, "federate: out of memory");
			break;
		}
		labels ls = labels_copy(a, series_set_labels(ss));
		if (!ls.v && series_set_labels(ss).n) {
			rc = err_set(e, FL_ENOMEM, "federate: out of memory");
			break;
		}
		vec->v[vec->n++] = (fed_sample){ls, lt, lv};
	}
	if (!rc)
		rc = series_set_err(ss, e);
	sample_iter_close(it);
	series_set_close(ss);
	return rc;
}

static void put_label(buf *b, bool *first, const char *name, const char *value)
{
	buf_put_byte(b, *first ? '{' : ',');
	*first = false;
	buf_put_str(b, name);
	buf_put_str(b, "=\"");
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			buf_put_str(b, "\\\\");
		else if (*p == '"')
			buf_put_str(b, "\\\"");
		else if (*p == '\n')
			buf_put_str(b, "\\n");
		else
			buf_put_byte(b, (uint8_t)*p);
	}
	buf_put_byte(b, '"');
}

static void write_vec(buf *b, const fed_vec *vec, labels ext)
{
	bool ext_instance = labels_get(ext, "instance") != NULL;
	const char *last = NULL;
	for (size_t i = 0; i < vec->n; i++) {
		const fed_sample *s = &vec->v[i];
		if (i && !labels_compare(s->ls, vec->v[i - 1].ls))
			continue;
		const char *name = labels_get(s->ls, LABEL_NAME);
		if (!name || !*name)
			continue;
		if (!last || strcmp(last, name))
			buf_printf(b, "# TYPE %s untyped\n", name);
		last = name;
		buf_put_str(b, name);
		bool first = true;
		for (size_t k = 0; k < s->ls.n; k++)
			if (s->ls.v[k].value[0] && strcmp(s->ls.v[k].name, LABEL_NAME))
				put_label(b, &first, s->ls.v[k].name, s->ls.v[k].value);
		for (size_t k = 0; k < ext.n; k++)
			if (!labels_get(s->ls, ext.v[k].name) || !labels_get(s->ls, ext.v[k].name)[0])
				put_label(b, &first, ext.v[k].name, ext.v[k].value);
		if (!ext_instance && !(labels_get(s->ls, "instance") && labels_get(s->ls, "instance")[0]))
			put_label(b, &first, "instance", "");
		if (!first)
			buf_put_byte(b, '}');
		buf_put_byte(b, ' ');
		remote_put_float(b, s->v);
		buf_printf(b, " %lld\n", (long long)s->t);
	}
}

/* Parse every match[] and collect; answers errors itself. */
static int federate_collect(web_env *env, const http_req *r, http_resp *w, querier *q, const select_hints *h, fed_vec *vec)
{
	err e;
	err_clear(&e);
	for (size_t i = 0; i < r->n_params; i++) {
		if (strcmp(r->params[i].name, "match[]"))
			continue;
		matcher *ms = NULL;
		size_t n = 0;
		int rc = promql_parse_selector(r->params[i].value, r->arena, &ms, &n, &e);
		if (rc) {
			remote_http_error(w, 400, e.msg);
			return rc;
		}
		rc = collect(q, h, ms, n, r->arena, vec, &e);
		for (size_t k = 0; k < n; k++)
			matcher_reset(&ms[k]);
		if (rc) {
			remote_http_error(w, 500, e.msg);
			return rc;
		}
	}
	return 0;
}

void federate_handler(web_env *env, const http_req *r, http_resp *w)
{
	if (!env->queryable)
		return remote_http_error(w, 503, "Service Unavailable");
	int64_t now = remote_now_ms();
	select_hints h = {.start_ms = now - env->opts.lookback_ms, .end_ms = now};
	err e;
	err_clear(&e);
	querier *q = queryable_querier(env->queryable, h.start_ms, h.end_ms, &e);
	if (!q)
		return remote_http_error(w, 500, e.msg[0] ? e.msg : "federate: cannot open a querier");
	fed_vec vec = {0};
	if (federate_collect(env, r, w, q, &h, &vec) == 0) {
		if (vec.n > 1)
			qsort(vec.v, vec.n, sizeof *vec.v, fed_cmp);
		w->status = 200;
		w->content_type = "text/plain; version=0.0.4; charset=utf-8";
		buf_clear(&w->body);
		write_vec(&w->body, &vec, remote_external_labels(env, r->arena));
	}
	fl_free(vec.v);
	querier_close(q);
}
