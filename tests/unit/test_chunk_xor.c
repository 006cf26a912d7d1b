/* test_chunk_xor.c - tsdb/chunk_xor.c: round trips and bit identity with
 * chunks Prometheus wrote (golden blocks and head chunks). */
#include "lib/buf.h"
#include "tests/unit/test.h"
#include "tsdb/chunk.h"
#include "tsdb/chunks.h"
#include "tsdb/storage.h"

#include <dirent.h>

static uint64_t bits_of(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double dbl_of(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

/* Encode n samples, decode them, compare bit for bit. */
static void roundtrip(const int64_t *ts, const double *vs, size_t n)
{
	xor_app a;
	ASSERT_EQ(xor_app_init(&a), 0);
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ(xor_app_append(&a, ts[i], vs[i]), 0);
	ASSERT_EQ(xor_chunk_count(xor_app_bytes(&a), xor_app_len(&a)), n);
	xor_iter it;
	xor_iter_init(&it, xor_app_bytes(&a), xor_app_len(&a), 0);
	for (size_t i = 0; i < n; i++) {
		ASSERT(xor_iter_next(&it));
		int64_t t;
		double v;
		xor_iter_at(&it, &t, &v);
		ASSERT_EQ(t, ts[i]);
		ASSERT_U64_EQ(bits_of(v), bits_of(vs[i]));
	}
	ASSERT(!xor_iter_next(&it));
	ASSERT_EQ(it.err, 0);
	/* the batch decoder agrees, in any piece size */
	for (size_t piece = 1; piece <= 7; piece += 3) {
		int64_t bt[8];
		double bv[8];
		size_t got = 0, k;
		xor_iter_init(&it, xor_app_bytes(&a), xor_app_len(&a), 0);
		while ((k = xor_iter_next_batch(&it, bt, bv, piece)) > 0) {
			for (size_t i = 0; i < k; i++) {
				ASSERT(got + i < n);
				ASSERT_EQ(bt[i], ts[got + i]);
				ASSERT_U64_EQ(bits_of(bv[i]), bits_of(vs[got + i]));
			}
			got += k;
		}
		ASSERT_EQ(got, n);
		ASSERT_EQ(it.err, 0);
	}
	/* continuing from the bytes yields the same chunk as appending on */
	xor_app b;
	err e;
	ASSERT_EQ(xor_app_init_from(&b, xor_app_bytes(&a), xor_app_len(&a), &e), 0);
	ASSERT_EQ(xor_app_len(&b), xor_app_len(&a));
	ASSERT(memcmp(xor_app_bytes(&a), xor_app_bytes(&b), xor_app_len(&a)) == 0);
	xor_app_free(&b);
	xor_app_free(&a);
}

static void xor_roundtrip_special_values(void)
{
	double vals[] = {0.0, -0.0, NAN, stale_nan(), INFINITY, -INFINITY, 5e-324, 2.2250738585072009e-308,
			 1.7976931348623157e308, 1.0, 1.0, 0.1, 1e-9, -1e18, 9007199254740993.0, stale_nan(), 42, 42};
	size_t n = sizeof vals / sizeof vals[0];
	int64_t ts[sizeof vals / sizeof vals[0]];
	for (size_t i = 0; i < n; i++)
		ts[i] = 1700000000000 + (int64_t)i * 15000;
	roundtrip(ts, vals, n);
	/* stale bits survive exactly */
	xor_app a;
	xor_app_init(&a);
	xor_app_append(&a, 1, 3.0);
	xor_app_append(&a, 2, stale_nan());
	xor_iter it;
	xor_iter_init(&it, a.b, a.len, 0);
	ASSERT(xor_iter_next(&it) && xor_iter_next(&it));
	ASSERT(is_stale_nan(it.v));
	xor_app_free(&a);
}

static void xor_roundtrip_timestamps(void)
{
	/* huge deltas, negative timestamps, every dod bucket edge */
	int64_t ts[] = {-9000000000000000000LL, -5, 0, 1, 8194, 16387, 16387 + 8192 + 8193, 200000, 200001,
			200001 + 65536 * 3, 9000000000000000000LL};
	double vs[sizeof ts / sizeof ts[0]];
	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
		vs[i] = (double)i * 1.5;
	roundtrip(ts, vs, sizeof ts / sizeof ts[0]);
	int64_t t2[300];
	double v2[300];
	uint64_t s = 88172645463325252ull;
	int64_t t = -1000;
	for (int i = 0; i < 300; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		int shift = (int)(s % 40);
		t += (int64_t)((s >> 8) & ((1ull << shift) - 1)) + 1;
		t2[i] = t;
		v2[i] = i % 7 == 0 ? dbl_of(s) : (double)(s % 1000) / 7.0;
		if (isnan(v2[i]) && i % 3)
			v2[i] = 1;
	}
	roundtrip(t2, v2, 300);
	roundtrip(t2, v2, 1);
	roundtrip(t2, v2, 2);
}

static void xor_single_sample_layout(void)
{
	/* Go: header 2 + varint + 8 value bytes + 1 empty byte (bstream.writeByte) */
	xor_app a;
	xor_app_init(&a);
	xor_app_append(&a, 1000, 1.0);
	ASSERT_EQ(a.len, 2 + 2 + 8 + 1);
	ASSERT_EQ(a.b[0], 0);
	ASSERT_EQ(a.b[1], 1);
	ASSERT_EQ(a.b[2], 0xd0); /* zigzag(1000)=2000 = d0 0f */
	ASSERT_EQ(a.b[3], 0x0f);
	ASSERT_EQ(a.b[4], 0x3f);
	ASSERT_EQ(a.b[5], 0xf0);
	ASSERT_EQ(a.b[12], 0);
	xor_app_free(&a);
}

static void xor_seek_never_back(void)
{
	xor_app a;
	xor_app_init(&a);
	for (int i = 0; i < 100; i++)
		xor_app_append(&a, i * 10, i);
	xor_iter it;
	xor_iter_init(&it, a.b, a.len, 0);
	ASSERT(xor_iter_seek(&it, -5));
	ASSERT_EQ(it.t, 0);
	ASSERT(xor_iter_seek(&it, 55));
	ASSERT_EQ(it.t, 60);
	ASSERT(xor_iter_seek(&it, 10));
	ASSERT_EQ(it.t, 60);
	ASSERT(xor_iter_seek(&it, 990));
	ASSERT(!xor_iter_seek(&it, 991));
	ASSERT_EQ(it.err, 0);
	/* a limit decodes only a prefix */
	xor_iter_init(&it, a.b, a.len, 5);
	int n = 0;
	while (xor_iter_next(&it))
		n++;
	ASSERT_EQ(n, 5);
	xor_app_free(&a);
}

static void xor_corrupt_inputs(void)
{
	xor_app a;
	xor_app_init(&a);
	for (int i = 0; i < 50; i++)
		xor_app_append(&a, i * 15000 + (i % 3), i * 0.37);
	for (size_t cut = 0; cut < a.len - 1; cut++) {
		xor_iter it;
		xor_iter_init(&it, a.b, cut, 0);
		while (xor_iter_next(&it))
			;
		ASSERT(it.err != 0 || cut < 2);
		int64_t bt[64];
		double bv[64];
		xor_iter_init(&it, a.b, cut, 0);
		ASSERT(xor_iter_next_batch(&it, bt, bv, 64) < 50);
		ASSERT(it.err != 0);
	}
	xor_app_free(&a);
}

static void check_against_reference_n(const uint8_t *p, size_t len, size_t piece);

/* Truncated and bit-flipped chunks: every decoder path stops at the same
 * sample as the bit-by-bit reference (the fast path's padded tail must
 * drop a sample that runs past the end), with the same samples before. */
static void xor_corrupt_matches_reference(void)
{
	uint64_t s = 0x9E3779B97F4A7C15ull;
	for (int c = 0; c < 40; c++) {
		xor_app a;
		xor_app_init(&a);
		int64_t t = 1000;
		for (int i = 0; i < 60; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			t += c % 4 == 0 ? 15000 : (int64_t)(s >> (36 + c % 28)) + 1;
			xor_app_append(&a, t, c % 3 == 0 ? dbl_of(s) : (double)(s % 50) * 0.5);
		}
		for (size_t cut = 2; cut <= a.len; cut++) /* every prefix */
			check_against_reference_n(a.b, cut, 1 + (cut % 5) * 7);
		uint8_t *m = fl_malloc(a.len);
		for (int f = 0; f < 40; f++) { /* random bit flips */
			memcpy(m, a.b, a.len);
			for (int k = 0; k <= f % 3; k++) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				size_t bit = 16 + s % ((a.len - 2) * 8);
				m[bit / 8] ^= (uint8_t)(0x80 >> bit % 8);
			}
			check_against_reference_n(m, a.len, 1 + f % 9);
		}
		fl_free(m);
		xor_app_free(&a);
	}
}

/* Re-encode a chunk's samples and require the same bytes. */
static void check_identical(const uint8_t *p, size_t len, const char *what, size_t off)
{
	xor_iter it;
	xor_iter_init(&it, p, len, 0);
	xor_app a;
	ASSERT_EQ(xor_app_init(&a), 0);
	while (xor_iter_next(&it))
		xor_app_append(&a, it.t, it.v);
	if (it.err || it.read != it.total)
		test_fail(__FILE__, __LINE__, "%s offset %zu: decode error after %u samples", what, off, it.read);
	if (a.len != len || memcmp(a.b, p, len) != 0)
		test_fail(__FILE__, __LINE__, "%s offset %zu: re-encoded %zu bytes differ from %zu", what, off, (size_t)a.len, len);
	xor_app_free(&a);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf b;
	buf_init(&b);
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_put(&b, tmp, k);
	fclose(f);
	*n = b.len;
	return b.p;
}

static void xor_bit_identical_golden_blocks(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/conformance/tsdb/block-openmetrics/blocks", test_shared_dir());
	DIR *d = opendir(dir);
	ASSERT(d != NULL);
	struct dirent *de;
	int n_chunks = 0, n_blocks = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/%s/chunks/000001", dir, de->d_name);
		size_t len;
		uint8_t *p = slurp(path, &len);
		ASSERT(p != NULL);
		chunks_seg_iter si;
		err e;
		ASSERT_EQ(chunks_seg_iter_init(&si, p, len, &e), 0);
		size_t off, dlen;
		uint8_t enc;
		const uint8_t *data;
		while (chunks_seg_iter_next(&si, &off, &enc, &data, &dlen, &e)) {
			ASSERT_EQ(enc, CHUNK_ENC_XOR);
			check_identical(data, dlen, path, off);
			n_chunks++;
		}
		ASSERT_EQ(si.err, 0);
		ASSERT_EQ(si.off, len);
		fl_free(p);
		n_blocks++;
	}
	closedir(d);
	ASSERT_EQ(n_blocks, 2);
	ASSERT_EQ(n_chunks, 67 + 94);
}

