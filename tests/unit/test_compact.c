/* test_compact.c - tsdb/compact.c: Prometheus's compaction plan, head
 * compaction through the db (blocks cut while the head stays queryable,
 * levels and parents), vertical compaction and tombstones dropped. */
#include "tsdb/compact.h"
#include "tsdb/db.h"
#include "tsdb/tombstones.h"
#include "lib/log.h"
#include "tests/unit/test.h"
#include "tests/unit/dbopen.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>

#define R 10000 /* test block range: 10 s */

/* ---- plan: table-driven, cases from Prometheus's compact_test.go TestLeveledCompactor_plan ---- */

typedef struct plan_case {
	const char *name;
	compact_block_info b[8];
	size_t n;
	size_t want[8];
	size_t n_want;
} plan_case;

static void plan_table(void)
{
	const int64_t ranges[] = {20, 60, 180, 540, 1620};
	static const plan_case cases[] = {
		{"empty", {{0}}, 0, {0}, 0},
		{"one block", {{0, 20, 1, 0}}, 1, {0}, 0},
		{"two blocks, newest left out", {{0, 20, 1, 0}, {20, 40, 1, 0}}, 2, {0}, 0},
		/* "We should wait for four blocks of size 20 to appear before compacting." */
		{"three wait for a fourth", {{0, 20, 1, 0}, {20, 40, 1, 0}, {40, 60, 1, 0}}, 3, {0}, 0},
		{"three fill 60, a fourth beyond", {{0, 20, 1, 0}, {20, 40, 1, 0}, {40, 60, 1, 0}, {60, 80, 1, 0}}, 4, {0, 1, 2}, 3},
		{"gap: before the newest", {{0, 20, 1, 0}, {40, 60, 1, 0}, {120, 140, 1, 0}}, 3, {0, 1}, 2},
		{"big ones then small", {{0, 60, 1, 0}, {60, 120, 1, 0}, {120, 180, 1, 0}, {180, 200, 1, 0}}, 4, {0, 1, 2}, 3},
		{"overlap first", {{0, 20, 1, 0}, {19, 40, 1, 0}, {40, 60, 1, 0}}, 3, {0, 1}, 2},
		{"overlap run of three", {{0, 20, 1, 0}, {10, 30, 1, 0}, {25, 40, 1, 0}, {60, 80, 1, 0}}, 4, {0, 1, 2}, 3},
		{"tombstones > 5% in a big block", {{0, 540, 100, 10}, {540, 560, 1, 0}}, 2, {0}, 1},
		{"all tombstones in a small block", {{0, 20, 4, 4}, {20, 40, 1, 0}}, 2, {0}, 1},
		{"few tombstones", {{0, 540, 100, 2}, {540, 560, 1, 0}}, 2, {0}, 0},
	};
	for (size_t c = 0; c < FL_ARRAY_LEN(cases); c++) {
		size_t out[8];
		size_t k = compact_plan(cases[c].b, cases[c].n, ranges, FL_ARRAY_LEN(ranges), out);
		if (k != cases[c].n_want)
			test_fail(__FILE__, __LINE__, "%s: planned %zu blocks, want %zu", cases[c].name, k, cases[c].n_want);
		for (size_t i = 0; i < k; i++)
			if (out[i] != cases[c].want[i])
				test_fail(__FILE__, __LINE__, "%s: block %zu is %zu, want %zu", cases[c].name, i, out[i],
					  cases[c].want[i]);
	}
	/* one range (min = max block duration): only overlaps compact */
	compact_block_info two[] = {{0, 20, 1, 0}, {20, 40, 1, 0}, {40, 60, 1, 0}, {60, 80, 1, 0}};
	size_t out[4];
	ASSERT_EQ(compact_plan(two, 4, ranges, 1, out), 0);
}

/* ---- through the db ---- */

static db *open_db(const char *dir, int64_t range, bool ro) { return test_db_open(dir, range, ro); }

#define K 4 /* series */

/* Sample t = s * 1000 of value s in K series `c{i="..."}`, s in [from, to). */
static void append_seconds(db *d, int64_t from, int64_t to) { test_db_fill(d, "c", "i", K, from, to); }

static void count(db *d, int *counts, int64_t n) { test_db_count(d, "c", counts, n); }

