/*
 * loop.c - one target's scrape: parse, label, limit, append, staleness,
 * report (see loop.h; Prometheus scrape/scrape.go scrapeLoop.append,
 * mutateSampleLabels, verifyLabelLimits, report, reportStale).
 *
 * The hot path for a steady target is: textparse_next, scrape_cache_get by
 * the series bytes (one xxhash of the bytes, no label hash, no relabeling),
 * appender_append with the cached ref. Only a series the cache does not know
 * builds labels.
 */
#include "scrape/loop.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "scrape/textparse.h"
#include "tsdb/relabel.h"

#define MAX_AHEAD_MS (10 * 60 * 1000) /* Prometheus's maxAheadTime */

int64_t scrape_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t scrape_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ctr_inc(_Atomic int64_t *c, const scrape_sink *s)
{
	if (s->ctr)
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}
#define CTR(s, field) ctr_inc((s)->ctr ? &(s)->ctr->field : NULL, s)

scrape_loop *scrape_loop_new(const scrape_target_def *t, const scrape_job_config *j)
{
	scrape_loop *l = fl_calloc(1, sizeof *l);
	if (!l)
		return NULL;
	arena_init(&l->a);
	arena_init(&l->scratch);
	scrape_cache_init(&l->cache);
	labels_builder_init(&l->lb);
	labels_builder_init(&l->rb);
	pthread_mutex_init(&l->st_mu, NULL);
	l->job = j;
	l->t = *t;
	l->t.labels = labels_copy(&l->a, t->labels);
	l->t.all = labels_copy(&l->a, t->all);
	l->t.discovered = labels_copy(&l->a, t->discovered);
	l->t.url = arena_strdup(&l->a, t->url ? t->url : "");
	if ((t->labels.n && !l->t.labels.v) || (t->all.n && !l->t.all.v) || (t->discovered.n && !l->t.discovered.v) ||
	    !l->t.url) {
		scrape_loop_free(l);
		return NULL;
	}
	return l;
}

void scrape_loop_free(scrape_loop *l)
{
	if (!l)
		return;
	scrape_cache_free(&l->cache);
	labels_builder_free(&l->lb);
	labels_builder_free(&l->rb);
	arena_reset(&l->scratch);
	arena_reset(&l->a);
	pthread_mutex_destroy(&l->st_mu);
	fl_free(l);
}

/* ---- labels of a new series ---- */

static int by_name_len(const void *a, const void *b)
{
	size_t x = strlen(((const label *)a)->name), y = strlen(((const label *)b)->name);
	return x < y ? -1 : x > y; /* qsort is not stable; equal lengths keep name order (input is sorted) */
}

/* Prometheus's mutateSampleLabels: target labels, then metric relabeling.
 * false: dropped. The result is in *out (valid until the next call). */
static bool mutate_sample(scrape_loop *l, labels ls, labels *out)
{
	labels tl = l->t.labels;
	labels_builder_reset(&l->lb, ls);
	if (l->job->honor_labels) {
		for (size_t i = 0; i < tl.n; i++)
			if (!labels_get(ls, tl.v[i].name))
				labels_builder_set(&l->lb, tl.v[i].name, tl.v[i].value);
	} else {
		label conflict[64], *cv = conflict;
		size_t nc = 0;
		if (tl.n > FL_ARRAY_LEN(conflict) && !(cv = arena_calloc(&l->scratch, tl.n, sizeof *cv)))
			return false;
		for (size_t i = 0; i < tl.n; i++) {
			const char *have = labels_get(ls, tl.v[i].name);
			if (have && *have)
				cv[nc++] = (label){tl.v[i].name, have};
			labels_builder_set(&l->lb, tl.v[i].name, tl.v[i].value);
		}
		if (nc > 1) {
			/* stable by length: insertion sort keeps name order on ties */
			for (size_t i = 1; i < nc; i++)
				for (size_t k = i; k > 0 && by_name_len(&cv[k - 1], &cv[k]) > 0; k--) {
					label x = cv[k];
					cv[k] = cv[k - 1];
					cv[k - 1] = x;
				}
		}
		for (size_t i = 0; i < nc; i++) {
			const char *name = cv[i].name;
			for (;;) {
				size_t n = strlen(name);
				char *nn = arena_alloc(&l->scratch, n + 10);
				if (!nn)
					return false;
				memcpy(nn, "exported_", 9);
				memcpy(nn + 9, name, n + 1);
				name = nn;
				labels cur = labels_builder_labels(&l->lb);
				const char *v = labels_get(cur, name);
				if (!v || !*v) {
					labels_builder_set(&l->lb, name, cv[i].value);
					break;
				}
			}
		}
	}
	labels res = labels_builder_labels(&l->lb);
	if (l->job->n_metric_relabel_configs) {
		if (!relabel_process(l->job->metric_relabel_configs, l->job->n_metric_relabel_configs, res, &l->rb,
				     &l->scratch))
			return false;
		res = labels_builder_labels(&l->rb);
	}
	*out = res;
	return res.n > 0;
}

