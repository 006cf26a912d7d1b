/*
 * webconfig.h - --web.config.file (Prometheus exporter-toolkit web config):
 *
 *   tls_server_config:
 *     cert_file: server.crt      # PEM, relative paths are relative to the file
 *     key_file: server.key
 *   basic_auth_users:
 *     alice: $2y$10$...          # bcrypt hashes, checked with crypt(3) (libxcrypt)
 *   http_server_config:
 *     headers: {Name: value}     # extra response headers
 *
 * Successful checks are cached (user + password hash of the attempt) so bcrypt
 * does not run on every request, as exporter-toolkit does.
 */
#ifndef FL_WEB_WEBCONFIG_H
#define FL_WEB_WEBCONFIG_H

#include "lib/err.h"
#include "lib/fl.h"

typedef struct webconfig webconfig;

/* NULL on error with "web config file: line N: ..." in e. */
webconfig *webconfig_load(const char *path, err *e);
void webconfig_free(webconfig *c);
/* exporter-toolkit's web.Validate (promtool check web-config): the load's
 * checks, then TLS versions, header allowlist, bcrypt hash shapes and the
 * TLS block's PEM files and client auth policy (web/webconfig_validate.c).
 * 0 or an error with exporter-toolkit's message in e. */
int webconfig_validate(const char *path, err *e);
/* TLS material (PEM text) or NULL when TLS is off. */
const char *webconfig_cert_pem(const webconfig *c);
const char *webconfig_key_pem(const webconfig *c);
/* Are basic-auth users configured? */
bool webconfig_needs_auth(const webconfig *c);
/* Check a user/password pair (thread-safe). */
bool webconfig_check(webconfig *c, const char *user, const char *pass);
/* Extra response headers: name/value pairs, n of them. */
size_t webconfig_headers(const webconfig *c, const char *const **names, const char *const **values);

#endif
