/*
 * textparse_om.c - OpenMetrics 1.0 text, read as Prometheus 3.x reads it
 * (model/textparse/openmetricsparse.go and openmetricslex.l; the format is
 * prometheus/OpenMetrics specification/OpenMetrics.md):
 *
 *   # TYPE name counter|gauge|histogram|gaugehistogram|summary|info|stateset|unknown
 *   # HELP name text with \\, \" and \n escapes
 *   # UNIT name unit             (unit a "_"-suffix of the name, or empty)
 *   name{label="value",...} value [timestamp] [# {labels} value [timestamp]]
 *   # EOF
 *
 * Exactly one space separates tokens; every line ends in "\n"; "# EOF" is
 * the last line (its newline optional) and nothing may follow it; other
 * comments and blank lines are errors. Timestamps are float seconds,
 * stored as int64(seconds * 1000) the way Go converts (toward zero; out of
 * range gives INT64_MIN, as on amd64). Exemplars are checked and dropped.
 * `_created` lines stay series, as 3.x keeps them unless created-timestamp
 * ingestion is on. With TEXTPARSE_STRICT each entry also goes through the
 * validator (textparse_omcheck.c).
 *
 * Invariants: p->i only moves forward, to the start of a line or p->n;
 * p->nl counts the newlines before p->i.
 */
#include "scrape/textparse_int.h"

#include <math.h>
#include <stdio.h>

static bool at(const textparse *p, size_t i, const char *w)
{
	size_t l = strlen(w);
	return p->n - FL_MIN(i, p->n) >= l && !memcmp(p->b + i, w, l);
}

static int no_eof(err *e) { return err_set(e, FL_EPARSE, "data does not end with # EOF"); }

/* "# HELP|TYPE|UNIT name text\n"; p->i at the name. */
static int meta(textparse *p, textparse_entry kind, const char *what, err *e)
{
	size_t s = p->i;
	size_t end = s < p->n && p->b[s] == '"' ? tp__qstring_end(p, s, true) : tp__name_end(p, s, true);
	if (end == 0 || end == s) {
		char exp[48];
		snprintf(exp, sizeof exp, "expected metric name after %s", what);
		return tp__unexpected(p, e, exp, s, s >= p->n ? "EOF" : "INVALID");
	}
	p->meta_name = p->b[s] == '"' ? (slice){p->b + s + 1, end - s - 2} : (slice){p->b + s, end - s};
	const char *nl = end < p->n ? memchr(p->b + end, '\n', p->n - end) : NULL;
	if (!nl || p->b[end] != ' ')
		return err_set(e, FL_EPARSE, "expected text in %s", what);
	p->meta_text = (slice){p->b + end + 1, (size_t)(nl - p->b) - end - 1};
	p->i = (size_t)(nl - p->b) + 1;
	p->nl++;
	if (kind == TEXTPARSE_TYPE)
		return tp__type(p, e);
	if (kind == TEXTPARSE_UNIT) {
		slice m = p->meta_name, u = p->meta_text;
		if (u.len && (m.len < u.len + 1 || memcmp(m.p + m.len - u.len, u.p, u.len) || m.p[m.len - u.len - 1] != '_'))
			return err_set(e, FL_EPARSE, "unit \"%.*s\" not a suffix of metric \"%.*s\"", (int)FL_MIN(u.len, 100),
				       u.p, (int)FL_MIN(m.len, 100), m.p);
		return 1;
	}
	if (!tp__utf8(p->meta_text.p, p->meta_text.len, NULL))
		return err_set(e, FL_EPARSE, "help text is not a valid utf8 string");
	if (memchr(p->meta_text.p, '\\', p->meta_text.len)) {
		buf_clear(&p->help);
		tp__unescape(&p->help, p->meta_text, false);
		p->meta_text = (slice){(const char *)p->help.p, p->help.len};
	}
	return 1;
}

/* " token" (one space, then bytes up to a space or newline) at p->i. */
static bool token(textparse *p, slice *tok)
{
	size_t s = p->i + 1, j = s;
	if (p->i >= p->n || p->b[p->i] != ' ')
		return false;
	while (j < p->n && p->b[j] != ' ' && p->b[j] != '\n')
		j++;
	if (j == s)
		return false;
	*tok = (slice){p->b + s, j - s};
	p->i = j;
	return true;
}

static int timestamp(textparse *p, slice tok, const char *what, int64_t *ms, double *sec, err *e)
{
	if (tp__value(p, tok, sec, e))
		return FL_EPARSE;
	if (isnan(*sec) || isinf(*sec))
		return err_set(e, FL_EPARSE, "invalid %s %s", what, isnan(*sec) ? "NaN" : *sec > 0 ? "+Inf" : "-Inf");
	*ms = tp__go_int64(*sec * 1000.0);
	return 0;
}

