/*
 * lex.h - the PromQL lexer (Prometheus promql/parser/lex.go), internal to
 * the parser (parse.c) and the printer (print.c).
 *
 * The lexer is a state machine driven one token at a time, like upstream's:
 * it tracks open parentheses, braces and brackets because the token set
 * depends on them (inside {...} keywords are plain identifiers; inside
 * [...] only numbers, durations, operators and the duration keywords step,
 * range, min, max, min_of, max_of exist). Errors become a T_ERROR token whose
 * message (upstream's wording) is in lexer.errmsg and whose position is the
 * start of the token being scanned. After T_ERROR or T_EOF the lexer keeps
 * returning T_EOF.
 *
 * Tokens are slices of the input: [pos, pos + len). Nothing is allocated.
 */
#ifndef FL_PROMQL_LEX_H
#define FL_PROMQL_LEX_H

#include "lib/buf.h"
#include "lib/fl.h"

typedef enum tok_type {
	T_EOF,
	T_ERROR,
	T_COMMENT,
	T_IDENT,
	T_METRIC_IDENT,
	T_NUMBER,
	T_DURATION,
	T_STRING,
	T_LPAREN,
	T_RPAREN,
	T_LBRACE,
	T_RBRACE,
	T_LBRACKET,
	T_RBRACKET,
	T_COMMA,
	T_EQL,
	T_COLON,
	/* operators (upstream's operatorsStart..operatorsEnd) */
	T_OPS_START,
	T_ADD,
	T_SUB,
	T_MUL,
	T_DIV,
	T_MOD,
	T_POW,
	T_EQLC,
	T_NEQ,
	T_LSS,
	T_LTE,
	T_GTR,
	T_GTE,
	T_EQL_REGEX,
	T_NEQ_REGEX,
	T_AT,
	T_LAND,
	T_LOR,
	T_LUNLESS,
	T_ATAN2,
	T_TRIM_UPPER, /* </ */
	T_TRIM_LOWER, /* >/ */
	T_OPS_END,
	/* aggregators */
	T_AGG_START,
	T_SUM,
	T_AVG,
	T_COUNT,
	T_MIN,
	T_MAX,
	T_GROUP,
	T_STDDEV,
	T_STDVAR,
	T_TOPK,
	T_BOTTOMK,
	T_COUNT_VALUES,
	T_QUANTILE,
	T_LIMITK,
	T_LIMIT_RATIO,
	T_AGG_END,
	/* keywords */
	T_KW_START,
	T_BOOL,
	T_BY,
	T_GROUP_LEFT,
	T_GROUP_RIGHT,
	T_IGNORING,
	T_OFFSET,
	T_SMOOTHED,
	T_ANCHORED,
	T_ON,
	T_WITHOUT,
	T_FILL,
	T_FILL_LEFT,
	T_FILL_RIGHT,
	T_KW_END,
	/* preprocessors and duration functions */
	T_START,
	T_END,
	T_STEP,
	T_RANGE,
	T_MIN_OF,
	T_MAX_OF,
} tok_type;

typedef struct token {
	tok_type type; /* kind */
	int pos;       /* byte offset of the first byte */
	int len;       /* byte length */
} token;

typedef struct lexer {
	const char *in;    /* input, borrowed */
	int n;             /* input length */
	int pos;           /* next byte to scan */
	int start;         /* start of the token being scanned */
	int paren_depth;   /* open ( */
	bool brace_open;   /* inside {...} */
	bool bracket_open; /* inside [...] */
	bool got_colon;    /* a ':' was seen inside the current [...] */
	bool got_duration; /* a number was seen inside [...] (never reset, as upstream) */
	bool dur_state;    /* the next token is scanned by upstream's lexDurationExpr */
	bool done;         /* EOF or an error was returned */
	char errmsg[256];  /* message of the last T_ERROR */
} lexer;

void lex_init(lexer *l, const char *in, int n);
/* Scan the next token into t (comments included: T_COMMENT). */
void lex_next(lexer *l, token *t);

/* Upstream's Item.desc(): `<op:+>`, `identifier "foo"`, `end of input`. */
void lex_token_desc(const lexer *l, const token *t, buf *b);
/* Keyword/operator text of a token type ("+", "and", "sum", "by"). */
const char *lex_type_str(tok_type t);

/* Go's strconv.Quote of s[0..n) appended to b (shared with print.c). */
void promql__quote(buf *b, const char *s, size_t n);
/* Go's %q of one rune, e.g. 'a', '\n', '\x00' (for lexer messages). */
void promql__quote_rune(buf *b, int32_t r);
/* Decode one UTF-8 rune at s (n bytes left): returns the rune, or -1 for
 * an invalid byte (width 1); *w receives the width. */
int32_t promql__utf8_decode(const char *s, int n, int *w);

#endif
