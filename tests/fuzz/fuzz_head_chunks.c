/*
 * fuzz_head_chunks.c - a head-chunk file (chunks_head/NNNNNN) on arbitrary
 * bytes: walk every entry (header, length, CRC) and decode the XOR chunks.
 */
#include "tsdb/chunk.h"
#include "tsdb/head_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hchunks_file_iter it;
	hchunks_entry en;
	err e;
	if (hchunks_file_iter_init(&it, data, size, &e) != 0)
		return 0;
	while (hchunks_file_iter_next(&it, &en, &e)) {
		if (en.enc != CHUNK_ENC_XOR)
			continue;
		xor_iter x;
		xor_iter_init(&x, en.data, en.len, 0);
		while (xor_iter_next(&x))
			;
	}
	return 0;
}
