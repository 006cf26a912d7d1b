/*
 * test_rulefile.c - rules/rulefile.c: rule files decoded and validated as
 * Prometheus 3.x's rulefmt does, with promtool's messages (go-yaml v3's
 * decoding rules: strict keys, duplicate keys, merge keys, aliases, type
 * errors reported by both of rulefmt.Parse's decodes).
 */
#include <string.h>
#include <time.h>

#include "rules/rulefile.h"
#include "tests/unit/test.h"

/* Parse text as "r.yml"; the errors joined with '|' into out. */
static rule_file *parse(const char *text, char *out, size_t cap)
{
	rule_errors errs = {0};
	err e;
	rule_file *f = rule_file_parse(text, strlen(text), "r.yml", &errs, &e);
	out[0] = 0;
	for (size_t i = 0; i < errs.n; i++) {
		if (i)
			strncat(out, "|", cap - strlen(out) - 1);
		strncat(out, errs.msgs[i], cap - strlen(out) - 1);
	}
	if (!f && errs.n)
		ASSERT_STR_EQ(e.msg, errs.msgs[0]); /* the first error in e */
	rule_errors_free(&errs);
	return f;
}

static void rulefile_good_file(void)
{
	char msg[4096];
	rule_file *f = parse("groups:\n"
			     "  - name: g1\n"
			     "    interval: 30s\n"
			     "    query_offset: 1m\n"
			     "    limit: 10\n"
			     "    labels: {team: a}\n"
			     "    rules:\n"
			     "      - record: job:up:sum\n"
			     "        expr: sum by (job) (up)\n"
			     "        labels: {z: 1, b: two}\n"
			     "      - alert: Down\n"
			     "        expr: up == 0\n"
			     "        for: 5m\n"
			     "        keep_firing_for: 1m\n"
			     "        annotations:\n"
			     "          summary: \"{{ $labels.instance }} down\"\n"
			     "  - name: g2\n",
			     msg, sizeof msg);
	ASSERT_STR_EQ(msg, "");
	ASSERT(f != NULL);
	ASSERT_EQ(f->n_groups, 2);
	ASSERT_EQ(rule_file_n_rules(f), 2);
	const rule_group_def *g = &f->groups[0];
	ASSERT_STR_EQ(g->name, "g1");
	ASSERT_EQ(g->interval_ms, 30000);
	ASSERT_EQ(g->query_offset_ms, 60000);
	ASSERT_EQ(g->limit, 10);
	ASSERT_EQ(g->line, 2);
	ASSERT_EQ(g->col, 5);
	ASSERT_EQ(g->labels.n, 1);
	ASSERT_STR_EQ(g->labels.v[0].name, "team");
	const rule_def *r = &g->rules[0];
	ASSERT_STR_EQ(r->record, "job:up:sum");
	ASSERT(r->alert == NULL);
	ASSERT_STR_EQ(r->expr, "sum by (job) (up)");
	ASSERT_EQ(r->labels.n, 2); /* sorted */
	ASSERT_STR_EQ(r->labels.v[0].name, "b");
	ASSERT_STR_EQ(r->labels.v[1].value, "1");
	ASSERT_EQ(r->line, 8);
	ASSERT_EQ(r->expr_line, 9);
	ASSERT_EQ(r->expr_col, 15);
	ASSERT_EQ(r->record_line, 8);
	ASSERT_EQ(r->record_col, 17);
	r = &g->rules[1];
	ASSERT_STR_EQ(r->alert, "Down");
	ASSERT_EQ(r->for_ms, 300000);
	ASSERT_EQ(r->keep_firing_for_ms, 60000);
	ASSERT_EQ(r->annotations.n, 1);
	ASSERT_EQ(f->groups[1].n_rules, 0);
	ASSERT_EQ(f->groups[1].query_offset_ms, -1); /* not set */
	rule_file_free(f);

	/* empty input, a null document, null groups and rules: no rules, no error */
	const char *empties[] = {"", "# nothing\n", "~\n", "groups:\n", "groups: [~]\n", "groups: [{name: a, rules: ~}]\n"};
	for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
		f = parse(empties[i], msg, sizeof msg);
		ASSERT_STR_EQ(msg, "");
		ASSERT(f != NULL);
		ASSERT_EQ(rule_file_n_rules(f), 0);
		rule_file_free(f);
	}
}

