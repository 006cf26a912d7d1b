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
 * Rule files: flint has no rule engine yet (another issue). A rule file is
 * checked for its structure (groups, names, record/alert, expr, for,
 * labels, annotations) and every expr is parsed with flint's PromQL
 * parser; alert templates are not checked. A note on stderr says so.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "cmd/flinttool.h"
#include "promql/ast.h"
#include "scrape/config.h"
#include "scrape/discovery.h"

/* ---- rule files (a structural subset of rulefmt.ParseFile) ---- */

typedef struct rules_ctx {
	yaml_document_t *doc; /* the rule file */
	const char *file;     /* its name */
	int n_errors;         /* FAILED lines written */
} rules_ctx;

static yaml_node_t *get(rules_ctx *r, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(r->doc, p->value);
	}
	return NULL;
}

static const char *text(yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL; }

static void rule_error(rules_ctx *r, yaml_node_t *n, const char *group, size_t idx, const char *name, const char *msg)
{
	if (!r->n_errors++)
		fprintf(stderr, "  FAILED:\n");
	fprintf(stderr, "%s: %d:%d: group \"%s\", rule %zu, \"%s\": %s\n", r->file, n ? (int)n->start_mark.line + 1 : 0,
		n ? (int)n->start_mark.column + 1 : 0, group, idx + 1, name ? name : "", msg);
}

static bool unknown_keys(rules_ctx *r, yaml_node_t *map, const char *const *known, const char *type)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = text(yaml_document_get_node(r->doc, p->key));
		bool ok = false;
		for (size_t i = 0; k && known[i]; i++)
			ok |= !strcmp(known[i], k);
		if (!ok) {
			if (!r->n_errors++)
				fprintf(stderr, "  FAILED:\n");
			fprintf(stderr, "%s: yaml: unmarshal errors:\n  line %d: field %s not found in type %s\n", r->file,
				(int)yaml_document_get_node(r->doc, p->key)->start_mark.line + 1, k ? k : "?", type);
			return true;
		}
	}
	return false;
}

static bool metric_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (const char *q = s; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' || *q == ':' ||
		      (q > s && *q >= '0' && *q <= '9')))
			return false;
	return true;
}

static void check_rule(rules_ctx *r, yaml_node_t *rule, const char *group, size_t idx)
{
	static const char *const keys[] = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations", NULL};
	if (!rule || rule->type != YAML_MAPPING_NODE) {
		rule_error(r, rule, group, idx, "", "a rule must be a mapping");
		return;
	}
	if (unknown_keys(r, rule, keys, "rulefmt.Rule"))
		return;
	const char *record = text(get(r, rule, "record")), *alert = text(get(r, rule, "alert"));
	const char *expr = text(get(r, rule, "expr")), *name = record ? record : alert;
	if (record && alert)
		rule_error(r, rule, group, idx, name, "only one of 'record' and 'alert' must be set");
	else if (!record && !alert)
		rule_error(r, rule, group, idx, name, "one of 'record' or 'alert' must be set");
	if (!expr || !*expr)
		rule_error(r, rule, group, idx, name, "field 'expr' must be set in rule");
	else {
		promql_expr x;
		err e;
		if (promql_parse(expr, &x, &e)) {
			char msg[600];
			snprintf(msg, sizeof msg, "could not parse expression: %s", e.msg);
			rule_error(r, get(r, rule, "expr"), group, idx, name, msg);
		}
		promql_expr_free(&x);
	}
	if (record) {
		if (!metric_name_ok(record)) {
			char msg[300];
			snprintf(msg, sizeof msg, "invalid recording rule name: %s", record);
			rule_error(r, rule, group, idx, name, msg);
		}
		if (get(r, rule, "annotations"))
			rule_error(r, rule, group, idx, name, "invalid field 'annotations' in recording rule");
		if (get(r, rule, "for"))
			rule_error(r, rule, group, idx, name, "invalid field 'for' in recording rule");
		if (get(r, rule, "keep_firing_for"))
			rule_error(r, rule, group, idx, name, "invalid field 'keep_firing_for' in recording rule");
	}
}

