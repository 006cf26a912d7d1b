/*
 * test_wal.c - tsdb/wal.c, wal_reader.c, checkpoint.c: the golden WALs
 * written by Prometheus 2.42, byte comparison of what flint writes,
 * round trips, corruption, torn tails and repair.
 */
#include <fcntl.h>
#include <snappy-c.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

/* ---- helpers ---- */

static char *golden(const char *rel)
{
	static char p[4][1024];
	static int k;
	char *s = p[k++ % 4];
	snprintf(s, 1024, "%s/conformance/tsdb/%s", test_shared_dir(), rel);
	return s;
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ASSERT(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc((size_t)len + 1);
	ASSERT(fread(p, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ASSERT(f);
	ASSERT(n == 0 || fwrite(p, 1, n, f) == n);
	fclose(f);
}

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

static const char *seg_path(const char *dir, int i)
{
	static char p[2][1100];
	static int k;
	char *s = p[k++ % 2];
	wal_segment_name(s, 1100, dir, i);
	return s;
}

typedef struct counts {
	int series_recs, samples_recs, other_recs;
	int series, samples;
	int64_t mint, maxt;
} counts;

/* Read all records of the ranges, decoding series and samples. Returns the reader's final rc. */
static int count_ranges(const wal_segment_range *g, size_t ng, counts *c, wal_corruption *corr)
{
	memset(c, 0, sizeof *c);
	c->mint = INT64_MAX;
	c->maxt = INT64_MIN;
	err e;
	wal_reader *r = wal_reader_open(g, ng, &e);
	ASSERT(r);
	arena a;
	arena_init(&a);
	const uint8_t *rec;
	size_t len, n;
	int rc;
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		if (record_type(rec, len) == RECORD_SERIES) {
			record_series *s;
			ASSERT_EQ(record_decode_series(rec, len, &a, &s, &n, &e), 0);
			c->series_recs++;
			c->series += (int)n;
		} else if (record_type(rec, len) == RECORD_SAMPLES) {
			record_sample *s;
			ASSERT_EQ(record_decode_samples(rec, len, &a, &s, &n, &e), 0);
			c->samples_recs++;
			c->samples += (int)n;
			for (size_t i = 0; i < n; i++) {
				c->mint = FL_MIN(c->mint, s[i].t);
				c->maxt = FL_MAX(c->maxt, s[i].t);
			}
		} else {
			c->other_recs++;
		}
		arena_reset(&a);
	}
	if (rc == FL_ECORRUPT && corr)
		*corr = *wal_reader_corruption(r);
	wal_reader_close(r);
	return rc;
}

static int count_dir(const char *dir, counts *c, wal_corruption *corr)
{
	wal_segment_range g = {dir, -1, -1};
	return count_ranges(&g, 1, c, corr);
}

/* ---- golden WALs ---- */

static void golden_remote_write(void)
{
	const char *dirs[] = {golden("wal-remote-write/data/wal"), golden("wal-remote-write/data-sigterm/wal")};
	for (int i = 0; i < 2; i++) {
		counts c;
		ASSERT_EQ(count_dir(dirs[i], &c, NULL), 0);
		ASSERT_EQ(c.series_recs, 3);
		ASSERT_EQ(c.series, 200);
		ASSERT_EQ(c.samples_recs, 241);
		ASSERT_EQ(c.samples, 45577);
		ASSERT_EQ(c.other_recs, 0);
		ASSERT_EQ(c.mint, 1795493760000);
		ASSERT_EQ(c.maxt, 1795497360000);
	}
}

/* Fragment statistics straight from the headers: 234 full, 10 first/last
 * pairs; 243 compressed records, 1 plain. */
static void golden_fragment_layout(void)
{
	size_t n;
	uint8_t *p = read_file(golden("wal-remote-write/data/wal/00000000"), &n);
	ASSERT_EQ(n, 351662);
	int full = 0, first = 0, last = 0, middle = 0, comp = 0, plain = 0;
	for (size_t page = 0; page < n; page += WAL_PAGE_SIZE) {
		size_t pos = page;
		while (pos + WAL_HEADER_SIZE <= FL_MIN(n, page + WAL_PAGE_SIZE) && p[pos]) {
			int t = p[pos] & 7;
			full += t == 1;
			first += t == 2;
			middle += t == 3;
			last += t == 4;
			if (t == 1 || t == 2)
				(*(p[pos] & 8 ? &comp : &plain))++;
			pos += WAL_HEADER_SIZE + (size_t)(p[pos + 1] << 8 | p[pos + 2]);
		}
	}
	ASSERT_EQ(full, 234);
	ASSERT_EQ(first, 10);
	ASSERT_EQ(last, 10);
	ASSERT_EQ(middle, 0);
	ASSERT_EQ(comp, 243);
	ASSERT_EQ(plain, 1);
	/* data-sigterm: the same bytes, zero-padded to 11 pages */
	size_t n2;
	uint8_t *q = read_file(golden("wal-remote-write/data-sigterm/wal/00000000"), &n2);
	ASSERT_EQ(n2, 360448);
	ASSERT(memcmp(p, q, n) == 0);
	for (size_t i = n; i < n2; i++)
		ASSERT_EQ(q[i], 0);
	free(p);
	free(q);
}

static void golden_with_checkpoint(void)
{
	const char *dirs[] = {golden("wal-with-checkpoint/data/wal"), golden("wal-with-checkpoint/data-sigterm/wal")};
	for (int i = 0; i < 2; i++) {
		wal_replay_plan plan;
		err e;
		ASSERT_EQ(wal_replay_plan_make(dirs[i], &plan, &e), 0);
		ASSERT_EQ(plan.checkpoint_index, 1);
		ASSERT(strstr(plan.checkpoint, "/checkpoint.00000001"));
		ASSERT_EQ(plan.first, 2);
		ASSERT_EQ(plan.last, 5);
		ASSERT_EQ(plan.n_ranges, 2);
		counts c;
		ASSERT_EQ(count_ranges(&plan.ranges[0], 1, &c, NULL), 0);
		ASSERT_EQ(c.series_recs, 2);
		ASSERT_EQ(c.series, 6);
		ASSERT_EQ(c.samples, 0);
		ASSERT_EQ(count_ranges(&plan.ranges[1], 1, &c, NULL), 0);
		ASSERT_EQ(c.series_recs, 0);
		ASSERT(c.samples_recs > 0);
		if (i == 0) {
			ASSERT_EQ(c.mint, 1795476690000);
			ASSERT_EQ(c.maxt, 1795497735000);
		}
		ASSERT_EQ(count_ranges(plan.ranges, 2, &c, NULL), 0);
		ASSERT_EQ(c.series, 6);
	}
}

static void golden_checkpoint_restarts(void)
{
	const char *dir = golden("wal-checkpoint-restarts/data/wal");
	wal_replay_plan plan;
	err e;
	ASSERT_EQ(wal_replay_plan_make(dir, &plan, &e), 0);
	ASSERT_EQ(plan.checkpoint_index, 1);
	ASSERT_EQ(plan.first, 2);
	ASSERT_EQ(plan.last, 4);
	counts c;
	ASSERT_EQ(count_ranges(&plan.ranges[0], 1, &c, NULL), 0);
	ASSERT_EQ(c.series_recs, 1);
	ASSERT_EQ(c.series, 8);
	ASSERT_EQ(c.samples_recs, 222);
	ASSERT_EQ(c.samples, 1614);
	ASSERT_EQ(c.mint, 1795492800000);
	ASSERT_EQ(c.maxt, 1795496115000);
	static const int want[] = {110, 300, 272};
	for (int s = 2; s <= 4; s++) {
		wal_segment_range g = {dir, s, s};
		ASSERT_EQ(count_ranges(&g, 1, &c, NULL), 0);
		ASSERT_EQ(c.samples, want[s - 2]);
	}
	/* the checkpoint finder ignores .tmp dirs and plain files */
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s/wal", test_tmpdir());
	mkdir(tmp, 0777);
	char p[1200];
	snprintf(p, sizeof p, "%s/checkpoint.00000003", tmp);
	mkdir(p, 0777);
	snprintf(p, sizeof p, "%s/checkpoint.00000009.tmp", tmp);
	mkdir(p, 0777);
	snprintf(p, sizeof p, "%s/checkpoint.00000007", tmp);
	write_file(p, (const uint8_t *)"x", 1);
	int idx;
	char path[1100];
	ASSERT_EQ(wal_checkpoint_last(tmp, path, sizeof path, &idx, &e), 0);
	ASSERT_EQ(idx, 3);
	ASSERT_EQ(wal_checkpoint_delete_before(tmp, 4, &e), 0);
	ASSERT_EQ(wal_checkpoint_last(tmp, path, sizeof path, &idx, &e), FL_ENOTFOUND);
	snprintf(p, sizeof p, "%s/checkpoint.00000009.tmp", tmp);
	ASSERT_EQ(file_size(p), -1);
}

/* Prometheus fails without a checkpoint when segment 0 is gone; flint
 * starts at the first segment, but a gap after a checkpoint is an error. */
static void replay_plan_gaps(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	mkdir(dir, 0777);
	write_file(seg_path(dir, 3), NULL, 0);
	write_file(seg_path(dir, 4), NULL, 0);
	wal_replay_plan plan;
	err e;
	ASSERT_EQ(wal_replay_plan_make(dir, &plan, &e), 0);
	ASSERT_EQ(plan.checkpoint_index, -1);
	ASSERT_EQ(plan.first, 3);
	ASSERT_EQ(plan.last, 4);
	char cp[1200];
	snprintf(cp, sizeof cp, "%s/checkpoint.00000001", dir);
	mkdir(cp, 0777);
	ASSERT_EQ(wal_replay_plan_make(dir, &plan, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "00000002..00000002 missing"));
	write_file(seg_path(dir, 6), NULL, 0);
	int first, last;
	ASSERT_EQ(wal_segments(dir, &first, &last, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "not sequential"));
}

/* ---- byte comparison with Prometheus ---- */

/* The payload of the record at off as stored: its fragments' data joined. */
static void stored_payload(const uint8_t *seg, int64_t off, buf *raw)
{
	buf_clear(raw);
	for (;;) {
		size_t fl = (size_t)(seg[off + 1] << 8 | seg[off + 2]);
		buf_put(raw, seg + off + WAL_HEADER_SIZE, fl);
		int t = seg[off] & 7;
		if (t == 1 || t == 4)
			break;
		off += WAL_HEADER_SIZE + (int64_t)fl;
		off += (WAL_PAGE_SIZE - off % WAL_PAGE_SIZE) % WAL_PAGE_SIZE; /* next page */
	}
}

/* Every compressed record of a golden segment: golang/snappy's bytes
 * equal wal_snappy_encode's; the plain ones would not have shrunk. */
static void snappy_matches_golden_segment(const char *path, int *n_comp, int *n_plain)
{
	size_t n;
	uint8_t *seg = read_file(path, &n);
	wal_reader *r = wal_reader_open_mem(seg, n);
	const uint8_t *rec;
	size_t len;
	err e;
	buf raw;
	buf_init(&raw);
	int rc;
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		int64_t off = wal_reader_offset(r);
		stored_payload(seg, off, &raw);
		uint8_t *enc = malloc(wal_snappy_max_len(len));
		size_t el = wal_snappy_encode(enc, rec, len);
		if (seg[off] & 8) {
			ASSERT_EQ(el, raw.len);
			ASSERT(memcmp(enc, raw.p, el) == 0);
			(*n_comp)++;
		} else {
			ASSERT(el >= len);
			(*n_plain)++;
		}
		free(enc);
	}
	ASSERT_EQ(rc, 0);
	wal_reader_close(r);
	buf_reset(&raw);
	free(seg);
}

static void snappy_matches_golang(void)
{
	static const char *segs[] = {
		"wal-remote-write/data/wal/00000000",
		"wal-with-checkpoint/data/wal/checkpoint.00000001/00000000",
		"wal-with-checkpoint/data/wal/00000002",
		"wal-with-checkpoint/data/wal/00000003",
		"wal-with-checkpoint/data-sigterm/wal/00000004",
		"wal-checkpoint-restarts/data/wal/checkpoint.00000001/00000000",
		"wal-checkpoint-restarts/data/wal/00000002",
		"wal-checkpoint-restarts/data/wal/00000004",
	};
	int comp = 0, plain = 0;
	for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++)
		snappy_matches_golden_segment(golden(segs[i]), &comp, &plain);
	ASSERT(comp > 1500);
	ASSERT(plain >= 2);
	/* and libsnappy decodes what it makes: sizes around the 64 KiB block
	 * and the 17-byte minimum block, repetitive and random input */
	static const size_t sizes[] = {1, 16, 17, 18, 100, 4096, 65535, 65536, 65537, 200000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (int kind = 0; kind < 3; kind++) {
			size_t n = sizes[i];
			uint8_t *src = malloc(n), *enc = malloc(wal_snappy_max_len(n));
			char *dec = malloc(n);
			for (size_t j = 0; j < n; j++)
				src[j] = kind == 0 ? (uint8_t)(j * 2654435761u >> 24) : kind == 1 ? (uint8_t)(j % 7) : 'x';
			size_t el = wal_snappy_encode(enc, src, n), dl = n;
			ASSERT(el <= wal_snappy_max_len(n));
			ASSERT_EQ(snappy_uncompress((const char *)enc, el, dec, &dl), SNAPPY_OK);
			ASSERT_EQ(dl, n);
			ASSERT(memcmp(dec, src, n) == 0);
			free(src);
			free(enc);
			free(dec);
		}
	}
}

