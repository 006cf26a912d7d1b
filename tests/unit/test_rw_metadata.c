/* test_rw_metadata.c - remote_write metadata_config (remote/metadata_send.c):
 * the targets' metadata deduplicated as Prometheus's MetadataWatcher does,
 * and a sender whose queue sends it to a loopback receiver in 1.0
 * WriteRequests that carry only metadata, cut at
 * metadata_config.max_samples_per_send, a 500 retried, counted in
 * prometheus_remote_storage_metadata_*. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote/write_int.h"
#include "tests/unit/test.h"
#include "tsdb/wal.h"

#define MAX_REQ 16

static void rw_metadata_dedup(void)
{
	label tl[1] = {{"job", "a"}};
	labels t = {tl, 1};
	scrape_target_metadata tm[] = {
		{t, "b_total", "counter", "B.", ""},
		{t, "a", "gauge", "A.", "bytes"},
		{t, "b_total", "counter", "B.", ""},        /* a second target's: the same */
		{t, "b_total", "counter", "Other help.", ""}, /* differs: kept */
		{t, "c", "nonsense", NULL, NULL},
	};
	arena a;
	arena_init(&a);
	rw_metadata *md;
	size_t n = rw_meta_dedup(tm, 5, &a, &md);
	ASSERT_EQ(n, 4);
	ASSERT_STR_EQ(md[0].family, "a");
	ASSERT_EQ(md[0].type, RW_TYPE_GAUGE);
	ASSERT_STR_EQ(md[0].unit, "bytes");
	ASSERT_STR_EQ(md[1].help, "B.");
	ASSERT_EQ(md[1].type, RW_TYPE_COUNTER);
	ASSERT_STR_EQ(md[2].help, "Other help.");
	ASSERT_STR_EQ(md[3].family, "c");
	ASSERT_EQ(md[3].type, RW_TYPE_UNKNOWN);
	ASSERT_STR_EQ(md[3].help, "");
	ASSERT_EQ(rw_meta_dedup(tm, 0, &a, &md), 0);
	arena_reset(&a);
}

/* A receiver on loopback: one request per connection, the first fail_first
 * answered fail_status, the others 204; what each carried is kept. */
typedef struct fake_rw {
	int fd, port;
	pthread_t th;
	int fail_first, fail_status;
	_Atomic int n_req;
	size_t n_md[MAX_REQ], n_series[MAX_REQ];
	char first[MAX_REQ][64]; /* the first family of each request */
	_Atomic bool stop;
} fake_rw;

static void handle(fake_rw *f, int c)
{
	static char req[1 << 16];
	size_t len = 0, need = SIZE_MAX, body_at = 0;
	while (len < sizeof req - 1 && len < need) {
		ssize_t r = read(c, req + len, sizeof req - 1 - len);
		if (r <= 0)
			return;
		len += (size_t)r;
		req[len] = 0;
		char *end = strstr(req, "\r\n\r\n"), *cl = strcasestr(req, "Content-Length:");
		if (end && cl) {
			body_at = (size_t)(end + 4 - req);
			need = body_at + strtoul(cl + 15, NULL, 10);
		}
	}
	int i = atomic_load(&f->n_req);
	if (i < MAX_REQ && body_at) {
		buf pb;
		buf_init(&pb);
		arena a;
		arena_init(&a);
		rw_request r;
		err e;
		if (!remote_snappy_decode((uint8_t *)req + body_at, len - body_at, 1 << 20, &pb, &e) &&
		    !rw_decode(RW_V1, pb.p, pb.len, &a, &r, &e)) {
			f->n_md[i] = r.n_md;
			f->n_series[i] = r.n_series;
			snprintf(f->first[i], sizeof f->first[i], "%s", r.n_md ? r.md[0].family : "");
		}
		arena_reset(&a);
		buf_reset(&pb);
	}
	char resp[128];
	if (i < f->fail_first)
		snprintf(resp, sizeof resp, "HTTP/1.1 %d Nope\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
			 f->fail_status);
	else
		snprintf(resp, sizeof resp, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	ssize_t w = write(c, resp, strlen(resp));
	(void)w;
	atomic_fetch_add(&f->n_req, 1);
}

static void *serve(void *arg)
{
	fake_rw *f = arg;
	while (!atomic_load(&f->stop)) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			continue;
		handle(f, c);
		close(c);
	}
	return NULL;
}

