/*
 * test_ingest.c - the fast paths of the remote-write ingest path keep
 * their answers: labels_hash's one-shot hash equals the streamed XXH64 of
 * name 0xff value 0xff ... (Prometheus's labels.Hash) for small sets and
 * for sets past its stack buffer; rw_series_check's word-at-a-time ASCII
 * pass still finds invalid UTF-8 at any offset.
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

const struct test tests_ingest[] = {
	{"ingest_labels_hash", ingest_labels_hash},
	{"ingest_utf8_check", ingest_utf8_check},
	{NULL, NULL},
};