/*
 * Re-encode the records of a golden segment and write them with flint's
 * writer, snappy on: the file must be Prometheus's, byte for byte, before
 * close (a killed server's file) and after close (zero-padded).
 */
static void rewrite_and_compare(const char *rel, const char *rel_closed)
{
	size_t n;
	uint8_t *gold = read_file(golden(rel), &n);
	wal_reader *r = wal_reader_open_mem(gold, n);
	char dir[1100];
	static int seq;
	snprintf(dir, sizeof dir, "%s/rw%d", test_tmpdir(), seq++);
	err e;
	wal_opts o = {.compress = true};
	wal *w = wal_open(dir, &o, &e);
	ASSERT(w);
	const uint8_t *rec;
	size_t len;
	int rc;
	arena a;
	arena_init(&a);
	buf b;
	buf_init(&b);
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		buf_clear(&b);
		size_t k;
		if (record_type(rec, len) == RECORD_SERIES) {
			record_series *s;
			ASSERT_EQ(record_decode_series(rec, len, &a, &s, &k, &e), 0);
			record_encode_series(&b, s, k);
		} else {
			record_sample *s;
			ASSERT_EQ(record_decode_samples(rec, len, &a, &s, &k, &e), 0);
			record_encode_samples(&b, s, k);
		}
		ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
		arena_reset(&a);
	}
	ASSERT_EQ(rc, 0);
	size_t m;
	uint8_t *mine = read_file(seg_path(dir, 0), &m);
	size_t used = n;
	while (used > 0 && gold[used - 1] == 0 && rel_closed) /* a closed golden: compare up to its padding */
		used--;
	ASSERT(m >= used);
	for (size_t i = 0; i < used; i++)
		if (mine[i] != gold[i])
			test_fail(__FILE__, __LINE__, "%s: byte %zu differs (got %02x, want %02x)", rel, i, mine[i], gold[i]);
	free(mine);
	ASSERT_EQ(wal_close(w, &e), 0);
	if (rel_closed) {
		size_t n2;
		uint8_t *closed = read_file(golden(rel_closed), &n2);
		mine = read_file(seg_path(dir, 0), &m);
		ASSERT_EQ(m, n2);
		ASSERT(memcmp(mine, closed, m) == 0);
		free(mine);
		free(closed);
	}
	wal_reader_close(r);
	arena_reset(&a);
	buf_reset(&b);
	free(gold);
}

