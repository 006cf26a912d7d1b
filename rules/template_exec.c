/*
 * template_exec.c - executing a parsed template (src/text/template/exec.go)
 * over the alert's data, as Prometheus's Expander does (template/template.go,
 * with option missingkey=zero).
 *
 * Values are the tval kinds of template_int.h; each Go rule that matters
 * to a template is kept: a pipeline's value is the last argument of the
 * next command; `if`/`with` use Go's truth; `range` walks query results
 * in order, maps in key order and (Go 1.22) integers; variables live on a
 * stack marked and popped per control structure; a {{template}} call sees
 * only `$` (its data); typed parameters refuse other kinds with Go's
 * "wrong type for value; expected string; got float64"; numbers written
 * in the template are ints unless they contain . e E p P (idealConstant).
 *
 * Bounds (issue 17): EXEC_MAX_STEPS nodes evaluated, EXEC_MAX_DEPTH nested
 * template calls, EXEC_MAX_OUTPUT bytes of output and EXEC_MAX_MEMORY
 * bytes of values (strings functions build, each at most TMPL_MAX_STRING);
 * passing one is an error, never a hang or an unbounded allocation. Errors leave through one longjmp to tmpl_exec; all
 * memory in between comes from the execution's arena, so nothing leaks.
 *
 * Messages are Go's: "template: NAME:LINE:COL: executing \"NAME\" at
 * <node>: error calling humanize: ...", wrapped by tmpl_exec as
 * Prometheus does ("error executing template NAME: ...").
 */
#include "rules/template_int.h"

#include "lib/fmtfloat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXEC_MAX_STEPS 1000000
#define EXEC_MAX_DEPTH 100
#define EXEC_MAX_OUTPUT TMPL_MAX_STRING
#define EXEC_MAX_MEMORY (64u << 20) /* bytes of values made while executing */

typedef struct tvar {
	const char *name; /* "$x" */
	tval v;           /* its value */
} tvar;

struct tstate {
	const tmpl *t;        /* the template */
	const tmpl_data *d;   /* the data */
	arena a;              /* values made while executing */
	buf *out;             /* output */
	size_t out_start;     /* out->len when execution began */
	const char *cur_name; /* name of the template being executed */
	const tnode *node;    /* current node, for messages */
	tvar *vars;           /* variable stack */
	size_t n_vars;        /* entries in use */
	size_t cap_vars;      /* entries allocated */
	size_t base;          /* first variable the current template sees */
	int depth;            /* nested {{template}} calls */
	uint64_t steps;       /* nodes evaluated */
	int brk;              /* 0, or 1 {{break}} / 2 {{continue}} pending */
	jmp_buf jb;           /* error exit */
	err *e;               /* the error */
};

static const tval invalid_val = {.k = TV_INVALID};

arena *tmpl__arena(tstate *s) { return &s->a; }
const tmpl_data *tmpl__data(tstate *s) { return s->d; }

static _Noreturn void oom(tstate *s)
{
	err_set(s->e, FL_ENOMEM, "template: %s: out of memory", s->t->name);
	longjmp(s->jb, 1);
}

