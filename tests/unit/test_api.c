/*
 * test_api.c - the HTTP layer: the server on a loopback port (routing,
 * 404/405/OPTIONS, 503 before ready, gzip, body limit, form parsing) and the
 * handlers called directly.
 */
#include "lib/version.h"
#include "web/web.h"
#include "tests/unit/test.h"
#include "tsdb/head.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#include <crypt.h>

/* One HTTP/1.0-style exchange; returns the whole answer (malloc'd). */
static char *http_raw(int port, const char *req, size_t req_len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return NULL;
	for (size_t off = 0; off < req_len;) {
		ssize_t n = write(fd, req + off, req_len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	ssize_t n;
	while ((n = read(fd, out + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap)
			out = realloc(out, cap *= 2);
	}
	out[len] = 0;
	close(fd);
	return out;
}

static char *http_get(int port, const char *method, const char *target, const char *extra_hdrs, const char *body)
{
	char req[8192];
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s\r\n%s", method, target,
			 extra_hdrs ? extra_hdrs : "", body ? "" : "", body ? body : "");
	if (body) {
		char tmp[8192];
		snprintf(tmp, sizeof tmp, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
			 method, target, extra_hdrs ? extra_hdrs : "", strlen(body), body);
		return http_raw(port, tmp, strlen(tmp));
	}
	return http_raw(port, req, (size_t)n);
}

static int status_of(const char *resp) { return resp && strlen(resp) > 12 ? atoi(resp + 9) : -1; }

static void start(web_env *env, web_opts *o)
{
	web_opts_default(o);
	o->listen_address = "127.0.0.1:0";
	o->threads = 2;
	o->max_body_bytes = 1000;
	ASSERT_EQ(web_env_init(env, o, NULL), 0);
	ASSERT_EQ(web_server_start(env, NULL), 0);
	ASSERT(web_server_port(env) > 0);
}

static void api_server_routing(void)
{
	web_env env;
	web_opts o;
	start(&env, &o);
	int port = web_server_port(&env);
	char *r = http_get(port, "GET", "/-/healthy", NULL, NULL);
	ASSERT_EQ(status_of(r), 200);
	ASSERT(strstr(r, "Healthy"));
	free(r);
	r = http_get(port, "GET", "/-/ready", NULL, NULL);
	ASSERT_EQ(status_of(r), 503);
	ASSERT(strstr(r, "X-Prometheus-Stopping: false"));
	free(r);
	r = http_get(port, "GET", "/api/v1/status/buildinfo", NULL, NULL);
	ASSERT_EQ(status_of(r), 503); /* not ready */
	ASSERT(strstr(r, "Service Unavailable"));
	free(r);
	atomic_store(&env.ready, 1);
	r = http_get(port, "GET", "/api/v1/status/buildinfo", "Origin: http://g\r\n", NULL);
	ASSERT_EQ(status_of(r), 200);
	ASSERT(strstr(r, "{\"status\":\"success\",\"data\":{\"version\":\"" FLINT_PROMETHEUS_VERSION "\""));
	ASSERT(!strstr(r, "features"));
	ASSERT(!strstr(r, "\"application\""));
	ASSERT(strstr(r, "Access-Control-Allow-Origin: *"));
	ASSERT(strstr(r, "Content-Type: application/json"));
	free(r);
	r = http_get(port, "PUT", "/api/v1/query", NULL, NULL);
	ASSERT_EQ(status_of(r), 405);
	ASSERT(strstr(r, "Allow: GET, OPTIONS, POST"));
	free(r);
	r = http_get(port, "OPTIONS", "/api/v1/anything", NULL, NULL);
	ASSERT_EQ(status_of(r), 204);
	free(r);
	r = http_get(port, "GET", "/nothere", NULL, NULL);
	ASSERT_EQ(status_of(r), 404);
	ASSERT(strstr(r, "404 page not found"));
	free(r);
	r = http_get(port, "POST", "/-/reload", NULL, "");
	ASSERT_EQ(status_of(r), 403);
	ASSERT(strstr(r, "Lifecycle API is not enabled."));
	free(r);
	r = http_get(port, "POST", "/api/v1/admin/tsdb/snapshot", NULL, "");
	ASSERT_EQ(status_of(r), 500);
	ASSERT(strstr(r, "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"admin APIs disabled\"}"));
	free(r);
	char big[1200];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	r = http_get(port, "POST", "/api/v1/query", "Content-Type: application/x-www-form-urlencoded\r\n", big);
	ASSERT_EQ(status_of(r), 413);
	free(r);
	/* the request counters saw them */
	buf b;
	buf_init(&b);
	web_write_http_metrics(&env, &b);
	ASSERT(strstr(buf_cstr(&b), "prometheus_http_requests_total{code=\"200\",handler=\"/-/healthy\"} 1\n"));
	ASSERT(strstr(buf_cstr(&b), "prometheus_http_request_duration_seconds_count{handler=\"/api/v1/status/buildinfo\"} 2\n"));
	buf_reset(&b);
	web_env_destroy(&env);
}

static void api_server_gzip(void)
{
	web_env env;
	web_opts o;
	start(&env, &o);
	atomic_store(&env.ready, 1);
	char *r = http_get(web_server_port(&env), "GET", "/api/v1/status/buildinfo", "Accept-Encoding: gzip\r\n", NULL);
	ASSERT_EQ(status_of(r), 200);
	ASSERT(strstr(r, "Content-Encoding: gzip"));
	char *body = strstr(r, "\r\n\r\n");
	ASSERT(body);
	body += 4;
	ASSERT((unsigned char)body[0] == 0x1f && (unsigned char)body[1] == 0x8b);
	free(r);
	web_env_destroy(&env);
}

/* A handler that echoes its params, to pin the merge order. */
static void req_init(http_req *r, arena *a, const char *method, http_param *ps, size_t n)
{
	memset(r, 0, sizeof *r);
	r->method = method;
	r->path = "/x";
	r->params = ps;
	r->n_params = n;
	r->arena = a;
}

static void api_errors_and_envelope(void)
{
	http_resp w;
	memset(&w, 0, sizeof w);
	buf_init(&w.body);
	api_error(&w, API_TIMEOUT, "query timed out in %s", "query execution");
	ASSERT_EQ(w.status, 503);
	ASSERT_STR_EQ(buf_cstr(&w.body), "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in query execution\"}");
	static const struct { api_errtype t; int code; const char *name; } m[] = {
		{API_BAD_DATA, 400, "bad_data"}, {API_EXECUTION, 422, "execution"}, {API_TIMEOUT, 503, "timeout"},
		{API_CANCELED, 499, "canceled"}, {API_UNAVAILABLE, 500, "unavailable"}, {API_INTERNAL, 500, "internal"},
		{API_NOT_FOUND, 404, "not_found"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(m); i++) {
		ASSERT_EQ(api_errtype_status(m[i].t), m[i].code);
		ASSERT_STR_EQ(api_errtype_name(m[i].t), m[i].name);
	}
	json_w j;
	api_begin(&w, &j);
	json_str(&j, "x");
	const char *warn[] = {"results truncated due to limit"};
	api_end(&j, warn, 1, NULL, 0);
	ASSERT_EQ(w.status, 200);
	ASSERT_STR_EQ(buf_cstr(&w.body), "{\"status\":\"success\",\"data\":\"x\",\"warnings\":[\"results truncated due to limit\"]}");
	/* time params */
	arena a;
	arena_init(&a);
	http_param ps[] = {{"time", "nope"}, {"start", "1.5"}};
	http_req r;
	req_init(&r, &a, "GET", ps, 2);
	int64_t ms;
	ASSERT(api_param_time(&r, &w, "time", 0, &ms) != 0);
	ASSERT_EQ(w.status, 400);
	ASSERT_STR_EQ(buf_cstr(&w.body), "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"time\\\": Invalid time value for 'time': cannot parse \\\"nope\\\" to a valid timestamp\"}");
	ASSERT_EQ(api_param_time(&r, &w, "start", 0, &ms), 0);
	ASSERT_EQ(ms, 1500);
	ASSERT_EQ(api_param_time(&r, &w, "end", 77, &ms), 0);
	ASSERT_EQ(ms, 77);
	arena_reset(&a);
	buf_reset(&w.body);
}

/* A head with three series, as the queryable of an env. */
static head *seed_head(web_env *env)
{
	head_opts ho = {0};
	head *h = head_open(&ho, NULL);
	ASSERT(h != NULL);
	appender *a = head_appender(h);
	static const char *jobs[] = {"a", "b", "a"};
	static const char *names[] = {"up", "up", "rw_info"};
	for (int i = 0; i < 3; i++) {
		label l[3] = {{"__name__", names[i]}, {"instance", i == 2 ? "x:1" : "y:2"}, {"job", jobs[i]}};
		labels ls = {l, 3};
		series_ref ref;
		ASSERT_EQ(appender_append(a, 0, ls, 1000, 1, &ref, NULL), 0);
	}
	ASSERT_EQ(appender_commit(a, NULL), 0);
	ASSERT_EQ(web_env_init(env, NULL, NULL), 0);
	env->queryable = head_queryable(h);
	return h;
}

static const char *call(web_env *env, http_handler fn, http_param *ps, size_t n, const char *arg, http_resp *w)
{
	arena *a = fl_calloc(1, sizeof *a);
	arena_init(a);
	http_req r;
	req_init(&r, a, "GET", ps, n);
	r.path_arg = arg;
	memset(w, 0, sizeof *w);
	w->status = 200;
	buf_init(&w->body);
	fn(env, &r, w);
	arena_reset(a);
	fl_free(a);
	return buf_cstr(&w->body);
}

static void api_series_labels_values(void)
{
	web_env env;
	head *h = seed_head(&env);
	http_resp w;
	http_param p1[] = {{"match[]", "up"}};
	ASSERT_STR_EQ(call(&env, api_series_handler, p1, 1, NULL, &w),
		      "{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"instance\":\"y:2\",\"job\":\"a\"},"
		      "{\"__name__\":\"up\",\"instance\":\"y:2\",\"job\":\"b\"}]}");
	buf_reset(&w.body);
	http_param p2[] = {{"match[]", "up"}, {"match[]", "{job=\"a\"}"}, {"limit", "2"}};
	ASSERT_STR_EQ(call(&env, api_series_handler, p2, 3, NULL, &w),
		      "{\"status\":\"success\",\"data\":[{\"__name__\":\"rw_info\",\"instance\":\"x:1\",\"job\":\"a\"},"
		      "{\"__name__\":\"up\",\"instance\":\"y:2\",\"job\":\"a\"}],\"warnings\":[\"results truncated due to limit\"]}");
	buf_reset(&w.body);
	ASSERT_STR_EQ(call(&env, api_labels_handler, NULL, 0, NULL, &w),
		      "{\"status\":\"success\",\"data\":[\"__name__\",\"instance\",\"job\"]}");
	buf_reset(&w.body);
	http_param p3[] = {{"match[]", "rw_info"}};
	ASSERT_STR_EQ(call(&env, api_label_values_handler, p3, 1, "job/values", &w), "{\"status\":\"success\",\"data\":[\"a\"]}");
	buf_reset(&w.body);
	ASSERT_STR_EQ(call(&env, api_label_values_handler, NULL, 0, "__name__/values", &w),
		      "{\"status\":\"success\",\"data\":[\"rw_info\",\"up\"]}");
	buf_reset(&w.body);
	ASSERT_STR_EQ(call(&env, api_label_values_handler, NULL, 0, "U__service_2e_name/values", &w),
		      "{\"status\":\"success\",\"data\":[]}");
	buf_reset(&w.body);
	ASSERT_STR_EQ(call(&env, api_series_handler, NULL, 0, NULL, &w),
		      "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no match[] parameter provided\"}");
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	http_param p4[] = {{"match[]", "{job=~\".*\"}"}};
	call(&env, api_series_handler, p4, 1, NULL, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT(strstr(buf_cstr(&w.body), "match[] must contain at least one non-empty matcher"));
	buf_reset(&w.body);
	http_param p5[] = {{"limit", "-1"}};
	call(&env, api_labels_handler, p5, 1, NULL, &w);
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	web_env_destroy(&env);
	head_close(h);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* --web.config.file: bcrypt basic auth (401 without or with a wrong password). */
static void api_webconfig_basic_auth(void)
{
	char salt[64], path[512], yml[512];
	ASSERT(crypt_gensalt_rn("$2b$", 5, NULL, 0, salt, sizeof salt) != NULL);
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *hash = crypt_r("s3cret", salt, &cd);
	ASSERT(hash && hash[0] == '$');
	snprintf(path, sizeof path, "%s/web.yml", test_tmpdir());
	snprintf(yml, sizeof yml, "basic_auth_users:\n  alice: '%s'\nhttp_server_config:\n  headers:\n    X-Test: yes\n", hash);
	write_file(path, yml);
	web_env env;
	web_opts o;
	web_opts_default(&o);
	o.listen_address = "127.0.0.1:0";
	o.threads = 2;
	o.web_config_file = path;
	ASSERT_EQ(web_env_init(&env, &o, NULL), 0);
	ASSERT_EQ(web_server_start(&env, NULL), 0);
	int port = web_server_port(&env);
	char *r = http_get(port, "GET", "/-/healthy", NULL, NULL);
	ASSERT_EQ(status_of(r), 401);
	ASSERT(strstr(r, "WWW-Authenticate: Basic"));
	free(r);
	r = http_get(port, "GET", "/-/healthy", "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n", NULL); /* alice:wrong */
	ASSERT_EQ(status_of(r), 401);
	free(r);
	r = http_get(port, "GET", "/-/healthy", "Authorization: Basic YWxpY2U6czNjcmV0\r\n", NULL); /* alice:s3cret */
	ASSERT_EQ(status_of(r), 200);
	ASSERT(strstr(r, "X-Test: yes"));
	free(r);
	web_env_destroy(&env);
	/* a broken file names itself */
	write_file(path, "basic_auth_users: [\n");
	err e;
	ASSERT(web_env_init(&env, &o, &e) != 0);
	ASSERT(strstr(e.msg, "web.yml"));
	web_env_destroy(&env);
	write_file(path, "bogus: 1\n");
	ASSERT(web_env_init(&env, &o, &e) != 0);
	ASSERT(strstr(e.msg, "field bogus not found"));
	web_env_destroy(&env);
}

static void api_cors_origin(void)
{
	web_env env;
	web_opts o;
	web_opts_default(&o);
	o.listen_address = "127.0.0.1:0";
	o.threads = 1;
	o.cors_origin = "https://(a|b)\\.example";
	ASSERT_EQ(web_env_init(&env, &o, NULL), 0);
	ASSERT_EQ(web_server_start(&env, NULL), 0);
	atomic_store(&env.ready, 1);
	int port = web_server_port(&env);
	char *r = http_get(port, "GET", "/api/v1/status/buildinfo", "Origin: https://a.example\r\n", NULL);
	ASSERT(strstr(r, "Access-Control-Allow-Origin: https://a.example\r\n"));
	ASSERT(strstr(r, "Vary: Origin"));
	free(r);
	r = http_get(port, "GET", "/api/v1/status/buildinfo", "Origin: https://c.example\r\n", NULL);
	ASSERT(!strstr(r, "Access-Control-Allow-Origin"));
	ASSERT(strstr(r, "Access-Control-Allow-Methods: GET, POST, OPTIONS"));
	free(r);
	r = http_get(port, "GET", "/api/v1/status/buildinfo", NULL, NULL);
	ASSERT(!strstr(r, "Access-Control-Allow-Methods"));
	free(r);
	web_env_destroy(&env);
	o.cors_origin = "(";
	err e;
	ASSERT(web_env_init(&env, &o, &e) != 0);
	ASSERT(strstr(e.msg, "web.cors.origin"));
	web_env_destroy(&env);
}

static void api_query_handlers(void)
{
	web_env env;
	head *h = seed_head(&env);
	promql_engine_opts eo;
	promql_engine_opts_default(&eo);
	env.engine = promql_engine_new(&eo);
	env.engine_opts = eo;
	http_resp w;
	http_param q1[] = {{"query", "up"}, {"time", "1.5"}};
	ASSERT_STR_EQ(call(&env, api_query_handler, q1, 2, NULL, &w),
		      "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		      "{\"metric\":{\"__name__\":\"up\",\"instance\":\"y:2\",\"job\":\"a\"},\"value\":[1.500,\"1\"]},"
		      "{\"metric\":{\"__name__\":\"up\",\"instance\":\"y:2\",\"job\":\"b\"},\"value\":[1.500,\"1\"]}]}}");
	buf_reset(&w.body);
	http_param q2[] = {{"query", "count(up)"}, {"start", "0"}, {"end", "2"}, {"step", "1"}, {"stats", "all"}};
	const char *body = call(&env, api_query_range_handler, q2, 5, NULL, &w);
	ASSERT(strstr(body, "\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,\"2\"],[2,\"2\"]]}]"));
	ASSERT(strstr(body, "\"stats\":{\"timings\":{"));
	ASSERT(strstr(body, "\"samples\":{\"totalQueryableSamplesPerStep\":[[0,0],[1,"));
	buf_reset(&w.body);
	http_param q3[] = {{"query", "1e-7"}, {"time", "4"}};
	ASSERT_STR_EQ(call(&env, api_query_handler, q3, 2, NULL, &w),
		      "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"1e-07\"]}}");
	buf_reset(&w.body);
	http_param q4[] = {{"query", "sum("}};
	call(&env, api_query_handler, q4, 1, NULL, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT(strstr(buf_cstr(&w.body), "\"error\":\"invalid parameter \\\"query\\\": 1:5: parse error"));
	buf_reset(&w.body);
	http_param q5[] = {{"query", "up"}, {"start", "0"}, {"end", "100000"}, {"step", "1"}};
	call(&env, api_query_range_handler, q5, 4, NULL, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT(strstr(buf_cstr(&w.body), "exceeded maximum resolution of 11,000 points per timeseries"));
	buf_reset(&w.body);
	/* lookback_delta (3.x): 200ms misses the sample 500ms back, 1s finds it */
	http_param q7[] = {{"query", "up"}, {"time", "1.5"}, {"lookback_delta", "200ms"}};
	ASSERT_STR_EQ(call(&env, api_query_handler, q7, 3, NULL, &w),
		      "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
	buf_reset(&w.body);
	http_param q8[] = {{"query", "count(up)"}, {"start", "1.5"}, {"end", "2.5"}, {"step", "1"}, {"lookback_delta", "1s"}};
	ASSERT_STR_EQ(call(&env, api_query_range_handler, q8, 5, NULL, &w),
		      "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1.500,\"2\"]]}]}}");
	buf_reset(&w.body);
	http_param q9[] = {{"query", "up"}, {"lookback_delta", "abc"}};
	ASSERT_STR_EQ(call(&env, api_query_handler, q9, 2, NULL, &w),
		      "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"error parsing lookback delta duration: "
		      "cannot parse \\\"abc\\\" to a valid duration\"}");
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	/* stats=all: per-step figures, [t as encoding/json's float, n]; the total is their sum.
	 * n is the engine's accounting: the 2 points selected (a selector's raw
	 * samples are released once stepped over), as Prometheus counts: see
	 * step_stats in api_query.c */
	http_param q10[] = {{"query", "up"}, {"start", "0"}, {"end", "2.5"}, {"step", "0.5"}, {"stats", "all"}};
	body = call(&env, api_query_range_handler, q10, 5, NULL, &w);
	ASSERT(strstr(body, "\"samples\":{\"totalQueryableSamplesPerStep\":[[0,0],[0.5,0],[1,2],[1.5,2],[2,2],[2.5,2]],"
			    "\"totalQueryableSamples\":8,"));
	buf_reset(&w.body);
	http_param q11[] = {{"query", "up"}, {"time", "1.5"}, {"stats", "all"}};
	body = call(&env, api_query_handler, q11, 3, NULL, &w);
	ASSERT(strstr(body, "\"samples\":{\"totalQueryableSamplesPerStep\":[[1.5,2]],\"totalQueryableSamples\":2,"));
	buf_reset(&w.body);
	http_param q12[] = {{"query", "up"}, {"time", "1.5"}, {"stats", "1"}};
	body = call(&env, api_query_handler, q12, 3, NULL, &w);
	ASSERT(strstr(body, "\"samples\":{\"totalQueryableSamples\":2,"));
	buf_reset(&w.body);
	http_param q6[] = {{"query", "sum(up)by(job)"}};
	ASSERT_STR_EQ(call(&env, api_format_query_handler, q6, 1, NULL, &w), "{\"status\":\"success\",\"data\":\"sum by (job) (up)\"}");
	buf_reset(&w.body);
	promql_engine_free(env.engine);
	web_env_destroy(&env);
	head_close(h);
}

/* /api/v1/parse_query: translate_ast.go's shapes, keys sorted as Go writes maps */
static void api_parse_query(void)
{
	web_env env;
	ASSERT_EQ(web_env_init(&env, NULL, NULL), 0);
	http_resp w;
	static const char *const cases[][2] = {
		{"sum by (job) (rate(foo{a=\"b\"}[5m] offset 1m))",
		 "{\"expr\":{\"args\":[{\"anchored\":false,\"matchers\":[{\"name\":\"a\",\"type\":\"=\",\"value\":\"b\"},"
		 "{\"name\":\"__name__\",\"type\":\"=\",\"value\":\"foo\"}],\"name\":\"foo\",\"offset\":60000,\"offsetExpr\":null,"
		 "\"range\":300000,\"rangeExpr\":null,\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":null,"
		 "\"type\":\"matrixSelector\"}],\"func\":{\"argTypes\":[\"matrix\"],\"name\":\"rate\",\"returnType\":\"vector\","
		 "\"variadic\":0},\"type\":\"call\"},\"grouping\":[\"job\"],\"op\":\"sum\",\"param\":null,\"type\":\"aggregation\","
		 "\"without\":false}"},
		{"1 + {x=~\"y\"} @ 10",
		 "{\"bool\":false,\"lhs\":{\"type\":\"numberLiteral\",\"val\":\"1\"},\"matching\":null,\"op\":\"+\",\"rhs\":"
		 "{\"anchored\":false,\"matchers\":[{\"name\":\"x\",\"type\":\"=~\",\"value\":\"y\"}],\"name\":\"\",\"offset\":0,"
		 "\"offsetExpr\":null,\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":10000,\"type\":\"vectorSelector\"},"
		 "\"type\":\"binaryExpr\"}"},
		{"a / on(x) group_left(y) b",
		 "{\"bool\":false,\"lhs\":{\"anchored\":false,\"matchers\":[{\"name\":\"__name__\",\"type\":\"=\",\"value\":\"a\"}],"
		 "\"name\":\"a\",\"offset\":0,\"offsetExpr\":null,\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":null,"
		 "\"type\":\"vectorSelector\"},\"matching\":{\"card\":\"many-to-one\",\"fillValues\":{\"lhs\":null,\"rhs\":null},"
		 "\"include\":[\"y\"],\"labels\":[\"x\"],\"on\":true},\"op\":\"/\",\"rhs\":{\"anchored\":false,\"matchers\":"
		 "[{\"name\":\"__name__\",\"type\":\"=\",\"value\":\"b\"}],\"name\":\"b\",\"offset\":0,\"offsetExpr\":null,"
		 "\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":null,\"type\":\"vectorSelector\"},\"type\":\"binaryExpr\"}"},
		{"{a=\"b\"}[1h:] @ end() offset (10m/2)",
		 "{\"expr\":{\"anchored\":false,\"matchers\":[{\"name\":\"a\",\"type\":\"=\",\"value\":\"b\"}],\"name\":\"\","
		 "\"offset\":0,\"offsetExpr\":null,\"smoothed\":false,\"startOrEnd\":null,\"timestamp\":null,"
		 "\"type\":\"vectorSelector\"},\"offset\":0,\"offsetExpr\":{\"lhs\":{\"duration\":true,\"type\":\"numberLiteral\","
		 "\"val\":\"600\"},\"op\":\"/\",\"rhs\":{\"duration\":false,\"type\":\"numberLiteral\",\"val\":\"2\"},"
		 "\"type\":\"durationExpr\",\"wrapped\":true},\"range\":3600000,\"rangeExpr\":null,\"startOrEnd\":\"end\","
		 "\"step\":0,\"stepExpr\":null,\"timestamp\":null,\"type\":\"subquery\"}"},
		{"-(1.5e-7) + round(\"s\" == \"s\", 1e22)", NULL}, /* only must not fail */
		{"-(1.5e-7)",
		 "{\"expr\":{\"expr\":{\"type\":\"numberLiteral\",\"val\":\"0.00000015\"},\"type\":\"parenExpr\"},\"op\":\"-\","
		 "\"type\":\"unaryExpr\"}"},
		{"1e22", "{\"type\":\"numberLiteral\",\"val\":\"10000000000000000000000\"}"},
		{"\"s\"", "{\"type\":\"stringLiteral\",\"val\":\"s\"}"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		http_param q[] = {{"query", cases[i][0]}};
		const char *body = call(&env, api_parse_query_handler, q, 1, NULL, &w);
		if (cases[i][1]) {
			char want[4096];
			snprintf(want, sizeof want, "{\"status\":\"success\",\"data\":%s}", cases[i][1]);
			ASSERT_STR_EQ(body, want);
		}
		buf_reset(&w.body);
	}
	/* deeper than the JSON writer's own nesting limit */
	buf deep;
	buf_init(&deep);
	for (int i = 0; i < 400; i++)
		buf_put_str(&deep, "(");
	buf_put_str(&deep, "1");
	for (int i = 0; i < 400; i++)
		buf_put_str(&deep, ")");
	http_param qd[] = {{"query", buf_cstr(&deep)}};
	const char *body = call(&env, api_parse_query_handler, qd, 1, NULL, &w);
	ASSERT_EQ(w.status, 200);
	size_t parens = 0;
	for (const char *p = body; (p = strstr(p, "\"type\":\"parenExpr\"")); p++)
		parens++;
	ASSERT_EQ(parens, 400);
	ASSERT(strstr(body, "\"expr\":{\"type\":\"numberLiteral\",\"val\":\"1\"},\"type\":\"parenExpr\"}"));
	long bal = 0;
	for (const char *p = body; *p; p++)
		bal += *p == '{' ? 1 : *p == '}' ? -1 : 0;
	ASSERT_EQ(bal, 0);
	buf_reset(&w.body);
	/* a chain of binary operators nests binaryExpr objects as deep as it is long */
	buf_clear(&deep);
	buf_put_str(&deep, "up");
	for (int i = 1; i <= 50000; i++) /* up or 1 == bool 2 ^ up or ... ^ up */
		buf_put_str(&deep, i % 2 ? " or 1 == bool 2" : " ^ up");
	http_param qc[] = {{"query", buf_cstr(&deep)}};
	body = call(&env, api_parse_query_handler, qc, 1, NULL, &w);
	if (w.status != 200)
		test_fail(__FILE__, __LINE__, "%d %.300s", w.status, body);
	static const char bin[] = "\"type\":\"binaryExpr\"";
	size_t bins = 0, len = strlen(body); /* (ASan's strstr measures its haystack each call) */
	for (size_t i = 0; i + sizeof bin - 1 <= len; i++)
		bins += !memcmp(body + i, bin, sizeof bin - 1);
	ASSERT_EQ(bins, 3 * 25000); /* "or", "== bool" and "^" */
	static const char head[] = "{\"status\":\"success\",\"data\":{\"bool\":false,\"lhs\":{\"bool\":false,\"lhs\":";
	ASSERT(!strncmp(body, head, sizeof head - 1));
	bal = 0;
	for (const char *p = body; *p; p++)
		bal += *p == '{' ? 1 : *p == '}' ? -1 : 0;
	ASSERT_EQ(bal, 0);
	buf_reset(&w.body);
	buf_reset(&deep);
	http_param qe[] = {{"query", "sum("}};
	ASSERT_STR_EQ(call(&env, api_parse_query_handler, qe, 1, NULL, &w),
		      "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": 1:5: parse "
		      "error: unclosed left parenthesis\"}");
	buf_reset(&w.body);
	web_env_destroy(&env);
}

const struct test tests_api[] = {
	{"api_parse_query", api_parse_query},
	{"api_query_handlers", api_query_handlers},
	{"api_cors_origin", api_cors_origin},
	{"api_webconfig_basic_auth", api_webconfig_basic_auth},
	{"api_series_labels_values", api_series_labels_values},
	{"api_server_routing", api_server_routing},
	{"api_server_gzip", api_server_gzip},
	{"api_errors_and_envelope", api_errors_and_envelope},
	{NULL, NULL},
};
