/*
 * textparse_om.c - an OpenMetrics 1.0 text parser (Prometheus
 * model/textparse/openmetricsparse.go; the format is
 * github.com/OpenObservability/OpenMetrics specification.md):
 *
 *   # TYPE name counter|gauge|histogram|gaugehistogram|summary|info|stateset|unknown
 *   # HELP name escaped text
 *   # UNIT name unit
 *   name{label="value",...} value [timestamp] [# {labels} value [timestamp]]
 *   # EOF
 *
 * Every line ends in "\n"; "# EOF" is the last line. Label values escape
 * \\, \" and \n. A value or timestamp is what Go's strconv.ParseFloat
 * reads ("NaN", "+Inf", "1e-3", ...); a timestamp is in seconds and is
 * stored as int64(seconds * 1000), truncated as Go converts. Exemplars
 * are checked for shape and skipped.
 *
 * The label-set tokenizer here (name{a="b",...}) is the one the scraper
 * and text 0.0.4 should share.
 *
 * Invariants:
 *  1. p->off only moves forward, to the start of a line or p->len.
 *  2. Labels are checked by next() and copied only when asked for
 *     (textparse_om_labels; backfill skips most lines unread): then
 *     p->lv[i] point into p->strs, sorted by name
 *     (a repeated name is kept twice, as Prometheus's parser keeps it).
 */
#include "scrape/textparse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

void textparse_om_init(textparse_om *p, const char *text, size_t len)
{
	memset(p, 0, sizeof *p);
	p->p = text;
	p->len = len;
	buf_init(&p->strs);
}

void textparse_om_free(textparse_om *p)
{
	buf_reset(&p->strs);
	fl_free(p->lv);
	p->lv = NULL;
}


typedef struct cursor {
	const char *s;   /* line start */
	size_t i;        /* position */
	size_t n;        /* line length without "\n" */
} cursor;

static int bad(textparse_om *p, err *e, const char *what, const cursor *c)
{
	return err_set(e, FL_EPARSE, "line %zu: %s, got \"%.*s\"", p->line, what,
		       (int)FL_MIN(c->n - FL_MIN(c->i, c->n), 40), c->s + FL_MIN(c->i, c->n));
}

static bool is_name_start(char ch, bool metric)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (metric && ch == ':');
}

static bool is_name_char(char ch, bool metric) { return is_name_start(ch, metric) || (ch >= '0' && ch <= '9'); }

static slice take_name(cursor *c, bool metric)
{
	size_t start = c->i;
	if (c->i < c->n && is_name_start(c->s[c->i], metric))
		while (c->i < c->n && is_name_char(c->s[c->i], metric))
			c->i++;
	return (slice){c->s + start, c->i - start};
}

/* A float as Go's strconv.ParseFloat(s, 64) reads it. */
static bool parse_float(slice tok, double *v)
{
	char tmp[64];
	if (tok.len == 0 || tok.len >= sizeof tmp)
		return false;
	memcpy(tmp, tok.p, tok.len);
	tmp[tok.len] = 0;
	const char *s = tmp + (tmp[0] == '+' || tmp[0] == '-');
	bool word = (s[0] | 0x20) == 'n' || (s[0] | 0x20) == 'i';
	if (word && (!strcasecmp(s, "nan") || !strcasecmp(s, "inf") || !strcasecmp(s, "infinity"))) {
		if (s[0] == 'n' || s[0] == 'N') {
			uint64_t go_nan = 0x7FF8000000000001ull; /* Go's math.NaN(): what Prometheus stores */
			memcpy(v, &go_nan, 8);
		} else {
			*v = tmp[0] == '-' ? -INFINITY : INFINITY;
		}
		return !(tmp[0] != s[0] && (s[0] == 'n' || s[0] == 'N')); /* "+NaN" is invalid */
	}
	for (const char *q = s; *q; q++) /* digits, '.', exponent only (no hex, no "infinity" spellings) */
		if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-'))
			return false;
	char *end;
	errno = 0;
	*v = strtod(tmp, &end);
	return *end == 0 && end != tmp;
}

static slice take_token(cursor *c)
{
	size_t start = c->i;
	while (c->i < c->n && c->s[c->i] != ' ')
		c->i++;
	return (slice){c->s + start, c->i - start};
}

