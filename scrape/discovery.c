/*
 * discovery.c - the discovery manager (Prometheus discovery/manager.go and
 * the scrape pool's target sync, scrape.go Sync): one provider per
 * discovery block of each job (static_configs as one provider, each
 * file_sd/http_sd/dns_sd block one), a refresh thread, and snapshots of
 * every job's targets populated by target.c.
 *
 *   apply ──▶ providers (kept when job and block are unchanged: they keep
 *             their groups across a reload, as Prometheus keeps a provider
 *             whose config is equal)
 *   refresh thread: each provider at its refresh_interval; file_sd also
 *             when its stamp (names, sizes, mtimes) changes, polled every
 *             second; a failed refresh keeps the previous groups
 *   snapshot: groups ──scrape_target_populate──▶ active (deduplicated by
 *             target hash) and dropped (capped by keep_dropped_targets);
 *             a target that fails population is logged and in neither list
 *
 * Locks: io_mu, then mu. The refresh thread holds io_mu while it refreshes
 * one provider, so the config the provider points into stays alive;
 * apply takes io_mu before it replaces providers (a reload may wait for
 * one in-flight lookup, bounded by that provider's refresh interval). mu
 * protects the provider list, their groups, the generation and counters.
 */
#include "scrape/discovery.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "lib/log.h"
#include "scrape/sd_int.h"

#define FILE_POLL_MS 1000

typedef enum pkind { P_STATIC, P_FILE, P_HTTP, P_DNS } pkind;

typedef struct provider {
	pkind kind;       /* mechanism */
	size_t job;       /* index into the applied config's jobs (mu) */
	char *key;        /* identity across applies: job, kind, the block's settings (fl_malloc'd) */
	const void *cfg;  /* the block, in the applied config (mu) */
	sd_parts parts;   /* current groups (mu) */
	int64_t next_ms;  /* next refresh, monotonic (mu) */
	int64_t poll_ms;  /* file_sd: next stamp poll (mu) */
	uint64_t stamp;   /* file_sd: stamp at the last read (refresh thread) */
} provider;