static void byte_compare_golden(void)
{
	/* killed (data/) then cleanly closed (data-sigterm/): 351,662 then 360,448 bytes */
	rewrite_and_compare("wal-remote-write/data/wal/00000000", "wal-remote-write/data-sigterm/wal/00000000");
	size_t n;
	free(read_file(golden("wal-remote-write/data/wal/00000000"), &n));
	ASSERT_EQ(n, 351662);
	/* segments closed by a restart or a segment cut, and checkpoints */
	rewrite_and_compare("wal-checkpoint-restarts/data/wal/00000002", "wal-checkpoint-restarts/data/wal/00000002");
	rewrite_and_compare("wal-checkpoint-restarts/data/wal/00000003", "wal-checkpoint-restarts/data/wal/00000003");
	rewrite_and_compare("wal-checkpoint-restarts/data/wal/00000004", NULL);
	rewrite_and_compare("wal-checkpoint-restarts/data/wal/checkpoint.00000001/00000000",
			    "wal-checkpoint-restarts/data/wal/checkpoint.00000001/00000000");
	rewrite_and_compare("wal-with-checkpoint/data/wal/00000003", "wal-with-checkpoint/data/wal/00000003");
	rewrite_and_compare("wal-with-checkpoint/data/wal/checkpoint.00000001/00000000",
			    "wal-with-checkpoint/data/wal/checkpoint.00000001/00000000");
}

/* ---- round trips ---- */

static void fill(uint8_t *p, size_t n, unsigned seed, bool compressible)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = compressible ? (uint8_t)("abcdefgh"[(x >> 16) & 7]) : (uint8_t)(x >> 16);
	}
}

static const size_t sizes[] = {0, 1, 100, WAL_PAGE_SIZE - 14, WAL_PAGE_SIZE - 7, WAL_PAGE_SIZE - 6,
			       WAL_PAGE_SIZE, 3 * WAL_PAGE_SIZE + 5, 5000, 300000, 17, 200000};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

