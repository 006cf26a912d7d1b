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
 * The decoder reads 64-bit big-endian windows at the bit position. The
 * first two samples (varints) go through a checked path that tests every
 * field against the stream end. Samples 2.. go through step(), which has
 * no per-field checks: while XOR_LOOKAHEAD bytes remain after the
 * position it reads the chunk in place; for the last bytes it decodes from
 * a zero-padded copy and drops, as corrupt, a sample that ends past the
 * stream (the same samples the bit-by-bit reader in test_chunk_xor.c
 * yields). Corrupt or short input stops the iterator with FL_ECORRUPT,
 * never a read out of bounds. The dod field is sign-extended without a
 * compare (DOD_FIELD); the XOR window is kept as a shift and a mask. The
 * value payload is taken from the dod's 64-bit window when it fits there.
 * xor_iter_next_batch runs step() with the state in locals (registers).
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
	a->cap = (uint32_t)cap;
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
	a->len = (uint32_t)((pos + 7) / 8);
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

int xor_app_init_cap(xor_app *a, size_t cap)
{
	memset(a, 0, sizeof *a);
	a->leading = 0xff;
	a->len = 2; /* count header; bits_left 0 as in NewXORChunk */
	if (app_grow(a, cap > 64 ? cap - 2 - XOR_SLACK : 64 - 2 - XOR_SLACK) != 0) {
		xor_app_free(a);
		return FL_ENOMEM;
	}
	return 0;
}

int xor_app_init(xor_app *a) { return xor_app_init_cap(a, 2 + 128 + XOR_SLACK); }

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
	if (len > UINT32_MAX / 2)
		return err_set(e, FL_ECORRUPT, "xor chunk: cannot append: %zu bytes is too large", len);
	xor_iter it;
	xor_iter_init(&it, b, len, 0);
	while (xor_iter_next(&it))
		;
	if (it.err || it.read != it.total)
		return err_set(e, FL_ECORRUPT, "xor chunk: cannot append: corrupt at bit %zu of %zu bytes", it.pos, len);
	memset(a, 0, sizeof *a);
	size_t end = (it.pos + 7) / 8; /* bytes holding data */
	size_t keep = len > end ? end + 1 : end; /* Go's trailing empty byte, if present */
	a->len = (uint32_t)keep;
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

/* ------------------------------------------------- fast decoder (k >= 2) */

#define XOR_LIKELY(x) __builtin_expect(!!(x), 1)
#define XOR_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* step() reads at most this many bytes from byte pos/8: a sample spans at
 * most 145 bits (4+64 dod, 2+11+64 value); its last load (8 bytes) is the
 * second half of a 64-bit payload, at bit pos+81+56, so at byte
 * (7+137)/8 = 18 past pos/8. */
#define XOR_LOOKAHEAD 26
#define XOR_TAIL_BUF (2 * XOR_LOOKAHEAD + 8)

/* 64 bits at bit pos, left aligned: 64 - pos%8 >= 57 of them are stream
 * bits, the rest zero. Unchecked: 8 bytes must be readable at pos/8. */
static inline uint64_t load_at(const uint8_t *b, size_t pos)
{
	uint64_t w;
	memcpy(&w, b + (pos >> 3), 8);
	return __builtin_bswap64(w) << (pos & 7);
}

/* All 64 bits at pos (two loads; 16 bytes readable at pos/8). */
static inline uint64_t load64_at(const uint8_t *b, size_t pos)
{
	return load_at(b, pos) | load_at(b, pos + 56) >> 56;
}

/* Decoder state in locals, so the hot loop keeps it in registers. The
 * XOR window is kept as lead, sig and mask, the bits it covers. */
typedef struct xstate {
	size_t pos;    /* bit position */
	uint64_t t;    /* timestamp (unsigned: wrapping adds, as Go) */
	uint64_t td;   /* timestamp delta */
	uint64_t vb;   /* value bits */
	uint64_t mask; /* XOR window: ones from bit 63-lead down to bit trail */
	unsigned lead; /* leading zeros of the window */
	unsigned sig;  /* bits in the window (1..64) */
} xstate;


