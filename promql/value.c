/*
 * value.c - the engine's value plumbing (Prometheus promql/value.go plus the
 * bookkeeping parts of engine.go): arena-backed growable vectors and
 * matrices, the hash map that groups step outputs into series, the per-step
 * cursor over a grid matrix, annotations, the sample budget and the
 * cancellation/timeout check.
 *
 * Sample budget: every sample a selector loads and every point an operator
 * produces is counted against max_samples as it is created, so a query's
 * memory is bounded by the budget ("query processing would load too many
 * samples into memory in query execution", as engine.go says).
 */
#include "promql/value.h"

#include "lib/fmtfloat.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void *pq_grow(arena *a, void *p, size_t *cap, size_t n, size_t elem)
{
	if (n <= *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 4;
	while (nc < n)
		nc *= 2;
	void *np = arena_alloc(a, nc * elem);
	if (!np)
		return NULL;
	if (p && *cap)
		memcpy(np, p, *cap * elem);
	*cap = nc;
	return np;
}

int pq_nomem(ev *v) { return pq_fail(v, PE_INTERNAL, FL_ENOMEM, "out of memory"); }

int pq_vec_push(ev *v, pq_vec *vec, labels m, double val, int64_t t, bool drop)
{
	if (vec->n == vec->cap) {
		pq_elem *ne = pq_grow(v->a, vec->e, &vec->cap, vec->n + 1, sizeof *ne);
		if (!ne)
			return pq_nomem(v);
		vec->e = ne;
	}
	pq_elem *e = &vec->e[vec->n++];
	e->metric = m;
	e->v = val;
	e->t = t;
	e->drop_name = drop;
	return 0;
}

pq_series *pq_matrix_add(ev *v, pq_matrix *m, labels metric, bool drop)
{
	if (m->n == m->cap) {
		pq_series *ns = pq_grow(v->a, m->s, &m->cap, m->n + 1, sizeof *ns);
		if (!ns) {
			pq_nomem(v);
			return NULL;
		}
		m->s = ns;
	}
	pq_series *s = &m->s[m->n++];
	memset(s, 0, sizeof *s);
	s->metric = metric;
	s->drop_name = drop;
	return s;
}

int pq_series_reserve(ev *v, pq_series *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	sample *ns = arena_alloc(v->a, n * sizeof *ns);
	if (!ns)
		return pq_nomem(v);
	if (s->n)
		memcpy(ns, s->s, s->n * sizeof *ns);
	s->s = ns;
	s->cap = n;
	return 0;
}

int pq_series_push(ev *v, pq_series *s, int64_t t, double val)
{
	if (s->n == s->cap) {
		sample *ns = pq_grow(v->a, s->s, &s->cap, s->n + 1, sizeof *ns);
		if (!ns)
			return pq_nomem(v);
		s->s = ns;
	}
	s->s[s->n].t = t;
	s->s[s->n].v = val;
	s->n++;
	return pq_account(v, 1);
}

labels pq_labels_copy(ev *v, labels ls)
{
	labels r = labels_copy(v->a, ls);
	if (ls.n && !r.v) {
		pq_nomem(v);
		r.n = 0;
	}
	return r;
}

labels pq_builder_labels(ev *v, labels_builder *b)
{
	if (b->oom) {
		pq_nomem(v);
		labels r = {NULL, 0};
		return r;
	}
	return pq_labels_copy(v, labels_builder_labels(b));
}

labels pq_labels_without(ev *v, labels ls, const char *name)
{
	size_t i;
	for (i = 0; i < ls.n; i++)
		if (!strcmp(ls.v[i].name, name))
			break;
	if (i == ls.n)
		return ls;
	label *nv = arena_alloc(v->a, (ls.n ? ls.n : 1) * sizeof *nv);
	if (!nv) {
		pq_nomem(v);
		return ls;
	}
	size_t k = 0;
	for (size_t j = 0; j < ls.n; j++)
		if (j != i)
			nv[k++] = ls.v[j];
	labels r = {nv, k};
	return r;
}

static void strs_add(ev *v, pq_strs *s, const char *msg)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], msg))
			return;
	const char **nv = pq_grow(v->a, (void *)s->v, &s->cap, s->n + 1, sizeof *nv);
	char *c = arena_strdup(v->a, msg);
	if (!nv || !c)
		return;
	s->v = nv;
	s->v[s->n++] = c;
}

