/* test_db_blocks.c - tsdb/db_blocks.c: loading (tmp dirs, parents, broken
 * blocks), refcounted sets under concurrent readers and swaps, deletion at
 * the last reader, retention by time and size. Blocks are copies of the
 * golden ones Prometheus wrote (wal-with-checkpoint: three blocks, one a
 * level-2 compaction naming three parents). */
#include "tests/unit/test.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "tsdb/db.h"
#include "tsdb/db_blocks.h"

#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define B_2H_A "01M8602F5MD0AETRF39S1CFQKN" /* [1795478400000, 1795485600000) */
#define B_2H_B "01M8602FAQF8A1Y3016JHRTB8E" /* [1795485600000, 1795492800000) */
#define B_L2 "01M8602FC3K55VFHHV60XC24K6"   /* [1795458135000, 1795478400000), level 2 */
#define PARENT_1 "01M8602ENR3WYTY7QT6EJSFP2S" /* parents of B_L2 */
#define PARENT_3 "01M8602F0JJK7JB70X2QEZNEMT"

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		test_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* dir/ gets the golden wal-with-checkpoint blocks (not its WAL). */
static void copy_golden_blocks(const char *dir)
{
	char src[1024];
	snprintf(src, sizeof src, "%s/conformance/tsdb/wal-with-checkpoint/data", test_shared_dir());
	sh("cp -r %s/01M* '%s/' && chmod -R u+w '%s'", src, dir, dir);
}

static bool exists(const char *dir, const char *name)
{
	char p[2048];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

/* A copy of block `from` as block `ulid` with the given meta.json tail
 * (compaction) and time range. */
static void fake_block(const char *dir, const char *from, const char *ulid, int64_t mint, int64_t maxt,
		       const char *compaction)
{
	char a[2048], b[2048];
	snprintf(a, sizeof a, "%s/%s", dir, from);
	snprintf(b, sizeof b, "%s/%s", dir, ulid);
	sh("cp -r '%s' '%s'", a, b);
	snprintf(a, sizeof a, "%s/meta.json", b);
	FILE *f = fopen(a, "w");
	ASSERT(f != NULL);
	fprintf(f,
		"{\"ulid\":\"%s\",\"minTime\":%" PRId64 ",\"maxTime\":%" PRId64
		",\"stats\":{\"numSamples\":1},\"compaction\":%s,\"version\":1}\n",
		ulid, mint, maxt, compaction);
	fclose(f);
}

static size_t find(const db_block_set *s, const char *ulid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(block_meta_get(s->v[i]->b)->ulid, ulid))
			return i;
	test_fail(__FILE__, __LINE__, "block %s not in the set", ulid);
}

static db_block_set *load(const char *dir, bool ro, int64_t *failed)
{
	db_block_set *s;
	err e;
	err_clear(&e);
	if (db_blocks_load(dir, ro, NULL, &s, failed, &e))
		test_fail(__FILE__, __LINE__, "load %s: %s", dir, e.msg);
	return s;
}

static void load_sorted_with_sizes(void)
{
	const char *dir = test_tmpdir();
	copy_golden_blocks(dir);
	int64_t failed;
	db_block_set *s = load(dir, false, &failed);
	ASSERT_EQ(failed, 0);
	ASSERT_EQ(s->n, 3);
	ASSERT_STR_EQ(block_meta_get(s->v[0]->b)->ulid, B_L2); /* by minTime */
	ASSERT_STR_EQ(block_meta_get(s->v[1]->b)->ulid, B_2H_A);
	ASSERT_STR_EQ(block_meta_get(s->v[2]->b)->ulid, B_2H_B);
	ASSERT_EQ(s->max_time, 1795492800000LL);
	char p[2048];
	int64_t total = 0;
	for (size_t i = 0; i < s->n; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, block_meta_get(s->v[i]->b)->ulid);
		ASSERT_EQ(s->v[i]->size_bytes, fsutil_dir_size(p));
		ASSERT(s->v[i]->size_bytes > 10000);
		total += s->v[i]->size_bytes;
	}
	ASSERT_EQ(s->bytes, total);
	size_t np;
	const block_desc *par = block_parents(s->v[0]->b, &np);
	ASSERT_EQ(np, 3);
	ASSERT_STR_EQ(par[0].ulid, PARENT_1);
	ASSERT_STR_EQ(par[2].ulid, PARENT_3);
	db_block_set_release(s);
}

