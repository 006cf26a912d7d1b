/*
 * backfill.c - recording-rule backfill (backfill.h), promtool 2.42's
 * ruleImporter: load the groups, then for each rule and each block window
 * one query_range, decoded straight into a fresh head that becomes a block.
 *
 * The answer is read with the JSON pull reader as client_golang's model
 * types read it: "metric" a map (a repeated name keeps its last value),
 * "values" pairs of a number timestamp (seconds with up to 3 decimals,
 * further digits ignored: model.Time) and a quoted float string
 * (model.SampleValue), anything else skipped.
 */
#include "rules/backfill.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/fmtfloat.h"
#include "lib/jsonr.h"
#include "rules/group.h"
#include "rules/rulefile.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/storage.h"

#define DEFAULT_BLOCK_MS (2 * 3600 * 1000LL) /* tsdb.DefaultBlockDuration */
#define MAX_SAMPLES_IN_MEMORY 5000           /* promtool's maxSamplesInMemory */

/* ---- decoding the answer ---- */

typedef struct dec {
	jsonr r;
	buf key, sval;
	labels_builder lb;
	int64_t *t;
	double *v;
	size_t n, cap;
	rules_backfill_series_fn fn;
	void *ctx;
	err *e;
	int cb_rc;               /* the callback's error */
} dec;

/* model.Time.UnmarshalJSON: "S[.FFF...]" to ms. */
static bool parse_ts(const char *s, size_t n, int64_t *ms)
{
	bool neg = n && s[0] == '-';
	size_t i = neg;
	int64_t sec = 0;
	if (i == n)
		return false;
	for (; i < n && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9' || sec > (INT64_MAX / 1000 - 9) / 10)
			return false;
		sec = sec * 10 + (s[i] - '0');
	}
	int64_t frac = 0;
	if (i < n) {
		size_t k = 0;
		for (i++; i < n; i++, k++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			if (k < 3)
				frac = frac * 10 + (s[i] - '0');
		}
		for (; k < 3; k++)
			frac *= 10;
	}
	*ms = neg ? -(sec * 1000 + frac) : sec * 1000 + frac;
	return true;
}

/* strconv.ParseFloat's accepted forms ("NaN", "+Inf", "1e3", ...). */
static bool parse_value(const char *s, double *v)
{
	if (!*s || *s == ' ' || *s == '\t' || *s == '\n')
		return false;
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	if (*end)
		return false;
	return !(errno == ERANGE && isinf(*v)); /* overflow is ErrRange; underflow is not */
}

static bool push_sample(dec *d, int64_t t, double v)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		int64_t *nt = fl_realloc(d->t, cap * sizeof *nt);
		if (nt)
			d->t = nt;
		double *nv = nt ? fl_realloc(d->v, cap * sizeof *nv) : NULL;
		if (!nv)
			return false;
		d->v = nv, d->cap = cap;
	}
	d->t[d->n] = t, d->v[d->n] = v, d->n++;
	return true;
}

static void read_values(dec *d)
{
	jsonr *r = &d->r;
	if (jsonr_null(r) || !jsonr_arr_begin(r))
		return;
	while (jsonr_arr_next(r) == 1) {
		const char *s;
		size_t n;
		int64_t t;
		double v;
		if (!jsonr_arr_begin(r) || jsonr_arr_next(r) != 1)
			break;
		if (jsonr_peek(r) != JSONR_NUM || !jsonr_num(r, &s, &n) || !parse_ts(s, n, &t)) {
			jsonr_fail(r, "sample timestamp must be a number");
			break;
		}
		if (jsonr_arr_next(r) != 1)
			break;
		if (jsonr_peek(r) != JSONR_STR) {
			jsonr_fail(r, "sample value must be a quoted string");
			break;
		}
		jsonr_str(r, &d->sval);
		if (!parse_value(buf_cstr(&d->sval), &v)) {
			jsonr_fail(r, "strconv.ParseFloat: parsing %.60s: invalid syntax", buf_cstr(&d->sval));
			break;
		}
		if (jsonr_arr_next(r) != 0) {
			jsonr_fail(r, "a sample pair has more than two elements");
			break;
		}
		if (!push_sample(d, t, v))
			jsonr_fail(r, "out of memory");
	}
}

