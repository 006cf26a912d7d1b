/*
 * chunk_xor.c - Gorilla XOR chunks, bit-identical to Prometheus's
 * tsdb/chunkenc/xor.go and bstream.go (see chunk.h for the API).
 *
 * Stream (bits MSB first, after the 2-byte big-endian sample count):
 *
 *   sample 0:  t varint (byte aligned)   v: 64 raw bits
 *   sample 1:  t-delta uvarint (aligned) v: XOR
 *   sample k:  delta-of-delta dod        v: XOR
 *     dod == 0                        '0'
 *     -8191 <= dod <= 8192            '10'   + 14 bits
 *     -65535 <= dod <= 65536          '110'  + 17 bits
 *     -524287 <= dod <= 524288        '1110' + 20 bits
 *     else                            '1111' + 64 bits
 *     (a read n-bit field above 2^(n-1) is negative: subtract 2^n)
 *   XOR of the value's bits with the previous value's:
 *     0                               '0'
 *     fits the previous window        '10' + (64-lead-trail) bits
 *     else                            '11' + lead (5 bits, capped at 31)
 *                                       + sigbits (6 bits, 64 written as 0)
 *                                       + sigbits bits
 *
 * Byte-length identity with Go's bstream (invariants):
 *  1. bits_left is bstream.count: free bits in the last byte, 0..8.
 *  2. A write of a whole number of bytes (writeByte, writeBits(x, 8k))
 *     always leaves a byte after the data, so when it ends on a byte
 *     boundary bits_left is 8 and the chunk ends with a zero byte; a write
 *     ending in single bits (writeBit) that ends on a boundary leaves
 *     bits_left 0. One sample's chunk is therefore 2+varint+8+1 bytes.
 *  3. Every byte at or past len in the buffer is zero, and cap >= len+16,
 *     so bits are ORed in with whole 64-bit words.
 *
 *  4. The encoder merges the Go writes of one field (prefix + payload) into
 *     one put_bits; the resulting bytes depend only on the final bit
 *     position and on whether Go's last primitive was a writeByte (the
 *     field's last component a multiple of 8 bits), which put_bits is told.
 *     test_chunk_xor.c pins this against a primitive-by-primitive model.
 *
 * The decoder reads 64-bit big-endian windows at the bit position. While
 * XOR_FAST_LOOKAHEAD bytes remain (a sample needs at most 145 bits plus an
 * 8-byte load) it decodes without per-field checks (step_fast); the first
 * two samples and the stream's tail go through the checked path, which
 * tests every field against the stream end. Corrupt or short input stops
 * the iterator with FL_ECORRUPT, never a read out of bounds.
 * xor_iter_next_batch runs step_fast with the state in locals (registers).
 */
#include "tsdb/chunk.h"

#include "lib/buf.h"

#define XOR_MAX_SAMPLE_BYTES 32 /* worst case: varint 10 + 8, or 68+77 bits */
#define XOR_SLACK 16            /* zeroed bytes kept past len */

/* ---------------------------------------------------------------- writer */

static int app_grow(xor_app *a, size_t need)
{
	if (a->len + need + XOR_SLACK <= a->cap)
		return 0;
	size_t cap = a->cap ? a->cap : 64;
	while (cap < a->len + need + XOR_SLACK)
		cap *= 2;
	uint8_t *p = fl_realloc(a->b, cap);
	if (!p)
		return FL_ENOMEM;
	memset(p + a->cap, 0, cap - a->cap);
	a->b = p;
	a->cap = cap;
	return 0;
}

static inline void or_be64(uint8_t *p, uint64_t bits)
{
	uint64_t w;
	memcpy(&w, p, 8);
	w |= __builtin_bswap64(bits);
	memcpy(p, &w, 8);
}

/* Write the n (1..64) low bits of u (u < 2^n), MSB first; then set
 * len/bits_left the way Go's bstream would leave them (invariant 2):
 * byte_last says the Go write ending here was a writeByte (the field's
 * last component had a multiple of 8 bits). Several Go writes may be
 * merged into one call: only the final position and byte_last matter. */
