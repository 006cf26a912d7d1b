/*
 * notifier.c - the Alertmanager notifier (Prometheus notifier/notifier.go,
 * API v2 only).
 *
 * Send (any thread, rule evaluation): each alert gets the external labels
 * it lacks, then alerting.alert_relabel_configs (an alert relabeled away is
 * not queued), and its generatorURL (externalURL + /graph?g0.expr=<expr
 * query-escaped>&g0.tab=1). The queue holds at most `capacity` alerts: on
 * overflow the oldest go, counted in dropped_total.
 *
 * The sender thread takes up to 64 alerts, and for every Alertmanager set
 * applies the set's alert_relabel_configs and POSTs the JSON array
 * ([{labels, annotations, startsAt, endsAt, generatorURL}]) to each of its
 * Alertmanagers (scheme://address/path_prefix/api/v2/alerts, the set's
 * timeout, auth and TLS through scrape/httpc.h). sent_total counts alerts
 * per Alertmanager, errors_total the alerts of failed requests; a batch that reached no
 * Alertmanager counts as dropped (sendAll returning false).
 *
 * Alertmanagers come from static_configs, file_sd, http_sd and dns_sd
 * (scrape/discovery.h's discovery_set; refreshed at the shortest of their
 * refresh intervals, in the sender thread, so a slow SD delays sends, never
 * rule evaluation), relabeled with the set's relabel_configs over
 * __address__, __scheme__ and __alerts_path__; one relabeled away is
 * listed as dropped.
 *
 * Locks, in order: send_mu (held for a whole send round and by apply, so a
 * config is never swapped under a request) -> cfg_mu (the config pointer,
 * the Alertmanager lists, the per-Alertmanager counters; held briefly) ;
 * q_mu (the queue) is never held with another.
 */
#include "rules/notifier.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/summary.h"
#include "lib/timeparse.h"
#include "rules/rule_int.h"
#include "scrape/httpc.h"
#include "scrape/discovery.h"
#include "tsdb/relabel.h"

typedef struct n_alert {
	labels labels;       /* owned (labels_dup) */
	labels annotations;  /* owned */
	int64_t starts_ms, ends_ms;
	char *generator_url; /* owned */
} n_alert;

typedef struct am {
	char *url;           /* scheme://address/prefix/api/v2/alerts */
	size_t set;          /* index of its alertmanagers[] config */
	bool dropped;        /* relabeled away */
} am;

typedef struct am_stat {
	char *url;
	uint64_t sent, errors;
	summary latency;     /* prometheus_notifications_latency_seconds: every send, ok or not */
} am_stat;

static const double latency_q[] = {0.5, 0.9, 0.99}; /* notifier.go's objectives */

struct notifier {
	int64_t capacity;           /* queue capacity */
	char *external_url;         /* generatorURL base */
	pthread_mutex_t q_mu;       /* guards the queue group */
	pthread_cond_t q_cv;
	n_alert *q;                 /* queued alerts, oldest first */
	size_t q_n, q_cap;
	bool stopping;
	pthread_mutex_t send_mu;    /* a send round or an apply */
	pthread_mutex_t cfg_mu;     /* guards the group below */
	const scrape_config *cfg;   /* borrowed until the next apply */
	am *ams;                    /* discovered Alertmanagers */
	size_t n_ams;
	am_stat *stats;             /* per URL, kept across rediscovery */
	size_t n_stats, cap_stats;
	discovery_set **sets;       /* per alertmanagers[] entry: its providers' last groups (send_mu) */
	size_t n_sets;
	_Atomic int64_t next_refresh_ms; /* next SD refresh, 0 = none (written under send_mu, read by the thread) */
	bool started;
	pthread_t thread;
	_Atomic uint64_t dropped;   /* prometheus_notifications_dropped_total */
};

static void alert_free(n_alert *a)
{
	fl_free((void *)a->labels.v);
	fl_free((void *)a->annotations.v);
	fl_free(a->generator_url);
}