/* Leftover tmp dirs go; parents of a loaded block go (loadable or not); a
 * broken block that is no parent is skipped, counted and left alone;
 * read-only deletes nothing. */
static void load_cleans_tmp_and_parents(void)
{
	log_set_level(LOG_ERROR);
	const char *dir = test_tmpdir();
	copy_golden_blocks(dir);
	fake_block(dir, B_2H_A, PARENT_1, 1795458135000LL, 1795464000000LL, "{\"level\":1}");
	sh("d='%s/%s' && mkdir -p \"$d\" && echo garbage > \"$d/meta.json\"", dir, PARENT_3); /* broken parent */
	sh("d='%s/%s' && mkdir -p \"$d\" && echo '{}' > \"$d/meta.json\"", dir, "01M8602F0JJK7JB70X2QEZNEMV"); /* broken */
	fake_block(dir, B_2H_A, "01M8602F0JJK7JB70X2QEZNEMY", 1795478400000LL, 1795485600000LL, "{\"level\":1}");
	sh("truncate -s 100 '%s/%s/index'", dir, "01M8602F0JJK7JB70X2QEZNEMY"); /* broken: index cut short */
	sh("mkdir -p '%s/%s/chunks'", dir, "01M8602F0JJK7JB70X2QEZNEMW.tmp-for-creation");
	sh("mkdir -p '%s/%s'", dir, "01M8602F0JJK7JB70X2QEZNEMX.tmp-for-deletion");
	sh("mkdir -p '%s/%s'", dir, "not-a-block.tmp-for-creation");
	int64_t failed;
	for (int ro = 1; ro >= 0; ro--) {
		db_block_set *s = load(dir, ro, &failed);
		ASSERT_EQ(s->n, 3); /* the parent is left out either way */
		ASSERT_EQ(failed, 2);
		db_block_set_release(s);
		ASSERT_EQ(exists(dir, PARENT_1), ro);
		ASSERT_EQ(exists(dir, PARENT_3), ro);
		ASSERT_EQ(exists(dir, "01M8602F0JJK7JB70X2QEZNEMW.tmp-for-creation"), ro);
		ASSERT_EQ(exists(dir, "01M8602F0JJK7JB70X2QEZNEMX.tmp-for-deletion"), ro);
		ASSERT_EQ(exists(dir, PARENT_1 DB_TMP_FOR_DELETION), false);
	}
	ASSERT(exists(dir, "01M8602F0JJK7JB70X2QEZNEMV")); /* a broken block is the operator's */
	ASSERT(exists(dir, "01M8602F0JJK7JB70X2QEZNEMY"));
	ASSERT(exists(dir, "not-a-block.tmp-for-creation"));
	ASSERT(exists(dir, B_L2) && exists(dir, B_2H_A) && exists(dir, B_2H_B));
}

/* A dropped block stays on disk while a reader pins it and is deleted
 * (through <ULID>.tmp-for-deletion) when the last one lets go. */
/* bs holds the golden blocks copied into a new directory (returned). */
static const char *golden_set(db_blocks *bs)
{
	log_set_level(LOG_ERROR);
	const char *dir = test_tmpdir();
	copy_golden_blocks(dir);
	int64_t failed;
	err e;
	ASSERT_EQ(db_blocks_init(bs, &e), 0);
	db_blocks_swap(bs, load(dir, false, &failed));
	return dir;
}

static void dropped_block_deleted_at_last_unref(void)
{
	db_blocks bs;
	const char *dir = golden_set(&bs);
	db_block_set *s = db_blocks_acquire(&bs);
	size_t i = find(s, B_2H_A);
	db_block *pinned = s->v[i];
	db_block_ref(pinned); /* a querier */
	bool del[3] = {false};
	del[i] = true;
	db_block_set *without = db_block_set_without(s, del);
	ASSERT(without != NULL && without->n == 2);
	db_blocks_swap(&bs, without);
	db_block_set_release(s);
	ASSERT(exists(dir, B_2H_A));
	ASSERT(atomic_load(&pinned->doomed));
	db_block_set *now = db_blocks_acquire(&bs);
	ASSERT_EQ(now->n, 2);
	db_block_set_release(now);
	db_block_unref(pinned);
	ASSERT(!exists(dir, B_2H_A));
	ASSERT(!exists(dir, B_2H_A DB_TMP_FOR_DELETION));
	db_blocks_destroy(&bs); /* the others are closed, not deleted */
	ASSERT(exists(dir, B_L2) && exists(dir, B_2H_B));
}