static void put_bits(xor_app *a, uint64_t u, unsigned n, bool byte_last)
{
	size_t pos = a->len * 8 - a->bits_left;
	unsigned off = pos & 7;
	if (n + off <= 64) {
		or_be64(a->b + (pos >> 3), (u << (64 - n)) >> off);
	} else {
		or_be64(a->b + (pos >> 3), ((u >> 32) << (64 - (n - 32))) >> off);
		size_t p2 = pos + n - 32;
		or_be64(a->b + (p2 >> 3), (u << 32) >> (p2 & 7));
	}
	pos += n;
	a->len = (pos + 7) / 8;
	a->bits_left = (uint8_t)(a->len * 8 - pos);
	if (a->bits_left == 0 && byte_last) {
		a->len++; /* Go's writeByte appended the next (empty) byte */
		a->bits_left = 8;
	}
}

static void put_uvarint_bytes(xor_app *a, uint64_t v)
{
	uint8_t tmp[10];
	int n = uvarint_put(tmp, v);
	for (int i = 0; i < n; i++)
		put_bits(a, tmp[i], 8, true);
}

static inline uint64_t dbl_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static inline double bits_dbl(uint64_t u)
{
	double d;
	memcpy(&d, &u, 8);
	return d;
}

/* '0' | '10' + window bits | '11' + lead(5) + sig(6) + sig bits, each
 * merged into as few put_bits as fit in 64 bits. */
static void put_value(xor_app *a, double v)
{
	uint64_t delta = dbl_bits(v) ^ dbl_bits(a->v);
	if (delta == 0) {
		put_bits(a, 0, 1, false);
		return;
	}
	unsigned lead = (unsigned)__builtin_clzll(delta);
	unsigned trail = (unsigned)__builtin_ctzll(delta);
	if (lead >= 32)
		lead = 31;
	if (a->leading != 0xff && lead >= a->leading && trail >= a->trailing) {
		unsigned sig = 64u - a->leading - a->trailing;
		uint64_t x = delta >> a->trailing;
		if (sig <= 62) {
			put_bits(a, UINT64_C(2) << sig | x, 2 + sig, sig % 8 == 0);
		} else {
			put_bits(a, 2, 2, false);
			put_bits(a, x, sig, sig % 8 == 0);
		}
		return;
	}
	a->leading = (uint8_t)lead;
	a->trailing = (uint8_t)trail;
	unsigned sig = 64 - lead - trail;
	uint64_t head = UINT64_C(3) << 11 | (uint64_t)lead << 6 | (sig & 63); /* 64 is written as 0 */
	if (sig <= 51) {
		put_bits(a, head << sig | delta >> trail, 13 + sig, sig % 8 == 0);
	} else {
		put_bits(a, head, 13, false);
		put_bits(a, delta >> trail, sig, sig % 8 == 0);
	}
}

/* matches xor.go bitRange: -(2^(n-1)-1) <= x <= 2^(n-1) */
static inline bool bit_range(int64_t x, unsigned n)
{
	return -((INT64_C(1) << (n - 1)) - 1) <= x && x <= (INT64_C(1) << (n - 1));
}

/* Prefix and payload in one write; none of 14, 17, 20 is a whole number
 * of bytes, so Go's last primitive there is writeBit. */
static void put_dod(xor_app *a, int64_t dod)
{
	uint64_t u = (uint64_t)dod;
	if (dod == 0) {
		put_bits(a, 0, 1, false);
	} else if (bit_range(dod, 14)) {
		put_bits(a, UINT64_C(2) << 14 | (u & 0x3fff), 16, false);
	} else if (bit_range(dod, 17)) {
		put_bits(a, UINT64_C(6) << 17 | (u & 0x1ffff), 20, false);
	} else if (bit_range(dod, 20)) {
		put_bits(a, UINT64_C(14) << 20 | (u & 0xfffff), 24, false);
	} else {
		put_bits(a, 15, 4, false);
		put_bits(a, u, 64, true);
	}
}

int xor_app_init(xor_app *a)
{
	memset(a, 0, sizeof *a);
	a->leading = 0xff;
	a->len = 2; /* count header; bits_left 0 as in NewXORChunk */
	if (app_grow(a, 128) != 0) {
		xor_app_free(a);
		return FL_ENOMEM;
	}
	return 0;
}

