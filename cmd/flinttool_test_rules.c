/*
 * flinttool_test_rules.c - `flinttool test rules [--run REGEX]...
 * [--ignore-unknown-fields] FILE...`: promtool's rule unit tests
 * (cmd/promtool/unittest.go, 3.x semantics).
 *
 * A unit-test file (strict YAML keys): rule_files (relative to the file's
 * folder), evaluation_interval (1m), group_eval_order, fuzzy_compare, tests.
 * Each test group (interval defaulting to evaluation_interval, input_series
 * in the PromQL test `load` notation of promql/promqltest.c,
 * external_labels, external_url, start_timestamp) gets a fresh head; every
 * evaluation_interval from the start to the last eval_time, the input
 * samples up to that time are appended and every rule group is evaluated
 * (a rule error ends the test group); alert_rule_test compares the firing
 * alerts (labels + annotations) at each eval_time; promql_expr_test queries
 * at the end. Output as promtool: `Unit Testing:  FILE`, then `  SUCCESS`,
 * or `  FAILED:` and each error on stderr followed by a blank line on
 * stdout; exit 1 when any file fails. --debug prints "DEBUG: Starting
 * test", "DEBUG: Test ... finished, took ..." and a dump of all data at
 * the last eval_time on stderr; test's --junit=FILE writes util/junitxml's
 * document (a suite per file, a case per test group, failures per error,
 * the file's own error as the suite's abort); --diff shows a failed
 * alert_rule_test as nsf/jsondiff's coloured console diff of the two
 * lists. Not supported: native histograms in input_series or exp_samples
 * (the group fails).
 */
#include "cmd/flinttool.h"
#include "cmd/flinttool_tsdb.h"

#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/godur.h"
#include "lib/buf.h"
#include "lib/fmtfloat.h"
#include "lib/log.h"
#include "lib/timeparse.h"
#include "promql/ast.h"
#include "promql/promqltest.h"
#include "rules/group.h"
#include "tsdb/head.h"

/* ---- YAML access ---- */
static yaml_document_t *ydoc;

static yaml_node_t *ynode(int id) { return id ? yaml_document_get_node(ydoc, id) : NULL; }

static yaml_node_t *get(yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return ynode(p->value);
	}
	return NULL;
}

static const char *str(yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE ? (char *)n->data.scalar.value : NULL; }
static size_t seq_n(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}
static yaml_node_t *seq_at(yaml_node_t *n, size_t i) { return ynode(n->data.sequence.items.start[i]); }

/* yaml.UnmarshalStrict's unknown-field errors, appended to b. */
static void strict_keys(yaml_node_t *n, const char *const *known, const char *type, buf *b)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(p->key);
		const char *ks = str(k);
		bool ok = false;
		for (size_t i = 0; ks && known[i] && !ok; i++)
			ok = !strcmp(known[i], ks);
		if (!ok)
			buf_printf(b, "\n  line %zu: field %s not found in type %s", k->start_mark.line + 1, ks ? ks : "?", type);
	}
}

static const char *const k_file[] = {"rule_files", "evaluation_interval", "group_eval_order", "tests", "fuzzy_compare", NULL};
static const char *const k_group[] = {"interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels",
				      "external_url", "name", "start_timestamp", NULL};
static const char *const k_series[] = {"series", "values", NULL};
static const char *const k_atest[] = {"eval_time", "alertname", "exp_alerts", NULL};
static const char *const k_alert[] = {"exp_labels", "exp_annotations", NULL};
static const char *const k_ptest[] = {"expr", "eval_time", "exp_samples", NULL};
static const char *const k_sample[] = {"labels", "value", "histogram", NULL};

static void check_seq(yaml_node_t *s, const char *const *known, const char *type, buf *b)
{
	for (size_t i = 0; i < seq_n(s); i++)
		strict_keys(seq_at(s, i), known, type, b);
}

static void check_file_keys(yaml_node_t *root, buf *b)
{
	strict_keys(root, k_file, "main.unitTestFile", b);
	yaml_node_t *tests = get(root, "tests");
	for (size_t i = 0; i < seq_n(tests); i++) {
		yaml_node_t *tg = seq_at(tests, i);
		strict_keys(tg, k_group, "main.testGroup", b);
		check_seq(get(tg, "input_series"), k_series, "main.series", b);
		yaml_node_t *at = get(tg, "alert_rule_test");
		check_seq(at, k_atest, "main.alertTestCase", b);
		for (size_t k = 0; k < seq_n(at); k++)
			check_seq(get(seq_at(at, k), "exp_alerts"), k_alert, "main.alert", b);
		yaml_node_t *pt = get(tg, "promql_expr_test");
		check_seq(pt, k_ptest, "main.promqlTestCase", b);
		for (size_t k = 0; k < seq_n(pt); k++)
			check_seq(get(seq_at(pt, k), "exp_samples"), k_sample, "main.sample", b);
	}
}

/* A model.Duration field (0 when absent); false when it does not parse. */
static bool dur(yaml_node_t *n, int64_t *ms)
{
	const char *s = str(n);
	*ms = 0;
	if (!s || !*s)
		return true;
	err e;
	return timeparse_model_duration(s, strlen(s), ms, &e) == 0;
}

static labels map_labels(yaml_node_t *n, arena *a)
{
	labels_builder lb;
	labels_builder_init(&lb);
	if (n && n->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = str(ynode(p->key)), *v = str(ynode(p->value));
			if (k && v)
				labels_builder_set(&lb, arena_strdup(a, k), arena_strdup(a, v));
		}
	labels out = labels_copy(a, labels_builder_labels(&lb));
	labels_builder_free(&lb);
	return out;
}

/* ---- Go formats ---- */

/* time.Duration.String of ms: "0s", "500ms", "1m0s", "1h30m0s", "1.5s". */
static void go_duration(buf *b, int64_t ms)
{
	godur_format(b, ms * 1000000);
}

/* strconv.FormatFloat(v, 'E', -1, 64). */
static void go_float_E(buf *b, double v)
{
	char out[FMT_FLOAT_MAX];
	int n = fmt_go_e(out, v);
	char *e = memchr(out, 'e', (size_t)n);
	if (e)
		*e = 'E';
	buf_put(b, out, (size_t)n);
}

