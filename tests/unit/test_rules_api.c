/* test_rules_api.c - /api/v1/rules and /api/v1/alerts (web/api_rules.c)
 * over a rule manager: shapes, filters, errors. */
#include "rules/manager.h"
#include "tests/unit/rulesfx.h"
#include "web/web.h"

typedef struct afx {
	rulesfx rf;
	rules_manager *m;
	web_env env;
	char path[600];
} afx;

static const char *RULES =
	"groups:\n"
	"- name: rec\n"
	"  interval: 30s\n"
	"  rules:\n"
	"  - record: job:two\n"
	"    expr: 1+1\n"
	"    labels: {team: db}\n"
	"- name: alerts\n"
	"  limit: 10\n"
	"  rules:\n"
	"  - alert: Fires\n"
	"    expr: vector(2.5)\n"
	"    labels: {severity: page}\n"
	"    annotations: {summary: high}\n"
	"  - alert: Waits\n"
	"    expr: vector(1)\n"
	"    for: 10m\n"
	"    keep_firing_for: 1m\n";

#define T0 1700000000000LL

static void afx_open(afx *f)
{
	memset(f, 0, sizeof *f);
	const char *dir = test_tmpdir();
	char data[600];
	snprintf(data, sizeof data, "%s/data", dir);
	rulesfx_open(&f->rf, data);
	err e;
	f->m = rules_manager_new(&f->rf.o, &e);
	snprintf(f->path, sizeof f->path, "%s/r.yml", dir);
	FILE *fp = fopen(f->path, "w");
	ASSERT(fp);
	fputs(RULES, fp);
	fclose(fp);
	const char *files[1] = {f->path};
	rules_config c = {.files = files, .n_files = 1, .interval_ms = 60000};
	ASSERT_EQ(rules_manager_update(f->m, &c, &e), 0);
	rules_manager_stop(f->m); /* evaluations only through eval_all */
	rules_manager_eval_all(f->m, T0);
	ASSERT_EQ(web_env_init(&f->env, NULL, NULL), 0);
	f->env.rules = f->m;
}

static void afx_close(afx *f)
{
	web_env_destroy(&f->env);
	rules_manager_free(f->m);
	rulesfx_close(&f->rf);
}

static const char *call(afx *f, http_handler fn, http_param *ps, size_t n, http_resp *w)
{
	arena a;
	arena_init(&a);
	http_req r;
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.path = "/api/v1/rules";
	r.params = ps;
	r.n_params = n;
	r.arena = &a;
	memset(w, 0, sizeof *w);
	w->status = 200;
	buf_init(&w->body);
	fn(&f->env, &r, w);
	arena_reset(&a);
	return buf_cstr(&w->body);
}

static void rules_shape(void)
{
	afx f;
	afx_open(&f);
	http_resp w;
	const char *s = call(&f, api_rules_handler, NULL, 0, &w);
	ASSERT_EQ(w.status, 200);
	char want[1200];
	/* groups sorted by file, then name */
	snprintf(want, sizeof want, "{\"status\":\"success\",\"data\":{\"groups\":[{\"name\":\"alerts\",\"file\":\"%s\",", f.path);
	ASSERT(!strncmp(s, want, strlen(want)));
	snprintf(want, sizeof want, "{\"name\":\"rec\",\"file\":\"%s\","
		 "\"rules\":[{\"name\":\"job:two\",\"query\":\"1 + 1\",\"labels\":{\"team\":\"db\"},\"health\":\"ok\","
		 "\"evaluationTime\":", f.path);
	ASSERT(strstr(s, want) != NULL);
	ASSERT(strstr(s, "\"type\":\"recording\"}],\"interval\":30,\"limit\":0,\"evaluationTime\":") != NULL);
	ASSERT(strstr(s, "{\"state\":\"firing\",\"name\":\"Fires\",\"query\":\"vector(2.5)\",\"duration\":0,"
			 "\"keepFiringFor\":0,\"labels\":{\"severity\":\"page\"},\"annotations\":{\"summary\":\"high\"},"
			 "\"alerts\":[{\"labels\":{\"alertname\":\"Fires\",\"severity\":\"page\"},"
			 "\"annotations\":{\"summary\":\"high\"},\"state\":\"firing\","
			 "\"activeAt\":\"2023-11-14T22:13:20Z\",\"value\":\"2.5e+00\"}],\"health\":\"ok\",") != NULL);
	ASSERT(strstr(s, "{\"state\":\"pending\",\"name\":\"Waits\",\"query\":\"vector(1)\",\"duration\":600,"
			 "\"keepFiringFor\":60,\"labels\":{},\"annotations\":{},") != NULL);
	ASSERT(strstr(s, "\"interval\":60,\"limit\":10,") != NULL);
	ASSERT(strstr(s, "\"lastEvaluation\":\"0001-01-01T00:00:00Z\"") == NULL);
	buf_reset(&w.body);
	afx_close(&f);
}

