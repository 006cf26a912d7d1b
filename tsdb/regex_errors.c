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
 *      repetition (a**, possessive a*+), repeat counts over 1000 or
 *      nested repeats whose counts multiply past 1000, nesting past 1000;
 *      it also escapes each `{` Go reads as a literal (`a{,5}`, `a{01}`),
 *      so that PCRE2 reads it the same way;
 *   2. PCRE2's compile error codes are mapped to Go's codes, with the
 *      expression cut out of the pattern the way Go reports it.
 * Anything unmapped keeps PCRE2's message (never crashes, never silent).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/regex_errors.h"

#include "lib/buf.h"

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

/* Go's parseInt for repeat counts: digits without a leading zero; the
 * value becomes -1 once it reaches 1e8 but every digit is consumed.
 * Returns the end of the digits, NULL if there are none (or a leading zero). */
static const char *repeat_int(const char *p, long *n)
{
	if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
		return NULL;
	*n = 0;
	for (; isdigit((unsigned char)*p); p++)
		if (*n >= 0)
			*n = *n >= 100000000 ? -1 : *n * 10 + (*p - '0');
	return p;
}

/* Length of a `{n}`, `{n,}`, `{n,m}` repeat at s as Go's parseRepeat reads
 * it, 0 if s is not one (Go then takes the `{` as a literal); lo and hi get
 * the counts (hi -1 = open, lo -1 = a count too big). Issue 14: every digit
 * is consumed however long the count, so this always terminates. */
