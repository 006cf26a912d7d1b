/* test_cli.c - cmd/cli.c (flinttool's command table): kingpin's parsing
 * rules over a small table, what run() reads back, usage-error exit
 * statuses, and scrape_http_client_load (--http.config.file). cli.c is a
 * program file, not part of libflint: it is compiled into this test. */
#include "cmd/cli.c"

#include <fcntl.h>
#include <unistd.h>

#include "test.h"

typedef struct seen {
	int runs;
	const char *out, *name, *first_file;
	size_t n_files, n_label;
	bool quiet, human, flinttool_feature;
	char labels[64];
} seen;
static seen S;

static int run_x(const cli_ctx *c)
{
	S.runs++;
	S.out = cli_str(c, "out");
	S.name = cli_arg_value(c, "name");
	const char *const *files = cli_args(c, "files", &S.n_files);
	S.first_file = S.n_files ? files[0] : NULL;
	const char *const *l = cli_strs(c, "label", &S.n_label);
	S.labels[0] = 0;
	for (size_t i = 0; i < S.n_label; i++)
		snprintf(S.labels + strlen(S.labels), sizeof S.labels - strlen(S.labels), "%s;", l[i]);
	S.quiet = cli_bool(c, "quiet");
	S.human = cli_bool(c, "human-readable");
	S.flinttool_feature = cli_feature(c, "promql-experimental-functions");
	return 7;
}

static const cli_flag grp_flags[] = {{"quiet", 'q', NULL, "Quiet.", NULL, 0}, {0}};
static const cli_flag x_flags[] = {
	{"out", 'o', "OUT", "Output.", "def-out", 0},
	{"label", 0, "LABEL", "Labels.", NULL, CLI_REPEAT},
	{"human-readable", 'r', NULL, "Human.", "true", 0},
	{0},
};
static const cli_arg x_args[] = {{"name", "Name.", CLI_REQUIRED}, {"files", "Files.", CLI_REPEAT}, {0}};
static const cli_flag req_flags[] = {{"match", 0, "MATCH", "Match.", NULL, CLI_REQUIRED}, {0}};
static const cli_cmd grp_cmds[] = {
	{"x", "Do x.", x_flags, x_args, NULL, run_x, 0},
	{"req", "Needs --match.", req_flags, NULL, NULL, run_x, 0},
	{"exp", "Experimental.", NULL, NULL, NULL, run_x, CLI_EXPERIMENTAL},
	{0},
};
static const cli_cmd root_cmds[] = {{"grp", "A group.", grp_flags, NULL, grp_cmds, NULL, 0}, {0}};
static const cli_cmd root = {"tool", "A tool.", NULL, NULL, root_cmds, NULL, 0};