/* Add name=value (value unescaped from the raw quoted text). */
static void add_label(textparse_om *p, slice name, slice raw)
{
	buf_put(&p->strs, name.p, name.len);
	buf_put_byte(&p->strs, 0);
	for (size_t i = 0; i < raw.len;) {
		const char *bs = memchr(raw.p + i, '\\', raw.len - i);
		size_t run = bs ? (size_t)(bs - raw.p) - i : raw.len - i;
		buf_put(&p->strs, raw.p + i, run); /* unescaped stretches in one copy */
		i += run;
		if (i + 1 < raw.len) {
			char ch = raw.p[i + 1];
			buf_put_byte(&p->strs, (uint8_t)(ch == 'n' ? '\n' : ch));
			i += 2;
		} else if (i < raw.len) {
			buf_put_byte(&p->strs, '\\');
			i++;
		}
	}
	buf_put_byte(&p->strs, 0);
	p->n_lv++;
}

/* {name="value",...}: appends to p->strs; c at '{'. */
static int take_labels(textparse_om *p, cursor *c, bool keep, err *e)
{
	c->i++;
	while (c->i < c->n && c->s[c->i] != '}') {
		slice name = take_name(c, false);
		if (name.len == 0)
			return bad(p, e, "expected label name", c);
		if (c->i + 1 >= c->n || c->s[c->i] != '=' || c->s[c->i + 1] != '"')
			return bad(p, e, "expected equal and quoted label value", c);
		c->i += 2;
		size_t start = c->i;
		while (c->i < c->n && c->s[c->i] != '"') {
			if (c->s[c->i] == '\\') {
				if (c->i + 1 >= c->n || !strchr("\\\"n", c->s[c->i + 1]))
					return bad(p, e, "invalid escape sequence in label value", c);
				c->i++;
			}
			c->i++;
		}
		if (c->i >= c->n)
			return bad(p, e, "unterminated label value", c);
		if (keep)
			add_label(p, name, (slice){c->s + start, c->i - start});
		c->i++;
		if (c->i < c->n && c->s[c->i] == ',')
			c->i++;
		else if (c->i < c->n && c->s[c->i] != '}')
			return bad(p, e, "expected comma or closing brace after label value", c);
	}
	if (c->i >= c->n)
		return bad(p, e, "expected closing brace", c);
	c->i++;
	return 0;
}

static int cmp_label(const void *a, const void *b) { return strcmp(((const label *)a)->name, ((const label *)b)->name); }

/* Point lv[] into strs (after it stopped growing) and sort. */
static int build_labels(textparse_om *p, err *e)
{
	if (p->strs.oom || !fl_grow((void **)&p->lv, &p->lv_cap, p->n_lv, sizeof *p->lv))
		return err_set(e, FL_ENOMEM, "line %zu: out of memory", p->line);
	const char *s = (const char *)p->strs.p;
	for (size_t i = 0; i < p->n_lv; i++) {
		p->lv[i].name = s;
		s += strlen(s) + 1;
		p->lv[i].value = s;
		s += strlen(s) + 1;
	}
	qsort(p->lv, p->n_lv, sizeof *p->lv, cmp_label); /* duplicates stay: the appender refuses them */
	return 0;
}

labels textparse_om_labels(textparse_om *p, err *e)
{
	if (!p->lv_built) {
		buf_clear(&p->strs);
		p->n_lv = 0;
		cursor c = {p->series.p, 0, p->series.len};
		slice name = take_name(&c, true);
		add_label(p, slice_of(LABEL_NAME), name);
		if (c.i < c.n && take_labels(p, &c, true, e) != 0) /* checked by next(): cannot fail */
			return (labels){NULL, 0};
		if (build_labels(p, e) != 0)
			return (labels){NULL, 0};
		p->lv_built = true;
	}
	return (labels){p->lv, p->n_lv};
}