/* The PromQL parser's message for a selector the load notation refused
 * (promtool's ParseMetric / ParseSeriesDesc wording), or a generic one. */
static void selector_error(buf *b, const char *text, arena *a)
{
	matcher *ms = NULL;
	size_t n = 0;
	err e;
	err_clear(&e);
	if (promql_parse_selector(text, a, &ms, &n, &e))
		buf_put_str(b, e.msg);
	else
		buf_printf(b, "parse error: invalid series %s", text);
	for (size_t i = 0; i < n; i++)
		matcher_reset(&ms[i]);
}

/* ---- JUnit XML (util/junitxml: encoding/xml's output of its structs) ---- */
typedef struct jcase {
	char *name;
	char **failures;
	size_t n_failures;
	char *error;
} jcase;

typedef struct jsuite {
	char *name;
	char timestamp[32];
	size_t failures, errors;
	jcase *cases;
	size_t n_cases;
} jsuite;

typedef struct junit {
	jsuite *suites;
	size_t n;
} junit;

static char **str_push(char **v, size_t *n, const char *s)
{
	char **nv = fl_realloc(v, (*n + 1) * sizeof *nv);
	if (nv && (nv[*n] = fl_strdup(s)))
		(*n)++;
	return nv ? nv : v;
}

static jsuite *junit_suite(junit *j, const char *name)
{
	jsuite *nv = fl_realloc(j->suites, (j->n + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	j->suites = nv;
	jsuite *s = &nv[j->n++];
	memset(s, 0, sizeof *s);
	s->name = fl_strdup(name);
	return s;
}

static void junit_case(jsuite *s, const char *name)
{
	jcase *nv = s ? fl_realloc(s->cases, (s->n_cases + 1) * sizeof *nv) : NULL;
	if (!nv)
		return;
	s->cases = nv;
	memset(&nv[s->n_cases], 0, sizeof *nv);
	nv[s->n_cases++].name = fl_strdup(name);
}

static jcase *junit_last(jsuite *s)
{
	if (!s->n_cases)
		junit_case(s, "unknown");
	return s->n_cases ? &s->cases[s->n_cases - 1] : NULL;
}

static void junit_fail(jsuite *s, const char *msg)
{
	jcase *c = s ? junit_last(s) : NULL;
	if (!c)
		return;
	s->failures++;
	c->failures = str_push(c->failures, &c->n_failures, msg);
}

static void junit_abort(jsuite *s, const char *msg)
{
	jcase *c = s ? junit_last(s) : NULL;
	if (!c)
		return;
	s->errors++;
	fl_free(c->error);
	c->error = fl_strdup(msg);
}

static void junit_settime(jsuite *s)
{
	time_t now = time(NULL);
	struct tm tm;
	if (s && localtime_r(&now, &tm))
		strftime(s->timestamp, sizeof s->timestamp, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* encoding/xml's EscapeText (attributes and character data alike). */
static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '"': fputs("&#34;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\t': fputs("&#x9;", f); break;
		case '\n': fputs("&#xA;", f); break;
		case '\r': fputs("&#xD;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void junit_write(const junit *j, FILE *f)
{
	fputs("<testsuites>", f);
	for (size_t i = 0; i < j->n; i++) {
		const jsuite *s = &j->suites[i];
		fputs("<testsuite name=\"", f);
		xml_escape(f, s->name ? s->name : "");
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" timestamp=\"%s\">", s->n_cases,
			s->failures, s->errors, s->timestamp);
		for (size_t k = 0; k < s->n_cases; k++) {
			const jcase *c = &s->cases[k];
			fputs("<testcase name=\"", f);
			xml_escape(f, c->name ? c->name : "");
			fputs("\">", f);
			for (size_t m = 0; m < c->n_failures; m++) {
				fputs("<failure>", f);
				xml_escape(f, c->failures[m]);
				fputs("</failure>", f);
			}
			if (c->error && *c->error) {
				fputs("<error>", f);
				xml_escape(f, c->error);
				fputs("</error>", f);
			}
			fputs("</testcase>", f);
		}
		fputs("</testsuite>", f);
	}
	fputs("</testsuites>", f);
}

static void junit_free(junit *j)
{
	for (size_t i = 0; i < j->n; i++) {
		jsuite *s = &j->suites[i];
		for (size_t k = 0; k < s->n_cases; k++) {
			jcase *c = &s->cases[k];
			for (size_t m = 0; m < c->n_failures; m++)
				fl_free(c->failures[m]);
			fl_free(c->failures);
			fl_free(c->error);
			fl_free(c->name);
		}
		fl_free(s->cases);
		fl_free(s->name);
	}
	fl_free(j->suites);
}

/* What a run of the command asks besides the tests: --debug's lines on
 * stderr, and the JUnit suite of the file being run (NULL: none). */
typedef struct topts {
	bool debug, diff;
	jsuite *js;
} topts;

/* ---- a test group ---- */
typedef struct errlist {
	char **v;
	size_t n;
} errlist;

static void adderr(errlist *l, buf *b)
{
	char **nv = fl_realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return;
	l->v = nv;
	l->v[l->n++] = fl_strdup(buf_cstr(b));
	buf_clear(b);
}

typedef struct tfile {
	int64_t eval_interval;
	bool fuzzy;
	bool diff;          /* --diff */
	rule_file **rf;
	size_t n_rf;
	yaml_node_t *order; /* group_eval_order */
	arena a;
} tfile;

typedef struct inseries {
	labels ls;
	double *v;
	bool *miss;
	size_t n, next; /* next: first sample not yet appended */
} inseries;

static appender *head_app(void *ctx) { return head_appender(ctx); }

/* Append every input sample at or before t (LazyLoader.WithSamplesTill). */
static void samples_till(head *h, inseries *in, size_t n, int64_t mint, int64_t interval, int64_t t)
{
	appender *app = head_appender(h);
	if (!app)
		return;
	for (size_t i = 0; i < n; i++) {
		series_ref ref = 0;
		for (; in[i].next < in[i].n && mint + (int64_t)in[i].next * interval <= t; in[i].next++) {
			err e;
			size_t j = in[i].next;
			if (!in[i].miss[j] && appender_append(app, ref, in[i].ls, mint + (int64_t)j * interval, in[i].v[j], &ref, &e))
				ref = 0;
		}
	}
	err e;
	appender_commit(app, &e);
}

static int group_rank(const tfile *f, const char *name)
{
	for (size_t i = 0; i < seq_n(f->order); i++) {
		const char *s = str(seq_at(f->order, i));
		if (s && !strcmp(s, name))
			return (int)i;
	}
	return 0;
}

typedef struct alertla {
	labels ls, ann;
} alertla;

static int alertla_cmp(const void *x, const void *y)
{
	const alertla *a = x, *b = y;
	int c = labels_compare(a->ls, b->ls);
	return c ? c : labels_compare(a->ann, b->ann);
}

/* labelsAndAnnotations.String indented as promtool prints it. */
static void alerts_string(buf *b, const alertla *v, size_t n)
{
	if (!n) {
		buf_put_str(b, "[]");
		return;
	}
	buf_put_str(b, "[");
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "%s\n            %zu:\n              Labels:", i ? "," : "", i);
		labels_format(b, v[i].ls);
		buf_put_str(b, "\n              Annotations:");
		labels_format(b, v[i].ann);
	}
	buf_put_str(b, "\n            ]");
}

/* ---- --diff: nsf/jsondiff's Compare with DefaultConsoleOptions, over the
 * JSON of the alert lists ([{"Annotations": {...}, "Labels": {...}}]):
 * strings, objects with sorted keys, arrays; ANSI colours for added
 * (green), removed (red) and changed (yellow, "a => b") values. ---- */
typedef enum jv_kind { JV_STR, JV_OBJ, JV_ARR } jv_kind;
typedef struct jv {
	jv_kind k;
	const char *s;     /* JV_STR */
	const char **keys; /* JV_OBJ: sorted */
	struct jv *v;      /* JV_OBJ values, JV_ARR elements */
	size_t n;
} jv;

typedef struct jtag {
	const char *begin, *end;
} jtag;
static const jtag jt_normal = {"", ""}, jt_added = {"\033[0;32m", "\033[0m"}, jt_removed = {"\033[0;31m", "\033[0m"},
		  jt_changed = {"\033[0;33m", "\033[0m"};

typedef struct jctx {
	int level;
	const jtag *last;
	int diff; /* 0 FullMatch, 1 SupersetMatch, 2 NoMatch */
} jctx;

static void jd_newline(jctx *c, buf *b, const char *s)
{
	buf_put_str(b, s);
	if (c->last)
		buf_put_str(b, c->last->end);
	buf_put_byte(b, '\n');
	for (int i = 0; i < c->level; i++)
		buf_put_str(b, "    ");
	if (c->last)
		buf_put_str(b, c->last->begin);
}

static void jd_tag(jctx *c, buf *b, const jtag *t)
{
	if (c->last == t)
		return;
	if (c->last)
		buf_put_str(b, c->last->end);
	buf_put_str(b, t->begin);
	c->last = t;
}

static void jd_finalize(jctx *c, buf *b)
{
	if (c->last)
		buf_put_str(b, c->last->end);
	c->last = NULL;
}

static void jd_result(jctx *c, int d)
{
	if (d == 2 || (d == 1 && c->diff != 2))
		c->diff = d;
}

static void jd_key(buf *b, const char *k)
{
	fmt_go_quote(b, k, strlen(k));
	buf_put_str(b, ": ");
}

static void jd_value(jctx *c, buf *b, const jv *v, bool full)
{
	if (v->k == JV_STR) {
		fmt_go_quote(b, v->s, strlen(v->s));
		return;
	}
	const char *open = v->k == JV_OBJ ? "{" : "[", *close = v->k == JV_OBJ ? "}" : "]";
	if (!full) {
		buf_printf(b, "%s%s", open, close);
		return;
	}
	if (!v->n) {
		buf_put_str(b, open);
	} else {
		c->level++;
		jd_newline(c, b, open);
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->k == JV_OBJ)
			jd_key(b, v->keys[i]);
		jd_value(c, b, &v->v[i], true);
		if (i != v->n - 1) {
			jd_newline(c, b, ",");
		} else {
			c->level--;
			jd_newline(c, b, "");
		}
	}
	buf_put_str(b, close);
}

static void jd_diff(jctx *c, const jv *a, const jv *b, buf *out);

/* One position of the union of a and b: *pa / *pb (NULL when absent), key. */
static size_t jd_union(const jv *a, const jv *b, const char ***keys)
{
	if (a->k == JV_ARR) {
		*keys = NULL;
		return a->n > b->n ? a->n : b->n;
	}
	const char **k = fl_calloc(a->n + b->n + 1, sizeof *k);
	size_t n = 0, i = 0, j = 0;
	while (k && (i < a->n || j < b->n)) {
		int cmp = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->keys[i], b->keys[j]);
		k[n++] = cmp <= 0 ? a->keys[i] : b->keys[j];
		i += cmp <= 0, j += cmp >= 0;
	}
	*keys = k;
	return k ? n : 0;
}

static const jv *jd_at(const jv *x, const char *const *keys, size_t i)
{
	if (x->k == JV_ARR)
		return i < x->n ? &x->v[i] : NULL;
	for (size_t k = 0; k < x->n; k++)
		if (!strcmp(x->keys[k], keys[i]))
			return &x->v[k];
	return NULL;
}

/* printCollectionDiff without SkipMatches. */
static void jd_collection(jctx *c, const jv *a, const jv *b, buf *out)
{
	const char **keys;
	size_t n = jd_union(a, b, &keys);
	buf *diffs = fl_calloc(n + 1, sizeof *diffs);
	c->level++;
	for (size_t i = 0; diffs && i < n; i++) {
		buf_init(&diffs[i]);
		const jv *x = jd_at(a, keys, i), *y = jd_at(b, keys, i);
		if (x && y)
			jd_diff(c, x, y, &diffs[i]);
	}
	c->level--;
	const char *open = a->k == JV_OBJ ? "{" : "[", *close = a->k == JV_OBJ ? "}" : "]";
	jd_tag(c, out, &jt_normal);
	if (!n || !diffs) {
		buf_printf(out, "%s%s", open, close);
	} else {
		c->level++;
		jd_newline(c, out, open);
		for (size_t i = 0; i < n; i++) {
			const jv *x = jd_at(a, keys, i), *y = jd_at(b, keys, i);
			if (x && y) {
				if (keys)
					jd_key(out, keys[i]);
				buf_put(out, diffs[i].p, diffs[i].len);
			} else {
				jd_tag(c, out, x ? &jt_removed : &jt_added);
				if (keys)
					jd_key(out, keys[i]);
				jd_value(c, out, x ? x : y, true);
				jd_result(c, x ? 1 : 2);
			}
			jd_tag(c, out, &jt_normal);
			if (i < n - 1) {
				jd_newline(c, out, ",");
			} else {
				c->level--;
				jd_newline(c, out, "");
			}
		}
		buf_put_str(out, close);
	}
	jd_finalize(c, out);
	for (size_t i = 0; diffs && i < n; i++)
		buf_reset(&diffs[i]);
	fl_free(diffs);
	fl_free(keys);
}

static void jd_diff(jctx *c, const jv *a, const jv *b, buf *out)
{
	if (a->k != b->k || (a->k == JV_STR && strcmp(a->s, b->s))) {
		jd_tag(c, out, &jt_changed);
		jd_value(c, out, a, false);
		buf_put_str(out, " => ");
		jd_value(c, out, b, false);
		jd_result(c, 2);
	} else if (a->k != JV_STR) {
		jd_collection(c, a, b, out);
		return;
	} else {
		jd_tag(c, out, &jt_normal);
		jd_value(c, out, a, true);
		jd_result(c, 0);
	}
	jd_finalize(c, out);
}

/* The JSON of a labelsAndAnnotations list (in the arena); an empty list
 * gets one empty element, as promtool adds before diffing. */
static jv jd_alerts(const alertla *v, size_t n, arena *a)
{
	static const alertla none;
	if (!n)
		v = &none, n = 1;
	jv arr = {.k = JV_ARR, .v = arena_calloc(a, n, sizeof(jv)), .n = n};
	for (size_t i = 0; arr.v && i < n; i++) {
		jv *o = &arr.v[i];
		o->k = JV_OBJ, o->n = 2;
		o->keys = arena_calloc(a, 2, sizeof *o->keys);
		o->v = arena_calloc(a, 2, sizeof *o->v);
		if (!o->keys || !o->v)
			return (jv){.k = JV_ARR};
		o->keys[0] = "Annotations", o->keys[1] = "Labels";
		const labels *ls[2] = {&v[i].ann, &v[i].ls};
		for (int k = 0; k < 2; k++) {
			jv *m = &o->v[k];
			m->k = JV_OBJ, m->n = ls[k]->n;
			m->keys = arena_calloc(a, m->n + 1, sizeof *m->keys);
			m->v = arena_calloc(a, m->n + 1, sizeof *m->v);
			for (size_t j = 0; m->keys && m->v && j < m->n; j++) {
				m->keys[j] = ls[k]->v[j].name;
				m->v[j] = (jv){.k = JV_STR, .s = ls[k]->v[j].value};
			}
			if (!m->keys || !m->v)
				m->n = 0;
		}
	}
	return arr;
}

/* indentLines(diff, "            ") */
static void indent_lines(buf *b, const char *s)
{
	for (; *s; s++) {
		buf_put_byte(b, (uint8_t)*s);
		if (*s == '\n')
			buf_put_str(b, "            ");
	}
}

static bool float_eq(const tfile *f, double x, double y)
{
	return x == y || (f->fuzzy && (nextafter(x, -INFINITY) == y || nextafter(x, INFINITY) == y));
}

static void check_alerts(tfile *f, yaml_node_t *tc, const char *gname, int64_t t, rule_group **gs, size_t ng, errlist *errs,
			 buf *b)
{
	const char *alertname = str(get(tc, "alertname"));
	yaml_node_t *ea = get(tc, "exp_alerts");
	size_t ne = seq_n(ea), n_got = 0, cap = 0;
	alertla *exp = fl_calloc(ne + 1, sizeof *exp), *got = NULL;
	for (size_t i = 0; i < ne; i++) {
		yaml_node_t *x = seq_at(ea, i);
		labels l = map_labels(get(x, "exp_labels"), &f->a);
		labels_builder lb;
		labels_builder_init(&lb);
		for (size_t k = 0; k < l.n; k++)
			labels_builder_set(&lb, l.v[k].name, l.v[k].value);
		labels_builder_set(&lb, "alertname", alertname);
		exp[i].ls = labels_copy(&f->a, labels_builder_labels(&lb));
		labels_builder_free(&lb);
		exp[i].ann = map_labels(get(x, "exp_annotations"), &f->a);
	}
	for (size_t g = 0; g < ng; g++)
		for (size_t r = 0; r < gs[g]->n_rules; r++) {
			rule *ru = &gs[g]->rules[r];
			if (!ru->alerting || strcmp(ru->name, alertname))
				continue;
			for (size_t k = 0; k < ru->n_active; k++) {
				if (ru->active[k].state != ALERT_FIRING)
					continue;
				if (n_got == cap) {
					cap = cap ? cap * 2 : 8;
					got = fl_realloc(got, cap * sizeof *got);
				}
				got[n_got].ls = labels_copy(&f->a, ru->active[k].labels);
				got[n_got].ann = labels_copy(&f->a, ru->active[k].annotations);
				n_got++;
			}
		}
	qsort(exp, ne, sizeof *exp, alertla_cmp);
	if (n_got)
		qsort(got, n_got, sizeof *got, alertla_cmp);
	bool ok = ne == n_got;
	for (size_t i = 0; ok && i < ne; i++)
		ok = labels_equal(exp[i].ls, got[i].ls) && labels_equal(exp[i].ann, got[i].ann);
	if (!ok) {
		if (gname && *gname)
			buf_printf(b, "    name: %s,\n", gname);
		buf_printf(b, "    alertname: %s, time: ", alertname);
		timeparse_format_duration(b, t);
		if (f->diff) {
			jv x = jd_alerts(exp, ne, &f->a), y = jd_alerts(got, n_got, &f->a);
			jctx c = {0};
			buf d;
			buf_init(&d);
			jd_diff(&c, &x, &y, &d);
			buf_put_str(b, ", \n        diff: ");
			indent_lines(b, buf_cstr(&d));
			buf_reset(&d);
		} else {
			buf_put_str(b, ", \n        exp:");
			alerts_string(b, exp, ne);
			buf_put_str(b, ", \n        got:");
			alerts_string(b, got, n_got);
		}
		adderr(errs, b);
	}
	fl_free(exp);
	fl_free(got);
}

typedef struct psample {
	labels ls;
	double v;
} psample;

static int psample_cmp(const void *x, const void *y) { return labels_compare(((const psample *)x)->ls, ((const psample *)y)->ls); }

static void samples_string(buf *b, const psample *v, size_t n)
{
	if (!n)
		buf_put_str(b, "nil");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put_str(b, ", ");
		labels_format(b, v[i].ls);
		buf_put_byte(b, ' ');
		go_float_E(b, v[i].v);
	}
}

