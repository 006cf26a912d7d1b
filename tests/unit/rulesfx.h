/*
 * rulesfx.h - what the rules tests share (test_rules_group.c,
 * test_rules_manager.c, test_rules_api.c): a db in a directory, an engine,
 * and rules_opts over them (header-only, static copies).
 */
#ifndef FL_TEST_RULESFX_H
#define FL_TEST_RULESFX_H

#include "rules/group.h"
#include "tests/unit/dbopen.h"
#include "tests/unit/test.h"

typedef struct rulesfx {
	db *d;
	promql_engine *eng;
	rules_opts o; /* over d and eng; notify unset */
} rulesfx;

static inline appender *rulesfx_appender(void *ctx) { return db_appender(ctx); }

static inline void rulesfx_open(rulesfx *f, const char *dir)
{
	f->d = test_db_open(dir, 0, false);
	promql_engine_opts eo;
	promql_engine_opts_default(&eo);
	f->eng = promql_engine_new(&eo);
	rules_opts_default(&f->o);
	f->o.engine = f->eng;
	f->o.queryable = db_queryable(f->d);
	f->o.appender = rulesfx_appender;
	f->o.appender_ctx = f->d;
}

static inline void rulesfx_close(rulesfx *f)
{
	promql_engine_free(f->eng);
	db_close(f->d);
}

/* The value of an instant query at t with one series, NAN when empty. */
static inline double rulesfx_query1(rulesfx *f, const char *q, int64_t t)
{
	promql_result r;
	err e;
	err_clear(&e);
	if (promql_query_instant(f->eng, f->o.queryable, q, t, NULL, &r, &e))
		test_fail(__FILE__, __LINE__, "query %s: %s", q, e.msg);
	double v = NAN;
	if (r.type == PT_VECTOR && r.n_series == 1)
		v = r.series[0].samples[0].v;
	else if (r.type == PT_VECTOR && r.n_series > 1)
		test_fail(__FILE__, __LINE__, "query %s: %zu series", q, r.n_series);
	promql_result_free(&r);
	return v;
}

#endif
