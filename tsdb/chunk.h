/*
 * chunk.h - Gorilla XOR chunks, bit-identical to Prometheus's
 * tsdb/chunkenc/xor.go (encoding 1, "XOR").
 *
 * Layout: 2-byte big-endian sample count, then the bit stream: first sample
 * t as varint, v as 64 raw bits; second: t delta as uvarint, v XOR-encoded;
 * then delta-of-delta timestamps in buckets (0, 14, 17, 20 bits, or 64) and
 * XOR values with leading/trailing-zero windows.
 *
 * xor_app appends to a growable byte buffer it owns; xor_iter reads any
 * byte range (borrowed) without allocating. A reader may decode the first
 * n samples of a chunk that is still being appended to as long as it works
 * on a copy of the bytes (the appender rewrites the last byte and the count).
 */
#ifndef FL_CHUNK_H
#define FL_CHUNK_H

#include "lib/err.h"
#include "lib/fl.h"

enum chunk_encoding { CHUNK_ENC_NONE = 0, CHUNK_ENC_XOR = 1, CHUNK_ENC_HISTOGRAM = 2, CHUNK_ENC_FLOAT_HISTOGRAM = 3 };

typedef struct xor_app { /* 48 bytes: one per head series */
	uint8_t *b;        /* chunk bytes (count header + stream), owned */
	int64_t t;         /* last timestamp */
	int64_t t_delta;   /* last timestamp delta */
	double v;          /* last value */
	uint32_t len;      /* bytes in use (last byte may be partial; a chunk of 65535 samples < 4 GiB) */
	uint32_t cap;      /* bytes allocated */
	uint16_t n;        /* samples appended */
	uint8_t bits_left; /* free bits in the last byte (0..8; 0 = full) */
	uint8_t leading;   /* leading zeros of the last XOR window (0xff = none yet) */
	uint8_t trailing;  /* trailing zeros of the last XOR window */
} xor_app;

/* Start an empty chunk. Returns 0 or FL_ENOMEM. */
int xor_app_init(xor_app *a);
/* The same with a first buffer of cap bytes (a power of two >= 64). */
int xor_app_init_cap(xor_app *a, size_t cap);
/* Continue appending to existing chunk bytes (copies them; decodes the state). */
int xor_app_init_from(xor_app *a, const uint8_t *b, size_t len, err *e);
/* Append one sample (the caller enforces time order). 0 or FL_ENOMEM. */
int xor_app_append(xor_app *a, int64_t t, double v);
void xor_app_free(xor_app *a);
/* The chunk bytes so far (valid until the next append). */
static inline const uint8_t *xor_app_bytes(const xor_app *a) { return a->b; }
static inline size_t xor_app_len(const xor_app *a) { return a->len; }

typedef struct xor_iter {
	const uint8_t *b;  /* borrowed chunk bytes */
	size_t len;        /* byte length */
	size_t pos;        /* bit position in the stream */
	uint16_t total;    /* samples in the chunk (header, or a limit) */
	uint16_t read;     /* samples decoded so far */
	int64_t t;         /* current timestamp */
	int64_t t_delta;   /* current delta */
	double v;          /* current value */
	uint8_t leading;   /* XOR window state */
	uint8_t trailing;  /* XOR window state */
	int err;           /* 0 or FL_ECORRUPT (sticky) */
} xor_iter;

/* Iterate a chunk's bytes (borrowed). limit: decode at most this many
 * samples (0 = the header's count). */
void xor_iter_init(xor_iter *it, const uint8_t *b, size_t len, uint16_t limit);
/* Advance; false at the end or on corruption (then it->err is set). */
bool xor_iter_next(xor_iter *it);
/* Decode up to n samples into t[] and v[]; returns how many (0 at the end
 * or on corruption, then it->err tells). Same result as n calls of
 * xor_iter_next, but keeps the decoder state in registers: the way to
 * read a whole chunk. Afterwards it->t/v hold the last sample decoded. */
size_t xor_iter_next_batch(xor_iter *it, int64_t *t, double *v, size_t n);
/* Advance to the first sample with t >= target; false if none. Never moves back. */
bool xor_iter_seek(xor_iter *it, int64_t target);
static inline void xor_iter_at(const xor_iter *it, int64_t *t, double *v) { *t = it->t; *v = it->v; }
/* Sample count from the 2-byte header (0 if len < 2). */
uint16_t xor_chunk_count(const uint8_t *b, size_t len);

#endif
