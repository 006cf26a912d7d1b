/*
 * urlenc.h - percent-decoding as Go's net/url unescapes: "%4A" is a byte,
 * and in a query component '+' is a space. A '%' not followed by two hex
 * digits is an error (url.EscapeError), never passed through.
 */
#ifndef FL_URLENC_H
#define FL_URLENC_H

#include <stdbool.h>
#include <stddef.h>

/* The value of a hex digit, or -1. */
int hex_digit(int c);

/* Decode s[0..n) into out, which has room for n + 1 bytes; out is
 * NUL-terminated. Returns the decoded length, or -1 on a bad escape with
 * *bad_at (when not NULL) the offset of its '%'. */
long url_unescape(const char *s, size_t n, bool query, char *out, size_t *bad_at);

#endif
