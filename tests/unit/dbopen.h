/*
 * dbopen.h - open a db for a unit test with default options, failing the
 * test on error (test_db.c, test_db_delete.c). Header-only: each test file
 * gets its own static copy.
 */
#ifndef FL_TEST_DBOPEN_H
#define FL_TEST_DBOPEN_H

#include "tsdb/db.h"
#include "tests/unit/test.h"

static inline db *test_db_open(const char *dir, bool ro)
{
	db_opts o;
	db_opts_default(&o);
	o.read_only = ro;
	err e;
	err_clear(&e);
	db *d = db_open(dir, &o, &e);
	if (!d)
		test_fail(__FILE__, __LINE__, "db_open %s: %s", dir, e.msg);
	return d;
}

#endif
