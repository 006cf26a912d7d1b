/*
 * remote.h - the remote-write receiver's state inside the web_env
 * (env->remote: counters for /metrics), shared by web/remote_write.c,
 * web/remote_read.c, web/federate.c and web/self_metrics.c. Metadata from
 * remote write goes to env->metadata (web/metadata.h), which
 * /api/v1/metadata reads.
 *
 * The state is created on first use (lock-free: a compare-and-swap on
 * env->remote; a loser frees its copy) and freed by remote_state_free from
 * web_env_destroy. Counters are relaxed atomics: statistics for /metrics.
 * The remote-read gate is a mutex and a condition variable (read_mu is a
 * leaf lock: nothing else is taken while holding it).
 */
#ifndef FL_WEB_REMOTE_H
#define FL_WEB_REMOTE_H

#include <stdatomic.h>

#include "web/metadata.h"
#include "web/web.h"

typedef struct remote_state {
	_Atomic uint64_t samples_written;      /* float samples appended and committed */
	_Atomic uint64_t samples_rejected;     /* out of order / duplicate / out of bounds */
	_Atomic uint64_t invalid_labels_samples; /* prometheus_api_remote_write_invalid_labels_samples_total */
	_Atomic uint64_t histograms_dropped;   /* native histograms (not stored yet) */
	_Atomic uint64_t exemplars_dropped;    /* exemplars (not stored yet) */
	_Atomic uint64_t read_queries;         /* remote read requests served */
	pthread_mutex_t read_mu;               /* guards read_active, read_waiting */
	pthread_cond_t read_cv;                /* signalled when a read slot frees */
	int read_active;                       /* remote reads executing */
	int read_waiting;                      /* remote reads queued for a slot */
} remote_state;

/* The state, created on first call; NULL only when out of memory. */
remote_state *remote_state_get(web_env *env);
/* Free env->remote (idempotent). */
void remote_state_free(web_env *env);

/* The remote-read gate (--storage.remote.read-concurrent-limit, 0 = none;
 * Prometheus's util/gate): wait up to timeout_ms for a slot. 0 when one was
 * taken (release it with remote_read_gate_leave), FL_ETIMEOUT otherwise. */
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