notifier *notifier_new(int64_t queue_capacity, const char *external_url, err *e)
{
	notifier *n = fl_calloc(1, sizeof *n);
	if (!n || !(n->external_url = fl_strdup(external_url ? external_url : ""))) {
		fl_free(n);
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	n->capacity = queue_capacity > 0 ? queue_capacity : NOTIFIER_QUEUE_CAPACITY;
	pthread_mutex_init(&n->q_mu, NULL);
	pthread_cond_init(&n->q_cv, NULL);
	pthread_mutex_init(&n->send_mu, NULL);
	pthread_mutex_init(&n->cfg_mu, NULL);
	return n;
}

void notifier_stop(notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->q_mu);
	bool join = n->started && !n->stopping;
	n->stopping = true;
	pthread_cond_broadcast(&n->q_cv);
	pthread_mutex_unlock(&n->q_mu);
	if (join)
		pthread_join(n->thread, NULL);
}

static void ams_free(am *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fl_free(v[i].url);
	fl_free(v);
}

static void sets_free(discovery_set **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		discovery_set_free(v[i]);
	fl_free(v);
}

void notifier_free(notifier *n)
{
	if (!n)
		return;
	notifier_stop(n);
	for (size_t i = 0; i < n->q_n; i++)
		alert_free(&n->q[i]);
	fl_free(n->q);
	ams_free(n->ams, n->n_ams);
	for (size_t i = 0; i < n->n_stats; i++)
		fl_free(n->stats[i].url);
	fl_free(n->stats);
	sets_free(n->sets, n->n_sets);
	fl_free(n->external_url);
	pthread_cond_destroy(&n->q_cv);
	pthread_mutex_destroy(&n->q_mu);
	pthread_mutex_destroy(&n->send_mu);
	pthread_mutex_destroy(&n->cfg_mu);
	fl_free(n);
}

/* ---- discovery of Alertmanagers ---- */

/* One target: populate and relabel as notifier.go AlertmanagerFromGroup. */
static int add_target(am **v, size_t *n, size_t *cap, size_t set, const scrape_alertmanager_config *ac, labels group,
		      labels target, arena *scratch)
{
	char path[1024];
	const char *pp = ac->path_prefix ? ac->path_prefix : "";
	size_t pl = strlen(pp);
	while (pl && pp[pl - 1] == '/')
		pl--;
	snprintf(path, sizeof path, "%.*s/api/v2/alerts", (int)pl, pp);
	labels_builder b;
	labels_builder_init(&b);
	labels_builder_reset(&b, group);
	for (size_t i = 0; i < target.n; i++)
		labels_builder_set(&b, target.v[i].name, target.v[i].value);
	labels_builder_set(&b, "__scheme__", ac->scheme ? ac->scheme : "http");
	labels_builder_set(&b, "__alerts_path__", path);
	labels in = labels_copy(scratch, labels_builder_labels(&b));
	labels_builder_free(&b);
	labels_builder_init(&b);
	bool keep = relabel_process(ac->relabel_configs, ac->n_relabel_configs, in, &b, scratch);
	labels out = keep ? labels_builder_labels(&b) : in;
	const char *addr = labels_get(out, "__address__");
	const char *scheme = labels_get(out, "__scheme__");
	const char *ap = labels_get(out, "__alerts_path__");
	char url[2048];
	snprintf(url, sizeof url, "%s://%s%s", scheme ? scheme : "http", addr ? addr : "", ap ? ap : "");
	labels_builder_free(&b);
	if (!fl_grow((void **)v, cap, *n + 1, sizeof **v) || !((*v)[*n].url = fl_strdup(url)))
		return FL_ENOMEM;
	(*v)[*n].set = set;
	(*v)[*n].dropped = !keep || !addr || !*addr;
	(*n)++;
	return 0;
}

typedef struct add_ctx {
	am **v;
	size_t *n, *cap, set;
	const scrape_alertmanager_config *ac;
	arena *scratch;
} add_ctx;

static void add_one(void *ctx, labels group, labels target)
{
	add_ctx *c = ctx;
	add_target(c->v, c->n, c->cap, c->set, c->ac, group, target, c->scratch);
}

/* Rebuild the Alertmanager list from cfg (with reread, every provider is
 * refreshed first: file_sd, http_sd, dns_sd through the scrape module's
 * discovery). Called with send_mu held. */
