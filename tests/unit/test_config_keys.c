/* test_config_keys.c - scrape/config.c (issue 16): every key of global and
 * scrape_configs takes effect or is refused by name; the discovery, HTTP
 * client, relabel, alerting and remote_write blocks; scrape_config_files. */
#include <sys/stat.h>

#include "scrape/config.h"
#include "tests/unit/test.h"

static scrape_config *parse(const char *y, err *e) { return scrape_config_parse(y, strlen(y), "p.yml", e); }

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void config_keys_global_limits_reach_jobs(void)
{
	err e;
	scrape_config *c = parse("global:\n  body_size_limit: 10MiB\n  sample_limit: 100\n  label_limit: 30\n"
				 "  label_name_length_limit: 200\n  label_value_length_limit: 300\n  target_limit: 5\n"
				 "  keep_dropped_targets: 7\n  extra_scrape_metrics: true\n"
				 "  scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]\n"
				 "  rule_query_offset: 30s\n  metric_name_validation_scheme: utf8\n"
				 "  scrape_native_histograms: false\n  always_scrape_classic_histograms: true\n"
				 "scrape_configs:\n- job_name: a\n- job_name: b\n  body_size_limit: 1KB512B\n  sample_limit: 9\n"
				 "  keep_dropped_targets: 1\n  extra_scrape_metrics: false\n  scrape_protocols: [PrometheusText1.0.0]\n"
				 "  fallback_scrape_protocol: PrometheusText0.0.4\n  enable_compression: false\n"
				 "  track_timestamps_staleness: true\n  follow_redirects: false\n  enable_http2: false\n",
				 &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	const scrape_job_config *a = &c->jobs[0], *b = &c->jobs[1];
	ASSERT_EQ(a->body_size_limit, 10 << 20);
	ASSERT_EQ(a->sample_limit, 100);
	ASSERT_EQ(a->label_limit, 30);
	ASSERT_EQ(a->label_name_length_limit, 200);
	ASSERT_EQ(a->label_value_length_limit, 300);
	ASSERT_EQ(a->target_limit, 5);
	ASSERT_EQ(a->keep_dropped_targets, 7);
	ASSERT(a->extra_scrape_metrics);
	ASSERT(a->enable_compression);
	ASSERT(!a->track_timestamps_staleness);
	ASSERT(a->follow_redirects && a->http.follow_redirects && a->http.enable_http2);
	ASSERT_EQ(a->n_scrape_protocols, 2);
	ASSERT_STR_EQ(a->scrape_protocols[0], "PrometheusText0.0.4");
	ASSERT(a->fallback_scrape_protocol == NULL);
	ASSERT_EQ(c->rule_query_offset_ms, 30000);
	ASSERT_EQ(b->body_size_limit, 1536);
	ASSERT_EQ(b->sample_limit, 9);
	ASSERT_EQ(b->label_limit, 30);
	ASSERT_EQ(b->keep_dropped_targets, 1);
	ASSERT(!b->extra_scrape_metrics);
	ASSERT(!b->enable_compression);
	ASSERT(b->track_timestamps_staleness);
	ASSERT(!b->follow_redirects && !b->http.follow_redirects && !b->http.enable_http2);
	ASSERT_EQ(b->n_scrape_protocols, 1);
	ASSERT_STR_EQ(b->fallback_scrape_protocol, "PrometheusText0.0.4");
	/* printed as Prometheus prints them, and loads back the same */
	buf out;
	buf_init(&out);
	scrape_config_yaml(c, &out);
	ASSERT(strstr(buf_cstr(&out), "  body_size_limit: 10MiB\n"));
	ASSERT(strstr(buf_cstr(&out), "  body_size_limit: 1KiB512B\n"));
	ASSERT(strstr(buf_cstr(&out), "  fallback_scrape_protocol: PrometheusText0.0.4\n"));
	scrape_config *c2 = parse(buf_cstr(&out), &e);
	if (!c2)
		fprintf(stderr, "%s\n%s\n", e.msg, buf_cstr(&out));
	ASSERT(c2 != NULL);
	ASSERT_EQ(c2->jobs[1].body_size_limit, 1536);
	ASSERT_EQ(c2->jobs[1].keep_dropped_targets, 1);
	ASSERT(!c2->jobs[1].enable_compression);
	scrape_config_free(c2);
	buf_reset(&out);
	scrape_config_free(c);
	/* the defaults: 3.x's protocols, compression on, no limits */
	c = parse("scrape_configs:\n- job_name: d\n", &e);
	ASSERT(c != NULL);
	ASSERT_EQ(c->jobs[0].n_scrape_protocols, 4);
	ASSERT_STR_EQ(c->jobs[0].scrape_protocols[0], "OpenMetricsText1.0.0");
	ASSERT_STR_EQ(c->jobs[0].scrape_protocols[3], "PrometheusText0.0.4");
	ASSERT(c->jobs[0].enable_compression);
	ASSERT(c->jobs[0].honor_timestamps);
	ASSERT_EQ(c->jobs[0].body_size_limit, 0);
	ASSERT(c->inactive == NULL);
	scrape_config_free(c);
	/* 3.x validates label names as UTF-8: a dot is fine */
	c = parse("global:\n  external_labels: {service.name: x}\nscrape_configs:\n- job_name: d\n"
		  "  static_configs: [{targets: [a], labels: {k8s.pod: p}}]\n", &e);
	ASSERT(c != NULL);
	ASSERT_STR_EQ(labels_get(c->external_labels, "service.name"), "x");
	ASSERT_STR_EQ(labels_get(c->jobs[0].sd.static_configs[0].labels, "k8s.pod"), "p");
	scrape_config_free(c);
}

static void config_keys_http_client(void)
{
	err e;
	char hdr[512], y[2048];
	snprintf(hdr, sizeof hdr, "%s/hdr.txt", test_tmpdir());
	write_file(hdr, "  from-file \n");
	snprintf(y, sizeof y,
		 "scrape_configs:\n"
		 "- job_name: basic\n  basic_auth: {username: u, password: p}\n"
		 "  tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, insecure_skip_verify: true,"
		 " min_version: TLS12, max_version: TLS13}\n"
		 "  proxy_url: http://proxy:3128\n  no_proxy: localhost\n"
		 "  http_headers: {X-A: {values: [a1, a2], secrets: [s1], files: [%s]}}\n"
		 "- job_name: bearer\n  bearer_token: tok\n"
		 "- job_name: bearer_file\n  bearer_token_file: /t\n"
		 "- job_name: authz\n  authorization: {type: Token, credentials_file: cred}\n",
		 hdr);
	scrape_config *c = scrape_config_parse(y, strlen(y), "/etc/flint/p.yml", &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	const scrape_http_client *h = &c->jobs[0].http;
	ASSERT_STR_EQ(h->basic_auth_user, "u");
	ASSERT_STR_EQ(h->basic_auth_pass, "p");
	ASSERT(h->auth_type == NULL);
	ASSERT_STR_EQ(h->tls_ca_file, "/etc/flint/ca.pem"); /* joined to the file's directory */
	ASSERT_STR_EQ(h->tls_cert_file, "/etc/flint/c.pem");
	ASSERT_STR_EQ(h->tls_key_file, "/etc/flint/k.pem");
	ASSERT(h->tls_server_name == NULL);
	ASSERT(h->tls_insecure_skip_verify);
	ASSERT_STR_EQ(h->tls_min_version, "TLS12");
	ASSERT_STR_EQ(h->tls_max_version, "TLS13");
	ASSERT_STR_EQ(h->proxy_url, "http://proxy:3128");
	ASSERT_STR_EQ(h->no_proxy, "localhost");
	ASSERT_EQ(h->n_proxy_connect_headers, 0);
	ASSERT_EQ(h->n_headers, 4);
	ASSERT_STR_EQ(h->headers[0].key, "X-A");
	ASSERT_STR_EQ(h->headers[1].value, "a2");
	ASSERT_STR_EQ(h->headers[2].value, "s1");
	ASSERT_STR_EQ(h->headers[3].value, "from-file");
	ASSERT_STR_EQ(c->jobs[1].http.auth_type, "Bearer");
	ASSERT_STR_EQ(c->jobs[1].http.auth_credentials, "tok");
	ASSERT_STR_EQ(c->jobs[2].http.auth_type, "Bearer");
	ASSERT_STR_EQ(c->jobs[2].http.auth_credentials_file, "/t");
	ASSERT_STR_EQ(c->jobs[3].http.auth_type, "Token");
	ASSERT_STR_EQ(c->jobs[3].http.auth_credentials_file, "/etc/flint/cred");
	buf out;
	buf_init(&out);
	scrape_config_yaml(c, &out);
	ASSERT(strstr(buf_cstr(&out), "    password: <secret>\n"));
	ASSERT(!strstr(buf_cstr(&out), "tok"));
	buf_reset(&out);
	scrape_config_free(c);
}

static void config_keys_discovery_and_relabel(void)
{
	err e;
	static const char y[] =
		"scrape_configs:\n- job_name: sd\n"
		"  file_sd_configs: [{files: [targets/*.json, /abs/t.yml]}]\n"
		"  http_sd_configs: [{url: 'http://127.0.0.1:1/sd', refresh_interval: 15s, basic_auth: {username: x}}]\n"
		"  dns_sd_configs: [{names: [a.example], type: A, port: 9100}, {names: [_x._tcp.example]}]\n"
		"  relabel_configs:\n  - source_labels: [__address__]\n    regex: '(.*):.*'\n    target_label: host\n"
		"  - action: drop\n    source_labels: [host]\n    regex: bad\n"
		"  metric_relabel_configs: [{action: labeldrop, regex: tmp_.*}]\n";
	scrape_config *c = scrape_config_parse(y, sizeof y - 1, "conf/p.yml", &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	const scrape_job_config *j = &c->jobs[0];
	ASSERT_EQ(j->sd.n_file_sd, 1);
	ASSERT_STR_EQ(j->sd.file_sd[0].files[0], "conf/targets/*.json");
	ASSERT_STR_EQ(j->sd.file_sd[0].files[1], "/abs/t.yml");
	ASSERT_EQ(j->sd.file_sd[0].refresh_ms, 300000);
	ASSERT_EQ(j->sd.n_http_sd, 1);
	ASSERT_STR_EQ(j->sd.http_sd[0].url, "http://127.0.0.1:1/sd");
	ASSERT_EQ(j->sd.http_sd[0].refresh_ms, 15000);
	ASSERT_STR_EQ(j->sd.http_sd[0].http.basic_auth_user, "x");
	ASSERT_EQ(j->sd.n_dns_sd, 2);
	ASSERT_STR_EQ(j->sd.dns_sd[0].type, "A");
	ASSERT_EQ(j->sd.dns_sd[0].port, 9100);
	ASSERT_STR_EQ(j->sd.dns_sd[1].type, "SRV");
	ASSERT_EQ(j->sd.dns_sd[1].refresh_ms, 30000);
	ASSERT_EQ(j->n_relabel_configs, 2);
	ASSERT_EQ(j->relabel_configs[0].action, RELABEL_REPLACE);
	ASSERT_STR_EQ(j->relabel_configs[0].target_label, "host");
	ASSERT(j->relabel_configs[0].re != NULL);
	ASSERT_EQ(j->relabel_configs[1].action, RELABEL_DROP);
	ASSERT_EQ(j->n_metric_relabel_configs, 1);
	ASSERT_EQ(j->metric_relabel_configs[0].action, RELABEL_LABELDROP);
	buf out;
	buf_init(&out);
	scrape_config_yaml(c, &out);
	scrape_config *c2 = scrape_config_parse((const char *)out.p, out.len, "again.yml", &e);
	if (!c2)
		fprintf(stderr, "%s\n%s\n", e.msg, buf_cstr(&out));
	ASSERT(c2 != NULL);
	ASSERT_EQ(c2->jobs[0].n_relabel_configs, 2);
	ASSERT_EQ(c2->jobs[0].sd.n_dns_sd, 2);
	ASSERT_EQ(c2->jobs[0].sd.n_http_sd, 1);
	ASSERT_STR_EQ(c2->jobs[0].sd.file_sd[0].files[0], "conf/targets/*.json");
	scrape_config_free(c2);
	buf_reset(&out);
	scrape_config_free(c);
}

static void config_keys_inactive_sections_validated(void)
{
	err e;
	static const char y[] =
		"rule_files: [rules/*.yml]\n"
		"alerting:\n  alert_relabel_configs: [{action: labeldrop, regex: replica}]\n"
		"  alertmanagers:\n  - static_configs: [{targets: ['am:9093']}]\n    timeout: 5s\n    path_prefix: /am\n"
		"remote_write:\n- url: http://rw:1/api/v1/write\n  write_relabel_configs: [{action: keep, source_labels: [__name__], regex: up}]\n"
		"  queue_config: {max_shards: 10, min_shards: 2}\n  metadata_config: {send: false}\n"
		"  basic_auth: {username: u, password: p}\n";
	scrape_config *c = parse(y, &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	ASSERT(c->inactive == NULL); /* rule_files, alerting (rules/) and remote_write (remote/) are acted on */
	ASSERT_EQ(c->alerting.n_alert_relabel_configs, 1);
	ASSERT_EQ(c->alerting.n_alertmanagers, 1);
	ASSERT_EQ(c->alerting.alertmanagers[0].timeout_ms, 5000);
	ASSERT_STR_EQ(c->alerting.alertmanagers[0].api_version, "v2");
	ASSERT_STR_EQ(c->alerting.alertmanagers[0].sd.static_configs[0].targets[0], "am:9093");
	ASSERT_EQ(c->remote_write[0].n_write_relabel_configs, 1);
	ASSERT_STR_EQ(c->remote_write[0].http.basic_auth_user, "u");
	ASSERT(!c->remote_write[0].http.enable_http2);
	scrape_config_free(c);
}

/* Each refused or invalid key: the error names file, line, field and reason. */
static void config_keys_refused_name_the_key(void)
{
	static const struct { const char *y, *msg; } cases[] = {
		{"scrape_configs:\n- job_name: k\n  kubernetes_sd_configs: [{role: pod}]\n",
		 "p.yml:3: scrape_configs[0].kubernetes_sd_configs: kubernetes_sd_configs is not supported by flint"},
		{"scrape_configs:\n- job_name: k\n  consul_sd_configs: []\n",
		 "p.yml:3: scrape_configs[0].consul_sd_configs: consul_sd_configs is not supported by flint"},
		{"scrape_configs:\n- job_name: t\n  tls_config: {server_name: s}\n",
		 "p.yml:3: scrape_configs[0].tls_config.server_name: tls_config.server_name is not supported by flint"},
		{"scrape_configs:\n- job_name: x\n  proxy_url: http://p:1\n  proxy_connect_header: {X-P: [v]}\n",
		 "p.yml:4: scrape_configs[0].proxy_connect_header: proxy_connect_header is not supported by flint"},
		{"scrape_configs:\n- job_name: o\n  oauth2: {client_id: a, token_url: http://t, grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer'}\n",
		 "p.yml:3: scrape_configs[0].oauth2.grant_type: oauth2 grant_type urn:ietf:params:oauth:grant-type:jwt-bearer is not supported by flint"},
		{"scrape_configs:\n- job_name: n\n  scrape_native_histograms: true\n",
		 "p.yml:3: scrape_configs[0].scrape_native_histograms: scrape_native_histograms: true is not supported by flint (flint stores no native histograms)"},
		{"global:\n  convert_classic_histograms_to_nhcb: true\n", "p.yml:2: global.convert_classic_histograms_to_nhcb: convert_classic_histograms_to_nhcb: true is not supported by flint (flint stores no native histograms)"},
		{"scrape_configs:\n- job_name: n\n  native_histogram_bucket_limit: 10\n",
		 "p.yml:3: scrape_configs[0].native_histogram_bucket_limit: native_histogram_bucket_limit: 10 is not supported by flint (flint stores no native histograms)"},
		{"scrape_configs:\n- job_name: p\n  scrape_protocols: [PrometheusProto]\n",
		 "p.yml:3: scrape_configs[0].scrape_protocols: scrape protocol PrometheusProto is not supported by flint (no protobuf parser)"},
		{"global:\n  scrape_protocols: [Bogus]\n", NULL},
		{"global:\n  scrape_protocols: []\n", "p.yml:2: global.scrape_protocols: scrape_protocols cannot be empty for global config"},
		{"global:\n  query_log_file: /q.log\n", "p.yml:2: global.query_log_file: query_log_file is not supported by flint"},
		{"scrape_configs:\n- job_name: f\n  scrape_failure_log_file: f.log\n",
		 "p.yml:3: scrape_configs[0].scrape_failure_log_file: scrape_failure_log_file is not supported by flint"},
		{"global:\n  metric_name_validation_scheme: legacy\n",
		 "p.yml:2: global.metric_name_validation_scheme: metric_name_validation_scheme legacy is not supported by flint (utf8 only)"},
		{"global:\n  body_size_limit: 10XB\n", NULL},
		{"scrape_configs:\n- job_name: b\n  bearer_token: a\n  bearer_token_file: b\n",
		 "p.yml:4: scrape_configs[0].bearer_token_file: at most one of bearer_token & bearer_token_file must be configured"},
		{"scrape_configs:\n- job_name: b\n  bearer_token: a\n  basic_auth: {username: u}\n",
		 "p.yml:2: scrape_configs[0]: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"},
		{"scrape_configs:\n- job_name: b\n  authorization: {type: Basic, credentials: x}\n",
		 "p.yml:2: scrape_configs[0]: authorization type cannot be set to \"basic\", use \"basic_auth\" instead"},
		{"scrape_configs:\n- job_name: t\n  tls_config: {cert_file: c}\n",
		 "p.yml:2: scrape_configs[0]: exactly one of key or key_file must be configured when a client certificate is configured"},
		{"scrape_configs:\n- job_name: t\n  tls_config: {ca: PEM}\n", NULL},
		{"scrape_configs:\n- job_name: h\n  http_headers: {User-Agent: {values: [x]}}\n", NULL},
		{"scrape_configs:\n- job_name: x\n  no_proxy: a\n",
		 "p.yml:2: scrape_configs[0]: if no_proxy is configured, proxy_url must also be configured"},
		{"scrape_configs:\n- job_name: s\n  static_configs: [{targets: ['http://a:1/m']}]\n",
		 "p.yml:2: scrape_configs[0]: \"http://a:1/m\" is not a valid hostname"},
		{"scrape_configs:\n- job_name: f\n  file_sd_configs: [{files: [a.txt]}]\n",
		 "p.yml:3: scrape_configs[0].file_sd_configs[0].files: path name \"a.txt\" is not valid for file discovery"},
		{"scrape_configs:\n- job_name: f\n  file_sd_configs: [{refresh_interval: 1m}]\n",
		 "p.yml:3: scrape_configs[0].file_sd_configs[0]: file service discovery config must contain at least one path name"},
		{"scrape_configs:\n- job_name: h\n  http_sd_configs: [{url: 'ftp://x'}]\n",
		 "p.yml:3: scrape_configs[0].http_sd_configs[0]: URL scheme must be 'http' or 'https'"},
		{"scrape_configs:\n- job_name: d\n  dns_sd_configs: [{names: [x], type: A}]\n",
		 "p.yml:3: scrape_configs[0].dns_sd_configs[0]: a port is required in DNS-SD configs for all record types except SRV"},
		{"scrape_configs:\n- job_name: d\n  dns_sd_configs: [{names: [x], type: TXT}]\n",
		 "p.yml:3: scrape_configs[0].dns_sd_configs[0]: invalid DNS-SD records type TXT"},
		{"scrape_configs:\n- job_name: r\n  relabel_configs: [{action: bogus}]\n",
		 "p.yml:3: scrape_configs[0].relabel_configs[0].action: unknown relabel action \"bogus\""},
		{"scrape_configs:\n- job_name: r\n  relabel_configs: [{source_labels: [a]}]\n", NULL},
		{"rule_files: ['a/*/b*.yml']\n", "p.yml:1: rule_files: invalid rule file path \"a/*/b*.yml\""},
		{"alerting:\n  alertmanagers: [{api_version: v1}]\n",
		 "p.yml:2: alerting.alertmanagers[0].api_version: expected Alertmanager api version to be one of [v2] but got v1"},
		{"alerting:\n  alertmanagers: [{kubernetes_sd_configs: []}]\n",
		 "p.yml:2: alerting.alertmanagers[0].kubernetes_sd_configs: kubernetes_sd_configs is not supported by flint"},
		{"remote_write:\n- url: http://a\n  queue_config: {min_shards: 5, max_shards: 2}\n",
		 "p.yml:3: remote_write[0].queue_config: remote write queue min_shards must not be greater than max_shards"},
		{"remote_write:\n- url: http://a\n  headers: {Authorization: x}\n", NULL},
		{"remote_write:\n- url: http://a\n  bogus: 1\n",
		 "p.yml:3: remote_write[0].bogus: field bogus not found in type config.RemoteWriteConfig"},
		{"storage:\n  bogus: 1\n", "p.yml:2: storage.bogus: field bogus not found in type config.StorageConfig"},
		{"scrape_configs:\n- job_name: x\n  scrape_classic_histograms: true\n", NULL},
		{"scrape_config_files: [/dev/zero]\n", "p.yml:0: scrape_config_files: read /dev/zero: larger than 67108864 bytes"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		err e;
		err_clear(&e);
		scrape_config *c = parse(cases[i].y, &e);
		if (c)
			fprintf(stderr, "case %zu loaded: %s", i, cases[i].y);
		ASSERT(c == NULL);
		if (cases[i].msg && strcmp(e.msg, cases[i].msg))
			fprintf(stderr, "case %zu\n got: %s\nwant: %s\n", i, e.msg, cases[i].msg);
		if (cases[i].msg)
			ASSERT_STR_EQ(e.msg, cases[i].msg);
		else
			ASSERT(strstr(e.msg, "p.yml:") == e.msg);
	}
}

/* scrape_config_files (3.x): globs of files holding scrape_configs; their
 * relative paths are joined to their own directory; a job name repeated
 * across files is an error naming where it was first found. */
static void config_keys_scrape_config_files(void)
{
	char dir[512], path[600], main_path[600];
	snprintf(dir, sizeof dir, "%s/more", test_tmpdir());
	ASSERT(mkdir(dir, 0755) == 0);
	snprintf(path, sizeof path, "%s/a.yml", dir);
	write_file(path, "scrape_configs:\n- job_name: from_a\n  file_sd_configs: [{files: [t.json]}]\n");
	snprintf(path, sizeof path, "%s/b.yml", dir);
	write_file(path, "scrape_configs:\n- job_name: from_b\n");
	snprintf(main_path, sizeof main_path, "%s/prometheus.yml", test_tmpdir());
	write_file(main_path, "global: {scrape_interval: 7s}\nscrape_config_files: [more/*.yml]\n"
			      "scrape_configs:\n- job_name: main\n");
	err e;
	scrape_config *c = scrape_config_load(main_path, &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	ASSERT_EQ(c->n_jobs, 3);
	ASSERT_STR_EQ(c->jobs[0].job_name, "main");
	ASSERT_STR_EQ(c->jobs[1].job_name, "from_a");
	ASSERT_STR_EQ(c->jobs[2].job_name, "from_b");
	ASSERT_EQ(c->jobs[2].scrape_interval_ms, 7000); /* globals apply */
	snprintf(path, sizeof path, "%s/t.json", dir);
	ASSERT_STR_EQ(c->jobs[1].sd.file_sd[0].files[0], path);
	scrape_config_free(c);
	snprintf(path, sizeof path, "%s/b.yml", dir);
	write_file(path, "scrape_configs:\n- job_name: main\n");
	c = scrape_config_load(main_path, &e);
	ASSERT(c == NULL);
	ASSERT(strstr(e.msg, "found multiple scrape configs with job name \"main\", first found in main config file"));
	ASSERT(strstr(e.msg, "b.yml:2:"));
	write_file(path, "scrape_configs:\n- job_name: from_a\n");
	c = scrape_config_load(main_path, &e);
	ASSERT(c == NULL);
	ASSERT(strstr(e.msg, "first found in \""));
	write_file(path, "global: {}\n");
	c = scrape_config_load(main_path, &e);
	ASSERT(c == NULL);
	ASSERT(strstr(e.msg, "field global not found in type config.ScrapeConfigs"));
}

const struct test tests_config_keys[] = {
	{"config_keys_global_limits_reach_jobs", config_keys_global_limits_reach_jobs},
	{"config_keys_http_client", config_keys_http_client},
	{"config_keys_discovery_and_relabel", config_keys_discovery_and_relabel},
	{"config_keys_inactive_sections_validated", config_keys_inactive_sections_validated},
	{"config_keys_refused_name_the_key", config_keys_refused_name_the_key},
	{"config_keys_scrape_config_files", config_keys_scrape_config_files},
	{NULL, NULL},
};
