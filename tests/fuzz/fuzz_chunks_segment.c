/*
 * fuzz_chunks_segment.c - a block chunk segment on arbitrary bytes: walk
 * every chunk (length, encoding, CRC) and decode the XOR ones.
 */
#include "tsdb/chunk.h"
#include "tsdb/chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	chunks_seg_iter it;
	err e;
	if (chunks_seg_iter_init(&it, data, size, &e) != 0)
		return 0;
	size_t off, len;
	uint8_t enc;
	const uint8_t *p;
	while (chunks_seg_iter_next(&it, &off, &enc, &p, &len, &e)) {
		if (enc != CHUNK_ENC_XOR)
			continue;
		xor_iter x;
		xor_iter_init(&x, p, len, 0);
		while (xor_iter_next(&x))
			;
	}
	return 0;
}