static void discover(notifier *n, bool reread)
{
	const scrape_config *c = n->cfg;
	size_t n_sets = c ? c->alerting.n_alertmanagers : 0;
	if (n_sets != n->n_sets) {
		sets_free(n->sets, n->n_sets);
		n->sets = n_sets ? fl_calloc(n_sets, sizeof *n->sets) : NULL;
		n->n_sets = n->sets ? n_sets : 0;
		for (size_t s = 0; s < n->n_sets; s++)
			if (!(n->sets[s] = discovery_set_new())) {
				sets_free(n->sets, n->n_sets);
				n->sets = NULL, n->n_sets = 0;
			}
		reread = true;
	}
	am *v = NULL;
	size_t nv = 0, cap = 0;
	arena scratch;
	arena_init(&scratch);
	int64_t refresh = 0;
	for (size_t s = 0; s < n->n_sets; s++) {
		const scrape_alertmanager_config *ac = &c->alerting.alertmanagers[s];
		int64_t r = discovery_set_refresh_ms(&ac->sd);
		if (r && (!refresh || r < refresh))
			refresh = r;
		err e;
		err_clear(&e);
		if (reread)
			discovery_set_refresh(n->sets[s], &ac->sd, &e); /* failures are logged, old groups kept */
		add_ctx ctx = {&v, &nv, &cap, s, ac, &scratch};
		discovery_set_each(n->sets[s], &ac->sd, add_one, &ctx);
	}
	arena_reset(&scratch);
	pthread_mutex_lock(&n->cfg_mu);
	ams_free(n->ams, n->n_ams);
	n->ams = v;
	n->n_ams = nv;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].dropped)
			continue;
		bool seen = false;
		for (size_t k = 0; k < n->n_stats && !seen; k++)
			seen = !strcmp(n->stats[k].url, v[i].url);
		if (!seen && fl_grow((void **)&n->stats, &n->cap_stats, n->n_stats + 1, sizeof *n->stats) &&
		    (n->stats[n->n_stats].url = fl_strdup(v[i].url))) {
			n->stats[n->n_stats].sent = n->stats[n->n_stats].errors = 0;
			memset(&n->stats[n->n_stats].latency, 0, sizeof n->stats[n->n_stats].latency);
			n->n_stats++;
		}
	}
	pthread_mutex_unlock(&n->cfg_mu);
	atomic_store(&n->next_refresh_ms, refresh ? rules_now_ms() + refresh : 0);
}

/* ---- sending ---- */

/* Go's url.QueryEscape */
static void query_escape(buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			buf_put_byte(b, c);
		else if (c == ' ')
			buf_put_byte(b, '+');
		else {
			buf_put_byte(b, '%');
			buf_put_byte(b, (uint8_t)hex[c >> 4]);
			buf_put_byte(b, (uint8_t)hex[c & 15]);
		}
	}
}

static void json_labels(json_w *j, const char *k, labels ls)
{
	json_key(j, k);
	json_obj_open(j);
	for (size_t i = 0; i < ls.n; i++)
		json_kstr(j, ls.v[i].name, ls.v[i].value);
	json_obj_close(j);
}

/* strfmt.DateTime as the Alertmanager client marshals it: RFC3339 with
 * exactly three fraction digits, UTC ("2006-01-02T15:04:05.000Z"). */
static void json_time(json_w *j, const char *k, int64_t ms)
{
	int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
	int64_t rem = s - days * 86400, y;
	unsigned mo, d;
	timeparse_civil_from_days(days, &y, &mo, &d);
	char out[48];
	snprintf(out, sizeof out, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60), (int)(ms - s * 1000));
	json_kstr(j, k, out);
}

/* The batch as the set sees it (its alert_relabel_configs), as JSON.
 * Returns the number of alerts written. */
static size_t batch_json(const scrape_alertmanager_config *ac, const n_alert *v, size_t n, buf *out)
{
	json_w j;
	json_init(&j, out);
	json_arr_open(&j);
	arena scratch;
	arena_init(&scratch);
	labels_builder b;
	labels_builder_init(&b);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		labels ls = v[i].labels;
		if (ac->n_alert_relabel_configs) {
			if (!relabel_process(ac->alert_relabel_configs, ac->n_alert_relabel_configs, ls, &b, &scratch))
				continue;
			ls = labels_builder_labels(&b);
		}
		json_obj_open(&j);
		json_labels(&j, "labels", ls);
		json_labels(&j, "annotations", v[i].annotations);
		if (v[i].starts_ms)
			json_time(&j, "startsAt", v[i].starts_ms);
		if (v[i].ends_ms)
			json_time(&j, "endsAt", v[i].ends_ms);
		json_kstr(&j, "generatorURL", v[i].generator_url);
		json_obj_close(&j);
		w++;
	}
	json_arr_close(&j);
	labels_builder_free(&b);
	arena_reset(&scratch);
	return w;
}

