/* test_rw_config.c - scrape/config_remote.c (issue 18): remote_write's
 * defaults (DefaultRemoteWriteConfig, DefaultQueueConfig,
 * DefaultMetadataConfig), its validation messages, and how
 * /api/v1/status/config prints an entry (secrets as <secret>). */
#include "scrape/config.h"
#include "tests/unit/test.h"

static scrape_config *parse(const char *y, err *e) { return scrape_config_parse(y, strlen(y), "p.yml", e); }

static void rw_config_defaults(void)
{
	err e;
	scrape_config *c = parse("remote_write:\n- url: http://a:1/w\n", &e);
	ASSERT(c != NULL);
	const scrape_remote_config *r = &c->remote_write[0];
	/* metadata_config takes effect (remote/metadata_send.c): no load warning */
	ASSERT(c->inactive == NULL);
	ASSERT(r->metadata.send);
	ASSERT_EQ(r->metadata.send_interval_ms, 60000);
	ASSERT_EQ(r->metadata.max_samples_per_send, 2000);
	ASSERT_EQ(r->remote_timeout_ms, 30000);
	ASSERT_STR_EQ(r->protobuf_message, "prometheus.WriteRequest");
	ASSERT_EQ(r->queue.capacity, 10000);
	ASSERT_EQ(r->queue.max_shards, 50);
	ASSERT_EQ(r->queue.min_shards, 1);
	ASSERT_EQ(r->queue.max_samples_per_send, 2000);
	ASSERT_EQ(r->queue.batch_send_deadline_ms, 5000);
	ASSERT_EQ(r->queue.min_backoff_ms, 30);
	ASSERT_EQ(r->queue.max_backoff_ms, 5000);
	ASSERT(!r->queue.retry_on_http_429);
	ASSERT_EQ(r->queue.sample_age_limit_ms, 0);
	ASSERT(r->metadata.send);
	ASSERT_EQ(r->metadata.send_interval_ms, 60000);
	ASSERT_EQ(r->metadata.max_samples_per_send, 2000);
	ASSERT(r->sigv4 == NULL);
	scrape_config_free(c);
}

