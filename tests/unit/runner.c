/*
 * runner.c - runs every unit test in a forked child with a timeout.
 * Usage: unit [NAME-SUBSTRING...]   (no args: all tests)
 * Ends with exactly `N passed, N failed`; exit status 1 on any failure.
 */
#include "tests/unit/test.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/all_tests.h" /* generated: struct { const char *file; const struct test *t; } all_tests[] */

#define TEST_TIMEOUT_S 120

static char tmpdir[256];

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	fflush(stdout);
	_exit(1);
}

const char *test_shared_dir(void)
{
	const char *s = getenv("FLINT_SHARED");
	return s && *s ? s : "../shared";
}

const char *test_tmpdir(void) { return tmpdir; }

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t f = 0; f < sizeof all_tests / sizeof all_tests[0]; f++) {
		for (const struct test *t = all_tests[f].t; t->name; t++) {
			char full[256];
			snprintf(full, sizeof full, "%s.%s", all_tests[f].file, t->name);
			if (!selected(full, argc, argv))
				continue;
			snprintf(tmpdir, sizeof tmpdir, "/tmp/flint-unit-%d-XXXXXX", (int)getpid());
			if (!mkdtemp(tmpdir)) {
				perror("mkdtemp");
				return 2;
			}
			pid_t pid = fork();
			if (pid == 0) {
				alarm(TEST_TIMEOUT_S);
				t->fn();
				fflush(stdout);
				_exit(0);
			}
			int st = 0;
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
				printf("ok %s\n", full);
				passed++;
			} else {
				if (WIFSIGNALED(st))
					printf("FAIL %s: killed by signal %d%s\n", full, WTERMSIG(st),
					       WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
				else
					printf("FAIL %s\n", full);
				failed++;
			}
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