/* Readers acquire, pin, query and release while a writer swaps sets; every
 * read sees whole blocks with their samples. */
typedef struct reader_arg {
	db_blocks *bs;
	int64_t reads;      /* queries completed */
	int64_t bad;        /* sample counts that did not match the meta */
} reader_arg;

/* Samples q returns for every series, counting those in [mint, maxt). */
static int64_t count_in(querier *q, int64_t mint, int64_t maxt)
{
	err e;
	matcher m;
	if (!q || matcher_init(&m, MATCH_RE, "__name__", ".+", &e))
		return -1;
	select_hints h = {.start_ms = mint, .end_ms = maxt - 1};
	series_set *ss = querier_select(q, true, &h, &m, 1);
	sample_iter *it = NULL;
	int64_t n = 0, t;
	double v;
	while (series_set_next(ss)) {
		it = series_set_iter(ss, it);
		while (sample_iter_next(it) == VAL_FLOAT) {
			sample_iter_at(it, &t, &v);
			n += t >= mint && t < maxt;
		}
	}
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m);
	return n;
}

static int64_t count_block(block *b)
{
	err e;
	querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
	int64_t n = count_in(q, INT64_MIN, INT64_MAX);
	querier_close(q);
	return n;
}

static void *reader(void *p)
{
	reader_arg *a = p;
	for (int k = 0; k < 60; k++) {
		db_block_set *s = db_blocks_acquire(a->bs);
		db_block *pins[8];
		size_t n = s->n < 8 ? s->n : 8;
		for (size_t i = 0; i < n; i++) {
			pins[i] = s->v[i];
			db_block_ref(pins[i]);
		}
		db_block_set_release(s);
		for (size_t i = 0; i < n; i++) {
			if (count_block(pins[i]->b) != (int64_t)block_meta_get(pins[i]->b)->num_samples)
				a->bad++;
			db_block_unref(pins[i]);
		}
		a->reads++;
	}
	return NULL;
}

static void concurrent_readers_and_swaps(void)
{
	db_blocks bs;
	const char *dir = golden_set(&bs);
	enum { R = 4 };
	pthread_t th[R];
	reader_arg args[R];
	memset(args, 0, sizeof args);
	for (int i = 0; i < R; i++) {
		args[i].bs = &bs;
		ASSERT_EQ(pthread_create(&th[i], NULL, reader, &args[i]), 0);
	}
	/* swap between subsets (nothing doomed), then drop one block for good */
	db_block_set *cur = db_blocks_acquire(&bs);
	for (int k = 0; k < 300; k++) {
		bool del[3] = {k % 3 == 0, k % 3 == 1, k % 3 == 2};
		db_block *keep[3];
		size_t n = 0;
		for (size_t i = 0; i < 3; i++)
			if (!del[i])
				keep[n++] = cur->v[i];
		db_block_set *s = db_block_set_new(keep, n);
		ASSERT(s != NULL);
		db_blocks_swap(&bs, s);
	}
	bool del[3] = {false, false, true};
	db_block_set *last = db_block_set_without(cur, del);
	db_blocks_swap(&bs, last);
	db_block_set_release(cur);
	for (int i = 0; i < R; i++) {
		pthread_join(th[i], NULL);
		ASSERT_EQ(args[i].reads, 60);
		ASSERT_EQ(args[i].bad, 0);
	}
	ASSERT(!exists(dir, B_2H_B)); /* v[2], dropped: gone once the readers were */
	db_blocks_destroy(&bs);
	ASSERT(exists(dir, B_L2) && exists(dir, B_2H_A));
}

