/* test_rules_manager.c - rule files to running groups (rules/manager.c):
 * loading globs, a bad file keeping the old rules, state kept across
 * reloads, the evaluation thread, the self-metrics. */
#include "rules/manager.h"
#include "tests/unit/rulesfx.h"

#include <unistd.h>

typedef struct mfx {
	rulesfx rf;
	db *d;
	rules_manager *m;
	char dir[512];
} mfx;

static void mfx_open(mfx *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "%s", test_tmpdir());
	char data[600];
	snprintf(data, sizeof data, "%s/data", f->dir);
	rulesfx_open(&f->rf, data);
	f->d = f->rf.d;
	err e;
	f->m = rules_manager_new(&f->rf.o, &e);
	ASSERT(f->m);
}

static void mfx_close(mfx *f)
{
	rules_manager_free(f->m);
	rulesfx_close(&f->rf);
}

static void write_file(const mfx *f, const char *name, const char *text)
{
	char p[700];
	snprintf(p, sizeof p, "%s/%s", f->dir, name);
	FILE *fp = fopen(p, "w");
	ASSERT(fp);
	fputs(text, fp);
	fclose(fp);
}

static int update(mfx *f, const char *glob, int64_t interval_ms, err *e)
{
	char g[700];
	snprintf(g, sizeof g, "%s/%s", f->dir, glob);
	const char *files[1] = {g};
	rules_config c = {.files = files, .n_files = 1, .interval_ms = interval_ms};
	err_clear(e);
	return rules_manager_update(f->m, &c, e);
}

static double query1(mfx *f, const char *q, int64_t t) { return rulesfx_query1(&f->rf, q, t); }

static const char *GOOD =
	"groups:\n"
	"- name: rec\n"
	"  rules:\n"
	"  - record: two\n"
	"    expr: 1 + 1\n"
	"- name: alerts\n"
	"  rules:\n"
	"  - alert: Always\n"
	"    expr: vector(1)\n"
	"    for: 5m\n";

static void load_eval_and_metrics(void)
{
	mfx f;
	mfx_open(&f);
	write_file(&f, "a.rules.yml", GOOD);
	write_file(&f, "b.rules.yml", "groups:\n- name: other\n  rules:\n  - record: three\n    expr: 3\n");
	err e;
	ASSERT_EQ(update(&f, "*.rules.yml", 60000, &e), 0);
	rules_manager_lock(f.m);
	size_t n;
	rule_group *const *g = rules_manager_groups(f.m, &n);
	ASSERT_EQ(n, 3); /* sorted by file, then name */
	ASSERT_STR_EQ(g[0]->name, "alerts");
	ASSERT_STR_EQ(g[1]->name, "rec");
	ASSERT_STR_EQ(g[2]->name, "other");
	ASSERT(strstr(g[2]->file, "b.rules.yml") != NULL);
	ASSERT_EQ(g[0]->rules[0].for_ms, 300000);
	rules_manager_unlock(f.m);
	int64_t t = 1700000000000LL;
	rules_manager_eval_all(f.m, t);
	ASSERT_DBL_EQ(query1(&f, "two", t), 2);
	ASSERT_DBL_EQ(query1(&f, "three", t), 3);
	buf b;
	buf_init(&b);
	rules_manager_metrics(f.m, &b);
	const char *txt = buf_cstr(&b);
	char want[900];
	snprintf(want, sizeof want, "prometheus_rule_evaluations_total{rule_group=\"%s/a.rules.yml;rec\"} 1\n", f.dir);
	ASSERT(strstr(txt, want) != NULL);
	snprintf(want, sizeof want, "prometheus_rule_group_rules{rule_group=\"%s/b.rules.yml;other\"} 1\n", f.dir);
	ASSERT(strstr(txt, want) != NULL);
	snprintf(want, sizeof want, "prometheus_rule_group_last_evaluation_timestamp_seconds{rule_group=\"%s/a.rules.yml;rec\"} 1.7e+09\n", f.dir); /* Go 'g', as client_golang */
	ASSERT(strstr(txt, want) != NULL);
	ASSERT(strstr(txt, "prometheus_rule_group_duration_seconds_count 3\n") != NULL);
	ASSERT(strstr(txt, "# TYPE prometheus_rule_evaluation_failures_total counter\n") != NULL);
	buf_reset(&b);
	mfx_close(&f);
}

