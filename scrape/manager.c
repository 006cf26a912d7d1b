/*
 * manager.c - the scrape manager: one thread, one curl multi handle, every
 * target (see manager.h; Prometheus scrape/manager.go, scrapePool.sync,
 * scrapeLoop.run).
 *
 * The thread's round:
 *   1. an apply request (reload) or a new discovery generation: sync the
 *      pools with a fresh snapshot (under mu, so web never sees half);
 *   2. start every due scrape (an easy handle per loop, kept and reused so
 *      connections stay open);
 *   3. curl_multi_poll until the next due time (at most 250 ms; the loops
 *      sit in a min-heap by due time, so a round costs the loops due, not
 *      all of them), then
 *      hand what completed to the workers (one per CPU, at most 4): parse,
 *      append, report. A loop being worked on is not scraped again until
 *      its worker is done (a tick is skipped, as Prometheus's ticker), so
 *      one huge or slow page never delays the others' schedule;
 *   4. write end-of-run stale markers for targets gone two intervals ago.
 *
 * Schedule (scrapeLoop.run): the first scrape after scrape_offset_ns, then
 * every interval; a late tick is skipped, not queued. The sample timestamp
 * is the scheduled time when the scrape starts within min(interval/100,
 * 2 ms) of it (Prometheus's AlignScrapeTimestamps), else the start time.
 *
 * Bodies: written into the loop's buffer by the write callback, which
 * aborts the transfer once the body reaches the cap (body_size_limit, or
 * the manager's default): Prometheus's "body size limit exceeded". curl
 * inflates gzip before the callback, so the cap counts uncompressed bytes
 * as Prometheus's LimitReader over the gzip reader does. The timeout is the
 * whole transfer's (a slowloris ends at scrape_timeout).
 *
 * Lock order: mu, then work_mu, then a loop's st_mu (loop.c). mu guards
 * the pools/loops structure and the request fields; the scrape itself
 * holds no lock. A sync (reload, discovery) first waits until the workers
 * are idle: no worker then holds a loop or a pointer into the old config.
 */
#include "scrape/manager.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/fmtfloat.h"
#include "lib/godur.h"
#include "lib/log.h"
#include "lib/version.h"
#include "scrape/httpc.h"
#include "scrape/loop.h"

#define SCRAPE_MAX_WORKERS 4
#define RECHECK_NS (250 * 1000000LL) /* the longest the manager sleeps */
#define N_WINDOW 256 /* observations kept per summary (Prometheus: 10 min of them) */
#define SUMMARY_AGE_NS (600LL * 1000000000)

/* A summary's recent observations (prometheus_target_interval_length_seconds). */
typedef struct summary {
	char *label;                 /* label value ("15s" or the job) */
	double v[N_WINDOW];          /* ring of observations */
	int64_t at[N_WINDOW];        /* their monotonic times */
	size_t n, pos;               /* filled, next write */
	double sum;                  /* all-time sum */
	uint64_t count;              /* all-time count */
} summary;

typedef struct sloop sloop;
typedef struct spool spool;

struct sloop {
	scrape_loop *l;              /* parse/append/report state */
	spool *p;                    /* owning pool, NULL once dying */
	uint64_t hash;               /* target identity */
	CURL *h;                     /* kept between scrapes */
	CURLSH *sh;                  /* h's own DNS and connection caches (see loop_handle) */
	struct curl_slist *hdrs;     /* this scrape's headers */
	buf body;                    /* this scrape's body */
	int64_t limit;               /* body cap in bytes */
	bool over_limit;             /* the cap was reached */
	bool inflight;               /* added to the multi handle */
	char status[128];            /* "404 Not Found" */
	char ctype[256];             /* Content-Type */
	int64_t next_ns;             /* next scrape (monotonic) */
	size_t heap_i;               /* position in the manager's due heap */
	int64_t sched_ms;            /* wall-clock time the next scrape is scheduled for */
	int64_t start_ns;            /* this scrape's start */
	int64_t t_ms;                /* this scrape's timestamp */
	int64_t last_start_ns;       /* previous scrape's start, 0 = none */
	_Atomic bool busy;           /* handed to a worker (parse, append, report); the
					manager neither starts nor changes it meanwhile */
	char err[512];               /* the handed-over scrape's error, "" when it worked */
	bool failed;                 /* err holds the error */
	int64_t bytes;               /* the handed-over scrape's body size (-1 over the cap) */
	int64_t stale_at_ns;         /* dying: when to write end-of-run stale markers */
	int64_t stale_t_ms;          /* dying: their timestamp (the next scrape that would have been) */
	bool stale_done;             /* dying: a worker wrote them; the loop may be freed */
};

struct spool {
	char *name;                  /* job name (owned) */
	char *name_lv;               /* the same escaped as an exposition label value (owned) */
	const scrape_job_config *cfg;/* the job (borrowed from the running config) */
	uint64_t fp;                 /* fingerprint of cfg's settings */
	sloop **loops;               /* active targets, in discovery order */
	size_t n, cap;
	arena a;                     /* dropped targets' labels */
	labels *dropped;
	size_t n_dropped, n_dropped_total;
	buf accept;                  /* Accept header */
	uint64_t syncs;              /* prometheus_target_scrape_pool_sync_total */
	char forced_err[128];        /* "target_limit exceeded ..." or "": every loop fails with it */
	int64_t target_limit;        /* cfg's, kept for /metrics (cfg may be gone after a stop) */
	summary sync_len;            /* prometheus_target_sync_length_seconds */
};

struct scrape_manager {
	scrape_manager_opts o;
	scrape_sink sink;
	scrape_counters ctr;
	pthread_t th;
	pthread_mutex_t mu;          /* guards everything below but the counters */
	pthread_cond_t cv;           /* apply done */
	CURLM *multi;
	spool **pools;               /* in config order */
	size_t n_pools;
	sloop **dying;               /* removed targets waiting for their stale markers */
	size_t n_dying, cap_dying;
	const scrape_config *cfg;    /* running config */
	const scrape_config *want;   /* apply request, or NULL */
	uint64_t want_seq, done_seq; /* requests made / served */
	uint64_t disc_gen;           /* discovery generation synced */
	bool stop;                   /* the thread must end */
	bool stopped;                /* scrape_manager_stop ran (the thread is gone) */
	_Atomic bool kick;           /* a worker finished a loop due soon: look at the schedule */
	sloop **due;                 /* min-heap of the active loops by next_ns (manager thread) */
	size_t n_due, cap_due;
	sloop **waiting;             /* loops whose tick came while busy (manager thread) */
	size_t n_waiting, cap_waiting;
	_Atomic uint64_t removed;    /* head series removal events */
	uint64_t removed_seen;       /* ... acted upon */
	pthread_mutex_t rm_mu;       /* guards the removed refs below (taken alone: the
					head calls in holding none of ours) */
	uint64_t *rm_refs;           /* refs removed since the manager last looked */
	size_t n_rm, cap_rm;
	bool rm_all;                 /* out of memory keeping them: forget every ref */
	/* the workers that parse and append (so that one huge target does not
	 * hold the schedule of the others): a FIFO of loops under work_mu */
	pthread_t workers[SCRAPE_MAX_WORKERS];
	int n_workers;
	pthread_mutex_t work_mu;     /* guards the queue, n_busy, workers_stop */
	pthread_cond_t work_cv;      /* work queued, or stop */
	pthread_cond_t idle_cv;      /* a job finished */
	sloop **queue;               /* ring of queued loops */
	size_t q_cap, q_head, q_len;
	int n_busy;                  /* jobs queued or running */
	bool workers_stop;
	summary *ivals;              /* interval length summaries */
	size_t n_ivals;
	uint64_t pools_total, reloads_total; /* counters */
	uint64_t target_limit_hits;  /* prometheus_target_scrape_pool_exceeded_target_limit_total */
};

