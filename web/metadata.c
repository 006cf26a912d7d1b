/*
 * metadata.c - metric metadata from remote write for /api/v1/metadata
 * (see metadata.h). An open-addressing table keyed by family name
 * (xxhash64, linear probing, load factor <= 1/2) under one mutex; writes
 * are rare next to samples (a sender repeats metadata every minute or so)
 * and a changed entry is replaced in place.
 *
 * Invariants: slots[i].metric == NULL marks an empty slot; n_used counts
 * the others; cap is a power of two; no entry is ever deleted.
 */
#include "web/metadata.h"

#include <pthread.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "web/remote_codec.h"

typedef struct slot {
	char *metric; /* owned; NULL = empty */
	int type;     /* rw_metric_type */
	char *help;   /* owned */
	char *unit;   /* owned */
} slot;

struct metadata_store {
	pthread_mutex_t mu; /* protects everything below */
	slot *slots;        /* table */
	size_t cap;         /* slots allocated (power of two) */
	size_t n_used;      /* slots in use */
};

metadata_store *metadata_store_new(void)
{
	metadata_store *m = fl_calloc(1, sizeof *m);
	if (!m)
		return NULL;
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void metadata_store_free(metadata_store *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		fl_free(m->slots[i].metric);
		fl_free(m->slots[i].help);
		fl_free(m->slots[i].unit);
	}
	fl_free(m->slots);
	pthread_mutex_destroy(&m->mu);
	fl_free(m);
}

static size_t find(const slot *t, size_t cap, const char *metric)
{
	size_t h = hash_xxh64(metric, strlen(metric)) & (cap - 1);
	while (t[h].metric && strcmp(t[h].metric, metric))
		h = (h + 1) & (cap - 1);
	return h;
}

static int grow(metadata_store *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	slot *t = fl_calloc(cap, sizeof *t);
	if (!t)
		return FL_ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].metric)
			t[find(t, cap, m->slots[i].metric)] = m->slots[i];
	fl_free(m->slots);
	m->slots = t;
	m->cap = cap;
	return 0;
}

/* Replace *dst with a copy of s unless equal. */
static int set_str(char **dst, const char *s)
{
	if (*dst && !strcmp(*dst, s))
		return 0;
	char *c = fl_strdup(s);
	if (!c)
		return FL_ENOMEM;
	fl_free(*dst);
	*dst = c;
	return 0;
}

int metadata_store_set(metadata_store *m, const char *metric, int type, const char *help, const char *unit)
{
	if (!metric || !metric[0])
		return 0;
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	if ((m->n_used + 1) * 2 > m->cap)
		rc = grow(m);
	if (!rc) {
		slot *s = &m->slots[find(m->slots, m->cap, metric)];
		if (!s->metric) {
			rc = set_str(&s->metric, metric);
			if (!rc)
				m->n_used++;
		}
		if (!rc) {
			s->type = type;
			rc = set_str(&s->help, help ? help : "");
		}
		if (!rc)
			rc = set_str(&s->unit, unit ? unit : "");
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

size_t metadata_store_len(metadata_store *m)
{
	pthread_mutex_lock(&m->mu);
	size_t n = m->n_used;
	pthread_mutex_unlock(&m->mu);
	return n;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const metadata_entry *)a)->metric, ((const metadata_entry *)b)->metric);
}

size_t metadata_store_snapshot(metadata_store *m, metadata_entry **out)
{
	*out = NULL;
	pthread_mutex_lock(&m->mu);
	metadata_entry *v = m->n_used ? fl_calloc(m->n_used, sizeof *v) : NULL;
	size_t n = 0;
	bool oom = m->n_used && !v;
	for (size_t i = 0; v && i < m->cap; i++) {
		const slot *s = &m->slots[i];
		if (!s->metric)
			continue;
		v[n] = (metadata_entry){fl_strdup(s->metric), rw_metric_type_name(s->type), fl_strdup(s->help ? s->help : ""),
					fl_strdup(s->unit ? s->unit : "")};
		oom |= !v[n].metric || !v[n].help || !v[n].unit;
		n++;
	}
	pthread_mutex_unlock(&m->mu);
	if (oom) {
		metadata_snapshot_free(v, n);
		return 0;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, entry_cmp);
	*out = v;
	return n;
}

void metadata_snapshot_free(metadata_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		fl_free(v[i].metric);
		fl_free(v[i].help);
		fl_free(v[i].unit);
	}
	fl_free(v);
}
