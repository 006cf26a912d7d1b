/*
 * fuzz_remote_write.c - arbitrary bytes through the remote write/read
 * decoders: as a snappy block (bounded to 1 MiB decoded) whose content is
 * then decoded as a 1.0 WriteRequest, a 2.0 Request and a ReadRequest; and
 * the raw bytes themselves as each protobuf message and as a
 * STREAMED_XOR_CHUNKS frame stream. Decoded requests are re-encoded and
 * decoded again (the round trip must give the same request), and the
 * hand-written 1.0 decoder must agree with protobuf-c's whenever both
 * accept the bytes (SQLite-style cross-check of a fast path against a slow
 * reference). The 1.0 decoder with a series cache that knows every series,
 * whose labels are then decoded from the bytes it kept, must give the same
 * request again. A disagreement aborts, so the fuzzer reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "remote/codec.h"

static int frame_cb(void *ctx, int64_t q, labels ls, const rr_chunk *c, size_t n) { return 0; }

static series_ref know_all(void *ctx, const uint8_t *raw, size_t n) { return 1; }

/* 1.0 decoded through the "known" path, labels decoded afterwards, equals r. */
static void check_known(const uint8_t *p, size_t n, arena *a, const rw_request *r)
{
	err e;
	rw_request k;
	if (rw_decode_v1_known(p, n, a, know_all, NULL, &k, &e)) {
		fprintf(stderr, "fuzz_remote_write: the 1.0 decoder with a cache refused what it took without\n");
		abort();
	}
	for (size_t i = 0; i < k.n_series; i++)
		if (rw_series_decode_labels(&k.series[i], a)) {
			fprintf(stderr, "fuzz_remote_write: cached labels do not decode\n");
			abort();
		}
	if (!rw_request_equal(r, &k)) {
		fprintf(stderr, "fuzz_remote_write: 1.0 decoded with a cache differs\n");
		abort();
	}
}

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
			if (v == RW_V1)
				check_known(p, n, &a, &r);
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