static void fake_start(fake_rw *f, int fail_first, int fail_status)
{
	memset(f, 0, sizeof *f);
	f->fail_first = fail_first;
	f->fail_status = fail_status;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ASSERT_EQ(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
	ASSERT_EQ(listen(f->fd, 8), 0);
	socklen_t l = sizeof a;
	getsockname(f->fd, (struct sockaddr *)&a, &l);
	f->port = ntohs(a.sin_port);
	pthread_create(&f->th, NULL, serve, f);
}

static void fake_stop(fake_rw *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->th, NULL);
	close(f->fd);
}

/* Two targets exposing 5 distinct families (one of them twice). */
static int source(void *ctx, arena *a, scrape_target_metadata **out, size_t *n, err *e)
{
	(void)e;
	atomic_fetch_add((_Atomic int *)ctx, 1);
	static const char *const fam[] = {"m1", "m2", "m3", "m4", "m5", "m3"};
	scrape_target_metadata *v = arena_calloc(a, 6, sizeof *v);
	for (int i = 0; i < 6; i++)
		v[i] = (scrape_target_metadata){{NULL, 0}, fam[i], "gauge", "Help.", ""};
	*out = v;
	*n = 6;
	return 0;
}

static double metric(remote_sender *s, const char *name)
{
	buf b;
	buf_init(&b);
	remote_sender_metrics(s, &b);
	char want[128];
	snprintf(want, sizeof want, "\n%s{remote_name=\"m\"", name);
	const char *p = strstr(buf_cstr(&b), want);
	double v = p ? strtod(strstr(p, "} ") + 2, NULL) : -1;
	buf_reset(&b);
	return v;
}

/* A sender on a fresh WAL in dir with the one queue of yml (port %d). */
static remote_sender *sender(const char *dir, wal **w, const char *yml_fmt, int port, void *calls)
{
	char wal_dir[1100], yml[1024];
	mkdir(dir, 0777);
	snprintf(wal_dir, sizeof wal_dir, "%s/wal", dir);
	err e;
	wal_opts wo = {0};
	*w = wal_open(wal_dir, &wo, &e);
	ASSERT(*w != NULL);
	remote_sender_opts o = {.data_dir = dir, .flush_deadline_ms = 200, .metadata = source, .metadata_ctx = calls};
	remote_sender *s = remote_sender_new(&o, &e);
	ASSERT(s != NULL);
	snprintf(yml, sizeof yml, yml_fmt, port);
	scrape_config *c = scrape_config_parse(yml, strlen(yml), "p.yml", &e);
	ASSERT(c != NULL);
	ASSERT_EQ(remote_sender_apply(s, c, &e), 0);
	scrape_config_free(c);
	return s;
}

