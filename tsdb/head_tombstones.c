/*
 * head_tombstones.c - deleting from the head (Prometheus tsdb/head.go
 * Head.Delete, the head's tombstones.MemTombstones and their replay in
 * head_wal.go).
 *
 * delete_series on the head is two steps the db orders: compute one
 * interval per matching series, clamped to its samples
 * (head_delete_intervals), log them as a WAL tombstones record, then add
 * them to the head's tombstone set (head_add_tombstones). WAL replay and
 * the checkpoint (which keeps tombstones of live series) bring them back at
 * open. The samples stay in memory; readers hide them:
 *
 *   - a querier pins the set current when it opened (tombstones.h's
 *     copy-on-write set) and reads it without a lock;
 *   - a closed chunk wholly inside one interval is not collected, and a
 *     series left without chunks is not selected (as Prometheus's
 *     blockBaseSeriesSet); the open chunk always counts, as Prometheus's
 *     head index gives it maxTime MaxInt64 (so /api/v1/series still lists
 *     a series whose samples were all deleted while it has an open chunk);
 *   - iterators skip samples inside an interval; the chunk view re-encodes
 *     chunks an interval touches (series_chunks_add_xor).
 *
 * So a block cut from a head querier's chunk view (head compaction,
 * snapshots) holds no deleted sample. head_truncate drops the intervals
 * wholly before its mint (TruncateBefore).
 */
#include "tsdb/head_int.h"

#include <stdlib.h>

/* First and last sample time of s (series locked); false when it has none. */
static bool series_range(const hseries *s, int64_t *t0, int64_t *t1)
{
	if (!s->n_closed && !s->app.n)
		return false;
	*t0 = s->n_closed ? s->closed[0].mint : s->open_mint;
	*t1 = s->app.n ? s->app.t : s->closed[s->n_closed - 1].maxt;
	return true;
}

int head_delete_intervals(head *h, int64_t mint, int64_t maxt, const matcher *ms, size_t n, tomb **out,
			  size_t *n_out, err *e)
{
	*out = NULL;
	*n_out = 0;
	postings_list p;
	postings_init(&p);
	if (head__postings_for_matchers(h, ms, n, &p)) {
		postings_free(&p);
		return err_set(e, FL_ENOMEM, "head: out of memory deleting series");
	}
	tomb *v = p.n ? fl_malloc(p.n * sizeof *v) : NULL;
	if (p.n && !v) {
		postings_free(&p);
		return err_set(e, FL_ENOMEM, "head: out of memory deleting series");
	}
	size_t k = 0;
	for (size_t i = 0; i < p.n; i++) {
		hseries *s = head__series_by_ref(h, p.v[i]);
		if (!s)
			continue;
		int64_t t0 = 0, t1 = 0;
		head__series_lock(s);
		bool has = series_range(s, &t0, &t1);
		head__series_unlock(s);
		if (!has)
			continue;
		/* Delete only until the current values and not beyond (head.go). */
		if (t0 < mint)
			t0 = mint;
		if (t1 > maxt)
			t1 = maxt;
		if (t0 <= t1)
			v[k++] = (tomb){s->ref, t0, t1};
	}
	postings_free(&p);
	if (k == 0) {
		fl_free(v);
		v = NULL;
	}
	*out = v;
	*n_out = k;
	return 0;
}

int head_add_tombstones(head *h, const tomb *v, size_t n, int64_t *skipped, err *e)
{
	tomb *w = n ? fl_malloc(n * sizeof *w) : NULL;
	if (n && !w)
		return err_set(e, FL_ENOMEM, "head: out of memory adding tombstones");
	int64_t min_valid = atomic_load(&h->min_valid_time);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		hseries *s = head__series_by_ref(h, v[i].ref);
		if (!s || v[i].maxt < min_valid || v[i].mint > v[i].maxt)
			continue;
		w[k++] = (tomb){s->ref, v[i].mint, v[i].maxt}; /* an alias resolves to its series */
	}
	if (skipped)
		*skipped += (int64_t)(n - k);
	int rc = k ? tombstones_holder_add(&h->tombs, w, k, e) : 0;
	fl_free(w);
	return rc;
}

void head_tombstones_count(head *h, int64_t *series, int64_t *intervals)
{
	tomb_set *ts = tombstones_holder_acquire(&h->tombs);
	*series = ts->n_refs;
	*intervals = (int64_t)ts->n;
	tombstones_set_release(ts);
}

void head__tombstones_truncate(head *h, int64_t mint)
{
	tomb_set *cur = tombstones_holder_acquire(&h->tombs);
	bool any = false;
	for (size_t i = 0; i < cur->n && !any; i++)
		any = cur->v[i].mint < mint;
	tomb_set *ts = any ? tombstones_set_truncate(cur, mint) : NULL;
	tombstones_set_release(cur);
	if (ts) /* on OOM the old set stays: it only hides more than needed */
		tombstones_holder_swap(&h->tombs, ts);
}
