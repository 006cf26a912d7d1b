/*
 * ast.h - the PromQL syntax tree (Prometheus promql/parser/ast.go), shared
 * by the parser (parse.c), the printer (print.c) and the engine.
 *
 * Ownership: a whole tree lives in one arena (promql_expr owns it); nodes,
 * strings, matcher arrays and grouping lists are allocated there, except
 * that matchers own their compiled regexes, which promql_expr_free releases.
 *
 * Positions are byte offsets into the query text: [pos, end).
 *
 * This header is the contract between parser and engine: add fields and
 * node kinds as the language needs them, but do not repurpose existing ones.
 */
#ifndef FL_PROMQL_AST_H
#define FL_PROMQL_AST_H

#include "lib/arena.h"
#include "lib/err.h"
#include "tsdb/matcher.h"

typedef enum promql_type { PT_NONE, PT_SCALAR, PT_VECTOR, PT_MATRIX, PT_STRING } promql_type;
const char *promql_type_name(promql_type t); /* "scalar", "instant vector", "range vector", "string" */
/* Prometheus's ValueType names: "scalar", "vector", "matrix", "string", "none". */
const char *promql_value_type_name(promql_type t);

/* Function table (functions.def). */
enum { FNF_EXPERIMENTAL = 1, FNF_KEEP_NAME = 2 };
/* FN_<name>: a function's row index (the engine dispatches on it). */
typedef enum promql_fn_id {
#define FN(name, ...) FN_##name,
#include "promql/functions.def"
#undef FN
	FN_COUNT
} promql_fn_id;
typedef struct promql_function {
	const char *name;    /* e.g. "rate" */
	promql_type ret;     /* return type */
	int n_args;          /* required arguments */
	int variadic;        /* 0 none, k up to k optional more, -1 unbounded */
	promql_type args[5]; /* argument types; the last one repeats for variadic */
	int flags;           /* FNF_* */
	promql_fn_id id;     /* FN_<name>, the row index (the engine dispatches on it) */
} promql_function;
const promql_function *promql_function_lookup(const char *name);
extern const promql_function promql_functions[];
extern const size_t promql_n_functions;

typedef enum promql_op {
	OP_NONE,
	/* arithmetic */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_ATAN2,
	/* comparison */
	OP_EQLC, OP_NEQ, OP_GTR, OP_LSS, OP_GTE, OP_LTE,
	/* set */
	OP_LAND, OP_LOR, OP_LUNLESS,
	/* aggregations */
	AGG_SUM, AGG_AVG, AGG_COUNT, AGG_MIN, AGG_MAX, AGG_GROUP, AGG_STDDEV, AGG_STDVAR,
	AGG_TOPK, AGG_BOTTOMK, AGG_COUNT_VALUES, AGG_QUANTILE, AGG_LIMITK, AGG_LIMIT_RATIO,
	/* 3.x native histogram trim operators: `</` (trim upper), `>/` (trim lower) */
	OP_TRIM_UPPER, OP_TRIM_LOWER,
} promql_op;
const char *promql_op_str(promql_op op); /* "+", "==", "and", "sum", ... */
static inline bool promql_op_is_comparison(promql_op op) { return op >= OP_EQLC && op <= OP_LTE; }
static inline bool promql_op_is_set(promql_op op) { return op >= OP_LAND && op <= OP_LUNLESS; }

typedef enum node_kind {
	NODE_NUMBER,          /* 1, 0x1f, Inf, NaN, 1h (duration as seconds) */
	NODE_STRING,          /* "foo" */
	NODE_VECTOR_SELECTOR, /* foo{a="b"} offset 5m @ 123 */
	NODE_MATRIX_SELECTOR, /* foo[5m] (wraps a vector selector) */
	NODE_SUBQUERY,        /* expr[1h:1m] offset 5m @ 123 */
	NODE_PAREN,           /* (expr) */
	NODE_UNARY,           /* -expr, +expr */
	NODE_BINARY,          /* lhs op bool on(..) group_left(..) rhs */
	NODE_AGGREGATE,       /* sum by (a) (expr), topk(3, expr) */
	NODE_CALL,            /* rate(x[5m]) */
	NODE_STEP_INVARIANT,  /* engine-inserted wrapper (preprocessing), never printed */
	NODE_DURATION,        /* 3.x duration expression: 5m+1m, step(), min_of(a, b) (scalar seconds) */
} node_kind;

