/*
 * http.h - the contract between the HTTP server glue (web/server.c, on
 * libmicrohttpd) and the handlers (web/api_*.c, web/remote_*.c,
 * web/federate.c, web/self_metrics.c). Handlers never see libmicrohttpd:
 * they get a fully read request and fill a response.
 *
 * A request's memory (params, body copy, anything a handler allocates with
 * req->arena) lives until the response has been sent.
 */
#ifndef FL_WEB_HTTP_H
#define FL_WEB_HTTP_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/fl.h"

struct db;
struct promql_engine;

typedef struct http_param {
	const char *name;  /* decoded name */
	const char *value; /* decoded value */
} http_param;

typedef struct http_req {
	const char *method;   /* "GET", "POST", ... */
	const char *path;     /* decoded path without query string */
	http_param *params;   /* form-body parameters (POST/PUT, urlencoded), then URL query parameters: Go's Request.Form order */
	size_t n_params;      /* number of params */
	const uint8_t *body;  /* raw body (also for form posts) */
	size_t body_len;      /* body bytes */
	const char *(*header)(const struct http_req *r, const char *name); /* case-insensitive lookup or NULL */
	void *conn;           /* server-private */
	arena *arena;         /* per-request arena */
	const char *path_arg; /* the part of the path matched by a trailing '*' in the route, or NULL */
	const char *form_error; /* first URL/form decoding error (Go's ParseForm: the bad pair is dropped), or NULL */
} http_req;

#define HTTP_MAX_HEADERS 8

typedef struct http_resp {
	int status;                    /* default 200 */
	const char *content_type;      /* default "application/json" */
	buf body;                      /* response body */
	const char *hdr_name[HTTP_MAX_HEADERS];  /* extra headers (static or req-arena strings) */
	const char *hdr_value[HTTP_MAX_HEADERS];
	int n_hdr;
	bool no_gzip;                  /* body must not be gzip-encoded (e.g. snappy protobuf) */
} http_resp;

/* First value of a parameter, or NULL. */
const char *http_param_get(const http_req *r, const char *name);
/* Add a response header (names/values must outlive the request). */
void http_resp_header(http_resp *w, const char *name, const char *value);

/* Everything a handler may reach: the running server's parts. One per
 * process, passed explicitly (no globals). */
typedef struct web_env web_env;

typedef void (*http_handler)(web_env *env, const http_req *r, http_resp *w);

typedef struct http_route {
	const char *method;   /* "GET", "POST", a comma list such as "GET,POST", or "*"; GET admits HEAD */
	const char *path;     /* exact, or ending in '*' for a prefix (rest in path_arg) */
	http_handler fn;      /* handler */
	const char *name;     /* handler label for prometheus_http_requests_total{handler=...} */
} http_route;

#endif
