/* test_db.c - tsdb/db.c: persistence through the WAL, the lock, read-only
 * opens, damaged WAL segments, and a crash test (SIGKILL at random moments,
 * every acknowledged commit must survive, no commit may be half there). */
#include "tsdb/db.h"
#include "lib/fmtfloat.h"
#include "lib/log.h"
#include "tests/unit/dbopen.h"
#include "tests/unit/test.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define K 8 /* series per batch */


static db *open_db(const char *dir, bool ro) { return test_db_open(dir, 0, ro); }

/* Batch b: value b in each of K series `crash{s="i"}` at t = b * 1000. */
static int commit_batch(db *d, int64_t b, err *e)
{
	appender *a = db_appender(d);
	if (!a)
		return err_set(e, FL_ENOMEM, "no appender");
	for (int i = 0; i < K; i++) {
		char s[8];
		snprintf(s, sizeof s, "%d", i);
		label lv[2] = {{"__name__", "crash"}, {"s", s}};
		series_ref ref;
		int rc = appender_append(a, 0, (labels){lv, 2}, b * 1000, (double)b, &ref, e);
		if (rc) {
			appender_rollback(a);
			return rc;
		}
	}
	return appender_commit(a, e);
}

void test_db_count(db *d, const char *name, int *counts, int64_t n)
{
	memset(counts, 0, sizeof *counts * (size_t)n);
	err e;
	err_clear(&e);
	querier *q = queryable_querier(db_queryable(d), INT64_MIN, INT64_MAX, &e);
	if (!q)
		test_fail(__FILE__, __LINE__, "querier: %s", e.msg);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", name, &e), 0);
	select_hints h = {.start_ms = INT64_MIN, .end_ms = INT64_MAX};
	series_set *ss = querier_select(q, true, &h, &m, 1);
	sample_iter *it = NULL;
	while (series_set_next(ss)) {
		it = series_set_iter(ss, it);
		while (sample_iter_next(it) == VAL_FLOAT) {
			int64_t t;
			double v;
			sample_iter_at(it, &t, &v);
			if (!(v >= 0 && v < (double)n && t == (int64_t)v * 1000))
				test_fail(__FILE__, __LINE__, "stray sample t=%" PRId64 " v=%g", t, v);
			counts[(int64_t)v]++;
		}
		ASSERT_EQ(sample_iter_err(it, &e), 0);
	}
	ASSERT_EQ(series_set_err(ss, &e), 0);
	sample_iter_close(it);
	series_set_close(ss);
	querier_close(q);
	matcher_reset(&m);
}

void test_db_expect(db *d, const char *name, int64_t n, int64_t lo, int64_t hi, int k)
{
	static int counts[4096];
	ASSERT(n <= 4096);
	test_db_count(d, name, counts, n);
	for (int64_t v = 0; v < n; v++)
		if (counts[v] != (v >= lo && v < hi ? k : 0))
			test_fail(__FILE__, __LINE__, "%s: value %" PRId64 " has %d samples, want %d", name, v, counts[v],
				  v >= lo && v < hi ? k : 0);
}

static void count_batches(db *d, int *counts, int64_t n) { test_db_count(d, "crash", counts, n); }

