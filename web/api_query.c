/*
 * api_query.c - /api/v1/query, /query_range, /query_exemplars,
 * /format_query (Prometheus web/api/v1/api.go query, queryRange,
 * queryExemplars, formatQuery).
 *
 * Parameter checks come first and in Prometheus's order, with its messages
 * (all bad_data): time/start/end ("invalid parameter \"start\": cannot
 * parse ..."), end before start, step <= 0, more than 11,000 points, timeout.
 * Engine errors map to the API's types: parse errors are bad_data prefixed
 * `invalid parameter "query": `; too many samples is execution (422); the
 * deadline is timeout (503); cancellation canceled (499).
 *
 * A watchdog thread per query trips the engine's cancel flag when the
 * query's deadline (the shorter of `timeout` and --query.timeout, counted
 * from before the queue and the parse) passes (reported as a timeout), when
 * the client hangs up (the socket polled every 50 ms for POLLRDHUP;
 * reported as canceled, 499, as 3.x does when the request's context is
 * canceled, so the query stops instead of running to the end), or at
 * shutdown once the drain's grace is over. Queries hold one of the
 * --query.max-concurrency slots while they run; the wait for one ends at
 * the deadline too.
 */
#include "web/web.h"

#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "lib/timeparse.h"

/* ---- per-request watchdog: timeout and client hang-up ---- */
typedef struct watchdog {
	pthread_t th;          /* the waiting thread */
	pthread_mutex_t mu;    /* guards done */
	pthread_cond_t cv;     /* signalled when the query finishes */
	bool done;             /* query finished first */
	bool fired;            /* deadline passed: cancel was set */
	bool client_gone;      /* the client hung up: cancel was set */
	bool has_deadline;     /* until is set */
	struct timespec until; /* CLOCK_REALTIME deadline */
	int client_fd;         /* socket to watch for a hang-up, or -1 */
	const _Atomic int *shutdown; /* the server's cancel_queries (SIGTERM drain) */
	promql_cancel *cancel; /* what to trip */
} watchdog;

#define WATCH_POLL_NS 50000000 /* hang-up check period */

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void ts_add(struct timespec *t, int64_t ns)
{
	int64_t n = t->tv_nsec + ns % 1000000000;
	t->tv_sec += ns / 1000000000 + n / 1000000000;
	t->tv_nsec = n % 1000000000;
}

/* Has the peer closed (or reset) the connection? Reads nothing. */
static bool client_hung_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void *watchdog_run(void *arg)
{
	watchdog *wd = arg;
	pthread_mutex_lock(&wd->mu);
	while (!wd->done) {
		struct timespec now, wake;
		clock_gettime(CLOCK_REALTIME, &now);
		if (wd->has_deadline && !ts_before(&now, &wd->until)) {
			wd->fired = true;
			break;
		}
		if (wd->client_fd >= 0 && client_hung_up(wd->client_fd)) {
			wd->client_gone = true;
			break;
		}
		if (atomic_load(wd->shutdown))
			break;
		wake = now;
		ts_add(&wake, WATCH_POLL_NS);
		if (wd->has_deadline && ts_before(&wd->until, &wake))
			wake = wd->until;
		pthread_cond_timedwait(&wd->cv, &wd->mu, &wake);
	}
	if (!wd->done)
		wd->cancel->canceled = 1;
	pthread_mutex_unlock(&wd->mu);
	return NULL;
}

/* timeout_ns 0 = no deadline; client_fd -1 = no hang-up watch; shutdown is polled too. */
static bool watchdog_start(watchdog *wd, promql_cancel *c, int64_t timeout_ns, int client_fd, const _Atomic int *shutdown)
{
	memset(wd, 0, sizeof *wd);
	wd->cancel = c;
	wd->client_fd = client_fd;
	wd->shutdown = shutdown;
	wd->has_deadline = timeout_ns > 0;
	pthread_mutex_init(&wd->mu, NULL);
	pthread_cond_init(&wd->cv, NULL);
	clock_gettime(CLOCK_REALTIME, &wd->until);
	ts_add(&wd->until, timeout_ns);
	return pthread_create(&wd->th, NULL, watchdog_run, wd) == 0;
}

