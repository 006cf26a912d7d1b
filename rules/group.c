/*
 * group.c - a rule group: its rules in order at one timestamp, stale
 * markers, restore of `for` state (Prometheus rules/group.go).
 *
 * Evaluation of rule i at ts (rules/group.go Eval):
 *   1. evaluations_total++; run the rule (rule.c) under the group mutex;
 *      on error: health err, lastError, failures_total++, nothing written,
 *      the previous series set kept;
 *   2. alerting rules hand alerts that need sending to the notifier;
 *   3. one appender: every output sample at its own timestamp; every
 *      series of the previous evaluation that is missing now gets a stale
 *      marker at ts - query_offset (out-of-order and duplicate failures of
 *      those are expected and quiet); commit. The next rule sees these.
 *
 * The evaluation slot (EvalTimestamp): offset = hash({file, name}) mod
 * interval (in nanoseconds, as Go's time.Duration), slots are
 * base + offset where base is a multiple of the interval; so groups spread
 * over the interval, and a group evaluates at the same phase after a
 * restart.
 */
#include "rules/rule_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

int64_t rules_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rules_now_ms(void) { return rules_now_ns() / 1000000; }

void rules_opts_default(rules_opts *o)
{
	memset(o, 0, sizeof *o);
	o->outage_tolerance_ms = RULES_OUTAGE_TOLERANCE_MS;
	o->for_grace_period_ms = RULES_FOR_GRACE_PERIOD_MS;
	o->resend_delay_ms = RULES_RESEND_DELAY_MS;
}

/* ---- construction ---- */

/* Group labels under the rule's own (rule labels win). */
static labels merge_labels(labels group, labels own)
{
	labels_builder b;
	labels_builder_init(&b);
	labels_builder_reset(&b, group);
	for (size_t i = 0; i < own.n; i++)
		labels_builder_set(&b, own.v[i].name, own.v[i].value);
	labels r = labels_dup(labels_builder_labels(&b));
	if (b.oom)
		r = (labels){NULL, 0};
	labels_builder_free(&b);
	return r;
}

static int rule_init(rule *r, const rule_def *d, labels group_labels, const char *file, err *e)
{
	r->alerting = d->alert != NULL;
	r->name = fl_strdup(r->alerting ? d->alert : d->record);
	r->for_ms = d->for_ms;
	r->keep_firing_for_ms = d->keep_firing_for_ms;
	r->labels = merge_labels(group_labels, d->labels);
	r->annotations = labels_dup(d->annotations);
	if (!r->name || (!r->labels.v && (group_labels.n || d->labels.n)) || (!r->annotations.v && d->annotations.n))
		return err_set(e, FL_ENOMEM, "out of memory");
	r->parsed = fl_calloc(1, sizeof *r->parsed);
	if (!r->parsed)
		return err_set(e, FL_ENOMEM, "out of memory");
	if (promql_parse(d->expr, r->parsed, e))
		return err_wrap(e, "%s:%d: %s: could not parse expression", file, d->expr_line ? d->expr_line : d->line,
				r->name);
	buf b;
	buf_init(&b);
	promql_print(&b, r->parsed->root);
	r->expr = b.oom ? NULL : fl_strndup(b.len ? (const char *)b.p : "", b.len);
	buf_reset(&b);
	return r->expr && !rule__parse_templates(r) ? 0 : err_set(e, FL_ENOMEM, "out of memory");
}

rule_group *rule_group_new(const rule_group_def *d, const char *file, int64_t default_interval_ms,
			   int64_t default_query_offset_ms, bool restored, const rules_opts *o, err *e)
{
	rule_group *g = fl_calloc(1, sizeof *g);
	if (!g) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	g->opts = o;
	g->name = fl_strdup(d->name);
	g->file = fl_strdup(file);
	g->interval_ms = d->interval_ms > 0 ? d->interval_ms : default_interval_ms;
	/* rulefile.h: 0 or -1 = the global rule_query_offset */
	g->query_offset_ms = d->query_offset_ms > 0 ? d->query_offset_ms : default_query_offset_ms;
	g->limit = d->limit;
	g->should_restore = !restored;
	g->rules = d->n_rules ? fl_calloc(d->n_rules, sizeof *g->rules) : NULL;
	if (!g->name || !g->file || (d->n_rules && !g->rules)) {
		err_set(e, FL_ENOMEM, "out of memory");
		rule_group_free(g);
		return NULL;
	}
	for (size_t i = 0; i < d->n_rules; i++) {
		g->n_rules = i + 1;
		if (rule_init(&g->rules[i], &d->rules[i], d->labels, file, e)) {
			rule_group_free(g);
			return NULL;
		}
		g->rules[i].restored = restored;
	}
	return g;
}

