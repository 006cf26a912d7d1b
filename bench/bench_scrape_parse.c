/*
 * bench_scrape_parse.c - exposition parsing figures for `make bench`
 * (printed, not asserted), on a real page: node_exporter 1.5.0's /metrics
 * (conformance/exposition/node-exporter-1.5.0.txt, text 0.0.4, ~500
 * samples, 57 KB) under $FLINT_SHARED (default ../shared):
 *   1. parse: every entry, value and timestamp read, no labels built;
 *   2. parse + labels: textparse_labels for every sample (the path of a
 *      scrape whose cache misses);
 *   3. parse + append into a head, as a steady scrape does it: the series
 *      bytes (textparse_series) find the series ref in a cache, so a
 *      known series costs no label building and no hashing of labels,
 *      then append by ref and commit once per page;
 *   4. the same page as OpenMetrics (untyped spelt unknown, "# EOF"
 *      added), parse + labels, lenient;
 *   5. the scrape loop itself (scrape_loop_scrape: the scrape cache, whose
 *      previous page guides the parser, staleness, the report series)
 *      on the steady text page, one head commit per page.
 * Figures are samples per CPU-second (getrusage user+sys) over
 * BENCH_SCRAPE_ROUNDS pages (default 4000, about 2 million samples).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "lib/hash.h"
#include "lib/map.h"
#include "scrape/loop.h"
#include "scrape/textparse.h"
#include "tsdb/head.h"
#include "bench/bench_clock.h"


/* The scrape cache: series bytes -> head ref (Prometheus's scrapeCache). */
typedef struct cache_e {
	uint32_t tag;   /* 1: used */
	uint32_t len;   /* series bytes */
	uint64_t hash;  /* of the series bytes */
	const char *p;  /* series bytes, in the page (which outlives the cache) */
	series_ref ref; /* head ref */
} cache_e;

static uint64_t cache_hash(const void *e) { return ((const cache_e *)e)->hash; }
static bool cache_eq(const void *e, const void *k)
{
	const cache_e *c = e;
	const slice *s = k;
	return c->len == s->len && !memcmp(c->p, s->p, s->len);
}
static const map_type cache_type = {sizeof(cache_e), 1024, cache_hash, cache_eq};

/* What a pass does with each sample. */
typedef struct sink {
	int mode;    /* 0 parse only, 1 + labels, 2 + append into h */
	head *h;     /* mode 2: the head */
	map *cache;  /* mode 2: series bytes -> ref */
	int64_t t;   /* mode 2: the scrape's timestamp */
} sink;

/* mode 2: the sample through the cache into a. */
static int append(textparse *p, const sink *sk, appender *a, double v, err *e)
{
	slice s = textparse_series(p);
	uint64_t hh = hash_xxh64(s.p, s.len);
	cache_e *c = map_slot(sk->cache, &cache_type, hh, &s);
	series_ref ref = c && map_used(c) ? c->ref : 0;
	labels ls = ref ? (labels){NULL, 0} : textparse_labels(p, e);
	int rc = appender_append(a, ref, ls, sk->t, v, &ref, e);
	if (rc == 0 && c && !map_used(c)) {
		*c = (cache_e){1, (uint32_t)s.len, hh, s.p, ref};
		map_added(sk->cache, c);
	}
	return rc;
}

/* One pass over the page (a scrape, in mode 2). Returns samples or -1. */
static long pass(textparse_format f, const buf *page, const sink *sk)
{
	textparse *p = textparse_new(f, (const char *)page->p, page->len, 0);
	appender *a = sk->mode == 2 ? head_appender(sk->h) : NULL;
	textparse_entry k;
	err e;
	long n = 0;
	int rc;
	while ((rc = textparse_next(p, &k, &e)) == 1) {
		if (k != TEXTPARSE_SERIES)
			continue;
		double v;
		bool has_ts;
		int64_t ts;
		textparse_sample(p, &v, &has_ts, &ts);
		if (sk->mode == 1 && !textparse_labels(p, &e).v)
			rc = -1;
		if (sk->mode == 2 && (rc = append(p, sk, a, v, &e)))
			break;
		n++;
	}
	textparse_free(p);
	if (a && rc == 0)
		rc = appender_commit(a, &e);
	else if (a)
		appender_rollback(a);
	if (rc) {
		fprintf(stderr, "bench_scrape_parse: %s\n", e.msg);
		return -1;
	}
	return n;
}

static void report(const char *what, long samples, double cpu)
{
	printf("  %-38s %10.0f samples/CPU-s  (%ld samples, %.2f CPU-s)\n", what, samples / cpu, samples, cpu);
}

static appender *head_app(void *ctx) { return head_appender(ctx); }

/* A fresh in-memory head, NULL (printed) when it cannot open. */
static head *new_head(void)
{
	err e;
	head_opts o = {0};
	head *h = head_open(&o, &e);
	if (!h)
		fprintf(stderr, "bench_scrape_parse: %s\n", e.msg);
	return h;
}

