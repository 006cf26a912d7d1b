/*
 * sd_http.c - http_sd_configs (Prometheus discovery/http): GET the URL
 * every refresh_interval with the block's HTTP client settings (httpc.h),
 * header X-Prometheus-Refresh-Interval-Seconds, the whole request bounded
 * by the refresh interval (Prometheus's client timeout). The answer must
 * be status 200 with Content-Type application/json (parameters allowed)
 * and a JSON list of target groups; each group gets __meta_url. Any
 * failure keeps the previous groups (discovery.c) and counts in
 * prometheus_sd_http_failures_total.
 */
#include <stdio.h>
#include <strings.h>

#include "lib/version.h"
#include "scrape/httpc.h"
#include "scrape/sd_int.h"

#define SD_HTTP_BODY_LIMIT (64u << 20) /* a discovery document larger than this is refused */

typedef struct body {
	buf *b;       /* the body so far */
	bool over;    /* past SD_HTTP_BODY_LIMIT */
} body;

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
	body *bd = ud;
	if (bd->b->len + sz * nm > SD_HTTP_BODY_LIMIT) {
		bd->over = true;
		return 0;
	}
	buf_put(bd->b, p, sz * nm);
	return sz * nm;
}

/* mime.ParseMediaType(ct) == "application/json" */
static bool json_type(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; ");
	return n == 16 && !strncasecmp(ct, "application/json", 16);
}

int sd_http_refresh(const scrape_http_sd *h, sd_groups *out, err *e)
{
	CURL *c = curl_easy_init();
	if (!c)
		return err_set(e, FL_ENOMEM, "http_sd: curl_easy_init failed");
	struct curl_slist *hdrs = NULL;
	buf b;
	buf_init(&b);
	body bd = {&b, false};
	int rc = httpc_setup(c, &h->http, &hdrs, e);
	if (!rc) {
		char hv[96];
		snprintf(hv, sizeof hv, "X-Prometheus-Refresh-Interval-Seconds: %g", (double)h->refresh_ms / 1000);
		struct curl_slist *l = curl_slist_append(hdrs, hv);
		if (l)
			hdrs = l;
		curl_easy_setopt(c, CURLOPT_URL, h->url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &bd);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(h->refresh_ms > 0 ? h->refresh_ms : 60000));
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "flint/" FLINT_VERSION);
		CURLcode cc = curl_easy_perform(c);
		long status = 0;
		char *ct = NULL;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (bd.over)
			rc = err_set(e, FL_EINVAL, "http_sd %s: response larger than %u bytes", h->url, SD_HTTP_BODY_LIMIT);
		else if (cc != CURLE_OK)
			rc = err_set(e, FL_EIO, "http_sd %s: %s", h->url, curl_easy_strerror(cc));
		else if (status != 200)
			rc = err_set(e, FL_EIO, "server returned HTTP status %ld", status);
		else if (!json_type(ct))
			rc = err_set(e, FL_EINVAL, "unsupported content type \"%s\"", ct ? ct : "");
		else
			rc = sd_groups_parse(out, (const char *)b.p, b.len, h->url, false, "__meta_url", h->url, e);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	buf_reset(&b);
	return rc;
}
