/*
 * remote_write.c - the remote-write receiver, POST /api/v1/write (and
 * /api/v1/push, Grafana's Mimir-style path), as Prometheus's
 * storage/remote/write_handler.go answers it:
 *
 *   1. off unless --web.enable-remote-write-receiver: 404 with Prometheus's text
 *   2. Content-Type: empty = 1.0; "application/x-protobuf" with no proto
 *      parameter or proto=prometheus.WriteRequest = 1.0,
 *      proto=io.prometheus.write.v2.Request = 2.0; anything else 415
 *   3. Content-Encoding: empty or snappy, else 415; body over 32 MiB 413;
 *      bad snappy (or decoded over 32 MiB) 400; bad protobuf 400
 *   4. 1.0: series without __name__, with invalid or duplicate label names
 *      are skipped (counted); an out-of-order / duplicate / out-of-bounds /
 *      too-old sample rolls the whole request back and answers 400 with the
 *      storage's message ("duplicate sample for timestamp"); any other append
 *      failure 500; success 204.
 *   5. 2.0: invalid series and rejected samples are collected as 400 reasons
 *      while the rest is committed (partial write); other failures roll back
 *      with 500. Every answer carries X-Prometheus-Remote-Write-Samples-,
 *      -Histograms- and -Exemplars-Written.
 *   6. Samples more than 10 minutes in the future are out of bounds
 *      ("out of bounds: timestamp is too far in the future", maxAheadTime).
 *   7. Metadata (1.0's list, 2.0's per series) goes to the metadata store.
 *
 * Native histograms and exemplars are decoded and counted but not stored
 * (flint's head has no histogram chunks yet); they count as not written.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "lib/log.h"
#include "web/remote.h"
#include "remote/codec.h"
#include "tsdb/db.h"
#include "tsdb/refcache.h"

#define MAX_AHEAD_MS (10 * 60 * 1000)

static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t'))
		(*p)++, (*n)--;
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* write_handler.go parseProtoMsg. Returns the version or 0 with a message. */
static int parse_content_type(const char *ct, char *msg, size_t cap)
{
	if (!ct || !*ct)
		return RW_V1;
	const char *p = ct;
	size_t n = strcspn(p, ";");
	const char *media = p;
	size_t mlen = n;
	trim(&media, &mlen);
	if (mlen != 22 || strncasecmp(media, "application/x-protobuf", 22)) {
		snprintf(msg, cap, "expected application/x-protobuf as the first (media) part, got %s content-type", ct);
		return 0;
	}
	for (p += n; *p == ';';) {
		p++;
		size_t k = strcspn(p, ";");
		const char *eq = memchr(p, '=', k);
		if (!eq || memchr(eq + 1, '=', k - (size_t)(eq + 1 - p))) {
			snprintf(msg, cap, "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got %.*s in %s content-type",
				 (int)k, p, ct);
			return 0;
		}
		const char *key = p, *val = eq + 1;
		size_t kl = (size_t)(eq - p), vl = k - kl - 1;
		trim(&key, &kl);
		trim(&val, &vl);
		if (kl == 5 && !strncmp(key, "proto", 5)) {
			if (vl == 23 && !strncmp(val, "prometheus.WriteRequest", 23))
				return RW_V1;
			if (vl == 30 && !strncmp(val, "io.prometheus.write.v2.Request", 30))
				return RW_V2;
			snprintf(msg, cap, "got %s content type; unknown remote write protobuf message %.*s, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request",
				 ct, (int)vl, val);
			return 0;
		}
		p += k;
	}
	return RW_V1;
}

static bool is_reject(int rc) { return rc == FL_EOUT_OF_ORDER || rc == FL_EDUPLICATE || rc == FL_ETOO_OLD; }

/* Reason line of a rejected 2.0 sample: "<msg> for series {labels}". */
static void add_reason(buf *reasons, const char *msg, labels ls)
{
	buf_printf(reasons, "%s%s for series ", reasons->len ? "\n" : "", msg);
	labels_format(reasons, ls);
}

/* Append one series' samples; *written counts the appended ones, *ref_out
 * (when not NULL) gets the series' ref. A series decoded with a known ref
 * is appended by that ref. 1.0 (reasons == NULL) stops at the first failure
 * and returns its code with the message in e. 2.0 notes each rejected
 * sample in reasons and goes on; only a failure that is not a rejection is
 * returned. */