/* An n-bit dod field at the top of f (Go: a field above 2^(n-1) is
 * negative): sign-extending f-1 and adding 1 maps 2^(n-1) to itself and
 * the values above it to field - 2^n. */
#define DOD_FIELD(f, n) ((uint64_t)((int64_t)((f) - (UINT64_C(1) << (64 - (n)))) >> (64 - (n))) + 1)

static inline uint64_t window_mask(unsigned lead, unsigned trail)
{
	return (~UINT64_C(0) >> lead) & (~UINT64_C(0) << trail);
}

/* Advance s over the dod of a sample, unchecked; returns the bits after
 * it, left aligned (at least 33 valid). Branches ordered by frequency. */
__attribute__((always_inline)) static inline uint64_t step_dod(const uint8_t *b, xstate *s)
{
	uint64_t w = load_at(b, s->pos);
	if (!(w >> 63)) {
		s->pos += 1;
		return w << 1;
	}
	if (XOR_LIKELY(!(w >> 62 & 1))) {
		s->td += DOD_FIELD(w << 2, 14);
		s->pos += 16;
		return w << 16;
	}
	if (!(w >> 61 & 1)) {
		s->td += DOD_FIELD(w << 3, 17);
		s->pos += 20;
		return w << 20;
	}
	if (!(w >> 60 & 1)) {
		s->td += DOD_FIELD(w << 4, 20);
		s->pos += 24;
		return w << 24;
	}
	s->td += load64_at(b, s->pos + 4);
	s->pos += 68;
	return load_at(b, s->pos);
}

/* step_dod's result holds at least this many stream bits (after a
 * 24-bit dod at byte offset 7); a value payload within them needs no
 * second load. */
#define XOR_W_BITS 33

/* The value payload at pos, s->sig bits, left aligned. */
static inline uint64_t reload(const uint8_t *b, const xstate *s)
{
	return XOR_LIKELY(s->sig <= 57) ? load_at(b, s->pos) : load64_at(b, s->pos);
}

/* One sample (k >= 2), unchecked: XOR_LOOKAHEAD bytes must be readable at
 * pos/8. w is step_dod's result. False on an impossible XOR window. */
__attribute__((always_inline)) static inline bool step(const uint8_t *b, xstate *s)
{
	uint64_t w = step_dod(b, s);
	s->t += s->td;
	if (!(w >> 63)) {
		s->pos += 1;
		return true;
	}
	uint64_t x;
	if ((int64_t)(w << 1) < 0) {
		unsigned lead = (unsigned)(w >> 57) & 31;
		unsigned sig = (((unsigned)(w >> 51) - 1) & 63) + 1; /* 0 means 64 */
		if (XOR_UNLIKELY(lead + sig > 64))
			return false; /* Go wraps uint8s here; no writer emits it */
		s->sig = sig;
		s->lead = lead;
		s->mask = window_mask(lead, 64 - lead - sig);
		s->pos += 13;
		x = w << 13;
		if (XOR_UNLIKELY(sig > XOR_W_BITS - 13))
			x = reload(b, s);
	} else {
		s->pos += 2;
		x = w << 2;
		if (XOR_UNLIKELY(s->sig > XOR_W_BITS - 2))
			x = reload(b, s);
	}
	s->vb ^= (x >> s->lead) & s->mask;
	s->pos += s->sig;
	return true;
}

/* Decode up to n samples while pos <= lim (so that XOR_LOOKAHEAD bytes
 * are readable); false if step refused one. *k counts the samples. */
__attribute__((always_inline)) static inline bool run(const uint8_t *b, size_t lim, xstate *s, int64_t *t,
						      double *v, size_t n, size_t *k)
{
	xstate st = *s;
	int64_t *te = t + n; /* index from -(samples left) up to 0 */
	double *ve = v + n;
	ptrdiff_t i = (ptrdiff_t)*k - (ptrdiff_t)n;
	bool ok = true;
	while (i < 0 && st.pos <= lim) {
		if (XOR_UNLIKELY(!step(b, &st))) {
			ok = false;
			break;
		}
		te[i] = (int64_t)st.t;
		ve[i] = bits_dbl(st.vb);
		i++;
	}
	*s = st;
	*k = (size_t)(i + (ptrdiff_t)n);
	return ok;
}