/* ---- offset, headers ---- */

uint64_t scrape_offset_seed(const char *hostname, labels external_labels)
{
	buf b;
	buf_init(&b);
	buf_put_str(&b, hostname ? hostname : "");
	labels_format(&b, external_labels);
	uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 */
	for (size_t i = 0; i < b.len; i++) {
		h ^= b.p[i];
		h *= 1099511628211ULL;
	}
	buf_reset(&b);
	return h;
}

int64_t scrape_offset_ns(uint64_t target_hash, uint64_t seed, int64_t interval_ns, int64_t now_ns)
{
	if (interval_ns <= 0)
		return 0;
	int64_t base = interval_ns - now_ns % interval_ns;
	int64_t off = (int64_t)((target_hash ^ seed) % (uint64_t)interval_ns);
	int64_t next = base + off;
	if (next > interval_ns)
		next -= interval_ns;
	return next;
}

static const char *protocol_header(const char *p, bool *escaping)
{
	static const struct {
		const char *name, *hdr;
		bool esc;
	} t[] = {
		{"PrometheusProto", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", false},
		{"PrometheusText0.0.4", "text/plain;version=0.0.4", false},
		{"PrometheusText1.0.0", "text/plain;version=1.0.0", true},
		{"OpenMetricsText0.0.1", "application/openmetrics-text;version=0.0.1", false},
		{"OpenMetricsText1.0.0", "application/openmetrics-text;version=1.0.0", true},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(t); i++)
		if (!strcmp(p, t[i].name)) {
			*escaping = t[i].esc;
			return t[i].hdr;
		}
	return NULL;
}

void scrape_accept_header(const scrape_job_config *j, buf *out)
{
	static const char *const dflt[] = {"OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0",
					   "PrometheusText0.0.4"};
	const char *const *ps = j->n_scrape_protocols ? j->scrape_protocols : dflt;
	size_t n = j->n_scrape_protocols ? j->n_scrape_protocols : FL_ARRAY_LEN(dflt);
	int weight = 5 + 1; /* len(ScrapeProtocolsHeaders) + 1 */
	buf_clear(out);
	for (size_t i = 0; i < n; i++) {
		bool esc = false;
		const char *h = protocol_header(ps[i], &esc);
		if (!h)
			continue;
		buf_printf(out, "%s%s%s;q=0.%d,", h, esc ? ";escaping=" : "", esc ? "allow-utf-8" : "", weight--);
	}
	buf_printf(out, "*/*;q=0.%d", weight);
}

/* ---- summaries ---- */

static void summary_observe(summary *s, double v, int64_t now_ns)
{
	s->v[s->pos] = v;
	s->at[s->pos] = now_ns;
	s->pos = (s->pos + 1) % N_WINDOW;
	if (s->n < N_WINDOW)
		s->n++;
	s->sum += v;
	s->count++;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void summary_write(buf *b, const char *name, const char *label, const summary *s, int64_t now_ns)
{
	static const double qs[] = {0.01, 0.05, 0.5, 0.9, 0.99};
	double w[N_WINDOW];
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (now_ns - s->at[i] <= SUMMARY_AGE_NS)
			w[n++] = s->v[i];
	qsort(w, n, sizeof *w, dcmp);
	for (size_t i = 0; i < FL_ARRAY_LEN(qs); i++) {
		char v[FMT_FLOAT_MAX];
		fmt_go_g(v, n ? w[(size_t)(qs[i] * (double)(n - 1) + 0.5)] : NAN);
		buf_printf(b, "%s{%s=\"%s\",quantile=\"%g\"} %s\n", name, label, s->label, qs[i], v);
	}
	char sum[FMT_FLOAT_MAX];
	fmt_go_g(sum, s->sum);
	buf_printf(b, "%s_sum{%s=\"%s\"} %s\n%s_count{%s=\"%s\"} %" PRIu64 "\n", name, label, s->label, sum, name,
		   label, s->label, s->count);
}

static summary *interval_summary(scrape_manager *m, int64_t interval_ms)
{
	char lbl[64];
	buf d;
	buf_init(&d);
	godur_format(&d, interval_ms * 1000000);
	snprintf(lbl, sizeof lbl, "%s", buf_cstr(&d));
	buf_reset(&d);
	for (size_t i = 0; i < m->n_ivals; i++)
		if (!strcmp(m->ivals[i].label, lbl))
			return &m->ivals[i];
	summary *v = fl_realloc(m->ivals, (m->n_ivals + 1) * sizeof *v);
	if (!v)
		return NULL;
	m->ivals = v;
	summary *s = &v[m->n_ivals];
	memset(s, 0, sizeof *s);
	if (!(s->label = fl_strdup(lbl)))
		return NULL;
	m->n_ivals++;
	return s;
}

/* ---- job fingerprint: which config changes keep a loop and its cache ----
 * Prometheus's reusableCache: a reload keeps the cache unless something
 * other than the interval, timeout, sample_limit or HTTP client settings
 * changed (those are read afresh at each scrape). */

static uint64_t fp_mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ULL;
	}
	return h;
}
static uint64_t fp_str(uint64_t h, const char *s) { return fp_mix(h, s ? s : "\xff", s ? strlen(s) + 1 : 1); }
#define FP_VAL(h, v) ((h) = fp_mix((h), &(v), sizeof(v)))