/* chunks_head/NNNNNN: magic 0x0130BC91, version, 3 pad; chunk: ref u64,
 * mint i64, maxt i64, enc u8, len uvarint, data, crc u32. */
static void xor_bit_identical_head_chunks(void)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/wal-remote-write/data-sigterm/chunks_head/000001", test_shared_dir());
	size_t len;
	uint8_t *p = slurp(path, &len);
	ASSERT(p != NULL);
	ASSERT_U64_EQ(be32(p), 0x0130BC91u);
	size_t off = 8;
	int n = 0;
	while (off + 25 < len && be64(p + off) != 0) {
		uint8_t enc = p[off + 24];
		uint64_t dlen;
		int k = uvarint_get(p + off + 25, len - off - 25, &dlen);
		ASSERT(k > 0);
		size_t data = off + 25 + (size_t)k;
		ASSERT(data + dlen + 4 <= len);
		ASSERT_EQ(enc, CHUNK_ENC_XOR);
		check_identical(p + data, (size_t)dlen, path, off);
		xor_iter it;
		xor_iter_init(&it, p + data, (size_t)dlen, 0);
		ASSERT(xor_iter_next(&it));
		ASSERT_EQ(it.t, (int64_t)be64(p + off + 8)); /* mint */
		off = data + (size_t)dlen + 4;
		n++;
	}
	ASSERT_EQ(n, 198);
	fl_free(p);
}

