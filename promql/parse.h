/*
 * parse.h - internals shared by parse.c (syntax), parse_check.c (types,
 * upstream's checkAST) and parse_lit.c (number, duration and string
 * literals). Not a public header: the public face is promql/ast.h.
 *
 * The parser stops at the first error (upstream reports only the first of
 * its list, and its first is the earliest in parse order): fail() formats
 * "line:col: parse error: msg" into the caller's err and longjmps back to
 * the entry point, which frees the partial tree. Everything a parse
 * allocates is in the expression's arena except matchers' regexes, whose
 * vector selectors are tracked so that the error path can release them.
 */
#ifndef FL_PROMQL_PARSE_H
#define FL_PROMQL_PARSE_H

#include <setjmp.h>

#include "promql/ast.h"
#include "promql/lex.h"

typedef struct vs_track {
	node *vs;              /* a vector selector whose matchers own memory */
	struct vs_track *next; /* older entry */
} vs_track;

typedef struct parser {
	lexer lx;          /* the token source */
	token la[2];       /* lookahead (la[0] is the current token) */
	int n_la;          /* valid entries in la */
	token prev;        /* last consumed token */
	const char *in;    /* the query text (NUL-terminated) */
	arena *a;          /* where nodes go */
	err *e;            /* the caller's error */
	jmp_buf jb;        /* fail() jumps here */
	int depth;         /* current nesting (bounded by PROMQL_MAX_DEPTH) */
	const char *ctx;   /* innermost error context ("aggregation"), or NULL */
	const char *ctx_exp; /* what it expected, or NULL */
	vs_track *tracked; /* selectors to clean up on error */
} parser;

/* Report "L:C: parse error: msg" at byte offset pos and abandon the parse. */
_Noreturn void parse__fail(parser *p, int pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Upstream's unexpected(): "unexpected <tok>[ in ctx][, expected exp]" at the current token. */
_Noreturn void parse__unexpected(parser *p, const char *ctx, const char *exp);

/* Literals (parse_lit.c). Each fails with upstream's message on bad input. */
double parse__number(parser *p, const token *t);
/* A duration token's value in seconds (model.ParseDuration). */
double parse__duration(parser *p, const token *t);
/* Unquote a string token into the arena (Go's strconv.Unquote rules). */
char *parse__unquote(parser *p, const token *t);
/* Seconds to milliseconds as upstream converts a time.Duration. */
int64_t parse__secs_to_ms(double secs);

/* Type check (parse_check.c): upstream's checkAST; sets every node's type. */
promql_type parse__check(parser *p, node *n);

#endif