static void reopen_keeps_samples(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	err e;
	for (int64_t b = 0; b < 50; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	db_close(d);
	d = open_db(dir, false);
	int counts[60];
	count_batches(d, counts, 60);
	for (int b = 0; b < 60; b++)
		ASSERT_EQ(counts[b], b < 50 ? K : 0);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.head_series, K);
	ASSERT_EQ(st.wal_corruptions, 0);
	ASSERT_EQ(st.blocks_loaded, 0);
	/* more data after a restart lands in the new segment and survives too */
	for (int64_t b = 50; b < 60; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	db_close(d);
	d = open_db(dir, true);
	count_batches(d, counts, 60);
	for (int b = 0; b < 60; b++)
		ASSERT_EQ(counts[b], K);
	db_close(d);
}

/* Full head chunks go to chunks_head/ and a reopen takes them from there
 * (skipping the WAL samples they hold); a damaged, cut short or missing
 * chunk file loses nothing, since the WAL still has every sample. */
static void mmapped_chunks_replay_and_damage(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	err e;
	enum { NB = 1000 };
	for (int64_t b = 0; b < NB; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	db_close(d);
	char f1[600], cmd[1400];
	snprintf(f1, sizeof f1, "%s/chunks_head/000001", dir);
	struct stat sb;
	ASSERT_EQ(stat(f1, &sb), 0);
	ASSERT(sb.st_size > 8 * 1000); /* 8 series x ~8 chunks */
	static int counts[NB];
	for (int round = 0; round < 4; round++) {
		if (round == 1) { /* a flipped byte in the middle */
			FILE *f = fopen(f1, "r+b");
			ASSERT(f);
			fseek(f, (long)(sb.st_size / 2), SEEK_SET);
			int c = fgetc(f);
			fseek(f, (long)(sb.st_size / 2), SEEK_SET);
			fputc(c ^ 0x5a, f);
			fclose(f);
		} else if (round == 2) { /* cut short */
			ASSERT_EQ(stat(f1, &sb), 0);
			ASSERT_EQ(truncate(f1, sb.st_size / 3), 0);
		} else if (round == 3) { /* gone */
			snprintf(cmd, sizeof cmd, "rm -rf %s/chunks_head", dir);
			ASSERT_EQ(system(cmd), 0);
		}
		d = open_db(dir, round % 2 == 1);
		count_batches(d, counts, NB);
		for (int b = 0; b < NB; b++)
			ASSERT_EQ(counts[b], K);
		db_stats st;
		db_get_stats(d, &st);
		ASSERT_EQ(st.head_series, K);
		ASSERT_EQ(st.replay_samples + st.replay_in_mmapped, K * NB);
		if (round == 0)
			ASSERT(st.replay_in_mmapped > K * NB / 2);
		db_close(d);
	}
}

/* Prometheus's own chunks_head/ (golden data-sigterm: 198 chunks) is
 * replayed: its chunks hold most of the samples, the WAL the rest. */
static void prometheus_chunks_head_replayed(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/conformance/tsdb/wal-remote-write/data-sigterm", test_shared_dir());
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, true);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.head_series, 200);
	ASSERT(st.replay_in_mmapped > 198 * 100); /* ~139 samples a chunk */
	ASSERT_EQ(st.wal_corruptions, 0);
	db_close(d);
}

static void stale_marker_bits_survive(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	err e;
	appender *a = db_appender(d);
	label lv[1] = {{"__name__", "stale_me"}};
	series_ref ref;
	ASSERT_EQ(appender_append(a, 0, (labels){lv, 1}, 1000, 1.5, &ref, &e), 0);
	ASSERT_EQ(appender_append(a, ref, (labels){lv, 1}, 2000, stale_nan(), &ref, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
	db_close(d);
	d = open_db(dir, true);
	querier *q = queryable_querier(db_queryable(d), 0, 10000, &e);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", "stale_me", &e), 0);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	ASSERT(series_set_next(ss));
	sample_iter *it = series_set_iter(ss, NULL);
	int64_t t;
	double v;
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 1000);
	ASSERT_DBL_EQ(v, 1.5);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 2000);
	ASSERT(is_stale_nan(v));
	ASSERT_EQ(sample_iter_next(it), VAL_NONE);
	sample_iter_close(it);
	ASSERT(!series_set_next(ss));
	series_set_close(ss);
	querier_close(q);
	matcher_reset(&m);
	db_close(d);
}

static void lock_excludes_second_writer(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	db_opts o;
	db_opts_default(&o);
	err e;
	err_clear(&e);
	ASSERT(db_open(dir, &o, &e) == NULL);
	ASSERT_EQ(e.code, FL_EUNAVAILABLE);
	ASSERT(strstr(e.msg, "lock DB directory") != NULL);
	db *ro = open_db(dir, true); /* read-only takes no lock */
	db_close(ro);
	db_close(d);
	d = open_db(dir, false); /* released by close */
	db_close(d);
}