/* Functions of a 3.x duration expression (NODE_DURATION). */
typedef enum dur_fn { DUR_ARITH, DUR_STEP, DUR_RANGE, DUR_MIN, DUR_MAX, DUR_START, DUR_END } dur_fn;

/* Deepest nesting of expressions the parser accepts (the printer, checker
 * and engine recurse on the tree): deeper input is a parse error. */
#define PROMQL_MAX_DEPTH 500

/* The @ modifier. */
typedef enum at_kind { AT_NONE, AT_TIME, AT_START, AT_END } at_kind;

typedef enum card { CARD_ONE_TO_ONE, CARD_MANY_TO_ONE, CARD_ONE_TO_MANY, CARD_MANY_TO_MANY } card;

typedef struct vector_matching {
	card card;               /* one-to-one unless group_left/right (set ops: many-to-many) */
	const char **labels;     /* on(...)/ignoring(...) label list */
	size_t n_labels;         /* number of labels */
	bool on;                 /* on(...) given (else ignoring or nothing) */
	bool have_matching;      /* on/ignoring was written, even if empty */
	const char **include;    /* group_left(...)/group_right(...) extra labels */
	size_t n_include;        /* number of include labels */
	/* 3.x fill modifiers (fill(0), fill_left(1), fill_right(2)); absent when !has_fill_* */
	bool has_fill_left, has_fill_right; /* a fill value is given for that side */
	double fill_left, fill_right;       /* the values */
	bool fill_same;                     /* written as fill(v) for both sides (printer) */
} vector_matching;

typedef struct node node;

struct node {
	node_kind kind;   /* which member of the union */
	promql_type type; /* result type, set by the parser */
	int pos, end;     /* byte offsets in the query text */
	bool num_duration; /* NODE_NUMBER written as a duration (1h30m): printed so */
	union {
		double number; /* NODE_NUMBER */
		struct {
			const char *val; /* unescaped, NUL-terminated */
		} string;            /* NODE_STRING */
		struct {
			const char *name;      /* metric name or NULL (also present as a __name__ matcher) */
			matcher *matchers;     /* all matchers including __name__ */
			size_t n_matchers;     /* number of matchers */
			int64_t offset_ms;     /* offset modifier (negative allowed) */
			at_kind at;            /* @ modifier kind */
			int64_t at_ms;         /* for AT_TIME; the engine also fills it for start()/end() */
			bool original_offset_set; /* "offset" was written (printer) */
			node *offset_expr;     /* 3.x duration expression after offset, or NULL (then
						  offset_ms is 0 until the engine evaluates it) */
			bool anchored;         /* 3.x "anchored" extended range selector */
			bool smoothed;         /* 3.x "smoothed" extended range selector */
		} vs;                      /* NODE_VECTOR_SELECTOR */
		struct {
			node *vs;          /* NODE_VECTOR_SELECTOR */
			int64_t range_ms;  /* [range] */
			node *range_expr;  /* 3.x duration expression, or NULL (range_ms holds its
					      value when it has no step()/range(), else 0) */
		} ms;                  /* NODE_MATRIX_SELECTOR */
		struct {
			node *expr;        /* inner expression (instant vector) */
			int64_t range_ms;  /* [range:...] */
			int64_t step_ms;   /* [...:step], 0 = default (engine's step / global eval interval) */
			int64_t offset_ms; /* offset modifier */
			at_kind at;        /* @ modifier kind */
			int64_t at_ms;     /* for AT_TIME */
			node *range_expr, *step_expr, *offset_expr; /* duration expressions or NULL
						  (the *_ms value is filled when constant) */
		} sq;                  /* NODE_SUBQUERY */
		struct {
			node *expr;
		} paren;               /* NODE_PAREN, NODE_STEP_INVARIANT */
		struct {
			promql_op op;      /* OP_SUB or OP_ADD */
			node *expr;        /* operand */
		} unary;               /* NODE_UNARY */
		struct {
			promql_op op;      /* operator */
			node *lhs, *rhs;   /* operands */
			bool return_bool;  /* "bool" modifier */
			vector_matching *vm; /* matching (NULL when a side is scalar) */
		} binary;              /* NODE_BINARY */
		struct {
			promql_op op;          /* AGG_* */
			node *expr;            /* the vector expression */
			node *param;           /* topk's k, quantile's q, count_values' label, or NULL */
			const char **grouping; /* by/without labels */
			size_t n_grouping;     /* number of grouping labels */
			bool without;          /* "without" rather than "by" */
			bool have_grouping;    /* by/without was written */
		} agg;                     /* NODE_AGGREGATE */
		struct {
			const promql_function *fn; /* from functions.def */
			node **args;               /* arguments */
			size_t n_args;             /* number of arguments */
		} call;                        /* NODE_CALL */
		struct {
			dur_fn fn;         /* DUR_ARITH: op on lhs/rhs; else step(), range(), start(),
					      end(), min_of(lhs, rhs), max_of(lhs, rhs) */
			promql_op op;      /* DUR_ARITH: OP_ADD..OP_POW; unary when lhs is NULL */
			node *lhs, *rhs;   /* operands (NODE_NUMBER or NODE_DURATION); min/max: both */
			bool wrapped;      /* written in parentheses (printer) */
		} dur;                 /* NODE_DURATION */
	};
};

