/*
 * md5.c - MD5 as RFC 1321 specifies it: 64-byte blocks, four rounds of
 * sixteen steps over the little-endian words of a block, the message padded
 * with 0x80, zeros and its bit length (little-endian) to a multiple of 64.
 * The per-step constants are floor(abs(sin(i + 1)) * 2^32), written out.
 * Used by tsdb/relabel.c (hashmod); tests/unit/test_relabel.c checks the
 * RFC's test suite.
 */
#include "lib/md5.h"

#include <string.h>

static const uint32_t K[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts, four per round. */
static const uint8_t R[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static uint32_t rotl(uint32_t x, unsigned s) { return x << s | x >> (32 - s); }

static void block(uint32_t h[4], const uint8_t *p)
{
	uint32_t m[16];
	for (int i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
		       (uint32_t)p[4 * i + 3] << 24;
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g, round = i / 16;
		switch (round) {
		case 0: f = (b & c) | (~b & d); g = i; break;
		case 1: f = (d & b) | (~d & c); g = (5 * i + 1) % 16; break;
		case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16; break;
		default: f = c ^ (b | ~d); g = (7 * i) % 16; break;
		}
		uint32_t t = d;
		d = c;
		c = b;
		b = b + rotl(a + f + K[i] + m[g], R[round * 4 + i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void md5_init(md5_ctx *c)
{
	c->h[0] = 0x67452301;
	c->h[1] = 0xefcdab89;
	c->h[2] = 0x98badcfe;
	c->h[3] = 0x10325476;
	c->n = 0;
	c->blk_len = 0;
}

void md5_update(md5_ctx *c, const void *p, size_t n)
{
	const uint8_t *s = p;
	c->n += n;
	if (c->blk_len) {
		size_t k = 64 - c->blk_len < n ? 64 - c->blk_len : n;
		memcpy(c->blk + c->blk_len, s, k);
		c->blk_len += k;
		s += k;
		n -= k;
		if (c->blk_len < 64)
			return;
		block(c->h, c->blk);
		c->blk_len = 0;
	}
	for (; n >= 64; s += 64, n -= 64)
		block(c->h, s);
	if (n)
		memcpy(c->blk, s, n);
	c->blk_len = n;
}

void md5_final(md5_ctx *c, uint8_t out[16])
{
	uint64_t bits = c->n * 8;
	static const uint8_t pad[64] = {0x80};
	md5_update(c, pad, c->blk_len < 56 ? 56 - c->blk_len : 120 - c->blk_len);
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (8 * i));
	md5_update(c, len, 8);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(c->h[i] >> (8 * j));
}

void md5_sum(const void *p, size_t n, uint8_t out[16])
{
	md5_ctx c;
	md5_init(&c);
	md5_update(&c, p, n);
	md5_final(&c, out);
}
