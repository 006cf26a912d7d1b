/*
 * flinttool_test.c - `flinttool test promql [--known=FILE] FILE...`: runs
 * PromQL test scripts (promql/promqltest.c) on a bare head and prints each
 * file's result, every unexpected failure (file:line, query, want vs got)
 * and a last line `N passed, N failed, N known`. Exit status 1 only on
 * unexpected failures (or unreadable scripts).
 */
#include "cmd/flinttool.h"

#include <stdio.h>
#include <string.h>

#include "promql/promqltest.h"

static int usage(void)
{
	fprintf(stderr, "usage: flinttool test promql [--known=FILE] FILE...\n");
	return 1;
}

int flinttool_test(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "promql") != 0)
		return usage();
	promqltest_known known;
	memset(&known, 0, sizeof known);
	bool have_known = false;
	int i = 2, bad = 0;
	err e;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strncmp(argv[i], "--known=", 8)) {
			if (promqltest_known_load(&known, argv[i] + 8, &e)) {
				fprintf(stderr, "flinttool: %s\n", e.msg);
				return 1;
			}
			have_known = true;
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	promqltest_stats total = {0};
	for (; i < argc; i++) {
		promqltest_stats st = {0};
		err_clear(&e);
		int rc = promqltest_run_file(argv[i], have_known ? &known : NULL, stdout, &st, &e);
		if (rc) {
			printf("%s: error: %s\n", argv[i], e.msg);
			bad++;
		}
		printf("%s: %d passed, %d failed, %d known\n", argv[i], st.passed, st.failed, st.known);
		fflush(stdout);
		total.passed += st.passed;
		total.failed += st.failed;
		total.known += st.known;
		total.known_passed += st.known_passed;
	}
	if (total.known_passed)
		printf("%d known failures now pass: remove them from the list\n", total.known_passed);
	printf("%d passed, %d failed, %d known\n", total.passed, total.failed, total.known);
	promqltest_known_free(&known);
	return total.failed || bad ? 1 : 0;
}
