/*
 * write.c - the remote-write sender (Prometheus's storage/remote
 * WriteStorage): one queue (queue.c) per remote_write entry, keyed by the
 * MD5 of the entry's YAML and the external labels (Prometheus's toHash),
 * so a reload keeps unchanged queues with their state and position and
 * replaces changed ones. The self metrics of all queues in the text
 * format, Prometheus's names and labels (remote_name, url).
 *
 * Config lifetime: the scrape_config given to apply belongs to the caller
 * (web_env frees it at the next reload), and queue threads read their
 * entry for as long as they run, so apply takes a reference on it
 * (scrape_config_ref) that the queues share. The hash hides secrets as
 * Prometheus's does (so the position file survives a new password); a
 * second digest over the secrets alone makes an entry whose secret changed
 * a new queue, started on the old one's position once the old one stopped.
 *
 * A removed queue is stopped in the background (a thread flushes it up to
 * the flush deadline and frees it), so a reload does not wait for it; a
 * queue started later under the same hash first waits for that thread,
 * so both never use the same position file.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "lib/md5.h"
#include "remote/write_int.h"

struct rw_cfg_hold {
	_Atomic int refs;
	scrape_config *c;
};

/* A removed queue being flushed and freed by its own thread. */
typedef struct rw_stopper {
	pthread_t th;
	rw_queue *q;
	char hash[33];
	struct rw_stopper *next;
} rw_stopper;

struct remote_sender {
	char data_dir[1024];
	int64_t flush_deadline_ms;
	pthread_mutex_t mu;  /* queues (apply vs metrics, notify) */
	rw_queue **queues;
	size_t n_queues;
	rw_stopper *stoppers; /* apply's thread (and free) only */
	rw_meta_source src;   /* the queues' metadata source (metadata_send.c) */
};

void rw__cfg_release(rw_cfg_hold *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		scrape_config_free(h->c);
		fl_free(h);
	}
}

remote_sender *remote_sender_new(const remote_sender_opts *o, err *e)
{
	remote_sender *s = fl_calloc(1, sizeof *s);
	if (!s) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(s->data_dir, sizeof s->data_dir, "%s", o->data_dir);
	s->flush_deadline_ms = o->flush_deadline_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->src.mu, NULL);
	s->src.fn = o->metadata;
	s->src.ctx = o->metadata_ctx;
	return s;
}

/* md5 hex of one entry as YAML, plus the external labels. */
static void entry_hash(const scrape_config *c, size_t i, char out[33])
{
	scrape_config one;
	memset(&one, 0, sizeof one);
	one.remote_write = &c->remote_write[i];
	one.n_remote_write = 1;
	buf b;
	buf_init(&b);
	scrape_config_yaml(&one, &b);
	for (size_t k = 0; k < c->external_labels.n; k++)
		buf_printf(&b, "\n%s=%s", c->external_labels.v[k].name, c->external_labels.v[k].value);
	uint8_t d[16];
	md5_sum(b.p, b.len, d);
	buf_reset(&b);
	for (int k = 0; k < 16; k++)
		snprintf(out + 2 * k, 3, "%02x", d[k]);
}

static void sum_str(md5_ctx *m, const char *v)
{
	md5_update(m, v ? "1" : "0", 1);
	if (v)
		md5_update(m, v, strlen(v) + 1);
}

/* The MD5 of entry r's secrets, which the YAML of the hash prints as
 * <secret>: compared, never printed. */
static void secrets_sum(const scrape_remote_config *r, uint8_t out[16])
{
	md5_ctx m;
	md5_init(&m);
	const scrape_http_client *h = &r->http;
	sum_str(&m, h->basic_auth_pass);
	sum_str(&m, h->auth_credentials);
	for (size_t i = 0; i < h->n_proxy_connect_headers; i++)
		sum_str(&m, h->proxy_connect_headers[i].value);
	sum_str(&m, h->oauth2 ? h->oauth2->client_secret : NULL);
	sum_str(&m, r->sigv4 ? r->sigv4->secret_key : NULL);
	md5_final(&m, out);
}

void remote_sender_metadata_source(remote_sender *s, remote_metadata_fn fn, void *ctx)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->src.mu); /* waits for a collection in flight */
	s->src.fn = fn;
	s->src.ctx = ctx;
	pthread_mutex_unlock(&s->src.mu);
}