static void retention_time_and_size(void)
{
	const char *dir = test_tmpdir();
	copy_golden_blocks(dir);
	int64_t failed;
	db_block_set *s = load(dir, true, &failed);
	bool del[3];
	db_retention r;
	err e;
	const int64_t H = 3600 * 1000;
	size_t l2 = find(s, B_L2), a = find(s, B_2H_A), b = find(s, B_2H_B);
	/* maxTimes: B 1795492800000 (newest), A 2h behind, L2 4h behind */
	ASSERT_EQ(db_blocks_retention(s, 5 * H, 0, 0, del, &r, &e), 0);
	ASSERT(r.n == 0 && !r.time && !del[0] && !del[1] && !del[2]);
	ASSERT_EQ(db_blocks_retention(s, 4 * H, 0, 0, del, &r, &e), 0); /* strictly more than */
	ASSERT_EQ(r.n, 0);
	ASSERT_EQ(db_blocks_retention(s, 3 * H, 0, 0, del, &r, &e), 0);
	ASSERT(r.n == 1 && r.time && !r.size && del[l2] && !del[a] && !del[b]);
	ASSERT_EQ(db_blocks_retention(s, 1 * H, 0, 0, del, &r, &e), 0);
	ASSERT(r.n == 2 && del[l2] && del[a] && !del[b]); /* never the newest by time */
	int64_t sa = s->v[a]->size_bytes, sb = s->v[b]->size_bytes;
	ASSERT_EQ(db_blocks_retention(s, 0, sa + sb + 100, 100, del, &r, &e), 0);
	ASSERT(r.n == 1 && r.size && !r.time && del[l2]); /* exactly at the limit is kept */
	ASSERT_EQ(db_blocks_retention(s, 0, sa + sb + 100, 101, del, &r, &e), 0);
	ASSERT(r.n == 2 && del[a] && del[l2]); /* the head's bytes count */
	ASSERT_EQ(db_blocks_retention(s, 0, sb - 1, 0, del, &r, &e), 0);
	ASSERT(r.n == 3); /* size may drop even the newest */
	ASSERT_EQ(db_blocks_retention(s, 3 * H, sa + sb, 0, del, &r, &e), 0);
	ASSERT(r.n == 1 && r.time && r.size);
	db_block_set_release(s);
}

/* A db (read-write) on a fresh copy of the golden blocks, in *dir; 0 for
 * the default retention; maint_ms for the maintenance thread (0: none). */
static db *golden_db(const char **dir, int64_t retention_ms, int64_t maint_ms)
{
	log_set_level(LOG_ERROR);
	*dir = test_tmpdir();
	copy_golden_blocks(*dir);
	db_opts o;
	db_opts_default(&o);
	if (retention_ms)
		o.retention_ms = retention_ms;
	o.maintenance_interval_ms = maint_ms;
	err e;
	db *d = db_open(*dir, &o, &e);
	if (!d)
		test_fail(__FILE__, __LINE__, "db_open %s: %s", *dir, e.msg);
	return d;
}

/* Open dir with this retention, read-only or not: its stats, closed. */
static db_stats stats_after_open(const char *dir, int64_t retention_ms, bool ro)
{
	db_opts o;
	db_opts_default(&o);
	o.retention_ms = retention_ms;
	o.read_only = ro;
	err e;
	db *d = db_open(dir, &o, &e);
	if (!d)
		test_fail(__FILE__, __LINE__, "db_open %s: %s", dir, e.msg);
	db_stats st;
	db_get_stats(d, &st);
	db_close(d);
	return st;
}

/* The db applies retention at open (read-write), counts it, and leaves a
 * read-only open alone; broken blocks are counted. */
static void db_open_applies_retention(void)
{
	log_set_level(LOG_ERROR);
	const char *dir = test_tmpdir();
	copy_golden_blocks(dir);
	sh("d='%s/%s' && mkdir -p \"$d\" && echo '{' > \"$d/meta.json\"", dir, "01M8602F0JJK7JB70X2QEZNEMV");
	db_stats st = stats_after_open(dir, 3 * 3600 * 1000, true);
	ASSERT_EQ(st.blocks_loaded, 3);
	ASSERT_EQ(st.blocks_failed, 1);
	ASSERT_EQ(st.time_retentions, 0);
	db_opts o;
	db_opts_default(&o);
	o.retention_ms = 3 * 3600 * 1000;
	err e;
	db *d = db_open(dir, &o, &e);
	ASSERT(d != NULL);
	db_get_stats(d, &st);
	ASSERT_EQ(st.blocks_loaded, 2);
	ASSERT_EQ(st.time_retentions, 1);
	ASSERT_EQ(st.size_retentions, 0);
	ASSERT_EQ(st.min_time, 1795478400000LL);
	ASSERT(!exists(dir, B_L2));
	char p[2048];
	snprintf(p, sizeof p, "%s/%s", dir, B_2H_A);
	int64_t a = fsutil_dir_size(p);
	snprintf(p, sizeof p, "%s/%s", dir, B_2H_B);
	ASSERT_EQ(st.blocks_bytes, a + fsutil_dir_size(p));
	ASSERT_EQ(db_compact(d, &e), 0); /* nothing more to do */
	db_get_stats(d, &st);
	ASSERT_EQ(st.blocks_loaded, 2);
	ASSERT_EQ(st.time_retentions, 1);
	db_close(d);
}