static void rules_filters(void)
{
	afx f;
	afx_open(&f);
	http_resp w;
	http_param p1[] = {{"type", "record"}};
	const char *s = call(&f, api_rules_handler, p1, 1, &w);
	ASSERT(strstr(s, "job:two") && !strstr(s, "\"alerts\""));
	buf_reset(&w.body);
	http_param p2[] = {{"type", "alert"}, {"rule_name[]", "Waits"}};
	s = call(&f, api_rules_handler, p2, 2, &w);
	ASSERT(strstr(s, "Waits") && !strstr(s, "Fires") && !strstr(s, "job:two"));
	buf_reset(&w.body);
	http_param p3[] = {{"rule_group[]", "rec"}};
	s = call(&f, api_rules_handler, p3, 1, &w);
	ASSERT(strstr(s, "job:two") && !strstr(s, "Waits"));
	buf_reset(&w.body);
	http_param p4[] = {{"file[]", "/nope.yml"}};
	s = call(&f, api_rules_handler, p4, 1, &w);
	ASSERT_STR_EQ(s, "{\"status\":\"success\",\"data\":{\"groups\":[]}}");
	buf_reset(&w.body);
	http_param p5[] = {{"match[]", "{severity=\"page\"}"}};
	s = call(&f, api_rules_handler, p5, 1, &w);
	ASSERT(strstr(s, "Fires") && !strstr(s, "Waits") && !strstr(s, "job:two"));
	buf_reset(&w.body);
	http_param p6[] = {{"exclude_alerts", "true"}, {"rule_name[]", "Fires"}};
	s = call(&f, api_rules_handler, p6, 2, &w);
	ASSERT(strstr(s, "\"alerts\":null") != NULL); /* Go's nil slice */
	buf_reset(&w.body);
	http_param p7[] = {{"type", "bogus"}};
	s = call(&f, api_rules_handler, p7, 1, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT_STR_EQ(s, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"type\\\": not supported value \\\"bogus\\\"\"}");
	buf_reset(&w.body);
	http_param p8[] = {{"exclude_alerts", "maybe"}};
	s = call(&f, api_rules_handler, p8, 1, &w);
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	http_param p9[] = {{"match[]", "{"}};
	call(&f, api_rules_handler, p9, 1, &w);
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	http_param p10[] = {{"match[]", "{a=\"\"}"}};
	s = call(&f, api_rules_handler, p10, 1, &w);
	ASSERT_STR_EQ(s, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"match[] must contain at least one non-empty matcher\"}");
	buf_reset(&w.body);
	http_param p11[] = {{"type", "ALERTX"}};
	s = call(&f, api_rules_handler, p11, 1, &w);
	ASSERT(strstr(s, "not supported value \\\"alertx\\\"") != NULL);
	buf_reset(&w.body);
	afx_close(&f);
}

static void alerts_list(void)
{
	afx f;
	afx_open(&f);
	http_resp w;
	const char *s = call(&f, api_alerts_handler, NULL, 0, &w);
	ASSERT_STR_EQ(s, "{\"status\":\"success\",\"data\":{\"alerts\":["
			 "{\"labels\":{\"alertname\":\"Fires\",\"severity\":\"page\"},\"annotations\":{\"summary\":\"high\"},"
			 "\"state\":\"firing\",\"activeAt\":\"2023-11-14T22:13:20Z\",\"value\":\"2.5e+00\"},"
			 "{\"labels\":{\"alertname\":\"Waits\"},\"annotations\":{},"
			 "\"state\":\"pending\",\"activeAt\":\"2023-11-14T22:13:20Z\",\"value\":\"1e+00\"}]}}");
	buf_reset(&w.body);
	/* without a rule manager both answer empty */
	f.env.rules = NULL;
	ASSERT_STR_EQ(call(&f, api_alerts_handler, NULL, 0, &w), "{\"status\":\"success\",\"data\":{\"alerts\":[]}}");
	buf_reset(&w.body);
	ASSERT_STR_EQ(call(&f, api_rules_handler, NULL, 0, &w), "{\"status\":\"success\",\"data\":{\"groups\":[]}}");
	buf_reset(&w.body);
	afx_close(&f);
}

const struct test tests_rules_api[] = {
	{"rules_shape", rules_shape},
	{"rules_filters", rules_filters},
	{"alerts_list", alerts_list},
	{NULL, NULL},
};
