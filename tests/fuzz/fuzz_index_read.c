/*
 * fuzz_index_read.c - the block index v2 reader on arbitrary bytes: open,
 * list names and values, select everything and by a value, read every
 * series. Only crashes, sanitizer reports and leaks count.
 */
#include "tsdb/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err e;
	/* the first byte picks CRC checking; the rest is the index */
	if (size < 1)
		return 0;
	index_reader *r = index_open_mem(data + 1, size - 1, "fuzz", data[0] & 1, &e);
	if (!r)
		return 0;
	const char *const *names;
	size_t nn = index_label_names(r, &names);
	for (size_t i = 0; i < nn; i++) {
		const char *const *vals;
		index_label_values(r, names[i], &vals);
	}
	matcher m[1];
	size_t n_ms = 0;
	if (nn && matcher_init(&m[0], MATCH_NEQ, names[0], "x", &e) == 0)
		n_ms = 1;
	uint32_t *refs = NULL;
	size_t n_refs = 0;
	if (index_select(r, m, n_ms, &refs, &n_refs, &e) == 0) {
		arena a;
		arena_init(&a);
		chunk_meta *chks = NULL;
		size_t n_chks = 0, cap = 0;
		for (size_t i = 0; i < n_refs && i < 10000; i++) {
			labels ls;
			n_chks = 0;
			index_series(r, refs[i], &a, &ls, &chks, &n_chks, &cap, &e);
		}
		fl_free(chks);
		arena_reset(&a);
		fl_free(refs);
	}
	if (n_ms)
		matcher_reset(&m[0]);
	index_close(r);
	return 0;
}
