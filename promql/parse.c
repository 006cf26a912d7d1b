/*
 * parse.c - the PromQL parser: a recursive-descent transcription of
 * Prometheus's yacc grammar (promql/parser/generated_parser.y, 3.x) that
 * builds the tree of ast.h, then type-checks it (parse_check.c).
 *
 * Grammar (precedence climbing for binary operators, lowest first):
 *
 *   expr      := unary { binop modifiers unary }      or < and unless <
 *                                                     == != < > <= >= < + - <
 *                                                     * / % atan2 < ^ (right)
 *   unary     := ('+'|'-') expr-at-^-level | postfix  (unary binds like *)
 *   postfix   := primary { '[' dur (':' [dur])? ']' | offset odur | '@' ts
 *                          | anchored | smoothed }
 *   primary   := number | duration | string | '(' expr ')' | selector
 *              | ident '(' args ')' | aggop [by|without (l,..)] '(' args ')' [by|without ..]
 *              | step() | range()
 *   selector  := metric_name [ '{' matchers '}' ] | '{' matchers '}'
 *   modifiers := [bool] [(on|ignoring) (l,..) [(group_left|group_right) [(l,..)]]]
 *                [fill(v) | fill_left(v) [fill_right(v)] | fill_right(v) [fill_left(v)]]
 *   dur       := 3.x duration arithmetic: + - * / % ^ on numbers, durations,
 *                step(), range(), min(a,b)/max(a,b) (also min_of/max_of), (...)
 *   odur      := after offset: a signed literal, step(), range(), min/max(..),
 *                or '(' dur ')' — so `x offset 1m + 1` is (x offset 1m) + 1,
 *                the way upstream's reduce/reduce resolution reads it.
 *
 * Errors mirror upstream's wording and positions; where yacc's error
 * recovery picks the innermost production with an `error` alternative, the
 * parser keeps that production's context (p->ctx) current.
 */
#include "promql/parse.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* ---- errors ---- */

_Noreturn void parse__fail(parser *p, int pos, const char *fmt, ...)
{
	int line = 1, col;
	int last_nl = -1;
	for (int i = 0; i < pos && p->in[i]; i++) {
		if (p->in[i] == '\n') {
			line++;
			last_nl = i;
		}
	}
	col = pos - last_nl;
	char msg[ERR_MSG_CAP];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(p->e, FL_EPARSE, "%d:%d: parse error: %s", line, col, msg);
	longjmp(p->jb, 1);
}

static token *peek(parser *p);

_Noreturn void parse__unexpected(parser *p, const char *ctx, const char *exp)
{
	token *t = peek(p);
	buf b;
	buf_init(&b);
	buf_put_str(&b, "unexpected ");
	lex_token_desc(&p->lx, t, &b);
	if (ctx) {
		buf_put_str(&b, " in ");
		buf_put_str(&b, ctx);
	}
	if (exp) {
		buf_put_str(&b, ", expected ");
		buf_put_str(&b, exp);
	}
	char msg[ERR_MSG_CAP];
	snprintf(msg, sizeof msg, "%s", buf_cstr(&b));
	buf_reset(&b);
	parse__fail(p, t->pos, "%s", msg);
}

/* Unexpected token in the innermost enclosing production. */
_Noreturn static void unexpected_here(parser *p) { parse__unexpected(p, p->ctx, p->ctx_exp); }

/* ---- tokens ---- */

static token *peek_n(parser *p, int k)
{
	while (p->n_la <= k) {
		token t;
		do
			lex_next(&p->lx, &t);
		while (t.type == T_COMMENT);
		p->la[p->n_la++] = t;
		if (t.type == T_ERROR)
			parse__fail(p, t.pos, "%s", p->lx.errmsg);
	}
	return &p->la[k];
}

static token *peek(parser *p) { return peek_n(p, 0); }
static tok_type peek_type(parser *p) { return peek(p)->type; }

static token next_tok(parser *p)
{
	token t = *peek(p);
	p->la[0] = p->la[1];
	p->n_la--;
	p->prev = t;
	return t;
}

static bool accept_tok(parser *p, tok_type t)
{
	if (peek_type(p) != t)
		return false;
	next_tok(p);
	return true;
}

/* Expect a token or report unexpected in (ctx, exp). */
static token expect(parser *p, tok_type t, const char *ctx, const char *exp)
{
	if (peek_type(p) != t)
		parse__unexpected(p, ctx, exp);
	return next_tok(p);
}

static int tok_end(const token *t) { return t->pos + t->len; }

/* ---- nodes ---- */

static void *alloc(parser *p, size_t n)
{
	void *v = arena_calloc(p->a, 1, n);
	if (!v)
		parse__fail(p, peek(p)->pos, "out of memory");
	return v;
}

static node *new_node(parser *p, node_kind k, int pos, int end)
{
	node *n = alloc(p, sizeof *n);
	n->kind = k;
	n->pos = pos;
	n->end = end;
	return n;
}

static void enter(parser *p)
{
	if (++p->depth > PROMQL_MAX_DEPTH)
		parse__fail(p, peek(p)->pos, "expression nesting too deep (more than %d levels)", PROMQL_MAX_DEPTH);
}

static node *parse_expr(parser *p);
static node *parse_dur_expr(parser *p, int min_prec);

/* ---- label lists: grouping_labels ---- */

