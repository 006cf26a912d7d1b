/*
 * flinttool_query.c - `flinttool query instant|range|series|labels|analyze`:
 * promtool's queries against a Prometheus-compatible server
 * (cmd/promtool/query.go, analyze.go; client_golang api/prometheus/v1).
 *
 * Requests are client_golang's: instant and range queries and series are
 * POSTed as a form (url.Values.Encode: keys sorted) and retried as a GET
 * when the server answers 403, 405 or 501; label values are a GET. Times
 * go out as Go's formatTime (seconds, 'f' -1, nanosecond precision).
 * Answers are decoded and printed by web/api_value.c (-o promql|json).
 * Failures print promtool's lines on stderr and exit 1:
 *   query error: Post "URL": dial tcp ...: connect: connection refused
 *   query error: bad_data: 1:1: parse error: ...
 *   query error: server_error: server error: 503 (detail: <body>)
 */
#include "cmd/flinttool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/flinttool_http.h"
#include "cmd/flinttool_query.h"
#include "lib/fmtfloat.h"
#include "lib/godur.h"
#include "lib/timeparse.h"
#include "web/api_value.h"

#define QUERY_TIMEOUT_MS (2 * 60 * 1000) /* promtool's context.WithTimeout(2*time.Minute) */

/* ---- times, as Go's time.Time (seconds + nanoseconds) ---- */

void ft_time_now(ft_time *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	t->sec = ts.tv_sec;
	t->nsec = ts.tv_nsec;
}

void ft_time_add(ft_time *t, int64_t ns)
{
	int64_t s = ns / 1000000000, n = t->nsec + ns % 1000000000;
	t->sec += s;
	if (n < 0)
		n += 1000000000, t->sec--;
	else if (n >= 1000000000)
		n -= 1000000000, t->sec++;
	t->nsec = n;
}