static _Noreturn void xerr(tstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void xerr(tstate *s, const char *fmt, ...)
{
	buf b;
	buf_init(&b);
	if (s->node)
		tmpl__error_context(&b, s->t, s->node, s->cur_name);
	else
		buf_printf(&b, "template: %s: ", s->cur_name);
	char msg[ERR_MSG_CAP];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_put_str(&b, msg);
	err_set(s->e, FL_EEXEC, "%s", buf_cstr(&b));
	buf_reset(&b);
	longjmp(s->jb, 1);
}

tval tmpl__str(tstate *s, const char *p, size_t n)
{
	char *c = arena_alloc(&s->a, n + 1);
	if (!c)
		oom(s);
	if (n)
		memcpy(c, p, n);
	c[n] = 0;
	return (tval){.k = TV_STRING, .s = c, .n = n};
}

/* A node's text in the arena, for messages. */
static const char *node_str(tstate *s, const tnode *n)
{
	buf b;
	buf_init(&b);
	tmpl__node_string(&b, n);
	tval v = tmpl__str(s, (const char *)b.p, b.len);
	buf_reset(&b);
	return v.s;
}

static void step(tstate *s)
{
	if (++s->steps > EXEC_MAX_STEPS)
		xerr(s, "template execution exceeded %d steps", EXEC_MAX_STEPS);
}

static void out_check(tstate *s)
{
	if (s->out->oom)
		oom(s);
	if (s->out->len - s->out_start > EXEC_MAX_OUTPUT)
		xerr(s, "template output exceeds %u bytes", EXEC_MAX_OUTPUT);
}

/* ---- variables ---- */

static void push(tstate *s, const char *name, tval v)
{
	if (s->n_vars == s->cap_vars) {
		size_t nc = s->cap_vars ? s->cap_vars * 2 : 16;
		tvar *nv = arena_alloc(&s->a, nc * sizeof *nv);
		if (!nv)
			oom(s);
		if (s->n_vars)
			memcpy(nv, s->vars, s->n_vars * sizeof *nv);
		s->vars = nv;
		s->cap_vars = nc;
	}
	s->vars[s->n_vars++] = (tvar){name, v};
}

static tvar *find_var(tstate *s, const char *name)
{
	for (size_t i = s->n_vars; i-- > s->base;)
		if (!strcmp(s->vars[i].name, name))
			return &s->vars[i];
	xerr(s, "undefined variable: %s", name);
}

/* ---- values ---- */

const char *tmpl__type_name(const tval *v)
{
	switch (v->k) {
	case TV_INVALID: return "<nil>";
	case TV_BOOL: return "bool";
	case TV_INT: return "int";
	case TV_BYTE: return "uint8";
	case TV_FLOAT: return "float64";
	case TV_STRING: return "string";
	case TV_HTML: return "template.HTML";
	case TV_LABELS: return "map[string]string";
	case TV_ARGS: return "map[string]interface {}";
	case TV_SAMPLE: return "*template.sample";
	case TV_SAMPLES: return "template.queryResult";
	case TV_TIME: return "*time.Time";
	case TV_DURATION: return "*time.Duration";
	case TV_DATA:
		return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }";
	}
	return "?";
}

bool tmpl__truth(const tval *v, bool *ok)
{
	*ok = true;
	switch (v->k) {
	case TV_INVALID: return false;
	case TV_BOOL: return v->b;
	case TV_INT:
	case TV_BYTE: return v->i != 0;
	case TV_FLOAT: return v->f != 0;
	case TV_STRING:
	case TV_HTML: return v->n > 0;
	case TV_LABELS: return v->ls.n > 0;
	case TV_ARGS: return v->args->n > 0;
	case TV_SAMPLE: return v->smp != NULL;
	case TV_SAMPLES: return v->n > 0;
	case TV_TIME:
	case TV_DURATION:
	case TV_DATA: return true;
	}
	*ok = false;
	return false;
}

/* ---- fields ---- */

static tval data_field(tstate *s, const char *name, bool *found)
{
	*found = true;
	if (!strcmp(name, "Labels"))
		return (tval){.k = TV_LABELS, .ls = s->d->labels};
	if (!strcmp(name, "ExternalLabels"))
		return (tval){.k = TV_LABELS, .ls = s->d->external_labels};
	if (!strcmp(name, "ExternalURL")) {
		const char *u = s->d->external_url ? s->d->external_url : "";
		return (tval){.k = TV_STRING, .s = u, .n = strlen(u)};
	}
	if (!strcmp(name, "Value"))
		return (tval){.k = TV_FLOAT, .f = s->d->value};
	*found = false;
	return invalid_val;
}

/* exec.go evalField, without methods (no value here has any templates use). */
static tval eval_field(tstate *s, const char *name, bool has_args, tval recv)
{
	bool found = false;
	tval r;
	switch (recv.k) {
	case TV_INVALID: return invalid_val;
	case TV_DATA:
		r = data_field(s, name, &found);
		if (found) {
			if (has_args)
				xerr(s, "%s has arguments but cannot be invoked as function", name);
			return r;
		}
		break;
	case TV_SAMPLE:
		if (strcmp(name, "Labels") && strcmp(name, "Value"))
			break;
		if (!recv.smp)
			xerr(s, "nil pointer evaluating *template.sample.%s", name);
		if (has_args)
			xerr(s, "%s has arguments but cannot be invoked as function", name);
		if (name[0] == 'L')
			return (tval){.k = TV_LABELS, .ls = recv.smp->labels};
		return (tval){.k = TV_FLOAT, .f = recv.smp->value};
	case TV_LABELS: {
		if (has_args)
			xerr(s, "%s is not a method but has arguments", name);
		const char *v = labels_get(recv.ls, name);
		if (!v)
			v = "";
		return (tval){.k = TV_STRING, .s = v, .n = strlen(v)};
	}
	case TV_ARGS:
		if (has_args)
			xerr(s, "%s is not a method but has arguments", name);
		if (!strncmp(name, "arg", 3) && name[3] >= '0' && name[3] <= '9' && (name[3] != '0' || !name[4])) {
			char *end;
			unsigned long i = strtoul(name + 3, &end, 10);
			if (!*end && i < recv.args->n)
				return recv.args->v[i];
		}
		return invalid_val;
	default: break;
	}
	xerr(s, "can't evaluate field %s in type %s", name, tmpl__type_name(&recv));
}