static void bad_file_keeps_old_rules_and_reload_keeps_state(void)
{
	mfx f;
	mfx_open(&f);
	write_file(&f, "r.yml", GOOD);
	err e;
	ASSERT_EQ(update(&f, "r.yml", 60000, &e), 0);
	int64_t t = 1700000000000LL;
	rules_manager_eval_all(f.m, t);
	size_t n;
	rules_manager_lock(f.m);
	rule_group *const *g = rules_manager_groups(f.m, &n);
	ASSERT_EQ(g[0]->rules[0].n_active, 1);
	rules_manager_unlock(f.m);
	/* a broken file: the update fails naming it, the old groups stay */
	write_file(&f, "r.yml", "groups:\n- name: rec\n  rules:\n  - record: two\n    expr: 1 +\n");
	ASSERT(update(&f, "r.yml", 60000, &e) != 0);
	ASSERT(strstr(e.msg, "r.yml") != NULL);
	rules_manager_lock(f.m);
	g = rules_manager_groups(f.m, &n);
	ASSERT_EQ(n, 2);
	rules_manager_unlock(f.m);
	/* the same groups again plus one: the alert keeps its active_at */
	char both[1000];
	snprintf(both, sizeof both, "%s- name: new\n  rules:\n  - record: four\n    expr: 4\n", GOOD);
	write_file(&f, "r.yml", both);
	ASSERT_EQ(update(&f, "r.yml", 60000, &e), 0);
	rules_manager_lock(f.m);
	g = rules_manager_groups(f.m, &n);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(g[0]->rules[0].n_active, 1);
	ASSERT_EQ(g[0]->rules[0].active[0].active_at_ms, t);
	ASSERT_STR_EQ(g[1]->name, "new");
	ASSERT(!g[1]->should_restore); /* added after the first load */
	rules_manager_unlock(f.m);
	/* the group `rec` removed: its series go stale */
	write_file(&f, "r.yml", "groups:\n- name: alerts\n  rules:\n  - alert: Always\n    expr: vector(1)\n");
	ASSERT_EQ(update(&f, "r.yml", 60000, &e), 0);
	ASSERT(isnan(query1(&f, "two", rules_now_ms() + 1)));
	mfx_close(&f);
}

static void thread_evaluates_on_schedule(void)
{
	mfx f;
	mfx_open(&f);
	write_file(&f, "r.yml", "groups:\n- name: fast\n  interval: 100ms\n  rules:\n  - record: one\n    expr: vector(1)\n");
	err e;
	ASSERT_EQ(update(&f, "r.yml", 60000, &e), 0);
	size_t n;
	uint64_t evals = 0;
	for (int i = 0; i < 100 && evals < 3; i++) {
		usleep(20000);
		rules_manager_lock(f.m);
		rule_group *const *g = rules_manager_groups(f.m, &n);
		evals = atomic_load(&g[0]->evals_total);
		rules_manager_unlock(f.m);
	}
	ASSERT(evals >= 3);
	rules_manager_stop(f.m);
	rules_manager_lock(f.m);
	rule_group *const *g = rules_manager_groups(f.m, &n);
	int64_t last = g[0]->last_eval_ts_ms;
	ASSERT_EQ(last % 100, rule_group_eval_timestamp(g[0], rules_now_ns()) % 100);
	rules_manager_unlock(f.m);
	ASSERT_DBL_EQ(query1(&f, "one", last), 1);
	mfx_close(&f);
}

/* A queryable over the db whose selects of `slow_metric` take 600 ms;
 * each querier it opens is its own wrapper (groups query concurrently). */
typedef struct slowq {
	queryable base; /* first */
	queryable *inner;
} slowq;

typedef struct slowqr {
	querier q; /* first */
	querier *in;
} slowqr;

static series_set *slow_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ms[i].name, LABEL_NAME) && !strcmp(ms[i].value, "slow_metric"))
			usleep(600000);
	return querier_select(((slowqr *)q)->in, sorted, h, ms, n);
}
static int slow_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e)
{
	return querier_label_names(((slowqr *)q)->in, ms, n, out, e);
}
static int slow_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	return querier_label_values(((slowqr *)q)->in, name, ms, n, out, e);
}
static void slow_close(querier *q)
{
	querier_close(((slowqr *)q)->in);
	free(q);
}
static const struct querier_ops slow_ops = {slow_select, slow_names, slow_values, slow_close};

static querier *slow_querier(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	slowqr *r = malloc(sizeof *r);
	ASSERT(r);
	r->in = queryable_querier(((slowq *)self)->inner, mint, maxt, e);
	if (!r->in) {
		free(r);
		return NULL;
	}
	r->q = (querier){&slow_ops, mint, maxt};
	return &r->q;
}