/* Go's strconv.ParseFloat accepts no white space and no trailing bytes. */
static bool go_parse_float(const char *s, double *v)
{
	if (!*s || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
		return false;
	char *end;
	*v = strtod(s, &end);
	return !*end;
}

int ft_time_parse(const char *s, ft_time *t, buf *msg)
{
	double f;
	if (go_parse_float(s, &f)) {
		double ip, fp = modf(f, &ip);
		if (!(fabs(ip) < 9.2e18)) /* int64 conversion out of range */
			ip = ip != ip ? 0 : ip < 0 ? -9.2e18 : 9.2e18;
		t->sec = (int64_t)ip;
		t->nsec = 0;
		ft_time_add(t, (int64_t)(fp * 1e9));
		return 0;
	}
	int64_t ms;
	if (timeparse_rfc3339(s, &ms) == 0) {
		int64_t sec = ms / 1000, r = ms % 1000;
		if (r < 0)
			r += 1000, sec--;
		t->sec = sec;
		t->nsec = r * 1000000;
		return 0;
	}
	buf_printf(msg, "cannot parse \"%s\" to a valid timestamp", s);
	return -1;
}

void ft_time_format(const ft_time *t, buf *b)
{
	char s[FMT_FLOAT_F_MAX];
	buf_put(b, s, (size_t)fmt_go_f(s, (double)t->sec + (double)t->nsec / 1e9));
}

bool ft_time_before(const ft_time *a, const ft_time *b)
{
	return a->sec < b->sec || (a->sec == b->sec && a->nsec < b->nsec);
}

/* ---- the API client ---- */

/* A command's server and HTTP settings. */
typedef struct qclient {
	buf base;                       /* server URL, no trailing '/' */
	const scrape_http_client *hc;   /* --http.config.file, or default */
	const char **headers;           /* "K: V" for --header */
	size_t n_headers;               /* their number */
	arena a;                        /* decoded answers */
} qclient;

/* An API failure: client_golang's error (msg = err.Error()) and, for a
 * non-API status, the body as detail. */
typedef struct qerr {
	buf msg;      /* Error() text */
	buf detail;   /* *v1.Error.Detail, or empty */
	bool has_detail;
} qerr;

static void qerr_init(qerr *q)
{
	buf_init(&q->msg);
	buf_init(&q->detail);
	q->has_detail = false;
}

static void qerr_reset(qerr *q)
{
	buf_reset(&q->msg);
	buf_reset(&q->detail);
}

/* client_golang's apiClientImpl.Do over one exchange: the data span or an error. */
static int api_do(qclient *q, const char *method, const char *url, const char *form, ft_http_resp *resp,
		  api_response *ar, qerr *qe)
{
	ft_http_req rq = {.method = method, .url = url, .body = form, .body_len = form ? strlen(form) : 0,
			  .headers = q->headers, .n_headers = q->n_headers, .timeout_ms = QUERY_TIMEOUT_MS};
	const char *hdrs[64];
	size_t nh = 0;
	for (size_t i = 0; i < q->n_headers && nh < 63; i++)
		hdrs[nh++] = q->headers[i];
	if (form)
		hdrs[nh++] = "Content-Type: application/x-www-form-urlencoded";
	rq.headers = hdrs, rq.n_headers = nh;
	if (ft_http_do(q->hc, &rq, resp, &qe->msg) < 0)
		return -1;
	long code = resp->code;
	bool api_error = code == 400 || code == 422;
	if (code / 100 != 2 && !api_error) {
		const char *type = code / 100 == 4 ? "client_error" : code / 100 == 5 ? "server_error" : "bad_response";
		if (code / 100 == 4)
			buf_printf(&qe->msg, "%s: client error: %ld", type, code);
		else if (code / 100 == 5)
			buf_printf(&qe->msg, "%s: server error: %ld", type, code);
		else
			buf_printf(&qe->msg, "%s: bad response code %ld", type, code);
		buf_put(&qe->detail, resp->body.p, resp->body.len);
		qe->has_detail = resp->body.len > 0;
		return -1;
	}
	memset(ar, 0, sizeof *ar);
	if (code != 204) {
		err e;
		err_clear(&e);
		if (api_response_decode(resp->body.len ? (const char *)resp->body.p : "", resp->body.len, &q->a, ar, &e) < 0) {
			buf_printf(&qe->msg, "bad_response: %s", e.msg);
			return -1;
		}
	}
	if (ar->status && !strcmp(ar->status, "error")) {
		buf_printf(&qe->msg, "%s: %s", ar->error_type, ar->error);
		return -1;
	}
	if (api_error && ar->status && !strcmp(ar->status, "success")) {
		buf_put_str(&qe->msg, "bad_response: inconsistent body for response code");
		return -1;
	}
	return 0;
}

/* POST the form to base+ep, then GET on 403/405/501 (DoGetFallback); or a
 * plain GET of base+ep?form. On success the decoded value is in *v. */
static int api_call(qclient *q, const char *ep, const char *form, bool post, api_vtype type, api_value *v,
		    api_response *ar, qerr *qe)
{
	buf url;
	buf_init(&url);
	buf_put(&url, q->base.p, q->base.len);
	buf_put_str(&url, ep);
	ft_http_resp resp;
	int rc;
	if (post) {
		rc = api_do(q, "POST", buf_cstr(&url), form, &resp, ar, qe);
		if (resp.code == 403 || resp.code == 405 || resp.code == 501) {
			ft_http_resp_free(&resp);
			buf_clear(&qe->msg);
			buf_clear(&qe->detail);
			qe->has_detail = false;
			post = false;
		}
	}
	if (!post) {
		if (form && *form) {
			buf_put_byte(&url, '?');
			buf_put_str(&url, form);
		}
		rc = api_do(q, "GET", buf_cstr(&url), NULL, &resp, ar, qe);
	}
	if (rc == 0) {
		err e;
		err_clear(&e);
		if (!ar->data) {
			buf_put_str(&qe->msg, "unexpected end of JSON input");
			rc = -1;
		} else if (api_value_decode(ar->data, ar->data_len, type, &q->a, v, &e) < 0) {
			buf_put_str(&qe->msg, e.msg);
			rc = -1;
		}
	}
	ft_http_resp_free(&resp);
	buf_reset(&url);
	return rc;
}

/* handleAPIError */
static int query_failed(const qerr *qe)
{
	fflush(stdout);
	if (qe->has_detail) {
		/* strings.TrimSpace */
		const char *d = (const char *)qe->detail.p;
		size_t n = qe->detail.len;
		while (n && (*d == ' ' || *d == '\t' || *d == '\n' || *d == '\r' || *d == '\v' || *d == '\f'))
			d++, n--;
		while (n && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\n' || d[n - 1] == '\r' ||
			     d[n - 1] == '\v' || d[n - 1] == '\f'))
			n--;
		fprintf(stderr, "query error: %.*s (detail: %.*s)\n", (int)qe->msg.len, (const char *)qe->msg.p, (int)n, d);
	} else {
		fprintf(stderr, "query error: %.*s\n", (int)qe->msg.len, (const char *)qe->msg.p);
	}
	return 1;
}