/* A YAML float (.nan, .inf, -.inf as well as numbers); 0 when absent. */
static double yaml_float(const char *s)
{
	if (!s)
		return 0;
	const char *p = s + (*s == '-' || *s == '+');
	if (!strcasecmp(p, ".nan"))
		return NAN;
	if (!strcasecmp(p, ".inf"))
		return *s == '-' ? -INFINITY : INFINITY;
	return strtod(s, NULL);
}

static void expr_head(buf *b, const char *expr, int64_t t)
{
	buf_put_str(b, "    expr: ");
	fmt_go_quote(b, expr, strlen(expr));
	buf_put_str(b, ", time: ");
	timeparse_format_duration(b, t);
}

static void check_expr(tfile *f, yaml_node_t *tc, int64_t mint, promql_engine *eng, queryable *q, errlist *errs, buf *b)
{
	const char *expr = str(get(tc, "expr"));
	int64_t t;
	dur(get(tc, "eval_time"), &t);
	if (!expr)
		expr = "";
	promql_result r;
	err e;
	err_clear(&e);
	int rc = promql_query_instant(eng, q, expr, mint + t, NULL, &r, &e);
	if (!rc && r.type != PT_VECTOR && r.type != PT_SCALAR) {
		rc = -1;
		snprintf(e.msg, sizeof e.msg, "rule result is not a vector or scalar");
	}
	if (rc) {
		expr_head(b, expr, t);
		buf_printf(b, ", err: %s", e.msg);
		adderr(errs, b);
		promql_result_free(&r);
		return;
	}
	size_t n_got = r.type == PT_SCALAR ? 1 : r.n_series;
	psample *got = fl_calloc(n_got + 1, sizeof *got);
	if (r.type == PT_SCALAR)
		got[0].v = r.scalar;
	for (size_t i = 0; r.type == PT_VECTOR && i < r.n_series; i++) {
		got[i].ls = labels_copy(&f->a, r.series[i].metric);
		got[i].v = r.series[i].samples[0].v;
	}
	promql_result_free(&r);
	yaml_node_t *es = get(tc, "exp_samples");
	size_t ne = seq_n(es);
	psample *exp = fl_calloc(ne + 1, sizeof *exp);
	for (size_t i = 0; i < ne; i++) {
		yaml_node_t *x = seq_at(es, i);
		const char *ls = str(get(x, "labels")), *vs = str(get(x, "value")), *hs = str(get(x, "histogram"));
		bool ok = !ls || !*ls || promqltest_parse_series(ls, &f->a, &exp[i].ls);
		if (!ok || (hs && *hs)) {
			expr_head(b, expr, t);
			buf_printf(b, ", err: labels \"%s\": ", ls ? ls : "");
			if (ok)
				buf_put_str(b, "native histograms are not supported");
			else
				selector_error(b, ls, &f->a);
			adderr(errs, b);
			fl_free(got);
			fl_free(exp);
			return;
		}
		exp[i].v = yaml_float(vs);
	}
	qsort(exp, ne, sizeof *exp, psample_cmp);
	qsort(got, n_got, sizeof *got, psample_cmp);
	bool ok = ne == n_got;
	for (size_t i = 0; ok && i < ne; i++)
		ok = labels_equal(exp[i].ls, got[i].ls) && float_eq(f, exp[i].v, got[i].v);
	if (!ok) {
		expr_head(b, expr, t);
		buf_put_str(b, ",\n        exp: ");
		samples_string(b, exp, ne);
		buf_put_str(b, "\n        got: ");
		samples_string(b, got, n_got);
		adderr(errs, b);
	}
	fl_free(got);
	fl_free(exp);
}