void pq_annotate(ev *v, bool info, const char *fmt, ...)
{
	char msg[1024];
	int k = snprintf(msg, sizeof msg, "%s", info ? "PromQL info: " : "PromQL warning: ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
	va_end(ap);
	strs_add(v, info ? &v->infos : &v->warnings, msg);
}

int pq_fail(ev *v, promql_errtype t, int code, const char *fmt, ...)
{
	if (v->errtype != PE_NONE)
		return v->e->code ? v->e->code : code; /* keep the first error */
	va_list ap;
	va_start(ap, fmt);
	err_setv(v->e, code, fmt, ap);
	va_end(ap);
	v->errtype = t;
	return code;
}

int pq_account(ev *v, int64_t n)
{
	v->samples += n;
	if (v->samples > v->peak)
		v->peak = v->samples;
	if (v->o->max_samples > 0 && v->samples > v->o->max_samples)
		return pq_fail(v, PE_EXECUTION, FL_ELIMIT,
			       "query processing would load too many samples into memory in query execution");
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int pq_check(ev *v)
{
	if (v->errtype != PE_NONE)
		return v->e->code ? v->e->code : FL_EEXEC;
	if (v->cancel && v->cancel->canceled)
		return pq_fail(v, PE_CANCELED, FL_ECANCELED, "query was canceled in query execution");
	if (v->deadline_ns && (++v->ticks & 63) == 0 && now_ns() > v->deadline_ns)
		return pq_fail(v, PE_TIMEOUT, FL_ETIMEOUT, "query timed out in query execution");
	return 0;
}

/* ---- hash map ---- */
void pq_map_init(pq_map *m) { memset(m, 0, sizeof *m); }
void pq_map_free(pq_map *m)
{
	fl_free(m->keys);
	fl_free(m->vals);
	pq_map_init(m);
}

static bool map_rehash(pq_map *m, size_t ncap)
{
	uint64_t *nk = fl_calloc(ncap, sizeof *nk);
	size_t *nv = fl_malloc(ncap * sizeof *nv);
	if (!nk || !nv) {
		fl_free(nk);
		fl_free(nv);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = (size_t)m->keys[i] & (ncap - 1);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->keys[i];
		nv[j] = m->vals[i];
	}
	fl_free(m->keys);
	fl_free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
	return true;
}

size_t *pq_map_get(pq_map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	key = key ? key : 1;
	for (size_t j = (size_t)key & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
		if (!m->keys[j])
			return NULL;
		if (m->keys[j] == key)
			return &m->vals[j];
	}
}

size_t *pq_map_put(pq_map *m, uint64_t key, bool *found)
{
	key = key ? key : 1;
	if ((m->n + 1) * 2 > m->cap && !map_rehash(m, m->cap ? m->cap * 2 : 16))
		return NULL;
	size_t j = (size_t)key & (m->cap - 1);
	while (m->keys[j] && m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	*found = m->keys[j] != 0;
	if (!*found) {
		m->keys[j] = key;
		m->vals[j] = 0;
		m->n++;
	}
	return &m->vals[j];
}

int pq_series_cmp(const void *a, const void *b)
{
	const pq_series *x = a, *y = b;
	return labels_compare(x->metric, y->metric);
}

/* ---- per-step cursor ---- */
int pq_stepper_init(ev *v, pq_stepper *st, const pq_matrix *m)
{
	st->m = m;
	st->cur = arena_calloc(v->a, m->n ? m->n : 1, sizeof *st->cur);
	return st->cur ? 0 : pq_nomem(v);
}

int pq_stepper_at(ev *v, pq_stepper *st, int64_t ts, pq_vec *vec)
{
	vec->n = 0;
	for (size_t i = 0; i < st->m->n; i++) {
		const pq_series *s = &st->m->s[i];
		size_t c = st->cur[i];
		while (c < s->n && s->s[c].t < ts)
			c++;
		st->cur[i] = c;
		if (c < s->n && s->s[c].t == ts) {
			int rc = pq_vec_push(v, vec, s->metric, s->s[c].v, ts, s->drop_name);
			if (rc)
				return rc;
			vec->e[vec->n - 1].sidx = (uint32_t)i;
		}
	}
	return 0;
}

/* ---- step collector ---- */
void pq_collect_init(pq_collect *c)
{
	memset(&c->m, 0, sizeof c->m);
	pq_map_init(&c->map);
	pq_map_init(&c->byptr);
}

static uint64_t elem_hash(const pq_elem *e)
{
	/* engine.go's rangeEval keys output series by their labels as they
	 * will be once a pending __name__ removal happened. */
	return e->drop_name ? labels_hash_for(e->metric, NULL, 0, false) : labels_hash(e->metric);
}

/* The series a label set was seen in before, by pointer (label sets are
 * immutable for the query), checked exactly; NULL when not known. */
static size_t *collect_by_ptr(pq_collect *c, const pq_elem *e, uint64_t pk)
{
	size_t *slot = e->metric.v ? pq_map_get(&c->byptr, pk) : NULL;
	if (!slot)
		return NULL;
	const pq_series *s = &c->m.s[*slot];
	bool same = s->metric.v == e->metric.v && s->metric.n == e->metric.n && s->drop_name == e->drop_name;
	return same ? slot : NULL;
}

int pq_collect_step(ev *v, pq_collect *c, const pq_vec *vec, int64_t ts)
{
	for (size_t i = 0; i < vec->n; i++) {
		const pq_elem *e = &vec->e[i];
		bool found = true;
		uint64_t pk = (uint64_t)(uintptr_t)e->metric.v * 0x9E3779B97F4A7C15ull; /* bijective mix */
		size_t *slot = collect_by_ptr(c, e, pk);
		if (!slot && !(slot = pq_map_put(&c->map, elem_hash(e), &found)))
			return pq_nomem(v);
		size_t idx = *slot;
		pq_series *s;
		if (!found) {
			s = pq_matrix_add(v, &c->m, e->metric, e->drop_name);
			if (!s || pq_series_reserve(v, s, pq_nsteps(v) - (size_t)((ts - v->start) / v->interval)))
				return FL_ENOMEM;
			idx = *slot = c->m.n - 1;
			if (e->metric.v) {
				size_t *ps = pq_map_put(&c->byptr, pk, &found);
				if (!ps)
					return pq_nomem(v);
				if (!found) /* a colliding pointer keeps its entry; we hash instead */
					*ps = idx;
			}
		} else {
			s = &c->m.s[idx];
			if (s->n && s->s[s->n - 1].t == ts)
				return pq_fail(v, PE_EXECUTION, FL_EEXEC,
					       "vector cannot contain metrics with the same labelset");
		}
		int rc = pq_series_push(v, s, ts, e->v);
		if (rc)
			return rc;
	}
	return 0;
}

void pq_collect_done(pq_collect *c, pq_val *out)
{
	memset(out, 0, sizeof *out);
	out->type = PT_VECTOR;
	out->m = c->m;
	pq_map_free(&c->map);
	pq_map_free(&c->byptr);
}

double pq_kahan_add(double inc, double sum, double *c)
{
	double t = sum + inc;
	if (isinf(t))
		*c = 0;
	else if (fabs(sum) >= fabs(inc))
		*c += (sum - t) + inc;
	else
		*c += (inc - t) + sum;
	return t;
}

const char *pq_g(ev *v, double x)
{
	char tmp[FMT_FLOAT_MAX];
	fmt_go_g(tmp, x);
	const char *r = arena_strdup(v->a, tmp);
	return r ? r : "";
}

const char *pq_quote(ev *v, const char *s)
{
	buf b;
	buf_init(&b);
	fmt_go_quote(&b, s, strlen(s));
	const char *r = arena_strdup(v->a, buf_cstr(&b));
	buf_reset(&b);
	return r ? r : "";
}

bool pq_valid_label_name(const char *s)
{
	if (!*s)
		return false;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
		if (!n)
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

size_t pq_search_gt(const sample *s, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (s[m].t > t)
			hi = m;
		else
			lo = m + 1;
	}
	return lo;
}

size_t pq_search_ge(const sample *s, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (s[m].t >= t)
			hi = m;
		else
			lo = m + 1;
	}
	return lo;
}
