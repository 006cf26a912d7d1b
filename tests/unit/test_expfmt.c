/*
 * test_expfmt.c - scrape/expfmt.c: families as expfmt's TextParser builds
 * them (the grouping promtool's push metrics sends).
 */
#include "tests/unit/test.h"

#include "scrape/expfmt.h"

static const expfmt_family *fam(const expfmt_page *pg, const char *name)
{
	for (size_t i = 0; i < pg->n_fam; i++)
		if (!strcmp(pg->fam[i]->name, name))
			return pg->fam[i];
	return NULL;
}

static void expfmt_families_grouped(void)
{
	static const char page[] =
		"# TYPE s summary\n"
		"s{quantile=\"0.5\",a=\"1\"} 1 1000\n"
		"s{quantile=\"0.5\",a=\"2\"} 2\n"
		"s_sum{a=\"1\"} 10\n"
		"s_count{a=\"1\"} 3.7\n"
		"# TYPE h histogram\n"
		"# HELP h the help\n"
		"h_bucket{le=\"1\"} 1\n"
		"h_bucket{le=\"+Inf\"} 2.5\n"
		"h_count 2\n"
		"zz_sum 4\n"
		"g 1\n"
		"g 2\n"
		"# TYPE empty counter\n";
	expfmt_page pg;
	expfmt_page_init(&pg);
	buf msg;
	buf_init(&msg);
	ASSERT_EQ(expfmt_parse(&pg, page, sizeof page - 1, &msg), 0);
	ASSERT_EQ(pg.n_fam, 4); /* g, h, s, zz_sum (sorted; "empty" has no metric) */
	ASSERT_STR_EQ(pg.fam[0]->name, "g");
	ASSERT_STR_EQ(pg.fam[3]->name, "zz_sum");
	const expfmt_family *s = fam(&pg, "s"), *h = fam(&pg, "h"), *g = fam(&pg, "g");
	ASSERT(s && h && g);
	ASSERT_EQ(s->type, EXPFMT_SUMMARY);
	ASSERT_EQ(s->n_metrics, 2);
	ASSERT_EQ(s->metrics[0]->n_pairs, 1);
	ASSERT_DBL_EQ(s->metrics[0]->sum, 10);
	ASSERT_DBL_EQ(s->metrics[0]->count, 3.7);
	ASSERT(s->metrics[0]->has_ts);
	ASSERT_EQ(s->metrics[0]->ts, 1000);
	ASSERT_EQ(s->metrics[0]->n_labels, 1); /* a, not quantile */
	ASSERT_EQ(h->type, EXPFMT_HISTOGRAM);
	ASSERT_STR_EQ(h->help, "the help");
	ASSERT_EQ(h->n_metrics, 1);
	ASSERT_EQ(h->metrics[0]->n_pairs, 2);
	ASSERT(h->metrics[0]->pairs[0].is_uint);
	ASSERT(!h->metrics[0]->pairs[1].is_uint);
	ASSERT(isinf(h->metrics[0]->pairs[1].key));
	ASSERT_EQ(g->type, EXPFMT_UNTYPED);
	ASSERT_EQ(g->n_metrics, 2); /* untyped lines are never merged */
	buf_reset(&msg);
	expfmt_page_free(&pg);
}

static void expfmt_errors_in_expfmt_words(void)
{
	static const struct {
		const char *page, *msg;
	} cases[] = {
		{"# HELP a x\n# HELP a y\n", "text format parsing error in line 2: second HELP line for metric name \"a\""},
		{"a 1\n# TYPE a gauge\n",
		 "text format parsing error in line 2: second TYPE line for metric name \"a\", or TYPE reported after samples"},
		{"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",
		 "text format parsing error in line 2: expected float as value for 'le' label, got \"x\""},
		{"# TYPE h histogram\nh_bucket{le=\"1\"} -1.5\n",
		 "text format parsing error in line 2: negative bucket population for histogram \"h\""},
		{"a 1\nb 2", "text format parsing error in line 2: unexpected end of input stream"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expfmt_page pg;
		expfmt_page_init(&pg);
		buf msg;
		buf_init(&msg);
		ASSERT(expfmt_parse(&pg, cases[i].page, strlen(cases[i].page), &msg) < 0);
		ASSERT_STR_EQ(buf_cstr(&msg), cases[i].msg);
		buf_reset(&msg);
		expfmt_page_free(&pg);
	}
	ASSERT_U64_EQ(expfmt_go_uint64(-1), UINT64_MAX);
	ASSERT_U64_EQ(expfmt_go_uint64(1e19), UINT64_C(10000000000000000000));
}

const struct test tests_expfmt[] = {
	{"expfmt_families_grouped", expfmt_families_grouped},
	{"expfmt_errors_in_expfmt_words", expfmt_errors_in_expfmt_words},
	{NULL, NULL},
};
