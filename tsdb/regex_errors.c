/*
 * regex_errors.c - compile a label-matcher regexp with PCRE2 but reject and
 * describe bad patterns as Go's regexp/syntax does, so users see
 * Prometheus's text:
 *
 *   error parsing regexp: <code>: `<expr>`
 *
 * (Go regexp/syntax Error.Error(); codes from its ErrorCode constants).
 * flint follows 3.x, which parses the raw pattern before wrapping it, so
 * `<expr>` is relative to the pattern as written: `(` gives
 * "missing closing ): `(`" (2.42 wrapped first and quoted `^(?:()$`).
 *
 * Two steps:
 *   1. a pre-scan refuses what PCRE2 accepts but RE2 does not: Perl group
 *      syntax other than flags and named captures ((?=, (?!, (?>, (?#, ...),
 *      escapes RE2 lacks (\Z, \h, \K, back-references \1..\9), stacked
 *      repetition (a**, possessive a*+), repeat counts over 1000;
 *   2. PCRE2's compile error codes are mapped to Go's codes, with the
 *      expression cut out of the pattern the way Go reports it.
 * Anything unmapped keeps PCRE2's message (never crashes, never silent).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/regex_errors.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int go_err(err *e, const char *code, const char *expr, size_t n)
{
	return err_set(e, FL_EINVAL, "error parsing regexp: %s: `%.*s`", code, (int)n, expr);
}

/* Length of the UTF-8 sequence starting at s (at least 1 when *s). */
static size_t u8len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	for (size_t i = 1; i < n; i++)
		if (!s[i])
			return i;
	return n;
}

/* Length of a `{n}`, `{n,}`, `{n,m}` repeat at s, 0 if s is not one; lo and hi get the counts (hi -1 = open). */
static size_t repeat_len(const char *s, long *lo, long *hi)
{
	const char *p = s + 1;
	if (*s != '{' || !isdigit((unsigned char)*p))
		return 0;
	*lo = 0;
	for (; isdigit((unsigned char)*p); p++) /* saturating: every digit is consumed */
		*lo = *lo > 100000 ? *lo : *lo * 10 + (*p - '0');
	*hi = *lo;
	if (*p == ',') {
		p++;
		*hi = -1;
		if (isdigit((unsigned char)*p)) {
			*hi = 0;
			for (; isdigit((unsigned char)*p); p++)
				*hi = *hi > 100000 ? *hi : *hi * 10 + (*p - '0');
		}
	}
	return *p == '}' ? (size_t)(p + 1 - s) : 0;
}

/* Escape letters RE2 knows outside a class (in a class: not A b B z Q). */
static bool escape_ok(const char *s, bool in_class)
{
	char c = s[1];
	if ((unsigned char)c >= 0x80 || (!isalnum((unsigned char)c) && c != '_'))
		return true; /* punctuation (and a trailing \ is PCRE2's to report) */
	if (c == '0')
		return true;
	if (c >= '1' && c <= '7')
		return s[2] >= '0' && s[2] <= '7'; /* octal, never a back-reference */
	if (strchr(in_class ? "adDfnpPrsStvwWx" : "aAbBdDfnpPQrsStvwWxz", c))
		return true;
	return false;
}

static bool capture_name_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* `(?...` at s: 0 if RE2 accepts it, else the error set in e. */
static int check_perl_group(const char *s, err *e)
{
	const char *t = s + 2;
	if (*t == '<' || (*t == 'P' && t[1] == '<')) {
		const char *name = t + (*t == 'P' ? 2 : 1);
		const char *end = strchr(name, '>');
		if (!end)
			return go_err(e, "invalid named capture", s, strlen(s));
		if (!capture_name_ok(name, (size_t)(end - name)))
			return go_err(e, "invalid named capture", s, (size_t)(end + 1 - s));
		return 0;
	}
	while (*t && strchr("imsU-", *t))
		t++;
	if (*t == ':' || *t == ')')
		return 0;
	if (!*t)
		return go_err(e, "missing closing )", s, strlen(s));
	return go_err(e, "invalid or unsupported Perl syntax", s, (size_t)(t + u8len(t) - s));
}

/* Skip a character class starting at s ('['); returns its end or NULL if unterminated. */
static const char *class_end(const char *s, err *e, int *rc)
{
	const char *p = s + 1;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '[' && p[1] == ':') {
			const char *q = strstr(p + 2, ":]");
			p = q ? q + 2 : p + 1;
			continue;
		}
		if (*p == '\\' && p[1]) {
			if (!escape_ok(p, true)) {
				*rc = go_err(e, "invalid escape sequence", p, 1 + u8len(p + 1));
				return NULL;
			}
			p += 1 + u8len(p + 1);
			continue;
		}
		p += u8len(p);
	}
	return *p ? p + 1 : NULL;
}

/* Length of a repetition operator at p (with its lazy `?`), 0 if none. */
static size_t repeat_op_len(const char *p, err *e, int *rc)
{
	long lo, hi;
	size_t n = 0;
	if (*p == '*' || *p == '+' || *p == '?')
		n = 1;
	else if ((n = repeat_len(p, &lo, &hi)) && (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo))) {
		*rc = go_err(e, "invalid repeat count", p, n);
		return 0;
	}
	return n;
}

