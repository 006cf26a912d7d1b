/*
 * textparse.c - the scraper's parser entry point over both formats
 * (Prometheus model/textparse/interface.go): next() runs the format's
 * parser (textparse_prom.c, textparse_om.c), the accessors read the entry
 * it left in struct textparse (textparse_int.h), and labels are built here
 * on demand, the same way for both formats:
 *
 *   - the metric name first as __name__, then the labels in input order,
 *     \\, \" and \n undone (promparse.go's unreplace), then sorted by name
 *     (a name given twice stays twice, as Prometheus's ScratchBuilder
 *     keeps it; the appender refuses the set);
 *   - 3.x normalisation (normalizeFloatsInLabelValues): when the last TYPE
 *     line said histogram, an `le` value, and when it said summary, a
 *     `quantile` value, that parses as a float is rewritten as
 *     labels.FormatOpenMetricsFloat formats it: Go's %g, with ".0"
 *     appended when that has neither '.' nor 'e' ("1" -> "1.0", "1e+06"
 *     stays). TEXTPARSE_V2 keeps them as written (2.x, backfill).
 */
#include "scrape/textparse_int.h"

#include <stdlib.h>
#include <strings.h>

#include "lib/fmtfloat.h"

textparse *textparse_new(textparse_format f, const char *text, size_t len, unsigned flags)
{
	textparse *p = fl_calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->f = f;
	p->flags = flags;
	p->b = text ? text : ""; /* no arithmetic on NULL */
	p->n = text ? len : 0;
	buf_init(&p->help);
	buf_init(&p->strs);
	if ((flags & TEXTPARSE_STRICT) && f == TEXTPARSE_OM && !(p->chk = tp__omcheck_new())) {
		fl_free(p);
		return NULL;
	}
	return p;
}

void textparse_free(textparse *p)
{
	if (!p)
		return;
	tp__omcheck_free(p->chk);
	buf_reset(&p->help);
	buf_reset(&p->strs);
	fl_free(p->lab);
	fl_free(p->lv);
	fl_free(p);
}

int textparse_next(textparse *p, textparse_entry *kind, err *e)
{
	p->expect_met = false;
	if (p->done)
		return 0;
	int rc = p->f == TEXTPARSE_OM ? tp__om_next(p, kind, e) : tp__prom_next(p, kind, e);
	if (rc < 0)
		p->done = true; /* the parser cannot resync: an error ends the input */
	return rc;
}

slice textparse_series(const textparse *p) { return p->series; }

void textparse_sample(const textparse *p, double *v, bool *has_ts, int64_t *ts_ms)
{
	*v = p->v;
	*has_ts = p->has_ts;
	*ts_ms = p->ts_ms;
}

void textparse_meta(const textparse *p, slice *name, slice *text, textparse_mtype *type)
{
	*name = p->meta_name;
	*text = p->meta_text;
	if (type)
		*type = p->meta_type;
}

size_t textparse_line(const textparse *p) { return p->line; }

static int cmp_label(const void *a, const void *b) { return strcmp(((const label *)a)->name, ((const label *)b)->name); }

static void put_value(textparse *p, slice name, slice raw, bool normalise)
{
	size_t at = p->strs.len;
	tp__unescape(&p->strs, raw, false);
	bool le = slice_eq_str(name, "le") && p->mtype == TEXTPARSE_MT_HISTOGRAM;
	bool q = slice_eq_str(name, "quantile") && p->mtype == TEXTPARSE_MT_SUMMARY;
	double f;
	if (normalise && (le || q) && p->strs.len - at < 64 &&
	    tp__float((slice){(const char *)p->strs.p + at, p->strs.len - at}, &f, true, NULL) == 0) {
		char out[FMT_FLOAT_MAX + 2];
		int n = f == 0 ? (int)strlen(strcpy(out, "0")) : fmt_go_g(out, f);
		if (!strpbrk(out, ".eIN")) /* not Inf/NaN, no '.' or 'e' */
			memcpy(out + n, ".0", 3), n += 2;
		p->strs.len = at;
		buf_put(&p->strs, out, (size_t)n);
	}
	buf_put_byte(&p->strs, 0);
}