static int end_of_line(textparse *p, const char *exp, err *e)
{
	if (p->i >= p->n)
		return no_eof(e);
	if (p->b[p->i] != '\n') {
		bool ts = p->b[p->i] == ' ' && p->i + 1 < p->n && p->b[p->i + 1] != ' ' && p->b[p->i + 1] != '\n';
		return tp__unexpected(p, e, exp, p->i, ts ? "TIMESTAMP" : "INVALID");
	}
	p->i++;
	p->nl++;
	return 0;
}

/* " # {labels} value [timestamp]\n"; p->i at the "{". */
static int exemplar(textparse *p, err *e)
{
	size_t base = p->n_lab;
	bool tc = p->trailing_comma;
	p->i++;
	int rc = tp__labels(p, true, true, e);
	if (rc)
		return rc;
	p->has_ex = true;
	p->ex_runes = 0;
	for (size_t k = base; k < p->n_lab; k++) {
		size_t a = 0, b = 0;
		p->reserved |= p->lab[k].name.len >= 2 && !memcmp(p->lab[k].name.p, "__", 2);
		tp__utf8(p->lab[k].name.p, p->lab[k].name.len, &a);
		tp__utf8(p->lab[k].value.p, p->lab[k].value.len, &b);
		p->ex_runes += a + b;
	}
	p->n_lab = base; /* dropped until exemplar storage exists */
	p->trailing_comma |= tc;
	slice tok;
	double v, sec;
	int64_t ms;
	if (!token(p, &tok))
		return tp__unexpected(p, e, "expected value after exemplar labels", p->i, "INVALID");
	if (tp__value(p, tok, &v, e))
		return FL_EPARSE;
	if (p->i < p->n && p->b[p->i] == '\n')
		return end_of_line(p, "", e);
	if (!token(p, &tok))
		return p->i >= p->n ? no_eof(e) : tp__unexpected(p, e, "expected timestamp or comment", p->i, "INVALID");
	if (timestamp(p, tok, "exemplar timestamp", &ms, &sec, e))
		return FL_EPARSE;
	return end_of_line(p, "expected next entry after exemplar timestamp", e);
}

/* After the name and labels: " value [ts] [# exemplar]\n". */
static int suffix(textparse *p, err *e)
{
	slice tok;
	bool has_value = token(p, &tok);
	if (!p->mname.p)
		return tp__context(p, e, "metric name not set");
	if (!has_value)
		return p->i >= p->n ? no_eof(e) : tp__unexpected(p, e, "expected value after metric", p->i, "INVALID");
	if (tp__value(p, tok, &p->v, e))
		return FL_EPARSE;
	p->has_ts = false;
	if (at(p, p->i, " # {")) {
		p->i += 3;
		return exemplar(p, e);
	}
	if (p->i < p->n && p->b[p->i] == '\n')
		return end_of_line(p, "", e);
	if (!token(p, &tok))
		return p->i >= p->n ? no_eof(e) : tp__unexpected(p, e, "expected timestamp or comment", p->i, "INVALID");
	if (timestamp(p, tok, "timestamp", &p->ts_ms, &p->ts_sec, e))
		return FL_EPARSE;
	p->has_ts = true;
	if (at(p, p->i, " # {")) {
		p->i += 3;
		return exemplar(p, e);
	}
	return end_of_line(p, "expected next entry after timestamp", e);
}

static int next(textparse *p, textparse_entry *kind, err *e)
{
	p->start = p->i;
	p->line = p->nl + 1;
	if (p->i >= p->n)
		return no_eof(e);
	char c = p->b[p->i];
	if (c == '#') {
		static const struct {
			const char *word, *what;
			textparse_entry kind;
		} kw[] = {{"# HELP ", "HELP", TEXTPARSE_HELP}, {"# TYPE ", "TYPE", TEXTPARSE_TYPE}, {"# UNIT ", "UNIT", TEXTPARSE_UNIT}};
		for (size_t k = 0; k < FL_ARRAY_LEN(kw); k++)
			if (at(p, p->i, kw[k].word)) {
				p->i += 7;
				*kind = kw[k].kind;
				return meta(p, kw[k].kind, kw[k].what, e);
			}
		if (at(p, p->i, "# EOF")) {
			p->i += 5;
			p->i += p->i < p->n && p->b[p->i] == '\n';
			if (p->i < p->n)
				return err_set(e, FL_EPARSE, "unexpected data after # EOF");
			p->done = true;
			*kind = TEXTPARSE_EOF;
			return 1;
		}
	}
	if (c != '{' && !tp__is_name_start(c, true))
		return tp__unexpected(p, e, "expected a valid start token", p->i, "INVALID");
	*kind = TEXTPARSE_SERIES;
	int rc = tp__series_head(p, true, e);
	if (rc == 0)
		rc = suffix(p, e);
	return rc ? rc : 1;
}

int tp__om_next(textparse *p, textparse_entry *kind, err *e)
{
	int rc = next(p, kind, e);
	if (rc == 1 && p->chk)
		rc = tp__omcheck_entry(p, *kind, e) ? FL_EPARSE : 1;
	return rc;
}
