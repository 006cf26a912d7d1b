/*
 * snappy.h - a snappy block decoder (the "block" format of
 * google/snappy's format_description.txt, which Prometheus's WAL records
 * and remote-write bodies use), for the WAL replay at restart and the
 * remote-write receivers: libsnappy calls memmove for every literal and
 * copy, which made decompression half of a restart's CPU. Encoding stays
 * with libsnappy.
 *
 * Same answers as libsnappy's snappy_uncompress on every input: the same
 * bytes when it succeeds, a failure when it fails (tests/fuzz/fuzz_snappy.c
 * checks both).
 */
#ifndef FL_SNAPPY_H
#define FL_SNAPPY_H

#include "lib/fl.h"

#define SNAPPY_DEC_SLACK 16 /* bytes dst must have past the decoded length */

/* The length a block decodes to (its uvarint preamble, < 2^32); false if
 * the preamble is malformed. *hdr: the preamble's bytes. */
bool snappy_dec_length(const uint8_t *src, size_t n, size_t *len, size_t *hdr);
/* Decode the block src[0..n) into dst, which holds len (from
 * snappy_dec_length) + SNAPPY_DEC_SLACK bytes (the bytes past len are
 * scribbled on). True when src is a valid block of exactly len bytes. */
bool snappy_dec(const uint8_t *src, size_t n, uint8_t *dst, size_t len);

#endif