static uint64_t job_fingerprint(const scrape_job_config *j)
{
	uint64_t h = 14695981039346656037ULL;
	FP_VAL(h, j->honor_labels);
	FP_VAL(h, j->honor_timestamps);
	FP_VAL(h, j->label_limit);
	FP_VAL(h, j->label_name_length_limit);
	FP_VAL(h, j->label_value_length_limit);
	FP_VAL(h, j->body_size_limit);
	FP_VAL(h, j->track_timestamps_staleness);
	FP_VAL(h, j->extra_scrape_metrics);
	FP_VAL(h, j->enable_compression);
	FP_VAL(h, j->follow_redirects);
	for (size_t i = 0; i < j->n_scrape_protocols; i++)
		h = fp_str(h, j->scrape_protocols[i]);
	h = fp_str(h, j->fallback_scrape_protocol);
	for (size_t i = 0; i < j->n_metric_relabel_configs; i++) {
		const relabel_config *r = &j->metric_relabel_configs[i];
		for (size_t k = 0; k < r->n_source_labels; k++)
			h = fp_str(h, r->source_labels[k]);
		h = fp_str(fp_str(fp_str(fp_str(h, r->separator), r->regex), r->target_label), r->replacement);
		FP_VAL(h, r->modulus);
		FP_VAL(h, r->action);
	}
	return h;
}

/* ---- loops ---- */

static void sloop_free(sloop *s)
{
	if (!s)
		return;
	if (s->h)
		curl_easy_cleanup(s->h);
	if (s->sh)
		curl_share_cleanup(s->sh); /* after h: its connection closes here */
	curl_slist_free_all(s->hdrs);
	buf_reset(&s->body);
	scrape_loop_free(s->l);
	fl_free(s);
}

static sloop *sloop_new(scrape_manager *m, spool *p, const scrape_target_def *t)
{
	sloop *s = fl_calloc(1, sizeof *s);
	if (!s || !(s->l = scrape_loop_new(t, p->cfg))) {
		fl_free(s);
		return NULL;
	}
	buf_init(&s->body);
	s->p = p;
	s->hash = t->hash;
	int64_t iv_ns = t->interval_ms * 1000000;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_real = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	int64_t off = scrape_offset_ns(t->hash, m->o.offset_seed, iv_ns, now_real);
	s->next_ns = scrape_mono_ns() + off;
	s->sched_ms = (now_real + off) / 1000000;
	return s;
}

static void abort_transfer(scrape_manager *m, sloop *s)
{
	if (s->inflight) {
		curl_multi_remove_handle(m->multi, s->h);
		s->inflight = false;
	}
}

/* The exposition text's label value escaping: \\, \" and \n. fl_malloc'd. */
static char *label_value_escape(const char *v)
{
	buf b;
	buf_init(&b);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			buf_put_byte(&b, '\\');
		buf_put_byte(&b, *v == '\n' ? 'n' : (uint8_t)*v);
	}
	char *r = b.oom ? NULL : fl_strdup(buf_cstr(&b));
	buf_reset(&b);
	return r;
}

/* ---- sync ---- */

static spool *pool_find(spool **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && !strcmp(v[i]->name, name))
			return v[i];
	return NULL;
}

static void pool_free(spool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		sloop_free(p->loops[i]);
	fl_free(p->loops);
	arena_reset(&p->a);
	buf_reset(&p->accept);
	fl_free(p->name);
	fl_free(p->name_lv);
	fl_free(p);
}

/* A loop leaves its pool: stale markers in about two intervals. */
static void retire(scrape_manager *m, sloop *s)
{
	abort_transfer(m, s);
	if (!s->l->last_t_ms || !fl_grow((void **)&m->dying, &m->cap_dying, m->n_dying + 1, sizeof *m->dying)) {
		sloop_free(s);
		return;
	}
	/* endOfRunStaleness: stamped with the next scrape that would have
	 * been, written two intervals and 10% later; a target back under a new
	 * loop has newer samples by then and the markers are refused */
	int64_t iv = s->l->t.interval_ms * 1000000;
	s->stale_t_ms = s->sched_ms;
	s->l->job = NULL; /* the config it points into may be freed after this sync */
	s->stale_at_ns = s->next_ns + iv + iv / 10;
	s->p = NULL;
	m->dying[m->n_dying++] = s;
}

/* Sync pool p with its targets; called with mu held. */
static void pool_sync(scrape_manager *m, spool *p, const scrape_pool_targets *pt, bool cfg_changed)
{
	int64_t t0 = scrape_mono_ns();
	sloop **nv = pt->n_active ? fl_calloc(pt->n_active, sizeof *nv) : NULL;
	size_t nn = 0;
	if (pt->n_active && !nv)
		return;
	for (size_t i = 0; i < pt->n_active; i++) {
		const scrape_target_def *t = &pt->active[i];
		bool dup = false;
		for (size_t k = 0; k < nn; k++)
			dup |= nv[k]->hash == t->hash;
		if (dup)
			continue;
		sloop *s = NULL;
		for (size_t k = 0; !cfg_changed && k < p->n; k++)
			if (p->loops[k] && p->loops[k]->hash == t->hash) {
				s = p->loops[k];
				p->loops[k] = NULL;
				break;
			}
		if (s) {
			s->l->job = p->cfg; /* same settings, the new config's copy */
		} else if (!(s = sloop_new(m, p, t))) {
			continue;
		}
		nv[nn++] = s;
	}
	for (size_t k = 0; k < p->n; k++)
		if (p->loops[k])
			retire(m, p->loops[k]);
	fl_free(p->loops);
	p->loops = nv;
	p->n = p->cap = nn;
	arena_reset(&p->a);
	p->n_dropped = 0;
	p->dropped = pt->n_dropped ? arena_calloc(&p->a, pt->n_dropped, sizeof *p->dropped) : NULL;
	for (size_t i = 0; p->dropped && i < pt->n_dropped; i++)
		p->dropped[p->n_dropped++] = labels_copy(&p->a, pt->dropped[i]);
	p->n_dropped_total = pt->n_dropped_total;
	p->syncs++;
	/* refreshTargetLimitErr: over target_limit, every scrape of the pool fails */
	p->forced_err[0] = 0;
	p->target_limit = p->cfg->target_limit;
	if (p->cfg->target_limit > 0 && (int64_t)nn > p->cfg->target_limit) {
		snprintf(p->forced_err, sizeof p->forced_err, "target_limit exceeded (number of targets: %zu, limit: %" PRId64 ")",
			 nn, p->cfg->target_limit);
		m->target_limit_hits++;
	}
	summary_observe(&p->sync_len, (double)(scrape_mono_ns() - t0) / 1e9, scrape_mono_ns());
}

/* Keep-alive: libcurl's multi connection cache holds by default four
 * times the handles *added* at the moment, and only a few of the loops are
 * in flight at once, so without this it closes nearly every connection
 * when its transfer ends and the next scrape of that target dials again
 * (a connect, a TIME_WAIT and a new socket per scrape; the CPU per sample
 * then grows with the number of targets). One idle connection per target,
 * as Go's transport keeps, plus room for redirects. */
static void conn_cache_size(scrape_manager *m)
{
	size_t n = m->n_dying;
	for (size_t i = 0; i < m->n_pools; i++)
		n += m->pools[i]->n;
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)(n + n / 4 + 16));
}