/* Pass 5: the page through scrape_loop_scrape, rounds times after a first
 * scrape, into a fresh head. 0 or 1 (printed). */
static int scrape_loop_pass(const buf *page, long rounds)
{
	head *h = new_head();
	if (!h)
		return 1;
	scrape_job_config j = {.job_name = "node", .honor_timestamps = true, .enable_compression = true};
	const label tl[] = {{"instance", "127.0.0.1:9100"}, {"job", "node"}};
	const label al[] = {{"__address__", "127.0.0.1:9100"}, {"instance", "127.0.0.1:9100"}, {"job", "node"}};
	scrape_target_def t = {.labels = {tl, 2}, .all = {al, 3}, .discovered = {al, 1},
			       .url = "http://127.0.0.1:9100/metrics", .interval_ms = 15000, .timeout_ms = 10000};
	scrape_sink sink = {.appender = head_app, .ctx = h};
	scrape_loop *l = scrape_loop_new(&t, &j);
	int rc = l ? 0 : 1;
	int64_t t0 = 1700000000000;
	long n = 0;
	double c0 = 0;
	for (long r = 0; !rc && r <= rounds; r++) {
		if (r == 1)
			c0 = proc_cpu_s(); /* the first scrape (new series) is not counted */
		scrape_result res;
		rc = scrape_loop_scrape(l, &sink, (const char *)page->p, page->len, "text/plain; version=0.0.4", NULL,
					(int64_t)page->len, t0 + r * 15000, scrape_mono_ns(), &res);
		if (!rc && !res.up)
			rc = 1;
		n += r ? res.scraped : 0;
	}
	if (rc)
		fprintf(stderr, "bench_scrape_parse: the scrape loop failed: %s\n", l ? l->last_error : "out of memory");
	else
		report("text: scrape loop (steady page)", n, proc_cpu_s() - c0);
	scrape_loop_free(l);
	head_close(h);
	return rc;
}

int main(void)
{
	const char *shared = getenv("FLINT_SHARED");
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/exposition/node-exporter-1.5.0.txt", shared && *shared ? shared : "../shared");
	long rounds = getenv("BENCH_SCRAPE_ROUNDS") ? strtol(getenv("BENCH_SCRAPE_ROUNDS"), NULL, 10) : 4000;
	buf page, om;
	buf_init(&page);
	buf_init(&om);
	err e;
	if (buf_read_file(&page, path, &e)) {
		fprintf(stderr, "bench_scrape_parse: %s\n", e.msg);
		return 1;
	}
	for (size_t i = 0; i < page.len;) { /* OpenMetrics says "unknown" where text says "untyped" */
		const char *l = (const char *)page.p + i, *nl = memchr(l, '\n', page.len - i);
		size_t n = nl ? (size_t)(nl - l) : page.len - i;
		if (n > 15 && !memcmp(l, "# TYPE ", 7) && !memcmp(l + n - 8, " untyped", 8)) {
			buf_put(&om, l, n - 7);
			buf_put_str(&om, "unknown");
		} else {
			buf_put(&om, l, n);
		}
		buf_put_byte(&om, '\n');
		i += n + 1;
	}
	buf_put_str(&om, "# EOF\n");
	sink parse_only = {0};
	printf("node_exporter page: %zu bytes, %ld samples, %ld rounds\n", page.len, pass(TEXTPARSE_PROM, &page, &parse_only), rounds);

	static const struct {
		const char *what;
		textparse_format f;
		int mode;
	} passes[] = {
		{"text: parse", TEXTPARSE_PROM, 0},
		{"text: parse + labels", TEXTPARSE_PROM, 1},
		{"openmetrics: parse + labels", TEXTPARSE_OM, 1},
	};
	for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
		const buf *in = passes[i].f == TEXTPARSE_OM ? &om : &page;
		long n = 0;
		double c0 = proc_cpu_s();
		sink sk = {.mode = passes[i].mode};
		for (long r = 0; r < rounds; r++) {
			long got = pass(passes[i].f, in, &sk);
			if (got < 0)
				return 1;
			n += got;
		}
		report(passes[i].what, n, proc_cpu_s() - c0);
	}

	head *h = new_head();
	if (!h)
		return 1;
	map cache;
	map_init(&cache);
	int64_t t = 1700000000000;
	double c0 = proc_cpu_s();
	sink sk = {2, h, &cache, t};
	long first = pass(TEXTPARSE_PROM, &page, &sk);
	report("text: first scrape (labels, new series)", first, proc_cpu_s() - c0);
	long n = 0;
	c0 = proc_cpu_s();
	for (long r = 1; r <= rounds && first >= 0; r++) {
		sk.t = t + r * 15000;
		long got = pass(TEXTPARSE_PROM, &page, &sk);
		if (got < 0)
			return 1;
		n += got;
	}
	report("text: parse + append (cached refs)", n, proc_cpu_s() - c0);
	map_free(&cache);
	head_close(h);
	if (first < 0 || scrape_loop_pass(&page, rounds))
		return 1;
	buf_reset(&page);
	buf_reset(&om);
	return first < 0;
}
