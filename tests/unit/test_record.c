/* test_record.c - tsdb/record.c: WAL record encoding and decoding. */
#include "tests/unit/test.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

static uint64_t dbits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	return u;
}

static void samples_known_bytes(void)
{
	/* two samples: ref 5 t 1000 v 1.5, ref 3 t 990 v -0 */
	record_sample s[] = {{5, 1000, 1.5}, {3, 990, -0.0}};
	buf b;
	buf_init(&b);
	record_encode_samples(&b, s, 2);
	static const uint8_t want[] = {
		2,                                             /* type */
		0, 0, 0, 0, 0, 0, 0, 5,                        /* first ref */
		0, 0, 0, 0, 0, 0, 0x03, 0xe8,                  /* first t */
		0, 0, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,            /* dref 0, dt 0, 1.5 */
		3, 19, 0x80, 0, 0, 0, 0, 0, 0, 0,              /* dref -2 (zigzag 3), dt -10 (19), -0 */
	};
	ASSERT_EQ(b.len, sizeof want);
	ASSERT(memcmp(b.p, want, sizeof want) == 0);
	arena a;
	arena_init(&a);
	record_sample *out;
	size_t n;
	err e;
	ASSERT_EQ(record_decode_samples(b.p, b.len, &a, &out, &n, &e), 0);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(out[1].ref, 3);
	ASSERT_EQ(out[1].t, 990);
	ASSERT_U64_EQ(dbits(out[1].v), dbits(-0.0));
	/* empty samples record is the type byte alone */
	buf_clear(&b);
	record_encode_samples(&b, NULL, 0);
	ASSERT_EQ(b.len, 1);
	ASSERT_EQ(record_decode_samples(b.p, b.len, &a, &out, &n, &e), 0);
	ASSERT_EQ(n, 0);
	arena_reset(&a);
	buf_reset(&b);
}

static void series_roundtrip(void)
{
	label l1[] = {{"__name__", "up"}, {"instance", "host:9100"}, {"job", "node"}};
	label l2[] = {{"a", ""}, {"b", "\xe2\x9c\x93 ok"}};
	record_series s[] = {{1, {l1, 3}}, {UINT64_MAX, {l2, 2}}, {7, {NULL, 0}}};
	buf b;
	buf_init(&b);
	record_encode_series(&b, s, 3);
	ASSERT_EQ(record_type(b.p, b.len), RECORD_SERIES);
	arena a;
	arena_init(&a);
	record_series *out;
	size_t n;
	err e;
	ASSERT_EQ(record_decode_series(b.p, b.len, &a, &out, &n, &e), 0);
	ASSERT_EQ(n, 3);
	for (size_t i = 0; i < 3; i++) {
		ASSERT_U64_EQ(out[i].ref, s[i].ref);
		ASSERT(labels_equal(out[i].ls, s[i].ls));
	}
	/* first bytes: type, ref BE, count, len-prefixed "__name__" */
	ASSERT_EQ(b.p[0], 1);
	ASSERT_EQ(b.p[8], 1);
	ASSERT_EQ(b.p[9], 3);
	ASSERT_EQ(b.p[10], 8);
	ASSERT(memcmp(b.p + 11, "__name__", 8) == 0);
	arena_reset(&a);
	buf_reset(&b);
}

