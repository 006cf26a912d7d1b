/*
 * server.c - libmicrohttpd glue and the route table (Prometheus web/web.go +
 * its route package): the only file that sees libmicrohttpd.
 *
 * A request's life:
 *  1. The URI log callback keeps the raw URI (path + query, still
 *     percent-encoded) in a new conn_state; that becomes MHD's con_cls.
 *     The unescape callback is the identity: we decode everything ourselves
 *     with Go's net/url rules, so a bad escape drops that pair and is kept
 *     as req.form_error ("invalid URL escape \"%zz\""), like Go's ParseForm.
 *  2. Body chunks are appended up to opts.max_body_bytes; beyond it the
 *     rest is drained and the answer is 413.
 *  3. On the final call the request is built (params: form body first, then
 *     URL query, as Go's Request.Form), routed, the handler runs in the
 *     pool thread, and the response is queued (gzip when accepted).
 *  4. The completion callback frees the state and counts the request.
 *
 * Routing: exact paths, or prefixes ending in '*' (rest in path_arg).
 * Unknown method on a known path: 405 with Allow. OPTIONS under /api/v1/:
 * 204. Unknown path: 404 "404 page not found". /api/ and /federate answer
 * 503 "Service Unavailable" until env->ready. CORS headers only when the
 * request carries Origin (util/httputil/cors.go).
 *
 * Shutdown (SIGTERM), with a deadline (issue 14: a flint whose query hung
 * was still running 80 minutes after SIGTERM): MHD_quiesce_daemon stops
 * accepting; in-flight requests get DRAIN_GRACE_MS to finish; then
 * cancel_queries makes every query's watchdog trip its cancel flag, and
 * they get DRAIN_CANCEL_MS more to answer (canceled); then MHD_stop_daemon.
 * Should a request still not have finished (a handler that never polls its
 * cancel flag), the daemon is left as it is rather than joined, so that the
 * process still closes its storage and exits; Prometheus itself does not
 * wait for in-flight queries at all.
 */
#include "web/web.h"
#include "web/metadata.h"
#include "web/remote.h"
#include "web/webconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/log.h"
#include "lib/urlenc.h"

const double web_duration_buckets[WEB_N_BUCKETS] = {0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120};

/* ---- route table ---- */
#define R(m, p, f) {m, p, f, p}
const http_route web_routes[] = {
	R("GET,POST", "/api/v1/query", api_query_handler),
	R("GET,POST", "/api/v1/query_range", api_query_range_handler),
	R("GET,POST", "/api/v1/query_exemplars", api_query_exemplars_handler),
	R("GET,POST", "/api/v1/format_query", api_format_query_handler),
	R("GET,POST", "/api/v1/parse_query", api_parse_query_handler),
	R("GET,POST", "/api/v1/series", api_series_handler),
	R("GET,POST", "/api/v1/labels", api_labels_handler),
	{"GET,POST", "/api/v1/label/*", api_label_values_handler, "/api/v1/label/:name/values"},
	R("GET", "/api/v1/metadata", api_metadata_handler),
	R("GET", "/api/v1/targets", api_targets_handler),
	R("GET", "/api/v1/targets/metadata", api_targets_metadata_handler),
	R("GET", "/api/v1/scrape_pools", api_scrape_pools_handler),
	R("GET", "/api/v1/rules", api_rules_handler),
	R("GET", "/api/v1/alerts", api_alerts_handler),
	R("GET", "/api/v1/alertmanagers", api_alertmanagers_handler),
	R("GET", "/api/v1/status/buildinfo", api_buildinfo_handler),
	R("GET", "/api/v1/status/config", api_config_handler),
	R("GET", "/api/v1/status/flags", api_flags_handler),
	R("GET", "/api/v1/status/runtimeinfo", api_runtimeinfo_handler),
	R("GET", "/api/v1/status/tsdb", api_tsdb_handler),
	R("GET", "/api/v1/status/walreplay", api_walreplay_handler),
	R("POST,PUT", "/api/v1/admin/tsdb/snapshot", api_admin_snapshot_handler),
	R("POST,PUT", "/api/v1/admin/tsdb/delete_series", api_admin_delete_series_handler),
	R("POST,PUT", "/api/v1/admin/tsdb/clean_tombstones", api_admin_clean_tombstones_handler),
	R("POST", "/api/v1/write", remote_write_handler),
	R("POST", "/api/v1/push", remote_write_handler),
	R("POST", "/api/v1/read", remote_read_handler),
	R("GET", "/federate", federate_handler),
	R("GET", "/metrics", self_metrics_handler),
	R("GET", "/-/healthy", web_healthy_handler),
	R("GET", "/-/ready", web_ready_handler),
	R("POST,PUT,GET", "/-/reload", web_reload_handler),
	R("POST,PUT,GET", "/-/quit", web_quit_handler),
};
#undef R
const size_t web_n_routes = FL_ARRAY_LEN(web_routes);

