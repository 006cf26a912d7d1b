/*
 * manager.c - rule files to running groups (Prometheus rules/manager.go).
 *
 * Update: expand the globs, load every file (rules/rulefile.h), build the
 * groups; any error fails the whole update and the old groups keep running.
 * Groups are identified by file and name: a group present before and after
 * takes over the old one's rule state (alerts, stale-marker sets); a group
 * gone writes stale markers for everything it wrote. Groups added after the
 * first load start restored (no `for` state restore), as Prometheus's
 * manager does unless told otherwise.
 *
 * Worker threads evaluate, as Prometheus's one goroutine per group does:
 * a worker sleeps until the earliest slot of a group no other worker is
 * running, evaluates that group at its slot (skipping slots it missed,
 * counted), and restores `for` state after a group's second evaluation
 * (manager.go: a group that must restore waits for one more evaluation
 * first, so recording rules have refreshed the series alerts depend on).
 * There are RULES_MIN_WORKERS to start with; a worker that takes a group
 * while no other is idle starts one more, up to RULES_MAX_WORKERS, so a
 * slow group (or several) never delays the others' slots: only as many
 * slow groups as the bound could.
 *
 * Locks, in order: eval_rw (read-held by each worker while it evaluates,
 * write-held by update while it swaps; writers preferred so a reload is not
 * starved) -> mu (the group list, the scheduler state, the options
 * generation) -> a group's mu.
 */
#include "rules/manager.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/summary.h"
#include "rules/rule_int.h"

/* Options of one generation of groups: they point at it. */
typedef struct opts_gen {
	rules_opts o;
	labels ext;     /* owned copy */
	char *ext_url;  /* owned copy */
} opts_gen;

typedef struct sched {
	int64_t next_ts_ms; /* the slot it evaluates next */
	bool running;       /* a worker is evaluating it */
} sched;

#define RULES_MIN_WORKERS 2
#define RULES_MAX_WORKERS 32

struct rules_manager {
	rules_opts base;          /* as given */
	pthread_rwlock_t eval_rw; /* read: evaluating; write: swapping groups */
	pthread_mutex_t mu;       /* guards everything below */
	pthread_cond_t cv;        /* update and stop wake the thread */
	rule_group **groups;      /* current groups */
	sched *sch;               /* one per group */
	size_t n_groups;
	opts_gen *gen;            /* what the current groups point at */
	bool loaded;              /* the first update happened */
	uint64_t generation;      /* bumped at each swap of groups */
	bool stopping;
	int n_threads;            /* workers started */
	int n_busy;               /* workers evaluating */
	pthread_t threads[RULES_MAX_WORKERS];
	summary group_dur;        /* prometheus_rule_group_duration_seconds */
	summary rule_dur;         /* prometheus_rule_evaluation_duration_seconds */
};

/* Their objectives (rules/manager.go). */
static const double group_dur_q[] = {0.01, 0.05, 0.5, 0.9, 0.99};
static const double rule_dur_q[] = {0.5, 0.9, 0.99};

static void gen_free(opts_gen *g)
{
	if (!g)
		return;
	fl_free((void *)g->ext.v);
	fl_free(g->ext_url);
	fl_free(g);
}

rules_manager *rules_manager_new(const rules_opts *o, err *e)
{
	rules_manager *m = fl_calloc(1, sizeof *m);
	if (!m) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	m->base = *o;
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&m->eval_rw, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	return m;
}

void rules_manager_stop(rules_manager *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	int n = m->stopping ? 0 : m->n_threads;
	m->stopping = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	for (int i = 0; i < n; i++)
		pthread_join(m->threads[i], NULL);
}

static void groups_free(rule_group **g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rule_group_free(g[i]);
	fl_free(g);
}

void rules_manager_free(rules_manager *m)
{
	if (!m)
		return;
	rules_manager_stop(m);
	groups_free(m->groups, m->n_groups);
	fl_free(m->sch);
	gen_free(m->gen);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	pthread_rwlock_destroy(&m->eval_rw);
	fl_free(m);
}

void rules_manager_lock(rules_manager *m) { pthread_mutex_lock(&m->mu); }
void rules_manager_unlock(rules_manager *m) { pthread_mutex_unlock(&m->mu); }

rule_group *const *rules_manager_groups(rules_manager *m, size_t *n)
{
	*n = m->n_groups;
	return m->groups;
}

/* ---- loading ---- */

