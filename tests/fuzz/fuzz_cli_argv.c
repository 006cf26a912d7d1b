/*
 * fuzz_cli_argv.c - any bytes as flinttool's command line (cmd/cli.c):
 * the input split at newlines into argv words, parsed against a table with
 * every kind of flag and argument; help and usage errors print, run()
 * reads every value back. The same bytes are then loaded as an
 * --http.config.file (scrape_http_client_load) and validated as a web
 * config (webconfig_validate, `check web-config`). Never a crash or a leak.
 * cli.c is a program file, not part of libflint: it is compiled in here.
 */
#include "cmd/cli.c"

#include <fcntl.h>
#include <unistd.h>

#include "web/webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_all(const cli_ctx *c)
{
	size_t n;
	cli_strs(c, "label", &n);
	cli_args(c, "files", &n);
	cli_str(c, "out");
	cli_bool(c, "quiet");
	cli_given(c, "out");
	cli_arg_value(c, "name");
	cli_feature(c, "promql-experimental-functions");
	return 0;
}

static const cli_flag grp_flags[] = {{"quiet", 'q', NULL, "Quiet.", NULL, 0}, {0}};
static const cli_flag x_flags[] = {
	{"out", 'o', "OUT", "Output.", "def", 0},
	{"label", 'l', "LABEL", "Labels.", NULL, CLI_REPEAT},
	{"human-readable", 'r', NULL, "Human.", "true", CLI_HIDDEN},
	{0},
};
static const cli_arg x_args[] = {{"name", "Name.", CLI_REQUIRED}, {"files", "Files.", CLI_REPEAT}, {0}};
static const cli_flag req_flags[] = {{"match", 0, "MATCH", "Match.", NULL, CLI_REQUIRED}, {0}};
static const cli_cmd sub_cmds[] = {{"leaf", "Leaf.", NULL, NULL, NULL, run_all, 0}, {0}};
static const cli_cmd grp_cmds[] = {
	{"x", "Do x, with a long help text that wraps over more than one line of the eighty columns kingpin uses.",
	 x_flags, x_args, NULL, run_all, 0},
	{"req", "Needs --match.\n\nA second paragraph.", req_flags, NULL, NULL, run_all, 0},
	{"exp", "Experimental.", NULL, NULL, NULL, run_all, CLI_EXPERIMENTAL},
	{"deep", "Deeper.", NULL, NULL, sub_cmds, NULL, 0},
	{0},
};
static const cli_cmd root_cmds[] = {{"grp", "A group.", grp_flags, NULL, grp_cmds, NULL, 0}, {0}};
static const cli_cmd root = {"tool", "A tool.", NULL, NULL, root_cmds, NULL, 0};

static char path[] = "/tmp/flint-fuzz-cli-XXXXXX";

static void remove_tmp(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet_done, devnull = -1, saved_stdout = -1;
	if (!quiet_done) { /* help is printed to nowhere (errors go to stderr: -close_fd_mask=2) */
		quiet_done = 1;
		devnull = open("/dev/null", O_WRONLY);
		saved_stdout = dup(1);
		int t = mkstemp(path);
		if (t >= 0) {
			close(t);
			atexit(remove_tmp);
		}
	}
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	char *argv[65];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	int argc = 0;
	argv[argc++] = "tool";
	for (char *p = text; argc < 64;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		/* @file: never a path from the input (a FIFO would hang) */
		if (p[0] == '@' && p[1])
			argv[argc] = argc % 2 ? (char *)"@/nonexistent/flint-fuzz-args" : (char *)"@/dev/null";
		else
			argv[argc] = p;
		argc++;
		if (!nl)
			break;
		p = nl + 1;
	}
	argv[argc] = NULL;
	/* stdout goes to /dev/null only around the call: the replay runner's
	 * own summary line must still reach the test log */
	fflush(stdout);
	if (devnull >= 0)
		dup2(devnull, 1);
	cli_main(&root, "tool 1", argc, argv);
	fflush(stdout);
	if (saved_stdout >= 0)
		dup2(saved_stdout, 1);
	free(text);

	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd >= 0) {
		ssize_t w = write(fd, data, size);
		close(fd);
		const scrape_http_client *h;
		err e;
		err_clear(&e);
		if (w == (ssize_t)size) {
			scrape_config_free(scrape_http_client_load(path, &h, &e));
			err_clear(&e);
			webconfig_validate(path, &e);
		}
	}
	return 0;
}