/* upstream's test_aliases.yaml in short: anchors, aliases and <<: merges */
static void rulefile_aliases_and_merges(void)
{
	char msg[4096];
	rule_file *f = parse("groups:\n"
			     "  - name: g\n"
			     "    rules:\n"
			     "      - &high\n"
			     "        alert: &name HighAlert\n"
			     "        expr: &expr rate(x[5m])\n"
			     "        labels:\n"
			     "          severity: &sev critical\n"
			     "      - alert: *name\n"
			     "        expr: *expr\n"
			     "        labels: {severity: *sev}\n"
			     "      - <<: *high\n"
			     "        alert: HighAlert2\n"
			     "      - <<: [{alert: A, expr: '1'}, {alert: B, expr: '2', for: 1m}]\n",
			     msg, sizeof msg);
	ASSERT_STR_EQ(msg, "");
	ASSERT(f != NULL);
	const rule_group_def *g = &f->groups[0];
	ASSERT_EQ(g->n_rules, 4);
	ASSERT_STR_EQ(g->rules[1].alert, "HighAlert"); /* the alias's value, not the anchor's name */
	ASSERT_STR_EQ(g->rules[1].expr, "rate(x[5m])");
	ASSERT_STR_EQ(g->rules[2].alert, "HighAlert2"); /* explicit keys win over merged ones */
	ASSERT_STR_EQ(g->rules[2].expr, "rate(x[5m])");
	ASSERT_STR_EQ(labels_get(g->rules[2].labels, "severity"), "critical");
	ASSERT_STR_EQ(g->rules[3].alert, "A"); /* the first merged mapping wins */
	ASSERT_STR_EQ(g->rules[3].expr, "1");
	ASSERT_EQ(g->rules[3].for_ms, 60000); /* later ones fill the rest */
	rule_file_free(f);
}

typedef struct refusal {
	const char *in;   /* a rule file */
	const char *want; /* its errors, '|'-joined */
} refusal;

static void expect_refusals(const refusal *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char msg[4096];
		rule_file *f = parse(cases[i].in, msg, sizeof msg);
		ASSERT(f == NULL);
		ASSERT_STR_EQ(msg, cases[i].want);
	}
}

static void rulefile_yaml_errors(void)
{
	static const refusal cases[] = {
		/* strict keys, 3.x type names (pass 1 only: pass 2 is lax) */
		{"groups:\n- name: a\n  rules:\n  - alert: x\n    expr: '1'\n    annotation: {}\n",
		 "r.yml: yaml: unmarshal errors:\n  line 6: field annotation not found in type rulefmt.Rule"},
		{"groups: []\nfoo: 1\n", "r.yml: yaml: unmarshal errors:\n  line 2: field foo not found in type rulefmt.RuleGroups"},
		/* type errors: both decodes report them, under their own type names */
		{"groups: foo\n", "r.yml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into []rulefmt.RuleGroup|"
				  "r.yml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into []rulefmt.RuleGroupNode"},
		{"groups:\n- name: a\n  limit: abcdefghijkl\n",
		 "r.yml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `abcdefg...` into int|"
		 "r.yml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `abcdefg...` into int"},
		{"groups:\n- name: a\n  rules:\n  - record: [a]\n    expr: 1\n    labels: [a]\n",
		 "r.yml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!seq into string\n  line 6: cannot unmarshal !!seq into map[string]string|"
		 "r.yml: yaml: unmarshal errors:\n  line 6: cannot unmarshal !!seq into map[string]string"},
		/* model.Duration's error stops the decode */
		{"groups:\n- name: a\n  rules:\n  - alert: x\n    expr: '1'\n    for: abc\n    labels: {a: [1]}\n",
		 "r.yml: not a valid duration string: \"abc\"|r.yml: not a valid duration string: \"abc\""},
		{"groups:\n- name: a\n  rules:\n  - alert: x\n    expr: '1'\n    expr: '2'\n",
		 "r.yml: yaml: unmarshal errors:\n  line 6: mapping key \"expr\" already defined at line 5|"
		 "r.yml: yaml: unmarshal errors:\n  line 6: mapping key \"expr\" already defined at line 5"},
		/* libyaml's errors in go-yaml's words (promtool 2.42's output) */
		{"groups:\n- name: a\n  rules:\n  - alert: x\n   expr: \"1\"\n",
		 "r.yml: yaml: line 1: did not find expected key|r.yml: yaml: line 1: did not find expected key"},
		{"groups:\n- name: \"a\n", "r.yml: yaml: line 2: found unexpected end of stream|r.yml: yaml: line 2: found unexpected end of stream"},
		{"groups:\n\t- name: a\n",
		 "r.yml: yaml: line 2: found character that cannot start any token|r.yml: yaml: line 2: found character that cannot start any token"},
		{"groups:\n- name: *x\n", "r.yml: yaml: unknown anchor 'x' referenced|r.yml: yaml: unknown anchor 'x' referenced"},
		{"groups:\n- name: a\n  rules:\n  - <<: 5\n    expr: 1\n",
		 "r.yml: yaml: map merge requires map or sequence of maps as the value|"
		 "r.yml: yaml: map merge requires map or sequence of maps as the value"},
		/* an alias inside its own anchor, decoded */
		{"groups:\n- name: a\n  labels: &l\n    a: b\n    <<: *l\n",
		 "r.yml: yaml: anchor 'l' value contains itself|r.yml: yaml: anchor 'l' value contains itself"},
		/* ... but not when the inner use is never decoded (unknown keys) */
		{"groups:\n- &g\n  name: a\n  rules:\n  - <<: *g\n",
		 "r.yml: yaml: unmarshal errors:\n  line 3: field name not found in type rulefmt.Rule\n"
		 "  line 4: field rules not found in type rulefmt.Rule"},
	};
	expect_refusals(cases, sizeof cases / sizeof cases[0]);
}

