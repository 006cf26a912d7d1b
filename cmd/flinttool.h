/* flinttool.h - subcommands of flinttool, one file each (cmd/flinttool_<sub>.c).
 * Each gets argv starting at its own name and returns the exit status
 * (0 ok, 1 error: bad input, 2 usage). */
#ifndef FLINTTOOL_H
#define FLINTTOOL_H
int flinttool_tsdb(int argc, char **argv);  /* tsdb dump ... */
int flinttool_test(int argc, char **argv);  /* test promql FILE... */
/* tsdb create-blocks-from openmetrics ... (argv from "create-blocks-from") */
int flinttool_backfill(int argc, char **argv);
/* check metrics ... (argv from "metrics"): lint or validate a page on stdin */
int flinttool_check_metrics(int argc, char **argv);
/* check config [--syntax-only] FILE... (argv from "config") */
int flinttool_check_config(int argc, char **argv);
#endif