static void read_only_writes_nothing(void)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/none", test_tmpdir());
	db_opts o;
	db_opts_default(&o);
	o.read_only = true;
	err e;
	err_clear(&e);
	log_set_level(LOG_ERROR);
	db *d = db_open(dir, &o, &e);
	/* a missing directory is an error read-only, and is not created */
	ASSERT(d == NULL);
	ASSERT(e.msg[0] != 0);
	struct stat st;
	ASSERT(stat(dir, &st) != 0);
	ASSERT_EQ(mkdir(dir, 0777), 0);
	d = open_db(dir, true);
	db_close(d);
	char p[600];
	snprintf(p, sizeof p, "%s/lock", dir);
	ASSERT(stat(p, &st) != 0);
	snprintf(p, sizeof p, "%s/wal", dir);
	ASSERT(stat(p, &st) != 0);
}

/* ---- damaged segments ---- */

#define NB 4000 /* batches written before the damage */

/* Write NB batches into a fresh db; ends[b] = segment size after batch b. */
static void write_batches(const char *dir, int64_t *ends)
{
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	char seg[600];
	snprintf(seg, sizeof seg, "%s/wal/00000000", dir);
	err e;
	for (int64_t b = 0; b < NB; b++) {
		ASSERT_EQ(commit_batch(d, b, &e), 0);
		struct stat st;
		ASSERT_EQ(stat(seg, &st), 0);
		ends[b] = st.st_size;
	}
	db_close(d);
	if (ends[NB - 1] <= 3 * 32768) /* the damage cases need 3+ pages */
		test_fail(__FILE__, __LINE__, "only %" PRId64 " WAL bytes", ends[NB - 1]);
}

static void damage(const char *dir, int64_t off, const void *bytes, size_t n)
{
	char seg[600];
	snprintf(seg, sizeof seg, "%s/wal/00000000", dir);
	FILE *f = fopen(seg, "r+b");
	ASSERT(f != NULL);
	ASSERT_EQ(fseek(f, (long)off, SEEK_SET), 0);
	ASSERT_EQ(fwrite(bytes, 1, n, f), n);
	fclose(f);
}

/* Reopen (read-only first, then read-write which repairs, then again):
 * every batch that ended at or before `off` is there, each batch is all or
 * nothing, batches form a prefix, and the damage was counted once. */
static void check_after_damage(const char *dir, const int64_t *ends, int64_t off, bool counted)
{
	static int counts[NB + 10];
	for (int pass = 0; pass < 3; pass++) {
		db *d = open_db(dir, pass == 0);
		count_batches(d, counts, NB + 10);
		bool gap = false;
		for (int b = 0; b < NB + 10; b++) {
			if (counts[b] != 0 && counts[b] != K)
				test_fail(__FILE__, __LINE__, "pass %d: batch %d half there (%d of %d)", pass, b, counts[b], K);
			if (b < NB && ends[b] <= off && counts[b] != K)
				test_fail(__FILE__, __LINE__, "pass %d: batch %d (ends %" PRId64 " <= damage %" PRId64 ") lost",
					  pass, b, ends[b], off);
			if (b < NB && counts[b] && gap)
				test_fail(__FILE__, __LINE__, "pass %d: batch %d after a missing one", pass, b);
			if (!counts[b])
				gap = true;
		}
		ASSERT_EQ(counts[NB + 5], pass == 2 ? K : 0);
		db_stats st;
		db_get_stats(d, &st);
		/* pass 0 (read-only) and pass 1 see the damage; pass 2 sees the repaired WAL */
		if (counted)
			ASSERT_EQ(st.wal_corruptions, pass < 2 ? 1 : 0);
		if (pass == 1) {
			err e;
			ASSERT_EQ(commit_batch(d, NB + 5, &e), 0); /* writable after repair */
		}
		db_close(d);
	}
}

