/*
 * flinttool_sd.c - `flinttool check service-discovery [--timeout=30s]
 * CONFIG JOB`, promtool's CheckSD (cmd/promtool/sd.go): run the job's
 * service discovery for --timeout, then print every target it found as
 * promtool 3.x does, a JSON array indented by two spaces (Go's
 * json.MarshalIndent, no newline at the end):
 *
 *   [
 *     {
 *       "discoveredLabels": {"__address__": ..., "job": ..., ...},
 *       "labels": {... after relabeling, __meta_* gone, instance set ...},
 *       "error": {}                       (when the target is invalid)
 *     }
 *   ]
 *
 * "labels" is {} for a target relabeling drops and for an invalid one (a Go
 * error marshals as {}). Discovery is flint's own (scrape/discovery.h: the
 * providers and their refresh thread); each target is populated by the
 * scrape module (scrape_target_populate: group and target labels, job
 * defaults, relabel_configs), as the scrape manager does. Like promtool,
 * it waits the whole timeout and reports every distinct result seen
 * during it.
 *
 * Errors: "Cannot load config <reason>", or "Job X not found. Select one
 * of:" and the job names, on stderr, exit 1.
 */
#include "cmd/flinttool.h"
#include "cmd/flinttool_tsdb.h"
#include "lib/json.h"
#include "lib/log.h"
#include "scrape/discovery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS 50 /* how often the discovery's generation is polled */

/* One line of promtool's output. */
typedef struct sd_result {
	labels discovered; /* before relabeling */
	labels labels;     /* after, or empty */
	bool error;        /* the target is invalid */
} sd_result;

typedef struct sd_run {
	const scrape_job_config *job; /* the job checked */
	arena a;                      /* results' labels */
	sd_result *v;                 /* distinct results, in discovery order */
	size_t n, cap;
	bool oom;                     /* a result was lost */
} sd_run;

static bool same_result(const sd_result *x, const sd_result *y)
{
	return x->error == y->error && labels_equal(x->discovered, y->discovered) && labels_equal(x->labels, y->labels);
}

/* discovery_visit's callback: populate one target, keep a new result. */
static int add_target(void *ctx, labels group, labels target)
{
	sd_run *r = ctx;
	scrape_target_def def;
	labels disc = {0};
	err e;
	err_clear(&e);
	int rc = scrape_target_populate(r->job, group, target, &r->a, &def, &disc, &e);
	sd_result res = {disc, rc > 0 ? def.all : (labels){0}, rc < 0};
	for (size_t i = 0; i < r->n; i++)
		if (same_result(&r->v[i], &res))
			return 0;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		sd_result *g = fl_realloc(r->v, nc * sizeof *g);
		if (!g) {
			r->oom = true;
			return 0;
		}
		r->v = g;
		r->cap = nc;
	}
	r->v[r->n++] = res;
	return 0;
}

/* `"k": "v"` lines of ls at indent, as json.MarshalIndent writes a map. */
static void put_labels(buf *b, labels ls, const char *indent)
{
	if (!ls.n) {
		buf_put_str(b, "{}");
		return;
	}
	buf_put_str(b, "{\n");
	for (size_t i = 0; i < ls.n; i++) {
		buf_printf(b, "%s  ", indent);
		json_put_string(b, ls.v[i].name, strlen(ls.v[i].name));
		buf_put_str(b, ": ");
		json_put_string(b, ls.v[i].value, strlen(ls.v[i].value));
		buf_put_str(b, i + 1 < ls.n ? ",\n" : "\n");
	}
	buf_printf(b, "%s}", indent);
}

static void print_results(const sd_run *r)
{
	buf b;
	buf_init(&b);
	buf_put_str(&b, r->n ? "[\n" : "[]");
	for (size_t i = 0; i < r->n; i++) {
		buf_put_str(&b, "  {\n    \"discoveredLabels\": ");
		put_labels(&b, r->v[i].discovered, "    ");
		buf_put_str(&b, ",\n    \"labels\": ");
		put_labels(&b, r->v[i].labels, "    ");
		if (r->v[i].error)
			buf_put_str(&b, ",\n    \"error\": {}");
		buf_put_str(&b, i + 1 < r->n ? "\n  },\n" : "\n  }\n");
	}
	if (r->n)
		buf_put_byte(&b, ']');
	fwrite(b.p, 1, b.len, stdout);
	fflush(stdout);
	buf_reset(&b);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Discover job j of c for timeout_ms, collecting results in r. Only that
 * job's providers run, as promtool starts only its discoverers. */
static int discover(const scrape_config *c, size_t j, int64_t timeout_ms, sd_run *r)
{
	err e;
	err_clear(&e);
	scrape_config one = *c; /* a view: freed with c, never on its own */
	one.jobs = &c->jobs[j];
	one.n_jobs = 1;
	discovery *d = discovery_new(&e);
	if (!d || discovery_apply(d, &one, &e)) {
		fprintf(stderr, "Could not create new discoverer %s\n", e.msg);
		discovery_free(d);
		return 1;
	}
	uint64_t seen = 0;
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		uint64_t g = discovery_generation(d);
		if (g != seen) {
			seen = g;
			discovery_visit(d, 0, add_target, r);
		}
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			break;
		struct timespec ts = {0, (long)FL_MIN(left, POLL_MS) * 1000000L};
		nanosleep(&ts, NULL);
	}
	discovery_free(d);
	return 0;
}

/* The work of check service-discovery; exit status. */
static int check_sd(const char *path, const char *job, int64_t timeout_ms)
{
	err e;
	err_clear(&e);
	log_set_level(LOG_ERROR);
	scrape_config *c = scrape_config_load(path, &e);
	if (!c) {
		fprintf(stderr, "Cannot load config %s\n", e.msg);
		return 1;
	}
	size_t j = 0;
	while (j < c->n_jobs && strcmp(c->jobs[j].job_name, job))
		j++;
	if (j == c->n_jobs) {
		fprintf(stderr, "Job %s not found. Select one of:\n", job);
		for (size_t i = 0; i < c->n_jobs; i++)
			fprintf(stderr, "\t%s\n", c->jobs[i].job_name);
		scrape_config_free(c);
		return 1;
	}
	sd_run r = {.job = &c->jobs[j]};
	arena_init(&r.a);
	int rc = discover(c, j, timeout_ms, &r);
	if (rc == 0 && r.oom) {
		fprintf(stderr, "out of memory\n");
		rc = 1;
	}
	if (rc == 0)
		print_results(&r);
	fl_free(r.v);
	arena_reset(&r.a);
	scrape_config_free(c);
	return rc;
}

const cli_flag flinttool_check_sd_flags[] = {
	{"timeout", 0, "30s", "The time to wait for discovery results.", NULL, 0},
	{0},
};
const cli_arg flinttool_check_sd_args[] = {
	{"config-file", "The prometheus config file.", CLI_REQUIRED},
	{"job", "The job to run service discovery for.", CLI_REQUIRED},
	{0},
};

int flinttool_check_sd(const cli_ctx *c)
{
	const char *config = cli_arg_value(c, "config-file"), *timeout = cli_str(c, "timeout");
	int64_t ns;
	if (!flinttool_go_parse_duration(timeout ? timeout : "30s", &ns))
		return cli_usage_error("time: invalid duration \"%s\"", timeout);
	if (flinttool_existing_files(&config, 1))
		return 1;
	return check_sd(config, cli_arg_value(c, "job"), ns / 1000000);
}
