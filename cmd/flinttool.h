/*
 * flinttool.h - flinttool's commands (cmd/cli.h tables), one file each
 * (cmd/flinttool_<sub>.c). The root table is in cmd/flinttool.c; a group
 * of subcommands owned by one file exports its {0}-terminated array
 * (flinttool_tsdb_cmds), a leaf under a shared group (check, test) exports
 * its flags, arguments and run function, and flinttool.c names it.
 */
#ifndef FLINTTOOL_H
#define FLINTTOOL_H

#include "cmd/cli.h"

/* tsdb list|analyze|dump|dump-openmetrics|bench write|create-blocks-from
 * (cmd/flinttool_tsdb.c) */
extern const cli_cmd flinttool_tsdb_cmds[];
/* tsdb create-blocks-from openmetrics (cmd/flinttool_backfill.c) */
int flinttool_backfill(const cli_ctx *c);
/* check service-discovery [--timeout=30s] CONFIG JOB (cmd/flinttool_sd.c) */
extern const cli_flag flinttool_check_sd_flags[];
extern const cli_arg flinttool_check_sd_args[];
int flinttool_check_sd(const cli_ctx *c);
/* tsdb create-blocks-from rules --start=... [--end] [--url] [--output-dir]
 * [--eval-interval] RULE_FILE... (cmd/flinttool_backfill_rules.c) */
extern const cli_flag flinttool_backfill_rules_flags[];
extern const cli_arg flinttool_backfill_rules_args[];
int flinttool_backfill_rules(const cli_ctx *c);

/* debug pprof|metrics|all URL (cmd/flinttool_debug.c) */
extern const cli_cmd flinttool_debug_cmds[];
/* query instant|range|series|labels|analyze (cmd/flinttool_query.c); -o is the group's flag */
extern const cli_flag flinttool_query_flags[];
extern const cli_cmd flinttool_query_cmds[];
/* push metrics URL [FILE...] (cmd/flinttool_push.c) */
extern const cli_cmd flinttool_push_cmds[];
/* promql format, promql label-matchers set|delete (cmd/flinttool_promql.c) */
extern const cli_cmd flinttool_promql_cmds[];
/* check web-config FILE..., check healthy|ready [--url] (cmd/flinttool_web.c) */
extern const cli_arg flinttool_web_config_args[];
int flinttool_check_web_config(const cli_ctx *c);
extern const cli_flag flinttool_server_status_flags[];
int flinttool_check_healthy(const cli_ctx *c);
int flinttool_check_ready(const cli_ctx *c);

/* check config [--syntax-only] [--lint=...] [--lint-fatal] FILE... */
extern const cli_flag flinttool_check_config_flags[];
extern const cli_arg flinttool_check_config_args[];
int flinttool_check_config(const cli_ctx *c);
/* check rules [--lint=...] [--lint-fatal] [--ignore-unknown-fields] [FILE...] */
extern const cli_flag flinttool_check_rules_flags[];
extern const cli_arg flinttool_check_rules_args[];
int flinttool_check_rules(const cli_ctx *c);
/* check metrics [--extended] [--lint=all|none] [--format=...] < FILE */
extern const cli_flag flinttool_check_metrics_flags[];
int flinttool_check_metrics(const cli_ctx *c);
/* test promql [--known=FILE|none] FILE... */
extern const cli_flag flinttool_test_promql_flags[];
extern const cli_arg flinttool_test_promql_args[];
int flinttool_test_promql(const cli_ctx *c);
/* test's own flags (--junit) */
extern const cli_flag flinttool_test_flags[];
/* test rules [--run REGEX]... [--debug] [--ignore-unknown-fields] FILE... */
extern const cli_flag flinttool_test_rules_flags[];
extern const cli_arg flinttool_test_rules_args[];
int flinttool_test_rules(const cli_ctx *c);

/* promtool's checkRules over files, shared with check config; sets *failed
 * (an error or a lint) and *has_errors (an error). */
typedef struct check_rules_opts {
	_Bool lint_duplicates;       /* --lint=duplicate-rules|all (the default) */
	_Bool fatal;                 /* --lint-fatal: a lint alone exits 3 */
	_Bool ignore_unknown_fields; /* --ignore-unknown-fields */
} check_rules_opts;
void flinttool_check_rule_files(char *const *files, unsigned long n, const check_rules_opts *o, _Bool *failed, _Bool *has_errors);
/* --lint's comma-separated value (unknown options warn on stdout). */
void flinttool_rules_lint_option(const char *v, check_rules_opts *o);
/* kingpin's ExistingFiles: each path exists and is no directory, else the
 * usage error ("path 'x' does not exist, try --help") and 1. */
int flinttool_existing_files(const char *const *files, size_t n);
#endif
