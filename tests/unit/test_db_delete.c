/* test_db_delete.c - tsdb/db_delete.c (delete_series, clean_tombstones),
 * the head's tombstones (head_tombstones.c) and their WAL replay, and
 * snapshots writing the head as a block (db_snapshot.c). */
#include "tsdb/db.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/tombstones.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "tests/unit/dbopen.h"
#include "tests/unit/test.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/stat.h>

#define NS 4  /* series del{s="0".."3"} */
#define NB 30 /* samples each, at t = b * 1000, value b */
#define CR_T (2 * NB) /* the crash test's sample times: [0, NB) in a block, [NB, 2 NB) in the head */

static db *open_at(const char *dir, bool ro) { return test_db_open(dir, 0, ro); }

/* Samples of batches [from, to): one commit each. */
static void fill_range(db *d, int64_t from, int64_t to) { test_db_fill(d, "del", "s", NS, from, to); }

static void fill(db *d) { fill_range(d, 0, NB); }

/* seen[i][b]: series s=i has its sample of batch b. Returns series selected. */
static int scan(db *d, bool seen[NS][CR_T])
{
	memset(seen, 0, sizeof(bool) * NS * CR_T);
	err e;
	err_clear(&e);
	querier *q = queryable_querier(db_queryable(d), INT64_MIN, INT64_MAX, &e);
	ASSERT(q != NULL);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", "del", &e), 0);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	int n = 0;
	sample_iter *it = NULL;
	while (series_set_next(ss)) {
		labels ls = series_set_labels(ss);
		int i = atoi(labels_get(ls, "s"));
		ASSERT(i >= 0 && i < NS);
		n++;
		it = series_set_iter(ss, it);
		while (sample_iter_next(it) == VAL_FLOAT) {
			int64_t t;
			double v;
			sample_iter_at(it, &t, &v);
			ASSERT(t % 1000 == 0 && t >= 0 && t / 1000 < CR_T && v == (double)(t / 1000));
			ASSERT(!seen[i][t / 1000]);
			seen[i][t / 1000] = true;
		}
		ASSERT_EQ(sample_iter_err(it, &e), 0);
	}
	ASSERT_EQ(series_set_err(ss, &e), 0);
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m);
	querier_close(q);
	return n;
}

/* What survives: s=1 loses [5s, 9s], s=2 loses everything. */
static bool expected(int i, int b) { return !(i == 1 && b >= 5 && b <= 9) && i != 2; }

/* in_head: the data is in the head, whose open chunks keep a series whose
 * samples were all deleted selectable (Prometheus: /api/v1/series still
 * lists it); blocks drop it. */
static void check_deleted(db *d, bool in_head)
{
	bool seen[NS][CR_T];
	ASSERT_EQ(scan(d, seen), in_head ? NS : NS - 1);
	for (int i = 0; i < NS; i++)
		for (int b = 0; b < NB; b++)
			if (seen[i][b] != expected(i, b))
				test_fail(__FILE__, __LINE__, "s=%d batch %d: seen %d", i, b, seen[i][b]);
}

static void do_deletes(db *d)
{
	err e;
	err_clear(&e);
	matcher m[2];
	ASSERT_EQ(matcher_init(&m[0], MATCH_EQ, "__name__", "del", &e), 0);
	ASSERT_EQ(matcher_init(&m[1], MATCH_EQ, "s", "1", &e), 0);
	/* two adjacent intervals merge into [5000, 9000] */
	ASSERT_EQ(db_delete(d, 5000, 6999, m, 2, &e), 0);
	ASSERT_EQ(db_delete(d, 7000, 9000, m, 2, &e), 0);
	matcher_reset(&m[1]);
	ASSERT_EQ(matcher_init(&m[1], MATCH_RE, "s", "2|9", &e), 0);
	ASSERT_EQ(db_delete(d, INT64_MIN, INT64_MAX, m, 2, &e), 0);
	matcher_reset(&m[0]);
	matcher_reset(&m[1]);
}

/* Head: deletion is seen at once by new queriers, not by an older one;
 * it survives a restart (WAL tombstones record replayed). */