static void rulefile_validation(void)
{
	static const refusal cases[] = {
		{"groups:\n  - name: yolo\n  - name: yolo\n", "r.yml: 3:5: groupname: \"yolo\" is repeated in the same file"},
		{"groups:\n  - rules: []\n", "r.yml: 2:5: Groupname must not be empty"},
		{"groups:\n  - name: yolo\n    rules:\n      - record: Hi\n        alert: Hello\n        expr: 1\n",
		 "r.yml: 4:17: 5:16: group \"yolo\", rule 1, \"Hello\": only one of 'record' and 'alert' must be set"},
		/* a value written as an alias is placed at the alias, as go-yaml's alias node */
		{"groups:\n  - name: yolo\n    rules:\n      - alert: &n Hello\n        expr: 1\n      - record: Hi\n"
		 "        alert: *n\n        expr: 1\n",
		 "r.yml: 6:17: 7:16: group \"yolo\", rule 2, \"Hello\": only one of 'record' and 'alert' must be set"},
		{"groups:\n  - name: yolo\n    rules:\n      - expr: 1\n",
		 "r.yml: 0:0: 0:0: group \"yolo\", rule 1, \"\": one of 'record' or 'alert' must be set"},
		{"groups:\n  - name: yolo\n    rules:\n      - record: ylo\n",
		 "r.yml: 0:0: group \"yolo\", rule 1, \"ylo\": field 'expr' must be set in rule"},
		{"groups:\n  - name: yolo\n    rules:\n      - record: yolo\n        expr: rate(hi)\n",
		 "r.yml: 5:15: group \"yolo\", rule 1, \"yolo\": could not parse expression: 1:6: parse error: expected type range "
		 "vector in call to function \"rate\", got instant vector"},
		{"groups:\n  - name: yolo\n    rules:\n      - record: Hello\n        expr: 1\n        for: 1m\n        keep_firing_for: 1m\n"
		 "        annotations: {a: b}\n",
		 "r.yml: 4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'annotations' in recording rule|"
		 "r.yml: 4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'for' in recording rule|"
		 "r.yml: 4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'keep_firing_for' in recording rule"},
		{"groups:\n  - name: yolo\n    rules:\n      - record: 'a{b=\"c\"}'\n        expr: 1\n",
		 "r.yml: 4:17: group \"yolo\", rule 1, \"a{b=\\\"c\\\"}\": braces present in the recording rule name; should it be "
		 "in expr?: a{b=\"c\"}"},
		{"groups:\n  - name: yolo\n    labels: {__name__: x}\n    rules:\n      - alert: hola\n        expr: 1\n"
		 "        labels: {__name__: x, '': y}\n",
		 "r.yml: invalid label name: __name__|r.yml: group \"yolo\", rule 1, \"hola\": invalid label name: __name__|"
		 "r.yml: group \"yolo\", rule 1, \"hola\": invalid label name: "},
		/* alert templates parse (promtool's rules-bad.yml); recording rules have none */
		{"groups:\n  - name: alerts\n    rules:\n      - alert: InstanceDown\n        expr: up == 0\n"
		 "        annotations:\n          summary: \"Instance {{ $label.foo }} down\"\n"
		 "      - record: r\n        expr: up\n        labels: {a: \"{{ $label.foo }}\"}\n",
		 "r.yml: group \"alerts\", rule 1, \"InstanceDown\": annotation \"summary\": template: __alert_InstanceDown:1: "
		 "undefined variable \"$label\""},
	};
	expect_refusals(cases, sizeof cases / sizeof cases[0]);
	/* 3.x: names are UTF-8 (ins-tance, a.b, record names with '-') */
	char msg[4096];
	rule_file *f = parse("groups:\n  - name: yolo\n    rules:\n      - record: a-b.c\n        expr: 1\n"
			     "      - alert: hola\n        expr: 1\n        labels: {ins-tance: x}\n        annotations: {a.b: y}\n",
			     msg, sizeof msg);
	ASSERT_STR_EQ(msg, "");
	ASSERT(f != NULL);
	rule_file_free(f);
}

