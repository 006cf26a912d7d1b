/* flinttool.h - subcommands of flinttool, one file each (cmd/flinttool_<sub>.c).
 * Each gets argv starting at its own name and returns the exit status
 * (0 ok, 1 error: bad input, 2 usage). */
#ifndef FLINTTOOL_H
#define FLINTTOOL_H
#include <stddef.h>
#include <stdint.h>
int flinttool_tsdb(int argc, char **argv);  /* tsdb dump ... */
int flinttool_test(int argc, char **argv);  /* test promql FILE... */
/* test rules [--run REGEX]... FILE... (argv from "test"): promtool rule unit tests */
int flinttool_test_rules(int argc, char **argv);
/* tsdb create-blocks-from openmetrics ... (argv from "create-blocks-from") */
int flinttool_backfill(int argc, char **argv);
/* tsdb create-blocks-from rules ... (argv from "rules"): backfill recording
 * rules from a server's query_range (cmd/flinttool_backfill_rules.c) */
typedef struct flinttool_backfill_rules_args {
	const char *url, *start, *end, *output_dir; /* NULL: the defaults */
	int64_t eval_interval_ms, max_block_ms;
	const char *const *files;
	size_t n_files;
} flinttool_backfill_rules_args;
int flinttool_backfill_rules_run(const flinttool_backfill_rules_args *a);
int flinttool_backfill_rules(int argc, char **argv);
/* check metrics ... (argv from "metrics"): lint or validate a page on stdin */
int flinttool_check_metrics(int argc, char **argv);
/* check config [--syntax-only] FILE... (argv from "config") */
int flinttool_check_config(int argc, char **argv);
/* check rules [--lint=...] [--lint-fatal] [--ignore-unknown-fields] [FILE...] (argv from "rules") */
int flinttool_check_rules(int argc, char **argv);
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
#endif