static bool utf8_ok(const char *s)
{
	for (size_t n = strlen(s); n;) {
		int w;
		if (utf8_decode(s, n, &w) < 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* labels.IsValid(UTF8Validation): a non-empty valid metric name, non-empty
 * valid label names, valid UTF-8 values; else Prometheus's error. */
static int check_valid(labels ls, err *e)
{
	for (size_t i = 0; i < ls.n; i++) {
		bool name = !strcmp(ls.v[i].name, LABEL_NAME);
		if ((name && (!*ls.v[i].value || !utf8_ok(ls.v[i].value))) ||
		    !relabel_valid_label_name(ls.v[i].name, false) || !utf8_ok(ls.v[i].value)) {
			buf b;
			buf_init(&b);
			labels_format(&b, ls);
			err_set(e, FL_EINVAL, "invalid metric name or label names: %s", buf_cstr(&b));
			buf_reset(&b);
			return e->code;
		}
	}
	return 0;
}

/* Prometheus's verifyLabelLimits. */
static int check_label_limits(const scrape_job_config *j, labels ls, err *e)
{
	const char *met = labels_get(ls, LABEL_NAME);
	met = met ? met : "";
	if (j->label_limit > 0 && (int64_t)ls.n > j->label_limit)
		return err_set(e, FL_ELIMIT, "label_limit exceeded (metric: %.50s, number of labels: %zu, limit: %" PRId64 ")",
			       met, ls.n, j->label_limit);
	for (size_t i = 0; i < ls.n; i++) {
		size_t nl = strlen(ls.v[i].name), vl = strlen(ls.v[i].value);
		if (j->label_name_length_limit > 0 && (int64_t)nl > j->label_name_length_limit)
			return err_set(e, FL_ELIMIT,
				       "label_name_length_limit exceeded (metric: %.50s, label name: %.50s, length: %zu, limit: %" PRId64 ")",
				       met, ls.v[i].name, nl, j->label_name_length_limit);
		if (j->label_value_length_limit > 0 && (int64_t)vl > j->label_value_length_limit)
			return err_set(e, FL_ELIMIT,
				       "label_value_length_limit exceeded (metric: %.50s, label name: %.50s, value: \"%.50s\", length: %zu, limit: %" PRId64 ")",
				       met, ls.v[i].name, ls.v[i].value, vl, j->label_value_length_limit);
	}
	return 0;
}

/* ---- metadata ---- */

static const char *mtype_name(textparse_mtype t)
{
	static const char *const n[] = {"unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"};
	return (size_t)t < FL_ARRAY_LEN(n) ? n[t] : "unknown";
}

static void learn_meta(scrape_loop *l, const scrape_sink *s, textparse *p, textparse_entry kind)
{
	slice name, text;
	textparse_mtype type = TEXTPARSE_MT_UNKNOWN;
	textparse_meta(p, &name, &text, &type);
	char k = kind == TEXTPARSE_TYPE ? 't' : kind == TEXTPARSE_HELP ? 'h' : 'u';
	if (k == 't')
		text = slice_of(mtype_name(type));
	if (!scrape_cache_set_meta(&l->cache, name, k, text) || !s->metadata)
		return;
	const scrape_meta *m = scrape_cache_meta_get(&l->cache, name);
	if (m)
		s->metadata(s->metadata_ctx, m->name, m->type, m->help, m->unit);
}

/* ---- append ---- */

typedef struct app_state {
	scrape_loop *l;
	const scrape_sink *s;
	appender *app;
	int64_t t;          /* default timestamp */
	int64_t max_t;      /* later samples are out of bounds (now + 10 min) */
	int64_t n_limit;    /* samples counted against sample_limit */
	bool limit_hit;     /* sample_limit exceeded */
	int64_t n_ooo, n_dup, n_oob; /* rejected samples */
	int rc;             /* first hard error */
} app_state;

static bool stale_one(void *ctx, scrape_centry *e)
{
	app_state *st = ctx;
	series_ref out = 0;
	err ae;
	int rc = appender_append(st->app, e->ref, e->lset, st->t, stale_nan(), &out, &ae);
	if (rc == 0 || rc == FL_EOUT_OF_ORDER || rc == FL_EDUPLICATE)
		return true; /* expected when the target came back under a new loop */
	st->rc = rc;
	return false;
}

static int update_stale_markers(scrape_loop *l, appender *app, int64_t t, err *e)
{
	app_state st = {.l = l, .app = app, .t = t};
	scrape_cache_each_stale(&l->cache, stale_one, &st);
	if (st.rc)
		return err_set(e, st.rc, "appending stale marker: %s", fl_strerror(st.rc));
	return 0;
}

/* Append one sample; classify the outcome as Prometheus's checkAddError.
 * Returns 1 added, 0 rejected softly, <0 hard error (e set). */
static int add_sample(app_state *st, scrape_centry *ce, labels ls, int64_t t, double v, series_ref *ref, err *e)
{
	const scrape_job_config *j = st->l->job;
	*ref = 0;
	if (j->sample_limit > 0 && (!ce || !ce->ref || !is_stale_nan(v)) && ++st->n_limit > j->sample_limit) {
		st->limit_hit = true;
		return 0;
	}
	int rc;
	err ae;
	if (t > st->max_t)
		rc = FL_ETOO_OLD;
	else
		rc = appender_append(st->app, ce ? ce->ref : 0, ls, t, v, ref, &ae);
	switch (rc) {
	case 0:
		return 1;
	case FL_EOUT_OF_ORDER:
		st->n_ooo++;
		CTR(st->s, sample_out_of_order);
		return 0;
	case FL_EDUPLICATE:
		st->n_dup++;
		CTR(st->s, sample_duplicate);
		return 0;
	case FL_ETOO_OLD:
		st->n_oob++;
		CTR(st->s, sample_out_of_bounds);
		return 0;
	default:
		return err_set(e, rc, "%s", ae.msg);
	}
}

/* One SERIES entry. 0 or a hard error. */
static int append_series(app_state *st, textparse *p, int64_t *added, int64_t *series_added, err *e)
{
	scrape_loop *l = st->l;
	const scrape_job_config *j = l->job;
	double v;
	bool has_ts;
	int64_t ts;
	textparse_sample(p, &v, &has_ts, &ts);
	if (!j->honor_timestamps)
		has_ts = false;
	int64_t t = has_ts ? ts : st->t;
	slice key = textparse_series(p);
	bool already;
	scrape_centry *ce = textparse_expect_met(p) ? scrape_cache_take_hint(&l->cache, &already)
						    : scrape_cache_get(&l->cache, key, &already);
	if (ce && ce->dropped)
		return 0;
	labels ls;
	if (ce) {
		ls = ce->lset;
	} else {
		labels raw = textparse_labels(p, e);
		if (!raw.v && e->code)
			return e->code;
		arena_reset(&l->scratch);
		if (!mutate_sample(l, raw, &ls)) {
			if (!scrape_cache_add(&l->cache, key, 0, (labels){0}, true))
				return err_set(e, FL_ENOMEM, "out of memory");
			return 0;
		}
		if (!labels_get(ls, LABEL_NAME))
			return err_set(e, FL_EINVAL, "missing metric name (__name__ label)");
		if (check_valid(ls, e))
			return e->code;
		if (check_label_limits(j, ls, e)) {
			CTR(st->s, exceeded_label_limits);
			return e->code;
		}
	}
	series_ref ref = 0;
	int rc;
	if (already && !has_ts) {
		st->n_dup++;
		CTR(st->s, sample_duplicate);
		rc = 0;
	} else {
		rc = add_sample(st, ce, ls, t, v, &ref, e);
		if (rc < 0)
			return rc;
	}
	bool track = !has_ts || j->track_timestamps_staleness;
	if (rc == 1 && ce) {
		if (ref)
			ce->ref = ref;
		if (track && ce->ref)
			scrape_cache_track(&l->cache, ce);
	}
	if (rc == 1 && !ce) {
		ce = scrape_cache_add(&l->cache, key, ref, ls, false);
		if (!ce)
			return err_set(e, FL_ENOMEM, "out of memory");
		if (track && ce->ref)
			scrape_cache_track(&l->cache, ce);
		if (!st->limit_hit)
			(*series_added)++;
	}
	(*added)++;
	return 0;
}

static bool format_of(const scrape_job_config *j, const char *ctype, textparse_format *f, err *e)
{
	textparse_format fb;
	const textparse_format *fbp = NULL;
	if (j->fallback_scrape_protocol) {
		fb = !strncmp(j->fallback_scrape_protocol, "OpenMetrics", 11) ? TEXTPARSE_OM : TEXTPARSE_PROM;
		fbp = &fb;
	}
	if (textparse_format_for(ctype && *ctype ? ctype : NULL, fbp, f))
		return true;
	if (!ctype || !*ctype)
		err_set(e, FL_EPARSE, "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target");
	else
		err_set(e, FL_EPARSE, "received unsupported Content-Type \"%s\" and no fallback_scrape_protocol specified for target",
			ctype);
	return false;
}

/* Prometheus's scrapeLoop.append for a non-empty body. */
static int append_body(scrape_loop *l, const scrape_sink *s, appender *app, const char *body, size_t len,
		       const char *ctype, int64_t t, scrape_result *r, err *e)
{
	textparse_format f;
	if (!format_of(l->job, ctype, &f, e))
		return e->code;
	textparse *p = textparse_new(f, body, len, 0);
	if (!p)
		return err_set(e, FL_ENOMEM, "out of memory");
	app_state st = {.l = l, .s = s, .app = app, .t = t, .max_t = scrape_now_ms() + MAX_AHEAD_MS};
	int rc = 0;
	textparse_entry kind;
	int n;
	/* the previous page's series in its order guide the parser: a steady
	 * page's label sets are compared, not tokenized (keys of this format) */
	bool hints = l->seq_format == (int)f + 1;
	l->seq_format = (int)f + 1;
	for (;;) {
		const scrape_centry *h = hints ? scrape_cache_hint(&l->cache) : NULL;
		textparse_expect(p, h ? (slice){h->key, h->key_len} : (slice){NULL, 0});
		if ((n = textparse_next(p, &kind, e)) != 1)
			break;
		if (kind == TEXTPARSE_TYPE || kind == TEXTPARSE_HELP || kind == TEXTPARSE_UNIT) {
			learn_meta(l, s, p, kind);
			continue;
		}
		if (kind != TEXTPARSE_SERIES)
			continue;
		r->scraped++;
		if ((rc = append_series(&st, p, &r->added, &r->series_added, e)))
			break;
	}
	if (n < 0)
		rc = n;
	textparse_free(p);
	if (st.limit_hit) {
		CTR(s, exceeded_sample_limit);
		if (!rc)
			rc = err_set(e, FL_ELIMIT, "sample limit exceeded");
	}
	char num[24];
	if (st.n_ooo) {
		snprintf(num, sizeof num, "%" PRId64, st.n_ooo);
		log_warn("scrape", "Error on ingesting out-of-order samples", "num_dropped", num, NULL);
	}
	if (st.n_dup) {
		snprintf(num, sizeof num, "%" PRId64, st.n_dup);
		log_warn("scrape", "Error on ingesting samples with different value but same timestamp", "num_dropped", num,
			 NULL);
	}
	if (st.n_oob) {
		snprintf(num, sizeof num, "%" PRId64, st.n_oob);
		log_warn("scrape", "Error on ingesting samples that are too old or are too far into the future",
			 "num_dropped", num, NULL);
	}
	if (!rc)
		rc = update_stale_markers(l, app, t, e);
	if (!rc)
		scrape_cache_iter_done(&l->cache, true);
	return rc;
}

/* An empty scrape: stale markers, the cache swapped without a flush. */
static int append_empty(scrape_loop *l, const scrape_sink *s, appender *app, int64_t t, err *e)
{
	int rc = update_stale_markers(l, app, t, e);
	if (scrape_cache_iter_done(&l->cache, false))
		CTR(s, cache_flush_forced);
	return rc;
}

/* ---- report ---- */

static const char *const report_names[SCRAPE_N_REPORT] = {
	"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
	"scrape_series_added", "scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes",
};

/* The report series' labels: __name__ and the target labels (Prometheus's
 * mutateReportSampleLabels: a target label wins over nothing exposed). */
static labels report_labels(scrape_loop *l, int i)
{
	if (l->report_ls[i].v)
		return l->report_ls[i];
	labels_builder_reset(&l->lb, l->t.labels);
	labels_builder_set(&l->lb, LABEL_NAME, report_names[i]);
	l->report_ls[i] = labels_copy(&l->a, labels_builder_labels(&l->lb));
	return l->report_ls[i];
}

static int report(scrape_loop *l, appender *app, int64_t t, const double *v, int n, bool reject_ooo)
{
	(void)reject_ooo; /* the head refuses older samples already */
	for (int i = 0; i < n; i++) {
		labels ls = report_labels(l, i);
		if (!ls.v)
			return FL_ENOMEM;
		series_ref out = 0;
		err e;
		int rc = appender_append(app, l->report_ref[i], ls, t, v[i], &out, &e);
		if (rc == 0) {
			if (out)
				l->report_ref[i] = out;
		} else if (rc != FL_EOUT_OF_ORDER && rc != FL_EDUPLICATE) {
			return rc;
		}
	}
	return 0;
}


int scrape_loop_scrape(scrape_loop *l, const scrape_sink *s, const char *body, size_t len, const char *content_type,
		       const char *scrape_err, int64_t bytes, int64_t t_ms, int64_t start_ns, scrape_result *res)
{
	scrape_result r = {0};
	err e;
	err_clear(&e);
	appender *app = s->appender(s->ctx);
	if (!app)
		return FL_ENOMEM;
	int rc = 0;
	bool fetched = scrape_err == NULL;
	if (fetched && len > 0)
		rc = append_body(l, s, app, body, len, content_type, t_ms, &r, &e);
	else
		rc = append_empty(l, s, app, t_ms, &e);
	if (rc) {
		if (!scrape_err)
			scrape_err = e.msg;
		appender_rollback(app);
		if (!(app = s->appender(s->ctx)))
			return FL_ENOMEM;
		err e2;
		if (append_empty(l, s, app, t_ms, &e2)) {
			appender_rollback(app);
			if (!(app = s->appender(s->ctx)))
				return FL_ENOMEM;
		}
	}
	double dur = (double)(scrape_mono_ns() - start_ns) / 1e9;
	r.up = scrape_err == NULL;
	double v[SCRAPE_N_REPORT] = {r.up, dur, (double)r.scraped, (double)r.added, (double)r.series_added,
				     (double)l->t.timeout_ms / 1000.0, (double)l->job->sample_limit,
				     fetched || bytes < 0 ? (double)bytes : 0};
	l->n_report = l->job->extra_scrape_metrics ? SCRAPE_N_REPORT : 5;
	rc = report(l, app, t_ms, v, l->n_report, false);
	err ce;
	if (rc) {
		appender_rollback(app);
		log_warn("scrape", "Appending scrape report failed", "target", l->t.url, "err", fl_strerror(rc), NULL);
	} else if ((rc = appender_commit(app, &ce))) {
		log_error("scrape", "Scrape commit failed", "target", l->t.url, "err", ce.msg, NULL);
	}
	l->last_t_ms = t_ms;
	pthread_mutex_lock(&l->st_mu);
	l->last_scrape_ms = t_ms;
	l->last_duration_s = dur;
	l->health = r.up ? 1 : -1;
	snprintf(l->last_error, sizeof l->last_error, "%s", scrape_err ? scrape_err : "");
	pthread_mutex_unlock(&l->st_mu);
	if (r.up)
		l->last_bytes = bytes;
	if (res)
		*res = r;
	return rc;
}

int scrape_loop_stale_all(scrape_loop *l, const scrape_sink *s, int64_t t_ms)
{
	if (!l->last_t_ms)
		return 0; /* never scraped: nothing to mark */
	appender *app = s->appender(s->ctx);
	if (!app)
		return FL_ENOMEM;
	err e;
	if (append_empty(l, s, app, t_ms, &e)) {
		appender_rollback(app);
		if (!(app = s->appender(s->ctx)))
			return FL_ENOMEM;
	}
	double v[SCRAPE_N_REPORT];
	for (int i = 0; i < SCRAPE_N_REPORT; i++)
		v[i] = stale_nan();
	int rc = report(l, app, t_ms, v, l->n_report, true);
	if (rc) {
		appender_rollback(app);
		return rc;
	}
	return appender_commit(app, &e);
}
