/*
 * dbopen.h - db helpers for unit tests (test_db.c, test_db_delete.c,
 * test_compact.c): open a db with default options, failing the test on
 * error; one round of a SIGKILL crash test (header-only, static copies);
 * counting the test samples a db holds (test_db.c).
 */
#ifndef FL_TEST_DBOPEN_H
#define FL_TEST_DBOPEN_H

#include "tsdb/db.h"
#include "tests/unit/test.h"

#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* db_open with the default options but range_ms as the block range (0:
 * default) and read-only when ro; fails the test on error. */
static inline db *test_db_open(const char *dir, int64_t range_ms, bool ro)
{
	db_opts o;
	db_opts_default(&o);
	o.read_only = ro;
	if (range_ms)
		o.chunk_range_ms = range_ms;
	err e;
	err_clear(&e);
	db *d = db_open(dir, &o, &e);
	if (!d)
		test_fail(__FILE__, __LINE__, "db_open %s: %s", dir, e.msg);
	return d;
}

/*
 * Fork a child running child(fd, ctx) (it writes its acknowledgements to
 * fd and must not return), wait for its first acknowledgement unless
 * wait_ack is false (then the kill may land during its open), let it run
 * for up to max_us more, SIGKILL it and reap it. Returns the read end of
 * the pipe holding what it acknowledged (the caller reads and closes it).
 */
static inline int test_crash_round(void (*child)(int fd, void *ctx), void *ctx, bool wait_ack, int max_us, int round)
{
	int p[2];
	if (pipe(p))
		test_fail(__FILE__, __LINE__, "round %d: pipe failed", round);
	pid_t pid = fork();
	if (pid < 0)
		test_fail(__FILE__, __LINE__, "round %d: fork failed", round);
	if (pid == 0) {
		close(p[0]);
		child(p[1], ctx);
		_exit(9);
	}
	close(p[1]);
	if (wait_ack) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		if (poll(&pf, 1, 60000) != 1)
			test_fail(__FILE__, __LINE__, "round %d: child acknowledged nothing in 60 s", round);
	}
	usleep((useconds_t)(rand() % max_us));
	kill(pid, SIGKILL);
	int st;
	if (waitpid(pid, &st, 0) != pid)
		test_fail(__FILE__, __LINE__, "round %d: waitpid failed", round);
	if (WIFEXITED(st))
		test_fail(__FILE__, __LINE__, "round %d: child exited with %d", round, WEXITSTATUS(st));
	return p[0];
}

/* For each second b in [from, to), one commit of n series name{lname="i"}
 * (i in [0, n)), each with the sample t = b * 1000, value b; fails the
 * test on any error. */
static inline void test_db_fill(db *d, const char *name, const char *lname, int n, int64_t from, int64_t to)
{
	err e;
	err_clear(&e);
	for (int64_t b = from; b < to; b++) {
		appender *a = db_appender(d);
		for (int i = 0; i < n; i++) {
			char s[16];
			snprintf(s, sizeof s, "%d", i);
			label lv[2] = {{"__name__", name}, {lname, s}};
			series_ref ref;
			ASSERT_EQ(appender_append(a, 0, (labels){lv, 2}, b * 1000, (double)b, &ref, &e), 0);
		}
		ASSERT_EQ(appender_commit(a, &e), 0);
	}
}

/* Defined in test_db.c. counts[v] = samples of series named name with
 * value v, for v in [0, n), over head and blocks; fails on any sample with
 * t != v * 1000 or v out of range (the tests' samples all have that shape). */
void test_db_count(db *d, const char *name, int *counts, int64_t n);
/* test_db_count, then every v in [lo, hi) must have k samples and every
 * other v in [0, n) none (n <= 4096). */
void test_db_expect(db *d, const char *name, int64_t n, int64_t lo, int64_t hi, int k);

#endif