/* A parsed expression: the tree and the arena that owns it. */
typedef struct promql_expr {
	node *root;  /* never NULL after a successful parse */
	arena arena; /* owns every node */
	char *text;  /* copy of the query text (positions refer to it) */
} promql_expr;

/*
 * Parse a query. On error returns FL_EPARSE and sets e->msg to Prometheus's
 * wording with the position: "1:14: parse error: unexpected ...".
 * *out must be freed with promql_expr_free (also after an error: safe).
 */
int promql_parse(const char *query, promql_expr *out, err *e);
void promql_expr_free(promql_expr *x);

/* Parse a series selector such as `up{job="x"}` (for match[] and
 * flinttool): fills a matcher array allocated in a (matchers own regexes:
 * the caller resets them). */
int promql_parse_selector(const char *text, arena *a, matcher **ms, size_t *n, err *e);

/*
 * Value of a duration expression in seconds (NODE_NUMBER or NODE_DURATION):
 * step() is the query step, range() is end - start, start() and end() the
 * query's bounds in seconds (an instant query has start == end, step 0).
 * min_of/max_of propagate NaN (Go's math.Min/Max). Errors ("division by
 * zero", "modulo by zero") return FL_EINVAL. Mirrors promql/durations.go.
 */
typedef struct promql_dur_ctx {
	int64_t start_ms, end_ms, step_ms; /* the query's */
} promql_dur_ctx;
int promql_duration_eval(const node *n, const promql_dur_ctx *c, double *secs, err *e);

/* Canonical text of a tree (Prometheus's String()), into b. */
struct buf;
void promql_print(struct buf *b, const node *n);
/* Prometheus's Pretty(0) (promql/parser/prettier.go), what
 * /api/v1/format_query returns: the one-line form when it fits in 100
 * bytes, else binary operators, aggregations, calls and parentheses split
 * over lines indented by two spaces per level. */
void promql_print_pretty(struct buf *b, const node *n);
/* Duration in Prometheus's format: 1h30m, 5m, 1d, 0s. */
void promql_print_duration(struct buf *b, int64_t ms);

#endif
