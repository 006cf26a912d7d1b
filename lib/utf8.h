/*
 * utf8.h - UTF-8 decoding and encoding with Go's rules (unicode/utf8), so
 * that code walking strings rune by rune sees what Prometheus sees.
 */
#ifndef FL_UTF8_H
#define FL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_RUNE_ERROR 0xfffd /* Go's utf8.RuneError */

/* Decode the rune at s (n bytes left): the rune and its width in *w, or -1
 * with *w = 1 for an invalid sequence (truncated, overlong, a surrogate,
 * past U+10FFFF; Go's DecodeRuneInString then returns RuneError, width 1),
 * or -1 with *w = 1 when n == 0. */
int32_t utf8_decode(const char *s, size_t n, int *w);
/* Encode r (a valid rune; anything else as RuneError) at p (room for 4):
 * returns the bytes written. */
int utf8_encode(char *p, int32_t r);

#endif
