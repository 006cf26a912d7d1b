/*
 * jsonr.c - the JSON pull reader (jsonr.h).
 *
 * The reader keeps one flag per open container, "no element yet", so that
 * jsonr_obj_key and jsonr_arr_next know whether a ',' must come first.
 * Grammar as RFC 8259 (Go's encoding/json accepts the same): no trailing
 * commas, no comments, numbers -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
 * strings without raw control characters. jsonr_skip walks a value with an
 * explicit depth counter, never recursion.
 */
#include "lib/jsonr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void jsonr_init(jsonr *r, const char *s, size_t n)
{
	memset(r, 0, sizeof *r);
	r->p = r->start = s;
	r->end = s + n;
}

void jsonr_fail(jsonr *r, const char *fmt, ...)
{
	if (r->err)
		return;
	r->err = FL_EPARSE;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof r->msg, fmt, ap);
	va_end(ap);
	r->p = r->end;
}

static void ws(jsonr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static void unexpected(jsonr *r, const char *what)
{
	if (r->p >= r->end)
		jsonr_fail(r, "unexpected end of JSON input");
	else
		jsonr_fail(r, "invalid character '%c' %s at offset %zu", *r->p, what, (size_t)(r->p - r->start));
}

jsonr_type jsonr_peek(jsonr *r)
{
	if (r->err)
		return JSONR_NONE;
	ws(r);
	if (r->p >= r->end)
		return JSONR_NONE;
	switch (*r->p) {
	case '{': return JSONR_OBJ;
	case '[': return JSONR_ARR;
	case '"': return JSONR_STR;
	case 't': return JSONR_TRUE;
	case 'f': return JSONR_FALSE;
	case 'n': return JSONR_NULL;
	default:
		return (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) ? JSONR_NUM : JSONR_NONE;
	}
}

static bool open_container(jsonr *r, char c)
{
	if (r->err)
		return false;
	ws(r);
	if (r->p >= r->end || *r->p != c) {
		unexpected(r, c == '{' ? "looking for beginning of object" : "looking for beginning of array");
		return false;
	}
	if (r->depth >= JSONR_MAX_DEPTH) {
		jsonr_fail(r, "exceeded max depth");
		return false;
	}
	r->p++;
	r->open[++r->depth] = (uint8_t)(1 | (c == '{' ? 2 : 0));
	return true;
}

bool jsonr_obj_begin(jsonr *r) { return open_container(r, '{'); }
bool jsonr_arr_begin(jsonr *r) { return open_container(r, '['); }

/* Before an element of the open container: 1 another follows (after its
 * ',' when not the first), 0 the container closed with c. */
static int next_elem(jsonr *r, char close)
{
	if (r->err || r->depth == 0)
		return 0;
	ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	if (!(r->open[r->depth] & 1)) {
		if (r->p >= r->end || *r->p != ',') {
			unexpected(r, close == '}' ? "after object key:value pair" : "after array element");
			return 0;
		}
		r->p++;
		ws(r);
	}
	r->open[r->depth] &= (uint8_t)~1;
	return 1;
}

int jsonr_arr_next(jsonr *r)
{
	return next_elem(r, ']');
}

int jsonr_obj_key(jsonr *r, buf *key)
{
	if (next_elem(r, '}') != 1)
		return 0;
	if (!jsonr_str(r, key))
		return 0;
	ws(r);
	if (r->p >= r->end || *r->p != ':') {
		unexpected(r, "after object key");
		return 0;
	}
	r->p++;
	return 1;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static void put_utf8(buf *b, unsigned cp)
{
	uint8_t s[4];
	size_t n;
	if (cp < 0x80) {
		s[0] = (uint8_t)cp, n = 1;
	} else if (cp < 0x800) {
		s[0] = (uint8_t)(0xC0 | cp >> 6), s[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
	} else if (cp < 0x10000) {
		s[0] = (uint8_t)(0xE0 | cp >> 12), s[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		s[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
	} else {
		s[0] = (uint8_t)(0xF0 | cp >> 18), s[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		s[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), s[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
	}
	buf_put(b, s, n);
}

/* After "\u": a code point, pairing surrogates; -1 on bad hex. */
static long unicode_escape(jsonr *r)
{
	if (r->end - r->p < 4)
		return -1;
	int u = hex4(r->p);
	if (u < 0)
		return -1;
	r->p += 4;
	if (u < 0xD800 || u > 0xDFFF)
		return u;
	if (u < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
		int lo = hex4(r->p + 2);
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			r->p += 6;
			return 0x10000 + ((long)(u - 0xD800) << 10) + (lo - 0xDC00);
		}
	}
	return 0xFFFD;
}

/* A string at r->p (its opening quote); out may be NULL (skip). */
static bool string_at(jsonr *r, buf *out)
{
	if (r->p >= r->end || *r->p != '"') {
		unexpected(r, "looking for beginning of string");
		return false;
	}
	r->p++;
	while (r->p < r->end) {
		const char *q = r->p;
		while (q < r->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		if (out)
			buf_put(out, r->p, (size_t)(q - r->p));
		r->p = q;
		if (q >= r->end)
			break;
		if (*q == '"') {
			r->p++;
			if (out && out->oom) {
				r->err = FL_ENOMEM;
				snprintf(r->msg, sizeof r->msg, "out of memory");
				return false;
			}
			return true;
		}
		if ((unsigned char)*q < 0x20) {
			unexpected(r, "in string literal");
			return false;
		}
		/* a backslash */
		if (++r->p >= r->end)
			break;
		char c = *r->p++;
		const char *simple = strchr("\"\\/bfnrt", c);
		if (c && simple) {
			static const char dec[] = "\"\\/\b\f\n\r\t";
			if (out)
				buf_put_byte(out, (uint8_t)dec[simple - "\"\\/bfnrt"]);
		} else if (c == 'u') {
			long cp = unicode_escape(r);
			if (cp < 0) {
				jsonr_fail(r, "invalid \\u escape in string literal at offset %zu", (size_t)(r->p - r->start));
				return false;
			}
			if (out)
				put_utf8(out, (unsigned)cp);
		} else {
			r->p--;
			unexpected(r, "in string escape code");
			return false;
		}
	}
	jsonr_fail(r, "unexpected end of JSON input");
	return false;
}

bool jsonr_str(jsonr *r, buf *out)
{
	if (r->err)
		return false;
	ws(r);
	buf_clear(out);
	return string_at(r, out);
}

static bool digits(jsonr *r)
{
	const char *s = r->p;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > s;
}

bool jsonr_num(jsonr *r, const char **s, size_t *n)
{
	if (r->err)
		return false;
	ws(r);
	const char *b = r->p;
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (!digits(r))
		goto bad;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!digits(r))
			goto bad;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!digits(r))
			goto bad;
	}
	*s = b;
	*n = (size_t)(r->p - b);
	return true;
bad:
	unexpected(r, "in numeric literal");
	return false;
}

static bool literal(jsonr *r, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n)) {
		unexpected(r, "in literal");
		return false;
	}
	r->p += n;
	return true;
}

bool jsonr_null(jsonr *r)
{
	return jsonr_peek(r) == JSONR_NULL && literal(r, "null");
}

/* One scalar, or the opening of a container (depth grows). */
static bool skip_step(jsonr *r)
{
	const char *s;
	size_t n;
	switch (jsonr_peek(r)) {
	case JSONR_OBJ: return jsonr_obj_begin(r);
	case JSONR_ARR: return jsonr_arr_begin(r);
	case JSONR_STR: return string_at(r, NULL);
	case JSONR_NUM: return jsonr_num(r, &s, &n);
	case JSONR_TRUE: return literal(r, "true");
	case JSONR_FALSE: return literal(r, "false");
	case JSONR_NULL: return literal(r, "null");
	default:
		unexpected(r, "looking for beginning of value");
		return false;
	}
}

bool jsonr_skip(jsonr *r)
{
	int base = r->depth;
	if (!skip_step(r))
		return false;
	/* Inside containers opened by this value: walk to their ends. */
	while (!r->err && r->depth > base) {
		bool in_obj = r->open[r->depth] & 2;
		int more = in_obj ? next_elem(r, '}') : next_elem(r, ']');
		if (r->depth > base && more == 1) {
			if (in_obj) {
				if (!string_at(r, NULL))
					break;
				ws(r);
				if (r->p >= r->end || *r->p != ':') {
					unexpected(r, "after object key");
					break;
				}
				r->p++;
			}
			if (!skip_step(r))
				break;
		}
	}
	return !r->err;
}

bool jsonr_end(jsonr *r)
{
	if (r->err)
		return false;
	ws(r);
	if (r->p < r->end) {
		unexpected(r, "after top-level value");
		return false;
	}
	return true;
}