static bool is_maybe_label(tok_type t)
{
	switch (t) {
	case T_IDENT: case T_METRIC_IDENT: case T_BOOL: case T_BY: case T_GROUP_LEFT: case T_GROUP_RIGHT:
	case T_IGNORING: case T_LAND: case T_LOR: case T_LUNLESS: case T_OFFSET: case T_ON: case T_START:
	case T_END: case T_ATAN2: case T_STEP: case T_RANGE: case T_ANCHORED: case T_SMOOTHED:
		return true;
	default:
		return t > T_AGG_START && t < T_AGG_END;
	}
}

static bool valid_utf8(const char *s)
{
	int n = (int)strlen(s);
	for (int i = 0; i < n;) {
		int w;
		if (promql__utf8_decode(s + i, n - i, &w) < 0)
			return false;
		i += w;
	}
	return true;
}

/* A parenthesised label list into out and n (arena). */
static void parse_grouping(parser *p, const char ***out, size_t *n)
{
	expect(p, T_LPAREN, "grouping opts", "\"(\"");
	size_t cap = 4;
	const char **v = alloc(p, cap * sizeof *v);
	*n = 0;
	while (peek_type(p) != T_RPAREN) {
		token t = *peek(p);
		char *name;
		if (is_maybe_label(t.type)) {
			next_tok(p);
			name = arena_strndup(p->a, p->in + t.pos, (size_t)t.len);
		} else if (t.type == T_STRING) {
			next_tok(p);
			name = parse__unquote(p, &t);
			if (!name[0] || !valid_utf8(name)) {
				buf b;
				buf_init(&b);
				promql__quote(&b, name, strlen(name));
				char q[256];
				snprintf(q, sizeof q, "%s", buf_cstr(&b));
				buf_reset(&b);
				parse__fail(p, t.pos, "invalid label name for grouping: %s", q);
			}
		} else {
			parse__unexpected(p, "grouping opts", "label");
		}
		if (!name)
			parse__fail(p, t.pos, "out of memory");
		if (*n == cap) {
			const char **nv = alloc(p, 2 * cap * sizeof *nv);
			memcpy(nv, v, cap * sizeof *v);
			v = nv;
			cap *= 2;
		}
		v[(*n)++] = name;
		if (accept_tok(p, T_COMMA))
			continue;
		if (peek_type(p) != T_RPAREN)
			parse__unexpected(p, "grouping opts", "\",\" or \")\"");
	}
	next_tok(p);
	*out = v;
}

/* ---- selectors ---- */

static void track(parser *p, node *vs)
{
	vs_track *t = alloc(p, sizeof *t);
	t->vs = vs;
	t->next = p->tracked;
	p->tracked = t;
}

static matcher *add_matcher(parser *p, node *vs, size_t *cap)
{
	if (vs->vs.n_matchers == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		matcher *nm = alloc(p, nc * sizeof *nm);
		if (vs->vs.n_matchers)
			memcpy(nm, vs->vs.matchers, vs->vs.n_matchers * sizeof *nm);
		vs->vs.matchers = nm;
		*cap = nc;
	}
	return &vs->vs.matchers[vs->vs.n_matchers];
}

static void new_matcher(parser *p, node *vs, size_t *cap, match_type mt, const char *name, const char *val,
			int pos)
{
	matcher *m = add_matcher(p, vs, cap);
	err e;
	err_clear(&e);
	if (matcher_init(m, mt, name, val, &e) != 0)
		parse__fail(p, pos, "%s", e.msg);
	vs->vs.n_matchers++;
}

static match_type match_op(tok_type t, bool *ok)
{
	*ok = true;
	switch (t) {
	case T_EQL:
		return MATCH_EQ;
	case T_NEQ:
		return MATCH_NEQ;
	case T_EQL_REGEX:
		return MATCH_RE;
	case T_NEQ_REGEX:
		return MATCH_NRE;
	default:
		*ok = false;
		return MATCH_EQ;
	}
}

/* One label_matcher inside braces. */
static void parse_label_matcher(parser *p, node *vs, size_t *cap)
{
	token name = *peek(p);
	char *label;
	if (name.type == T_IDENT) {
		next_tok(p);
		label = arena_strndup(p->a, p->in + name.pos, (size_t)name.len);
		if (!label)
			parse__fail(p, name.pos, "out of memory");
	} else if (name.type == T_STRING) {
		next_tok(p);
		label = parse__unquote(p, &name);
		bool ok;
		match_op(peek_type(p), &ok);
		if (!ok) { /* {"metric name"} */
			new_matcher(p, vs, cap, MATCH_EQ, LABEL_NAME, label, name.pos);
			return;
		}
	} else {
		parse__unexpected(p, "label matching", "identifier or \"}\"");
	}
	bool ok;
	match_type mt = match_op(peek_type(p), &ok);
	if (!ok)
		parse__unexpected(p, "label matching", "label matching operator");
	next_tok(p);
	token val = expect(p, T_STRING, "label matching", "string");
	new_matcher(p, vs, cap, mt, label, parse__unquote(p, &val), name.pos);
}

/* metric_identifier? label_matchers? -> vector selector. name may be NULL. */
static node *parse_selector(parser *p, const token *name)
{
	token first = name ? *name : *peek(p);
	node *vs = new_node(p, NODE_VECTOR_SELECTOR, first.pos, tok_end(&first));
	track(p, vs);
	size_t cap = 0;
	if (peek_type(p) == T_LBRACE) {
		next_tok(p);
		while (peek_type(p) != T_RBRACE) {
			parse_label_matcher(p, vs, &cap);
			if (accept_tok(p, T_COMMA))
				continue;
			if (peek_type(p) != T_RBRACE)
				parse__unexpected(p, "label matching", "\",\" or \"}\"");
		}
		token rb = next_tok(p);
		vs->end = tok_end(&rb);
	}
	if (name) {
		char *s = arena_strndup(p->a, p->in + name->pos, (size_t)name->len);
		if (!s)
			parse__fail(p, name->pos, "out of memory");
		vs->vs.name = s;
		new_matcher(p, vs, &cap, MATCH_EQ, LABEL_NAME, s, name->pos);
	}
	return vs;
}

