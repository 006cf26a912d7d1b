/*
 * metadata.c - metric metadata from remote write for /api/v1/metadata
 * (see metadata.h). A lib/map.h table keyed by family name (32 bits of
 * its xxhash64 kept in the slot) under one mutex; writes
 * are rare next to samples (a sender repeats metadata every minute or so)
 * and a changed entry is replaced in place.
 *
 * Invariants: a used slot has a metric; no entry is ever deleted.
 */
#include "web/metadata.h"

#include <pthread.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "lib/map.h"
#include "remote/codec.h"

typedef struct slot {
	uint32_t h;   /* map tag: 32 bits of the name's hash, never 0; 0 = empty */
	char *metric; /* owned */
	int type;     /* rw_metric_type */
	char *help;   /* owned */
	char *unit;   /* owned */
} slot;

struct metadata_store {
	pthread_mutex_t mu; /* protects everything below */
	map slots;          /* slot entries */
};

static uint64_t slot_hash(const void *e) { return ((const slot *)e)->h; }
static bool slot_eq(const void *e, const void *key) { return !strcmp(((const slot *)e)->metric, key); }
static const map_type slot_type = {sizeof(slot), 64, slot_hash, slot_eq};

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
	slot *s;
	for (size_t i = 0; (s = map_next(&m->slots, &slot_type, &i));) {
		fl_free(s->metric);
		fl_free(s->help);
		fl_free(s->unit);
	}
	map_free(&m->slots);
	pthread_mutex_destroy(&m->mu);
	fl_free(m);
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
	uint32_t h = (uint32_t)hash_xxh64(metric, strlen(metric));
	h += !h;
	pthread_mutex_lock(&m->mu);
	slot *s = map_slot(&m->slots, &slot_type, h, metric);
	int rc = s ? 0 : FL_ENOMEM;
	if (!rc) {
		if (!s->h) {
			rc = set_str(&s->metric, metric);
			if (!rc) {
				s->h = h;
				map_added(&m->slots, s);
			}
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
	size_t n = map_len(&m->slots);
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
	size_t n_used = map_len(&m->slots);
	metadata_entry *v = n_used ? fl_calloc(n_used, sizeof *v) : NULL;
	size_t n = 0;
	bool oom = n_used && !v;
	const slot *s;
	for (size_t i = 0; v && (s = map_next(&m->slots, &slot_type, &i));) {
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