static void delete_head_and_replay(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_at(dir, false);
	fill(d);
	err e;
	err_clear(&e);
	querier *old = queryable_querier(db_queryable(d), INT64_MIN, INT64_MAX, &e);
	do_deletes(d);
	check_deleted(d, true);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "s", "2", &e), 0);
	series_set *ss = querier_select(old, false, NULL, &m, 1);
	ASSERT(series_set_next(ss)); /* pinned before the delete */
	series_set_close(ss);
	matcher_reset(&m);
	querier_close(old);
	db_close(d);
	d = open_at(dir, true);
	check_deleted(d, true);
	db_close(d);
	d = open_at(dir, false); /* read-write replay, then appends go on */
	check_deleted(d, true);
	db_close(d);
}

static int count_blocks(const char *dir, char ulid[][32], int cap)
{
	DIR *dd = opendir(dir);
	ASSERT(dd != NULL);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dd)))
		if (db_is_ulid(de->d_name) && n < cap)
			snprintf(ulid[n++], 32, "%s", de->d_name);
	closedir(dd);
	return n;
}

/* A fresh tmp dir holding the test's samples as one block (a snapshot of
 * a filled db), its path in out. */
static void block_dir_filled(char *out, size_t cap)
{
	const char *tmp = test_tmpdir();
	char data[1024];
	snprintf(data, sizeof data, "%s/data", tmp);
	snprintf(out, cap, "%s/blk", tmp);
	log_set_level(LOG_ERROR);
	db *d = open_at(data, false);
	fill(d);
	err e;
	err_clear(&e);
	ASSERT_EQ(db_snapshot(d, out, false, &e), 0);
	db_close(d);
}

/* A snapshot writes the head as a block; deleting in that block writes its
 * tombstones file and meta.json; clean_tombstones rewrites it with the old
 * one as its parent, and promtool reads the result. */
static void delete_block_and_clean(void)
{
	char snap[1024], path[1200], cmd[4096];
	block_dir_filled(snap, sizeof snap);
	db *d;
	err e;
	err_clear(&e);
	char ulid[4][32];
	ASSERT_EQ(count_blocks(snap, ulid, 4), 1);
	d = open_at(snap, false);
	do_deletes(d);
	check_deleted(d, false);
	snprintf(path, sizeof path, "%s/%s/tombstones", snap, ulid[0]);
	buf b;
	buf_init(&b);
	ASSERT_EQ(buf_read_file(&b, path, &e), 0);
	tomb *t;
	size_t n;
	ASSERT_EQ(tombstones_parse(b.p, b.len, &t, &n, &e), 0);
	ASSERT_EQ(n, 2); /* s=1 [5000, 9000] merged, s=2 [0, 29000] clamped */
	ASSERT_EQ(t[0].mint, 5000);
	ASSERT_EQ(t[0].maxt, 9000);
	ASSERT_EQ(t[1].mint, 0);
	ASSERT_EQ(t[1].maxt, (NB - 1) * 1000);
	fl_free(t);
	buf_reset(&b);
	snprintf(path, sizeof path, "%s/%s/meta.json", snap, ulid[0]);
	ASSERT_EQ(buf_read_file(&b, path, &e), 0);
	block_meta m;
	ASSERT_EQ(block_meta_parse((const char *)b.p, b.len, &m, &e), 0);
	ASSERT_EQ(m.num_tombstones, 2);
	buf_reset(&b);
	db_close(d);
	d = open_at(snap, false); /* the block's tombstones load */
	check_deleted(d, false);
	ASSERT_EQ(db_clean_tombstones(d, &e), 0);
	check_deleted(d, false);
	db_stats ds;
	db_get_stats(d, &ds);
	ASSERT_EQ(ds.blocks_loaded, 1);
	db_close(d);
	char now[4][32];
	ASSERT_EQ(count_blocks(snap, now, 4), 1);
	ASSERT(strcmp(now[0], ulid[0]) != 0);
	snprintf(path, sizeof path, "%s/%s/meta.json", snap, now[0]);
	ASSERT_EQ(buf_read_file(&b, path, &e), 0);
	ASSERT(strstr((const char *)b.p, ulid[0]) != NULL); /* the parent */
	ASSERT_EQ(block_meta_parse((const char *)b.p, b.len, &m, &e), 0);
	ASSERT_EQ(m.num_tombstones, 0);
	ASSERT_EQ(m.num_series, NS - 1);
	ASSERT_EQ(m.num_samples, (NS - 2) * NB + NB - 5);
	buf_reset(&b);
	d = open_at(snap, true);
	check_deleted(d, false);
	db_close(d);
	snprintf(cmd, sizeof cmd, "promtool tsdb dump %s 2>/dev/null | wc -l | grep -qx %d", snap,
		 (NS - 2) * NB + NB - 5);
	ASSERT_EQ(system(cmd), 0);
	/* deleting all that is left: clean drops the block */
	d = open_at(snap, false);
	matcher all;
	ASSERT_EQ(matcher_init(&all, MATCH_EQ, "__name__", "del", &e), 0);
	ASSERT_EQ(db_delete(d, INT64_MIN, INT64_MAX, &all, 1, &e), 0);
	matcher_reset(&all);
	bool seen[NS][CR_T];
	ASSERT_EQ(scan(d, seen), 0);
	ASSERT_EQ(db_clean_tombstones(d, &e), 0);
	db_get_stats(d, &ds);
	ASSERT_EQ(ds.blocks_loaded, 0);
	db_close(d);
	ASSERT_EQ(count_blocks(snap, now, 4), 0);
}