/* ---- calls and aggregations ---- */

/* function_call_body: '(' [expr {',' expr}] ')' */
static void parse_args(parser *p, node ***out, size_t *n)
{
	expect(p, T_LPAREN, p->ctx, p->ctx_exp);
	size_t cap = 4;
	node **v = alloc(p, cap * sizeof *v);
	*n = 0;
	if (peek_type(p) != T_RPAREN) {
		for (;;) {
			node *a = parse_expr(p);
			if (*n == cap) {
				node **nv = alloc(p, 2 * cap * sizeof *nv);
				memcpy(nv, v, cap * sizeof *v);
				v = nv;
				cap *= 2;
			}
			v[(*n)++] = a;
			if (peek_type(p) != T_COMMA)
				break;
			token comma = next_tok(p);
			if (peek_type(p) == T_RPAREN)
				parse__fail(p, comma.pos, "trailing commas not allowed in function call args");
		}
	}
	if (peek_type(p) != T_RPAREN)
		unexpected_here(p);
	next_tok(p);
	*out = v;
}

static node *parse_call(parser *p)
{
	token id = next_tok(p);
	node *n = new_node(p, NODE_CALL, id.pos, 0);
	parse_args(p, &n->call.args, &n->call.n_args);
	n->end = tok_end(&p->prev);
	char name[64];
	snprintf(name, sizeof name, "%.*s", id.len, p->in + id.pos);
	n->call.fn = id.len < (int)sizeof name ? promql_function_lookup(name) : NULL;
	if (!n->call.fn)
		parse__fail(p, id.pos, "unknown function with name \"%.*s\"", id.len, p->in + id.pos);
	return n;
}

static promql_op agg_op(tok_type t)
{
	static const struct {
		tok_type t;
		promql_op op;
	} m[] = {{T_SUM, AGG_SUM}, {T_AVG, AGG_AVG}, {T_COUNT, AGG_COUNT}, {T_MIN, AGG_MIN},
		 {T_MAX, AGG_MAX}, {T_GROUP, AGG_GROUP}, {T_STDDEV, AGG_STDDEV}, {T_STDVAR, AGG_STDVAR},
		 {T_TOPK, AGG_TOPK}, {T_BOTTOMK, AGG_BOTTOMK}, {T_COUNT_VALUES, AGG_COUNT_VALUES},
		 {T_QUANTILE, AGG_QUANTILE}, {T_LIMITK, AGG_LIMITK}, {T_LIMIT_RATIO, AGG_LIMIT_RATIO}};
	for (size_t i = 0; i < FL_ARRAY_LEN(m); i++)
		if (m[i].t == t)
			return m[i].op;
	return OP_NONE;
}

static bool agg_has_param(promql_op op)
{
	return op == AGG_TOPK || op == AGG_BOTTOMK || op == AGG_COUNT_VALUES || op == AGG_QUANTILE ||
	       op == AGG_LIMITK || op == AGG_LIMIT_RATIO;
}

static void parse_agg_modifier(parser *p, node *n)
{
	token t = next_tok(p);
	n->agg.without = t.type == T_WITHOUT;
	n->agg.have_grouping = true;
	parse_grouping(p, &n->agg.grouping, &n->agg.n_grouping);
}

static node *parse_aggregate(parser *p)
{
	token op = next_tok(p);
	node *n = new_node(p, NODE_AGGREGATE, op.pos, 0);
	n->agg.op = agg_op(op.type);
	const char *octx = p->ctx, *oexp = p->ctx_exp;
	p->ctx = "aggregation";
	p->ctx_exp = NULL;
	bool before = peek_type(p) == T_BY || peek_type(p) == T_WITHOUT;
	if (before)
		parse_agg_modifier(p, n);
	node **args;
	size_t n_args;
	parse_args(p, &args, &n_args);
	n->end = tok_end(&p->prev);
	if (!before && (peek_type(p) == T_BY || peek_type(p) == T_WITHOUT)) {
		parse_agg_modifier(p, n);
		n->end = tok_end(&p->prev);
	}
	p->ctx = octx;
	p->ctx_exp = oexp;
	if (n_args == 0)
		parse__fail(p, n->pos, "no arguments for aggregate expression provided");
	size_t want = agg_has_param(n->agg.op) ? 2 : 1;
	if (want == 2)
		n->agg.param = args[0];
	if (n_args != want)
		parse__fail(p, n->pos, "wrong number of arguments for aggregate expression provided, expected %zu, got %zu",
			    want, n_args);
	n->agg.expr = args[want - 1];
	return n;
}

/* ---- duration expressions ---- */

static node *dur_node(parser *p, dur_fn fn, promql_op op, node *lhs, node *rhs, int pos, int end)
{
	node *n = new_node(p, NODE_DURATION, pos, end);
	n->type = PT_SCALAR;
	n->dur.fn = fn;
	n->dur.op = op;
	n->dur.lhs = lhs;
	n->dur.rhs = rhs;
	return n;
}

static void check_dur_range(parser *p, double v, int pos)
{
	if (v > 9223372036854775807.0 / 1e9 || v < -9223372036854775808.0 / 1e9)
		parse__fail(p, pos, "duration out of range");
}