/* Take a discovery snapshot and make the pools match it; mu held. */
static void sync_all(scrape_manager *m)
{
	if (!m->o.disc || !m->cfg)
		return;
	m->disc_gen = discovery_generation(m->o.disc);
	arena a;
	arena_init(&a);
	scrape_pool_targets *pts = NULL;
	size_t n = 0;
	err e;
	if (discovery_snapshot(m->o.disc, &a, &pts, &n, &e)) {
		log_error("scrape", "Discovery snapshot failed", "err", e.msg, NULL);
		arena_reset(&a);
		return;
	}
	spool **np = n ? fl_calloc(n, sizeof *np) : NULL;
	if (n && !np) {
		arena_reset(&a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		spool *p = pool_find(m->pools, m->n_pools, pts[i].job);
		bool changed = false;
		uint64_t fp = job_fingerprint(pts[i].cfg);
		if (p) {
			for (size_t k = 0; k < m->n_pools; k++)
				if (m->pools[k] == p)
					m->pools[k] = NULL;
			changed = p->fp != fp;
			if (changed)
				m->reloads_total++;
		} else {
			m->pools_total++;
			p = fl_calloc(1, sizeof *p);
			if (!p || !(p->name = fl_strdup(pts[i].job)) || !(p->name_lv = label_value_escape(pts[i].job))) {
				pool_free(p);
				continue;
			}
			arena_init(&p->a);
			buf_init(&p->accept);
			p->sync_len.label = p->name_lv;
		}
		p->cfg = pts[i].cfg;
		p->fp = fp;
		scrape_accept_header(p->cfg, &p->accept);
		pool_sync(m, p, &pts[i], changed);
		np[i] = p;
	}
	for (size_t k = 0; k < m->n_pools; k++) { /* jobs no longer configured */
		spool *p = m->pools[k];
		if (!p)
			continue;
		for (size_t i = 0; i < p->n; i++)
			retire(m, p->loops[i]);
		p->n = 0;
		pool_free(p);
	}
	fl_free(m->pools);
	/* compact out pools that failed to allocate */
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (np[i])
			np[w++] = np[i];
	m->pools = np;
	m->n_pools = w;
	arena_reset(&a);
	conn_cache_size(m);
}

/* ---- workers ---- */

static void work_push(scrape_manager *m, sloop *s)
{
	atomic_store(&s->busy, true);
	pthread_mutex_lock(&m->work_mu);
	if (m->q_len == m->q_cap) {
		size_t nc = m->q_cap ? m->q_cap * 2 : 64;
		sloop **nq = fl_malloc(nc * sizeof *nq);
		if (!nq) { /* out of memory: skip this scrape's report */
			pthread_mutex_unlock(&m->work_mu);
			atomic_store(&s->busy, false);
			return;
		}
		for (size_t i = 0; i < m->q_len; i++)
			nq[i] = m->queue[(m->q_head + i) % m->q_cap];
		fl_free(m->queue);
		m->queue = nq;
		m->q_cap = nc;
		m->q_head = 0;
	}
	m->queue[(m->q_head + m->q_len++) % m->q_cap] = s;
	m->n_busy++;
	pthread_cond_signal(&m->work_cv);
	pthread_mutex_unlock(&m->work_mu);
}

/* Wait until no job is queued or running (the manager thread, before it
 * changes loops or the config they point into). */
static void work_drain(scrape_manager *m)
{
	pthread_mutex_lock(&m->work_mu);
	while (m->n_busy)
		pthread_cond_wait(&m->idle_cv, &m->work_mu);
	pthread_mutex_unlock(&m->work_mu);
}

static void work_run(scrape_manager *m, sloop *s)
{
	if (!s->p) { /* a removed target: its end-of-run stale markers */
		scrape_loop_stale_all(s->l, &m->sink, s->stale_t_ms);
		s->stale_done = true;
		return;
	}
	scrape_loop_scrape(s->l, &m->sink, (const char *)s->body.p, s->failed ? 0 : s->body.len, s->ctype,
			   s->failed ? s->err : NULL, s->bytes, s->t_ms, s->start_ns, NULL);
	if (s->body.cap > ((size_t)4 << 20) && s->body.len < s->body.cap / 4)
		buf_reset(&s->body); /* a one-off big body does not stay */
}

static void *worker_main(void *arg)
{
	scrape_manager *m = arg;
	pthread_mutex_lock(&m->work_mu);
	for (;;) {
		while (!m->q_len && !m->workers_stop)
			pthread_cond_wait(&m->work_cv, &m->work_mu);
		if (!m->q_len)
			break; /* stopping and nothing left */
		sloop *s = m->queue[m->q_head];
		m->q_head = (m->q_head + 1) % m->q_cap;
		m->q_len--;
		pthread_mutex_unlock(&m->work_mu);
		work_run(m, s);
		int64_t next_ns = s->next_ns; /* the manager does not change it while busy */
		atomic_store(&s->busy, false);
		/* the manager looks at the schedule at least every RECHECK_NS and
		 * then sees this loop idle: wake it only when the tick is sooner */
		if (next_ns < scrape_mono_ns() + 2 * RECHECK_NS) {
			atomic_store(&m->kick, true);
			curl_multi_wakeup(m->multi);
		}
		pthread_mutex_lock(&m->work_mu);
		m->n_busy--;
		pthread_cond_broadcast(&m->idle_cv);
	}
	pthread_mutex_unlock(&m->work_mu);
	return NULL;
}

/* Hand a scrape's outcome to the workers: err NULL when the body is good. */
static void hand_over(scrape_manager *m, sloop *s, const char *err, int64_t bytes)
{
	s->failed = err != NULL;
	snprintf(s->err, sizeof s->err, "%s", err ? err : "");
	s->bytes = bytes;
	work_push(m, s);
}

/* ---- one scrape ---- */

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	sloop *s = ud;
	size_t n = sz * nm;
	if ((int64_t)(s->body.len + n) >= s->limit) {
		s->over_limit = true;
		return 0; /* aborts the transfer */
	}
	buf_put(&s->body, p, n);
	return s->body.oom ? 0 : n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	sloop *s = ud;
	size_t n = sz * nm, k = n;
	while (k && (p[k - 1] == '\r' || p[k - 1] == '\n'))
		k--;
	if (k > 5 && !strncmp(p, "HTTP/", 5)) { /* status line: a new response (redirects) */
		const char *sp = memchr(p, ' ', k);
		snprintf(s->status, sizeof s->status, "%.*s", sp ? (int)(k - (size_t)(sp + 1 - p)) : 0, sp ? sp + 1 : "");
		s->ctype[0] = 0;
	} else if (k > 13 && !strncasecmp(p, "content-type:", 13)) {
		const char *v = p + 13;
		while (v < p + k && (*v == ' ' || *v == '\t'))
			v++;
		snprintf(s->ctype, sizeof s->ctype, "%.*s", (int)(p + k - v), v);
	}
	return n;
}

