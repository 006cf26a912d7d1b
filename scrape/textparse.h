/*
 * textparse.h - exposition-format parsers (Prometheus model/textparse).
 * Today: OpenMetrics 1.0 text (textparse_om.c), enough for backfill
 * (`flinttool tsdb create-blocks-from openmetrics`); the scraper grows it
 * (and adds text 0.0.4 beside it) behind the same entry-by-entry API,
 * Prometheus's Parser interface: next() says what the line was, then
 * series() / labels() read it.
 *
 * Strings handed out (labels, help text) live in the parser and are valid
 * until the next call to next().
 */
#ifndef FL_SCRAPE_TEXTPARSE_H
#define FL_SCRAPE_TEXTPARSE_H

#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

typedef enum textparse_entry {
	TEXTPARSE_SERIES,  /* a sample line */
	TEXTPARSE_TYPE,    /* # TYPE name type */
	TEXTPARSE_HELP,    /* # HELP name text */
	TEXTPARSE_UNIT,    /* # UNIT name unit */
	TEXTPARSE_EOF,     /* # EOF, the last line; next() returns 0 after it */
} textparse_entry;

typedef struct textparse_om {
	const char *p;        /* input, borrowed */
	size_t len;           /* input length */
	size_t off;           /* start of the next line */
	size_t line;          /* 1-based number of the current line */
	bool eof;             /* # EOF seen */
	buf strs;             /* current line's label strings, NUL-separated */
	label *lv;            /* current line's labels, sorted */
	size_t n_lv, lv_cap;  /* count, capacity */
	slice series;         /* current series' name{labels} text */
	bool lv_built;        /* lv/strs hold the current series' labels */
	double value;         /* sample value */
	bool has_ts;          /* a timestamp was given */
	int64_t ts_ms;        /* timestamp in ms: int64(seconds * 1000) as Go truncates */
	slice meta_name;      /* TYPE/HELP/UNIT: the metric family */
	slice meta_text;      /* TYPE/HELP/UNIT: the rest of the line */
} textparse_om;

/* Parse text (borrowed until textparse_om_free). */
void textparse_om_init(textparse_om *p, const char *text, size_t len);
void textparse_om_free(textparse_om *p);
/* The next entry: 1 with *kind set, 0 at the end (after "# EOF"), or
 * FL_EPARSE with e saying what and where, in Prometheus's words where they
 * matter ("data does not end with # EOF", strconv.ParseFloat's). */
int textparse_om_next(textparse_om *p, textparse_entry *kind, err *e);
/* The current series' labels, __name__ included, sorted by name; a name
 * given twice is there twice (labels_valid_order says no). Built on the
 * first call for each series; {NULL, 0} with e set when out of memory. */
labels textparse_om_labels(textparse_om *p, err *e);

/*
 * The scraper's entry point, over both formats (textparse.c dispatches).
 * Lenient by default, as Prometheus's scrape parsers are; TEXTPARSE_STRICT
 * makes it an OpenMetrics validator (`flinttool check metrics`). Label values
 * of `le` and `quantile` come out in float form as 3.x stores them.
 * Exemplars are parsed and dropped.
 */
typedef enum textparse_format {
	TEXTPARSE_PROM, /* text/plain; version=0.0.4 */
	TEXTPARSE_OM,   /* application/openmetrics-text; version=1.0.0 (and 0.0.1) */
} textparse_format;

typedef enum textparse_mtype {
	TEXTPARSE_MT_UNKNOWN,
	TEXTPARSE_MT_COUNTER,
	TEXTPARSE_MT_GAUGE,
	TEXTPARSE_MT_HISTOGRAM,
	TEXTPARSE_MT_GAUGEHISTOGRAM,
	TEXTPARSE_MT_SUMMARY,
	TEXTPARSE_MT_INFO,
	TEXTPARSE_MT_STATESET,
} textparse_mtype;

#define TEXTPARSE_STRICT 1u

typedef struct textparse textparse;

/* A parser over text (borrowed until textparse_free). NULL when out of memory. */
textparse *textparse_new(textparse_format f, const char *text, size_t len, unsigned flags);
void textparse_free(textparse *p);
/* 1 with *kind set, 0 at the end, FL_EPARSE with e naming the line. */
int textparse_next(textparse *p, textparse_entry *kind, err *e);
/* TEXTPARSE_SERIES: the series' bytes as written (name and labels, no value):
 * the scrape cache's key. Valid until the next call to next(). */
slice textparse_series(const textparse *p);
/* TEXTPARSE_SERIES: labels, __name__ included, sorted (see textparse_om_labels). */
labels textparse_labels(textparse *p, err *e);
/* TEXTPARSE_SERIES: value and the explicit timestamp, if any. */
void textparse_sample(const textparse *p, double *v, bool *has_ts, int64_t *ts_ms);
/* TYPE/HELP/UNIT: the family name and the text (for TYPE, also *type). */
void textparse_meta(const textparse *p, slice *name, slice *text, textparse_mtype *type);
/* The 1-based line of the current entry. */
size_t textparse_line(const textparse *p);
/* The format for a response's Content-Type, as 3.x decides it; fallback
 * (from fallback_scrape_protocol) when the type is missing or unknown.
 * false when there is neither. */
bool textparse_format_for(const char *content_type, const textparse_format *fallback, textparse_format *out);

#endif
