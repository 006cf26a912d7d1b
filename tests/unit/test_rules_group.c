/* test_rules_group.c - rule groups over a real db (rules/group.c, rules/rule.c):
 * recording rules, order within a group, stale markers, alert states,
 * keep_firing_for, limits, errors, evaluation slots, restore, copy of state. */
#include "tests/unit/rulesfx.h"

#define T0 1700000000000LL /* ms */

typedef struct fixture {
	rulesfx rf;
	db *d;
	promql_engine *eng;
	rules_opts o;
	/* notifications seen */
	int n_notified;
	int64_t last_starts, last_ends;
	char last_alertname[64];
} fixture;

static void on_notify(void *ctx, const char *expr, const rule_notify_alert *a, size_t n)
{
	fixture *f = ctx;
	(void)expr;
	f->n_notified += (int)n;
	f->last_starts = a[n - 1].starts_at_ms;
	f->last_ends = a[n - 1].ends_at_ms;
	snprintf(f->last_alertname, sizeof f->last_alertname, "%s", labels_get(a[n - 1].labels, "alertname"));
}

static void fx_open(fixture *f)
{
	memset(f, 0, sizeof *f);
	rulesfx_open(&f->rf, test_tmpdir());
	f->d = f->rf.d;
	f->eng = f->rf.eng;
	f->o = f->rf.o;
	f->o.notify = on_notify;
	f->o.notify_ctx = f;
}

static void fx_close(fixture *f) { rulesfx_close(&f->rf); }

/* x{job=<job>} = v at t; once more if an allocation failure injected by
 * fl_alloc_fail_after (one, at most) lands here rather than in the rules. */
static void put(fixture *f, const char *name, const char *job, int64_t t, double v)
{
	label l[2] = {{"__name__", name}, {"job", job}};
	for (int attempt = 0; attempt < 2; attempt++) {
		appender *a = db_appender(f->d);
		if (!a)
			continue;
		err e;
		err_clear(&e);
		if (appender_append(a, 0, (labels){l, 2}, t, v, NULL, &e)) {
			appender_rollback(a);
			continue;
		}
		if (appender_commit(a, &e) == 0)
			return;
	}
	ASSERT(!"put failed twice");
}

static double query1(fixture *f, const char *q, int64_t t) { return rulesfx_query1(&f->rf, q, t); }

/* The last raw sample of the one series matching name (for stale markers). */
static bool last_raw(fixture *f, const char *name, int64_t *t, double *v)
{
	err e;
	err_clear(&e);
	querier *q = queryable_querier(f->o.queryable, 0, INT64_MAX, &e);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", name, &e), 0);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	bool found = false;
	while (series_set_next(ss)) {
		sample_iter *it = series_set_iter(ss, NULL);
		while (sample_iter_next(it) == VAL_FLOAT) {
			sample_iter_at(it, t, v);
			found = true;
		}
		sample_iter_close(it);
	}
	series_set_close(ss);
	matcher_reset(&m);
	querier_close(q);
	return found;
}

static rule_group *group_of(fixture *f, rule_def *rules, size_t n, labels glabels, int64_t limit, bool restored)
{
	rule_group_def d = {.name = "g", .interval_ms = 60000, .limit = limit, .labels = glabels, .rules = rules,
			    .n_rules = n};
	err e;
	err_clear(&e);
	rule_group *g = rule_group_new(&d, "rules.yml", 60000, 0, restored, &f->o, &e);
	if (!g)
		test_fail(__FILE__, __LINE__, "rule_group_new: %s", e.msg);
	return g;
}