/* "K=V" values of a kingpin StringMap flag into "K: V" header lines. */
static int parse_headers(const cli_ctx *c, qclient *q)
{
	size_t n;
	const char *const *v = cli_strs(c, "header", &n);
	if (!n)
		return 0;
	q->headers = arena_calloc(&q->a, n, sizeof *q->headers);
	for (size_t i = 0; q->headers && i < n; i++) {
		const char *eq = strchr(v[i], '=');
		if (!eq)
			return cli_usage_error("expected KEY=VALUE got '%s'", v[i]);
		size_t kl = (size_t)(eq - v[i]), vl = strlen(eq + 1);
		char *h = arena_alloc(&q->a, kl + vl + 3);
		if (!h)
			return 1;
		snprintf(h, kl + vl + 3, "%.*s: %s", (int)kl, v[i], eq + 1);
		q->headers[q->n_headers++] = h;
	}
	return 0;
}

/* Usage checks every query command shares: -o, the server URL, --header. */
static int client_open(const cli_ctx *c, const char *server_arg, bool headers, qclient *q, bool *json)
{
	memset(q, 0, sizeof *q);
	buf_init(&q->base);
	arena_init(&q->a);
	const char *fmt = cli_str(c, "format");
	if (fmt && strcmp(fmt, "promql") && strcmp(fmt, "json"))
		return cli_usage_error("enum value must be one of promql,json, got '%s'", fmt);
	if (json)
		*json = fmt && !strcmp(fmt, "json");
	const char *server = cli_str(c, server_arg) ? cli_str(c, server_arg) : cli_arg_value(c, server_arg);
	buf msg;
	buf_init(&msg);
	if (!server || ft_base_url(server, &q->base, &msg) < 0) {
		int rc = cli_usage_error("invalid URL: %s", buf_cstr(&msg));
		buf_reset(&msg);
		return rc;
	}
	buf_reset(&msg);
	if (ft_userinfo_conflict(buf_cstr(&q->base), cli_given(c, "http.config.file")))
		return 1;
	if (headers && parse_headers(c, q))
		return 1;
	q->hc = cli_http_client(c);
	return q->hc ? 0 : 1;
}

static void client_close(qclient *q)
{
	buf_reset(&q->base);
	arena_reset(&q->a);
}

static void put_out(const buf *out)
{
	if (out->len)
		fwrite(out->p, 1, out->len, stdout);
}

static int print_value(const api_value *v, bool json)
{
	buf out;
	buf_init(&out);
	if (json)
		api_value_print_json(&out, v);
	else
		api_value_print_promql(&out, v);
	put_out(&out);
	buf_reset(&out);
	return 0;
}

/* Run one API call and print its answer (or promtool's error). */
static int query_and_print(qclient *q, const char *ep, buf *form, bool post, api_vtype type, bool json,
			   bool warn)
{
	api_value v;
	api_response ar;
	memset(&ar, 0, sizeof ar);
	qerr qe;
	qerr_init(&qe);
	int rc = api_call(q, ep, buf_cstr(form), post, type, &v, &ar, &qe);
	for (size_t i = 0; warn && i < ar.n_warnings; i++)
		fprintf(stderr, "query warning: %s\n", ar.warnings[i]);
	rc = rc < 0 ? query_failed(&qe) : print_value(&v, json);
	qerr_reset(&qe);
	return rc;
}

