/*
 * test_db_replay.c - WAL replay (tsdb/db_replay.c): the head built with
 * worker threads is the one built by a single thread, on a WAL holding a
 * checkpoint, many series, duplicate series records (aliases), samples
 * before their series record, old, out-of-order and duplicate samples,
 * tombstones and records the head skips.
 */
#include "tests/unit/test.h"

#include <sys/stat.h>

#include "lib/buf.h"
#include "tsdb/db.h"
#include "tsdb/head.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

#define NS 2000         /* series records (refs 1..NS), plus one alias */
#define CP_ROUNDS 40    /* rounds in the checkpoint, t = 1000 .. 40000 */
#define ROUNDS 220      /* rounds in the segments after it */
#define MIN_VALID 5000  /* samples below are in a block already */

static void put(wal *w, buf *b)
{
	err e;
	ASSERT(!b->oom);
	ASSERT_EQ(wal_log1(w, b->p, b->len, &e), 0);
	buf_clear(b);
}

/* Series i's labels: strings in names/vals (kept by the caller). */
static labels series_labels(uint64_t i, label *lv, char *name, char *val)
{
	snprintf(name, 16, "m%" PRIu64, i % 7);
	snprintf(val, 16, "%" PRIu64, i);
	lv[0] = (label){"__name__", name};
	lv[1] = (label){"i", val};
	lv[2] = (label){"job", "replay"};
	return (labels){lv, 3};
}

/* Series records for refs [from, to] (ref NS + 1 names series 5 again). */
static void put_series(wal *w, buf *b, uint64_t from, uint64_t to)
{
	record_series s[100];
	label lv[100][3];
	char names[100][16], vals[100][16];
	size_t n = 0;
	for (uint64_t r = from; r <= to; r++) {
		s[n].ref = r;
		s[n].ls = series_labels(r == NS + 1 ? 5 : r, lv[n], names[n], vals[n]);
		if (++n == 100 || r == to) {
			record_encode_series(b, s, n);
			put(w, b);
			n = 0;
		}
	}
}

/* One round at time t for refs [1, n_refs] (and the alias when asked),
 * with some damage: refs 7 mod 97 repeat an older time, refs 11 mod 89 a
 * duplicate (same value, then another). */
static void put_round(wal *w, buf *b, uint64_t n_refs, bool alias, int64_t t)
{
	size_t cap = (size_t)n_refs + 200;
	record_sample *s = malloc(cap * sizeof *s);
	ASSERT(s);
	size_t n = 0;
	for (uint64_t r = 1; r <= n_refs; r++) {
		double v = (double)(t / 1000) * (double)(r % 13) + (r % 3 ? 0.5 : 0);
		s[n++] = (record_sample){r, t, v};
		if (r % 97 == 7 && n < cap)
			s[n++] = (record_sample){r, t - 3000, v};
		if (r % 89 == 11 && n + 1 < cap) {
			s[n++] = (record_sample){r, t, v};
			s[n++] = (record_sample){r, t, v + 1};
		}
	}
	if (alias)
		s[n++] = (record_sample){NS + 1, t + 500, 42}; /* continues series 5 */
	record_encode_samples(b, s, n);
	put(w, b);
	free(s);
}

