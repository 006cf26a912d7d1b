/*
 * sigv4.h - AWS Signature Version 4 for remote write to Amazon Managed
 * Prometheus (service "aps"), as Prometheus's sigv4 round tripper signs:
 * the headers it adds equal those botocore computes for the same request,
 * credentials and time (tests/conformance/sigv4_botocore.sh compares them with
 * python3-botocore).
 *
 * Credentials (aws-sdk-go-v2's default chain, as far as flint goes): the
 * config's access_key/secret_key (both), else, when the config names a
 * profile, that profile; else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/
 * AWS_SESSION_TOKEN); else the profile AWS_PROFILE or "default" of
 * ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) and ~/.aws/config
 * (AWS_CONFIG_FILE, "[profile name]" sections). Region: the config's, else
 * AWS_REGION / AWS_DEFAULT_REGION, else the profile's. No IMDS, ECS, SSO,
 * web identity or credential_process: those are an error naming the chain.
 * role_arn: STS AssumeRole signed with the chain's credentials, at
 * AWS_ENDPOINT_URL_STS (else AWS_ENDPOINT_URL, else
 * https://sts.<region>.amazonaws.com/: the tests always set the former).
 */
#ifndef FL_REMOTE_SIGV4_H
#define FL_REMOTE_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "scrape/config.h"

typedef struct sigv4_header {
	char name[64];
	char value[2048]; /* STS session tokens run past 1000 bytes */
} sigv4_header;

typedef struct sigv4_signed {
	sigv4_header h[4];  /* X-Amz-Date, X-Amz-Security-Token (when a session token), Authorization */
	int n;
} sigv4_signed;

/* Sign one request: method, full URL, the headers that will be sent (name:
 * value lines as libcurl takes them; the signed ones are chosen as
 * Prometheus's signer chooses), the body, the time (unix ms). 0 or an error
 * (no credentials, no region). Resolves the credentials at each call (and
 * assumes role_arn at each call): long-lived users hold a sigv4_signer. */
int sigv4_sign(const scrape_sigv4 *c, const char *method, const char *url, const char *const *headers, size_t n_headers,
	       const void *body, size_t body_len, int64_t now_ms, sigv4_signed *out, err *e);

/* ---- the pieces, for the sender (cached credentials) and the tests ---- */

typedef struct sigv4_creds {
	char access_key[128];     /* AWS access key id */
	char secret_key[256];     /* secret access key */
	char session_token[2048]; /* "" when none */
	int64_t expires_ms;       /* 0: never (static keys); else unix ms (STS) */
} sigv4_creds;

/* Sign with explicit credentials, region and service ("aps", "sts"). The
 * other parameters as sigv4_sign's. */
int sigv4_sign_creds(const sigv4_creds *cr, const char *region, const char *service, const char *method,
		     const char *url, const char *const *headers, size_t n_headers, const void *body,
		     size_t body_len, int64_t now_ms, sigv4_signed *out, err *e);

/* The credentials chain and region of c (role_arn not applied). region_cap
 * bytes at region. 0 or an error naming what is missing. */
int sigv4_resolve(const scrape_sigv4 *c, sigv4_creds *cr, char *region, size_t region_cap, err *e);

/* STS AssumeRole of role_arn (with external_id unless NULL) with base
 * credentials: *out gets the temporary credentials. now_ms stamps the
 * request. */
int sigv4_assume_role(const sigv4_creds *base, const char *region, const char *role_arn, const char *external_id,
		      int64_t now_ms, sigv4_creds *out, err *e);

/* Parse an STS AssumeRole response body (or its ErrorResponse: an error
 * with the code and message). Outside bytes: never crashes. */
int sigv4_sts_parse(const char *body, size_t len, sigv4_creds *out, err *e);

/* A signer that resolves the chain once and keeps (assumed) credentials
 * until 30s before they expire, as Prometheus's credentials cache.
 * Thread-safe. c is copied. */
typedef struct sigv4_signer sigv4_signer;
sigv4_signer *sigv4_signer_new(const scrape_sigv4 *c, err *e);
/* As sigv4_sign, with s's credentials (refreshed when due). */
int sigv4_signer_sign(sigv4_signer *s, const char *method, const char *url, const char *const *headers,
		      size_t n_headers, const void *body, size_t body_len, int64_t now_ms, sigv4_signed *out, err *e);
void sigv4_signer_free(sigv4_signer *s); /* NULL: no-op */

#endif
