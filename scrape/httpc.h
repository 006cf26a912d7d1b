/*
 * httpc.h - libcurl client settings from a prometheus.yml HTTP client block
 * (Prometheus's common/config.HTTPClientConfig): basic auth, authorization /
 * bearer token (files re-read at each use, as Prometheus does), TLS options,
 * proxy_url, extra headers, oauth2 (client credentials). Used by the scrape
 * loop, http_sd, the notifier and remote write.
 */
#ifndef FL_SCRAPE_HTTPC_H
#define FL_SCRAPE_HTTPC_H

#include <curl/curl.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "scrape/config.h"

/* Apply c to an easy handle; *hdrs receives the header list to free with
 * curl_slist_free_all after the transfer (may be NULL). 0 or an error
 * (unreadable credentials file, ...). */
int httpc_setup(CURL *h, const scrape_http_client *c, struct curl_slist **hdrs, err *e);
/* Blocking GET (for SD): body capped at limit bytes (an error past it),
 * timeout_ms for the whole transfer, gzip accepted. *status gets the HTTP
 * status. */
int httpc_get(const char *url, const scrape_http_client *c, int64_t timeout_ms, size_t limit, buf *out,
	      long *status, err *e);

/* A response of httpc_post. */
typedef struct httpc_resp {
	buf body;               /* the body (caller inits and resets) */
	long status;            /* HTTP status, 0 when none */
	char status_text[128];  /* "401 Unauthorized", as Go's resp.Status */
	char content_type[128]; /* the Content-Type header */
} httpc_resp;
/* Blocking POST of body[0..body_len) with c's settings (c may be NULL:
 * libcurl's defaults) and extra "Name: value" headers; body capped at
 * limit bytes (an error past it), timeout_ms for the whole transfer. Any
 * status fills r; 0 or a transport error ("Post \"url\": ..."). */
int httpc_post(const char *url, const scrape_http_client *c, const char *const *headers, size_t n_headers,
	       const void *body, size_t body_len, int64_t timeout_ms, size_t limit, httpc_resp *r, err *e);

/* oauth2's Authorization value ("Bearer <token>") into out: the cached
 * token while it is valid (until 10s before expires_in runs out, as
 * golang.org/x/oauth2), else a new one from token_url. Blocks for the
 * token request (at most HTTPC_OAUTH2_TIMEOUT_MS). Thread-safe. 0 or an
 * error with x/oauth2's wording ("oauth2: cannot fetch token: ..."). */
#define HTTPC_OAUTH2_TIMEOUT_MS 10000
int httpc_oauth2_authorization(const scrape_oauth2 *o, buf *out, err *e);
/* The token endpoint's answer (status, Content-Type, body: outside bytes)
 * into tok's access_token, token_type and expiry_ms (from now), or
 * x/oauth2's error for it ("oauth2: \"invalid_client\" ...", "oauth2:
 * cannot fetch token: 401 Unauthorized\nResponse: ..."). */
int httpc_oauth2_parse(const httpc_resp *r, int64_t now, scrape_oauth2_token *tok, err *e);

#endif