void rule_group_free(rule_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_rules; i++)
		rule__free(&g->rules[i]);
	fl_free(g->rules);
	fl_free(g->name);
	fl_free(g->file);
	pthread_mutex_destroy(&g->mu);
	fl_free(g);
}

bool rule_group_same(const rule_group *a, const rule_group *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->file, b->file);
}

/* rules/group.go nameAndLabels: the expression is not part of a rule's
 * identity, so editing it keeps the rule's alerts (and resolves them). */
static bool rule_same(const rule *a, const rule *b)
{
	return !strcmp(a->name, b->name) && labels_equal(a->labels, b->labels);
}

/* rules/group.go CopyState: rules are matched by identity in order of
 * appearance (the k-th rule of one identity takes the k-th old one's). */
void rule_group_copy_state(rule_group *g, rule_group *old)
{
	rule_group_lock(old);
	g->last_eval_ms = old->last_eval_ms;
	g->last_eval_ts_ms = old->last_eval_ts_ms;
	g->eval_seconds = old->eval_seconds;
	bool *taken = old->n_rules ? fl_calloc(old->n_rules, sizeof *taken) : NULL;
	for (size_t i = 0; i < g->n_rules && (taken || !old->n_rules); i++) {
		rule *r = &g->rules[i];
		for (size_t j = 0; j < old->n_rules; j++) {
			rule *o = &old->rules[j];
			if (taken[j] || !rule_same(r, o))
				continue;
			taken[j] = true;
			r->health = o->health;
			r->last_error = o->last_error, o->last_error = NULL;
			r->eval_seconds = o->eval_seconds;
			r->last_eval_ms = o->last_eval_ms;
			r->prev = o->prev, r->n_prev = o->n_prev;
			o->prev = NULL, o->n_prev = 0;
			if (r->alerting && o->alerting) {
				r->active = o->active, r->n_active = o->n_active, r->cap_active = o->cap_active;
				o->active = NULL, o->n_active = o->cap_active = 0;
				r->restored = o->restored;
			}
			break;
		}
	}
	fl_free(taken);
	g->should_restore = g->should_restore && old->should_restore;
	rule_group_unlock(old);
}

/* ---- timing ---- */

int64_t rule_group_eval_timestamp_ns(const rule_group *g, int64_t now_ns)
{
	label l[2] = {{"file", g->file}, {"name", g->name}};
	uint64_t h = labels_hash((labels){l, 2});
	int64_t interval_ns = g->interval_ms * 1000000;
	if (interval_ns <= 0)
		return now_ns;
	int64_t offset = (int64_t)(h % (uint64_t)interval_ns);
	int64_t adj = now_ns - offset;
	int64_t base = adj - (adj % interval_ns);
	return base + offset;
}

int64_t rule_group_eval_timestamp(const rule_group *g, int64_t now_ns)
{
	return rule_group_eval_timestamp_ns(g, now_ns) / 1000000;
}

/* ---- evaluation ---- */

static int cmp_prev(const void *x, const void *y)
{
	const rule_prev *a = x, *b = y;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return labels_compare(a->ls, b->ls);
}

static bool prev_has(const rule_prev *v, size_t n, const rule_prev *k)
{
	return n && bsearch(k, v, n, sizeof *v, cmp_prev) != NULL;
}

static void set_error(rule *r, const char *msg)
{
	r->health = RULE_HEALTH_ERR;
	fl_free(r->last_error);
	r->last_error = fl_strdup(msg);
}

/* Expected when another rule writes the same series (no log). */
static bool quiet_append_error(int rc)
{
	return rc == FL_EOUT_OF_ORDER || rc == FL_EDUPLICATE || rc == FL_ETOO_OLD;
}

