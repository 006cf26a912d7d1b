/*
 * textparse.h - exposition-format parsers (Prometheus model/textparse):
 * text format 0.0.4 (textparse_prom.c) and OpenMetrics 1.0 text
 * (textparse_om.c) behind one entry-by-entry API, Prometheus's Parser
 * interface: next() says what the line was, then series() / labels() /
 * sample() / meta() read it. Users: the scrape loop, `flinttool check
 * metrics`, `flinttool tsdb create-blocks-from openmetrics`.
 *
 * Strings handed out (labels, help text, slices) live in the parser or the
 * input and are valid until the next call to next().
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

/* An OpenMetrics validator (OM only): every rule of the OpenMetrics 1.0
 * spec the upstream parser suite tests (textparse_omcheck.c). */
#define TEXTPARSE_STRICT 1u
/* As Prometheus 2.x: le/quantile values kept as written, and value errors
 * without 3.x's `while parsing: "..."` context (backfill matches promtool
 * 2.42's blocks and messages). */
#define TEXTPARSE_V2 2u

typedef struct textparse textparse;

/* A parser over text (borrowed until textparse_free). NULL when out of memory. */
textparse *textparse_new(textparse_format f, const char *text, size_t len, unsigned flags);
void textparse_free(textparse *p);
/* 1 with *kind set, 0 at the end, FL_EPARSE (or FL_ENOMEM) with e saying
 * what, in Prometheus's words ("expected value after metric, got ...",
 * "data does not end with # EOF"); textparse_line() names the line. After
 * an error next() returns 0. Text 0.0.4 has no EOF entry; OpenMetrics
 * returns TEXTPARSE_EOF for "# EOF", then 0. */
int textparse_next(textparse *p, textparse_entry *kind, err *e);
/* TEXTPARSE_SERIES: the series' bytes as written (name and labels, no value):
 * the scrape cache's key. Valid until the next call to next(). */
slice textparse_series(const textparse *p);
/* A guess at the next series' bytes (the scrape cache's next key; {NULL,
 * 0} for none), borrowed until next(): when the next series line starts
 * with exactly these bytes and its series ends there, next() takes them
 * without tokenizing the label set (textparse_labels does it if asked) and
 * textparse_expect_met() is true. The bytes must be ones textparse_series
 * gave for this same format, without a newline. The validator
 * (TEXTPARSE_STRICT) ignores it. */
void textparse_expect(textparse *p, slice series);
/* TEXTPARSE_SERIES: the entry's series is the expected one. */
bool textparse_expect_met(const textparse *p);
/* TEXTPARSE_SERIES: labels, __name__ included, sorted by name, values
 * unescaped, le/quantile normalised (textparse.c); a name given twice is
 * there twice (labels_valid_order says no). {NULL, 0} with e set when out
 * of memory. Built on the first call for each entry. */
labels textparse_labels(textparse *p, err *e);
/* TEXTPARSE_SERIES: value and the explicit timestamp, if any. */
void textparse_sample(const textparse *p, double *v, bool *has_ts, int64_t *ts_ms);
/* TYPE/HELP/UNIT: the family name (quotes stripped, as written) and the
 * text (HELP unescaped); for TYPE, *type (type may be NULL). */
void textparse_meta(const textparse *p, slice *name, slice *text, textparse_mtype *type);
/* The 1-based line where the current entry (or the error) starts. */
size_t textparse_line(const textparse *p);
/* The format for a response's Content-Type, as 3.x decides it; fallback
 * (from fallback_scrape_protocol) when the type is missing or unknown.
 * false when there is neither. */
bool textparse_format_for(const char *content_type, const textparse_format *fallback, textparse_format *out);
/* For `flinttool check metrics` without --format: OpenMetrics when the
 * text ends in "# EOF" (trailing newlines and blanks aside; every
 * OpenMetrics exposition must) and either has a line only OpenMetrics
 * writes (# UNIT, # TYPE info/stateset/gaugehistogram/unknown) or does not
 * parse as text 0.0.4 (float timestamps, exemplars); else text 0.0.4,
 * where "# EOF" is just a comment. True when it chose OpenMetrics. */
bool textparse_guess_format(const char *text, size_t len, textparse_format *out);

#endif