/* Does the comma list `methods` allow m? GET also allows HEAD. */
static bool method_allowed(const char *methods, const char *m)
{
	if (!strcmp(m, "HEAD"))
		m = "GET";
	size_t ml = strlen(m);
	for (const char *p = methods; *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if ((n == ml && !memcmp(p, m, n)) || (n == 1 && *p == '*'))
			return true;
		p += n + (c != NULL);
	}
	return false;
}

static bool path_matches(const http_route *rt, const char *path, const char **arg)
{
	size_t n = strlen(rt->path);
	if (rt->path[n - 1] == '*') {
		if (strncmp(path, rt->path, n - 1))
			return false;
		*arg = path + n - 1;
		return true;
	}
	*arg = NULL;
	return !strcmp(path, rt->path);
}

/* The Allow header of a 405, as Prometheus's router lists it (sorted,
 * OPTIONS added under /api/). */
static void set_allow(http_resp *w, const http_route *rt)
{
	bool api = !strncmp(rt->path, "/api/", 5);
	bool get = method_allowed(rt->method, "GET"), post = method_allowed(rt->method, "POST");
	bool put = method_allowed(rt->method, "PUT");
	static const char *const table[2][8] = {
		/* index: get<<2 | post<<1 | put */
		{"", "PUT", "POST", "POST, PUT", "GET", "GET, PUT", "GET, POST", "GET, POST, PUT"},
		{"OPTIONS", "OPTIONS, PUT", "OPTIONS, POST", "OPTIONS, POST, PUT", "GET, OPTIONS", "GET, OPTIONS, PUT",
		 "GET, OPTIONS, POST", "GET, OPTIONS, POST, PUT"},
	};
	http_resp_header(w, "Allow", table[api][get << 2 | post << 1 | put]);
}

static bool needs_ready(const char *path) { return !strncmp(path, "/api/", 5) || !strcmp(path, "/federate"); }

/* The routes Prometheus's agent answers with errorExec (api.go wrapAgent):
 * whatever needs local queries, rules or the TSDB. */
static bool agent_gated(const char *route_path)
{
	static const char *const gated[] = {
		"/api/v1/query", "/api/v1/query_range", "/api/v1/query_exemplars", "/api/v1/format_query",
		"/api/v1/parse_query", "/api/v1/series", "/api/v1/labels", "/api/v1/label/*", "/api/v1/alertmanagers",
		"/api/v1/status/tsdb", "/api/v1/rules", "/api/v1/alerts", "/api/v1/admin/tsdb/snapshot",
		"/api/v1/admin/tsdb/delete_series", "/api/v1/admin/tsdb/clean_tombstones",
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(gated); i++)
		if (!strcmp(route_path, gated[i]))
			return true;
	return false;
}

/* Route and run; returns the route index or -1. */
static int route(web_env *env, const http_req *r, http_resp *w)
{
	const http_route *found = NULL;
	int idx = -1;
	http_req rr = *r;
	for (size_t i = 0; i < web_n_routes; i++) {
		const char *arg;
		if (!path_matches(&web_routes[i], r->path, &arg))
			continue;
		if (!found)
			found = &web_routes[i];
		if (method_allowed(web_routes[i].method, r->method)) {
			found = &web_routes[i];
			idx = (int)i;
			rr.path_arg = arg;
			break;
		}
	}
	if (!strcmp(r->method, "OPTIONS") && !strncmp(r->path, "/api/v1/", 8)) {
		w->status = 204;
		return idx;
	}
	if (!found) {
		web_text(w, 404, "404 page not found\n");
		return -1;
	}
	if (idx < 0) {
		web_text(w, 405, "Method Not Allowed\n");
		set_allow(w, found);
		return -1;
	}
	if (needs_ready(r->path) && !atomic_load(&env->ready)) {
		web_text(w, 503, "Service Unavailable");
		return idx;
	}
	if (env->opts.agent && agent_gated(found->path)) {
		api_error(w, API_EXECUTION, "unavailable with Prometheus Agent");
		return idx;
	}
	found->fn(env, &rr, w);
	return idx;
}

