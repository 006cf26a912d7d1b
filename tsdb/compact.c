/*
 * compact.c - block compaction (Prometheus 2.42 tsdb/compact.go
 * LeveledCompactor: Plan, Compact, Write, populateBlock).
 *
 * Writing: every block flint cuts comes out of compact_write, which reads
 * a querier's chunk view (storage.h series_set_chunks) in label order and
 * hands the chunks to the block writer (block_write.c). The querier does
 * the real work, so that one path serves all three callers:
 *   - head compaction: the head's querier over [mint, maxt - 1] (a
 *     snapshot under the head's isolation, so appends go on meanwhile, as
 *     Prometheus's RangeHead); chunks wholly inside pass through as stored;
 *   - block compaction: the inputs' block queriers merged by querier_merge,
 *     whose chunk view merges overlapping chunks (vertical compaction) and
 *     whose block queriers re-encode chunks that tombstones cut, so deleted
 *     data is dropped on rewrite;
 *   - tombstone cleaning: the same over one block.
 *
 * Planning (compact_plan) is LeveledCompactor.plan over the block metas:
 *   1. selectOverlappingDirs: the first run of blocks whose ranges overlap;
 *   2. else, without the newest block (it stays a full range for backups),
 *      selectDirs: for each range above the first, split the blocks into
 *      aligned groups (splitByRange) and take the first group of two or
 *      more that spans the range or ends before the newest remaining block
 *      begins (so three 2h blocks wait for a fourth);
 *   3. else a block at least ranges[n/2] long with > 5% of its series
 *      tombstoned, or any block that is all tombstones.
 *
 * Invariants:
 *  1. Nothing named <ulid> appears unless whole (block_writer).
 *  2. Inputs are only read: deleting them is the db's (db_reload drops the
 *     parents of a loaded block), so a crash before the new block is
 *     renamed into place leaves the old state, after it both (and the
 *     parents go at the next open).
 */
#include "tsdb/compact.h"

#include "lib/buf.h"
#include "tsdb/chunk.h"

#include <stdio.h>

/* Every label name and value q's source knows, into the block's symbol
 * table, sealed: Prometheus's populateBlock writes its inputs' Symbols() - for a
 * RangeHead all of the head's, for blocks all of theirs - so strings of
 * series with no sample in the range (new, deleted) are in it too, and
 * the index comes out byte for byte the same. */
static int add_symbols(querier *q, block_writer *bw, err *e)
{
	strlist names = {0}, vals = {0};
	int rc = querier_label_names(q, NULL, 0, &names, e);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		rc = block_writer_add_symbol(bw, names.v[i], e);
		if (rc == 0)
			rc = querier_label_values(q, names.v[i], NULL, 0, &vals, e);
		for (size_t j = 0; rc == 0 && j < vals.n; j++)
			rc = block_writer_add_symbol(bw, vals.v[j], e);
		strlist_free(&vals);
	}
	strlist_free(&names);
	/* a superset of every series' strings: the series stream to the index */
	return rc ? rc : block_writer_seal_symbols(bw, e);
}

/* Input blocks' mapped pages are let go after every this many chunk
 * bytes written (see write_series). */
#define DROP_PAGES_EVERY (8u << 20)

/* compact_write reading from the blocks bs[0..nb) (none for the head):
 * as the series go by in label order, each input's chunk segments and
 * index are read front to back once, and the pages read stay mapped, so
 * the process's RSS would grow by the inputs' size; every
 * DROP_PAGES_EVERY bytes they are let go (the page cache keeps them). */
