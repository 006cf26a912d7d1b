/*
 * yaml_out.c - a Go string as gopkg.in/yaml.v2 marshals it in block
 * context, so that /api/v1/status/config prints what Prometheus prints and
 * what it prints loads back the same (issue 14, fuzz_yaml_config).
 *
 * go-yaml's choice (encode.go stringv, emitterc.go analyze_scalar and
 * select_scalar_style), in order:
 *   1. requested style: literal `|` if s holds '\n'; plain if s would read
 *      back as a string (not null "" ~ null, bool y/yes/on/true..., int,
 *      float, timestamp, base-60 float, merge "<<"); double quoted otherwise;
 *   2. a key that spans lines (LF, CR, NEL, LS, PS) is double quoted;
 *   3. plain falls back to single quoted when the text starts or ends with a
 *      space or break, spans lines, or holds indicators (`#`, `: `, a leading
 *      `-`/`?`/`:` before a space or one of ,[]{}&*!|>'"%@`, `---`);
 *   4. single quoted falls back to double quoted for characters outside
 *      YAML's printable set (tab, C0/C1 controls, DEL, NEL, U+FEFF,
 *      non-BMP characters), a space next to a break, or a break before a
 *      space; a literal block also for a trailing space; a key never uses a
 *      literal block.
 * Writers copy go-yaml's: breaks inside quotes are written raw and followed
 * by the indentation (LS/PS in single quotes stay LS/PS, LF is doubled);
 * double quotes escape \0 \a \b \t \n \v \f \r \e \" \\ \N \_ \L \P and
 * \xXX \uXXXX \UXXXXXXXX; past column 80 a single space becomes a line fold.
 * Two go-yaml quirks are kept: a string starting with U+FEFF escapes every
 * character (is_bom tests byte 0), and an empty key is written ''.
 */
#include "scrape/yaml_out.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define BEST_WIDTH 80
#define BEST_INDENT 2

typedef enum style { PLAIN, SINGLE, DOUBLE, LITERAL } style;

typedef struct emitter {
	buf *b;
	int column;     /* characters since the last line break */
	int indent;     /* column of continuation lines */
	bool indention; /* only indentation on this line so far */
	bool whitespace; /* the last character written was whitespace */
} emitter;

/* ---- characters (go-yaml yamlprivateh.go) ---- */

static size_t u8w(unsigned char c) { return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1; }

/* The bytes a b (and c unless 0) at s[i]. */
static bool at(const unsigned char *s, size_t n, size_t i, unsigned char a, unsigned char b, unsigned char c)
{
	if (i + 1 >= n || s[i] != a || s[i + 1] != b)
		return false;
	return !c || (i + 2 < n && s[i + 2] == c);
}

static bool is_break(const unsigned char *s, size_t n, size_t i)
{
	return s[i] == '\r' || s[i] == '\n' || at(s, n, i, 0xC2, 0x85, 0) || at(s, n, i, 0xE2, 0x80, 0xA8) ||
	       at(s, n, i, 0xE2, 0x80, 0xA9);
}

static bool is_printable(const unsigned char *s, size_t n, size_t i)
{
	unsigned char c = s[i], c1 = i + 1 < n ? s[i + 1] : 0, c2 = i + 2 < n ? s[i + 2] : 0;
	return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && c1 >= 0xA0) || (c > 0xC2 && c < 0xED) ||
	       (c == 0xED && c1 < 0xA0) || c == 0xEE ||
	       (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}

/* ---- would the plain text read back as something else than a string? (resolve.go) ---- */

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* Go strconv.ParseInt/ParseUint(s, 0, 64) syntax (range not checked). */
static bool go_int(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && s[1] && strchr("xX", s[1]))
		return all_digits(s + 2, "0123456789abcdefABCDEF");
	if (s[0] == '0' && s[1] && strchr("oO", s[1]))
		return all_digits(s + 2, "01234567");
	if (s[0] == '0' && s[1] && strchr("bB", s[1]))
		return all_digits(s + 2, "01");
	if (s[0] == '0' && s[1])
		return all_digits(s + 1, "01234567");
	return all_digits(s, "0123456789");
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	size_t d = strspn(s, "0123456789");
	if (!d && *s != '.')
		return false;
	s += d;
	if (*s == '.') {
		size_t f = strspn(s + 1, "0123456789");
		if (!d && !f)
			return false;
		s += 1 + f;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		size_t x = strspn(s, "0123456789");
		if (!x)
			return false;
		s += x;
	}
	return !*s;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool base60_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	s += strspn(s, "0123456789_");
	int parts = 0;
	while (*s == ':') {
		s++;
		if (s[0] >= '0' && s[0] <= '5' && isdigit((unsigned char)s[1]))
			s += 2;
		else if (isdigit((unsigned char)*s))
			s++;
		else
			return false;
		parts++;
	}
	if (*s == '.')
		s += 1 + strspn(s + 1, "0123456789_");
	return parts > 0 && !*s;
}