static void damage_flipped_byte(void)
{
	const char *dir = test_tmpdir();
	static int64_t ends[NB];
	write_batches(dir, ends);
	int64_t off = (ends[299] + ends[300]) / 2;
	uint8_t c;
	char seg[600];
	snprintf(seg, sizeof seg, "%s/wal/00000000", dir);
	FILE *f = fopen(seg, "rb");
	ASSERT(f && fseek(f, (long)off, SEEK_SET) == 0 && fread(&c, 1, 1, f) == 1);
	fclose(f);
	c ^= 0x5a;
	damage(dir, off, &c, 1);
	check_after_damage(dir, ends, off, true);
}

static void damage_zeroed_page(void)
{
	const char *dir = test_tmpdir();
	static int64_t ends[NB];
	write_batches(dir, ends);
	static uint8_t zeros[32768];
	damage(dir, 32768, zeros, sizeof zeros);
	check_after_damage(dir, ends, 32768, true);
}

static void damage_garbage(void)
{
	const char *dir = test_tmpdir();
	static int64_t ends[NB];
	write_batches(dir, ends);
	uint8_t junk[300];
	srand(7);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rand();
	int64_t off = ends[100] + 3;
	damage(dir, off, junk, sizeof junk);
	check_after_damage(dir, ends, off, true);
}

static void damage_half_last_record(void)
{
	const char *dir = test_tmpdir();
	static int64_t ends[NB];
	write_batches(dir, ends);
	char seg[600];
	snprintf(seg, sizeof seg, "%s/wal/00000000", dir);
	int64_t off = ends[NB - 2] + (ends[NB - 1] - ends[NB - 2]) / 2;
	ASSERT_EQ(truncate(seg, off), 0);
	check_after_damage(dir, ends, off, true);
	/* only the last batch was lost */
	db *d = open_db(dir, true);
	static int counts[NB + 10];
	count_batches(d, counts, NB + 10);
	ASSERT_EQ(counts[NB - 2], K);
	ASSERT_EQ(counts[NB - 1], 0);
	db_close(d);
}

/* A damaged checkpoint cannot be repaired, but never stops the open: the
 * blocks and whatever replays still serve. Golden data from Prometheus. */
static void damage_checkpoint(void)
{
	char cmd[1200], seg[700];
	const char *dir = test_tmpdir();
	snprintf(cmd, sizeof cmd, "cp -r '%s/conformance/tsdb/wal-with-checkpoint/data/.' '%s/'", test_shared_dir(), dir);
	ASSERT_EQ(system(cmd), 0);
	snprintf(seg, sizeof seg, "%s/wal/checkpoint.00000001/00000000", dir);
	ASSERT_EQ(chmod(seg, 0644), 0);
	FILE *f = fopen(seg, "r+b");
	ASSERT(f != NULL);
	uint8_t c;
	ASSERT(fseek(f, 20, SEEK_SET) == 0 && fread(&c, 1, 1, f) == 1);
	c ^= 0xff;
	ASSERT(fseek(f, 20, SEEK_SET) == 0 && fwrite(&c, 1, 1, f) == 1);
	fclose(f);
	log_set_level(LOG_ERROR);
	for (int pass = 0; pass < 2; pass++) {
		db *d = open_db(dir, pass == 0);
		db_stats st;
		db_get_stats(d, &st);
		ASSERT_EQ(st.blocks_loaded, 3);
		ASSERT_EQ(st.wal_corruptions, 1); /* not repaired: seen again */
		err e;
		querier *q = queryable_querier(db_queryable(d), INT64_MIN, INT64_MAX, &e);
		matcher m;
		ASSERT_EQ(matcher_init(&m, MATCH_RE, "__name__", ".+", &e), 0);
		series_set *ss = querier_select(q, true, NULL, &m, 1);
		sample_iter *it = NULL;
		long n = 0;
		while (series_set_next(ss)) {
			it = series_set_iter(ss, it);
			while (sample_iter_next(it) == VAL_FLOAT)
				n++;
		}
		/* 15,309 in all, 1,924 of them only in the WAL */
		ASSERT(n >= 15309 - 1924 && n <= 15309);
		sample_iter_close(it);
		series_set_close(ss);
		querier_close(q);
		matcher_reset(&m);
		db_close(d);
	}
}

