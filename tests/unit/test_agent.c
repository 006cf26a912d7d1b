/*
 * test_agent.c - the agent's WAL-only storage (tsdb/agent.c): the appender
 * (refs, the agent's out-of-order rule, label checks), what a commit and a
 * rollback log, replay after a restart (refs, last timestamps, a label set
 * logged under two refs), a torn tail, and truncation: series GC, the
 * checkpoint, the bound of the segment a queue still needs, and the
 * max-time override.
 */
#include "tests/unit/test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scrape/config.h"
#include "tsdb/agent.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

static char dir[512];
static int needed = INT32_MAX;
static int64_t now = 1000000000;
static uint64_t removed[4096];
static size_t n_removed;

static int lowest(void *ctx) { (void)ctx; return needed; }
static int64_t clock_ms(void) { return now; }
static void on_removed(void *ctx, const uint64_t *refs, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n && n_removed < 4096; i++)
		removed[n_removed++] = refs[i];
}

static agent_db *open_agent(int64_t seg_size)
{
	snprintf(dir, sizeof dir, "%s/agent", test_tmpdir());
	agent_opts o = {.segment_size = seg_size, .wal_compression = true, .no_truncate_thread = true,
			.lowest_segment = lowest, .series_removed = on_removed, .now_ms = clock_ms};
	err e;
	err_clear(&e);
	agent_db *a = agent_open(dir, &o, &e);
	if (!a)
		test_fail(__FILE__, __LINE__, "agent_open: %s", e.msg);
	return a;
}

/* {__name__="m", i="<i>"} in lv (strings in val). */
static labels lbl(label *lv, char *val, int i)
{
	snprintf(val, 16, "%d", i);
	lv[0] = (label){"__name__", "m"};
	lv[1] = (label){"i", val};
	return (labels){lv, 2};
}

/* Append one sample of series i at t; returns the rc, ref in *ref. */
static int put(appender *app, int i, int64_t t, double v, series_ref *ref)
{
	label lv[2];
	char val[16];
	err e;
	return appender_append(app, 0, lbl(lv, val, i), t, v, ref, &e);
}

static void commit(appender *app)
{
	err e;
	if (appender_commit(app, &e))
		test_fail(__FILE__, __LINE__, "commit: %s", e.msg);
}

static void t_append_rules(void)
{
	agent_db *a = open_agent(0);
	appender *app = agent_appender(a);
	series_ref r1, r2, r;
	ASSERT_EQ(put(app, 1, 1000, 1, &r1), 0);
	ASSERT_EQ(put(app, 2, 1000, 2, &r2), 0);
	ASSERT(r1 && r2 && r1 != r2);
	ASSERT_EQ(put(app, 1, 2000, 1, &r), 0); /* same appender: checked against the committed time only */
	ASSERT_U64_EQ(r, r1);
	commit(app);
	app = agent_appender(a);
	err e;
	ASSERT_EQ(put(app, 1, 2000, 1, &r), FL_EOUT_OF_ORDER); /* equal time: out of order, not a duplicate */
	ASSERT_EQ(put(app, 1, 1500, 1, &r), FL_EOUT_OF_ORDER);
	ASSERT_EQ(appender_append(app, r2, (labels){0}, 3000, 5, &r, &e), 0); /* the ref fast path */
	ASSERT_U64_EQ(r, r2);
	ASSERT_EQ(appender_append(app, 999, (labels){0}, 3000, 5, &r, &e), FL_EINVAL); /* unknown ref, no labels */
	ASSERT(strstr(e.msg, "empty labelset"));
	label dup[2] = {{"a", "1"}, {"a", "2"}};
	ASSERT_EQ(appender_append(app, 0, (labels){dup, 2}, 3000, 5, &r, &e), FL_EINVAL);
	ASSERT_STR_EQ(e.msg, "label name \"a\" is not unique: invalid sample");
	label emp[2] = {{"__name__", "x"}, {"e", ""}}, plain[1] = {{"__name__", "x"}};
	series_ref rx, ry;
	ASSERT_EQ(appender_append(app, 0, (labels){emp, 2}, 3000, 5, &rx, &e), 0); /* empty values dropped */
	ASSERT_EQ(appender_append(app, 0, (labels){plain, 1}, 3001, 5, &ry, &e), 0);
	ASSERT_U64_EQ(rx, ry);
	commit(app);
	agent_stats s;
	agent_get_stats(a, &s);
	ASSERT_EQ(s.active_series, 3);
	ASSERT_EQ(s.out_of_order, 2);
	ASSERT_EQ(s.samples_appended, 6);
	buf m;
	buf_init(&m);
	agent_metrics(a, &m);
	ASSERT(strstr(buf_cstr(&m), "prometheus_agent_active_series 3\n"));
	ASSERT(strstr(buf_cstr(&m), "prometheus_agent_samples_appended_total{type=\"float\"} 6\n"));
	buf_reset(&m);
	agent_close(a);
}