/* ---- a slow bit-by-bit reference decoder (Go's readBit semantics) to
 * cross-check the word-at-a-time fast paths (SQLite's cellSizePtr idea) ---- */

typedef struct ref_rd {
	const uint8_t *b; /* chunk bytes */
	size_t n_bits;    /* len * 8 */
	size_t pos;       /* bit position */
	bool eof;         /* read past the end */
} ref_rd;

static uint64_t ref_bits(ref_rd *r, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (r->pos >= r->n_bits) {
			r->eof = true;
			return 0;
		}
		v = v << 1 | (uint64_t)(r->b[r->pos / 8] >> (7 - r->pos % 8) & 1);
		r->pos++;
	}
	return v;
}

static uint64_t ref_uvarint(ref_rd *r)
{
	uint64_t v = 0;
	for (unsigned s = 0; s < 70 && !r->eof; s += 7) {
		uint64_t c = ref_bits(r, 8);
		v |= (c & 0x7f) << s;
		if (c < 0x80)
			return v;
	}
	r->eof = true;
	return 0;
}

/* Returns false for an impossible window (lead + sig > 64), which flint
 * rejects as corrupt (Go would wrap its uint8s). */
static bool ref_value(ref_rd *r, uint64_t *vb, unsigned *lead, unsigned *trail)
{
	if (!ref_bits(r, 1))
		return true;
	if (ref_bits(r, 1)) {
		unsigned l = (unsigned)ref_bits(r, 5);
		unsigned sig = (unsigned)ref_bits(r, 6);
		if (sig == 0)
			sig = 64;
		if (l + sig > 64)
			return false;
		*lead = l;
		*trail = 64 - l - sig;
	}
	*vb ^= ref_bits(r, 64 - *lead - *trail) << *trail;
	return true;
}

