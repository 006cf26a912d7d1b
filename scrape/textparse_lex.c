/*
 * textparse_lex.c - the one tokenizer both exposition formats use for
 * `name{label="value",...}` and for numbers (Prometheus has two generated
 * lexers for this, model/textparse/promlex.l and openmetricslex.l; their
 * label-set rules are the same but for blanks):
 *
 *   labels  = "{" [ item { "," item } [ "," ] ] "}"
 *   item    = lname "=" lvalue | qstring            (a qstring alone: the metric name)
 *   lname   = [a-zA-Z_][a-zA-Z0-9_]* | qstring
 *   lvalue  = qstring
 *   qstring = '"' { '\' any-but-newline | not '\' or '"' } '"'
 *
 * Text 0.0.4 allows blanks (spaces, tabs) between any two tokens, a raw
 * newline inside a quoted string, and a missing comma between items (as
 * promparse.go does: "it is not clear if this is intended"). OpenMetrics
 * allows no blanks and wants a comma or '}' after each value. Both accept
 * a trailing comma; the strict (validator) mode notes it and refuses.
 *
 * Escapes are kept as written: only \\, \" and \n are undone when labels
 * are built, any other backslash stays (Go's strings.Replacer).
 */
#include "scrape/textparse_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/fmtfloat.h"
#include "lib/utf8.h"

/* Byte classes of names: bit 0 starts a label name, bit 1 continues one,
 * bit 2 starts a metric name, bit 3 continues one. A constant table (no
 * once-init call on the hot path). */
#define NC_ALPHA (1 | 2 | 4 | 8)
#define NC_DIGIT (2 | 8)
#define NC_D(c) [c] = NC_DIGIT /* one digit */
#define NC_AZ(a) /* 26 letters from a */ [a] = NC_ALPHA, [a + 1] = NC_ALPHA, [a + 2] = NC_ALPHA, [a + 3] = NC_ALPHA, [a + 4] = NC_ALPHA, \
	[a + 5] = NC_ALPHA, [a + 6] = NC_ALPHA, [a + 7] = NC_ALPHA, [a + 8] = NC_ALPHA, [a + 9] = NC_ALPHA,        \
	[a + 10] = NC_ALPHA, [a + 11] = NC_ALPHA, [a + 12] = NC_ALPHA, [a + 13] = NC_ALPHA, [a + 14] = NC_ALPHA,   \
	[a + 15] = NC_ALPHA, [a + 16] = NC_ALPHA, [a + 17] = NC_ALPHA, [a + 18] = NC_ALPHA, [a + 19] = NC_ALPHA,   \
	[a + 20] = NC_ALPHA, [a + 21] = NC_ALPHA, [a + 22] = NC_ALPHA, [a + 23] = NC_ALPHA, [a + 24] = NC_ALPHA,   \
	[a + 25] = NC_ALPHA
static const uint8_t name_class[256] = {
	NC_D('0'), NC_D('1'), NC_D('2'), NC_D('3'), NC_D('4'),
	NC_D('5'), NC_D('6'), NC_D('7'), NC_D('8'), NC_D('9'),
	NC_AZ('a'), NC_AZ('A'), ['_'] = NC_ALPHA, [':'] = 4 | 8,
};

bool tp__is_name_start(char c, bool metric)
{
	return name_class[(uint8_t)c] & (metric ? 4 : 1);
}

size_t tp__name_end(const textparse *p, size_t i, bool metric)
{
	uint8_t start = metric ? 4 : 1, cont = metric ? 8 : 2;
	if (i < p->n && (name_class[(uint8_t)p->b[i]] & start))
		for (i++; i < p->n && (name_class[(uint8_t)p->b[i]] & cont); i++)
			;
	return i;
}

size_t tp__qstring_end(textparse *p, size_t i, bool nl_ok)
{
	size_t nl = 0;
	for (i++; i < p->n; i++) {
		char c = p->b[i];
		if (c == '"') {
			p->nl += nl;
			return i + 1;
		}
		if (c == '\\') {
			if (i + 1 >= p->n || p->b[i + 1] == '\n')
				return 0;
			i++;
		} else if (c == '\n') {
			if (!nl_ok)
				return 0;
			nl++;
		}
	}
	return 0;
}