/* Builds a command's request: the form (url.Values.Encode order) and, when
 * not fixed, the endpoint. 0, or 1 after printing promtool's error. */
typedef int (*form_fn)(const cli_ctx *c, buf *form, buf *ep);

/* One API command: usage checks, the request, the answer printed. */
static int run_api(const cli_ctx *c, bool headers, form_fn build, const char *ep, bool post, api_vtype type,
		   bool warn)
{
	qclient q;
	bool json;
	buf form, epb;
	buf_init(&form);
	buf_init(&epb);
	buf_put_str(&epb, ep);
	int rc = client_open(c, "server", headers, &q, &json);
	if (!rc)
		rc = build(c, &form, &epb);
	if (!rc)
		rc = query_and_print(&q, buf_cstr(&epb), &form, post, type, json, warn);
	buf_reset(&form);
	buf_reset(&epb);
	client_close(&q);
	return rc;
}

/* ft_time_parse of flag (when given) into *t, or promtool's error line. */
static int flag_time(const cli_ctx *c, const char *flag, const char *what, ft_time *t)
{
	const char *s = cli_str(c, flag);
	buf msg;
	buf_init(&msg);
	int rc = 0;
	if (s && *s && ft_time_parse(s, t, &msg) < 0) {
		fprintf(stderr, "error parsing %s: %s\n", what, buf_cstr(&msg));
		rc = 1;
	}
	buf_reset(&msg);
	return rc;
}

static void form_time(buf *form, const char *key, const ft_time *t)
{
	buf tb;
	buf_init(&tb);
	ft_time_format(t, &tb);
	ft_query_add(form, key, buf_cstr(&tb));
	buf_reset(&tb);
}

/* query, time */
static int instant_form(const cli_ctx *c, buf *form, buf *ep)
{
	ft_time t;
	ft_time_now(&t);
	if (flag_time(c, "time", "evaluation time", &t))
		return 1;
	ft_query_add(form, "query", cli_arg_value(c, "expr"));
	form_time(form, "time", &t);
	return 0;
}

/* end, query, start, step: end defaults to now, start to end - 5m, step to
 * max(floor(range / 250), 1) seconds. */
static int range_form(const cli_ctx *c, buf *form, buf *ep)
{
	int64_t step = 0;
	const char *st = cli_str(c, "step");
	err e;
	err_clear(&e);
	if (st && *st && godur_parse(st, &step, &e) < 0)
		return cli_usage_error("%s", e.msg);
	ft_time start, end;
	ft_time_now(&end);
	if (flag_time(c, "end", "end time", &end))
		return 1;
	start = end;
	ft_time_add(&start, -5 * 60 * INT64_C(1000000000));
	if (flag_time(c, "start", "start time", &start))
		return 1;
	if (!ft_time_before(&start, &end)) {
		fprintf(stderr, "start time is not before end time\n");
		return 1;
	}
	if (step == 0) {
		double secs = (double)(end.sec - start.sec) + (double)(end.nsec - start.nsec) / 1e9;
		step = (int64_t)fmax(floor(secs / 250), 1) * INT64_C(1000000000);
	}
	form_time(form, "end", &end);
	ft_query_add(form, "query", cli_arg_value(c, "expr"));
	form_time(form, "start", &start);
	char s[FMT_FLOAT_F_MAX];
	fmt_go_f(s, (double)(step / 1000000000) + (double)(step % 1000000000) / 1e9);
	ft_query_add(form, "step", s);
	return 0;
}

/* parseStartTimeAndEndTime (now -/+ 9999h unless given), then the sorted
 * form: end, match[]..., start. */