int xor_app_append(xor_app *a, int64_t t, double v)
{
	if (app_grow(a, XOR_MAX_SAMPLE_BYTES) != 0)
		return FL_ENOMEM;
	uint64_t t_delta = 0;
	if (a->n == 0) {
		uint64_t zz = (uint64_t)t << 1;
		put_uvarint_bytes(a, t < 0 ? ~zz : zz); /* Go PutVarint */
		put_bits(a, dbl_bits(v), 64, true);
	} else if (a->n == 1) {
		t_delta = (uint64_t)t - (uint64_t)a->t;
		put_uvarint_bytes(a, t_delta);
		put_value(a, v);
	} else {
		t_delta = (uint64_t)t - (uint64_t)a->t;
		put_dod(a, (int64_t)(t_delta - (uint64_t)a->t_delta));
		put_value(a, v);
	}
	a->t = t;
	a->v = v;
	a->t_delta = (int64_t)t_delta;
	a->n++;
	put_be16(a->b, a->n);
	return 0;
}

void xor_app_free(xor_app *a)
{
	fl_free(a->b);
	a->b = NULL;
	a->len = a->cap = 0;
}

int xor_app_init_from(xor_app *a, const uint8_t *b, size_t len, err *e)
{
	xor_iter it;
	xor_iter_init(&it, b, len, 0);
	while (xor_iter_next(&it))
		;
	if (it.err || it.read != it.total)
		return err_set(e, FL_ECORRUPT, "xor chunk: cannot append: corrupt at bit %zu of %zu bytes", it.pos, len);
	memset(a, 0, sizeof *a);
	size_t end = (it.pos + 7) / 8; /* bytes holding data */
	size_t keep = len > end ? end + 1 : end; /* Go's trailing empty byte, if present */
	a->len = keep;
	if (app_grow(a, 128) != 0)
		return err_set(e, FL_ENOMEM, "xor chunk: out of memory");
	memcpy(a->b, b, keep);
	a->bits_left = (uint8_t)(keep * 8 - it.pos);
	if (it.pos & 7) /* clear stray bits past the data in the last byte */
		a->b[it.pos >> 3] &= (uint8_t)(0xff00u >> (it.pos & 7));
	if (keep > end)
		a->b[keep - 1] = 0;
	if (a->bits_left == 8 && keep == end) /* cannot happen; keep invariant 1 */
		a->bits_left = 0;
	a->n = it.read;
	a->t = it.t;
	a->v = it.v;
	a->t_delta = it.t_delta;
	a->leading = it.read == 0 ? 0xff : it.leading; /* as xor.go Appender() */
	a->trailing = it.trailing;
	return 0;
}

/* ---------------------------------------------------------------- reader */

uint16_t xor_chunk_count(const uint8_t *b, size_t len) { return len < 2 ? 0 : be16(b); }

void xor_iter_init(xor_iter *it, const uint8_t *b, size_t len, uint16_t limit)
{
	memset(it, 0, sizeof *it);
	it->b = b;
	it->len = len;
	it->pos = 16;
	if (len < 2) {
		it->err = FL_ECORRUPT;
		return;
	}
	it->total = be16(b);
	if (limit && limit < it->total)
		it->total = limit;
}

/* 64 bits starting at bit pos, left aligned; at least 57 of them are real
 * (bits past the end read as zero). */
static inline uint64_t peek(const xor_iter *it, size_t pos)
{
	size_t i = pos >> 3;
	uint64_t w;
	if (i + 8 <= it->len) {
		memcpy(&w, it->b + i, 8);
		w = __builtin_bswap64(w);
	} else {
		w = 0;
		for (unsigned k = 0; i + k < it->len; k++)
			w |= (uint64_t)it->b[i + k] << (56 - 8 * k);
	}
	return w << (pos & 7);
}

static inline bool avail(const xor_iter *it, size_t n) { return it->pos + n <= it->len * 8; }

/* Read n (1..64) bits; the caller checked avail(). */
static inline uint64_t take(xor_iter *it, unsigned n)
{
	uint64_t r;
	if (n <= 56) {
		r = peek(it, it->pos) >> (64 - n);
	} else {
		uint64_t hi = peek(it, it->pos) >> 32;
		r = (hi << (n - 32)) | (peek(it, it->pos + 32) >> (64 - (n - 32)));
	}
	it->pos += n;
	return r;
}

static bool fail(xor_iter *it)
{
	it->err = FL_ECORRUPT;
	return false;
}

