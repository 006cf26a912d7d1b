/*
 * flinttool_check_rules.c - `flinttool check rules [--lint=duplicate-rules|
 * none|all] [--lint-fatal] [--ignore-unknown-fields] [FILE...]`: promtool's
 * CheckRules, checkRules, checkRuleGroups and checkDuplicates
 * (cmd/promtool/main.go, v3.x), over rules/rulefile.c:
 *
 *   Checking rules.yml                                  (stdout)
 *     SUCCESS: 5 rules found                            (stdout)
 *   <blank line>
 * or "  FAILED:" and each error on stderr (no blank line after them), or,
 * for the duplicate-rule lint, "  FAILED:" and
 *   lint error 1 duplicate rule(s) found.
 *   Metric: <alert or record name>
 *   Label(s):
 *   	<name>: <value>            (the group's labels, then the rule's)
 *   Might cause inconsistency while recording expressions
 * on stderr and a blank line. With no FILE, the rules come from standard
 * input ("Checking standard input", messages without a file name: 3.x).
 * Exit status: 1 if any file had an error, else 3 if a lint failed and
 * --lint-fatal, else 0. A FILE that does not exist is a usage error before
 * any output, as kingpin's ExistingFiles makes it.
 *
 * --enable-feature=... (promtool's global flag) is accepted and has no
 * effect: flint's PromQL parser always parses the 3.x features.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/flinttool.h"
#include "lib/buf.h"
#include "lib/fl.h"
#include "rules/rulefile.h"

typedef struct dup_rule {
	const char *metric; /* alert or record name */
	labels ls;          /* group labels overridden by the rule's */
} dup_rule;

static int dup_cmp(const void *a, const void *b)
{
	const dup_rule *x = a, *y = b;
	int c = strcmp(x->metric, y->metric);
	return c ? c : labels_compare(x->ls, y->ls);
}

/* rules.FromMaps(group.Labels, rule.Labels) into a (sorted, empty values kept). */
static labels merged_labels(arena *a, labels g, labels r)
{
	label *v = arena_alloc(a, (g.n + r.n + 1) * sizeof *v);
	size_t n = 0, i = 0, j = 0;
	if (!v)
		return (labels){0};
	while (i < g.n || j < r.n) {
		int c = i == g.n ? 1 : j == r.n ? -1 : strcmp(g.v[i].name, r.v[j].name);
		if (c < 0)
			v[n++] = g.v[i++];
		else if (c > 0)
			v[n++] = r.v[j++];
		else
			v[n++] = r.v[j++], i++;
	}
	return (labels){v, n};
}

/* checkDuplicates: the lint message, or an empty buffer. */
static void duplicates(const rule_file *f, buf *out)
{
	size_t n = rule_file_n_rules(f), k = 0;
	if (n < 2)
		return;
	arena a;
	arena_init(&a);
	dup_rule *v = arena_alloc(&a, n * sizeof *v);
	for (size_t i = 0; v && i < f->n_groups; i++)
		for (size_t j = 0; j < f->groups[i].n_rules; j++) {
			const rule_def *r = &f->groups[i].rules[j];
			v[k].metric = r->alert ? r->alert : r->record ? r->record : "";
			v[k++].ls = merged_labels(&a, f->groups[i].labels, r->labels);
		}
	if (v) {
		qsort(v, n, sizeof *v, dup_cmp);
		size_t n_dup = 0;
		buf body;
		buf_init(&body);
		const dup_rule *last_dup = NULL;
		for (size_t i = 1; i < n; i++) {
			if (dup_cmp(&v[i - 1], &v[i]))
				continue;
			if (last_dup && !dup_cmp(last_dup, &v[i]))
				continue; /* "Don't add a duplicated rule multiple times." */
			last_dup = &v[i];
			n_dup++;
			buf_printf(&body, "Metric: %s\nLabel(s):\n", v[i].metric);
			for (size_t l = 0; l < v[i].ls.n; l++)
				buf_printf(&body, "\t%s: %s\n", v[i].ls.v[l].name, v[i].ls.v[l].value);
		}
		if (n_dup) {
			buf_printf(out, "lint error %zu duplicate rule(s) found.\n", n_dup);
			buf_put(out, body.p, body.len);
			buf_put_str(out, "Might cause inconsistency while recording expressions");
		}
		buf_reset(&body);
	}
	arena_reset(&a);
}

