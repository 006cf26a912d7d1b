/*
 * flinttool_push.c - `flinttool push metrics URL [FILE...]`: remote write
 * of a text exposition (promtool 3.x cmd/promtool/metrics.go with
 * util/fmtutil and client_golang's exp/api/remote).
 *
 * The page is read as expfmt's TextParser reads it (families by name; a
 * *_sum, *_count or *_bucket line joins its summary or histogram family;
 * the lines of one summary or histogram are one metric per label set),
 * on top of scrape/textparse.h's 0.0.4 parser. Each metric becomes series
 * as fmtutil.MetricFamiliesToWriteRequest builds them: families sorted by
 * name; labels = __name__, the --label pairs (default job=promtool), then
 * the metric's own (job renamed exported_job); summaries as quantile series
 * (quantile as fmt.Sprint), _sum, _count; histograms as _bucket series (le
 * as fmt.Sprint, +Inf added when missing), _sum, _count; a metric without
 * a timestamp gets the current time. A histogram with any non-integer
 * count has all its counts sent as 0 (expfmt stores them as floats and
 * fmtutil reads the integer fields; promtool does the same). One metadata
 * entry per family (gaugehistogram and untyped as unknown).
 *
 * The request (prometheus.WriteRequest, snappy) is POSTed to URL joined
 * with --remote-write.path (path.Join), retried on network errors, 5xx and
 * 429 up to 10 times with jittered exponential backoff from 1s to 10s,
 * each attempt bounded by --timeout. Output is promtool's: "Parsing
 * metrics file F" / "  SUCCESS: ..." on stdout, "  FAILED: ..." on stderr,
 * exit 1 when any file failed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd/flinttool.h"
#include "cmd/flinttool_http.h"
#include "lib/fmtfloat.h"
#include "lib/godur.h"
#include "remote/codec.h"
#include "scrape/expfmt.h"

/* ---- the write request ---- */

typedef struct pm_kv {
	const char *name, *value;
} pm_kv;

typedef struct pm_req {
	arena *a;
	rw_request rq;
	size_t cap_series, cap_md;
	const pm_kv *extra;   /* --label pairs */
	size_t n_extra;
} pm_req;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The metric's label map (makeLabelsMap): name, extra labels, own labels
 * (job as exported_job), later keys overwriting earlier ones. */
typedef struct pm_lmap {
	label v[256 + 3];
	size_t n;
} pm_lmap;

static void lmap_set(pm_lmap *m, const char *name, const char *value)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name)) {
			m->v[i].value = value;
			return;
		}
	if (m->n < sizeof m->v / sizeof m->v[0])
		m->v[m->n++] = (label){name, value};
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const label *)a)->name, ((const label *)b)->name);
}

/* toTimeseries: one series of one sample. */
static int emit(pm_req *r, const pm_lmap *m, int64_t t, double v)
{
	rw_request *rq = &r->rq;
	if (!(rq->series = arena_grow(r->a, rq->series, rq->n_series, &r->cap_series, sizeof *rq->series)))
		return -1;
	rw_series *s = &rq->series[rq->n_series++];
	memset(s, 0, sizeof *s);
	s->labels = arena_alloc(r->a, (m->n ? m->n : 1) * sizeof *s->labels);
	s->samples = arena_alloc(r->a, sizeof *s->samples);
	if (!s->labels || !s->samples)
		return -1;
	memcpy(s->labels, m->v, m->n * sizeof *s->labels);
	qsort(s->labels, m->n, sizeof *s->labels, label_cmp);
	s->n_labels = m->n;
	s->samples[0] = (sample){t, v};
	s->n_samples = 1;
	return 0;
}

static const char *go_sprint(arena *a, double v)
{
	char s[FMT_FLOAT_MAX];
	fmt_go_g(s, v);
	return arena_strdup(a, s);
}

