/*
 * template_parse.c - the lexer and parser of Go's text/template
 * (src/text/template/parse/lex.go and parse.go), producing the tree of
 * template_int.h.
 *
 * The lexer turns the whole text into an item array first (Go's runs as a
 * goroutine-free state machine handing out one item at a time; an array
 * makes the parser's three-item look-ahead and backup plain index moves).
 * It stops at the first lexical error, which becomes the last item; the
 * parser reports it when it reaches it, as Go's does.
 *
 * Grammar, as parse.go: text and actions; {{- and -}} trim the whitespace
 * beside them; comments (slash-star ... star-slash) are dropped; actions are pipelines (with `$x :=`,
 * `$x =` or, in range, `$k, $v :=`), if/else if/else/end, range/else/end
 * with break and continue, with/else with/else/end, template "name" pipe,
 * block, and define at top level. Identifiers must name a function of
 * tmpl_funcs and variables must have been declared in scope ("undefined
 * variable"), checked here as Go checks them.
 *
 * Errors are Go's: "template: NAME:LINE: MESSAGE". Nesting (parentheses
 * and control structures) is bounded by PARSE_MAX_DEPTH: Go has no bound,
 * a C stack does.
 */
#include "rules/template_int.h"

#include "lib/fmtfloat.h"
#include "lib/utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_MAX_DEPTH 200

typedef enum itype {
	IT_ERROR, IT_EOF, IT_TEXT, IT_LEFT_DELIM, IT_RIGHT_DELIM, IT_SPACE, IT_BOOL, IT_CHAR,
	IT_CHAR_CONSTANT, IT_NUMBER, IT_STRING, IT_RAW_STRING, IT_FIELD, IT_IDENT, IT_VARIABLE,
	IT_PIPE, IT_ASSIGN, IT_DECLARE, IT_LPAREN, IT_RPAREN,
	IT_KEYWORD, /* keywords follow; item strings print them as <word> */
	IT_BLOCK, IT_BREAK, IT_CONTINUE, IT_DOT, IT_DEFINE, IT_ELSE, IT_END, IT_IF, IT_NIL,
	IT_RANGE, IT_TEMPLATE, IT_WITH,
} itype;

typedef struct item {
	itype typ;       /* kind */
	int pos;         /* byte offset in the text */
	const char *val; /* bytes (into the text, or the error message) */
	size_t len;      /* bytes in val */
} item;

typedef struct parser {
	tmpl *t;            /* the template being built */
	const char *s;      /* text */
	size_t n;           /* bytes in text */
	item *items;        /* lexed items (arena) */
	size_t n_items;     /* items lexed */
	size_t cap_items;   /* items allocated */
	size_t cur;         /* next item to read */
	size_t last;        /* the last item read */
	size_t last_hi;     /* the furthest item read or peeked: Go's token[0], whose line errors name */
	const char **vars;  /* variables in scope */
	size_t n_vars;      /* entries in vars */
	size_t cap_vars;    /* entries allocated */
	int range_depth;    /* ranges open (break/continue allowed) */
	int depth;          /* nesting of pipelines and controls */
	int action_line;    /* line of the action being parsed, or 0 */
	const char *tree_name; /* name of the tree being parsed */
	jmp_buf jb;         /* error exit */
	err *e;             /* the error */
} parser;

/* ---- errors ---- */

static int line_of(const char *s, int pos)
{
	int line = 1;
	for (int i = 0; i < pos; i++)
		line += s[i] == '\n';
	return line;
}

static _Noreturn void perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void perr(parser *p, const char *fmt, ...)
{
	char msg[ERR_MSG_CAP];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int pos = p->n_items ? p->items[p->last_hi].pos : 0;
	err_set(p->e, FL_EPARSE, "template: %s:%d: %s", p->t->name, line_of(p->s, pos), msg);
	longjmp(p->jb, 1);
}

/* Go's %q of a string into buf (strconv.Quote). */
static void quote(buf *b, const char *s, size_t n) { fmt_go_quote(b, s, n); }

/* item.String(): EOF, <keyword>, "short", or "first ten"... */
static const char *item_str(parser *p, const item *it, char *out, size_t cap)
{
	if (it->typ == IT_EOF)
		return "EOF";
	if (it->typ == IT_ERROR || it->typ > IT_KEYWORD) {
		snprintf(out, cap, it->typ == IT_ERROR ? "%.*s" : "<%.*s>", (int)it->len, it->val);
		return out;
	}
	buf b;
	buf_init(&b);
	quote(&b, it->val, it->len > 10 ? 10 : it->len);
	if (it->len > 10)
		buf_put_str(&b, "...");
	snprintf(out, cap, "%s", buf_cstr(&b));
	buf_reset(&b);
	(void)p;
	return out;
}

/* ---- lexer (lex.go) ---- */

static void emit(parser *p, itype typ, size_t start, size_t end)
{
	if (p->n_items == p->cap_items) {
		size_t nc = p->cap_items ? p->cap_items * 2 : 64;
		item *ni = arena_alloc(&p->t->a, nc * sizeof *ni);
		if (!ni) {
			err_set(p->e, FL_ENOMEM, "template: %s: out of memory", p->t->name);
			longjmp(p->jb, 1);
		}
		if (p->n_items)
			memcpy(ni, p->items, p->n_items * sizeof *ni);
		p->items = ni;
		p->cap_items = nc;
	}
	p->items[p->n_items++] = (item){typ, (int)start, p->s + start, end - start};
}

