/*
 * version.h - the two versions flint reports, each written down once.
 *
 * FLINT_VERSION is flint's own release: `flint --version` prints it, and
 * the buildinfo API and prometheus_build_info carry it in their revision
 * and branch fields (Prometheus puts its git revision and branch there).
 *
 * FLINT_PROMETHEUS_VERSION is the Prometheus release whose semantics and
 * HTTP API flint implements: the PromQL test scripts in
 * ../shared/conformance/promql are v3.14's. /api/v1/status/buildinfo's
 * `version` field reports it, because clients pick features by it
 * (Grafana's data source reads it as a Prometheus version, semver-parsed).
 */
#ifndef FL_VERSION_H
#define FL_VERSION_H

#define FLINT_VERSION "0.2.0"
#define FLINT_PROMETHEUS_VERSION "3.14.0"
#define FLINT_REVISION "flint-" FLINT_VERSION /* buildinfo revision */
#define FLINT_BRANCH "flint-" FLINT_VERSION   /* buildinfo branch */

#endif
