/*
 * flinttool_check_config.c - `flinttool check config [--syntax-only] FILE...`,
 * promtool check config's output and exit status (cmd/promtool/main.go
 * CheckConfig, v3.x):
 *
 *   Checking prometheus.yml                                  (stdout)
 *     SUCCESS: 1 rule files found                            (stdout, when any)
 *    SUCCESS: prometheus.yml is valid prometheus config file syntax
 *   <blank line>
 *   Checking rules.yml
 *     SUCCESS: 3 rules found
 *   <blank line>
 * or "  FAILED: <error>" on stderr, and exit status 1 if any file or rule
 * file failed. A FILE that does not exist is a usage error before any
 * output (kingpin's ExistingFiles): "flinttool: error: path 'x' does not
 * exist, try --help", status 1.
 *
 * Beyond loading (scrape/config.c, the same loader flint runs): rule_files
 * globs are expanded and an explicit file must exist; authorization
 * credentials files and TLS client cert/key files must exist; every static
 * and file_sd target must populate (file_sd globs matching nothing are a
 * WARNING). --syntax-only skips all of that.
 *
 * Rule files are checked as `check rules` checks them (promtool's
 * checkRules, cmd/flinttool_check_rules.c over rules/rulefile.c), with
 * --lint (duplicate-rules by default; too-long-scrape-interval is
 * accepted and not applied) and --lint-fatal: a lint alone exits 3.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/flinttool.h"
#include "lib/buf.h"
#include "scrape/config.h"
#include "scrape/discovery.h"

/* ---- the config file ---- */

static int exists(const char *what, const char *path, err *e)
{
	struct stat st;
	if (!path || !stat(path, &st))
		return 0;
	return err_set(e, FL_EIO, "%s \"%s\": stat %s: %s", what, path, path, strerror(errno));
}

static void warn_missing(void *ctx, const char *glob)
{
	printf("  WARNING: file \"%s\" for file_sd in scrape job \"%s\" does not exist\n", glob, (const char *)ctx);
}

/* The files a rule_files entry names; an explicit file must exist. */
static int rule_globs(const char *pat, glob_t *g, err *e)
{
	int rc = glob(pat, 0, NULL, g);
	if (rc && rc != GLOB_NOMATCH)
		return err_set(e, FL_EIO, "error expanding \"%s\"", pat);
	if (!strchr(pat, '*') && (rc == GLOB_NOMATCH || !g->gl_pathc))
		return err_set(e, FL_EIO, "\"%s\" does not point to an existing file", pat);
	return 0;
}

/* promtool's checkConfig; fills the rule files to check. */
static int check_config(const char *file, bool syntax_only, bool agent, char ***rules, size_t *n_rules, err *e)
{
	printf("Checking %s\n", file);
	buf b;
	buf_init(&b);
	if (scrape_read_file(&b, file, e)) {
		buf_reset(&b);
		return FL_EIO;
	}
	err pe;
	scrape_config *c = scrape_config_parse((const char *)b.p, b.len, file, &pe);
	buf_reset(&b);
	if (!c)
		return err_set(e, FL_EINVAL, "parsing YAML file %s: %s", file, pe.msg);
	int rc = agent ? scrape_config_check_agent(c, e) : 0; /* alerting, rule_files, remote_read refused */
	for (size_t i = 0; !syntax_only && !rc && i < c->n_rule_files; i++) {
		glob_t g = {0};
		rc = rule_globs(c->rule_files[i], &g, e);
		for (size_t k = 0; !rc && k < g.gl_pathc; k++) {
			char **nr = fl_realloc(*rules, (*n_rules + 1) * sizeof *nr);
			if (!nr)
				rc = err_set(e, FL_ENOMEM, "out of memory");
			else
				*rules = nr, nr[(*n_rules)++] = fl_strdup(g.gl_pathv[k]);
		}
		globfree(&g);
	}
	for (size_t i = 0; !rc && i < c->n_jobs; i++) {
		const scrape_job_config *j = &c->jobs[i];
		if (!syntax_only)
			rc = exists("error checking authorization credentials or bearer token file", j->http.auth_credentials_file, e);
		if (!rc && !syntax_only)
			rc = exists("error checking client cert file", j->http.tls_cert_file, e);
		if (!rc && !syntax_only)
			rc = exists("error checking client key file", j->http.tls_key_file, e);
		if (!rc && !syntax_only)
			rc = discovery_check_job(j, warn_missing, (void *)j->job_name, e);
	}
	scrape_config_free(c);
	if (rc) { /* promtool checks no rule file of a config that failed */
		for (size_t i = 0; i < *n_rules; i++)
			fl_free((*rules)[i]);
		*n_rules = 0;
	}
	return rc;
}

