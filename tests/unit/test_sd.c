/* test_sd.c - scrape/discovery.c and its providers: static targets with
 * dropped ones, file_sd (JSON and YAML, re-read on change, a broken file
 * keeps its groups), http_sd against a loopback server started here,
 * dns_sd A/AAAA of "localhost", SRV and MX answers parsed from messages
 * built here (a lookup through resolv.conf's servers is not tested: that
 * needs a DNS server), and the self-metrics. */
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scrape/discovery.h"
#include "scrape/sd_int.h"
#include "tests/unit/test.h"

static scrape_config *load(const char *y)
{
	err e;
	scrape_config *c = scrape_config_parse(y, strlen(y), "sd.yml", &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	return c;
}

static void write_file(const char *path, const char *text)
{
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
	ASSERT(rename(tmp, path) == 0);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static const scrape_target_def *find(const scrape_pool_targets *p, const char *addr)
{
	for (size_t i = 0; i < p->n_active; i++)
		if (!strcmp(labels_get(p->active[i].all, "__address__"), addr))
			return &p->active[i];
	return NULL;
}

/* Wait (bounded: 8 s) until job 0 has want active targets, addr among
 * them (unless NULL); returns the snapshot. */
static scrape_pool_targets *wait_for(discovery *d, arena *a, size_t want, const char *addr)
{
	for (int i = 0; i < 160; i++) {
		scrape_pool_targets *p;
		size_t n;
		err e;
		arena_reset(a);
		arena_init(a);
		ASSERT_EQ(discovery_snapshot(d, a, &p, &n, &e), 0);
		if (n && p[0].n_active == want && (!addr || find(&p[0], addr)))
			return p;
		sleep_ms(50);
	}
	test_fail(__FILE__, __LINE__, "no snapshot with %zu active targets", want);
}

#define wait_active(d, a, want) wait_for(d, a, want, NULL)

static double metric(discovery *d, const char *name)
{
	buf b;
	buf_init(&b);
	discovery_metrics(d, &b);
	const char *s = buf_cstr(&b);
	double v = -1;
	for (const char *p = strstr(s, name); p; p = strstr(p + 1, name))
		if ((p == s || p[-1] == '\n') && (p[strlen(name)] == ' ' || p[strlen(name)] == '{')) {
			const char *sp = strchr(p, ' ');
			v = atof(sp + 1);
			break;
		}
	buf_reset(&b);
	return v;
}

static void sd_static_dropped_and_dedup(void)
{
	scrape_config *c = load("scrape_configs:\n- job_name: s\n  keep_dropped_targets: 1\n"
				"  static_configs:\n  - targets: ['a:1', 'a:1', 'drop1:1', 'drop2:1', 'b:1']\n    labels: {env: prod}\n"
				"  relabel_configs: [{source_labels: [__address__], regex: 'drop.*', action: drop}]\n");
	err e;
	discovery *d = discovery_new(&e);
	ASSERT(d != NULL);
	uint64_t g0 = discovery_generation(d);
	ASSERT_EQ(discovery_apply(d, c, &e), 0);
	ASSERT(discovery_generation(d) > g0);
	arena a;
	arena_init(&a);
	scrape_pool_targets *p = wait_active(d, &a, 2); /* a:1 twice is one target */
	ASSERT_STR_EQ(p[0].job, "s");
	ASSERT(p[0].cfg == &c->jobs[0]);
	ASSERT_STR_EQ(labels_get(p[0].active[0].labels, "env"), "prod");
	ASSERT_EQ(p[0].n_dropped_total, 2);
	ASSERT_EQ(p[0].n_dropped, 1); /* keep_dropped_targets */
	ASSERT_STR_EQ(labels_get(p[0].dropped[0], "__address__"), "drop1:1");
	ASSERT(metric(d, "prometheus_sd_discovered_targets") == 5);
	/* a reload replaces the targets; a job that went away goes from the snapshot */
	scrape_config *c2 = load("scrape_configs:\n- job_name: t\n  static_configs: [{targets: ['c:1']}]\n"
				 "- job_name: \"q\\\"uote\"\n");
	ASSERT_EQ(discovery_apply(d, c2, &e), 0);
	scrape_config_free(c); /* the caller may free the old config once apply returned */
	p = wait_active(d, &a, 1);
	ASSERT_STR_EQ(p[0].job, "t");
	ASSERT_STR_EQ(labels_get(p[0].active[0].labels, "instance"), "c:1");
	buf m;
	buf_init(&m);
	discovery_metrics(d, &m);
	ASSERT(strstr(buf_cstr(&m), "prometheus_sd_discovered_targets{config=\"q\\\"uote\",name=\"scrape\"} 0\n"));
	ASSERT(!strstr(buf_cstr(&m), "config=\"s\""));
	buf_reset(&m);
	arena_reset(&a);
	discovery_free(d);
	scrape_config_free(c2);
}

/* discovery_visit: one job's raw groups, before population, in order. */
typedef struct visit_seen {
	char addr[8][32]; /* __address__ of each target visited */
	char env[8][32];  /* the group's env label */
	int n;            /* targets visited */
	int stop_at;      /* return 7 at this visit (0: never) */
} visit_seen;

static int visit_one(void *ctx, labels group, labels target)
{
	visit_seen *v = ctx;
	const char *a = labels_get(target, "__address__"), *env = labels_get(group, "env");
	if (v->n < 8) {
		snprintf(v->addr[v->n], sizeof v->addr[0], "%s", a ? a : "");
		snprintf(v->env[v->n], sizeof v->env[0], "%s", env ? env : "");
	}
	v->n++;
	return v->n == v->stop_at ? 7 : 0;
}

static void sd_visit_raw_groups(void)
{
	scrape_config *c = load("scrape_configs:\n- job_name: a\n  static_configs: [{targets: ['x:1']}]\n"
				"- job_name: b\n  static_configs:\n  - targets: ['drop:1', 'k:1']\n    labels: {env: prod}\n"
				"  - targets: ['m:1']\n"
				"  relabel_configs: [{source_labels: [__address__], regex: 'drop.*', action: drop}]\n");
	err e;
	discovery *d = discovery_new(&e);
	ASSERT_EQ(discovery_apply(d, c, &e), 0);
	arena a;
	arena_init(&a);
	wait_active(d, &a, 1);
	visit_seen v = {0};
	ASSERT_EQ(discovery_visit(d, 1, visit_one, &v), 0);
	ASSERT_EQ(v.n, 3); /* the dropped target too: nothing is relabeled yet */
	ASSERT_STR_EQ(v.addr[0], "drop:1");
	ASSERT_STR_EQ(v.env[0], "prod");
	ASSERT_STR_EQ(v.addr[2], "m:1");
	ASSERT_STR_EQ(v.env[2], "");
	visit_seen w = {.stop_at = 2};
	ASSERT_EQ(discovery_visit(d, 1, visit_one, &w), 7);
	ASSERT_EQ(w.n, 2);
	visit_seen none = {0};
	ASSERT_EQ(discovery_visit(d, 5, visit_one, &none), 0);
	ASSERT_EQ(none.n, 0);
	arena_reset(&a);
	discovery_free(d);
	scrape_config_free(c);
}

static void sd_file_json_yaml_reread(void)
{
	char dir[512], js[600], ym[600], y[2048];
	snprintf(dir, sizeof dir, "%s", test_tmpdir());
	snprintf(js, sizeof js, "%s/t.json", dir);
	snprintf(ym, sizeof ym, "%s/t.yml", dir);
	write_file(js, "[{\"targets\": [\"j1:1\", \"j2:1\"], \"labels\": {\"src\": \"json\", \"__meta_k\": \"v\"}},\n"
		       "\t{\"targets\": [\"j3:1\"], \"unknown\": 1}]\n");
	write_file(ym, "- targets: ['y1:1']\n  labels: {src: yaml}\n");
	snprintf(y, sizeof y, "scrape_configs:\n- job_name: f\n  file_sd_configs: [{files: ['%s/*.json', '%s/t.yml']}]\n",
		 dir, dir);
	scrape_config *c = load(y);
	err e;
	discovery *d = discovery_new(&e);
	ASSERT_EQ(discovery_apply(d, c, &e), 0);
	arena a;
	arena_init(&a);
	scrape_pool_targets *p = wait_active(d, &a, 4);
	const scrape_target_def *t = find(&p[0], "j1:1");
	ASSERT(t != NULL);
	ASSERT_STR_EQ(labels_get(t->labels, "src"), "json");
	ASSERT_STR_EQ(labels_get(t->discovered, "__meta_filepath"), js);
	ASSERT_STR_EQ(labels_get(t->discovered, "__meta_k"), "v");
	ASSERT(labels_get(t->all, "__meta_filepath") == NULL);
	t = find(&p[0], "y1:1");
	ASSERT(t != NULL);
	ASSERT_STR_EQ(labels_get(t->labels, "src"), "yaml");
	ASSERT_STR_EQ(labels_get(t->discovered, "__meta_filepath"), ym);
	/* a change is seen without waiting for refresh_interval (5m) */
	write_file(js, "[{\"targets\": [\"j1:1\", \"j9:1\", \"j10:1\"]}]");
	p = wait_for(d, &a, 4, "j10:1");
	ASSERT(find(&p[0], "j10:1") != NULL);
	ASSERT(find(&p[0], "j2:1") == NULL);
	ASSERT(metric(d, "prometheus_sd_file_read_errors_total") == 0);
	/* a broken file keeps its previous groups and counts an error */
	write_file(js, "[{\"targets\": [\"x:1\"");
	for (int i = 0; i < 160 && metric(d, "prometheus_sd_file_read_errors_total") < 1; i++)
		sleep_ms(50);
	ASSERT(metric(d, "prometheus_sd_file_read_errors_total") >= 1);
	p = wait_active(d, &a, 4);
	ASSERT(find(&p[0], "j10:1") != NULL);
	/* a YAML file refuses unknown keys; a removed file loses its targets */
	write_file(ym, "- targets: ['y2:1']\n  bogus: 1\n");
	ASSERT(unlink(js) == 0);
	p = wait_for(d, &a, 1, "y1:1");
	arena_reset(&a);
	discovery_free(d);
	scrape_config_free(c);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
	ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static void sd_http_loopback_server(void)
{
	char dir[512], path[600], y[2048], portstr[16];
	snprintf(dir, sizeof dir, "%s", test_tmpdir());
	snprintf(path, sizeof path, "%s/sd.json", dir);
	write_file(path, "[{\"targets\": [\"h1:1\", \"h2:1\"], \"labels\": {\"dc\": \"x\"}}]");
	snprintf(path, sizeof path, "%s/sd.txt", dir);
	write_file(path, "[]");
	int port = free_port();
	snprintf(portstr, sizeof portstr, "%d", port);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1), dup2(null, 2);
		execlp("python3", "python3", "-m", "http.server", portstr, "--bind", "127.0.0.1", "--directory", dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port_open(port); i++)
		sleep_ms(50);
	ASSERT(port_open(port));
	snprintf(y, sizeof y,
		 "scrape_configs:\n- job_name: h\n  http_sd_configs:\n  - url: http://127.0.0.1:%d/sd.json\n"
		 "  - url: http://127.0.0.1:%d/missing.json\n  - url: http://127.0.0.1:%d/sd.txt\n",
		 port, port, port);
	scrape_config *c = load(y);
	err e;
	discovery *d = discovery_new(&e);
	ASSERT_EQ(discovery_apply(d, c, &e), 0);
	arena a;
	arena_init(&a);
	scrape_pool_targets *p = wait_active(d, &a, 2);
	const scrape_target_def *t = find(&p[0], "h1:1");
	ASSERT(t != NULL);
	ASSERT_STR_EQ(labels_get(t->labels, "dc"), "x");
	char url[100];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/sd.json", port);
	ASSERT_STR_EQ(labels_get(t->discovered, "__meta_url"), url);
	for (int i = 0; i < 160 && metric(d, "prometheus_sd_http_failures_total") < 2; i++)
		sleep_ms(50);
	ASSERT(metric(d, "prometheus_sd_http_failures_total") == 2); /* 404 and text/plain */
	/* a reload with the same block keeps its groups at once */
	scrape_config *c2 = load(y);
	ASSERT_EQ(discovery_apply(d, c2, &e), 0);
	scrape_pool_targets *p2;
	size_t n;
	ASSERT_EQ(discovery_snapshot(d, &a, &p2, &n, &e), 0);
	ASSERT_EQ(p2[0].n_active, 2);
	ASSERT(p2[0].cfg == &c2->jobs[0]);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	arena_reset(&a);
	discovery_free(d);
	scrape_config_free(c);
	scrape_config_free(c2);
}

static void sd_dns_localhost(void)
{
	scrape_config *c = load("scrape_configs:\n- job_name: d\n  dns_sd_configs: [{names: [localhost], type: A, port: 9100}]\n");
	err e;
	discovery *d = discovery_new(&e);
	ASSERT_EQ(discovery_apply(d, c, &e), 0);
	arena a;
	arena_init(&a);
	scrape_pool_targets *p = wait_active(d, &a, 1);
	ASSERT_STR_EQ(labels_get(p[0].active[0].all, "__address__"), "127.0.0.1:9100");
	ASSERT_STR_EQ(labels_get(p[0].active[0].discovered, "__meta_dns_name"), "localhost");
	ASSERT(metric(d, "prometheus_sd_dns_lookups_total") >= 1);
	ASSERT(metric(d, "prometheus_sd_dns_lookup_failures_total") == 0);
	arena_reset(&a);
	discovery_free(d);
	scrape_config_free(c);
	/* AAAA, where ::1 resolves (a host without IPv6 answers nothing: zero targets, no failure) */
	c = load("scrape_configs:\n- job_name: d\n  dns_sd_configs: [{names: [localhost], type: AAAA, port: 9100}]\n");
	sd_groups g;
	sd_groups_init(&g);
	uint64_t lookups = 0, failures = 0;
	ASSERT_EQ(sd_dns_refresh(&c->jobs[0].sd.dns_sd[0], &g, &lookups, &failures, &e), 0);
	ASSERT_EQ(lookups, 1);
	ASSERT_EQ(failures, 0);
	ASSERT_EQ(g.n, 1);
	if (g.v[0].n_targets)
		ASSERT_STR_EQ(labels_get(g.v[0].targets[0], "__address__"), "[::1]:9100");
	sd_groups_reset(&g);
	scrape_config_free(c);
}

/* A DNS message: header, the question, then answers (type, rdata). */
static size_t dns_name(unsigned char *p, const char *name)
{
	size_t n = 0;
	while (*name) {
		size_t l = strcspn(name, ".");
		p[n++] = (unsigned char)l;
		memcpy(p + n, name, l);
		n += l, name += l;
		if (*name == '.')
			name++;
	}
	p[n++] = 0;
	return n;
}

static size_t dns_answer(unsigned char *p, size_t n, int type, const unsigned char *rd, size_t rdlen)
{
	static const unsigned char head[] = {0xC0, 0x0C}; /* the question's name */
	memcpy(p + n, head, 2);
	n += 2;
	p[n++] = 0, p[n++] = (unsigned char)type, p[n++] = 0, p[n++] = 1; /* type, class IN */
	p[n++] = 0, p[n++] = 0, p[n++] = 0, p[n++] = 60;                  /* ttl */
	p[n++] = (unsigned char)(rdlen >> 8), p[n++] = (unsigned char)rdlen;
	memcpy(p + n, rd, rdlen);
	return n + rdlen;
}

/* SRV and MX answers (no DNS server needed: the parser of res_nsearch's
 * answer, directly); a CNAME among them is skipped, as in Prometheus. */
static void sd_dns_srv_mx_answers(void)
{
	unsigned char msg[512], rd[300];
	static const unsigned char hdr[] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0};
	size_t n = sizeof hdr;
	memcpy(msg, hdr, n);
	n += dns_name(msg + n, "_prom._tcp.example.com");
	msg[n++] = 0, msg[n++] = 33, msg[n++] = 0, msg[n++] = 1;
	size_t r = 0;
	rd[r++] = 0, rd[r++] = 10, rd[r++] = 0, rd[r++] = 5, rd[r++] = 0x23, rd[r++] = 0x84; /* prio 10, weight 5, port 9092 */
	r += dns_name(rd + r, "node1.example.com");
	n = dns_answer(msg, n, 33, rd, r);
	r = dns_name(rd, "alias.example.com");
	n = dns_answer(msg, n, 5, rd, r); /* CNAME */
	r = 6;
	rd[4] = 0x1F, rd[5] = 0x90; /* port 8080 */
	r += dns_name(rd + r, "node2.example.com");
	n = dns_answer(msg, n, 33, rd, r);
	scrape_dns_sd d = {.type = "SRV"};
	sd_groups g;
	sd_groups_init(&g);
	sd_group grp = {0};
	err e;
	ASSERT_EQ(sd_dns_parse_answer(msg, (int)n, &d, "_prom._tcp.example.com", &g, &grp, &e), 0);
	ASSERT_EQ(grp.n_targets, 2);
	ASSERT_STR_EQ(labels_get(grp.targets[0], "__address__"), "node1.example.com:9092");
	ASSERT_STR_EQ(labels_get(grp.targets[0], "__meta_dns_srv_record_target"), "node1.example.com.");
	ASSERT_STR_EQ(labels_get(grp.targets[0], "__meta_dns_srv_record_port"), "9092");
	ASSERT_STR_EQ(labels_get(grp.targets[0], "__meta_dns_name"), "_prom._tcp.example.com");
	ASSERT(labels_get(grp.targets[0], "__meta_dns_mx_record_target") == NULL);
	ASSERT_STR_EQ(labels_get(grp.targets[1], "__address__"), "node2.example.com:8080");
	sd_groups_reset(&g);
	/* MX: the config's port; the answer's exchange */
	n = sizeof hdr;
	memcpy(msg, hdr, n);
	msg[7] = 1;
	n += dns_name(msg + n, "example.com");
	msg[n++] = 0, msg[n++] = 15, msg[n++] = 0, msg[n++] = 1;
	rd[0] = 0, rd[1] = 10;
	r = 2 + dns_name(rd + 2, "mail.example.com");
	n = dns_answer(msg, n, 15, rd, r);
	scrape_dns_sd mx = {.type = "MX", .port = 25};
	sd_groups_init(&g);
	memset(&grp, 0, sizeof grp);
	ASSERT_EQ(sd_dns_parse_answer(msg, (int)n, &mx, "example.com", &g, &grp, &e), 0);
	ASSERT_EQ(grp.n_targets, 1);
	ASSERT_STR_EQ(labels_get(grp.targets[0], "__address__"), "mail.example.com:25");
	ASSERT_STR_EQ(labels_get(grp.targets[0], "__meta_dns_mx_record_target"), "mail.example.com.");
	sd_groups_reset(&g);
	/* garbage is an error, not a crash */
	sd_groups_init(&g);
	memset(&grp, 0, sizeof grp);
	ASSERT(sd_dns_parse_answer(msg, 5, &mx, "example.com", &g, &grp, &e) != 0);
	sd_groups_reset(&g);
}

/* The one parser of file_sd and http_sd documents, directly. */
static void sd_groups_parse_cases(void)
{
	static const struct { const char *doc; bool strict; int groups; const char *err; } cases[] = {
		{"[]", false, 0, NULL},
		{"", true, 0, NULL},
		{"[{\"targets\": [\"a:1\"], \"labels\": {\"x\": \"\\u00e9\"}}]", false, 1, NULL},
		{"[null]", false, 0, "doc:1: nil target group item found"},
		{"{\"targets\": []}", false, 0, "doc:1: expected a list of target groups"},
		{"[{\"targets\": [\"a:1\"], \"labels\": {\"\": \"v\"}}]", false, 0, "doc:1: \"\" is not a valid label name"},
		{"- targets: [a]\n  x: 1\n", true, 0, NULL},
		{"- targets: [a]\n  x: 1\n", false, 1, NULL},
		{"[{\"targets\": [[1]]}]", false, 0, "doc:1: targets must be a list of strings"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		sd_groups g;
		sd_groups_init(&g);
		err e;
		err_clear(&e);
		int rc = sd_groups_parse(&g, cases[i].doc, strlen(cases[i].doc), "doc", cases[i].strict, "__meta_m", "v", &e);
		bool want_err = cases[i].err || (cases[i].strict && cases[i].groups == 0 && *cases[i].doc);
		if ((rc != 0) != want_err)
			fprintf(stderr, "case %zu: rc %d %s\n", i, rc, rc ? e.msg : "");
		ASSERT((rc != 0) == want_err);
		if (cases[i].err)
			ASSERT_STR_EQ(e.msg, cases[i].err);
		if (!rc) {
			ASSERT_EQ(g.n, cases[i].groups);
			for (size_t k = 0; k < g.n; k++)
				ASSERT_STR_EQ(labels_get(g.v[k].labels, "__meta_m"), "v");
		}
		sd_groups_reset(&g);
	}
}

const struct test tests_sd[] = {
	{"sd_groups_parse_cases", sd_groups_parse_cases},
	{"sd_static_dropped_and_dedup", sd_static_dropped_and_dedup},
	{"sd_visit_raw_groups", sd_visit_raw_groups},
	{"sd_file_json_yaml_reread", sd_file_json_yaml_reread},
	{"sd_http_loopback_server", sd_http_loopback_server},
	{"sd_dns_localhost", sd_dns_localhost},
	{"sd_dns_srv_mx_answers", sd_dns_srv_mx_answers},
	{NULL, NULL},
};
