/*
 * test_regex_errors.c - label-matcher regexps are refused and described as
 * Go's regexp/syntax does (tsdb/regex_errors.c), through matcher_init.
 */
#include "tests/unit/test.h"
#include "tsdb/matcher.h"

#include <string.h>

static void go_messages(void)
{
	static const char *const cases[][2] = {
		{"(", "missing closing ): `(`"},
		{"a(b", "missing closing ): `a(b`"},
		{"*", "missing argument to repetition operator: `*`"},
		{"+a", "missing argument to repetition operator: `+`"},
		{"a|*", "missing argument to repetition operator: `*`"},
		{"{2}", "missing argument to repetition operator: `{2}`"},
		{"a**", "invalid nested repetition operator: `**`"},
		{"a*+", "invalid nested repetition operator: `*+`"},
		{"a{2}*", "invalid nested repetition operator: `{2}*`"},
		{"[z-a]", "invalid character class range: `z-a`"},
		{"x[z-a]", "invalid character class range: `z-a`"},
		{"\\q", "invalid escape sequence: `\\q`"},
		{"[\\q]", "invalid escape sequence: `\\q`"},
		{"\\Z", "invalid escape sequence: `\\Z`"},
		{"(a)\\1", "invalid escape sequence: `\\1`"},
		{"a\\", "trailing backslash at end of expression: ``"},
		{"[a", "missing closing ]: `[a`"},
		{"x[a", "missing closing ]: `[a`"},
		{"a)", "unexpected ): `a)`"},
		{"(?=a)", "invalid or unsupported Perl syntax: `(?=`"},
		{"(?!a)", "invalid or unsupported Perl syntax: `(?!`"},
		{"(?x)a", "invalid or unsupported Perl syntax: `(?x`"},
		{"(?<=a)", "invalid named capture: `(?<=a)`"},
		{"a{2,1}", "invalid repeat count: `{2,1}`"},
		{"a{1001}", "invalid repeat count: `{1001}`"},
		{"a{4444444}", "invalid repeat count: `{4444444}`"}, /* past the saturation: no endless loop */
		{"a{1,99999999999999999999}", "invalid repeat count: `{1,99999999999999999999}`"},
		{"[[:foo:]]", "invalid character class range: `[:foo:]`"},
		{"\\p{Foo}", "invalid character class range: `\\p{Foo}`"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err e;
		matcher m;
		char want[256];
		err_clear(&e);
		snprintf(want, sizeof want, "error parsing regexp: %s", cases[i][1]);
		ASSERT_EQ(matcher_init(&m, MATCH_RE, "l", cases[i][0], &e), FL_EINVAL);
		ASSERT_STR_EQ(e.msg, want);
	}
}

static void re2_valid_still_compiles(void)
{
	static const char *const ok[] = {
		"a*?", "a+?b", "a??", "(?i)abc", "(?i:a)b", "(?P<n>a)", "(?<n>a)", "\\d+\\.\\w", "[\\d-]",
		"\\x41", "\\Qa.b*\\E", "a{2,3}?", "[]a]", "[^]a]", "\\012", "[[:alpha:]]", "a{1000}",
		"\\pL", "\\p{Greek}", "(?s).*", "a|b|", "\\b\\B\\A\\z", "{", "a{", "a{,2}",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		err e;
		matcher m;
		err_clear(&e);
		int rc = matcher_init(&m, MATCH_RE, "l", ok[i], &e);
		if (rc)
			fprintf(stderr, "pattern %s: %s\n", ok[i], e.msg);
		ASSERT_EQ(rc, 0);
		matcher_reset(&m);
	}
}

const struct test tests_regex_errors[] = {
	{"go_messages", go_messages},
	{"re2_valid_still_compiles", re2_valid_still_compiles},
	{NULL, NULL},
};
