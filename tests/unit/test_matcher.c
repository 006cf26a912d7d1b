/* test_matcher.c - tsdb/matcher.c: every fast path agrees with PCRE2 (the
 * slow path) on a table of patterns x values; which fast path a pattern gets;
 * invalid patterns are reported. */
#include "tsdb/matcher.h"
#include "tests/unit/test.h"

static const char *patterns[] = {
	".*", ".+", "", "a", "a|b", "(a|b)", "(?:a|bc)", "a\\.b|c", "foo.*", ".*foo", ".*foo.*", "foo.+",
	"a|", "()", "\\|", "a|b|c|d|e|f|g|h|i|j|k|bc", "(?i)foo", "[a-c]x", "a\\.*", ".*\\.", "a.*b", "é.*",
	".*.*", "\\\\.*", "(a)|(b)", "foo\\.+", ".*é", "a{2}", "^a$", "a\\|b", "(?:)", ".*a|b", "x\ny",
	"\\..*", "fo.", ".?", "(foo|bar).*", "a+|b*",
};

static const char *values[] = {
	"", "a", "b", "bc", "a.b", "c", "foo", "foobar", "barfoo", "xfooy", "fo", "foo\n", "\nfoo", "A",
	"FOO", "ax", "a..", "é", "éa", "aé", "|", "a|b", "aa", ".", "..", "a.", "\\", "\\x", "k", "j",
	"foo.", "foo..", "x\ny", "ab", "acb", "a\nb", "bar", "barx", "aaa", "bbb",
};

static void fast_paths_agree_with_pcre2(void)
{
	err e;
	for (size_t i = 0; i < FL_ARRAY_LEN(patterns); i++) {
		for (int t = MATCH_RE; t <= MATCH_NRE; t++) {
			matcher m;
			ASSERT_EQ(matcher_init(&m, (match_type)t, "l", patterns[i], &e), 0);
			for (size_t j = 0; j < FL_ARRAY_LEN(values); j++) {
				int slow = matcher_matches_slow(&m, values[j], strlen(values[j]));
				bool fast = matcher_matches_str(&m, values[j]);
				if (slow < 0 || (slow == 1) != fast)
					test_fail(__FILE__, __LINE__, "/%s/ %s \"%s\": fast %d, pcre2 %d", patterns[i],
						  matcher_op_str(m.type), values[j], fast, slow);
			}
			ASSERT_EQ(matcher_matches_empty(&m), matcher_matches_slow(&m, "", 0) == 1);
			matcher_reset(&m);
		}
	}
}

static void fast_path_kinds(void)
{
	err e;
	matcher m;
	const char *const *vals;
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", "(?:a\\.b|c|)", &e), 0);
	ASSERT_EQ(matcher_set_values(&m, &vals), 3);
	ASSERT_STR_EQ(vals[0], "a.b");
	ASSERT_STR_EQ(vals[2], "");
	matcher_reset(&m);
	ASSERT_EQ(matcher_init(&m, MATCH_NRE, "l", "x|y", &e), 0);
	ASSERT_EQ(matcher_set_values(&m, &vals), 0); /* not for !~ */
	ASSERT_EQ(matcher_regex_set(&m, &vals), 2);
	matcher_reset(&m);
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", "api\\.v1.*", &e), 0);
	ASSERT_STR_EQ(matcher_prefix(&m), "api.v1");
	ASSERT_EQ(matcher_set_values(&m, &vals), 0);
	matcher_reset(&m);
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", "a.*b", &e), 0);
	ASSERT(matcher_prefix(&m) == NULL);
	matcher_reset(&m);
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "l", "v", &e), 0);
	ASSERT_EQ(matcher_set_values(&m, &vals), 1);
	ASSERT_STR_EQ(vals[0], "v");
	matcher_reset(&m);
}

static void invalid_pattern(void)
{
	err e;
	matcher m;
	err_clear(&e);
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", "a(", &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "error parsing regexp") != NULL);
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", "a\\", &e), FL_EINVAL);
}

static void dot_matches_newline(void)
{
	err e;
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", "a.b", &e), 0);
	ASSERT(matcher_matches_str(&m, "a\nb"));
	ASSERT(!matcher_matches_str(&m, "xa\nb")); /* anchored */
	matcher_reset(&m);
}

/* Issue 14's safety net: under a guard, a canceled query's regexp matching
 * stops at once, and PCRE2 limit errors are counted instead of passing as
 * "no match". */
static void issue_14_matcher_guard(void)
{
	char v[64];
	memset(v, 'a', 40);
	strcpy(v + 40, "0e");
	matcher m;
	err e;
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "v", "(a|aa)*(c|d)", &e), 0);
	volatile int cancel = 0;
	matcher_guard g = {.cancel = &cancel};
	matcher_guard_set(&g);
	ASSERT(!matcher_matches(&m, v, strlen(v)));
	ASSERT_EQ(g.n_limit, 1); /* backtracking past the match limit */
	ASSERT(matcher_matches(&m, "aac", 3));
	cancel = 1;
	ASSERT(!matcher_matches(&m, "aac", 3)); /* skipped: the caller must discard its answer */
	ASSERT_EQ(g.n_skipped, 1);
	ASSERT_EQ(g.n_limit, 1);
	matcher_guard_set(NULL);
	ASSERT(matcher_matches(&m, "aac", 3));
	ASSERT_EQ(g.n_skipped, 1);
	matcher_reset(&m);
}

/* Issue 14 campaign (fuzz_metric_matcher): `\Q\` ends with a backslash the
 * literal-set scan stepped over, leaving an empty set that matched nothing;
 * PCRE2 (and Go) match the one backslash. */
static void issue_14_matcher_quote_trailing_backslash(void)
{
	static const char *const pats[] = {"\\Q\\", "\\Q\\E\\Q\\", "a|\\Q\\"};
	for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		matcher m;
		err e;
		ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", pats[i], &e), 0);
		ASSERT(matcher_matches(&m, "\\", 1));
		ASSERT(!matcher_matches(&m, "Q", 1));
		ASSERT_EQ(matcher_matches_slow(&m, "\\", 1), 1);
		matcher_reset(&m);
	}
}

const struct test tests_matcher[] = {
	{"issue_14_matcher_quote_trailing_backslash", issue_14_matcher_quote_trailing_backslash},
	{"issue_14_matcher_guard", issue_14_matcher_guard},
	{"fast_paths_agree_with_pcre2", fast_paths_agree_with_pcre2},
	{"fast_path_kinds", fast_path_kinds},
	{"invalid_pattern", invalid_pattern},
	{"dot_matches_newline", dot_matches_newline},
	{NULL, NULL},
};
