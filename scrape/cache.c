/*
 * cache.c - one target's scrape cache (see cache.h; Prometheus
 * scrape/scrape.go scrapeCache).
 *
 * Both tables are lib/map.h tables of 16-byte slots {tag, pointer}: the tag
 * is the key hash's high 32 bits forced nonzero, the pointer the entry
 * (fl_malloc'd with its key inline). Probing uses the hash's low bits.
 *
 * Invariants:
 *   1. Every entry's khash is xxhash64 of its key; it is stored under it.
 *   2. tracked <= seen <= iter for every entry.
 *   3. A dropped entry has an empty lset and ref 0.
 */
#include "scrape/cache.h"

#include <stdlib.h>

#include "lib/hash.h"

typedef struct slot {
	uint32_t tag;   /* high hash bits | 1 (0 = empty) */
	uint32_t pad;   /* unused */
	void *p;        /* scrape_centry or scrape_meta */
} slot;

static uint32_t tag_of(uint64_t h) { return (uint32_t)(h >> 32) | 1u; }

static uint64_t centry_hash(const void *e) { return ((const scrape_centry *)((const slot *)e)->p)->khash; }
static bool centry_eq(const void *e, const void *key)
{
	const scrape_centry *c = ((const slot *)e)->p;
	const slice *k = key;
	return c->key_len == k->len && !memcmp(c->key, k->p, k->len);
}
static const map_type centry_type = {sizeof(slot), 64, centry_hash, centry_eq};

static uint64_t meta_hash(const void *e) { return ((const scrape_meta *)((const slot *)e)->p)->khash; }
static bool meta_eq(const void *e, const void *key)
{
	const scrape_meta *m = ((const slot *)e)->p;
	const slice *k = key;
	return strlen(m->name) == k->len && !memcmp(m->name, k->p, k->len);
}
static const map_type meta_type = {sizeof(slot), 16, meta_hash, meta_eq};

void scrape_cache_init(scrape_cache *c)
{
	map_init(&c->series);
	map_init(&c->meta);
	c->iter = 1;
	c->good_count = 0;
	c->seq = c->cur = NULL;
	c->n_seq = c->n_cur = c->cap_seq = c->cap_cur = c->pos = 0;
	c->seq_lossy = c->cur_lossy = false;
	c->n_seen = c->n_meta_seen = 0;
	c->stale_pass = 0;
	pthread_mutex_init(&c->meta_mu, NULL);
}

static void centry_free(scrape_centry *e)
{
	fl_free((void *)e->lset.v);
	fl_free(e);
}

static void meta_free(scrape_meta *m)
{
	if (!m)
		return;
	fl_free(m->name);
	fl_free(m->help);
	fl_free(m->unit);
	fl_free(m);
}

void scrape_cache_free(scrape_cache *c)
{
	slot *s;
	for (size_t i = 0; (s = map_next(&c->series, &centry_type, &i));)
		centry_free(s->p);
	map_free(&c->series);
	for (size_t i = 0; (s = map_next(&c->meta, &meta_type, &i));)
		meta_free(s->p);
	map_free(&c->meta);
	fl_free(c->seq);
	fl_free(c->cur);
	pthread_mutex_destroy(&c->meta_mu);
}

size_t scrape_cache_len(const scrape_cache *c) { return map_len(&c->series); }

/* Record e as this scrape's next entry. */
static void seq_push(scrape_cache *c, scrape_centry *e)
{
	if (c->n_cur == c->cap_cur && !fl_grow((void **)&c->cur, &c->cap_cur, c->n_cur + 1, sizeof *c->cur)) {
		c->cur_lossy = true; /* a hint less; the stale walk takes the table */
		return;
	}
	c->cur[c->n_cur++] = e;
}

/* e is this scrape's next series: past it in the previous order, seen. */
static scrape_centry *take(scrape_cache *c, scrape_centry *e, bool *already)
{
	c->pos++;
	*already = e->seen == c->iter;
	if (!*already)
		c->n_seen++;
	e->seen = c->iter;
	e->idx = c->n_cur;
	seq_push(c, e);
	return e;
}