/* " value [timestamp]" after a metric or an exemplar's labels. */
static int take_value_ts(textparse_om *p, cursor *c, double *v, bool *has_ts, int64_t *ts, err *e)
{
	if (c->i >= c->n || c->s[c->i] != ' ')
		return bad(p, e, "expected value after metric", c);
	c->i++;
	slice tok = take_token(c);
	if (!parse_float(tok, v))
		return err_set(e, FL_EPARSE, "strconv.ParseFloat: parsing \"%.*s\": invalid syntax", (int)tok.len, tok.p);
	*has_ts = false;
	if (c->i < c->n && c->s[c->i] == ' ' && !(c->i + 1 < c->n && c->s[c->i + 1] == '#')) {
		c->i++;
		tok = take_token(c);
		double sec;
		if (!parse_float(tok, &sec))
			return err_set(e, FL_EPARSE, "strconv.ParseFloat: parsing \"%.*s\": invalid syntax", (int)tok.len,
				       tok.p);
		if (isnan(sec) || isinf(sec))
			return err_set(e, FL_EPARSE, "invalid timestamp");
		double ms = sec * 1000;
		if (!(ms > -9.3e18 && ms < 9.3e18))
			return err_set(e, FL_EPARSE, "line %zu: timestamp out of range", p->line);
		*ts = (int64_t)ms;
		*has_ts = true;
	}
	return 0;
}

static int parse_series(textparse_om *p, cursor *c, err *e)
{
	p->n_lv = 0;
	p->lv_built = false;
	p->series = (slice){c->s, 0};
	slice name = take_name(c, true);
	if (name.len == 0)
		return bad(p, e, "expected metric name", c);
	int rc = 0;
	if (c->i < c->n && c->s[c->i] == '{')
		rc = take_labels(p, c, false, e); /* checked now, copied by textparse_om_labels */
	p->series.len = c->i;
	if (rc == 0)
		rc = take_value_ts(p, c, &p->value, &p->has_ts, &p->ts_ms, e);
	if (rc == 0 && c->i < c->n) { /* exemplar: " # {labels} value [ts]" */
		if (c->n - c->i < 4 || memcmp(c->s + c->i, " # {", 4) != 0)
			return bad(p, e, "expected next entry after timestamp", c);
		c->i += 3;
		double ev;
		bool ets;
		int64_t et;
		rc = take_labels(p, c, false, e);
		if (rc == 0)
			rc = take_value_ts(p, c, &ev, &ets, &et, e);
		if (rc == 0 && c->i < c->n)
			return bad(p, e, "expected end of line after exemplar", c);
	}
	return rc;
}

static int parse_meta(textparse_om *p, cursor *c, textparse_entry *kind, err *e)
{
	static const struct {
		const char *word;
		textparse_entry kind;
	} kw[] = {{"# TYPE ", TEXTPARSE_TYPE}, {"# HELP ", TEXTPARSE_HELP}, {"# UNIT ", TEXTPARSE_UNIT}};
	for (size_t k = 0; k < FL_ARRAY_LEN(kw); k++) {
		size_t wl = strlen(kw[k].word);
		if (c->n < wl || memcmp(c->s, kw[k].word, wl))
			continue;
		c->i = wl;
		p->meta_name = take_name(c, true);
		if (p->meta_name.len == 0)
			return bad(p, e, "expected metric name after # TYPE/HELP/UNIT", c);
		if (c->i < c->n && c->s[c->i] == ' ')
			c->i++;
		else if (kw[k].kind != TEXTPARSE_HELP)
			return bad(p, e, "expected text after metric name", c);
		p->meta_text = (slice){c->s + c->i, c->n - c->i};
		*kind = kw[k].kind;
		return 1;
	}
	return bad(p, e, "expected a valid start token", c);
}

int textparse_om_next(textparse_om *p, textparse_entry *kind, err *e)
{
	if (p->eof) {
		if (p->off < p->len)
			return err_set(e, FL_EPARSE, "unexpected data after # EOF");
		return 0;
	}
	if (p->off >= p->len)
		return err_set(e, FL_EPARSE, "data does not end with # EOF");
	const char *s = p->p + p->off;
	const char *nl = memchr(s, '\n', p->len - p->off);
	cursor c = {s, 0, nl ? (size_t)(nl - s) : p->len - p->off};
	p->off += c.n + (nl != NULL);
	p->line++;
	if (c.n == 5 && !memcmp(s, "# EOF", 5)) {
		p->eof = true;
		*kind = TEXTPARSE_EOF;
		return p->off < p->len ? err_set(e, FL_EPARSE, "unexpected data after # EOF") : 1;
	}
	if (!nl)
		return err_set(e, FL_EPARSE, "data does not end with # EOF");
	if (c.n > 0 && s[0] == '#')
		return parse_meta(p, &c, kind, e);
	*kind = TEXTPARSE_SERIES;
	int rc = parse_series(p, &c, e);
	return rc ? rc : 1;
}