static void write_records(const char *dir, const wal_opts *o, int rounds, bool batch)
{
	err e;
	wal *w = wal_open(dir, o, &e);
	ASSERT(w);
	uint8_t *p = malloc(300000);
	for (int k = 0; k < rounds; k++) {
		slice recs[N_SIZES];
		uint8_t *bufs[N_SIZES];
		for (size_t i = 0; i < N_SIZES; i++) {
			bufs[i] = malloc(sizes[i] + 1);
			fill(bufs[i], sizes[i], (unsigned)(k * 100 + (int)i), i % 2);
			recs[i] = (slice){(const char *)bufs[i], sizes[i]};
		}
		if (batch)
			ASSERT_EQ(wal_log(w, recs, N_SIZES, &e), 0);
		for (size_t i = 0; i < N_SIZES; i++) {
			if (!batch)
				ASSERT_EQ(wal_log1(w, bufs[i], sizes[i], &e), 0);
			free(bufs[i]);
		}
	}
	free(p);
	ASSERT_EQ(wal_close(w, &e), 0);
}

static int check_records(const char *dir, int rounds, int *got)
{
	err e;
	wal_segment_range g = {dir, -1, -1};
	wal_reader *r = wal_reader_open(&g, 1, &e);
	ASSERT(r);
	uint8_t *want = malloc(300001);
	const uint8_t *rec;
	size_t len;
	int rc, k = 0;
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		size_t i = (size_t)k % N_SIZES;
		ASSERT(k / (int)N_SIZES < rounds);
		fill(want, sizes[i], (unsigned)(k / (int)N_SIZES * 100 + (int)i), i % 2);
		ASSERT_EQ(len, sizes[i]);
		ASSERT(memcmp(rec, want, len) == 0);
		k++;
	}
	free(want);
	wal_reader_close(r);
	*got = k;
	return rc;
}

static void roundtrip_plain_and_compressed(void)
{
	for (int comp = 0; comp < 2; comp++) {
		for (int batch = 0; batch < 2; batch++) {
			char dir[1100];
			snprintf(dir, sizeof dir, "%s/wal%d%d", test_tmpdir(), comp, batch);
			wal_opts o = {.segment_size = 4 * WAL_PAGE_SIZE, .compress = comp};
			write_records(dir, &o, 3, batch);
			int got;
			ASSERT_EQ(check_records(dir, 3, &got), 0);
			ASSERT_EQ(got, 3 * (int)N_SIZES);
			/* closed segments are whole pages; records bigger than a
			 * segment made theirs bigger */
			int first, last;
			err e;
			ASSERT_EQ(wal_segments(dir, &first, &last, &e), 0);
			ASSERT_EQ(first, 0);
			ASSERT(last >= 4);
			bool big = false;
			for (int s = first; s <= last; s++) {
				int64_t sz = file_size(seg_path(dir, s));
				ASSERT_EQ(sz % WAL_PAGE_SIZE, 0);
				big |= sz > 4 * WAL_PAGE_SIZE;
			}
			if (!comp)
				ASSERT(big); /* a 300 kB record made its segment bigger */
		}
	}
}

static void batch_equals_single_writes(void)
{
	char d1[1100], d2[1100];
	snprintf(d1, sizeof d1, "%s/a", test_tmpdir());
	snprintf(d2, sizeof d2, "%s/b", test_tmpdir());
	wal_opts o = {.segment_size = 8 * WAL_PAGE_SIZE, .compress = true};
	write_records(d1, &o, 2, true);
	write_records(d2, &o, 2, false);
	err e;
	int f1, l1, f2, l2;
	ASSERT_EQ(wal_segments(d1, &f1, &l1, &e), 0);
	ASSERT_EQ(wal_segments(d2, &f2, &l2, &e), 0);
	ASSERT_EQ(l1, l2);
	for (int s = 0; s <= l1; s++) {
		size_t n1, n2;
		uint8_t *a = read_file(seg_path(d1, s), &n1);
		uint8_t *b = read_file(seg_path(d2, s), &n2);
		ASSERT_EQ(n1, n2);
		ASSERT(memcmp(a, b, n1) == 0);
		free(a);
		free(b);
	}
}

static void new_segment_each_open(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	err e;
	wal *w = wal_open(dir, NULL, &e);
	ASSERT(w);
	ASSERT_EQ(wal_segment_current(w), 0);
	ASSERT_EQ(wal_log1(w, "\x02", 1, &e), 0);
	ASSERT_EQ(file_size(seg_path(dir, 0)), 8);
	ASSERT_EQ(wal_next_segment(w, &e), 1);
	ASSERT_EQ(file_size(seg_path(dir, 0)), WAL_PAGE_SIZE);
	ASSERT_EQ(wal_segment_current(w), 1);
	wal_stats st;
	wal_get_stats(w, &st);
	ASSERT_EQ(st.segment_current, 1);
	ASSERT_EQ(st.records, 1);
	ASSERT_EQ(wal_close(w, &e), 0);
	ASSERT_EQ(file_size(seg_path(dir, 1)), 0); /* never written: stays empty */
	w = wal_open(dir, NULL, &e);
	ASSERT_EQ(wal_segment_current(w), 2);
	ASSERT_EQ(wal_log1(w, "\x02", 1, &e), 0);
	ASSERT_EQ(wal_truncate(w, 2, &e), 0);
	ASSERT_EQ(file_size(seg_path(dir, 0)), -1);
	ASSERT_EQ(file_size(seg_path(dir, 1)), -1);
	ASSERT_EQ(wal_close(w, &e), 0);
	counts c;
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	ASSERT_EQ(c.samples_recs, 1);
	/* a record the reader would refuse is refused (never dereferenced here) */
	w = wal_open(dir, NULL, &e);
	slice huge[] = {{"\x02", 1}, {"x", (size_t)WAL_MAX_RECORD_SIZE + 1}};
	ASSERT_EQ(wal_log(w, huge, 2, &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "exceeds"));
	ASSERT_EQ(wal_log1(w, "\x02", 1, &e), 0);
	ASSERT_EQ(wal_close(w, &e), 0);
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	ASSERT_EQ(c.samples_recs, 2); /* the refused batch left nothing */
	/* a bad segment size is refused */
	wal_opts bad = {.segment_size = 1000};
	ASSERT(wal_open(dir, &bad, &e) == NULL);
	ASSERT_EQ(e.code, FL_EINVAL);
}