/* Block metas of dir sorted by minTime (up to cap); returns how many. */
static size_t metas(db *d, block_meta *out, size_t cap)
{
	DIR *dh = opendir(db_dir(d));
	ASSERT(dh != NULL);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dh)) && n < cap) {
		if (!db_is_ulid(de->d_name))
			continue;
		char p[2048];
		snprintf(p, sizeof p, "%s/%s", db_dir(d), de->d_name);
		err e;
		block *b = block_open(p, &e);
		if (!b)
			test_fail(__FILE__, __LINE__, "block_open %s: %s", p, e.msg);
		out[n++] = *block_meta_get(b);
		block_close(b);
	}
	closedir(dh);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j - 1].min_time > out[j].min_time; j--) {
			block_meta t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* 50 s of data with 10 s blocks: four level-1 blocks are cut (the head
 * keeps [40 s, 50 s)), the three oldest become one level-2 block of 30 s;
 * nothing is lost or doubled, before or after a reopen. */
static void head_and_block_compaction(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, R, false);
	append_seconds(d, 0, 50);
	err e;
	err_clear(&e);
	ASSERT_EQ(db_compact(d, &e), 0);
	block_meta m[8];
	size_t n = metas(d, m, 8);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(m[0].min_time, 0);
	ASSERT_EQ(m[0].max_time, 30000);
	ASSERT_EQ(m[0].level, 2);
	ASSERT_EQ(m[0].num_samples, 30 * K);
	ASSERT_EQ(m[1].min_time, 30000);
	ASSERT_EQ(m[1].max_time, 40000);
	ASSERT_EQ(m[1].level, 1);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.blocks_loaded, 2);
	ASSERT_EQ(st.compactions, 5); /* four from the head, one of blocks */
	ASSERT_EQ(st.compactions_failed, 0);
	ASSERT(st.head_truncations >= 4);
	ASSERT_EQ(st.head_min_time, 40000);
	test_db_expect(d, "c", 60, 0, 50, K);
	/* too old for the head now: out of bounds */
	appender *a = db_appender(d);
	label lv[2] = {{"__name__", "c"}, {"i", "0"}};
	series_ref ref;
	ASSERT_EQ(appender_append(a, 0, (labels){lv, 2}, 5000, 1, &ref, &e), FL_ETOO_OLD);
	appender_rollback(a);
	append_seconds(d, 50, 55);
	db_close(d);
	d = open_db(dir, R, true);
	test_db_expect(d, "c", 60, 0, 55, K);
	db_close(d);
}

/* min = max block duration (Thanos's sidecar setting): the head is still
 * cut into level-1 blocks, but they are never compacted further. */
static void no_block_compaction_when_min_is_max(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db_opts o;
	db_opts_default(&o);
	o.chunk_range_ms = R;
	o.max_block_duration_ms = R;
	err e;
	err_clear(&e);
	db *d = db_open(dir, &o, &e);
	ASSERT(d != NULL);
	append_seconds(d, 0, 80);
	ASSERT_EQ(db_compact(d, &e), 0);
	block_meta m[16];
	size_t n = metas(d, m, 16);
	ASSERT_EQ(n, 7); /* [0 s, 70 s): the head keeps [70 s, 80 s) */
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(m[i].level, 1);
		ASSERT_EQ(m[i].max_time - m[i].min_time, R);
	}
	test_db_expect(d, "c", 80, 0, 80, K);
	db_close(d);
}

/* Overlapping blocks (a backfill over the head's range) are merged into
 * one (vertical compaction) with the union of their samples. */
static void vertical_compaction(void)
{
	const char *dir = test_tmpdir();
	char a[1100], b[1100];
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	log_set_level(LOG_ERROR);
	/* a: even seconds of [0, 40), b: odd ones; both cut into blocks */
	db *d = open_db(a, R, false);
	for (int64_t s = 0; s < 40; s += 2)
		append_seconds(d, s, s + 1);
	append_seconds(d, 40, 60); /* pushes [0, 40) out of the head */
	err e;
	err_clear(&e);
	ASSERT_EQ(db_compact(d, &e), 0);
	db_close(d);
	d = open_db(b, 4 * R, false); /* one 40 s block of the odd seconds */
	for (int64_t s = 1; s < 40; s += 2)
		append_seconds(d, s, s + 1);
	append_seconds(d, 100, 161);
	ASSERT_EQ(db_compact(d, &e), 0);
	block_meta mb[8];
	size_t nb = metas(d, mb, 8);
	ASSERT(nb >= 1);
	ASSERT_EQ(mb[0].min_time, 1000);
	db_close(d);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cp -r %s/%s %s/", b, mb[0].ulid, a);
	ASSERT_EQ(system(cmd), 0);
	d = open_db(a, R, false);
	ASSERT_EQ(db_compact(d, &e), 0);
	block_meta m[8];
	size_t n = metas(d, m, 8);
	for (size_t i = 1; i < n; i++) /* no overlaps left */
		ASSERT(m[i].min_time >= m[i - 1].max_time);
	test_db_expect(d, "c", 60, 0, 60, K);
	db_close(d);
}

