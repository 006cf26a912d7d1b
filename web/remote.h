/*
 * remote.h - what web/remote_write.c, web/remote_read.c, web/federate.c and
 * web/self_metrics.c share: the receiver's counters and the remote-read
 * gate (env->remote_st, web/remote_state.h), plain-text errors, external
 * labels, the text format's float. Metadata from remote write goes to
 * env->metadata (web/metadata.h), which /api/v1/metadata reads.
 */
#ifndef FL_WEB_REMOTE_H
#define FL_WEB_REMOTE_H

#include "web/metadata.h"
#include "web/web.h"

/* The receiver's state inside env (never NULL; lives as long as env). */
static inline remote_state *remote_state_get(web_env *env) { return &env->remote_st; }
/* Nothing to free any more (the state is part of env); kept for callers. */
static inline void remote_state_free(web_env *env) { (void)env; }

/* The remote-read gate (--storage.remote.read-concurrent-limit, 0 = none;
 * Prometheus's util/gate): wait up to timeout_ms for a slot. 0 when one was
 * taken (release it with remote_read_gate_leave), FL_ETIMEOUT otherwise.
 * Waiters poll every millisecond: reads are few and long. */
int remote_read_gate_enter(remote_state *s, int limit, int64_t timeout_ms);
void remote_read_gate_leave(remote_state *s);
/* Reads executing or queued (prometheus_remote_read_handler_queries). */
int remote_read_gate_load(remote_state *s);

/* Answer as Go's http.Error does: text/plain, msg and a newline. */
void remote_http_error(http_resp *w, int status, const char *msg);

/* A copy (in a) of the current config's external labels, sorted; empty
 * when there is no config or none are set. */
labels remote_external_labels(web_env *env, arena *a);

/* A sample value in the text exposition format (client_golang's
 * writeFloat: Go's %g, "NaN", "+Inf", "-Inf", -0 as "0"). */
void remote_put_float(buf *b, double v);

/* The time "now" in ms (CLOCK_REALTIME), for the handlers. */
int64_t remote_now_ms(void);

#endif
