/*
 * tombstones.h - a block's `tombstones` file (Prometheus
 * tsdb/tombstones/tombstones.go; docs/format/tombstones.md):
 *
 *   magic 0x0130BA30 (4) | version 1 (1) |
 *   { series ref uvarint64 | mint varint64 | maxt varint64 }... |
 *   CRC32C of everything after magic and version (4)
 *
 * Intervals are inclusive at both ends. Prometheus writes them by
 * ascending series ref, each series' intervals in order; an empty file is
 * the 9 bytes of header and CRC. A missing file means no tombstones.
 */
#ifndef FL_TOMBSTONES_H
#define FL_TOMBSTONES_H

#include "lib/buf.h"
#include "lib/err.h"

#define TOMBSTONES_MAGIC 0x0130BA30u
#define TOMBSTONES_FILE "tombstones"

typedef struct tomb {
	uint64_t ref; /* series ref */
	int64_t mint; /* deleted from (inclusive) */
	int64_t maxt; /* deleted until (inclusive) */
} tomb;

/* Parse a tombstones file's bytes: *out (fl_malloc'd, sorted by (ref,
 * mint); free with fl_free) and *n_out. 0 or FL_ECORRUPT naming the offset,
 * FL_ENOMEM. Never reads outside p[0..len). */
int tombstones_parse(const uint8_t *p, size_t len, tomb **out, size_t *n_out, err *e);
/* Append the file's bytes for ts (sorted by (ref, mint)) to b. */
void tombstones_encode(buf *b, const tomb *ts, size_t n);
/* Write dir/tombstones atomically (via tombstones.tmp, fsynced, renamed).
 * *size (may be NULL) gets the file's size. */
int tombstones_write(const char *dir, const tomb *ts, size_t n, uint64_t *size, err *e);

#endif