/* Insertion sort by name: label sets are small and mostly sorted already. */
static void sort_labels(label *v, size_t n)
{
	if (n > 32) {
		qsort(v, n, sizeof *v, cmp_label);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		label x = v[i];
		size_t j = i;
		for (; j > 0 && strcmp(v[j - 1].name, x.name) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

int tp__build_labels(textparse *p, bool normalise, err *e)
{
	p->n_lv = p->n_lab + 1;
	if (!fl_grow((void **)&p->lv, &p->lv_cap, p->n_lv, sizeof *p->lv))
		return err_set(e, FL_ENOMEM, "out of memory");
	/* offsets into strs first (it may move while growing), pointers after */
	buf_clear(&p->strs);
	buf_put(&p->strs, LABEL_NAME, sizeof LABEL_NAME);
	_Static_assert(sizeof(label) == 2 * sizeof(size_t), "two offsets fit in a label");
	size_t *off = (size_t *)p->lv;
	off[0] = 0;
	off[1] = p->strs.len;
	tp__unescape(&p->strs, p->mname, false);
	buf_put_byte(&p->strs, 0);
	for (size_t k = 0; k < p->n_lab; k++) {
		off[2 * k + 2] = p->strs.len;
		tp__unescape(&p->strs, p->lab[k].name, false);
		buf_put_byte(&p->strs, 0);
		off[2 * k + 3] = p->strs.len;
		put_value(p, p->lab[k].name, p->lab[k].value, normalise);
	}
	if (p->strs.oom)
		return err_set(e, FL_ENOMEM, "out of memory");
	const char *s = (const char *)p->strs.p;
	for (size_t k = 0; k < p->n_lv; k++) {
		size_t a = off[2 * k], b = off[2 * k + 1];
		p->lv[k] = (label){s + a, s + b};
	}
	sort_labels(p->lv, p->n_lv); /* duplicates stay: the appender refuses them */
	p->lv_mode = normalise ? 2 : 1;
	return 0;
}

void textparse_expect(textparse *p, slice series) { p->expect = series; }

bool textparse_expect_met(const textparse *p) { return p->expect_met; }

labels textparse_labels(textparse *p, err *e)
{
	int mode = p->flags & TEXTPARSE_V2 ? 1 : 2;
	if (p->lv_mode != mode && (tp__head_labels(p, e) || tp__build_labels(p, mode == 2, e)))
		return (labels){NULL, 0};
	return (labels){p->lv, p->n_lv};
}

/* The media type of a Content-Type: up to ';', blanks trimmed. */
static bool media_is(const char *ct, const char *type)
{
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t l = strlen(type);
	if (strncasecmp(ct, type, l))
		return false;
	for (ct += l; *ct == ' ' || *ct == '\t'; ct++)
		;
	return *ct == 0 || *ct == ';';
}

bool textparse_format_for(const char *content_type, const textparse_format *fallback, textparse_format *out)
{
	if (content_type && media_is(content_type, "application/openmetrics-text")) {
		*out = TEXTPARSE_OM;
		return true;
	}
	if (content_type && media_is(content_type, "text/plain")) {
		*out = TEXTPARSE_PROM;
		return true;
	}
	if (fallback) {
		*out = *fallback;
		return true;
	}
	return false;
}

/* Does the whole text parse in format f (lenient)? */
static bool parses_as(textparse_format f, const char *text, size_t len)
{
	textparse *p = textparse_new(f, text, len, 0);
	if (!p)
		return false;
	textparse_entry k;
	int rc;
	while ((rc = textparse_next(p, &k, NULL)) == 1)
		;
	textparse_free(p);
	return rc == 0;
}

/* A line only OpenMetrics writes: UNIT, or a TYPE text 0.0.4 lacks. */
static bool om_marker(const char *text, size_t len)
{
	static const char *const types[] = {" info", " stateset", " gaugehistogram", " unknown"};
	for (const char *s = text, *end = text + len; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);
		if (l > 7 && !memcmp(s, "# UNIT ", 7))
			return true;
		for (size_t i = 0; l > 7 && !memcmp(s, "# TYPE ", 7) && i < FL_ARRAY_LEN(types); i++) {
			size_t tl = strlen(types[i]);
			if (l > 7 + tl && !memcmp(s + l - tl, types[i], tl))
				return true;
		}
		s += l + 1;
	}
	return false;
}

bool textparse_guess_format(const char *text, size_t len, textparse_format *out)
{
	size_t n = len;
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	*out = TEXTPARSE_PROM;
	if (n < 5 || memcmp(text + n - 5, "# EOF", 5)) /* every OpenMetrics page ends so */
		return false;
	if (!om_marker(text, len) && parses_as(TEXTPARSE_PROM, text, len))
		return false; /* "# EOF" is a comment in text 0.0.4 */
	*out = TEXTPARSE_OM;
	return true;
}