static inline void state_load(const xor_iter *it, xstate *s)
{
	s->pos = it->pos;
	s->t = (uint64_t)it->t;
	s->td = (uint64_t)it->t_delta;
	s->vb = dbl_bits(it->v);
	s->lead = it->leading;
	s->sig = 64u - it->leading - it->trailing;
	s->mask = window_mask(it->leading, it->trailing);
}

static inline void state_store(xor_iter *it, const xstate *s)
{
	it->pos = s->pos;
	it->t = (int64_t)s->t;
	it->t_delta = (int64_t)s->td;
	it->v = bits_dbl(s->vb);
	it->leading = (uint8_t)s->lead;
	it->trailing = (uint8_t)(64 - s->lead - s->sig);
}

/* The last bytes: decode from a zero-padded copy, and drop (as corrupt) a
 * sample that ends past the stream (it read padding). */
static size_t run_tail(xor_iter *it, xstate *s, int64_t *t, double *v, size_t n, size_t k)
{
	uint8_t tb[XOR_TAIL_BUF] = {0};
	size_t at = s->pos >> 3;
	if (at > it->len) { /* cannot happen: pos never passes the end without an error */
		it->err = FL_ECORRUPT;
		return k;
	}
	size_t end = (it->len - at) * 8;
	memcpy(tb, it->b + at, it->len - at); /* < XOR_LOOKAHEAD + 1 bytes */
	s->pos -= at * 8;
	size_t k0 = k;
	bool ok = run(tb, end, s, t, v, n, &k);
	if (k > k0 && s->pos > end) {
		k--;
		ok = false;
	}
	s->pos += at * 8;
	if (!ok)
		it->err = FL_ECORRUPT;
	return k;
}

/* Samples 2.. of the chunk: up to n more (n <= samples left). Compiled
 * twice: the copy for CPUs with BMI2 (shifts by any register, no moves to
 * cl; the loop is mostly shifts) is picked when the program loads (an
 * ifunc), the other serves the rest. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__)
#define XOR_CLONES __attribute__((target_clones("default", "arch=haswell")))
#else
#define XOR_CLONES
#endif
XOR_CLONES static size_t decode_fast(xor_iter *it, int64_t *t, double *v, size_t n)
{
	xstate s;
	state_load(it, &s);
	size_t k = 0, lim = it->len >= XOR_LOOKAHEAD ? (it->len - XOR_LOOKAHEAD) * 8 : 0;
	if (it->len >= XOR_LOOKAHEAD && s.pos <= lim && !run(it->b, lim, &s, t, v, n, &k))
		it->err = FL_ECORRUPT;
	else if (k < n)
		k = run_tail(it, &s, t, v, n, k);
	state_store(it, &s);
	it->read = (uint16_t)(it->read + k);
	return k;
}

size_t xor_iter_next_batch(xor_iter *it, int64_t *t, double *v, size_t n)
{
	size_t k = 0;
	while (k < n && it->read < 2 && xor_iter_next(it)) {
		t[k] = it->t;
		v[k++] = it->v;
	}
	if (it->err || it->read < 2 || k == n)
		return k;
	return k + decode_fast(it, t + k, v + k, FL_MIN(n - k, (size_t)(it->total - it->read)));
}

bool xor_iter_next(xor_iter *it)
{
	if (XOR_UNLIKELY(it->err || it->read >= it->total))
		return false;
	if (XOR_UNLIKELY(it->read < 2))
		return it->read == 0 ? read_first(it) : read_second(it);
	if (XOR_LIKELY((it->pos >> 3) + XOR_LOOKAHEAD <= it->len)) {
		xstate s;
		state_load(it, &s);
		if (XOR_UNLIKELY(!step(it->b, &s)))
			return fail(it);
		state_store(it, &s);
		it->read++;
		return true;
	}
	int64_t t;
	double v;
	return decode_fast(it, &t, &v, 1) == 1;
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
