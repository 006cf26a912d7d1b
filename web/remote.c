/*
 * remote.c - what web/remote_write.c, remote_read.c, federate.c and
 * self_metrics.c share (see remote.h): the receiver's lazily created state
 * in env->remote, plain-text errors as Go's http.Error writes them, the
 * external labels of the current config, the text format's float.
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

remote_state *remote_state_get(web_env *env)
{
	remote_state *s = __atomic_load_n((remote_state **)&env->remote, __ATOMIC_ACQUIRE);
	if (s)
		return s;
	s = fl_calloc(1, sizeof *s);
	if (!s)
		return NULL;
	pthread_mutex_init(&s->read_mu, NULL);
	pthread_cond_init(&s->read_cv, NULL);
	void *expected = NULL;
	if (!__atomic_compare_exchange_n(&env->remote, &expected, s, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		pthread_cond_destroy(&s->read_cv);
		pthread_mutex_destroy(&s->read_mu);
		fl_free(s);
		return expected;
	}
	return s;
}

void remote_state_free(web_env *env)
{
	remote_state *s = __atomic_exchange_n((remote_state **)&env->remote, NULL, __ATOMIC_ACQ_REL);
	if (!s)
		return;
	pthread_cond_destroy(&s->read_cv);
	pthread_mutex_destroy(&s->read_mu);
	fl_free(s);
}

int remote_read_gate_enter(remote_state *s, int limit, int64_t timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(timeout_ms / 1000);
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	int rc = 0;
	pthread_mutex_lock(&s->read_mu);
	s->read_waiting++;
	while (limit > 0 && s->read_active >= limit && rc == 0)
		rc = pthread_cond_timedwait(&s->read_cv, &s->read_mu, &dl);
	s->read_waiting--;
	if (rc == 0 || !(limit > 0 && s->read_active >= limit)) {
		s->read_active++;
		rc = 0;
	}
	pthread_mutex_unlock(&s->read_mu);
	return rc ? FL_ETIMEOUT : 0;
}

void remote_read_gate_leave(remote_state *s)
{
	pthread_mutex_lock(&s->read_mu);
	s->read_active--;
	pthread_cond_signal(&s->read_cv);
	pthread_mutex_unlock(&s->read_mu);
}

int remote_read_gate_load(remote_state *s)
{
	pthread_mutex_lock(&s->read_mu);
	int n = s->read_active + s->read_waiting;
	pthread_mutex_unlock(&s->read_mu);
	return n;
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