/* Stop q's metadata sender, then flush, stop and free q. */
static void queue_free(rw_queue *q)
{
	rw_meta_stop(q);
	rw_queue_free(q);
}

static void *stopper_main(void *arg)
{
	queue_free(arg);
	return NULL;
}

/* Stop and free q in the background (synchronously when no thread). */
static void stop_in_background(remote_sender *s, rw_queue *q)
{
	rw_stopper *st = fl_calloc(1, sizeof *st);
	if (st) {
		st->q = q;
		snprintf(st->hash, sizeof st->hash, "%s", q->hash);
		if (!pthread_create(&st->th, NULL, stopper_main, q)) {
			st->next = s->stoppers;
			s->stoppers = st;
			return;
		}
		fl_free(st);
	}
	queue_free(q);
}

/* Join the stoppers of hash (NULL: the finished ones; "": all). */
static void join_stoppers(remote_sender *s, const char *hash)
{
	for (rw_stopper **pp = &s->stoppers; *pp;) {
		rw_stopper *st = *pp;
		bool join = hash ? !*hash || !strcmp(st->hash, hash) : pthread_tryjoin_np(st->th, NULL) == 0;
		if (join && hash)
			pthread_join(st->th, NULL);
		if (!join) {
			pp = &st->next;
			continue;
		}
		*pp = st->next;
		fl_free(st);
	}
}

int remote_sender_apply(remote_sender *s, const scrape_config *c, err *e)
{
	rw_cfg_hold *hold = NULL;
	size_t n = c ? c->n_remote_write : 0;
	join_stoppers(s, NULL);
	if (n) {
		char dir[1100];
		snprintf(dir, sizeof dir, "%s/remote_write", s->data_dir);
		if (mkdir(dir, 0777) && errno != EEXIST)
			return err_set(e, FL_EIO, "mkdir %s: %s", dir, strerror(errno));
		hold = fl_calloc(1, sizeof *hold);
		if (!hold)
			return err_set(e, FL_ENOMEM, "out of memory");
		atomic_init(&hold->refs, 1);
		hold->c = scrape_config_ref(c); /* the queues' reference on the caller's config */
	}
	rw_queue **next = fl_calloc(n + 1, sizeof *next);
	char(*hashes)[33] = fl_calloc(n + 1, sizeof *hashes);
	if (!next || !hashes) {
		fl_free(next);
		fl_free(hashes);
		rw__cfg_release(hold);
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		entry_hash(c, i, hashes[i]);
		for (size_t k = 0; k < i && !rc; k++)
			if (!strcmp(hashes[k], hashes[i]))
				rc = err_set(e, FL_EINVAL, "duplicate remote write configs are not allowed, found duplicate for URL: %s",
					     c->remote_write[i].url);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const char *h = hashes[i];
		uint8_t sum[16];
		secrets_sum(&c->remote_write[i], sum);
		rw_queue *changed = NULL;
		pthread_mutex_lock(&s->mu);
		for (size_t k = 0; k < s->n_queues; k++)
			if (s->queues[k] && !strcmp(s->queues[k]->hash, h)) {
				if (!memcmp(s->queues[k]->secrets_sum, sum, sizeof sum))
					next[i] = s->queues[k]; /* unchanged: kept with its state */
				else
					changed = s->queues[k]; /* a secret changed: restarted */
				s->queues[k] = NULL;
			}
		pthread_mutex_unlock(&s->mu);
		if (next[i])
			continue;
		if (changed)
			stop_in_background(s, changed);
		join_stoppers(s, h); /* its position file is final */
		next[i] = rw_queue_new(&hold->c->remote_write[i], h, s->data_dir, hold->c->external_labels,
				       s->flush_deadline_ms, e);
		if (!next[i]) {
			rc = e->code;
			break;
		}
		memcpy(next[i]->secrets_sum, sum, sizeof sum);
		atomic_fetch_add(&hold->refs, 1);
		next[i]->hold = hold;
		if (rw_queue_start(next[i], e) || rw_meta_start(next[i], &s->src, e)) {
			queue_free(next[i]);
			next[i] = NULL;
			rc = e->code;
		}
	}
	fl_free(hashes);
	if (rc) { /* give the kept ones back, drop the new ones */
		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; next[i] && k < s->n_queues; k++)
				if (!s->queues[k] && next[i]->hold != hold) {
					s->queues[k] = next[i];
					next[i] = NULL;
				}
		pthread_mutex_unlock(&s->mu);
		for (size_t i = 0; i < n; i++)
			queue_free(next[i]);
		fl_free(next);
		rw__cfg_release(hold);
		return rc;
	}
	pthread_mutex_lock(&s->mu);
	rw_queue **old = s->queues;
	size_t n_old = s->n_queues;
	s->queues = next;
	s->n_queues = n;
	pthread_mutex_unlock(&s->mu);
	for (size_t k = 0; k < n_old; k++)
		if (old[k])
			stop_in_background(s, old[k]); /* removed or changed: flushed up to the deadline */
	fl_free(old);
	rw__cfg_release(hold);
	return 0;
}

