/*
 * goquote.c - Go's strconv.Quote (declared in fmtfloat.h), the way
 * Prometheus prints label values in `{a="b"}` text and promtool's dump.
 *
 * Rules (strconv/quote.go appendQuotedWith / appendEscapedRune):
 *  - `"` and `\` get a backslash;
 *  - \a \b \f \n \r \t \v by name;
 *  - other runes below U+0020 and U+007F as \xNN;
 *  - a byte that does not start valid UTF-8 (bad lead, overlong form,
 *    surrogate, > U+10FFFF, truncated) as \xNN, one byte at a time;
 *  - printable runes (unicode.IsPrint: letters, marks, numbers,
 *    punctuation, symbols, and U+0020) as they are;
 *  - other runes as \uNNNN, or \UNNNNNNNN above U+FFFF.
 *
 * IsPrint: glibc's iswprint in C.UTF-8 knows which code points are
 * assigned; it also calls spaces, format characters and private use
 * printable, which Go does not, so those ranges are excluded here. Without
 * a C.UTF-8 locale every valid rune outside those ranges counts as
 * printable.
 */
#include "lib/fmtfloat.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <wctype.h>

/* Non-printable for Go but printable for glibc: Zs (but U+0020), Cf, Co. */
static const uint32_t not_print[][2] = {
	{0x00A0, 0x00A0}, {0x00AD, 0x00AD}, {0x0600, 0x0605}, {0x061C, 0x061C}, {0x06DD, 0x06DD},
	{0x070F, 0x070F}, {0x0890, 0x0891}, {0x08E2, 0x08E2}, {0x1680, 0x1680}, {0x180E, 0x180E},
	{0x2000, 0x200F}, {0x2028, 0x202F}, {0x205F, 0x2064}, {0x2066, 0x206F}, {0x3000, 0x3000},
	{0xE000, 0xF8FF}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
	{0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
	{0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
};

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static void utf8_init(void) { utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

static bool go_is_print(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7f;
	if (r < 0xA0)
		return false;
	for (size_t i = 0; i < FL_ARRAY_LEN(not_print); i++)
		if (r >= not_print[i][0] && r <= not_print[i][1])
			return false;
	pthread_once(&utf8_once, utf8_init);
	return utf8_loc == (locale_t)0 || iswprint_l((wint_t)r, utf8_loc);
}

/* Decode one rune as Go's utf8.DecodeRune; returns its width, or 0 for an
 * invalid sequence (the caller escapes one byte). */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *r)
{
	uint8_t c = p[0];
	size_t w;
	uint32_t min;
	if (c < 0x80) {
		*r = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		w = 2, min = 0x80, *r = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		w = 3, min = 0x800, *r = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		w = 4, min = 0x10000, *r = c & 0x07;
	} else {
		return 0;
	}
	if (n < w)
		return 0;
	for (size_t i = 1; i < w; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		*r = *r << 6 | (p[i] & 0x3F);
	}
	if (*r < min || *r > 0x10FFFF || (*r >= 0xD800 && *r <= 0xDFFF))
		return 0;
	return w;
}

static void put_escaped(buf *b, uint32_t r)
{
	static const char names[] = "abtnvfr"; /* \a=7 .. \r=13 */
	char tmp[16];
	if (r >= 7 && r <= 13) {
		tmp[0] = '\\', tmp[1] = names[r - 7];
		buf_put(b, tmp, 2);
	} else if (r < 0x20 || r == 0x7f) {
		buf_printf(b, "\\x%02x", (unsigned)r);
	} else if (r < 0x10000) {
		buf_printf(b, "\\u%04x", (unsigned)r);
	} else {
		buf_printf(b, "\\U%08x", (unsigned)r);
	}
}

void fmt_go_quote(buf *b, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + n;
	buf_put_byte(b, '"');
	while (p < end) {
		uint32_t r;
		size_t w = utf8_decode(p, (size_t)(end - p), &r);
		if (w == 0) {
			buf_printf(b, "\\x%02x", p[0]);
			p++;
			continue;
		}
		if (r == '"' || r == '\\') {
			buf_put_byte(b, '\\');
			buf_put_byte(b, (uint8_t)r);
		} else if (go_is_print(r)) {
			buf_put(b, p, w);
		} else {
			put_escaped(b, r);
		}
		p += w;
	}
	buf_put_byte(b, '"');
}