const cli_flag flinttool_check_config_flags[] = {
	{"syntax-only", 0, NULL, "Only check the config file syntax, ignoring file and content validation referenced in the config", NULL, 0},
	{"lint", 0, "\"duplicate-rules\"", "Linting checks to apply to the rules/scrape configs specified in the config. "
	 "Available options are: all, duplicate-rules, none, too-long-scrape-interval. Use --lint=none to disable linting",
	 "duplicate-rules", 0},
	{"lint-fatal", 0, NULL, "Make lint errors exit with exit code 3.", "false", 0},
	{"ignore-unknown-fields", 0, NULL, "Ignore unknown fields in the rule groups read by the config files. This is "
	 "useful when you want to extend rule files with custom metadata. Ensure that those fields are removed before "
	 "loading them into the Prometheus server as it performs strict checks by default.", "false", 0},
	{"agent", 0, NULL, "Check config file for Prometheus in Agent mode.", NULL, 0},
	{0},
};

const cli_arg flinttool_check_config_args[] = {
	{"config-files", "The config files to check.", CLI_REQUIRED | CLI_REPEAT},
	{0},
};

int flinttool_existing_files(const char *const *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(files[i], &st))
			return cli_usage_error("path '%s' does not exist", files[i]);
		if (S_ISDIR(st.st_mode))
			return cli_usage_error("'%s' is a directory", files[i]);
	}
	return 0;
}

int flinttool_check_config(const cli_ctx *c)
{
	check_rules_opts ro = {.lint_duplicates = true};
	bool syntax_only = cli_bool(c, "syntax-only"), agent = cli_bool(c, "agent");
	ro.fatal = cli_bool(c, "lint-fatal");
	ro.ignore_unknown_fields = cli_bool(c, "ignore-unknown-fields");
	const char *lint = cli_given(c, "lint") ? cli_str(c, "lint") : NULL;
	size_t n_files;
	const char *const *files = cli_args(c, "config-files", &n_files);
	for (size_t i = 0; i < n_files; i++) { /* kingpin's ExistingFiles, directories aside */
		struct stat st;
		if (stat(files[i], &st))
			return cli_usage_error("path '%s' does not exist", files[i]);
	}
	if (lint) { /* newConfigLintConfig: none wins; too-long-scrape-interval is not a rules lint */
		buf rl;
		buf_init(&rl);
		bool none = false;
		for (const char *v = lint; *v;) {
			size_t n = strcspn(v, ",");
			if (n == 4 && !strncmp(v, "none", 4))
				none = true;
			else if (!(n == 24 && !strncmp(v, "too-long-scrape-interval", 24)))
				buf_printf(&rl, "%s%.*s", rl.len ? "," : "", (int)n, v);
			v += n + (v[n] == ',');
		}
		flinttool_rules_lint_option(none ? "" : buf_cstr(&rl), &ro);
		buf_reset(&rl);
	}
	bool failed = false, has_errors = false;
	for (size_t i = 0; i < n_files; i++) {
		char **rules = NULL;
		size_t n_rules = 0;
		err e;
		if (check_config(files[i], syntax_only, agent, &rules, &n_rules, &e)) {
			fflush(stdout);
			fprintf(stderr, "  FAILED: %s\n", e.msg);
			failed = has_errors = true;
		} else {
			if (n_rules)
				printf("  SUCCESS: %zu rule files found\n", n_rules);
			printf(" SUCCESS: %s is valid prometheus config file syntax\n", files[i]);
		}
		printf("\n");
		fflush(stdout);
		flinttool_check_rule_files(rules, n_rules, &ro, &failed, &has_errors);
		for (size_t k = 0; k < n_rules; k++)
			fl_free(rules[k]);
		fl_free(rules);
		fflush(stdout);
	}
	if (failed && has_errors)
		return 1;
	return failed && ro.fatal ? 3 : 0;
}