/* Step 1: what RE2 refuses although PCRE2 accepts it. */
static int prescan(const char *v, err *e)
{
	const char *p = v, *last_rep = NULL;
	int rc = 0;
	while (*p) {
		size_t n = repeat_op_len(p, e, &rc);
		if (rc)
			return rc;
		if (n) {
			if (p[n] == '?' && *p != '?')
				n++;
			else if (p[n] == '?' && n == 1 && *p == '?')
				n++;
			if (last_rep)
				return go_err(e, "invalid nested repetition operator", last_rep, (size_t)(p + n - last_rep));
			last_rep = p;
			p += n;
			continue;
		}
		last_rep = NULL;
		if (*p == '\\' && p[1] == 'Q') {
			const char *q = strstr(p + 2, "\\E");
			p = q ? q + 2 : p + strlen(p);
		} else if (*p == '\\' && p[1]) {
			if (!escape_ok(p, false))
				return go_err(e, "invalid escape sequence", p, 1 + u8len(p + 1));
			p += 1 + u8len(p + 1);
		} else if (*p == '[') {
			const char *q = class_end(p, e, &rc);
			if (rc)
				return rc;
			p = q ? q : p + strlen(p); /* unterminated: PCRE2 reports it */
		} else if (*p == '(' && p[1] == '?') {
			if ((rc = check_perl_group(p, e)))
				return rc;
			p += 2;
		} else {
			p += u8len(p);
		}
	}
	return 0;
}

/* Start of the unterminated class in v (for "missing closing ]"). */
static const char *open_class(const char *v)
{
	const char *p = v;
	err e;
	int rc = 0;
	while (*p) {
		if (*p == '\\' && p[1]) {
			p += 1 + u8len(p + 1);
		} else if (*p == '[') {
			const char *q = class_end(p, &e, &rc);
			if (!q)
				return p;
			p = q;
		} else {
			p += u8len(p);
		}
	}
	return v;
}

/* Bounds of the repetition operator PCRE2 flagged at off (109). */
static int bad_repeat(const char *v, size_t off, err *e)
{
	size_t len = strlen(v), s = off < len ? off : len, n = 1;
	long lo, hi;
	if (s < len && v[s] == '}')
		while (s > 0 && v[s] != '{')
			s--;
	while (s > 0 && v[s] != '{' && isdigit((unsigned char)v[s]))
		s--;
	if (s < len && v[s] == '{' && (n = repeat_len(v + s, &lo, &hi)) == 0)
		n = 1;
	if (s >= len)
		return go_err(e, "missing argument to repetition operator", "", 0);
	return go_err(e, "missing argument to repetition operator", v + s, n);
}

/* Step 2: PCRE2's compile error ec at offset off, in Go's words. */
static int map_pcre2(const char *v, int ec, size_t off, err *e)
{
	size_t len = strlen(v);
	if (off > len)
		off = len;
	switch (ec) {
	case 101: /* \ at end of pattern */
		return go_err(e, "trailing backslash at end of expression", "", 0);
	case 103: /* unrecognized character follows \ */
	case 115: /* reference to non-existent subpattern */
		return go_err(e, "invalid escape sequence", v + (off ? off - 1 : 0), off < len ? 1 + u8len(v + off) : 1);
	case 104: /* numbers out of order in {} */
	case 105: /* number too big in {} */ {
		size_t s = off;
		while (s > 0 && v[s] != '{')
			s--;
		size_t n = s < len ? strcspn(v + s, "}") + 1 : 0;
		return go_err(e, "invalid repeat count", v + s, n > len - s ? len - s : n);
	}
	case 106: /* missing terminating ] */ {
		const char *s = open_class(v);
		return go_err(e, "missing closing ]", s, strlen(s));
	}
	case 108: /* range out of order in character class */ {
		size_t s = off >= 2 ? off - 2 : 0, end = off < len ? off + u8len(v + off) : len;
		if (s > 0 && v[s - 1] == '\\')
			s--;
		return go_err(e, "invalid character class range", v + s, end - s);
	}
	case 109: /* quantifier does not follow a repeatable item */
		return bad_repeat(v, off, e);
	case 114:
		return go_err(e, "missing closing )", v, len);
	case 122:
		return go_err(e, "unexpected )", v, len);
	case 130: /* unknown POSIX class name */ {
		size_t s = off;
		while (s > 0 && !(v[s] == '[' && v[s + 1] == ':'))
			s--;
		const char *q = strstr(v + s, ":]");
		return go_err(e, "invalid character class range", v + s, q ? (size_t)(q + 2 - (v + s)) : len - s);
	}
	case 147: /* unknown property after \P or \p */ {
		size_t s = off;
		while (s > 0 && !(v[s] == '\\' && (v[s + 1] == 'p' || v[s + 1] == 'P')))
			s--;
		return go_err(e, "invalid character class range", v + s, off - s);
	}
	default: {
		char msg[256];
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
		return err_set(e, FL_EINVAL, "error parsing regexp: %s at offset %zu: `%s`", msg, off, v);
	}
	}
}

pcre2_code *regex_compile_go(const char *v, uint32_t options, err *e)
{
	if (prescan(v, e))
		return NULL;
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED, options, &ec, &off, NULL);
	if (!code)
		map_pcre2(v, ec, (size_t)off, e);
	return code;
}