static int emit_metric(pm_req *r, const expfmt_family *f, const expfmt_metric *m)
{
	pm_lmap lm;
	lm.n = 0;
	lmap_set(&lm, LABEL_NAME, f->name);
	for (size_t i = 0; i < r->n_extra; i++)
		lmap_set(&lm, r->extra[i].name, r->extra[i].value);
	for (size_t i = 0; i < m->n_labels; i++)
		lmap_set(&lm, strcmp(m->labels[i].name, "job") ? m->labels[i].name : "exported_job", m->labels[i].value);
	int64_t t = m->has_ts && m->ts != 0 ? m->ts : now_ms();
	char *sum_name = arena_alloc(r->a, strlen(f->name) + 8), *count_name = arena_alloc(r->a, strlen(f->name) + 8),
	     *bucket_name = arena_alloc(r->a, strlen(f->name) + 8);
	if (!sum_name || !count_name || !bucket_name)
		return -1;
	sprintf(sum_name, "%s_sum", f->name);
	sprintf(count_name, "%s_count", f->name);
	sprintf(bucket_name, "%s_bucket", f->name);
	int rc = 0;
	switch (f->type) {
	case EXPFMT_SUMMARY: {
		pm_lmap q = lm;
		for (size_t i = 0; i < m->n_pairs && rc == 0; i++) {
			lmap_set(&q, "quantile", go_sprint(r->a, m->pairs[i].key));
			rc = emit(r, &q, t, m->pairs[i].v);
		}
		lmap_set(&lm, LABEL_NAME, sum_name);
		rc = rc ? rc : emit(r, &lm, t, m->sum);
		lmap_set(&lm, LABEL_NAME, count_name);
		rc = rc ? rc : emit(r, &lm, t, (double)expfmt_go_uint64(m->count));
		return rc;
	}
	case EXPFMT_HISTOGRAM:
	case EXPFMT_GAUGE_HISTOGRAM: {
		/* normalizeHistogram: any float count makes every integer field read 0 */
		bool floats = !m->count_uint && m->count != 0;
		for (size_t i = 0; i < m->n_pairs; i++)
			floats |= !m->pairs[i].is_uint && m->pairs[i].v != 0;
		pm_lmap b = lm;
		bool has_inf = false;
		for (size_t i = 0; i < m->n_pairs && rc == 0; i++) {
			has_inf |= isinf(m->pairs[i].key) && m->pairs[i].key > 0;
			lmap_set(&b, LABEL_NAME, bucket_name);
			lmap_set(&b, "le", go_sprint(r->a, m->pairs[i].key));
			bool as_uint = m->pairs[i].is_uint && !floats;
			rc = emit(r, &b, t, as_uint ? (double)expfmt_go_uint64(m->pairs[i].v) : 0);
		}
		double count = m->count_uint && !floats ? (double)expfmt_go_uint64(m->count) : 0;
		if (!has_inf && rc == 0) {
			lmap_set(&b, LABEL_NAME, bucket_name);
			lmap_set(&b, "le", "+Inf");
			rc = emit(r, &b, t, count);
		}
		lmap_set(&lm, LABEL_NAME, sum_name);
		rc = rc ? rc : emit(r, &lm, t, m->sum);
		lmap_set(&lm, LABEL_NAME, count_name);
		rc = rc ? rc : emit(r, &lm, t, count);
		return rc;
	}
	default:
		return emit(r, &lm, t, m->v);
	}
}

static int build_request(expfmt_page *pg, pm_req *r)
{
	for (size_t i = 0; i < pg->n_fam; i++) {
		expfmt_family *f = pg->fam[i];
		rw_request *rq = &r->rq;
		if (!(rq->md = arena_grow(r->a, rq->md, rq->n_md, &r->cap_md, sizeof *rq->md)))
			return -1;
		int t = f->type == EXPFMT_COUNTER ? RW_TYPE_COUNTER : f->type == EXPFMT_GAUGE ? RW_TYPE_GAUGE
			: f->type == EXPFMT_SUMMARY ? RW_TYPE_SUMMARY : f->type == EXPFMT_HISTOGRAM ? RW_TYPE_HISTOGRAM : RW_TYPE_UNKNOWN;
		rq->md[rq->n_md++] = (rw_metadata){t, f->name, f->help ? f->help : "", ""};
		for (size_t k = 0; k < f->n_metrics; k++)
			if (emit_metric(r, f, f->metrics[k]) < 0)
				return -1;
	}
	return 0;
}

/* ---- sending ---- */

typedef struct pm_target {
	char *url;                   /* the write URL */
	const scrape_http_client *hc;
	const char **headers;        /* "K: V": the protocol's, then --header */
	size_t n_headers;
	int64_t timeout_ms;
	bool v2;                     /* --protobuf_message=io.prometheus.write.v2.Request */
} pm_target;