/* Decode with the reference reader: the samples that lie wholly inside
 * the stream, up to the header's count (at most max). */
static size_t ref_decode(const uint8_t *p, size_t len, int64_t *ts, uint64_t *vs, size_t max)
{
	if (len < 2)
		return 0;
	ref_rd r = {p, len * 8, 16, false};
	unsigned n = be16(p), lead = 0, trail = 0;
	uint64_t t = 0, td = 0, vb = 0;
	size_t i;
	for (i = 0; i < n && i < max; i++) {
		bool ok = true;
		if (i == 0) {
			uint64_t u = ref_uvarint(&r);
			t = u & 1 ? ~(u >> 1) : u >> 1;
			vb = ref_bits(&r, 64);
		} else if (i == 1) {
			td = ref_uvarint(&r);
			t += td;
			ok = ref_value(&r, &vb, &lead, &trail);
		} else {
			unsigned d = 0, k;
			for (k = 0; k < 4 && ref_bits(&r, 1); k++)
				d++;
			static const unsigned sz[] = {0, 14, 17, 20, 64};
			uint64_t x = sz[d] ? ref_bits(&r, sz[d]) : 0;
			if (sz[d] && sz[d] < 64 && x > (1ull << (sz[d] - 1)))
				x -= 1ull << sz[d];
			td += x;
			t += td;
			ok = ref_value(&r, &vb, &lead, &trail);
		}
		if (r.eof || !ok)
			break;
		ts[i] = (int64_t)t;
		vs[i] = vb;
	}
	return i;
}

/* xor_iter_next and xor_iter_next_batch (in pieces of `piece`) decode
 * exactly the reference's samples, and report corruption iff the
 * reference stopped short of the header's count. */
static void check_against_reference_n(const uint8_t *p, size_t len, size_t piece)
{
	static int64_t rt[65536], bt[65536];
	static uint64_t rv[65536];
	static double bv[65536];
	size_t n = ref_decode(p, len, rt, rv, 65536);
	bool short_read = len < 2 || n < be16(p);
	xor_iter it;
	xor_iter_init(&it, p, len, 0);
	for (size_t i = 0; i < n; i++) {
		ASSERT(xor_iter_next(&it));
		ASSERT_EQ(it.t, rt[i]);
		ASSERT_U64_EQ(bits_of(it.v), rv[i]);
	}
	ASSERT(!xor_iter_next(&it));
	ASSERT_EQ(it.err != 0, short_read);
	size_t got = 0, k;
	xor_iter_init(&it, p, len, 0);
	while ((k = xor_iter_next_batch(&it, bt + got, bv + got, piece)) > 0)
		got += k;
	ASSERT_EQ(got, n);
	ASSERT_EQ(it.err != 0, short_read);
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(bt[i], rt[i]);
		ASSERT_U64_EQ(bits_of(bv[i]), rv[i]);
	}
}