/* A querier opened before a reload keeps reading a block the reload drops
 * (here: a new block names it as a parent); the directory goes when the
 * querier closes. Queriers only pin blocks in their range. */
static void querier_pins_dropped_block(void)
{
	const char *dir;
	db *d = golden_db(&dir, 0, 0);
	err e;
	querier *old = queryable_querier(db_queryable(d), INT64_MIN, INT64_MAX, &e);
	querier *narrow = queryable_querier(db_queryable(d), 1795485600000LL, 1795492800000LL, &e);
	ASSERT(old && narrow);
	fake_block(dir, B_2H_B, "01M8602FAQF8A1Y3016JHRTB9Z", 1795485600000LL, 1795492800000LL,
		   "{\"level\":2,\"parents\":[{\"ulid\":\"" B_2H_A "\",\"minTime\":1795478400000,\"maxTime\":1795485600000}]}");
	ASSERT_EQ(db_compact(d, &e), 0);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.blocks_loaded, 3);
	ASSERT(exists(dir, B_2H_A)); /* old still pins it */
	/* the dropped block's samples (and the WAL's, if any) */
	ASSERT(count_in(old, 1795478400000LL, 1795485600000LL) >= 2782);
	querier_close(narrow);
	ASSERT(exists(dir, B_2H_A)); /* narrow never pinned it */
	querier_close(old);
	ASSERT(!exists(dir, B_2H_A));
	db_close(d);
}

/* Retention killed (SIGKILL) at random moments: the next open never loads
 * half a block, and finishes the job. Ten old blocks to delete a round. */
static void crash_during_retention(void)
{
	log_set_level(LOG_ERROR);
	srand(15);
	for (int round = 0; round < 8; round++) {
		char dir[1024];
		snprintf(dir, sizeof dir, "%s/r%d", test_tmpdir(), round);
		ASSERT_EQ(mkdir(dir, 0777), 0);
		copy_golden_blocks(dir);
		for (int i = 0; i < 10; i++) {
			char u[32];
			snprintf(u, sizeof u, "01M8602E0000000000000000%02d", i);
			fake_block(dir, B_L2, u, 1795400000000LL + i, 1795400000001LL + i, "{\"level\":1}");
		}
		db_opts o;
		db_opts_default(&o);
		o.retention_ms = 3 * 3600 * 1000;
		pid_t pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0) {
			err e;
			db *d = db_open(dir, &o, &e);
			db_close(d);
			_exit(d ? 0 : 1);
		}
		usleep((useconds_t)(rand() % 20000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		for (int ro = 1; ro >= 0; ro--) {
			db_stats st = stats_after_open(dir, o.retention_ms, ro);
			ASSERT_EQ(st.blocks_failed, 0);
			ASSERT(st.blocks_loaded >= 2 && st.blocks_loaded <= 13);
			if (!ro)
				ASSERT_EQ(st.blocks_loaded, 2);
		}
		ASSERT(exists(dir, B_2H_A) && exists(dir, B_2H_B) && !exists(dir, B_L2));
	}
}

/* The maintenance thread reloads on its own: a block that appears is
 * loaded, and the older ones fall out of the time retention. */
static void maintenance_thread_reloads(void)
{
	const char *dir;
	db *d = golden_db(&dir, 24 * 3600 * 1000, 20);
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.blocks_loaded, 3);
	fake_block(dir, B_2H_B, "01M8602FAQF8A1Y3016JHRTB9Z", 1795600000000LL, 1795602000000LL, "{\"level\":1}");
	for (int i = 0; i < 500; i++) { /* bounded: 10 s */
		db_get_stats(d, &st);
		if (st.blocks_loaded == 1 && !exists(dir, B_2H_A) && !exists(dir, B_2H_B) && !exists(dir, B_L2))
			break; /* swapped, and the old set's blocks deleted */
		usleep(20000);
	}
	ASSERT_EQ(st.blocks_loaded, 1);
	ASSERT_EQ(st.time_retentions, 1);
	ASSERT(st.reloads >= 2);
	ASSERT(!exists(dir, B_2H_A) && !exists(dir, B_2H_B) && !exists(dir, B_L2));
	db_close(d);
}

