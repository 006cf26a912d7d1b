/*
 * expfmt.c - expfmt's TextParser family building (prometheus/common
 * expfmt/text_parse.go: setOrCreateCurrentMF, readingValue) over
 * textparse's 0.0.4 entries; see expfmt.h.
 *
 * Invariants:
 *  1. A metric of a summary or histogram family is found by its signature
 *     (its labels but quantile / le, in order), so its lines may be
 *     interleaved with other metrics' as in expfmt.
 *  2. Every string kept is copied into the page's arena (textparse's are
 *     valid until its next entry only).
 * Families are looked up linearly (newest first): pages with very many
 * families cost O(families^2) string compares; push is a testing tool.
 */
#include "scrape/expfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/textparse.h"

void expfmt_page_init(expfmt_page *pg)
{
	memset(pg, 0, sizeof *pg);
	arena_init(&pg->a);
}

void expfmt_page_free(expfmt_page *pg)
{
	arena_reset(&pg->a);
	memset(pg, 0, sizeof *pg);
}



static expfmt_family *family_get(expfmt_page *pg, const char *name)
{
	for (size_t i = pg->n_fam; i-- > 0;)
		if (!strcmp(pg->fam[i]->name, name))
			return pg->fam[i];
	return NULL;
}

static bool has_suffix(const char *s, const char *suf, size_t *base)
{
	size_t n = strlen(s), k = strlen(suf);
	if (n < k || strcmp(s + n - k, suf))
		return false;
	*base = n - k;
	return true;
}

/* setOrCreateCurrentMF: the family a name belongs to; *is_sum / *is_count
 * for a summary's or histogram's _sum / _count line. */
static expfmt_family *family_for(expfmt_page *pg, const char *name, bool *is_sum, bool *is_count)
{
	*is_sum = *is_count = false;
	expfmt_family *f = family_get(pg, name);
	if (f)
		return f;
	size_t b;
	char tmp[1024];
	for (int pass = 0; pass < 2; pass++) {
		const char *sufs[3] = {"_count", "_sum", pass ? "_bucket" : NULL};
		for (int k = 0; k < 3 && sufs[k]; k++) {
			if (!has_suffix(name, sufs[k], &b) || b >= sizeof tmp)
				continue;
			memcpy(tmp, name, b);
			tmp[b] = 0;
			f = family_get(pg, tmp);
			bool ok = f && (pass == 0 ? f->type == EXPFMT_SUMMARY
						  : f->type == EXPFMT_HISTOGRAM || f->type == EXPFMT_GAUGE_HISTOGRAM);
			if (ok) {
				*is_count = k == 0;
				*is_sum = k == 1;
				return f;
			}
		}
	}
	f = arena_calloc(&pg->a, 1, sizeof *f);
	if (!f || !(pg->fam = arena_grow(&pg->a, pg->fam, pg->n_fam, &pg->cap_fam, sizeof *pg->fam)))
		return NULL;
	f->name = arena_strdup(&pg->a, name);
	f->type = EXPFMT_NONE;
	pg->fam[pg->n_fam++] = f;
	return f;
}

static expfmt_type type_of(textparse_mtype t)
{
	switch (t) {
	case TEXTPARSE_MT_COUNTER: return EXPFMT_COUNTER;
	case TEXTPARSE_MT_GAUGE: return EXPFMT_GAUGE;
	case TEXTPARSE_MT_SUMMARY: return EXPFMT_SUMMARY;
	case TEXTPARSE_MT_HISTOGRAM: return EXPFMT_HISTOGRAM;
	case TEXTPARSE_MT_GAUGEHISTOGRAM: return EXPFMT_GAUGE_HISTOGRAM;
	default: return EXPFMT_UNTYPED;
	}
}

/* Go's uint64(float64) on amd64. */
uint64_t expfmt_go_uint64(double v)
{
	if (v < 9223372036854775808.0) {
		if (!(v > -9223372036854775808.0))
			return UINT64_C(1) << 63;
		return (uint64_t)(int64_t)v;
	}
	double y = v - 9223372036854775808.0;
	if (!(y < 9223372036854775808.0))
		return UINT64_C(1) << 63;
	return (uint64_t)(int64_t)y | UINT64_C(1) << 63;
}

