/*
 * flinttool_check_metrics.c - `flinttool check metrics`: an exposition page
 * on stdin, checked as promtool 2.42 checks it (cmd/promtool/main.go
 * CheckMetrics, client_golang testutil/promlint v1.14), plus two flint
 * flags:
 *
 *   --format=text|openmetrics  the page's format; without it the page is
 *                              OpenMetrics when it ends in "# EOF"
 *                              (textparse_guess_format), else text 0.0.4
 *   --lint=none                only parse (OpenMetrics strictly: the
 *                              validator, TEXTPARSE_STRICT): exit 0 if valid,
 *                              1 with "error: line N: reason"
 *   --extended                 the cardinality table (promtool's), printed
 *                              when linting found nothing (as 2.42 does)
 *
 * Linting groups samples into families the way expfmt's text parser does
 * (a histogram's _bucket/_sum/_count and a summary's _sum/_count join the
 * family of that TYPE), then applies promlint's rules and prints
 * "<family> <problem>" lines sorted by family and text on stderr. Exit
 * codes: 0 clean, 1 unreadable or unparsable input ("error while linting:
 * text format parsing error in line N: ..."), 3 lint problems.
 */
#include "cmd/flinttool.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/hash.h"
#include "scrape/textparse.h"

typedef struct family {
	char *name;            /* family name, owned */
	uint64_t hash;         /* of name */
	textparse_mtype type;  /* from TYPE; UNKNOWN without */
	bool typed;            /* a TYPE line named it */
	bool has_help;         /* a HELP line named it */
	size_t n_samples;      /* sample lines */
	uint64_t *metrics;     /* label-set hashes of its metrics (histogram/summary: le/quantile aside) */
	size_t n_metrics, metrics_cap; /* count, capacity */
	size_t first_parts;    /* buckets or quantiles of its first metric */
	char **label_notes;    /* per-metric label problems, owned */
	size_t n_notes, notes_cap; /* count, capacity */
} family;

typedef struct fams {
	family *v;      /* families in order of appearance */
	size_t n, cap;  /* count, capacity */
	size_t last;    /* the last family used (most lookups hit it) */
} fams;

static family *fam_find(fams *fs, const char *name)
{
	uint64_t h = hash_xxh64(name, strlen(name));
	if (fs->last < fs->n && fs->v[fs->last].hash == h && !strcmp(fs->v[fs->last].name, name))
		return &fs->v[fs->last];
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].hash == h && !strcmp(fs->v[i].name, name))
			return &fs->v[fs->last = i];
	return NULL;
}

static family *fam_get(fams *fs, const char *name)
{
	family *f = fam_find(fs, name);
	if (f)
		return f;
	if (!fl_grow((void **)&fs->v, &fs->cap, fs->n + 1, sizeof *fs->v))
		return NULL;
	f = &fs->v[fs->n];
	memset(f, 0, sizeof *f);
	f->name = fl_strdup(name);
	f->hash = hash_xxh64(name, strlen(name));
	fs->last = fs->n++;
	return f->name ? f : NULL;
}

static void fams_free(fams *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		for (size_t k = 0; k < fs->v[i].n_notes; k++)
			fl_free(fs->v[i].label_notes[k]);
		fl_free(fs->v[i].label_notes);
		fl_free(fs->v[i].metrics);
		fl_free(fs->v[i].name);
	}
	fl_free(fs->v);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* The family a sample belongs to, as expfmt's setOrCreateCurrentMF finds it. */
static family *sample_family(fams *fs, const char *name, const char **part)
{
	*part = "";
	family *f = fam_find(fs, name);
	if (f)
		return f;
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	for (size_t k = 0; k < 3; k++) {
		if (!ends_with(name, sfx[k]))
			continue;
		char base[512];
		size_t l = strlen(name) - strlen(sfx[k]);
		if (l >= sizeof base)
			continue;
		memcpy(base, name, l);
		base[l] = 0;
		f = fam_find(fs, base);
		if (f && (f->type == TEXTPARSE_MT_HISTOGRAM || (k > 0 && f->type == TEXTPARSE_MT_SUMMARY))) {
			*part = sfx[k];
			return f;
		}
	}
	return fam_get(fs, name);
}

static bool camel(const char *s)
{
	for (; s[0] && s[1]; s++)
		if (islower((unsigned char)s[0]) && isupper((unsigned char)s[1]))
			return true;
	return false;
}

static int note(family *f, const char *text)
{
	if (!fl_grow((void **)&f->label_notes, &f->notes_cap, f->n_notes + 1, sizeof *f->label_notes))
		return FL_ENOMEM;
	if (!(f->label_notes[f->n_notes] = fl_strdup(text)))
		return FL_ENOMEM;
	f->n_notes++;
	return 0;
}

/* A sample of family f: count it, and note its metric's label problems the
 * first time the metric (its label set, le/quantile aside) is seen. */