void remote_sender_notify(remote_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n_queues; i++)
		rw_queue_notify(s->queues[i]);
	pthread_mutex_unlock(&s->mu);
}

int remote_sender_lowest_segment(remote_sender *s)
{
	int low = INT32_MAX;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n_queues; i++) {
		int l = atomic_load(&s->queues[i]->lowest_segment);
		if (l < low)
			low = l;
	}
	pthread_mutex_unlock(&s->mu);
	return low;
}

void remote_sender_free(remote_sender *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_queues; i++)
		rw_meta_stop(s->queues[i]); /* all of them first: the queues' flushes follow */
	for (size_t i = 0; i < s->n_queues; i++)
		rw_queue_free(s->queues[i]);
	join_stoppers(s, "");
	fl_free(s->queues);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->src.mu);
	fl_free(s);
}

/* ---- metrics ---- */

static void label_value(buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_put_byte(b, '\\');
		if (*v == '\n') {
			buf_put_str(b, "\\n");
			continue;
		}
		buf_put_byte(b, (uint8_t)*v);
	}
}

static void series_start(buf *b, const char *name, const rw_queue *q, const char *extra, const char *extra_v)
{
	buf_printf(b, "%s{", name);
	if (extra) {
		buf_printf(b, "%s=\"", extra);
		label_value(b, extra_v);
		buf_put_str(b, "\",");
	}
	buf_put_str(b, "remote_name=\"");
	label_value(b, q->name);
	buf_put_str(b, "\",url=\"");
	label_value(b, q->cfg->url);
	buf_put_str(b, "\"} ");
}

enum { F_SAMPLES, F_FAILED, F_RETRIED, F_ENQ_RETRIES, F_BYTES, F_PENDING, F_SHARDS, F_SHARDS_DESIRED, F_SHARDS_MAX,
       F_SHARDS_MIN, F_CAPACITY, F_MAX_PER_SEND, F_HIGHEST, F_HIGHEST_SENT, F_META, F_META_FAILED, F_META_RETRIED,
       F_META_BYTES };

