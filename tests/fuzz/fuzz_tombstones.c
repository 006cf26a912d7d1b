/*
 * fuzz_tombstones.c - a block's tombstones file on arbitrary bytes
 * (tsdb/tombstones.c): parsing never crashes or reads out of bounds, and
 * what parses encodes back to the same bytes when the input was in
 * Prometheus's order (sorted by ref, then mint) - the writer and reader
 * agree. Inputs with a wrong CRC are also parsed with the CRC fixed up,
 * so the fuzzer reaches the entry decoder.
 */
#include "lib/hash.h"
#include "tsdb/tombstones.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const uint8_t *data, size_t size)
{
	tomb *ts;
	size_t n;
	err e;
	if (tombstones_parse(data, size, &ts, &n, &e) != 0)
		return;
	buf b;
	buf_init(&b);
	tombstones_encode(&b, ts, n);
	/* Equal bytes unless the input's varints were non-minimal or unsorted. */
	if (!b.oom && b.len == size && memcmp(b.p, data, size) != 0) {
		tomb *back;
		size_t nb;
		if (tombstones_parse(b.p, b.len, &back, &nb, &e) != 0 || nb != n || memcmp(back, ts, n * sizeof *ts)) {
			fprintf(stderr, "fuzz_tombstones: encode/parse round trip differs\n");
			abort();
		}
		fl_free(back);
	}
	buf_reset(&b);
	fl_free(ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(data, size);
	if (size >= 9 && size < (1 << 20)) {
		uint8_t *fixed = malloc(size);
		if (!fixed)
			return 0;
		memcpy(fixed, data, size);
		uint32_t crc = crc32c(0, fixed + 5, size - 9);
		fixed[size - 4] = (uint8_t)(crc >> 24);
		fixed[size - 3] = (uint8_t)(crc >> 16);
		fixed[size - 2] = (uint8_t)(crc >> 8);
		fixed[size - 1] = (uint8_t)crc;
		roundtrip(fixed, size);
		free(fixed);
	}
	return 0;
}