static node *number_node(parser *p, const token *t)
{
	node *n = new_node(p, NODE_NUMBER, t->pos, tok_end(t));
	n->type = PT_SCALAR;
	if (t->type == T_DURATION) {
		n->number = parse__duration(p, t);
		n->num_duration = true;
	} else {
		n->number = parse__number(p, t);
	}
	return n;
}

/* Negate or keep a duration operand for a leading sign. */
static node *dur_unary(parser *p, const token *op, node *x)
{
	if (x->kind == NODE_NUMBER) {
		if (op->type == T_SUB)
			x->number = -x->number;
		check_dur_range(p, x->number, op->pos);
		x->pos = op->pos;
		return x;
	}
	if (op->type == T_SUB)
		return dur_node(p, DUR_ARITH, OP_SUB, NULL, x, op->pos, x->end);
	return x;
}

/* step() / range() / min(a, b) / max(a, b): the keyword is current. */
static node *parse_dur_call(parser *p)
{
	token kw = next_tok(p);
	dur_fn fn = kw.type == T_STEP ? DUR_STEP : kw.type == T_RANGE ? DUR_RANGE : kw.type == T_START ? DUR_START
		  : kw.type == T_END ? DUR_END : (kw.type == T_MIN || kw.type == T_MIN_OF) ? DUR_MIN : DUR_MAX;
	if (kw.type == T_IDENT) { /* min_of/max_of lexed outside brackets */
		fn = (kw.len == 6 && !strncasecmp(p->in + kw.pos, "min_of", 6)) ? DUR_MIN : DUR_MAX;
	}
	expect(p, T_LPAREN, p->ctx, p->ctx_exp);
	node *l = NULL, *r = NULL;
	if (fn == DUR_MIN || fn == DUR_MAX) {
		l = parse_dur_expr(p, 0);
		expect(p, T_COMMA, p->ctx, p->ctx_exp);
		r = parse_dur_expr(p, 0);
	}
	token rp = expect(p, T_RPAREN, p->ctx, p->ctx_exp);
	return dur_node(p, fn, OP_NONE, l, r, kw.pos, tok_end(&rp));
}

static bool is_dur_fn_tok(parser *p, const token *t)
{
	if (t->type == T_STEP || t->type == T_RANGE || t->type == T_MIN || t->type == T_MAX ||
	    t->type == T_MIN_OF || t->type == T_MAX_OF)
		return true;
	return t->type == T_IDENT && t->len == 6 &&
	       (!strncasecmp(p->in + t->pos, "min_of", 6) || !strncasecmp(p->in + t->pos, "max_of", 6));
}

static node *parse_dur_primary(parser *p)
{
	token t = *peek(p);
	enter(p);
	node *n;
	if (t.type == T_NUMBER || t.type == T_DURATION) {
		next_tok(p);
		n = number_node(p, &t);
		check_dur_range(p, n->number, t.pos);
	} else if (t.type == T_ADD || t.type == T_SUB) {
		next_tok(p);
		n = dur_unary(p, &t, parse_dur_expr(p, 3));
	} else if (t.type == T_LPAREN) {
		next_tok(p);
		n = parse_dur_expr(p, 0);
		token rp = expect(p, T_RPAREN, p->ctx, p->ctx_exp);
		if (n->kind == NODE_DURATION) {
			n->dur.wrapped = true;
			n->pos = t.pos;
			n->end = tok_end(&rp);
		}
	} else if (is_dur_fn_tok(p, &t)) {
		n = parse_dur_call(p);
	} else {
		unexpected_here(p);
	}
	p->depth--;
	return n;
}

static int dur_prec(tok_type t)
{
	switch (t) {
	case T_ADD: case T_SUB:
		return 1;
	case T_MUL: case T_DIV: case T_MOD:
		return 2;
	case T_POW:
		return 4;
	default:
		return -1;
	}
}

static promql_op arith_op(tok_type t)
{
	switch (t) {
	case T_ADD: return OP_ADD;
	case T_SUB: return OP_SUB;
	case T_MUL: return OP_MUL;
	case T_DIV: return OP_DIV;
	case T_MOD: return OP_MOD;
	case T_POW: return OP_POW;
	default: return OP_NONE;
	}
}

/* Binary duration operators on lhs with precedence >= min_prec. Unary binds
 * like * (prec 3 passed by the caller covers ^ only). */
static node *dur_binary_loop(parser *p, node *lhs, int min_prec)
{
	int chain = 0;
	for (;;) {
		token op = *peek(p);
		int prec = dur_prec(op.type);
		if (prec < 0 || prec < min_prec)
			break;
		next_tok(p);
		enter(p);
		chain++;
		node *rhs = parse_dur_expr(p, op.type == T_POW ? prec : prec + 1);
		if ((op.type == T_DIV || op.type == T_MOD) && rhs->kind == NODE_NUMBER && rhs->number == 0)
			parse__fail(p, op.pos, op.type == T_DIV ? "division by zero" : "modulo by zero");
		lhs = dur_node(p, DUR_ARITH, arith_op(op.type), lhs, rhs, lhs->pos, rhs->end);
	}
	p->depth -= chain;
	return lhs;
}

static node *parse_dur_expr(parser *p, int min_prec)
{
	return dur_binary_loop(p, parse_dur_primary(p), min_prec);
}

/* Fold a constant duration expression to milliseconds (0 when it uses
 * step() or range(), or cannot be evaluated here). */