/* The loop's easy handle, reset for a new request, with its own share of
 * DNS and connection cache. In one multi handle all easy handles would
 * share one DNS cache and one connection cache, and libcurl (7.88) walks
 * each whole at every transfer's end (multi_done prunes the DNS cache,
 * curl_multi_remove_handle looks for the last connection among all kept
 * ones, the dead-connection check polls all of them once a second): with a
 * thousand targets that walk cost more than the scrape's parsing. A share
 * per target holds its one kept connection and its one host. false: out
 * of memory. */
static bool loop_handle(sloop *s)
{
	if (!s->sh) {
		if (!(s->sh = curl_share_init()))
			return false;
		if (curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
		    curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
			curl_share_cleanup(s->sh);
			s->sh = NULL;
			return false;
		}
	}
	if (!s->h && !(s->h = curl_easy_init()))
		return false;
	curl_easy_reset(s->h);
	curl_easy_setopt(s->h, CURLOPT_SHARE, s->sh);
	return true;
}

static void start_scrape(scrape_manager *m, sloop *s, int64_t now_ns)
{
	const scrape_job_config *j = s->p->cfg;
	scrape_loop *l = s->l;
	/* timestamp: the scheduled one when on time (AlignScrapeTimestamps) */
	int64_t now_ms = scrape_now_ms();
	int64_t tol = FL_MIN(l->t.interval_ms / 100, 2);
	s->t_ms = now_ms - s->sched_ms <= tol ? s->sched_ms : now_ms;
	if (s->last_start_ns) {
		summary *iv = interval_summary(m, l->t.interval_ms);
		if (iv)
			summary_observe(iv, (double)(now_ns - s->last_start_ns) / 1e9, now_ns);
	}
	s->last_start_ns = now_ns;
	s->start_ns = now_ns;
	/* next tick: skip the ones already missed */
	int64_t iv_ns = l->t.interval_ms * 1000000;
	do {
		s->next_ns += iv_ns;
		s->sched_ms += l->t.interval_ms;
	} while (s->next_ns <= now_ns);
	if (s->p->forced_err[0]) { /* no request: up 0 and stale markers */
		hand_over(m, s, s->p->forced_err, 0);
		return;
	}

	if (!loop_handle(s))
		return;
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	buf_clear(&s->body);
	s->over_limit = false;
	s->status[0] = s->ctype[0] = 0;
	s->limit = j->body_size_limit > 0 ? j->body_size_limit
					  : m->o.default_body_limit > 0 ? m->o.default_body_limit : SCRAPE_DEFAULT_BODY_LIMIT;
	err e;
	if (httpc_setup(s->h, &j->http, &s->hdrs, &e)) {
		hand_over(m, s, e.msg, 0);
		return;
	}
	char hv[64];
	snprintf(hv, sizeof hv, "%.10g", (double)l->t.timeout_ms / 1000.0);
	char *hdr[4];
	size_t hn = strlen((const char *)buf_cstr(&s->p->accept)) + 16;
	hdr[0] = fl_malloc(hn);
	if (hdr[0])
		snprintf(hdr[0], hn, "Accept: %s", buf_cstr(&s->p->accept));
	hdr[1] = fl_strdup("User-Agent: flint/" FLINT_VERSION);
	hdr[2] = fl_malloc(96);
	if (hdr[2])
		snprintf(hdr[2], 96, "X-Prometheus-Scrape-Timeout-Seconds: %s", hv);
	hdr[3] = j->enable_compression ? NULL : fl_strdup("Accept-Encoding: identity");
	for (int i = 0; i < 4; i++) {
		if (hdr[i]) {
			struct curl_slist *x = curl_slist_append(s->hdrs, hdr[i]);
			if (x)
				s->hdrs = x;
		}
		fl_free(hdr[i]);
	}
	curl_easy_setopt(s->h, CURLOPT_URL, l->t.url);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->h, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, (long)l->t.timeout_ms);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	/* an idle connection stays open for 5 min (Prometheus's transport
	 * IdleConnTimeout), not libcurl's 118 s: a 2 min interval reuses it */
	curl_easy_setopt(s->h, CURLOPT_MAXAGE_CONN, 300L);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	if (curl_multi_add_handle(m->multi, s->h) == CURLM_OK)
		s->inflight = true;
}

/* Go's error text for a failed GET. */
static void transport_error(sloop *s, CURLcode cc, char *out, size_t cap)
{
	long code = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OPERATION_TIMEDOUT && code)
		snprintf(out, cap, "context deadline exceeded"); /* reading the body */
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(out, cap, "Get \"%s\": context deadline exceeded", s->l->t.url);
	else if (cc == CURLE_COULDNT_CONNECT) {
		char *ip = NULL;
		long port = 0;
		curl_easy_getinfo(s->h, CURLINFO_PRIMARY_IP, &ip);
		curl_easy_getinfo(s->h, CURLINFO_PRIMARY_PORT, &port);
		const char *addr = labels_get(s->l->t.all, "__address__");
		if (ip && *ip)
			snprintf(out, cap, "Get \"%s\": dial tcp %s:%ld: connect: connection refused", s->l->t.url, ip,
				 port);
		else /* libcurl leaves the IP empty when no connection was made */
			snprintf(out, cap, "Get \"%s\": dial tcp %s: connect: connection refused", s->l->t.url,
				 addr ? addr : "");
	} else
		snprintf(out, cap, "Get \"%s\": %s", s->l->t.url, curl_easy_strerror(cc));
}

static void finish_scrape(scrape_manager *m, sloop *s, CURLcode cc)
{
	curl_multi_remove_handle(m->multi, s->h);
	s->inflight = false;
	char msg[512];
	const char *serr = NULL;
	int64_t bytes = (int64_t)s->body.len;
	long code = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	if (s->over_limit) {
		serr = "body size limit exceeded";
		bytes = -1;
		atomic_fetch_add(&m->ctr.exceeded_body_limit, 1);
	} else if (cc == CURLE_OK && code != 200) {
		snprintf(msg, sizeof msg, "server returned HTTP status %s", s->status[0] ? s->status : "");
		serr = msg;
	} else if (cc != CURLE_OK) {
		transport_error(s, cc, msg, sizeof msg);
		serr = msg;
	} else if (s->body.oom) {
		serr = "out of memory";
	}
	if (serr)
		bytes = s->over_limit ? -1 : 0;
	hand_over(m, s, serr, bytes);
}

/* ---- the thread ---- */

/* The head removed series: every loop forgets those refs (only those: the
 * others' appends keep going by ref). No worker runs. */
