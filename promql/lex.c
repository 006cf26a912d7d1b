/*
 * lex.c - the PromQL lexer, a transcription of Prometheus's state machine
 * (promql/parser/lex.go, 3.x) into one function per state:
 *
 *   statements      top level: operators, numbers, strings, identifiers and
 *                   keywords, ( ) { [ ] @ , and comments (# to end of line)
 *   inside_braces   label matchers: identifiers (keywords are identifiers
 *                   here), strings, = != =~ !~ , }
 *   duration_expr   right after '[' and after operators inside [...]: the
 *                   duration arithmetic of 3.x (+ - * / % ^ ( ) , : ]), the
 *                   keywords step() range() min() max() min_of() max_of()
 *
 * Upstream quirks kept on purpose because error messages depend on them:
 * the state after a number inside [...] is `statements` (so `[5m x]`
 * reports "unexpected character: 'x', expected ':'"); a ')' that closes
 * nothing and a ':' before any duration are reported at the position after
 * the character; `fill`, `fill_left`, `fill_right` are keywords only when
 * the next non-space character is '('.
 *
 * Invariants: 0 <= start <= pos <= n; once `done` only T_EOF comes out.
 */
#include "promql/lex.h"
#include "lib/utf8.h"
#include "lib/urlenc.h"

#include <stdarg.h>
#include <stdio.h>

#define R_EOF (-2) /* next() at the end of input */

void lex_init(lexer *l, const char *in, int n)
{
	memset(l, 0, sizeof *l);
	l->in = in;
	l->n = n;
}

/* ---- runes ---- */

int32_t promql__utf8_decode(const char *s, int n, int *w) { return utf8_decode(s, n > 0 ? (size_t)n : 0, w); }

static int32_t next(lexer *l, int *w)
{
	if (l->pos >= l->n) {
		*w = 0;
		return R_EOF;
	}
	int32_t r = promql__utf8_decode(l->in + l->pos, l->n - l->pos, w);
	if (r < 0)
		r = 0xfffd; /* Go's utf8.RuneError */
	l->pos += *w;
	return r;
}

static int32_t peek(const lexer *l)
{
	if (l->pos >= l->n)
		return R_EOF;
	int w;
	int32_t r = promql__utf8_decode(l->in + l->pos, l->n - l->pos, &w);
	return r < 0 ? 0xfffd : r;
}

static bool is_space(int32_t r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
static bool is_digit(int32_t r) { return r >= '0' && r <= '9'; }
static bool is_alpha(int32_t r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
static bool is_alnum(int32_t r) { return is_alpha(r) || is_digit(r); }

/* Consume the next byte if it is in set (ASCII sets only). */
static bool accept(lexer *l, const char *set)
{
	if (l->pos < l->n && l->in[l->pos] && strchr(set, l->in[l->pos])) {
		l->pos++;
		return true;
	}
	return false;
}

static bool is_in(const lexer *l, const char *set)
{
	return l->pos < l->n && l->in[l->pos] && strchr(set, l->in[l->pos]);
}

/* ---- quoting (Go's strconv.Quote / QuoteRune) ---- */

static bool rune_printable(int32_t r)
{
	if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa1) || r == 0xad)
		return false;
	if ((r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) || (r >= 0x205f && r <= 0x206f))
		return false;
	if (r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000)
		return false;
	return true;
}

