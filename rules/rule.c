/*
 * rule.c - one rule's evaluation, as Prometheus's rules/recording.go and
 * rules/alerting.go.
 *
 * Recording rule: run the expression at ts - query_offset; every sample is
 * renamed to the rule's name and gets the rule's labels (group labels
 * merged under them at load). Two outputs with one label set is an error
 * ("vector contains metrics with the same labelset after applying rule
 * labels"); so is passing the group's limit ("exceeded limit of N with M
 * series").
 *
 * Alerting rule: every sample of the expression is an alert whose labels
 * are the sample's without __name__, plus the rule's labels (templates
 * expanded with $labels/$value/$externalLabels/$externalURL), plus
 * alertname. Alerts are kept in r->active by label hash:
 *   new              -> pending (active_at = ts)
 *   pending, ts - active_at >= for -> firing (fired_at = ts)
 *   absent from the result: pending -> deleted; firing -> inactive
 *     (resolved_at = ts) unless keep_firing_for holds it firing; resolved
 *     alerts are kept 15m (resolvedRetention) so that resends reach every
 *     Alertmanager.
 * Once restored, each active alert yields ALERTS{alertstate=...} 1 and
 * ALERTS_FOR_STATE = active_at in Unix seconds.
 */
#include "rules/rule_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fmtfloat.h"
#include "lib/log.h"
#include "rules/template.h"

#define RULE_DUP_RECORD "vector contains metrics with the same labelset after applying rule labels"
#define RULE_DUP_ALERT "vector contains metrics with the same labelset after applying alert labels"

static int vec_push(rule_vec *out, arena *a, labels ls, int64_t t, double v)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		rule_sample *nv = arena_alloc(a, cap * sizeof *nv);
		if (!nv)
			return FL_ENOMEM;
		if (out->n)
			memcpy(nv, out->v, out->n * sizeof *nv);
		out->v = nv;
		out->cap = cap;
	}
	out->v[out->n++] = (rule_sample){ls, t, v};
	return 0;
}

/* A query's result as rules take it: a vector, or a scalar as one sample. */
static int take_result(promql_result *res, int rc, arena *a, rule_vec *out, err *e)
{
	if (rc == 0) {
		if (res->type == PT_VECTOR) {
			for (size_t i = 0; i < res->n_series && rc == 0; i++) {
				const promql_series *s = &res->series[i];
				labels ls = labels_copy(a, s->metric);
				if (s->metric.n && !ls.v)
					rc = err_set(e, FL_ENOMEM, "out of memory");
				else if (s->n)
					rc = vec_push(out, a, ls, s->samples[0].t, s->samples[0].v);
			}
		} else if (res->type == PT_SCALAR) {
			rc = vec_push(out, a, (labels){NULL, 0}, res->t, res->scalar);
		} else {
			rc = err_set(e, FL_EINVAL, "rule result is not a vector or scalar");
		}
		if (rc == FL_ENOMEM && !e->code)
			err_set(e, FL_ENOMEM, "out of memory");
	}
	promql_result_free(res);
	return rc;
}

int rule__query(const rules_opts *o, const char *q, int64_t t_ms, arena *a, rule_vec *out, err *e)
{
	promql_result res;
	int rc = promql_query_instant(o->engine, o->queryable, q, t_ms, NULL, &res, e);
	return take_result(&res, rc, a, out, e);
}