static int append_series(appender *app, const rw_series *s, int64_t max_t, buf *reasons, size_t *written,
			 series_ref *ref_out, err *e)
{
	labels ls = {s->labels, s->n_labels};
	series_ref ref = s->known_ref;
	for (size_t i = 0; i < s->n_samples; i++) {
		int rc;
		if (s->samples[i].t > max_t)
			rc = err_set(e, FL_ETOO_OLD, "out of bounds: timestamp is too far in the future");
		else
			rc = appender_append(app, ref, ref ? (labels){NULL, 0} : ls, s->samples[i].t, s->samples[i].v, &ref, e);
		if (!rc) {
			(*written)++;
			continue;
		}
		if (!reasons || !is_reject(rc))
			return rc;
		add_reason(reasons, e->msg, ls);
	}
	if (ref_out)
		*ref_out = ref;
	return 0;
}

static void store_metadata(metadata_store *m, const rw_request *req)
{
	if (!m)
		return;
	for (size_t i = 0; i < req->n_md; i++)
		metadata_store_set(m, req->md[i].family, req->md[i].type, req->md[i].help, req->md[i].unit);
	for (size_t i = 0; i < req->n_series; i++)
		if (req->series[i].has_metadata)
			metadata_store_set(m, req->series[i].md.family, req->series[i].md.type,
					   req->series[i].md.help, req->series[i].md.unit);
}

static void count_dropped(remote_state *st, const rw_series *s)
{
	if (s->n_histograms)
		atomic_fetch_add_explicit(&st->histograms_dropped, s->n_histograms, memory_order_relaxed);
	if (s->n_exemplars)
		atomic_fetch_add_explicit(&st->exemplars_dropped, s->n_exemplars, memory_order_relaxed);
}

/* The storage's appender: the db's, or in agent mode the agent's WAL
 * (Prometheus's agent accepts remote write into its WAL too). */
static appender *rw_appender(web_env *env) { return env->agent ? agent_appender(env->agent) : db_appender(env->db); }

/* The series cache of the 1.0 decoder: the db's; none in agent mode (the
 * agent's appender finds its series by labels). */
static refcache *rw_refcache(web_env *env) { return env->db ? db_refcache(env->db) : NULL; }

/* The series cache's side of a 1.0 request: the keys of the series the
 * decoder announced (rw_decode_v1_ahead), in request order, hashed once
 * for the lookup, the prefetch and the put of a new series. */
typedef struct known_key {
	const uint8_t *raw; /* the series' label bytes (in the decoded body) */
	refcache_key k;     /* their hash */
	uint32_t ref;       /* what the cache held, 0 = nothing (a put will follow) */
} known_key;

typedef struct known_ctx {
	refcache *c;
	known_key *keys; /* announced series (fl_grow; NULL on OOM: hashed again) */
	size_t n, cap;
	size_t next;     /* the next one the decoder asks about */
	size_t put;      /* write_v1's cursor over keys */
} known_ctx;

/* The decoder's ahead hook: hash, remember, start the slot's load. */
static void ahead_series(void *ctx, const uint8_t *raw, size_t n)
{
	known_ctx *kc = ctx;
	refcache_key k = refcache_key_of(kc->c, raw, n);
	refcache_prefetch(kc->c, k);
	if (fl_grow((void **)&kc->keys, &kc->cap, kc->n + 1, sizeof *kc->keys))
		kc->keys[kc->n++] = (known_key){raw, k, 0};
}

/* The decoder's known hook: the ref the cache holds for raw. */
static series_ref known_series(void *ctx, const uint8_t *raw, size_t n)
{
	known_ctx *kc = ctx;
	if (kc->next < kc->n && kc->keys[kc->next].raw == raw) {
		known_key *kk = &kc->keys[kc->next++];
		return kk->ref = refcache_get_key(kc->c, kk->k);
	}
	return refcache_get(kc->c, raw, n);
}

/* The key announced for s, or NULL (then the put hashes again). Series
 * come in the order they were announced; write_v1 asks for each. */
static const known_key *series_key(known_ctx *kc, const rw_series *s)
{
	if (!kc || !s->raw_labels || kc->put >= kc->n || kc->keys[kc->put].raw != s->raw_labels)
		return NULL;
	return &kc->keys[kc->put++];
}

