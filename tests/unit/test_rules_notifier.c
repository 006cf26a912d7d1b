/* test_rules_notifier.c - the Alertmanager notifier (rules/notifier.c)
 * against a one-shot HTTP server on loopback: the POSTed JSON (external
 * labels, alert_relabel_configs of both levels, generatorURL, times), the
 * discovered and dropped Alertmanagers, the bounded queue's drops, and an
 * unreachable Alertmanager not blocking the sender. */
#include "rules/notifier.h"
#include "tests/unit/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct fake_am {
	int fd, port;
	char req[65536]; /* the request as received */
	size_t len;
	pthread_t th;
} fake_am;

static void *serve(void *arg)
{
	fake_am *f = arg;
	int c = accept(f->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	/* read headers, then Content-Length bytes of body */
	size_t need = SIZE_MAX;
	while (f->len < sizeof f->req - 1 && f->len < need) {
		ssize_t r = read(c, f->req + f->len, sizeof f->req - 1 - f->len);
		if (r <= 0)
			break;
		f->len += (size_t)r;
		f->req[f->len] = 0;
		char *end = strstr(f->req, "\r\n\r\n");
		char *cl = strcasestr(f->req, "Content-Length:");
		if (end && cl)
			need = (size_t)(end + 4 - f->req) + strtoul(cl + 15, NULL, 10);
	}
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	ssize_t w = write(c, resp, strlen(resp));
	(void)w;
	close(c);
	return NULL;
}

static void fake_start(fake_am *f)
{
	memset(f, 0, sizeof *f);
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ASSERT_EQ(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
	ASSERT_EQ(listen(f->fd, 4), 0);
	socklen_t l = sizeof a;
	getsockname(f->fd, (struct sockaddr *)&a, &l);
	f->port = ntohs(a.sin_port);
	pthread_create(&f->th, NULL, serve, f);
}

static scrape_config *config(const char *yaml)
{
	err e;
	err_clear(&e);
	scrape_config *c = scrape_config_parse(yaml, strlen(yaml), "t.yml", &e);
	if (!c)
		test_fail(__FILE__, __LINE__, "config: %s", e.msg);
	return c;
}

static uint64_t metric(notifier *n, const char *name)
{
	buf b;
	buf_init(&b);
	notifier_metrics(n, &b);
	char line[512];
	snprintf(line, sizeof line, "\n%s", name); /* the sample, not the HELP line */
	const char *p = strstr(buf_cstr(&b), line);
	uint64_t v = p ? strtoull(p + strlen(line), NULL, 10) : UINT64_MAX;
	buf_reset(&b);
	return v;
}

static void posts_alerts_as_v2(void)
{
	fake_am am;
	fake_start(&am);
	char y[1024];
	snprintf(y, sizeof y,
		 "global: {external_labels: {site: eu, severity: none}}\n"
		 "alerting:\n"
		 "  alert_relabel_configs: [{action: labeldrop, regex: tmp}]\n"
		 "  alertmanagers:\n"
		 "  - static_configs: [{targets: ['127.0.0.1:%d', 'drop.me:1']}]\n"
		 "    path_prefix: /am/\n"
		 "    relabel_configs: [{source_labels: [__address__], regex: 'drop.*', action: drop}]\n"
		 "    alert_relabel_configs: [{target_label: via, replacement: set1}]\n",
		 am.port);
	scrape_config *c = config(y);
	err e;
	notifier *n = notifier_new(100, "http://flint:9090", &e);
	ASSERT(n);
	ASSERT_EQ(notifier_apply(n, c, &e), 0);
	arena a;
	arena_init(&a);
	const char **act, **drop;
	size_t na, nd;
	notifier_alertmanagers(n, &a, &act, &na, &drop, &nd);
	ASSERT_EQ(na, 1);
	ASSERT_EQ(nd, 1);
	char want[256];
	snprintf(want, sizeof want, "http://127.0.0.1:%d/am/api/v2/alerts", am.port);
	ASSERT_STR_EQ(act[0], want);
	ASSERT_STR_EQ(drop[0], "http://drop.me:1/am/api/v2/alerts");
	arena_reset(&a);
	label ls[4] = {{"alertname", "A"}, {"job", "j"}, {"severity", "page"}, {"tmp", "x"}};
	label an[1] = {{"summary", "s \"q\""}};
	rule_notify_alert al = {{ls, 4}, {an, 1}, 1700000000000LL, 1700000240500LL};
	notifier_send(n, "up > 0", &al, 1);
	pthread_join(am.th, NULL);
	ASSERT(strstr(am.req, "POST /am/api/v2/alerts HTTP/1.1") == am.req);
	ASSERT(strcasestr(am.req, "Content-Type: application/json") != NULL);
	const char *body = strstr(am.req, "\r\n\r\n") + 4;
	ASSERT_STR_EQ(body, "[{\"labels\":{\"alertname\":\"A\",\"job\":\"j\",\"severity\":\"page\",\"site\":\"eu\",\"via\":\"set1\"},"
			    "\"annotations\":{\"summary\":\"s \\\"q\\\"\"},\"startsAt\":\"2023-11-14T22:13:20.000Z\","
			    "\"endsAt\":\"2023-11-14T22:17:20.500Z\","
			    "\"generatorURL\":\"http://flint:9090/graph?g0.expr=up+%3E+0\\u0026g0.tab=1\"}]"); /* Go's json escapes & */
	snprintf(want, sizeof want, "prometheus_notifications_sent_total{alertmanager=\"http://127.0.0.1:%d/am/api/v2/alerts\"} ",
		 am.port);
	uint64_t sent = 0;
	for (int i = 0; i < 200 && sent != 1; i++) {
		sent = metric(n, want);
		usleep(10000);
	}
	ASSERT_EQ(sent, 1);
	snprintf(want, sizeof want,
		 "prometheus_notifications_latency_seconds_count{alertmanager=\"http://127.0.0.1:%d/am/api/v2/alerts\"} ",
		 am.port);
	ASSERT_EQ(metric(n, want), 1);
	buf mb;
	buf_init(&mb);
	notifier_metrics(n, &mb);
	snprintf(want, sizeof want,
		 "prometheus_notifications_latency_seconds{alertmanager=\"http://127.0.0.1:%d/am/api/v2/alerts\",quantile=\"0.99\"} ",
		 am.port);
	ASSERT(strstr(buf_cstr(&mb), want) != NULL);
	buf_reset(&mb);
	ASSERT_EQ(metric(n, "prometheus_notifications_alertmanagers_discovered "), 1);
	ASSERT_EQ(metric(n, "prometheus_notifications_dropped_total "), 0);
	notifier_free(n);
	close(am.fd);
	scrape_config_free(c);
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A black-hole Alertmanager (accepts, never answers) and a full queue:
 * send returns at once, overflow drops the oldest, counted. */
static void slow_alertmanager_and_full_queue(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ASSERT_EQ(listen(fd, 4), 0);
	socklen_t l = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &l);
	char y[512];
	snprintf(y, sizeof y, "alerting:\n  alertmanagers:\n  - static_configs: [{targets: ['127.0.0.1:%d']}]\n    timeout: 2s\n",
		 ntohs(a.sin_port));
	scrape_config *c = config(y);
	err e;
	notifier *n = notifier_new(5, "", &e);
	ASSERT_EQ(notifier_apply(n, c, &e), 0);
	label ls[1] = {{"alertname", "A"}};
	rule_notify_alert al[8];
	for (int i = 0; i < 8; i++)
		al[i] = (rule_notify_alert){{ls, 1}, {NULL, 0}, 1000, 2000};
	int64_t t0 = now_ms();
	notifier_send(n, "x", al, 1); /* the sender takes it and hangs on the black hole */
	usleep(100000);
	for (int i = 0; i < 3; i++)
		notifier_send(n, "x", al, 8);
	ASSERT(now_ms() - t0 < 1000); /* never waited for the network */
	ASSERT_EQ(metric(n, "prometheus_notifications_queue_length "), 5);
	ASSERT_EQ(metric(n, "prometheus_notifications_queue_capacity "), 5);
	ASSERT_EQ(metric(n, "prometheus_notifications_dropped_total "), 19);
	notifier_free(n); /* waits out the request in flight (timeout 2s) */
	close(fd);
	scrape_config_free(c);
}

const struct test tests_rules_notifier[] = {
	{"posts_alerts_as_v2", posts_alerts_as_v2},
	{"slow_alertmanager_and_full_queue", slow_alertmanager_and_full_queue},
	{NULL, NULL},
};