static size_t repeat_len(const char *s, long *lo, long *hi)
{
	const char *p;
	if (*s != '{' || !(p = repeat_int(s + 1, lo)))
		return 0;
	*hi = *lo;
	if (*p == ',') {
		p++;
		if (*p == '}')
			*hi = -1;
		else if (!(p = repeat_int(p, hi)))
			return 0;
		else if (*hi < 0)
			*lo = -1;
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

/* `(?...` at s: 0 if RE2 accepts it, else the error set in e. *len gets
 * the length of the opener (`(?i)` whole, `(?i:` or `(?P<n>` up to the
 * group's content) and *group whether it opens a group. */
static int check_perl_group(const char *s, size_t *len, bool *group, err *e)
{
	const char *t = s + 2;
	*group = true;
	if (*t == '<' || (*t == 'P' && t[1] == '<')) {
		const char *name = t + (*t == 'P' ? 2 : 1);
		const char *end = strchr(name, '>');
		if (!end)
			return go_err(e, "invalid named capture", s, strlen(s));
		if (!capture_name_ok(name, (size_t)(end - name)))
			return go_err(e, "invalid named capture", s, (size_t)(end + 1 - s));
		*len = (size_t)(end + 1 - s);
		return 0;
	}
	while (*t && strchr("imsU-", *t))
		t++;
	if (*t == ':' || *t == ')') {
		*group = *t == ':';
		*len = (size_t)(t + 1 - s);
		return 0;
	}
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

/*
 * Step 1 walks the pattern once, as Go's parser would, keeping:
 *   - the PCRE2 pattern: v with every `{` that Go reads as a literal (no
 *     valid repeat follows: `a{,5}`, `a{01}`, `co{222...2a`) escaped, since
 *     PCRE2 would take some of them as quantifiers;
 *   - the repeat products of repeatIsValid: a counted repeat {n,m} with n
 *     or m >= 2 is refused when its count times the largest product of the
 *     counted repeats nested inside it passes 1000 (`(a{100}){100}`); a
 *     repeat with max 0 hides what is inside it;
 *   - the group depth (Go's maxHeight, approximated by parentheses).
 */
#define GO_MAX_COUNT 1000
#define GO_MAX_DEPTH 1000

typedef struct scan {
	const char *v;               /* the whole pattern */
	buf *out;                    /* the pattern for PCRE2 */
	const char *copied;          /* v before this is in out */
	const char *last_rep;        /* the repeat operator just read, NULL after an item */
	long last;                   /* repeat product of the item just read */
	int depth;                   /* open groups */
	long prod[GO_MAX_DEPTH + 1]; /* per open group: largest product of its finished items */
} scan;

/* A new item starts: the previous one is finished. */
static void scan_item(scan *sc)
{
	if (sc->last > sc->prod[sc->depth])
		sc->prod[sc->depth] = sc->last;
	sc->last = 1;
	sc->last_rep = NULL;
}

/* A literal `{` at p: escape it for PCRE2. */
static void scan_literal_brace(scan *sc, const char *p)
{
	scan_item(sc);
	buf_put(sc->out, sc->copied, (size_t)(p - sc->copied));
	buf_put_str(sc->out, "\\{");
	sc->copied = p + 1;
}

/* A repetition operator at p (with its lazy `?`): its length, 0 if none. */
static size_t scan_repeat(scan *sc, const char *p, err *e, int *rc)
{
	long lo = 0, hi = 0;
	size_t n = 0;
	if (*p == '*' || *p == '+' || *p == '?')
		n = 1;
	else if (!(n = repeat_len(p, &lo, &hi)))
		return 0;
	bool counted = *p == '{';
	if (counted && (lo < 0 || lo > GO_MAX_COUNT || hi > GO_MAX_COUNT || (hi >= 0 && hi < lo))) {
		*rc = go_err(e, "invalid repeat count", p, n);
		return 0;
	}
	if (sc->last_rep) {
		*rc = go_err(e, "invalid nested repetition operator", sc->last_rep, (size_t)(p + n - sc->last_rep));
		return 0;
	}
	if (counted) {
		long m = hi < 0 ? lo : hi;
		if ((lo >= 2 || hi >= 2) && m * sc->last > GO_MAX_COUNT) {
			*rc = go_err(e, "invalid repeat count", p, n);
			return 0;
		}
		sc->last = hi == 0 ? 1 : m ? m * sc->last : sc->last;
	}
	sc->last_rep = p;
	if (p[n] == '?')
		n++;
	return n;
}

/* Length of the escape at p (`\p{Greek}` and `\x{41}` with their braces). */
static size_t escape_len(const char *p)
{
	if (strchr("pPx", p[1]) && p[2] == '{') {
		const char *q = strchr(p + 3, '}');
		return q ? (size_t)(q + 1 - p) : strlen(p);
	}
	return 1 + u8len(p + 1);
}

/* Step 1: what RE2 refuses although PCRE2 accepts it; out gets the pattern for PCRE2. */
static int prescan(const char *v, buf *out, err *e)
{
	scan sc = {.v = v, .out = out, .copied = v, .last = 1};
	sc.prod[0] = 1;
	const char *p = v;
	int rc = 0;
	while (*p) {
		size_t n = scan_repeat(&sc, p, e, &rc);
		if (rc)
			return rc;
		if (n) {
			p += n;
			continue;
		}
		if (*p == '{') {
			scan_literal_brace(&sc, p++);
			continue;
		}
		scan_item(&sc);
		if (*p == '\\' && p[1] == 'Q') {
			const char *q = strstr(p + 2, "\\E");
			p = q ? q + 2 : p + strlen(p);
		} else if (*p == '\\' && p[1]) {
			if (!escape_ok(p, false))
				return go_err(e, "invalid escape sequence", p, 1 + u8len(p + 1));
			p += escape_len(p);
		} else if (*p == '[') {
			const char *q = class_end(p, e, &rc);
			if (rc)
				return rc;
			p = q ? q : p + strlen(p); /* unterminated: PCRE2 reports it */
		} else if (*p == '(') {
			size_t len = 1;
			bool group = true;
			if (p[1] == '?' && (rc = check_perl_group(p, &len, &group, e)))
				return rc;
			if (group && sc.depth + 1 >= GO_MAX_DEPTH) /* 1000 groups + content: height 1001 */
				return go_err(e, "expression nests too deeply", v, strlen(v));
			if (group)
				sc.prod[++sc.depth] = 1;
			p += len;
		} else if (*p == ')' && sc.depth > 0) {
			sc.last = sc.prod[sc.depth--];
			p++;
		} else {
			p += u8len(p);
		}
	}
	buf_put(out, sc.copied, strlen(sc.copied));
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

/* PCRE2 compile of pattern p with Go's nesting limit instead of PCRE2's 250. */
static pcre2_code *compile(const char *p, uint32_t options, int *ec, PCRE2_SIZE *off)
{
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (cc)
		pcre2_set_parens_nest_limit(cc, GO_MAX_DEPTH + 1);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, options, ec, off, cc);
	pcre2_compile_context_free(cc);
	return code;
}

pcre2_code *regex_compile_go(const char *v, uint32_t options, err *e)
{
	buf pat;
	buf_init(&pat);
	if (prescan(v, &pat, e)) {
		buf_reset(&pat);
		return NULL;
	}
	if (pat.oom) {
		buf_reset(&pat);
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	int ec;
	PCRE2_SIZE off;
	const char *p = buf_cstr(&pat);
	pcre2_code *code = compile(p, options, &ec, &off);
	if (!code) {
		/* Errors quote v and offsets are into the escaped copy: when v
		 * fails too, its own error says the same in v's words. */
		int ec_v;
		PCRE2_SIZE off_v;
		pcre2_code *code_v = strcmp(p, v) ? compile(v, options, &ec_v, &off_v) : NULL;
		if (code_v)
			pcre2_code_free(code_v);
		else if (strcmp(p, v))
			p = v, ec = ec_v, off = off_v;
		map_pcre2(p, ec, (size_t)off, e);
	}
	buf_reset(&pat);
	return code;
}