void web_dispatch(web_env *env, const http_req *r, http_resp *w) { (void)route(env, r, w); }

/* ---- statistics ---- */
static void stats_record(web_env *env, int idx, int code, int64_t ns)
{
	if (idx < 0 || (size_t)idx >= env->n_route_stats)
		return;
	web_route_stats *s = &env->route_stats[idx];
	int slot = WEB_N_CODES - 1;
	for (int i = 0; i < WEB_N_CODES; i++) {
		int c = atomic_load_explicit(&s->codes[i], memory_order_relaxed);
		if (c == code) {
			slot = i;
			break;
		}
		int zero = 0;
		if (c == 0 && atomic_compare_exchange_strong(&s->codes[i], &zero, code)) {
			slot = i;
			break;
		}
		if (c == 0 && atomic_load(&s->codes[i]) == code) {
			slot = i;
			break;
		}
	}
	atomic_fetch_add_explicit(&s->count[slot], 1, memory_order_relaxed);
	double sec = (double)ns / 1e9;
	for (int b = 0; b < WEB_N_BUCKETS; b++)
		if (sec <= web_duration_buckets[b]) {
			atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns, (uint64_t)ns, memory_order_relaxed);
}

void web_write_http_metrics(web_env *env, buf *b)
{
	buf_put_str(b, "# HELP prometheus_http_requests_total Counter of HTTP requests.\n"
		       "# TYPE prometheus_http_requests_total counter\n");
	for (size_t i = 0; i < env->n_route_stats; i++) {
		web_route_stats *s = &env->route_stats[i];
		for (int c = 0; c < WEB_N_CODES; c++) {
			int code = atomic_load(&s->codes[c]);
			if (code)
				buf_printf(b, "prometheus_http_requests_total{code=\"%d\",handler=\"%s\"} %llu\n", code,
					   s->handler, (unsigned long long)atomic_load(&s->count[c]));
		}
	}
	buf_put_str(b, "# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.\n"
		       "# TYPE prometheus_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < env->n_route_stats; i++) {
		web_route_stats *s = &env->route_stats[i];
		uint64_t n = atomic_load(&s->n);
		if (!n)
			continue;
		uint64_t cum = 0;
		for (int k = 0; k < WEB_N_BUCKETS; k++) {
			cum += atomic_load(&s->bucket[k]);
			buf_printf(b, "prometheus_http_request_duration_seconds_bucket{handler=\"%s\",le=\"%g\"} %llu\n",
				   s->handler, web_duration_buckets[k], (unsigned long long)cum);
		}
		buf_printf(b, "prometheus_http_request_duration_seconds_bucket{handler=\"%s\",le=\"+Inf\"} %llu\n", s->handler,
			   (unsigned long long)n);
		buf_printf(b, "prometheus_http_request_duration_seconds_sum{handler=\"%s\"} %.9g\n", s->handler,
			   (double)atomic_load(&s->sum_ns) / 1e9);
		buf_printf(b, "prometheus_http_request_duration_seconds_count{handler=\"%s\"} %llu\n", s->handler,
			   (unsigned long long)n);
	}
}

/* ---- URL decoding (Go net/url) ---- */
/* Decode s[0..n) into the arena; query mode maps '+' to ' '. On a bad
 * escape returns NULL and sets *bad to the offending text (arena). */
static char *url_decode(arena *a, const char *s, size_t n, bool query, const char **bad)
{
	char *out = arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	size_t at;
	if (url_unescape(s, n, query, out, &at) < 0) {
		*bad = arena_strndup(a, s + at, at + 2 < n ? 3 : n - at);
		return NULL;
	}
	return out;
}

typedef struct param_vec {
	http_param *v; /* arena array */
	size_t n, cap;
} param_vec;

static void param_push(arena *a, param_vec *pv, const char *k, const char *v)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 16;
		http_param *nv = arena_alloc(a, cap * sizeof *nv);
		if (!nv)
			return;
		if (pv->n)
			memcpy(nv, pv->v, pv->n * sizeof *nv);
		pv->v = nv;
		pv->cap = cap;
	}
	pv->v[pv->n].name = k;
	pv->v[pv->n].value = v;
	pv->n++;
}