/* The metric's pairs go to d->lb, whose strings live in the arena. */
static void read_metric(dec *d, arena *a)
{
	jsonr *r = &d->r;
	if (jsonr_null(r) || !jsonr_obj_begin(r))
		return;
	while (jsonr_obj_key(r, &d->key) == 1) {
		if (!jsonr_str(r, &d->sval))
			break;
		char *name = arena_strdup(a, buf_cstr(&d->key)), *value = arena_strdup(a, buf_cstr(&d->sval));
		if (!name || !value) {
			jsonr_fail(r, "out of memory");
			break;
		}
		labels_builder_set(&d->lb, name, value);
	}
}

static void read_series(dec *d)
{
	jsonr *r = &d->r;
	arena a;
	arena_init(&a);
	labels_builder_reset(&d->lb, (labels){NULL, 0});
	d->n = 0;
	if (!jsonr_obj_begin(r)) {
		arena_reset(&a);
		return;
	}
	while (jsonr_obj_key(r, &d->key) == 1) {
		const char *k = buf_cstr(&d->key);
		if (!strcmp(k, "metric"))
			read_metric(d, &a);
		else if (!strcmp(k, "values"))
			read_values(d);
		else
			jsonr_skip(r);
	}
	if (!r->err && d->lb.oom)
		jsonr_fail(r, "out of memory");
	if (!r->err && !d->cb_rc) {
		d->cb_rc = d->fn(d->ctx, labels_builder_labels(&d->lb), d->t, d->v, d->n, d->e);
		if (d->cb_rc)
			r->p = r->end, r->err = d->cb_rc;
	}
	arena_reset(&a);
}

/* "data": {"resultType": ..., "result": [...]}; *type gets the type. */
static void read_data(dec *d, buf *type)
{
	jsonr *r = &d->r;
	if (jsonr_null(r) || !jsonr_obj_begin(r))
		return;
	while (jsonr_obj_key(r, &d->key) == 1) {
		const char *k = buf_cstr(&d->key);
		if (!strcmp(k, "resultType")) {
			jsonr_str(r, type);
		} else if (!strcmp(k, "result") && !strcmp(buf_cstr(type), "matrix")) {
			if (jsonr_null(r))
				continue;
			if (!jsonr_arr_begin(r))
				break;
			while (jsonr_arr_next(r) == 1)
				read_series(d);
		} else if (!strcmp(k, "result") && !type->len) {
			jsonr_fail(r, "unexpected value type \"\"");
		} else {
			jsonr_skip(r);
		}
	}
}

/* client_golang's apiError: codes whose body carries the API's error. */
static bool api_error_code(long status) { return status == 400 || status == 422; }

int rules_backfill_decode(const char *body, size_t len, long status, rules_backfill_series_fn fn, void *ctx,
			  err *e)
{
	if (status / 100 != 2 && !api_error_code(status)) {
		if (status / 100 == 5)
			return err_set(e, FL_EUNAVAILABLE, "server_error: server error: %ld", status);
		return err_set(e, FL_EINVAL, "client_error: client error: %ld", status);
	}
	dec d = {.fn = fn, .ctx = ctx, .e = e};
	buf status_s, etype, emsg, type;
	buf_init(&status_s), buf_init(&etype), buf_init(&emsg), buf_init(&type);
	buf_init(&d.key), buf_init(&d.sval);
	labels_builder_init(&d.lb);
	jsonr *r = &d.r;
	jsonr_init(r, body, len);
	if (jsonr_obj_begin(r)) {
		while (jsonr_obj_key(r, &d.key) == 1) {
			const char *k = buf_cstr(&d.key);
			if (!strcmp(k, "status"))
				jsonr_str(r, &status_s);
			else if (!strcmp(k, "errorType"))
				jsonr_str(r, &etype);
			else if (!strcmp(k, "error"))
				jsonr_str(r, &emsg);
			else if (!strcmp(k, "data"))
				read_data(&d, &type);
			else
				jsonr_skip(r);
		}
		jsonr_end(r);
	}
	int rc = 0;
	if (d.cb_rc)
		rc = d.cb_rc;
	else if (r->err)
		rc = err_set(e, FL_EPARSE, "bad_response: %s", r->msg);
	else if (!strcmp(buf_cstr(&status_s), "error"))
		rc = err_set(e, FL_EINVAL, "%s: %s", buf_cstr(&etype), buf_cstr(&emsg));
	else if (api_error_code(status))
		rc = err_set(e, FL_EPARSE, "bad_response: inconsistent body for response code");
	else if (type.len && strcmp(buf_cstr(&type), "matrix"))
		rc = err_set(e, FL_EUNSUPPORTED, "rule result is wrong type %s", buf_cstr(&type));
	buf_reset(&status_s), buf_reset(&etype), buf_reset(&emsg), buf_reset(&type);
	buf_reset(&d.key), buf_reset(&d.sval);
	labels_builder_free(&d.lb);
	fl_free(d.t);
	fl_free(d.v);
	return rc;
}