static int add_sample(family *f, labels ls, const char *part)
{
	bool hist = f->type == TEXTPARSE_MT_HISTOGRAM, sum = f->type == TEXTPARSE_MT_SUMMARY;
	const char *aside = hist && !strcmp(part, "_bucket") ? "le" : sum && !*part ? "quantile" : NULL;
	buf k;
	buf_init(&k);
	for (size_t i = 0; i < ls.n; i++)
		if (strcmp(ls.v[i].name, LABEL_NAME) && !(aside && !strcmp(ls.v[i].name, aside))) {
			buf_put_str(&k, ls.v[i].name);
			buf_put_byte(&k, 0xff);
			buf_put_str(&k, ls.v[i].value);
			buf_put_byte(&k, 0xff);
		}
	uint64_t h = hash_xxh64(k.p, k.len);
	buf_reset(&k);
	f->n_samples++;
	bool seen = false;
	if (hist || sum)
		for (size_t i = 0; i < f->n_metrics && !seen; i++)
			seen = f->metrics[i] == h;
	if (aside && (f->n_metrics == 0 || f->metrics[0] == h))
		f->first_parts++;
	if (seen)
		return 0;
	if (!fl_grow((void **)&f->metrics, &f->metrics_cap, f->n_metrics + 1, sizeof *f->metrics))
		return FL_ENOMEM;
	f->metrics[f->n_metrics++] = h;
	for (size_t i = 0; i < ls.n; i++) {
		const char *n = ls.v[i].name;
		if (!strcmp(n, LABEL_NAME) || (aside && !strcmp(n, aside)))
			continue;
		int rc = 0;
		bool untyped = !f->typed || f->type == TEXTPARSE_MT_UNKNOWN; /* lintHistogramSummaryReserved skips them */
		if (!untyped && !hist && !strcmp(n, "le"))
			rc = note(f, "non-histogram metrics should not have \"le\" label");
		if (!rc && !untyped && !sum && !strcmp(n, "quantile"))
			rc = note(f, "non-summary metrics should not have \"quantile\" label");
		if (!rc && camel(n))
			rc = note(f, "label names should be written in 'snake_case' not 'camelCase'");
		if (rc)
			return rc;
	}
	return 0;
}

/* Read every entry into families; 0, or 1 after printing the error. */
static int collect(const buf *in, textparse_format fmt, unsigned flags, bool lint, fams *fs)
{
	textparse *p = textparse_new(fmt, (const char *)in->p, in->len, flags);
	if (!p) {
		fprintf(stderr, "error: out of memory\n");
		return 1;
	}
	textparse_entry k;
	err e = {0};
	int rc;
	while ((rc = textparse_next(p, &k, &e)) == 1) {
		if (k == TEXTPARSE_EOF)
			continue;
		if (k != TEXTPARSE_SERIES) {
			slice name, text;
			textparse_mtype t;
			textparse_meta(p, &name, &text, &t);
			char nm[512];
			snprintf(nm, sizeof nm, "%.*s", (int)FL_MIN(name.len, sizeof nm - 1), name.p);
			family *f = fam_get(fs, nm);
			if (!f) {
				rc = err_set(&e, FL_ENOMEM, "out of memory");
				break;
			}
			if (k == TEXTPARSE_TYPE)
				f->type = t, f->typed = true;
			else if (k == TEXTPARSE_HELP)
				f->has_help = true;
			continue;
		}
		labels ls = textparse_labels(p, &e);
		const char *part;
		family *f = ls.v ? sample_family(fs, labels_get(ls, LABEL_NAME), &part) : NULL;
		if (!f || add_sample(f, ls, part)) {
			rc = err_set(&e, FL_ENOMEM, "out of memory");
			break;
		}
	}
	size_t line = textparse_line(p);
	textparse_free(p);
	if (rc == 0)
		return 0;
	if (lint)
		fprintf(stderr, "error while linting: text format parsing error in line %zu: %s\n", line, e.msg);
	else
		fprintf(stderr, "error: line %zu: %s\n", line, e.msg);
	return 1;
}

typedef struct problem {
	const char *metric; /* family name, borrowed */
	size_t seq;         /* order found: ties keep it (sort.SliceStable) */
	char text[160];     /* the problem */
} problem;

typedef struct problems {
	problem *v;    /* found so far */
	size_t n, cap; /* count, capacity */
} problems;

static void add(problems *ps, const char *metric, const char *fmt, const char *a, const char *b)
{
	if (!fl_grow((void **)&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v))
		return;
	ps->v[ps->n].metric = metric;
	ps->v[ps->n].seq = ps->n;
	snprintf(ps->v[ps->n].text, sizeof ps->v[ps->n].text, fmt, a, b);
	ps->n++;
}

