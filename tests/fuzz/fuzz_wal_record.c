/*
 * fuzz_wal_record.c - WAL record decoders (tsdb/record.c): arbitrary bytes
 * never crash, leak or over-allocate; whatever decodes re-encodes into a
 * record that decodes to the same values (bits for floats). Also: the
 * golang/snappy-compatible encoder's output of the input decodes back to it
 * with libsnappy.
 */
#include "tsdb/record.h"
#include "tsdb/wal.h"

#include <snappy-c.h>
#include <stdlib.h>

static uint64_t bits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	return u;
}

static void check(int ok)
{
	if (!ok)
		abort();
}

static void series(const uint8_t *data, size_t size, arena *a, buf *b)
{
	record_series *s, *s2;
	size_t n, n2;
	if (record_decode_series(data, size, a, &s, &n, NULL))
		return;
	record_encode_series(b, s, n);
	check(record_decode_series(b->p, b->len, a, &s2, &n2, NULL) == 0 && n2 == n);
	for (size_t i = 0; i < n; i++)
		check(s[i].ref == s2[i].ref && labels_equal(s[i].ls, s2[i].ls));
}

/* Slow reference for the samples decoder's hand-inlined loop (decbuf). */
static int ref_samples(const uint8_t *data, size_t size, record_sample *out, size_t cap, size_t *n)
{
	decbuf d;
	decbuf_init(&d, data, size);
	*n = 0;
	if (decbuf_byte(&d) != RECORD_SAMPLES || d.err)
		return -1;
	if (decbuf_len(&d) == 0)
		return 0;
	uint64_t ref = decbuf_be64(&d), t = decbuf_be64(&d);
	while (decbuf_len(&d) > 0 && !d.err && *n < cap) {
		int64_t dr = decbuf_varint(&d), dt = decbuf_varint(&d);
		uint64_t v = decbuf_be64(&d);
		if (d.err)
			break;
		out[*n].ref = ref + (uint64_t)dr;
		out[*n].t = (int64_t)(t + (uint64_t)dt);
		memcpy(&out[*n].v, &v, 8);
		(*n)++;
	}
	return d.err || decbuf_len(&d) ? -1 : 0;
}

static void samples(const uint8_t *data, size_t size, arena *a, buf *b)
{
	record_sample *s, *s2;
	size_t n, n2;
	record_sample *ref = malloc((size / 10 + 1) * sizeof *ref);
	int rrc = ref_samples(data, size, ref, size / 10 + 1, &n2);
	int rc = record_decode_samples(data, size, a, &s, &n, NULL);
	check((rc == 0) == (rrc == 0));
	for (size_t i = 0; rc == 0 && i < n; i++)
		check(n == n2 && s[i].ref == ref[i].ref && s[i].t == ref[i].t && bits(s[i].v) == bits(ref[i].v));
	free(ref);
	if (rc)
		return;
	record_encode_samples(b, s, n);
	check(record_decode_samples(b->p, b->len, a, &s2, &n2, NULL) == 0 && n2 == n);
	for (size_t i = 0; i < n; i++)
		check(s[i].ref == s2[i].ref && s[i].t == s2[i].t && bits(s[i].v) == bits(s2[i].v));
}

static void others(const uint8_t *data, size_t size, arena *a, buf *b)
{
	size_t n, n2;
	record_tombstone *t, *t2;
	if (record_decode_tombstones(data, size, a, &t, &n, NULL) == 0) {
		record_encode_tombstones(b, t, n);
		check(record_decode_tombstones(b->p, b->len, a, &t2, &n2, NULL) == 0 && n2 == n);
	}
	record_exemplar *x, *x2;
	if (record_decode_exemplars(data, size, a, &x, &n, NULL) == 0) {
		buf_clear(b);
		record_encode_exemplars(b, x, n);
		check(record_decode_exemplars(b->p, b->len, a, &x2, &n2, NULL) == 0 && n2 == n);
	}
	record_mmap_marker *m;
	if (record_decode_mmap_markers(data, size, a, &m, &n, NULL) == 0) {
		buf_clear(b);
		record_encode_mmap_markers(b, m, n);
		check(b->len == size && memcmp(b->p, data, size) == 0);
	}
	record_metadata *md, *md2;
	if (record_decode_metadata(data, size, a, &md, &n, NULL) == 0) {
		buf_clear(b);
		record_encode_metadata(b, md, n);
		check(record_decode_metadata(b->p, b->len, a, &md2, &n2, NULL) == 0 && n2 == n);
		for (size_t i = 0; i < n; i++)
			check(!strcmp(md[i].unit, md2[i].unit) && !strcmp(md[i].help, md2[i].help));
	}
}

static void snappy_roundtrip(const uint8_t *data, size_t size)
{
	uint8_t *enc = malloc(wal_snappy_max_len(size));
	char *dec = malloc(size + 1);
	size_t el = wal_snappy_encode(enc, data, size), dl = size;
	check(el <= wal_snappy_max_len(size));
	check(snappy_uncompress((const char *)enc, el, dec, &dl) == SNAPPY_OK && dl == size);
	check(size == 0 || memcmp(dec, data, size) == 0);
	free(enc);
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	snappy_roundtrip(data, size);
	arena a;
	arena_init(&a);
	buf b;
	buf_init(&b);
	(void)record_type_name(record_type(data, size));
	switch (record_type(data, size)) {
	case RECORD_SERIES: series(data, size, &a, &b); break;
	case RECORD_SAMPLES: samples(data, size, &a, &b); break;
	default: others(data, size, &a, &b); break;
	}
	buf_reset(&b);
	arena_reset(&a);
	return 0;
}
