/*
 * flinttool_debug.c - `debug pprof|metrics|all URL`: promtool's debug
 * commands, which fetch a server's debug endpoints into ./debug.tar.gz.
 *
 * flint is written in C and has no Go pprof endpoints, so `debug pprof`
 * collects what flint exposes about itself instead: the
 * /api/v1/status/{buildinfo,runtimeinfo,flags,tsdb,walreplay,config}
 * answers (as <name>.json). `debug metrics` collects /metrics
 * (metrics.txt), `debug all` both. As promtool: "collecting: URL" per
 * endpoint on stdout, the body archived whatever the status, and
 * `Compiling debug information complete, all files written in
 * "debug.tar.gz".` at the end; a failed request prints "error completing
 * debug command: ..." on stderr and exits 1. The archive is a ustar
 * (Go's archive/tar: mode 0666, zero mtime and owner) inside gzip.
 */
#include "cmd/flinttool.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "lib/buf.h"
#include "scrape/httpc.h"

#define TARBALL "debug.tar.gz"
#define DEBUG_TIMEOUT_MS 60000
#define DEBUG_BODY_LIMIT (256u << 20)

typedef struct endpoint {
	const char *path; /* appended to the server URL */
	const char *file; /* its name in the archive */
} endpoint;

static const endpoint status_endpoints[] = {
	{"/api/v1/status/buildinfo", "buildinfo.json"},
	{"/api/v1/status/runtimeinfo", "runtimeinfo.json"},
	{"/api/v1/status/flags", "flags.json"},
	{"/api/v1/status/tsdb", "tsdb.json"},
	{"/api/v1/status/walreplay", "walreplay.json"},
	{"/api/v1/status/config", "config.json"},
	{NULL, NULL},
};

static const endpoint metrics_endpoints[] = {
	{"/metrics", "metrics.txt"},
	{NULL, NULL},
};

/* One ustar member: header block, data, zero padding to 512. */
static int tar_member(gzFile gz, const char *name, const void *data, size_t len)
{
	unsigned char h[512];
	memset(h, 0, sizeof h);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000666", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011lo", (unsigned long)len);
	memcpy(h + 136, "00000000000", 12);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	static const unsigned char zero[512];
	size_t pad = (512 - len % 512) % 512;
	if (gzwrite(gz, h, sizeof h) != (int)sizeof h || (len && gzwrite(gz, data, (unsigned)len) != (int)len) ||
	    (pad && gzwrite(gz, zero, (unsigned)pad) != (int)pad))
		return -1;
	return 0;
}

static int debug_write(const cli_ctx *c, const endpoint *const *groups)
{
	const scrape_http_client *http = cli_http_client(c);
	if (!http)
		return 1;
	const char *server = cli_arg_value(c, "server");
	gzFile gz = gzopen(TARBALL, "wb");
	if (!gz) {
		fprintf(stderr, "error completing debug command: error creating a new archiver: error creating archive "
				"\"%s\": cannot open it\n", TARBALL);
		return 1;
	}
	buf url, body;
	buf_init(&url);
	buf_init(&body);
	int rc = 0;
	for (size_t g = 0; !rc && groups[g]; g++) {
		for (const endpoint *ep = groups[g]; !rc && ep->path; ep++) {
			buf_clear(&url);
			buf_clear(&body);
			buf_printf(&url, "%s%s", server, ep->path);
			printf("collecting: %s\n", buf_cstr(&url));
			fflush(stdout);
			long status;
			err e;
			err_clear(&e);
			if (httpc_get(buf_cstr(&url), http, DEBUG_TIMEOUT_MS, DEBUG_BODY_LIMIT, &body, &status, &e)) {
				fprintf(stderr, "error completing debug command: error executing HTTP request: %s\n", e.msg);
				rc = 1;
			} else if (tar_member(gz, ep->file, body.p, body.len)) {
				fprintf(stderr, "error completing debug command: error writing into the archive\n");
				rc = 1;
			}
		}
	}
	static const unsigned char end[1024];
	if (gzwrite(gz, end, sizeof end) != (int)sizeof end && !rc) {
		fprintf(stderr, "error completing debug command: error closing archive writer\n");
		rc = 1;
	}
	if (gzclose(gz) != Z_OK && !rc) {
		fprintf(stderr, "error completing debug command: error closing archive writer\n");
		rc = 1;
	}
	if (!rc)
		printf("Compiling debug information complete, all files written in \"%s\".\n", TARBALL);
	buf_reset(&url);
	buf_reset(&body);
	return rc;
}

static int run_pprof(const cli_ctx *c)
{
	const endpoint *const groups[] = {status_endpoints, NULL};
	return debug_write(c, groups);
}

static int run_metrics(const cli_ctx *c)
{
	const endpoint *const groups[] = {metrics_endpoints, NULL};
	return debug_write(c, groups);
}

static int run_all(const cli_ctx *c)
{
	const endpoint *const groups[] = {status_endpoints, metrics_endpoints, NULL};
	return debug_write(c, groups);
}

static const cli_arg pprof_args[] = {{"server", "Prometheus server to get pprof files from.", CLI_REQUIRED}, {0}};
static const cli_arg metrics_args[] = {{"server", "Prometheus server to get metrics from.", CLI_REQUIRED}, {0}};
static const cli_arg all_args[] = {{"server", "Prometheus server to get all debug information from.", CLI_REQUIRED},
				   {0}};

const cli_cmd flinttool_debug_cmds[] = {
	{"pprof", "Fetch profiling debug information. flint has no Go pprof endpoints: this collects its "
	 "/api/v1/status/* answers instead.", NULL, pprof_args, NULL, run_pprof, 0},
	{"metrics", "Fetch metrics debug information.", NULL, metrics_args, NULL, run_metrics, 0},
	{"all", "Fetch all debug information (the status answers and /metrics).", NULL, all_args, NULL, run_all, 0},
	{0},
};