static void write_wal(const char *dir)
{
	char waldir[1024], cpdir[1100];
	snprintf(waldir, sizeof waldir, "%s/wal", dir);
	snprintf(cpdir, sizeof cpdir, "%s/checkpoint.00000001", waldir);
	ASSERT_EQ(mkdir(waldir, 0777), 0);
	err e;
	buf b;
	buf_init(&b);
	wal_opts o = {.compress = true};

	/* The checkpoint: the first half of the series, their early samples
	 * (partly below MIN_VALID), tombstones. */
	wal *w = wal_open(cpdir, &o, &e);
	ASSERT(w);
	put_series(w, &b, 1, NS / 2);
	for (int k = 1; k <= CP_ROUNDS; k++)
		put_round(w, &b, NS / 2, false, k * 1000);
	record_tombstone tb[] = {{3, 2000, 30000}, {4, 1000, 2000}, {NS + 50, 1, 99999}};
	record_encode_tombstones(&b, tb, FL_ARRAY_LEN(tb));
	put(w, &b);
	ASSERT_EQ(wal_close(w, &e), 0);

	/* Segments 0 and 1 are in the checkpoint: their records must not count. */
	w = wal_open(waldir, &o, &e);
	ASSERT(w);
	record_sample junk[] = {{1, 999999999, 1}, {2, 999999999, 2}};
	record_encode_samples(&b, junk, 2);
	put(w, &b);
	ASSERT(wal_next_segment(w, &e) == 1);
	ASSERT(wal_next_segment(w, &e) == 2);

	/* Segment 2 on: samples of the second half before their series
	 * record (unknown then), the series, the alias, many rounds. */
	put_round(w, &b, NS, false, 40500);
	put_series(w, &b, NS / 2 + 1, NS + 1);
	for (int k = 1; k <= ROUNDS; k++) {
		put_round(w, &b, NS, true, 40000 + k * 1000);
		if (k == ROUNDS / 2) {
			record_tombstone t2[] = {{10, 50000, 60000}, {NS + 1, 100000, 120000}, {1500, 0, 4000}};
			record_encode_tombstones(&b, t2, FL_ARRAY_LEN(t2));
			put(w, &b);
			record_exemplar ex = {.ref = 3, .t = 60000, .v = 1};
			record_encode_exemplars(&b, &ex, 1);
			put(w, &b);
			ASSERT(wal_next_segment(w, &e) > 2);
		}
	}
	ASSERT_EQ(wal_close(w, &e), 0);
	buf_reset(&b);
}

/* The head as bytes: every series (ref, labels, chunks with their bytes). */
static int digest_series(void *ctx, uint64_t ref, labels ls, const head_chunk_meta *c, size_t n)
{
	buf *b = ctx;
	buf_put_uvarint(b, ref);
	for (size_t i = 0; i < ls.n; i++) {
		buf_put_str(b, ls.v[i].name);
		buf_put_byte(b, '=');
		buf_put_str(b, ls.v[i].value);
		buf_put_byte(b, ',');
	}
	buf_put_uvarint(b, n);
	for (size_t i = 0; i < n; i++) {
		buf_put_varint(b, c[i].mint);
		buf_put_varint(b, c[i].maxt);
		buf_put_uvarint(b, c[i].len);
		buf_put(b, c[i].b, c[i].len);
	}
	return 0;
}

typedef struct replayed {
	db_replay_stats st;
	head_stats hs;
	int64_t tomb_series, tomb_intervals;
	buf dig;
} replayed;

/* Replay dir/wal (and dir/chunks_head when mmapped, read-only) into a
 * fresh head with this many workers. */
static void replay_with(const char *dir, int workers, bool mmapped, int64_t min_valid, replayed *out)
{
	char waldir[1024], cdir[1024];
	snprintf(waldir, sizeof waldir, "%s/wal", dir);
	snprintf(cdir, sizeof cdir, "%s/chunks_head", dir);
	err e;
	head_opts ho = {.chunks_dir = mmapped ? cdir : NULL, .chunks_read_only = true};
	head *h = head_open(&ho, &e);
	ASSERT(h);
	head_set_min_valid_time(h, min_valid);
	ASSERT_EQ(db__replay_wal(h, waldir, min_valid, false, workers, &out->st, &e), 0);
	head_get_stats(h, &out->hs);
	head_tombstones_count(h, &out->tomb_series, &out->tomb_intervals);
	buf_init(&out->dig);
	ASSERT_EQ(head_for_each_series(h, digest_series, &out->dig), 0);
	ASSERT(!out->dig.oom);
	head_close(h);
}

static void same(const replayed *a, const replayed *b)
{
	ASSERT_EQ(memcmp(&a->st, &b->st, sizeof a->st), 0);
	ASSERT_EQ(a->hs.series, b->hs.series);
	ASSERT_EQ(a->hs.chunks, b->hs.chunks);
	ASSERT_EQ(a->hs.min_time, b->hs.min_time);
	ASSERT_EQ(a->hs.max_time, b->hs.max_time);
	ASSERT_EQ(a->hs.samples_appended, b->hs.samples_appended);
	ASSERT_EQ(a->hs.out_of_order, b->hs.out_of_order);
	ASSERT_EQ(a->hs.out_of_bounds, b->hs.out_of_bounds);
	ASSERT_EQ(a->hs.replay_unknown_refs, b->hs.replay_unknown_refs);
	ASSERT_EQ(a->tomb_series, b->tomb_series);
	ASSERT_EQ(a->tomb_intervals, b->tomb_intervals);
	ASSERT_EQ(a->dig.len, b->dig.len);
	ASSERT_EQ(memcmp(a->dig.p, b->dig.p, a->dig.len), 0);
}