/* ---- corruption, torn tails, repair ---- */

typedef struct recpos {
	int seg;     /* segment index */
	int64_t off; /* record start */
} recpos;

/* Write n records of varied sizes (incompressible, plain) into dir with
 * 4-page segments; return where each landed. */
static recpos *write_plain(const char *dir, int n, bool close_it)
{
	err e;
	wal_opts o = {.segment_size = 4 * WAL_PAGE_SIZE};
	wal *w = wal_open(dir, &o, &e);
	ASSERT(w);
	uint8_t *p = malloc(3 * WAL_PAGE_SIZE);
	for (int i = 0; i < n; i++) {
		size_t len = i % 7 == 6 ? 2 * WAL_PAGE_SIZE + 100 : (size_t)(50 + i * 97 % 3000);
		fill(p, len, (unsigned)i, false);
		ASSERT_EQ(wal_log1(w, p, len, &e), 0);
	}
	free(p);
	if (close_it)
		ASSERT_EQ(wal_close(w, &e), 0);
	else
		wal_close(w, NULL), (void)0;
	recpos *pos = malloc(sizeof *pos * (size_t)n);
	wal_segment_range g = {dir, -1, -1};
	wal_reader *r = wal_reader_open(&g, 1, &e);
	const uint8_t *rec;
	size_t len;
	int k = 0;
	while (wal_reader_next(r, &rec, &len, &e) == 1) {
		ASSERT(k < n);
		pos[k].seg = wal_reader_segment(r);
		pos[k].off = wal_reader_offset(r);
		k++;
	}
	ASSERT_EQ(k, n);
	wal_reader_close(r);
	return pos;
}

static void patch(const char *path, int64_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);
	ASSERT(fd >= 0);
	ASSERT(pwrite(fd, p, n, off) == (ssize_t)n);
	close(fd);
}

static void corrupt_flipped_byte_mid_wal(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	recpos *pos = write_plain(dir, 40, true);
	int first, last;
	err e;
	ASSERT_EQ(wal_segments(dir, &first, &last, &e), 0);
	ASSERT(last >= 3);
	/* the first record of segment 1 that is not its first */
	int victim = -1;
	for (int i = 1; i < 40 && victim < 0; i++)
		if (pos[i].seg == 1 && pos[i - 1].seg == 1)
			victim = i;
	ASSERT(victim > 0);
	uint8_t x = 0x5a;
	patch(seg_path(dir, 1), pos[victim].off + WAL_HEADER_SIZE + 3, &x, 1);
	counts c;
	wal_corruption corr;
	ASSERT_EQ(count_dir(dir, &c, &corr), FL_ECORRUPT);
	ASSERT_EQ(c.other_recs, victim); /* every record before the damage came out */
	ASSERT_EQ(corr.segment, 1);
	ASSERT_EQ(corr.offset, pos[victim].off);
	ASSERT(!corr.torn);
	char want[200];
	snprintf(want, sizeof want, "wal: segment 00000001: record at offset %lld: crc mismatch (want ",
		 (long long)pos[victim].off);
	ASSERT(strncmp(corr.msg, want, strlen(want)) == 0);
	/* repair: later segments gone, segment 1 cut at the record, page-padded */
	ASSERT_EQ(wal_repair(dir, &corr, &e), 0);
	ASSERT_EQ(wal_segments(dir, &first, &last, &e), 0);
	ASSERT_EQ(last, 1);
	int64_t want_size = (pos[victim].off + WAL_PAGE_SIZE - 1) / WAL_PAGE_SIZE * WAL_PAGE_SIZE;
	ASSERT_EQ(file_size(seg_path(dir, 1)), want_size);
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	ASSERT_EQ(c.other_recs, victim);
	/* and writing goes on in a new segment */
	wal *w = wal_open(dir, NULL, &e);
	ASSERT_EQ(wal_segment_current(w), 2);
	ASSERT_EQ(wal_log1(w, "\x03", 1, &e), 0);
	ASSERT_EQ(wal_close(w, &e), 0);
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	ASSERT_EQ(c.other_recs, victim + 1);
	free(pos);
}

static void corrupt_zeroed_page(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	recpos *pos = write_plain(dir, 12, true);
	/* zero page 1 of segment 0 (records follow it in page 2) */
	ASSERT(file_size(seg_path(dir, 0)) >= 3 * WAL_PAGE_SIZE);
	static const uint8_t z[WAL_PAGE_SIZE];
	patch(seg_path(dir, 0), WAL_PAGE_SIZE, z, sizeof z);
	counts c;
	wal_corruption corr;
	ASSERT_EQ(count_dir(dir, &c, &corr), FL_ECORRUPT);
	ASSERT_EQ(corr.segment, 0);
	ASSERT(!corr.torn);
	int before = 0;
	while (pos[before].seg == 0 && pos[before].off + 7 < WAL_PAGE_SIZE)
		before++;
	/* a record that began in page 0 and continued into page 1 is lost too */
	ASSERT(c.other_recs <= before && c.other_recs >= before - 1);
	ASSERT(corr.offset <= WAL_PAGE_SIZE);
	err e;
	ASSERT_EQ(wal_repair(dir, &corr, &e), 0);
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	free(pos);
}