/* Every record of the WAL dir (checkpoint then segments), counted by type. */
static void count_records(int *series, int *samples)
{
	char waldir[600];
	snprintf(waldir, sizeof waldir, "%s/wal", dir);
	wal_replay_plan p;
	err e;
	ASSERT_EQ(wal_replay_plan_make(waldir, &p, &e), 0);
	wal_reader *r = wal_reader_open(p.ranges, p.n_ranges, &e);
	ASSERT(r);
	const uint8_t *rec;
	size_t len;
	*series = *samples = 0;
	while (wal_reader_next(r, &rec, &len, &e) == 1) {
		*series += record_type(rec, len) == RECORD_SERIES;
		*samples += record_type(rec, len) == RECORD_SAMPLES;
	}
	wal_reader_close(r);
}

static void t_rollback_logs_series(void)
{
	agent_db *a = open_agent(0);
	appender *app = agent_appender(a);
	series_ref r1, r;
	ASSERT_EQ(put(app, 7, 1000, 1, &r1), 0);
	appender_rollback(app);
	agent_close(a);
	int ns, nsm;
	count_records(&ns, &nsm);
	ASSERT_EQ(ns, 1);
	ASSERT_EQ(nsm, 0);
	a = open_agent(0);
	app = agent_appender(a);
	ASSERT_EQ(put(app, 7, 500, 1, &r), 0); /* known, no sample yet: any time goes */
	ASSERT_U64_EQ(r, r1);
	commit(app);
	agent_close(a);
}

static void t_replay(void)
{
	agent_db *a = open_agent(0);
	series_ref refs[50];
	for (int round = 0; round < 3; round++) {
		appender *app = agent_appender(a);
		for (int i = 0; i < 50; i++)
			ASSERT_EQ(put(app, i, 1000 * (round + 1) + i, i, &refs[i]), 0);
		commit(app);
	}
	agent_close(a);
	a = open_agent(0);
	agent_stats s;
	agent_get_stats(a, &s);
	ASSERT_EQ(s.active_series, 50);
	appender *app = agent_appender(a);
	series_ref r;
	for (int i = 0; i < 50; i++) {
		ASSERT_EQ(put(app, i, 3000 + i, 0, &r), FL_EOUT_OF_ORDER); /* last time restored */
		ASSERT_EQ(put(app, i, 4000 + i, 0, &r), 0);
		ASSERT_U64_EQ(r, refs[i]); /* same ref */
	}
	ASSERT_EQ(put(app, 100, 1, 0, &r), 0);
	ASSERT(r > refs[49]); /* refs never reused */
	commit(app);
	agent_close(a);
}

/* A label set logged under two refs (two writers raced): samples of the
 * second go to the first. */
static void t_replay_duplicate_ref(void)
{
	snprintf(dir, sizeof dir, "%s/agent", test_tmpdir());
	char waldir[600];
	snprintf(waldir, sizeof waldir, "%s/wal", dir);
	mkdir(dir, 0777);
	err e;
	wal_opts wo = {0};
	wal *w = wal_open(waldir, &wo, &e);
	ASSERT(w);
	label lv[2];
	char val[16];
	record_series s[2] = {{5, lbl(lv, val, 1)}, {9, lbl(lv, val, 1)}};
	record_sample sm[2] = {{5, 1000, 1}, {9, 7000, 2}};
	buf b;
	buf_init(&b);
	record_encode_series(&b, s, 2);
	ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
	buf_clear(&b);
	record_encode_samples(&b, sm, 2);
	ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
	buf_reset(&b);
	ASSERT_EQ(wal_close(w, &e), 0);
	agent_db *a = open_agent(0);
	agent_stats st;
	agent_get_stats(a, &st);
	ASSERT_EQ(st.active_series, 1);
	appender *app = agent_appender(a);
	series_ref r;
	ASSERT_EQ(put(app, 1, 7000, 0, &r), FL_EOUT_OF_ORDER); /* ref 9's sample counted for ref 5 */
	ASSERT_EQ(put(app, 1, 7001, 0, &r), 0);
	ASSERT_U64_EQ(r, 5);
	ASSERT_EQ(put(app, 2, 1, 0, &r), 0);
	ASSERT_U64_EQ(r, 10); /* after the highest ref seen */
	commit(app);
	agent_close(a);
}