static void other_types_roundtrip(void)
{
	buf b;
	buf_init(&b);
	arena a;
	arena_init(&a);
	err e;
	size_t n;
	record_tombstone ts[] = {{1, INT64_MIN, INT64_MAX}, {9, -5, 5}};
	record_encode_tombstones(&b, ts, 2);
	record_tombstone *tout;
	ASSERT_EQ(record_decode_tombstones(b.p, b.len, &a, &tout, &n, &e), 0);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(tout[0].mint, INT64_MIN);
	ASSERT_EQ(tout[0].maxt, INT64_MAX);
	ASSERT_EQ(tout[1].mint, -5);

	label el[] = {{"trace_id", "abc"}};
	record_exemplar ex[] = {{4, 100, 0.5, {el, 1}}, {2, 50, 2, {NULL, 0}}};
	buf_clear(&b);
	record_encode_exemplars(&b, ex, 2);
	record_exemplar *eout;
	ASSERT_EQ(record_decode_exemplars(b.p, b.len, &a, &eout, &n, &e), 0);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(eout[1].ref, 2);
	ASSERT_EQ(eout[1].t, 50);
	ASSERT_STR_EQ(eout[0].ls.v[0].value, "abc");

	record_mmap_marker mm[] = {{3, (uint64_t)1 << 32 | 8}};
	buf_clear(&b);
	record_encode_mmap_markers(&b, mm, 1);
	record_mmap_marker *mout;
	ASSERT_EQ(record_decode_mmap_markers(b.p, b.len, &a, &mout, &n, &e), 0);
	ASSERT_EQ(n, 1);
	ASSERT_U64_EQ(mout[0].mmap_ref, (uint64_t)1 << 32 | 8);

	record_metadata md[] = {{300, 1, "seconds", "Time spent."}, {1, 0, "", ""}};
	buf_clear(&b);
	record_encode_metadata(&b, md, 2);
	record_metadata *mdout;
	ASSERT_EQ(record_decode_metadata(b.p, b.len, &a, &mdout, &n, &e), 0);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(mdout[0].ref, 300);
	ASSERT_STR_EQ(mdout[0].unit, "seconds");
	ASSERT_STR_EQ(mdout[0].help, "Time spent.");
	ASSERT_STR_EQ(mdout[1].help, "");
	arena_reset(&a);
	buf_reset(&b);
}

static void types_and_names(void)
{
	uint8_t r[1];
	for (int t = 1; t <= 10; t++) {
		r[0] = (uint8_t)t;
		ASSERT_EQ(record_type(r, 1), t);
	}
	r[0] = 0;
	ASSERT_EQ(record_type(r, 1), RECORD_UNKNOWN);
	r[0] = 11;
	ASSERT_EQ(record_type(r, 1), RECORD_UNKNOWN);
	ASSERT_EQ(record_type(r, 0), RECORD_UNKNOWN);
	ASSERT_STR_EQ(record_type_name(RECORD_SAMPLES), "samples");
	ASSERT_STR_EQ(record_type_name(RECORD_MMAP_MARKERS), "mmapmarkers");
	ASSERT_STR_EQ(record_type_name(RECORD_UNKNOWN), "unknown");
}