/* Append the output and stale markers, commit; the new previous set.
 * Runs without the group mutex: r->prev belongs to the evaluating thread.
 * The last append error goes to *werr (the rule's health, set by the
 * caller under the mutex); *commit_failed when the commit failed. */
static void write_output(rule_group *g, rule *r, const rule_vec *out, int64_t qt, err *werr, bool *commit_failed)
{
	const rules_opts *o = g->opts;
	appender *app = o->appender ? o->appender(o->appender_ctx) : NULL;
	if (!app)
		return;
	rule_prev *now = out->n ? fl_malloc(out->n * sizeof *now) : NULL;
	size_t n_now = 0;
	err e;
	for (size_t i = 0; i < out->n; i++) {
		err_clear(&e);
		int rc = appender_append(app, 0, out->v[i].ls, out->v[i].t, out->v[i].v, NULL, &e);
		if (rc) {
			*werr = e;
			if (!quiet_append_error(rc))
				log_warn("rules", "Rule evaluation result discarded", "group", g->name, "rule", r->name,
					 "err", e.msg, NULL);
			continue;
		}
		if (now)
			now[n_now++] = (rule_prev){labels_hash(out->v[i].ls), out->v[i].ls};
	}
	if (n_now > 1)
		qsort(now, n_now, sizeof *now, cmp_prev);
	for (size_t i = 0; i < r->n_prev; i++) {
		if (prev_has(now, n_now, &r->prev[i]))
			continue;
		err_clear(&e);
		int rc = appender_append(app, 0, r->prev[i].ls, qt, stale_nan(), NULL, &e);
		if (rc && !quiet_append_error(rc))
			log_warn("rules", "Adding stale sample failed", "group", g->name, "err", e.msg, NULL);
	}
	err_clear(&e);
	if (appender_commit(app, &e)) {
		*werr = e;
		*commit_failed = true;
	}
	/* the new previous set owns copies */
	for (size_t i = 0; i < r->n_prev; i++)
		fl_free((void *)r->prev[i].ls.v);
	fl_free(r->prev);
	r->prev = now;
	r->n_prev = 0;
	for (size_t i = 0; i < n_now; i++) {
		labels c = labels_dup(now[i].ls);
		if (c.v)
			now[r->n_prev++] = (rule_prev){now[i].hash, c};
	}
}

/* One rule: the query without the mutex, its result applied under it,
 * the output appended without it. */
static void eval_rule(rule_group *g, rule *r, int64_t ts_ms, arena *a)
{
	int64_t t0 = rules_now_ns();
	atomic_fetch_add(&g->evals_total, 1);
	rule_vec out = {0};
	rule_pre pre;
	err e;
	err_clear(&e);
	int rc = rule__prepare(r, g, ts_ms, a, &pre, &e);
	rule_group_lock(g);
	r->last_eval_ms = t0 / 1000000;
	if (rc == 0)
		rc = rule__apply(r, g, ts_ms, a, &pre, &out, &e);
	if (rc && !e.msg[0]) /* a layer below that failed without a message */
		err_set(&e, rc, "%s", fl_strerror(rc));
	if (rc) {
		set_error(r, e.msg);
		atomic_fetch_add(&g->failures_total, 1);
		log_warn("rules", "Evaluating rule failed", "group", g->name, "rule", r->name, "err", e.msg, NULL);
	} else {
		r->health = RULE_HEALTH_OK;
		fl_free(r->last_error);
		r->last_error = NULL;
		rule__send_alerts(r, g, ts_ms);
		g->samples_last += (int64_t)out.n;
	}
	rule_group_unlock(g);
	err werr;
	err_clear(&werr);
	bool commit_failed = false;
	if (rc == 0)
		write_output(g, r, &out, ts_ms - g->query_offset_ms, &werr, &commit_failed);
	rule_group_lock(g);
	if (werr.msg[0])
		set_error(r, werr.msg);
	if (commit_failed)
		atomic_fetch_add(&g->failures_total, 1);
	r->eval_seconds = (double)(rules_now_ns() - t0) / 1e9;
	rule_group_unlock(g);
}