static void watchdog_stop(watchdog *wd)
{
	pthread_mutex_lock(&wd->mu);
	wd->done = true;
	pthread_cond_signal(&wd->cv);
	pthread_mutex_unlock(&wd->mu);
	pthread_join(wd->th, NULL);
	pthread_mutex_destroy(&wd->mu);
	pthread_cond_destroy(&wd->cv);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parse `timeout`; 0 = none. Writes the error answer on failure. */
static int timeout_param(const http_req *r, http_resp *w, int64_t *ns)
{
	const char *to = http_param_get(r, "timeout");
	*ns = 0;
	if (!to || !*to)
		return 0;
	err e;
	if (timeparse_duration(to, ns, &e)) {
		api_error(w, API_BAD_DATA, "invalid parameter \"timeout\": %s", e.msg);
		return -1;
	}
	if (*ns <= 0)
		*ns = 1; /* an expired context: the query times out at once */
	return 0;
}

/* Map an engine failure to the API's answer. */
static void query_error(http_resp *w, const promql_result *res, const err *e, bool timed_out, bool range)
{
	switch (timed_out ? PE_TIMEOUT : res->errtype) {
	case PE_BAD_DATA: /* 2.42 prefixes only the instant query's */
		if (range)
			api_error(w, API_BAD_DATA, "%s", e->msg);
		else
			api_error(w, API_BAD_DATA, "invalid parameter \"query\": %s", e->msg);
		break;
	case PE_TIMEOUT:
		api_error(w, API_TIMEOUT, "%s", timed_out ? "query timed out in query execution" : e->msg);
		break;
	case PE_CANCELED:
		api_error(w, API_CANCELED, "%s", e->msg);
		break;
	case PE_INTERNAL:
		api_error(w, API_INTERNAL, "%s", e->msg);
		break;
	default:
		api_error(w, API_EXECUTION, "%s", e->msg[0] ? e->msg : "query execution failed");
		break;
	}
}

/* Parse `lookback_delta` (3.x extractQueryOpts); 0 = the engine's. Writes the error answer on failure. */
static int lookback_param(const http_req *r, http_resp *w, int64_t *ms)
{
	const char *v = http_param_get(r, "lookback_delta");
	int64_t ns = 0;
	err e;
	*ms = 0;
	if (!v || !*v)
		return 0;
	if (timeparse_duration(v, &ns, &e)) {
		api_error(w, API_BAD_DATA, "error parsing lookback delta duration: %s", e.msg);
		return -1;
	}
	*ms = ns > 0 ? ns / 1000000 : 0; /* <= 0: the default, as the engine does */
	return 0;
}

/* One query's parameters after validation. */
typedef struct query_args {
	const char *q;        /* the expression */
	int64_t start, end;   /* ms; equal for an instant query */
	int64_t step_ms;      /* 0 = instant */
	int64_t timeout_ns;   /* 0 = none */
	int64_t lookback_ms;  /* 0 = the engine's */
	const char *stats;    /* the `stats` parameter, or NULL */
} query_args;

static int eval(promql_engine *eng, web_env *env, const query_args *a, int64_t start, int64_t end,
		promql_cancel *c, promql_result *res, err *e)
{
	return a->step_ms ? promql_query_range(eng, env->queryable, a->q, start, end, a->step_ms, c, res, e)
			  : promql_query_instant(eng, env->queryable, a->q, start, c, res, e);
}

/*
 * stats=all's per-step figures. An instant query is one step (its total).
 * For a range query the engine reports only the total, so each step is
 * evaluated again as an instant query at that time (the samples a range
 * evaluation loads at a step are those an instant query there loads): the
 * price of stats=all is one more evaluation per step, under the same
 * timeout. The figures are the engine's sample accounting (points held,
 * promql/value.c), which for aggregations counts more than Prometheus's
 * selector-loaded samples; totalQueryableSamples becomes the steps' sum so
 * the answer is self-consistent as upstream's is. Returns 0, or the failing evaluation's code with res/e set.
 */
static int step_stats(promql_engine *eng, web_env *env, const query_args *a, promql_cancel *c, promql_result *res,
		      api_step_stat **out, size_t *n, err *e)
{
	size_t cnt = a->step_ms ? (size_t)((a->end - a->start) / a->step_ms) + 1 : 1;
	*out = fl_malloc(cnt * sizeof **out);
	*n = cnt;
	if (!a->step_ms) {
		(*out)[0] = (api_step_stat){a->start, res->total_samples};
		return 0;
	}
	int64_t sum = 0;
	for (size_t i = 0; i < cnt; i++) {
		int64_t t = a->start + (int64_t)i * a->step_ms;
		promql_result one;
		memset(&one, 0, sizeof one);
		query_args ia = *a;
		ia.step_ms = 0;
		int rc = eval(eng, env, &ia, t, t, c, &one, e);
		(*out)[i] = (api_step_stat){t, one.total_samples};
		sum += one.total_samples;
		if (rc) {
			res->errtype = one.errtype;
			promql_result_free(&one);
			return rc;
		}
		promql_result_free(&one);
	}
	res->total_samples = sum; /* as upstream, the total is the steps' sum */
	return 0;
}

/* The query's deadline in ns from now: the shorter of `timeout` and --query.timeout (0 = none). */
static int64_t query_deadline_ns(const web_env *env, const query_args *a)
{
	int64_t ns = env->engine_opts.timeout_ms > 0 ? env->engine_opts.timeout_ms * 1000000 : 0;
	if (a->timeout_ns > 0 && (ns == 0 || a->timeout_ns < ns))
		ns = a->timeout_ns;
	return ns;
}

/* Evaluate under a slot and the matcher guard. Returns 0, or the error with res->errtype and e set. */
static int guarded_eval(web_env *env, promql_engine *eng, const query_args *a, promql_cancel *cancel,
			promql_result *res, api_step_stat **steps, size_t *n_steps, err *e)
{
	const char *st = a->stats;
	matcher_guard guard = {.cancel = &cancel->canceled};
	matcher_guard_set(&guard);
	int rc = eng ? eval(eng, env, a, a->start, a->end, cancel, res, e) : err_set(e, FL_ENOMEM, "out of memory");
	if (eng) {
		qd_observe(&env->qdur, QD_PREPARE_TIME, res->prepare_s);
		qd_observe(&env->qdur, QD_INNER_EVAL, res->eval_s);
		qd_observe(&env->qdur, QD_RESULT_SORT, res->sort_s);
	}
	if (!rc && st && !strcmp(st, "all"))
		rc = step_stats(eng, env, a, cancel, res, steps, n_steps, e);
	matcher_guard_set(NULL);
	if (!eng)
		res->errtype = PE_INTERNAL;
	else if (!rc && guard.n_skipped) { /* label values went unmatched: the answer is incomplete */
		rc = err_set(e, FL_ECANCELED, "query was canceled in query execution");
		res->errtype = PE_CANCELED;
	} else if (!rc && guard.n_limit) {
		rc = err_set(e, FL_ELIMIT, "regexp matching exceeded its backtracking limit on %lu label value(s): "
					   "the answer would be incomplete", guard.n_limit);
		res->errtype = PE_EXECUTION;
	}
	return rc;
}

/*
 * Run an instant (step_ms == 0) or range query and answer it.
 * Issue 14's safety net: the deadline runs from the start, before the queue
 * and the parse; the watchdog trips the cancel flag at it (or when the
 * client hangs up), which ends the wait for a slot ("query timed out in
 * query queue"), the engine's loops (pq_check) and, through the matcher
 * guard, regexp matching in any loop over label values. A query whose
 * answer was cut short that way is an error, never a silent partial result.
 */
static void run_query(web_env *env, const http_req *r, http_resp *w, const query_args *a)
{
	const char *st = a->stats;
	promql_cancel cancel = {0};
	watchdog wd;
	int64_t deadline_ns = query_deadline_ns(env, a);
	int fd = http_req_client_fd(r);
	bool use_wd = watchdog_start(&wd, &cancel, deadline_ns, fd, &env->cancel_queries);
	promql_engine *eng = env->engine, *own = NULL;
	if (a->lookback_ms > 0) {
		promql_engine_opts o = env->engine_opts;
		o.lookback_ms = a->lookback_ms;
		eng = own = promql_engine_new(&o);
	}
	promql_result res;
	memset(&res, 0, sizeof res);
	api_step_stat *steps = NULL;
	size_t n_steps = 0;
	err e;
	err_clear(&e);
	double tq = mono_s();
	bool slot = web_query_slot_acquire(env, &cancel.canceled);
	qd_observe(&env->qdur, QD_QUEUE_TIME, mono_s() - tq);
	double t0 = mono_s();
	int rc = slot ? guarded_eval(env, eng, a, &cancel, &res, &steps, &n_steps, &e)
		      : err_set(&e, FL_ECANCELED, "query was canceled in query queue");
	double took = mono_s() - t0;
	if (!slot)
		res.errtype = PE_CANCELED;
	bool timed_out = false;
	if (use_wd) {
		watchdog_stop(&wd);
		timed_out = wd.fired && rc != 0;
		if (wd.client_gone && rc != 0)
			res.errtype = PE_CANCELED; /* 499 canceled, 3.x's code for a client gone */
	}
	if (slot)
		web_query_slot_release(env);
	if (own)
		promql_engine_free(own);
	if (rc && timed_out && !slot)
		api_error(w, API_TIMEOUT, "query timed out in query queue");
	else if (rc)
		query_error(w, &res, &e, timed_out, a->step_ms != 0);
	else {
		json_w j;
		api_begin(w, &j);
		json_result_write(&j, &res, st && *st, took, steps, n_steps);
		api_end(&j, res.warnings, res.n_warnings, res.infos, res.n_infos);
	}
	fl_free(steps);
	promql_result_free(&res);
}

WEB_HANDLER(api_query_handler)
{
	query_args a = {.q = http_param_get(r, "query"), .stats = http_param_get(r, "stats")};
	if (api_param_time(r, w, "time", now_ms(), &a.start) || timeout_param(r, w, &a.timeout_ns) ||
	    lookback_param(r, w, &a.lookback_ms))
		return;
	a.end = a.start;
	if (!a.q)
		a.q = "";
	run_query(env, r, w, &a);
}

/* A required time parameter (Prometheus parses "" and fails). */
static int required_time(const http_req *r, http_resp *w, const char *name, int64_t *ms)
{
	const char *v = http_param_get(r, name);
	err e;
	if (timeparse_time(v ? v : "", ms, &e)) {
		api_error(w, API_BAD_DATA, "invalid parameter \"%s\": %s", name, e.msg);
		return -1;
	}
	return 0;
}

WEB_HANDLER(api_query_range_handler)
{
	int64_t start, end, step_ns;
	err e;
	if (required_time(r, w, "start", &start) || required_time(r, w, "end", &end))
		return;
	if (end < start) {
		api_error(w, API_BAD_DATA, "invalid parameter \"end\": end timestamp must not be before start time");
		return;
	}
	const char *step = http_param_get(r, "step");
	if (timeparse_duration(step ? step : "", &step_ns, &e)) {
		api_error(w, API_BAD_DATA, "invalid parameter \"step\": %s", e.msg);
		return;
	}
	if (step_ns <= 0) {
		api_error(w, API_BAD_DATA, "invalid parameter \"step\": zero or negative query resolution step widths are "
					   "not accepted. Try a positive integer");
		return;
	}
	/* (end-start)/step in Go's Duration arithmetic, in ns */
	__int128 span_ns = (__int128)(end - start) * 1000000;
	if (span_ns / step_ns > 11000) {
		api_error(w, API_BAD_DATA, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
					   "the query resolution (?step=XX)");
		return;
	}
	query_args a = {.q = http_param_get(r, "query"), .start = start, .end = end, .step_ms = step_ns / 1000000,
			.stats = http_param_get(r, "stats")};
	if (timeout_param(r, w, &a.timeout_ns) || lookback_param(r, w, &a.lookback_ms))
		return;
	if (a.step_ms <= 0)
		a.step_ms = 1; /* sub-millisecond step over a zero-width range */
	if (!a.q)
		a.q = "";
	run_query(env, r, w, &a);
}

static bool has_selector(const node *n)
{
	if (!n)
		return false;
	switch (n->kind) {
	case NODE_VECTOR_SELECTOR:
		return true;
	case NODE_MATRIX_SELECTOR:
		return has_selector(n->ms.vs);
	case NODE_SUBQUERY:
		return has_selector(n->sq.expr);
	case NODE_PAREN:
	case NODE_STEP_INVARIANT:
		return has_selector(n->paren.expr);
	case NODE_UNARY:
		return has_selector(n->unary.expr);
	case NODE_BINARY: {
		promql_chain c;
		bool found = false;
		promql_chain_init(&c, n, NULL);
		while (!found && promql_chain_next(&c))
			found = c.ev == CHAIN_OPERAND && has_selector(c.node);
		promql_chain_free(&c);
		return found || c.oom; /* out of memory: look, to be safe */
	}
	case NODE_AGGREGATE:
		return has_selector(n->agg.expr) || has_selector(n->agg.param);
	case NODE_CALL:
		for (size_t i = 0; i < n->call.n_args; i++)
			if (has_selector(n->call.args[i]))
				return true;
		return false;
	default:
		return false;
	}
}

WEB_HANDLER(api_query_exemplars_handler)
{
	(void)env;
	int64_t start, end;
	if (api_param_time(r, w, "start", TIME_API_MIN_MS, &start) || api_param_time(r, w, "end", TIME_API_MAX_MS, &end))
		return;
	if (end < start) {
		api_error(w, API_BAD_DATA, "end timestamp must not be before start timestamp");
		return;
	}
	const char *q = http_param_get(r, "query");
	promql_expr x;
	err e;
	err_clear(&e);
	if (promql_parse(q ? q : "", &x, &e)) {
		api_error(w, API_BAD_DATA, "%s", e.msg);
		promql_expr_free(&x);
		return;
	}
	bool sel = has_selector(x.root);
	promql_expr_free(&x);
	json_w j;
	api_begin(w, &j);
	/* flint keeps no exemplars: []; a query without selectors has no
	 * data at all, which Prometheus answers 204 No Content */
	json_arr_open(&j);
	json_arr_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
	if (!sel) {
		buf_clear(&w->body);
		w->status = 204;
	}
}

/* Upstream has no limit, but takes 20 s for a 2,000-term chain (8 MB) and
 * gives no answer for 5,000 (50 MB): 64 MiB answers what it can. */
#define FORMAT_QUERY_MAX (64 << 20)

WEB_HANDLER(api_format_query_handler)
{
	(void)env;
	promql_expr x;
	if (api_parse_query_param(r, w, &x))
		return;
	buf b;
	buf_init(&b);
	bool fits = promql_print_pretty(&b, x.root, FORMAT_QUERY_MAX); /* upstream answers expr.Pretty(0) */
	if (!fits || b.oom) {
		if (b.oom)
			api_error(w, API_INTERNAL, "out of memory");
		else
			api_error(w, API_BAD_DATA, "invalid parameter \"query\": formatted query is larger than %d MiB",
				  FORMAT_QUERY_MAX >> 20);
		buf_reset(&b);
		promql_expr_free(&x);
		return;
	}
	json_w j;
	api_begin(w, &j);
	json_strn(&j, b.len ? (const char *)b.p : "", b.len);
	api_end(&j, NULL, 0, NULL, 0);
	buf_reset(&b);
	promql_expr_free(&x);
}