static void lex_error(parser *p, size_t start, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lex_error(parser *p, size_t start, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	emit(p, IT_ERROR, start, start);
	item *it = &p->items[p->n_items - 1];
	it->val = arena_strdup(&p->t->a, msg);
	it->len = it->val ? strlen(it->val) : 0;
	if (!it->val)
		it->val = "";
}

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
/* unicode.IsLetter/IsDigit or '_'; non-ASCII bytes count as letters. */
static bool is_alnum(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int at(parser *p, size_t i) { return i < p->n ? (unsigned char)p->s[i] : -1; }
static bool has_prefix(parser *p, size_t i, const char *pre)
{
	size_t n = strlen(pre);
	return i + n <= p->n && !memcmp(p->s + i, pre, n);
}
/* " -}}" or "}}" at i: 2 with trim, 1 without, 0 none. */
static int at_right_delim(parser *p, size_t i)
{
	if (is_space(at(p, i)) && at(p, i + 1) == '-' && has_prefix(p, i + 2, "}}"))
		return 2;
	return has_prefix(p, i, "}}") ? 1 : 0;
}
static size_t skip_space(parser *p, size_t i)
{
	while (i < p->n && is_space(at(p, i)))
		i++;
	return i;
}
static bool at_terminator(parser *p, size_t i)
{
	int c = at(p, i);
	if (is_space(c) || c == -1 || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(')
		return true;
	return has_prefix(p, i, "}}");
}
static void bad_char(parser *p, size_t start, size_t i)
{
	int w;
	int32_t r = utf8_decode(p->s + i, p->n - i, &w);
	if (r < 0)
		r = UTF8_RUNE_ERROR;
	char enc[5] = {0};
	utf8_encode(enc, r);
	lex_error(p, start, "bad character U+%04X '%s'", (unsigned)r, enc);
}

/* Go's scanNumber: the end of the number at i; !*ok when a letter
 * follows (the end then includes it, as Go's message quotes it). */
static size_t scan_number(parser *p, size_t i, bool *ok)
{
	*ok = true;
	const char *digits = "0123456789_";
	if (at(p, i) == '+' || at(p, i) == '-')
		i++;
	if (at(p, i) == '0') {
		i++;
		int c = at(p, i);
		if (c == 'x' || c == 'X')
			digits = "0123456789abcdefABCDEF_", i++;
		else if (c == 'o' || c == 'O')
			digits = "01234567_", i++;
		else if (c == 'b' || c == 'B')
			digits = "01_", i++;
	}
	while (at(p, i) > 0 && strchr(digits, at(p, i)))
		i++;
	if (at(p, i) == '.') {
		i++;
		while (at(p, i) > 0 && strchr(digits, at(p, i)))
			i++;
	}
	size_t nd = strlen(digits);
	if ((nd == 11 && (at(p, i) == 'e' || at(p, i) == 'E')) || (nd == 23 && (at(p, i) == 'p' || at(p, i) == 'P'))) {
		i++;
		if (at(p, i) == '+' || at(p, i) == '-')
			i++;
		while (at(p, i) > 0 && strchr("0123456789_", at(p, i)))
			i++;
	}
	if (at(p, i) == 'i')
		i++;
	if (is_alnum(at(p, i))) {
		*ok = false;
		int w;
		utf8_decode(p->s + i, p->n - i, &w);
		return i + (size_t)w;
	}
	return i;
}

/* Lex one action's insides from i; returns the index after "}}" or
 * (size_t)-1 after emitting an error. */
static size_t lex_action(parser *p, size_t i)
{
	int paren = 0;
	for (;;) {
		int rd = at_right_delim(p, i);
		if (rd) {
			if (paren) {
				lex_error(p, i, "unclosed left paren");
				return (size_t)-1;
			}
			size_t st = i + (rd == 2 ? 2 : 0);
			emit(p, IT_RIGHT_DELIM, st, st + 2);
			i = st + 2;
			return rd == 2 ? skip_space(p, i) : i;
		}
		size_t st = i;
		int c = at(p, i);
		if (c == -1) {
			lex_error(p, st, "unclosed action");
			return (size_t)-1;
		}
		if (is_space(c)) {
			size_t j = skip_space(p, i);
			/* a space that starts " -}}" belongs to the delimiter */
			if (at_right_delim(p, j - 1) == 2) {
				j--;
				if (j == i)
					continue;
			}
			emit(p, IT_SPACE, i, j);
			i = j;
			continue;
		}
		i++;
		switch (c) {
		case '=': emit(p, IT_ASSIGN, st, i); continue;
		case ':':
			if (at(p, i) != '=') {
				lex_error(p, st, "expected :=");
				return (size_t)-1;
			}
			emit(p, IT_DECLARE, st, ++i);
			continue;
		case '|': emit(p, IT_PIPE, st, i); continue;
		case '(': paren++; emit(p, IT_LPAREN, st, i); continue;
		case ')':
			if (--paren < 0) {
				lex_error(p, st, "unexpected right paren");
				return (size_t)-1;
			}
			emit(p, IT_RPAREN, st, i);
			continue;
		case '"':
		case '\'':
			for (;;) {
				int d = at(p, i++);
				if (d == '\\') {
					d = at(p, i++);
					if (d != -1 && d != '\n')
						continue;
				}
				if (d == -1 || d == '\n') {
					lex_error(p, st, c == '"' ? "unterminated quoted string" : "unterminated character constant");
					return (size_t)-1;
				}
				if (d == c)
					break;
			}
			emit(p, c == '"' ? IT_STRING : IT_CHAR_CONSTANT, st, i);
			continue;
		case '`': {
			const char *e = memchr(p->s + i, '`', p->n - i);
			if (!e) {
				lex_error(p, st, "unterminated raw quoted string");
				return (size_t)-1;
			}
			i = (size_t)(e - p->s) + 1;
			emit(p, IT_RAW_STRING, st, i);
			continue;
		}
		case '$':
		case '.':
			if (c == '.' && (i >= p->n || (at(p, i) >= '0' && at(p, i) <= '9')))
				break; /* a number (Go lexes a final "." as one too) */
			if (at_terminator(p, i)) {
				emit(p, c == '$' ? IT_VARIABLE : IT_DOT, st, i);
				continue;
			}
			while (is_alnum(at(p, i)))
				i++;
			if (!at_terminator(p, i)) {
				bad_char(p, st, i);
				return (size_t)-1;
			}
			emit(p, c == '$' ? IT_VARIABLE : IT_FIELD, st, i);
			continue;
		default:
			break;
		}
		if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
			bool ok;
			size_t e = scan_number(p, st, &ok);
			if (!ok) {
				buf b;
				buf_init(&b);
				buf_put_str(&b, "bad number syntax: ");
				quote(&b, p->s + st, e - st);
				lex_error(p, st, "%s", buf_cstr(&b));
				buf_reset(&b);
				return (size_t)-1;
			}
			emit(p, IT_NUMBER, st, e);
			i = e;
			continue;
		}
		if (is_alnum(c)) {
			while (is_alnum(at(p, i)))
				i++;
			if (!at_terminator(p, i)) {
				bad_char(p, st, i);
				return (size_t)-1;
			}
			static const struct { const char *w; itype t; } kw[] = {
				{"block", IT_BLOCK}, {"break", IT_BREAK}, {"continue", IT_CONTINUE}, {"define", IT_DEFINE},
				{"else", IT_ELSE}, {"end", IT_END}, {"if", IT_IF}, {"nil", IT_NIL}, {"range", IT_RANGE},
				{"template", IT_TEMPLATE}, {"with", IT_WITH}, {"true", IT_BOOL}, {"false", IT_BOOL},
			};
			itype t = IT_IDENT;
			for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
				if (strlen(kw[k].w) == i - st && !memcmp(kw[k].w, p->s + st, i - st))
					t = kw[k].t;
			emit(p, t, st, i);
			continue;
		}
		if (c < 0x80 && c > 0x20 && c < 0x7f) {
			emit(p, IT_CHAR, st, i);
			continue;
		}
		int w;
		int32_t r = utf8_decode(p->s + st, p->n - st, &w);
		char enc[5] = {0};
		utf8_encode(enc, r < 0 ? UTF8_RUNE_ERROR : r);
		lex_error(p, st, "unrecognized character in action: U+%04X '%s'", (unsigned)(r < 0 ? UTF8_RUNE_ERROR : r), enc);
		return (size_t)-1;
	}
}

static void lex(parser *p)
{
	size_t i = 0;
	while (i < p->n) {
		const char *d = memmem(p->s + i, p->n - i, "{{", 2);
		size_t x = d ? (size_t)(d - p->s) : p->n;
		bool trim = d && at(p, x + 2) == '-' && is_space(at(p, x + 3));
		size_t te = x;
		if (trim)
			while (te > i && is_space(at(p, te - 1)))
				te--;
		if (te > i)
			emit(p, IT_TEXT, i, te);
		if (!d)
			break;
		size_t j = x + 2 + (trim ? 2 : 0);
		if (has_prefix(p, j, "/*")) {
			const char *ce = memmem(p->s + j + 2, p->n - j - 2, "*/", 2);
			if (!ce) {
				lex_error(p, x, "unclosed comment");
				return;
			}
			j = (size_t)(ce - p->s) + 2;
			int rd = at_right_delim(p, j);
			if (!rd) {
				lex_error(p, x, "comment ends before closing delimiter");
				return;
			}
			j += rd == 2 ? 4 : 2;
			i = rd == 2 ? skip_space(p, j) : j;
			continue;
		}
		emit(p, IT_LEFT_DELIM, x, x + 2);
		i = lex_action(p, j);
		if (i == (size_t)-1)
			return;
	}
	emit(p, IT_EOF, p->n, p->n);
}

/* ---- items for the parser ---- */

static item *next(parser *p)
{
	item *it = &p->items[p->cur];
	p->last = p->cur;
	if (p->cur > p->last_hi)
		p->last_hi = p->cur;
	if (p->cur + 1 < p->n_items)
		p->cur++;
	if (it->typ == IT_ERROR) {
		int line = line_of(p->s, it->pos);
		if (p->action_line && p->action_line != line) {
			bool act = it->len >= 7 && !memcmp(it->val + it->len - 7, " action", 7);
			perr(p, "%.*s%s %s:%d", (int)it->len, it->val, act ? " started at" : " in action started at",
			     p->tree_name, p->action_line);
		}
		perr(p, "%.*s", (int)it->len, it->val);
	}
	return it;
}
static void backup(parser *p, size_t to) { p->cur = to; }
static item *peek(parser *p)
{
	if (p->cur > p->last_hi)
		p->last_hi = p->cur;
	return &p->items[p->cur];
}
static item *next_non_space(parser *p)
{
	item *it;
	do
		it = next(p);
	while (it->typ == IT_SPACE);
	return it;
}
static item *peek_non_space(parser *p)
{
	size_t save = p->cur, last = p->last;
	item *it = next_non_space(p);
	p->cur = (size_t)(it - p->items);
	p->last = last;
	(void)save;
	return it;
}

static _Noreturn void unexpected(parser *p, const item *it, const char *context)
{
	char b[64];
	perr(p, "unexpected %s in %s", item_str(p, it, b, sizeof b), context);
}
static item *expect(parser *p, itype t, const char *context)
{
	item *it = next_non_space(p);
	if (it->typ != t)
		unexpected(p, it, context);
	return it;
}

/* ---- nodes ---- */

static void *palloc(parser *p, size_t n)
{
	void *v = arena_calloc(&p->t->a, 1, n);
	if (!v) {
		err_set(p->e, FL_ENOMEM, "template: %s: out of memory", p->t->name);
		longjmp(p->jb, 1);
	}
	return v;
}
static char *pstrndup(parser *p, const char *s, size_t n)
{
	char *c = palloc(p, n + 1);
	memcpy(c, s, n);
	return c;
}
static tnode *new_node(parser *p, tnode_kind k, int pos)
{
	tnode *n = palloc(p, sizeof *n);
	n->kind = k;
	n->pos = pos;
	return n;
}
static void add_kid(parser *p, tnode *parent, tnode *kid)
{
	if ((parent->n_kids & (parent->n_kids - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
		size_t nc = parent->n_kids ? parent->n_kids * 2 : 1;
		tnode **nk = palloc(p, nc * sizeof *nk);
		if (parent->n_kids)
			memcpy(nk, parent->kids, parent->n_kids * sizeof *nk);
		parent->kids = nk;
	}
	parent->kids[parent->n_kids++] = kid;
}
static void add_ident(parser *p, tnode *n, const char *s, size_t len)
{
	const char **ni = palloc(p, (n->n_idents + 1) * sizeof *ni);
	if (n->n_idents)
		memcpy(ni, n->idents, n->n_idents * sizeof *ni);
	ni[n->n_idents++] = pstrndup(p, s, len);
	n->idents = ni;
}
/* "a.b.c" (a field's or a variable's text) split at dots into idents. */
static void split_idents(parser *p, tnode *n, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '.')
			j++;
		add_ident(p, n, s + i, j - i);
		i = j + 1;
	}
}

/* strconv.Unquote of a "..." or `...` or '...' token into *out (arena).
 * false on bad syntax. */
static bool unquote(parser *p, const char *s, size_t n, char **out, size_t *out_len)
{
	char *o = palloc(p, n + 1);
	size_t k = 0;
	if (s[0] == '`') {
		for (size_t i = 1; i + 1 < n; i++)
			if (s[i] != '\r')
				o[k++] = s[i];
		*out = o, *out_len = k;
		return true;
	}
	char q = s[0];
	for (size_t i = 1; i + 1 < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == (unsigned char)q)
			return false;
		if (c != '\\') {
			o[k++] = s[i++];
			continue;
		}
		if (i + 2 >= n)
			return false;
		c = (unsigned char)s[++i];
		i++;
		const char *simple = strchr("abfnrtv\\'\"", c);
		if (c && simple) {
			if ((c == '\'' && q != '\'') || (c == '"' && q != '"'))
				return false;
			static const char map[] = "\a\b\f\n\r\t\v\\'\"";
			o[k++] = map[simple - "abfnrtv\\'\""];
			continue;
		}
		int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : (c >= '0' && c <= '7') ? 3 : 0;
		if (!digits)
			return false;
		if (c >= '0' && c <= '7')
			i--;
		uint32_t v = 0;
		for (int d = 0; d < digits; d++, i++) {
			if (i + 1 >= n)
				return false;
			int h = (unsigned char)s[i];
			int val = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99;
			if (val >= (c >= '0' && c <= '7' ? 8 : 16))
				return false;
			v = v * (c >= '0' && c <= '7' ? 8 : 16) + (uint32_t)val;
		}
		if (c == 'x' || (c >= '0' && c <= '7')) {
			if (v > 255)
				return false;
			o[k++] = (char)v;
		} else {
			if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
				return false;
			k += (size_t)utf8_encode(o + k, (int32_t)v);
		}
	}
	if (q == '\'') {
		int w;
		if (k == 0 || utf8_decode(o, k, &w) < 0 ? k != 1 : (size_t)w != k)
			return false;
	}
	*out = o, *out_len = k;
	return true;
}

/* Go's strconv.ParseInt(s, 0, 64) (base prefix, underscores). */
static bool parse_int(const char *s, size_t n, int64_t *v, bool *overflow)
{
	size_t i = 0;
	bool neg = false;
	*overflow = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	int base = 10;
	if (i + 1 < n && s[i] == '0') {
		char c = s[i + 1];
		if (c == 'x' || c == 'X')
			base = 16, i += 2;
		else if (c == 'o' || c == 'O')
			base = 8, i += 2;
		else if (c == 'b' || c == 'B')
			base = 2, i += 2;
		else
			base = 8, i++;
	}
	if (i >= n && base != 8)
		return false;
	uint64_t u = 0;
	bool any = base == 8 && s[i - 1] == '0';
	for (; i < n; i++) {
		char c = s[i];
		if (c == '_')
			continue;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
		if (d >= base)
			return false;
		if (u > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			*overflow = true;
		u = u * (uint64_t)base + (uint64_t)d;
		any = true;
	}
	if (!any)
		return false;
	if (*overflow || u > (uint64_t)INT64_MAX + neg) {
		*overflow = true;
		return false;
	}
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

static tnode *new_number(parser *p, const item *it)
{
	tnode *n = new_node(p, TN_NUMBER, it->pos);
	n->quoted = n->s = pstrndup(p, it->val, it->len);
	n->s_len = it->len;
	if (it->typ == IT_CHAR_CONSTANT) {
		char *u;
		size_t ul;
		if (!unquote(p, it->val, it->len, &u, &ul))
			perr(p, "malformed character constant: %.*s", (int)it->len, it->val);
		int w;
		int32_t r = utf8_decode(u, ul, &w);
		n->is_int = n->is_float = true;
		n->i = r < 0 ? (unsigned char)u[0] : r;
		n->f = (double)n->i;
		return n;
	}
	if (it->val[it->len - 1] == 'i')
		perr(p, "complex numbers are not supported: %s", n->s);
	bool ovf;
	if (parse_int(it->val, it->len, &n->i, &ovf)) {
		n->is_int = n->is_float = true;
		n->f = (double)n->i;
		return n;
	}
	char tmp[128];
	size_t k = 0;
	for (size_t i = 0; i < it->len && k + 1 < sizeof tmp; i++)
		if (it->val[i] != '_')
			tmp[k++] = it->val[i];
	tmp[k] = 0;
	char *end;
	double f = strtod(tmp, &end);
	bool fl_ok = *end == 0 && k && !strpbrk(tmp, "nN") && !(strpbrk(tmp, "xX") && !strpbrk(tmp, "pP"));
	if (fl_ok) {
		if (!strpbrk(n->s, ".eEpP"))
			perr(p, "integer overflow: \"%s\"", n->s);
		n->is_float = true;
		n->f = f;
		if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(int64_t)f == f)
			n->is_int = true, n->i = (int64_t)f;
		return n;
	}
	if (ovf && !strpbrk(n->s, ".eEpP") && n->s[0] != '-')
		perr(p, "integer overflow: \"%s\"", n->s); /* a uint64 number; templates can't use it */
	perr(p, "illegal number syntax: \"%s\"", n->s);
}

/* ---- the parser (parse.go) ---- */

static tnode *pipeline(parser *p, const char *context, itype end);
static tnode *text_or_action(parser *p);

static void push_var(parser *p, const char *name)
{
	if (p->n_vars == p->cap_vars) {
		size_t nc = p->cap_vars ? p->cap_vars * 2 : 16;
		const char **nv = palloc(p, nc * sizeof *nv);
		if (p->n_vars)
			memcpy(nv, p->vars, p->n_vars * sizeof *nv);
		p->vars = nv;
		p->cap_vars = nc;
	}
	p->vars[p->n_vars++] = name;
}

static void enter(parser *p)
{
	if (++p->depth > PARSE_MAX_DEPTH)
		perr(p, "template nested too deeply (more than %d levels)", PARSE_MAX_DEPTH);
}

static tnode *term(parser *p)
{
	item *it = next_non_space(p);
	tnode *n;
	switch (it->typ) {
	case IT_IDENT: {
		char *name = pstrndup(p, it->val, it->len);
		int fn = tmpl__func_find(name);
		if (fn < 0)
			perr(p, "function \"%s\" not defined", name);
		n = new_node(p, TN_IDENT, it->pos);
		n->s = name;
		n->s_len = it->len;
		n->fn = fn;
		return n;
	}
	case IT_DOT: return new_node(p, TN_DOT, it->pos);
	case IT_NIL: return new_node(p, TN_NIL, it->pos);
	case IT_VARIABLE: {
		n = new_node(p, TN_VARIABLE, it->pos);
		add_ident(p, n, it->val, it->len);
		for (size_t i = p->n_vars; i-- > 0;)
			if (!strcmp(p->vars[i], n->idents[0]))
				return n;
		perr(p, "undefined variable \"%s\"", n->idents[0]);
	}
	case IT_FIELD:
		n = new_node(p, TN_FIELD, it->pos);
		split_idents(p, n, it->val + 1, it->len - 1);
		return n;
	case IT_BOOL:
		n = new_node(p, TN_BOOL, it->pos);
		n->b = it->val[0] == 't';
		return n;
	case IT_CHAR_CONSTANT:
	case IT_NUMBER: return new_number(p, it);
	case IT_LPAREN:
		enter(p);
		n = pipeline(p, "parenthesized pipeline", IT_RPAREN);
		p->depth--;
		return n;
	case IT_STRING:
	case IT_RAW_STRING: {
		n = new_node(p, TN_STRING, it->pos);
		n->quoted = pstrndup(p, it->val, it->len);
		char *u;
		if (!unquote(p, it->val, it->len, &u, &n->s_len))
			perr(p, "invalid syntax");
		n->s = u;
		return n;
	}
	default:
		backup(p, (size_t)(it - p->items));
		return NULL;
	}
}

static tnode *operand(parser *p)
{
	tnode *n = term(p);
	if (!n || peek(p)->typ != IT_FIELD)
		return n;
	tnode *chain = new_node(p, TN_CHAIN, peek(p)->pos);
	chain->chain_node = n;
	while (peek(p)->typ == IT_FIELD) {
		item *f = next(p);
		add_ident(p, chain, f->val + 1, f->len - 1);
	}
	switch (n->kind) {
	case TN_FIELD:
	case TN_VARIABLE: {
		/* more fields on the original node */
		for (size_t i = 0; i < chain->n_idents; i++)
			add_ident(p, n, chain->idents[i], strlen(chain->idents[i]));
		n->pos = chain->pos;
		return n;
	}
	case TN_BOOL:
	case TN_STRING:
	case TN_NUMBER:
	case TN_NIL:
	case TN_DOT: {
		buf b;
		buf_init(&b);
		tmpl__node_string(&b, n);
		char s[128];
		snprintf(s, sizeof s, "%s", buf_cstr(&b));
		buf_reset(&b);
		buf_init(&b);
		quote(&b, s, strlen(s));
		snprintf(s, sizeof s, "%s", buf_cstr(&b));
		buf_reset(&b);
		perr(p, "unexpected . after term %s", s);
	}
	default: return chain;
	}
}

static tnode *command(parser *p)
{
	tnode *cmd = new_node(p, TN_COMMAND, peek_non_space(p)->pos);
	for (;;) {
		peek_non_space(p);
		tnode *o = operand(p);
		if (o)
			add_kid(p, cmd, o);
		item *it = next(p);
		if (it->typ == IT_SPACE)
			continue;
		if (it->typ == IT_RIGHT_DELIM || it->typ == IT_RPAREN)
			backup(p, (size_t)(it - p->items));
		else if (it->typ != IT_PIPE)
			unexpected(p, it, "operand");
		break;
	}
	if (!cmd->n_kids)
		perr(p, "empty command");
	return cmd;
}

static tnode *pipeline(parser *p, const char *context, itype end)
{
	tnode *pipe = new_node(p, TN_PIPE, peek_non_space(p)->pos);
decls:;
	item *v = peek_non_space(p);
	if (v->typ == IT_VARIABLE) {
		next(p);
		size_t after = p->cur;
		item *ta = peek(p);
		item *nx = peek_non_space(p);
		if (nx->typ == IT_ASSIGN || nx->typ == IT_DECLARE) {
			pipe->is_assign = nx->typ == IT_ASSIGN;
			next_non_space(p);
			add_ident(p, pipe, v->val, v->len);
			push_var(p, pipe->idents[pipe->n_idents - 1]);
		} else if (nx->typ == IT_CHAR && nx->len == 1 && nx->val[0] == ',') {
			next_non_space(p);
			add_ident(p, pipe, v->val, v->len);
			push_var(p, pipe->idents[pipe->n_idents - 1]);
			if (!strcmp(context, "range") && pipe->n_idents < 2) {
				itype t = peek_non_space(p)->typ;
				if (t == IT_VARIABLE || t == IT_RIGHT_DELIM || t == IT_RPAREN)
					goto decls;
				perr(p, "range can only initialize variables");
			}
			perr(p, "too many declarations in %s", context);
		} else if (ta->typ == IT_SPACE) {
			backup(p, after - 1);
		} else {
			backup(p, after - 1);
		}
	}
	for (;;) {
		item *it = next_non_space(p);
		if (it->typ == end) {
			if (!pipe->n_kids)
				perr(p, "missing value for %s", context);
			for (size_t i = 1; i < pipe->n_kids; i++) {
				tnode_kind k = pipe->kids[i]->kids[0]->kind;
				if (k == TN_BOOL || k == TN_DOT || k == TN_NIL || k == TN_NUMBER || k == TN_STRING)
					perr(p, "non executable command in pipeline stage %zu", i + 1);
			}
			return pipe;
		}
		switch (it->typ) {
		case IT_BOOL: case IT_CHAR_CONSTANT: case IT_DOT: case IT_FIELD: case IT_IDENT: case IT_NUMBER:
		case IT_NIL: case IT_RAW_STRING: case IT_STRING: case IT_VARIABLE: case IT_LPAREN:
			backup(p, (size_t)(it - p->items));
			add_kid(p, pipe, command(p));
			break;
		default: unexpected(p, it, context);
		}
	}
}

static tnode *item_list(parser *p, tnode **next_node)
{
	tnode *list = new_node(p, TN_LIST, peek_non_space(p)->pos);
	while (peek_non_space(p)->typ != IT_EOF) {
		tnode *n = text_or_action(p);
		if (n && (n->kind == TN__END || n->kind == TN__ELSE)) {
			*next_node = n;
			return list;
		}
		if (n)
			add_kid(p, list, n);
	}
	perr(p, "unexpected EOF");
}

static const char *node_name(const tnode *n) { return n->kind == TN__END ? "{{end}}" : "{{else}}"; }

/* if, range and with: pipeline, list, optional else (else if / else with chains). */
static tnode *control(parser *p, tnode_kind kind, const char *context, int pos)
{
	enter(p);
	size_t mark = p->n_vars;
	tnode *n = new_node(p, kind, pos);
	n->pipe = pipeline(p, context, IT_RIGHT_DELIM);
	n->pos = n->pipe->pos;
	tnode *nx = NULL;
	if (kind == TN_RANGE)
		p->range_depth++;
	n->list = item_list(p, &nx);
	if (kind == TN_RANGE)
		p->range_depth--;
	if (nx->kind == TN__ELSE) {
		itype chain = kind == TN_IF ? IT_IF : kind == TN_WITH ? IT_WITH : IT_EOF;
		if (chain != IT_EOF && peek(p)->typ == chain) {
			item *kw = next(p);
			n->else_list = new_node(p, TN_LIST, nx->pos);
			add_kid(p, n->else_list, control(p, kind, context, kw->pos));
		} else {
			n->else_list = item_list(p, &nx);
			if (nx->kind != TN__END)
				perr(p, "expected end; found %s", node_name(nx));
		}
	}
	p->n_vars = mark;
	p->depth--;
	return n;
}

static const char *template_name(parser *p, const item *it, const char *context, size_t *len)
{
	if (it->typ != IT_STRING && it->typ != IT_RAW_STRING)
		unexpected(p, it, context);
	char *u;
	if (!unquote(p, it->val, it->len, &u, len))
		perr(p, "invalid syntax");
	return u;
}

static void add_tree(parser *p, const char *name, tnode *root);

static tnode *template_control(parser *p, bool block, int pos)
{
	const char *context = block ? "block clause" : "template clause";
	item *tok = next_non_space(p);
	size_t nl;
	const char *name = template_name(p, tok, context, &nl);
	tnode *n = new_node(p, TN_TEMPLATE, tok->pos);
	n->s = name;
	n->s_len = nl;
	if (block) {
		n->pipe = pipeline(p, context, IT_RIGHT_DELIM);
		/* the body is a definition of its own, with its own variables */
		size_t mark = p->n_vars;
		const char *saved = p->tree_name;
		int rd = p->range_depth;
		p->range_depth = 0;
		push_var(p, "$");
		tnode *end = NULL;
		enter(p);
		tnode *root = item_list(p, &end);
		p->depth--;
		if (end->kind != TN__END)
			perr(p, "unexpected %s in %s", node_name(end), context);
		p->n_vars = mark;
		p->range_depth = rd;
		p->tree_name = saved;
		add_tree(p, name, root);
	} else if (next_non_space(p)->typ != IT_RIGHT_DELIM) {
		backup(p, p->last);
		n->pipe = pipeline(p, context, IT_RIGHT_DELIM);
	}
	(void)pos;
	return n;
}

static tnode *action(parser *p)
{
	item *it = next_non_space(p);
	switch (it->typ) {
	case IT_BLOCK: return template_control(p, true, it->pos);
	case IT_BREAK:
	case IT_CONTINUE: {
		bool brk = it->typ == IT_BREAK;
		item *d = next_non_space(p);
		if (d->typ != IT_RIGHT_DELIM)
			unexpected(p, d, brk ? "{{break}}" : "{{continue}}");
		if (!p->range_depth)
			perr(p, "%s outside {{range}}", brk ? "{{break}}" : "{{continue}}");
		return new_node(p, brk ? TN_BREAK : TN_CONTINUE, it->pos);
	}
	case IT_ELSE: {
		item *pk = peek_non_space(p);
		if (pk->typ == IT_IF || pk->typ == IT_WITH)
			return new_node(p, TN__ELSE, pk->pos);
		return new_node(p, TN__ELSE, expect(p, IT_RIGHT_DELIM, "else")->pos);
	}
	case IT_END: return new_node(p, TN__END, expect(p, IT_RIGHT_DELIM, "end")->pos);
	case IT_IF: return control(p, TN_IF, "if", it->pos);
	case IT_RANGE: return control(p, TN_RANGE, "range", it->pos);
	case IT_WITH: return control(p, TN_WITH, "with", it->pos);
	case IT_TEMPLATE: return template_control(p, false, it->pos);
	default: break;
	}
	backup(p, (size_t)(it - p->items));
	tnode *n = new_node(p, TN_ACTION, it->pos);
	n->pipe = pipeline(p, "command", IT_RIGHT_DELIM);
	return n;
}

static tnode *text_or_action(parser *p)
{
	item *it = next_non_space(p);
	switch (it->typ) {
	case IT_TEXT: {
		tnode *n = new_node(p, TN_TEXT, it->pos);
		n->s = it->val;
		n->s_len = it->len;
		return n;
	}
	case IT_LEFT_DELIM: {
		p->action_line = line_of(p->s, it->pos);
		tnode *n = action(p);
		p->action_line = 0;
		return n;
	}
	default: unexpected(p, it, "input");
	}
}

/* parse.IsEmptyTree: only whitespace text. */
static bool is_empty_tree(const tnode *n)
{
	if (!n)
		return true;
	if (n->kind == TN_LIST) {
		for (size_t i = 0; i < n->n_kids; i++)
			if (!is_empty_tree(n->kids[i]))
				return false;
		return true;
	}
	if (n->kind == TN_TEXT) {
		for (size_t i = 0; i < n->s_len; i++)
			if (!is_space((unsigned char)n->s[i]))
				return false;
		return true;
	}
	return false;
}

static void add_tree(parser *p, const char *name, tnode *root)
{
	tmpl *t = p->t;
	for (size_t i = 0; i < t->n_trees; i++) {
		if (strcmp(t->trees[i].name, name))
			continue;
		if (is_empty_tree(t->trees[i].root)) {
			t->trees[i].root = root;
			return;
		}
		if (!is_empty_tree(root))
			perr(p, "template: multiple definition of template \"%s\"", name);
		return;
	}
	tmpl_tree *nt = palloc(p, (t->n_trees + 1) * sizeof *nt);
	if (t->n_trees)
		memcpy(nt, t->trees, t->n_trees * sizeof *nt);
	nt[t->n_trees++] = (tmpl_tree){name, root};
	t->trees = nt;
}

static void parse_definition(parser *p)
{
	item *tok = next_non_space(p);
	size_t nl;
	const char *name = template_name(p, tok, "define clause", &nl);
	expect(p, IT_RIGHT_DELIM, "define clause");
	size_t mark = p->n_vars;
	const char *saved = p->tree_name;
	p->tree_name = name;
	push_var(p, "$");
	tnode *end = NULL;
	tnode *root = item_list(p, &end);
	if (end->kind != TN__END)
		perr(p, "unexpected %s in define clause", node_name(end));
	p->n_vars = mark;
	p->tree_name = saved;
	add_tree(p, name, root);
}

static void parse_all(parser *p)
{
	lex(p);
	tnode *root = new_node(p, TN_LIST, 0);
	p->t->trees = palloc(p, sizeof *p->t->trees);
	p->t->trees[0] = (tmpl_tree){p->t->name, root};
	p->t->n_trees = 1;
	push_var(p, "$");
	while (peek(p)->typ != IT_EOF) {
		if (peek(p)->typ == IT_LEFT_DELIM) {
			size_t delim = p->cur;
			next(p);
			if (next_non_space(p)->typ == IT_DEFINE) {
				p->action_line = line_of(p->s, p->items[delim].pos);
				parse_definition(p);
				p->action_line = 0;
				continue;
			}
			backup(p, delim);
		}
		tnode *n = text_or_action(p);
		if (n && (n->kind == TN__END || n->kind == TN__ELSE))
			perr(p, "unexpected %s", node_name(n));
		if (n)
			add_kid(p, root, n);
	}
}

/* Prometheus's alerting-rule preamble (rules/alerting.go). */
static const char defs[] = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
			   "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

tmpl *tmpl_parse(const char *name, const char *src, err *e)
{
	tmpl *t = fl_malloc(sizeof *t);
	if (!t) {
		err_set(e, FL_ENOMEM, "template: out of memory");
		return NULL;
	}
	memset(t, 0, sizeof *t);
	arena_init(&t->a);
	size_t nn = strlen(name), sl = strlen(src);
	char *nm = arena_alloc(&t->a, nn + 9);
	char *text = arena_alloc(&t->a, sizeof defs + sl);
	if (!nm || !text) {
		tmpl_free(t);
		err_set(e, FL_ENOMEM, "template: out of memory");
		return NULL;
	}
	memcpy(nm, "__alert_", 8);
	memcpy(nm + 8, name, nn + 1);
	memcpy(text, defs, sizeof defs - 1);
	memcpy(text + sizeof defs - 1, src, sl + 1);
	t->name = nm;
	t->text = text;
	t->text_len = sizeof defs - 1 + sl;
	parser *p = fl_malloc(sizeof *p);
	if (!p) {
		tmpl_free(t);
		err_set(e, FL_ENOMEM, "template: out of memory");
		return NULL;
	}
	memset(p, 0, sizeof *p);
	p->t = t;
	p->s = text;
	p->n = t->text_len;
	p->e = e;
	p->tree_name = t->name;
	if (setjmp(p->jb)) {
		fl_free(p);
		tmpl_free(t);
		return NULL;
	}
	parse_all(p);
	fl_free(p);
	return t;
}

void tmpl_free(tmpl *t)
{
	if (!t)
		return;
	arena_reset(&t->a);
	fl_free(t);
}

/* ---- node text (node.go String methods), for messages ---- */

static void control_string(buf *b, const char *kw, const tnode *n)
{
	buf_printf(b, "{{%s ", kw);
	tmpl__node_string(b, n->pipe);
	buf_put_str(b, "}}");
	tmpl__node_string(b, n->list);
	if (n->else_list) {
		buf_put_str(b, "{{else}}");
		tmpl__node_string(b, n->else_list);
	}
	buf_put_str(b, "{{end}}");
}

void tmpl__node_string(buf *b, const tnode *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case TN_TEXT: buf_put(b, n->s, n->s_len); break;
	case TN_ACTION:
		buf_put_str(b, "{{");
		tmpl__node_string(b, n->pipe);
		buf_put_str(b, "}}");
		break;
	case TN_IF: control_string(b, "if", n); break;
	case TN_RANGE: control_string(b, "range", n); break;
	case TN_WITH: control_string(b, "with", n); break;
	case TN_TEMPLATE:
		buf_put_str(b, "{{template ");
		fmt_go_quote(b, n->s, n->s_len);
		if (n->pipe) {
			buf_put_byte(b, ' ');
			tmpl__node_string(b, n->pipe);
		}
		buf_put_str(b, "}}");
		break;
	case TN_BREAK: buf_put_str(b, "{{break}}"); break;
	case TN_CONTINUE: buf_put_str(b, "{{continue}}"); break;
	case TN_LIST:
		for (size_t i = 0; i < n->n_kids; i++)
			tmpl__node_string(b, n->kids[i]);
		break;
	case TN_PIPE:
		for (size_t i = 0; i < n->n_idents; i++) {
			if (i)
				buf_put_str(b, ", ");
			buf_put_str(b, n->idents[i]);
		}
		if (n->n_idents)
			buf_put_str(b, n->is_assign ? " = " : " := ");
		for (size_t i = 0; i < n->n_kids; i++) {
			if (i)
				buf_put_str(b, " | ");
			tmpl__node_string(b, n->kids[i]);
		}
		break;
	case TN_COMMAND:
		for (size_t i = 0; i < n->n_kids; i++) {
			if (i)
				buf_put_byte(b, ' ');
			bool paren = n->kids[i]->kind == TN_PIPE;
			if (paren)
				buf_put_byte(b, '(');
			tmpl__node_string(b, n->kids[i]);
			if (paren)
				buf_put_byte(b, ')');
		}
		break;
	case TN_FIELD:
		for (size_t i = 0; i < n->n_idents; i++) {
			buf_put_byte(b, '.');
			buf_put_str(b, n->idents[i]);
		}
		break;
	case TN_VARIABLE:
		for (size_t i = 0; i < n->n_idents; i++) {
			if (i)
				buf_put_byte(b, '.');
			buf_put_str(b, n->idents[i]);
		}
		break;
	case TN_CHAIN: {
		bool paren = n->chain_node->kind == TN_PIPE;
		if (paren)
			buf_put_byte(b, '(');
		tmpl__node_string(b, n->chain_node);
		if (paren)
			buf_put_byte(b, ')');
		for (size_t i = 0; i < n->n_idents; i++) {
			buf_put_byte(b, '.');
			buf_put_str(b, n->idents[i]);
		}
		break;
	}
	case TN_IDENT: buf_put_str(b, n->s); break;
	case TN_DOT: buf_put_byte(b, '.'); break;
	case TN_NIL: buf_put_str(b, "nil"); break;
	case TN_BOOL: buf_put_str(b, n->b ? "true" : "false"); break;
	case TN_NUMBER:
	case TN_STRING: buf_put_str(b, n->quoted); break;
	case TN__END: buf_put_str(b, "{{end}}"); break;
	case TN__ELSE: buf_put_str(b, "{{else}}"); break;
	}
}

void tmpl__error_context(buf *b, const tmpl *t, const tnode *n, const char *name)
{
	int pos = n->pos, line = 1, ls = 0;
	for (int i = 0; i < pos && (size_t)i < t->text_len; i++)
		if (t->text[i] == '\n')
			line++, ls = i + 1;
	buf ctx;
	buf_init(&ctx);
	tmpl__node_string(&ctx, n);
	buf_printf(b, "template: %s:%d:%d: executing ", t->name, line, pos - ls);
	fmt_go_quote(b, name, strlen(name));
	buf_put_str(b, " at <");
	if (ctx.len > 20) {
		buf_put(b, ctx.p, 20);
		buf_put_str(b, "...");
	} else {
		buf_put(b, ctx.p, ctx.len);
	}
	buf_put_str(b, ">: ");
	buf_reset(&ctx);
}