/* ---- evaluation ---- */

static tval eval_pipeline(tstate *s, tval dot, const tnode *pipe);
static tval eval_arg(tstate *s, tval dot, tparam typ, const tnode *n);

/* A missing final value (exec.go's missingVal). */
typedef struct final {
	bool has; /* a previous command's value is passed */
	tval v;   /* that value */
} final;

static void not_a_function(tstate *s, const tnode *cmd, final fin)
{
	if ((cmd && cmd->n_kids > 1) || fin.has)
		xerr(s, "can't give argument to non-function %s", node_str(s, cmd->kids[0]));
}

static tval field_chain(tstate *s, tval recv, const tnode *node, const char *const *ident, size_t n,
			const tnode *cmd, final fin)
{
	for (size_t i = 0; i + 1 < n; i++)
		recv = eval_field(s, ident[i], false, recv);
	bool has_args = (cmd && cmd->n_kids > 1) || fin.has;
	(void)node;
	return eval_field(s, ident[n - 1], has_args, recv);
}

static tval ideal_constant(tstate *s, const tnode *n)
{
	s->node = n;
	bool hex_int = n->quoted[0] == '0' && (n->quoted[1] == 'x' || n->quoted[1] == 'X') && !strpbrk(n->quoted, "pP");
	if (n->is_float && !hex_int && n->quoted[0] != '\'' && strpbrk(n->quoted, ".eEpP"))
		return (tval){.k = TV_FLOAT, .f = n->f};
	if (n->is_int)
		return (tval){.k = TV_INT, .i = n->i};
	xerr(s, "%s overflows int", n->quoted);
}

static tval validate(tstate *s, tval v, tparam typ)
{
	static const char *const names[] = {"interface {}", "string", "*template.sample", "template.queryResult"};
	if (v.k == TV_INVALID) {
		switch (typ) {
		case TP_ANY: return v;
		case TP_SAMPLE: return (tval){.k = TV_SAMPLE};
		case TP_SAMPLES: return (tval){.k = TV_SAMPLES};
		case TP_STRING: xerr(s, "invalid value; expected string");
		}
	}
	if (typ == TP_ANY || (typ == TP_STRING && v.k == TV_STRING) || (typ == TP_SAMPLE && v.k == TV_SAMPLE) ||
	    (typ == TP_SAMPLES && v.k == TV_SAMPLES))
		return v;
	xerr(s, "wrong type for value; expected %s; got %s", names[typ], tmpl__type_name(&v));
}

static const char *param_name(tparam t)
{
	return t == TP_STRING ? "string" : t == TP_SAMPLE ? "*template.sample" : "template.queryResult";
}

