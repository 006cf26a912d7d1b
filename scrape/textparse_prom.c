/*
 * textparse_prom.c - the text exposition format 0.0.4, read as leniently as
 * Prometheus 3.x reads it (model/textparse/promparse.go and promlex.l):
 *
 *   # HELP name text with \\ and \n escapes
 *   # TYPE name counter|gauge|histogram|summary|untyped
 *   # any other comment
 *   name{label="value",...} value [timestamp_ms]
 *   {"utf8.name", label="value"} value
 *
 * Blanks (spaces and tabs) may stand between any two tokens and lead a
 * line; blank lines are skipped; the input need not end in a newline. A
 * NUL byte where a line starts ends the input (the lexer's `\0` rule). A
 * value is any run of bytes but blanks, '{' and newline, read as
 * strconv.ParseFloat reads it (hex, 'p' and '_' refused); a timestamp is
 * decimal digits, an int64 of ms. The HELP/TYPE name may be quoted; the
 * text after it loses its first byte (the separator) unless it is only
 * blanks, as the lexer's sMeta2 rule has it.
 *
 * Invariants: p->i only moves forward; after an entry p->i is past its
 * line's newline (or at the end); p->nl counts the newlines before p->i.
 */
#include "scrape/textparse_int.h"

#include <errno.h>
#include <stdlib.h>

static void skip_blanks(textparse *p)
{
	while (p->i < p->n && (p->b[p->i] == ' ' || p->b[p->i] == '\t'))
		p->i++;
}

static bool at_eol(const textparse *p) { return p->i >= p->n || p->b[p->i] == '\n'; }

static void eat_eol(textparse *p)
{
	if (p->i < p->n) {
		p->i++;
		p->nl++;
	}
}

static bool word(const textparse *p, size_t i, const char *w)
{
	size_t l = strlen(w);
	return p->n - i > l && !memcmp(p->b + i, w, l) && (p->b[i + l] == ' ' || p->b[i + l] == '\t');
}

/* "# HELP name text" or "# TYPE name type"; p->i at the name. */
static int meta(textparse *p, textparse_entry kind, err *e)
{
	skip_blanks(p);
	size_t s = p->i, end;
	if (s < p->n && p->b[s] == '"')
		end = tp__qstring_end(p, s, true);
	else
		end = tp__name_end(p, s, true);
	if (end == 0 || end == s)
		return tp__unexpected(p, e, kind == TEXTPARSE_HELP ? "expected metric name after HELP"
								   : "expected metric name after TYPE",
				      s, s >= p->n ? "EOF" : "INVALID");
	bool quoted = p->b[s] == '"';
	p->meta_name = quoted ? (slice){p->b + s + 1, end - s - 2} : (slice){p->b + s, end - s};
	p->i = end;
	const char *nl = memchr(p->b + end, '\n', p->n - end);
	size_t eol = nl ? (size_t)(nl - p->b) : p->n;
	size_t t = end;
	while (t < eol && (p->b[t] == ' ' || p->b[t] == '\t'))
		t++;
	slice text = t == eol || eol - end < 2 ? (slice){p->b + eol, 0} : (slice){p->b + end + 1, eol - end - 1};
	p->i = eol;
	eat_eol(p);
	p->meta_text = text;
	if (kind == TEXTPARSE_TYPE)
		return tp__type(p, e);
	if (!tp__utf8(text.p, text.len, NULL))
		return err_set(e, FL_EPARSE, "help text is not a valid utf8 string");
	if (memchr(text.p, '\\', text.len)) {
		buf_clear(&p->help);
		tp__unescape(&p->help, text, true);
		p->meta_text = (slice){(const char *)p->help.p, p->help.len};
	}
	return 1;
}

/* After the name and labels: value [timestamp] newline. */
static int suffix(textparse *p, err *e)
{
	skip_blanks(p);
	size_t s = p->i;
	while (p->i < p->n && p->b[p->i] != ' ' && p->b[p->i] != '\t' && p->b[p->i] != '\n' && p->b[p->i] != '{')
		p->i++;
	if (!p->mname.p) /* checked, as upstream, once the value token is read */
		return tp__context(p, e, "metric name not set");
	if (p->i == s)
		return tp__unexpected(p, e, "expected value after metric", s, "INVALID");
	if (tp__value(p, (slice){p->b + s, p->i - s}, &p->v, e))
		return FL_EPARSE;
	skip_blanks(p);
	p->has_ts = false;
	if (at_eol(p)) {
		eat_eol(p);
		return 1;
	}
	s = p->i;
	while (p->i < p->n && p->b[p->i] >= '0' && p->b[p->i] <= '9')
		p->i++;
	if (p->i == s)
		return tp__unexpected(p, e, "expected timestamp or new record", s, "INVALID");
	char tmp[32];
	size_t l = p->i - s;
	errno = 0;
	if (l < sizeof tmp) {
		memcpy(tmp, p->b + s, l);
		tmp[l] = 0;
		p->ts_ms = strtoll(tmp, NULL, 10);
	}
	if (l >= sizeof tmp || errno == ERANGE)
		return err_set(e, FL_EPARSE,
			       "strconv.ParseInt: parsing \"%.*s\": value out of range while parsing: \"%.*s\"",
			       (int)FL_MIN(l, 40), p->b + s, (int)FL_MIN(p->i - p->start, 120), p->b + p->start);
	p->has_ts = true;
	skip_blanks(p);
	if (!at_eol(p))
		return tp__unexpected(p, e, "expected next entry after timestamp", p->i, "INVALID");
	eat_eol(p);
	return 1;
}

int tp__prom_next(textparse *p, textparse_entry *kind, err *e)
{
	for (;;) {
		p->start = p->i;
		p->line = p->nl + 1;
		skip_blanks(p);
		if (p->i >= p->n || p->b[p->i] == 0) {
			p->done = true;
			return 0;
		}
		char c = p->b[p->i];
		if (c == '\n') { /* blank line */
			eat_eol(p);
			continue;
		}
		if (c == '#') {
			size_t j = p->i + 1;
			bool sp = j < p->n && (p->b[j] == ' ' || p->b[j] == '\t');
			while (j < p->n && (p->b[j] == ' ' || p->b[j] == '\t'))
				j++;
			if (sp && (word(p, j, "HELP") || word(p, j, "TYPE"))) {
				*kind = p->b[j] == 'H' ? TEXTPARSE_HELP : TEXTPARSE_TYPE;
				p->i = j + 4;
				return meta(p, *kind, e);
			}
			const char *nl = memchr(p->b + p->i, '\n', p->n - p->i); /* a comment */
			p->i = nl ? (size_t)(nl - p->b) : p->n;
			eat_eol(p);
			continue;
		}
		if (c != '{' && !tp__is_name_start(c, true))
			return tp__unexpected(p, e, "expected a valid start token", p->i, "INVALID");
		*kind = TEXTPARSE_SERIES;
		int rc = tp__series_head(p, false, e);
		return rc ? rc : suffix(p, e);
	}
}
