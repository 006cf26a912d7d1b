/*
 * sigv4.h - AWS Signature Version 4 for remote write to Amazon Managed
 * Prometheus (service "aps"), as Prometheus's sigv4 round tripper signs:
 * the headers it adds equal those botocore computes for the same request,
 * credentials and time (tests/e2e compares them with python3-botocore).
 *
 * Credentials: the config's access_key/secret_key, else AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), else the profile
 * (AWS_PROFILE or "default") of ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE).
 * Region: the config's, else AWS_REGION / AWS_DEFAULT_REGION, else the
 * profile's in ~/.aws/config. role_arn: STS AssumeRole (signed the same way).
 */
#ifndef FL_REMOTE_SIGV4_H
#define FL_REMOTE_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "scrape/config.h"

typedef struct sigv4_header {
	char name[64];
	char value[512];
} sigv4_header;

typedef struct sigv4_signed {
	sigv4_header h[4];  /* X-Amz-Date, X-Amz-Security-Token (when a session token), Authorization, ... */
	int n;
} sigv4_signed;

/* Sign one request: method, full URL, the headers that will be sent (name:
 * value lines as libcurl takes them; the signed ones are chosen as
 * Prometheus's signer chooses), the body, the time (unix ms). 0 or an error
 * (no credentials, no region). */
int sigv4_sign(const scrape_sigv4 *c, const char *method, const char *url, const char *const *headers, size_t n_headers,
	       const void *body, size_t body_len, int64_t now_ms, sigv4_signed *out, err *e);

#endif
