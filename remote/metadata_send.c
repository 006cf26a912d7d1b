/*
 * metadata_send.c - remote_write[].metadata_config, as Prometheus's
 * MetadataWatcher and QueueManager.AppendWatcherMetadata: one thread per
 * 1.0 queue wakes every send_interval (the first time one interval after
 * the start), asks the sender's source for the metadata of the active
 * scrape targets, keeps one entry per distinct (family, type, help, unit),
 * and sends them in 1.0 WriteRequests that carry only metadata, at most
 * metadata_config.max_samples_per_send entries each, one after another.
 *
 *   source (scrape_manager_metadata) --dedup--> rw_metadata[]
 *     --batches--> rw_encode (1.0, no series) --snappy--> rw__post
 *
 * Each request is retried as the queue's samples are (5xx, 429 with
 * retry_on_http_429, transport errors: min_backoff doubling to
 * max_backoff, or Retry-After); a request that fails for good counts its
 * entries in metadata_failed_total and the round goes on with the next.
 * Counters: prometheus_remote_storage_metadata_total (entries sent),
 * _metadata_failed_total, _metadata_retried_total, _metadata_bytes_total
 * (compressed bodies sent), in the queue's stats (write.c prints them).
 *
 * Stopping (rw_meta_stop): no new round starts; a round in flight may go
 * on for the queue's flush deadline, then its request is aborted, as
 * Prometheus cancels its hard-shutdown context.
 *
 * 2.0 queues send no metadata: Prometheus 3.x carries 2.0 metadata per
 * series from WAL metadata records, written only with its
 * metadata-wal-records feature; flint's WAL has none, so a 2.0 entry with
 * send: true logs a warning and sends none, as 3.x without the feature.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "remote/write_int.h"

typedef struct rw_meta {
	rw_queue *q;         /* the queue whose entry and counters it uses */
	rw_meta_source *src; /* the sender's (outlives the queue) */
	pthread_t th;        /* meta_main */
	pthread_mutex_t mu;  /* guards stop; cond's */
	pthread_cond_t cond; /* stop or abort */
	bool stop;           /* no new round */
	_Atomic bool abort;  /* give up the request in flight (atomic: libcurl's progress callback reads it unlocked) */
	rw_shard sh;         /* rw__post's handle: q, curl, pb, body, resp (this thread only) */
} rw_meta;

static int type_of(const char *name)
{
	for (int t = RW_TYPE_UNKNOWN; t <= RW_TYPE_STATESET; t++)
		if (name && !strcmp(rw_metric_type_name(t), name))
			return t;
	return RW_TYPE_UNKNOWN;
}

static int md_cmp(const void *a, const void *b)
{
	const rw_metadata *x = a, *y = b;
	int c = strcmp(x->family, y->family);
	if (!c)
		c = (x->type > y->type) - (x->type < y->type);
	if (!c)
		c = strcmp(x->help, y->help);
	return c ? c : strcmp(x->unit, y->unit);
}

size_t rw_meta_dedup(const scrape_target_metadata *tm, size_t n, arena *a, rw_metadata **out)
{
	*out = NULL;
	if (!n)
		return 0;
	rw_metadata *md = arena_calloc(a, n, sizeof *md);
	if (!md)
		return 0;
	for (size_t i = 0; i < n; i++)
		md[i] = (rw_metadata){type_of(tm[i].type), tm[i].metric ? tm[i].metric : "", tm[i].help ? tm[i].help : "",
				      tm[i].unit ? tm[i].unit : ""};
	qsort(md, n, sizeof *md, md_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || md_cmp(&md[k - 1], &md[i]))
			md[k++] = md[i];
	*out = md;
	return k;
}

/* Wait ms unless aborted: false when aborted. */
static bool wait_unless_aborted(rw_meta *m, int64_t ms)
{
	int64_t end = rw__mono_ms() + ms;
	pthread_mutex_lock(&m->mu);
	while (!atomic_load(&m->abort) && rw__mono_ms() < end)
		rw__cond_wait_ms(&m->cond, &m->mu, end - rw__mono_ms());
	pthread_mutex_unlock(&m->mu);
	return !atomic_load(&m->abort);
}

static void count_failed(rw_queue *q, size_t n, const char *why)
{
	char cnt[32];
	snprintf(cnt, sizeof cnt, "%zu", n);
	atomic_fetch_add(&q->st.meta_failed, (int64_t)n);
	log_error("remote", "non-recoverable error while sending metadata", "remote_name", q->name, "url", q->cfg->url,
		  "count", cnt, "err", why, NULL);
}