/* One file (path NULL: standard input, already read into text). */
static void check_one(const char *path, const char *text, size_t len, const check_rules_opts *o, bool *failed,
		      bool *has_errors)
{
	printf("Checking %s\n", path ? path : "standard input");
	fflush(stdout); /* before a warning the parse may log on stderr */
	rule_errors errs = {0};
	err e;
	rule_file *f = path ? rule_file_load_opts(path, o->ignore_unknown_fields, &errs, &e)
			    : rule_file_parse_opts(text, len, NULL, o->ignore_unknown_fields, &errs, &e);
	if (!f) {
		fflush(stdout);
		fprintf(stderr, "  FAILED:\n");
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		if (!errs.n)
			fprintf(stderr, "%s\n", e.msg);
		fflush(stderr);
		rule_errors_free(&errs);
		*failed = *has_errors = true;
		return;
	}
	buf lint;
	buf_init(&lint);
	if (o->lint_duplicates)
		duplicates(f, &lint);
	if (lint.len) {
		fflush(stdout);
		fprintf(stderr, "  FAILED:\n%s\n", buf_cstr(&lint));
		fflush(stderr);
		*failed = true;
	} else {
		printf("  SUCCESS: %zu rules found\n", rule_file_n_rules(f));
	}
	printf("\n");
	fflush(stdout);
	buf_reset(&lint);
	rule_file_free(f);
}

void flinttool_check_rule_files(char *const *files, unsigned long n, const check_rules_opts *o, bool *failed, bool *has_errors)
{
	for (size_t i = 0; i < n; i++)
		check_one(files[i], NULL, 0, o, failed, has_errors);
}

/* newRulesLintConfig: a comma-separated list; unknown options warn on stdout. */
void flinttool_rules_lint_option(const char *v, check_rules_opts *o)
{
	o->lint_duplicates = false;
	while (*v) {
		size_t n = strcspn(v, ",");
		if ((n == 3 && !strncmp(v, "all", 3)) || (n == 15 && !strncmp(v, "duplicate-rules", 15)))
			o->lint_duplicates = true;
		else if (!(n == 4 && !strncmp(v, "none", 4)))
			printf("WARNING: unknown lint option: \"%.*s\"\n", (int)n, v);
		v += n + (v[n] == ',');
	}
}

const cli_flag flinttool_check_rules_flags[] = {
	{"lint", 0, "\"duplicate-rules\"", "Linting checks to apply. Available options are: all, duplicate-rules, none. "
	 "Use --lint=none to disable linting", "duplicate-rules", 0},
	{"lint-fatal", 0, NULL, "Make lint errors exit with exit code 3.", "false", 0},
	{"ignore-unknown-fields", 0, NULL, "Ignore unknown fields in the rule files. This is useful when you want to "
	 "extend rule files with custom metadata. Ensure that those fields are removed before loading them into the "
	 "Prometheus server as it performs strict checks by default.", "false", 0},
	{0},
};

const cli_arg flinttool_check_rules_args[] = {
	{"rule-files", "The rule files to check, default is read from standard input.", CLI_REPEAT},
	{0},
};

int flinttool_check_rules(const cli_ctx *c)
{
	check_rules_opts o = {.lint_duplicates = true};
	o.fatal = cli_bool(c, "lint-fatal");
	o.ignore_unknown_fields = cli_bool(c, "ignore-unknown-fields");
	const char *lint = cli_given(c, "lint") ? cli_str(c, "lint") : NULL;
	size_t n_files;
	const char *const *args = cli_args(c, "rule-files", &n_files);
	if (flinttool_existing_files(args, n_files))
		return 1;
	char **files = (char **)args;
	if (lint)
		flinttool_rules_lint_option(lint, &o);
	bool failed = false, has_errors = false;
	if (!n_files) {
		buf in;
		buf_init(&in);
		err e;
		if (buf_read_file(&in, "/dev/stdin", &e)) {
			printf("Checking standard input\n");
			fflush(stdout);
			fprintf(stderr, "  FAILED: %s\n", e.msg);
			failed = has_errors = true;
		} else {
			check_one(NULL, in.len ? (const char *)in.p : "", in.len, &o, &failed, &has_errors);
		}
		buf_reset(&in);
	} else {
		flinttool_check_rule_files(files, n_files, &o, &failed, &has_errors);
	}
	if (failed && has_errors)
		return 1;
	if (failed && o.fatal)
		return 3;
	return 0;
}
