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
		{"a{99999999}", "invalid repeat count: `{99999999}`"},
		{"a{100000000}", "invalid repeat count: `{100000000}`"},
		{"a{1001,}", "invalid repeat count: `{1001,}`"},
		{"a{2,1001}", "invalid repeat count: `{2,1001}`"},
		{"(a{100}){100}", "invalid repeat count: `{100}`"},
		{"(?:a{2}){501}", "invalid repeat count: `{501}`"},
		{"(a{2}|b{500}){3}", "invalid repeat count: `{3}`"},
		{"(?:(a{10}){10}){11}", "invalid repeat count: `{11}`"},
		{"x{2}{3}", "invalid nested repetition operator: `{2}{3}`"},
		{"a{1000}{1}", "invalid nested repetition operator: `{1000}{1}`"},
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
		"a{1000,}", "(a{10}){100}", "(?:a{2}){500}", "(?:(a{10}){10}){10}", "((a{2})b{0}){500}",
		"(a{0}){1000}", "a{ 1 }", "a{1", "a{1,", "a{1,2", "\\x{41}{2}", "(?i)a{2}",
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

/* Issue 14: a repeat count of 8+ digits stopped the digit loop from
 * advancing, so compiling `co{222...2a` (128 digits, no closing brace: Go
 * reads a literal) or `a{99999999}` never returned. Each `{` that Go reads as
 * a literal must also be one for PCRE2 (it would take `{01}` and `{,5}` as
 * quantifiers). Answers checked against Prometheus 2.42. */
static void issue_14_regex_repeat_digits(void)
{
	char big[160] = "co{";
	memset(big + 3, '2', 128);
	strcpy(big + 131, "a");
	static const char *const cases[][3] = {
		/* pattern, a value it matches, a value it does not */
		{NULL, NULL, "coa"},
		{"a{01}", "a{01}", "a"},
		{"a{1,02}", "a{1,02}", "aa"},
		{"a{,5}", "a{,5}", "aaaaa"},
		{"a{ 1 }", "a{ 1 }", "a"},
		{"a{1,", "a{1,", "a"},
		{"a{1000}b", NULL, "ab"},
		{"\\x{41}{2}", "AA", "A"},
		{"\\p{Lu}{2}", "AB", "A{2}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *pat = cases[i][0] ? cases[i][0] : big;
		const char *yes = cases[i][0] ? cases[i][1] : big;
		err e;
		matcher m;
		err_clear(&e);
		int rc = matcher_init(&m, MATCH_RE, "l", pat, &e);
		if (rc)
			fprintf(stderr, "pattern %s: %s\n", pat, e.msg);
		ASSERT_EQ(rc, 0);
		if (yes)
			ASSERT(matcher_matches(&m, yes, strlen(yes)));
		ASSERT(!matcher_matches(&m, cases[i][2], strlen(cases[i][2])));
		matcher_reset(&m);
	}
}

/* Go's maxHeight: groups nest at most 1000 deep (PCRE2 alone stops at 250). */
static void regex_nesting_depth(void)
{
	char p[2100];
	for (int depth = 999; depth <= 1000; depth++) {
		size_t n = 0;
		for (int i = 0; i < depth; i++)
			p[n++] = '(';
		p[n++] = 'a';
		for (int i = 0; i < depth; i++)
			p[n++] = ')';
		p[n] = 0;
		err e;
		matcher m;
		err_clear(&e);
		int rc = matcher_init(&m, MATCH_RE, "l", p, &e);
		if (depth < 1000) {
			ASSERT_EQ(rc, 0);
			ASSERT(matcher_matches(&m, "a", 1));
			matcher_reset(&m);
		} else {
			ASSERT_EQ(rc, FL_EINVAL);
			ASSERT(strstr(e.msg, "expression nests too deeply: `((("));
		}
	}
}

const struct test tests_regex_errors[] = {
	{"issue_14_regex_repeat_digits", issue_14_regex_repeat_digits},
	{"regex_nesting_depth", regex_nesting_depth},
	{"go_messages", go_messages},
	{"re2_valid_still_compiles", re2_valid_still_compiles},
	{NULL, NULL},
};
