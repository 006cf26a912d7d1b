/*
 * test_intern.c - tsdb/intern.h: ids are dense and stable, lookups never
 * add, strings that share a prefix stay apart, and many strings survive
 * the growth of every stripe's table.
 */
#include "test.h"

#include "tsdb/intern.h"

static void intern_ids_stable(void)
{
	intern *in = intern_new();
	ASSERT(in);
	ASSERT_EQ(intern_lookup(in, "job", 3), 0);
	uint32_t a = intern_id(in, "job", 3);
	uint32_t b = intern_id(in, "jobs", 4);
	uint32_t c = intern_id(in, "", 0);
	ASSERT_EQ(a, 1);
	ASSERT_EQ(b, 2);
	ASSERT_EQ(c, 3);
	ASSERT_EQ(intern_id(in, "jobs", 4), b);
	ASSERT_EQ(intern_id(in, "job", 3), a);
	ASSERT_EQ(intern_lookup(in, "jobs", 3), a); /* bytes, not NUL-terminated */
	ASSERT_EQ(intern_lookup(in, "jo", 2), 0);
	ASSERT_STR_EQ(intern_str(in, b), "jobs");
	ASSERT_STR_EQ(intern_str(in, c), "");
	ASSERT_EQ(intern_count(in), 3);
	intern_free(in);
	intern_free(NULL);
}

static void intern_many(void)
{
	intern *in = intern_new();
	ASSERT(in);
	enum { N = 50000 };
	char s[32];
	for (int i = 0; i < N; i++) {
		int n = snprintf(s, sizeof s, "instance-%d", i);
		ASSERT_EQ(intern_id(in, s, (size_t)n), (uint32_t)i + 1);
	}
	for (int i = 0; i < N; i++) {
		int n = snprintf(s, sizeof s, "instance-%d", i);
		ASSERT_EQ(intern_lookup(in, s, (size_t)n), (uint32_t)i + 1);
		ASSERT_STR_EQ(intern_str(in, (uint32_t)i + 1), s);
	}
	ASSERT_EQ(intern_lookup(in, "instance-x", 10), 0);
	ASSERT_EQ(intern_count(in), N);
	intern_free(in);
}

const struct test tests_intern[] = {
	{"intern_ids_stable", intern_ids_stable},
	{"intern_many", intern_many},
	{NULL, NULL},
};