struct discovery {
	pthread_mutex_t io_mu;      /* held across one provider's refresh; before mu */
	pthread_mutex_t mu;         /* everything below */
	pthread_cond_t cv;          /* wakes the refresh thread (apply, free) */
	pthread_t thread;           /* the refresh thread */
	bool started, stop;         /* thread state */
	const scrape_config *cfg;   /* the applied config (the caller's) */
	provider **provs;           /* in job order, then block order */
	size_t n_provs;
	uint64_t gen;               /* bumped on apply and on every refresh that changed groups */
	uint64_t file_errors, http_failures, dns_lookups, dns_failures; /* counters */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void provider_free(provider *p)
{
	if (!p)
		return;
	sd_parts_free(&p->parts);
	fl_free(p->key);
	fl_free(p);
}

/* ---- the refresh thread ---- */

static int64_t refresh_ms(const provider *p)
{
	switch (p->kind) {
	case P_FILE:
		return ((const scrape_file_sd *)p->cfg)->refresh_ms;
	case P_HTTP:
		return ((const scrape_http_sd *)p->cfg)->refresh_ms;
	case P_DNS:
		return ((const scrape_dns_sd *)p->cfg)->refresh_ms;
	default:
		return 0;
	}
}

/* Refresh p; called with io_mu held and mu not held. */
static void refresh(discovery *d, provider *p)
{
	const scrape_config *c = d->cfg;
	const char *job = c->jobs[p->job].job_name;
	err e;
	sd_groups g;
	sd_groups_init(&g);
	int rc = 0;
	uint64_t lookups = 0, failures = 0, file_errors = 0;
	if (p->kind == P_FILE) {
		p->stamp = sd_file_stamp(p->cfg);
		pthread_mutex_lock(&d->mu); /* local reads: the parts change in place */
		rc = sd_file_refresh(p->cfg, &p->parts, &file_errors, &e);
		if (rc)
			log_error("discovery", "Error reading file", "config", job, "err", e.msg, NULL);
		d->file_errors += file_errors;
		d->gen++;
		pthread_mutex_unlock(&d->mu);
		return;
	}
	if (p->kind == P_HTTP)
		rc = sd_http_refresh(p->cfg, &g, &e);
	else
		rc = sd_dns_refresh(p->cfg, &g, &lookups, &failures, &e);
	if (rc)
		log_error("discovery", p->kind == P_HTTP ? "Unable to refresh target groups" : "Error refreshing DNS targets",
			  "config", job, "mechanism", p->kind == P_HTTP ? "http" : "dns", "err", e.msg, NULL);
	pthread_mutex_lock(&d->mu);
	d->dns_lookups += lookups, d->dns_failures += failures;
	if (rc && p->kind == P_HTTP)
		d->http_failures++;
	if (!rc && !sd_parts_set_one(&p->parts, &g))
		d->gen++;
	pthread_mutex_unlock(&d->mu);
	sd_groups_reset(&g);
}

/* The provider due first, or NULL with *wait_ms until one is (mu held). */
static provider *due(discovery *d, int64_t now, int64_t *wait_ms, bool *poll)
{
	*wait_ms = 60000;
	for (size_t i = 0; i < d->n_provs; i++) {
		provider *p = d->provs[i];
		if (p->kind == P_STATIC)
			continue;
		if (p->next_ms <= now) {
			*poll = false;
			return p;
		}
		if (p->kind == P_FILE && p->poll_ms <= now) {
			*poll = true;
			return p;
		}
		int64_t w = p->next_ms - now;
		if (p->kind == P_FILE && p->poll_ms - now < w)
			w = p->poll_ms - now;
		if (w < *wait_ms)
			*wait_ms = w;
	}
	return NULL;
}

static void *refresh_main(void *arg)
{
	discovery *d = arg;
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		int64_t now = mono_ms(), wait_ms;
		bool poll = false;
		provider *p = due(d, now, &wait_ms, &poll);
		if (!p) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000)
				ts.tv_sec++, ts.tv_nsec -= 1000000000;
			pthread_cond_timedwait(&d->cv, &d->mu, &ts);
			continue;
		}
		/* mark it first, so a provider that fails is not retried in a loop */
		if (poll)
			p->poll_ms = now + FILE_POLL_MS;
		else
			p->next_ms = now + (refresh_ms(p) > 0 ? refresh_ms(p) : 60000), p->poll_ms = now + FILE_POLL_MS;
		pthread_mutex_unlock(&d->mu);
		pthread_mutex_lock(&d->io_mu);
		pthread_mutex_lock(&d->mu);
		bool alive = false; /* apply may have run between the locks */
		for (size_t i = 0; i < d->n_provs; i++)
			alive |= d->provs[i] == p;
		pthread_mutex_unlock(&d->mu);
		if (alive && (!poll || sd_file_stamp(p->cfg) != p->stamp))
			refresh(d, p);
		pthread_mutex_unlock(&d->io_mu);
		pthread_mutex_lock(&d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* ---- apply ---- */

static char *provider_key(const scrape_job_config *j, pkind kind, const void *cfg)
{
	buf b;
	buf_init(&b);
	buf_printf(&b, "%s%c%d%c", j->job_name, 0x1f, (int)kind, 0x1f);
	if (kind == P_FILE) {
		const scrape_file_sd *f = cfg;
		for (size_t i = 0; i < f->n_files; i++)
			buf_printf(&b, "%s%c", f->files[i], 0x1e);
		buf_printf(&b, "%lld", (long long)f->refresh_ms);
	} else if (kind == P_HTTP) {
		const scrape_http_sd *h = cfg;
		buf_printf(&b, "%s%c%lld", h->url, 0x1e, (long long)h->refresh_ms);
	} else if (kind == P_DNS) {
		const scrape_dns_sd *s = cfg;
		for (size_t i = 0; i < s->n_names; i++)
			buf_printf(&b, "%s%c", s->names[i], 0x1e);
		buf_printf(&b, "%s%c%d%c%lld", s->type, 0x1e, s->port, 0x1e, (long long)s->refresh_ms);
	}
	char *k = fl_strdup(buf_cstr(&b));
	buf_reset(&b);
	return k;
}

/* static_configs: one group per entry, built now. */
static int static_groups(const scrape_job_config *j, sd_parts *parts)
{
	sd_groups g;
	sd_groups_init(&g);
	g.v = arena_calloc(&g.a, j->sd.n_static_configs + 1, sizeof *g.v);
	if (!g.v)
		return FL_ENOMEM;
	g.cap = j->sd.n_static_configs + 1;
	for (size_t s = 0; s < j->sd.n_static_configs; s++) {
		const scrape_static_config *sc = &j->sd.static_configs[s];
		sd_group *grp = &g.v[g.n++];
		grp->labels = labels_copy(&g.a, sc->labels);
		grp->targets = arena_calloc(&g.a, sc->n_targets + 1, sizeof *grp->targets);
		for (size_t t = 0; t < sc->n_targets && grp->targets; t++) {
			label *l = arena_alloc(&g.a, sizeof *l);
			if (!l)
				break;
			*l = (label){"__address__", arena_strdup(&g.a, sc->targets[t])};
			grp->targets[grp->n_targets++] = (labels){l, 1};
		}
	}
	int rc = sd_parts_set_one(parts, &g);
	sd_groups_reset(&g);
	return rc;
}

static provider *take_or_new(provider **old, size_t n_old, const scrape_job_config *j, size_t job, pkind kind,
			     const void *cfg)
{
	char *key = provider_key(j, kind, cfg);
	if (!key)
		return NULL;
	for (size_t i = 0; kind != P_STATIC && i < n_old; i++)
		if (old[i] && !strcmp(old[i]->key, key)) {
			provider *p = old[i];
			old[i] = NULL;
			fl_free(key);
			p->job = job, p->cfg = cfg;
			return p;
		}
	provider *p = fl_calloc(1, sizeof *p);
	if (!p) {
		fl_free(key);
		return NULL;
	}
	p->kind = kind, p->job = job, p->cfg = cfg, p->key = key;
	if (kind == P_STATIC && static_groups(j, &p->parts)) {
		provider_free(p);
		return NULL;
	}
	return p;
}

discovery *discovery_new(err *e)
{
	discovery *d = fl_calloc(1, sizeof *d);
	if (!d) {
		err_set(e, FL_ENOMEM, "discovery: out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->io_mu, NULL);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	return d;
}

int discovery_apply(discovery *d, const scrape_config *c, err *e)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_jobs; i++)
		n += 1 + c->jobs[i].sd.n_file_sd + c->jobs[i].sd.n_http_sd + c->jobs[i].sd.n_dns_sd;
	provider **np = fl_calloc(n + 1, sizeof *np);
	if (!np)
		return err_set(e, FL_ENOMEM, "discovery: out of memory");
	pthread_mutex_lock(&d->io_mu);
	pthread_mutex_lock(&d->mu);
	size_t k = 0;
	int rc = 0;
	for (size_t i = 0; i < c->n_jobs && !rc; i++) {
		const scrape_job_config *j = &c->jobs[i];
		np[k++] = take_or_new(d->provs, d->n_provs, j, i, P_STATIC, NULL);
		for (size_t s = 0; s < j->sd.n_file_sd; s++)
			np[k++] = take_or_new(d->provs, d->n_provs, j, i, P_FILE, &j->sd.file_sd[s]);
		for (size_t s = 0; s < j->sd.n_http_sd; s++)
			np[k++] = take_or_new(d->provs, d->n_provs, j, i, P_HTTP, &j->sd.http_sd[s]);
		for (size_t s = 0; s < j->sd.n_dns_sd; s++)
			np[k++] = take_or_new(d->provs, d->n_provs, j, i, P_DNS, &j->sd.dns_sd[s]);
		for (size_t s = 0; s < k; s++)
			if (!np[s])
				rc = err_set(e, FL_ENOMEM, "discovery: out of memory");
	}
	if (rc) { /* the old providers stay; the new ones go */
		for (size_t s = 0; s < k; s++)
			if (np[s]) {
				bool old = false;
				for (size_t o = 0; o < d->n_provs; o++)
					old |= d->provs[o] == np[s];
				if (!old)
					provider_free(np[s]);
			}
		fl_free(np);
	} else {
		for (size_t o = 0; o < d->n_provs; o++)
			provider_free(d->provs[o]);
		fl_free(d->provs);
		d->provs = np, d->n_provs = k, d->cfg = c;
		d->gen++;
		pthread_cond_signal(&d->cv);
		if (!d->started && !pthread_create(&d->thread, NULL, refresh_main, d))
			d->started = true;
		else if (!d->started)
			rc = err_set(e, FL_EIO, "discovery: cannot start the refresh thread");
	}
	pthread_mutex_unlock(&d->mu);
	pthread_mutex_unlock(&d->io_mu);
	return rc;
}

uint64_t discovery_generation(discovery *d)
{
	pthread_mutex_lock(&d->mu);
	uint64_t g = d->gen;
	pthread_mutex_unlock(&d->mu);
	return g;
}

/* ---- snapshot ---- */

/* Open-addressing set of target hashes (0 is "empty": hash 0 is mapped to 1). */
typedef struct hset {
	uint64_t *v;   /* slots */
	size_t cap;    /* power of two */
} hset;

static bool hset_add(hset *s, uint64_t h)
{
	h = h ? h : 1;
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == h)
			return false;
		if (!s->v[i]) {
			s->v[i] = h;
			return true;
		}
	}
}

