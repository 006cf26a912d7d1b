/*
 * queue_send.c - the shards of a remote-write queue: each thread cuts a
 * batch from its ring at max_samples_per_send or when the oldest entry has
 * waited batch_send_deadline, encodes it (codec.h: 1.0 WriteRequest or 2.0
 * Request, one series per distinct series of the batch, samples in WAL
 * order), snappy-compresses it and POSTs it, as Prometheus's shards and
 * client.Store do:
 *
 *   Content-Encoding: snappy
 *   Content-Type: application/x-protobuf[;proto=io.prometheus.write.v2.Request]
 *   X-Prometheus-Remote-Write-Version: 0.1.0 | 2.0.0
 *   User-Agent: flint/<version>, the entry's headers, its auth (httpc.h,
 *   or SigV4)
 *
 * Outcomes: 2xx sent; 5xx, and 429 with retry_on_http_429, and transport
 * errors (refused, reset, timeout, garbage) retried after the backoff
 * (min_backoff doubling to max_backoff, or Retry-After), samples older than
 * sample_age_limit dropped on the way; other statuses fail the batch
 * (samples_failed_total). A 2.0 body answered 2xx without the
 * X-Prometheus-Remote-Write-*-Written headers (a 1.0-only receiver such as
 * Prometheus 2.42 stores nothing) is a failure, logged, as in Prometheus
 * 3.x. The response body is read up to 1 KiB (for the error message);
 * past 64 KiB the transfer is cut, so a receiver that streams gigabytes
 * costs nothing but that request.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/version.h"
#include "remote/sigv4.h"
#include "remote/write_int.h"
#include "scrape/httpc.h"

#define RESP_KEEP 1024
#define RESP_CUT (64 * 1024)


static const double batch_bounds[15] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 60, 120, 300};

int64_t rw_next_backoff(int64_t cur_ms, int64_t max_ms)
{
	int64_t n = cur_ms * 2;
	return n > max_ms ? max_ms : n;
}

int64_t rw_retry_wait_ms(int64_t retry_after_ms, int64_t backoff_ms)
{
	return retry_after_ms > 0 ? FL_MIN(retry_after_ms, 3600 * 1000) : backoff_ms;
}

int64_t rw_retry_after_ms(const char *v, int64_t now_unix_ms)
{
	if (!v)
		return 0;
	while (*v == ' ')
		v++;
	char *end;
	long long s = strtoll(v, &end, 10);
	if (end != v && (*end == 0 || *end == '\r' || *end == '\n' || *end == ' '))
		return s > 0 ? (s > 86400 * 365 ? 86400LL * 365 : s) * 1000 : 0;
	struct tm tm = {0};
	const char *r = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!r)
		return 0;
	int64_t t = (int64_t)timegm(&tm);
	if (t < 0 || t > 253402300799LL) /* years 1970..9999 */
		return 0;
	t *= 1000;
	return t > now_unix_ms ? t - now_unix_ms : 0;
}

static int64_t unix_ms(void) { return rw__clock_ms(CLOCK_REALTIME); }

/* ---- one HTTP attempt ---- */

typedef struct attempt {
	long status;
	rw_resp r;
	buf *resp;
	_Atomic bool *abort; /* give up the transfer (the queue's abort_sends) */
} attempt;