/* Blocks written from the head leave deleted samples out: a snapshot's
 * head block, and the head compaction's writer (block_write_head), as
 * Prometheus's compactor over a RangeHead with tombstones. */
static void head_blocks_honour_tombstones(void)
{
	const char *tmp = test_tmpdir();
	char data[1024], snap[1024], out[1024];
	snprintf(data, sizeof data, "%s/data", tmp);
	snprintf(snap, sizeof snap, "%s/snap", tmp);
	snprintf(out, sizeof out, "%s/out", tmp);
	ASSERT_EQ(mkdir(out, 0777), 0);
	log_set_level(LOG_ERROR);
	db *d = open_at(data, false);
	fill(d);
	do_deletes(d);
	err e;
	err_clear(&e);
	ASSERT_EQ(db_snapshot(d, snap, false, &e), 0);
	block_meta m;
	int rc = block_write_head(db__head(d), out, 0, NB * 1000, &m, &e);
	if (rc)
		test_fail(__FILE__, __LINE__, "block_write_head: %s", e.msg);
	ASSERT_EQ(m.num_series, NS - 1);
	ASSERT_EQ(m.num_samples, (NS - 2) * NB + NB - 5);
	db_close(d);
	const char *dirs[] = {snap, out};
	for (size_t i = 0; i < 2; i++) {
		d = open_at(dirs[i], true);
		check_deleted(d, false);
		db_stats ds;
		db_get_stats(d, &ds);
		ASSERT_EQ(ds.blocks_loaded, 1);
		ASSERT_EQ(ds.head_series, 0);
		db_close(d);
	}
}

/* head_truncate drops the intervals wholly before its mint and cuts those
 * straddling it; unknown refs are skipped when added. */
static void head_truncate_drops_tombstones(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_at(dir, false);
	fill(d);
	head *h = db__head(d);
	tomb v[] = {{1, 0, 2000}, {2, 3000, 20000}, {999, 0, 1}};
	err e;
	err_clear(&e);
	int64_t skipped = 0, ns, ni;
	ASSERT_EQ(head_add_tombstones(h, v, 3, &skipped, &e), 0);
	ASSERT_EQ(skipped, 1);
	head_tombstones_count(h, &ns, &ni);
	ASSERT_EQ(ns, 2);
	ASSERT_EQ(ni, 2);
	head_truncate(h, 5000);
	head_tombstones_count(h, &ns, &ni);
	ASSERT_EQ(ns, 1);
	ASSERT_EQ(ni, 1);
	db_close(d);
}

/* ---- crash test: SIGKILL during delete_series and clean_tombstones ---- */

#define CR_ROUNDS 30

/* Child: delete single samples (series i, time k) in a random order, ack
 * each once db_delete returned, clean every few deletes. */
typedef struct crash_ctx {
	const char *dir; /* data directory */
	unsigned seed;   /* the child's random order */
} crash_ctx;

