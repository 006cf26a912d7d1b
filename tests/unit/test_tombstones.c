/* test_tombstones.c - tsdb/tombstones.c: the empty file is Prometheus's 9
 * bytes, entries round-trip in Prometheus's order, bad bytes are
 * FL_ECORRUPT, and tombstones_write replaces the file atomically. */
#include "tests/unit/test.h"
#include "lib/buf.h"
#include "tsdb/tombstones.h"

#include <unistd.h>

static void tombstones_empty_is_prometheus_bytes(void)
{
	buf b;
	buf_init(&b);
	tombstones_encode(&b, NULL, 0);
	buf want;
	buf_init(&want);
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/block-openmetrics/blocks/01M85ZJJW0Q48HSX1F1SJXQXMD/tombstones",
		 test_shared_dir());
	err e;
	ASSERT_EQ(buf_read_file(&want, path, &e), 0);
	ASSERT_EQ(b.len, 9);
	ASSERT_EQ(want.len, 9);
	ASSERT(!memcmp(b.p, want.p, 9));
	buf_reset(&b);
	buf_reset(&want);
}

static void tombstones_roundtrip_and_corruption(void)
{
	tomb in[] = {{1, 0, 100}, {1, 200, 300}, {7, -5, 5}, {1ull << 40, INT64_MIN, INT64_MAX}};
	buf b;
	buf_init(&b);
	tombstones_encode(&b, in, 4);
	tomb *out;
	size_t n;
	err e;
	ASSERT_EQ(tombstones_parse(b.p, b.len, &out, &n, &e), 0);
	ASSERT_EQ(n, 4);
	for (size_t i = 0; i < n; i++) {
		ASSERT_U64_EQ(out[i].ref, in[i].ref);
		ASSERT_EQ(out[i].mint, in[i].mint);
		ASSERT_EQ(out[i].maxt, in[i].maxt);
	}
	fl_free(out);
	b.p[6] ^= 0x40; /* CRC catches it */
	ASSERT_EQ(tombstones_parse(b.p, b.len, &out, &n, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "checksum"));
	ASSERT_EQ(tombstones_parse(b.p, 5, &out, &n, &e), FL_ECORRUPT);
	b.p[4] = 2;
	ASSERT_EQ(tombstones_parse(b.p, b.len, &out, &n, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "version"));
	buf_reset(&b);
}

static void tombstones_write_replaces_file(void)
{
	const char *dir = test_tmpdir();
	err e;
	tomb t[] = {{3, 10, 20}};
	uint64_t size;
	ASSERT_EQ(tombstones_write(dir, t, 1, &size, &e), 0);
	ASSERT_EQ(tombstones_write(dir, NULL, 0, &size, &e), 0);
	ASSERT_U64_EQ(size, 9);
	char path[1100];
	snprintf(path, sizeof path, "%s/tombstones", dir);
	buf b;
	buf_init(&b);
	ASSERT_EQ(buf_read_file(&b, path, &e), 0);
	ASSERT_EQ(b.len, 9);
	snprintf(path, sizeof path, "%s/tombstones.tmp", dir);
	ASSERT(access(path, F_OK) != 0);
	buf_reset(&b);
}

/* Intervals.Add: overlapping and adjacent intervals merge, per series;
 * TruncateBefore drops and cuts. */
static void tombstones_set_merges_and_truncates(void)
{
	tomb a[] = {{7, 10, 20}, {3, 0, 5}, {7, 30, 40}};
	tomb b[] = {{7, 21, 25}, {3, 7, 9}, {7, 26, 29}, {9, INT64_MIN, INT64_MAX}, {9, 5, 6}};
	tomb_set *s = tombstones_set_new(a, 3, b, 5);
	ASSERT(s != NULL);
	ASSERT_EQ(s->n, 4);
	ASSERT_EQ(s->n_refs, 3);
	size_t n;
	const tomb *t = tombstones_set_get(s, 3, &n);
	ASSERT_EQ(n, 2); /* [0,5] and [7,9]: 6 is between them */
	ASSERT_EQ(t[1].mint, 7);
	t = tombstones_set_get(s, 7, &n);
	ASSERT_EQ(n, 1); /* [10,20] [21,25] [26,29] [30,40] are one */
	ASSERT_EQ(t[0].mint, 10);
	ASSERT_EQ(t[0].maxt, 40);
	ASSERT(tombstones_contain(t, n, 40) && !tombstones_contain(t, n, 41));
	ASSERT(tombstones_cover(t, n, 10, 40) && !tombstones_cover(t, n, 9, 40));
	t = tombstones_set_get(s, 9, &n);
	ASSERT_EQ(n, 1);
	ASSERT(tombstones_set_get(s, 8, &n) == NULL && n == 0);
	tomb_set *tr = tombstones_set_truncate(s, 8);
	ASSERT_EQ(tr->n, 3); /* 3's [0,5] goes, [7,9] becomes [8,9] */
	t = tombstones_set_get(tr, 3, &n);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(t[0].mint, 8);
	tombstones_set_release(tr);
	tombstones_holder h;
	err e;
	ASSERT_EQ(tombstones_holder_init(&h, s, &e), 0);
	tomb_set *pinned = tombstones_holder_acquire(&h);
	tomb c = {1, 1, 1};
	ASSERT_EQ(tombstones_holder_add(&h, &c, 1, &e), 0);
	ASSERT_EQ(pinned->n, 4); /* a reader's set never changes */
	tomb_set *cur = tombstones_holder_acquire(&h);
	ASSERT_EQ(cur->n, 5);
	tombstones_set_release(cur);
	tombstones_set_release(pinned);
	tombstones_holder_destroy(&h);
}

const struct test tests_tombstones[] = {
	{"tombstones_set_merges_and_truncates", tombstones_set_merges_and_truncates},
	{"tombstones_empty_is_prometheus_bytes", tombstones_empty_is_prometheus_bytes},
	{"tombstones_roundtrip_and_corruption", tombstones_roundtrip_and_corruption},
	{"tombstones_write_replaces_file", tombstones_write_replaces_file},
	{NULL, NULL},
};
