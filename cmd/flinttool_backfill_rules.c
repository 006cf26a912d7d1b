/*
 * flinttool_backfill_rules.c - `flinttool tsdb create-blocks-from rules`,
 * promtool's backfill of recording rules from a server
 * (cmd/promtool/main.go importRules; the work is rules/backfill.c):
 *
 *   flinttool tsdb create-blocks-from rules --start=START [--end=END]
 *       [--url=http://localhost:9090] [--output-dir=data/]
 *       [--eval-interval=60s] [--max-block-duration=D] <rule-files>...
 *
 * START and END are RFC 3339 or Unix seconds; END defaults to 3 hours ago.
 * Queries go to URL's /api/v1/query_range as client_golang sends them
 * (cmd/flinttool_http.h, Go's error texts): a form POST (a GET when the
 * server answers 403, 405 or 501), start as Go's FormatFloat of the
 * seconds, step as seconds. Blocks are not listed
 * (promtool 2.42 prints nothing on stdout); progress goes to stderr in
 * logfmt. --http.config.file's client settings (auth, TLS, proxy) apply.
 * Errors print promtool's message on stderr and exit 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/cli.h"
#include "cmd/flinttool.h"
#include "lib/buf.h"
#include "lib/fmtfloat.h"
#include "lib/godur.h"
#include "lib/timeparse.h"
#include "rules/backfill.h"
#include "cmd/flinttool_http.h"

typedef struct http_ctx {
	const char *url;                  /* .../api/v1/query_range */
	const scrape_http_client *client; /* --http.config.file's settings */
} http_ctx;

/* client_golang's DoGetFallback: POST the form, GET on 403/405/501. */
static int query_range_http(void *ctx, const char *expr, int64_t start_ns, int64_t end_s, int64_t step_ms,
			    buf *body, long *status, err *e)
{
	http_ctx *hc = ctx;
	char start[FMT_FLOAT_F_MAX], end[32], step[FMT_FLOAT_F_MAX];
	int64_t sec = start_ns / 1000000000, nsec = start_ns % 1000000000;
	fmt_go_f(start, (double)sec + (double)nsec / 1e9); /* formatTime */
	snprintf(end, sizeof end, "%" PRId64, end_s);
	fmt_go_f(step, (double)step_ms / 1000);
	buf form, url, msg;
	buf_init(&form), buf_init(&url), buf_init(&msg);
	ft_query_add(&form, "end", end); /* url.Values.Encode sorts its keys */
	ft_query_add(&form, "query", expr);
	ft_query_add(&form, "start", start);
	ft_query_add(&form, "step", step);
	static const char *const form_hdr[] = {"Content-Type: application/x-www-form-urlencoded"};
	ft_http_req rq = {.method = "POST", .url = hc->url, .body = form.p, .body_len = form.len, .headers = form_hdr,
			  .n_headers = 1};
	ft_http_resp resp;
	int rc = ft_http_do(hc->client, &rq, &resp, &msg);
	if (rc == 0 && (resp.code == 403 || resp.code == 405 || resp.code == 501)) {
		ft_http_resp_free(&resp);
		buf_printf(&url, "%s?%s", hc->url, buf_cstr(&form));
		rq = (ft_http_req){.method = "GET", .url = buf_cstr(&url)};
		rc = ft_http_do(hc->client, &rq, &resp, &msg);
	}
	if (rc) {
		rc = err_set(e, FL_EIO, "%s", buf_cstr(&msg));
	} else {
		*status = resp.code;
		buf_put(body, resp.body.p, resp.body.len);
		rc = body->oom ? err_set(e, FL_ENOMEM, "out of memory") : 0;
	}
	ft_http_resp_free(&resp);
	buf_reset(&form), buf_reset(&url), buf_reset(&msg);
	return rc;
}

/* A kingpin Duration flag in ms; false (Go's message in e) when it does
 * not parse. */
static bool duration_ms(const char *s, int64_t *ms, err *e)
{
	int64_t ns = 0;
	if (godur_parse(s ? s : "", &ns, e))
		return false;
	*ms = ns / 1000000;
	return true;
}

int flinttool_backfill_rules(const cli_ctx *c)
{
	size_t n_files;
	const char *const *files = cli_args(c, "rule-files", &n_files);
	if (flinttool_existing_files(files, n_files))
		return 1;
	rules_backfill_opts o = {.out_dir = cli_str(c, "output-dir"), .log = stderr};
	err e;
	err_clear(&e);
	if (!duration_ms(cli_str(c, "eval-interval"), &o.eval_interval_ms, &e))
		return cli_usage_error("%s", e.msg);
	const char *mb = cli_str(c, "max-block-duration"); /* create-blocks-from's, hidden */
	if (cli_given(c, "max-block-duration") && !duration_ms(mb, &o.max_block_ms, &e))
		return cli_usage_error("%s", e.msg);
	const char *end = cli_str(c, "end");
	if (!end || !*end) {
		o.end_ms = (int64_t)time(NULL) * 1000 - 3 * 3600 * 1000LL;
	} else if (timeparse_time(end, &o.end_ms, &e)) {
		fprintf(stderr, "error parsing end time: %s\n", e.msg);
		return 1;
	}
	if (timeparse_time(cli_str(c, "start"), &o.start_ms, &e)) {
		fprintf(stderr, "error parsing start time: %s\n", e.msg);
		return 1;
	}
	if (o.start_ms >= o.end_ms) {
		fprintf(stderr, "start time is not before end time\n");
		return 1;
	}
	buf base, msg;
	buf_init(&base), buf_init(&msg);
	if (ft_base_url(cli_str(c, "url"), &base, &msg) < 0) {
		int rc = cli_usage_error("invalid URL: %s", buf_cstr(&msg));
		buf_reset(&base), buf_reset(&msg);
		return rc;
	}
	buf_put_str(&base, "/api/v1/query_range");
	http_ctx hc = {.url = buf_cstr(&base)};
	if (!(hc.client = cli_http_client(c))) {
		buf_reset(&base), buf_reset(&msg);
		return 1;
	}
	o.query = query_range_http;
	o.query_ctx = &hc;
	int rc = rules_backfill(&o, files, n_files, &e);
	buf_reset(&base), buf_reset(&msg);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	return 0;
}

const cli_flag flinttool_backfill_rules_flags[] = {
	{"url", 0, "http://localhost:9090", "The URL for the Prometheus API with the data where the rule will be "
	 "backfilled from.", "http://localhost:9090", 0},
	{"start", 0, "START", "The time to start backfilling the new rule from. Must be a RFC3339 formatted date or Unix "
	 "timestamp. Required.", NULL, CLI_REQUIRED},
	{"end", 0, "END", "If an end time is provided, all recording rules in the rule files provided will be backfilled "
	 "to the end time. Default will backfill up to 3 hours ago. Must be a RFC3339 formatted date or Unix timestamp.",
	 NULL, 0},
	{"output-dir", 0, "\"data/\"", "Output directory for generated blocks.", "data/", 0},
	{"eval-interval", 0, "60s", "How frequently to evaluate rules when backfilling if a value is not set in the "
	 "recording rule files.", "60s", 0},
	{0},
};

const cli_arg flinttool_backfill_rules_args[] = {
	{"rule-files", "A list of one or more files containing recording rules to be backfilled. All recording rules "
	 "listed in the files will be backfilled. Alerting rules are not evaluated.", CLI_REQUIRED | CLI_REPEAT},
	{0},
};