static void put_escaped_rune(buf *b, int32_t r, char quote)
{
	if (r == quote || r == '\\') {
		buf_put_byte(b, '\\');
		buf_put_byte(b, (uint8_t)r);
		return;
	}
	if (rune_printable(r)) {
		char tmp[4];
		int n;
		if (r < 0x80) {
			tmp[0] = (char)r, n = 1;
		} else if (r < 0x800) {
			tmp[0] = (char)(0xc0 | r >> 6), tmp[1] = (char)(0x80 | (r & 0x3f)), n = 2;
		} else if (r < 0x10000) {
			tmp[0] = (char)(0xe0 | r >> 12), tmp[1] = (char)(0x80 | ((r >> 6) & 0x3f));
			tmp[2] = (char)(0x80 | (r & 0x3f)), n = 3;
		} else {
			tmp[0] = (char)(0xf0 | r >> 18), tmp[1] = (char)(0x80 | ((r >> 12) & 0x3f));
			tmp[2] = (char)(0x80 | ((r >> 6) & 0x3f)), tmp[3] = (char)(0x80 | (r & 0x3f)), n = 4;
		}
		buf_put(b, tmp, (size_t)n);
		return;
	}
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char letter[] = "abfnrtv";
	const char *e = r > 0 && r < 0x80 ? strchr(esc, (char)r) : NULL;
	if (e)
		buf_printf(b, "\\%c", letter[e - esc]);
	else if (r < 0x20 || r == 0x7f)
		buf_printf(b, "\\x%02x", (unsigned)r);
	else if (r < 0x10000)
		buf_printf(b, "\\u%04x", (unsigned)r);
	else
		buf_printf(b, "\\U%08x", (unsigned)r);
}

void promql__quote(buf *b, const char *s, size_t n)
{
	buf_put_byte(b, '"');
	size_t i = 0;
	while (i < n) {
		int w;
		int32_t r = promql__utf8_decode(s + i, (int)FL_MIN(n - i, 8), &w);
		if (r < 0)
			buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		else
			put_escaped_rune(b, r, '"');
		i += (size_t)w;
	}
	buf_put_byte(b, '"');
}

void promql__quote_rune(buf *b, int32_t r)
{
	if (r < 0 || r > 0x10ffff)
		r = 0xfffd;
	buf_put_byte(b, '\'');
	put_escaped_rune(b, r, '\'');
	buf_put_byte(b, '\'');
}

/* ---- token emission ---- */

static void emit(lexer *l, token *t, tok_type type)
{
	t->type = type;
	t->pos = l->start;
	t->len = l->pos - l->start;
	l->start = l->pos;
}

/* Upstream's errorf: an error token at `start`; the lexer stops. */
static void errorf(lexer *l, token *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errorf(lexer *l, token *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->errmsg, sizeof l->errmsg, fmt, ap);
	va_end(ap);
	t->type = T_ERROR;
	t->pos = l->start;
	t->len = 0;
	l->done = true;
}

/* errorf with one %q rune argument placed where "%q" appears in pre/post. */
static void error_rune(lexer *l, token *t, const char *pre, int32_t r, const char *post)
{
	buf b;
	buf_init(&b);
	buf_put_str(&b, pre);
	promql__quote_rune(&b, r == R_EOF ? 0xfffd : r);
	buf_put_str(&b, post);
	errorf(l, t, "%s", buf_cstr(&b));
	buf_reset(&b);
}

/* ---- keywords ---- */

static const struct {
	const char *s;
	tok_type t;
} keywords[] = {
	{"and", T_LAND}, {"or", T_LOR}, {"unless", T_LUNLESS}, {"atan2", T_ATAN2},
	{"sum", T_SUM}, {"avg", T_AVG}, {"count", T_COUNT}, {"min", T_MIN}, {"max", T_MAX},
	{"group", T_GROUP}, {"stddev", T_STDDEV}, {"stdvar", T_STDVAR}, {"topk", T_TOPK},
	{"bottomk", T_BOTTOMK}, {"count_values", T_COUNT_VALUES}, {"quantile", T_QUANTILE},
	{"limitk", T_LIMITK}, {"limit_ratio", T_LIMIT_RATIO},
	{"offset", T_OFFSET}, {"smoothed", T_SMOOTHED}, {"anchored", T_ANCHORED}, {"by", T_BY},
	{"without", T_WITHOUT}, {"on", T_ON}, {"ignoring", T_IGNORING}, {"group_left", T_GROUP_LEFT},
	{"group_right", T_GROUP_RIGHT}, {"fill", T_FILL}, {"fill_left", T_FILL_LEFT},
	{"fill_right", T_FILL_RIGHT}, {"bool", T_BOOL},
	{"start", T_START}, {"end", T_END}, {"step", T_STEP}, {"range", T_RANGE},
	{"inf", T_NUMBER}, {"nan", T_NUMBER},
};

