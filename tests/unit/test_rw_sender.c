/* test_rw_sender.c - remote/write.c: queues follow the config across
 * reloads (kept when unchanged, started when added, stopped when removed),
 * positions are written per queue, and the self metrics name them; a
 * series replaced while its samples are queued outlives them. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote/write.h"
#include "tests/unit/test.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

static scrape_config *load(const char *dir, const char *yaml)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/p.yml", dir);
	FILE *f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs(yaml, f);
	fclose(f);
	err e;
	scrape_config *c = scrape_config_load(path, &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	return c;
}

static bool has_queue(remote_sender *s, const char *name)
{
	buf b;
	buf_init(&b);
	remote_sender_metrics(s, &b);
	char want[128];
	snprintf(want, sizeof want, "prometheus_remote_storage_shards{remote_name=\"%s\"", name);
	bool found = strstr(buf_cstr(&b), want) != NULL;
	buf_reset(&b);
	return found;
}

static int pos_files(const char *dir)
{
	char p[1100];
	snprintf(p, sizeof p, "%s/remote_write", dir);
	DIR *d = opendir(p);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += strstr(de->d_name, ".pos") != NULL;
	if (d)
		closedir(d);
	return n;
}

/* pos_files once it reaches want, polled for up to 10 s: each queue's
 * watcher thread writes its file on its first turn, and a removed queue's
 * final write comes from its background stop, neither of which the test's
 * thread waits for. */
static int pos_files_wait(const char *dir, int want)
{
	int n = pos_files(dir);
	for (int i = 0; i < 1000 && n != want; i++) {
		usleep(10000);
		n = pos_files(dir);
	}
	return n;
}

/* <tmp>/name with a WAL and a sender over it (flush deadline 200 ms). */
static wal *sender_setup(const char *name, char *dir, size_t cap, remote_sender **s)
{
	char wal_dir[1100];
	snprintf(dir, cap, "%s/%s", test_tmpdir(), name);
	mkdir(dir, 0777);
	snprintf(wal_dir, sizeof wal_dir, "%s/wal", dir);
	err e;
	wal_opts wo = {0};
	wal *w = wal_open(wal_dir, &wo, &e);
	ASSERT(w != NULL);
	remote_sender_opts o = {.data_dir = dir, .flush_deadline_ms = 200};
	*s = remote_sender_new(&o, &e);
	ASSERT(*s != NULL);
	return w;
}

static void rw_sender_reload(void)
{
	char dir[1024];
	err e;
	remote_sender *s;
	wal *w = sender_setup("rwsend", dir, sizeof dir, &s);
	ASSERT_EQ(remote_sender_lowest_segment(s), INT32_MAX);
	const char *a = "remote_write:\n- {url: 'http://127.0.0.1:1/w', name: a, queue_config: {min_backoff: 10ms, max_backoff: 20ms}}\n";
	const char *ab = "remote_write:\n- {url: 'http://127.0.0.1:1/w', name: a, queue_config: {min_backoff: 10ms, max_backoff: 20ms}}\n"
			 "- {url: 'http://127.0.0.1:1/v', name: b}\n";
	const char *b = "remote_write:\n- {url: 'http://127.0.0.1:1/v', name: b}\n";
	scrape_config *c1 = load(dir, a);
	ASSERT_EQ(remote_sender_apply(s, c1, &e), 0);
	ASSERT(has_queue(s, "a") && !has_queue(s, "b"));
	ASSERT_EQ(remote_sender_lowest_segment(s), 0);
	/* samples to a refused port: retried, the position stays */
	label lv[1] = {{"__name__", "m"}};
	record_series rs = {1, {lv, 1}};
	record_sample smp = {1, 1000, 1};
	buf rb;
	buf_init(&rb);
	record_encode_series(&rb, &rs, 1);
	ASSERT_EQ(wal_log1(w, rb.p, rb.len, &e), 0);
	buf_clear(&rb);
	record_encode_samples(&rb, &smp, 1);
	ASSERT_EQ(wal_log1(w, rb.p, rb.len, &e), 0);
	buf_reset(&rb);
	remote_sender_notify(s);
	scrape_config *c2 = load(dir, ab);
	ASSERT_EQ(remote_sender_apply(s, c2, &e), 0);
	ASSERT(has_queue(s, "a") && has_queue(s, "b"));
	scrape_config *c3 = load(dir, b);
	ASSERT_EQ(remote_sender_apply(s, c3, &e), 0); /* a is flushed up to the deadline and stopped */
	ASSERT(!has_queue(s, "a") && has_queue(s, "b"));
	ASSERT_EQ(pos_files_wait(dir, 2), 2); /* one per queue that ran */
	scrape_config *none = load(dir, "global: {scrape_interval: 1m}\n");
	ASSERT_EQ(remote_sender_apply(s, none, &e), 0);
	ASSERT(!has_queue(s, "b"));
	ASSERT_EQ(remote_sender_lowest_segment(s), INT32_MAX);
	remote_sender_free(s);
	ASSERT_EQ(pos_files(dir), 2);
	scrape_config_free(c1);
	scrape_config_free(c2);
	scrape_config_free(c3);
	scrape_config_free(none);
	wal_close(w, &e);
}