static const struct family {
	const char *name, *type, *help;
} families[] = {
	[F_SAMPLES] = {"prometheus_remote_storage_samples_total", "counter", "Total number of samples sent to remote storage."},
	[F_FAILED] = {"prometheus_remote_storage_samples_failed_total", "counter",
		      "Total number of samples which failed on send to remote storage, non-recoverable errors."},
	[F_RETRIED] = {"prometheus_remote_storage_samples_retried_total", "counter",
		       "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable."},
	[F_ENQ_RETRIES] = {"prometheus_remote_storage_enqueue_retries_total", "counter",
			   "Total number of times enqueue has failed because a shards queue was full."},
	[F_BYTES] = {"prometheus_remote_storage_bytes_total", "counter",
		     "The total number of bytes of data (not metadata) sent by the queue after compression. Note that when exemplars over remote write is enabled the exemplars included in a remote write request count towards this metric."},
	[F_PENDING] = {"prometheus_remote_storage_samples_pending", "gauge",
		       "The number of samples pending in the queues shards to be sent to the remote storage."},
	[F_SHARDS] = {"prometheus_remote_storage_shards", "gauge", "The number of shards used for parallel sending to the remote storage."},
	[F_SHARDS_DESIRED] = {"prometheus_remote_storage_shards_desired", "gauge",
			      "The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out."},
	[F_SHARDS_MAX] = {"prometheus_remote_storage_shards_max", "gauge", "The maximum number of shards that the queue is allowed to run."},
	[F_SHARDS_MIN] = {"prometheus_remote_storage_shards_min", "gauge", "The minimum number of shards that the queue is allowed to run."},
	[F_CAPACITY] = {"prometheus_remote_storage_shard_capacity", "gauge",
			"The capacity of each shard of the queue used for parallel sending to the remote storage."},
	[F_MAX_PER_SEND] = {"prometheus_remote_storage_max_samples_per_send", "gauge",
			    "The maximum number of samples to be sent, in a single request, to the remote storage. Note that, when sending of exemplars over remote write is enabled, exemplars count towards this limt."},
	[F_HIGHEST] = {"prometheus_remote_storage_queue_highest_timestamp_seconds", "gauge",
		       "Highest timestamp that was enqueued, in seconds since epoch. Initialized to 0 when no data has been received yet."},
	[F_HIGHEST_SENT] = {"prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "gauge",
			    "Highest timestamp successfully sent by this queue, in seconds since epoch. Initialized to 0 when no data has been sent yet."},
	[F_META] = {"prometheus_remote_storage_metadata_total", "counter", "Total number of metadata entries sent to remote storage."},
	[F_META_FAILED] = {"prometheus_remote_storage_metadata_failed_total", "counter",
			   "Total number of metadata entries which failed on send to remote storage, non-recoverable errors."},
	[F_META_RETRIED] = {"prometheus_remote_storage_metadata_retried_total", "counter",
			    "Total number of metadata entries which failed on send to remote storage but were retried because the send error was recoverable."},
	[F_META_BYTES] = {"prometheus_remote_storage_metadata_bytes_total", "counter",
			  "The total number of bytes of metadata sent by the queue after compression."},
};

static double family_value(rw_queue *q, int f)
{
	switch (f) {
	case F_SAMPLES: return (double)atomic_load(&q->st.samples_total);
	case F_FAILED: return (double)atomic_load(&q->st.failed);
	case F_RETRIED: return (double)atomic_load(&q->st.retried);
	case F_ENQ_RETRIES: return (double)atomic_load(&q->st.enqueue_retries);
	case F_BYTES: return (double)atomic_load(&q->st.bytes_total);
	case F_PENDING: return (double)rw_queue_pending(q);
	case F_SHARDS: return q->n_shards;
	case F_SHARDS_DESIRED: return (double)atomic_load(&q->st.shards_desired_milli) / 1000.0;
	case F_SHARDS_MAX: return (double)q->cfg->queue.max_shards;
	case F_SHARDS_MIN: return (double)q->cfg->queue.min_shards;
	case F_CAPACITY: return (double)q->cfg->queue.capacity;
	case F_MAX_PER_SEND: return (double)q->cfg->queue.max_samples_per_send;
	case F_HIGHEST: return (double)(atomic_load(&q->st.highest_ts_ms) / 1000);
	case F_META: return (double)atomic_load(&q->st.meta_total);
	case F_META_FAILED: return (double)atomic_load(&q->st.meta_failed);
	case F_META_RETRIED: return (double)atomic_load(&q->st.meta_retried);
	case F_META_BYTES: return (double)atomic_load(&q->st.meta_bytes);
	default: return (double)(atomic_load(&q->st.highest_sent_ts_ms) / 1000);
	}
}