static bool word_is(const char *w, int n, const char *kw)
{
	if ((kw[0] ^ w[0]) & ~0x20) /* cheap first-letter reject (ASCII letters) */
		return false;
	for (int i = 0; i < n; i++) {
		if (!kw[i])
			return false;
		char c = w[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return false;
	}
	return kw[n] == 0;
}

static tok_type keyword(const char *w, int n)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(keywords); i++)
		if (word_is(w, n, keywords[i].s))
			return keywords[i].t;
	return T_EOF;
}

const char *lex_type_str(tok_type t)
{
	static const struct {
		tok_type t;
		const char *s;
	} ops[] = {
		{T_ADD, "+"}, {T_SUB, "-"}, {T_MUL, "*"}, {T_DIV, "/"}, {T_MOD, "%"}, {T_POW, "^"},
		{T_EQLC, "=="}, {T_NEQ, "!="}, {T_LSS, "<"}, {T_LTE, "<="}, {T_GTR, ">"}, {T_GTE, ">="},
		{T_EQL_REGEX, "=~"}, {T_NEQ_REGEX, "!~"}, {T_AT, "@"}, {T_TRIM_UPPER, "</"}, {T_TRIM_LOWER, ">/"}, {T_LPAREN, "("}, {T_RPAREN, ")"},
		{T_LBRACE, "{"}, {T_RBRACE, "}"}, {T_LBRACKET, "["}, {T_RBRACKET, "]"}, {T_COMMA, ","},
		{T_EQL, "="}, {T_COLON, ":"}, {T_MIN_OF, "min_of"}, {T_MAX_OF, "max_of"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(ops); i++)
		if (ops[i].t == t)
			return ops[i].s;
	for (size_t i = 0; i < FL_ARRAY_LEN(keywords); i++)
		if (keywords[i].t == t)
			return keywords[i].s;
	return "";
}

/* ---- numbers and durations (scanNumber, acceptRemainingDuration) ---- */

static bool scan_number(lexer *l)
{
	int initial = l->pos;
	const char *digits = "0123456789";
	if (accept(l, "0")) {
		if (accept(l, "xX")) {
			accept(l, "_");
			digits = "0123456789abcdefABCDEF";
		}
	}
	bool hex = digits[10] != 0;
	const char *all = hex ? "0123456789abcdefABCDEF._eE" : "0123456789._eE";
	accept(l, ".");
	accept(l, digits);
	bool dot = false, exp = false;
	while (is_in(l, all)) {
		if (is_in(l, ".") && dot) {
			accept(l, ".");
			return false;
		}
		if (is_in(l, "eE") && exp && !hex) {
			accept(l, "eE");
			return false;
		}
		if (accept(l, ".")) {
			dot = true;
			if (accept(l, "_.") || hex)
				return false;
			continue;
		}
		if (!hex && accept(l, "eE")) {
			exp = true;
			accept(l, "+-");
			if (accept(l, "._eE") || peek(l) == R_EOF)
				return false;
			continue;
		}
		if (accept(l, "_")) {
			if (accept(l, "._eE") || peek(l) == R_EOF)
				return false;
			continue;
		}
		while (accept(l, digits))
			;
	}
	if (l->pos == initial)
		return false;
	return !is_alnum(peek(l));
}

static bool accept_remaining_duration(lexer *l)
{
	if (!accept(l, "smhdwy"))
		return false;
	accept(l, "s");
	while (accept(l, "0123456789")) {
		while (accept(l, "0123456789"))
			;
		if (!accept(l, "smhdw"))
			return false;
		accept(l, "s");
	}
	int w;
	int32_t r = next(l, &w);
	if (is_alnum(r))
		return false; /* the character stays consumed: it is part of the error text */
	l->pos -= w;
	return true;
}

static void lex_number_or_duration(lexer *l, token *t)
{
	if (scan_number(l)) {
		emit(l, t, T_NUMBER);
		return;
	}
	if (accept_remaining_duration(l)) {
		emit(l, t, T_DURATION);
		return;
	}
	/* upstream quotes input[start:pos] with %q */
	buf b;
	buf_init(&b);
	promql__quote(&b, l->in + l->start, (size_t)(l->pos - l->start));
	errorf(l, t, "bad number or duration syntax: %s", buf_cstr(&b));
	buf_reset(&b);
}

/* ---- strings ---- */

/* A digit's value in bases up to 16; 16 for anything else. */
static int digit_val(int32_t c)
{
	int d = c >= 0 && c < 128 ? hex_digit((int)c) : -1;
	return d < 0 ? 16 : d;
}

static void error_escape_u(lexer *l, token *t, const char *pre, int32_t c)
{
	/* Go's %#U: U+0071 'q' (the quoted form only for printable runes) */
	if (c == R_EOF)
		c = 0xfffd;
	char tmp[64];
	int k = snprintf(tmp, sizeof tmp, "%sU+%04X", pre, (unsigned)c);
	buf b;
	buf_init(&b);
	buf_put(&b, tmp, (size_t)k);
	if (rune_printable(c)) {
		buf_put_byte(&b, ' ');
		promql__quote_rune(&b, c);
	}
	errorf(l, t, "%s", buf_cstr(&b));
	buf_reset(&b);
}

/* Returns false after reporting an error. */
static bool lex_escape(lexer *l, token *t, int32_t quote)
{
	int w, n;
	uint32_t base, max;
	int32_t ch = next(l, &w);
	switch (ch) {
	case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\':
		return true;
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		n = 3, base = 8, max = 255;
		break;
	case 'x':
		ch = next(l, &w), n = 2, base = 16, max = 255;
		break;
	case 'u':
		ch = next(l, &w), n = 4, base = 16, max = 0x10ffff;
		break;
	case 'U':
		ch = next(l, &w), n = 8, base = 16, max = 0x10ffff;
		break;
	case R_EOF:
		errorf(l, t, "escape sequence not terminated");
		return false;
	default:
		if (ch == quote)
			return true;
		error_escape_u(l, t, "unknown escape sequence ", ch);
		return false;
	}
	uint32_t x = 0;
	while (n > 0) {
		uint32_t d = (uint32_t)digit_val(ch);
		if (d >= base) {
			if (ch == R_EOF) {
				errorf(l, t, "escape sequence not terminated");
			} else {
				/* upstream: "illegal character %#U in escape sequence" */
				error_escape_u(l, t, "illegal character ", ch);
				size_t k = strlen(l->errmsg);
				snprintf(l->errmsg + k, sizeof l->errmsg - k, " in escape sequence");
			}
			return false;
		}
		x = x * base + d;
		if (--n > 0)
			ch = next(l, &w);
	}
	if (x > max || (x >= 0xd800 && x < 0xe000)) {
		errorf(l, t, "escape sequence is an invalid Unicode code point");
		return false;
	}
	return true;
}

static void lex_string(lexer *l, token *t, int32_t quote)
{
	for (;;) {
		int w;
		int at = l->pos;
		int32_t r = next(l, &w);
		if (r == '\\') {
			if (!lex_escape(l, t, quote))
				return;
			continue;
		}
		if (r == 0xfffd && promql__utf8_decode(l->in + at, l->n - at, &w) < 0) {
			errorf(l, t, "invalid UTF-8 rune");
			return;
		}
		if (r == R_EOF || r == '\n') {
			errorf(l, t, "unterminated quoted string");
			return;
		}
		if (r == quote)
			break;
	}
	emit(l, t, T_STRING);
}

static void lex_raw_string(lexer *l, token *t)
{
	for (;;) {
		int w;
		int at = l->pos;
		int32_t r = next(l, &w);
		if (r == 0xfffd && promql__utf8_decode(l->in + at, l->n - at, &w) < 0) {
			errorf(l, t, "invalid UTF-8 rune");
			return;
		}
		if (r == R_EOF) {
			errorf(l, t, "unterminated raw string");
			return;
		}
		if (r == '`')
			break;
	}
	emit(l, t, T_STRING);
}

/* ---- identifiers ---- */

static bool followed_by_lparen(const lexer *l)
{
	for (int p = l->pos; p < l->n; p++)
		if (!is_space((unsigned char)l->in[p]))
			return l->in[p] == '(';
	return false;
}

static void lex_keyword_or_identifier(lexer *l, token *t)
{
	int w;
	int32_t r;
	bool colon = false;
	while ((r = next(l, &w)), is_alnum(r) || r == ':')
		colon |= r == ':';
	l->pos -= w;
	tok_type kw = keyword(l->in + l->start, l->pos - l->start);
	if (kw == T_FILL || kw == T_FILL_LEFT || kw == T_FILL_RIGHT)
		kw = followed_by_lparen(l) ? kw : T_IDENT;
	if (kw != T_EOF)
		emit(l, t, kw);
	else
		emit(l, t, colon ? T_METRIC_IDENT : T_IDENT);
}

/* scanDurationKeyword: the first letter is consumed already. */
static bool scan_duration_keyword(lexer *l, token *t)
{
	int w;
	while (is_alpha(next(l, &w)))
		;
	l->pos -= w;
	const char *s = l->in + l->start;
	int n = l->pos - l->start;
	static const struct {
		const char *s;
		tok_type t;
	} dk[] = {{"step", T_STEP}, {"range", T_RANGE}, {"min", T_MIN}, {"max", T_MAX},
		  {"min_of", T_MIN_OF}, {"max_of", T_MAX_OF}};
	for (size_t i = 0; i < FL_ARRAY_LEN(dk); i++) {
		if (word_is(s, n, dk[i].s)) {
			emit(l, t, dk[i].t);
			return true;
		}
	}
	return false;
}

static void skip_spaces(lexer *l)
{
	while (is_space(peek(l)))
		l->pos++;
	l->start = l->pos;
}

/* ---- states ---- */

static void lex_comment(lexer *l, token *t)
{
	l->pos++;
	while (l->pos < l->n && l->in[l->pos] != '\n' && l->in[l->pos] != '\r')
		l->pos++;
	emit(l, t, T_COMMENT);
}

static void lex_inside_braces(lexer *l, token *t)
{
	int w;
	int32_t r = next(l, &w);
	if (r == R_EOF) {
		errorf(l, t, "unexpected end of input inside braces");
	} else if (is_space(r)) {
		skip_spaces(l);
		t->type = T_COMMENT; /* nothing emitted: the caller loops */
	} else if (is_alpha(r)) {
		while (is_alnum(next(l, &w)))
			;
		l->pos -= w;
		emit(l, t, T_IDENT);
	} else if (r == ',') {
		emit(l, t, T_COMMA);
	} else if (r == '"' || r == '\'') {
		lex_string(l, t, r);
	} else if (r == '`') {
		lex_raw_string(l, t);
	} else if (r == '=') {
		emit(l, t, accept(l, "~") ? T_EQL_REGEX : T_EQL);
	} else if (r == '!') {
		int32_t nr = next(l, &w);
		if (nr == '~')
			emit(l, t, T_NEQ_REGEX);
		else if (nr == '=')
			emit(l, t, T_NEQ);
		else
			error_rune(l, t, "unexpected character after '!' inside braces: ", nr, "");
	} else if (r == '{') {
		error_rune(l, t, "unexpected left brace ", r, "");
	} else if (r == '}') {
		emit(l, t, T_RBRACE);
		l->brace_open = false;
	} else {
		error_rune(l, t, "unexpected character inside braces: ", r, "");
	}
}

static void lex_duration_expr(lexer *l, token *t)
{
	int w;
	int32_t r = next(l, &w);
	static const char ops[] = "+-*/%^,";
	static const tok_type op_t[] = {T_ADD, T_SUB, T_MUL, T_DIV, T_MOD, T_POW, T_COMMA};
	if (r == R_EOF) {
		errorf(l, t, "unexpected end of input in duration expression");
	} else if (r == ']') {
		emit(l, t, T_RBRACKET);
		l->bracket_open = false;
		l->got_colon = false;
		l->dur_state = false;
	} else if (r == ':') {
		emit(l, t, T_COLON);
		if (!l->got_duration)
			errorf(l, t, "unexpected colon before duration in duration expression");
		else if (l->got_colon)
			errorf(l, t, "unexpected repeated colon in duration expression");
		l->got_colon = true;
	} else if (r == '(') {
		emit(l, t, T_LPAREN);
		l->paren_depth++;
	} else if (r == ')') {
		emit(l, t, T_RPAREN);
		if (--l->paren_depth < 0)
			errorf(l, t, "unexpected right parenthesis ')'");
	} else if (is_space(r)) {
		skip_spaces(l);
		t->type = T_COMMENT; /* nothing emitted: the caller loops */
	} else if (r > 0 && r < 0x80 && strchr(ops, (char)r)) {
		emit(l, t, op_t[strchr(ops, (char)r) - ops]);
	} else if (r == 's' || r == 'S' || r == 'm' || r == 'M' || r == 'r' || r == 'R') {
		if (!scan_duration_keyword(l, t))
			error_rune(l, t, "unexpected character in duration expression: ", r, "");
	} else if (is_digit(r) || (r == '.' && is_digit(peek(l)))) {
		l->pos -= w;
		l->got_duration = true;
		l->dur_state = false;
		lex_number_or_duration(l, t);
	} else {
		error_rune(l, t, "unexpected character in duration expression: ", r, "");
	}
}

static void lex_cmp(lexer *l, token *t, tok_type eq, tok_type trim, tok_type plain)
{
	if (accept(l, "="))
		emit(l, t, eq);
	else if (accept(l, "/"))
		emit(l, t, trim);
	else
		emit(l, t, plain);
}

/* = == != < <= </ > >= >/ (and upstream's errors for =~ and a lone !). */
static void lex_comparison(lexer *l, token *t, int32_t r)
{
	int w;
	if (r == '<') {
		lex_cmp(l, t, T_LTE, T_TRIM_UPPER, T_LSS);
	} else if (r == '>') {
		lex_cmp(l, t, T_GTE, T_TRIM_LOWER, T_GTR);
	} else if (r == '!') {
		int32_t n = next(l, &w);
		if (n != '=')
			error_rune(l, t, "unexpected character after '!': ", n, "");
		else
			emit(l, t, T_NEQ);
	} else {
		int32_t n = peek(l);
		if (n == '=') {
			l->pos++;
			emit(l, t, T_EQLC);
		} else if (n == '~') {
			error_rune(l, t, "unexpected character after '=': ", n, "");
		} else {
			emit(l, t, T_EQL);
		}
	}
}

/* The alphabetic/colon case of lexStatements inside [...]. */
static void lex_bracket_word(lexer *l, token *t, int32_t r)
{
	if (r == ':') {
		if (l->got_colon) {
			error_rune(l, t, "unexpected colon ", r, "");
			return;
		}
		emit(l, t, T_COLON);
		l->got_colon = true;
		return;
	}
	if ((r == 's' || r == 'S' || r == 'm' || r == 'M') && scan_duration_keyword(l, t))
		return;
	buf b;
	buf_init(&b);
	buf_put_str(&b, "unexpected character: ");
	promql__quote_rune(&b, r);
	buf_put_str(&b, ", expected ':'");
	errorf(l, t, "%s", buf_cstr(&b));
	buf_reset(&b);
}

static void lex_statements(lexer *l, token *t)
{
	int w;
	int32_t r = next(l, &w);
	static const char single[] = ",*/%+-^@";
	static const tok_type single_t[] = {T_COMMA, T_MUL, T_DIV, T_MOD, T_ADD, T_SUB, T_POW, T_AT};
	if (r == R_EOF) {
		if (l->paren_depth != 0)
			errorf(l, t, "unclosed left parenthesis");
		else if (l->bracket_open)
			errorf(l, t, "unclosed left bracket");
		else {
			emit(l, t, T_EOF);
			l->done = true;
		}
	} else if (is_space(r)) {
		skip_spaces(l);
		t->type = T_COMMENT;
	} else if (r > 0 && r < 0x80 && strchr(single, (char)r)) {
		emit(l, t, single_t[strchr(single, (char)r) - single]);
	} else if (r == '=' || r == '!' || r == '<' || r == '>') {
		lex_comparison(l, t, r);
	} else if (is_digit(r) || (r == '.' && is_digit(peek(l)))) {
		l->pos -= w;
		lex_number_or_duration(l, t);
	} else if (r == '"' || r == '\'') {
		lex_string(l, t, r);
	} else if (r == '`') {
		lex_raw_string(l, t);
	} else if (is_alpha(r) || r == ':') {
		if (!l->bracket_open) {
			l->pos -= w;
			lex_keyword_or_identifier(l, t);
		} else {
			lex_bracket_word(l, t, r);
		}
	} else if (r == '(') {
		emit(l, t, T_LPAREN);
		l->paren_depth++;
	} else if (r == ')') {
		emit(l, t, T_RPAREN);
		if (--l->paren_depth < 0)
			errorf(l, t, "unexpected right parenthesis ')'");
	} else if (r == '{') {
		emit(l, t, T_LBRACE);
		l->brace_open = true;
	} else if (r == '[') {
		if (l->bracket_open) {
			error_rune(l, t, "unexpected left bracket ", r, "");
			return;
		}
		l->got_colon = false;
		emit(l, t, T_LBRACKET);
		skip_spaces(l);
		l->bracket_open = true;
		l->dur_state = true;
	} else if (r == ']') {
		if (!l->bracket_open) {
			error_rune(l, t, "unexpected right bracket ", r, "");
			return;
		}
		emit(l, t, T_RBRACKET);
		l->bracket_open = false;
	} else {
		error_rune(l, t, "unexpected character: ", r, "");
	}
}

void lex_next(lexer *l, token *t)
{
	if (l->done) {
		t->type = T_EOF;
		t->pos = l->n;
		t->len = 0;
		return;
	}
	do {
		l->start = l->pos;
		t->type = T_COMMENT;
		t->len = -1; /* "nothing emitted" marker for the space cases */
		if (!l->dur_state && l->pos < l->n && l->in[l->pos] == '#')
			lex_comment(l, t); /* comments in both statements and braces */
		else if (l->brace_open)
			lex_inside_braces(l, t);
		else if (l->dur_state)
			lex_duration_expr(l, t);
		else
			lex_statements(l, t);
	} while (t->type == T_COMMENT && t->len < 0);
}

/* ---- descriptions for error messages ---- */

void lex_token_desc(const lexer *l, const token *t, buf *b)
{
	const char *val = l->in + t->pos;
	size_t n = (size_t)t->len;
	switch (t->type) {
	case T_EOF:
		buf_put_str(b, "end of input");
		return;
	case T_ERROR:
		buf_put_str(b, l->errmsg);
		return;
	case T_IDENT:
		buf_put_str(b, "identifier ");
		promql__quote(b, val, n);
		return;
	case T_METRIC_IDENT:
		buf_put_str(b, "metric identifier ");
		promql__quote(b, val, n);
		return;
	case T_NUMBER:
	case T_DURATION:
	case T_STRING:
	case T_COMMENT:
		buf_put_str(b, t->type == T_NUMBER ? "number " : t->type == T_DURATION ? "duration "
			       : t->type == T_STRING ? "string " : "comment ");
		if (n > 10) {
			/* Go's %.10q: the first 10 runes, quoted, then "..." */
			size_t k = 0;
			for (int runes = 0; runes < 10 && k < n; runes++) {
				int w;
				promql__utf8_decode(val + k, (int)(n - k), &w);
				k += (size_t)w;
			}
			promql__quote(b, val, k);
			buf_put_str(b, "...");
		} else {
			promql__quote(b, val, n);
		}
		return;
	default:
		break;
	}
	if (t->type > T_OPS_START && t->type < T_OPS_END) {
		buf_put_str(b, "<op:");
		buf_put(b, val, n);
		buf_put_byte(b, '>');
	} else if (t->type > T_AGG_START && t->type < T_AGG_END) {
		buf_put_str(b, "<aggr:");
		buf_put(b, val, n);
		buf_put_byte(b, '>');
	} else if (t->type > T_KW_START && t->type < T_KW_END) {
		buf_put_byte(b, '<');
		buf_put(b, val, n);
		buf_put_byte(b, '>');
	} else {
		promql__quote(b, val, n);
	}
}
