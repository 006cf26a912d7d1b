/*
 * ulid.h - ULIDs as oklog/ulid makes them (github.com/ulid/spec): 48 bits of
 * Unix milliseconds then 80 random bits, written as 26 Crockford base32
 * characters ("01M85ZJJW0Q48HSX1F1SJXQXMD"). Block directories are named
 * by them, so their order is the blocks' creation order.
 *
 * Monotonic within the process: a ULID made in the same millisecond as the
 * previous one (or when the clock stepped back) is the previous one plus 1
 * in its random part, as oklog's MonotonicReader does, so two blocks cut
 * back to back still sort in creation order.
 */
#ifndef FL_ULID_H
#define FL_ULID_H

#include "lib/fl.h"

#define ULID_LEN 26

/* Write a new ULID for time ms (Unix milliseconds) into out (27 bytes,
 * NUL-terminated). Thread-safe. */
void ulid_new(int64_t ms, char out[ULID_LEN + 1]);
/* The current time in Unix milliseconds (for ulid_new). */
int64_t ulid_now_ms(void);
/* Encode 16 bytes as 26 characters (+ NUL). */
void ulid_encode(const uint8_t id[16], char out[ULID_LEN + 1]);
/* Decode 26 characters; false if s is not a ULID. */
bool ulid_decode(const char *s, uint8_t id[16]);

#endif