static void crash_child(int fd, void *ctx)
{
	db *d = test_db_open(((crash_ctx *)ctx)->dir, 0, false);
	unsigned seed = ((crash_ctx *)ctx)->seed;
	err e;
	matcher m[2];
	if (matcher_init(&m[0], MATCH_EQ, "__name__", "del", &e))
		_exit(3);
	srand(seed);
	for (int n = 0; n < 100000; n++) {
		int i = rand() % NS, k = rand() % CR_T;
		char sv[8];
		snprintf(sv, sizeof sv, "%d", i);
		if (matcher_init(&m[1], MATCH_EQ, "s", sv, &e))
			_exit(4);
		if (db_delete(d, (int64_t)k * 1000, (int64_t)k * 1000, m, 2, &e))
			_exit(5);
		matcher_reset(&m[1]);
		int ack = i * CR_T + k;
		if (write(fd, &ack, sizeof ack) != sizeof ack)
			_exit(6);
		if (n % 5 == 4 && db_clean_tombstones(d, &e))
			_exit(7);
	}
	_exit(0);
}

static void crash_sigkill_delete_clean(void)
{
	char blk[1024], cmd[4096];
	block_dir_filled(blk, sizeof blk); /* [0, NB) s as a block */
	db *d = test_db_open(blk, 0, false);
	fill_range(d, NB, CR_T); /* [NB, 2 NB) s in the head (WAL) */
	db_close(d);
	bool acked[NS * CR_T] = {0};
	srand((unsigned)time(NULL));
	for (int round = 0; round < CR_ROUNDS; round++) {
		crash_ctx cc = {blk, (unsigned)rand()};
		int rfd = test_crash_round(crash_child, &cc, true, 40000, round);
		int ack;
		while (read(rfd, &ack, sizeof ack) == sizeof ack) {
			ASSERT(ack >= 0 && ack < NS * CR_T);
			acked[ack] = true;
		}
		close(rfd);
		/* What the db shows: every acknowledged deletion hidden; the rest
		 * there or (deleted but not yet acknowledged) hidden; never a
		 * half-written block (at most the block and its rewrite's child). */
		d = test_db_open(blk, 0, round % 2 == 0);
		db_stats ds;
		db_get_stats(d, &ds);
		ASSERT(ds.blocks_loaded <= 1);
		ASSERT_EQ(ds.blocks_failed, 0);
		bool seen[NS][CR_T];
		scan(d, seen);
		int missing = 0;
		for (int i = 0; i < NS; i++)
			for (int k = 0; k < CR_T; k++) {
				if (acked[i * CR_T + k] && seen[i][k])
					test_fail(__FILE__, __LINE__, "round %d: deleted s=%d t=%ds is back", round, i, k);
				missing += !acked[i * CR_T + k] && !seen[i][k];
			}
		/* each round may have deleted one sample it could not acknowledge */
		if (missing > round + 1)
			test_fail(__FILE__, __LINE__, "round %d: %d samples lost that no acknowledged delete hid", round, missing);
		db_close(d);
	}
	/* The rounds may have deleted every sample of the block, and cleaning
	 * then drops it (as Prometheus does), so there may be no block left:
	 * analyze needs one, dump reads whatever the directory holds. */
	snprintf(cmd, sizeof cmd,
		 "if ls %s/*/meta.json >/dev/null 2>&1; then promtool tsdb analyze %s; else promtool tsdb dump %s; fi "
		 ">%s.analyze 2>&1",
		 blk, blk, blk, blk);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof cmd, "ls -la %s; tail -5 %s.analyze", blk, blk);
		(void)system(cmd);
		test_fail(__FILE__, __LINE__, "promtool tsdb analyze %s failed", blk);
	}
}

/* Read-only databases refuse to delete. */
static void delete_read_only_refused(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_at(dir, false);
	fill(d);
	db_close(d);
	d = open_at(dir, true);
	err e;
	err_clear(&e);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", "del", &e), 0);
	ASSERT_EQ(db_delete(d, 0, 1000, &m, 1, &e), FL_EINVAL);
	ASSERT_EQ(db_clean_tombstones(d, &e), FL_EINVAL);
	matcher_reset(&m);
	db_close(d);
}

const struct test tests_db_delete[] = {
	{"delete_head_and_replay", delete_head_and_replay},
	{"delete_block_and_clean", delete_block_and_clean},
	{"head_blocks_honour_tombstones", head_blocks_honour_tombstones},
	{"delete_read_only_refused", delete_read_only_refused},
	{"head_truncate_drops_tombstones", head_truncate_drops_tombstones},
	{"crash_sigkill_delete_clean", crash_sigkill_delete_clean},
	{NULL, NULL},
};