/* X-Prometheus-Remote-Write-*-Written headers: any present, and their sum. */
static bool written_stats(const buf *h, long long *sum)
{
	static const char *const names[] = {"x-prometheus-remote-write-samples-written:",
					    "x-prometheus-remote-write-histograms-written:",
					    "x-prometheus-remote-write-exemplars-written:"};
	bool any = false;
	*sum = 0;
	const char *p = (const char *)h->p, *end = p + h->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		for (size_t i = 0; i < 3; i++) {
			size_t k = strlen(names[i]);
			if (n > k && !strncasecmp(p, names[i], k)) {
				any = true;
				*sum += strtoll(p + k, NULL, 10);
			}
		}
		p += n + 1;
	}
	return any;
}

/* One Write: 0, or -1 with the error in msg. */
static int send_request(const pm_target *t, const buf *body, buf *msg)
{
	ft_http_req rq = {.method = "POST", .url = t->url, .body = body->p, .body_len = body->len,
			  .headers = t->headers, .n_headers = t->n_headers, .timeout_ms = t->timeout_ms,
			  .timeout_suffix = " (Client.Timeout exceeded while awaiting headers)"};
	int64_t delay_ms = 1000;
	for (int attempt = 0;; attempt++) {
		ft_http_resp resp;
		buf_clear(msg);
		bool retry;
		if (ft_http_do(t->hc, &rq, &resp, msg) < 0) {
			retry = true;
		} else if (resp.code / 100 == 2) {
			long long sum;
			bool confirmed = written_stats(&resp.headers, &sum);
			int rc = 0;
			if (t->v2 && !confirmed && sum == 0) {
				buf_put_str(msg, "sent v2 request; got 2xx, but PRW 2.0 response header statistics indicate 0 samples, "
						 "0 histograms and 0 exemplars were accepted; assuming failure e.g. the target only "
						 "supports PRW 1.0 prometheus.WriteRequest, but does not check the Content-Type header correctly");
				rc = -1;
			}
			ft_http_resp_free(&resp);
			return rc;
		} else {
			buf_printf(msg, "server returned HTTP status %s: %.*s", resp.status, (int)resp.body.len,
				   (const char *)resp.body.p);
			retry = resp.code / 100 == 5 || resp.code == 429;
		}
		ft_http_resp_free(&resp);
		if (!retry || attempt >= 10)
			return -1;
		/* jittered exponential backoff: a random delay in [d/2, d) */
		int64_t d = delay_ms / 2 + (int64_t)(rand() % (int)(delay_ms / 2 > 0 ? delay_ms / 2 : 1));
		usleep((useconds_t)d * 1000);
		delay_ms = delay_ms * 2 > 10000 ? 10000 : delay_ms * 2;
	}
}

static int parse_and_push(const pm_target *t, const pm_kv *extra, size_t n_extra, const char *text, size_t len)
{
	expfmt_page pg;
	expfmt_page_init(&pg);
	pm_req r;
	memset(&r, 0, sizeof r);
	r.a = &pg.a;
	r.extra = extra, r.n_extra = n_extra;
	r.rq.version = RW_V1;
	buf msg, pb, body;
	buf_init(&msg);
	buf_init(&pb);
	buf_init(&body);
	int rc = expfmt_parse(&pg, text, len, &msg);
	if (rc == 0 && build_request(&pg, &r) < 0) {
		buf_put_str(&msg, "out of memory");
		rc = -1;
	}
	err e;
	err_clear(&e);
	if (rc == 0 && (rw_encode(&r.rq, &pb, &e) < 0 || remote_snappy_encode(pb.p, pb.len, &body) < 0)) {
		buf_printf(&msg, "encoding request %s", e.msg);
		rc = -1;
	}
	if (rc == 0)
		rc = send_request(t, &body, &msg);
	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr, "  FAILED: %s\n", buf_cstr(&msg));
	}
	buf_reset(&msg);
	buf_reset(&pb);
	buf_reset(&body);
	expfmt_page_free(&pg);
	return rc;
}

