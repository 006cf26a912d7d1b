/*
 * flinttool_web.c - `check web-config FILE...`, `check healthy` and
 * `check ready` (promtool's CheckWebConfig and CheckServerStatus).
 *
 * web-config: each file through flint's own --web.config.file loader and
 * exporter-toolkit's validation (web/webconfig_validate.c); "FILE SUCCESS"
 * or "FILE FAILED: why" on stderr, exit 1 when one failed.
 *
 * healthy / ready: GET <url>/-/healthy (/-/ready) with the
 * --http.config.file client, 10 s for the whole exchange. A 200 prints
 * "  SUCCESS:  <body>" on stderr and exits 0; another status prints
 * "check failed: URL=<url>, status=<code>", a transport error Go's
 * `Get "<url>": dial tcp host:port: connect: connection refused`-style
 * line, each exiting 1.
 */
#include "cmd/flinttool.h"
#include "cmd/flinttool_http.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "scrape/httpc.h"
#include "web/webconfig.h"

#define STATUS_TIMEOUT_MS 10000
#define STATUS_BODY_LIMIT (1u << 20)

const cli_arg flinttool_web_config_args[] = {
	{"web-config-files", "The config files to check.", CLI_REQUIRED | CLI_REPEAT},
	{0},
};

int flinttool_check_web_config(const cli_ctx *c)
{
	size_t n;
	const char *const *files = cli_args(c, "web-config-files", &n);
	if (flinttool_existing_files(files, n))
		return 1;
	bool failed = false;
	for (size_t i = 0; i < n; i++) {
		err e;
		err_clear(&e);
		if (webconfig_validate(files[i], &e)) {
			fprintf(stderr, "%s FAILED: %s\n", files[i], e.msg);
			failed = true;
			continue;
		}
		fprintf(stderr, "%s SUCCESS\n", files[i]);
	}
	return failed ? 1 : 0;
}

const cli_flag flinttool_server_status_flags[] = {
	{"url", 0, "http://localhost:9090", "The URL for the Prometheus server.", "http://localhost:9090", 0},
	{0},
};

/* Go's url.JoinPath: the endpoint appended to the URL's path with one '/'
 * between (a query string or fragment stays after it). */
static void join_path(buf *out, const char *url, const char *endpoint)
{
	const char *scheme_end = strstr(url, "://");
	const char *path = scheme_end ? scheme_end + 3 : url;
	path += strcspn(path, "/?#");
	const char *rest = path + strcspn(path, "?#");
	if (!scheme_end)
		buf_put_str(out, "http://");
	buf_put(out, url, (size_t)(path - url));
	size_t plen = (size_t)(rest - path);
	while (plen && path[plen - 1] == '/')
		plen--;
	buf_put(out, path, plen);
	buf_put_str(out, endpoint);
	buf_put_str(out, rest);
}

/* Go's net/http wording for a refused connection (curl's differs). */
static void go_dial_error(const char *url, const char *msg)
{
	if (!strstr(msg, "Couldn't connect") && !strstr(msg, "Connection refused")) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	size_t n = strcspn(host, "/?#");
	const char *colon = memchr(host, ':', n);
	bool https = !strncmp(url, "https:", 6);
	if (colon)
		fprintf(stderr, "Get \"%s\": dial tcp %.*s: connect: connection refused\n", url, (int)n, host);
	else
		fprintf(stderr, "Get \"%s\": dial tcp %.*s:%s: connect: connection refused\n", url, (int)n, host,
			https ? "443" : "80");
}

static int server_status(const cli_ctx *c, const char *endpoint)
{
	const char *url = cli_str(c, "url");
	if (ft_userinfo_conflict(url, cli_given(c, "http.config.file")))
		return 1;
	const scrape_http_client *http = cli_http_client(c);
	if (!http)
		return 1;
	buf full, body;
	buf_init(&full);
	buf_init(&body);
	join_path(&full, url, endpoint);
	long status = 0;
	err e;
	err_clear(&e);
	int rc = httpc_get(buf_cstr(&full), http, STATUS_TIMEOUT_MS, STATUS_BODY_LIMIT, &body, &status, &e);
	if (rc)
		go_dial_error(buf_cstr(&full), e.msg);
	else if (status != 200)
		fprintf(stderr, "check failed: URL=%s%s, status=%ld\n", strstr(url, "://") ? "" : "http://", url, status);
	else
		fprintf(stderr, "  SUCCESS:  %.*s\n", (int)body.len, body.len ? (const char *)body.p : "");
	rc = rc || status != 200;
	buf_reset(&full);
	buf_reset(&body);
	return rc ? 1 : 0;
}

int flinttool_check_healthy(const cli_ctx *c)
{
	return server_status(c, "/-/healthy");
}

int flinttool_check_ready(const cli_ctx *c)
{
	return server_status(c, "/-/ready");
}
