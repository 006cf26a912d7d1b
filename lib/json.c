/*
 * json.c - the streaming JSON writer (see json.h for the escaping rules).
 * Mirrors what Prometheus's API encoder produces (json-iterator,
 * ConfigCompatibleWithStandardLibrary: HTML-safe escaping).
 */
#include "lib/json.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void json_init(json_w *j, buf *b)
{
	j->b = b;
	j->depth = 0;
	j->nonempty = 0;
	j->after_key = false;
}

/* Separator before a value or key at the current depth. */
static void sep(json_w *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	uint64_t bit = 1ull << j->depth;
	if (j->nonempty & bit)
		buf_put_byte(j->b, ',');
	j->nonempty |= bit;
}

static void open(json_w *j, char c)
{
	sep(j);
	assert(j->depth + 1 < JSON_MAX_DEPTH);
	j->depth++;
	j->nonempty &= ~(1ull << j->depth);
	buf_put_byte(j->b, (uint8_t)c);
}

static void close_(json_w *j, char c)
{
	assert(j->depth > 0);
	j->depth--;
	buf_put_byte(j->b, (uint8_t)c);
}

void json_obj_open(json_w *j) { open(j, '{'); }
void json_obj_close(json_w *j) { close_(j, '}'); }
void json_arr_open(json_w *j) { open(j, '['); }
void json_arr_close(json_w *j) { close_(j, ']'); }

void json_key(json_w *j, const char *k)
{
	sep(j);
	json_put_string(j->b, k, strlen(k));
	buf_put_byte(j->b, ':');
	j->after_key = true;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void json_put_string(buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* run: start of bytes copied verbatim */
	buf_reserve(b, n + 2);
	buf_put_byte(b, '"');
	while (i < n) {
		unsigned c = p[i];
		const char *esc = NULL;
		char u[6];
		size_t adv = 1;
		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			adv = utf8_len(p + i, n - i);
			if (adv == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
				esc = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			else if (adv == 0)
				esc = "\\ufffd", adv = 1;
			else {
				i += adv;
				continue;
			}
		} else if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else {
			u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4], u[5] = hex[c & 15];
			buf_put(b, p + run, i - run);
			buf_put(b, u, 6);
			i += adv;
			run = i;
			continue;
		}
		buf_put(b, p + run, i - run);
		buf_put_str(b, esc);
		i += adv;
		run = i;
	}
	buf_put(b, p + run, n - run);
	buf_put_byte(b, '"');
}

void json_strn(json_w *j, const char *s, size_t n)
{
	sep(j);
	json_put_string(j->b, s, n);
}

void json_str(json_w *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_int(json_w *j, int64_t v)
{
	sep(j);
	buf_printf(j->b, "%lld", (long long)v);
}

void json_bool(json_w *j, bool v)
{
	sep(j);
	buf_put_str(j->b, v ? "true" : "false");
}

void json_null(json_w *j)
{
	sep(j);
	buf_put_str(j->b, "null");
}

/* Shortest %.*g text that reads back as v. */
static void shortest(char *out, size_t cap, double v, char fmt)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, cap, fmt == 'e' ? "%.*e" : "%.*g", fmt == 'e' ? prec - 1 : prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

void json_num(json_w *j, double v)
{
	char t[64];
	if (isnan(v) || isinf(v)) {
		json_null(j);
		return;
	}
	double a = fabs(v);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		shortest(t, sizeof t, v, 'e');
		/* Go's encoding/json: "e-07" -> "e-7" */
		char *e = strchr(t, 'e');
		if (e && e[1] == '-' && e[2] == '0' && e[3])
			memmove(e + 2, e + 3, strlen(e + 3) + 1);
	} else {
		/* shortest digits, then print them in plain decimal */
		char g[40];
		int prec = 1;
		for (; prec <= 17; prec++) {
			snprintf(g, sizeof g, "%.*e", prec - 1, v);
			if (strtod(g, NULL) == v)
				break;
		}
		int exp10 = a == 0 ? 0 : atoi(strchr(g, 'e') + 1);
		int decimals = prec - 1 - exp10;
		snprintf(t, sizeof t, "%.*f", decimals > 0 ? decimals : 0, v);
	}
	json_raw(j, t, strlen(t));
}

void json_raw(json_w *j, const char *s, size_t n)
{
	sep(j);
	buf_put(j->b, s, n);
}
