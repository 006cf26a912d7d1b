/*
 * db_delete.c - delete_series and clean_tombstones (Prometheus tsdb/db.go
 * DB.Delete and DB.CleanTombstones, block.go Block.Delete and
 * Block.CleanTombstones).
 *
 * Delete, under the maintenance lock (Prometheus's cmtx: no compaction,
 * reload or retention meanwhile):
 *   1. every loaded block overlapping [mint, maxt] (MinTime <= maxt and
 *      mint < MaxTime): for each matching series with a chunk overlapping
 *      the interval, [mint, maxt] clamped to the series' first and last
 *      chunk; block_add_tombstones merges them, rewrites the tombstones
 *      file and meta.json, and swaps the block's in-memory set;
 *   2. the head, when it overlaps: one interval per matching series
 *      clamped to its samples (head_delete_intervals), logged as a WAL
 *      tombstones record (type 3) first, then added to the head's set. WAL
 *      replay and checkpoints bring them back after a restart.
 * A querier opened before keeps the sets it pinned (it may still see the
 * data); every one opened after a successful delete does not.
 *
 * Clean: each block with tombstones is rewritten through a querier on it
 * (compact_rewrite_block: chunks cut by tombstones re-encoded) as a level-1
 * block with the same range and the old block as its parent, then the db
 * reloads, which drops the parent. A block left with no sample is dropped
 * from the set (deleted at its last reader). Repeated until no block has
 * tombstones, as Prometheus does.
 */
#include "tsdb/db.h"
#include "tsdb/block.h"
#include "tsdb/compact.h"
#include "tsdb/db_blocks.h"
#include "tsdb/index.h"
#include "tsdb/record.h"
#include "tsdb/tombstones.h"
#include "lib/log.h"

#include <stdio.h>

/* Block.Delete's first half: the intervals for b's series matching ms. */
static int block_intervals(block *b, int64_t mint, int64_t maxt, const matcher *ms, size_t n, tomb **out,
			   size_t *n_out, err *e)
{
	*out = NULL;
	*n_out = 0;
	index_reader *ix = block_index(b);
	postings_list p;
	postings_init(&p);
	int rc = index_postings_for_matchers(index_reader_source(ix), ms, n, &p, e);
	tomb *v = NULL;
	size_t k = 0, cap = 0;
	chunk_meta *chks = NULL;
	size_t n_chks = 0, chks_cap = 0;
	arena a;
	arena_init(&a);
	for (size_t i = 0; i < p.n && rc == 0; i++) {
		labels ls;
		n_chks = 0;
		arena_reset(&a);
		if ((rc = index_series(ix, p.v[i], &a, &ls, &chks, &n_chks, &chks_cap, e)))
			break;
		for (size_t c = 0; c < n_chks; c++) {
			if (chks[c].mint > maxt || chks[c].maxt < mint)
				continue;
			int64_t t0 = mint < chks[0].mint ? chks[0].mint : mint;
			int64_t t1 = maxt > chks[n_chks - 1].maxt ? chks[n_chks - 1].maxt : maxt;
			if (!fl_grow((void **)&v, &cap, k + 1, sizeof *v))
				rc = err_set(e, FL_ENOMEM, "delete: out of memory");
			else
				v[k++] = (tomb){p.v[i], t0, t1};
			break;
		}
	}
	arena_reset(&a);
	fl_free(chks);
	postings_free(&p);
	if (rc) {
		fl_free(v);
		err_wrap(e, "block %s", block_meta_get(b)->ulid);
		return rc;
	}
	*out = v;
	*n_out = k;
	return 0;
}