static void skip_blanks(textparse *p, bool om)
{
	if (!om)
		while (p->i < p->n && (p->b[p->i] == ' ' || p->b[p->i] == '\t'))
			p->i++;
}

/* Go's %q of s, at most 120 bytes of it. */
static const char *quote(buf *b, const char *s, size_t n)
{
	buf_clear(b);
	fmt_go_quote(b, n ? s : "", FL_MIN(n, 120));
	return buf_cstr(b);
}

/* Where the token of that kind starting at i ends, as Go's lexer reads it
 * (an INVALID one ends where it starts). */
static size_t tok_end(const textparse *p, size_t i, const char *kind)
{
	if (i >= p->n || !strcmp(kind, "INVALID") || !strcmp(kind, "EOF"))
		return i;
	if (!strcmp(kind, "LNAME"))
		return tp__name_end(p, i, false);
	if (!strcmp(kind, "TIMESTAMP") || !strcmp(kind, "VALUE")) {
		size_t j = i + (p->b[i] == ' ');
		while (j < p->n && p->b[j] != ' ' && p->b[j] != '\n')
			j++;
		return j;
	}
	if (p->b[i] == '"') {
		textparse tmp = *p; /* no side effects on the line count */
		size_t end = tp__qstring_end(&tmp, i, p->f == TEXTPARSE_PROM);
		return end ? end : i;
	}
	return i + 1; /* BCLOSE, BOPEN, COMMA, EQUAL */
}

/* Go's %q of b[from, to), with the newline Go's text parser appends to its
 * input when to runs past the end (text 0.0.4 only). */
static const char *quote_to(buf *q, const textparse *p, size_t from, size_t to)
{
	buf_clear(q);
	buf tmp;
	buf_init(&tmp);
	size_t hi = FL_MIN(to, p->n);
	if (hi - from > 120)
		from = hi - 120;
	buf_put(&tmp, p->b + from, hi - from);
	if (to > p->n && p->f == TEXTPARSE_PROM)
		buf_put_byte(&tmp, '\n');
	fmt_go_quote(q, tmp.len ? (const char *)tmp.p : "", tmp.len); /* never NULL + 0 */
	buf_reset(&tmp);
	return buf_cstr(q);
}

int tp__unexpected(textparse *p, err *e, const char *exp, size_t tok, const char *kind)
{
	size_t end = tok_end(p, tok, kind) + 1; /* Go quotes one byte past the token */
	buf a, b;
	buf_init(&a);
	buf_init(&b);
	int rc = err_set(e, FL_EPARSE, "%s, got %s (\"%s\") while parsing: %s", exp, quote_to(&a, p, tok, end), kind,
			 quote_to(&b, p, p->start, end));
	buf_reset(&a);
	buf_reset(&b);
	return rc;
}

/* The token kind Go's lexer would name at i (for messages). */
static const char *kind_at(const textparse *p, size_t i)
{
	if (i >= p->n)
		return "EOF";
	switch (p->b[i]) {
	case '}': return "BCLOSE";
	case '{': return "BOPEN";
	case ',': return "COMMA";
	case '=': return "EQUAL";
	case '"': return "QSTRING";
	default: return tp__is_name_start(p->b[i], false) ? "LNAME" : "INVALID";
	}
}

static bool add_lab(textparse *p, slice name, slice value)
{
	if (p->n_lab == p->lab_cap && !fl_grow((void **)&p->lab, &p->lab_cap, p->n_lab + 1, sizeof *p->lab))
		return false;
	p->lab[p->n_lab++] = (tp_lab){name, value};
	return true;
}