static void corrupt_garbage_appended(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	recpos *pos = write_plain(dir, 5, false);
	int first, last;
	err e;
	ASSERT_EQ(wal_segments(dir, &first, &last, &e), 0);
	int64_t size = file_size(seg_path(dir, last));
	uint8_t g[100];
	fill(g, sizeof g, 99, false);
	g[0] = 0x47;
	patch(seg_path(dir, last), size, g, sizeof g);
	counts c;
	wal_corruption corr;
	ASSERT_EQ(count_dir(dir, &c, &corr), FL_ECORRUPT);
	ASSERT_EQ(c.other_recs, 5);
	ASSERT_EQ(corr.segment, last);
	ASSERT_EQ(corr.offset, size);
	ASSERT(strstr(corr.msg, "invalid fragment type byte 0x47"));
	ASSERT_EQ(wal_repair(dir, &corr, &e), 0);
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	ASSERT_EQ(c.other_recs, 5);
	free(pos);
}

/* SIGKILL while a multi-page record was being written: its first pages
 * reached the file, the rest did not. A torn tail, not a disaster. */
static void torn_half_written_last_record(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	recpos *pos = write_plain(dir, 7, false); /* record 6 spans 3 pages */
	int first, last;
	err e;
	ASSERT_EQ(wal_segments(dir, &first, &last, &e), 0);
	ASSERT_EQ(pos[6].seg, last);
	int64_t cut = pos[6].off + WAL_PAGE_SIZE + 10;
	ASSERT_EQ(truncate(seg_path(dir, last), cut), 0);
	/* an empty newer segment (a cut right before the crash) keeps it a torn tail */
	write_file(seg_path(dir, last + 1), NULL, 0);
	counts c;
	wal_corruption corr;
	ASSERT_EQ(count_dir(dir, &c, &corr), FL_ECORRUPT);
	ASSERT_EQ(c.other_recs, 6);
	ASSERT(corr.torn);
	ASSERT_EQ(corr.segment, last);
	ASSERT_EQ(corr.offset, pos[6].off);
	ASSERT_EQ(wal_repair(dir, &corr, &e), 0);
	ASSERT_EQ(file_size(seg_path(dir, last + 1)), -1);
	ASSERT_EQ(count_dir(dir, &c, NULL), 0);
	ASSERT_EQ(c.other_recs, 6);
	ASSERT_EQ(file_size(seg_path(dir, last)) % WAL_PAGE_SIZE, 0);
	/* a corruption in a checkpoint cannot be repaired from the WAL dir */
	wal_corruption other = corr;
	snprintf(other.dir, sizeof other.dir, "%s/checkpoint.00000001", dir);
	ASSERT_EQ(wal_repair(dir, &other, &e), FL_EINVAL);
	free(pos);
}

/* Cut a small WAL at every byte: records come out as a prefix, and a cut
 * inside a record is always a torn tail. */
static void torn_every_cut(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	recpos *pos = write_plain(dir, 8, false);
	size_t n;
	uint8_t *full = read_file(seg_path(dir, 0), &n);
	ASSERT(pos[7].seg == 0);
	for (size_t cut = 0; cut <= n; cut += (cut < 300 || n - cut < 300) ? 1 : 37) {
		wal_reader *r = wal_reader_open_mem(full, cut);
		const uint8_t *rec;
		size_t len;
		int rc, k = 0;
		err e;
		while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1)
			k++;
		int whole = 0; /* records that end at or before cut */
		for (int i = 0; i < 8; i++)
			if (i + 1 < 8 ? pos[i + 1].off <= (int64_t)cut : cut == n)
				whole = i + 1;
		if (rc == 0) {
			ASSERT(k >= whole);
		} else {
			ASSERT_EQ(rc, FL_ECORRUPT);
			ASSERT(wal_reader_corruption(r)->torn);
			ASSERT_EQ(k, whole);
		}
		wal_reader_close(r);
	}
	free(full);
	free(pos);
}

/* Random damage: never a crash, and what comes out is an exact prefix. */
static void random_damage_prefix(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	wal_opts o = {.compress = true};
	err e;
	wal *w = wal_open(dir, &o, &e);
	uint8_t p[5000];
	for (int i = 0; i < 30; i++) {
		size_t len = (size_t)(i * 331 % 5000);
		fill(p, len, (unsigned)i, i % 2);
		ASSERT_EQ(wal_log1(w, p, len, &e), 0);
	}
	wal_close(w, &e);
	size_t n;
	uint8_t *orig = read_file(seg_path(dir, 0), &n);
	uint8_t *copy = malloc(n);
	uint32_t x = 12345;
	for (int iter = 0; iter < 300; iter++) {
		memcpy(copy, orig, n);
		for (int f = 0; f < 1 + iter % 3; f++) {
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % n;
			copy[at] ^= (uint8_t)(1 + (x & 0x7f));
		}
		wal_reader *r = wal_reader_open_mem(copy, n);
		const uint8_t *rec;
		size_t len;
		int k = 0;
		while (wal_reader_next(r, &rec, &len, &e) == 1) {
			size_t want = (size_t)(k * 331 % 5000);
			ASSERT_EQ(len, want);
			fill(p, want, (unsigned)k, k % 2);
			ASSERT(memcmp(p, rec, len) == 0);
			k++;
		}
		wal_reader_close(r);
	}
	free(copy);
	free(orig);
}

/* ---- writing checkpoints ---- */

static bool keep_even(void *ctx, uint64_t ref)
{
	(*(int *)ctx)++;
	return ref % 2 == 0;
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	uint8_t *p = read_file(from, &n);
	write_file(to, p, n);
	free(p);
}