/* Decode with the reference reader and with xor_iter; require agreement. */
static void check_against_reference(const uint8_t *p, size_t len)
{
	ASSERT(len >= 2);
	check_against_reference_n(p, len, 1000);
	check_against_reference_n(p, len, 3);
}

static void xor_fast_paths_match_reference(void)
{
	/* every golden block chunk */
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/block-openmetrics/blocks/01M85ZJJW0Q48HSX1F1SJXQXMD/chunks/000001",
		 test_shared_dir());
	size_t len;
	uint8_t *p = slurp(path, &len);
	ASSERT(p != NULL);
	chunks_seg_iter si;
	ASSERT_EQ(chunks_seg_iter_init(&si, p, len, NULL), 0);
	size_t off, dlen;
	uint8_t enc;
	const uint8_t *data;
	int n = 0;
	while (chunks_seg_iter_next(&si, &off, &enc, &data, &dlen, NULL)) {
		check_against_reference(data, dlen);
		n++;
	}
	ASSERT_EQ(n, 67);
	fl_free(p);
	/* random chunks exercising every bucket and window */
	uint64_t s = 0x243F6A8885A308D3ull;
	for (int c = 0; c < 200; c++) {
		xor_app a;
		xor_app_init(&a);
		int64_t t = (int64_t)(s % 100000) - 50000;
		int count = 1 + (int)(s % 300);
		for (int i = 0; i < count; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			t += (int64_t)(s >> (40 + s % 24)) + 1;
			double v = c % 3 == 0 ? dbl_of(s) : (double)(s % 97) * (c % 2 ? 0.25 : 1e6);
			xor_app_append(&a, t, v);
		}
		check_against_reference(a.b, a.len);
		xor_app_free(&a);
	}
}

/* ---- a reference encoder modelling Go's bstream primitive by primitive
 * (writeBit/writeByte/writeBits), to pin the byte length rules ---- */

typedef struct ref_bs {
	uint8_t b[4096]; /* stream */
	size_t len;      /* bytes */
	unsigned count;  /* free bits in the last byte */
} ref_bs;

static void go_write_bit(ref_bs *s, int bit)
{
	if (s->count == 0) {
		s->b[s->len++] = 0;
		s->count = 8;
	}
	if (bit)
		s->b[s->len - 1] |= (uint8_t)(1u << (s->count - 1));
	s->count--;
}

static void go_write_byte(ref_bs *s, uint8_t byt)
{
	if (s->count == 0) {
		s->b[s->len++] = 0;
		s->count = 8;
	}
	s->b[s->len - 1] |= (uint8_t)(byt >> (8 - s->count));
	s->b[s->len++] = (uint8_t)(s->count == 8 ? 0 : byt << s->count);
}

static void go_write_bits(ref_bs *s, uint64_t u, int nbits)
{
	u <<= 64 - nbits;
	for (; nbits >= 8; nbits -= 8, u <<= 8)
		go_write_byte(s, (uint8_t)(u >> 56));
	for (; nbits > 0; nbits--, u <<= 1)
		go_write_bit(s, (int)(u >> 63));
}

typedef struct ref_app {
	ref_bs s;
	int64_t t;
	uint64_t td;
	uint64_t vb;
	unsigned lead, trail, n;
} ref_app;

static void go_uvarint(ref_bs *s, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		go_write_byte(s, (uint8_t)(v | 0x80));
	go_write_byte(s, (uint8_t)v);
}

static bool go_range(int64_t x, int n) { return -((1LL << (n - 1)) - 1) <= x && x <= (1LL << (n - 1)); }