/* One item's name: an lname or a qstring; *quoted says which. */
static int item_name(textparse *p, slice *name, bool *quoted, err *e)
{
	size_t s = p->i, end;
	*quoted = s < p->n && p->b[s] == '"';
	if (*quoted)
		end = tp__qstring_end(p, s, true); /* both lexers let a quoted name span lines */
	else
		end = tp__name_end(p, s, false);
	if (end == 0 || end == s)
		return tp__unexpected(p, e, "expected label name", s, kind_at(p, s));
	p->i = end;
	*name = *quoted ? (slice){p->b + s + 1, end - s - 2} : (slice){p->b + s, end - s};
	return 0;
}

static int item_value(textparse *p, bool om, slice *value, err *e)
{
	size_t s = p->i;
	size_t end = s < p->n && p->b[s] == '"' ? tp__qstring_end(p, s, !om) : 0;
	if (end == 0)
		return tp__unexpected(p, e, "expected label value", s, "INVALID"); /* no other token starts there */
	p->i = end;
	*value = (slice){p->b + s + 1, end - s - 2};
	if (!tp__utf8(value->p, value->len, NULL)) {
		buf q;
		buf_init(&q);
		int rc = err_set(e, FL_EPARSE, "invalid UTF-8 label value: %s", quote(&q, p->b + s, end - s));
		buf_reset(&q);
		return rc;
	}
	return 0;
}

int tp__labels(textparse *p, bool om, bool exemplar, err *e)
{
	skip_blanks(p, om);
	for (;;) {
		if (p->i < p->n && p->b[p->i] == '}') {
			p->i++;
			return 0;
		}
		slice name = {NULL, 0}, value = {NULL, 0};
		bool quoted;
		int rc = item_name(p, &name, &quoted, e);
		if (rc)
			return rc;
		skip_blanks(p, om);
		char c = p->i < p->n ? p->b[p->i] : 0;
		if (quoted && (c == ',' || c == '}')) { /* {"metric.name", ...} */
			if (exemplar)
				return tp__unexpected(p, e, "expected label name", p->i, kind_at(p, p->i));
			if (p->mname.p)
				return tp__context(p, e, "metric name already set");
			p->mname = name;
			p->mname_quoted = true;
			p->i++;
			if (c == '}')
				return 0;
			skip_blanks(p, om);
			continue;
		}
		if (c != '=')
			return tp__unexpected(p, e, "expected equal", p->i, kind_at(p, p->i));
		p->i++;
		skip_blanks(p, om);
		if ((rc = item_value(p, om, &value, e)))
			return rc;
		if (!add_lab(p, name, value))
			return err_set(e, FL_ENOMEM, "out of memory");
		skip_blanks(p, om);
		c = p->i < p->n ? p->b[p->i] : 0;
		if (c == ',') {
			p->i++;
			skip_blanks(p, om);
			if (p->i < p->n && p->b[p->i] == '}')
				p->trailing_comma = true;
		} else if (om && c != '}') {
			return tp__unexpected(p, e, "expected comma or brace close", p->i, kind_at(p, p->i));
		}
	}
}

int tp__type(textparse *p, err *e)
{
	static const struct {
		const char *name;  /* as written */
		textparse_mtype t; /* what it means */
		int formats;       /* bit 0: text 0.0.4, bit 1: OpenMetrics */
	} types[] = {
		{"counter", TEXTPARSE_MT_COUNTER, 3},     {"gauge", TEXTPARSE_MT_GAUGE, 3},
		{"histogram", TEXTPARSE_MT_HISTOGRAM, 3}, {"summary", TEXTPARSE_MT_SUMMARY, 3},
		{"untyped", TEXTPARSE_MT_UNKNOWN, 1},     {"unknown", TEXTPARSE_MT_UNKNOWN, 2},
		{"gaugehistogram", TEXTPARSE_MT_GAUGEHISTOGRAM, 2}, {"info", TEXTPARSE_MT_INFO, 2},
		{"stateset", TEXTPARSE_MT_STATESET, 2},
	};
	int want = p->f == TEXTPARSE_OM ? 2 : 1;
	for (size_t k = 0; k < FL_ARRAY_LEN(types); k++)
		if ((types[k].formats & want) && slice_eq_str(p->meta_text, types[k].name)) {
			p->mtype = p->meta_type = types[k].t;
			return 1;
		}
	buf q;
	buf_init(&q);
	err_set(e, FL_EPARSE, "invalid metric type %s", quote(&q, p->meta_text.p, p->meta_text.len));
	buf_reset(&q);
	return FL_EPARSE;
}