/* YYYY-M-D, alone or before T/t/space and a time (parseTimestamp's forms, loosely). */
static bool timestamp(const char *s)
{
	if (strspn(s, "0123456789") != 4 || s[4] != '-')
		return false;
	s += 5;
	size_t m = strspn(s, "0123456789");
	if (!m || m > 2 || s[m] != '-')
		return false;
	s += m + 1;
	size_t d = strspn(s, "0123456789");
	return d && d <= 2 && (!s[d] || strchr("Tt ", s[d]));
}

static bool resolves_non_string(const char *s)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO",
		"false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN",
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcmp(s, words[i]))
			return true;
	if (base60_float(s))
		return true;
	if (*s == '.')
		return yaml_float(s);
	if (!isdigit((unsigned char)*s) && *s != '+' && *s != '-')
		return false;
	if (timestamp(s))
		return true;
	char plain[128];
	size_t k = 0;
	for (const char *p = s; *p && k + 1 < sizeof plain; p++)
		if (*p != '_')
			plain[k++] = *p;
	plain[k] = 0;
	if (k + 1 >= sizeof plain)
		return yaml_float(s); /* long: only a (digit) float could still resolve */
	return go_int(plain) || yaml_float(plain);
}

/* ---- style (analyze_scalar + select_scalar_style) ---- */

static style choose(const char *str, bool key)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	if (!n)
		return key ? SINGLE : DOUBLE; /* "" resolves to null */
	bool block_ind = n >= 3 && (!strncmp(str, "---", 3) || !strncmp(str, "...", 3));
	bool breaks = false, special = false, lead_sp = false, lead_br = false, trail_sp = false, trail_br = false;
	bool break_space = false, space_break = false, prev_sp = false, prev_br = false, preceded_ws = true;
	for (size_t i = 0, w; i < n; i += w) {
		w = u8w(s[i]);
		bool followed_ws = i + w >= n || s[i + w] == ' ' || s[i + w] == '\t';
		char c = (char)s[i];
		if (i == 0 && strchr("#,[]{}&*!|>'\"%@`", c))
			block_ind = true;
		else if (i == 0 && (c == '?' || c == ':' || c == '-'))
			block_ind |= followed_ws;
		else if (i > 0 && c == ':')
			block_ind |= followed_ws;
		else if (i > 0 && c == '#')
			block_ind |= preceded_ws;
		if (!is_printable(s, n, i))
			special = true;
		if (c == ' ') {
			lead_sp |= i == 0;
			trail_sp |= i + w == n;
			break_space |= prev_br;
			prev_sp = true, prev_br = false;
		} else if (is_break(s, n, i)) {
			breaks = true;
			lead_br |= i == 0;
			trail_br |= i + w == n;
			space_break |= prev_sp;
			prev_sp = false, prev_br = true;
		} else {
			prev_sp = prev_br = false;
		}
		preceded_ws = c == ' ' || c == '\t' || is_break(s, n, i);
	}
	bool plain_ok = !(lead_sp || lead_br || trail_sp || trail_br || break_space || space_break || special ||
			  breaks || block_ind);
	bool single_ok = !(break_space || space_break || special);
	bool block_ok = !(trail_sp || space_break || special);
	style st = strchr(str, '\n') ? LITERAL : resolves_non_string(str) ? DOUBLE : PLAIN;
	if (key && breaks)
		st = DOUBLE;
	if (st == PLAIN && !plain_ok)
		st = SINGLE;
	if (st == SINGLE && !single_ok)
		st = DOUBLE;
	if (st == LITERAL && (!block_ok || key))
		st = DOUBLE;
	return st;
}

/* ---- writers (emitterc.go) ---- */

static void put(emitter *em, char c)
{
	buf_put_byte(em->b, (uint8_t)c);
	em->column++;
}

static void put_break(emitter *em)
{
	buf_put_byte(em->b, '\n');
	em->column = 0;
}

/* Copy the character at s[*i]. */
static void write_char(emitter *em, const unsigned char *s, size_t *i)
{
	size_t w = u8w(s[*i]);
	buf_put(em->b, s + *i, w);
	*i += w;
	em->column++;
}

static void write_break(emitter *em, const unsigned char *s, size_t *i)
{
	if (s[*i] == '\n') {
		put_break(em);
		(*i)++;
	} else {
		write_char(em, s, i);
		em->column = 0;
	}
}

static void write_indent(emitter *em)
{
	if (!em->indention || em->column > em->indent || (em->column == em->indent && !em->whitespace))
		put_break(em);
	while (em->column < em->indent)
		put(em, ' ');
	em->whitespace = em->indention = true;
}