void rw_response_header(const char *p, size_t n, int64_t now_unix_ms, rw_resp *r)
{
	char line[256];
	size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
	memcpy(line, p, k);
	line[k] = 0;
	static const char *const written[] = {"X-Prometheus-Remote-Write-Samples-Written:",
					      "X-Prometheus-Remote-Write-Histograms-Written:",
					      "X-Prometheus-Remote-Write-Exemplars-Written:"};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(written[i]);
		if (strncasecmp(line, written[i], l))
			continue;
		char *v = line + l;
		while (*v == ' ')
			v++;
		if (*v && *v != '\r' && *v != '\n') { /* empty means zero, and unconfirmed */
			long long x = strtoll(v, NULL, 10);
			r->confirmed = true;
			if (x > 0 && r->written <= INT64_MAX - x)
				r->written += x;
		}
	}
	if (!strncasecmp(line, "Retry-After:", 12))
		r->retry_after_ms = rw_retry_after_ms(line + 12, now_unix_ms);
	if (!strncasecmp(line, "HTTP/", 5)) /* a new response (after a 100 Continue or a redirect) */
		*r = (rw_resp){0};
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	attempt *a = ud;
	rw_response_header(p, sz * nm, unix_ms(), &a->r);
	return sz * nm;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	attempt *a = ud;
	size_t n = sz * nm;
	if (a->resp->len < RESP_KEEP)
		buf_put(a->resp, p, FL_MIN(n, RESP_KEEP - a->resp->len));
	return n; /* the rest is discarded; on_progress cuts the transfer past RESP_CUT */
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	attempt *a = ud;
	(void)dt, (void)ut, (void)un;
	return atomic_load(a->abort) || dn > RESP_CUT;
}

static const char *const RW_CT_V1 = "Content-Type: application/x-protobuf";
static const char *const RW_CT_V2 = "Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request";

/* Headers of the request, auth included. 0 or an error (credentials). */
static int request_headers(rw_shard *sh, const buf *body, struct curl_slist **hdrs, err *e)
{
	rw_queue *q = sh->q;
	const scrape_remote_config *c = q->cfg;
	if (httpc_setup(sh->curl, &c->http, hdrs, e))
		return e->code;
	const char *fixed[] = {
		"Content-Encoding: snappy",
		q->version == RW_V2 ? RW_CT_V2 : RW_CT_V1,
		q->version == RW_V2 ? "X-Prometheus-Remote-Write-Version: 2.0.0" : "X-Prometheus-Remote-Write-Version: 0.1.0",
		"User-Agent: flint/" FLINT_VERSION,
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(fixed); i++)
		*hdrs = curl_slist_append(*hdrs, fixed[i]);
	for (size_t i = 0; i < c->n_headers; i++) {
		char line[1024];
		snprintf(line, sizeof line, "%s: %s", c->headers[i].key, c->headers[i].value);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	if (q->signer) {
		const char *list[16];
		size_t n = 0;
		for (struct curl_slist *l = *hdrs; l && n < FL_ARRAY_LEN(list); l = l->next)
			list[n++] = l->data;
		sigv4_signed sig;
		if (sigv4_signer_sign(q->signer, "POST", c->url, list, n, body->p, body->len, unix_ms(), &sig, e))
			return e->code;
		for (int i = 0; i < sig.n; i++) {
			char line[700];
			snprintf(line, sizeof line, "%s: %s", sig.h[i].name, sig.h[i].value);
			*hdrs = curl_slist_append(*hdrs, line);
		}
	}
	return 0;
}

bool rw_round_robin_target(const char *url, long (*pick)(long n), char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	bool ok = false;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) || host[0] == '[')
		goto done;
	struct in6_addr probe;
	if (inet_pton(AF_INET, host, &probe) == 1) /* an IP literal: nothing to choose */
		goto done;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(host, NULL, &hints, &res) || !res)
		goto done;
	long n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	long k = pick(n);
	struct addrinfo *ai = res;
	for (; ai && k > 0; k--)
		ai = ai->ai_next;
	char addr[INET6_ADDRSTRLEN] = "";
	if (ai && ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof addr);
	else if (ai && ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr, sizeof addr);
	freeaddrinfo(res);
	if (addr[0]) {
		bool v6 = strchr(addr, ':') != NULL;
		int w = snprintf(out, cap, "%s:%s:%s%s%s:%s", host, port, v6 ? "[" : "", addr, v6 ? "]" : "", port);
		ok = w > 0 && (size_t)w < cap;
	}
done:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

static long pick_random(long n) { return n > 0 ? random() % n : 0; }

enum outcome { SENT, RETRY, FAIL, ABORTED };

static enum outcome post(rw_shard *sh, const buf *body, attempt *a, char *why, size_t why_len)
{
	rw_queue *q = sh->q;
	const scrape_remote_config *c = q->cfg;
	CURL *h = sh->curl;
	curl_easy_reset(h);
	struct curl_slist *hdrs = NULL;
	err e = {0};
	if (request_headers(sh, body, &hdrs, &e)) {
		curl_slist_free_all(hdrs);
		snprintf(why, why_len, "%s", e.msg);
		return RETRY;
	}
	buf_clear(&sh->resp);
	a->resp = &sh->resp;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	struct curl_slist *connect_to = NULL;
	char target[512];
	if (c->round_robin_dns && rw_round_robin_target(c->url, pick_random, target, sizeof target)) {
		connect_to = curl_slist_append(NULL, target);
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body->p);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->remote_timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(connect_to);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	if (atomic_load(a->abort))
		return ABORTED;
	if (rc != CURLE_OK && !(rc == CURLE_ABORTED_BY_CALLBACK && a->status >= 200)) {
		snprintf(why, why_len, "Post \"%s\": %s", c->url, curl_easy_strerror(rc));
		return RETRY;
	}
	long s = a->status;
	if (s / 100 == 2)
		return SENT;
	size_t n = sh->resp.len;
	const char *msg = n ? (const char *)sh->resp.p : "";
	snprintf(why, why_len, "server returned HTTP status %ld: %.*s", s, (int)(n > 256 ? 256 : n), msg);
	if (s / 100 == 5 || (s == 429 && c->queue.retry_on_http_429))
		return RETRY;
	return FAIL;
}

/* ---- a batch ---- */

/* Encode entries (those not too old) into sh->body; *kept: samples in it;
 * *highest: their highest timestamp. */
static int encode(rw_shard *sh, rw_entry **ents, size_t n, size_t *kept, int64_t *highest)
{
	rw_queue *q = sh->q;
	int64_t limit = q->cfg->queue.sample_age_limit_ms, now = unix_ms();
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (limit > 0 && ents[i]->t < now - limit) {
			atomic_fetch_add(&q->st.dropped_too_old, 1);
			atomic_fetch_add(&q->data_dropped, 1);
			continue;
		}
		ents[k++] = ents[i];
	}
	*kept = k;
	*highest = 0;
	buf_clear(&sh->body);
	if (!k)
		return 0;
	arena_reset(&sh->a);
	buf_clear(&sh->pb);
	if (rw_batch_encode(q->version, ents, k, atomic_fetch_add(&q->batches, 1) + 1, &sh->a, &sh->pb, highest) ||
	    sh->pb.oom || remote_snappy_encode(sh->pb.p, sh->pb.len, &sh->body))
		return -1;
	return 0;
}

static void observe(rw_queue *q, int64_t us)
{
	atomic_fetch_add(&q->st.batch_count, 1);
	atomic_fetch_add(&q->st.batch_us_sum, us);
	for (size_t i = 0; i < FL_ARRAY_LEN(batch_bounds); i++)
		if (us <= (int64_t)(batch_bounds[i] * 1e6))
			atomic_fetch_add(&q->st.batch_buckets[i], 1);
}

int rw__post(rw_shard *sh, const buf *body, _Atomic bool *abort, int64_t *retry_after_ms, char *why, size_t why_len)
{
	attempt a = {.abort = abort};
	int64_t t0 = rw__mono_ms();
	enum outcome o = post(sh, body, &a, why, why_len);
	observe(sh->q, (rw__mono_ms() - t0) * 1000);
	*retry_after_ms = a.r.retry_after_ms;
	return o == SENT ? 0 : o == RETRY ? 1 : o == FAIL ? 2 : -1;
}