static tval eval_call(tstate *s, tval dot, const tfunc *f, const tnode *node, const tnode *cmd, final fin)
{
	size_t n_args = cmd ? cmd->n_kids - 1 : 0;
	const tnode *const *args = cmd ? (const tnode *const *)cmd->kids + 1 : NULL;
	size_t num_in = n_args + fin.has;
	size_t fixed = (size_t)f->n_params;
	if (f->variadic) {
		if (num_in < fixed)
			xerr(s, "wrong number of args for %s: want at least %zu got %zu", f->name, fixed, n_args);
	} else if (num_in != fixed) {
		xerr(s, "wrong number of args for %s: want %zu got %zu", f->name, fixed, num_in);
	}
	if (!strcmp(f->name, "and") || !strcmp(f->name, "or")) {
		bool want = f->name[0] == 'o', ok;
		tval v = invalid_val;
		for (size_t i = 0; i < n_args; i++) {
			v = eval_arg(s, dot, TP_ANY, args[i]);
			if (tmpl__truth(&v, &ok) == want)
				return v;
		}
		if (fin.has)
			v = fin.v;
		return v;
	}
	tval *argv = arena_alloc(&s->a, (num_in + 1) * sizeof *argv);
	if (!argv)
		oom(s);
	for (size_t i = 0; i < n_args; i++)
		argv[i] = eval_arg(s, dot, i < fixed ? f->params[i] : TP_ANY, args[i]);
	if (fin.has)
		argv[n_args] = validate(s, fin.v, n_args < fixed ? f->params[n_args] : TP_ANY);
	tval out = invalid_val;
	buf msg;
	buf_init(&msg);
	int rc = f->impl(s, argv, num_in, &out, &msg);
	if (rc) {
		char m[ERR_MSG_CAP];
		snprintf(m, sizeof m, "%s", msg.len ? buf_cstr(&msg) : "error");
		buf_reset(&msg);
		s->node = node;
		xerr(s, "error calling %s: %s", f->name, m);
	}
	buf_reset(&msg);
	if (s->a.used > EXEC_MAX_MEMORY) {
		s->node = node;
		xerr(s, "template execution used more than %u bytes", EXEC_MAX_MEMORY);
	}
	return out;
}

static tval eval_function(tstate *s, tval dot, const tnode *node, const tnode *cmd, final fin)
{
	s->node = node;
	/* errors from the call point at the whole command (exec.go evalFunction) */
	return eval_call(s, dot, &tmpl_funcs[node->fn], cmd ? cmd : node, cmd, fin);
}

static tval eval_chain(tstate *s, tval dot, const tnode *chain, const tnode *cmd, final fin)
{
	s->node = chain;
	if (chain->chain_node->kind == TN_NIL)
		xerr(s, "indirection through explicit nil in %s", node_str(s, chain));
	tval recv = eval_arg(s, dot, TP_ANY, chain->chain_node);
	return field_chain(s, recv, chain, chain->idents, chain->n_idents, cmd, fin);
}

static tval eval_variable(tstate *s, const tnode *var, const tnode *cmd, final fin)
{
	s->node = var;
	tval v = find_var(s, var->idents[0])->v;
	if (var->n_idents == 1) {
		not_a_function(s, cmd, fin);
		return v;
	}
	return field_chain(s, v, var, var->idents + 1, var->n_idents - 1, cmd, fin);
}

static tval eval_arg(tstate *s, tval dot, tparam typ, const tnode *n)
{
	s->node = n;
	step(s);
	final none = {0};
	switch (n->kind) {
	case TN_DOT: return validate(s, dot, typ);
	case TN_NIL:
		if (typ == TP_STRING)
			xerr(s, "cannot assign nil to string");
		return validate(s, invalid_val, typ);
	case TN_FIELD: return validate(s, field_chain(s, dot, n, n->idents, n->n_idents, NULL, none), typ);
	case TN_VARIABLE: return validate(s, eval_variable(s, n, NULL, none), typ);
	case TN_PIPE: return validate(s, eval_pipeline(s, dot, n), typ);
	case TN_IDENT: return validate(s, eval_function(s, dot, n, NULL, none), typ);
	case TN_CHAIN: return validate(s, eval_chain(s, dot, n, NULL, none), typ);
	default: break;
	}
	switch (typ) {
	case TP_STRING:
		if (n->kind == TN_STRING)
			return (tval){.k = TV_STRING, .s = n->s, .n = n->s_len};
		xerr(s, "expected string; found %s", node_str(s, n));
	case TP_ANY:
		if (n->kind == TN_BOOL)
			return (tval){.k = TV_BOOL, .b = n->b};
		if (n->kind == TN_NUMBER)
			return ideal_constant(s, n);
		if (n->kind == TN_STRING)
			return (tval){.k = TV_STRING, .s = n->s, .n = n->s_len};
		xerr(s, "can't handle assignment of %s to empty interface argument", node_str(s, n));
	default: xerr(s, "can't handle %s for arg of type %s", node_str(s, n), param_name(typ));
	}
}