void rule_group_eval(rule_group *g, int64_t ts_ms)
{
	int64_t t0 = rules_now_ns();
	arena a;
	arena_init(&a);
	rule_group_lock(g);
	g->samples_last = 0;
	rule_group_unlock(g);
	for (size_t i = 0; i < g->n_rules; i++) {
		eval_rule(g, &g->rules[i], ts_ms, &a);
		arena_reset(&a);
	}
	rule_group_lock(g);
	g->eval_seconds = (double)(rules_now_ns() - t0) / 1e9;
	g->last_eval_ms = t0 / 1000000;
	g->last_eval_ts_ms = ts_ms;
	g->n_evals_done++;
	rule_group_unlock(g);
	atomic_fetch_add(&g->iterations_total, 1);
}

void rule_group_mark_stale(rule_group *g, int64_t ts_ms)
{
	for (size_t i = 0; i < g->n_rules; i++) {
		rule_vec none = {0};
		err werr;
		bool failed = false;
		write_output(g, &g->rules[i], &none, ts_ms - g->query_offset_ms, &werr, &failed);
	}
}

/* ---- restore of `for` state (rules/group.go RestoreForState) ---- */

/* The last sample of the ALERTS_FOR_STATE series matching a's labels. */
static bool last_for_state(querier *q, const rule *r, const rule_alert *a, int64_t *t, double *v)
{
	matcher ms[2];
	err e;
	err_clear(&e);
	if (matcher_init(&ms[0], MATCH_EQ, LABEL_NAME, "ALERTS_FOR_STATE", &e))
		return false;
	if (matcher_init(&ms[1], MATCH_EQ, "alertname", r->name, &e)) {
		matcher_reset(&ms[0]);
		return false;
	}
	bool found = false;
	series_set *ss = querier_select(q, false, NULL, ms, 2);
	while (!found && series_set_next(ss)) {
		labels ls = series_set_labels(ss);
		/* the series' labels without __name__ must be the alert's */
		if (ls.n != a->labels.n + 1)
			continue;
		size_t j = 0;
		bool eq = true;
		for (size_t i = 0; i < ls.n && eq; i++) {
			if (!strcmp(ls.v[i].name, LABEL_NAME))
				continue;
			eq = !strcmp(ls.v[i].name, a->labels.v[j].name) && !strcmp(ls.v[i].value, a->labels.v[j].value);
			j++;
		}
		if (!eq)
			continue;
		sample_iter *it = series_set_iter(ss, NULL);
		while (sample_iter_next(it) == VAL_FLOAT) {
			sample_iter_at(it, t, v);
			found = true;
		}
		sample_iter_close(it);
	}
	series_set_close(ss);
	matcher_reset(&ms[0]);
	matcher_reset(&ms[1]);
	return found;
}

static void restore_alert(const rules_opts *o, const rule *r, rule_alert *a, querier *q, int64_t ts_ms)
{
	int64_t t;
	double v;
	if (!last_for_state(q, r, a, &t, &v) || is_stale_nan(v))
		return;
	int64_t down_at = t / 1000 * 1000; /* seconds, as time.Unix(t/1000, 0) */
	int64_t active_at = (int64_t)v * 1000;
	int64_t remaining = r->for_ms - (down_at - active_at);
	if (remaining <= 0) {
		/* was firing when it went down: the next evaluation fires it again */
	} else if (remaining < o->for_grace_period_ms) {
		active_at = ts_ms + o->for_grace_period_ms - r->for_ms;
	} else {
		active_at += ts_ms - down_at;
	}
	a->active_at_ms = active_at;
}

void rule_group_restore(rule_group *g, int64_t ts_ms)
{
	const rules_opts *o = g->opts;
	err e;
	err_clear(&e);
	querier *q = queryable_querier(o->queryable, ts_ms - o->outage_tolerance_ms, ts_ms, &e);
	if (!q) {
		log_error("rules", "Failed to get Querier", "err", e.msg, NULL);
		return;
	}
	rule_group_lock(g);
	for (size_t i = 0; i < g->n_rules; i++) {
		rule *r = &g->rules[i];
		if (!r->alerting)
			continue;
		if (r->for_ms >= o->for_grace_period_ms)
			for (size_t k = 0; k < r->n_active; k++)
				restore_alert(o, r, &r->active[k], q, ts_ms);
		r->restored = true;
	}
	g->should_restore = false;
	rule_group_unlock(g);
	querier_close(q);
}