/* promtool (Prometheus's own reader) reads the WAL flint writes: its dump
 * of a flint directory equals the samples flint committed. Skipped when
 * promtool is not installed. */
static int cmp_line(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void promtool_reads_our_wal(void)
{
	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		printf("skip: no promtool\n");
		return;
	}
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	static const char *vals[] = {"plain", "say \"hi\"", "a\\b\nc", "서울 ✓ 🚀", "\x01ctl"};
	static const double v[] = {0, -0.0, 0.1, 1e-7, 123456789, 1e21, NAN, INFINITY, -2.5};
	char *want[400];
	size_t n_want = 0;
	err e;
	for (int b = 0; b < 9; b++) {
		appender *a = db_appender(d);
		for (int i = 0; i < 5; i++) {
			label lv[2] = {{"__name__", "flint_written"}, {"v", vals[i]}};
			double x = b == 8 && i == 0 ? stale_nan() : v[(b + i) % 9];
			series_ref ref;
			ASSERT_EQ(appender_append(a, 0, (labels){lv, 2}, 1700000000000 + b * 15000, x, &ref, &e), 0);
			buf l;
			buf_init(&l);
			labels_format(&l, (labels){lv, 2});
			char num[FMT_FLOAT_MAX];
			fmt_go_g(num, x);
			buf_printf(&l, " %s %" PRId64, num, (int64_t)1700000000000 + b * 15000);
			want[n_want++] = fl_strdup(buf_cstr(&l));
			buf_reset(&l);
		}
		ASSERT_EQ(appender_commit(a, &e), 0);
	}
	db_close(d);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s.copy' && rm -f '%s.copy/lock' && promtool tsdb dump '%s.copy' 2>/dev/null",
		 dir, dir, dir, dir);
	FILE *p = popen(cmd, "r");
	ASSERT(p != NULL);
	char *got[400], line[512];
	size_t n_got = 0;
	while (n_got < 400 && fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = 0;
		got[n_got++] = fl_strdup(line);
	}
	ASSERT_EQ(pclose(p), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s.copy'", dir);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_EQ(n_got, n_want);
	qsort(want, n_want, sizeof *want, cmp_line);
	qsort(got, n_got, sizeof *got, cmp_line);
	for (size_t i = 0; i < n_got; i++) {
		ASSERT_STR_EQ(got[i], want[i]);
		fl_free(got[i]);
		fl_free(want[i]);
	}
}

/* ---- concurrent committers ---- */

#define THREADS 4
#define TBATCHES 300

static void *committer(void *arg)
{
	db *d = ((void **)arg)[0];
	int th = (int)(intptr_t)((void **)arg)[1];
	for (int b = 0; b < TBATCHES; b++) {
		appender *a = db_appender(d);
		err e;
		for (int i = 0; i < K; i++) {
			char ts[8], s[8];
			snprintf(ts, sizeof ts, "%d", th);
			snprintf(s, sizeof s, "%d", i);
			label lv[3] = {{"__name__", "conc"}, {"s", s}, {"th", ts}};
			series_ref ref;
			if (appender_append(a, 0, (labels){lv, 3}, (int64_t)b * 1000, b, &ref, &e))
				return (void *)1;
		}
		if (appender_commit(a, &e))
			return (void *)1;
	}
	return NULL;
}