/* compact_rewrite_block drops tombstoned samples; the new block names the
 * old one as its parent, so the db deletes it once the new one loads. */
static void rewrite_drops_tombstones(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, R, false);
	append_seconds(d, 0, 25); /* [0 s, 10 s) becomes a block */
	err e;
	err_clear(&e);
	ASSERT_EQ(db_compact(d, &e), 0);
	block_meta m[4];
	ASSERT_EQ(metas(d, m, 4), 1);
	db_close(d);
	char bdir[2048];
	snprintf(bdir, sizeof bdir, "%s/%s", dir, m[0].ulid);
	/* delete [2 s, 4 s] of every series (refs 1..K in the new block's index order) */
	tomb ts[K];
	for (int i = 0; i < K; i++)
		ts[i] = (tomb){.ref = 0, .mint = 2000, .maxt = 4000};
	block *b = block_open(bdir, &e);
	ASSERT(b != NULL);
	index_reader *ix = block_index(b);
	uint32_t *refs = NULL;
	size_t n_refs = 0;
	ASSERT_EQ(index_select(ix, NULL, 0, &refs, &n_refs, &e), 0);
	ASSERT_EQ(n_refs, K);
	for (int i = 0; i < K; i++)
		ts[i].ref = refs[i];
	fl_free(refs);
	block_close(b);
	ASSERT_EQ(tombstones_write(bdir, ts, K, NULL, &e), 0);
	b = block_open(bdir, &e);
	ASSERT(b != NULL);
	block_meta out;
	ASSERT_EQ(compact_rewrite_block(b, dir, &out, &e), 0);
	block_close(b);
	ASSERT_EQ(out.num_samples, (10 - 3) * K);
	d = open_db(dir, R, false);
	block_meta m2[4];

	ASSERT_EQ(metas(d, m2, 4), 1);
	ASSERT_STR_EQ(m2[0].ulid, out.ulid);
	int c[30];
	count(d, c, 30);
	for (int s = 0; s < 30; s++)
		ASSERT_EQ(c[s], (s >= 2 && s <= 4) || s >= 25 ? 0 : K);
	db_close(d);
}

/* A full disk (a file size limit: writes fail with EFBIG) while cutting a
 * block: the compaction fails, is counted, leaves no block and no tmp
 * directory and loses nothing; the next round, with room, succeeds. */
static void full_disk_leaves_state_and_retries(void)
{
	const char *dir = test_tmpdir();
	log_set_level(LOG_ERROR);
	db *d = open_db(dir, R, false);
	append_seconds(d, 0, 50);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit orig, rl;
	ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &orig), 0);
	rl = (struct rlimit){64, orig.rlim_max};
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	err e;
	err_clear(&e);
	int rc = db_compact(d, &e);
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &orig), 0);
	ASSERT(rc != 0);
	block_meta m[8];
	ASSERT_EQ(metas(d, m, 8), 0);
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls %s | grep tmp)\"", dir);
	ASSERT_EQ(system(cmd), 0);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.compactions_failed, 1);
	ASSERT_EQ(st.compactions, 0);
	test_db_expect(d, "c", 60, 0, 50, K);
	ASSERT_EQ(db_compact(d, &e), 0);
	ASSERT_EQ(metas(d, m, 8), 2);
	test_db_expect(d, "c", 60, 0, 50, K);
	db_close(d);
}

const struct test tests_compact[] = {
	{"full_disk_leaves_state_and_retries", full_disk_leaves_state_and_retries},
	{"plan_table", plan_table},
	{"head_and_block_compaction", head_and_block_compaction},
	{"vertical_compaction", vertical_compaction},
	{"no_block_compaction_when_min_is_max", no_block_compaction_when_min_is_max},
	{"rewrite_drops_tombstones", rewrite_drops_tombstones},
	{NULL, NULL},
};
