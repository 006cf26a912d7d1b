/*
 * cli.h - flinttool's command table: one tree of commands, each with its
 * flags and positional arguments, drives parsing, dispatch and help (as
 * kingpin drives promtool). A new subcommand is one entry in its parent's
 * `subs`; it cannot be missing from --help.
 *
 *   static const cli_flag query_instant_flags[] = {
 *       {"time", 0, "TIME", "Query evaluation time (RFC3339 or Unix timestamp).", NULL, 0},
 *       {0}};
 *   static const cli_arg query_instant_args[] = {
 *       {"server", "Prometheus server to query.", CLI_REQUIRED},
 *       {"expr", "PromQL query expression.", CLI_REQUIRED},
 *       {0}};
 *   const cli_cmd flinttool_query_instant = {"instant", "Run instant query.",
 *       query_instant_flags, query_instant_args, NULL, run_query_instant};
 *
 * Parsing follows kingpin: "--name=value", "--name value", "-x value",
 * "--no-name" for a boolean, flags anywhere after their command (a parent's
 * flags are valid below it; the root's everywhere), "--" ends flags. Errors
 * read as promtool's and exit 1:
 *   flinttool: error: expected command but got "x", try --help
 *   flinttool: error: unknown long flag '--x', try --help
 *   flinttool: error: required argument 'server' not provided, try --help
 *   flinttool: error: expected argument for flag '--time', try --help
 * Root flags: --help (-h), --help-long, --version, --experimental,
 * --enable-feature (repeatable), --http.config.file. `help [command...]`
 * prints the help of a command. A command hidden behind --experimental
 * (CLI_EXPERIMENTAL) is refused without it, as promtool refuses.
 */
#ifndef FL_CMD_CLI_H
#define FL_CMD_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/config.h"

/* cli_flag.flags and cli_arg.flags */
enum {
	CLI_REQUIRED = 1,     /* must be given */
	CLI_REPEAT = 2,       /* may be given several times (flags), takes the rest (last argument) */
	CLI_HIDDEN = 4,       /* not shown by --help (only --help-long) */
	CLI_EXPERIMENTAL = 8, /* command: refused unless --experimental */
};

typedef struct cli_flag {
	const char *name;        /* long name without "--"; NULL ends an array */
	char short_name;         /* 'o' for -o, or 0 */
	const char *placeholder; /* shown verbatim after "=" in help ("TIME", "<url>"; promtool
				    2.42's kingpin shows a default there: "\"duplicate-rules\""); NULL: a boolean flag */
	const char *help;        /* one line, as promtool's help text */
	const char *def;         /* default value (cli_str's answer when not given; help shows the
				    placeholder only, as promtool 2.42 does), or NULL */
	unsigned flags;          /* CLI_* */
} cli_flag;

typedef struct cli_arg {
	const char *name;        /* as help shows it in <...>; NULL ends an array */
	const char *help;        /* one line */
	unsigned flags;          /* CLI_REQUIRED, CLI_REPEAT (last argument only) */
} cli_arg;

typedef struct cli_ctx cli_ctx;

typedef struct cli_cmd {
	const char *name;              /* NULL ends an array of commands */
	const char *help;              /* one line */
	const cli_flag *flags;         /* NULL or {0}-terminated */
	const cli_arg *args;           /* NULL or {0}-terminated */
	const struct cli_cmd *subs;    /* NULL or {0}-terminated: a command with subs needs one */
	int (*run)(const cli_ctx *c);  /* exit status (0 ok, 1 problems or errors, 3 lint under --lint-fatal) */
	unsigned opts;                 /* CLI_HIDDEN, CLI_EXPERIMENTAL */
} cli_cmd;

/* Parse argv against root, dispatch, return the exit status. */
int cli_main(const cli_cmd *root, const char *version, int argc, char **argv);

/* ---- what a command's run() reads ---- */
/* The flag's value (its last, for a repeated one), else its default, else NULL. */
const char *cli_str(const cli_ctx *c, const char *flag);
/* Every value of a repeatable flag, in order; *n their number. */
const char *const *cli_strs(const cli_ctx *c, const char *flag, size_t *n);
/* A boolean flag (true when given, "--no-x" false, else its default). */
bool cli_bool(const cli_ctx *c, const char *flag);
/* Whether the flag was given on the command line. */
bool cli_given(const cli_ctx *c, const char *flag);
/* A positional argument by name (NULL when absent); for a CLI_REPEAT
 * argument, every value through cli_args. */
const char *cli_arg_value(const cli_ctx *c, const char *arg);
const char *const *cli_args(const cli_ctx *c, const char *arg, size_t *n);
/* The root's --enable-feature values include name. */
bool cli_feature(const cli_ctx *c, const char *name);
/* The HTTP client settings of --http.config.file (Prometheus's
 * http_config: basic_auth, authorization, bearer_token(_file), oauth2,
 * tls_config, proxy_url, ...), or a zeroed default when the flag is absent.
 * NULL after printing the error (the command then exits 1). */
const scrape_http_client *cli_http_client(const cli_ctx *c);

/* Print "flinttool: error: <msg>, try --help"-style usage errors: the
 * message as given, then ", try --help" and a newline, on stderr; returns 1. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
