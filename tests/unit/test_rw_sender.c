/* test_rw_sender.c - remote/write.c: queues follow the config across
 * reloads (kept when unchanged, started when added, stopped when removed),
 * positions are written per queue, and the self metrics name them. */
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

static void rw_sender_reload(void)
{
	char dir[1024], wal_dir[1100];
	snprintf(dir, sizeof dir, "%s/rwsend", test_tmpdir());
	mkdir(dir, 0777);
	snprintf(wal_dir, sizeof wal_dir, "%s/wal", dir);
	err e;
	wal_opts wo = {0};
	wal *w = wal_open(wal_dir, &wo, &e);
	ASSERT(w != NULL);
	remote_sender_opts o = {.data_dir = dir, .flush_deadline_ms = 200};
	remote_sender *s = remote_sender_new(&o, &e);
	ASSERT(s != NULL);
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
	ASSERT_EQ(pos_files(dir), 2); /* one per queue that ran */
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

const struct test tests_rw_sender[] = {
	{"rw_sender_reload", rw_sender_reload},
	{NULL, NULL},
};