static tval eval_command(tstate *s, tval dot, const tnode *cmd, final fin)
{
	const tnode *first = cmd->kids[0];
	step(s);
	switch (first->kind) {
	case TN_FIELD:
		s->node = first;
		return field_chain(s, dot, first, first->idents, first->n_idents, cmd, fin);
	case TN_CHAIN: return eval_chain(s, dot, first, cmd, fin);
	case TN_IDENT: return eval_function(s, dot, first, cmd, fin);
	case TN_PIPE:
		not_a_function(s, cmd, fin);
		return eval_pipeline(s, dot, first);
	case TN_VARIABLE: return eval_variable(s, first, cmd, fin);
	default: break;
	}
	s->node = first;
	not_a_function(s, cmd, fin);
	switch (first->kind) {
	case TN_BOOL: return (tval){.k = TV_BOOL, .b = first->b};
	case TN_DOT: return dot;
	case TN_NIL: xerr(s, "nil is not a command");
	case TN_NUMBER: return ideal_constant(s, first);
	case TN_STRING: return (tval){.k = TV_STRING, .s = first->s, .n = first->s_len};
	default: xerr(s, "can't evaluate command %s", node_str(s, first));
	}
}

static tval eval_pipeline(tstate *s, tval dot, const tnode *pipe)
{
	if (!pipe)
		return invalid_val;
	s->node = pipe;
	final fin = {0};
	for (size_t i = 0; i < pipe->n_kids; i++) {
		fin.v = eval_command(s, dot, pipe->kids[i], fin);
		fin.has = true;
	}
	for (size_t i = 0; i < pipe->n_idents; i++) {
		if (pipe->is_assign)
			find_var(s, pipe->idents[i])->v = fin.v;
		else
			push(s, pipe->idents[i], fin.v);
	}
	return fin.v;
}

/* ---- printing ---- */

static void print_value(tstate *s, const tnode *n, tval v)
{
	s->node = n;
	if (v.k == TV_INVALID) {
		buf_put_str(s->out, "<no value>");
	} else if (v.k == TV_SAMPLE && v.smp) {
		/* printableValue dereferences the pointer: "{map[...] 1}" */
		buf b;
		buf_init(&b);
		tmpl__fmt_value(&b, &v);
		buf_put(s->out, b.p + 1, b.len ? b.len - 1 : 0);
		buf_reset(&b);
	} else {
		tmpl__fmt_value(s->out, &v);
	}
	out_check(s);
}

/* ---- walking ---- */

static void walk(tstate *s, tval dot, const tnode *n);

static void walk_if_with(tstate *s, tval dot, const tnode *n)
{
	size_t mark = s->n_vars;
	tval v = eval_pipeline(s, dot, n->pipe);
	bool ok, truth = tmpl__truth(&v, &ok);
	if (!ok)
		xerr(s, "if/with can't use %s", tmpl__type_name(&v));
	if (truth)
		walk(s, n->kind == TN_WITH ? v : dot, n->list);
	else if (n->else_list)
		walk(s, dot, n->else_list);
	s->n_vars = mark;
}

/* One range iteration; false when {{break}} ends the loop. */
static bool range_once(tstate *s, const tnode *r, size_t mark, tval idx, tval elem)
{
	if (r->pipe->n_idents > 0)
		s->vars[s->n_vars - 1].v = elem;
	if (r->pipe->n_idents > 1)
		s->vars[s->n_vars - 2].v = idx;
	walk(s, elem, r->list);
	s->n_vars = mark;
	int b = s->brk;
	s->brk = 0;
	return b != 1;
}

static void walk_range(tstate *s, tval dot, const tnode *r)
{
	s->node = r;
	size_t outer = s->n_vars;
	tval v = eval_pipeline(s, dot, r->pipe);
	size_t mark = s->n_vars;
	bool ran = false;
	switch (v.k) {
	case TV_SAMPLES:
		for (size_t i = 0; i < v.n; i++) {
			ran = true;
			if (!range_once(s, r, mark, (tval){.k = TV_INT, .i = (int64_t)i}, (tval){.k = TV_SAMPLE, .smp = &v.smps[i]}))
				break;
		}
		break;
	case TV_LABELS:
		for (size_t i = 0; i < v.ls.n; i++) {
			ran = true;
			const label *l = &v.ls.v[i];
			if (!range_once(s, r, mark, (tval){.k = TV_STRING, .s = l->name, .n = strlen(l->name)},
					(tval){.k = TV_STRING, .s = l->value, .n = strlen(l->value)}))
				break;
		}
		break;
	case TV_ARGS: {
		/* keys in string order: arg0 arg1 arg10 arg2 ... */
		size_t n = v.args->n;
		size_t *ord = arena_alloc(&s->a, (n + 1) * sizeof *ord);
		if (!ord)
			oom(s);
		tmpl__args_order(n, ord);
		for (size_t i = 0; i < n; i++) {
			ran = true;
			char key[32];
			snprintf(key, sizeof key, "arg%zu", ord[i]);
			if (!range_once(s, r, mark, tmpl__str(s, key, strlen(key)), v.args->v[ord[i]]))
				break;
		}
		break;
	}
	case TV_INT:
		if (r->pipe->n_idents > 1)
			xerr(s, "can't use %lld to iterate over more than one variable", (long long)v.i);
		for (int64_t i = 0; i < v.i; i++) {
			ran = true;
			if (!range_once(s, r, mark, (tval){.k = TV_INT, .i = i}, (tval){.k = TV_INT, .i = i}))
				break;
		}
		break;
	case TV_INVALID: break;
	default: {
		buf b;
		buf_init(&b);
		tmpl__fmt_value(&b, &v);
		tval str = tmpl__str(s, (const char *)b.p, b.len);
		buf_reset(&b);
		xerr(s, "range can't iterate over %s", str.s);
	}
	}
	if (!ran && r->else_list)
		walk(s, dot, r->else_list);
	s->n_vars = outer;
}