/* Sleep ms unless sends are aborted. */
static bool nap(rw_queue *q, int64_t ms)
{
	int64_t end = rw__mono_ms() + ms;
	while (!atomic_load(&q->abort_sends)) {
		int64_t left = end - rw__mono_ms();
		if (left <= 0)
			return true;
		usleep((useconds_t)(left > 50 ? 50000 : left * 1000));
	}
	return false;
}

/* Send entries until sent, failed or aborted: -1 aborted (they stay). */
static int send_batch(rw_shard *sh, rw_entry **ents, size_t n)
{
	rw_queue *q = sh->q;
	int64_t backoff = q->cfg->queue.min_backoff_ms;
	for (int try = 0;; try++) {
		size_t k;
		int64_t highest;
		if (encode(sh, ents, n, &k, &highest)) {
			atomic_fetch_add(&q->st.failed, (int64_t)n);
			log_error("remote", "Non-recoverable error", "remote_name", q->name, "err", "cannot encode the request", NULL);
			return 0;
		}
		if (!k)
			return 0;
		n = k; /* the too old stay dropped on later tries */
		atomic_fetch_add(&q->st.samples_total, (int64_t)k);
		attempt a = {.abort = &q->abort_sends};
		char why[512] = "";
		int64_t t0 = rw__mono_ms();
		enum outcome o = post(sh, &sh->body, &a, why, sizeof why);
		int64_t took = rw__mono_ms() - t0;
		observe(q, took * 1000);
		if (o == ABORTED)
			return -1;
		atomic_fetch_add(&q->st.bytes_total, (int64_t)sh->body.len);
		if (o == SENT && q->version == RW_V2 && !a.r.written) {
			char s[32];
			snprintf(s, sizeof s, "%zu", k);
			atomic_fetch_add(&q->st.unconfirmed, 1);
			log_error("remote", "Non-recoverable error", "remote_name", q->name, "url", q->cfg->url, "samples", s,
				  "err", "sent v2 request; got 2xx, but PRW 2.0 response header statistics indicate no samples "
					 "were accepted; assuming failure e.g. the target only supports PRW 1.0 "
					 "prometheus.WriteRequest, but does not check the Content-Type header correctly",
				  NULL);
			o = FAIL;
			snprintf(why, sizeof why, "no written headers");
		}
		if (o == SENT) {
			int64_t cur = atomic_load(&q->st.highest_sent_ts_ms);
			while (highest > cur && !atomic_compare_exchange_weak(&q->st.highest_sent_ts_ms, &cur, highest))
				;
			atomic_store(&q->last_send_ok_ms, rw__mono_ms());
			atomic_fetch_add(&q->data_out, (int64_t)k);
			atomic_fetch_add(&q->data_out_us, took * 1000);
			return 0;
		}
		if (o == FAIL) {
			atomic_fetch_add(&q->st.failed, (int64_t)k);
			if (strcmp(why, "no written headers"))
				log_error("remote", "Non-recoverable error", "remote_name", q->name, "url", q->cfg->url, "err", why,
					  NULL);
			return 0;
		}
		atomic_fetch_add(&q->st.retried, (int64_t)k);
		int64_t wait = rw_retry_wait_ms(a.r.retry_after_ms, backoff);
		if (try == 0 || log_get_level() == LOG_DEBUG)
			log_warn("remote", "Failed to send batch, retrying", "remote_name", q->name, "url", q->cfg->url, "err",
				 why, NULL);
		if (!nap(q, wait))
			return -1;
		backoff = rw_next_backoff(backoff, q->cfg->queue.max_backoff_ms);
	}
}

/* ---- shard threads ---- */