static void t_torn_tail(void)
{
	agent_db *a = open_agent(0);
	appender *app = agent_appender(a);
	series_ref r;
	ASSERT_EQ(put(app, 1, 1000, 1, &r), 0);
	commit(app);
	agent_close(a);
	char seg[700];
	snprintf(seg, sizeof seg, "%s/wal/00000000", dir);
	int fd = open(seg, O_WRONLY | O_APPEND);
	ASSERT(fd >= 0);
	unsigned char junk[20] = {1, 0, 200, 1, 2, 3, 4, 9, 9, 9};
	ASSERT_EQ(write(fd, junk, sizeof junk), (long)sizeof junk);
	close(fd);
	a = open_agent(0);
	agent_stats s;
	agent_get_stats(a, &s);
	ASSERT_EQ(s.corruptions, 1);
	ASSERT_EQ(s.active_series, 1);
	app = agent_appender(a);
	ASSERT_EQ(put(app, 1, 1000, 1, &r), FL_EOUT_OF_ORDER);
	appender_rollback(app);
	agent_close(a);
}

#define SEG (64 * 1024)

/* Rounds of 200 series until the WAL has at least `segs` segments. */
static int fill(agent_db *a, int64_t *t, int segs)
{
	agent_stats s;
	int rounds = 0;
	do {
		appender *app = agent_appender(a);
		series_ref r;
		for (int i = 0; i < 200; i++)
			ASSERT_EQ(put(app, i, *t, (double)rounds * 1.37 + i / 3.0, &r), 0);
		commit(app);
		*t += 15000;
		rounds++;
		agent_get_stats(a, &s);
	} while (s.wal_last < segs && rounds < 100000);
	return rounds;
}

static void t_truncate_bounded_by_queue(void)
{
	agent_db *a = open_agent(SEG);
	int64_t t = now - 3600 * 1000; /* an hour ago: within max-time (4h) */
	fill(a, &t, 9);
	agent_stats s;
	agent_get_stats(a, &s);
	ASSERT_EQ(s.wal_first, 0);
	int last = (int)s.wal_last;
	/* a queue still needs segment 1: nothing below it may go but 0, and
	 * one segment is not worth a checkpoint */
	needed = 1;
	err e;
	ASSERT_EQ(agent_truncate(a, &e), 0);
	agent_get_stats(a, &s);
	ASSERT_EQ(s.wal_first, 0);
	ASSERT_EQ(s.checkpoint_creations, 0);
	/* the queue moved on to segment 4: 0..3 may go (two thirds would be more) */
	needed = 4;
	ASSERT_EQ(agent_truncate(a, &e), 0);
	agent_get_stats(a, &s);
	ASSERT_EQ(s.wal_first, 4);
	ASSERT_EQ(s.checkpoint_creations, 1);
	ASSERT_EQ(s.active_series, 200); /* all alive: sent up to ~now, min-time 5m */
	char cp[700];
	snprintf(cp, sizeof cp, "%s/wal/checkpoint.00000003", dir);
	struct stat sb;
	ASSERT_EQ(stat(cp, &sb), 0);
	/* the queue sits at the first segment left (its sent time comes from
	 * the segments truncated away): series with samples it has not sent stay */
	needed = 4;
	now = t + 10 * 60 * 1000; /* 10 minutes after the last sample: > min-time */
	ASSERT_EQ(agent_truncate(a, &e), 0);
	agent_get_stats(a, &s);
	ASSERT_EQ(s.active_series, 200); /* the newest samples are in segments the queue has not sent */
	now = 1000000000;
	/* no queue at all: two thirds of the closed segments */
	needed = INT32_MAX;
	ASSERT_EQ(agent_truncate(a, &e), 0);
	agent_get_stats(a, &s);
	ASSERT(s.wal_first > 4);
	ASSERT(s.wal_first <= last);
	agent_close(a);
	/* the checkpoint and the rest replay into the same series */
	a = open_agent(SEG);
	agent_get_stats(a, &s);
	ASSERT_EQ(s.active_series, 200);
	appender *app = agent_appender(a);
	series_ref r;
	ASSERT_EQ(put(app, 3, t - 15000, 0, &r), FL_EOUT_OF_ORDER);
	ASSERT_EQ(put(app, 3, t, 0, &r), 0);
	commit(app);
	agent_close(a);
	needed = INT32_MAX;
}