static void checkpoint_create_golden(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	mkdir(dir, 0777);
	copy_file(golden("wal-remote-write/data/wal/00000000"), seg_path(dir, 0));
	int64_t mint = 1795495000000;
	/* expected: from the golden data itself */
	counts all;
	ASSERT_EQ(count_dir(dir, &all, NULL), 0);
	int want_samples = 0;
	{
		err e;
		wal_segment_range g = {dir, -1, -1};
		wal_reader *r = wal_reader_open(&g, 1, &e);
		arena a;
		arena_init(&a);
		const uint8_t *rec;
		size_t len, n;
		while (wal_reader_next(r, &rec, &len, &e) == 1) {
			record_sample *s;
			if (record_type(rec, len) == RECORD_SAMPLES && record_decode_samples(rec, len, &a, &s, &n, &e) == 0)
				for (size_t i = 0; i < n; i++)
					want_samples += s[i].t >= mint;
			arena_reset(&a);
		}
		wal_reader_close(r);
	}
	int calls = 0;
	wal_checkpoint_stats st;
	err e;
	ASSERT_EQ(wal_checkpoint_create(dir, 0, 0, keep_even, &calls, mint, true, &st, &e), 0);
	ASSERT_EQ(calls, 200);
	ASSERT_EQ(st.total_series, 200);
	ASSERT_EQ(st.total_samples, 45577);
	ASSERT_EQ(st.total_samples - st.dropped_samples, want_samples);
	char cp[1200];
	int idx;
	ASSERT_EQ(wal_checkpoint_last(dir, cp, sizeof cp, &idx, &e), 0);
	ASSERT_EQ(idx, 0);
	counts c;
	ASSERT_EQ(count_dir(cp, &c, NULL), 0);
	ASSERT_EQ(c.series, 200 - st.dropped_series);
	ASSERT_EQ(c.samples, want_samples);
	ASSERT(c.mint >= mint);
	ASSERT_EQ(file_size(seg_path(cp, 0)) % WAL_PAGE_SIZE, 0);

	/* the next checkpoint reads the previous one plus segment 1 */
	wal *w = wal_open(dir, NULL, &e);
	ASSERT_EQ(wal_segment_current(w), 1);
	buf b;
	buf_init(&b);
	record_sample smp[] = {{2, mint + 1, 1}, {3, mint - 1, 2}};
	record_encode_samples(&b, smp, 2);
	ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
	record_metadata md[] = {{2, 1, "", "old"}, {3, 2, "", "dropped"}, {2, 1, "s", "new"}};
	buf_clear(&b);
	record_encode_metadata(&b, md, 3);
	ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
	ASSERT_EQ(wal_close(w, &e), 0);
	ASSERT_EQ(wal_checkpoint_create(dir, 7, 1, keep_even, &calls, mint, false, &st, &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "unexpected gap"));
	ASSERT_EQ(wal_checkpoint_create(dir, 1, 1, keep_even, &calls, mint, false, &st, &e), 0);
	ASSERT_EQ(st.total_samples, want_samples + 2);
	ASSERT_EQ(st.dropped_samples, 1);
	ASSERT_EQ(st.total_metadata, 3);
	ASSERT_EQ(st.dropped_metadata, 2);
	ASSERT_EQ(wal_checkpoint_last(dir, cp, sizeof cp, &idx, &e), 0);
	ASSERT_EQ(idx, 1);
	wal_segment_range g = {cp, -1, -1};
	wal_reader *r = wal_reader_open(&g, 1, &e);
	const uint8_t *rec;
	size_t len, n;
	int metas = 0;
	arena a;
	arena_init(&a);
	while (wal_reader_next(r, &rec, &len, &e) == 1) {
		record_metadata *m;
		if (record_type(rec, len) != RECORD_METADATA)
			continue;
		ASSERT_EQ(record_decode_metadata(rec, len, &a, &m, &n, &e), 0);
		ASSERT_EQ(n, 1);
		ASSERT_STR_EQ(m[0].help, "new");
		ASSERT_STR_EQ(m[0].unit, "s");
		metas++;
	}
	ASSERT_EQ(metas, 1);
	wal_reader_close(r);
	arena_reset(&a);
	/* then the caller truncates: the replay plan starts after checkpoint 1 */
	ASSERT_EQ(wal_checkpoint_delete_before(dir, 1, &e), 0);
	snprintf(cp, sizeof cp, "%s/checkpoint.00000000", dir);
	ASSERT_EQ(file_size(cp), -1);
	ASSERT_EQ(unlink(seg_path(dir, 0)), 0);
	ASSERT_EQ(unlink(seg_path(dir, 1)), 0);
	wal_replay_plan plan;
	ASSERT_EQ(wal_replay_plan_make(dir, &plan, &e), 0);
	ASSERT_EQ(plan.checkpoint_index, 1);
	ASSERT_EQ(plan.n_ranges, 1);
	ASSERT_EQ(count_ranges(plan.ranges, plan.n_ranges, &c, NULL), 0);
	ASSERT_EQ(c.samples, want_samples + 1);
	buf_reset(&b);
}

/* A corruption in the source fails the checkpoint and leaves no .tmp. */
static void checkpoint_corrupt_source_fails(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	recpos *pos = write_plain(dir, 10, true);
	uint8_t x = 0xee;
	patch(seg_path(dir, 0), pos[3].off + WAL_HEADER_SIZE, &x, 1);
	int calls = 0;
	err e;
	ASSERT_EQ(wal_checkpoint_create(dir, 0, 0, keep_even, &calls, 0, false, NULL, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "crc mismatch"));
	char p[1200];
	snprintf(p, sizeof p, "%s/checkpoint.00000000.tmp", dir);
	ASSERT_EQ(file_size(p), -1);
	snprintf(p, sizeof p, "%s/checkpoint.00000000", dir);
	ASSERT_EQ(file_size(p), -1);
	free(pos);
}

/* head.truncateWAL's arithmetic: with segments 0..6 (6 active), cut 7,
 * checkpoint 0..3 (the lower two thirds of 0..5), keep 4..7. */