static int write_series(querier *q, const char *dir, int64_t mint, int64_t maxt, const block_compaction *c,
			block *const *bs, size_t nb, block_meta *out, err *e)
{
	select_hints h = {.start_ms = mint, .end_ms = maxt - 1, .labels_transient = true};
	series_set *ss = querier_select(q, true, &h, NULL, 0);
	block_writer *bw = NULL;
	chunks_item *items = NULL;
	size_t cap = 0, since_drop = 0;
	int rc = 0;
	while (rc == 0 && series_set_next(ss)) {
		const chunk_data *cd;
		size_t n = 0;
		if ((rc = series_set_chunks(ss, &cd, &n, e)) || n == 0)
			continue;
		if (!fl_grow((void **)&items, &cap, n, sizeof *items)) {
			rc = err_set(e, FL_ENOMEM, "compaction: out of memory");
			break;
		}
		for (size_t i = 0; i < n; i++) {
			items[i] = (chunks_item){.mint = cd[i].mint, .maxt = cd[i].maxt, .enc = CHUNK_ENC_XOR,
						 .data = cd[i].b, .len = cd[i].len};
			since_drop += cd[i].len;
		}
		if (!bw && (bw = block_writer_open(dir, mint, maxt, c, e)) != NULL)
			rc = add_symbols(q, bw, e);
		else if (!bw)
			rc = e && e->code ? e->code : FL_EIO;
		if (rc == 0)
			rc = block_writer_add_series(bw, series_set_labels(ss), items, n, e);
		if (since_drop >= DROP_PAGES_EVERY) {
			since_drop = 0;
			for (size_t i = 0; i < nb; i++) {
				chunks_drop_pages(block_chunks(bs[i]));
				index_drop_pages(block_index(bs[i]));
			}
		}
	}
	if (rc == 0)
		rc = series_set_err(ss, e);
	series_set_close(ss);
	fl_free(items);
	if (rc == 0 && !bw)
		return err_set(e, FL_ENOTFOUND, "compaction: no series in [%lld, %lld)", (long long)mint, (long long)maxt);
	if (rc == 0)
		return block_writer_commit(bw, out, e);
	block_writer_abort(bw);
	return rc;
}

int compact_write(querier *q, const char *dir, int64_t mint, int64_t maxt, const block_compaction *c, block_meta *out,
		  err *e)
{
	return write_series(q, dir, mint, maxt, c, NULL, 0, out, e);
}

/* meta.json of block b, with what a rewrite carries over. */
static int read_meta(block *b, block_meta *m, block_meta_ext *x, err *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/meta.json", block_dir(b));
	buf t;
	buf_init(&t);
	int rc = buf_read_file(&t, path, e);
	if (rc == 0 && (rc = block_meta_parse_ext((const char *)t.p, t.len, m, x, e)))
		err_wrap(e, "%s", path);
	buf_reset(&t);
	return rc;
}

/* The inputs' queriers over [mint, maxt - 1], merged (the first wins on
 * equal timestamps). NULL with e on failure. */
static querier *open_merged(block *const *bs, size_t n, int64_t mint, int64_t maxt, err *e)
{
	querier **qs = fl_calloc(n, sizeof *qs);
	if (!qs) {
		err_set(e, FL_ENOMEM, "compaction: out of memory");
		return NULL;
	}
	size_t k = 0;
	for (; k < n; k++)
		if (!(qs[k] = queryable_querier(block_queryable(bs[k]), mint, maxt - 1, e)))
			break;
	querier *q = NULL;
	if (k == n)
		q = querier_merge(qs, n, mint, maxt - 1, e);
	else
		for (size_t i = 0; i < k; i++)
			querier_close(qs[i]);
	fl_free(qs);
	return q;
}

/* Write bs[0..n) through one merged querier with compaction section c. */
static int write_blocks(block *const *bs, size_t n, const char *dir, int64_t mint, int64_t maxt,
			const block_compaction *c, block_meta *out, err *e)
{
	querier *q = open_merged(bs, n, mint, maxt, e);
	if (!q)
		return e && e->code ? e->code : FL_ENOMEM;
	int rc = write_series(q, dir, mint, maxt, c, bs, n, out, e);
	querier_close(q);
	return rc;
}

int compact_blocks(block *const *bs, size_t n, const char *dir, block_meta *out, err *e)
{
	assert(n >= 1);
	block_meta *metas = fl_calloc(n, sizeof *metas);
	block_meta_ext *xs = fl_calloc(n, sizeof *xs);
	int rc = metas && xs ? 0 : err_set(e, FL_ENOMEM, "compaction: out of memory");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_meta(bs[i], &metas[i], &xs[i], e);
	block_compaction_merged m = {0};
	int64_t mint = 0, maxt = 0;
	bool merged = false;
	if (rc == 0)
		merged = !(rc = block_compaction_merge(metas, xs, n, &m, &mint, &maxt, e));
	if (rc == 0)
		rc = write_blocks(bs, n, dir, mint, maxt, &m.c, out, e);
	if (merged)
		block_compaction_merged_reset(&m);
	for (size_t i = 0; xs && i < n; i++)
		block_meta_ext_reset(&xs[i]);
	fl_free(xs);
	fl_free(metas);
	return rc;
}

