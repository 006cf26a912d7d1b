/* test_db.h - helpers test_db.c shares with the other db tests. */
#ifndef FL_TEST_DB_H
#define FL_TEST_DB_H

#include "tsdb/db.h"

/* counts[v] = samples of series named name with value v, for v in [0, n),
 * over head and blocks; fails on any sample with t != v * 1000 or v out
 * of range (the tests' samples all have that shape). */
/* db_open with the default options but range_ms as the block range (0:
 * default) and read-only when ro; fails the test on error. */
db *test_db_open(const char *dir, int64_t range_ms, bool ro);
void test_db_count(db *d, const char *name, int *counts, int64_t n);
/* test_db_count, then every v in [lo, hi) must have k samples and every
 * other v in [0, n) none (n <= 4096). */
void test_db_expect(db *d, const char *name, int64_t n, int64_t lo, int64_t hi, int k);

#endif
