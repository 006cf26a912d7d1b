/* test_textparse_om.c - scrape/textparse_om.c: entries, labels (sorted,
 * unescaped), values as Go parses them (NaN with Go's bits), timestamps
 * truncated to ms as Go converts, exemplars skipped, and the errors
 * promtool reports. */
#include "tests/unit/test.h"
#include "scrape/textparse.h"

static const char *om_text = "# TYPE foo counter\n"
			     "# HELP foo Some \\\"help\\\".\n"
			     "# UNIT foo seconds\n"
			     "foo_total{z=\"1\",a=\"x\\\\y\\\"z\\nw\"} 17 1700000000.0005\n"
			     "foo_total 1e3 1 # {trace_id=\"abc\"} 1 1.5\n"
			     "bar NaN -1.2345\n"
			     "bar -Inf 2\n"
			     "baz +Inf\n"
			     "# EOF\n";

static void textparse_om_entries(void)
{
	textparse_om p;
	textparse_om_init(&p, om_text, strlen(om_text));
	textparse_entry k;
	err e;
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT_EQ(k, TEXTPARSE_TYPE);
	ASSERT(slice_eq_str(p.meta_name, "foo") && slice_eq_str(p.meta_text, "counter"));
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT_EQ(k, TEXTPARSE_HELP);
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT_EQ(k, TEXTPARSE_UNIT);
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT_EQ(k, TEXTPARSE_SERIES);
	labels ls = textparse_om_labels(&p, &e);
	ASSERT_EQ(ls.n, 3);
	ASSERT_STR_EQ(ls.v[0].name, "__name__");
	ASSERT_STR_EQ(ls.v[0].value, "foo_total");
	ASSERT_STR_EQ(ls.v[1].name, "a");
	ASSERT_STR_EQ(ls.v[1].value, "x\\y\"z\nw");
	ASSERT_STR_EQ(ls.v[2].value, "1");
	ASSERT_DBL_EQ(p.value, 17);
	ASSERT(p.has_ts);
	ASSERT_EQ(p.ts_ms, 1700000000000); /* int64(1700000000.0005 * 1000) truncates */
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT_EQ(textparse_om_labels(&p, &e).n, 1);
	ASSERT_DBL_EQ(p.value, 1000);
	ASSERT_EQ(p.ts_ms, 1000);
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	uint64_t bits;
	memcpy(&bits, &p.value, 8);
	ASSERT_U64_EQ(bits, 0x7FF8000000000001ull);
	ASSERT_EQ(p.ts_ms, -1234); /* toward zero */
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT(isinf(p.value) && p.value < 0);
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT(isinf(p.value) && p.value > 0);
	ASSERT(!p.has_ts);
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 1);
	ASSERT_EQ(k, TEXTPARSE_EOF);
	ASSERT_EQ(textparse_om_next(&p, &k, &e), 0);
	textparse_om_free(&p);
}

static int parse_all(const char *text, err *e)
{
	textparse_om p;
	textparse_om_init(&p, text, strlen(text));
	textparse_entry k;
	int rc;
	while ((rc = textparse_om_next(&p, &k, e)) == 1)
		;
	textparse_om_free(&p);
	return rc;
}

static void textparse_om_errors(void)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{"a 1 1\n", "data does not end with # EOF"},
		{"", "data does not end with # EOF"},
		{"a x 1\n# EOF\n", "strconv.ParseFloat: parsing \"x\": invalid syntax"},
		{"a 1 0x10\n# EOF\n", "strconv.ParseFloat: parsing \"0x10\": invalid syntax"},
		{"a 1 NaN\n# EOF\n", "invalid timestamp"},
		{"# EOF\na 1\n", "unexpected data after # EOF"},
		{"a{b=\"c} 1\n# EOF\n", "unterminated label value"},
		{"a{b=\"\\q\"} 1\n# EOF\n", "invalid escape"},
		{"a{1b=\"c\"} 1\n# EOF\n", "expected label name"},
		{"# FOO bar\n# EOF\n", "expected a valid start token"},
		{"a 1 2 3\n# EOF\n", "expected next entry after timestamp"},
		{"{} 1\n# EOF\n", "expected metric name"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		err e;
		err_clear(&e);
		int rc = parse_all(cases[i].in, &e);
		if (rc != FL_EPARSE || !strstr(e.msg, cases[i].msg))
			test_fail(__FILE__, __LINE__, "input %zu: got %d \"%s\", want \"%s\"", i, rc, e.msg, cases[i].msg);
	}
	err e;
	ASSERT_EQ(parse_all("a 1\n# EOF", &e), 0); /* # EOF without a newline is fine */
}

const struct test tests_textparse_om[] = {
	{"textparse_om_entries", textparse_om_entries},
	{"textparse_om_errors", textparse_om_errors},
	{NULL, NULL},
};