static int pool_targets(discovery *d, size_t job, arena *a, scrape_pool_targets *pool, err *e)
{
	const scrape_job_config *j = &d->cfg->jobs[job];
	size_t total = 0;
	for (size_t i = 0; i < d->n_provs; i++)
		if (d->provs[i]->job == job)
			total += sd_parts_targets(&d->provs[i]->parts);
	pool->job = j->job_name, pool->cfg = j;
	pool->active = arena_calloc(a, total + 1, sizeof *pool->active);
	pool->dropped = arena_calloc(a, total + 1, sizeof *pool->dropped);
	hset seen = {NULL, 16};
	while (seen.cap < 2 * total)
		seen.cap *= 2;
	seen.v = fl_calloc(seen.cap, sizeof *seen.v);
	if (!pool->active || !pool->dropped || !seen.v) {
		fl_free(seen.v);
		return err_set(e, FL_ENOMEM, "discovery: out of memory");
	}
	for (size_t i = 0; i < d->n_provs; i++) {
		const provider *p = d->provs[i];
		if (p->job != job)
			continue;
		for (size_t pt = 0; pt < p->parts.n; pt++)
			for (size_t g = 0; g < p->parts.v[pt].n; g++) {
				const sd_group *grp = &p->parts.v[pt].v[g];
				for (size_t t = 0; t < grp->n_targets; t++) {
					scrape_target_def def;
					labels disc;
					err te;
					int rc = scrape_target_populate(j, grp->labels, grp->targets[t], a, &def, &disc, &te);
					if (rc < 0) {
						char idx[32];
						snprintf(idx, sizeof idx, "%zu", t);
						log_error("scrape", "Creating target failed", "scrape_pool", j->job_name, "instance", idx,
							  "err", te.msg, NULL);
					} else if (rc == 0) {
						if (!j->keep_dropped_targets || (int64_t)pool->n_dropped < j->keep_dropped_targets)
							pool->dropped[pool->n_dropped++] = disc;
						pool->n_dropped_total++;
					} else if (hset_add(&seen, def.hash)) {
						pool->active[pool->n_active++] = def;
					}
				}
			}
	}
	fl_free(seen.v);
	return 0;
}