static void recording_with_labels_and_order(void)
{
	fixture f;
	fx_open(&f);
	put(&f, "x", "a", T0 - 1000, 3);
	put(&f, "x", "b", T0 - 1000, 4);
	label rl[1] = {{"team", "db"}};
	label gl[2] = {{"region", "eu"}, {"team", "group"}};
	rule_def rules[2] = {
		{.record = "job:x:sum", .expr = "sum by (job) (x)", .labels = {rl, 1}},
		{.record = "all:x:double", .expr = "sum(job:x:sum) * 2"},
	};
	rule_group *g = group_of(&f, rules, 2, (labels){gl, 2}, 0, true);
	ASSERT_STR_EQ(g->rules[0].expr, "sum by (job) (x)");
	rule_group_eval(g, T0);
	ASSERT_DBL_EQ(query1(&f, "job:x:sum{job=\"a\",team=\"db\",region=\"eu\"}", T0), 3);
	/* the second rule saw the first's output at the same timestamp */
	ASSERT_DBL_EQ(query1(&f, "all:x:double{region=\"eu\",team=\"group\"}", T0), 14);
	ASSERT_EQ(g->rules[0].health, RULE_HEALTH_OK);
	ASSERT(g->rules[0].last_error == NULL);
	ASSERT_EQ(g->evals_total, 2);
	ASSERT_EQ(g->failures_total, 0);
	ASSERT_EQ(g->samples_last, 3);
	ASSERT_EQ(g->last_eval_ts_ms, T0);
	rule_group_free(g);
	fx_close(&f);
}

static void stale_marker_when_result_disappears(void)
{
	fixture f;
	fx_open(&f);
	put(&f, "x", "a", T0 - 1000, 10);
	rule_def rules[1] = {{.record = "x_high", .expr = "x > 5"}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, true);
	rule_group_eval(g, T0);
	put(&f, "x", "a", T0 + 59000, 1);
	rule_group_eval(g, T0 + 60000);
	int64_t t;
	double v;
	ASSERT(last_raw(&f, "x_high", &t, &v));
	ASSERT_EQ(t, T0 + 60000);
	ASSERT(is_stale_nan(v));
	ASSERT(isnan(query1(&f, "x_high", T0 + 60000)));
	ASSERT_EQ(g->rules[0].n_prev, 0);
	rule_group_free(g);
	fx_close(&f);
}

static void query_offset_shifts_query_and_samples(void)
{
	fixture f;
	fx_open(&f);
	put(&f, "x", "a", T0 - 31000, 7);
	put(&f, "x", "a", T0 - 1000, 8);
	rule_def rules[1] = {{.record = "x_copy", .expr = "x"}};
	rule_group_def d = {.name = "g", .interval_ms = 60000, .query_offset_ms = 30000, .rules = rules, .n_rules = 1};
	err e;
	rule_group *g = rule_group_new(&d, "f.yml", 60000, 0, true, &f.o, &e);
	ASSERT(g);
	rule_group_eval(g, T0);
	int64_t t;
	double v;
	ASSERT(last_raw(&f, "x_copy", &t, &v));
	ASSERT_EQ(t, T0 - 30000);
	ASSERT_DBL_EQ(v, 7);
	rule_group_free(g);
	fx_close(&f);
}

