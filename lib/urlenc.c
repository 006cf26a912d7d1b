/*
 * urlenc.c - percent-decoding (see urlenc.h).
 */
#include "lib/urlenc.h"

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long url_unescape(const char *s, size_t n, bool query, char *out, size_t *bad_at)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				if (bad_at)
					*bad_at = i;
				out[o] = 0;
				return -1;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = query && s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = 0;
	return (long)o;
}