static void *shard_main(void *arg)
{
	rw_shard *sh = arg;
	rw_queue *q = sh->q;
	size_t cap = (size_t)q->cfg->queue.capacity, max = (size_t)q->cfg->queue.max_samples_per_send;
	rw_entry **ents = fl_malloc(max * sizeof *ents);
	if (!ents)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&sh->mu);
		for (;;) {
			if (atomic_load(&q->abort_sends) || (sh->stop && !sh->count)) {
				pthread_mutex_unlock(&sh->mu);
				fl_free(ents);
				return NULL;
			}
			int64_t left = sh->batch_start_ms + q->cfg->queue.batch_send_deadline_ms - rw__mono_ms();
			if (sh->count >= max || (sh->count && (left <= 0 || sh->stop || atomic_load(&q->flushing))))
				break;
			rw__cond_wait_ms(&sh->cond, &sh->mu, !sh->count || left > 100 ? 100 : left);
		}
		size_t n = FL_MIN(sh->count, max);
		for (size_t i = 0; i < n; i++)
			ents[i] = &sh->ring[(sh->head + i) % cap];
		pthread_mutex_unlock(&sh->mu);
		if (send_batch(sh, ents, n) < 0)
			continue; /* aborted: the loop exits above */
		pthread_mutex_lock(&sh->mu);
		sh->popped += n; /* the watcher may free series entries of these now */
		sh->head = (sh->head + n) % cap;
		sh->count -= n;
		sh->batch_start_ms = rw__mono_ms();
		pthread_cond_broadcast(&sh->space);
		pthread_mutex_unlock(&sh->mu);
		atomic_store(&q->pos_dirty, true); /* the watcher writes the position now */
		rw_queue_notify(q);
	}
}

int rw__shards_start(rw_queue *q, int n, err *e)
{
	size_t cap = (size_t)q->cfg->queue.capacity;
	for (int i = 0; i < n; i++) {
		rw_shard *sh = &q->shards[i];
		memset(sh, 0, sizeof *sh);
		sh->q = q;
		sh->index = i;
		pthread_mutex_init(&sh->mu, NULL);
		pthread_cond_init(&sh->cond, NULL);
		pthread_cond_init(&sh->space, NULL);
		buf_init(&sh->pb);
		buf_init(&sh->body);
		buf_init(&sh->resp);
		arena_init(&sh->a);
		sh->ring = fl_malloc(cap * sizeof *sh->ring);
		sh->curl = curl_easy_init();
		q->n_shards = i + 1;
		if (!sh->ring || !sh->curl || pthread_create(&sh->th, NULL, shard_main, sh)) {
			rw__shards_stop(q);
			return err_set(e, FL_ENOMEM, "cannot start remote write shard %d", i);
		}
		sh->running = true;
	}
	return 0;
}

void rw__shards_stop(rw_queue *q)
{
	for (int i = 0; i < q->n_shards; i++) {
		rw_shard *sh = &q->shards[i];
		pthread_mutex_lock(&sh->mu);
		sh->stop = true;
		pthread_cond_signal(&sh->cond);
		pthread_mutex_unlock(&sh->mu);
	}
	for (int i = 0; i < q->n_shards; i++)
		if (q->shards[i].running)
			pthread_join(q->shards[i].th, NULL), q->shards[i].running = false;
	if (atomic_load(&q->abort_sends))
		rw__write_pos(q); /* the final position, with what each shard still holds */
	for (int i = 0; i < q->n_shards; i++) {
		rw_shard *sh = &q->shards[i];
		fl_free(sh->ring); /* entries left (aborted) are dropped: the caller reaps the graveyard */
		if (sh->curl)
			curl_easy_cleanup(sh->curl);
		buf_reset(&sh->pb);
		buf_reset(&sh->body);
		buf_reset(&sh->resp);
		arena_reset(&sh->a);
		pthread_mutex_destroy(&sh->mu);
		pthread_cond_destroy(&sh->cond);
		pthread_cond_destroy(&sh->space);
		memset(sh, 0, sizeof *sh);
	}
	q->n_shards = 0;
}