static void test_workers_same_head(void)
{
	const char *dir = test_tmpdir();
	write_wal(dir);
	replayed one, many;
	replay_with(dir, 1, false, MIN_VALID, &one);
	/* What the WAL holds, replayed by one thread. */
	ASSERT_EQ(one.st.series, NS + 1); /* the checkpoint's half, the rest and the alias */
	ASSERT_EQ(one.hs.series, NS);
	ASSERT(one.st.samples > (int64_t)NS * ROUNDS);
	ASSERT(one.st.skipped_old > 0);
	ASSERT(one.st.unknown_refs >= NS / 2); /* the round before their series record */
	ASSERT(one.st.rejected > 0);
	ASSERT(one.hs.chunks > NS); /* chunks were cut */
	ASSERT_EQ(one.st.tombstones, 3); /* {3..}, {10..}, {alias of 5..}; the rest unknown or too old */
	ASSERT_EQ(one.tomb_series, 3);
	ASSERT_EQ(one.st.other_records, 1);
	ASSERT_EQ(one.hs.min_time, MIN_VALID);
	ASSERT_EQ(one.hs.max_time, 40000 + ROUNDS * 1000 + 500);
	int counts[] = {2, 3, 8, 0};
	for (size_t i = 0; i < FL_ARRAY_LEN(counts); i++) {
		replay_with(dir, counts[i], false, MIN_VALID, &many);
		same(&one, &many);
		buf_reset(&many.dig);
	}
	buf_reset(&one.dig);
}

/* A WAL written by the db, whose head cut chunks into chunks_head/: the
 * samples in them are skipped the same way whatever the worker count. */
static void test_workers_same_head_mmapped(void)
{
	const char *dir = test_tmpdir();
	err e;
	db_opts o;
	db_opts_default(&o);
	o.maintenance_interval_ms = 0;
	db *d = db_open(dir, &o, &e);
	ASSERT(d);
	for (int k = 0; k < 300; k++) {
		appender *a = db_appender(d);
		ASSERT(a);
		for (uint64_t i = 1; i <= 500; i++) {
			label lv[3];
			char name[16], val[16];
			labels ls = series_labels(i, lv, name, val);
			ASSERT_EQ(appender_append(a, 0, ls, 1700000000000 + k * 15000, (double)(k * i), NULL, &e), 0);
		}
		ASSERT_EQ(appender_commit(a, &e), 0);
	}
	db_close(d);
	replayed one, many;
	replay_with(dir, 1, true, INT64_MIN, &one);
	ASSERT_EQ(one.hs.series, 500);
	ASSERT(one.st.mmapped_chunks >= 500);
	ASSERT(one.st.in_mmapped >= 500 * 120);
	ASSERT_EQ(one.st.samples + one.st.in_mmapped, 500 * 300);
	replay_with(dir, 4, true, INT64_MIN, &many);
	same(&one, &many);
	/* The samples skipped (by the decoder, before any worker) are those
	 * the chunks hold: the whole WAL replayed without the chunks gives a
	 * head of the same series, chunks and bytes. */
	replayed full;
	replay_with(dir, 1, false, INT64_MIN, &full);
	ASSERT_EQ(full.st.samples, 500 * 300);
	ASSERT_EQ(full.st.in_mmapped, 0);
	ASSERT_EQ(full.hs.chunks, one.hs.chunks);
	ASSERT_EQ(full.dig.len, one.dig.len);
	ASSERT_EQ(memcmp(full.dig.p, one.dig.p, one.dig.len), 0);
	buf_reset(&full.dig);
	buf_reset(&one.dig);
	buf_reset(&many.dig);
}

const struct test tests_db_replay[] = {
	{"db_replay_workers_same_head", test_workers_same_head},
	{"db_replay_workers_same_head_mmapped", test_workers_same_head_mmapped},
	{NULL, NULL},
};