/* promlint's metricUnits: a name token that is a known unit, prefixed or not. */
static void lint_units(problems *ps, const char *name)
{
	static const char *const units[][2] = {
		{"amperes", "amperes"}, {"bytes", "bytes"},      {"celsius", "celsius"},  {"grams", "grams"},
		{"joules", "joules"},   {"kelvin", "kelvin"},    {"meters", "meters"},    {"metres", "metres"},
		{"seconds", "seconds"}, {"volts", "volts"},      {"minutes", "seconds"},  {"hours", "seconds"},
		{"days", "seconds"},    {"weeks", "seconds"},    {"kelvins", "kelvin"},   {"fahrenheit", "celsius"},
		{"rankine", "celsius"}, {"inches", "meters"},    {"yards", "meters"},     {"miles", "meters"},
		{"bits", "bytes"},      {"calories", "joules"},  {"pounds", "grams"},     {"ounces", "grams"},
	};
	static const char *const prefixes[] = {"pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo",
					       "kibi", "mega", "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi", ""};
	for (size_t u = 0; u < FL_ARRAY_LEN(units); u++)
		for (size_t pi = 0; pi < FL_ARRAY_LEN(prefixes); pi++) {
			char want[64];
			snprintf(want, sizeof want, "%s%s", prefixes[pi], units[u][0]);
			for (const char *s = name; s;) {
				const char *us = strchr(s, '_');
				size_t l = us ? (size_t)(us - s) : strlen(s);
				if (l == strlen(want) && !memcmp(s, want, l)) {
					if (strcmp(want, units[u][1]))
						add(ps, name, "use base unit \"%s\" instead of \"%s\"", units[u][1], want);
					return;
				}
				s = us ? us + 1 : NULL;
			}
		}
}

static bool has_word(const char *lower, const char *w)
{
	char mid[32], end[32];
	snprintf(mid, sizeof mid, "_%s_", w);
	snprintf(end, sizeof end, "_%s", w);
	return strstr(lower, mid) || ends_with(lower, end);
}

static void lint_family(problems *ps, const family *f)
{
	const char *n = f->name;
	textparse_mtype t = f->typed ? f->type : TEXTPARSE_MT_UNKNOWN;
	bool counter = t == TEXTPARSE_MT_COUNTER, untyped = t == TEXTPARSE_MT_UNKNOWN;
	bool hist = t == TEXTPARSE_MT_HISTOGRAM, sum = t == TEXTPARSE_MT_SUMMARY;
	if (!f->has_help)
		add(ps, n, "no help text", "", "");
	lint_units(ps, n);
	if (counter && !ends_with(n, "_total"))
		add(ps, n, "counter metrics should have \"_total\" suffix", "", "");
	else if (!untyped && !counter && ends_with(n, "_total"))
		add(ps, n, "non-counter metrics should not have \"_total\" suffix", "", "");
	if (!untyped) {
		if (!hist && ends_with(n, "_bucket"))
			add(ps, n, "non-histogram metrics should not have \"_bucket\" suffix", "", "");
		if (!hist && !sum && ends_with(n, "_count"))
			add(ps, n, "non-histogram and non-summary metrics should not have \"_count\" suffix", "", "");
		if (!hist && !sum && ends_with(n, "_sum"))
			add(ps, n, "non-histogram and non-summary metrics should not have \"_sum\" suffix", "", "");
	}
	char lower[512];
	size_t l = FL_MIN(strlen(n), sizeof lower - 1);
	for (size_t i = 0; i < l; i++)
		lower[i] = (char)tolower((unsigned char)n[i]);
	lower[l] = 0;
	static const char *const types[] = {"counter", "gauge", "summary", "histogram", "gauge_histogram"};
	for (size_t i = 0; i < FL_ARRAY_LEN(types); i++)
		if (has_word(lower, types[i]))
			add(ps, n, "metric name should not include type '%s'", types[i], "");
	if (strchr(n, ':'))
		add(ps, n, "metric names should not contain ':'", "", "");
	if (camel(n))
		add(ps, n, "metric names should be written in 'snake_case' not 'camelCase'", "", "");
	for (size_t i = 0; i < f->n_notes; i++)
		add(ps, n, "%s", f->label_notes[i], "");
	static const char *const abbrevs[] = {"s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"};
	for (size_t i = 0; i < FL_ARRAY_LEN(abbrevs); i++)
		if (has_word(lower, abbrevs[i]))
			add(ps, n, "metric names should not contain abbreviated units", "", "");
}