static void alert_pending_firing_resolved(void)
{
	fixture f;
	fx_open(&f);
	label al[1] = {{"severity", "page"}};
	label an[1] = {{"summary", "x is high"}};
	rule_def rules[1] = {{.alert = "XHigh", .expr = "x > 5", .for_ms = 120000, .labels = {al, 1}, .annotations = {an, 1}}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, true);
	rule *r = &g->rules[0];
	put(&f, "x", "a", T0 - 1000, 10);
	rule_group_eval(g, T0);
	ASSERT_EQ(r->n_active, 1);
	ASSERT_EQ(r->active[0].state, ALERT_PENDING);
	ASSERT_STR_EQ(labels_get(r->active[0].labels, "alertname"), "XHigh");
	ASSERT_STR_EQ(labels_get(r->active[0].labels, "severity"), "page");
	ASSERT(labels_get(r->active[0].labels, "__name__") == NULL);
	ASSERT_DBL_EQ(query1(&f, "ALERTS{alertname=\"XHigh\",alertstate=\"pending\",job=\"a\",severity=\"page\"}", T0), 1);
	ASSERT_DBL_EQ(query1(&f, "ALERTS_FOR_STATE{alertname=\"XHigh\"}", T0), (double)(T0 / 1000));
	ASSERT_EQ(f.n_notified, 0); /* pending alerts are not sent */
	put(&f, "x", "a", T0 + 59000, 10);
	rule_group_eval(g, T0 + 60000);
	ASSERT_EQ(r->active[0].state, ALERT_PENDING);
	put(&f, "x", "a", T0 + 119000, 10);
	rule_group_eval(g, T0 + 120000);
	ASSERT_EQ(r->active[0].state, ALERT_FIRING);
	ASSERT_EQ(r->active[0].fired_at_ms, T0 + 120000);
	ASSERT_DBL_EQ(query1(&f, "ALERTS{alertstate=\"firing\"}", T0 + 120000), 1);
	/* the pending series went stale when it became firing */
	ASSERT(isnan(query1(&f, "ALERTS{alertstate=\"pending\"}", T0 + 120000)));
	ASSERT_EQ(f.n_notified, 1);
	ASSERT_EQ(f.last_starts, T0 + 120000);
	ASSERT_EQ(f.last_ends, T0 + 120000 + 4 * 60000);
	ASSERT_STR_EQ(f.last_alertname, "XHigh");
	/* within the resend delay nothing is sent again */
	put(&f, "x", "a", T0 + 149000, 10);
	rule_group_eval(g, T0 + 150000);
	ASSERT_EQ(f.n_notified, 1);
	put(&f, "x", "a", T0 + 179000, 1);
	rule_group_eval(g, T0 + 180000);
	ASSERT_EQ(r->n_active, 1);
	ASSERT_EQ(r->active[0].state, ALERT_INACTIVE);
	ASSERT_EQ(f.n_notified, 2);
	ASSERT_EQ(f.last_ends, T0 + 180000);
	ASSERT(isnan(query1(&f, "ALERTS", T0 + 180000)));
	/* resolved alerts are kept 15 minutes, then dropped */
	rule_group_eval(g, T0 + 180000 + RULES_RESOLVED_RETENTION_MS + 1000);
	ASSERT_EQ(r->n_active, 0);
	rule_group_free(g);
	fx_close(&f);
}

static void pending_alert_dropped_when_gone(void)
{
	fixture f;
	fx_open(&f);
	rule_def rules[1] = {{.alert = "A", .expr = "x > 5", .for_ms = 600000}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, true);
	put(&f, "x", "a", T0 - 1000, 10);
	rule_group_eval(g, T0);
	ASSERT_EQ(g->rules[0].n_active, 1);
	put(&f, "x", "a", T0 + 59000, 1);
	rule_group_eval(g, T0 + 60000);
	ASSERT_EQ(g->rules[0].n_active, 0);
	ASSERT_EQ(f.n_notified, 0);
	rule_group_free(g);
	fx_close(&f);
}

static void keep_firing_for_holds_alert(void)
{
	fixture f;
	fx_open(&f);
	rule_def rules[1] = {{.alert = "K", .expr = "x > 5", .keep_firing_for_ms = 90000}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, true);
	rule *r = &g->rules[0];
	put(&f, "x", "a", T0 - 1000, 10);
	rule_group_eval(g, T0);
	ASSERT_EQ(r->active[0].state, ALERT_FIRING); /* for 0: fires at once */
	put(&f, "x", "a", T0 + 59000, 1);
	rule_group_eval(g, T0 + 60000);
	ASSERT_EQ(r->active[0].state, ALERT_FIRING);
	ASSERT_EQ(r->active[0].keep_firing_since_ms, T0 + 60000);
	ASSERT_DBL_EQ(query1(&f, "ALERTS{alertname=\"K\"}", T0 + 60000), 1);
	rule_group_eval(g, T0 + 120000);
	ASSERT_EQ(r->active[0].state, ALERT_FIRING);
	rule_group_eval(g, T0 + 180000);
	ASSERT_EQ(r->active[0].state, ALERT_INACTIVE);
	ASSERT_EQ(r->active[0].resolved_at_ms, T0 + 180000);
	rule_group_free(g);
	fx_close(&f);
}

