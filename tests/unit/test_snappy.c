/* test_snappy.c - lib/snappy.c: the same answers as libsnappy on blocks
 * that exercise each element and each way a block is invalid, and
 * libsnappy's and our WAL encoder's blocks decode back. */
#include "lib/snappy.h"
#include "tests/unit/test.h"
#include "tsdb/wal.h"

#include <snappy-c.h>

/* Decode with both; they agree, and the result is ok. */
static bool dec_same(const uint8_t *src, size_t n)
{
	size_t len = 0, hdr, ref_len = 0;
	bool ok_len = snappy_dec_length(src, n, &len, &hdr);
	ASSERT_EQ(ok_len, snappy_uncompressed_length((const char *)src, n, &ref_len) == SNAPPY_OK);
	if (!ok_len)
		return false;
	ASSERT_EQ(len, ref_len);
	uint8_t a[256 + SNAPPY_DEC_SLACK], b[256];
	ASSERT(len <= 256);
	size_t got = len;
	bool ok = snappy_dec(src, n, a, len);
	bool ref = snappy_uncompress((const char *)src, n, (char *)b, &got) == SNAPPY_OK && got == len;
	ASSERT_EQ(ok, ref);
	if (ok)
		ASSERT_EQ(memcmp(a, b, len), 0);
	return ok;
}

static void elements(void)
{
	/* literal "abc", copy-1 of 4 at offset 3 (overlapping: abcabca) */
	static const uint8_t overlap[] = {7, 0x08, 'a', 'b', 'c', 0x01, 0x03};
	ASSERT(dec_same(overlap, sizeof overlap));
	/* offset 1: a run */
	static const uint8_t run[] = {12, 0x00, 'x', 0x1d, 0x01};
	ASSERT(dec_same(run, sizeof run));
	/* literal of 20 bytes (one length byte, tag 60), copy-2 of 20 at offset 20 */
	uint8_t l2[] = {40, 60 << 2, 19, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
			'q', 'r', 's', 't', (19 << 2) | 2, 20, 0};
	ASSERT(dec_same(l2, sizeof l2));
	/* copy-4 (4-byte offset), offset 9: 8 <= offset < 16 */
	uint8_t c4[] = {18, 8 << 2, '1', '2', '3', '4', '5', '6', '7', '8', '9', (8 << 2) | 3, 9, 0, 0, 0};
	ASSERT(dec_same(c4, sizeof c4));
	/* empty block */
	static const uint8_t empty[] = {0};
	ASSERT(dec_same(empty, sizeof empty));
}

static void invalid(void)
{
	static const uint8_t off0[] = {5, 0x00, 'a', 0x01, 0x00};       /* offset 0 */
	static const uint8_t past[] = {5, 0x00, 'a', 0x01, 0x02};       /* offset past the start */
	static const uint8_t longer[] = {4, 0x00, 'a', 0x01, 0x01};     /* copy past the length */
	static const uint8_t shorter[] = {3, 0x00, 'a'};                /* ends before the length */
	static const uint8_t trunc_lit[] = {3, 0x08, 'a'};              /* literal past the input */
	static const uint8_t trunc_tag[] = {2, 0x00, 'a', 0x01};        /* copy's offset byte missing */
	static const uint8_t trunc_len[] = {2, 61 << 2, 1};             /* literal length bytes missing */
	static const uint8_t pre_long[] = {0x80, 0x80, 0x80, 0x80, 0x10}; /* preamble over 32 bits */
	static const uint8_t pre_trunc[] = {0x80};                      /* preamble cut */
	/* a 4-byte literal length of all ones wraps to 0 bytes, as in libsnappy */
	static const uint8_t wrap[] = {1, 63 << 2, 0xff, 0xff, 0xff, 0xff, 0x00, 'z'};
	const struct {
		const uint8_t *p;
		size_t n;
	} v[] = {{off0, sizeof off0},     {past, sizeof past},           {longer, sizeof longer},
		 {shorter, sizeof shorter}, {trunc_lit, sizeof trunc_lit}, {trunc_tag, sizeof trunc_tag},
		 {trunc_len, sizeof trunc_len}, {pre_long, sizeof pre_long}, {pre_trunc, sizeof pre_trunc}};
	for (size_t i = 0; i < FL_ARRAY_LEN(v); i++)
		ASSERT(!dec_same(v[i].p, v[i].n));
	ASSERT(dec_same(wrap, sizeof wrap));
}

/* Blocks from both encoders (libsnappy's, and the WAL's golang/snappy
 * one) of patterned inputs decode back to the input. */
static void round_trip(void)
{
	uint8_t in[200];
	for (int pat = 0; pat < 6; pat++) {
		for (size_t i = 0; i < sizeof in; i++)
			in[i] = (uint8_t)(pat == 0 ? i : pat == 1 ? 'a' : i % (size_t)(pat * 3 + 1) * 7);
		for (size_t n = 0; n <= sizeof in; n += 13) {
			char c[300];
			size_t clen = sizeof c;
			ASSERT_EQ(snappy_compress((const char *)in, n, c, &clen), SNAPPY_OK);
			ASSERT(dec_same((const uint8_t *)c, clen));
			uint8_t g[300], out[200 + SNAPPY_DEC_SLACK];
			ASSERT(wal_snappy_max_len(n) <= sizeof g);
			size_t glen = wal_snappy_encode(g, in, n), len, hdr;
			ASSERT(snappy_dec_length(g, glen, &len, &hdr));
			ASSERT_EQ(len, n);
			ASSERT(snappy_dec(g, glen, out, n));
			ASSERT_EQ(memcmp(out, in, n), 0);
		}
	}
}

const struct test tests_snappy[] = {
	{"snappy_elements", elements},
	{"snappy_invalid", invalid},
	{"snappy_round_trip", round_trip},
	{NULL, NULL},
};
