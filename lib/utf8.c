/*
 * utf8.c - Go's unicode/utf8 DecodeRuneInString and EncodeRune.
 * A sequence is valid when its lead byte announces 2-4 bytes, every
 * continuation byte is 10xxxxxx, it is the shortest encoding of its rune,
 * and the rune is not a surrogate (U+D800..U+DFFF) and at most U+10FFFF.
 */
#include "lib/utf8.h"

int32_t utf8_decode(const char *s, size_t n, int *w)
{
	const unsigned char *p = (const unsigned char *)s;
	*w = 1;
	if (n == 0)
		return -1;
	if (p[0] < 0x80)
		return p[0];
	size_t need;
	int32_t r, min;
	if ((p[0] & 0xe0) == 0xc0)
		need = 1, r = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		need = 2, r = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		need = 3, r = p[0] & 0x07, min = 0x10000;
	else
		return -1;
	if (n < need + 1)
		return -1;
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		r = r << 6 | (p[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
		return -1;
	*w = (int)need + 1;
	return r;
}

int utf8_encode(char *p, int32_t r)
{
	if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
		r = UTF8_RUNE_ERROR;
	if (r < 0x80) {
		p[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		p[0] = (char)(0xc0 | r >> 6);
		p[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		p[0] = (char)(0xe0 | r >> 12);
		p[1] = (char)(0x80 | (r >> 6 & 0x3f));
		p[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | r >> 18);
	p[1] = (char)(0x80 | (r >> 12 & 0x3f));
	p[2] = (char)(0x80 | (r >> 6 & 0x3f));
	p[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}
