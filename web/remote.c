/*
 * remote.c - what web/remote_write.c, remote_read.c, federate.c and
 * self_metrics.c share (see remote.h): the remote-read gate, plain-text
 * errors as Go's http.Error writes them, the external labels of the current
 * config, the text format's float.
 */
#include <stdatomic.h>
#include <time.h>

#include "lib/fmtfloat.h"
#include "web/remote.h"

int64_t remote_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int remote_read_gate_enter(remote_state *s, int limit, int64_t timeout_ms)
{
	atomic_fetch_add_explicit(&s->read_waiting, 1, memory_order_relaxed);
	int64_t deadline = remote_now_ms() + timeout_ms;
	int rc = 0;
	for (;;) {
		int cur = atomic_load_explicit(&s->read_active, memory_order_relaxed);
		if ((limit <= 0 || cur < limit) &&
		    atomic_compare_exchange_weak_explicit(&s->read_active, &cur, cur + 1, memory_order_acq_rel,
							  memory_order_relaxed))
			break;
		if (limit > 0 && cur >= limit) {
			if (remote_now_ms() >= deadline) {
				rc = FL_ETIMEOUT;
				break;
			}
			nanosleep(&(struct timespec){0, 1000000}, NULL);
		}
	}
	atomic_fetch_sub_explicit(&s->read_waiting, 1, memory_order_relaxed);
	return rc;
}

void remote_read_gate_leave(remote_state *s) { atomic_fetch_sub_explicit(&s->read_active, 1, memory_order_acq_rel); }

int remote_read_gate_load(remote_state *s)
{
	return atomic_load_explicit(&s->read_active, memory_order_relaxed) +
	       atomic_load_explicit(&s->read_waiting, memory_order_relaxed);
}

/* Go's http.Error: plain text, the message and a newline. */
void remote_http_error(http_resp *w, int status, const char *msg)
{
	w->status = status;
	w->content_type = "text/plain; charset=utf-8";
	buf_clear(&w->body);
	buf_put_str(&w->body, msg);
	buf_put_byte(&w->body, '\n');
	http_resp_header(w, "X-Content-Type-Options", "nosniff");
}

labels remote_external_labels(web_env *env, arena *a)
{
	labels ls = {NULL, 0};
	pthread_mutex_lock(&env->cfg_mu);
	if (env->config && env->config->external_labels.n)
		ls = labels_copy(a, env->config->external_labels);
	pthread_mutex_unlock(&env->cfg_mu);
	return ls;
}

/* client_golang's writeFloat: Go %g with 1, 0, -1 spelled directly. */
void remote_put_float(buf *b, double v)
{
	char tmp[FMT_FLOAT_MAX];
	if (v == 0)
		v = 0; /* -0 prints as "0" there */
	fmt_go_g(tmp, v);
	buf_put_str(b, tmp);
}