static void limit_and_errors_keep_group_going(void)
{
	fixture f;
	fx_open(&f);
	put(&f, "x", "a", T0 - 1000, 1);
	put(&f, "x", "b", T0 - 1000, 2);
	put(&f, "y", "a", T0 - 1000, 5);
	rule_def rules[4] = {
		{.record = "r1", .expr = "x"},                  /* 2 series > limit 1 */
		{.record = "r2", .expr = "{__name__=~\"x|y\",job=\"a\"}"}, /* same labels once renamed */
		{.record = "r3", .expr = "y"},                  /* fine */
		{.alert = "A", .expr = "x > 0"},                /* 2 alerts > limit 1 */
	};
	rule_group *g = group_of(&f, rules, 4, (labels){NULL, 0}, 1, true);
	rule_group_eval(g, T0);
	ASSERT_EQ(g->rules[0].health, RULE_HEALTH_ERR);
	ASSERT_STR_EQ(g->rules[0].last_error, "exceeded limit of 1 with 2 series");
	ASSERT_STR_EQ(g->rules[1].last_error,
		      "vector contains metrics with the same labelset after applying rule labels");
	ASSERT_EQ(g->rules[2].health, RULE_HEALTH_OK);
	ASSERT_DBL_EQ(query1(&f, "r3", T0), 5);
	ASSERT(isnan(query1(&f, "r1{job=\"a\"}", T0)));
	ASSERT_STR_EQ(g->rules[3].last_error, "exceeded limit of 1 with 2 alerts");
	ASSERT_EQ(g->rules[3].n_active, 0);
	ASSERT_EQ(g->failures_total, 3);
	ASSERT_EQ(g->evals_total, 4);
	rule_group_free(g);
	fx_close(&f);
}

static void scalar_result_and_bad_type(void)
{
	fixture f;
	fx_open(&f);
	rule_def rules[2] = {{.record = "one", .expr = "1 + 1"}, {.record = "s", .expr = "\"str\""}};
	rule_group *g = group_of(&f, rules, 2, (labels){NULL, 0}, 0, true);
	rule_group_eval(g, T0);
	ASSERT_DBL_EQ(query1(&f, "one", T0), 2);
	ASSERT_STR_EQ(g->rules[1].last_error, "rule result is not a vector or scalar");
	rule_group_free(g);
	fx_close(&f);
}

static void bad_expression_refused(void)
{
	fixture f;
	fx_open(&f);
	rule_def rules[1] = {{.record = "bad", .expr = "sum(", .line = 3, .expr_line = 4}};
	rule_group_def d = {.name = "g", .rules = rules, .n_rules = 1};
	err e;
	err_clear(&e);
	ASSERT(rule_group_new(&d, "f.yml", 60000, 0, true, &f.o, &e) == NULL);
	ASSERT(strstr(e.msg, "f.yml:4: bad") != NULL);
	fx_close(&f);
}

static void eval_timestamp_has_group_phase(void)
{
	fixture f;
	fx_open(&f);
	rule_def rules[1] = {{.record = "r", .expr = "1"}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, true);
	int64_t now = 1700000012345678901LL;
	int64_t ts = rule_group_eval_timestamp(g, now);
	ASSERT(ts <= now / 1000000);
	ASSERT(ts > now / 1000000 - 60000);
	/* the same phase one interval later; deterministic */
	ASSERT_EQ(rule_group_eval_timestamp(g, now + 60000000000LL), ts + 60000);
	ASSERT_EQ(rule_group_eval_timestamp(g, now), ts);
	/* another group name has another phase (almost surely) */
	rule_group_def d = {.name = "other", .interval_ms = 60000, .rules = rules, .n_rules = 1};
	err e;
	rule_group *g2 = rule_group_new(&d, "rules.yml", 60000, 0, true, &f.o, &e);
	ASSERT(rule_group_eval_timestamp(g2, now) != ts);
	rule_group_free(g2);
	rule_group_free(g);
	fx_close(&f);
}

