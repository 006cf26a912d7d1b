/*
 * fuzz_remote_write.c - arbitrary bytes through the remote write/read
 * decoders: as a snappy block (bounded to 1 MiB decoded) whose content is
 * then decoded as a 1.0 WriteRequest, a 2.0 Request and a ReadRequest; and
 * the raw bytes themselves as each protobuf message and as a
 * STREAMED_XOR_CHUNKS frame stream. Decoded requests are re-encoded and
 * decoded again (the round trip must give the same request), and the
 * hand-written 1.0 decoder must agree with protobuf-c's whenever both
 * accept the bytes (SQLite-style cross-check of a fast path against a slow
 * reference). A disagreement aborts, so the fuzzer reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "remote/codec.h"

static int frame_cb(void *ctx, int64_t q, labels ls, const rr_chunk *c, size_t n) { return 0; }

static void decode_all(const uint8_t *p, size_t n)
{
	arena a;
	arena_init(&a);
	err e;
	rw_request r;
	for (int v = RW_V1; v <= RW_V2; v++) {
		if (rw_decode((rw_version)v, p, n, &a, &r, &e) == 0) {
			for (size_t i = 0; i < r.n_series; i++)
				rw_series_check(&r.series[i], &e);
			rw_request ref;
			if (v == RW_V1 && rw_decode_reference(RW_V1, p, n, &a, &ref, &e) == 0 && !rw_request_equal(&r, &ref)) {
				fprintf(stderr, "fuzz_remote_write: fast and reference 1.0 decoders disagree\n");
				abort();
			}
			buf b;
			buf_init(&b);
			rw_request r2;
			if (rw_encode(&r, &b, &e) == 0 && rw_decode((rw_version)v, b.p, b.len, &a, &r2, &e) == 0 &&
			    v == RW_V1 && !rw_request_equal(&r, &r2)) {
				fprintf(stderr, "fuzz_remote_write: 1.0 encode/decode round trip differs\n");
				abort();
			}
			buf_reset(&b);
		}
	}
	rr_request rr;
	if (rr_decode(p, n, &a, &rr, &e) == 0) {
		buf b;
		buf_init(&b);
		rr_encode(&rr, &b, &e);
		buf_reset(&b);
	}
	rr_frames_decode(p, n, &a, frame_cb, NULL, &e);
	arena_reset(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	buf out;
	buf_init(&out);
	err e;
	if (remote_snappy_decode(data, size, 1u << 20, &out, &e) == 0)
		decode_all(out.p, out.len);
	buf_reset(&out);
	decode_all(data, size);
	return 0;
}
