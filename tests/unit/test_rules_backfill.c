/*
 * test_rules_backfill.c - the rule backfill (rules/backfill.c) and the JSON
 * reader under it (lib/jsonr.c): answers decoded as client_golang decodes
 * them, errors worded as promtool prints them, and a whole backfill over a
 * canned server writing the blocks promtool writes (windows, alignment,
 * labels).
 */
#include "tests/unit/test.h"

#include <dirent.h>

#include "lib/jsonr.h"
#include "rules/backfill.h"
#include "tsdb/block.h"

static void jsonr_walks_a_document(void)
{
	static const char doc[] = " {\"a\": [1, -2.5e3, true, false, null, {\"b\": \"x\\n\\u00e9\\ud83d\\ude00\\/\"}], \"c\": {}} ";
	jsonr r;
	buf k, s;
	buf_init(&k), buf_init(&s);
	jsonr_init(&r, doc, strlen(doc));
	ASSERT(jsonr_obj_begin(&r));
	ASSERT_EQ(jsonr_obj_key(&r, &k), 1);
	ASSERT_STR_EQ(buf_cstr(&k), "a");
	ASSERT(jsonr_arr_begin(&r));
	const char *n;
	size_t nl;
	ASSERT_EQ(jsonr_arr_next(&r), 1);
	ASSERT(jsonr_num(&r, &n, &nl) && nl == 1 && *n == '1');
	ASSERT_EQ(jsonr_arr_next(&r), 1);
	ASSERT(jsonr_num(&r, &n, &nl) && nl == 6);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(jsonr_arr_next(&r), 1);
		ASSERT(jsonr_skip(&r));
	}
	ASSERT_EQ(jsonr_arr_next(&r), 1);
	ASSERT(jsonr_obj_begin(&r));
	ASSERT_EQ(jsonr_obj_key(&r, &k), 1);
	ASSERT(jsonr_str(&r, &s));
	ASSERT_STR_EQ(buf_cstr(&s), "x\n\xc3\xa9\xf0\x9f\x98\x80/");
	ASSERT_EQ(jsonr_obj_key(&r, &k), 0);
	ASSERT_EQ(jsonr_arr_next(&r), 0);
	ASSERT_EQ(jsonr_obj_key(&r, &k), 1);
	ASSERT(jsonr_skip(&r));
	ASSERT_EQ(jsonr_obj_key(&r, &k), 0);
	ASSERT(jsonr_end(&r));
	ASSERT_EQ(r.err, 0);
	buf_reset(&k), buf_reset(&s);
}

static void jsonr_refuses_bad_documents(void)
{
	static const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"a\nb\"",
				    "tru", "[1 2]", "{} x", "\"\\ud83d", "{\"a\":[}"};
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		jsonr r;
		jsonr_init(&r, bad[i], strlen(bad[i]));
		bool okv = jsonr_skip(&r) && jsonr_end(&r);
		if (okv)
			test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
		ASSERT(r.err == FL_EPARSE && r.msg[0]);
	}
	/* nesting is bounded, not recursive */
	char deep[4000];
	memset(deep, '[', sizeof deep);
	jsonr r;
	jsonr_init(&r, deep, sizeof deep);
	ASSERT(!jsonr_skip(&r));
	ASSERT(strstr(r.msg, "max depth"));
}

typedef struct seen {
	buf text;
} seen;

static int record(void *ctx, labels ls, const int64_t *t, const double *v, size_t n, err *e)
{
	seen *s = ctx;
	labels_format(&s->text, ls);
	for (size_t i = 0; i < n; i++)
		buf_printf(&s->text, " %lld=%g", (long long)t[i], v[i]);
	buf_put_byte(&s->text, ';');
	return 0;
}

static const char *decode(const char *body, long status, err *e, seen *s)
{
	buf_clear(&s->text);
	err_clear(e);
	int rc = rules_backfill_decode(body, strlen(body), status, record, s, e);
	return rc ? e->msg : buf_cstr(&s->text);
}

static void decode_matrix_like_client_golang(void)
{
	seen s;
	buf_init(&s.text);
	err e;
	ASSERT_STR_EQ(decode("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
			     "{\"metric\":{\"b\":\"2\",\"a\":\"1\",\"a\":\"3\",\"z\":\"\"},\"values\":[[10.5,\"1\"],[11.1239,\"-Inf\"]]},"
			     "{\"values\":[[12,\"NaN\"]],\"metric\":{}}]},\"warnings\":[\"w\"]}",
			     200, &e, &s),
		      "{a=\"3\", b=\"2\"} 10500=1 11123=-inf;{} 12000=nan;");
	ASSERT_STR_EQ(decode("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}", 400, &e, &s),
		      "bad_data: parse error");
	ASSERT_STR_EQ(decode("oops", 500, &e, &s), "server_error: server error: 500");
	ASSERT_STR_EQ(decode("oops", 404, &e, &s), "client_error: client error: 404");
	ASSERT_STR_EQ(decode("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", 200, &e, &s),
		      "rule result is wrong type vector");
	ASSERT_STR_EQ(decode("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", 400, &e, &s),
		      "bad_response: inconsistent body for response code");
	ASSERT(strstr(decode("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,2]]}]}}",
			     200, &e, &s),
		      "sample value must be a quoted string"));
	ASSERT(strstr(decode("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"x\"]]}]}}",
			     200, &e, &s),
		      "invalid syntax"));
	ASSERT(strstr(decode("{\"status\":", 200, &e, &s), "bad_response: unexpected end of JSON input"));
	buf_reset(&s.text);
}