/* 0 and the number of rules, or -1 after FAILED lines. */
static int check_rule_file(const char *file)
{
	static const char *const group_keys[] = {"name", "interval", "query_offset", "limit", "rules", "labels", NULL};
	buf b;
	buf_init(&b);
	err e;
	if (scrape_read_file(&b, file, &e)) {
		fprintf(stderr, "  FAILED:\n%s\n", e.msg);
		buf_reset(&b);
		return -1;
	}
	yaml_parser_t yp;
	yaml_document_t doc;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, b.p, b.len);
	if (!yaml_parser_load(&yp, &doc)) {
		fprintf(stderr, "  FAILED:\n%s: yaml: line %d: %s\n", file, (int)yp.problem_mark.line + 1,
			yp.problem ? yp.problem : "syntax error");
		yaml_parser_delete(&yp);
		buf_reset(&b);
		return -1;
	}
	rules_ctx r = {&doc, file, 0};
	int n_rules = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	static const char *const top[] = {"groups", NULL};
	if (root && root->type == YAML_MAPPING_NODE && !unknown_keys(&r, root, top, "rulefmt.RuleGroups")) {
		yaml_node_t *groups = get(&r, root, "groups");
		for (yaml_node_item_t *g = groups && groups->type == YAML_SEQUENCE_NODE ? groups->data.sequence.items.start : NULL;
		     g && g < groups->data.sequence.items.top; g++) {
			yaml_node_t *gn = yaml_document_get_node(&doc, *g);
			if (!gn || gn->type != YAML_MAPPING_NODE || unknown_keys(&r, gn, group_keys, "rulefmt.RuleGroup"))
				continue;
			const char *name = text(get(&r, gn, "name"));
			if (!name || !*name) {
				if (!r.n_errors++)
					fprintf(stderr, "  FAILED:\n");
				fprintf(stderr, "%s: %d:%d: Groupname must not be empty\n", file, (int)gn->start_mark.line + 1,
					(int)gn->start_mark.column + 1);
			}
			for (yaml_node_item_t *h = groups->data.sequence.items.start; name && h < g; h++)
				if (text(get(&r, yaml_document_get_node(&doc, *h), "name")) &&
				    !strcmp(text(get(&r, yaml_document_get_node(&doc, *h), "name")), name)) {
					if (!r.n_errors++)
						fprintf(stderr, "  FAILED:\n");
					fprintf(stderr, "%s: %d:%d: groupname: \"%s\" is repeated in the same file\n", file,
						(int)gn->start_mark.line + 1, (int)gn->start_mark.column + 1, name);
				}
			yaml_node_t *rules = get(&r, gn, "rules");
			for (yaml_node_item_t *it = rules && rules->type == YAML_SEQUENCE_NODE ? rules->data.sequence.items.start : NULL;
			     it && it < rules->data.sequence.items.top; it++, n_rules++)
				check_rule(&r, yaml_document_get_node(&doc, *it), name ? name : "", (size_t)(it - rules->data.sequence.items.start));
		}
	} else if (root && root->type != YAML_MAPPING_NODE && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
		fprintf(stderr, "  FAILED:\n%s: yaml: unmarshal errors:\n  line 1: cannot unmarshal into rulefmt.RuleGroups\n", file);
		r.n_errors++;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	buf_reset(&b);
	return r.n_errors ? -1 : n_rules;
}

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
static int check_config(const char *file, bool syntax_only, char ***rules, size_t *n_rules, err *e)
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
	int rc = 0;
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

int flinttool_check_config(int argc, char **argv)
{
	bool syntax_only = false;
	int first = 1;
	for (; first < argc && !strncmp(argv[first], "--", 2); first++) {
		if (!strcmp(argv[first], "--syntax-only"))
			syntax_only = true;
		else if (!strcmp(argv[first], "--agent") || !strncmp(argv[first], "--lint=", 7) || !strcmp(argv[first], "--lint-fatal"))
			continue; /* accepted as promtool does; the lints are about rules */
		else {
			fprintf(stderr, "flinttool: error: unknown long flag '%s', try --help\n", argv[first]);
			return 1;
		}
	}
	if (first == argc) {
		fprintf(stderr, "flinttool: error: required argument 'config-files' not provided, try --help\n");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "flinttool: error: path '%s' does not exist, try --help\n", argv[i]);
			return 1;
		}
	}
	bool failed = false, noted = false;
	for (int i = first; i < argc; i++) {
		char **rules = NULL;
		size_t n_rules = 0;
		err e;
		if (check_config(argv[i], syntax_only, &rules, &n_rules, &e)) {
			fflush(stdout);
			fprintf(stderr, "  FAILED: %s\n", e.msg);
			failed = true;
		} else {
			if (n_rules)
				printf("  SUCCESS: %zu rule files found\n", n_rules);
			printf(" SUCCESS: %s is valid prometheus config file syntax\n", argv[i]);
		}
		printf("\n");
		for (size_t k = 0; k < n_rules; k++) {
			if (!noted) {
				fprintf(stderr, "  NOTE: flint checks rule files for structure and PromQL only (templates are not checked)\n");
				noted = true;
			}
			printf("Checking %s\n", rules[k]);
			fflush(stdout);
			int n = check_rule_file(rules[k]);
			fl_free(rules[k]);
			if (n < 0) {
				failed = true;
				continue; /* promtool prints no blank line after a failed rule file */
			}
			printf("  SUCCESS: %d rules found\n\n", n);
		}
		fl_free(rules);
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