static void log_rec(wal *w, buf *b)
{
	err e;
	ASSERT_EQ(wal_log1(w, b->p, b->len, &e), 0);
	buf_clear(b);
}

/* queue.c's graveyard: a series whose ref gets new labels while its
 * samples wait in a shard is freed after them, not under them (ASan). */
static void rw_sender_graveyard(void)
{
	char dir[1024];
	err e;
	remote_sender *s;
	wal *w = sender_setup("rwgrave", dir, sizeof dir, &s);
	scrape_config *c = load(dir, "remote_write:\n- {url: 'http://127.0.0.1:1/w', queue_config: {min_backoff: 10ms, max_backoff: 20ms}}\n");
	ASSERT_EQ(remote_sender_apply(s, c, &e), 0);
	/* ref 1 as a, a sample, ref 1 as b (a is buried, its sample still
	 * queued: the receiver refuses), a sample, ref 1 as a again */
	label la[1] = {{"__name__", "a"}}, lb[1] = {{"__name__", "b"}};
	buf rb;
	buf_init(&rb);
	for (int round = 0; round < 3; round++) {
		record_series rs = {1, {round == 1 ? lb : la, 1}};
		record_sample smp = {1, 1000 * (round + 1), round};
		record_encode_series(&rb, &rs, 1);
		log_rec(w, &rb);
		record_encode_samples(&rb, &smp, 1);
		log_rec(w, &rb);
	}
	buf_reset(&rb);
	remote_sender_notify(s);
	bool read = false;
	for (int i = 0; i < 250 && !read; i++) { /* the watcher read the three samples */
		buf m;
		buf_init(&m);
		remote_sender_metrics(s, &m);
		read = strstr(buf_cstr(&m), "prometheus_remote_storage_highest_timestamp_in_seconds 3\n") != NULL;
		buf_reset(&m);
		if (!read)
			usleep(20000);
	}
	ASSERT(read);
	remote_sender_free(s); /* the queued samples are dropped, then their series freed */
	scrape_config_free(c);
	wal_close(w, &e);
}

/* apply takes the loaded config, not the file again: the file may change
 * (or go) meanwhile, and the caller may free its config at once. */
static void rw_sender_config_ref(void)
{
	char dir[1024], path[1100];
	snprintf(dir, sizeof dir, "%s/rwsendref", test_tmpdir());
	mkdir(dir, 0777);
	err e;
	remote_sender_opts o = {.data_dir = dir, .flush_deadline_ms = 100};
	remote_sender *s = remote_sender_new(&o, &e);
	ASSERT(s != NULL);
	scrape_config *c = load(dir, "remote_write:\n- {url: 'http://127.0.0.1:1/w', name: a,\n"
				     "   basic_auth: {username: u, password: p1}}\n");
	snprintf(path, sizeof path, "%s/p.yml", dir);
	ASSERT_EQ(unlink(path), 0); /* changed after the load: not read again */
	ASSERT_EQ(remote_sender_apply(s, c, &e), 0);
	scrape_config_free(c); /* the queues hold their own reference */
	ASSERT(has_queue(s, "a"));
	buf b;
	buf_init(&b);
	remote_sender_metrics(s, &b); /* reads the entry's url: still valid (ASan) */
	ASSERT(strstr(buf_cstr(&b), "url=\"http://127.0.0.1:1/w\"") != NULL);
	ASSERT(strstr(buf_cstr(&b), "p1") == NULL);
	buf_reset(&b);
	/* the same entry with another password: the same hash, a new queue */
	c = load(dir, "remote_write:\n- {url: 'http://127.0.0.1:1/w', name: a,\n"
		      "   basic_auth: {username: u, password: p2}}\n");
	ASSERT_EQ(remote_sender_apply(s, c, &e), 0);
	scrape_config_free(c);
	ASSERT(has_queue(s, "a"));
	remote_sender_free(s);
	ASSERT_EQ(pos_files(dir), 1); /* one position, shared by both */
}

const struct test tests_rw_sender[] = {
	{"rw_sender_reload", rw_sender_reload},
	{"rw_sender_graveyard", rw_sender_graveyard},
	{"rw_sender_config_ref", rw_sender_config_ref},
	{NULL, NULL},
};