static int64_t dur_const_ms(const node *n, bool *is_const)
{
	if (n->kind == NODE_DURATION && n->dur.fn != DUR_ARITH && n->dur.fn != DUR_MIN && n->dur.fn != DUR_MAX) {
		*is_const = false;
		return 0;
	}
	if (n->kind == NODE_DURATION) {
		bool c = true;
		if (n->dur.lhs)
			dur_const_ms(n->dur.lhs, &c);
		if (c)
			dur_const_ms(n->dur.rhs, &c);
		if (!c) {
			*is_const = false;
			return 0;
		}
	}
	double s;
	promql_dur_ctx zero = {0, 0, 0};
	if (promql_duration_eval(n, &zero, &s, NULL) != 0 || !isfinite(s)) {
		*is_const = false;
		return 0;
	}
	*is_const = true;
	return parse__secs_to_ms(s);
}

/* positive_duration_expr inside [...]: literal -> *ms; expression -> *ex. */
static void parse_bracket_dur(parser *p, int64_t *ms, node **ex)
{
	token first = *peek(p);
	node *d = parse_dur_expr(p, 0);
	if (d->kind == NODE_NUMBER) {
		if (d->number <= 0)
			parse__fail(p, d->pos, "duration must be greater than 0");
		*ms = parse__secs_to_ms(d->number);
		*ex = NULL;
		return;
	}
	(void)first;
	bool c;
	*ex = d;
	*ms = dur_const_ms(d, &c);
}

/* ---- postfix modifiers ---- */

static const char *const OFFSET_EXP = "number, duration, step(), or range()";

/* offset_duration_expr */
static node *parse_offset_dur(parser *p)
{
	const char *octx = p->ctx, *oexp = p->ctx_exp;
	p->ctx = "offset";
	p->ctx_exp = OFFSET_EXP;
	token sign = *peek(p);
	bool signed_ = sign.type == T_ADD || sign.type == T_SUB;
	if (signed_)
		next_tok(p);
	token t = *peek(p);
	node *n;
	if (t.type == T_NUMBER || t.type == T_DURATION) {
		next_tok(p);
		n = number_node(p, &t);
		if (signed_)
			n = dur_unary(p, &sign, n);
		check_dur_range(p, n->number, n->pos);
	} else if ((t.type == T_STEP || t.type == T_RANGE || is_dur_fn_tok(p, &t)) && peek_n(p, 1)->type == T_LPAREN) {
		n = parse_dur_call(p);
		if (signed_)
			n = dur_node(p, DUR_ARITH, sign.type == T_SUB ? OP_SUB : OP_ADD, NULL, n, sign.pos, n->end);
	} else if (t.type == T_LPAREN) {
		if (signed_) {
			next_tok(p);
			node *in = parse_dur_expr(p, 0);
			token rp = expect(p, T_RPAREN, p->ctx, p->ctx_exp);
			if (in->kind == NODE_DURATION) {
				in->dur.wrapped = true;
				in->pos = t.pos;
				in->end = tok_end(&rp);
			}
			n = dur_unary(p, &sign, in);
		} else {
			/* `offset (a) op b`: yacc shifts, the duration expression goes on */
			n = parse_dur_expr(p, 0);
		}
	} else {
		unexpected_here(p);
	}
	p->ctx = octx;
	p->ctx_exp = oexp;
	return n;
}

static void apply_offset(parser *p, node *e, node *d)
{
	int64_t *off;
	node **offx;
	if (e->kind == NODE_VECTOR_SELECTOR) {
		off = &e->vs.offset_ms, offx = &e->vs.offset_expr;
		e->vs.original_offset_set = true;
	} else if (e->kind == NODE_MATRIX_SELECTOR) {
		off = &e->ms.vs->vs.offset_ms, offx = &e->ms.vs->vs.offset_expr;
		e->ms.vs->vs.original_offset_set = true;
	} else if (e->kind == NODE_SUBQUERY) {
		off = &e->sq.offset_ms, offx = &e->sq.offset_expr;
	} else {
		parse__fail(p, e->pos, "offset modifier must be preceded by an instant vector selector or range vector "
				       "selector or a subquery");
	}
	if (*off != 0 || *offx)
		parse__fail(p, e->pos, "offset may not be set multiple times");
	if (d->kind == NODE_NUMBER) {
		*off = parse__secs_to_ms(d->number);
	} else {
		bool c;
		*offx = d;
		*off = dur_const_ms(d, &c);
	}
	e->end = d->end;
}

static void parse_at(parser *p, node *e)
{
	token at = next_tok(p);
	(void)at;
	at_kind kind = AT_TIME;
	double ts = 0;
	token t = *peek(p);
	int end;
	if (t.type == T_START || t.type == T_END) {
		next_tok(p);
		kind = t.type == T_START ? AT_START : AT_END;
		expect(p, T_LPAREN, "@", "timestamp");
		token rp = expect(p, T_RPAREN, "@", "timestamp");
		end = tok_end(&rp);
	} else {
		bool neg = false;
		if (t.type == T_ADD || t.type == T_SUB) {
			next_tok(p);
			neg = t.type == T_SUB;
			t = *peek(p);
		}
		if (t.type != T_NUMBER && t.type != T_DURATION)
			parse__unexpected(p, "@", "timestamp");
		next_tok(p);
		ts = t.type == T_NUMBER ? parse__number(p, &t) : parse__duration(p, &t);
		if (neg)
			ts = -ts;
		end = tok_end(&t);
		if (isinf(ts) || isnan(ts))
			parse__fail(p, e->pos, "timestamp out of bounds for @ modifier: %s",
				    isnan(ts) ? "NaN" : ts > 0 ? "+Inf" : "-Inf");
		if (!(ts < 9223372036854775807.0 && ts > -9223372036854775808.0))
			parse__fail(p, e->pos, "timestamp out of bounds for @ modifier: %f", ts);
	}
	at_kind *akp;
	int64_t *tsp;
	if (e->kind == NODE_VECTOR_SELECTOR) {
		akp = &e->vs.at, tsp = &e->vs.at_ms;
	} else if (e->kind == NODE_MATRIX_SELECTOR) {
		akp = &e->ms.vs->vs.at, tsp = &e->ms.vs->vs.at_ms;
	} else if (e->kind == NODE_SUBQUERY) {
		akp = &e->sq.at, tsp = &e->sq.at_ms;
	} else {
		parse__fail(p, e->pos, "@ modifier must be preceded by an instant vector selector or range vector "
				       "selector or a subquery");
	}
	if (*akp != AT_NONE)
		parse__fail(p, e->pos, "@ <timestamp> may not be set multiple times");
	*akp = kind;
	if (kind == AT_TIME) {
		double ms = round(ts * 1000.0);
		*tsp = ms >= 9223372036854775807.0 ? INT64_MAX : ms <= -9223372036854775808.0 ? INT64_MIN : (int64_t)ms;
	}
	e->end = end;
}