int discovery_snapshot(discovery *d, arena *a, scrape_pool_targets **out, size_t *n, err *e)
{
	pthread_mutex_lock(&d->mu);
	int rc = 0;
	size_t nj = d->cfg ? d->cfg->n_jobs : 0;
	scrape_pool_targets *pools = arena_calloc(a, nj + 1, sizeof *pools);
	if (!pools)
		rc = err_set(e, FL_ENOMEM, "discovery: out of memory");
	for (size_t i = 0; i < nj && !rc; i++)
		rc = pool_targets(d, i, a, &pools[i], e);
	pthread_mutex_unlock(&d->mu);
	*out = rc ? NULL : pools;
	*n = rc ? 0 : nj;
	return rc;
}

int discovery_visit(discovery *d, size_t job, int (*fn)(void *ctx, labels group, labels target), void *ctx)
{
	pthread_mutex_lock(&d->mu);
	int rc = 0;
	for (size_t i = 0; i < d->n_provs && !rc; i++) {
		const provider *p = d->provs[i];
		for (size_t pt = 0; p->job == job && pt < p->parts.n && !rc; pt++)
			for (size_t g = 0; g < p->parts.v[pt].n && !rc; g++) {
				const sd_group *grp = &p->parts.v[pt].v[g];
				for (size_t t = 0; t < grp->n_targets && !rc; t++)
					rc = fn(ctx, grp->labels, grp->targets[t]);
			}
	}
	pthread_mutex_unlock(&d->mu);
	return rc;
}