static int cmp_problem(const void *a, const void *b)
{
	const problem *x = a, *y = b;
	int c = strcmp(x->metric, y->metric);
	if (!c)
		c = strcmp(x->text, y->text);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static size_t cardinality(const family *f)
{
	textparse_mtype t = f->typed ? f->type : TEXTPARSE_MT_UNKNOWN;
	if (t == TEXTPARSE_MT_HISTOGRAM || t == TEXTPARSE_MT_SUMMARY)
		return f->n_metrics * (2 + f->first_parts);
	return t == TEXTPARSE_MT_COUNTER || t == TEXTPARSE_MT_GAUGE || t == TEXTPARSE_MT_UNKNOWN ? f->n_samples
												 : f->n_metrics;
}

/* promtool's table through Go's tabwriter (minwidth 4, padding 4). */
static void extended(const fams *fs)
{
	size_t total = 0, *order = fl_calloc(fs->n + 1, sizeof *order);
	if (!order)
		return;
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].n_samples) {
			total += cardinality(&fs->v[i]);
			order[n++] = i;
		}
	for (size_t i = 1; i < n; i++) /* stable, by cardinality descending */
		for (size_t j = i; j > 0 && cardinality(&fs->v[order[j - 1]]) < cardinality(&fs->v[order[j]]); j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	char (*cells)[3][256] = fl_calloc(n + 2, sizeof *cells);
	if (!cells) {
		fl_free(order);
		return;
	}
	snprintf(cells[0][0], 256, "Metric");
	snprintf(cells[0][1], 256, "Cardinality");
	snprintf(cells[0][2], 256, "Percentage");
	for (size_t i = 0; i < n; i++) {
		const family *f = &fs->v[order[i]];
		snprintf(cells[i + 1][0], 256, "%s", f->name);
		snprintf(cells[i + 1][1], 256, "%zu", cardinality(f));
		snprintf(cells[i + 1][2], 256, "%.2f%%", total ? 100.0 * (double)cardinality(f) / (double)total : 0.0);
	}
	snprintf(cells[n + 1][0], 256, "Total");
	snprintf(cells[n + 1][1], 256, "%zu", total);
	snprintf(cells[n + 1][2], 256, "100%%");
	size_t w[3] = {4, 4, 4};
	for (size_t r = 0; r < n + 2; r++)
		for (int c = 0; c < 3; c++)
			w[c] = FL_MAX(w[c], strlen(cells[r][c]) + 4);
	for (size_t r = 0; r < n + 2; r++)
		printf("%-*s%-*s%-*s\n", (int)w[0], cells[r][0], (int)w[1], cells[r][1], (int)w[2], cells[r][2]);
	fl_free(cells);
	fl_free(order);
}

const cli_flag flinttool_check_metrics_flags[] = {
	{"extended", 0, NULL, "Print extended information related to the cardinality of the metrics.", NULL, 0},
	{"lint", 0, "\"all\"", "Linting checks to apply for metrics. Available options are: all, none. Use "
	 "--lint=none to disable metrics linting.", "all", 0},
	{"format", 0, "FORMAT", "The page's format: text or openmetrics (default: guessed from the page).", NULL, 0},
	{0},
};

int flinttool_check_metrics(const cli_ctx *c)
{
	bool ext = cli_bool(c, "extended"), fmt_given = false;
	textparse_format fmt = TEXTPARSE_PROM;
	const char *l = cli_str(c, "lint"), *f = cli_str(c, "format");
	if (strcmp(l, "all") && strcmp(l, "none"))
		return cli_usage_error("invalid --lint \"%s\": want all or none", l);
	bool lint = !strcmp(l, "all");
	if (f && !strcmp(f, "text"))
		fmt = TEXTPARSE_PROM, fmt_given = true;
	else if (f && !strcmp(f, "openmetrics"))
		fmt = TEXTPARSE_OM, fmt_given = true;
	else if (f)
		return cli_usage_error("invalid --format \"%s\": want text or openmetrics", f);
	buf in;
	buf_init(&in);
	char chunk[65536];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_put(&in, chunk, r);
	if (in.oom) {
		fprintf(stderr, "error while linting: out of memory\n");
		buf_reset(&in);
		return 1;
	}
	if (!fmt_given)
		textparse_guess_format((const char *)in.p, in.len, &fmt);
	fams fs = {0};
	int rc = collect(&in, fmt, fmt == TEXTPARSE_OM ? TEXTPARSE_STRICT : 0, lint, &fs);
	problems ps = {0};
	if (rc == 0 && lint) {
		for (size_t i = 0; i < fs.n; i++)
			if (fs.v[i].n_samples || fs.v[i].typed || fs.v[i].has_help)
				lint_family(&ps, &fs.v[i]);
		if (ps.n)
			qsort(ps.v, ps.n, sizeof *ps.v, cmp_problem);
		for (size_t i = 0; i < ps.n; i++)
			fprintf(stderr, "%s %s\n", ps.v[i].metric, ps.v[i].text);
		if (ps.n)
			rc = 3;
	}
	if (rc == 0 && ext)
		extended(&fs);
	fl_free(ps.v);
	fams_free(&fs);
	buf_reset(&in);
	return rc;
}