typedef struct load {
	rule_group **v;
	size_t n, cap;
} load;

/* Every file the globs match, sorted within a glob (glob(3), as Go's
 * filepath.Glob), without repeats. */
static int expand_globs(const rules_config *c, char ***out, size_t *n, err *e)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < c->n_files; i++) {
		glob_t gl;
		int rc = glob(c->files[i], 0, NULL, &gl);
		if (rc == GLOB_NOMATCH)
			continue;
		if (rc)
			return err_set(e, FL_EIO, "%s: cannot expand the glob", c->files[i]);
		for (size_t j = 0; j < gl.gl_pathc; j++) {
			bool seen = false;
			for (size_t k = 0; k < *n && !seen; k++)
				seen = !strcmp((*out)[k], gl.gl_pathv[j]);
			if (seen)
				continue;
			if (!fl_grow((void **)out, &cap, *n + 1, sizeof **out) || !((*out)[*n] = fl_strdup(gl.gl_pathv[j]))) {
				globfree(&gl);
				return err_set(e, FL_ENOMEM, "out of memory");
			}
			(*n)++;
		}
		globfree(&gl);
	}
	return 0;
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fl_free(v[i]);
	fl_free(v);
}

/* Load one file's groups into l. */
static int load_file(load *l, const char *path, const rules_config *c, const rules_opts *o, bool restored, err *e)
{
	rule_errors errs = {0};
	rule_file *f = rule_file_load(path, &errs, e);
	rule_errors_free(&errs);
	if (!f)
		return e->code ? e->code : FL_EINVAL;
	int rc = 0;
	for (size_t i = 0; i < f->n_groups && rc == 0; i++) {
		rule_group *g = rule_group_new(&f->groups[i], path, c->interval_ms, c->query_offset_ms, restored, o, e);
		if (!g)
			rc = e->code ? e->code : FL_EINVAL;
		else if (!fl_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v)) {
			rule_group_free(g);
			rc = err_set(e, FL_ENOMEM, "out of memory");
		} else
			l->v[l->n++] = g;
	}
	rule_file_free(f);
	return rc;
}

static opts_gen *gen_new(const rules_opts *base, const rules_config *c)
{
	opts_gen *g = fl_calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->o = *base;
	g->ext = labels_dup(c->external_labels);
	g->ext_url = fl_strdup(c->external_url ? c->external_url : "");
	if ((c->external_labels.n && !g->ext.v) || !g->ext_url) {
		gen_free(g);
		return NULL;
	}
	g->o.external_labels = g->ext;
	g->o.external_url = g->ext_url;
	return g;
}

static void *run(void *arg);

static int cmp_group(const void *x, const void *y)
{
	const rule_group *a = *(rule_group *const *)x, *b = *(rule_group *const *)y;
	int c = strcmp(a->file, b->file);
	return c ? c : strcmp(a->name, b->name);
}

/* The first slot after now for g (manager.go run: EvalTimestamp + interval). */
static int64_t first_slot(const rule_group *g) { return rule_group_eval_timestamp(g, rules_now_ns()) + g->interval_ms; }

int rules_manager_update(rules_manager *m, const rules_config *c, err *e)
{
	char **paths;
	size_t n_paths;
	if (expand_globs(c, &paths, &n_paths, e))
		return e->code;
	opts_gen *gen = gen_new(&m->base, c);
	if (!gen) {
		strs_free(paths, n_paths);
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&m->mu);
	bool restored = m->loaded;
	pthread_mutex_unlock(&m->mu);
	load l = {0};
	int rc = 0;
	for (size_t i = 0; i < n_paths && rc == 0; i++)
		rc = load_file(&l, paths[i], c, &gen->o, restored, e);
	strs_free(paths, n_paths);
	if (l.n > 1) /* Manager.RuleGroups' order: file, then name */
		qsort(l.v, l.n, sizeof *l.v, cmp_group);
	sched *sch = l.n ? fl_calloc(l.n, sizeof *sch) : NULL;
	if (rc == 0 && l.n && !sch)
		rc = err_set(e, FL_ENOMEM, "out of memory");
	if (rc) {
		groups_free(l.v, l.n);
		fl_free(sch);
		gen_free(gen);
		return rc;
	}
	pthread_rwlock_wrlock(&m->eval_rw);
	pthread_mutex_lock(&m->mu);
	rule_group **old = m->groups;
	size_t n_old = m->n_groups;
	for (size_t i = 0; i < l.n; i++) {
		sch[i].next_ts_ms = first_slot(l.v[i]);
		for (size_t j = 0; j < n_old; j++)
			if (old[j] && rule_group_same(l.v[i], old[j])) {
				rule_group_copy_state(l.v[i], old[j]);
				rule_group_free(old[j]);
				old[j] = NULL;
				break;
			}
	}
	int64_t now = rules_now_ms();
	for (size_t j = 0; j < n_old; j++)
		if (old[j])
			rule_group_mark_stale(old[j], now);
	opts_gen *old_gen = m->gen;
	m->groups = l.v;
	m->n_groups = l.n;
	fl_free(m->sch);
	m->sch = sch;
	m->gen = gen;
	m->loaded = true;
	m->generation++;
	while (!m->stopping && m->n_threads < RULES_MIN_WORKERS &&
	       pthread_create(&m->threads[m->n_threads], NULL, run, m) == 0)
		m->n_threads++;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_rwlock_unlock(&m->eval_rw);
	groups_free(old, n_old);
	gen_free(old_gen);
	return 0;
}

