/* test_oauth2.c - oauth2 blocks of prometheus.yml (scrape/config_http.c):
 * Prometheus's validation messages, the fields a valid block fills, and
 * the token request's own TLS and proxy settings, and the token endpoint's
 * answers (x/oauth2's wording). The token fetch itself runs against a live
 * token server in tests/e2e/oauth2.sh. */
#include "scrape/config.h"
#include "scrape/httpc.h"
#include "test.h"

static scrape_config *parse(const char *y, err *e) { return scrape_config_parse(y, strlen(y), "p.yml", e); }

#define JOB "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['h:1']}]\n"

static void oauth2_valid_block(void)
{
	err e;
	err_clear(&e);
	scrape_config *c = parse(JOB "    oauth2:\n      client_id: id\n      client_secret: s\n"
				     "      token_url: http://127.0.0.1:1/token\n      scopes: [a, b]\n"
				     "      endpoint_params: {audience: x, resource: y}\n"
				     "      tls_config: {insecure_skip_verify: true}\n      proxy_url: http://127.0.0.1:2\n",
				 &e);
	if (!c)
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	const scrape_oauth2 *o = c->jobs[0].http.oauth2;
	ASSERT(o);
	ASSERT_STR_EQ(o->client_id, "id");
	ASSERT_STR_EQ(o->client_secret, "s");
	ASSERT_STR_EQ(o->token_url, "http://127.0.0.1:1/token");
	ASSERT_EQ(o->n_scopes, 2);
	ASSERT_STR_EQ(o->scopes[1], "b");
	ASSERT_EQ(o->n_endpoint_params, 2);
	ASSERT_STR_EQ(o->endpoint_params[0].key, "audience");
	ASSERT_STR_EQ(o->endpoint_params[1].value, "y");
	ASSERT(o->http && o->http->tls_insecure_skip_verify);
	ASSERT_STR_EQ(o->http->proxy_url, "http://127.0.0.1:2");
	ASSERT(o->token && !o->token->access_token[0]);
	ASSERT(!c->jobs[0].http.auth_type && !c->jobs[0].http.basic_auth_user);
	scrape_config_free(c);
	/* a relative client_secret_file is joined to the config's directory */
	c = parse(JOB "    oauth2: {client_id: id, client_secret_file: sec, token_url: 'http://x/t'}\n", &e);
	ASSERT(c);
	ASSERT_STR_EQ(c->jobs[0].http.oauth2->client_secret_file, "sec");
	scrape_config_free(c);
	/* null is no block */
	c = parse(JOB "    oauth2:\n    basic_auth: {username: u, password: p}\n", &e);
	ASSERT(c && !c->jobs[0].http.oauth2);
	scrape_config_free(c);
}

static void oauth2_validation_messages(void)
{
	static const struct {
		const char *y, *msg;
	} cases[] = {
		{JOB "    oauth2: {client_secret: s, token_url: 'http://x'}\n", "oauth2 client_id must be configured"},
		{JOB "    oauth2: {}\n", "oauth2 client_id must be configured"},
		{JOB "    oauth2: {client_id: i}\n", "oauth2 token_url must be configured"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', client_secret: s, client_secret_file: f}\n",
		 "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using "
		 "grant-type=client_credentials"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x'}\n    basic_auth: {username: u}\n",
		 "at most one of basic_auth, oauth2 & authorization must be configured"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x'}\n    authorization: {credentials: c}\n",
		 "at most one of basic_auth, oauth2 & authorization must be configured"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x'}\n    bearer_token: t\n",
		 "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', bogus: 1}\n", "field bogus not found in type config.OAuth2"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', client_secret_ref: r}\n",
		 "client_secret_ref is not supported by flint"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer'}\n",
		 "is not supported by flint"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', no_proxy: h}\n",
		 "if no_proxy is configured, proxy_url must also be configured"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', tls_config: {cert_file: c}}\n",
		 "exactly one of key or key_file must be configured when a client certificate is configured"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', endpoint_params: [a]}\n",
		 "expected a mapping of parameter names to values"},
		{JOB "    oauth2: {client_id: i, token_url: 'http://x', scopes: a}\n", NULL},
		{JOB "    oauth2: [a]\n", NULL},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		err e;
		err_clear(&e);
		scrape_config *c = parse(cases[i].y, &e);
		if (c)
			test_fail(__FILE__, __LINE__, "case %zu accepted", i);
		if (cases[i].msg && !strstr(e.msg, cases[i].msg))
			test_fail(__FILE__, __LINE__, "case %zu: %s (want %s)", i, e.msg, cases[i].msg);
		ASSERT(strstr(e.msg, "p.yml:") == e.msg);
	}
}