/* Prefetch the cache slot of the next new series a few places ahead of
 * the cursor (its put follows its append). */
static void prefetch_put(known_ctx *kc)
{
	if (kc && kc->put + RW_AHEAD < kc->n && !kc->keys[kc->put + RW_AHEAD].ref)
		refcache_prefetch(kc->c, kc->keys[kc->put + RW_AHEAD].k);
}

/* One 1.0 series: 0, or its first failure (message in e). A series with
 * invalid labels is skipped (*invalid counts its samples), as Prometheus
 * does; a valid one's label bytes go into the cache once it has a ref. A
 * cached ref whose series was removed since reads as an empty label set
 * (FL_EINVAL before any sample): then the labels are decoded after all. */
static int v1_series(remote_state *st, appender *app, known_ctx *kc, rw_series *s, arena *a, int64_t max_t,
		     size_t *written, size_t *invalid, err *e)
{
	const known_key *kk = series_key(kc, s);
	prefetch_put(kc);
	if (s->known_ref) {
		size_t before = *written;
		int rc = append_series(app, s, max_t, NULL, written, NULL, e);
		if (rc != FL_EINVAL || *written != before) {
			count_dropped(st, s);
			return rc;
		}
		if (rw_series_decode_labels(s, a))
			return err_set(e, FL_ENOMEM, "out of memory");
		err_clear(e);
	}
	err ce;
	if (rw_series_check(s, &ce)) {
		buf lb;
		buf_init(&lb);
		labels_format(&lb, (labels){s->labels, s->n_labels});
		log_warn("web", "Invalid metric names or labels", "got", buf_cstr(&lb), NULL);
		buf_reset(&lb);
		*invalid += s->n_samples;
		return 0;
	}
	count_dropped(st, s);
	series_ref ref = 0;
	int rc = append_series(app, s, max_t, NULL, written, &ref, e);
	if (!rc && ref && ref <= UINT32_MAX && s->raw_labels && kc) {
		if (kk)
			refcache_put_key(kc->c, kk->k, (uint32_t)ref);
		else
			refcache_put(kc->c, s->raw_labels, s->raw_labels_len, (uint32_t)ref);
	}
	return rc;
}

/* 1.0: all or nothing. */
static void write_v1(web_env *env, remote_state *st, rw_request *req, known_ctx *kc, arena *a, http_resp *w)
{
	appender *app = rw_appender(env);
	if (!app)
		return remote_http_error(w, 500, "cannot open an appender");
	int64_t max_t = remote_now_ms() + MAX_AHEAD_MS;
	size_t written = 0, invalid = 0;
	err e;
	err_clear(&e);
	for (size_t i = 0; i < req->n_series; i++) {
		int rc = v1_series(st, app, kc, &req->series[i], a, max_t, &written, &invalid, &e);
		if (rc) {
			appender_rollback(app);
			if (is_reject(rc)) {
				atomic_fetch_add_explicit(&st->samples_rejected, 1, memory_order_relaxed);
				return remote_http_error(w, 400, e.msg);
			}
			log_error("web", "Error while remote writing the v1 request", "err", e.msg, NULL);
			return remote_http_error(w, 500, e.msg);
		}
	}
	if (appender_commit(app, &e))
		return remote_http_error(w, 500, e.msg);
	atomic_fetch_add_explicit(&st->samples_written, written, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->invalid_labels_samples, invalid, memory_order_relaxed);
	store_metadata(env->metadata, req);
	w->status = 204;
}

static void set_v2_headers(http_resp *w, const http_req *r, size_t samples, size_t histograms, size_t exemplars)
{
	char *v = arena_alloc(r->arena, 64);
	if (!v)
		return;
	int n = snprintf(v, 64, "%zu", samples) + 1;
	snprintf(v + n, 64 - (size_t)n, "%zu", histograms);
	int m = n + (int)strlen(v + n) + 1;
	snprintf(v + m, 64 - (size_t)m, "%zu", exemplars);
	http_resp_header(w, "X-Prometheus-Remote-Write-Samples-Written", v);
	http_resp_header(w, "X-Prometheus-Remote-Write-Histograms-Written", v + n);
	http_resp_header(w, "X-Prometheus-Remote-Write-Exemplars-Written", v + m);
}