static void decode_errors(void)
{
	arena a;
	arena_init(&a);
	err e;
	size_t n;
	record_series *sout;
	record_sample *out;
	/* wrong type byte */
	static const uint8_t wrong[] = {1};
	ASSERT_EQ(record_decode_samples(wrong, 1, &a, &out, &n, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "invalid record type"));
	ASSERT_EQ(record_decode_samples(wrong, 0, &a, &out, &n, &e), FL_ECORRUPT);
	/* truncated sample */
	record_sample s[] = {{1, 2, 3}, {2, 3, 4}};
	buf b;
	buf_init(&b);
	record_encode_samples(&b, s, 2);
	for (size_t cut = 2; cut < b.len; cut++) {
		/* 17: the base alone (no samples), 27: one whole sample: both valid */
		int want = cut == 17 || cut == 27 ? 0 : FL_ECORRUPT;
		ASSERT_EQ(record_decode_samples(b.p, cut, &a, &out, &n, &e), want);
	}
	/* trailing byte on series */
	label l[] = {{"a", "b"}};
	record_series rs = {1, {l, 1}};
	buf_clear(&b);
	record_encode_series(&b, &rs, 1);
	buf_put_byte(&b, 0);
	ASSERT_EQ(record_decode_series(b.p, b.len, &a, &sout, &n, &e), FL_ECORRUPT);
	/* unsorted labels, duplicate names, NUL inside a value */
	static const uint8_t unsorted[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 'b', 1, 'x', 1, 'a', 1, 'y'};
	ASSERT_EQ(record_decode_series(unsorted, sizeof unsorted, &a, &sout, &n, &e), FL_ECORRUPT);
	static const uint8_t dup[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 'a', 1, 'x', 1, 'a', 1, 'y'};
	ASSERT_EQ(record_decode_series(dup, sizeof dup, &a, &sout, &n, &e), FL_ECORRUPT);
	static const uint8_t nul[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 'a', 2, 'x', 0};
	ASSERT_EQ(record_decode_series(nul, sizeof nul, &a, &sout, &n, &e), FL_ECORRUPT);
	/* a huge label count must not allocate: it is bounded by the bytes left */
	static const uint8_t huge[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f};
	ASSERT_EQ(record_decode_series(huge, sizeof huge, &a, &sout, &n, &e), FL_ECORRUPT);
	/* 9 + 5 bytes: one series, then a partial one */
	static const uint8_t partial[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	ASSERT_EQ(record_decode_series(partial, sizeof partial, &a, &sout, &n, &e), FL_ECORRUPT);
	ASSERT_EQ(record_decode_series(partial, 10, &a, &sout, &n, &e), 0);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(sout[0].ls.n, 0);
	arena_reset(&a);
	buf_reset(&b);
}

/* Decode every series/samples record of a golden segment, re-encode it and
 * compare with the original bytes (Prometheus's encoder output). */
static void reencode_segment(const char *rel, int *n_series, int *n_samples)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/conformance/tsdb/%s", test_shared_dir(), rel);
	err e;
	wal_segment_range g = {dir, -1, -1};
	wal_reader *r = wal_reader_open(&g, 1, &e);
	ASSERT(r);
	const uint8_t *rec;
	size_t len;
	int rc;
	arena a;
	arena_init(&a);
	buf b;
	buf_init(&b);
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		size_t n;
		buf_clear(&b);
		if (record_type(rec, len) == RECORD_SERIES) {
			record_series *s;
			ASSERT_EQ(record_decode_series(rec, len, &a, &s, &n, &e), 0);
			record_encode_series(&b, s, n);
			*n_series += (int)n;
		} else {
			ASSERT_EQ(record_type(rec, len), RECORD_SAMPLES);
			record_sample *s;
			ASSERT_EQ(record_decode_samples(rec, len, &a, &s, &n, &e), 0);
			record_encode_samples(&b, s, n);
			*n_samples += (int)n;
		}
		ASSERT_EQ(b.len, len);
		ASSERT(memcmp(b.p, rec, len) == 0);
		arena_reset(&a);
	}
	ASSERT_EQ(rc, 0);
	wal_reader_close(r);
	buf_reset(&b);
}

static void golden_reencode_identical(void)
{
	int series = 0, samples = 0;
	reencode_segment("wal-remote-write/data/wal", &series, &samples);
	ASSERT_EQ(series, 200);
	ASSERT_EQ(samples, 45577);
	series = samples = 0;
	reencode_segment("wal-checkpoint-restarts/data/wal/checkpoint.00000001", &series, &samples);
	ASSERT_EQ(series, 8);
	ASSERT_EQ(samples, 1614);
	series = samples = 0;
	reencode_segment("wal-with-checkpoint/data/wal", &series, &samples);
	ASSERT_EQ(series, 0);
	ASSERT(samples > 0);
}

const struct test tests_record[] = {
	{"samples_known_bytes", samples_known_bytes},
	{"series_roundtrip", series_roundtrip},
	{"other_types_roundtrip", other_types_roundtrip},
	{"types_and_names", types_and_names},
	{"decode_errors", decode_errors},
	{"golden_reencode_identical", golden_reencode_identical},
	{NULL, NULL},
};