static void forget_removed(scrape_manager *m)
{
	pthread_mutex_lock(&m->rm_mu);
	uint64_t *refs = m->rm_refs;
	size_t n = m->n_rm;
	bool all = m->rm_all;
	m->rm_refs = NULL;
	m->n_rm = m->cap_rm = 0;
	m->rm_all = false;
	pthread_mutex_unlock(&m->rm_mu);
	if (all) {
		fl_free(refs);
		refs = NULL, n = 0;
	} else {
		qsort(refs, n, sizeof *refs, scrape_ref_cmp); /* batches are ascending, not their union */
	}
	for (size_t i = 0; i < m->n_pools; i++)
		for (size_t k = 0; k < m->pools[i]->n; k++) {
			scrape_loop *l = m->pools[i]->loops[k]->l;
			scrape_cache_forget_refs(&l->cache, refs, n);
			for (int r = 0; r < SCRAPE_N_REPORT; r++)
				if (!refs || bsearch(&l->report_ref[r], refs, n, sizeof *refs, scrape_ref_cmp))
					l->report_ref[r] = 0;
		}
	fl_free(refs);
}

/* Serve an apply request, a discovery change or a head removal; true when
 * the pools changed. */
static bool serve_requests(scrape_manager *m)
{
	bool changed = false;
	pthread_mutex_lock(&m->mu);
	bool gen_moved = m->o.disc && m->cfg && discovery_generation(m->o.disc) != m->disc_gen;
	uint64_t rm = atomic_load(&m->removed);
	if (m->want_seq != m->done_seq || gen_moved || rm != m->removed_seen)
		work_drain(m); /* no worker holds a loop or the old config */
	if (m->want_seq != m->done_seq) {
		m->cfg = m->want;
		sync_all(m);
		changed = true;
		m->done_seq = m->want_seq;
		pthread_cond_broadcast(&m->cv);
	} else if (gen_moved) {
		sync_all(m);
		changed = true;
	}
	if (rm != m->removed_seen) {
		m->removed_seen = rm;
		forget_removed(m);
	}
	pthread_mutex_unlock(&m->mu);
	return changed;
}

/* ---- the due heap: the loops by next_ns, so that a round costs the
 * loops due, not all of them (a thousand targets are due one by one) ---- */

static bool due_less(sloop *a, sloop *b) { return a->next_ns < b->next_ns; }

static void due_set(scrape_manager *m, size_t i, sloop *s)
{
	m->due[i] = s;
	s->heap_i = i;
}

static void due_down(scrape_manager *m, size_t i)
{
	sloop *s = m->due[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= m->n_due)
			break;
		if (c + 1 < m->n_due && due_less(m->due[c + 1], m->due[c]))
			c++;
		if (!due_less(m->due[c], s))
			break;
		due_set(m, i, m->due[c]);
		i = c;
	}
	due_set(m, i, s);
}

static void due_up(scrape_manager *m, size_t i)
{
	sloop *s = m->due[i];
	while (i > 0 && due_less(s, m->due[(i - 1) / 2])) {
		due_set(m, i, m->due[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	due_set(m, i, s);
}

/* Rebuild the heap from the pools (after a sync). false: out of memory,
 * then the next round tries again. */
static bool due_rebuild(scrape_manager *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_pools; i++)
		n += m->pools[i]->n;
	m->n_due = m->n_waiting = 0;
	if (n > m->cap_due && !fl_grow((void **)&m->due, &m->cap_due, n, sizeof *m->due))
		return false;
	if (n > m->cap_waiting && !fl_grow((void **)&m->waiting, &m->cap_waiting, n, sizeof *m->waiting))
		return false;
	for (size_t i = 0; i < m->n_pools; i++)
		for (size_t k = 0; k < m->pools[i]->n; k++)
			due_set(m, m->n_due++, m->pools[i]->loops[k]);
	for (size_t i = m->n_due / 2; i-- > 0;)
		due_down(m, i);
	return true;
}

/* Start s if it is idle, else park it until its worker is done (the tick
 * is skipped, as Prometheus's ticker: start_scrape moves next_ns past now). */
static void due_start(scrape_manager *m, sloop *s, int64_t now)
{
	if (s->inflight || atomic_load(&s->busy))
		m->waiting[m->n_waiting++] = s;
	else {
		start_scrape(m, s, now);
		due_set(m, m->n_due++, s);
		due_up(m, m->n_due - 1);
	}
}

static int64_t run_due(scrape_manager *m, int64_t now)
{
	int64_t next = now + RECHECK_NS;
	/* parked loops first: the ones now idle start (their tick is past) */
	size_t nw = m->n_waiting;
	sloop **w = m->waiting;
	m->n_waiting = 0;
	for (size_t i = 0; i < nw; i++)
		due_start(m, w[i], now); /* appends at or below i: w is m->waiting */
	while (m->n_due && m->due[0]->next_ns <= now) {
		sloop *s = m->due[0];
		sloop *last = m->due[--m->n_due];
		if (m->n_due) {
			due_set(m, 0, last);
			due_down(m, 0);
		}
		due_start(m, s, now);
	}
	if (m->n_due && m->due[0]->next_ns < next)
		next = m->due[0]->next_ns;
	/* removed targets: the markers (a million of them for a big target)
	 * are written by a worker; the loop is freed once that is done */
	for (size_t i = 0; i < m->n_dying;) {
		sloop *s = m->dying[i];
		if (atomic_load(&s->busy)) {
			i++;
			continue;
		}
		if (s->stale_done) {
			m->dying[i] = m->dying[--m->n_dying];
			sloop_free(s);
			continue;
		}
		if (s->stale_at_ns <= now)
			work_push(m, s);
		else if (s->stale_at_ns < next)
			next = s->stale_at_ns;
		i++;
	}
	return next;
}

static void *manager_main(void *arg)
{
	scrape_manager *m = arg;
	int64_t next = 0; /* when run_due must look again (monotonic ns) */
	bool rebuild = true; /* the due heap must be made from the pools */
	for (;;) {
		pthread_mutex_lock(&m->mu);
		bool stop = m->stop;
		pthread_mutex_unlock(&m->mu);
		if (stop)
			break;
		if (serve_requests(m))
			next = 0, rebuild = true; /* pools changed */
		if (rebuild)
			rebuild = !due_rebuild(m);
		/* run_due: only when something is due or a worker finished a
		 * loop due soon, not at each of curl's socket events */
		int64_t now = scrape_mono_ns();
		if (now >= next || atomic_exchange(&m->kick, false))
			next = run_due(m, now);
		int running = 0;
		curl_multi_perform(m->multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			sloop *s = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			if (s)
				finish_scrape(m, s, msg->data.result);
		}
		int64_t wait_ns = next - scrape_mono_ns();
		if (wait_ns > 0)
			curl_multi_poll(m->multi, NULL, 0, (int)FL_MIN((wait_ns + 999999) / 1000000, RECHECK_NS / 1000000),
					NULL);
	}
	return NULL;
}

static void stop_workers(scrape_manager *m)
{
	pthread_mutex_lock(&m->work_mu);
	m->workers_stop = true;
	pthread_cond_broadcast(&m->work_cv);
	pthread_mutex_unlock(&m->work_mu);
	for (int i = 0; i < m->n_workers; i++)
		pthread_join(m->workers[i], NULL);
	m->n_workers = 0;
}

static appender *sink_appender(void *ctx)
{
	scrape_manager *m = ctx;
	return m->o.appender(m->o.appender_ctx);
}

scrape_manager *scrape_manager_new(const scrape_manager_opts *o, err *e)
{
	scrape_manager *m = fl_calloc(1, sizeof *m);
	if (!m) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	m->o = *o;
	m->sink = (scrape_sink){sink_appender, m, o->metadata, o->metadata_ctx, &m->ctr};
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	pthread_mutex_init(&m->work_mu, NULL);
	pthread_mutex_init(&m->rm_mu, NULL);
	pthread_cond_init(&m->work_cv, NULL);
	pthread_cond_init(&m->idle_cv, NULL);
	if (!(m->multi = curl_multi_init())) {
		err_set(e, FL_ENOMEM, "curl_multi_init failed");
		goto fail;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int want = o->workers > 0 ? o->workers : ncpu > 0 ? (int)ncpu : 1;
	want = want > SCRAPE_MAX_WORKERS ? SCRAPE_MAX_WORKERS : want;
	for (int i = 0; i < want; i++)
		if (!pthread_create(&m->workers[m->n_workers], NULL, worker_main, m))
			m->n_workers++;
	if (!m->n_workers || pthread_create(&m->th, NULL, manager_main, m)) {
		err_set(e, FL_EIO, "scrape manager: cannot start threads");
		stop_workers(m);
		curl_multi_cleanup(m->multi);
		goto fail;
	}
	return m;
fail:
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->work_mu);
	pthread_mutex_destroy(&m->rm_mu);
	pthread_cond_destroy(&m->work_cv);
	pthread_cond_destroy(&m->idle_cv);
	fl_free(m);
	return NULL;
}

int scrape_manager_apply(scrape_manager *m, const scrape_config *c, err *e)
{
	(void)e;
	pthread_mutex_lock(&m->mu);
	if (m->stopped) { /* shutting down: nothing runs on any config any more */
		pthread_mutex_unlock(&m->mu);
		return 0;
	}
	uint64_t seq = ++m->want_seq;
	m->want = c;
	curl_multi_wakeup(m->multi);
	while (m->done_seq < seq && !m->stop)
		pthread_cond_wait(&m->cv, &m->mu);
	pthread_mutex_unlock(&m->mu);
	return 0;
}

void scrape_manager_stop(scrape_manager *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	bool was = m->stopped;
	m->stop = m->stopped = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	if (was)
		return;
	curl_multi_wakeup(m->multi);
	pthread_join(m->th, NULL);
	stop_workers(m); /* what was handed over is finished first */
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n_pools; i++)
		for (size_t k = 0; k < m->pools[i]->n; k++)
			abort_transfer(m, m->pools[i]->loops[k]);
	pthread_mutex_unlock(&m->mu);
}

void scrape_manager_free(scrape_manager *m)
{
	if (!m)
		return;
	scrape_manager_stop(m);
	for (size_t i = 0; i < m->n_pools; i++)
		pool_free(m->pools[i]);
	fl_free(m->pools);
	for (size_t i = 0; i < m->n_dying; i++)
		sloop_free(m->dying[i]); /* no stale markers on shutdown, as Prometheus */
	fl_free(m->dying);
	for (size_t i = 0; i < m->n_ivals; i++)
		fl_free(m->ivals[i].label);
	fl_free(m->ivals);
	curl_multi_cleanup(m->multi);
	fl_free(m->queue);
	fl_free(m->due);
	fl_free(m->waiting);
	fl_free(m->rm_refs);
	pthread_mutex_destroy(&m->rm_mu);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->work_mu);
	pthread_cond_destroy(&m->work_cv);
	pthread_cond_destroy(&m->idle_cv);
	fl_free(m);
}

