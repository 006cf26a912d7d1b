/*
 * buf.h - growable byte buffer with append encoders, and decbuf, a reader
 * with a sticky error (Prometheus's tsdb/encoding Encbuf/Decbuf).
 *
 * Encoders: big-endian be16/32/64, uvarint/varint (Go's encoding/binary
 * varints, used by every Prometheus format), raw bytes.
 * A buf whose allocation failed sets `oom` and ignores further writes;
 * check it once at the end.
 *
 * decbuf: every getter returns 0 once an error happened; check d.err once.
 */
#ifndef FL_BUF_H
#define FL_BUF_H

#include "lib/err.h"
#include "lib/fl.h"

typedef struct buf {
	uint8_t *p; /* bytes, owned */
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
	bool oom;   /* an allocation failed; content is incomplete */
} buf;

void buf_init(buf *b);
void buf_reset(buf *b); /* frees */
static inline void buf_clear(buf *b) { b->len = 0; }
bool buf_reserve(buf *b, size_t extra);
void buf_put(buf *b, const void *p, size_t n);
void buf_put_byte(buf *b, uint8_t c);
void buf_put_str(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put_be16(buf *b, uint16_t v);
void buf_put_be32(buf *b, uint32_t v);
void buf_put_be64(buf *b, uint64_t v);
void buf_put_uvarint(buf *b, uint64_t v);
void buf_put_varint(buf *b, int64_t v);
/* uvarint length followed by the bytes (Prometheus "uvarint-prefixed string") */
void buf_put_uvarint_str(buf *b, const char *s, size_t n);
/* NUL-terminate without counting the NUL in len; returns p (or "" on oom). */
const char *buf_cstr(buf *b);
/* Appends the whole file at path to b, NUL-terminated as buf_cstr leaves
 * it (so b->p is a C string the caller may take). 0, or FL_ENOTFOUND (no
 * such file), FL_EIO or FL_ENOMEM with e saying "open <path>: <reason>" /
 * "read <path>: <reason>". */
int buf_read_file(buf *b, const char *path, err *e);

/* Raw decoders for a known-valid pointer. */
static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static inline void put_be64(uint8_t *p, uint64_t v) { put_be32(p, (uint32_t)(v >> 32)); put_be32(p + 4, (uint32_t)v); }
/* Write v as uvarint into p (needs 10 bytes); returns bytes written. */
int uvarint_put(uint8_t *p, uint64_t v);
/* Read a uvarint; returns bytes consumed, 0 if truncated, -1 if overflow. */
int uvarint_get(const uint8_t *p, size_t n, uint64_t *v);

typedef struct decbuf {
	const uint8_t *p; /* next byte */
	const uint8_t *end; /* one past the last byte */
	int err;           /* 0 or FL_ECORRUPT (sticky) */
} decbuf;

static inline void decbuf_init(decbuf *d, const void *p, size_t n) { d->p = p; d->end = d->p + n; d->err = 0; }
static inline size_t decbuf_len(const decbuf *d) { return (size_t)(d->end - d->p); }
uint8_t decbuf_byte(decbuf *d);
uint16_t decbuf_be16(decbuf *d);
uint32_t decbuf_be32(decbuf *d);
uint64_t decbuf_be64(decbuf *d);
uint64_t decbuf_uvarint(decbuf *d);
int64_t decbuf_varint(decbuf *d);
/* Borrow n bytes (NULL on error). */
const uint8_t *decbuf_bytes(decbuf *d, size_t n);
/* uvarint length + bytes; borrowed slice into the input. */
slice decbuf_uvarint_str(decbuf *d);

#endif
