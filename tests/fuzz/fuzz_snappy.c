/*
 * fuzz_snappy.c - lib/snappy.c's block decoder against libsnappy's
 * snappy_uncompress on arbitrary bytes: never a crash or a read out of
 * bounds, and the same answer: both fail, or both succeed with the same
 * bytes. Inputs are also tried compressed by libsnappy (valid blocks), and
 * with the input's first byte as a length preamble over the rest.
 */
#include "lib/snappy.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const uint8_t *src, size_t n)
{
	size_t len = 0, hdr, ref_len = 0;
	bool ok_len = snappy_dec_length(src, n, &len, &hdr);
	bool ref_ok_len = snappy_uncompressed_length((const char *)src, n, &ref_len) == SNAPPY_OK;
	if (ok_len != ref_ok_len || (ok_len && len != ref_len)) {
		fprintf(stderr, "fuzz_snappy: length %d %zu, libsnappy %d %zu\n", ok_len, len, ref_ok_len, ref_len);
		abort();
	}
	if (!ok_len || len > (1u << 20))
		return;
	uint8_t *a = malloc(len + SNAPPY_DEC_SLACK), *b = malloc(len + 1);
	if (!a || !b)
		abort();
	size_t got = len;
	bool ok = snappy_dec(src, n, a, len);
	bool ref_ok = snappy_uncompress((const char *)src, n, (char *)b, &got) == SNAPPY_OK && got == len;
	if (ok != ref_ok || (ok && memcmp(a, b, len) != 0)) {
		fprintf(stderr, "fuzz_snappy: decoded %d, libsnappy %d (%zu bytes)\n", ok, ref_ok, len);
		abort();
	}
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	same(data, size);
	size_t cap = snappy_max_compressed_length(size);
	char *c = malloc(cap + 1);
	if (!c)
		abort();
	size_t clen = cap;
	if (snappy_compress((const char *)data, size, c, &clen) == SNAPPY_OK) {
		same((const uint8_t *)c, clen);
		size_t len, hdr;
		uint8_t *d = malloc(size + SNAPPY_DEC_SLACK);
		if (!d || !snappy_dec_length((const uint8_t *)c, clen, &len, &hdr) || len != size ||
		    !snappy_dec((const uint8_t *)c, clen, d, size) || memcmp(d, data, size) != 0) {
			fprintf(stderr, "fuzz_snappy: libsnappy's block of %zu bytes does not decode back\n", size);
			abort();
		}
		free(d);
	}
	free(c);
	if (size > 1) { /* a short preamble, so the elements decide */
		uint8_t *p = malloc(size);
		if (!p)
			abort();
		memcpy(p, data, size);
		p[0] &= 0x7f;
		same(p, size);
		free(p);
	}
	return 0;
}