static void rulefile_stdin_and_options(void)
{
	/* no path (standard input): no prefix */
	rule_errors errs = {0};
	err e;
	const char *bad = "groups:\n  - name: yolo\n    rules:\n      - expr: 1\n        extra: 1\n";
	ASSERT(rule_file_parse(bad, strlen(bad), NULL, &errs, &e) == NULL);
	ASSERT_EQ(errs.n, 1);
	ASSERT_STR_EQ(errs.msgs[0], "yaml: unmarshal errors:\n  line 5: field extra not found in type rulefmt.Rule");
	rule_errors_free(&errs);
	/* --ignore-unknown-fields: the unknown key is skipped, validation runs */
	ASSERT(rule_file_parse_opts(bad, strlen(bad), NULL, true, &errs, &e) == NULL);
	ASSERT_EQ(errs.n, 1);
	ASSERT_STR_EQ(errs.msgs[0], "0:0: 0:0: group \"yolo\", rule 1, \"\": one of 'record' or 'alert' must be set");
	rule_errors_free(&errs);
	/* errs may be NULL */
	ASSERT(rule_file_parse(bad, strlen(bad), "x.yml", NULL, &e) == NULL);
	ASSERT_STR_EQ(e.msg, "x.yml: yaml: unmarshal errors:\n  line 5: field extra not found in type rulefmt.Rule");
	/* a missing file */
	ASSERT(rule_file_load("/nonexistent/r.yml", &errs, &e) == NULL);
	ASSERT_EQ(errs.n, 1);
	ASSERT(strstr(errs.msgs[0], "/nonexistent/r.yml: open /nonexistent/r.yml: ") == errs.msgs[0]);
	rule_errors_free(&errs);
}

/* Billion laughs through merge keys: labels merge ten copies of a9, which
 * merges ten of a8, ...: 10^9 mappings unbounded. go-yaml's alias ratio
 * stops it, and so does flint's decoder, quickly. */
static void rulefile_alias_bomb_bounded(void)
{
	char doc[8192];
	size_t m = (size_t)snprintf(doc, sizeof doc,
				    "groups:\n- name: g\n  rules:\n  - alert: a\n    expr: '1'\n    annotations:\n"
				    "      x0: &a0 {k: v}\n");
	for (int l = 1; l < 10; l++) {
		m += (size_t)snprintf(doc + m, sizeof doc - m, "      x%d: &a%d {<<: [", l, l);
		for (int k = 0; k < 10; k++)
			m += (size_t)snprintf(doc + m, sizeof doc - m, "%s*a%d", k ? ", " : "", l - 1);
		m += (size_t)snprintf(doc + m, sizeof doc - m, "]}\n");
	}
	snprintf(doc + m, sizeof doc - m, "    labels: {<<: [*a9, *a9, *a9, *a9, *a9, *a9, *a9, *a9, *a9, *a9]}\n");
	char msg[4096];
	clock_t t0 = clock();
	rule_file *f = parse(doc, msg, sizeof msg);
	ASSERT(f == NULL);
	ASSERT_STR_EQ(msg, "r.yml: yaml: document contains excessive aliasing|r.yml: yaml: document contains excessive aliasing");
	ASSERT((clock() - t0) / CLOCKS_PER_SEC < 5);
}

const struct test tests_rulefile[] = {
	{"rulefile_good_file", rulefile_good_file},
	{"rulefile_aliases_and_merges", rulefile_aliases_and_merges},
	{"rulefile_yaml_errors", rulefile_yaml_errors},
	{"rulefile_validation", rulefile_validation},
	{"rulefile_stdin_and_options", rulefile_stdin_and_options},
	{"rulefile_alias_bomb_bounded", rulefile_alias_bomb_bounded},
	{NULL, NULL},
};