int compact_rewrite_block(block *b, const char *dir, block_meta *out, err *e)
{
	/* Prometheus's Block.CleanTombstones -> LeveledCompactor.Write(dir, b,
	 * mint, maxt, b.meta): level 1, its own source, the old block as parent;
	 * flint also keeps the unknown meta.json members. */
	block_meta m;
	block_meta_ext x = {0};
	int rc = read_meta(b, &m, &x, e);
	if (rc)
		return rc;
	block_desc parent = {.min_time = m.min_time, .max_time = m.max_time};
	snprintf(parent.ulid, sizeof parent.ulid, "%s", m.ulid);
	block_compaction c = {.level = 1, .parents = &parent, .n_parents = 1, .extra_json = x.extra_json};
	rc = write_blocks(&b, 1, dir, m.min_time, m.max_time, &c, out, e);
	block_meta_ext_reset(&x);
	return rc;
}

/* ---- planning ---- */

/* selectOverlappingDirs: the first run of overlapping blocks. */
static size_t plan_overlapping(const compact_block_info *b, size_t n, size_t *out)
{
	size_t k = 0;
	if (n < 2)
		return 0;
	int64_t global_maxt = b[0].max_time;
	for (size_t i = 1; i < n; i++) {
		if (b[i].min_time < global_maxt) {
			if (k == 0)
				out[k++] = i - 1;
			out[k++] = i;
		} else if (k > 0) {
			break;
		}
		if (b[i].max_time > global_maxt)
			global_maxt = b[i].max_time;
	}
	return k;
}

/* selectDirs over b[0..n) (the newest block already left out); high is
 * b[n - 1]'s minTime. */
static size_t plan_ranges(const compact_block_info *b, size_t n, int64_t high, const int64_t *ranges, size_t n_ranges,
			  size_t *out)
{
	if (n_ranges < 2 || n < 1)
		return 0;
	for (size_t r = 1; r < n_ranges; r++) {
		int64_t tr = ranges[r];
		for (size_t i = 0; i < n;) { /* splitByRange */
			int64_t mt = b[i].min_time;
			int64_t t0 = mt >= 0 ? tr * (mt / tr) : tr * ((mt - tr + 1) / tr);
			if (b[i].max_time > t0 + tr) {
				i++;
				continue;
			}
			size_t first = i;
			while (i < n && b[i].max_time <= t0 + tr)
				i++;
			size_t len = i - first;
			int64_t gmint = b[first].min_time, gmaxt = b[i - 1].max_time;
			if (len > 1 && (gmaxt - gmint == tr || gmaxt <= high)) {
				for (size_t j = 0; j < len; j++)
					out[j] = first + j;
				return len;
			}
		}
	}
	return 0;
}

size_t compact_plan(const compact_block_info *b, size_t n, const int64_t *ranges, size_t n_ranges, size_t *out)
{
	for (size_t i = 1; i < n; i++)
		assert(b[i - 1].min_time <= b[i].min_time);
	size_t k = plan_overlapping(b, n, out);
	if (k || n == 0)
		return k;
	n--; /* leave the newest block out */
	/* upstream's selectDirs takes its high time from the list it is given:
	 * the newest block left, not the one left out */
	if (n > 0 && (k = plan_ranges(b, n, b[n - 1].min_time, ranges, n_ranges, out)))
		return k;
	for (size_t i = n; i-- > 0 && n_ranges > 0;) {
		if (b[i].max_time - b[i].min_time < ranges[n_ranges / 2]) {
			if (b[i].num_tombstones > 0 && b[i].num_tombstones >= b[i].num_series) {
				out[0] = i;
				return 1;
			}
			break;
		}
		if ((double)b[i].num_tombstones / (double)(b[i].num_series + 1) > 0.05) {
			out[0] = i;
			return 1;
		}
	}
	return 0;
}