/* db queriers in threads while reloads replace blocks (each new copy of
 * block A names the previous copy as its parent): every query sees A's
 * samples exactly once (copies overlap A; the merge drops duplicates) and
 * every replaced copy is deleted once its readers are done. */
typedef struct dbq_arg {
	db *d;
	int64_t bad; /* queries that did not see exactly A's samples */
} dbq_arg;

static void *db_reader(void *p)
{
	dbq_arg *a = p;
	for (int k = 0; k < 40; k++) {
		err e;
		querier *q = queryable_querier(db_queryable(a->d), INT64_MIN, INT64_MAX, &e);
		a->bad += count_in(q, 1795478400000LL, 1795485600000LL) != 2782;
		querier_close(q);
	}
	return NULL;
}

static void db_queriers_during_reloads(void)
{
	const char *dir;
	db *d = golden_db(&dir, 0, 0);
	err e;
	enum { R = 3, N = 25 };
	pthread_t th[R];
	dbq_arg args[R];
	for (int i = 0; i < R; i++) {
		args[i] = (dbq_arg){.d = d};
		ASSERT_EQ(pthread_create(&th[i], NULL, db_reader, &args[i]), 0);
	}
	char u[N][32], comp[256];
	for (int i = 0; i < N; i++) {
		snprintf(u[i], sizeof u[i], "01M8602G000000000000000%03d", i);
		snprintf(comp, sizeof comp, "{\"level\":2,\"parents\":[{\"ulid\":\"%s\"}]}", i ? u[i - 1] : "none");
		fake_block(dir, B_2H_A, u[i], 1795478400000LL, 1795485600000LL, comp);
		/* a reload, not db_compact: the fake blocks overlap B_2H_A, which a
		 * compaction would merge (and delete) */
		ASSERT_EQ(db_reload(d, &e), 0);
		usleep(2000);
	}
	for (int i = 0; i < R; i++) {
		pthread_join(th[i], NULL);
		ASSERT_EQ(args[i].bad, 0);
	}
	db_stats st;
	db_get_stats(d, &st);
	ASSERT_EQ(st.blocks_loaded, 4);
	for (int i = 0; i < N - 1; i++)
		ASSERT(!exists(dir, u[i]));
	ASSERT(exists(dir, u[N - 1]));
	db_close(d);
}

static void block_ranges_as_prometheus(void)
{
	db_opts o;
	db_opts_default(&o);
	int64_t r[16];
	const int64_t H = 3600 * 1000;
	/* 15d retention: max 1.5d, so 2h 6h 18h */
	ASSERT_EQ(db_block_ranges(&o, r, 16), 3);
	ASSERT(r[0] == 2 * H && r[1] == 6 * H && r[2] == 18 * H);
	o.retention_ms = 0; /* size-only retention: capped at 31d: 2h .. 486h */
	ASSERT_EQ(db_block_ranges(&o, r, 16), 6);
	ASSERT_EQ(r[5], 486 * H);
	o.max_block_duration_ms = 2 * H; /* Thanos: min = max = 2h, no local compaction */
	ASSERT_EQ(db_block_ranges(&o, r, 16), 1);
	o.max_block_duration_ms = H; /* max below min: min still holds */
	ASSERT_EQ(db_block_ranges(&o, r, 16), 1);
	ASSERT_EQ(r[0], 2 * H);
}

const struct test tests_db_blocks[] = {
	{"load_sorted_with_sizes", load_sorted_with_sizes},
	{"load_cleans_tmp_and_parents", load_cleans_tmp_and_parents},
	{"dropped_block_deleted_at_last_unref", dropped_block_deleted_at_last_unref},
	{"concurrent_readers_and_swaps", concurrent_readers_and_swaps},
	{"retention_time_and_size", retention_time_and_size},
	{"db_open_applies_retention", db_open_applies_retention},
	{"querier_pins_dropped_block", querier_pins_dropped_block},
	{"block_ranges_as_prometheus", block_ranges_as_prometheus},
	{"crash_during_retention", crash_during_retention},
	{"maintenance_thread_reloads", maintenance_thread_reloads},
	{"db_queriers_during_reloads", db_queriers_during_reloads},
	{NULL, NULL},
};