/* ---- evaluation ---- */

static void eval_group(rules_manager *m, rule_group *g, int64_t ts_ms)
{
	int64_t t0 = rules_now_ns();
	rule_group_eval(g, ts_ms);
	double d = (double)(rules_now_ns() - t0) / 1e9;
	if (g->should_restore && g->n_evals_done >= 2)
		rule_group_restore(g, rules_now_ms());
	double rd[64];
	size_t n = 0;
	pthread_mutex_lock(&m->mu);
	summary_observe(&m->group_dur, d);
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < g->n_rules; i += n) { /* a rule's evaluation: one observation */
		rule_group_lock(g);
		for (n = 0; n < FL_ARRAY_LEN(rd) && i + n < g->n_rules; n++)
			rd[n] = g->rules[i + n].eval_seconds;
		rule_group_unlock(g);
		pthread_mutex_lock(&m->mu);
		for (size_t k = 0; k < n; k++)
			summary_observe(&m->rule_dur, rd[k]);
		pthread_mutex_unlock(&m->mu);
	}
}

void rules_manager_eval_all(rules_manager *m, int64_t ts_ms)
{
	pthread_rwlock_wrlock(&m->eval_rw); /* no worker runs meanwhile */
	for (size_t i = 0; i < m->n_groups; i++)
		eval_group(m, m->groups[i], ts_ms);
	pthread_rwlock_unlock(&m->eval_rw);
}

static void abs_deadline(struct timespec *ts, int64_t at_ms)
{
	ts->tv_sec = at_ms / 1000;
	ts->tv_nsec = (long)(at_ms % 1000) * 1000000;
}

static void *run(void *arg)
{
	rules_manager *m = arg;
	pthread_mutex_lock(&m->mu);
	while (!m->stopping) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < m->n_groups; i++)
			if (!m->sch[i].running && (best == SIZE_MAX || m->sch[i].next_ts_ms < m->sch[best].next_ts_ms))
				best = i;
		int64_t now = rules_now_ms();
		if (best == SIZE_MAX || m->sch[best].next_ts_ms > now) {
			struct timespec dl;
			abs_deadline(&dl, best == SIZE_MAX ? now + 3600000 : m->sch[best].next_ts_ms);
			pthread_cond_timedwait(&m->cv, &m->mu, &dl);
			continue;
		}
		rule_group *g = m->groups[best];
		int64_t ts = m->sch[best].next_ts_ms;
		int64_t missed = (now - ts) / g->interval_ms;
		ts += missed * g->interval_ms;
		m->sch[best].next_ts_ms = ts + g->interval_ms;
		if (missed > 0)
			atomic_fetch_add(&g->missed_total, (uint64_t)missed);
		m->sch[best].running = true;
		if (++m->n_busy >= m->n_threads && m->n_threads < RULES_MAX_WORKERS &&
		    pthread_create(&m->threads[m->n_threads], NULL, run, m) == 0)
			m->n_threads++; /* someone stays free for the next due group */
		uint64_t gen = m->generation;
		pthread_mutex_unlock(&m->mu);
		/* update may swap groups between these two locks: re-check */
		pthread_rwlock_rdlock(&m->eval_rw);
		pthread_mutex_lock(&m->mu);
		bool still = m->generation == gen;
		pthread_mutex_unlock(&m->mu);
		if (still)
			eval_group(m, g, ts);
		pthread_rwlock_unlock(&m->eval_rw);
		pthread_mutex_lock(&m->mu);
		m->n_busy--;
		if (m->generation == gen) /* else sch is a new array, all idle */
			m->sch[best].running = false;
		pthread_cond_broadcast(&m->cv); /* the group may be the next due */
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* ---- metrics ---- */