static void header(buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void queue_metrics(remote_sender *s, buf *b)
{
	for (size_t f = 0; f < FL_ARRAY_LEN(families); f++) {
		header(b, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < s->n_queues; i++) {
			series_start(b, families[f].name, s->queues[i], NULL, NULL);
			buf_printf(b, "%.17g\n", family_value(s->queues[i], (int)f));
		}
	}
	header(b, "prometheus_remote_storage_samples_dropped_total", "counter",
	       "Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old or unintentionally because of an unknown reference ID.");
	for (size_t i = 0; i < s->n_queues; i++) {
		rw_queue *q = s->queues[i];
		const char *reasons[] = {"dropped_series", "too_old", "unintentionally_dropped_series"};
		int64_t v[] = {atomic_load(&q->st.dropped_series), atomic_load(&q->st.dropped_too_old),
			       atomic_load(&q->st.dropped_unknown)};
		for (int r = 0; r < 3; r++) {
			series_start(b, "prometheus_remote_storage_samples_dropped_total", q, "reason", reasons[r]);
			buf_printf(b, "%lld\n", (long long)v[r]);
		}
	}
	const char *hist = "prometheus_remote_storage_sent_batch_duration_seconds";
	header(b, hist, "histogram", "Duration of send calls to the remote storage.");
	for (size_t i = 0; i < s->n_queues; i++) {
		rw_queue *q = s->queues[i];
		static const char *const le[15] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
						   "10", "25", "60", "120", "300"};
		for (int k = 0; k < 15; k++) {
			series_start(b, "prometheus_remote_storage_sent_batch_duration_seconds_bucket", q, "le", le[k]);
			buf_printf(b, "%lld\n", (long long)atomic_load(&q->st.batch_buckets[k]));
		}
		series_start(b, "prometheus_remote_storage_sent_batch_duration_seconds_bucket", q, "le", "+Inf");
		buf_printf(b, "%lld\n", (long long)atomic_load(&q->st.batch_count));
		series_start(b, "prometheus_remote_storage_sent_batch_duration_seconds_sum", q, NULL, NULL);
		buf_printf(b, "%.17g\n", (double)atomic_load(&q->st.batch_us_sum) / 1e6);
		series_start(b, "prometheus_remote_storage_sent_batch_duration_seconds_count", q, NULL, NULL);
		buf_printf(b, "%lld\n", (long long)atomic_load(&q->st.batch_count));
	}
}

static void watcher_metrics(remote_sender *s, buf *b)
{
	header(b, "prometheus_wal_watcher_records_read_total", "counter",
	       "Number of records read by the WAL watcher from the WAL.");
	for (size_t i = 0; i < s->n_queues; i++)
		for (int t = 0; t <= RECORD_CUSTOM_BUCKETS_FLOAT_HISTOGRAM_SAMPLES; t++) {
			int64_t v = atomic_load(&s->queues[i]->w.records_read[t]);
			if (v)
				buf_printf(b, "prometheus_wal_watcher_records_read_total{consumer=\"%s\",type=\"%s\"} %lld\n",
					   s->queues[i]->name, record_type_name((enum record_type)(t ? t : RECORD_UNKNOWN)),
					   (long long)v);
		}
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} w[] = {
		{"prometheus_wal_watcher_record_decode_failures_total", "counter",
		 "Number of records read by the WAL watcher that resulted in an error when decoding.",
		 offsetof(wal_watcher, decode_failures)},
		{"prometheus_wal_watcher_samples_sent_pre_tailing_total", "counter",
		 "Number of sample records read by the WAL watcher and sent to remote write during replay of existing WAL.",
		 offsetof(wal_watcher, samples_pre_tailing)},
		{"prometheus_wal_watcher_current_segment", "gauge", "Current segment the WAL watcher is reading records from.",
		 offsetof(wal_watcher, current_segment)},
	};
	for (size_t k = 0; k < FL_ARRAY_LEN(w); k++) {
		header(b, w[k].name, w[k].type, w[k].help);
		for (size_t i = 0; i < s->n_queues; i++)
			buf_printf(b, "%s{consumer=\"%s\"} %lld\n", w[k].name, s->queues[i]->name,
				   (long long)atomic_load((_Atomic int64_t *)((char *)&s->queues[i]->w + w[k].off)));
	}
}

void remote_sender_metrics(remote_sender *s, buf *out)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	int64_t highest = 0;
	for (size_t i = 0; i < s->n_queues; i++)
		if (atomic_load(&s->queues[i]->st.highest_ts_ms) > highest)
			highest = atomic_load(&s->queues[i]->st.highest_ts_ms);
	header(out, "prometheus_remote_storage_highest_timestamp_in_seconds", "gauge",
	       "Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch. Initialized to 0 when no data has been received yet.");
	buf_printf(out, "prometheus_remote_storage_highest_timestamp_in_seconds %lld\n", (long long)(highest / 1000));
	if (s->n_queues) {
		queue_metrics(s, out);
		watcher_metrics(s, out);
	}
	pthread_mutex_unlock(&s->mu);
}
