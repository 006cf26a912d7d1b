/*
 * remote_read.c - POST /api/v1/read, as Prometheus's
 * storage/remote/read_handler.go answers it (docs/querying/remote_read_api.md).
 *
 *   body: snappy block of a ReadRequest (32 MiB bound) -> 400 when bad
 *   response type: the first of accepted_response_types we support
 *   (SAMPLES when the list is empty), else 400.
 *
 *   SAMPLES: one snappy-compressed ReadResponse, Content-Type
 *     application/x-protobuf, Content-Encoding snappy; more than
 *     --storage.remote.read-sample-limit samples -> 400
 *     "exceeded sample limit (N)".
 *   STREAMED_XOR_CHUNKS: Content-Type application/x-streamed-protobuf;
 *     proto=prometheus.ChunkedReadResponse, uncompressed frames
 *     (uvarint size, big-endian CRC32C, ChunkedReadResponse), one series
 *     per frame, series sorted by labels, a series split over frames when
 *     its chunks pass --storage.remote.read-max-bytes-in-frame (the budget
 *     is the frame size minus the label sizes, checked after each chunk, as
 *     StreamChunkedReadResponses does).
 *
 * At most --storage.remote.read-concurrent-limit reads run at once; the
 * others wait (up to --web.read-timeout) for a slot, as Prometheus's gate.
 *
 * External labels: an equality matcher on an external label with its value
 * becomes `name=""` (the label is not in storage), and the external labels
 * are added to every returned series (a stored label of the same name wins).
 *
 * Streamed responses send the stored chunks as they are (the storage
 * seam's chunk view, series_set_chunks: block and head chunks, re-encoded
 * only where trimmed to the range, touched by a tombstone or overlapping
 * another source); storage without one gets its samples cut into XOR
 * chunks of at most 120 samples. A client decodes the same samples either
 * way.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "lib/log.h"
#include "tsdb/chunk.h"
#include "web/remote.h"
#include "remote/codec.h"


/* Sorted merge; primary wins on equal names (codec.go MergeLabels). */
static labels merge_labels(arena *a, labels p, labels s)
{
	if (!s.n)
		return p;
	label *v = arena_alloc(a, (p.n + s.n) * sizeof *v);
	if (!v)
		return p;
	size_t i = 0, j = 0, n = 0;
	while (i < p.n && j < s.n) {
		int c = strcmp(p.v[i].name, s.v[j].name);
		v[n++] = c <= 0 ? p.v[i] : s.v[j];
		i += c <= 0;
		j += c >= 0;
	}
	while (i < p.n)
		v[n++] = p.v[i++];
	while (j < s.n)
		v[n++] = s.v[j++];
	return (labels){v, n};
}

static int build_matchers(const rr_query *q, labels ext, matcher *ms, err *e)
{
	for (size_t i = 0; i < q->n_matchers; i++) {
		const rr_matcher *m = &q->matchers[i];
		const char *value = m->value;
		const char *ev = labels_get(ext, m->name);
		if (m->type == MATCH_EQ && !strcmp(ev ? ev : "", value))
			value = "";
		int rc = matcher_init(&ms[i], m->type, m->name, value, e);
		if (rc) {
			for (size_t k = 0; k < i; k++)
				matcher_reset(&ms[k]);
			return rc;
		}
	}
	return 0;
}

/* Growable sample array reused across series. */
typedef struct svec {
	sample *v;
	size_t n, cap;
} svec;