static void walk_template(tstate *s, tval dot, const tnode *n)
{
	s->node = n;
	const tmpl_tree *tree = NULL;
	for (size_t i = 0; i < s->t->n_trees; i++)
		if (!strcmp(s->t->trees[i].name, n->s))
			tree = &s->t->trees[i];
	if (!tree)
		xerr(s, "template \"%s\" not defined", n->s);
	if (s->depth >= EXEC_MAX_DEPTH)
		xerr(s, "exceeded maximum template depth (%d)", EXEC_MAX_DEPTH);
	dot = eval_pipeline(s, dot, n->pipe);
	size_t base = s->base, nv = s->n_vars;
	const char *name = s->cur_name;
	s->base = s->n_vars;
	push(s, "$", dot);
	s->depth++;
	s->cur_name = tree->name;
	walk(s, dot, tree->root);
	s->cur_name = name;
	s->depth--;
	s->base = base;
	s->n_vars = nv;
}

static void walk(tstate *s, tval dot, const tnode *n)
{
	s->node = n;
	step(s);
	switch (n->kind) {
	case TN_ACTION: {
		tval v = eval_pipeline(s, dot, n->pipe);
		if (!n->pipe->n_idents)
			print_value(s, n, v);
		break;
	}
	case TN_IF:
	case TN_WITH: walk_if_with(s, dot, n); break;
	case TN_LIST:
		for (size_t i = 0; i < n->n_kids && !s->brk; i++)
			walk(s, dot, n->kids[i]);
		break;
	case TN_RANGE: walk_range(s, dot, n); break;
	case TN_TEMPLATE: walk_template(s, dot, n); break;
	case TN_TEXT:
		buf_put(s->out, n->s, n->s_len);
		out_check(s);
		break;
	case TN_BREAK: s->brk = 1; break;
	case TN_CONTINUE: s->brk = 2; break;
	default: xerr(s, "unknown node: %s", node_str(s, n));
	}
}

int tmpl_exec(const tmpl *t, const tmpl_data *d, buf *out, err *e)
{
	tstate *s = fl_malloc(sizeof *s);
	if (!s)
		return err_set(e, FL_ENOMEM, "error executing template %s: out of memory", t->name);
	memset(s, 0, sizeof *s);
	arena_init(&s->a);
	s->t = t;
	s->d = d;
	s->out = out;
	s->out_start = out->len;
	s->cur_name = t->name;
	s->e = e;
	int rc = 0;
	if (setjmp(s->jb)) {
		rc = e ? e->code : FL_EEXEC;
		if (e)
			err_wrap(e, "error executing template %s", t->name);
		else
			rc = FL_EEXEC;
		out->len = s->out_start;
	} else {
		tval data = {.k = TV_DATA, .data = d};
		push(s, "$", data);
		walk(s, data, t->trees[0].root);
	}
	arena_reset(&s->a);
	fl_free(s);
	return rc;
}

int tmpl_expand(const char *name, const char *src, const tmpl_data *d, buf *out, err *e)
{
	tmpl *t = tmpl_parse(name, src, e);
	if (!t) {
		if (e)
			err_wrap(e, "error parsing template __alert_%s", name);
		return e ? e->code : FL_EPARSE;
	}
	int rc = tmpl_exec(t, d, out, e);
	tmpl_free(t);
	return rc;
}
