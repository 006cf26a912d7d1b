/*
 * httpc.h - libcurl client settings from a prometheus.yml HTTP client block
 * (Prometheus's common/config.HTTPClientConfig): basic auth, authorization /
 * bearer token (files re-read at each use, as Prometheus does), TLS options,
 * proxy_url, extra headers. Used by the scrape loop and by http_sd.
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

#endif
