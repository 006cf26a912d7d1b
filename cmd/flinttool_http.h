/*
 * flinttool_http.h - one blocking HTTP exchange for flinttool's commands
 * that talk to a server (query, push), through libcurl with the
 * --http.config.file settings (scrape/httpc.h), reporting failures in the
 * words of Go's net/http as promtool prints them:
 *   Post "http://127.0.0.1:1/api/v1/query": dial tcp 127.0.0.1:1: connect: connection refused
 */
#ifndef FL_CMD_FLINTTOOL_HTTP_H
#define FL_CMD_FLINTTOOL_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "scrape/config.h"

typedef struct ft_http_req {
	const char *method;          /* "GET" or "POST" */
	const char *url;             /* absolute */
	const void *body;            /* POST body, or NULL */
	size_t body_len;             /* its length */
	const char *const *headers;  /* "Name: value" lines, or NULL */
	size_t n_headers;            /* their number */
	int64_t timeout_ms;          /* whole exchange; 0: none */
	const char *timeout_suffix;  /* appended to "context deadline exceeded" (Go's Client.Timeout note), or NULL */
} ft_http_req;

typedef struct ft_http_resp {
	long code;        /* HTTP status */
	char status[96];  /* Go's resp.Status: "400 Bad Request" (the server's reason phrase) */
	buf body;         /* response body (caller frees with buf_reset) */
	buf headers;      /* raw response header lines (caller frees with buf_reset) */
} ft_http_resp;

/* 0 with *resp filled (any status), or -1 with msg holding Go's url.Error
 * text (`Post "URL": ...`). hc may be NULL. resp->body and resp->headers
 * are initialised either way. */
int ft_http_do(const scrape_http_client *hc, const ft_http_req *rq, ft_http_resp *resp, buf *msg);

/* promtool's main.go refuses user info in the server URL together with
 * --http.config.file (kingpin.Fatalf): 1 after printing its error, else 0. */
int ft_userinfo_conflict(const char *url, bool http_config_given);

/* Free a response's buffers. */
void ft_http_resp_free(ft_http_resp *r);

/* Go's url.Values.Encode of one pair, appended (QueryEscape: space as
 * '+', unreserved kept, the rest %XX), with a leading '&' unless b is
 * empty. */
void ft_query_add(buf *b, const char *key, const char *value);

/* The base of a server URL as promtool builds API URLs on it (scheme
 * defaults to http; a trailing '/' of the path dropped, as path.Join does).
 * 0, or -1 with Go's url.Parse error text in msg. */
int ft_base_url(const char *server, buf *out, buf *msg);

#endif