void scrape_manager_series_removed(void *ctx, const uint64_t *refs, size_t n)
{
	scrape_manager *m = ctx;
	if (!m || !n)
		return;
	pthread_mutex_lock(&m->rm_mu);
	if (!m->rm_all && fl_grow((void **)&m->rm_refs, &m->cap_rm, m->n_rm + n, sizeof *m->rm_refs)) {
		memcpy(m->rm_refs + m->n_rm, refs, n * sizeof *refs);
		m->n_rm += n;
	} else {
		m->rm_all = true;
	}
	pthread_mutex_unlock(&m->rm_mu);
	atomic_fetch_add(&m->removed, 1);
}

/* ---- web's views ---- */

int scrape_manager_targets(scrape_manager *m, arena *a, scrape_pool_info **out, size_t *n, err *e)
{
	pthread_mutex_lock(&m->mu);
	scrape_pool_info *v = m->n_pools ? arena_calloc(a, m->n_pools, sizeof *v) : NULL;
	int rc = 0;
	for (size_t i = 0; v && i < m->n_pools; i++) {
		spool *p = m->pools[i];
		scrape_pool_info *pi = &v[i];
		pi->name = arena_strdup(a, p->name);
		pi->active = p->n ? arena_calloc(a, p->n, sizeof *pi->active) : NULL;
		for (size_t k = 0; pi->active && k < p->n; k++) {
			scrape_loop *l = p->loops[k]->l;
			scrape_target_info *t = &pi->active[pi->n_active++];
			t->discovered = labels_copy(a, l->t.discovered);
			t->labels = labels_copy(a, l->t.labels);
			t->pool = pi->name;
			t->url = arena_strdup(a, l->t.url);
			const char *iv = labels_get(l->t.all, "__scrape_interval__");
			const char *to = labels_get(l->t.all, "__scrape_timeout__");
			t->scrape_interval = arena_strdup(a, iv ? iv : "");
			t->scrape_timeout = arena_strdup(a, to ? to : "");
			pthread_mutex_lock(&l->st_mu);
			t->last_error = arena_strdup(a, l->last_error);
			t->last_scrape_ms = l->last_scrape_ms;
			t->last_duration_s = l->last_duration_s;
			t->health = l->health > 0 ? "up" : l->health < 0 ? "down" : "unknown";
			pthread_mutex_unlock(&l->st_mu);
		}
		pi->dropped = p->n_dropped ? arena_calloc(a, p->n_dropped, sizeof *pi->dropped) : NULL;
		for (size_t k = 0; pi->dropped && k < p->n_dropped; k++)
			pi->dropped[pi->n_dropped++] = labels_copy(a, p->dropped[k]);
		pi->n_dropped_total = p->n_dropped_total;
	}
	if (m->n_pools && !v)
		rc = err_set(e, FL_ENOMEM, "out of memory");
	*out = v;
	*n = v ? m->n_pools : 0;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int scrape_manager_metadata(scrape_manager *m, arena *a, scrape_target_metadata **out, size_t *n, err *e)
{
	scrape_target_metadata *v = NULL;
	size_t nv = 0, cap = 0;
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n_pools && !rc; i++)
		for (size_t k = 0; k < m->pools[i]->n && !rc; k++) {
			scrape_loop *l = m->pools[i]->loops[k]->l;
			scrape_meta *mv;
			size_t nm = scrape_cache_metadata(&l->cache, a, &mv);
			labels tl = labels_copy(a, l->t.labels);
			for (size_t x = 0; x < nm; x++) {
				if (!fl_grow((void **)&v, &cap, nv + 1, sizeof *v)) {
					rc = err_set(e, FL_ENOMEM, "out of memory");
					break;
				}
				v[nv++] = (scrape_target_metadata){tl, mv[x].name, mv[x].type, mv[x].help, mv[x].unit};
			}
		}
	pthread_mutex_unlock(&m->mu);
	*out = NULL;
	*n = 0;
	if (!rc && nv) {
		*out = arena_calloc(a, nv, sizeof *v);
		if (*out) {
			memcpy(*out, v, nv * sizeof *v);
			*n = nv;
		} else {
			rc = err_set(e, FL_ENOMEM, "out of memory");
		}
	}
	fl_free(v);
	return rc;
}