static int matchers_form(const cli_ctx *c, buf *form, buf *ep)
{
	ft_time start, end;
	ft_time_now(&start);
	end = start;
	ft_time_add(&start, -9999 * INT64_C(3600000000000));
	ft_time_add(&end, 9999 * INT64_C(3600000000000));
	if (flag_time(c, "start", "start time", &start) || flag_time(c, "end", "end time", &end))
		return 1;
	form_time(form, "end", &end);
	size_t n;
	const char *const *m = cli_strs(c, "match", &n);
	for (size_t i = 0; i < n; i++)
		ft_query_add(form, "match[]", m[i]);
	form_time(form, "start", &start);
	return 0;
}

/* url.PathEscape-ish for the label name in /api/v1/label/<name>/values. */
static void path_escape(buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~!$&'()*+,;=:@", *p))
			buf_put_byte(b, *p);
		else {
			buf_put_byte(b, '%');
			buf_put_byte(b, (uint8_t)hex[*p >> 4]);
			buf_put_byte(b, (uint8_t)hex[*p & 15]);
		}
	}
}

static int labels_form(const cli_ctx *c, buf *form, buf *ep)
{
	path_escape(ep, cli_arg_value(c, "name"));
	buf_put_str(ep, "/values");
	return matchers_form(c, form, ep);
}

static int run_query_instant(const cli_ctx *c)
{
	return run_api(c, true, instant_form, "/api/v1/query", true, API_V_VECTOR, false);
}

static int run_query_range(const cli_ctx *c)
{
	return run_api(c, true, range_form, "/api/v1/query_range", true, API_V_MATRIX, false);
}

static int run_query_series(const cli_ctx *c)
{
	return run_api(c, false, matchers_form, "/api/v1/series", true, API_V_SERIES, false);
}

static int run_query_labels(const cli_ctx *c)
{
	return run_api(c, false, labels_form, "/api/v1/label/", false, API_V_VALUES, true);
}

/* ---- query analyze (cmd/promtool/analyze.go) ---- */

/* One matcher of query analyze: `<matcher>[<duration>]` at t, its matrix
 * into the statistics. 0, or -1 with the error (err.Error()) in msg. */
static int analyze_one(qclient *q, ft_analyze *an, const char *matcher, int64_t dur, const ft_time *t, buf *msg)
{
	buf form, sel;
	buf_init(&form);
	buf_init(&sel);
	buf_put_str(&sel, matcher);
	buf_put_byte(&sel, '[');
	godur_format(&sel, dur);
	buf_put_byte(&sel, ']');
	ft_query_add(&form, "query", buf_cstr(&sel));
	form_time(&form, "time", t);
	api_value v;
	api_response ar;
	qerr qe;
	qerr_init(&qe);
	int rc = -1;
	if (api_call(q, "/api/v1/query", buf_cstr(&form), true, API_V_VECTOR, &v, &ar, &qe) < 0)
		buf_put(msg, qe.msg.p, qe.msg.len);
	else if (v.type != API_V_MATRIX)
		buf_put_str(msg, "query of buckets resulted in non-Matrix");
	else
		rc = ft_analyze_matrix(an, &v, msg);
	qerr_reset(&qe);
	buf_reset(&form);
	buf_reset(&sel);
	return rc;
}

/* QueryAnalyzeConfig.run: the header goes out before the first query, an
 * error ends the run after what was printed (checkErr: err on stderr). */
static int run_query_analyze(const cli_ctx *c)
{
	qclient q;
	if (client_open(c, "server", false, &q, NULL)) {
		client_close(&q);
		return 1;
	}
	const char *type = cli_str(c, "type");
	int rc = 1;
	buf msg, out;
	buf_init(&msg);
	buf_init(&out);
	int64_t dur = 3600 * INT64_C(1000000000);
	const char *ds = cli_str(c, "duration"), *ts = cli_str(c, "time");
	err e;
	err_clear(&e);
	ft_time t;
	ft_time_now(&t);
	if (ds && *ds && godur_parse(ds, &dur, &e) < 0) {
		rc = cli_usage_error("%s", e.msg);
	} else if (strcmp(type, "histogram")) {
		fprintf(stderr, "analyze type is %s, must be 'histogram'\n", type);
	} else if (ts && *ts && ft_time_parse(ts, &t, &msg) < 0) {
		fprintf(stderr, "error parsing time '%s': %s\n", ts, buf_cstr(&msg));
	} else {
		size_t n;
		const char *const *m = cli_strs(c, "match", &n);
		ft_analyze an;
		ft_analyze_begin(&an, &out);
		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = analyze_one(&q, &an, m[i], dur, &t, &msg) < 0;
		if (rc == 0)
			ft_analyze_end(&an);
		put_out(&out);
		fflush(stdout);
		if (rc)
			fprintf(stderr, "%s\n", buf_cstr(&msg));
	}
	buf_reset(&msg);
	buf_reset(&out);
	client_close(&q);
	return rc;
}