static void parse_extended(parser *p, node *e)
{
	token t = next_tok(p);
	bool anchored = t.type == T_ANCHORED;
	const char *what = anchored ? "anchored" : "smoothed";
	node *vs = e->kind == NODE_VECTOR_SELECTOR ? e : e->kind == NODE_MATRIX_SELECTOR ? e->ms.vs : NULL;
	if (e->kind == NODE_SUBQUERY)
		parse__fail(p, e->pos, "%s modifier is not supported for subqueries", what);
	if (!vs)
		parse__fail(p, e->pos, "%s modifier not implemented", what);
	if (anchored)
		vs->vs.anchored = true;
	else
		vs->vs.smoothed = true;
	if (vs->vs.anchored && vs->vs.smoothed)
		parse__fail(p, e->pos, "anchored and smoothed modifiers cannot be used together");
	e->end = tok_end(&t);
}

/* '[' after an expression: range selector or subquery. */
static node *parse_bracket(parser *p, node *e)
{
	token lb = next_tok(p);
	const char *octx = p->ctx, *oexp = p->ctx_exp;
	p->ctx = "subquery or range selector";
	p->ctx_exp = OFFSET_EXP;
	int64_t range_ms, step_ms = 0;
	node *range_ex, *step_ex = NULL;
	parse_bracket_dur(p, &range_ms, &range_ex);
	node *n;
	if (peek_type(p) == T_RBRACKET) {
		token rb = next_tok(p);
		const char *msg = NULL;
		if (e->kind != NODE_VECTOR_SELECTOR)
			msg = "ranges only allowed for vector selectors";
		else if (e->vs.offset_ms != 0 || e->vs.offset_expr)
			msg = "no offset modifiers allowed before range";
		else if (e->vs.at != AT_NONE)
			msg = "no @ modifiers allowed before range";
		if (msg)
			parse__fail(p, lb.pos, "%s", msg);
		n = new_node(p, NODE_MATRIX_SELECTOR, e->pos, tok_end(&rb));
		n->ms.vs = e;
		n->ms.range_ms = range_ms;
		n->ms.range_expr = range_ex;
	} else {
		if (peek_type(p) != T_COLON)
			parse__unexpected(p, "subquery or range", "\":\" or \"]\"");
		next_tok(p);
		p->ctx = "subquery selector";
		p->ctx_exp = "number, duration, step(), range(), or \"]\"";
		if (peek_type(p) != T_RBRACKET) {
			parse_bracket_dur(p, &step_ms, &step_ex);
			if (peek_type(p) != T_RBRACKET)
				parse__unexpected(p, "subquery selector", "\"]\"");
		}
		token rb = next_tok(p);
		n = new_node(p, NODE_SUBQUERY, e->pos, tok_end(&rb));
		n->sq.expr = e;
		n->sq.range_ms = range_ms;
		n->sq.range_expr = range_ex;
		n->sq.step_ms = step_ms;
		n->sq.step_expr = step_ex;
	}
	p->ctx = octx;
	p->ctx_exp = oexp;
	return n;
}

static node *parse_postfix(parser *p, node *e)
{
	int extra = 0;
	for (;;) {
		switch (peek_type(p)) {
		case T_LBRACKET:
			enter(p);
			extra++;
			e = parse_bracket(p, e);
			break;
		case T_OFFSET:
			next_tok(p);
			apply_offset(p, e, parse_offset_dur(p));
			break;
		case T_AT:
			parse_at(p, e);
			break;
		case T_ANCHORED:
		case T_SMOOTHED:
			parse_extended(p, e);
			break;
		default:
			p->depth -= extra;
			return e;
		}
	}
}

/* ---- primary expressions ---- */

static bool is_metric_ident(tok_type t)
{
	switch (t) {
	case T_IDENT: case T_METRIC_IDENT: case T_BY: case T_LAND: case T_LOR: case T_LUNLESS: case T_OFFSET:
	case T_WITHOUT: case T_START: case T_END: case T_STEP: case T_RANGE: case T_ANCHORED: case T_SMOOTHED:
		return true;
	default:
		return t > T_AGG_START && t < T_AGG_END;
	}
}

static node *parse_paren(parser *p)
{
	token lp = next_tok(p);
	node *in = parse_expr(p);
	if (peek_type(p) != T_RPAREN)
		unexpected_here(p);
	token rp = next_tok(p);
	node *n = new_node(p, NODE_PAREN, lp.pos, tok_end(&rp));
	n->paren.expr = in;
	return n;
}

