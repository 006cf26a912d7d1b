/*
 * sigv4_sign.c - prints the headers flint's SigV4 signer adds, for
 * tests/conformance/sigv4_botocore.sh, which compares them with botocore's.
 * Reads cases from stdin, one field a line:
 *   case NAME | time UNIX_MS | creds AK SK [TOKEN] | region R | service S
 *   cfg KEY VALUE   (scrape_sigv4 field: region, access_key, secret_key,
 *                    profile, role_arn, external_id; the case then goes through
 *                    sigv4_sign: the credentials chain and STS)
 *   signer N        (with cfg: sign N times, a second apart, through one
 *                    sigv4_signer: its cached credentials; the last
 *                    signature is printed)
 *   method M | url U | header NAME: VALUE | body HEX | end
 * and prints "NAME<TAB>Header: value" per added header, or
 * "NAME<TAB>error: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/sigv4.h"

#define MAX_HEADERS 32

typedef struct tcase {
	char name[128], region[64], service[32], method[16], url[2048];
	char *headers[MAX_HEADERS];
	size_t n_headers;
	unsigned char body[8192];
	size_t body_len;
	long long time_ms;
	sigv4_creds cr;
	bool use_cfg;
	int signer_n;
	char cfg_v[6][512];
} tcase;

static void run(tcase *t)
{
	sigv4_signed out;
	err e;
	err_clear(&e);
	int rc;
	if (t->use_cfg) {
		scrape_sigv4 c = {0};
		const char **f[6] = {&c.region, &c.access_key, &c.secret_key, &c.profile, &c.role_arn, &c.external_id};
		for (int i = 0; i < 6; i++)
			*f[i] = t->cfg_v[i][0] ? t->cfg_v[i] : NULL;
		if (t->signer_n) {
			sigv4_signer *s = sigv4_signer_new(&c, &e);
			rc = s ? 0 : -1;
			for (int i = 0; s && !rc && i < t->signer_n; i++)
				rc = sigv4_signer_sign(s, t->method, t->url, (const char *const *)t->headers, t->n_headers,
						       t->body, t->body_len, t->time_ms - (t->signer_n - 1 - i) * 1000LL, &out, &e);
			sigv4_signer_free(s);
		} else
			rc = sigv4_sign(&c, t->method, t->url, (const char *const *)t->headers, t->n_headers, t->body,
					t->body_len, t->time_ms, &out, &e);
	} else
		rc = sigv4_sign_creds(&t->cr, t->region, t->service, t->method, t->url, (const char *const *)t->headers,
				      t->n_headers, t->body, t->body_len, t->time_ms, &out, &e);
	if (rc)
		printf("%s\terror: %s\n", t->name, e.msg);
	else
		for (int i = 0; i < out.n; i++)
			printf("%s\t%s: %s\n", t->name, out.h[i].name, out.h[i].value);
	for (size_t i = 0; i < t->n_headers; i++)
		free(t->headers[i]);
	memset(t, 0, sizeof *t);
	strcpy(t->service, "aps");
	strcpy(t->method, "POST");
}

int main(void)
{
	static tcase t;
	static char line[16384];
	static const char *const cfg_keys[6] = {"region", "access_key", "secret_key", "profile", "role_arn", "external_id"};
	memset(&t, 0, sizeof t);
	strcpy(t.service, "aps");
	strcpy(t.method, "POST");
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *sp = strchr(line, ' ');
		const char *arg = sp ? sp + 1 : "";
		if (sp)
			*sp = 0;
		if (!strcmp(line, "case"))
			snprintf(t.name, sizeof t.name, "%s", arg);
		else if (!strcmp(line, "time"))
			t.time_ms = atoll(arg);
		else if (!strcmp(line, "creds"))
			sscanf(arg, "%127s %255s %2047s", t.cr.access_key, t.cr.secret_key, t.cr.session_token);
		else if (!strcmp(line, "signer"))
			t.signer_n = atoi(arg);
		else if (!strcmp(line, "region"))
			snprintf(t.region, sizeof t.region, "%s", arg);
		else if (!strcmp(line, "service"))
			snprintf(t.service, sizeof t.service, "%s", arg);
		else if (!strcmp(line, "method"))
			snprintf(t.method, sizeof t.method, "%s", arg);
		else if (!strcmp(line, "url"))
			snprintf(t.url, sizeof t.url, "%s", arg);
		else if (!strcmp(line, "header") && t.n_headers < MAX_HEADERS)
			t.headers[t.n_headers++] = strdup(arg);
		else if (!strcmp(line, "body"))
			for (t.body_len = 0; arg[0] && arg[1] && t.body_len < sizeof t.body; arg += 2) {
				unsigned x;
				sscanf(arg, "%2x", &x);
				t.body[t.body_len++] = (unsigned char)x;
			}
		else if (!strcmp(line, "cfg")) {
			char k[32], v[512] = "";
			if (sscanf(arg, "%31s %511s", k, v) >= 1)
				for (int i = 0; i < 6; i++)
					if (!strcmp(k, cfg_keys[i]))
						snprintf(t.cfg_v[i], sizeof t.cfg_v[i], "%s", v), t.use_cfg = true;
		} else if (!strcmp(line, "end"))
			run(&t);
	}
	return 0;
}
