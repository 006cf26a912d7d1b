/*
 * cache.h - one target's scrape cache (Prometheus scrape/scrape.go
 * scrapeCache): what a steady target needs so that a scrape does not hash,
 * relabel or look up a series it already knows.
 *
 *   series bytes as written ("name{a=\"b\"}", textparse_series) ──▶ entry:
 *       ref      the head's series ref (0 = unknown: append by labels)
 *       lset     the final labels (target labels, relabeling applied)
 *       dropped  metric_relabel_configs dropped it: skip without work
 *       seen     iteration of the last scrape that had it
 *       tracked  iteration of the last scrape that counts it for staleness
 *   family name ──▶ metadata (type, help, unit)
 *
 * A steady target does not hash: the previous scrape's order is followed
 * (see seq below), one memcmp per series.
 *
 * Iterations: every scrape is one (scrape_cache_iter_done ends it). A
 * series tracked in the previous iteration and not in this one has left
 * the target: it gets a stale marker (Prometheus's seriesPrev/seriesCur).
 * A successful scrape flushes entries it did not see; a failed one keeps
 * them unless the cache has grown past twice its last good size + 1000.
 * Metadata stays ten iterations after its family was last seen. A steady
 * scrape walks neither table: the stale candidates are in the previous
 * scrape's sequence, and a flush is skipped when every entry was seen.
 *
 * Threads: the series side belongs to the scrape thread; metadata is also
 * read by web (scrape_cache_metadata under the cache's own mutex).
 */
#ifndef FL_SCRAPE_CACHE_H
#define FL_SCRAPE_CACHE_H

#include <pthread.h>

#include "lib/arena.h"
#include "lib/fl.h"
#include "lib/map.h"
#include "tsdb/labels.h"
#include "tsdb/storage.h"

typedef struct scrape_centry {
	series_ref ref;       /* head series ref, 0 = unknown */
	uint64_t seen;        /* iteration last seen */
	uint64_t tracked;     /* iteration last tracked for staleness; 0 = never */
	labels lset;          /* final labels (one fl_malloc block), empty when dropped */
	bool dropped;         /* relabeled away */
	bool hint_ok;         /* the key may guide the parser (no newline in it) */
	uint64_t khash;       /* hash of the key bytes */
	size_t idx;           /* its position in the sequence it was last put in (see seq) */
	uint64_t stale_pass;  /* the scrape_cache_each_stale call that last visited it */
	size_t key_len;       /* length of key */
	char key[];           /* the series bytes */
} scrape_centry;

typedef struct scrape_meta {
	char *name;           /* family (owned, with the strings below in one block) */
	const char *type;     /* static: "counter", ..., "unknown" */
	char *help;           /* owned, "" when none */
	char *unit;           /* owned, "" when none */
	uint64_t seen;        /* iteration last seen */
	uint64_t khash;       /* hash of name */
} scrape_meta;

typedef struct scrape_cache {
	map series;           /* scrape_centry pointers by key bytes */
	/* The previous scrape's entries in page order, and this one's: a
	 * steady page comes in the same order, so the entry at the cursor is
	 * compared first and the key is hashed only on a mismatch (then the
	 * cursor resyncs after the entry found). Only hints: a wrong guess
	 * costs one compare. */
	scrape_centry **seq, **cur;
	size_t n_seq, n_cur, cap_seq, cap_cur;
	size_t pos;           /* cursor into seq */
	bool seq_lossy, cur_lossy; /* an entry could not be recorded in it (out of memory) */
	uint64_t iter;        /* current iteration, from 1 */
	size_t n_seen;        /* entries whose seen is iter (none to flush when all are) */
	size_t n_meta_seen;   /* families whose seen is iter */
	uint64_t stale_pass;  /* scrape_cache_each_stale calls so far */
	size_t good_count;    /* entries after the last successful scrape */
	pthread_mutex_t meta_mu; /* guards meta */
	map meta;             /* scrape_meta pointers by name */
} scrape_cache;

void scrape_cache_init(scrape_cache *c);
void scrape_cache_free(scrape_cache *c);
/* The entry for key, marked seen in this iteration; NULL when unknown.
 * *already is true when it was seen before in this same iteration. */
scrape_centry *scrape_cache_get(scrape_cache *c, slice key, bool *already);
/* The entry the previous scrape had at this point of its page, when its
 * key may guide the parser (textparse_expect); NULL when none. */
static inline const scrape_centry *scrape_cache_hint(const scrape_cache *c)
{
	if (c->pos >= c->n_seq)
		return NULL;
	/* the entries are scattered in memory and a page walks them in
	 * order: fetch a few ahead while this line is parsed */
	if (c->pos + 4 < c->n_seq) {
		__builtin_prefetch(c->seq[c->pos + 4], 1);
		__builtin_prefetch((const char *)c->seq[c->pos + 4] + 64, 1);
	}
	const scrape_centry *e = c->seq[c->pos];
	return e->hint_ok ? e : NULL;
}
/* The page had the hint's series: scrape_cache_get without the compare. */
scrape_centry *scrape_cache_take_hint(scrape_cache *c, bool *already);
/* Add an entry (lset copied; empty when dropped). NULL when out of memory. */
scrape_centry *scrape_cache_add(scrape_cache *c, slice key, series_ref ref, labels lset, bool dropped);
static inline void scrape_cache_track(scrape_cache *c, scrape_centry *e) { e->tracked = c->iter; }
/* Call fn for each entry tracked in the previous iteration and not in
 * this one; stops when fn returns false. Walks the previous iteration's
 * sequence (every entry tracked then is in it), not the whole table. */
void scrape_cache_each_stale(scrape_cache *c, bool (*fn)(void *ctx, scrape_centry *e), void *ctx);
/* End of an iteration (flush after a successful scrape). True when a
 * failed scrape's cache had grown so that it was flushed anyway. */
bool scrape_cache_iter_done(scrape_cache *c, bool flush);
/* Forget the refs the head removed (refs ascending, borrowed for the
 * call; NULL: every ref): those entries are appended by labels next time. */
void scrape_cache_forget_refs(scrape_cache *c, const uint64_t *refs, size_t n);
/* qsort/bsearch order of uint64_t refs. */
int scrape_ref_cmp(const void *a, const void *b);
/* Metadata: set one field of family name: kind 't' type (text.p a static
 * string such as "counter"), 'h' help, 'u' unit. Marks the family seen.
 * Returns true when a field changed or the family is new. */
bool scrape_cache_set_meta(scrape_cache *c, slice name, char kind, slice text);
/* The family's current metadata (valid until the next set on this
 * thread); NULL when unknown. Scrape thread only. */
const scrape_meta *scrape_cache_meta_get(scrape_cache *c, slice name);
/* Copy every family's metadata into a, sorted by name. */
size_t scrape_cache_metadata(scrape_cache *c, arena *a, scrape_meta **out);
size_t scrape_cache_len(const scrape_cache *c);

#endif
