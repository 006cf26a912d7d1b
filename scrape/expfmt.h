/*
 * expfmt.h - a text exposition (format 0.0.4) read into metric families the
 * way prometheus/common's expfmt TextParser reads it (TextToMetricFamilies),
 * for the tools that work on families rather than samples: `flinttool push
 * metrics` (promtool's fmtutil.MetricTextToWriteRequest).
 *
 * Lines come from scrape/textparse.h's 0.0.4 parser; families are keyed by
 * name, a *_sum / *_count line joins its summary family and a *_sum /
 * *_count / *_bucket line its histogram family (when that family exists
 * with that type), and the lines of one summary or histogram with the same
 * labels (quantile / le aside) are one metric. A sample line without TYPE
 * makes its family untyped. A second HELP, a second TYPE (or a TYPE after
 * samples), an unparsable le / quantile, a negative non-integer histogram
 * count, a last line without its newline fail with expfmt's words:
 * `text format parsing error in line N: ...`
 * (other syntax errors carry textparse's wording instead of expfmt's).
 */
#ifndef FL_SCRAPE_EXPFMT_H
#define FL_SCRAPE_EXPFMT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "tsdb/labels.h"

/* dto.MetricType */
typedef enum expfmt_type {
	EXPFMT_COUNTER,
	EXPFMT_GAUGE,
	EXPFMT_SUMMARY,
	EXPFMT_UNTYPED,
	EXPFMT_HISTOGRAM,
	EXPFMT_GAUGE_HISTOGRAM,
	EXPFMT_NONE, /* no TYPE line and no sample yet */
} expfmt_type;

typedef struct expfmt_pair {
	double key;   /* quantile, or the bucket's upper bound */
	double v;     /* value, or cumulative count as read */
	bool is_uint; /* a histogram count that is an integer (dto's uint64 field) */
} expfmt_pair;

typedef struct expfmt_metric {
	label *labels;       /* the line's labels but __name__ (and quantile / le), as written (arena) */
	size_t n_labels;     /* number of them */
	const char *sig;     /* summary / histogram: the labels as one string, the grouping key */
	bool has_ts;         /* a timestamp was given (the last one given wins) */
	int64_t ts;          /* it, in ms */
	double v;            /* counter, gauge, untyped */
	expfmt_pair *pairs;  /* summary quantiles / histogram buckets, in order (arena) */
	size_t n_pairs;      /* number of them */
	size_t cap_pairs;    /* capacity */
	double sum;          /* summary / histogram _sum */
	double count;        /* _count as read */
	bool count_uint;     /* histogram: the count is an integer */
} expfmt_metric;

typedef struct expfmt_family {
	const char *name;         /* family name (arena) */
	expfmt_type type;         /* EXPFMT_* */
	const char *help;         /* HELP text, or NULL */
	expfmt_metric **metrics;  /* in order of first appearance (arena) */
	size_t n_metrics;         /* number of them */
	size_t cap_metrics;       /* capacity */
} expfmt_family;

typedef struct expfmt_page {
	arena a;               /* everything below */
	expfmt_family **fam;   /* after expfmt_parse: sorted by name, families without metrics dropped */
	size_t n_fam;          /* number of families */
	size_t cap_fam;        /* capacity */
} expfmt_page;

void expfmt_page_init(expfmt_page *pg);
void expfmt_page_free(expfmt_page *pg);
/* Parse text into pg (initialised). 0, or -1 with the error in msg. */
int expfmt_parse(expfmt_page *pg, const char *text, size_t len, buf *msg);
/* Go's uint64(float64) on amd64 (how expfmt stores counts). */
uint64_t expfmt_go_uint64(double v);

#endif