static void counter(buf *b, const char *name, const char *help, int64_t v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRId64 "\n", name, help, name, name, v);
}

void scrape_manager_metrics(scrape_manager *m, buf *b)
{
	int64_t now = scrape_mono_ns();
	if (m->o.disc)
		discovery_metrics(m->o.disc, b); /* prometheus_sd_*, which sort first */
	pthread_mutex_lock(&m->mu);
	buf_put_str(b, "# HELP prometheus_target_interval_length_seconds Actual intervals between scrapes.\n"
		       "# TYPE prometheus_target_interval_length_seconds summary\n");
	for (size_t i = 0; i < m->n_ivals; i++)
		summary_write(b, "prometheus_target_interval_length_seconds", "interval", &m->ivals[i], now);
	buf_put_str(b, "# HELP prometheus_target_metadata_cache_entries Total number of metric metadata entries in the cache\n"
		       "# TYPE prometheus_target_metadata_cache_entries gauge\n");
	for (size_t i = 0; i < m->n_pools; i++) {
		size_t n = 0;
		for (size_t k = 0; k < m->pools[i]->n; k++) {
			scrape_cache *c = &m->pools[i]->loops[k]->l->cache;
			pthread_mutex_lock(&c->meta_mu);
			n += map_len(&c->meta);
			pthread_mutex_unlock(&c->meta_mu);
		}
		buf_printf(b, "prometheus_target_metadata_cache_entries{scrape_job=\"%s\"} %zu\n", m->pools[i]->name_lv, n);
	}
	buf_put_str(b, "# HELP prometheus_target_scrape_pool_exceeded_label_limits_total Total number of times scrape pools hit the label limits, during sync or config reload.\n"
		       "# TYPE prometheus_target_scrape_pool_exceeded_label_limits_total counter\n");
	buf_printf(b, "prometheus_target_scrape_pool_exceeded_label_limits_total %" PRId64 "\n",
		   atomic_load(&m->ctr.exceeded_label_limits));
	counter(b, "prometheus_target_scrape_pool_exceeded_target_limit_total",
		"Total number of times scrape pools hit the target limit, during sync or config reload.",
		(int64_t)m->target_limit_hits);
	counter(b, "prometheus_target_scrape_pool_reloads_failed_total", "Total number of failed scrape pool reloads.", 0);
	counter(b, "prometheus_target_scrape_pool_reloads_total", "Total number of scrape pool reloads.",
		(int64_t)m->reloads_total);
	buf_put_str(b, "# HELP prometheus_target_scrape_pool_sync_total Total number of syncs that were executed on a scrape pool.\n"
		       "# TYPE prometheus_target_scrape_pool_sync_total counter\n");
	for (size_t i = 0; i < m->n_pools; i++)
		buf_printf(b, "prometheus_target_scrape_pool_sync_total{scrape_job=\"%s\"} %" PRIu64 "\n", m->pools[i]->name_lv,
			   m->pools[i]->syncs);
	buf_put_str(b, "# HELP prometheus_target_scrape_pool_target_limit Maximum number of targets allowed in this scrape pool.\n"
		       "# TYPE prometheus_target_scrape_pool_target_limit gauge\n");
	for (size_t i = 0; i < m->n_pools; i++)
		buf_printf(b, "prometheus_target_scrape_pool_target_limit{scrape_job=\"%s\"} %" PRId64 "\n", m->pools[i]->name_lv,
			   m->pools[i]->target_limit);
	buf_put_str(b, "# HELP prometheus_target_scrape_pool_targets Current number of targets in this scrape pool.\n"
		       "# TYPE prometheus_target_scrape_pool_targets gauge\n");
	for (size_t i = 0; i < m->n_pools; i++)
		buf_printf(b, "prometheus_target_scrape_pool_targets{scrape_job=\"%s\"} %zu\n", m->pools[i]->name_lv,
			   m->pools[i]->n);
	counter(b, "prometheus_target_scrape_pools_failed_total", "Total number of scrape pool creations that failed.", 0);
	counter(b, "prometheus_target_scrape_pools_total", "Total number of scrape pool creation attempts.",
		(int64_t)m->pools_total);
	counter(b, "prometheus_target_scrapes_cache_flush_forced_total",
		"How many times a scrape cache was flushed due to getting big while scrapes are failing.",
		atomic_load(&m->ctr.cache_flush_forced));
	counter(b, "prometheus_target_scrapes_exceeded_body_size_limit_total",
		"Total number of scrapes that hit the body size limit", atomic_load(&m->ctr.exceeded_body_limit));
	counter(b, "prometheus_target_scrapes_exceeded_sample_limit_total",
		"Total number of scrapes that hit the sample limit and were rejected.",
		atomic_load(&m->ctr.exceeded_sample_limit));
	counter(b, "prometheus_target_scrapes_sample_duplicate_timestamp_total",
		"Total number of samples rejected due to duplicate timestamps but different values.",
		atomic_load(&m->ctr.sample_duplicate));
	counter(b, "prometheus_target_scrapes_sample_out_of_bounds_total",
		"Total number of samples rejected due to timestamp falling outside of the time bounds.",
		atomic_load(&m->ctr.sample_out_of_bounds));
	counter(b, "prometheus_target_scrapes_sample_out_of_order_total",
		"Total number of samples rejected due to not being out of the expected order.",
		atomic_load(&m->ctr.sample_out_of_order));
	buf_put_str(b, "# HELP prometheus_target_sync_length_seconds Actual interval to sync the scrape pool.\n"
		       "# TYPE prometheus_target_sync_length_seconds summary\n");
	for (size_t i = 0; i < m->n_pools; i++)
		summary_write(b, "prometheus_target_sync_length_seconds", "scrape_job", &m->pools[i]->sync_len, now);
	pthread_mutex_unlock(&m->mu);
}