static void checkpoint_truncate_sequence(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/wal", test_tmpdir());
	err e;
	wal *w = wal_open(dir, NULL, &e);
	buf b;
	buf_init(&b);
	for (int s = 0; s <= 6; s++) {
		label l[] = {{"__name__", "m"}, {"s", s % 2 ? "odd" : "even"}};
		record_series rs = {(uint64_t)s + 1, {l, 2}};
		buf_clear(&b);
		record_encode_series(&b, &rs, 1);
		ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
		record_sample smp = {(uint64_t)s + 1, 1000 * s, s};
		buf_clear(&b);
		record_encode_samples(&b, &smp, 1);
		ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
		if (s < 6)
			ASSERT_EQ(wal_next_segment(w, &e), s + 1);
	}
	int cp, calls = 0;
	wal_checkpoint_stats st;
	ASSERT_EQ(wal_checkpoint_truncate(w, 2000, keep_even, &calls, true, &cp, &st, &e), 0);
	ASSERT_EQ(cp, 3);
	ASSERT_EQ(wal_segment_current(w), 7);
	ASSERT_EQ(st.total_series, 4);   /* refs 1..4 */
	ASSERT_EQ(st.dropped_series, 2); /* 1 and 3 */
	ASSERT_EQ(st.total_samples, 4);
	ASSERT_EQ(st.dropped_samples, 2); /* t 0 and 1000 < 2000 */
	int first, last;
	ASSERT_EQ(wal_segments(dir, &first, &last, &e), 0);
	ASSERT_EQ(first, 4);
	ASSERT_EQ(last, 7);
	wal_replay_plan plan;
	ASSERT_EQ(wal_replay_plan_make(dir, &plan, &e), 0);
	ASSERT_EQ(plan.checkpoint_index, 3);
	counts c;
	ASSERT_EQ(count_ranges(plan.ranges, plan.n_ranges, &c, NULL), 0);
	ASSERT_EQ(c.series, 2 + 3);  /* 2, 4 from the checkpoint; 5, 6, 7 */
	ASSERT_EQ(c.samples, 2 + 3); /* t 2000, 3000; then 4000.. */
	/* again: 4..7 noted, 8 cut, 4 + (6 - 4) * 2 / 3 = 5 */
	ASSERT_EQ(wal_checkpoint_truncate(w, 9000, keep_even, &calls, true, &cp, &st, &e), 0);
	ASSERT_EQ(cp, 5);
	ASSERT_EQ(wal_checkpoint_last(dir, plan.checkpoint, sizeof plan.checkpoint, &cp, &e), 0);
	ASSERT_EQ(cp, 5);
	snprintf(plan.checkpoint, sizeof plan.checkpoint, "%s/checkpoint.00000003", dir);
	ASSERT_EQ(file_size(plan.checkpoint), -1);
	wal_close(w, &e);
	/* too few closed segments: only the cut */
	snprintf(dir, sizeof dir, "%s/wal2", test_tmpdir());
	w = wal_open(dir, NULL, &e);
	ASSERT_EQ(wal_next_segment(w, &e), 1);
	ASSERT_EQ(wal_checkpoint_truncate(w, 0, keep_even, &calls, true, &cp, &st, &e), 0);
	ASSERT_EQ(cp, -1);
	ASSERT_EQ(wal_segment_current(w), 2);
	wal_close(w, &e);
	buf_reset(&b);
}

static bool keep_all(void *ctx, uint64_t ref)
{
	(void)ctx;
	(void)ref;
	return true;
}

/* Prometheus reads the checkpoints flint writes: promtool's dump of a data
 * dir whose WAL is a flint checkpoint of the golden remote-write segment
 * holds exactly the samples at or after the checkpoint's mint. Skipped
 * when promtool is not installed. */
static void promtool_reads_our_checkpoint(void)
{
	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		printf("skip: no promtool\n");
		return;
	}
	char data[1100], dir[1200];
	snprintf(data, sizeof data, "%s/data", test_tmpdir());
	snprintf(dir, sizeof dir, "%s/wal", data);
	mkdir(data, 0777);
	mkdir(dir, 0777);
	copy_file(golden("wal-remote-write/data/wal/00000000"), seg_path(dir, 0));
	int64_t mint = 1795495000000;
	err e;
	wal_checkpoint_stats st;
	ASSERT_EQ(wal_checkpoint_create(dir, 0, 0, keep_all, NULL, mint, true, &st, &e), 0);
	int64_t want = st.total_samples - st.dropped_samples;
	ASSERT(want > 10000 && want < 45577);
	wal *w = wal_open(dir, NULL, &e); /* the next segment, empty */
	ASSERT_EQ(wal_segment_current(w), 1);
	ASSERT_EQ(wal_close(w, &e), 0);
	ASSERT_EQ(unlink(seg_path(dir, 0)), 0); /* truncated, as after a head compaction */
	char cmd[1500];
	snprintf(cmd, sizeof cmd, "promtool tsdb dump '%s' 2>/dev/null", data);
	FILE *p = popen(cmd, "r");
	ASSERT(p);
	char line[1024];
	int64_t lines = 0, early = 0;
	while (fgets(line, sizeof line, p)) {
		char *sp = strrchr(line, ' ');
		ASSERT(sp);
		early += strtoll(sp + 1, NULL, 10) < mint;
		lines++;
	}
	ASSERT_EQ(pclose(p), 0);
	ASSERT_EQ(early, 0);
	ASSERT_EQ(lines, want);
}

const struct test tests_wal[] = {
	{"golden_remote_write", golden_remote_write},
	{"golden_fragment_layout", golden_fragment_layout},
	{"golden_with_checkpoint", golden_with_checkpoint},
	{"golden_checkpoint_restarts", golden_checkpoint_restarts},
	{"replay_plan_gaps", replay_plan_gaps},
	{"snappy_matches_golang", snappy_matches_golang},
	{"byte_compare_golden", byte_compare_golden},
	{"roundtrip_plain_and_compressed", roundtrip_plain_and_compressed},
	{"batch_equals_single_writes", batch_equals_single_writes},
	{"new_segment_each_open", new_segment_each_open},
	{"corrupt_flipped_byte_mid_wal", corrupt_flipped_byte_mid_wal},
	{"corrupt_zeroed_page", corrupt_zeroed_page},
	{"corrupt_garbage_appended", corrupt_garbage_appended},
	{"torn_half_written_last_record", torn_half_written_last_record},
	{"torn_every_cut", torn_every_cut},
	{"random_damage_prefix", random_damage_prefix},
	{"checkpoint_create_golden", checkpoint_create_golden},
	{"checkpoint_corrupt_source_fails", checkpoint_corrupt_source_fails},
	{"checkpoint_truncate_sequence", checkpoint_truncate_sequence},
	{"promtool_reads_our_checkpoint", promtool_reads_our_checkpoint},
	{NULL, NULL},
};
