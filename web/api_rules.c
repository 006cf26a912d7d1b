/*
 * api_rules.c - /api/v1/rules, /api/v1/alerts and /api/v1/alertmanagers
 * (Prometheus web/api/v1/api.go), over the rule manager's groups and the
 * notifier.
 *
 *   rules:  {"groups":[{"name","file","rules":[...],"interval","limit",
 *            "evaluationTime","lastEvaluation"}]}
 *     alerting rule: state, name, query, duration, keepFiringFor, labels,
 *       annotations, alerts[], health, lastError (omitted when empty),
 *       evaluationTime, lastEvaluation, type "alerting";
 *     recording rule: name, query, labels (omitted when empty), health,
 *       lastError, evaluationTime, lastEvaluation, type "recording".
 *   alerts: {"alerts":[{labels, annotations, state, activeAt,
 *            keepFiringSince (when keeping), value}]}: the pending and
 *            firing alerts of every alerting rule.
 * An alert's value is Go's FormatFloat(v, 'e', -1, 64) ("1e+00"); times
 * are Go's time.Time JSON in UTC (the zero time when never evaluated).
 *
 *   alertmanagers: {"activeAlertmanagers":[{"url"}],
 *                   "droppedAlertmanagers":[{"url"}]}.
 * Filters of /rules: type=alert|record, rule_name[], rule_group[], file[],
 * exclude_alerts=<bool>, match[] (selectors over the rule's configured
 * labels; a rule matches if any set matches). Groups left without rules
 * are not listed (3.x). Groups come sorted by file, then name
 * (Manager.RuleGroups).
 */
#include "web/web.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/fmtfloat.h"
#include "lib/timeparse.h"
#include "rules/manager.h"
#include "promql/ast.h"
#include "rules/notifier.h"

/* Go's time.Time MarshalJSON in UTC; 0 is the zero time. */
static void kv_time(json_w *j, const char *k, int64_t ms)
{
	json_key(j, k);
	if (!ms) {
		json_str(j, "0001-01-01T00:00:00Z");
		return;
	}
	buf t;
	buf_init(&t);
	timeparse_format_rfc3339(&t, ms);
	json_str(j, buf_cstr(&t));
	buf_reset(&t);
}

/* strconv.FormatFloat(v, 'e', -1, 64), as Prometheus's alert value */
static void json_go_e(json_w *j, double v)
{
	char out[FMT_FLOAT_MAX];
	fmt_go_e(out, v);
	json_str(j, out);
}

static void kv_labels(json_w *j, const char *k, labels ls)
{
	json_key(j, k);
	json_result_labels(j, ls);
}

static void write_alert(json_w *j, const rule_alert *a)
{
	json_obj_open(j);
	kv_labels(j, "labels", a->labels);
	kv_labels(j, "annotations", a->annotations);
	json_kstr(j, "state", alert_state_name(a->state));
	kv_time(j, "activeAt", a->active_at_ms);
	if (a->keep_firing_since_ms)
		kv_time(j, "keepFiringSince", a->keep_firing_since_ms);
	json_key(j, "value");
	json_go_e(j, a->value);
	json_obj_close(j);
}

/* The active (pending or firing) alerts of r. */
static void write_alerts(json_w *j, const rule *r)
{
	for (size_t i = 0; i < r->n_active; i++)
		if (r->active[i].state != ALERT_INACTIVE)
			write_alert(j, &r->active[i]);
}

/* The rule's state: the highest of its alerts'. */
static alert_state rule_state(const rule *r)
{
	alert_state s = ALERT_INACTIVE;
	for (size_t i = 0; i < r->n_active; i++)
		if (r->active[i].state > s)
			s = r->active[i].state;
	return s;
}

