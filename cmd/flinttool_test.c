/*
 * flinttool_test.c - `flinttool test promql [--known=FILE] FILE...`: runs
 * PromQL test scripts (promql/promqltest.c) on a bare head and prints each
 * file's result, every unexpected failure (file:line, query, want vs got)
 * and a last line `N passed, N failed, N known`. Exit status 1 only on
 * unexpected failures (or unreadable scripts).
 *
 * Without --known, the project's checked-in list is used when it can be
 * found: tests/conformance/promql-known-failures.txt under the current
 * directory, or two levels above the binary (build/<flavour>/flinttool).
 * --known=none runs without a list.
 */
#include "cmd/flinttool.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "promql/promqltest.h"

#define KNOWN_REL "tests/conformance/promql-known-failures.txt"

/* The checked-in known-failures list, or NULL when it is not found. */
static const char *default_known(char *path, size_t cap)
{
	if (access(KNOWN_REL, R_OK) == 0) {
		snprintf(path, cap, "%s", KNOWN_REL);
		return path;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	snprintf(path, cap, "%s/../../%s", dirname(exe), KNOWN_REL);
	return access(path, R_OK) == 0 ? path : NULL;
}

const cli_flag flinttool_test_promql_flags[] = {
	{"known", 0, "FILE", "Known-failures list (\"none\": run without one; default: the checked-in "
	 "tests/conformance/promql-known-failures.txt when found).", NULL, 0},
	{0},
};

const cli_arg flinttool_test_promql_args[] = {
	{"test-file", "The PromQL test scripts.", CLI_REQUIRED | CLI_REPEAT},
	{0},
};

int flinttool_test_promql(const cli_ctx *c)
{
	promqltest_known known;
	memset(&known, 0, sizeof known);
	bool have_known = false;
	int bad = 0;
	err e;
	const char *known_path = NULL;
	char path[PATH_MAX + 64];
	bool known_given = cli_given(c, "known");
	if (known_given)
		known_path = strcmp(cli_str(c, "known"), "none") ? cli_str(c, "known") : NULL;
	size_t n_files;
	const char *const *files = cli_args(c, "test-file", &n_files);
	if (!known_given && (known_path = default_known(path, sizeof path)))
		fprintf(stderr, "flinttool: known failures from %s\n", known_path);
	if (known_path) {
		if (promqltest_known_load(&known, known_path, &e)) {
			fprintf(stderr, "flinttool: %s\n", e.msg);
			return 1;
		}
		have_known = true;
	}
	promqltest_stats total = {0};
	for (size_t i = 0; i < n_files; i++) {
		promqltest_stats st = {0};
		err_clear(&e);
		int rc = promqltest_run_file(files[i], have_known ? &known : NULL, stdout, &st, &e);
		if (rc) {
			printf("%s: error: %s\n", files[i], e.msg);
			bad++;
		}
		printf("%s: %d passed, %d failed, %d known\n", files[i], st.passed, st.failed, st.known);
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