scrape_centry *scrape_cache_get(scrape_cache *c, slice key, bool *already)
{
	*already = false;
	if (c->pos < c->n_seq) {
		scrape_centry *g = c->seq[c->pos];
		if (g->key_len == key.len && !memcmp(g->key, key.p, key.len))
			return take(c, g, already);
	}
	uint64_t h = hash_xxh64(key.p, key.len);
	slot *s = map_find(&c->series, &centry_type, h, &key);
	if (!s)
		return NULL;
	scrape_centry *e = s->p;
	if (e->idx < c->n_seq && c->seq[e->idx] == e)
		c->pos = e->idx; /* resync the cursor */
	return take(c, e, already);
}

scrape_centry *scrape_cache_take_hint(scrape_cache *c, bool *already)
{
	return take(c, c->seq[c->pos], already);
}

scrape_centry *scrape_cache_add(scrape_cache *c, slice key, series_ref ref, labels lset, bool dropped)
{
	uint64_t h = hash_xxh64(key.p, key.len);
	scrape_centry *e = fl_malloc(sizeof *e + key.len);
	if (!e)
		return NULL;
	*e = (scrape_centry){.ref = dropped ? 0 : ref, .seen = c->iter, .dropped = dropped, .khash = h, .key_len = key.len,
			     .hint_ok = key.len && !memchr(key.p, '\n', key.len)};
	memcpy(e->key, key.p, key.len);
	if (!dropped && lset.n) {
		e->lset = labels_dup(lset);
		if (!e->lset.v) {
			fl_free(e);
			return NULL;
		}
	}
	slot *s = map_slot(&c->series, &centry_type, h, &key);
	if (!s) {
		centry_free(e);
		return NULL;
	}
	if (map_used(s)) { /* already there (callers add only after a miss) */
		centry_free(e);
		return s->p;
	}
	*s = (slot){tag_of(h), 0, e};
	map_added(&c->series, s);
	c->n_seen++;
	e->idx = c->n_cur;
	seq_push(c, e);
	return e;
}

static bool stale_candidate(const scrape_cache *c, const scrape_centry *e)
{
	return e->tracked && e->tracked + 1 == c->iter;
}

void scrape_cache_each_stale(scrape_cache *c, bool (*fn)(void *ctx, scrape_centry *e), void *ctx)
{
	if (c->seq_lossy) {
		slot *s;
		for (size_t i = 0; (s = map_next(&c->series, &centry_type, &i));)
			if (stale_candidate(c, s->p) && !fn(ctx, s->p))
				return;
		return;
	}
	/* an entry may stand twice in the sequence (repeated on its page):
	 * the pass number visits it once */
	uint64_t pass = ++c->stale_pass;
	for (size_t i = 0; i < c->n_seq; i++) {
		scrape_centry *e = c->seq[i];
		if (e->stale_pass == pass || !stale_candidate(c, e))
			continue;
		e->stale_pass = pass;
		if (!fn(ctx, e))
			return;
	}
}

bool scrape_cache_iter_done(scrape_cache *c, bool flush)
{
	size_t count = map_len(&c->series) + map_len(&c->meta);
	bool forced = false;
	if (flush)
		c->good_count = count;
	else if (count > c->good_count * 2 + 1000)
		flush = forced = true; /* varying labels in failed scrapes: Prometheus's forced flush */
	if (flush && c->n_seen < map_len(&c->series)) {
		/* map_del moves later entries back: restart the scan at the
		 * hole after each deletion. */
		slot *s;
		for (size_t i = 0; (s = map_next(&c->series, &centry_type, &i));) {
			scrape_centry *e = s->p;
			if (e->seen != c->iter) {
				map_del(&c->series, &centry_type, s);
				centry_free(e);
				i--;
			}
		}
	}
	if (flush && c->n_meta_seen < map_len(&c->meta)) {
		slot *s;
		pthread_mutex_lock(&c->meta_mu);
		for (size_t i = 0; (s = map_next(&c->meta, &meta_type, &i));) {
			scrape_meta *m = s->p;
			if (c->iter - m->seen > 10) {
				map_del(&c->meta, &meta_type, s);
				meta_free(m);
				i--;
			}
		}
		pthread_mutex_unlock(&c->meta_mu);
	}
	/* this scrape's order is the next one's guide; the old sequence may
	 * hold entries just freed */
	scrape_centry **t = c->seq;
	size_t tc = c->cap_seq;
	c->seq = c->cur;
	c->n_seq = c->n_cur;
	c->cap_seq = c->cap_cur;
	c->cur = t;
	c->cap_cur = tc;
	c->n_cur = 0;
	c->seq_lossy = c->cur_lossy;
	c->cur_lossy = false;
	c->pos = 0;
	c->iter++;
	c->n_seen = c->n_meta_seen = 0;
	return forced;
}