static void rw_config_set(void)
{
	err e;
	scrape_config *c = parse("remote_write:\n- url: http://a:1/w\n  name: q\n  round_robin_dns: true\n"
				 "  protobuf_message: io.prometheus.write.v2.Request\n"
				 "  queue_config: {capacity: 5, max_shards: 3, min_shards: 2, max_samples_per_send: 7,"
				 " batch_send_deadline: 1s, min_backoff: 1ms, max_backoff: 2s, retry_on_http_429: true,"
				 " sample_age_limit: 30m}\n"
				 "  metadata_config: {send: false, send_interval: 2m, max_samples_per_send: 9}\n"
				 "  sigv4: {region: eu-west-1, access_key: AK, secret_key: SK, profile: p, role_arn: arn}\n",
				 &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	const scrape_remote_config *r = &c->remote_write[0];
	ASSERT(r->round_robin_dns);
	ASSERT_STR_EQ(r->protobuf_message, "io.prometheus.write.v2.Request");
	ASSERT_EQ(r->queue.capacity, 5);
	ASSERT_EQ(r->queue.max_shards, 3);
	ASSERT_EQ(r->queue.min_shards, 2);
	ASSERT_EQ(r->queue.max_samples_per_send, 7);
	ASSERT_EQ(r->queue.batch_send_deadline_ms, 1000);
	ASSERT_EQ(r->queue.min_backoff_ms, 1);
	ASSERT_EQ(r->queue.max_backoff_ms, 2000);
	ASSERT(r->queue.retry_on_http_429);
	ASSERT_EQ(r->queue.sample_age_limit_ms, 1800000);
	ASSERT(!r->metadata.send);
	ASSERT_EQ(r->metadata.send_interval_ms, 120000);
	ASSERT_EQ(r->metadata.max_samples_per_send, 9);
	ASSERT(r->sigv4 != NULL);
	ASSERT_STR_EQ(r->sigv4->region, "eu-west-1");
	ASSERT_STR_EQ(r->sigv4->secret_key, "SK");
	ASSERT_STR_EQ(r->sigv4->role_arn, "arn");
	buf b = {0};
	scrape_config_yaml(c, &b);
	buf_put_byte(&b, 0);
	const char *want = "remote_write:\n- url: http://a:1/w\n  remote_timeout: 30s\n  name: q\n  round_robin_dns: true\n"
			   "  protobuf_message: io.prometheus.write.v2.Request\n  tls_config:\n    insecure_skip_verify: false\n  follow_redirects: true\n  enable_http2: false\n"
			   "  queue_config:\n    capacity: 5\n    max_shards: 3\n    min_shards: 2\n    max_samples_per_send: 7\n"
			   "    batch_send_deadline: 1s\n    min_backoff: 1ms\n    max_backoff: 2s\n    retry_on_http_429: true\n"
			   "    sample_age_limit: 30m\n  metadata_config:\n    send: false\n    send_interval: 2m\n"
			   "    max_samples_per_send: 9\n  sigv4:\n    region: eu-west-1\n    access_key: AK\n"
			   "    secret_key: <secret>\n    profile: p\n    role_arn: arn\n";
	const char *got = strstr((const char *)b.p, "remote_write:");
	if (!got || strcmp(got, want))
		fprintf(stderr, "got:\n%s\n", got ? got : (const char *)b.p);
	ASSERT(got && !strcmp(got, want));
	buf_reset(&b);
	scrape_config_free(c);
}

static void rw_config_invalid(void)
{
	static const struct {
		const char *y, *msg;
	} cases[] = {
		{"remote_write:\n- url: http://a\n  queue_config: {max_shards: 0}\n",
		 "p.yml:3: remote_write[0].queue_config: remote write queue max_shards must be positive"},
		{"remote_write:\n- url: http://a\n  queue_config: {capacity: -1}\n",
		 "p.yml:3: remote_write[0].queue_config: remote write queue capacity must be positive"},
		{"remote_write:\n- url: http://a\n  queue_config: {min_backoff: 2s, max_backoff: 1s}\n",
		 "p.yml:3: remote_write[0].queue_config: remote write queue max_backoff must not be less than min_backoff"},
		{"remote_write:\n- url: http://a\n  queue_config: {max_samples_per_send: x}\n",
		 "p.yml:3: remote_write[0].queue_config.max_samples_per_send: cannot unmarshal x into an integer"},
		{"remote_write:\n- url: http://a\n  protobuf_message: foo\n",
		 "p.yml:3: remote_write[0].protobuf_message: invalid protobuf_message value: unknown type for remote write "
		 "protobuf message foo, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request"},
		{"remote_write:\n- url: http://a\n  sigv4: {access_key: a}\n",
		 "p.yml:3: remote_write[0].sigv4: must provide a AWS SigV4 Access key and Secret Key if credentials are "
		 "specified in the SigV4 config"},
		{"remote_write:\n- url: http://a\n  sigv4: {region: r}\n  basic_auth: {username: u, password: p}\n",
		 "p.yml:2: remote_write[0]: at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam "
		 "must be configured. Currently configured: [basic_auth sigv4]"},
		{"remote_write:\n- url: http://a\n  metadata_config: {bogus: 1}\n",
		 "p.yml:3: remote_write[0].metadata_config.bogus: field bogus not found in type config.MetadataConfig"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err e = {0};
		scrape_config *c = parse(cases[i].y, &e);
		if (c || strcmp(e.msg, cases[i].msg))
			fprintf(stderr, "case %zu: %s\n", i, c ? "(parsed)" : e.msg);
		ASSERT(c == NULL);
		ASSERT_STR_EQ(e.msg, cases[i].msg);
	}
}

const struct test tests_rw_config[] = {
	{"rw_config_defaults", rw_config_defaults},
	{"rw_config_set", rw_config_set},
	{"rw_config_invalid", rw_config_invalid},
	{NULL, NULL},
};