/* ---- writing blocks ---- */

/* promtool's getCompatibleBlockDuration: 2h, or the largest of 2h, 6h,
 * 18h, ... (x3, ten ranges) not above a larger max. */
static int64_t block_duration(int64_t max_ms)
{
	int64_t best = DEFAULT_BLOCK_MS;
	if (max_ms > DEFAULT_BLOCK_MS)
		for (int64_t i = 0, r = DEFAULT_BLOCK_MS; i < 10 && r <= max_ms; i++, r *= 3)
			best = r;
	return best;
}

/* One window's head and its multipleAppender. */
typedef struct sink {
	head *h;
	appender *app;
	size_t pending;          /* samples since the last commit */
	const char *name;        /* the rule's */
	labels group_labels;     /* set over the query's labels, then */
	labels rule_labels;      /* these ("" deletes), then __name__ */
	labels_builder lb;
	bool failed;             /* an append or commit failed (not the answer) */
} sink;

static int sink_commit(sink *s, err *e)
{
	if (!s->pending)
		return 0;
	int rc = appender_commit(s->app, e);
	s->app = rc ? NULL : head_appender(s->h);
	s->pending = 0;
	if (rc)
		return err_wrap(e, "multiappender commit");
	return s->app ? 0 : err_set(e, FL_ENOMEM, "out of memory");
}

static int sink_series(void *ctx, labels ls, const int64_t *t, const double *v, size_t n, err *e)
{
	sink *s = ctx;
	s->failed = true; /* until the series is in */
	labels_builder_reset(&s->lb, ls);
	for (size_t i = 0; i < s->group_labels.n; i++)
		labels_builder_set(&s->lb, s->group_labels.v[i].name, s->group_labels.v[i].value);
	for (size_t i = 0; i < s->rule_labels.n; i++)
		labels_builder_set(&s->lb, s->rule_labels.v[i].name, s->rule_labels.v[i].value);
	labels_builder_set(&s->lb, LABEL_NAME, s->name);
	if (s->lb.oom)
		return err_set(e, FL_ENOMEM, "out of memory");
	labels out = labels_builder_labels(&s->lb);
	series_ref ref = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = appender_append(s->app, ref, out, t[i], v[i], &ref, e);
		if (rc)
			return err_wrap(e, "add: multiappender append");
		if (++s->pending >= MAX_SAMPLES_IN_MEMORY && (rc = sink_commit(s, e)) != 0)
			return err_wrap(e, "add");
	}
	s->failed = false;
	return 0;
}