/* A canned server: every query answers two series over [start, end] at
 * step, and remembers what it was asked. */
typedef struct fake {
	int calls;
	int64_t start_ns[16], end_s[16], step_ms[16];
	bool fail_second;
} fake;

static int fake_query(void *ctx, const char *expr, int64_t start_ns, int64_t end_s, int64_t step_ms, buf *body,
		      long *status, err *e)
{
	fake *f = ctx;
	int c = f->calls++;
	if (c < 16)
		f->start_ns[c] = start_ns, f->end_s[c] = end_s, f->step_ms[c] = step_ms;
	if (f->fail_second && c == 1)
		return err_set(e, FL_EIO, "Post \"http://x/api/v1/query_range\": refused");
	*status = 200;
	buf_put_str(body, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
	for (int s = 0; s < 2; s++) {
		buf_printf(body, "%s{\"metric\":{\"instance\":\"i%d\",\"keep\":\"k\",\"drop\":\"d\"},\"values\":[", s ? "," : "", s);
		int64_t t0 = (start_ns + 999999) / 1000000;
		for (int64_t t = t0, k = 0; t <= end_s * 1000; t += step_ms, k++)
			buf_printf(body, "%s[%lld.%03lld,\"%lld\"]", k ? "," : "", (long long)(t / 1000), (long long)(t % 1000),
				   (long long)k);
		buf_put_str(body, "]}");
	}
	buf_put_str(body, "]}}");
	return 0;
}

static size_t count_blocks(const char *dir, int64_t *mins, size_t cap)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != 26)
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		err e;
		block *b = block_open(p, &e);
		ASSERT(b);
		if (n < cap)
			mins[n] = block_meta_get(b)->min_time;
		const block_meta *m = block_meta_get(b);
		ASSERT_EQ(m->num_series, 2);
		n++;
		block_close(b);
	}
	if (d)
		closedir(d);
	return n;
}

static void backfill_windows_and_alignment(void)
{
	char rules[1024], out[1024];
	snprintf(rules, sizeof rules, "%s/r.yml", test_tmpdir());
	snprintf(out, sizeof out, "%s/out", test_tmpdir());
	FILE *f = fopen(rules, "w");
	fputs("groups:\n- name: g\n  interval: 1m\n  rules:\n  - record: r:x\n    expr: sum(x)\n"
	      "    labels: {drop: \"\", extra: e}\n",
	      f);
	fclose(f);
	fake fk = {0};
	/* 1h before a 2h boundary to 1h after: two windows */
	int64_t boundary = 1700006400LL * 1000; /* a multiple of 2h */
	rules_backfill_opts o = {.out_dir = out, .start_ms = boundary - 3600000, .end_ms = boundary + 3600000,
				 .eval_interval_ms = 60000, .query = fake_query, .query_ctx = &fk};
	const char *files[] = {rules};
	err e;
	err_clear(&e);
	ASSERT_EQ(rules_backfill(&o, files, 1, &e), 0);
	ASSERT_EQ(fk.calls, 2);
	/* the first query starts at the group's slot at or after start, within a step */
	ASSERT(fk.start_ns[0] >= (boundary - 3600000) * 1000000 && fk.start_ns[0] < (boundary - 3540000) * 1000000);
	ASSERT_EQ((fk.start_ns[1] - fk.start_ns[0]) % 60000000000LL, 0);
	ASSERT_EQ(fk.end_s[0], boundary / 1000 - 1);
	ASSERT_EQ(fk.end_s[1], boundary / 1000 + 3600);
	ASSERT_EQ(fk.step_ms[0], 60000);
	int64_t mins[4];
	ASSERT_EQ(count_blocks(out, mins, 4), 2);
	/* a failing query: the rule is reported, the run fails */
	fake bad = {.fail_second = true};
	o.query_ctx = &bad;
	ASSERT(rules_backfill(&o, files, 1, &e) != 0);
	ASSERT_STR_EQ(e.msg, "error importing rules");
	/* a bad file */
	f = fopen(rules, "w");
	fputs("groups:\n- name: g\n  rules:\n  - record: x\n", f);
	fclose(f);
	ASSERT(rules_backfill(&o, files, 1, &e) != 0);
	ASSERT(!strncmp(e.msg, "rule importer parse error: ", 27));
}

const struct test tests_rules_backfill[] = {
	{"jsonr_walks_a_document", jsonr_walks_a_document},
	{"jsonr_refuses_bad_documents", jsonr_refuses_bad_documents},
	{"decode_matrix_like_client_golang", decode_matrix_like_client_golang},
	{"backfill_windows_and_alignment", backfill_windows_and_alignment},
	{NULL, NULL},
};
