/*
 * flinttool_promql.c - `promql format QUERY`, `promql label-matchers set
 * [-t TYPE] QUERY NAME VALUE` and `promql label-matchers delete QUERY
 * NAME`: promtool 3.x's experimental PromQL editing (they need
 * --experimental; Debian's promtool 2.42 has none of them).
 *
 * Each parses the query with flint's parser, edits every vector selector
 * (set: the matchers named NAME take TYPE and VALUE, or one is appended;
 * delete: the matchers named NAME go) and prints Prometheus's Pretty(0)
 * form (promql/print.c) and a newline. Parse errors print the parser's
 * "1:5: parse error: ..." on stderr and exit 1.
 */
#include "cmd/flinttool.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "promql/ast.h"

#define PRETTY_MAX (64u << 20)

typedef struct edit {
	const char *name;   /* label name */
	const char *value;  /* set: the value */
	match_type type;    /* set: the operator */
	bool del;           /* delete rather than set */
	arena *a;           /* the tree's arena (a grown matcher array) */
	int rc;             /* first error */
	err *e;
} edit;

/* The matcher name=value of type t, with no regex compiled: printing needs
 * none, and promtool does not check the value either. */
static int plain_matcher(matcher *m, match_type t, const char *name, const char *value, err *e)
{
	int rc = matcher_init(m, MATCH_EQ, name, value, e);
	m->type = t;
	return rc;
}

static void edit_selector(node *n, edit *ed)
{
	size_t k = 0;
	bool found = false;
	for (size_t i = 0; i < n->vs.n_matchers; i++) {
		matcher *m = &n->vs.matchers[i];
		if (strcmp(m->name, ed->name)) {
			n->vs.matchers[k++] = *m;
			continue;
		}
		found = true;
		matcher_reset(m);
		if (ed->del || ed->rc)
			continue;
		if ((ed->rc = plain_matcher(m, ed->type, ed->name, ed->value, ed->e)) != 0)
			continue; /* matcher_init left it reset */
		n->vs.matchers[k++] = *m;
	}
	n->vs.n_matchers = k;
	if (found || ed->del || ed->rc)
		return;
	matcher *grown = arena_calloc(ed->a, k + 1, sizeof *grown);
	if (!grown) {
		ed->rc = err_set(ed->e, FL_ENOMEM, "out of memory");
		return;
	}
	if (k)
		memcpy(grown, n->vs.matchers, k * sizeof *grown);
	if ((ed->rc = plain_matcher(&grown[k], ed->type, ed->name, ed->value, ed->e)) == 0)
		k++;
	n->vs.matchers = grown;
	n->vs.n_matchers = k;
}

/* Every vector selector under n (parser.Inspect); chains of binary
 * operators are walked without recursion. */
static void walk(node *n, edit *ed)
{
	if (!n)
		return;
	switch (n->kind) {
	case NODE_VECTOR_SELECTOR:
		edit_selector(n, ed);
		break;
	case NODE_MATRIX_SELECTOR:
		walk(n->ms.vs, ed);
		break;
	case NODE_SUBQUERY:
		walk(n->sq.expr, ed);
		break;
	case NODE_PAREN:
	case NODE_STEP_INVARIANT:
		walk(n->paren.expr, ed);
		break;
	case NODE_UNARY:
		walk(n->unary.expr, ed);
		break;
	case NODE_AGGREGATE:
		walk(n->agg.param, ed);
		walk(n->agg.expr, ed);
		break;
	case NODE_CALL:
		for (size_t i = 0; i < n->call.n_args; i++)
			walk(n->call.args[i], ed);
		break;
	case NODE_BINARY: {
		promql_chain c;
		promql_chain_init(&c, n, NULL);
		while (promql_chain_next(&c))
			if (c.ev == CHAIN_OPERAND)
				walk((node *)c.node, ed);
		if (c.oom && !ed->rc)
			ed->rc = err_set(ed->e, FL_ENOMEM, "out of memory");
		promql_chain_free(&c);
		break;
	}
	case NODE_NUMBER:
	case NODE_STRING:
	case NODE_DURATION:
		break;
	}
}

/* Parse, edit (ed NULL: none), print Pretty(0). */
static int run(const char *query, edit *ed)
{
	promql_expr x;
	memset(&x, 0, sizeof x);
	err e;
	err_clear(&e);
	int rc = promql_parse(query, &x, &e);
	if (!rc && ed) {
		ed->a = &x.arena;
		ed->e = &e;
		walk(x.root, ed);
		rc = ed->rc;
	}
	if (rc) {
		fflush(stdout);
		fprintf(stderr, "%s\n", e.msg);
		promql_expr_free(&x);
		return 1;
	}
	buf b;
	buf_init(&b);
	bool fits = promql_print_pretty(&b, x.root, PRETTY_MAX);
	if (!fits || b.oom)
		fprintf(stderr, "%s\n", b.oom ? "out of memory" : "formatted query too large");
	else
		printf("%.*s\n", (int)b.len, b.len ? (const char *)b.p : "");
	buf_reset(&b);
	promql_expr_free(&x);
	return fits && !b.oom ? 0 : 1;
}

static const cli_arg format_args[] = {{"query", "PromQL query.", CLI_REQUIRED}, {0}};

static int run_format(const cli_ctx *c)
{
	return run(cli_arg_value(c, "query"), NULL);
}

static const cli_flag set_flags[] = {
	{"type", 't', "\"=\"", "Type of the label matcher to set.", "=", 0},
	{0},
};
static const cli_arg set_args[] = {
	{"query", "PromQL query.", CLI_REQUIRED},
	{"name", "Name of the label matcher to set.", CLI_REQUIRED},
	{"value", "Value of the label matcher to set.", CLI_REQUIRED},
	{0},
};

static int run_set(const cli_ctx *c)
{
	static const struct {
		const char *op;
		match_type t;
	} ops[] = {{"=", MATCH_EQ}, {"!=", MATCH_NEQ}, {"=~", MATCH_RE}, {"!~", MATCH_NRE}};
	const char *op = cli_str(c, "type");
	edit ed = {.name = cli_arg_value(c, "name"), .value = cli_arg_value(c, "value")};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i].op))
			return ed.type = ops[i].t, run(cli_arg_value(c, "query"), &ed);
	/* kingpin's Enum refuses it before promtool runs */
	return cli_usage_error("enum value must be one of =,!=,=~,!~, got '%s'", op);
}

static const cli_arg delete_args[] = {
	{"query", "PromQL query.", CLI_REQUIRED},
	{"name", "Name of the label to delete.", CLI_REQUIRED},
	{0},
};

static int run_delete(const cli_ctx *c)
{
	edit ed = {.name = cli_arg_value(c, "name"), .del = true};
	return run(cli_arg_value(c, "query"), &ed);
}

static const cli_cmd label_cmds[] = {
	{"set", "Set a label matcher in the query.", set_flags, set_args, NULL, run_set, 0},
	{"delete", "Delete a label from the query.", NULL, delete_args, NULL, run_delete, 0},
	{0},
};

const cli_cmd flinttool_promql_cmds[] = {
	{"format", "Format PromQL query to pretty printed form.", NULL, format_args, NULL, run_format, 0},
	{"label-matchers", "Edit label matchers contained within an existing PromQL query.", NULL, NULL, label_cmds, NULL,
	 0},
	{0},
};