/* ---- the command table (cmd/promtool/main.go's queryCmd) ---- */

static const cli_flag instant_flags[] = {
	{"time", 0, "TIME", "Query evaluation time (RFC3339 or Unix timestamp).", NULL, 0},
	{"header", 0, "HEADER", "Extra headers to send to server.", NULL, CLI_REPEAT},
	{0}};
static const cli_arg server_expr_args[] = {
	{"server", "Prometheus server to query.", CLI_REQUIRED},
	{"expr", "PromQL query expression.", CLI_REQUIRED},
	{0}};
static const cli_flag range_flags[] = {
	{"header", 0, "HEADER", "Extra headers to send to server.", NULL, CLI_REPEAT},
	{"start", 0, "START", "Query range start time (RFC3339 or Unix timestamp).", NULL, 0},
	{"end", 0, "END", "Query range end time (RFC3339 or Unix timestamp).", NULL, 0},
	{"step", 0, "STEP", "Query step size (duration).", NULL, 0},
	{0}};
static const cli_arg server_args[] = {{"server", "Prometheus server to query.", CLI_REQUIRED}, {0}};
static const cli_flag series_flags[] = {
	{"match", 0, "MATCH", "Series selector. Can be specified multiple times.", NULL, CLI_REQUIRED | CLI_REPEAT},
	{"start", 0, "START", "Start time (RFC3339 or Unix timestamp).", NULL, 0},
	{"end", 0, "END", "End time (RFC3339 or Unix timestamp).", NULL, 0},
	{0}};
static const cli_flag labels_flags[] = {
	{"start", 0, "START", "Start time (RFC3339 or Unix timestamp).", NULL, 0},
	{"end", 0, "END", "End time (RFC3339 or Unix timestamp).", NULL, 0},
	{"match", 0, "MATCH", "Series selector. Can be specified multiple times.", NULL, CLI_REPEAT},
	{0}};
static const cli_arg labels_args[] = {
	{"server", "Prometheus server to query.", CLI_REQUIRED},
	{"name", "Label name to provide label values for.", CLI_REQUIRED},
	{0}};
static const cli_flag analyze_flags[] = {
	{"server", 0, "SERVER", "Prometheus server to query.", NULL, CLI_REQUIRED},
	{"type", 0, "TYPE", "Type of metric: histogram.", NULL, CLI_REQUIRED},
	{"duration", 0, "1h", "Time frame to analyze.", "1h", 0},
	{"time", 0, "TIME", "Query time (RFC3339 or Unix timestamp), defaults to now.", NULL, 0},
	{"match", 0, "MATCH", "Series selector. Can be specified multiple times.", NULL, CLI_REQUIRED | CLI_REPEAT},
	{0}};

const cli_flag flinttool_query_flags[] = {
	{"format", 'o', "promql", "Output format of the query.", "promql", 0},
	{0}};

const cli_cmd flinttool_query_cmds[] = {
	{"instant", "Run instant query.", instant_flags, server_expr_args, NULL, run_query_instant, 0},
	{"range", "Run range query.", range_flags, server_expr_args, NULL, run_query_range, 0},
	{"series", "Run series query.", series_flags, server_args, NULL, run_query_series, 0},
	{"labels", "Run labels query.", labels_flags, labels_args, NULL, run_query_labels, 0},
	{"analyze", "Run queries against your Prometheus to analyze the usage pattern of certain metrics.",
	 analyze_flags, NULL, NULL, run_query_analyze, 0},
	{0}};