static size_t discard(void *p, size_t sz, size_t nm, void *ud)
{
	(void)p, (void)ud;
	return sz * nm;
}

static int post(const scrape_alertmanager_config *ac, const char *url, const buf *body, err *e)
{
	CURL *h = curl_easy_init();
	if (!h)
		return err_set(e, FL_ENOMEM, "curl_easy_init failed");
	struct curl_slist *hdrs = NULL;
	int rc = httpc_setup(h, &ac->http, &hdrs, e);
	if (rc) {
		curl_easy_cleanup(h);
		return rc;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body->p);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body->len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(ac->timeout_ms > 0 ? ac->timeout_ms : 10000));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		rc = err_set(e, FL_EIO, "Post \"%s\": %s", url, *errbuf ? errbuf : curl_easy_strerror(cc));
	else if (status / 100 != 2)
		rc = err_set(e, FL_EIO, "bad response status %ld", status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

static void count(notifier *n, const char *url, uint64_t sent, uint64_t errors, double seconds)
{
	pthread_mutex_lock(&n->cfg_mu);
	for (size_t k = 0; k < n->n_stats; k++)
		if (!strcmp(n->stats[k].url, url)) {
			n->stats[k].sent += sent;
			n->stats[k].errors += errors;
			summary_observe(&n->stats[k].latency, seconds);
		}
	pthread_mutex_unlock(&n->cfg_mu);
}

/* sendAll: true when some Alertmanager took the batch. send_mu held. */
static bool send_all(notifier *n, const n_alert *v, size_t count_n)
{
	const scrape_config *c = n->cfg;
	bool ok = false;
	buf body;
	buf_init(&body);
	for (size_t s = 0; c && s < c->alerting.n_alertmanagers; s++) {
		const scrape_alertmanager_config *ac = &c->alerting.alertmanagers[s];
		buf_clear(&body);
		size_t w = batch_json(ac, v, count_n, &body);
		if (!w)
			continue;
		for (size_t i = 0; i < n->n_ams; i++) {
			if (n->ams[i].set != s || n->ams[i].dropped)
				continue;
			err e;
			err_clear(&e);
			int64_t t0 = rules_now_ns();
			int rc = post(ac, n->ams[i].url, &body, &e);
			double took = (double)(rules_now_ns() - t0) / 1e9;
			if (rc)
				log_error("notifier", "Error sending alert", "alertmanager", n->ams[i].url, "err", e.msg,
					  NULL);
			count(n, n->ams[i].url, w, rc ? w : 0, took); /* errors count alerts, as notifier.go */
			ok = ok || rc == 0;
		}
	}
	buf_reset(&body);
	return ok;
}

static void *run(void *arg)
{
	notifier *n = arg;
	n_alert batch[NOTIFIER_MAX_BATCH];
	for (;;) {
		pthread_mutex_lock(&n->q_mu);
		while (!n->stopping && n->q_n == 0) {
			int64_t at = atomic_load(&n->next_refresh_ms);
			if (at) {
				struct timespec dl = {(time_t)(at / 1000), (long)(at % 1000) * 1000000};
				if (pthread_cond_timedwait(&n->q_cv, &n->q_mu, &dl))
					break;
			} else {
				pthread_cond_wait(&n->q_cv, &n->q_mu);
			}
		}
		if (n->stopping) {
			pthread_mutex_unlock(&n->q_mu);
			break;
		}
		size_t k = n->q_n < NOTIFIER_MAX_BATCH ? n->q_n : NOTIFIER_MAX_BATCH;
		memcpy(batch, n->q, k * sizeof *batch);
		memmove(n->q, n->q + k, (n->q_n - k) * sizeof *n->q);
		n->q_n -= k;
		pthread_mutex_unlock(&n->q_mu);
		pthread_mutex_lock(&n->send_mu);
		int64_t at = atomic_load(&n->next_refresh_ms);
		if (at && rules_now_ms() >= at)
			discover(n, true);
		if (k && !send_all(n, batch, k))
			atomic_fetch_add(&n->dropped, k);
		pthread_mutex_unlock(&n->send_mu);
		for (size_t i = 0; i < k; i++)
			alert_free(&batch[i]);
	}
	return NULL;
}

int notifier_apply(notifier *n, const scrape_config *c, err *e)
{
	(void)e;
	pthread_mutex_lock(&n->send_mu);
	pthread_mutex_lock(&n->cfg_mu);
	n->cfg = c;
	pthread_mutex_unlock(&n->cfg_mu);
	discover(n, true);
	pthread_mutex_unlock(&n->send_mu);
	pthread_mutex_lock(&n->q_mu);
	if (!n->started && !n->stopping && pthread_create(&n->thread, NULL, run, n) == 0)
		n->started = true;
	pthread_cond_broadcast(&n->q_cv);
	pthread_mutex_unlock(&n->q_mu);
	return 0;
}

/* One alert as queued: external labels, alert relabeling, generatorURL.
 * false when relabeled away (or out of memory). cfg_mu held. */
static bool prepare(notifier *n, const char *gen_url, const rule_notify_alert *a, labels_builder *b, arena *scratch,
		    n_alert *out)
{
	labels_builder_reset(b, a->labels);
	labels ext = n->cfg ? n->cfg->external_labels : (labels){NULL, 0};
	for (size_t i = 0; i < ext.n; i++)
		if (!labels_get(a->labels, ext.v[i].name) || !*labels_get(a->labels, ext.v[i].name))
			labels_builder_set(b, ext.v[i].name, ext.v[i].value);
	labels ls = labels_builder_labels(b);
	labels_builder rb;
	labels_builder_init(&rb);
	bool keep = true;
	if (n->cfg && n->cfg->alerting.n_alert_relabel_configs) {
		labels in = labels_copy(scratch, ls);
		keep = relabel_process(n->cfg->alerting.alert_relabel_configs, n->cfg->alerting.n_alert_relabel_configs, in,
				       &rb, scratch);
		ls = labels_builder_labels(&rb);
	}
	if (keep) {
		out->labels = labels_dup(ls);
		out->annotations = labels_dup(a->annotations);
		out->generator_url = fl_strdup(gen_url);
		out->starts_ms = a->starts_at_ms;
		out->ends_ms = a->ends_at_ms;
		if (!out->labels.v || (a->annotations.n && !out->annotations.v) || !out->generator_url) {
			alert_free(out);
			keep = false;
		}
	}
	labels_builder_free(&rb);
	return keep;
}

void notifier_send(void *ctx, const char *expr, const rule_notify_alert *a, size_t count_n)
{
	notifier *n = ctx;
	buf gu;
	buf_init(&gu);
	buf_put_str(&gu, n->external_url);
	buf_put_str(&gu, "/graph?g0.expr=");
	query_escape(&gu, expr);
	buf_put_str(&gu, "&g0.tab=1");
	n_alert *v = count_n ? fl_calloc(count_n, sizeof *v) : NULL;
	size_t nv = 0;
	labels_builder b;
	labels_builder_init(&b);
	arena scratch;
	arena_init(&scratch);
	pthread_mutex_lock(&n->cfg_mu);
	for (size_t i = 0; v && i < count_n; i++)
		nv += prepare(n, buf_cstr(&gu), &a[i], &b, &scratch, &v[nv]);
	pthread_mutex_unlock(&n->cfg_mu);
	arena_reset(&scratch);
	labels_builder_free(&b);
	buf_reset(&gu);
	if (!v) {
		atomic_fetch_add(&n->dropped, count_n);
		return;
	}
	pthread_mutex_lock(&n->q_mu);
	size_t cap = (size_t)n->capacity, skip = 0;
	if (nv > cap) { /* more than fit at all: keep the newest */
		skip = nv - cap;
		for (size_t i = 0; i < skip; i++)
			alert_free(&v[i]);
	}
	size_t add = nv - skip;
	if (n->q_n + add > cap) { /* drop the oldest queued */
		size_t d = n->q_n + add - cap;
		for (size_t i = 0; i < d; i++)
			alert_free(&n->q[i]);
		memmove(n->q, n->q + d, (n->q_n - d) * sizeof *n->q);
		n->q_n -= d;
		skip += d;
	}
	if (add && fl_grow((void **)&n->q, &n->q_cap, n->q_n + add, sizeof *n->q)) {
		memcpy(n->q + n->q_n, v + (nv - add), add * sizeof *v);
		n->q_n += add;
	} else if (add) {
		for (size_t i = nv - add; i < nv; i++)
			alert_free(&v[i]);
		skip += add;
	}
	pthread_cond_broadcast(&n->q_cv);
	pthread_mutex_unlock(&n->q_mu);
	if (skip)
		atomic_fetch_add(&n->dropped, skip);
	fl_free(v);
}

void notifier_alertmanagers(notifier *n, arena *a, const char ***active, size_t *n_active, const char ***dropped,
			    size_t *n_dropped)
{
	pthread_mutex_lock(&n->cfg_mu);
	*active = n->n_ams ? arena_calloc(a, n->n_ams, sizeof **active) : NULL;
	*dropped = n->n_ams ? arena_calloc(a, n->n_ams, sizeof **dropped) : NULL;
	*n_active = *n_dropped = 0;
	for (size_t i = 0; *active && *dropped && i < n->n_ams; i++) {
		const char *u = arena_strdup(a, n->ams[i].url);
		if (n->ams[i].dropped)
			(*dropped)[(*n_dropped)++] = u;
		else
			(*active)[(*n_active)++] = u;
	}
	pthread_mutex_unlock(&n->cfg_mu);
}

void notifier_metrics(notifier *n, buf *b)
{
	pthread_mutex_lock(&n->q_mu);
	size_t qlen = n->q_n;
	pthread_mutex_unlock(&n->q_mu);
	pthread_mutex_lock(&n->cfg_mu);
	size_t active = 0;
	for (size_t i = 0; i < n->n_ams; i++)
		active += !n->ams[i].dropped;
	buf_printf(b, "# HELP prometheus_notifications_alertmanagers_discovered The number of alertmanagers discovered and active.\n"
		      "# TYPE prometheus_notifications_alertmanagers_discovered gauge\n"
		      "prometheus_notifications_alertmanagers_discovered %zu\n", active);
	buf_printf(b, "# HELP prometheus_notifications_dropped_total Total number of alerts dropped due to errors when sending to Alertmanager.\n"
		      "# TYPE prometheus_notifications_dropped_total counter\n"
		      "prometheus_notifications_dropped_total %llu\n", (unsigned long long)atomic_load(&n->dropped));
	static const char *const names[2] = {"prometheus_notifications_errors_total", "prometheus_notifications_sent_total"};
	static const char *const helps[2] = {"Total number of sent alerts affected by errors.",
					     "Total number of alerts sent."};
	for (int k = 0; k < 2 && n->n_stats; k++) {
		buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", names[k], helps[k], names[k]);
		for (size_t i = 0; i < n->n_stats; i++) {
			buf_printf(b, "%s{alertmanager=\"", names[k]);
			rules__put_label_value(b, n->stats[i].url);
			buf_put_str(b, "\"} ");
			rules__put_g(b, (double)(k ? n->stats[i].sent : n->stats[i].errors));
			buf_put_byte(b, '\n');
		}
	}
	if (n->n_stats)
		buf_put_str(b, "# HELP prometheus_notifications_latency_seconds Latency quantiles for sending alert notifications.\n"
			       "# TYPE prometheus_notifications_latency_seconds summary\n");
	for (size_t i = 0; i < n->n_stats; i++) {
		buf lbl;
		buf_init(&lbl);
		buf_put_str(&lbl, "alertmanager=\"");
		rules__put_label_value(&lbl, n->stats[i].url);
		buf_put_byte(&lbl, '"');
		summary_write(&n->stats[i].latency, b, "prometheus_notifications_latency_seconds", buf_cstr(&lbl), latency_q,
			      FL_ARRAY_LEN(latency_q));
		buf_reset(&lbl);
	}
	pthread_mutex_unlock(&n->cfg_mu);
	buf_printf(b, "# HELP prometheus_notifications_queue_capacity The capacity of the alert notifications queue.\n"
		      "# TYPE prometheus_notifications_queue_capacity gauge\n"
		      "prometheus_notifications_queue_capacity %lld\n"
		      "# HELP prometheus_notifications_queue_length The number of alert notifications in the queue.\n"
		      "# TYPE prometheus_notifications_queue_length gauge\n"
		      "prometheus_notifications_queue_length %zu\n",
		   (long long)n->capacity, qlen);
}