static bool read_value(xor_iter *it)
{
	if (!avail(it, 1))
		return fail(it);
	uint64_t w = peek(it, it->pos);
	if (!(w >> 63)) {
		it->pos++;
		it->read++;
		return true;
	}
	if (!avail(it, 2))
		return fail(it);
	if (w >> 62 & 1) {
		if (!avail(it, 13))
			return fail(it);
		unsigned lead = (unsigned)(w >> 57) & 31, sig = (unsigned)(w >> 51) & 63;
		if (sig == 0)
			sig = 64;
		if (lead + sig > 64)
			return fail(it); /* Go wraps uint8s here; no writer emits it */
		it->leading = (uint8_t)lead;
		it->trailing = (uint8_t)(64 - lead - sig);
		it->pos += 13;
	} else {
		it->pos += 2;
	}
	unsigned sig = 64u - it->leading - it->trailing;
	if (!avail(it, sig))
		return fail(it);
	uint64_t x = take(it, sig);
	it->v = bits_dbl(dbl_bits(it->v) ^ (x << it->trailing));
	it->read++;
	return true;
}

static bool read_first(xor_iter *it)
{
	uint64_t u;
	size_t at = it->pos >> 3; /* always byte aligned here */
	int n = uvarint_get(it->b + at, it->len - at, &u);
	if (n <= 0)
		return fail(it);
	it->pos += (size_t)n * 8;
	int64_t t = (int64_t)(u >> 1);
	it->t = u & 1 ? ~t : t;
	if (!avail(it, 64))
		return fail(it);
	it->v = bits_dbl(take(it, 64));
	it->read++;
	return true;
}

static bool read_second(xor_iter *it)
{
	uint64_t u;
	size_t at = it->pos >> 3;
	int n = uvarint_get(it->b + at, it->len - at, &u);
	if (n <= 0)
		return fail(it);
	it->pos += (size_t)n * 8;
	it->t_delta = (int64_t)u;
	it->t = (int64_t)((uint64_t)it->t + u);
	return read_value(it);
}

/* 64 bits at bit pos, left aligned (>= 57 valid); the caller guarantees
 * 8 readable bytes at pos/8. */
static inline uint64_t load_at(const uint8_t *b, size_t pos)
{
	uint64_t w;
	memcpy(&w, b + (pos >> 3), 8);
	return __builtin_bswap64(w) << (pos & 7);
}

/* n (1..64) bits at pos, unchecked (see load_at). */
static inline uint64_t bits_at(const uint8_t *b, size_t pos, unsigned n)
{
	if (n <= 57)
		return load_at(b, pos) >> (64 - n);
	return (load_at(b, pos) >> 32 << (n - 32)) | (load_at(b, pos + 32) >> (64 - (n - 32)));
}

#define XOR_FAST_LOOKAHEAD 32 /* bytes: one sample takes at most 145 bits + an 8-byte load */

/* Delta of delta at *pos, unchecked; advances *pos. */
__attribute__((always_inline)) static inline int64_t dod_at(const uint8_t *b, size_t *pos)
{
	uint64_t w = load_at(b, *pos), x;
	if (__builtin_expect(!(w >> 63), 1)) {
		*pos += 1;
		return 0;
	}
	if (!(w >> 62 & 1)) {
		x = (w << 2) >> 50;
		*pos += 16;
		return (int64_t)(x > 8192 ? x - 16384 : x);
	}
	if (!(w >> 61 & 1)) {
		x = (w << 3) >> 47;
		*pos += 20;
		return (int64_t)(x > 65536 ? x - 131072 : x);
	}
	if (!(w >> 60 & 1)) {
		x = (w << 4) >> 44;
		*pos += 24;
		return (int64_t)(x > 524288 ? x - 1048576 : x);
	}
	x = bits_at(b, *pos + 4, 64);
	*pos += 68;
	return (int64_t)x;
}

/* Decoder state in locals, so the hot loop keeps it in registers. */
typedef struct xstate {
	size_t pos;      /* bit position */
	uint64_t t;      /* timestamp (as unsigned: wrapping adds) */
	uint64_t td;     /* timestamp delta */
	uint64_t vb;     /* value bits */
	unsigned lead;   /* XOR window */
	unsigned trail;  /* XOR window */
} xstate;

/* One sample (k >= 2) with no bounds checks: the caller made sure at
 * least XOR_FAST_LOOKAHEAD bytes remain. Same decoding as the checked path.
 * False on an impossible XOR window. */