int rule__query_expr(const rules_opts *o, const promql_expr *x, int64_t t_ms, arena *a, rule_vec *out, err *e)
{
	promql_result res;
	int rc = promql_query_instant_expr(o->engine, o->queryable, x, t_ms, NULL, &res, e);
	return take_result(&res, rc, a, out, e);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Sort hashes; true when two are equal. */
static bool hashes_sort_dup(uint64_t *h, size_t n)
{
	if (n < 2)
		return false;
	qsort(h, n, sizeof *h, cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (h[i] == h[i - 1])
			return true;
	return false;
}

static bool hashes_has(const uint64_t *h, size_t n, uint64_t x)
{
	return n && bsearch(&x, h, n, sizeof *h, cmp_u64) != NULL;
}

/* ---- recording rules ---- */

static int eval_recording(const rule *r, const rule_group *g, int64_t qt, arena *a, rule_vec *out, err *e)
{
	rule_vec res = {0};
	int rc = rule__query_expr(g->opts, r->parsed, qt, a, &res, e);
	if (rc)
		return rc;
	labels_builder b;
	labels_builder_init(&b);
	uint64_t *h = res.n ? arena_alloc(a, res.n * sizeof *h) : NULL;
	if (res.n && !h)
		return err_set(e, FL_ENOMEM, "out of memory");
	for (size_t i = 0; i < res.n && rc == 0; i++) {
		labels_builder_reset(&b, res.v[i].ls);
		labels_builder_set(&b, LABEL_NAME, r->name);
		for (size_t j = 0; j < r->labels.n; j++)
			labels_builder_set(&b, r->labels.v[j].name, r->labels.v[j].value);
		labels ls = labels_copy(a, labels_builder_labels(&b));
		if (b.oom || !ls.v) {
			rc = err_set(e, FL_ENOMEM, "out of memory");
			break;
		}
		h[i] = labels_hash(ls);
		rc = vec_push(out, a, ls, res.v[i].t, res.v[i].v);
	}
	labels_builder_free(&b);
	if (rc)
		return rc == FL_ENOMEM && !e->code ? err_set(e, FL_ENOMEM, "out of memory") : rc;
	if (hashes_sort_dup(h, res.n))
		return err_set(e, FL_EINVAL, RULE_DUP_RECORD);
	if (g->limit > 0 && (int64_t)out->n > g->limit)
		return err_set(e, FL_EINVAL, "exceeded limit of %lld with %zu series", (long long)g->limit, out->n);
	return 0;
}

/* ---- alerting rules ---- */

/* The `query` template function: results in the evaluation's arena. */
typedef struct tmpl_ctx {
	const rules_opts *o;
	arena *a;
} tmpl_ctx;

static int tmpl_query(void *ctx, const char *q, int64_t t_ms, tmpl_sample **out, size_t *n, err *e)
{
	tmpl_ctx *c = ctx;
	rule_vec v = {0};
	int rc = rule__query(c->o, q, t_ms, c->a, &v, e);
	if (rc)
		return rc;
	*out = v.n ? arena_alloc(c->a, v.n * sizeof **out) : NULL;
	if (v.n && !*out)
		return err_set(e, FL_ENOMEM, "out of memory");
	for (size_t i = 0; i < v.n; i++)
		(*out)[i] = (tmpl_sample){v.v[i].ls, v.v[i].v};
	*n = v.n;
	return 0;
}

/* Expand one template (t parsed at load, or NULL: parse text now);
 * errors become the value, as Prometheus does. */
static const char *expand(const rule *r, const tmpl_data *d, const struct tmpl *t, const char *text, arena *a)
{
	if (!strstr(text, "{{"))
		return text;
	buf out;
	buf_init(&out);
	err e;
	err_clear(&e);
	int rc = t ? tmpl_exec(t, d, &out, &e) : tmpl_expand(r->name, text, d, &out, &e);
	if (rc) {
		buf_clear(&out);
		buf_printf(&out, "<error expanding template: %s>", e.msg);
		log_warn("rules", "Expanding alert template failed", "alert", r->name, "err", e.msg, NULL);
	}
	const char *res = arena_strndup(a, out.len ? (const char *)out.p : "", out.len);
	buf_reset(&out);
	return res ? res : "";
}

static struct tmpl **parse_all(const rule *r, labels ls)
{
	struct tmpl **v = ls.n ? fl_calloc(ls.n, sizeof *v) : NULL;
	for (size_t i = 0; v && i < ls.n; i++) {
		err e;
		err_clear(&e);
		if (strstr(ls.v[i].value, "{{"))
			v[i] = tmpl_parse(r->name, ls.v[i].value, &e); /* NULL: expand reports the error at each use */
	}
	return v;
}

int rule__parse_templates(rule *r)
{
	if (!r->alerting)
		return 0;
	r->label_tmpl = parse_all(r, r->labels);
	r->ann_tmpl = parse_all(r, r->annotations);
	return (r->labels.n && !r->label_tmpl) || (r->annotations.n && !r->ann_tmpl) ? FL_ENOMEM : 0;
}

static void free_all(struct tmpl **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		tmpl_free(v[i]);
	fl_free(v);
}

/* One alert for sample s: its labels and annotations (in a). */
static int alert_from_sample(const rule *r, const rule_group *g, const rule_sample *s, int64_t ts_ms, arena *a,
			     labels_builder *b, rule_alert *out)
{
	tmpl_ctx tc = {g->opts, a};
	tmpl_data d = {
		.labels = s->ls,
		.value = s->v,
		.external_labels = g->opts->external_labels,
		.external_url = g->opts->external_url ? g->opts->external_url : "",
		.t_ms = ts_ms,
		.query = tmpl_query,
		.query_ctx = &tc,
	};
	labels_builder_reset(b, s->ls);
	labels_builder_del(b, LABEL_NAME);
	for (size_t j = 0; j < r->labels.n; j++)
		labels_builder_set(b, r->labels.v[j].name, expand(r, &d, r->label_tmpl[j], r->labels.v[j].value, a));
	labels_builder_set(b, "alertname", r->name);
	labels ls = labels_copy(a, labels_builder_labels(b));
	label *ann = r->annotations.n ? arena_alloc(a, r->annotations.n * sizeof *ann) : NULL;
	if (b->oom || !ls.v || (r->annotations.n && !ann))
		return FL_ENOMEM;
	for (size_t j = 0; j < r->annotations.n; j++)
		ann[j] = (label){r->annotations.v[j].name,
				 expand(r, &d, r->ann_tmpl[j], r->annotations.v[j].value, a)};
	*out = (rule_alert){
		.labels = ls,
		.annotations = {ann, r->annotations.n},
		.hash = labels_hash(ls),
		.state = ALERT_PENDING,
		.value = s->v,
		.active_at_ms = ts_ms,
	};
	return 0;
}

static rule_alert *active_find(rule *r, uint64_t h)
{
	for (size_t i = 0; i < r->n_active; i++)
		if (r->active[i].hash == h)
			return &r->active[i];
	return NULL;
}

static void alert_free(rule_alert *a)
{
	fl_free((void *)a->labels.v);
	fl_free((void *)a->annotations.v);
}

void rule__alerts_clear(rule *r)
{
	for (size_t i = 0; i < r->n_active; i++)
		alert_free(&r->active[i]);
	r->n_active = 0;
}

/* Replace a's annotations by a copy of ann. */
static int set_annotations(rule_alert *a, labels ann)
{
	labels c = labels_dup(ann);
	if (ann.n && !c.v)
		return FL_ENOMEM;
	fl_free((void *)a->annotations.v);
	a->annotations = c;
	return 0;
}

/* Merge the alerts of this evaluation into r->active. */
static int merge_alerts(rule *r, const rule_alert *nw, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rule_alert *cur = active_find(r, nw[i].hash);
		if (cur && cur->state != ALERT_INACTIVE) {
			cur->value = nw[i].value;
			if (set_annotations(cur, nw[i].annotations))
				return FL_ENOMEM;
			continue;
		}
		rule_alert a = nw[i];
		a.labels = labels_dup(nw[i].labels);
		a.annotations = labels_dup(nw[i].annotations);
		if (!a.labels.v || (nw[i].annotations.n && !a.annotations.v)) {
			alert_free(&a);
			return FL_ENOMEM;
		}
		if (cur) {
			alert_free(cur);
			*cur = a;
			continue;
		}
		if (!fl_grow((void **)&r->active, &r->cap_active, r->n_active + 1, sizeof *r->active)) {
			alert_free(&a);
			return FL_ENOMEM;
		}
		r->active[r->n_active++] = a;
	}
	return 0;
}

/* ALERTS or ALERTS_FOR_STATE for a, in the arena. */
static int alert_series(const rule_alert *a, const char *name, const char *state, int64_t t, double v, arena *ar,
			labels_builder *b, rule_vec *out)
{
	labels_builder_reset(b, a->labels);
	labels_builder_set(b, LABEL_NAME, name);
	if (state)
		labels_builder_set(b, "alertstate", state);
	labels ls = labels_copy(ar, labels_builder_labels(b));
	if (b->oom || !ls.v)
		return FL_ENOMEM;
	return vec_push(out, ar, ls, t, v);
}

/* The state machine over r->active after merging; hashes are this
 * evaluation's alerts, sorted. Returns the number of pending and firing
 * alerts. */
static int step_alerts(rule *r, const rule_group *g, int64_t ts_ms, const uint64_t *hashes, size_t n_hashes,
		       arena *ar, rule_vec *out, size_t *n_active_pending)
{
	int64_t qt = ts_ms - g->query_offset_ms;
	labels_builder b;
	labels_builder_init(&b);
	int rc = 0;
	size_t keep = 0;
	*n_active_pending = 0;
	for (size_t i = 0; i < r->n_active; i++) {
		rule_alert *a = &r->active[i];
		bool drop = false, skip = false;
		if (rc) { /* out of memory earlier: keep the rest as they are */
			r->active[keep++] = *a;
			continue;
		}
		if (!hashes_has(hashes, n_hashes, a->hash)) {
			bool keep_firing = false;
			if (a->state == ALERT_FIRING && r->keep_firing_for_ms > 0) {
				if (!a->keep_firing_since_ms)
					a->keep_firing_since_ms = ts_ms;
				if (ts_ms - a->keep_firing_since_ms < r->keep_firing_for_ms)
					keep_firing = true;
			}
			if (a->state == ALERT_PENDING ||
			    (a->resolved_at_ms && ts_ms - a->resolved_at_ms > RULES_RESOLVED_RETENTION_MS))
				drop = true;
			if (a->state != ALERT_INACTIVE && !keep_firing) {
				a->state = ALERT_INACTIVE;
				a->resolved_at_ms = ts_ms;
			}
			skip = !keep_firing;
		} else {
			a->keep_firing_since_ms = 0;
		}
		if (!skip) {
			(*n_active_pending)++;
			if (a->state == ALERT_PENDING && ts_ms - a->active_at_ms >= r->for_ms) {
				a->state = ALERT_FIRING;
				a->fired_at_ms = ts_ms;
			}
			if (r->restored) {
				rc = alert_series(a, "ALERTS", alert_state_name(a->state), qt, 1, ar, &b, out);
				if (rc == 0)
					rc = alert_series(a, "ALERTS_FOR_STATE", NULL, qt,
							  (double)(a->active_at_ms / 1000), ar, &b, out);
			}
		}
		if (drop)
			alert_free(a);
		else
			r->active[keep++] = *a;
	}
	r->n_active = keep;
	labels_builder_free(&b);
	return rc;
}

/* The query and this evaluation's alerts (no state touched). */
static int prepare_alerting(const rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_pre *p, err *e)
{
	rule_vec res = {0};
	int rc = rule__query_expr(g->opts, r->parsed, ts_ms - g->query_offset_ms, a, &res, e);
	if (rc)
		return rc;
	rule_alert *nw = res.n ? arena_alloc(a, res.n * sizeof *nw) : NULL;
	uint64_t *h = res.n ? arena_alloc(a, res.n * sizeof *h) : NULL;
	if (res.n && (!nw || !h))
		return err_set(e, FL_ENOMEM, "out of memory");
	labels_builder b;
	labels_builder_init(&b);
	for (size_t i = 0; i < res.n && rc == 0; i++) {
		rc = alert_from_sample(r, g, &res.v[i], ts_ms, a, &b, &nw[i]);
		if (rc == 0)
			h[i] = nw[i].hash;
	}
	labels_builder_free(&b);
	if (rc)
		return err_set(e, FL_ENOMEM, "out of memory");
	if (hashes_sort_dup(h, res.n))
		return err_set(e, FL_EINVAL, RULE_DUP_ALERT);
	p->alerts = nw, p->hashes = h, p->n_alerts = res.n;
	return 0;
}

/* The alerts into the rule's state. */
static int apply_alerting(rule *r, const rule_group *g, int64_t ts_ms, arena *a, const rule_pre *p, rule_vec *out,
			  err *e)
{
	size_t n_ap = 0;
	if (merge_alerts(r, p->alerts, p->n_alerts) || step_alerts(r, g, ts_ms, p->hashes, p->n_alerts, a, out, &n_ap))
		return err_set(e, FL_ENOMEM, "out of memory");
	if (g->limit > 0 && (int64_t)n_ap > g->limit) {
		rule__alerts_clear(r);
		out->n = 0;
		return err_set(e, FL_EINVAL, "exceeded limit of %lld with %zu alerts", (long long)g->limit, n_ap);
	}
	return 0;
}

int rule__prepare(const rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_pre *p, err *e)
{
	memset(p, 0, sizeof *p);
	if (r->alerting)
		return prepare_alerting(r, g, ts_ms, a, p, e);
	return eval_recording(r, g, ts_ms - g->query_offset_ms, a, &p->out, e);
}

int rule__apply(rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_pre *p, rule_vec *out, err *e)
{
	if (r->alerting)
		return apply_alerting(r, g, ts_ms, a, p, out, e);
	*out = p->out;
	return 0;
}

int rule__eval(rule *r, const rule_group *g, int64_t ts_ms, arena *a, rule_vec *out, err *e)
{
	rule_pre p;
	int rc = rule__prepare(r, g, ts_ms, a, &p, e);
	return rc ? rc : rule__apply(r, g, ts_ms, a, &p, out, e);
}

/* rules/alerting.go needsSending */
static bool needs_sending(const rule_alert *a, int64_t ts_ms, int64_t resend_ms)
{
	if (a->state == ALERT_PENDING)
		return false;
	if (a->resolved_at_ms > a->last_sent_at_ms)
		return true;
	return a->last_sent_at_ms + resend_ms < ts_ms;
}

void rule__send_alerts(rule *r, const rule_group *g, int64_t ts_ms)
{
	const rules_opts *o = g->opts;
	if (!r->alerting || !o->notify)
		return;
	rule_notify_alert *v = r->n_active ? fl_malloc(r->n_active * sizeof *v) : NULL;
	if (r->n_active && !v)
		return;
	size_t n = 0;
	int64_t delta = g->interval_ms > o->resend_delay_ms ? g->interval_ms : o->resend_delay_ms;
	for (size_t i = 0; i < r->n_active; i++) {
		rule_alert *a = &r->active[i];
		if (!needs_sending(a, ts_ms, o->resend_delay_ms))
			continue;
		a->last_sent_at_ms = ts_ms;
		a->valid_until_ms = ts_ms + 4 * delta; /* allow two Eval or Alertmanager send failures */
		v[n++] = (rule_notify_alert){
			.labels = a->labels,
			.annotations = a->annotations,
			.starts_at_ms = a->fired_at_ms,
			.ends_at_ms = a->resolved_at_ms ? a->resolved_at_ms : a->valid_until_ms,
		};
	}
	if (n)
		o->notify(o->notify_ctx, r->expr, v, n);
	fl_free(v);
}

void rule__free(rule *r)
{
	free_all(r->label_tmpl, r->labels.n);
	free_all(r->ann_tmpl, r->annotations.n);
	rule__alerts_clear(r);
	fl_free(r->active);
	for (size_t i = 0; i < r->n_prev; i++)
		fl_free((void *)r->prev[i].ls.v);
	fl_free(r->prev);
	fl_free(r->name);
	fl_free(r->expr);
	if (r->parsed)
		promql_expr_free(r->parsed);
	fl_free(r->parsed);
	fl_free((void *)r->labels.v);
	fl_free((void *)r->annotations.v);
	fl_free(r->last_error);
}

void rules__put_g(buf *b, double v)
{
	char s[FMT_FLOAT_MAX];
	buf_put(b, s, (size_t)fmt_go_g(s, v));
}

void rules__put_label_value(buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_put_byte(b, '\\');
		if (*s == '\n')
			buf_put_str(b, "\\n");
		else
			buf_put_byte(b, (uint8_t)*s);
	}
}

const char *rule_health_name(rule_health h)
{
	return h == RULE_HEALTH_OK ? "ok" : h == RULE_HEALTH_ERR ? "err" : "unknown";
}

const char *alert_state_name(alert_state s)
{
	return s == ALERT_FIRING ? "firing" : s == ALERT_PENDING ? "pending" : "inactive";
}