static void concurrent_commits_all_logged(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	pthread_t t[THREADS];
	void *args[THREADS][2];
	for (int i = 0; i < THREADS; i++) {
		args[i][0] = d;
		args[i][1] = (void *)(intptr_t)i;
		ASSERT_EQ(pthread_create(&t[i], NULL, committer, args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *rv;
		pthread_join(t[i], &rv);
		ASSERT(rv == NULL);
	}
	db_close(d);
	d = open_db(dir, true);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.head_series, THREADS * K);
	/* each WAL sample is replayed or already in an m-mapped head chunk */
	ASSERT_EQ(st.replay_samples + st.replay_in_mmapped, THREADS * K * TBATCHES);
	ASSERT(st.replay_in_mmapped > 0);
	ASSERT_EQ(st.wal_corruptions, 0);
	db_close(d);
}

/* db_truncate_wal as a head compaction calls it: each round cuts a
 * segment; the fourth checkpoints the lower two thirds (segments 0-1),
 * dropping samples below mint and the series keep refuses. Reopened, the
 * data is what the checkpoint kept plus the segments after it. */
static bool keep_except(void *ctx, uint64_t ref) { return ref != *(const uint64_t *)ctx; }

static void truncate_wal_checkpoints(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, false);
	err e;
	for (int64_t b = 0; b < 10; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	appender *a = db_appender(d); /* the ref of crash{s="0"} */
	label lv[2] = {{"__name__", "crash"}, {"s", "0"}};
	series_ref ref0 = 0;
	ASSERT_EQ(appender_append(a, 0, (labels){lv, 2}, 9000, 9, &ref0, &e), 0);
	appender_rollback(a);
	ASSERT(ref0 != 0);
	uint64_t drop = ref0;
	ASSERT_EQ(db_truncate_wal(d, INT64_MIN, keep_except, &drop, &e), 0);
	for (int64_t b = 10; b < 20; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	ASSERT_EQ(db_truncate_wal(d, INT64_MIN, keep_except, &drop, &e), 0);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.checkpoint_creations, 0); /* not worth one yet */
	ASSERT_EQ(st.wal_segment_current, 2);
	for (int64_t b = 20; b < 30; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	ASSERT_EQ(db_truncate_wal(d, INT64_MIN, keep_except, &drop, &e), 0);
	for (int64_t b = 30; b < 40; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	ASSERT_EQ(db_truncate_wal(d, 5000, keep_except, &drop, &e), 0); /* segments 0-3 closed: checkpoint 0-1 */
	for (int64_t b = 40; b < 50; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	db_get_stats(d, &st);
	ASSERT_EQ(st.checkpoint_creations, 1);
	ASSERT_EQ(st.checkpoint_creations_failed, 0);
	db_close(d);
	char p[1200];
	struct stat sb;
	snprintf(p, sizeof p, "%s/wal/checkpoint.00000001", dir);
	ASSERT_EQ(stat(p, &sb), 0);
	snprintf(p, sizeof p, "%s/wal/00000001", dir);
	ASSERT(stat(p, &sb) != 0);
	snprintf(p, sizeof p, "%s/wal/00000000", dir);
	ASSERT(stat(p, &sb) != 0);
	d = open_db(dir, true);
	int counts[50];
	count_batches(d, counts, 50);
	for (int b = 0; b < 50; b++) /* s="0" is gone: its series record was checkpointed away */
		ASSERT_EQ(counts[b], b < 5 ? 0 : K - 1);
	db_get_stats(d, &st);
	ASSERT_EQ(st.head_series, K - 1);
	ASSERT_EQ(st.wal_corruptions, 0);
	db_close(d);
}

/* ---- crash test ---- */

#define ROUNDS 25
#define PER_ROUND 10000 /* batch numbers reserved per round */

/* How a crash run goes: block range (0: default), run db_compact every
 * compact_every batches (0: never), kill up to max_sleep_us after the
 * first acknowledgement. */
typedef struct crash_plan {
	int rounds;
	int64_t range_ms;
	int compact_every;
	int max_sleep_us;
} crash_plan;

typedef struct crash_ctx {
	const char *dir;      /* data directory */
	int64_t first;        /* first batch number of the round */
	const crash_plan *cp; /* the run's plan */
} crash_ctx;

static void crash_child(int fd, void *ctx)
{
	const char *dir = ((crash_ctx *)ctx)->dir;
	int64_t first = ((crash_ctx *)ctx)->first;
	const crash_plan *cp = ((crash_ctx *)ctx)->cp;
	db_opts o;
	db_opts_default(&o);
	if (cp->range_ms)
		o.chunk_range_ms = cp->range_ms;
	err e;
	db *d = db_open(dir, &o, &e);
	if (!d)
		_exit(3);
	for (int64_t b = first; b < first + PER_ROUND; b++) {
		if (commit_batch(d, b, &e))
			_exit(4);
		if (write(fd, &b, sizeof b) != sizeof b)
			_exit(5);
		if (cp->compact_every && b % cp->compact_every == 0 && db_compact(d, &e))
			_exit(6);
	}
	_exit(0);
}

static void crash_rounds(const crash_plan *cp)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	int64_t n_batches = (int64_t)cp->rounds * PER_ROUND;
	int *counts = calloc((size_t)n_batches, sizeof *counts);
	char *acked = calloc((size_t)n_batches, 1);
	ASSERT(counts && acked);
	srand((unsigned)time(NULL));
	int64_t total_acked = 0;
	for (int round = 0; round < cp->rounds; round++) {
		/* Most rounds kill mid-commits (after the child's first ack, however
		 * slow its open was); every 5th kills at a random moment, often
		 * during the open's replay or repair. */
		crash_ctx cc = {dir, (int64_t)round * PER_ROUND, cp};
		int rfd = test_crash_round(crash_child, &cc, round % 5 != 4, cp->max_sleep_us, round);
		int64_t b;
		while (read(rfd, &b, sizeof b) == sizeof b) {
			ASSERT(b >= 0 && b < n_batches);
			acked[b] = 1;
			total_acked++;
		}
		close(rfd);
		db *d = test_db_open(dir, cp->range_ms, round % 2 == 0);
		count_batches(d, counts, n_batches);
		db_close(d);
		for (int64_t i = 0; i < n_batches; i++) {
			if (counts[i] != 0 && counts[i] != K)
				test_fail(__FILE__, __LINE__, "round %d: batch %" PRId64 " half there (%d of %d)", round, i, counts[i], K);
			if (acked[i] && counts[i] != K)
				test_fail(__FILE__, __LINE__, "round %d: acknowledged batch %" PRId64 " lost", round, i);
		}
	}
	ASSERT(total_acked > 0);
	free(counts);
	free(acked);
}

static void crash_sigkill(void)
{
	crash_plan cp = {.rounds = ROUNDS, .max_sleep_us = 30000};
	crash_rounds(&cp);
}

/* The crash test with compaction: 20 s blocks, db_compact every 10
 * batches (1 s each), so kills land in head compaction, block compaction
 * (20 s, 60 s, 180 s ... ranges), WAL checkpoints and truncation. Then
 * no tmp directory survives an open, and promtool reads the directory. */
static void crash_sigkill_compacting(void)
{
	crash_plan cp = {.rounds = 16, .range_ms = 20000, .compact_every = 10, .max_sleep_us = 400000};
	crash_rounds(&cp);
	const char *dir = test_tmpdir();
	db *d = test_db_open(dir, cp.range_ms, false);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT(st.blocks_loaded > 1);
	db_close(d);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls %s | grep tmp)\"", dir);
	ASSERT_EQ(system(cmd), 0);
	snprintf(cmd, sizeof cmd,
		 "command -v promtool >/dev/null || exit 0; cp -r %s %s.p && timeout 60 promtool tsdb analyze %s.p >/dev/null 2>&1",
		 dir, dir, dir);
	ASSERT_EQ(system(cmd), 0);
}

/* db_snapshot with the head: the WAL travels, the snapshot opens to the same
 * samples and the original keeps taking writes; skip_head leaves it out. */
static void snapshot_with_and_without_head(void)
{
	const char *dir = test_tmpdir();
	char data[1024], snap[1024], bare[1024];
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(snap, sizeof snap, "%s/snap", dir);
	snprintf(bare, sizeof bare, "%s/bare", dir);
	log_set_level(LOG_ERROR);
	db *d = open_db(data, false);
	err e;
	err_clear(&e);
	for (int64_t b = 0; b < 20; b++)
		ASSERT_EQ(commit_batch(d, b, &e), 0);
	ASSERT_EQ(db_snapshot(d, snap, false, &e), 0);
	ASSERT_EQ(db_snapshot(d, bare, true, &e), 0);
	ASSERT_EQ(commit_batch(d, 20, &e), 0); /* the original goes on */
	db_close(d);
	int counts[21];
	d = open_db(snap, true);
	count_batches(d, counts, 21);
	for (int b = 0; b < 21; b++)
		ASSERT_EQ(counts[b], b < 20 ? K : 0);
	db_close(d);
	struct stat st;
	char wal[1100];
	snprintf(wal, sizeof wal, "%s/wal", bare);
	ASSERT(stat(wal, &st) != 0);
	d = open_db(bare, true);
	db_stats ds;
	db_get_stats(d, &ds);
	ASSERT_EQ(ds.head_series, 0);
	db_close(d);
	/* a directory that cannot be made is an error naming it */
	d = open_db(data, false);
	char bad[1100];
	snprintf(bad, sizeof bad, "%s/no/such/dir", dir);
	ASSERT_EQ(db_snapshot(d, bad, true, &e), FL_EIO);
	ASSERT(strstr(e.msg, bad) != NULL);
	db_close(d);
}

/* Blocks are hard-linked, file by file, and open from the snapshot. */
static void snapshot_links_blocks(void)
{
	static const char ulid[] = "01M85ZJJW0Q48HSX1F1SJXQXMD";
	const char *dir = test_tmpdir();
	char cmd[4096], data[1024], snap[1024], a[1200], b[1200];
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(snap, sizeof snap, "%s/snap", dir);
	snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -r %s/conformance/tsdb/block-openmetrics/blocks/%s %s/ && chmod -R u+w %s",
		 data, test_shared_dir(), ulid, data, data);
	ASSERT_EQ(system(cmd), 0);
	log_set_level(LOG_ERROR);
	db *d = open_db(data, false);
	err e;
	err_clear(&e);
	ASSERT_EQ(db_snapshot(d, snap, false, &e), 0);
	db_close(d);
	const char *files[] = {"index", "meta.json", "chunks/000001"};
	for (size_t i = 0; i < FL_ARRAY_LEN(files); i++) {
		struct stat sa, sb;
		snprintf(a, sizeof a, "%s/%s/%s", data, ulid, files[i]);
		snprintf(b, sizeof b, "%s/%s/%s", snap, ulid, files[i]);
		ASSERT_EQ(stat(a, &sa), 0);
		ASSERT_EQ(stat(b, &sb), 0);
		ASSERT_EQ(sa.st_ino, sb.st_ino);
	}
	d = open_db(snap, true);
	db_stats ds;
	db_get_stats(d, &ds);
	ASSERT_EQ(ds.blocks_loaded, 1);
	db_close(d);
}

const struct test tests_db[] = {
	{"snapshot_with_and_without_head", snapshot_with_and_without_head},
	{"snapshot_links_blocks", snapshot_links_blocks},
	{"reopen_keeps_samples", reopen_keeps_samples},
	{"mmapped_chunks_replay_and_damage", mmapped_chunks_replay_and_damage},
	{"prometheus_chunks_head_replayed", prometheus_chunks_head_replayed},
	{"stale_marker_bits_survive", stale_marker_bits_survive},
	{"lock_excludes_second_writer", lock_excludes_second_writer},
	{"read_only_writes_nothing", read_only_writes_nothing},
	{"damage_flipped_byte", damage_flipped_byte},
	{"damage_zeroed_page", damage_zeroed_page},
	{"damage_garbage", damage_garbage},
	{"damage_half_last_record", damage_half_last_record},
	{"damage_checkpoint", damage_checkpoint},
	{"promtool_reads_our_wal", promtool_reads_our_wal},
	{"concurrent_commits_all_logged", concurrent_commits_all_logged},
	{"crash_sigkill", crash_sigkill},
	{"crash_sigkill_compacting", crash_sigkill_compacting},
	{"truncate_wal_checkpoints", truncate_wal_checkpoints},
	{NULL, NULL},
};