/* oauth2 in every HTTP client block: SD, alertmanagers, remote write */
static void oauth2_everywhere(void)
{
	err e;
	err_clear(&e);
	scrape_config *c = parse("scrape_configs:\n  - job_name: a\n    http_sd_configs:\n      - url: http://h/sd\n"
				 "        oauth2: {client_id: i, token_url: 'http://x'}\n"
				 "alerting:\n  alertmanagers:\n    - oauth2: {client_id: j, token_url: 'http://x'}\n"
				 "      static_configs: [{targets: ['h:2']}]\n"
				 "remote_write:\n  - url: http://h/w\n    oauth2: {client_id: k, token_url: 'http://x'}\n",
				 &e);
	if (!c)
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	ASSERT_STR_EQ(c->jobs[0].sd.http_sd[0].http.oauth2->client_id, "i");
	ASSERT_STR_EQ(c->alerting.alertmanagers[0].http.oauth2->client_id, "j");
	ASSERT_STR_EQ(c->remote_write[0].http.oauth2->client_id, "k");
	scrape_config_free(c);
}

static int parse_answer(long status, const char *st, const char *ctype, const char *body, scrape_oauth2_token *t,
			err *e)
{
	httpc_resp r = {.status = status};
	snprintf(r.status_text, sizeof r.status_text, "%s", st);
	snprintf(r.content_type, sizeof r.content_type, "%s", ctype);
	buf_init(&r.body);
	buf_put_str(&r.body, body);
	memset(t, 0, sizeof *t);
	int rc = httpc_oauth2_parse(&r, 1000000, t, e);
	buf_reset(&r.body);
	return rc;
}

static void oauth2_token_answers(void)
{
	static scrape_oauth2_token t;
	err e;
	ASSERT_EQ(parse_answer(200, "200 OK", "application/json; charset=utf-8",
			       "{\"access_token\": \"a\\u00e9\", \"token_type\": \"bearer\", \"expires_in\": 60}", &t, &e), 0);
	ASSERT_STR_EQ(t.access_token, "a\xc3\xa9");
	ASSERT_STR_EQ(t.token_type, "bearer");
	ASSERT_EQ(t.expiry_ms, 1060000);
	ASSERT_EQ(parse_answer(200, "200 OK", "application/x-www-form-urlencoded", "access_token=x%2By+z&expires_in=0", &t, &e), 0);
	ASSERT_STR_EQ(t.access_token, "x+y z");
	ASSERT_EQ(t.expiry_ms, 0);
	ASSERT_EQ(parse_answer(200, "200 OK", "application/json", "{\"expires_in\": \"99999999999\", \"access_token\": \"q\"}", &t, &e), 0);
	ASSERT_EQ(t.expiry_ms, 1000000 + 2147483647LL * 1000);
	ASSERT_EQ(parse_answer(200, "200 OK", "", "{\"access_token\":\"c\",\"expires_in\":5,\"scope\":[\"a\"]}", &t, &e), 0);
	ASSERT_STR_EQ(t.access_token, "c");
	ASSERT_EQ(t.expiry_ms, 1005000);
	ASSERT(parse_answer(200, "200 OK", "application/json", "{\"token_type\": \"bearer\"}", &t, &e) < 0);
	ASSERT_STR_EQ(e.msg, "oauth2: server response missing access_token");
	ASSERT(parse_answer(200, "200 OK", "application/json", "[1, 2]", &t, &e) < 0);
	ASSERT(strstr(e.msg, "oauth2: cannot parse json"));
	ASSERT(parse_answer(401, "401 Unauthorized", "application/json",
			    "{\"error\": \"invalid_client\", \"error_description\": \"bad secret\"}", &t, &e) < 0);
	ASSERT_STR_EQ(e.msg, "oauth2: \"invalid_client\" \"bad secret\"");
	ASSERT(parse_answer(503, "503 Service Unavailable", "text/html", "<html>down</html>", &t, &e) < 0);
	ASSERT_STR_EQ(e.msg, "oauth2: cannot fetch token: 503 Service Unavailable\nResponse: <html>down</html>");
	ASSERT(!t.access_token[0]);
}

const struct test tests_oauth2[] = {
	{"oauth2_token_answers", oauth2_token_answers},
	{"oauth2_valid_block", oauth2_valid_block},
	{"oauth2_validation_messages", oauth2_validation_messages},
	{"oauth2_everywhere", oauth2_everywhere},
	{NULL, NULL},
};