static void go_append(ref_app *a, int64_t t, double v)
{
	uint64_t vb = bits_of(v), td = 0;
	if (a->n == 0) {
		uint64_t zz = (uint64_t)t << 1;
		go_uvarint(&a->s, t < 0 ? ~zz : zz);
		go_write_bits(&a->s, vb, 64);
	} else {
		td = (uint64_t)t - (uint64_t)a->t;
		if (a->n == 1) {
			go_uvarint(&a->s, td);
		} else {
			int64_t dod = (int64_t)(td - a->td);
			static const int w[] = {14, 17, 20};
			int k = 0;
			while (k < 3 && !go_range(dod, w[k]))
				k++;
			if (dod == 0) {
				go_write_bit(&a->s, 0);
			} else if (k < 3) { /* '10', '110', '1110' */
				go_write_bits(&a->s, (1u << (k + 2)) - 2, k + 2);
				go_write_bits(&a->s, (uint64_t)dod & ((1ull << w[k]) - 1), w[k]);
			} else {
				go_write_bits(&a->s, 15, 4);
				go_write_bits(&a->s, (uint64_t)dod, 64);
			}
		}
		uint64_t d = vb ^ a->vb;
		if (d == 0) {
			go_write_bit(&a->s, 0);
		} else {
			go_write_bit(&a->s, 1);
			unsigned lead = (unsigned)__builtin_clzll(d), trail = (unsigned)__builtin_ctzll(d);
			lead = lead >= 32 ? 31 : lead;
			if (a->lead != 0xff && lead >= a->lead && trail >= a->trail) {
				go_write_bit(&a->s, 0);
				go_write_bits(&a->s, d >> a->trail, (int)(64 - a->lead - a->trail));
			} else {
				a->lead = lead, a->trail = trail;
				go_write_bit(&a->s, 1);
				go_write_bits(&a->s, lead, 5);
				go_write_bits(&a->s, (64 - lead - trail) & 63, 6);
				go_write_bits(&a->s, d >> trail, (int)(64 - lead - trail));
			}
		}
	}
	a->t = t;
	a->vb = vb;
	a->td = td;
	a->n++;
	a->s.b[0] = (uint8_t)(a->n >> 8);
	a->s.b[1] = (uint8_t)a->n;
}

static void xor_encoder_matches_go_bstream_model(void)
{
	uint64_t s = 0x9E3779B97F4A7C15ull;
	for (int c = 0; c < 300; c++) {
		ref_app r;
		memset(&r, 0, sizeof r);
		r.s.len = 2;
		r.lead = 0xff;
		xor_app a;
		xor_app_init(&a);
		int64_t t = (int64_t)(s % 1000000) - 500000;
		int count = 1 + (int)(s % 150);
		double v = 0;
		for (int i = 0; i < count; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			t += (int64_t)(s >> (36 + s % 28));
			switch ((s >> 5) % 5) {
			case 0: v = dbl_of(s); break;                 /* any bits: 64-bit windows */
			case 1: v += 1; break;                        /* counters */
			case 2: break;                                /* repeats */
			case 3: v = (double)(s % 4096) * 256; break;  /* windows of whole bytes */
			default: v = dbl_of(bits_of(v) ^ (0xffull << (8 * (s % 8)))); break;
			}
			if (isnan(v) && c % 2)
				v = 0;
			go_append(&r, t, v);
			ASSERT_EQ(xor_app_append(&a, t, v), 0);
			if (a.len != r.s.len || memcmp(a.b, r.s.b, a.len) != 0)
				test_fail(__FILE__, __LINE__, "chunk %d sample %d: %zu bytes, Go model %zu bytes", c, i, (size_t)a.len,
					  r.s.len);
			ASSERT_EQ(a.bits_left, r.s.count);
		}
		xor_app_free(&a);
	}
}

const struct test tests_chunk_xor[] = {
	{"xor_roundtrip_special_values", xor_roundtrip_special_values},
	{"xor_roundtrip_timestamps", xor_roundtrip_timestamps},
	{"xor_single_sample_layout", xor_single_sample_layout},
	{"xor_seek_never_back", xor_seek_never_back},
	{"xor_corrupt_inputs", xor_corrupt_inputs},
	{"xor_corrupt_matches_reference", xor_corrupt_matches_reference},
	{"xor_fast_paths_match_reference", xor_fast_paths_match_reference},
	{"xor_encoder_matches_go_bstream_model", xor_encoder_matches_go_bstream_model},
	{"xor_bit_identical_golden_blocks", xor_bit_identical_golden_blocks},
	{"xor_bit_identical_head_chunks", xor_bit_identical_head_chunks},
	{NULL, NULL},
};