static int svec_push(svec *s, int64_t t, double v)
{
	if (!fl_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
		return FL_ENOMEM;
	s->v[s->n++] = (sample){t, v};
	return 0;
}

/* Read a series' samples into sv; counts against *budget (<0 = none). */
static int read_series(series_set *ss, sample_iter **it, svec *sv, int64_t *budget, err *e)
{
	sv->n = 0;
	*it = series_set_iter(ss, *it);
	int vt;
	while ((vt = sample_iter_next(*it)) != VAL_NONE) {
		if (vt != VAL_FLOAT)
			continue;
		if (*budget >= 0 && --*budget < 0)
			return FL_ELIMIT;
		int64_t t;
		double v;
		sample_iter_at(*it, &t, &v);
		if (svec_push(sv, t, v))
			return err_set(e, FL_ENOMEM, "remote read: out of memory");
	}
	return sample_iter_err(*it, e);
}

typedef struct read_ctx {
	web_env *env;
	const http_req *r;
	labels ext;       /* external labels (request arena) */
	svec sv;          /* scratch samples */
	int64_t budget;   /* SAMPLES: samples left under the limit; -1 = none */
	rr_samples *out;  /* SAMPLES builder */
	buf *frames;      /* STREAMED: the body */
	series_chunks cl; /* STREAMED: chunks cut from samples, for storage without a chunk view */
} read_ctx;

/* The current series' chunks: the storage's own (series_set_chunks), or
 * when it keeps none, its samples cut into new XOR chunks. */
static int series_chunks_of(read_ctx *c, series_set *ss, sample_iter **it, const chunk_data **cd, size_t *n, err *e)
{
	if (series_set_has_chunks(ss))
		return series_set_chunks(ss, cd, n, e);
	int64_t no_budget = -1;
	series_chunks_reset(&c->cl);
	int rc = read_series(ss, it, &c->sv, &no_budget, e);
	if (!rc)
		rc = series_chunks_add_samples(&c->cl, c->sv.v, c->sv.n, e);
	*cd = c->cl.v;
	*n = rc ? 0 : c->cl.n;
	return rc;
}

/* Emit the current series' chunks as frames. */
static int stream_series(read_ctx *c, int64_t qi, labels ls, series_set *ss, sample_iter **it, arena *a, err *e)
{
	const chunk_data *cd;
	size_t n_chunks;
	int rc = series_chunks_of(c, ss, it, &cd, &n_chunks, e);
	if (rc)
		return rc;
	rr_chunk *ch = arena_alloc(a, (n_chunks ? n_chunks : 1) * sizeof *ch);
	if (!ch)
		return err_set(e, FL_ENOMEM, "remote read: out of memory");
	for (size_t k = 0; k < n_chunks; k++)
		ch[k] = (rr_chunk){cd[k].mint, cd[k].maxt, cd[k].b, cd[k].len};
	int64_t max_data = c->env->opts.remote_read_max_bytes_in_frame - (int64_t)rr_labels_pb_size(ls);
	int64_t left = max_data;
	size_t start = 0;
	for (size_t k = 0; k < n_chunks; k++) {
		left -= (int64_t)rr_chunk_pb_size(&ch[k]);
		if (left > 0 && k + 1 < n_chunks)
			continue;
		rc = rr_frame_append(c->frames, qi, ls, ch + start, k + 1 - start, e);
		if (rc)
			return rc;
		start = k + 1;
		left = max_data;
	}
	return 0;
}

/* One query: select, then per series either add samples or stream chunks. */
static int run_query(read_ctx *c, size_t qi, const rr_query *q, int *status, err *e)
{
	*status = 500;
	matcher *ms = arena_alloc(c->r->arena, (q->n_matchers ? q->n_matchers : 1) * sizeof *ms);
	if (!ms)
		return err_set(e, FL_ENOMEM, "remote read: out of memory");
	int rc = build_matchers(q, c->ext, ms, e);
	if (rc)
		return rc;
	querier *qr = queryable_querier(c->env->queryable, q->start_ms, q->end_ms, e);
	if (!qr) {
		for (size_t i = 0; i < q->n_matchers; i++)
			matcher_reset(&ms[i]);
		return e->code ? e->code : FL_EIO;
	}
	select_hints h = q->has_hints ? q->hints : (select_hints){.start_ms = q->start_ms, .end_ms = q->end_ms};
	series_set *ss = querier_select(qr, true, &h, ms, q->n_matchers);
	sample_iter *it = NULL;
	arena scratch;
	arena_init(&scratch);
	while (!rc && series_set_next(ss)) {
		labels ls = merge_labels(&scratch, series_set_labels(ss), c->ext);
		if (!c->out) {
			rc = stream_series(c, (int64_t)qi, ls, ss, &it, &scratch, e);
			arena_reset(&scratch);
			continue;
		}
		rc = read_series(ss, &it, &c->sv, &c->budget, e);
		if (rc == FL_ELIMIT) {
			*status = 400;
			err_set(e, FL_ELIMIT, "exceeded sample limit (%lld)", (long long)c->env->opts.remote_read_sample_limit);
		} else if (!rc)
			rc = rr_samples_add(c->out, qi, ls, c->sv.v, c->sv.n) ? err_set(e, FL_ENOMEM, "remote read: out of memory") : 0;
		arena_reset(&scratch);
	}
	if (!rc)
		rc = series_set_err(ss, e);
	sample_iter_close(it);
	series_set_close(ss);
	querier_close(qr);
	for (size_t i = 0; i < q->n_matchers; i++)
		matcher_reset(&ms[i]);
	return rc;
}

static int negotiate(const rr_request *req, char *msg, size_t cap)
{
	if (!req->n_accepted)
		return RR_SAMPLES;
	for (size_t i = 0; i < req->n_accepted; i++)
		if (req->accepted[i] == RR_SAMPLES || req->accepted[i] == RR_STREAMED_XOR_CHUNKS)
			return req->accepted[i];
	int n = snprintf(msg, cap, "server does not support any of the requested response types: [");
	for (size_t i = 0; i < req->n_accepted && n > 0 && (size_t)n < cap; i++)
		n += snprintf(msg + n, cap - (size_t)n, "%s%d", i ? " " : "", req->accepted[i]);
	if (n > 0 && (size_t)n < cap)
		snprintf(msg + n, cap - (size_t)n, "]; supported: map[SAMPLES:{} STREAMED_XOR_CHUNKS:{}]");
	return -1;
}

static void answer(read_ctx *c, const rr_request *req, int type, http_resp *w)
{
	err e;
	err_clear(&e);
	buf body;
	buf_init(&body);
	c->frames = &body;
	c->out = type == RR_SAMPLES ? rr_samples_new(c->r->arena, req->n_queries) : NULL;
	c->budget = type == RR_SAMPLES && c->env->opts.remote_read_sample_limit > 0 ? c->env->opts.remote_read_sample_limit : -1;
	int rc = type == RR_SAMPLES && !c->out ? err_set(&e, FL_ENOMEM, "remote read: out of memory") : 0, status = 500;
	for (size_t i = 0; !rc && i < req->n_queries; i++)
		rc = run_query(c, i, &req->queries[i], &status, &e);
	if (!rc && c->out)
		rc = rr_samples_finish(c->out, &body, &e);
	else if (c->out)
		rr_samples_finish(c->out, &body, &e); /* frees its buffers */
	if (rc) {
		buf_reset(&body);
		return remote_http_error(w, status, e.msg);
	}
	if (type == RR_SAMPLES) {
		w->content_type = "application/x-protobuf";
		http_resp_header(w, "Content-Encoding", "snappy");
		if (remote_snappy_encode(body.p, body.len, &w->body))
			remote_http_error(w, 500, "remote read: out of memory");
	} else {
		w->content_type = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";
		buf_reset(&w->body);
		w->body = body;
		buf_init(&body);
	}
	buf_reset(&body);
}

void remote_read_handler(web_env *env, const http_req *r, http_resp *w)
{
	w->no_gzip = true;
	if (!env->queryable)
		return remote_http_error(w, 503, "Service Unavailable");
	remote_state *st = remote_state_get(env);
	int64_t wait_ms = env->opts.read_timeout_ms > 0 ? env->opts.read_timeout_ms : 5 * 60 * 1000;
	if (remote_read_gate_enter(st, (int)env->opts.remote_read_concurrent_limit, wait_ms))
		return remote_http_error(w, 500, "remote read: timed out waiting for one of the --storage.remote.read-concurrent-limit slots");
	atomic_fetch_add_explicit(&st->read_queries, 1, memory_order_relaxed);
	buf pb;
	buf_init(&pb);
	err e;
	arena a;
	arena_init(&a);
	rr_request req;
	int rc = r->body_len > REMOTE_MAX_BODY ? err_set(&e, FL_ELIMIT, "remote read: request body over 32 MiB") : 0;
	if (!rc)
		rc = remote_snappy_decode(r->body, r->body_len, REMOTE_MAX_DECODED, &pb, &e);
	if (!rc)
		rc = rr_decode(pb.p, pb.len, &a, &req, &e);
	buf_reset(&pb);
	char msg[512];
	int type = rc ? -1 : negotiate(&req, msg, sizeof msg);
	if (rc)
		remote_http_error(w, 400, e.msg);
	else if (type < 0)
		remote_http_error(w, 400, msg);
	else {
		read_ctx c = {.env = env, .r = r, .ext = remote_external_labels(env, r->arena)};
		series_chunks_init(&c.cl);
		answer(&c, &req, type, w);
		series_chunks_free(&c.cl);
		fl_free(c.sv.v);
	}
	arena_reset(&a);
	remote_read_gate_leave(st);
}
