/*
 * flinttool.c - promtool-style CLI: a dispatch table of subcommands, each in
 * cmd/flinttool_<sub>.c. Bad usage prints a message and exits 1 (as
 * promtool/kingpin do); --help prints the table.
 */
#include "cmd/flinttool.h"

#include <stdio.h>
#include <string.h>

/* check <what> ...: one file per thing checked (cmd/flinttool_check_<what>.c). */
static int flinttool_check(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} checks[] = {
		{"metrics", flinttool_check_metrics},
		{"config", flinttool_check_config},
		{"rules", flinttool_check_rules},
		{"service-discovery", flinttool_check_sd_argv},
	};
	for (size_t i = 0; argc > 1 && i < sizeof checks / sizeof checks[0]; i++)
		if (!strcmp(argv[1], checks[i].name))
			return checks[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "flinttool: error: expected command but got \"%s\"\n", argc > 1 ? argv[1] : "");
	return 1;
}

/* test promql ... | test rules ... */
static int flinttool_test_cmd(int argc, char **argv)
{
	return argc > 1 && !strcmp(argv[1], "rules") ? flinttool_test_rules(argc, argv) : flinttool_test(argc, argv);
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{"tsdb", flinttool_tsdb, "tsdb dump [--min-time=MS] [--max-time=MS] [--match=SELECTOR] DIR\n"
				 "  tsdb create-blocks-from openmetrics [-r] [-q] [--max-block-duration=D] FILE [DIR]"},
	{"test", flinttool_test_cmd, "test promql FILE...   run PromQL test scripts\n"
				      "  test rules [--run REGEX]... [--ignore-unknown-fields] FILE...   promtool's rule unit tests"},
	{"check", flinttool_check, "check config [--syntax-only] FILE...   promtool's verdicts on prometheus.yml files\n"
				   "  check metrics [--format=text|openmetrics] [--lint=none] [--extended] < FILE\n"
				   "  check rules [--lint=duplicate-rules|all|none] [--lint-fatal] [--ignore-unknown-fields] [FILE...]"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: flinttool <command> [<args> ...]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %s\n", cmds[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "flinttool: error: expected command but got \"%s\"\n", argv[1]);
	usage(stderr);
	return 1;
}