/* Plain and single-quoted text: folds at spaces past column 80, breaks raw. */
static void write_folded(emitter *em, const unsigned char *s, size_t n, bool single)
{
	bool spaces = false, breaks = false;
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ') {
			bool inner = !single || (i > 0 && i + 1 < n);
			if (!spaces && em->column > BEST_WIDTH && inner && !(i + 1 < n && s[i + 1] == ' ')) {
				write_indent(em);
				i++;
			} else {
				write_char(em, s, &i);
			}
			spaces = true;
		} else if (is_break(s, n, i)) {
			if (!breaks && s[i] == '\n')
				put_break(em);
			write_break(em, s, &i);
			em->indention = breaks = true;
		} else {
			if (breaks)
				write_indent(em);
			if (single && s[i] == '\'')
				put(em, '\'');
			write_char(em, s, &i);
			em->indention = spaces = breaks = false;
		}
	}
}

static void write_escape(emitter *em, const unsigned char *s, size_t n, size_t *i)
{
	size_t w = u8w(s[*i]);
	uint32_t v = w == 1 ? s[*i] : s[*i] & (0xFF >> (w + 1));
	for (size_t k = 1; k < w && *i + k < n; k++)
		v = v << 6 | (s[*i + k] & 0x3F);
	*i += w;
	static const struct { uint32_t v; char c; } named[] = {
		{0, '0'}, {7, 'a'}, {8, 'b'}, {9, 't'}, {10, 'n'}, {11, 'v'}, {12, 'f'}, {13, 'r'}, {0x1b, 'e'},
		{'"', '"'}, {'\\', '\\'}, {0x85, 'N'}, {0xA0, '_'}, {0x2028, 'L'}, {0x2029, 'P'},
	};
	put(em, '\\');
	for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
		if (named[k].v == v) {
			put(em, named[k].c);
			return;
		}
	int digits = v <= 0xFF ? 2 : v <= 0xFFFF ? 4 : 8;
	put(em, digits == 2 ? 'x' : digits == 4 ? 'u' : 'U');
	for (int k = (digits - 1) * 4; k >= 0; k -= 4)
		put(em, "0123456789ABCDEF"[(v >> k) & 0xF]);
}

static void write_double(emitter *em, const unsigned char *s, size_t n)
{
	bool bom = n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF; /* go-yaml's is_bom reads byte 0 */
	bool spaces = false;
	put(em, '"');
	for (size_t i = 0; i < n;) {
		if (!is_printable(s, n, i) || bom || is_break(s, n, i) || s[i] == '"' || s[i] == '\\') {
			write_escape(em, s, n, &i);
			spaces = false;
		} else if (s[i] == ' ') {
			if (!spaces && em->column > BEST_WIDTH && i > 0 && i + 1 < n) {
				write_indent(em);
				if (s[i + 1] == ' ')
					put(em, '\\');
				i++;
			} else {
				write_char(em, s, &i);
			}
			spaces = true;
		} else {
			write_char(em, s, &i);
			spaces = false;
		}
	}
	put(em, '"');
}

static void write_literal(emitter *em, const unsigned char *s, size_t n)
{
	put(em, '|');
	if (s[0] == ' ' || is_break(s, n, 0))
		put(em, '0' + BEST_INDENT);
	size_t i = n - 1;
	while (i > 0 && (s[i] & 0xC0) == 0x80)
		i--;
	if (!is_break(s, n, i)) {
		put(em, '-');
	} else if (i == 0) {
		put(em, '+');
	} else {
		i--;
		while (i > 0 && (s[i] & 0xC0) == 0x80)
			i--;
		if (is_break(s, n, i))
			put(em, '+');
	}
	put_break(em);
	em->indention = em->whitespace = true;
	bool breaks = true;
	for (i = 0; i < n;) {
		if (is_break(s, n, i)) {
			write_break(em, s, &i);
			em->indention = breaks = true;
		} else {
			if (breaks)
				write_indent(em);
			write_char(em, s, &i);
			em->indention = breaks = false;
		}
	}
}

/* Characters since the last line break of b (go-yaml counts characters). */
static int current_column(const buf *b)
{
	int col = 0;
	for (size_t i = b->len; i > 0 && b->p[i - 1] != '\n'; i--)
		if ((b->p[i - 1] & 0xC0) != 0x80)
			col++;
	return col;
}

void yaml_out_scalar(buf *b, const char *s, int indent, bool key)
{
	emitter em = {.b = b, .column = current_column(b), .indent = indent, .whitespace = true};
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);
	switch (choose(s, key)) {
	case PLAIN:
		write_folded(&em, u, n, false);
		break;
	case SINGLE:
		put(&em, '\'');
		write_folded(&em, u, n, true);
		put(&em, '\'');
		break;
	case DOUBLE:
		write_double(&em, u, n);
		break;
	case LITERAL:
		write_literal(&em, u, n);
		break;
	}
}

void yaml_out_value_line(buf *b, const char *s, int indent)
{
	yaml_out_scalar(b, s, indent, false);
	if (b->len && b->p[b->len - 1] != '\n')
		buf_put_byte(b, '\n');
}