static bool parse_float(const char *s, double *v)
{
	char *end;
	if (!*s)
		return false;
	*v = strtod(s, &end);
	return !*end;
}

/* readingValue: the line's value into its metric (a summary's _count is
 * uint64(v); a histogram's counts keep whether they are integers). */
static int set_value(expfmt_page *pg, const expfmt_family *f, expfmt_metric *m, bool is_sum, bool is_count, double key,
		     double v, size_t line, buf *msg)
{
	bool grouped = f->type == EXPFMT_SUMMARY || f->type == EXPFMT_HISTOGRAM || f->type == EXPFMT_GAUGE_HISTOGRAM;
	bool is_uint = f->type == EXPFMT_SUMMARY || v == (double)expfmt_go_uint64(v);
	if (!grouped) {
		m->v = v;
	} else if (is_sum) {
		m->sum = v;
	} else if (is_count) {
		m->count = v;
		m->count_uint = is_uint;
		if (!is_uint && v < 0) {
			buf_printf(msg, "text format parsing error in line %zu: negative count for histogram \"%s\"", line, f->name);
			return -1;
		}
	} else if (!isnan(key)) {
		if (!is_uint && v < 0) {
			buf_printf(msg, "text format parsing error in line %zu: negative bucket population for histogram \"%s\"", line, f->name);
			return -1;
		}
		if (!(m->pairs = arena_grow(&pg->a, m->pairs, m->n_pairs, &m->cap_pairs, sizeof *m->pairs))) {
			buf_put_str(msg, "out of memory");
			return -1;
		}
		m->pairs[m->n_pairs++] = (expfmt_pair){key, v, is_uint};
	}
	return 0;
}

/* One sample line. */
static int add_sample(expfmt_page *pg, textparse *tp, buf *msg)
{
	err e;
	err_clear(&e);
	labels ls = textparse_labels(tp, &e);
	if (!ls.v) {
		buf_put_str(msg, e.msg[0] ? e.msg : "out of memory");
		return -1;
	}
	size_t line = textparse_line(tp);
	const char *name = labels_get(ls, LABEL_NAME);
	bool is_sum, is_count;
	expfmt_family *f = family_for(pg, name ? name : "", &is_sum, &is_count);
	if (!f) {
		buf_put_str(msg, "out of memory");
		return -1;
	}
	if (f->type == EXPFMT_NONE)
		f->type = EXPFMT_UNTYPED;
	bool grouped = f->type == EXPFMT_SUMMARY || f->type == EXPFMT_HISTOGRAM || f->type == EXPFMT_GAUGE_HISTOGRAM;
	const char *special = f->type == EXPFMT_SUMMARY ? "quantile" : grouped ? "le" : NULL;
	double key = NAN;
	buf sig;
	buf_init(&sig);
	label *own = arena_calloc(&pg->a, ls.n ? ls.n : 1, sizeof *own);
	size_t n_own = 0;
	for (size_t i = 0; own && i < ls.n; i++) {
		if (!strcmp(ls.v[i].name, LABEL_NAME))
			continue;
		if (special && !strcmp(ls.v[i].name, special)) {
			if (!parse_float(ls.v[i].value, &key)) {
				buf_printf(msg, "text format parsing error in line %zu: expected float as value for '%s' label, got \"%s\"",
					   line, special, ls.v[i].value);
				buf_reset(&sig);
				return -1;
			}
			continue;
		}
		own[n_own++] = (label){arena_strdup(&pg->a, ls.v[i].name), arena_strdup(&pg->a, ls.v[i].value)};
		buf_printf(&sig, "%s\xff%s\xff", ls.v[i].name, ls.v[i].value);
	}
	expfmt_metric *m = NULL;
	if (grouped)
		for (size_t i = 0; i < f->n_metrics && !m; i++)
			if (!strcmp(f->metrics[i]->sig, buf_cstr(&sig)))
				m = f->metrics[i];
	if (!m) {
		m = arena_calloc(&pg->a, 1, sizeof *m);
		if (!m || !own || !(f->metrics = arena_grow(&pg->a, f->metrics, f->n_metrics, &f->cap_metrics, sizeof *f->metrics))) {
			buf_reset(&sig);
			buf_put_str(msg, "out of memory");
			return -1;
		}
		m->labels = own, m->n_labels = n_own;
		m->sig = arena_strdup(&pg->a, buf_cstr(&sig));
		f->metrics[f->n_metrics++] = m;
	}
	buf_reset(&sig);
	double v;
	bool has_ts;
	int64_t ts;
	textparse_sample(tp, &v, &has_ts, &ts);
	if (set_value(pg, f, m, is_sum, is_count, key, v, line, msg) < 0)
		return -1;
	if (has_ts)
		m->has_ts = true, m->ts = ts;
	return 0;
}