typedef struct gsort {
	rule_group *g;
	int rank;
	size_t idx;
} gsort;

static int gsort_cmp(const void *x, const void *y)
{
	const gsort *a = x, *b = y;
	return a->rank != b->rank ? (a->rank < b->rank ? -1 : 1) : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

static int64_t max_eval_time(yaml_node_t *tg)
{
	int64_t m = 0, t;
	yaml_node_t *lists[2] = {get(tg, "alert_rule_test"), get(tg, "promql_expr_test")};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < seq_n(lists[k]); i++)
			if (dur(get(seq_at(lists[k], i), "eval_time"), &t) && t > m)
				m = t;
	return m;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* --debug: all data at the last eval_time rounded up to a second, as
 * `{__name__=~".+"}[T]` at start + T (promql.Matrix's String()). */
static void debug_dump(yaml_node_t *tg, int64_t mint, promql_engine *eng, queryable *q)
{
	int64_t ts = (max_eval_time(tg) + 1000) / 1000 * 1000;
	buf d, x;
	buf_init(&d), buf_init(&x);
	go_duration(&d, ts);
	buf_printf(&x, "{__name__=~\".+\"}[%s]", buf_cstr(&d));
	promql_result r;
	err e;
	err_clear(&e);
	if (promql_query_instant(eng, q, buf_cstr(&x), mint + ts, NULL, &r, &e)) {
		fprintf(stderr, "DEBUG: Failed query exec, expr: \"%s\", err: %s\n", buf_cstr(&x), e.msg);
	} else {
		fprintf(stderr, "DEBUG: Dump of all data (input_series and rules) at %s:\n", buf_cstr(&d));
		buf out;
		buf_init(&out);
		for (size_t i = 0; i < r.n_series; i++) {
			if (i)
				buf_put_byte(&out, '\n');
			labels_format(&out, r.series[i].metric);
			buf_put_str(&out, " =>");
			for (size_t k = 0; k < r.series[i].n; k++) {
				char v[FMT_FLOAT_F_MAX];
				fmt_go_f(v, r.series[i].samples[k].v);
				buf_printf(&out, "\n%s @[%lld]", v, (long long)r.series[i].samples[k].t);
			}
		}
		fprintf(stderr, "%s\n", buf_cstr(&out));
		buf_reset(&out);
	}
	promql_result_free(&r);
	buf_reset(&d), buf_reset(&x);
}

static void run_group_body(tfile *f, yaml_node_t *tg, const topts *o, errlist *errs);

/* One test group; rerrs (the rule files' load errors) stand for its run
 * when there are any, as LoadGroups fails inside each group's test. */
static void run_group(tfile *f, yaml_node_t *tg, const char *testname, const topts *o, const errlist *rerrs,
		      errlist *errs)
{
	struct timespec t0, t1;
	if (o->debug) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fprintf(stderr, "DEBUG: Starting test %s\n", testname);
	}
	if (rerrs->n) {
		buf b;
		buf_init(&b);
		for (size_t k = 0; k < rerrs->n; k++) {
			buf_put_str(&b, rerrs->v[k]);
			adderr(errs, &b);
		}
		buf_reset(&b);
	} else {
		run_group_body(f, tg, o, errs);
	}
	if (o->debug) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		buf d;
		buf_init(&d);
		godur_format(&d, (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
		fprintf(stderr, "DEBUG: Test %s finished, took %s\n", testname, buf_cstr(&d));
		buf_reset(&d);
	}
}

static void run_group_body(tfile *f, yaml_node_t *tg, const topts *o, errlist *errs)
{
	buf b;
	buf_init(&b);
	const char *gname = str(get(tg, "name"));
	int64_t interval, mint = 0;
	if (!dur(get(tg, "interval"), &interval) || interval < 0) {
		buf_printf(&b, "not a valid duration string: \"%s\"", str(get(tg, "interval")));
		adderr(errs, &b);
		buf_reset(&b);
		return;
	}
	if (!interval)
		interval = f->eval_interval;
	const char *st = str(get(tg, "start_timestamp"));
	err e;
	err_clear(&e);
	if (st && *st && timeparse_time(st, &mint, &e)) {
		buf_put_str(&b, e.msg);
		adderr(errs, &b);
		buf_reset(&b);
		return;
	}
	/* input series */
	yaml_node_t *is = get(tg, "input_series");
	size_t n_in = seq_n(is);
	inseries *in = fl_calloc(n_in + 1, sizeof *in);
	bool ok = true;
	for (size_t i = 0; ok && i < n_in; i++) {
		yaml_node_t *s = seq_at(is, i);
		const char *sel = str(get(s, "series")), *vals = str(get(s, "values"));
		if (!sel || !promqltest_parse_series(sel, &f->a, &in[i].ls)) {
			char *line = fl_malloc(strlen(sel ? sel : "") + strlen(vals ? vals : "") + 2);
			if (line) {
				sprintf(line, "%s %s", sel ? sel : "", vals ? vals : "");
				selector_error(&b, line, &f->a);
			}
			fl_free(line);
			ok = false;
		} else if (!promqltest_parse_values(vals ? vals : "", &in[i].v, &in[i].miss, &in[i].n)) {
			buf_printf(&b, "parse error: invalid values for series %s: %s", sel, vals ? vals : "");
			ok = false;
		}
	}
	head_opts ho = {0};
	ho.chunk_range_ms = 10LL * 365 * 24 * 3600 * 1000;
	head *h = ok ? head_open(&ho, &e) : NULL;
	if (ok && !h) {
		buf_put_str(&b, e.msg);
		ok = false;
	}
	if (!ok)
		adderr(errs, &b);
	promql_engine *eng = NULL;
	rules_opts ro;
	rules_opts_default(&ro);
	gsort *gs = NULL;
	rule_group **grp = NULL;
	size_t ng = 0;
	if (ok) {
		promql_engine_opts eo;
		promql_engine_opts_default(&eo);
		eng = promql_engine_new(&eo);
		ro.engine = eng;
		ro.queryable = head_queryable(h);
		ro.appender = head_app;
		ro.appender_ctx = h;
		ro.external_labels = map_labels(get(tg, "external_labels"), &f->a);
		ro.external_url = str(get(tg, "external_url"));
		if (!ro.external_url)
			ro.external_url = "";
		size_t total = 0;
		for (size_t i = 0; i < f->n_rf; i++)
			total += f->rf[i]->n_groups;
		gs = fl_calloc(total + 1, sizeof *gs);
		grp = fl_calloc(total + 1, sizeof *grp);
		for (size_t i = 0; ok && i < f->n_rf; i++)
			for (size_t k = 0; ok && k < f->rf[i]->n_groups; k++) {
				rule_group *g = rule_group_new(&f->rf[i]->groups[k], f->rf[i]->path, interval, 0, true, &ro, &e);
				if (!g) {
					buf_put_str(&b, e.msg);
					adderr(errs, &b);
					ok = false;
					break;
				}
				gs[ng].g = g;
				gs[ng].rank = group_rank(f, g->name);
				gs[ng].idx = ng;
				ng++;
			}
		qsort(gs, ng, sizeof *gs, gsort_cmp);
		for (size_t i = 0; i < ng; i++)
			grp[i] = gs[i].g;
	}
	/* alert test times, sorted and unique */
	yaml_node_t *at = get(tg, "alert_rule_test");
	size_t n_at = seq_n(at), n_times = 0;
	int64_t *times = fl_calloc(n_at + 1, sizeof *times);
	for (size_t i = 0; ok && i < n_at; i++) {
		yaml_node_t *x = seq_at(at, i);
		int64_t t;
		dur(get(x, "eval_time"), &t);
		const char *an = str(get(x, "alertname"));
		if (!an || !*an) {
			buf_put_str(&b, "an item under alert_rule_test misses required attribute alertname at eval_time ");
			timeparse_format_duration(&b, t);
			if (gname && *gname)
				buf_printf(&b, " (in TestGroup %s)", gname);
			adderr(errs, &b);
			ok = false;
			break;
		}
		bool seen = false;
		for (size_t k = 0; k < n_times; k++)
			seen |= times[k] == t;
		if (!seen)
			times[n_times++] = t;
	}
	qsort(times, n_times, sizeof *times, cmp_i64);
	size_t curr = 0;
	int64_t maxt = mint + max_eval_time(tg);
	for (int64_t ts = mint; ok && ts <= maxt; ts += f->eval_interval) {
		samples_till(h, in, n_in, mint, interval, ts);
		bool rule_err = false;
		for (size_t g = 0; g < ng; g++) {
			rule_group_eval(grp[g], ts);
			for (size_t r = 0; r < grp[g]->n_rules; r++)
				if (grp[g]->rules[r].health == RULE_HEALTH_ERR && grp[g]->rules[r].last_error) {
					buf_printf(&b, "    rule: %s, time: ", grp[g]->rules[r].name);
					go_duration(&b, ts);
					buf_printf(&b, ", err: %s", grp[g]->rules[r].last_error);
					adderr(errs, &b);
					rule_err = true;
				}
		}
		if (rule_err) {
			ok = false;
			break;
		}
		for (; curr < n_times && ts - mint <= times[curr] && times[curr] < ts + f->eval_interval - mint; curr++)
			for (size_t i = 0; i < n_at; i++) {
				yaml_node_t *x = seq_at(at, i);
				int64_t t;
				dur(get(x, "eval_time"), &t);
				if (t == times[curr])
					check_alerts(f, x, gname, t, grp, ng, errs, &b);
			}
	}
	yaml_node_t *pt = get(tg, "promql_expr_test");
	for (size_t i = 0; ok && i < seq_n(pt); i++)
		check_expr(f, seq_at(pt, i), mint, eng, ro.queryable, errs, &b);
	if (ok && o->debug)
		debug_dump(tg, mint, eng, ro.queryable);
	for (size_t g = 0; g < ng; g++)
		rule_group_free(grp[g]);
	fl_free(gs);
	fl_free(grp);
	fl_free(times);
	if (eng)
		promql_engine_free(eng);
	if (h)
		head_close(h);
	for (size_t i = 0; i < n_in; i++) {
		fl_free(in[i].v);
		fl_free(in[i].miss);
	}
	fl_free(in);
	buf_reset(&b);
}

/* ---- a file ---- */
static bool run_selected(pcre2_code *re, const char *name)
{
	if (!re)
		return true;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* filepath.Join(dir, rel) for the common cases. */
static void join_path(char *out, size_t cap, const char *dir, const char *rel)
{
	if (rel[0] == '/' || !strcmp(dir, "."))
		snprintf(out, cap, "%s", rel);
	else
		snprintf(out, cap, "%s/%s", dir, rel);
}

/* The last error as the suite's abort (ts.Abort). */
static void abort_last(const topts *o, const errlist *errs)
{
	if (errs->n)
		junit_abort(o->js, errs->v[errs->n - 1]);
}

static void run_file_errs(const char *path, pcre2_code *run, bool lax, const topts *o, errlist *errs)
{
	tfile f;
	memset(&f, 0, sizeof f);
	arena_init(&f.a);
	f.diff = o->diff;
	buf b, tb;
	buf_init(&b);
	buf_init(&tb);
	err e;
	if (buf_read_file(&tb, path, &e)) {
		buf_put_str(&b, e.msg);
		adderr(errs, &b);
		abort_last(o, errs);
		buf_reset(&b);
		buf_reset(&tb);
		return;
	}
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, tb.p, tb.len);
	if (!yaml_parser_load(&p, &doc)) {
		buf_printf(&b, "yaml: line %zu: %s", p.problem_mark.line + 1, p.problem ? p.problem : "error");
		adderr(errs, &b);
		abort_last(o, errs);
		yaml_parser_delete(&p);
		buf_reset(&b);
		buf_reset(&tb);
		return;
	}
	ydoc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	buf_put_str(&b, "yaml: unmarshal errors:");
	size_t l0 = b.len;
	check_file_keys(root, &b);
	bool ok = b.len == l0;
	if (!ok)
		adderr(errs, &b);
	buf_clear(&b);
	if (ok && (!dur(get(root, "evaluation_interval"), &f.eval_interval) || f.eval_interval < 0)) {
		buf_printf(&b, "not a valid duration string: \"%s\"", str(get(root, "evaluation_interval")));
		adderr(errs, &b);
		ok = false;
	}
	if (!f.eval_interval)
		f.eval_interval = 60000;
	if (ok)
		junit_settime(o->js);
	const char *fz = str(get(root, "fuzzy_compare"));
	f.fuzzy = fz && !strcmp(fz, "true");
	f.order = get(root, "group_eval_order");
	for (size_t i = 0; ok && i < seq_n(f.order); i++)
		for (size_t k = 0; k < i; k++)
			if (str(seq_at(f.order, i)) && str(seq_at(f.order, k)) && !strcmp(str(seq_at(f.order, i)), str(seq_at(f.order, k)))) {
				buf_printf(&b, "group name repeated in evaluation order: %s", str(seq_at(f.order, i)));
				adderr(errs, &b);
				ok = false;
				break;
			}
	if (!ok)
		abort_last(o, errs);
	char *dir = fl_strdup(path), *sl = strrchr(dir, '/');
	if (sl)
		*(sl == dir ? sl + 1 : sl) = 0;
	else
		strcpy(dir, ".");
	yaml_node_t *rfs = get(root, "rule_files");
	errlist rerrs = {0}; /* rule files' errors: LoadGroups gives them in every test group */
	for (size_t i = 0; ok && i < seq_n(rfs); i++) {
		const char *rp = str(seq_at(rfs, i));
		char full[4096];
		join_path(full, sizeof full, dir, rp ? rp : "");
		glob_t gl;
		memset(&gl, 0, sizeof gl);
		if (glob(full, 0, NULL, &gl) || !gl.gl_pathc) {
			fprintf(stderr, "  WARNING: no file match pattern %s\n", full);
			globfree(&gl);
			continue;
		}
		for (size_t g = 0; g < gl.gl_pathc; g++) {
			rule_errors re = {0};
			rule_file *r = rule_file_load_opts(gl.gl_pathv[g], lax, &re, &e);
			if (!r) {
				for (size_t k = 0; k < re.n; k++) {
					buf_put_str(&b, re.msgs[k]);
					adderr(&rerrs, &b);
				}
				if (!re.n) {
					buf_put_str(&b, e.msg);
					adderr(&rerrs, &b);
				}
			} else {
				rule_file **nrf = fl_realloc(f.rf, (f.n_rf + 1) * sizeof *nrf);
				if (nrf) {
					f.rf = nrf;
					f.rf[f.n_rf++] = r;
				} else {
					rule_file_free(r);
				}
			}
			rule_errors_free(&re);
		}
		globfree(&gl);
	}
	yaml_node_t *tests = get(root, "tests");
	for (size_t i = 0; ok && i < seq_n(tests); i++) {
		yaml_node_t *tg = seq_at(tests, i);
		const char *name = str(get(tg, "name"));
		if (!run_selected(run, name ? name : ""))
			continue;
		char tn[64];
		snprintf(tn, sizeof tn, "unnamed#%zu", i);
		const char *testname = name && *name ? name : tn;
		junit_case(o->js, testname);
		size_t before = errs->n;
		run_group(&f, tg, testname, o, &rerrs, errs);
		for (size_t k = before; k < errs->n; k++)
			junit_fail(o->js, errs->v[k]);
	}
	for (size_t k = 0; k < rerrs.n; k++)
		fl_free(rerrs.v[k]);
	fl_free(rerrs.v);
	for (size_t i = 0; i < f.n_rf; i++)
		rule_file_free(f.rf[i]);
	fl_free(f.rf);
	fl_free(dir);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	ydoc = NULL;
	buf_reset(&b);
	buf_reset(&tb);
	arena_reset(&f.a);
}

const cli_flag flinttool_test_rules_flags[] = {
	{"run", 0, "RUN", "If set, will only run test groups whose names match the regular expression. Can be "
	 "specified multiple times.", NULL, CLI_REPEAT},
	{"debug", 0, NULL, "Enable unit test debugging.", "false", 0},
	{"diff", 0, NULL, "[Experimental] Print colored differential output between expected & received output.",
	 "false", 0},
	{"ignore-unknown-fields", 0, NULL, "Ignore unknown fields in the test files. This is useful when you want to "
	 "extend rule files with custom metadata. Ensure that those fields are removed before loading them into the "
	 "Prometheus server as it performs strict checks by default.", "false", 0},
	{0},
};

const cli_arg flinttool_test_rules_args[] = {
	{"test-rule-file", "The unit test file.", CLI_REQUIRED | CLI_REPEAT},
	{0},
};

int flinttool_test_rules(const cli_ctx *c)
{
	buf pat;
	buf_init(&pat);
	bool lax = cli_bool(c, "ignore-unknown-fields");
	int rc = 0;
	size_t n_run, n_files;
	const char *const *runs = cli_strs(c, "run", &n_run);
	const char *const *files = cli_args(c, "test-rule-file", &n_files);
	if (flinttool_existing_files(files, n_files)) {
		buf_reset(&pat);
		return 1;
	}
	bool have_run = n_run > 0;
	for (size_t k = 0; k < n_run; k++)
		buf_printf(&pat, "%s%s", k ? "|" : "", runs[k]);
	pcre2_code *re = NULL;
	if (have_run) {
		int ec;
		PCRE2_SIZE eo;
		re = pcre2_compile((PCRE2_SPTR)buf_cstr(&pat), PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
		if (!re) {
			fprintf(stderr, "flinttool: error: --run: invalid regexp \"%s\"\n", buf_cstr(&pat));
			buf_reset(&pat);
			return 2;
		}
	}
	buf_reset(&pat);
	FILE *jf = NULL; /* test's --junit (kingpin opens it while parsing) */
	const char *jpath = cli_str(c, "junit");
	if (jpath && !(jf = fopen(jpath, "w"))) {
		const char *why = flinttool_go_strerror(errno);
		pcre2_code_free(re);
		return cli_usage_error("open %s: %s", jpath, why);
	}
	junit ju = {0};
	topts o = {.debug = cli_bool(c, "debug"), .diff = cli_bool(c, "diff")};
	log_set_level((enum log_level)(LOG_ERROR + 1)); /* promtool's rules log to a NopLogger */
	for (size_t i = 0; i < n_files; i++) {
		printf("Unit Testing:  %s\n", files[i]);
		fflush(stdout);
		errlist errs = {0};
		o.js = junit_suite(&ju, files[i]);
		run_file_errs(files[i], re, lax, &o, &errs);
		if (errs.n) {
			fprintf(stderr, "  FAILED:\n");
			for (size_t k = 0; k < errs.n; k++) {
				fprintf(stderr, "%s\n", errs.v[k]);
				fflush(stderr);
				printf("\n");
				fflush(stdout);
				fl_free(errs.v[k]);
			}
			rc = 1;
		} else {
			printf("  SUCCESS\n");
		}
		fl_free(errs.v);
		printf("\n");
		fflush(stdout);
	}
	if (jf) {
		junit_write(&ju, jf);
		if (fclose(jf))
			fprintf(stderr, "failed to write JUnit XML: %s\n", strerror(errno));
	}
	junit_free(&ju);
	pcre2_code_free(re);
	return rc;
}

const cli_flag flinttool_test_flags[] = {
	{"junit", 0, "JUNIT", "File path to store JUnit XML test results.", NULL, 0},
	{0},
};