static node *parse_primary(parser *p)
{
	token t = *peek(p);
	tok_type t1;
	switch (t.type) {
	case T_NUMBER:
	case T_DURATION:
		next_tok(p);
		return number_node(p, &t);
	case T_STRING: {
		next_tok(p);
		node *n = new_node(p, NODE_STRING, t.pos, tok_end(&t));
		n->string.val = parse__unquote(p, &t);
		return n;
	}
	case T_LPAREN:
		return parse_paren(p);
	case T_LBRACE:
		return parse_selector(p, NULL);
	default:
		break;
	}
	if (t.type > T_AGG_START && t.type < T_AGG_END) {
		t1 = peek_n(p, 1)->type;
		if (t1 == T_LPAREN || t1 == T_BY || t1 == T_WITHOUT)
			return parse_aggregate(p);
	}
	if (t.type == T_IDENT && peek_n(p, 1)->type == T_LPAREN && !is_dur_fn_tok(p, &t))
		return parse_call(p);
	if ((t.type == T_STEP || t.type == T_RANGE || t.type == T_START || t.type == T_END ||
	     (t.type == T_IDENT && is_dur_fn_tok(p, &t))) && peek_n(p, 1)->type == T_LPAREN)
		return parse_dur_call(p);
	if (is_metric_ident(t.type)) {
		next_tok(p);
		return parse_selector(p, &t);
	}
	unexpected_here(p);
}

/* ---- unary and binary expressions ---- */

/* A sign in front of x: folded into a number literal, else a unary node. */
static node *apply_sign(parser *p, const token *t, node *x)
{
	if (x->kind == NODE_NUMBER) {
		if (t->type == T_SUB)
			x->number = -x->number;
		x->pos = t->pos;
		return x;
	}
	node *n = new_node(p, NODE_UNARY, t->pos, x->end);
	n->unary.op = t->type == T_SUB ? OP_SUB : OP_ADD;
	n->unary.expr = x;
	return n;
}

static int binop_prec(tok_type t)
{
	switch (t) {
	case T_LOR:
		return 1;
	case T_LAND: case T_LUNLESS:
		return 2;
	case T_EQLC: case T_NEQ: case T_LSS: case T_LTE: case T_GTR: case T_GTE:
		return 3;
	case T_ADD: case T_SUB:
		return 4;
	case T_MUL: case T_DIV: case T_MOD: case T_ATAN2: case T_TRIM_UPPER: case T_TRIM_LOWER:
		return 5;
	case T_POW:
		return 6;
	default:
		return -1;
	}
}

static promql_op binop(tok_type t)
{
	static const struct {
		tok_type t;
		promql_op op;
	} m[] = {{T_ADD, OP_ADD}, {T_SUB, OP_SUB}, {T_MUL, OP_MUL}, {T_DIV, OP_DIV}, {T_MOD, OP_MOD},
		 {T_POW, OP_POW}, {T_ATAN2, OP_ATAN2}, {T_EQLC, OP_EQLC}, {T_NEQ, OP_NEQ}, {T_GTR, OP_GTR},
		 {T_LSS, OP_LSS}, {T_GTE, OP_GTE}, {T_LTE, OP_LTE}, {T_LAND, OP_LAND}, {T_LOR, OP_LOR},
		 {T_LUNLESS, OP_LUNLESS}, {T_TRIM_UPPER, OP_TRIM_UPPER}, {T_TRIM_LOWER, OP_TRIM_LOWER}};
	for (size_t i = 0; i < FL_ARRAY_LEN(m); i++)
		if (m[i].t == t)
			return m[i].op;
	return OP_NONE;
}

/* fill(v): a signed number. */
static double parse_fill_value(parser *p)
{
	expect(p, T_LPAREN, "fill modifier", "\"(\"");
	bool neg = false;
	token t = *peek(p);
	if (t.type == T_ADD || t.type == T_SUB) {
		neg = t.type == T_SUB;
		next_tok(p);
		t = *peek(p);
	}
	if (t.type != T_NUMBER && t.type != T_DURATION)
		parse__unexpected(p, "fill modifier", "number");
	next_tok(p);
	double v = t.type == T_NUMBER ? parse__number(p, &t) : parse__duration(p, &t);
	expect(p, T_RPAREN, "fill modifier", "\")\"");
	return neg ? -v : v;
}

static void parse_fill(parser *p, vector_matching *vm)
{
	if (peek_type(p) == T_FILL) {
		next_tok(p);
		vm->fill_left = vm->fill_right = parse_fill_value(p);
		vm->has_fill_left = vm->has_fill_right = vm->fill_same = true;
		return;
	}
	for (int i = 0; i < 2; i++) {
		tok_type t = peek_type(p);
		if (t == T_FILL_LEFT && !vm->has_fill_left) {
			next_tok(p);
			vm->fill_left = parse_fill_value(p);
			vm->has_fill_left = true;
		} else if (t == T_FILL_RIGHT && !vm->has_fill_right) {
			next_tok(p);
			vm->fill_right = parse_fill_value(p);
			vm->has_fill_right = true;
		}
	}
}

static vector_matching *parse_bin_modifiers(parser *p, bool *ret_bool)
{
	vector_matching *vm = alloc(p, sizeof *vm);
	vm->card = CARD_ONE_TO_ONE;
	*ret_bool = accept_tok(p, T_BOOL);
	tok_type t = peek_type(p);
	if (t == T_ON || t == T_IGNORING) {
		next_tok(p);
		vm->on = t == T_ON;
		vm->have_matching = true;
		parse_grouping(p, &vm->labels, &vm->n_labels);
		t = peek_type(p);
		if (t == T_GROUP_LEFT || t == T_GROUP_RIGHT) {
			next_tok(p);
			vm->card = t == T_GROUP_LEFT ? CARD_MANY_TO_ONE : CARD_ONE_TO_MANY;
			if (peek_type(p) == T_LPAREN)
				parse_grouping(p, &vm->include, &vm->n_include);
		}
	}
	parse_fill(p, vm);
	return vm;
}