/* os.ReadFile's error text: "open F: no such file or directory". */
static int read_file(const char *path, buf *out, buf *msg)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int en = errno;
		char s[128];
		snprintf(s, sizeof s, "%s", strerror(en));
		s[0] = (char)(s[0] >= 'A' && s[0] <= 'Z' ? s[0] + 32 : s[0]);
		buf_printf(msg, "open %s: %s", path, s);
		return -1;
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(out, chunk, n);
	int bad = ferror(f);
	int en = errno;
	fclose(f);
	if (bad) {
		buf_printf(msg, "read %s: %s", path, en == EISDIR ? "is a directory" : strerror(en));
		return -1;
	}
	return 0;
}

/* --label / --header values ("k=v", kingpin StringMaps) checked; the
 * labels into extra (default job=promtool, a repeated key keeps its last
 * value). 0, or 1 after a usage error. */
static int parse_maps(const cli_ctx *c, arena *a, pm_kv **extra, size_t *n_extra)
{
	size_t n_lab, n_hdr;
	const char *const *lab = cli_strs(c, "label", &n_lab);
	const char *const *hdr = cli_strs(c, "header", &n_hdr);
	*extra = arena_calloc(a, n_lab + 1, sizeof **extra);
	*n_extra = 0;
	if (!*extra)
		return 1;
	if (!cli_given(c, "label"))
		(*extra)[(*n_extra)++] = (pm_kv){"job", "promtool"};
	for (size_t i = 0; cli_given(c, "header") && i < n_hdr; i++)
		if (!strchr(hdr[i], '='))
			return cli_usage_error("expected KEY=VALUE got '%s'", hdr[i]);
	for (size_t i = 0; cli_given(c, "label") && i < n_lab; i++) {
		const char *eq = strchr(lab[i], '=');
		if (!eq)
			return cli_usage_error("expected KEY=VALUE got '%s'", lab[i]);
		char *k = arena_strndup(a, lab[i], (size_t)(eq - lab[i]));
		if (!k)
			return 1;
		size_t j = 0;
		while (j < *n_extra && strcmp((*extra)[j].name, k))
			j++;
		(*extra)[j] = (pm_kv){k, eq + 1};
		*n_extra += j == *n_extra;
	}
	return 0;
}

/* The write URL (URL joined with --remote-write.path), the protocol's
 * headers and --header's. 0, or 1 after printing the error. */
static int target_setup(const cli_ctx *c, arena *a, pm_target *t)
{
	buf base, msg;
	buf_init(&base);
	buf_init(&msg);
	int rc = 1;
	int64_t timeout_ns = 30 * INT64_C(1000000000);
	const char *ts = cli_str(c, "timeout"), *proto = cli_str(c, "protobuf_message");
	const char *api_path = cli_str(c, "remote-write.path");
	size_t n_hdr;
	const char *const *hdr = cli_strs(c, "header", &n_hdr);
	err e;
	err_clear(&e);
	memset(t, 0, sizeof *t);
	if (ft_base_url(cli_arg_value(c, "remote-write-url"), &base, &msg) < 0) {
		rc = cli_usage_error("invalid URL: %s", buf_cstr(&msg));
		goto out;
	}
	if (ts && godur_parse(ts, &timeout_ns, &e) < 0) {
		rc = cli_usage_error("%s", e.msg);
		goto out;
	}
	if (!(t->hc = cli_http_client(c)) || !(t->headers = arena_calloc(a, n_hdr + 4, sizeof *t->headers)))
		goto out;
	if (api_path && *api_path) {
		if (api_path[0] != '/')
			buf_put_byte(&base, '/');
		buf_put_str(&base, api_path);
		while (base.len && base.p[base.len - 1] == '/')
			base.len--;
	}
	t->url = arena_strdup(a, buf_cstr(&base));
	t->timeout_ms = timeout_ns / 1000000;
	if (!strcmp(proto, "io.prometheus.write.v2.Request")) {
		t->v2 = true;
		t->headers[t->n_headers++] = "Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request";
		t->headers[t->n_headers++] = "X-Prometheus-Remote-Write-Version: 2.0.0";
	} else if (!strcmp(proto, "prometheus.WriteRequest")) {
		t->headers[t->n_headers++] = "Content-Type: application/x-protobuf";
		t->headers[t->n_headers++] = "X-Prometheus-Remote-Write-Version: 0.1.0";
	} else {
		fprintf(stderr, "  FAILED: invalid protobuf message \"%s\", must be prometheus.WriteRequest or io.prometheus.write.v2.Request\n", proto);
		goto out;
	}
	t->headers[t->n_headers++] = "Content-Encoding: snappy";
	for (size_t i = 0; i < n_hdr; i++) {
		/* --header replaces a protocol header of the same name (Header.Set) */
		const char *eq = strchr(hdr[i], '=');
		size_t kl = (size_t)(eq - hdr[i]), w = 0;
		for (size_t k = 0; k < t->n_headers; k++)
			if (!(strlen(t->headers[k]) > kl && t->headers[k][kl] == ':' && !strncasecmp(t->headers[k], hdr[i], kl)))
				t->headers[w++] = t->headers[k];
		t->n_headers = w;
		char *h = arena_alloc(a, strlen(hdr[i]) + 2);
		if (!h)
			goto out;
		sprintf(h, "%.*s: %s", (int)kl, hdr[i], eq + 1);
		t->headers[t->n_headers++] = h;
	}
	rc = t->url ? 0 : 1;
out:
	buf_reset(&base);
	buf_reset(&msg);
	return rc;
}