static void rw_metadata_batches(void)
{
	char dir[1024];
	wal *w;
	err e;
	fake_rw f;
	fake_start(&f, 1, 500);
	_Atomic int calls = 0;
	snprintf(dir, sizeof dir, "%s/rwmeta", test_tmpdir());
	remote_sender *s = sender(dir, &w,
				  "remote_write:\n- url: 'http://127.0.0.1:%d/w'\n  name: m\n"
				  "  queue_config: {min_backoff: 10ms, max_backoff: 20ms}\n"
				  "  metadata_config: {send_interval: 50ms, max_samples_per_send: 2}\n",
				  f.port, &calls);
	/* bounded wait: the 500, then 2 + 2 + 1 (<= 20 s) */
	for (int i = 0; i < 400 && atomic_load(&f.n_req) < 4; i++)
		usleep(50000);
	ASSERT(atomic_load(&f.n_req) >= 4);
	ASSERT_EQ(f.n_md[0], 2); /* answered 500: retried */
	ASSERT_STR_EQ(f.first[0], "m1");
	ASSERT_EQ(f.n_md[1], 2);
	ASSERT_STR_EQ(f.first[1], "m1");
	ASSERT_EQ(f.n_md[2], 2);
	ASSERT_STR_EQ(f.first[2], "m3");
	ASSERT_EQ(f.n_md[3], 1);
	ASSERT_STR_EQ(f.first[3], "m5");
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(f.n_series[i], 0); /* metadata only */
	for (int i = 0; i < 400 && metric(s, "prometheus_remote_storage_metadata_total") < 5; i++)
		usleep(50000);
	ASSERT(metric(s, "prometheus_remote_storage_metadata_total") >= 5);
	ASSERT_DBL_EQ(metric(s, "prometheus_remote_storage_metadata_retried_total"), 2);
	ASSERT_DBL_EQ(metric(s, "prometheus_remote_storage_metadata_failed_total"), 0);
	ASSERT(metric(s, "prometheus_remote_storage_metadata_bytes_total") > 0);
	/* the source is let go: no collection calls it afterwards */
	remote_sender_metadata_source(s, NULL, NULL);
	int after = atomic_load(&calls);
	ASSERT(after >= 1);
	remote_sender_free(s);
	ASSERT_EQ(atomic_load(&calls), after);
	fake_stop(&f);
	wal_close(w, &e);
}

/* A 400 fails the request for good (the round goes on with the next); a
 * receiver that answers 500 forever costs a stop no more than the flush
 * deadline (the retries are aborted). */
static void rw_metadata_failures(void)
{
	char dir[1024];
	wal *w;
	err e;
	_Atomic int calls = 0;
	fake_rw f;
	fake_start(&f, 1, 400);
	snprintf(dir, sizeof dir, "%s/rwmeta400", test_tmpdir());
	remote_sender *s = sender(dir, &w,
				  "remote_write:\n- url: 'http://127.0.0.1:%d/w'\n  name: m\n"
				  "  queue_config: {min_backoff: 10ms, max_backoff: 20ms}\n"
				  "  metadata_config: {send_interval: 50ms, max_samples_per_send: 3}\n",
				  f.port, &calls);
	for (int i = 0; i < 400 && metric(s, "prometheus_remote_storage_metadata_total") < 2; i++)
		usleep(50000);
	ASSERT_DBL_EQ(metric(s, "prometheus_remote_storage_metadata_failed_total"), 3); /* the first request's */
	ASSERT(metric(s, "prometheus_remote_storage_metadata_total") >= 2);         /* the second's, same round */
	ASSERT_DBL_EQ(metric(s, "prometheus_remote_storage_metadata_retried_total"), 0);
	ASSERT_EQ(f.n_md[1], 2);
	remote_sender_free(s);
	wal_close(w, &e);
	fake_stop(&f);

	fake_start(&f, 1 << 30, 503);
	snprintf(dir, sizeof dir, "%s/rwmeta503", test_tmpdir());
	s = sender(dir, &w,
		   "remote_write:\n- url: 'http://127.0.0.1:%d/w'\n  name: m\n"
		   "  queue_config: {min_backoff: 10ms, max_backoff: 20ms}\n"
		   "  metadata_config: {send_interval: 50ms}\n",
		   f.port, &calls);
	for (int i = 0; i < 400 && metric(s, "prometheus_remote_storage_metadata_retried_total") < 10; i++)
		usleep(50000);
	ASSERT(metric(s, "prometheus_remote_storage_metadata_retried_total") >= 10);
	ASSERT_DBL_EQ(metric(s, "prometheus_remote_storage_metadata_total"), 0);
	remote_sender_free(s); /* returns: the retrying round is aborted after the deadline */
	wal_close(w, &e);
	fake_stop(&f);
}

const struct test tests_rw_metadata[] = {
	{"rw_metadata_dedup", rw_metadata_dedup},
	{"rw_metadata_batches", rw_metadata_batches},
	{"rw_metadata_failures", rw_metadata_failures},
	{NULL, NULL},
};
