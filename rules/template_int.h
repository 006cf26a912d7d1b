/*
 * template_int.h - what template_parse.c, template_exec.c and
 * template_funcs.c share (SQLite's btreeInt.h pattern): the parse tree of
 * Go's text/template/parse (node.go), the dynamic values execution passes
 * around (the reflect.Values of exec.go, reduced to the kinds Prometheus's
 * templates can produce), and the function table.
 *
 * Invariants:
 *   1. A tree lives in its tmpl's arena; it is read-only after tmpl_parse,
 *      so one tmpl may run on several threads at once.
 *   2. Values made while executing live in the execution's arena and die
 *      with it; values never own heap memory.
 *   3. node.pos is a byte offset into the parsed text (defs preamble
 *      included), as Go's parse.Pos, for "NAME:LINE:COL" in messages.
 */
#ifndef FL_RULES_TEMPLATE_INT_H
#define FL_RULES_TEMPLATE_INT_H

#include "lib/arena.h"
#include "rules/template.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- parse tree (text/template/parse/node.go) ---- */

typedef enum tnode_kind {
	TN_TEXT,     /* plain text: s */
	TN_ACTION,   /* {{pipe}}: pipe */
	TN_IF,       /* pipe, list, else_list */
	TN_RANGE,    /* pipe, list, else_list */
	TN_WITH,     /* pipe, list, else_list */
	TN_TEMPLATE, /* {{template "name" pipe}}: s (name), pipe (may be NULL) */
	TN_BREAK,    /* {{break}} */
	TN_CONTINUE, /* {{continue}} */
	TN_LIST,     /* kids */
	TN_PIPE,     /* decl (idents), is_assign, kids (commands) */
	TN_COMMAND,  /* kids (operands) */
	TN_FIELD,    /* .A.B: idents */
	TN_VARIABLE, /* $x.A.B: idents[0] is "$x" */
	TN_CHAIN,    /* (pipe).A.B or f.A: chain_node, idents */
	TN_IDENT,    /* function name: s, fn */
	TN_DOT,      /* . */
	TN_NIL,      /* nil */
	TN_BOOL,     /* true/false: b */
	TN_NUMBER,   /* s (text), is_int, is_float, i, f */
	TN_STRING,   /* s (unquoted), quoted (as written) */
	TN__END,     /* parser only: {{end}} */
	TN__ELSE,    /* parser only: {{else}} */
} tnode_kind;

typedef struct tnode tnode;
struct tnode {
	tnode_kind kind;   /* which node */
	int pos;           /* byte offset of the node in the text */
	const char *s;     /* text, name, ident or string value (NUL-terminated) */
	size_t s_len;      /* bytes in s (text may hold NULs) */
	const char *quoted; /* TN_STRING, TN_NUMBER: the token as written */
	tnode **kids;      /* TN_LIST: nodes; TN_PIPE: commands; TN_COMMAND: operands */
	size_t n_kids;     /* entries in kids */
	const char **idents; /* TN_FIELD/TN_VARIABLE/TN_CHAIN: the names; TN_PIPE: declared variables */
	size_t n_idents;   /* entries in idents */
	bool is_assign;    /* TN_PIPE: "=" rather than ":=" */
	tnode *pipe;       /* TN_ACTION/IF/RANGE/WITH/TEMPLATE: the pipeline */
	tnode *list;       /* TN_IF/RANGE/WITH: the body */
	tnode *else_list;  /* TN_IF/RANGE/WITH: the else body or NULL */
	tnode *chain_node; /* TN_CHAIN: the operand the fields apply to */
	int fn;            /* TN_IDENT: index in tmpl_funcs */
	bool b;            /* TN_BOOL */
	bool is_int;       /* TN_NUMBER: fits int64 exactly */
	bool is_float;     /* TN_NUMBER: has a float64 value */
	int64_t i;         /* TN_NUMBER when is_int */
	double f;          /* TN_NUMBER when is_float */
};

/* A named tree: the main template or a {{define}}. */
typedef struct tmpl_tree {
	const char *name; /* template name */
	tnode *root;      /* TN_LIST */
} tmpl_tree;

struct tmpl {
	arena a;            /* everything below */
	const char *name;   /* the main template's name ("__alert_X") */
	const char *text;   /* the parsed text (preamble + source) */
	size_t text_len;    /* bytes in text */
	tmpl_tree *trees;   /* [0] is the main template, then definitions */
	size_t n_trees;     /* entries in trees */
};

/* Go's "NAME:LINE:COL" and the node's text cut at 20 bytes, as
 * parse.Tree.ErrorContext. */