/* The answer of one window into one block under o->out_dir. */
static int write_window(const rules_backfill_opts *o, const rule *rl, labels group_labels, labels rule_labels,
			int64_t bd, const buf *body, long status, err *e)
{
	head_opts ho = {.chunk_range_ms = 2 * bd, .n_stripes = 64};
	sink s = {.name = rl->name, .group_labels = group_labels, .rule_labels = rule_labels};
	s.h = head_open(&ho, e);
	if (!s.h)
		return err_wrap(e, "new block writer");
	labels_builder_init(&s.lb);
	s.app = head_appender(s.h);
	int rc = s.app ? 0 : err_set(e, FL_ENOMEM, "out of memory");
	if (rc == 0) {
		rc = rules_backfill_decode((const char *)body->p, body->len, status, sink_series, &s, e);
		if (rc && !s.failed && rc != FL_EUNSUPPORTED) /* the client's errors: QueryRange's */
			err_wrap(e, "query range");
	}
	if (rc == 0 && s.pending)
		rc = sink_commit(&s, e) ? err_wrap(e, "flush and commit") : 0;
	if (rc == 0) {
		head_stats st;
		head_get_stats(s.h, &st);
		block_meta m;
		if (st.max_time >= st.min_time) {
			rc = block_write_head(s.h, o->out_dir, st.min_time, st.max_time + 1, &m, e);
			if (rc == FL_ENOTFOUND)
				rc = 0;
			else if (rc)
				err_wrap(e, "flush and commit: multiappender flush");
		}
	}
	if (s.app)
		appender_rollback(s.app);
	labels_builder_free(&s.lb);
	head_close(s.h);
	return rc;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* importRule: every window of one rule. */
static int import_rule(const rules_backfill_opts *o, const rule_group *g, const rule *rl, const rule_group_def *gd,
		       const rule_def *rd, err *e)
{
	int64_t bd = block_duration(o->max_block_ms);
	int64_t start_s = floor_div(o->start_ms, 1000), end_s = floor_div(o->end_ms, 1000);
	int64_t interval_ns = g->interval_ms * 1000000;
	buf body;
	buf_init(&body);
	int rc = 0;
	for (int64_t sob = bd * ((start_s * 1000) / bd); sob <= end_s * 1000 && rc == 0; sob += bd) {
		int64_t eob = sob + bd - 1;
		int64_t cur = FL_MAX(sob / 1000, start_s);
		int64_t at_ns = rule_group_eval_timestamp_ns(g, cur * 1000000000);
		for (int guard = 0; floor_div(at_ns, 1000000000) < cur && interval_ns > 0 && guard < 1000000; guard++)
			at_ns += interval_ns;
		int64_t win_end = FL_MIN(eob / 1000, end_s);
		if (win_end * 1000000000 < at_ns)
			break;
		long status = 0;
		buf_clear(&body);
		rc = o->query(o->query_ctx, rl->expr, at_ns, win_end, g->interval_ms, &body, &status, e);
		if (rc) {
			err_wrap(e, "query range");
			break;
		}
		rc = write_window(o, rl, gd->labels, rd->labels, bd, &body, status, e);
	}
	buf_reset(&body);
	return rc;
}

/* ---- promtool's log lines ---- */

/* go-kit's logfmt value: quoted (strconv-style) when it holds a space,
 * '=', '"' or a control character, or is empty. */
static void logfmt_value(buf *b, const char *v)
{
	bool q = !*v;
	for (const char *p = v; *p && !q; p++)
		q = (unsigned char)*p <= ' ' || *p == '=' || *p == '"' || (unsigned char)*p == 0x7f;
	if (q)
		fmt_go_quote(b, v, strlen(v));
	else
		buf_put_str(b, v);
}

static void log_line(FILE *f, const char *level, const char *const *kv, size_t n)
{
	if (!f)
		return;
	buf b;
	buf_init(&b);
	buf_printf(&b, "level=%s", level);
	for (size_t i = 0; i + 1 < n; i += 2) {
		buf_printf(&b, " %s=", kv[i]);
		logfmt_value(&b, kv[i + 1]);
	}
	fprintf(f, "%s\n", buf_cstr(&b));
	buf_reset(&b);
}

/* time.RFC822 in UTC: "02 Jan 06 15:04 UTC". */
static void rfc822(char *out, size_t n, int64_t ms)
{
	time_t sec = (time_t)floor_div(ms, 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(out, n, "%d %b %y %H:%M UTC", &tm);
}

/* ---- the run ---- */

/* The loaded groups with their definitions (whose rule labels keep their
 * "" values: promtool sets them over the query's labels, deleting). */
typedef struct loaded {
	rule_file **files;
	size_t n_files;
	rule_group **groups;
	const rule_group_def **defs;
	size_t n, cap;
} loaded;

static void loaded_free(loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		rule_group_free(l->groups[i]);
	for (size_t i = 0; i < l->n_files; i++)
		rule_file_free(l->files[i]);
	fl_free(l->groups);
	fl_free(l->defs);
	fl_free(l->files);
}

static int loaded_add(loaded *l, rule_group *g, const rule_group_def *d, err *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		rule_group **ng = fl_realloc(l->groups, cap * sizeof *ng);
		if (ng)
			l->groups = ng;
		const rule_group_def **nd = ng ? fl_realloc(l->defs, cap * sizeof *nd) : NULL;
		if (!nd) {
			rule_group_free(g);
			return err_set(e, FL_ENOMEM, "out of memory");
		}
		l->defs = nd, l->cap = cap;
	}
	l->groups[l->n] = g, l->defs[l->n] = d, l->n++;
	return 0;
}

/* Every group of every file, in order (LoadGroups). */
static int load_groups(const rules_backfill_opts *o, const rules_opts *ro, const char *const *files,
		       size_t n_files, loaded *l, err *e)
{
	memset(l, 0, sizeof *l);
	l->files = n_files ? fl_calloc(n_files, sizeof *l->files) : NULL;
	if (n_files && !l->files)
		return err_set(e, FL_ENOMEM, "out of memory");
	for (size_t f = 0; f < n_files; f++) {
		rule_file *rf = rule_file_load(files[f], NULL, e);
		if (!rf)
			return e->code ? e->code : FL_EPARSE;
		l->files[l->n_files++] = rf;
		for (size_t i = 0; i < rf->n_groups; i++) {
			rule_group *g = rule_group_new(&rf->groups[i], files[f], o->eval_interval_ms, 0, true, ro, e);
			if (!g)
				return e->code ? e->code : FL_ENOMEM;
			if (loaded_add(l, g, &rf->groups[i], e))
				return e->code;
		}
	}
	return 0;
}

int rules_backfill(const rules_backfill_opts *o, const char *const *files, size_t n_files, err *e)
{
	char s1[40], s2[40];
	rfc822(s1, sizeof s1, o->start_ms);
	rfc822(s2, sizeof s2, o->end_ms);
	log_line(o->log, "info", (const char *[]){"backfiller", "new rule importer", "start", s1, "end", s2}, 6);
	rules_opts ro;
	rules_opts_default(&ro);
	loaded l;
	int rc = load_groups(o, &ro, files, n_files, &l, e);
	if (rc) {
		loaded_free(&l);
		return err_wrap(e, "rule importer parse error");
	}
	if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
		loaded_free(&l);
		return err_set(e, FL_EIO, "mkdir %s: %s", o->out_dir, strerror(errno));
	}
	size_t failed = 0;
	buf key, errs; /* errors print after every rule ran, as importAll returns them */
	buf_init(&key);
	buf_init(&errs);
	for (size_t i = 0; i < l.n; i++) {
		const rule_group *g = l.groups[i];
		buf_clear(&key);
		buf_printf(&key, "%s;%s", g->file, g->name);
		log_line(o->log, "info", (const char *[]){"backfiller", "processing group", "name", buf_cstr(&key)}, 4);
		for (size_t k = 0; k < g->n_rules; k++) {
			char id[24];
			snprintf(id, sizeof id, "%zu", k);
			log_line(o->log, "info",
				 (const char *[]){"backfiller", "processing rule", "id", id, "name", g->rules[k].name}, 6);
			err re;
			err_clear(&re);
			if (import_rule(o, g, &g->rules[k], l.defs[i], &l.defs[i]->rules[k], &re) != 0) {
				failed++;
				buf_printf(&errs, "rule importer error: %s\n", re.msg);
			}
		}
	}
	if (o->log && errs.len)
		fputs(buf_cstr(&errs), o->log);
	buf_reset(&key);
	buf_reset(&errs);
	loaded_free(&l);
	return failed ? err_set(e, FL_EEXEC, "error importing rules") : 0;
}