/* Go's url.ParseQuery: pairs split on '&'; a pair with ';' or a bad escape
 * is dropped and its error kept (the first one). */
static void parse_query(arena *a, const char *s, size_t n, param_vec *pv, const char **form_err)
{
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - s) : n;
		const char *k = s + i;
		size_t kl = end - i;
		i = end + 1;
		if (!kl)
			continue;
		if (memchr(k, ';', kl)) {
			if (!*form_err)
				*form_err = "invalid semicolon separator in query";
			continue;
		}
		const char *eq = memchr(k, '=', kl);
		size_t nl = eq ? (size_t)(eq - k) : kl;
		const char *bad = NULL;
		char *name = url_decode(a, k, nl, true, &bad);
		char *val = name ? (eq ? url_decode(a, eq + 1, kl - nl - 1, true, &bad) : arena_strdup(a, "")) : NULL;
		if (!name || !val) {
			if (!*form_err && bad) {
				size_t m = strlen(bad) + 32;
				char *msg = arena_alloc(a, m);
				if (msg) {
					snprintf(msg, m, "invalid URL escape \"%s\"", bad);
					*form_err = msg;
				}
			}
			continue;
		}
		param_push(a, pv, name, val);
	}
}

/* ---- libmicrohttpd glue ---- */
struct web_server {
	struct MHD_Daemon *d; /* the daemon */
	web_env *env;         /* back pointer */
};

typedef struct conn_state {
	char *uri;        /* raw request URI (fl_malloc) */
	buf body;         /* request body so far */
	bool started;     /* first access call seen */
	bool too_large;   /* body over the limit: drained, answer 413 */
	int64_t start_ns; /* monotonic start */
	int route;        /* route index for stats, -1 */
	int status;       /* answer status for stats */
} conn_state;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	web_env *env = cls;
	(void)c;
	conn_state *st = fl_calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->uri = fl_strdup(uri ? uri : "/");
	buf_init(&st->body);
	st->start_ns = mono_ns();
	st->route = -1;
	atomic_fetch_add(&env->http_inflight, 1);
	return st;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	web_env *env = cls;
	conn_state *st = *con_cls;
	(void)c;
	(void)toe;
	if (!st)
		return;
	stats_record(env, st->route, st->status, mono_ns() - st->start_ns);
	buf_reset(&st->body);
	fl_free(st->uri);
	fl_free(st);
	*con_cls = NULL;
	atomic_fetch_sub(&env->http_inflight, 1);
}

static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static const char *hdr_lookup(const http_req *r, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_HEADER_KIND, name);
}

static bool accepts_gzip(const char *ae)
{
	if (!ae)
		return false;
	for (const char *p = ae; (p = strcasestr(p, "gzip")); p += 4) {
		const char *q = p + 4;
		while (*q == ' ')
			q++;
		if (*q == ';' && strstr(q, "q=0") && !strstr(q, "q=0.")) /* gzip;q=0 refuses */
			return false;
		return true;
	}
	return false;
}

static bool gzip_buf(const buf *in, buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	uLong bound = deflateBound(&z, in->len);
	if (!buf_reserve(out, bound)) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = out->p;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END;
}

static void free_cb(void *p) { fl_free(p); }

int http_req_client_fd(const http_req *r)
{
	if (!r->conn)
		return -1;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? (int)ci->connect_fd : -1;
}

/* Fill the request from the raw URI, body and headers. */
static int build_request(web_env *env, struct MHD_Connection *c, conn_state *st, const char *method, http_req *r)
{
	(void)env;
	arena *a = r->arena;
	const char *q = strchr(st->uri, '?');
	size_t pl = q ? (size_t)(q - st->uri) : strlen(st->uri);
	const char *bad = NULL;
	char *path = url_decode(a, st->uri, pl, false, &bad);
	if (!path)
		return -1;
	r->method = method;
	r->path = path;
	r->conn = c;
	r->header = hdr_lookup;
	r->body = st->body.p;
	r->body_len = st->body.len;
	param_vec pv = {0};
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *form_err = NULL;
	if ((!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) && ct &&
	    !strncasecmp(ct, "application/x-www-form-urlencoded", 33))
		parse_query(a, (const char *)st->body.p, st->body.len, &pv, &form_err);
	if (q)
		parse_query(a, q + 1, strlen(q + 1), &pv, &form_err);
	r->params = pv.v;
	r->n_params = pv.n;
	r->form_error = form_err;
	return 0;
}