static void group_label(buf *b, const rule_group *g)
{
	buf_put_str(b, "{rule_group=\"");
	rules__put_label_value(b, g->file);
	buf_put_byte(b, ';');
	rules__put_label_value(b, g->name);
	buf_put_str(b, "\"}");
}

typedef enum { GM_EVALS, GM_FAILS, GM_INTERVAL, GM_MISSED, GM_ITER, GM_LAST_TS, GM_LAST_DUR, GM_SAMPLES, GM_RULES } gm;

static const struct {
	const char *name, *type, *help;
} gms[] = {
	{"prometheus_rule_evaluations_total", "counter", "The total number of rule evaluations."},
	{"prometheus_rule_evaluation_failures_total", "counter", "The total number of rule evaluation failures."},
	{"prometheus_rule_group_interval_seconds", "gauge", "The interval of a rule group."},
	{"prometheus_rule_group_iterations_missed_total", "counter",
	 "The total number of rule group evaluations missed due to slow rule group evaluation."},
	{"prometheus_rule_group_iterations_total", "counter",
	 "The total number of scheduled rule group evaluations, whether executed or missed."},
	{"prometheus_rule_group_last_evaluation_timestamp_seconds", "gauge",
	 "The timestamp of the last rule group evaluation in seconds."},
	{"prometheus_rule_group_last_duration_seconds", "gauge", "The duration of the last rule group evaluation."},
	{"prometheus_rule_group_last_evaluation_samples", "gauge",
	 "The number of samples returned during the last rule group evaluation."},
	{"prometheus_rule_group_rules", "gauge", "The number of rules."},
};

static double gm_value(rule_group *g, gm k)
{
	switch (k) {
	case GM_EVALS: return (double)atomic_load(&g->evals_total);
	case GM_FAILS: return (double)atomic_load(&g->failures_total);
	case GM_INTERVAL: return (double)g->interval_ms / 1000;
	case GM_MISSED: return (double)atomic_load(&g->missed_total);
	case GM_ITER: return (double)(atomic_load(&g->iterations_total) + atomic_load(&g->missed_total));
	case GM_LAST_TS: return g->last_eval_ts_ms ? (double)g->last_eval_ts_ms / 1000 : 0;
	case GM_LAST_DUR: return g->eval_seconds;
	case GM_SAMPLES: return (double)g->samples_last;
	case GM_RULES: return (double)g->n_rules;
	}
	return 0;
}

void rules_manager_metrics(rules_manager *m, buf *b)
{
	pthread_mutex_lock(&m->mu);
	buf_put_str(b, "# HELP prometheus_rule_group_duration_seconds The duration of rule group evaluations.\n"
		       "# TYPE prometheus_rule_group_duration_seconds summary\n");
	summary_write(&m->group_dur, b, "prometheus_rule_group_duration_seconds", "", group_dur_q,
		      FL_ARRAY_LEN(group_dur_q));
	buf_put_str(b, "# HELP prometheus_rule_evaluation_duration_seconds The duration for a rule to execute.\n"
		       "# TYPE prometheus_rule_evaluation_duration_seconds summary\n");
	summary_write(&m->rule_dur, b, "prometheus_rule_evaluation_duration_seconds", "", rule_dur_q,
		      FL_ARRAY_LEN(rule_dur_q));
	for (size_t k = 0; k < FL_ARRAY_LEN(gms); k++) {
		if (!m->n_groups)
			break;
		buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", gms[k].name, gms[k].help, gms[k].name, gms[k].type);
		for (size_t i = 0; i < m->n_groups; i++) {
			rule_group *g = m->groups[i];
			buf_put_str(b, gms[k].name);
			group_label(b, g);
			rule_group_lock(g);
			buf_put_byte(b, ' ');
			rules__put_g(b, gm_value(g, (gm)k));
			buf_put_byte(b, '\n');
			rule_group_unlock(g);
		}
	}
	pthread_mutex_unlock(&m->mu);
}
