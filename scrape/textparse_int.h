/*
 * textparse_int.h - what the exposition parsers share inside scrape/: the
 * parser state (struct textparse, opaque to everyone else), the one
 * tokenizer for `name{label="value",...}` both formats use
 * (textparse_lex.c), each format's next() (textparse_prom.c,
 * textparse_om.c) and the OpenMetrics validator behind TEXTPARSE_STRICT
 * (textparse_omcheck.c). SQLite's btreeInt.h pattern: only textparse*.c
 * include it.
 *
 * An entry is parsed in place: names and values are slices of the input
 * (still escaped), so a sample line costs no copy until its labels are
 * asked for (textparse_labels builds them into strs/lv).
 */
#ifndef FL_SCRAPE_TEXTPARSE_INT_H
#define FL_SCRAPE_TEXTPARSE_INT_H

#include "scrape/textparse.h"

typedef struct tp_lab {
	slice name;  /* label name as written, quotes stripped (escaped if it was quoted) */
	slice value; /* label value between its quotes, still escaped */
} tp_lab;

typedef struct tp_omcheck tp_omcheck;

struct textparse {
	textparse_format f; /* which next() runs */
	unsigned flags;     /* TEXTPARSE_* */
	const char *b;      /* input, borrowed */
	size_t n;           /* input length */
	size_t i;           /* next unread byte */
	size_t nl;          /* newlines consumed before i */
	size_t line;        /* 1-based line where the current entry starts */
	size_t start;       /* offset where the current entry starts */
	bool done;          /* next() returns 0 from now on */
	textparse_mtype mtype; /* type of the last TYPE line: Go's parsers keep it across families */

	/* the current entry */
	slice series;        /* SERIES: name and labels as written */
	slice mname;         /* SERIES: metric name (quotes stripped); p == NULL while unset */
	bool mname_quoted;   /* mname was a quoted string (escapes to undo) */
	tp_lab *lab;         /* SERIES: the labels, in input order */
	size_t n_lab, lab_cap; /* count, capacity */
	double v;            /* SERIES: value */
	bool has_ts;         /* SERIES: an explicit timestamp was given */
	int64_t ts_ms;       /* SERIES: the timestamp in ms */
	double ts_sec;       /* SERIES (OM): the timestamp as written, in seconds */
	bool has_ex;         /* SERIES (OM): an exemplar followed */
	size_t ex_runes;     /* SERIES (OM): runes in the exemplar's label names and values */
	bool trailing_comma; /* SERIES (OM): a label set ended in ",}" */
	bool reserved;       /* SERIES (OM): an exemplar label name starts with "__" */
	slice expect;        /* textparse_expect's guess at the next series' bytes */
	bool expect_met;     /* SERIES: it was right; mname and lab were not filled */
	slice meta_name;     /* TYPE/HELP/UNIT: family name (quotes stripped) */
	slice meta_text;     /* TYPE/HELP/UNIT: text (HELP unescaped into help) */
	textparse_mtype meta_type; /* TYPE: the type */
	buf help;            /* HELP text unescaped, when it had escapes */

	/* labels built on demand */
	buf strs;            /* NUL-separated names and values of lv */
	label *lv;           /* sorted labels, pointing into strs */
	size_t n_lv, lv_cap; /* count, capacity */
	int lv_mode;         /* 0 not built, 1 built raw, 2 built normalised */

	tp_omcheck *chk;     /* TEXTPARSE_STRICT: the validator's state */
};

/* ---- textparse_lex.c: the shared tokenizer ---- */
bool tp__is_name_start(char c, bool metric);
/* End of a name starting at i (i itself when there is none). */
size_t tp__name_end(const textparse *p, size_t i, bool metric);
/* At '"': the offset just past the closing quote, or 0 when unterminated.
 * Backslash escapes any byte but a newline; a raw newline is allowed only
 * with nl_ok (it is counted in p->nl). */
size_t tp__qstring_end(textparse *p, size_t i, bool nl_ok);
/* Labels after '{' (p->i just past it) up to and past '}', appended to
 * p->lab; a quoted string alone is the metric name (not in exemplars).
 * om: OpenMetrics rules (no blanks, comma or '}' after a value). */
int tp__labels(textparse *p, bool om, bool exemplar, err *e);
/* TYPE's text (p->meta_text) for the parser's format: 1 with p->mtype and
 * p->meta_type set, or `invalid metric type "..."`. */
int tp__type(textparse *p, err *e);
/* A series line up to its value: the metric name and/or the label set
 * (p->i at a name start or '{'); resets the entry and sets p->series.
 * When the line starts with p->expect's bytes (and the series ends
 * there), it takes them without tokenizing: p->expect_met, p->mname and
 * p->lab unset until tp__head_labels. */
int tp__series_head(textparse *p, bool om, err *e);
/* After an expected series: tokenize its head now (p->mname, p->lab). */
int tp__head_labels(textparse *p, err *e);
/* A float as Prometheus reads one: strconv.ParseFloat without hex, 'p'
 * or '_' (hex_ok lifts the first two, for le/quantile values); NaN comes
 * back as Go's canonical NaN. 0 ok, 1 bad syntax, 2 out of range; the
 * message in e is Go's. */
int tp__float(slice tok, double *v, bool hex_ok, err *e);
/* `WHAT while parsing: "LINE SO FAR"` (Go's %q), FL_EPARSE. */
int tp__context(textparse *p, err *e, const char *what);
/* A sample's value or an OM timestamp: tp__float, the error as Go's parsers
 * wrap it (`... while parsing: "LINE"`). */
int tp__value(textparse *p, slice tok, double *v, err *e);
/* The message Go's parsers give on an unexpected token:
 * `EXP, got "TOKEN" (KIND) while parsing: "LINE"`. */
int tp__unexpected(textparse *p, err *e, const char *exp, size_t tok, const char *kind);
/* Valid UTF-8? *runes gets the count (may be NULL). */
bool tp__utf8(const char *s, size_t n, size_t *runes);
/* Append s with \\, \" and \n undone (others stay as written), as Go's
 * lvalReplacer; help_only undoes only \\ and \n (text format HELP). */
void tp__unescape(buf *b, slice s, bool help_only);
/* int64(x) as Go converts on amd64: out of range gives INT64_MIN. */
int64_t tp__go_int64(double x);

/* ---- the formats ---- */
int tp__prom_next(textparse *p, textparse_entry *kind, err *e);
int tp__om_next(textparse *p, textparse_entry *kind, err *e);
/* Build p->lv: __name__ and the labels, unescaped, sorted; le/quantile in
 * float form when normalise (see textparse.h). */
int tp__build_labels(textparse *p, bool normalise, err *e);

/* ---- textparse_omcheck.c: TEXTPARSE_STRICT ---- */
tp_omcheck *tp__omcheck_new(void);
void tp__omcheck_free(tp_omcheck *c);
/* Check the entry next() just parsed; at TEXTPARSE_EOF also the end. */
int tp__omcheck_entry(textparse *p, textparse_entry kind, err *e);

#endif
