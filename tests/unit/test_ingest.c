/*
 * test_ingest.c - the fast paths of the remote-write ingest path keep
 * their answers: labels_hash's one-shot hash equals the streamed XXH64 of
 * name 0xff value 0xff ... (Prometheus's labels.Hash) for small sets and
 * for sets past its stack buffer; rw_series_check's word-at-a-time ASCII
 * pass still finds invalid UTF-8 at any offset; the decoder's ahead hook
 * announces each series' label bytes once, in order, before known is
 * asked about them and at most RW_AHEAD series early.
 */
#include "test.h"

#include <xxhash.h>

#include "remote/codec.h"
#include "tsdb/labels.h"

/* The definition: XXH64 over the pieces, streamed. */
static uint64_t hash_ref(labels ls)
{
	XXH64_state_t *st = XXH64_createState();
	XXH64_reset(st, 0);
	for (size_t i = 0; i < ls.n; i++) {
		XXH64_update(st, ls.v[i].name, strlen(ls.v[i].name));
		XXH64_update(st, "\xff", 1);
		XXH64_update(st, ls.v[i].value, strlen(ls.v[i].value));
		XXH64_update(st, "\xff", 1);
	}
	uint64_t h = XXH64_digest(st);
	XXH64_freeState(st);
	return h;
}

static void ingest_labels_hash(void)
{
	label v[3] = {{"__name__", "up"}, {"instance", "host-1:9100"}, {"job", "node"}};
	ASSERT_U64_EQ(labels_hash((labels){v, 3}), hash_ref((labels){v, 3}));
	ASSERT_U64_EQ(labels_hash((labels){v, 0}), hash_ref((labels){v, 0}));
	/* past the 1 KiB stack buffer, at and around its edge */
	static char big[2048];
	for (size_t len = 990; len < 1030; len++) {
		memset(big, 'x', len);
		big[len] = 0;
		label w[2] = {{"a", "b"}, {"long", big}};
		ASSERT_U64_EQ(labels_hash((labels){w, 2}), hash_ref((labels){w, 2}));
	}
	memset(big, 'y', sizeof big - 1);
	label w[1] = {{"long", big}};
	ASSERT_U64_EQ(labels_hash((labels){w, 1}), hash_ref((labels){w, 1}));
}

/* Does a series named ok with label v=value pass the check? */
static bool value_ok(const char *value)
{
	label l[2] = {{"__name__", "ok"}, {"v", value}};
	rw_series s = {.labels = l, .n_labels = 2};
	err e;
	return rw_series_check(&s, &e) == 0;
}

static void ingest_utf8_check(void)
{
	static const char *const bad[] = {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
	static const char *const good[] = {"", "a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	char v[64];
	for (size_t pre = 0; pre < 20; pre++) /* the bad bytes at every offset around the 8-byte words */
		for (size_t j = 0; j < FL_ARRAY_LEN(bad); j++) {
			snprintf(v, sizeof v, "%.*s%s", (int)pre, "abcdefghijklmnopqrstu", bad[j]);
			ASSERT(!value_ok(v));
			snprintf(v, sizeof v, "%.*s%sxyz", (int)pre, "abcdefghijklmnopqrstu", bad[j]);
			ASSERT(!value_ok(v));
			snprintf(v, sizeof v, "%.*s%sxyz", (int)pre, "abcdefghijklmnopqrstu", good[j]);
			ASSERT(value_ok(v));
		}
}

/* What the hooks saw: announced spans and known calls, in order. */
typedef struct hook_log {
	const uint8_t *told[64];
	size_t told_n[64], n_told, n_known;
	bool bad;
} hook_log;

static void log_ahead(void *ctx, const uint8_t *raw, size_t n)
{
	hook_log *h = ctx;
	if (h->n_told == 64)
		h->bad = true;
	else {
		h->told[h->n_told] = raw;
		h->told_n[h->n_told++] = n;
	}
}

static series_ref log_known(void *ctx, const uint8_t *raw, size_t n)
{
	hook_log *h = ctx;
	/* the series asked about was told, in order, and not too early */
	if (h->n_known >= h->n_told || h->told[h->n_known] != raw || h->told_n[h->n_known] != n ||
	    h->n_told > h->n_known + 1 + RW_AHEAD)
		h->bad = true;
	h->n_known++;
	return h->n_known % 3 == 0 ? h->n_known : 0; /* every third one "known" */
}

static void ingest_decode_ahead(void)
{
	enum { N = 40 };
	label l[N][2];
	char val[N][16];
	sample sm[N];
	rw_series rs[N];
	for (int i = 0; i < N; i++) {
		snprintf(val[i], sizeof val[i], "%d", i);
		l[i][0] = (label){"__name__", "m"};
		l[i][1] = (label){"i", val[i]};
		sm[i] = (sample){1000 + i, i};
		rs[i] = (rw_series){.labels = l[i], .n_labels = 2, .samples = &sm[i], .n_samples = 1};
	}
	rs[7].n_labels = 0; /* no labels: neither told nor asked */
	rw_request rq = {.version = RW_V1, .series = rs, .n_series = N};
	buf pb;
	buf_init(&pb);
	err e;
	ASSERT_EQ(rw_encode(&rq, &pb, &e), 0);
	arena a;
	arena_init(&a);
	rw_request dec;
	hook_log h = {0};
	ASSERT_EQ(rw_decode_v1_ahead(pb.p, pb.len, &a, log_known, log_ahead, &h, &dec, &e), 0);
	ASSERT(!h.bad);
	ASSERT_EQ(h.n_told, N - 1);
	ASSERT_EQ(h.n_known, N - 1);
	ASSERT_EQ(dec.n_series, N);
	for (int i = 0, k = 0; i < N; i++) {
		if (i == 7)
			continue;
		k++;
		ASSERT(dec.series[i].raw_labels == h.told[k - 1]);
		ASSERT_EQ(dec.series[i].known_ref, k % 3 == 0 ? (series_ref)k : 0);
		ASSERT_EQ(dec.series[i].n_labels, k % 3 == 0 ? 0 : 2);
	}
	arena_reset(&a);
	buf_reset(&pb);
}

const struct test tests_ingest[] = {
	{"ingest_decode_ahead", ingest_decode_ahead},
	{"ingest_labels_hash", ingest_labels_hash},
	{"ingest_utf8_check", ingest_utf8_check},
	{NULL, NULL},
};