/* Does the series at p->start end exactly after the expected bytes? The
 * tokenizer reads the same bytes the same way, so it would end there too
 * unless a bare name (no label set) goes on: a name byte, or a '{' (after
 * blanks in text 0.0.4), follows it. The expected bytes hold no newline. */
static bool expect_matches(const textparse *p, bool om)
{
	slice x = p->expect;
	if (!x.len || p->n - p->start < x.len || memcmp(p->b + p->start, x.p, x.len))
		return false;
	if (x.p[x.len - 1] == '}')
		return true;
	size_t j = p->start + x.len;
	if (j < p->n && (name_class[(uint8_t)p->b[j]] & 8))
		return false;
	while (!om && j < p->n && (p->b[j] == ' ' || p->b[j] == '\t'))
		j++;
	return j >= p->n || p->b[j] != '{';
}

int tp__series_head(textparse *p, bool om, err *e)
{
	p->mname = (slice){NULL, 0};
	p->mname_quoted = false;
	p->n_lab = 0;
	p->lv_mode = 0;
	p->has_ex = false;
	p->trailing_comma = false;
	p->reserved = false;
	p->expect_met = false;
	if (!p->chk && expect_matches(p, om)) {
		p->expect_met = true;
		p->series = (slice){p->b + p->start, p->expect.len};
		p->mname = (slice){p->series.p, 0}; /* set (the tokenizer found one), read by tp__head_labels */
		p->i = p->start + p->expect.len;
		return 0;
	}
	if (p->b[p->i] != '{') {
		size_t end = tp__name_end(p, p->i, true);
		p->mname = (slice){p->b + p->i, end - p->i};
		p->i = end;
		p->series = (slice){p->b + p->start, end - p->start};
		skip_blanks(p, om);
	}
	if (p->i < p->n && p->b[p->i] == '{') {
		p->i++;
		int rc = tp__labels(p, om, false, e);
		if (rc)
			return rc;
		p->series = (slice){p->b + p->start, p->i - p->start};
	}
	return 0;
}

int tp__head_labels(textparse *p, err *e)
{
	if (!p->expect_met)
		return 0;
	/* the entry's other fields stay (an OpenMetrics exemplar set them) */
	size_t i = p->i, nl = p->nl;
	bool has_ex = p->has_ex, tc = p->trailing_comma, res = p->reserved;
	slice x = p->expect;
	p->expect = (slice){NULL, 0};
	p->i = p->start;
	bool om = p->f == TEXTPARSE_OM;
	while (!om && p->i < p->n && (p->b[p->i] == ' ' || p->b[p->i] == '\t'))
		p->i++; /* as tp__prom_next before the head */
	int rc = tp__series_head(p, om, e);
	p->expect = x;
	p->i = i, p->nl = nl;
	p->has_ex = has_ex, p->trailing_comma = tc, p->reserved = res;
	return rc;
}