static void add_cors(web_env *env, const http_req *r, http_resp *w)
{
	if (strncmp(r->path, "/api/", 5))
		return;
	http_resp_header(w, "Vary", "Origin");
	const char *origin = r->header(r, "Origin");
	if (!origin || !*origin)
		return;
	http_resp_header(w, "Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
	http_resp_header(w, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	http_resp_header(w, "Access-Control-Expose-Headers", "Date");
	if (!env->cors)
		http_resp_header(w, "Access-Control-Allow-Origin", "*");
	else if (matcher_matches_str(env->cors, origin))
		http_resp_header(w, "Access-Control-Allow-Origin", origin);
}

static enum MHD_Result send_resp(web_env *env, struct MHD_Connection *c, const http_req *r, http_resp *w)
{
	buf body = w->body;
	buf gz;
	buf_init(&gz);
	const char *enc = NULL;
	if (body.len && !w->no_gzip && accepts_gzip(r ? r->header(r, "Accept-Encoding") : NULL) && gzip_buf(&body, &gz)) {
		buf_reset(&body);
		body = gz;
		enc = "gzip";
	} else {
		buf_reset(&gz);
	}
	if (body.oom) {
		buf_reset(&body);
		w->status = 500;
	}
	struct MHD_Response *resp = body.len ? MHD_create_response_from_buffer_with_free_callback(body.len, body.p, free_cb)
					     : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!body.len)
		buf_reset(&body);
	buf_init(&w->body);
	if (!resp)
		return MHD_NO;
	if (w->status != 204 && w->status != 304)
		MHD_add_response_header(resp, "Content-Type", w->content_type ? w->content_type : "application/json");
	if (enc)
		MHD_add_response_header(resp, "Content-Encoding", enc);
	for (int i = 0; i < w->n_hdr; i++)
		MHD_add_response_header(resp, w->hdr_name[i], w->hdr_value[i]);
	if (env->webcfg) {
		const char *const *hn, *const *hv;
		size_t n = webconfig_headers(env->webcfg, &hn, &hv);
		for (size_t i = 0; i < n; i++)
			MHD_add_response_header(resp, hn[i], hv[i]);
	}
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)w->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void resp_init(http_resp *w)
{
	memset(w, 0, sizeof *w);
	w->status = 200;
	buf_init(&w->body);
}

/* Basic auth from --web.config.file; true when the request may go on. */
static bool authorized(web_env *env, struct MHD_Connection *c)
{
	if (!env->webcfg || !webconfig_needs_auth(env->webcfg))
		return true;
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = user && pass && webconfig_check(env->webcfg, user, pass);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	web_env *env = cls;
	conn_state *st = *con_cls;
	(void)url;
	(void)version;
	if (!st)
		return MHD_NO;
	if (!st->started) {
		st->started = true;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > env->opts.max_body_bytes)
			st->too_large = true;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_large && st->body.len + *upload_data_size > env->opts.max_body_bytes)
			st->too_large = true;
		if (!st->too_large)
			buf_put(&st->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	http_resp w;
	resp_init(&w);
	arena a;
	arena_init(&a);
	http_req r = {0};
	r.arena = &a;
	enum MHD_Result rc;
	if (!authorized(env, c)) {
		web_text(&w, 401, "Unauthorized\n");
		http_resp_header(&w, "WWW-Authenticate", "Basic");
		st->status = 401;
		rc = send_resp(env, c, NULL, &w);
	} else if (st->too_large || st->body.oom) {
		web_text(&w, 413, "request body too large\n");
		st->status = 413;
		rc = send_resp(env, c, NULL, &w);
	} else if (build_request(env, c, st, method, &r) < 0) {
		web_text(&w, 400, "400 Bad Request");
		st->status = 400;
		rc = send_resp(env, c, NULL, &w);
	} else {
		st->route = route(env, &r, &w);
		add_cors(env, &r, &w);
		st->status = w.status;
		rc = send_resp(env, c, &r, &w);
	}
	buf_reset(&w.body);
	arena_reset(&a);
	return rc;
}

/* Parse "host:port", ":port", "[v6]:port" into a socket address. */
static int listen_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, err *e)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return err_set(e, FL_EINVAL, "web.listen-address %s: missing port", s);
	char host[256];
	size_t hl = (size_t)(colon - s);
	if (hl >= sizeof host)
		return err_set(e, FL_EINVAL, "web.listen-address %s: host too long", s);
	memcpy(host, s, hl);
	host[hl] = 0;
	char *h = host;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		h = host + 1;
	}
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res);
	if (rc || !res)
		return err_set(e, FL_EINVAL, "web.listen-address %s: %s", s, gai_strerror(rc));
	/* with no host, prefer IPv4 any (0.0.0.0) like most setups */
	struct addrinfo *pick = res;
	for (struct addrinfo *p = res; p; p = p->ai_next)
		if (p->ai_family == AF_INET && !*h) {
			pick = p;
			break;
		}
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*len = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int web_server_start(web_env *env, err *e)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc = listen_addr(env->opts.listen_address, &ss, &sl, e);
	if (rc)
		return rc;
	struct web_server *s = fl_calloc(1, sizeof *s);
	if (!s)
		return err_set(e, FL_ENOMEM, "web: out of memory");
	s->env = env;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	const char *cert = env->webcfg ? webconfig_cert_pem(env->webcfg) : NULL;
	const char *key = env->webcfg ? webconfig_key_pem(env->webcfg) : NULL;
	if (cert && key) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fl_free(s);
			return err_set(e, FL_EUNSUPPORTED, "web: TLS requested but libmicrohttpd has no TLS support");
		}
		flags |= MHD_USE_TLS;
	}
	unsigned threads = env->opts.threads > 0 ? (unsigned)env->opts.threads : 8;
	/* A query holds its pool thread until it answers (waiting for a slot
	 * included): with fewer threads than slots, queries queue behind each
	 * other inside MHD, before their deadline starts, and /-/ready starves
	 * (issue 14). Keep a few threads beyond the query slots. */
	unsigned slots = (unsigned)(env->opts.max_concurrency > 0 ? env->opts.max_concurrency : 20);
	if (threads < slots + 4)
		threads = slots + 4;
	unsigned timeout_s = env->opts.read_timeout_ms > 0 ? (unsigned)(env->opts.read_timeout_ms / 1000) : 300;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, env,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, env,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, env,
				MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL,
				MHD_OPTION_THREAD_POOL_SIZE, threads,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)(env->opts.max_connections > 0 ? env->opts.max_connections : 512),
				MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				cert && key ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
				MHD_OPTION_HTTPS_MEM_KEY, key,
				MHD_OPTION_END);
	if (!s->d) {
		fl_free(s);
		return err_set(e, FL_EIO, "web: cannot listen on %s", env->opts.listen_address);
	}
	env->server = s;
	log_info("web", "Start listening for connections", "address", env->opts.listen_address, NULL);
	return 0;
}