void discovery_metrics(discovery *d, buf *out)
{
	pthread_mutex_lock(&d->mu);
	buf_put_str(out, "# HELP prometheus_sd_discovered_targets Current number of discovered targets.\n"
			 "# TYPE prometheus_sd_discovered_targets gauge\n");
	for (size_t i = 0; d->cfg && i < d->cfg->n_jobs; i++) {
		size_t n = 0;
		for (size_t k = 0; k < d->n_provs; k++)
			if (d->provs[k]->job == i)
				n += sd_parts_targets(&d->provs[k]->parts);
		buf_put_str(out, "prometheus_sd_discovered_targets{config=\"");
		for (const char *c = d->cfg->jobs[i].job_name; *c; c++) /* the text format's escapes */
			buf_put_str(out, *c == '\\' ? "\\\\" : *c == '"' ? "\\\"" : *c == '\n' ? "\\n" : (char[]){*c, 0});
		buf_printf(out, "\",name=\"scrape\"} %zu\n", n);
	}
	static const char *const names[] = {"prometheus_sd_file_read_errors_total", "prometheus_sd_http_failures_total",
					    "prometheus_sd_dns_lookups_total", "prometheus_sd_dns_lookup_failures_total"};
	static const char *const help[] = {"The number of File-SD read errors.",
					   "Number of HTTP service discovery refresh failures.",
					   "The number of DNS-SD lookups.", "The number of DNS-SD lookup failures."};
	uint64_t v[] = {d->file_errors, d->http_failures, d->dns_lookups, d->dns_failures};
	for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
		buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", names[i], help[i], names[i], names[i],
			   (unsigned long long)v[i]);
	pthread_mutex_unlock(&d->mu);
}

void discovery_free(discovery *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->started)
		pthread_join(d->thread, NULL);
	for (size_t i = 0; i < d->n_provs; i++)
		provider_free(d->provs[i]);
	fl_free(d->provs);
	pthread_mutex_destroy(&d->io_mu);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	fl_free(d);
}

/* ---- promtool's checks ---- */

static int check_groups(const scrape_job_config *j, const sd_groups *g, err *e)
{
	arena a;
	arena_init(&a);
	int rc = 0;
	for (size_t k = 0; k < g->n && !rc; k++)
		for (size_t t = 0; t < g->v[k].n_targets && !rc; t++) {
			scrape_target_def def;
			err te;
			if (scrape_target_populate(j, g->v[k].labels, g->v[k].targets[t], &a, &def, NULL, &te) < 0)
				rc = err_set(e, FL_EINVAL, "instance %zu in group %zu: %s", t, k, te.msg);
		}
	arena_reset(&a);
	return rc;
}

int discovery_check_job(const scrape_job_config *j, void (*missing)(void *ctx, const char *glob), void *ctx, err *e)
{
	sd_parts parts = {0};
	int rc = static_groups(j, &parts) ? err_set(e, FL_ENOMEM, "out of memory") : 0;
	if (!rc && parts.n)
		rc = check_groups(j, &parts.v[0], e);
	sd_parts_free(&parts);
	for (size_t f = 0; f < j->sd.n_file_sd && !rc; f++)
		for (size_t i = 0; i < j->sd.file_sd[f].n_files && !rc; i++) {
			scrape_file_sd one = {&j->sd.file_sd[f].files[i], 1, 0};
			uint64_t n_errors = 0;
			err fe;
			int frc = sd_file_refresh(&one, &parts, &n_errors, &fe);
			if (frc)
				rc = err_set(e, frc, "checking SD file \"%s\": %s", j->sd.file_sd[f].files[i], fe.msg);
			else if (!parts.n && missing)
				missing(ctx, j->sd.file_sd[f].files[i]);
			for (size_t p = 0; p < parts.n && !rc; p++)
				rc = check_groups(j, &parts.v[p], e);
			sd_parts_free(&parts);
		}
	return rc;
}