/* An alert pending 5m of its 30m when the server went down 2m ago: its
 * active_at moves by the downtime; ALERTS appears only after restore. An
 * alert with less than the grace period left gets the grace period. */
static void restore_for_state(void)
{
	fixture f;
	fx_open(&f);
	int64_t now = T0;
	int64_t down = now - 120000;
	int64_t active = down - 300000;
	label fs[3] = {{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "R"}, {"job", "a"}};
	appender *a = db_appender(f.d);
	err e;
	err_clear(&e);
	ASSERT_EQ(appender_append(a, 0, (labels){fs, 3}, down, (double)(active / 1000), NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
	put(&f, "x", "a", now - 1000, 10);
	rule_def rules[1] = {{.alert = "R", .expr = "x > 5", .for_ms = 1800000}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, false);
	ASSERT(g->should_restore);
	rule_group_eval(g, now);
	ASSERT(isnan(query1(&f, "ALERTS", now)));
	rule_group_restore(g, now);
	ASSERT(!g->should_restore);
	ASSERT(g->rules[0].restored);
	ASSERT_EQ(g->rules[0].active[0].active_at_ms, active + (now - down));
	rule_group_eval(g, now + 60000);
	ASSERT_DBL_EQ(query1(&f, "ALERTS{alertstate=\"pending\"}", now + 60000), 1);
	rule_group_free(g);
	/* for 12m: 7m left < the 10m grace period: fires 10m after the restore */
	rules[0].for_ms = 720000;
	g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, false);
	rule_group_eval(g, now);
	rule_group_restore(g, now);
	ASSERT_EQ(g->rules[0].active[0].active_at_ms, now + RULES_FOR_GRACE_PERIOD_MS - 720000);
	rule_group_free(g);
	fx_close(&f);
}

static void copy_state_keeps_alerts(void)
{
	fixture f;
	fx_open(&f);
	put(&f, "x", "a", T0 - 1000, 10);
	rule_def rules[2] = {{.record = "rr", .expr = "x"}, {.alert = "C", .expr = "x > 5", .for_ms = 300000}};
	rule_group *g = group_of(&f, rules, 2, (labels){NULL, 0}, 0, true);
	rule_group_eval(g, T0);
	rule_group *g2 = group_of(&f, rules, 2, (labels){NULL, 0}, 0, true);
	ASSERT(rule_group_same(g, g2));
	rule_group_copy_state(g2, g);
	ASSERT_EQ(g2->rules[1].n_active, 1);
	ASSERT_EQ(g2->rules[1].active[0].active_at_ms, T0);
	ASSERT_EQ(g2->rules[0].n_prev, 1);
	ASSERT_EQ(g->rules[1].n_active, 0);
	rule_group_free(g);
	/* a removed group marks its series stale */
	rule_group_mark_stale(g2, T0 + 60000);
	int64_t t;
	double v;
	ASSERT(last_raw(&f, "rr", &t, &v));
	ASSERT(is_stale_nan(v));
	rule_group_free(g2);
	fx_close(&f);
}

/* Labels and annotations are templates: $labels, $value, $externalLabels,
 * $externalURL, query; a failing one becomes the value. */
static void alert_templates(void)
{
	fixture f;
	fx_open(&f);
	label ext[1] = {{"site", "eu1"}};
	f.o.external_labels = (labels){ext, 1};
	f.o.external_url = "http://flint:9090";
	put(&f, "x", "a", T0 - 1000, 10);
	label al[1] = {{"owner", "team-{{ $labels.job }}"}};
	label an[3] = {{"bad", "{{ .Nope.Nope }}"},
		       {"summary", "{{ $labels.job }} at {{ $value }} in {{ $externalLabels.site }} {{ $externalURL }}"},
		       {"total", "{{ with query \"sum(x)\" }}{{ . | first | value }}{{ end }}"}};
	rule_def rules[1] = {{.alert = "T", .expr = "x > 5", .labels = {al, 1}, .annotations = {an, 3}}};
	rule_group *g = group_of(&f, rules, 1, (labels){NULL, 0}, 0, true);
	rule_group_eval(g, T0);
	rule_alert *a = &g->rules[0].active[0];
	ASSERT_STR_EQ(labels_get(a->labels, "owner"), "team-a");
	ASSERT_STR_EQ(labels_get(a->annotations, "summary"), "a at 10 in eu1 http://flint:9090");
	ASSERT_STR_EQ(labels_get(a->annotations, "total"), "10");
	ASSERT(!strncmp(labels_get(a->annotations, "bad"), "<error expanding template: ", 27));
	rule_group_free(g);
	fx_close(&f);
}

/* Every allocation of an evaluation failing in turn (fl_alloc_fail_after):
 * errors or partial results, never a crash, a leak (ASan) or a broken state
 * for the next evaluations. */
static void allocation_failures_are_survived(void)
{
	fixture f;
	fx_open(&f);
	label al[1] = {{"sev", "{{ $labels.job }}"}};
	label an[1] = {{"summary", "{{ $value }}"}};
	rule_def rules[2] = {{.record = "r", .expr = "sum by (job) (x)"},
			     {.alert = "A", .expr = "r > 5", .for_ms = 60000, .labels = {al, 1}, .annotations = {an, 1}}};
	for (long n = 1; n < 400; n += 3) {
		int64_t t = T0 + n * 600000;
		put(&f, "x", "a", t - 1000, 10);
		put(&f, "x", "b", t - 1000, 10);
		put(&f, "x", "a", t + 59000, 10); /* data for the second round: never under injection */
		rule_group *g = group_of(&f, rules, 2, (labels){NULL, 0}, 0, true);
		/* appended before the failures start (the eval at t reads up to t
		 * only): the failing allocation must land in an evaluation */
		put(&f, "x", "a", t + 59000, 10);
		fl_alloc_fail_after(n);
		rule_group_eval(g, t);
		rule_group_eval(g, t + 60000);
		fl_alloc_fail_after(0);
		put(&f, "x", "a", t + 119000, 1);
		rule_group_eval(g, t + 120000);
		/* with allocations back, the rules are healthy again */
		ASSERT_EQ(g->rules[0].health, RULE_HEALTH_OK);
		ASSERT_EQ(g->rules[1].health, RULE_HEALTH_OK);
		rule_group_free(g);
	}
	fx_close(&f);
}

const struct test tests_rules_group[] = {
	{"allocation_failures_are_survived", allocation_failures_are_survived},
	{"alert_templates", alert_templates},
	{"recording_with_labels_and_order", recording_with_labels_and_order},
	{"stale_marker_when_result_disappears", stale_marker_when_result_disappears},
	{"query_offset_shifts_query_and_samples", query_offset_shifts_query_and_samples},
	{"alert_pending_firing_resolved", alert_pending_firing_resolved},
	{"pending_alert_dropped_when_gone", pending_alert_dropped_when_gone},
	{"keep_firing_for_holds_alert", keep_firing_for_holds_alert},
	{"limit_and_errors_keep_group_going", limit_and_errors_keep_group_going},
	{"scalar_result_and_bad_type", scalar_result_and_bad_type},
	{"bad_expression_refused", bad_expression_refused},
	{"eval_timestamp_has_group_phase", eval_timestamp_has_group_phase},
	{"restore_for_state", restore_for_state},
	{"copy_state_keeps_alerts", copy_state_keeps_alerts},
	{NULL, NULL},
};
