/*
 * record.h - the records the head writes into its WAL and checkpoints
 * (Prometheus tsdb/record/record.go; format in tsdb/docs/format/wal.md).
 *
 * A record is one byte of type followed by a body. All integers are
 * big-endian or Go varints:
 *
 *   1 series      { ref u64 BE, n uvarint, n x (name, value uvarint-prefixed strings) } ...
 *   2 samples     first ref u64 BE, first t i64 BE,
 *                 then per sample { ref - first.ref varint, t - first.t varint, value bits u64 BE }
 *                 (an empty samples record is the type byte alone)
 *   3 tombstones  { ref u64 BE, mint varint, maxt varint } ...
 *   4 exemplars   like samples, each followed by its label set (n uvarint + strings)
 *   5 mmap markers{ ref u64 BE, mmap ref u64 BE } ...
 *   6 metadata    { ref uvarint, type byte, n fields uvarint, n x (name, value strings) } ...
 *                 (fields UNIT and HELP; others are skipped)
 *   7-10          integer/float histogram samples, plain and custom-bucket:
 *                 recognised by record_type() and skipped (flint stores no histograms yet)
 *
 * Encoders append to a buf (check b->oom once at the end). Decoders take the
 * record bytes (type byte included), allocate the result array and every
 * label string from the caller's arena (valid until the arena is reset) and
 * return 0 or FL_ECORRUPT with a message naming the record type and reason.
 * Decoders bound every count by the bytes left, so garbage never makes them
 * allocate more than a small multiple of the record size; label sets must be
 * sorted with unique names (as Prometheus writes them) and strings must not
 * contain NUL bytes, else the record is corrupt.
 */
#ifndef FL_RECORD_H
#define FL_RECORD_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

enum record_type {
	RECORD_SERIES = 1,
	RECORD_SAMPLES = 2,
	RECORD_TOMBSTONES = 3,
	RECORD_EXEMPLARS = 4,
	RECORD_MMAP_MARKERS = 5,
	RECORD_METADATA = 6,
	RECORD_HISTOGRAM_SAMPLES = 7,
	RECORD_FLOAT_HISTOGRAM_SAMPLES = 8,
	RECORD_CUSTOM_BUCKETS_HISTOGRAM_SAMPLES = 9,
	RECORD_CUSTOM_BUCKETS_FLOAT_HISTOGRAM_SAMPLES = 10,
	RECORD_UNKNOWN = 255,
};

typedef struct record_series {
	uint64_t ref; /* head series ref */
	labels ls;    /* sorted label set */
} record_series;

typedef struct record_sample {
	uint64_t ref; /* head series ref */
	int64_t t;    /* ms */
	double v;     /* value (bits preserved, stale NaN included) */
} record_sample;

typedef struct record_tombstone {
	uint64_t ref;  /* series ref */
	int64_t mint;  /* deleted interval, inclusive, ms */
	int64_t maxt;
} record_tombstone;

typedef struct record_exemplar {
	uint64_t ref; /* series ref */
	int64_t t;    /* ms */
	double v;     /* exemplar value */
	labels ls;    /* exemplar labels (sorted) */
} record_exemplar;

typedef struct record_mmap_marker {
	uint64_t ref;      /* series ref */
	uint64_t mmap_ref; /* head chunk reference (file << 32 | offset) */
} record_mmap_marker;

typedef struct record_metadata {
	uint64_t ref;     /* series ref */
	uint8_t type;     /* 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gaugehistogram, 5 summary, 6 info, 7 stateset */
	const char *unit; /* NUL-terminated, "" when absent */
	const char *help; /* NUL-terminated, "" when absent */
} record_metadata;

/* The record's type, or RECORD_UNKNOWN (empty record, unknown byte). */
enum record_type record_type(const uint8_t *rec, size_t len);
/* "series", "samples", ... "unknown" (Prometheus's Type.String()). */
const char *record_type_name(enum record_type t);

void record_encode_series(buf *b, const record_series *s, size_t n);
void record_encode_samples(buf *b, const record_sample *s, size_t n);
void record_encode_tombstones(buf *b, const record_tombstone *s, size_t n);
void record_encode_exemplars(buf *b, const record_exemplar *s, size_t n);
void record_encode_mmap_markers(buf *b, const record_mmap_marker *s, size_t n);
void record_encode_metadata(buf *b, const record_metadata *s, size_t n);

/*
 * Decoders: *out is an array of *n elements allocated from a (NULL when
 * *n == 0). Return 0, FL_ECORRUPT (type byte wrong, truncated, trailing
 * bytes, bad labels) or FL_ENOMEM.
 */
int record_decode_series(const uint8_t *rec, size_t len, arena *a, record_series **out, size_t *n, err *e);
int record_decode_samples(const uint8_t *rec, size_t len, arena *a, record_sample **out, size_t *n, err *e);
int record_decode_tombstones(const uint8_t *rec, size_t len, arena *a, record_tombstone **out, size_t *n, err *e);

/*
 * A samples record one entry at a time, without an array: for the WAL
 * replay, which drops most of them (record_decode_samples runs the same
 * loop). begin checks the type and the base (0 or FL_ECORRUPT); next gives
 * 1 with the next sample, 0 at the end, -1 on a truncated or overlong
 * entry (then record_samples_error fills e as record_decode_samples
 * would). An entry takes at least 10 bytes: record_samples_max bounds
 * the count.
 */
typedef struct record_samples_iter {
	const uint8_t *p, *end; /* entries left */
	uint64_t base_ref, base_t;
	size_t k; /* entries decoded */
} record_samples_iter;
int record_samples_begin(record_samples_iter *it, const uint8_t *rec, size_t len, err *e);
int record_samples_error(const record_samples_iter *it, err *e);
static inline size_t record_samples_max(const record_samples_iter *it) { return (size_t)(it->end - it->p) / 10; }

/* A zigzag varint; 1 and 2-byte values take no call (internal). */
static inline bool record__varint(const uint8_t **pp, const uint8_t *end, int64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t u;
	if (p < end && p[0] < 0x80) {
		u = p[0];
		p += 1;
	} else if (end - p >= 2 && p[1] < 0x80) {
		u = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		p += 2;
	} else {
		int k = uvarint_get(p, (size_t)(end - p), &u);
		if (k <= 0)
			return false;
		p += k;
	}
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	*pp = p;
	return true;
}

static inline int record_samples_next(record_samples_iter *it, record_sample *s)
{
	if (it->p >= it->end)
		return 0;
	int64_t dref, dt;
	if (!record__varint(&it->p, it->end, &dref) || !record__varint(&it->p, it->end, &dt) || it->end - it->p < 8)
		return -1;
	s->ref = it->base_ref + (uint64_t)dref;
	s->t = (int64_t)(it->base_t + (uint64_t)dt);
	uint64_t bits = be64(it->p);
	memcpy(&s->v, &bits, sizeof bits);
	it->p += 8;
	it->k++;
	return 1;
}
int record_decode_exemplars(const uint8_t *rec, size_t len, arena *a, record_exemplar **out, size_t *n, err *e);
int record_decode_mmap_markers(const uint8_t *rec, size_t len, arena *a, record_mmap_marker **out, size_t *n, err *e);
int record_decode_metadata(const uint8_t *rec, size_t len, arena *a, record_metadata **out, size_t *n, err *e);

#endif