/* 2.0: partial writes on 4xx, rollback on 5xx. Reasons joined by "\n". */
static void write_v2(web_env *env, remote_state *st, const http_req *r, const rw_request *req, http_resp *w)
{
	appender *app = rw_appender(env);
	if (!app) {
		set_v2_headers(w, r, 0, 0, 0);
		return remote_http_error(w, 500, "cannot open an appender");
	}
	int64_t max_t = remote_now_ms() + MAX_AHEAD_MS;
	size_t written = 0, invalid = 0;
	buf reasons;
	buf_init(&reasons);
	err e;
	for (size_t i = 0; i < req->n_series; i++) {
		const rw_series *s = &req->series[i];
		int rc = rw_series_check(s, &e);
		if (!rc) {
			count_dropped(st, s);
			size_t before = reasons.len;
			rc = append_series(app, s, max_t, &reasons, &written, NULL, &e);
			if (rc) {
				appender_rollback(app);
				buf_reset(&reasons);
				set_v2_headers(w, r, 0, 0, 0);
				log_error("web", "Error while remote writing the v2 request", "err", e.msg, NULL);
				return remote_http_error(w, 500, e.msg);
			}
			if (reasons.len != before)
				atomic_fetch_add_explicit(&st->samples_rejected, 1, memory_order_relaxed);
		} else {
			invalid += s->n_samples + s->n_histograms;
			buf_printf(&reasons, "%s%s", reasons.len ? "\n" : "", e.msg);
		}
	}
	if (appender_commit(app, &e)) {
		buf_reset(&reasons);
		set_v2_headers(w, r, 0, 0, 0);
		return remote_http_error(w, 500, e.msg);
	}
	atomic_fetch_add_explicit(&st->samples_written, written, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->invalid_labels_samples, invalid, memory_order_relaxed);
	store_metadata(env->metadata, req);
	set_v2_headers(w, r, written, 0, 0);
	if (reasons.len)
		remote_http_error(w, 400, buf_cstr(&reasons));
	else {
		w->status = 204;
	}
	buf_reset(&reasons);
}

/* Decompress and decode the body (1.0 with the series cache); answers the
 * error itself. */
static int read_body(const http_req *r, http_resp *w, int version, known_ctx *kc, buf *pb, arena *a, rw_request *req)
{
	if (r->body_len > REMOTE_MAX_BODY) {
		remote_http_error(w, 413, "http: request body too large");
		return -1;
	}
	const char *enc = r->header(r, "Content-Encoding");
	if (enc && *enc && strcasecmp(enc, "snappy")) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s encoding (compression) is not accepted by this server; only snappy is acceptable", enc);
		remote_http_error(w, 415, msg);
		return -1;
	}
	err e;
	int rc = remote_snappy_decode(r->body, r->body_len, REMOTE_MAX_DECODED, pb, &e);
	if (!rc && version == RW_V1 && kc)
		rc = rw_decode_v1_ahead(pb->p, pb->len, a, known_series, ahead_series, kc, req, &e);
	else if (!rc)
		rc = rw_decode((rw_version)version, pb->p, pb->len, a, req, &e);
	if (rc) {
		log_error("web", "Error decoding remote write request", "err", e.msg, NULL);
		remote_http_error(w, 400, e.msg);
	}
	return rc;
}

void remote_write_handler(web_env *env, const http_req *r, http_resp *w)
{
	w->no_gzip = true;
	if (!env->opts.enable_remote_write_receiver)
		return remote_http_error(w, 404, "remote write receiver needs to be enabled with --web.enable-remote-write-receiver");
	char msg[512];
	int version = parse_content_type(r->header(r, "Content-Type"), msg, sizeof msg);
	if (!version) {
		log_error("web", "Error decoding remote write request", "err", msg, NULL);
		return remote_http_error(w, 415, msg);
	}
	remote_state *st = remote_state_get(env);
	arena a;
	arena_init(&a);
	rw_request req;
	buf pb; /* the decoded body: series borrow their label bytes from it */
	buf_init(&pb);
	known_ctx kc = {.c = rw_refcache(env)};
	if (read_body(r, w, version, kc.c ? &kc : NULL, &pb, &a, &req) == 0) {
		if (version == RW_V2)
			write_v2(env, st, r, &req, w);
		else
			write_v1(env, st, &req, kc.c ? &kc : NULL, &a, w);
	}
	fl_free(kc.keys);
	buf_reset(&pb);
	arena_reset(&a);
}