/* Prometheus runs each group on its own goroutine: a group whose
 * evaluation takes far longer than the others' intervals does not hold
 * them back, and the API can read a group while its query runs. */
static void slow_group_does_not_delay_others(void)
{
	mfx f;
	mfx_open(&f);
	slowq sq = {.base = {slow_querier}, .inner = f.rf.o.queryable};
	f.rf.o.queryable = &sq.base; /* every group's queries see the wrapper; only slow_metric sleeps */
	rules_manager_free(f.m);
	err e;
	f.m = rules_manager_new(&f.rf.o, &e);
	ASSERT(f.m);
	write_file(&f, "r.yml",
		   "groups:\n"
		   "- name: slow1\n  interval: 100ms\n  rules:\n  - record: s1\n    expr: count(slow_metric) or vector(1)\n"
		   "- name: slow2\n  interval: 100ms\n  rules:\n  - record: s2\n    expr: count(slow_metric) or vector(2)\n"
		   "- name: slow3\n  interval: 100ms\n  rules:\n  - record: s3\n    expr: count(slow_metric) or vector(3)\n"
		   "- name: fast\n  interval: 100ms\n  rules:\n  - record: one\n    expr: vector(1)\n");
	ASSERT_EQ(update(&f, "r.yml", 60000, &e), 0);
	size_t n;
	uint64_t fast = 0;
	int64_t t0 = rules_now_ms();
	bool locked_while_slow = false;
	for (int i = 0; i < 200 && (fast < 8 || !locked_while_slow); i++) {
		usleep(20000);
		rules_manager_lock(f.m);
		rule_group *const *g = rules_manager_groups(f.m, &n);
		fast = atomic_load(&g[0]->evals_total); /* "fast" sorts first */
		/* the API's lock on a slow group is free while its query sleeps */
		for (size_t k = 1; k < n; k++) {
			int64_t a = rules_now_ns();
			rule_group_lock(g[k]);
			rule_group_unlock(g[k]);
			if (rules_now_ns() - a < 100000000 && atomic_load(&g[k]->evals_total) > 0)
				locked_while_slow = true;
		}
		rules_manager_unlock(f.m);
	}
	int64_t dt = rules_now_ms() - t0;
	rules_manager_stop(f.m);
	/* 8 fast evaluations at 100 ms need ~0.8 s; three groups that each
	 * take 0.6 s would starve it with a fixed pool of two or three */
	ASSERT(fast >= 8);
	ASSERT(dt < 3000);
	ASSERT(locked_while_slow);
	mfx_close(&f);
}

static void summaries_have_quantiles(void)
{
	mfx f;
	mfx_open(&f);
	write_file(&f, "r.yml", GOOD);
	err e;
	ASSERT_EQ(update(&f, "r.yml", 60000, &e), 0);
	rules_manager_eval_all(f.m, 1700000000000LL);
	buf b;
	buf_init(&b);
	rules_manager_metrics(f.m, &b);
	const char *txt = buf_cstr(&b);
	static const char *want[] = {
		"prometheus_rule_group_duration_seconds{quantile=\"0.01\"} ",
		"prometheus_rule_group_duration_seconds{quantile=\"0.05\"} ",
		"prometheus_rule_group_duration_seconds{quantile=\"0.5\"} ",
		"prometheus_rule_group_duration_seconds{quantile=\"0.9\"} ",
		"prometheus_rule_group_duration_seconds{quantile=\"0.99\"} ",
		"prometheus_rule_group_duration_seconds_count 2\n",
		"prometheus_rule_evaluation_duration_seconds{quantile=\"0.5\"} ",
		"prometheus_rule_evaluation_duration_seconds{quantile=\"0.99\"} ",
		"prometheus_rule_evaluation_duration_seconds_count 2\n",
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(want); i++)
		if (!strstr(txt, want[i]))
			test_fail(__FILE__, __LINE__, "no %s in\n%s", want[i], txt);
	ASSERT(!strstr(txt, "quantile=\"0.5\"} NaN")); /* observed */
	buf_reset(&b);
	mfx_close(&f);
}

const struct test tests_rules_manager[] = {
	{"slow_group_does_not_delay_others", slow_group_does_not_delay_others},
	{"summaries_have_quantiles", summaries_have_quantiles},
	{"load_eval_and_metrics", load_eval_and_metrics},
	{"bad_file_keeps_old_rules_and_reload_keeps_state", bad_file_keeps_old_rules_and_reload_keeps_state},
	{"thread_evaluates_on_schedule", thread_evaluates_on_schedule},
	{NULL, NULL},
};
