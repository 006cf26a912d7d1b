/* test_ulid.c - lib/ulid.c: the text form oklog/ulid writes, time prefix,
 * monotonic within a millisecond, decode/encode round trip. */
#include "tests/unit/test.h"
#include "lib/ulid.h"

static void ulid_known_encoding(void)
{
	/* A golden block's ULID decodes and re-encodes to itself; its time is
	 * when promtool wrote it (2026-11-24). */
	uint8_t id[16];
	char s[ULID_LEN + 1];
	ASSERT(ulid_decode("01M85ZJJW0Q48HSX1F1SJXQXMD", id));
	ulid_encode(id, s);
	ASSERT_STR_EQ(s, "01M85ZJJW0Q48HSX1F1SJXQXMD");
	int64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	ASSERT(ms > 1795000000000LL && ms < 1796000000000LL);
	ASSERT(!ulid_decode("81M85ZJJW0Q48HSX1F1SJXQXMD", id)); /* > 128 bits */
	ASSERT(!ulid_decode("01M85ZJJW0Q48HSX1F1SJXQXMU", id)); /* U is not Crockford */
	ASSERT(!ulid_decode("01M85", id));
}

static void ulid_monotonic(void)
{
	char prev[ULID_LEN + 1], cur[ULID_LEN + 1];
	ulid_new(1700000000000, prev);
	for (int i = 0; i < 1000; i++) {
		ulid_new(i % 3 ? 1700000000000 : 1699999999000, cur); /* same ms, and the clock stepping back */
		ASSERT(strcmp(prev, cur) < 0);
		memcpy(prev, cur, sizeof cur);
	}
	ulid_new(1700000000001, cur);
	ASSERT(strcmp(prev, cur) < 0);
	uint8_t id[16];
	ASSERT(ulid_decode(cur, id));
	int64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	ASSERT_EQ(ms, 1700000000001);
}

const struct test tests_ulid[] = {
	{"ulid_known_encoding", ulid_known_encoding},
	{"ulid_monotonic", ulid_monotonic},
	{NULL, NULL},
};