/* cli_main over the words of line (space-separated), stderr muted. */
static int cli_run(const char *line)
{
	char buf[512], *argv[32];
	snprintf(buf, sizeof buf, "tool %s", line);
	int argc = 0;
	for (char *p = strtok(buf, " "); p && argc < 31; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	memset(&S, 0, sizeof S);
	fflush(stderr);
	int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	int rc = cli_main(&root, "tool 1", argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(devnull);
	return rc;
}

static void cli_values_and_defaults(void)
{
	ASSERT_EQ(cli_run("grp x n"), 7);
	ASSERT_EQ(S.runs, 1);
	ASSERT_STR_EQ(S.out, "def-out");
	ASSERT_STR_EQ(S.name, "n");
	ASSERT_EQ(S.n_files, 0);
	ASSERT(S.human);  /* its default */
	ASSERT(!S.quiet); /* the parent's flag, not given */
	ASSERT_EQ(cli_run("grp x --out=a --label=x=1 n f1 --label y=2 f2 -q --no-human-readable"), 7);
	ASSERT_STR_EQ(S.out, "a");
	ASSERT_STR_EQ(S.labels, "x=1;y=2;");
	ASSERT_EQ(S.n_files, 2);
	ASSERT_STR_EQ(S.first_file, "f1");
	ASSERT(S.quiet);
	ASSERT(!S.human);
}

static void cli_short_flags(void)
{
	ASSERT_EQ(cli_run("grp x -qr -oVALUE n"), 7);
	ASSERT(S.quiet && S.human);
	ASSERT_STR_EQ(S.out, "VALUE");
	ASSERT_EQ(cli_run("grp x -o V2 n"), 7);
	ASSERT_STR_EQ(S.out, "V2");
	ASSERT_EQ(cli_run("grp -q x n"), 7); /* a parent's flag before the subcommand */
	ASSERT(S.quiet);
}

static void cli_double_dash(void)
{
	ASSERT_EQ(cli_run("grp x n -- --not-a-flag -q"), 7);
	ASSERT_EQ(S.n_files, 2);
	ASSERT_STR_EQ(S.first_file, "--not-a-flag");
	ASSERT(!S.quiet);
}

static void cli_usage_errors_exit_1(void)
{
	ASSERT_EQ(cli_run("nope"), 1);
	ASSERT_EQ(cli_run("grp"), 1);          /* must select a subcommand */
	ASSERT_EQ(cli_run("grp x"), 1);        /* required argument */
	ASSERT_EQ(cli_run("grp x n --bogus"), 1);
	ASSERT_EQ(cli_run("grp x n -z"), 1);
	ASSERT_EQ(cli_run("grp x n --out"), 1); /* no value */
	ASSERT_EQ(cli_run("grp x n --out=a --out=b"), 1); /* not repeatable */
	ASSERT_EQ(cli_run("grp x n --no-out"), 1);        /* --no- of a valued flag */
	ASSERT_EQ(cli_run("grp req"), 1);                 /* required flag */
	ASSERT_EQ(S.runs, 0);
	ASSERT_EQ(cli_run("grp req --match=a"), 7);
	ASSERT_EQ(cli_run("grp exp"), 1); /* experimental without --experimental */
	ASSERT_EQ(S.runs, 0);
	ASSERT_EQ(cli_run("--experimental grp exp"), 7);
}

static void cli_features(void)
{
	ASSERT_EQ(cli_run("--enable-feature=no-default-scrape-port,promql-experimental-functions grp x n"), 7);
	ASSERT(S.flinttool_feature);
	ASSERT_EQ(cli_run("--enable-feature=promql-experimental-functionsX grp x n"), 7);
	ASSERT(!S.flinttool_feature);
}

static void cli_http_client_file(void)
{
	const scrape_http_client *h = NULL;
	err e;
	err_clear(&e);
	scrape_config *c = scrape_http_client_load(NULL, &h, &e);
	ASSERT(c && h);
	ASSERT(h->follow_redirects);
	ASSERT(!h->basic_auth_user);
	scrape_config_free(c);

	char path[] = "/tmp/flint-unit-cli-XXXXXX";
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	const char *good = "basic_auth:\n  username: alice\n  password: pw\ntls_config:\n  insecure_skip_verify: true\n";
	ASSERT_EQ(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	c = scrape_http_client_load(path, &h, &e);
	ASSERT(c && h);
	ASSERT_STR_EQ(h->basic_auth_user, "alice");
	ASSERT_STR_EQ(h->basic_auth_pass, "pw");
	ASSERT(h->tls_insecure_skip_verify);
	scrape_config_free(c);

	fd = open(path, O_WRONLY | O_TRUNC);
	const char *bad = "bogus: 1\n";
	ASSERT_EQ(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	err_clear(&e);
	ASSERT(!scrape_http_client_load(path, &h, &e));
	ASSERT(strstr(e.msg, "bogus") != NULL);
	unlink(path);
	err_clear(&e);
	ASSERT(!scrape_http_client_load("/nonexistent/flint-http.yml", &h, &e));
	ASSERT(e.msg[0] != 0);
}

/* go/doc's least-raggedness breaks, on texts of promtool 2.42's help where
 * greedy filling breaks elsewhere (or the same) */
static void cli_wrap_like_go_doc(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	ASSERT(f);
	wrap(f, NULL, "|", 50, "Linting checks to apply to the rules specified in the config. Available options are: all, "
			       "duplicate-rules, none. Use --lint=none to disable linting");
	wrap(f, NULL, "|", 47, "If an end time is provided, all recording rules in the rule files provided will be "
			       "backfilled to the end time. Default will backfill up to 3 hours ago. Must be a RFC3339 "
			       "formatted date or Unix timestamp.");
	wrap(f, "", "    ", 76, "Pass metrics over stdin.\n\nexamples:\n\n$ cat metrics.prom | x");
	fclose(f);
	ASSERT_STR_EQ(out, "|Linting checks to apply to the rules specified\n"
			   "|in the config. Available options are: all,\n"
			   "|duplicate-rules, none. Use --lint=none to disable\n"
			   "|linting\n"
			   "|If an end time is provided, all recording rules\n"
			   "|in the rule files provided will be backfilled\n"
			   "|to the end time. Default will backfill up to 3\n"
			   "|hours ago. Must be a RFC3339 formatted date or\n"
			   "|Unix timestamp.\n"
			   "Pass metrics over stdin.\n\n    examples:\n\n    $ cat metrics.prom | x\n");
	free(out);
}

/* kingpin's usage template for a leaf of the small table */
static void cli_usage_layout(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	ASSERT(f);
	const cli_cmd *path[] = {&root, &root_cmds[0], &grp_cmds[0]};
	usage(f, path, 3, false);
	fclose(f);
	ASSERT(strstr(out, "usage: tool grp x [<flags>] <name> [<files>...]\n\nDo x.\n\nFlags:\n"
			   "  -h, --help                 Show context-sensitive help (also try --help-long\n"
			   "                             and --help-man).\n") == out);
	ASSERT(strstr(out, "      --http.config.file=<filename>  \n" /* 30 wide or more: text below */
			   "                             HTTP client configuration file, see details at\n"
			   "                             https://prometheus.io/docs/prometheus/latest/configuration/promtool\n"
			   "  -q, --quiet                Quiet.\n"
			   "  -o, --out=OUT              Output.\n"
			   "      --label=LABEL ...      Labels.\n"
			   "  -r, --human-readable       Human.\n\n"
			   "Args:\n  <name>     Name.\n  [<files>]  Files.\n\n") != NULL);
	free(out);
}

const struct test tests_cli[] = {
	{"cli_usage_layout", cli_usage_layout},
	{"cli_wrap_like_go_doc", cli_wrap_like_go_doc},
	{"cli_values_and_defaults", cli_values_and_defaults},
	{"cli_short_flags", cli_short_flags},
	{"cli_double_dash", cli_double_dash},
	{"cli_usage_errors_exit_1", cli_usage_errors_exit_1},
	{"cli_features", cli_features},
	{"cli_http_client_file", cli_http_client_file},
	{NULL, NULL},
};