static int delete_head(db *d, int64_t mint, int64_t maxt, const matcher *ms, size_t n, err *e)
{
	head *h = db__head(d);
	head_stats hs;
	head_get_stats(h, &hs);
	if (hs.max_time == INT64_MIN || hs.min_time > maxt || mint > hs.max_time)
		return 0; /* Head.OverlapsClosedInterval */
	tomb *v;
	size_t k;
	int rc = head_delete_intervals(h, mint, maxt, ms, n, &v, &k, e);
	if (rc || k == 0)
		return rc;
	record_tombstone *r = fl_malloc(k * sizeof *r);
	buf b;
	buf_init(&b);
	if (r) {
		for (size_t i = 0; i < k; i++)
			r[i] = (record_tombstone){v[i].ref, v[i].mint, v[i].maxt};
		record_encode_tombstones(&b, r, k);
	}
	if (!r || b.oom)
		rc = err_set(e, FL_ENOMEM, "delete: out of memory");
	if (rc == 0)
		rc = db__log_record(d, b.p, b.len, e);
	if (rc == 0)
		rc = head_add_tombstones(h, v, k, NULL, e);
	buf_reset(&b);
	fl_free(r);
	fl_free(v);
	return rc;
}

int db_delete(db *d, int64_t mint, int64_t maxt, const matcher *ms, size_t n, err *e)
{
	if (db__read_only(d))
		return err_set(e, FL_EINVAL, "delete: the database is open read-only");
	db__maint_lock(d);
	db_block_set *bs = db__blocks_acquire(d);
	int rc = 0;
	for (size_t i = 0; i < bs->n && rc == 0; i++) {
		block *b = bs->v[i]->b;
		const block_meta *m = block_meta_get(b);
		if (m->min_time > maxt || mint >= m->max_time)
			continue;
		tomb *v;
		size_t k;
		rc = block_intervals(b, mint, maxt, ms, n, &v, &k, e);
		if (rc == 0)
			rc = block_add_tombstones(b, v, k, e);
		fl_free(v);
	}
	db_block_set_release(bs);
	if (rc == 0)
		rc = delete_head(d, mint, maxt, ms, n, e);
	db__maint_unlock(d);
	return rc;
}

/* ---- clean_tombstones ---- */

/* Block.CleanTombstones + compactor.Write(dest, b, mint, maxt, parent). */
static int clean_block(db *d, db_block *x, bool *dropped, err *e)
{
	block *b = x->b;
	const block_meta *m = block_meta_get(b);
	block_meta nm;
	int rc = compact_rewrite_block(b, db_dir(d), &nm, e);
	*dropped = rc == FL_ENOTFOUND;
	if (rc == 0)
		log_info("tsdb", "Rewrote block without its tombstones", "old", m->ulid, "new", nm.ulid, NULL);
	return *dropped ? 0 : rc;
}

/* Drop block i of the current set bs (all its data was deleted). */
static int drop_block(db *d, db_block_set *bs, size_t i, err *e)
{
	bool *del = fl_calloc(bs->n, sizeof *del);
	if (!del)
		return err_set(e, FL_ENOMEM, "clean tombstones: out of memory");
	del[i] = true;
	db_block_set *ns = db_block_set_without(bs, del);
	fl_free(del);
	if (!ns)
		return err_set(e, FL_ENOMEM, "clean tombstones: out of memory");
	log_info("tsdb", "Dropping block: every sample deleted", "block", block_meta_get(bs->v[i]->b)->ulid, NULL);
	db__blocks_swap(d, ns);
	return 0;
}

int db_clean_tombstones(db *d, err *e)
{
	if (db__read_only(d))
		return err_set(e, FL_EINVAL, "clean tombstones: the database is open read-only");
	db__maint_lock(d);
	int rc = 0;
	bool again = true;
	/* Each round cleans one block and reloads; the set shrinks by one
	 * block with tombstones per round, so rounds are bounded by its size. */
	for (size_t round = 0; again && rc == 0 && round < 100000; round++) {
		again = false;
		db_block_set *bs = db__blocks_acquire(d);
		for (size_t i = 0; i < bs->n && !again && rc == 0; i++) {
			tomb_set *ts = block_tombstones_acquire(bs->v[i]->b);
			size_t n = ts->n;
			tombstones_set_release(ts);
			if (n == 0)
				continue;
			bool dropped = false;
			rc = clean_block(d, bs->v[i], &dropped, e);
			if (rc == 0)
				rc = dropped ? drop_block(d, bs, i, e) : db_reload(d, e);
			if (rc)
				err_wrap(e, "clean tombstones: %s", block_dir(bs->v[i]->b));
			again = true;
		}
		db_block_set_release(bs);
	}
	db__maint_unlock(d);
	return rc;
}
