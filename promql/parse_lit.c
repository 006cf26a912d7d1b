/*
 * parse_lit.c - PromQL literals, converted the way upstream converts them:
 *
 *   numbers    parser.number(): Go's strconv.ParseInt(s, 0, 64) first (so
 *              0x1f is hex, 010 is octal, 0b101 binary, 1_000 has
 *              underscores), then strconv.ParseFloat (decimals, exponents,
 *              Inf and NaN in any case); an overflowing float is an error.
 *   durations  prometheus/common model.ParseDuration: [0-9]+ with units
 *              y w d h m s ms, each at most once and in that order; "0".
 *   strings    strutil.Unquote: "..." and '...' with Go escapes, `...` raw.
 *              The lexer has already validated escapes and UTF-8.
 */
#include "promql/parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int64_t parse__secs_to_ms(double secs)
{
	double ns = round(secs * 1e9);
	if (!(ns < 9223372036854775807.0 && ns > -9223372036854775808.0))
		return ns > 0 ? INT64_MAX / 1000000 : INT64_MIN / 1000000;
	return (int64_t)ns / 1000000;
}

/* Go's underscoreOK for a literal with base prefix handling. */
static bool underscore_ok(const char *s, int n)
{
	char saw = '^'; /* ^ start, 0 digit, _ underscore, ! other */
	int i = 0;
	bool hex = false;
	if (n >= 2 && s[0] == '0' && strchr("xXbBoO", s[1])) {
		hex = s[1] == 'x' || s[1] == 'X';
		i = 2;
		saw = '0'; /* the base prefix counts as a digit */
	}
	for (; i < n; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* strconv.ParseInt(s, 0, 64); false on syntax or range error. */
static bool go_parse_int(const char *s, int n, double *out)
{
	int base = 10, i = 0;
	if (n >= 2 && s[0] == '0') {
		char c = s[1];
		if (c == 'x' || c == 'X')
			base = 16, i = 2;
		else if (c == 'b' || c == 'B')
			base = 2, i = 2;
		else if (c == 'o' || c == 'O')
			base = 8, i = 2;
		else
			base = 8, i = 1;
	}
	if (!underscore_ok(s, n))
		return false;
	uint64_t v = 0;
	bool any = false;
	for (; i < n; i++) {
		int d;
		char c = s[i];
		if (c == '_')
			continue;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
		any = true;
	}
	if (!any || v > (uint64_t)INT64_MAX)
		return false;
	*out = (double)(int64_t)v;
	return true;
}

double parse__number(parser *p, const token *t)
{
	const char *s = p->in + t->pos;
	int n = t->len;
	double v;
	if (go_parse_int(s, n, &v))
		return v;
	/* Go's ParseFloat takes any number of digits (2e222 prints as 223 of
	 * them); long literals go in the arena, which parse__fail leaves alone */
	char stack[128], *tmp = n < (int)sizeof stack ? stack : arena_alloc(p->a, (size_t)n + 1);
	if (!tmp)
		parse__fail(p, t->pos, "out of memory");
	int k = 0;
	bool ok = underscore_ok(s, n);
	for (int i = 0; ok && i < n; i++)
		if (s[i] != '_')
			tmp[k++] = s[i];
	tmp[k] = 0;
	if (ok && k >= 3 && (strncasecmp(tmp, "inf", 3) == 0 || strncasecmp(tmp, "nan", 3) == 0) && k == 3)
		return tmp[0] == 'n' || tmp[0] == 'N' ? NAN : INFINITY;
	/* plain decimal floats only: strtod would also take hex without 'p' */
	for (int i = 0; ok && i < k; i++)
		if (!strchr("0123456789.eE+-", tmp[i]) && !(i == 1 && (tmp[1] == 'x' || tmp[1] == 'X')))
			ok = false;
	if (ok && k > 1 && (tmp[1] == 'x' || tmp[1] == 'X') && !strpbrk(tmp, "pP"))
		ok = false;
	char *end = NULL;
	errno = 0;
	if (ok)
		v = strtod(tmp, &end);
	if (!ok || !end || *end) {
		parse__fail(p, t->pos, "error parsing number: strconv.ParseFloat: parsing \"%.*s\": invalid syntax", n, s);
	}
	if (isinf(v))
		parse__fail(p, t->pos, "error parsing number: strconv.ParseFloat: parsing \"%.*s\": value out of range", n, s);
	return v;
}

double parse__duration(parser *p, const token *t)
{
	const char *s = p->in + t->pos;
	int n = t->len;
	if (n == 1 && s[0] == '0')
		return 0;
	static const struct {
		const char *unit;
		int64_t mult;
	} units[] = {{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
		     {"m", 60000}, {"s", 1000}, {"ms", 1}};
	int64_t total = 0;
	size_t next_unit = 0;
	int i = 0;
	while (i < n) {
		int64_t num = 0;
		int start = i;
		bool big = false;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (num > (INT64_MAX - 9) / 10)
				big = true;
			else
				num = num * 10 + (s[i] - '0');
			i++;
		}
		int us = i;
		while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			i++;
		size_t u = 0;
		while (u < FL_ARRAY_LEN(units) &&
		       !((int)strlen(units[u].unit) == i - us && !memcmp(units[u].unit, s + us, (size_t)(i - us))))
			u++;
		if (i > us && us > start && u == FL_ARRAY_LEN(units))
			parse__fail(p, t->pos, "unknown unit \"%.*s\" in duration \"%.*s\"", i - us, s + us, n, s);
		if (i == start || us == start || u == FL_ARRAY_LEN(units) || u < next_unit)
			parse__fail(p, t->pos, "not a valid duration string: \"%.*s\"", n, s);
		if (big || num > INT64_MAX / units[u].mult || total > INT64_MAX - num * units[u].mult)
			parse__fail(p, t->pos, "duration out of range");
		total += num * units[u].mult;
		next_unit = u + 1;
	}
	/* model.Duration is nanoseconds: beyond ~292 years it overflows */
	if (total > INT64_MAX / 1000000)
		parse__fail(p, t->pos, "duration out of range");
	return (double)total / 1000.0;
}

static void put_utf8(char *o, size_t *k, uint32_t r)
{
	if (r < 0x80) {
		o[(*k)++] = (char)r;
	} else if (r < 0x800) {
		o[(*k)++] = (char)(0xc0 | r >> 6);
		o[(*k)++] = (char)(0x80 | (r & 0x3f));
	} else if (r < 0x10000) {
		o[(*k)++] = (char)(0xe0 | r >> 12);
		o[(*k)++] = (char)(0x80 | ((r >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (r & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | r >> 18);
		o[(*k)++] = (char)(0x80 | ((r >> 12) & 0x3f));
		o[(*k)++] = (char)(0x80 | ((r >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (r & 0x3f));
	}
}

static uint32_t hexval(const char *s, int n)
{
	uint32_t x = 0;
	for (int i = 0; i < n; i++) {
		char c = s[i];
		x = x * 16 + (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return x;
}

char *parse__unquote(parser *p, const token *t)
{
	const char *s = p->in + t->pos;
	int n = t->len;
	char *o = arena_alloc(p->a, (size_t)n + 1);
	if (!o)
		parse__fail(p, t->pos, "out of memory");
	size_t k = 0;
	if (s[0] == '`') {
		memcpy(o, s + 1, (size_t)(n - 2));
		o[n - 2] = 0;
		return o;
	}
	for (int i = 1; i < n - 1; i++) {
		if (s[i] != '\\') {
			o[k++] = s[i];
			continue;
		}
		char c = s[++i];
		const char *esc = strchr("abfnrtv", c);
		if (esc && c) {
			o[k++] = "\a\b\f\n\r\t\v"[esc - "abfnrtv"];
		} else if (c == 'x') {
			o[k++] = (char)hexval(s + i + 1, 2);
			i += 2;
		} else if (c == 'u' || c == 'U') {
			int w = c == 'u' ? 4 : 8;
			put_utf8(o, &k, hexval(s + i + 1, w));
			i += w;
		} else if (c >= '0' && c <= '7') {
			o[k++] = (char)((c - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
			i += 2;
		} else {
			o[k++] = c; /* \\ \" \' */
		}
	}
	o[k] = 0;
	return o;
}