static void write_rule(json_w *j, const rule *r, bool with_alerts)
{
	json_obj_open(j);
	if (r->alerting) {
		json_kstr(j, "state", alert_state_name(rule_state(r)));
		json_kstr(j, "name", r->name);
		json_kstr(j, "query", r->expr);
		json_key(j, "duration");
		json_num(j, (double)r->for_ms / 1000);
		json_key(j, "keepFiringFor");
		json_num(j, (double)r->keep_firing_for_ms / 1000);
		kv_labels(j, "labels", r->labels);
		kv_labels(j, "annotations", r->annotations);
		json_key(j, "alerts");
		if (with_alerts) {
			json_arr_open(j);
			write_alerts(j, r);
			json_arr_close(j);
		} else {
			json_null(j); /* Go's nil slice */
		}
	} else {
		json_kstr(j, "name", r->name);
		json_kstr(j, "query", r->expr);
		if (r->labels.n)
			kv_labels(j, "labels", r->labels);
	}
	json_kstr(j, "health", rule_health_name(r->health));
	if (r->last_error && *r->last_error)
		json_kstr(j, "lastError", r->last_error);
	json_key(j, "evaluationTime");
	json_num(j, r->eval_seconds);
	kv_time(j, "lastEvaluation", r->last_eval_ms);
	json_kstr(j, "type", r->alerting ? "alerting" : "recording");
	json_obj_close(j);
}

/* ---- filters ---- */

typedef struct rules_filter {
	int type;                 /* 0 all, 1 alerting, 2 recording */
	const char **names, **groups, **files;
	size_t n_names, n_groups, n_files;
	bool exclude_alerts;
	api_matchers m;
} rules_filter;

static bool in_set(const char *const *v, size_t n, const char *s)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static bool labels_match(labels ls, const matcher *ms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = labels_get(ls, ms[i].name);
		if (!matcher_matches_str(&ms[i], v ? v : ""))
			return false;
	}
	return true;
}

static bool rule_selected(const rules_filter *f, const rule *r)
{
	if ((f->type == 1 && !r->alerting) || (f->type == 2 && r->alerting))
		return false;
	if (!in_set(f->names, f->n_names, r->name))
		return false;
	if (!f->m.n)
		return true;
	for (size_t i = 0; i < f->m.n; i++)
		if (labels_match(r->labels, f->m.sets[i], f->m.lens[i]))
			return true;
	return false;
}

static const char **all_params(const http_req *r, const char *name, size_t *n)
{
	*n = api_param_all(r, name, NULL, 0);
	const char **v = *n ? arena_calloc(r->arena, *n, sizeof *v) : NULL;
	if (v)
		api_param_all(r, name, v, *n);
	else
		*n = 0;
	return v;
}

/* match[] as the rules endpoint parses it: like api_parse_matchers, but
 * the error is parseMatchersParam's own, without the `invalid parameter`
 * prefix the series endpoints add. */
static int parse_match(const http_req *r, http_resp *w, api_matchers *m)
{
	size_t n;
	const char **sel = all_params(r, "match[]", &n);
	memset(m, 0, sizeof *m);
	m->sets = n ? arena_calloc(r->arena, n, sizeof *m->sets) : NULL;
	m->lens = n ? arena_calloc(r->arena, n, sizeof *m->lens) : NULL;
	for (size_t i = 0; i < n; i++) {
		err e;
		err_clear(&e);
		if (!m->sets || !m->lens) {
			api_error(w, API_INTERNAL, "out of memory");
			return -1;
		}
		if (promql_parse_selector(sel[i], r->arena, &m->sets[i], &m->lens[i], &e)) {
			m->n = i + (m->sets[i] != NULL);
			api_matchers_free(m);
			api_error(w, API_BAD_DATA, "%s", e.msg);
			return -1;
		}
		m->n = i + 1;
		bool nonempty = false;
		for (size_t k = 0; k < m->lens[i]; k++)
			nonempty = nonempty || !matcher_matches_empty(&m->sets[i][k]);
		if (!nonempty) {
			api_matchers_free(m);
			api_error(w, API_BAD_DATA, "match[] must contain at least one non-empty matcher");
			return -1;
		}
	}
	return 0;
}

