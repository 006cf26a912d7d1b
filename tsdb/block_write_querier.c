/*
 * block_write_querier.c - a block from whatever a querier shows (Prometheus
 * tsdb/compact.go LeveledCompactor.Write over one BlockReader): the
 * rewrite of a block without its deleted data (clean_tombstones) and the
 * head written as a block (snapshot).
 *
 * Every series is selected (the empty matcher: all postings), sorted, and
 * its chunk view handed to the block writer: chunks untouched by the range
 * or by tombstones go as they are stored, the others re-encoded without
 * the hidden samples (series_chunks_add_xor), so a block written from a
 * querier never holds a deleted sample. A series left with no chunk is
 * skipped; a block left with no sample is not written (FL_ENOTFOUND), as
 * Prometheus's Write returns an empty ULID then.
 */
#include "tsdb/block.h"
#include "tsdb/chunk.h"

static int add_all(querier *q, block_writer *bw, int64_t mint, int64_t maxt, uint64_t *samples, err *e)
{
	matcher all;
	int rc = matcher_init(&all, MATCH_EQ, "", "", e);
	if (rc)
		return rc;
	select_hints h = {.start_ms = mint, .end_ms = maxt - 1};
	series_set *ss = querier_select(q, true, &h, &all, 1);
	chunks_item *items = NULL;
	size_t cap = 0;
	while (rc == 0 && series_set_next(ss)) {
		const chunk_data *cd;
		size_t n;
		if ((rc = series_set_chunks(ss, &cd, &n, e)))
			break;
		if (n && !fl_grow((void **)&items, &cap, n, sizeof *items)) {
			rc = err_set(e, FL_ENOMEM, "block writer: out of memory");
			break;
		}
		for (size_t k = 0; k < n; k++) {
			items[k] = (chunks_item){cd[k].mint, cd[k].maxt, CHUNK_ENC_XOR, cd[k].b, cd[k].len};
			if (cd[k].len >= 2)
				*samples += (uint64_t)cd[k].b[0] << 8 | cd[k].b[1];
		}
		rc = block_writer_add_series(bw, series_set_labels(ss), items, n, e);
	}
	if (rc == 0)
		rc = series_set_err(ss, e);
	series_set_close(ss);
	fl_free(items);
	matcher_reset(&all);
	return rc;
}

int block_write_querier(querier *q, const char *dir, int64_t mint, int64_t maxt, const block_compaction *c,
			block_meta *out, err *e)
{
	block_writer *bw = block_writer_open(dir, mint, maxt, c, e);
	if (!bw)
		return e && e->code ? e->code : FL_EIO;
	uint64_t samples = 0;
	int rc = add_all(q, bw, mint, maxt, &samples, e);
	if (rc == 0 && samples == 0)
		rc = err_set(e, FL_ENOTFOUND, "no samples left in [%lld, %lld): no block written", (long long)mint,
			     (long long)maxt);
	if (rc) {
		block_writer_abort(bw);
		return rc;
	}
	return block_writer_commit(bw, out, e);
}