int scrape_ref_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void scrape_cache_forget_refs(scrape_cache *c, const uint64_t *refs, size_t n)
{
	slot *s;
	for (size_t i = 0; (s = map_next(&c->series, &centry_type, &i));) {
		scrape_centry *e = s->p;
		if (e->ref && (!refs || bsearch(&e->ref, refs, n, sizeof *refs, scrape_ref_cmp)))
			e->ref = 0;
	}
}

/* ---- metadata ---- */

static bool set_str(char **dst, slice text)
{
	if (*dst && strlen(*dst) == text.len && !memcmp(*dst, text.p, text.len))
		return false;
	char *n = fl_strndup(text.p ? text.p : "", text.len);
	if (!n)
		return false;
	fl_free(*dst);
	*dst = n;
	return true;
}

bool scrape_cache_set_meta(scrape_cache *c, slice name, char kind, slice text)
{
	uint64_t h = hash_xxh64(name.p, name.len);
	bool changed = false;
	pthread_mutex_lock(&c->meta_mu);
	slot *s = map_slot(&c->meta, &meta_type, h, &name);
	if (!s)
		goto out;
	scrape_meta *m = map_used(s) ? s->p : NULL;
	if (!m) {
		m = fl_calloc(1, sizeof *m);
		if (!m || !(m->name = fl_strndup(name.p, name.len)) || !(m->help = fl_strdup("")) ||
		    !(m->unit = fl_strdup(""))) {
			meta_free(m);
			goto out;
		}
		m->type = "unknown";
		m->khash = h;
		*s = (slot){tag_of(h), 0, m};
		map_added(&c->meta, s);
		changed = true;
	}
	if (m->seen != c->iter)
		c->n_meta_seen++;
	m->seen = c->iter;
	if (kind == 't') {
		if (strcmp(m->type, text.p))
			changed = true, m->type = text.p;
	} else if (kind == 'h') {
		changed |= set_str(&m->help, text);
	} else {
		changed |= set_str(&m->unit, text);
	}
out:
	pthread_mutex_unlock(&c->meta_mu);
	return changed;
}

const scrape_meta *scrape_cache_meta_get(scrape_cache *c, slice name)
{
	slot *s = map_find(&c->meta, &meta_type, hash_xxh64(name.p, name.len), &name);
	return s ? s->p : NULL;
}

static int meta_cmp(const void *a, const void *b)
{
	return strcmp(((const scrape_meta *)a)->name, ((const scrape_meta *)b)->name);
}

size_t scrape_cache_metadata(scrape_cache *c, arena *a, scrape_meta **out)
{
	pthread_mutex_lock(&c->meta_mu);
	size_t n = 0, cap = map_len(&c->meta);
	scrape_meta *v = cap ? arena_calloc(a, cap, sizeof *v) : NULL;
	slot *s;
	for (size_t i = 0; v && (s = map_next(&c->meta, &meta_type, &i));) {
		scrape_meta *m = s->p;
		v[n] = (scrape_meta){.name = arena_strdup(a, m->name), .type = m->type, .help = arena_strdup(a, m->help),
				     .unit = arena_strdup(a, m->unit), .seen = m->seen};
		if (v[n].name && v[n].help && v[n].unit)
			n++;
	}
	pthread_mutex_unlock(&c->meta_mu);
	if (n > 1)
		qsort(v, n, sizeof *v, meta_cmp);
	*out = v;
	return n;
}
