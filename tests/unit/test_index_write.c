/* test_index_write.c - tsdb/index_write.c: what it refuses (symbols out of
 * order or late, labels missing from the symbol table, series out of
 * order), and that index_read reads what it writes. Byte identity with
 * Prometheus is tests/conformance/backfill.sh. */
#include "tests/unit/test.h"
#include "tsdb/index.h"

static void index_write_refusals_and_readback(void)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/index", test_tmpdir());
	err e;
	index_writer *w = index_writer_open(path, &e);
	ASSERT(w);
	ASSERT_EQ(index_writer_add_symbol(w, "", &e), 0);
	ASSERT_EQ(index_writer_add_symbol(w, "b", &e), 0);
	ASSERT_EQ(index_writer_add_symbol(w, "a", &e), FL_EINVAL);
	ASSERT_EQ(index_writer_add_symbol(w, "b", &e), FL_EINVAL);
	ASSERT_EQ(index_writer_add_symbol(w, "c", &e), 0);
	ASSERT_EQ(index_writer_add_symbol(w, "job", &e), 0);
	chunk_meta cm[2] = {{.mint = -5, .maxt = 10, .ref = 8}, {.mint = 11, .maxt = 20, .ref = 40}};
	label l1[1] = {{"job", "b"}}, l2[1] = {{"job", "c"}}, bad[1] = {{"job", "zzz"}};
	ASSERT_EQ(index_writer_add_series(w, (labels){l1, 1}, cm, 2, &e), 0);
	ASSERT_EQ(index_writer_add_symbol(w, "x", &e), FL_EINVAL); /* after series */
	ASSERT_EQ(index_writer_add_series(w, (labels){bad, 1}, cm, 1, &e), FL_EINVAL);
	ASSERT_EQ(index_writer_add_series(w, (labels){l1, 1}, cm, 1, &e), FL_EINVAL); /* not increasing */
	ASSERT_EQ(index_writer_add_series(w, (labels){l2, 1}, cm, 1, &e), 0);
	ASSERT_EQ(index_writer_close(w, &e), 0);

	index_reader *r = index_open(path, &e);
	if (!r)
		test_fail(__FILE__, __LINE__, "index_open: %s", e.msg);
	const char *const *vals;
	ASSERT_EQ(index_label_values(r, "job", &vals), 2);
	ASSERT_STR_EQ(vals[1], "c");
	uint32_t *refs;
	size_t n;
	ASSERT_EQ(index_select(r, NULL, 0, &refs, &n, &e), 0);
	ASSERT_EQ(n, 2);
	arena a;
	arena_init(&a);
	labels ls;
	chunk_meta *chks = NULL;
	size_t n_chks = 0, cap = 0;
	ASSERT_EQ(index_series(r, refs[0], &a, &ls, &chks, &n_chks, &cap, &e), 0);
	ASSERT_STR_EQ(ls.v[0].value, "b");
	ASSERT_EQ(n_chks, 2);
	ASSERT_EQ(chks[0].mint, -5);
	ASSERT_EQ(chks[1].maxt, 20);
	ASSERT_U64_EQ(chks[1].ref, 40);
	fl_free(chks);
	fl_free(refs);
	arena_reset(&a);
	index_close(r);
}

const struct test tests_index_write[] = {
	{"index_write_refusals_and_readback", index_write_refusals_and_readback},
	{NULL, NULL},
};