/* Parse the filters; on error the bad_data answer is written. */
static int parse_filter(const http_req *r, http_resp *w, rules_filter *f)
{
	memset(f, 0, sizeof *f);
	const char *type = http_param_get(r, "type");
	if (type && *type) {
		if (!strcasecmp(type, "alert"))
			f->type = 1;
		else if (!strcasecmp(type, "record"))
			f->type = 2;
		else {
			char low[128];
			size_t i = 0;
			for (; type[i] && i < sizeof low - 1; i++)
				low[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
			low[i] = 0;
			api_error(w, API_BAD_DATA, "invalid parameter \"type\": not supported value \"%s\"", low);
			return -1;
		}
	}
	const char *ex = http_param_get(r, "exclude_alerts");
	if (ex && *ex) {
		/* Go's strconv.ParseBool */
		static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
		static const char *const fl[] = {"0", "f", "F", "FALSE", "false", "False"};
		bool ok = false;
		for (size_t i = 0; i < 6; i++) {
			if (!strcmp(ex, t[i]))
				f->exclude_alerts = ok = true;
			if (!strcmp(ex, fl[i]))
				ok = true;
		}
		if (!ok) {
			api_error(w, API_BAD_DATA,
				  "invalid parameter \"exclude_alerts\": strconv.ParseBool: parsing \"%s\": invalid syntax", ex);
			return -1;
		}
	}
	f->names = all_params(r, "rule_name[]", &f->n_names);
	f->groups = all_params(r, "rule_group[]", &f->n_groups);
	f->files = all_params(r, "file[]", &f->n_files);
	return parse_match(r, w, &f->m);
}

static void unavailable(http_resp *w, const char *key)
{
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_key(&j, key);
	json_arr_open(&j);
	json_arr_close(&j);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

WEB_HANDLER(api_rules_handler)
{
	rules_filter f;
	if (parse_filter(r, w, &f))
		return;
	rules_manager *m = env->rules;
	if (!m) {
		api_matchers_free(&f.m);
		unavailable(w, "groups");
		return;
	}
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_key(&j, "groups");
	json_arr_open(&j);
	rules_manager_lock(m);
	size_t n;
	rule_group *const *gs = rules_manager_groups(m, &n);
	for (size_t i = 0; i < n; i++) {
		rule_group *g = gs[i];
		if (!in_set(f.groups, f.n_groups, g->name) || !in_set(f.files, f.n_files, g->file))
			continue;
		rule_group_lock(g);
		size_t n_sel = 0;
		for (size_t k = 0; k < g->n_rules; k++)
			n_sel += rule_selected(&f, &g->rules[k]);
		if (!n_sel) { /* v3: a group left without rules is not listed */
			rule_group_unlock(g);
			continue;
		}
		json_obj_open(&j);
		json_kstr(&j, "name", g->name);
		json_kstr(&j, "file", g->file);
		json_key(&j, "rules");
		json_arr_open(&j);
		for (size_t k = 0; k < g->n_rules; k++)
			if (rule_selected(&f, &g->rules[k]))
				write_rule(&j, &g->rules[k], !f.exclude_alerts);
		json_arr_close(&j);
		json_key(&j, "interval");
		json_num(&j, (double)g->interval_ms / 1000);
		json_kint(&j, "limit", g->limit);
		json_key(&j, "evaluationTime");
		json_num(&j, g->eval_seconds);
		kv_time(&j, "lastEvaluation", g->last_eval_ms);
		json_obj_close(&j);
		rule_group_unlock(g);
	}
	rules_manager_unlock(m);
	json_arr_close(&j);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
	api_matchers_free(&f.m);
}

WEB_HANDLER(api_alerts_handler)
{
	(void)r;
	rules_manager *m = env->rules;
	if (!m) {
		unavailable(w, "alerts");
		return;
	}
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_key(&j, "alerts");
	json_arr_open(&j);
	rules_manager_lock(m);
	size_t n;
	rule_group *const *gs = rules_manager_groups(m, &n);
	for (size_t i = 0; i < n; i++) {
		rule_group_lock(gs[i]);
		for (size_t k = 0; k < gs[i]->n_rules; k++)
			if (gs[i]->rules[k].alerting)
				write_alerts(&j, &gs[i]->rules[k]);
		rule_group_unlock(gs[i]);
	}
	rules_manager_unlock(m);
	json_arr_close(&j);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

static void am_list(json_w *j, const char *key, const char *const *urls, size_t n)
{
	json_key(j, key);
	json_arr_open(j);
	for (size_t i = 0; i < n; i++) {
		json_obj_open(j);
		json_kstr(j, "url", urls[i]);
		json_obj_close(j);
	}
	json_arr_close(j);
}

WEB_HANDLER(api_alertmanagers_handler)
{
	const char **act = NULL, **drop = NULL;
	size_t n_act = 0, n_drop = 0;
	if (env->notifier)
		notifier_alertmanagers(env->notifier, r->arena, &act, &n_act, &drop, &n_drop);
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	am_list(&j, "activeAlertmanagers", act, n_act);
	am_list(&j, "droppedAlertmanagers", drop, n_drop);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}