/* PushMetrics: standard input when no file is named, else each file (a
 * file that cannot be read fails, the others are still pushed). */
static int run_push_metrics(const cli_ctx *c)
{
	arena a;
	arena_init(&a);
	buf msg, data;
	buf_init(&msg);
	buf_init(&data);
	pm_target t;
	pm_kv *extra;
	size_t n_extra, n_files;
	const char *const *files = cli_args(c, "metric-files", &n_files);
	int rc = parse_maps(c, &a, &extra, &n_extra);
	if (!rc)
		rc = target_setup(c, &a, &t);
	if (!rc && !n_files) {
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
			buf_put(&data, chunk, n);
		printf("Parsing standard input\n");
		rc = parse_and_push(&t, extra, n_extra, data.len ? (const char *)data.p : "", data.len) ? 1 : 0;
		if (!rc)
			printf("  SUCCESS: metrics pushed to remote write.\n");
	}
	bool failed = false;
	for (size_t i = 0; !rc && i < n_files; i++) {
		buf_clear(&data);
		buf_clear(&msg);
		if (read_file(files[i], &data, &msg) < 0) {
			fflush(stdout);
			fprintf(stderr, "  FAILED: %s\n", buf_cstr(&msg));
			failed = true;
			continue;
		}
		printf("Parsing metrics file %s\n", files[i]);
		if (parse_and_push(&t, extra, n_extra, data.len ? (const char *)data.p : "", data.len) == 0)
			printf("  SUCCESS: metrics file %s pushed to remote write.\n", files[i]);
		else
			failed = true;
	}
	fflush(stdout);
	buf_reset(&msg);
	buf_reset(&data);
	arena_reset(&a);
	return rc || failed ? 1 : 0;
}

static const cli_flag push_metrics_flags[] = {
	{"label", 0, "job=promtool", "Label to attach to metrics. Can be specified multiple times.", "job=promtool", CLI_REPEAT},
	{"timeout", 0, "30s", "The time to wait for pushing metrics.", "30s", 0},
	{"header", 0, "HEADER", "Prometheus remote write header.", NULL, CLI_REPEAT},
	{"protobuf_message", 0, "\"prometheus.WriteRequest\"",
	 "Protobuf message to use when writing (prometheus.WriteRequest or io.prometheus.write.v2.Request).",
	 "prometheus.WriteRequest", 0},
	{"remote-write.path", 0, "\"/api/v1/write\"", "Override the default remote write API path.", "/api/v1/write", 0},
	{0}};
static const cli_arg push_metrics_args[] = {
	{"remote-write-url", "Prometheus remote write url to push metrics.", CLI_REQUIRED},
	{"metric-files", "The metric files to push, default is read from standard input.", CLI_REPEAT},
	{0}};

const cli_cmd flinttool_push_cmds[] = {
	{"metrics", "Push metrics to a prometheus remote write (for testing purpose only).", push_metrics_flags,
	 push_metrics_args, NULL, run_push_metrics, 0},
	{0}};