void tmpl__node_string(buf *b, const tnode *n);
void tmpl__error_context(buf *b, const tmpl *t, const tnode *n, const char *name);

/* ---- values (exec.go's reflect.Values) ---- */

typedef enum tval_kind {
	TV_INVALID,  /* no value (nil interface, missing map key of map[string]any) */
	TV_BOOL,     /* b */
	TV_INT,      /* i (Go int) */
	TV_BYTE,     /* i (uint8, from index on a string) */
	TV_FLOAT,    /* f (float64) */
	TV_STRING,   /* s, n */
	TV_HTML,     /* s, n (html/template.HTML from safeHtml) */
	TV_LABELS,   /* ls (map[string]string) */
	TV_ARGS,     /* args (map[string]any from args) */
	TV_SAMPLE,   /* smp (*template.sample; NULL is a nil pointer) */
	TV_SAMPLES,  /* smps, n (template.queryResult) */
	TV_TIME,     /* i: ms since the epoch (*time.Time) */
	TV_DURATION, /* i: ns (*time.Duration) */
	TV_DATA,     /* the alert's data (the anonymous struct of AlertTemplateData) */
} tval_kind;

typedef struct tval tval;
typedef struct targs {
	size_t n;        /* entries */
	tval *v;         /* values, "arg0".. */
} targs;

struct tval {
	tval_kind k;     /* kind */
	bool b;          /* TV_BOOL */
	int64_t i;       /* TV_INT, TV_BYTE, TV_TIME, TV_DURATION */
	double f;        /* TV_FLOAT */
	const char *s;   /* TV_STRING, TV_HTML (not NUL-terminated) */
	size_t n;        /* bytes in s; samples in smps */
	labels ls;       /* TV_LABELS */
	targs *args;     /* TV_ARGS */
	tmpl_sample *smp; /* TV_SAMPLE */
	tmpl_sample *smps; /* TV_SAMPLES */
	const tmpl_data *data; /* TV_DATA */
};

/* Execution state (exec.go's state), shared with the functions. */
typedef struct tstate tstate;

/* Go's reflect type name of a value ("float64", "*template.sample"). */
const char *tmpl__type_name(const tval *v);
/* fmt.Fprint of one value (fmt's %v). */
void tmpl__fmt_value(buf *b, const tval *v);
/* Go's isTrue: truth, and whether the value has one. */
bool tmpl__truth(const tval *v, bool *ok);
/* The execution arena, data and error reporting for the functions. */
arena *tmpl__arena(tstate *s);
const tmpl_data *tmpl__data(tstate *s);
tval tmpl__str(tstate *s, const char *p, size_t n);

/* ---- functions (funcs.go + template.go's FuncMap) ---- */

/* Parameter types a function declares (Go types reflect checks). */
typedef enum tparam {
	TP_ANY,     /* any */
	TP_STRING,  /* string */
	TP_SAMPLE,  /* *sample */
	TP_SAMPLES, /* queryResult */
} tparam;

/* A function: fills *out, or returns non-zero with msg set ("error calling
 * NAME: " is added by the caller). args are evaluated; for `and`/`or` the
 * executor short-circuits itself. */
typedef int (*tfunc_impl)(tstate *s, tval *args, size_t n, tval *out, buf *msg);

typedef struct tfunc {
	const char *name;   /* as written in templates */
	tfunc_impl impl;    /* the function */
	int n_params;       /* fixed parameters */
	bool variadic;      /* more `any` arguments allowed after them */
	tparam params[3];   /* types of the fixed parameters */
} tfunc;

extern const tfunc tmpl_funcs[];
extern const size_t tmpl_n_funcs;
/* Index of name in tmpl_funcs, or -1. */
int tmpl__func_find(const char *name);

/* Keys of an args map in Go's map-printing (string) order. */
void tmpl__args_order(size_t n, size_t *ord);
/* Longest string a function builds (reReplaceAll) before it stops. */
#define TMPL_MAX_STRING (1u << 20)

/* time.Time.String() of ms since the epoch, in UTC. */
void tmpl__fmt_time(buf *b, int64_t ms);
/* fmt.Sprintf("%.4g", v). */
void tmpl__fmt_g4(buf *b, double v);
/* fmt.Sprint (ln: Sprintln) of values. */
void tmpl__sprint(buf *b, const tval *args, size_t n, bool ln);
/* Go's fmt.Sprintf over template values (printf). */
void tmpl__sprintf(buf *b, const char *fmt, size_t fmt_len, const tval *args, size_t n);

#endif