static void t_truncate_max_time_and_gc(void)
{
	agent_db *a = open_agent(SEG);
	int64_t t = now - 3600 * 1000;
	fill(a, &t, 7);
	/* one more series, with one old sample only */
	appender *app = agent_appender(a);
	series_ref old, r;
	ASSERT_EQ(put(app, 5000, now - 3600 * 1000, 1, &old), 0);
	commit(app);
	/* a queue stuck at segment 0 holds everything back... */
	needed = 0;
	err e;
	ASSERT_EQ(agent_truncate(a, &e), 0);
	agent_stats s;
	agent_get_stats(a, &s);
	ASSERT_EQ(s.wal_first, 0);
	ASSERT_EQ(s.active_series, 201); /* ts = now - 4h: nothing that old */
	/* ... until its data is older than max-time (4h) */
	now += 6 * 3600 * 1000LL;
	n_removed = 0;
	ASSERT_EQ(agent_truncate(a, &e), 0);
	agent_get_stats(a, &s);
	ASSERT(s.wal_first > 0);
	ASSERT_EQ(s.active_series, 0); /* every series went quiet 5h ago */
	ASSERT_EQ(n_removed, 201);
	ASSERT_EQ(s.deleted_series, 201); /* their records wait for the WAL to pass them */
	/* a dropped series comes back under a new ref */
	app = agent_appender(a);
	ASSERT_EQ(put(app, 5000, now, 1, &r), 0);
	ASSERT(r != old);
	commit(app);
	agent_close(a);
	needed = INT32_MAX;
	now -= 6 * 3600 * 1000LL;
}

/* Prometheus's config.LoadFile in agent mode: the sections an agent has
 * no use for are refused, in Prometheus's order of checks. */
static void t_config_agent(void)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"scrape_configs: [{job_name: a, static_configs: [{targets: ['x:1']}]}]\n", NULL},
		{"rule_files: [a.yml]\n", "field rule_files is not allowed in agent mode"},
		{"alerting: {alert_relabel_configs: [{action: drop, source_labels: [a], regex: b}]}\n",
		 "field alerting is not allowed in agent mode"},
		{"remote_read: [{url: 'http://127.0.0.1:1/read'}]\n", "field remote_read is not allowed in agent mode"},
		{"rule_files: [a.yml]\nalerting: {alertmanagers: [{static_configs: [{targets: ['a:1']}]}]}\n",
		 "field alerting is not allowed in agent mode"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		err e;
		scrape_config *c = scrape_config_parse(cases[i].yaml, strlen(cases[i].yaml), "p.yml", &e);
		if (!c)
			test_fail(__FILE__, __LINE__, "case %zu: %s", i, e.msg);
		int rc = scrape_config_check_agent(c, &e);
		if (cases[i].want) {
			ASSERT_EQ(rc, FL_EINVAL);
			ASSERT_STR_EQ(e.msg, cases[i].want);
		} else {
			ASSERT_EQ(rc, 0);
		}
		scrape_config_free(c);
	}
}

const struct test tests_agent[] = {
	{"config_agent", t_config_agent},
	{"append_rules", t_append_rules},
	{"rollback_logs_series", t_rollback_logs_series},
	{"replay", t_replay},
	{"replay_duplicate_ref", t_replay_duplicate_ref},
	{"torn_tail", t_torn_tail},
	{"truncate_bounded_by_queue", t_truncate_bounded_by_queue},
	{"truncate_max_time_and_gc", t_truncate_max_time_and_gc},
	{NULL, NULL},
};