int web_server_port(web_env *env)
{
	if (!env->server)
		return -1;
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(env->server->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? (int)i->port : -1;
}

#define DRAIN_GRACE_MS 3000  /* in-flight requests finish on their own */
#define DRAIN_CANCEL_MS 2000 /* canceled queries answer */

void web_server_stop(web_env *env)
{
	struct web_server *s = env->server;
	if (!s)
		return;
	atomic_store(&env->stopping, 1);
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (int i = 0; i < DRAIN_GRACE_MS / 10 && atomic_load(&env->http_inflight) > 0; i++)
		usleep(10000);
	if (atomic_load(&env->http_inflight) > 0) {
		log_warn("web", "Canceling in-flight queries at shutdown", "grace", "3s", NULL);
		atomic_store(&env->cancel_queries, 1);
		for (int i = 0; i < DRAIN_CANCEL_MS / 10 && atomic_load(&env->http_inflight) > 0; i++)
			usleep(10000);
	}
	if (atomic_load(&env->http_inflight) > 0) {
		/* a stuck handler would make MHD_stop_daemon wait forever */
		log_warn("web", "In-flight requests did not finish; closing without them", NULL);
		env->server = NULL;
		return;
	}
	MHD_stop_daemon(s->d);
	fl_free(s);
	env->server = NULL;
}

/* ---- the environment ---- */
void web_opts_default(web_opts *o)
{
	memset(o, 0, sizeof *o);
	o->listen_address = "0.0.0.0:9090";
	o->data_dir = "data/";
	o->threads = 8;
	o->max_connections = 512;
	o->max_body_bytes = 32u << 20;
	o->max_concurrency = 20;
	o->cors_origin = ".*";
	o->read_timeout_ms = 5 * 60000;
	o->remote_read_sample_limit = 50000000;
	o->remote_read_concurrent_limit = 10;
	o->remote_read_max_bytes_in_frame = 1048576;
	o->lookback_ms = 5 * 60000;
	o->retention_ms = 15LL * 86400000;
}

int web_env_init(web_env *env, const web_opts *o, err *e)
{
	memset(env, 0, sizeof *env);
	if (o)
		env->opts = *o;
	else
		web_opts_default(&env->opts);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	env->start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_init(&env->cfg_mu, NULL);
	pthread_mutex_init(&env->slot_mu, NULL);
	pthread_cond_init(&env->slot_cv, NULL);
	env->route_stats = fl_calloc(web_n_routes, sizeof *env->route_stats);
	if (!env->route_stats)
		return err_set(e, FL_ENOMEM, "web: out of memory");
	env->n_route_stats = web_n_routes;
	env->metadata = metadata_store_new();
	if (!env->metadata)
		return err_set(e, FL_ENOMEM, "web: out of memory");
	for (size_t i = 0; i < web_n_routes; i++)
		env->route_stats[i].handler = web_routes[i].name;
	if (env->opts.cors_origin && strcmp(env->opts.cors_origin, ".*")) {
		env->cors = fl_calloc(1, sizeof *env->cors);
		if (!env->cors || matcher_init(env->cors, MATCH_RE, "origin", env->opts.cors_origin, e)) {
			fl_free(env->cors);
			env->cors = NULL;
			err_wrap(e, "web.cors.origin");
			return FL_EINVAL;
		}
	}
	if (env->opts.web_config_file && *env->opts.web_config_file) {
		env->webcfg = webconfig_load(env->opts.web_config_file, e);
		if (!env->webcfg)
			return e ? e->code : FL_EINVAL;
	}
	return 0;
}

void web_env_destroy(web_env *env)
{
	web_server_stop(env);
	scrape_config_free(env->config);
	fl_free(env->config_yaml);
	fl_free(env->route_stats);
	webconfig_free(env->webcfg);
	if (env->cors) {
		matcher_reset(env->cors);
		fl_free(env->cors);
	}
	metadata_store_free(env->metadata);
	pthread_mutex_destroy(&env->cfg_mu);
	pthread_mutex_destroy(&env->slot_mu);
	pthread_cond_destroy(&env->slot_cv);
	memset(env, 0, sizeof *env);
}

void web_env_set_config(web_env *env, scrape_config *c)
{
	buf b;
	buf_init(&b);
	if (c)
		scrape_config_yaml(c, &b);
	char *yaml = fl_strdup(buf_cstr(&b));
	buf_reset(&b);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&env->cfg_mu);
	scrape_config *old = env->config;
	char *old_yaml = env->config_yaml;
	env->config = c;
	env->config_yaml = yaml;
	env->reload_success = true;
	env->last_config_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_unlock(&env->cfg_mu);
	scrape_config_free(old);
	fl_free(old_yaml);
}

bool web_query_slot_acquire(web_env *env, const volatile int *cancel)
{
	int max = env->opts.max_concurrency > 0 ? env->opts.max_concurrency : 20;
	bool got = false;
	pthread_mutex_lock(&env->slot_mu);
	for (;;) {
		if (cancel && *cancel)
			break;
		if (env->slots_used < max) {
			env->slots_used++;
			got = true;
			break;
		}
		/* the cancel flag is set by another thread without this lock: look again every 50 ms */
		struct timespec wake;
		clock_gettime(CLOCK_REALTIME, &wake);
		wake.tv_nsec += 50000000;
		if (wake.tv_nsec >= 1000000000) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&env->slot_cv, &env->slot_mu, &wake);
	}
	pthread_mutex_unlock(&env->slot_mu);
	return got;
}

void web_query_slot_release(web_env *env)
{
	pthread_mutex_lock(&env->slot_mu);
	env->slots_used--;
	pthread_cond_signal(&env->slot_cv);
	pthread_mutex_unlock(&env->slot_mu);
}