/*
 * expr: operator precedence parsing with an explicit stack, so that a chain
 * of any length (left-deep `a + b + c`, right-deep `a ^ b ^ c`, or mixed)
 * costs no C recursion. Each pending entry waits for its right operand: a
 * binary node whose lhs is set, or a sign, which binds like * (upstream's
 * `unary_op expr %prec MUL`: only ^ binds tighter). An operator first
 * reduces the pending entries that bind at least as tightly (tighter only,
 * for right-associative ^); the end of the expression reduces them all.
 * Signs count as nesting (they build unary nodes the passes recurse into);
 * binary operators do not (the passes walk them with promql_chain).
 */
typedef struct pending {
	node *bin;   /* binary node awaiting its rhs, or NULL for a sign */
	token sign;  /* the sign's token */
	int prec;    /* binop_prec, 5 for a sign */
} pending;

enum { SIGN_PREC = 5 };

static node *reduce(parser *p, const pending *e, node *rhs)
{
	if (!e->bin) {
		p->depth--;
		return apply_sign(p, &e->sign, rhs);
	}
	e->bin->binary.rhs = rhs;
	e->bin->end = rhs->end;
	return e->bin;
}

static void push_pending(parser *p, pending **v, size_t *n, size_t *cap, pending e)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		pending *g = alloc(p, c * sizeof *g);
		if (*n)
			memcpy(g, *v, *n * sizeof *g);
		*v = g;
		*cap = c;
	}
	(*v)[(*n)++] = e;
}

static node *parse_expr(parser *p)
{
	enter(p);
	pending *st = NULL;
	size_t n = 0, cap = 0;
	node *x;
	for (;;) {
		token t = *peek(p);
		while (t.type == T_ADD || t.type == T_SUB) {
			next_tok(p);
			enter(p);
			push_pending(p, &st, &n, &cap, (pending){NULL, t, SIGN_PREC});
			t = *peek(p);
		}
		x = parse_postfix(p, parse_primary(p));
		token op = *peek(p);
		int prec = binop_prec(op.type);
		while (n > 0 && (st[n - 1].prec > prec || (st[n - 1].prec == prec && op.type != T_POW)))
			x = reduce(p, &st[--n], x);
		if (prec < 0)
			break;
		next_tok(p);
		node *b = new_node(p, NODE_BINARY, x->pos, 0);
		b->binary.op = binop(op.type);
		b->binary.vm = parse_bin_modifiers(p, &b->binary.return_bool);
		b->binary.lhs = x;
		push_pending(p, &st, &n, &cap, (pending){b, {0}, prec});
	}
	assert(n == 0);
	p->depth--;
	return x;
}

/* ---- entry points ---- */

static void parser_init(parser *p, const char *text, arena *a, err *e)
{
	memset(p, 0, sizeof *p);
	p->in = text;
	p->a = a;
	p->e = e;
	lex_init(&p->lx, text, (int)strlen(text));
}

static void release_tracked(parser *p)
{
	for (vs_track *t = p->tracked; t; t = t->next) {
		for (size_t i = 0; i < t->vs->vs.n_matchers; i++)
			matcher_reset(&t->vs->vs.matchers[i]);
		t->vs->vs.n_matchers = 0;
	}
	p->tracked = NULL;
}

int promql_parse(const char *query, promql_expr *out, err *e)
{
	memset(out, 0, sizeof *out);
	arena_init(&out->arena);
	if (strlen(query) > INT32_MAX / 2)
		return err_set(e, FL_EPARSE, "1:1: parse error: query too long");
	out->text = arena_strdup(&out->arena, query);
	if (!out->text)
		return err_set(e, FL_ENOMEM, "out of memory");
	parser *p = fl_calloc(1, sizeof *p);
	if (!p)
		return err_set(e, FL_ENOMEM, "out of memory");
	parser_init(p, out->text, &out->arena, e);
	if (setjmp(p->jb)) {
		release_tracked(p);
		fl_free(p);
		out->root = NULL;
		arena_reset(&out->arena);
		out->text = NULL;
		return FL_EPARSE;
	}
	if (peek_type(p) == T_EOF)
		parse__fail(p, 0, "no expression found in input");
	node *root = parse_expr(p);
	if (peek_type(p) != T_EOF)
		unexpected_here(p);
	parse__check(p, root);
	out->root = root;
	fl_free(p);
	return 0;
}

int promql_parse_selector(const char *text, arena *a, matcher **ms, size_t *n, err *e)
{
	*ms = NULL;
	*n = 0;
	parser *p = fl_calloc(1, sizeof *p);
	if (!p)
		return err_set(e, FL_ENOMEM, "out of memory");
	parser_init(p, text, a, e);
	if (setjmp(p->jb)) {
		release_tracked(p);
		fl_free(p);
		return FL_EPARSE;
	}
	token t = *peek(p);
	node *vs;
	if (t.type == T_LBRACE) {
		vs = parse_selector(p, NULL);
	} else if (is_metric_ident(t.type)) {
		next_tok(p);
		vs = parse_selector(p, &t);
	} else {
		unexpected_here(p);
	}
	if (peek_type(p) != T_EOF)
		unexpected_here(p);
	*ms = vs->vs.matchers;
	*n = vs->vs.n_matchers;
	fl_free(p);
	return 0;
}