int tp__float(slice tok, double *v, bool hex_ok, err *e)
{
	char tmp[64];
	if (tok.len == 0 || tok.len >= sizeof tmp)
		goto syntax;
	if (tok.len <= 15) { /* fast path: up to 15 decimal digits are exact in a double */
		uint64_t n = 0;
		size_t i = 0;
		while (i < tok.len && tok.p[i] >= '0' && tok.p[i] <= '9')
			n = n * 10 + (uint64_t)(tok.p[i++] - '0');
		if (i == tok.len) {
			*v = (double)n;
			return 0;
		}
	}
	if (memchr(tok.p, 0, tok.len))
		goto syntax;
	memcpy(tmp, tok.p, tok.len);
	tmp[tok.len] = 0;
	if (!hex_ok && strpbrk(tmp, "pP_")) /* Prometheus keeps to pre-Go 1.13 floats */
		return err_set(e, FL_EPARSE, "unsupported character in float"), 1;
	const char *s = tmp + (tmp[0] == '+' || tmp[0] == '-');
	char c0 = (char)(s[0] | 0x20);
	if (c0 == 'i' && (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity"))) {
		*v = tmp[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (c0 == 'n' && s == tmp && !strcasecmp(s, "nan")) { /* "+NaN" is not Go's */
		uint64_t go_nan = 0x7FF8000000000001ull; /* value.NormalNaN */
		memcpy(v, &go_nan, 8);
		return 0;
	}
	bool hex = s[0] == '0' && (s[1] | 0x20) == 'x';
	bool has_p = false;
	for (const char *q = s + (hex ? 2 : 0); *q; q++) {
		char l = (char)(*q | 0x20);
		if ((*q >= '0' && *q <= '9') || *q == '.' || *q == '+' || *q == '-')
			continue;
		if (l == 'p' || *q == '_') { /* hex_ok here */
			if (*q == '_' || !hex)
				goto syntax;
			has_p = true;
			continue;
		}
		if (hex ? !(l >= 'a' && l <= 'f') : l != 'e')
			goto syntax;
	}
	if (hex && (!hex_ok || !has_p)) /* Go: a hex mantissa needs a 'p' exponent */
		goto syntax;
	char *end;
	errno = 0;
	*v = strtod(tmp, &end);
	if (*end != 0 || end == tmp)
		goto syntax;
	if (errno == ERANGE && isinf(*v)) {
		buf q;
		buf_init(&q);
		err_set(e, FL_EPARSE, "strconv.ParseFloat: parsing %s: value out of range", quote(&q, tok.p, tok.len));
		buf_reset(&q);
		return 2;
	}
	return 0;
syntax:;
	buf q;
	buf_init(&q);
	err_set(e, FL_EPARSE, "strconv.ParseFloat: parsing %s: invalid syntax", quote(&q, tok.p, tok.len));
	buf_reset(&q);
	return 1;
}

int tp__context(textparse *p, err *e, const char *what)
{
	buf q;
	buf_init(&q);
	size_t from = p->i - p->start > 120 ? p->i - 120 : p->start;
	err_set(e, FL_EPARSE, "%s while parsing: %s", what, quote(&q, p->b + from, p->i - from));
	buf_reset(&q);
	return FL_EPARSE;
}

int tp__value(textparse *p, slice tok, double *v, err *e)
{
	err fe;
	if (tp__float(tok, v, false, &fe) == 0)
		return 0;
	if (p->flags & TEXTPARSE_V2)
		return err_set(e, FL_EPARSE, "%s", fe.msg);
	return tp__context(p, e, fe.msg);
}

bool tp__utf8(const char *s, size_t n, size_t *runes)
{
	size_t r = 0;
	for (size_t i = 0; i < n; r++) {
		if ((uint8_t)s[i] < 0x80) { /* ASCII without a call */
			i++;
			continue;
		}
		int w;
		if (utf8_decode(s + i, n - i, &w) < 0)
			return false;
		i += (size_t)w;
	}
	if (runes)
		*runes = r;
	return true;
}

void tp__unescape(buf *b, slice s, bool help_only)
{
	for (size_t i = 0; i < s.len;) {
		const char *bs = memchr(s.p + i, '\\', s.len - i);
		size_t run = bs ? (size_t)(bs - s.p) - i : s.len - i;
		buf_put(b, s.p + i, run); /* unescaped stretches in one copy */
		i += run;
		if (i >= s.len)
			break;
		char c = i + 1 < s.len ? s.p[i + 1] : 0;
		if (c == '\\' || c == 'n' || (c == '"' && !help_only)) {
			buf_put_byte(b, (uint8_t)(c == 'n' ? '\n' : c));
			i += 2;
		} else {
			buf_put_byte(b, '\\');
			i++;
		}
	}
}

int64_t tp__go_int64(double x)
{
	if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0))
		return INT64_MIN; /* what CVTTSD2SQ gives, and so Go on amd64 */
	return (int64_t)x;
}