__attribute__((always_inline)) static inline bool step_fast(const uint8_t *b, xstate *s)
{
	s->td += (uint64_t)dod_at(b, &s->pos);
	s->t += s->td;
	uint64_t w = load_at(b, s->pos);
	if (!(w >> 63)) {
		s->pos += 1;
		return true;
	}
	if (w >> 62 & 1) {
		unsigned lead = (unsigned)(w >> 57) & 31, sig = (unsigned)(w >> 51) & 63;
		sig = sig ? sig : 64;
		if (lead + sig > 64)
			return false;
		s->lead = lead;
		s->trail = 64 - lead - sig;
		s->pos += 13;
	} else {
		s->pos += 2;
	}
	unsigned sig = 64u - s->lead - s->trail;
	s->vb ^= bits_at(b, s->pos, sig) << s->trail;
	s->pos += sig;
	return true;
}

static inline void state_load(const xor_iter *it, xstate *s)
{
	s->pos = it->pos;
	s->t = (uint64_t)it->t;
	s->td = (uint64_t)it->t_delta;
	s->vb = dbl_bits(it->v);
	s->lead = it->leading;
	s->trail = it->trailing;
}

static inline void state_store(xor_iter *it, const xstate *s)
{
	it->pos = s->pos;
	it->t = (int64_t)s->t;
	it->t_delta = (int64_t)s->td;
	it->v = bits_dbl(s->vb);
	it->leading = (uint8_t)s->lead;
	it->trailing = (uint8_t)s->trail;
}

static bool next_fast(xor_iter *it)
{
	xstate s;
	state_load(it, &s);
	if (!step_fast(it->b, &s))
		return fail(it);
	state_store(it, &s);
	it->read++;
	return true;
}

size_t xor_iter_next_batch(xor_iter *it, int64_t *t, double *v, size_t n)
{
	size_t k = 0;
	while (k < n && it->read < 2 && xor_iter_next(it)) {
		t[k] = it->t;
		v[k++] = it->v;
	}
	if (it->err || it->read < 2)
		return k;
	size_t lim = it->len >= XOR_FAST_LOOKAHEAD ? (it->len - XOR_FAST_LOOKAHEAD) * 8 : 0;
	size_t left = FL_MIN(n - k, (size_t)(it->total - it->read));
	xstate s;
	state_load(it, &s);
	size_t k0 = k;
	while (left && s.pos <= lim) {
		if (!step_fast(it->b, &s))
			break;
		t[k] = (int64_t)s.t;
		v[k++] = bits_dbl(s.vb);
		left--;
	}
	state_store(it, &s);
	it->read = (uint16_t)(it->read + (k - k0));
	if (left && s.pos <= lim) { /* step_fast refused: report it */
		fail(it);
		return k;
	}
	while (k < n && xor_iter_next(it)) {
		t[k] = it->t;
		v[k++] = it->v;
	}
	return k;
}

bool xor_iter_next(xor_iter *it)
{
	if (it->err || it->read >= it->total)
		return false;
	if (__builtin_expect(it->read >= 2 && (it->pos >> 3) + XOR_FAST_LOOKAHEAD <= it->len, 1))
		return next_fast(it);
	if (it->read == 0)
		return read_first(it);
	if (it->read == 1)
		return read_second(it);
	if (!avail(it, 1))
		return fail(it);
	uint64_t w = peek(it, it->pos);
	int64_t dod = 0;
	unsigned sz = 0, pre;
	if (!(w >> 63))
		pre = 1;
	else if (!(w >> 62 & 1))
		pre = 2, sz = 14;
	else if (!(w >> 61 & 1))
		pre = 3, sz = 17;
	else if (!(w >> 60 & 1))
		pre = 4, sz = 20;
	else
		pre = 4, sz = 64;
	if (!avail(it, pre + sz))
		return fail(it);
	if (sz == 0) {
		it->pos++;
	} else if (sz < 64) {
		uint64_t x = (w << pre) >> (64 - sz);
		if (x > (UINT64_C(1) << (sz - 1)))
			x -= UINT64_C(1) << sz;
		dod = (int64_t)x;
		it->pos += pre + sz;
	} else {
		it->pos += pre;
		dod = (int64_t)take(it, 64);
	}
	it->t_delta = (int64_t)((uint64_t)it->t_delta + (uint64_t)dod);
	it->t = (int64_t)((uint64_t)it->t + (uint64_t)it->t_delta);
	return read_value(it);
}

bool xor_iter_seek(xor_iter *it, int64_t target)
{
	if (it->err)
		return false;
	while (it->read == 0 || target > it->t)
		if (!xor_iter_next(it))
			return false;
	return true;
}