/* One request of n entries, retried until sent, failed or aborted (-1). */
static int send_request(rw_meta *m, const rw_metadata *md, size_t n)
{
	rw_queue *q = m->q;
	rw_shard *sh = &m->sh;
	rw_request r = {.version = RW_V1, .md = (rw_metadata *)md, .n_md = n};
	err e = {0};
	buf_clear(&sh->pb);
	buf_clear(&sh->body);
	if (rw_encode(&r, &sh->pb, &e) || sh->pb.oom || remote_snappy_encode(sh->pb.p, sh->pb.len, &sh->body)) {
		count_failed(q, n, "cannot encode the request");
		return 0;
	}
	int64_t backoff = q->cfg->queue.min_backoff_ms;
	for (int try = 0;; try++) {
		int64_t retry_after = 0;
		char why[512] = "";
		int o = rw__post(sh, &sh->body, &m->abort, &retry_after, why, sizeof why);
		if (o == 0) {
			atomic_fetch_add(&q->st.meta_total, (int64_t)n);
			atomic_fetch_add(&q->st.meta_bytes, (int64_t)sh->body.len);
			return 0;
		}
		if (o == 2) {
			count_failed(q, n, why);
			return 0;
		}
		if (o < 0) {
			count_failed(q, n, "context canceled");
			return -1;
		}
		atomic_fetch_add(&q->st.meta_retried, (int64_t)n);
		if (try == 0 || log_get_level() == LOG_DEBUG)
			log_warn("remote", "Failed to send batch, retrying", "remote_name", q->name, "url", q->cfg->url, "err",
				 why, NULL);
		if (!wait_unless_aborted(m, rw_retry_wait_ms(retry_after, backoff))) {
			count_failed(q, n, "context canceled");
			return -1;
		}
		backoff = rw_next_backoff(backoff, q->cfg->queue.max_backoff_ms);
	}
}

int rw_meta_send(rw_meta *m, const rw_metadata *md, size_t n)
{
	int64_t max = m->q->cfg->metadata.max_samples_per_send;
	size_t per = max > 0 ? (size_t)max : n; /* not positive: all in one request */
	for (size_t i = 0; i < n; i += per)
		if (send_request(m, md + i, FL_MIN(per, n - i)) < 0)
			return -1;
	return 0;
}

/* One round: collect from the source, deduplicate, send. */
static void collect(rw_meta *m)
{
	arena a;
	arena_init(&a);
	scrape_target_metadata *tm = NULL;
	size_t n = 0;
	err e = {0};
	pthread_mutex_lock(&m->src->mu);
	int rc = m->src->fn ? m->src->fn(m->src->ctx, &a, &tm, &n, &e) : 0;
	pthread_mutex_unlock(&m->src->mu);
	if (rc) {
		log_warn("remote", "Cannot list the scrape targets' metadata", "remote_name", m->q->name, "err", e.msg, NULL);
	} else {
		rw_metadata *md;
		size_t k = rw_meta_dedup(tm, n, &a, &md);
		rw_meta_send(m, md, k);
	}
	arena_reset(&a);
}

static void *meta_main(void *arg)
{
	rw_meta *m = arg;
	int64_t every = m->q->cfg->metadata.send_interval_ms, next = rw__mono_ms() + every;
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		int64_t now = rw__mono_ms();
		if (now < next) {
			rw__cond_wait_ms(&m->cond, &m->mu, next - now);
			continue;
		}
		while (next <= now) /* a ticker: ticks missed during a long round are dropped */
			next += every;
		pthread_mutex_unlock(&m->mu);
		collect(m);
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

static void meta_free(rw_meta *m)
{
	if (m->sh.curl)
		curl_easy_cleanup(m->sh.curl);
	buf_reset(&m->sh.pb);
	buf_reset(&m->sh.body);
	buf_reset(&m->sh.resp);
	arena_reset(&m->sh.a);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cond);
	fl_free(m);
}

int rw_meta_start(rw_queue *q, rw_meta_source *src, err *e)
{
	const scrape_metadata_config *mc = &q->cfg->metadata;
	if (!mc->send)
		return 0;
	if (q->version != RW_V1) {
		log_warn("remote", "metadata_config.send has no effect with remote write 2.0: Prometheus 3.x sends 2.0 "
				   "metadata from WAL metadata records (feature metadata-wal-records), which flint does not write",
			 "remote_name", q->name, "url", q->cfg->url, NULL);
		return 0;
	}
	if (mc->send_interval_ms <= 0) {
		log_warn("remote", "metadata_config.send_interval is not positive: no metadata is sent", "remote_name",
			 q->name, NULL);
		return 0;
	}
	rw_meta *m = fl_calloc(1, sizeof *m);
	if (!m)
		return err_set(e, FL_ENOMEM, "out of memory");
	m->q = q;
	m->src = src;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->sh.q = q;
	m->sh.index = -1;
	buf_init(&m->sh.pb);
	buf_init(&m->sh.body);
	buf_init(&m->sh.resp);
	arena_init(&m->sh.a);
	m->sh.curl = curl_easy_init();
	if (!m->sh.curl || pthread_create(&m->th, NULL, meta_main, m)) {
		meta_free(m);
		return err_set(e, FL_ENOMEM, "cannot start the metadata sender of remote write %s", q->name);
	}
	q->meta = m;
	return 0;
}

void rw_meta_stop(rw_queue *q)
{
	rw_meta *m = q ? q->meta : NULL;
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
	int64_t deadline = rw__mono_ms() + q->flush_deadline_ms;
	while (pthread_tryjoin_np(m->th, NULL)) {
		if (rw__mono_ms() >= deadline) { /* the round in flight is given up */
			pthread_mutex_lock(&m->mu);
			atomic_store(&m->abort, true);
			pthread_cond_broadcast(&m->cond);
			pthread_mutex_unlock(&m->mu);
			pthread_join(m->th, NULL);
			break;
		}
		usleep(20000);
	}
	q->meta = NULL;
	meta_free(m);
}