static int parse_lines(expfmt_page *pg, const char *text, size_t len, buf *msg)
{
	textparse *tp = textparse_new(TEXTPARSE_PROM, text, len, TEXTPARSE_V2);
	if (!tp) {
		buf_put_str(msg, "out of memory");
		return -1;
	}
	textparse_entry kind;
	err e;
	err_clear(&e);
	int rc, ret = 0;
	while ((rc = textparse_next(tp, &kind, &e)) == 1 && ret == 0) {
		if (kind == TEXTPARSE_SERIES) {
			ret = add_sample(pg, tp, msg);
			continue;
		}
		if (kind != TEXTPARSE_TYPE && kind != TEXTPARSE_HELP)
			continue;
		slice name, text_s;
		textparse_mtype mt = TEXTPARSE_MT_UNKNOWN;
		textparse_meta(tp, &name, &text_s, &mt);
		char *nm = arena_strndup(&pg->a, name.p, name.len);
		bool is_sum, is_count;
		expfmt_family *f = nm ? family_for(pg, nm, &is_sum, &is_count) : NULL;
		if (!f) {
			buf_put_str(msg, "out of memory");
			ret = -1;
		} else if (kind == TEXTPARSE_HELP) {
			if (f->help) {
				buf_printf(msg, "text format parsing error in line %zu: second HELP line for metric name \"%s\"",
					   textparse_line(tp), f->name);
				ret = -1;
			} else {
				f->help = arena_strndup(&pg->a, text_s.p, text_s.len);
			}
		} else if (f->type != EXPFMT_NONE) {
			buf_printf(msg, "text format parsing error in line %zu: second TYPE line for metric name \"%s\", or TYPE reported after samples",
				   textparse_line(tp), f->name);
			ret = -1;
		} else {
			f->type = type_of(mt);
		}
	}
	if (rc < 0 && ret == 0) {
		buf_printf(msg, "text format parsing error in line %zu: %s", textparse_line(tp), e.msg);
		ret = -1;
	}
	textparse_free(tp);
	return ret;
}

static int family_cmp(const void *a, const void *b)
{
	return strcmp((*(expfmt_family *const *)a)->name, (*(expfmt_family *const *)b)->name);
}

int expfmt_parse(expfmt_page *pg, const char *text, size_t len, buf *msg)
{
	if (parse_lines(pg, text, len, msg) < 0)
		return -1;
	/* expfmt reads every line up to its '\n': a last line without one
	 * (blanks aside) ends the input inside it */
	size_t last = len, lines = 1;
	while (last > 0 && text[last - 1] != '\n')
		last--;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	for (size_t i = last; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t') {
			buf_printf(msg, "text format parsing error in line %zu: unexpected end of input stream", lines);
			return -1;
		}
	size_t w = 0;
	for (size_t i = 0; i < pg->n_fam; i++)
		if (pg->fam[i]->n_metrics)
			pg->fam[w++] = pg->fam[i];
	pg->n_fam = w;
	if (w)
		qsort(pg->fam, w, sizeof *pg->fam, family_cmp);
	return 0;
}
