/*
 * fuzz_xor_roundtrip.c - XOR chunks: (1) decoding arbitrary bytes never
 * crashes or reads out of bounds; (2) samples derived from the input
 * (16 bytes each: t delta, value bits) round-trip bit for bit, and
 * continuing from the bytes (xor_app_init_from) reproduces the chunk.
 */
#include "tsdb/chunk.h"

#include <stdlib.h>

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void decode_any(const uint8_t *data, size_t size)
{
	xor_iter it;
	xor_iter_init(&it, data, size, 0);
	while (xor_iter_next(&it))
		;
	int64_t bt[37];
	double bv[37];
	xor_iter_init(&it, data, size, 0);
	while (xor_iter_next_batch(&it, bt, bv, 37) > 0)
		;
	xor_iter_init(&it, data, size, 0);
	if (size > 3)
		xor_iter_seek(&it, (int64_t)data[2] << 8);
	xor_app a;
	err e;
	if (xor_app_init_from(&a, data, size, &e) == 0) {
		xor_app_append(&a, a.t + 1, 1.0);
		xor_app_free(&a);
	}
}

static void roundtrip(const uint8_t *data, size_t size)
{
	size_t n = size / 16;
	if (n > 2000)
		n = 2000;
	xor_app a;
	if (xor_app_init(&a) != 0)
		return;
	int64_t t = (int64_t)(n ? rd64(data) : 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			t = (int64_t)((uint64_t)t + (rd64(data + 16 * i) >> (data[16 * i] & 63)));
		uint64_t vb = rd64(data + 16 * i + 8);
		double v;
		memcpy(&v, &vb, 8);
		if (xor_app_append(&a, t, v) != 0)
			break;
	}
	xor_iter it;
	xor_iter_init(&it, a.b, a.len, 0);
	int64_t t2 = (int64_t)(n ? rd64(data) : 0);
	for (size_t i = 0; i < a.n; i++) {
		if (i > 0)
			t2 = (int64_t)((uint64_t)t2 + (rd64(data + 16 * i) >> (data[16 * i] & 63)));
		uint64_t vb;
		if (!xor_iter_next(&it) || it.t != t2)
			abort();
		memcpy(&vb, &it.v, 8);
		if (vb != rd64(data + 16 * i + 8))
			abort();
	}
	if (xor_iter_next(&it) || it.err)
		abort();
	xor_app b;
	err e;
	if (xor_app_init_from(&b, a.b, a.len, &e) != 0 || b.len != a.len || memcmp(a.b, b.b, a.len) != 0)
		abort();
	xor_app_free(&b);
	xor_app_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_any(data, size);
	roundtrip(data, size);
	return 0;
}
