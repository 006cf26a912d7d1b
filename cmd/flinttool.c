/*
 * flinttool.c - the promtool-style CLI: one table of commands (cmd/cli.h)
 * drives parsing, dispatch and help. Names, help texts and flags are
 * promtool's (cmd/promtool/main.go); each command lives in
 * cmd/flinttool_<sub>.c.
 */
#include "cmd/flinttool.h"

#include <stdio.h>

#include "lib/version.h"

static const cli_cmd check_cmds[] = {
	{"service-discovery", "Perform service discovery for the given job name and report the results, including "
	 "relabeling.", flinttool_check_sd_flags, flinttool_check_sd_args, NULL, flinttool_check_sd, 0},
	{"config", "Check if the config files are valid or not.", flinttool_check_config_flags,
	 flinttool_check_config_args, NULL, flinttool_check_config, 0},
	{"web-config", "Check if the web config files are valid or not.", NULL, flinttool_web_config_args, NULL,
	 flinttool_check_web_config, 0},
	{"healthy", "Check if the Prometheus server is healthy.", flinttool_server_status_flags, NULL, NULL,
	 flinttool_check_healthy, 0},
	{"ready", "Check if the Prometheus server is ready.", flinttool_server_status_flags, NULL, NULL,
	 flinttool_check_ready, 0},
	{"rules", "Check if the rule files are valid or not.", flinttool_check_rules_flags, flinttool_check_rules_args,
	 NULL, flinttool_check_rules, 0},
	{"metrics",
	 "Pass Prometheus metrics over stdin to lint them for consistency and correctness.\n\nexamples:\n\n"
	 "$ cat metrics.prom | flinttool check metrics\n\n"
	 "$ curl -s http://localhost:9090/metrics | flinttool check metrics",
	 flinttool_check_metrics_flags, NULL, NULL, flinttool_check_metrics, 0},
	{0},
};

static const cli_cmd test_cmds[] = {
	{"rules", "Unit tests for rules.", flinttool_test_rules_flags, flinttool_test_rules_args, NULL,
	 flinttool_test_rules, 0},
	{"promql", "Run PromQL test scripts (promqltest files) on an in-memory TSDB.", flinttool_test_promql_flags,
	 flinttool_test_promql_args, NULL, flinttool_test_promql, 0},
	{0},
};

static const cli_cmd root_cmds[] = {
	{"check", "Check the resources for validity.", NULL, NULL, check_cmds, NULL, 0},
	{"query", "Run query against a Prometheus server.", flinttool_query_flags, NULL, flinttool_query_cmds, NULL, 0},
	{"debug", "Fetch debug information.", NULL, NULL, flinttool_debug_cmds, NULL, 0},
	{"push", "Push to a Prometheus server.", NULL, NULL, flinttool_push_cmds, NULL, 0},
	{"test", "Unit testing.", flinttool_test_flags, NULL, test_cmds, NULL, 0},
	{"tsdb", "Run tsdb commands.", NULL, NULL, flinttool_tsdb_cmds, NULL, 0},
	{"promql", "PromQL formatting and editing. Requires the --experimental flag.", NULL, NULL, flinttool_promql_cmds,
	 NULL, CLI_EXPERIMENTAL},
	{0},
};

static const cli_cmd root = {"flinttool", "Tooling for the flint monitoring system (promtool's commands).", NULL,
			     NULL, root_cmds, NULL, 0};

#if defined(__x86_64__)
#define PLATFORM "linux/amd64"
#elif defined(__aarch64__)
#define PLATFORM "linux/arm64"
#else
#define PLATFORM "linux"
#endif

int main(int argc, char **argv)
{
	/* promtool's version.Print block, with flint's fields */
	static const char version[] =
		"flinttool, version " FLINT_VERSION " (branch: " FLINT_BRANCH ", revision: " FLINT_REVISION ")\n"
		"  prometheus:       " FLINT_PROMETHEUS_VERSION " (the semantics implemented)\n"
		"  compiler:         cc " __VERSION__ "\n"
		"  platform:         " PLATFORM;
	return cli_main(&root, version, argc, argv);
}
