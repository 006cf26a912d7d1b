/*
 * block_write.c - writing a block directory (Prometheus 2.42 tsdb/compact.go
 * LeveledCompactor.write, tsdb/block.go writeMetaFile): what head
 * compaction, block compaction, snapshots and backfill all produce.
 *
 *   block_writer_open      picks a ULID, creates <parent>/<ulid>.tmp-for-creation/
 *                          and its chunks/ directory
 *   block_writer_add_series   label-sorted; writes the chunks at once
 *                          (chunks_write.c), keeps labels and chunk metas
 *   block_writer_seal_symbols  (optional, before the first series) the
 *                          symbols added are all there are: the index is
 *                          opened and gets them, and from then on every
 *                          series goes to it as it comes (streaming)
 *   block_writer_commit    writes index (index_write.c; the symbols are every
 *                          label string seen, "" and any added symbols),
 *                          meta.json, an empty tombstones file; fsyncs the
 *                          directory, renames it to <ulid>, fsyncs the parent
 *
 * So a crash at any moment leaves either no block or a whole one, plus
 * maybe a `.tmp-for-creation` directory that opening the db removes.
 * A series with no chunks is skipped, as Prometheus's populateBlock does;
 * stats count series with chunks, chunks, and samples (the 2-byte count
 * at the start of every chunk).
 *
 * meta.json is written as Go's json.MarshalIndent(meta, "", "\t") writes
 * BlockMeta: no trailing newline, omitempty fields left out.
 *
 * Memory: unsealed, the series' labels (one arena) and chunk metas until
 * commit; sealed (what compaction does, Prometheus's streaming of series
 * through its index writer), only the index writer's (index_write.c): the
 * symbols and four 32-bit numbers per label of every series. Both ways
 * write the same bytes for the same symbols and series.
 *
 * Invariants:
 *  1. Series arrive in strictly increasing labels_compare order (checked,
 *     FL_EINVAL otherwise: a caller bug that must not corrupt a block).
 *  2. Nothing named <ulid> exists until every file in it was fsynced.
 */
#include "tsdb/block.h"
#include "tsdb/compact.h"

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/ulid.h"
#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tsdb/tombstones.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define TMP_SUFFIX ".tmp-for-creation"

typedef struct wseries {
	labels ls;         /* copied into bw->a */
	size_t first;      /* first chunk meta in bw->chks */
	size_t n;          /* chunk metas */
} wseries;

struct block_writer {
	char parent[1024];     /* directory the block goes into */
	char tmp[1100];        /* <parent>/<ulid>.tmp-for-creation */
	char ulid[ULID_LEN + 1]; /* the new block's ULID */
	int64_t mint, maxt;    /* meta minTime, maxTime (exclusive) */
	block_compaction comp; /* borrowed from the caller until commit */
	chunks_writer *cw;     /* chunks/, owned */
	arena a;               /* labels and extra symbols */
	wseries *series;       /* in order */
	size_t n_series, series_cap; /* count, capacity */
	chunk_meta *chks;      /* all chunk metas */
	size_t n_chks, chks_cap; /* count, capacity */
	const char **extra;    /* added symbols (in a) */
	size_t n_extra, extra_cap; /* count, capacity */
	uint64_t *refs;        /* scratch for chunk refs */
	size_t refs_cap;       /* capacity */
	index_writer *iw;      /* sealed: the index, series go to it at once */
	chunk_meta *smeta;     /* sealed: the current series' chunk metas */
	size_t smeta_cap;      /* capacity */
	uint64_t num_samples;  /* stats */
};

block_writer *block_writer_open(const char *parent_dir, int64_t mint, int64_t maxt, const block_compaction *c, err *e)
{
	block_writer *bw = fl_calloc(1, sizeof *bw);
	if (!bw) {
		err_set(e, FL_ENOMEM, "block writer: out of memory");
		return NULL;
	}
	arena_init(&bw->a);
	snprintf(bw->parent, sizeof bw->parent, "%s", parent_dir);
	ulid_new(ulid_now_ms(), bw->ulid);
	snprintf(bw->tmp, sizeof bw->tmp, "%s/%s%s", parent_dir, bw->ulid, TMP_SUFFIX);
	bw->mint = mint;
	bw->maxt = maxt;
	if (c)
		bw->comp = *c;
	if (bw->comp.level == 0)
		bw->comp.level = 1;
	char cdir[1200];
	snprintf(cdir, sizeof cdir, "%s/chunks", bw->tmp);
	if (fsutil_remove_all(bw->tmp, e) != 0 || mkdir(bw->tmp, 0777) != 0) {
		if (!e || !e->code)
			err_set(e, FL_EIO, "block writer: mkdir %s: %s", bw->tmp, strerror(errno));
		fl_free(bw);
		return NULL;
	}
	bw->cw = chunks_writer_open(cdir, 0, e);
	if (!bw->cw) {
		block_writer_abort(bw);
		return NULL;
	}
	return bw;
}

const char *block_writer_ulid(const block_writer *bw) { return bw->ulid; }

int block_writer_add_symbol(block_writer *bw, const char *s, err *e)
{
	if (bw->iw)
		return err_set(e, FL_EINVAL, "block writer: symbol \"%s\" added after the symbols were sealed", s);
	const char *copy = arena_strdup(&bw->a, s);
	if (!copy || !fl_grow((void **)&bw->extra, &bw->extra_cap, bw->n_extra + 1, sizeof *bw->extra))
		return err_set(e, FL_ENOMEM, "block writer: out of memory");
	bw->extra[bw->n_extra++] = copy;
	return 0;
}

/* The sample count at the start of every chunk. */
static uint64_t chunk_samples(const chunks_item *c)
{
	return c->len >= 2 ? (uint64_t)c->data[0] << 8 | c->data[1] : 0;
}

/* Sealed: chunks to chunks/, then the series straight to the index
 * (which checks the order: FL_EINVAL). */
static int add_series_sealed(block_writer *bw, labels ls, const chunks_item *chunks, size_t n, err *e)
{
	if (!fl_grow((void **)&bw->refs, &bw->refs_cap, n, sizeof *bw->refs) ||
	    !fl_grow((void **)&bw->smeta, &bw->smeta_cap, n, sizeof *bw->smeta))
		return err_set(e, FL_ENOMEM, "block writer: out of memory");
	int rc = chunks_writer_write(bw->cw, chunks, n, bw->refs, e);
	for (size_t i = 0; i < n && rc == 0; i++)
		bw->smeta[i] = (chunk_meta){.mint = chunks[i].mint, .maxt = chunks[i].maxt, .ref = bw->refs[i]};
	if (rc == 0)
		rc = index_writer_add_series(bw->iw, ls, bw->smeta, n, e);
	if (rc)
		return rc;
	bw->n_series++;
	bw->n_chks += n;
	for (size_t i = 0; i < n; i++)
		bw->num_samples += chunk_samples(&chunks[i]);
	return 0;
}

int block_writer_add_series(block_writer *bw, labels ls, const chunks_item *chunks, size_t n, err *e)
{
	if (n == 0)
		return 0;
	if (bw->iw)
		return add_series_sealed(bw, ls, chunks, n, e);
	if (bw->n_series > 0 && labels_compare(bw->series[bw->n_series - 1].ls, ls) >= 0) {
		buf b;
		buf_init(&b);
		labels_format(&b, ls);
		int rc = err_set(e, FL_EINVAL, "block writer: series %s out of order", buf_cstr(&b));
		buf_reset(&b);
		return rc;
	}
	if (!fl_grow((void **)&bw->refs, &bw->refs_cap, n, sizeof *bw->refs) ||
	    !fl_grow((void **)&bw->chks, &bw->chks_cap, bw->n_chks + n, sizeof *bw->chks) ||
	    !fl_grow((void **)&bw->series, &bw->series_cap, bw->n_series + 1, sizeof *bw->series))
		return err_set(e, FL_ENOMEM, "block writer: out of memory");
	labels copy = labels_copy(&bw->a, ls);
	if (copy.n != ls.n)
		return err_set(e, FL_ENOMEM, "block writer: out of memory");
	int rc = chunks_writer_write(bw->cw, chunks, n, bw->refs, e);
	if (rc)
		return rc;
	wseries *s = &bw->series[bw->n_series++];
	s->ls = copy;
	s->first = bw->n_chks;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		bw->chks[bw->n_chks++] = (chunk_meta){.mint = chunks[i].mint, .maxt = chunks[i].maxt, .ref = bw->refs[i]};
		bw->num_samples += chunk_samples(&chunks[i]);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Sort v[0..n) and drop repeats; returns the count left. */
static size_t sort_unique(const char **v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	return u;
}

/* Every label string, "" and the extra symbols, sorted and unique. */
static const char **collect_symbols(block_writer *bw, size_t *n_out)
{
	size_t n = 1 + bw->n_extra;
	for (size_t i = 0; i < bw->n_series; i++)
		n += 2 * bw->series[i].ls.n;
	const char **v = fl_malloc(n * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	v[k++] = "";
	for (size_t i = 0; i < bw->n_extra; i++)
		v[k++] = bw->extra[i];
	for (size_t i = 0; i < bw->n_series; i++)
		for (size_t j = 0; j < bw->series[i].ls.n; j++) {
			v[k++] = bw->series[i].ls.v[j].name;
			v[k++] = bw->series[i].ls.v[j].value;
		}
	*n_out = sort_unique(v, k);
	return v;
}

/* Open the index and give it syms[0..n) (sorted, unique); NULL with e. */
static index_writer *open_index(block_writer *bw, const char **syms, size_t n, err *e)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/index", bw->tmp);
	index_writer *iw = index_writer_open(path, e);
	int rc = iw ? 0 : (e && e->code ? e->code : FL_EIO);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = index_writer_add_symbol(iw, syms[i], e);
	if (rc == 0)
		return iw;
	index_writer_abort(iw);
	return NULL;
}

int block_writer_seal_symbols(block_writer *bw, err *e)
{
	if (bw->iw || bw->n_series > 0)
		return err_set(e, FL_EINVAL, "block writer: symbols sealed after series or twice");
	size_t n_syms;
	const char **syms = collect_symbols(bw, &n_syms);
	if (!syms)
		return err_set(e, FL_ENOMEM, "block writer: out of memory");
	bw->iw = open_index(bw, syms, n_syms, e);
	fl_free(syms);
	if (!bw->iw)
		return e && e->code ? e->code : FL_EIO;
	/* the index holds its own copies now */
	arena_reset(&bw->a);
	fl_free(bw->extra);
	bw->extra = NULL;
	bw->n_extra = bw->extra_cap = 0;
	return 0;
}

static int write_index(block_writer *bw, err *e)
{
	if (bw->iw) { /* sealed: every series is in it already */
		index_writer *iw = bw->iw;
		bw->iw = NULL;
		return index_writer_close(iw, e);
	}
	size_t n_syms;
	const char **syms = collect_symbols(bw, &n_syms);
	if (!syms)
		return err_set(e, FL_ENOMEM, "block writer: out of memory");
	index_writer *iw = open_index(bw, syms, n_syms, e);
	fl_free(syms);
	int rc = iw ? 0 : (e && e->code ? e->code : FL_EIO);
	for (size_t i = 0; i < bw->n_series && rc == 0; i++)
		rc = index_writer_add_series(iw, bw->series[i].ls, &bw->chks[bw->series[i].first], bw->series[i].n, e);
	if (rc) {
		index_writer_abort(iw);
		return rc;
	}
	return index_writer_close(iw, e);
}

void block_meta_format(buf *b, const block_meta *m, const block_compaction *c)
{
	buf_printf(b, "{\n\t\"ulid\": \"%s\",\n\t\"minTime\": %lld,\n\t\"maxTime\": %lld,\n\t\"stats\": {", m->ulid,
		   (long long)m->min_time, (long long)m->max_time);
	const struct {
		const char *k;
		uint64_t v;
	} st[] = {{"numSamples", m->num_samples}, {"numSeries", m->num_series}, {"numChunks", m->num_chunks},
		  {"numTombstones", m->num_tombstones}};
	bool any = false;
	for (size_t i = 0; i < FL_ARRAY_LEN(st); i++)
		if (st[i].v) { /* omitempty */
			buf_printf(b, "%s\n\t\t\"%s\": %llu", any ? "," : "", st[i].k, (unsigned long long)st[i].v);
			any = true;
		}
	buf_put_str(b, any ? "\n\t},\n" : "},\n");
	buf_printf(b, "\t\"compaction\": {\n\t\t\"level\": %d", c->level);
	if (c->n_sources > 0 || !c->sources) {
		buf_put_str(b, ",\n\t\t\"sources\": [");
		if (c->n_sources == 0)
			buf_printf(b, "\n\t\t\t\"%s\"", m->ulid);
		for (size_t i = 0; i < c->n_sources; i++)
			buf_printf(b, "%s\n\t\t\t\"%s\"", i ? "," : "", c->sources[i]);
		buf_put_str(b, "\n\t\t]");
	}
	if (c->n_parents > 0) {
		buf_put_str(b, ",\n\t\t\"parents\": [");
		for (size_t i = 0; i < c->n_parents; i++)
			buf_printf(b, "%s\n\t\t\t{\n\t\t\t\t\"ulid\": \"%s\",\n\t\t\t\t\"minTime\": %lld,\n\t\t\t\t\"maxTime\": %lld\n\t\t\t}",
				   i ? "," : "", c->parents[i].ulid, (long long)c->parents[i].min_time,
				   (long long)c->parents[i].max_time);
		buf_put_str(b, "\n\t\t]");
	}
	buf_printf(b, "\n\t},\n\t\"version\": %d", m->version ? m->version : 1);
	if (c->extra_json && c->extra_json[0])
		buf_printf(b, ",\n\t%s", c->extra_json);
	buf_put_str(b, "\n}");
}

int block_compaction_merge(const block_meta *metas, const block_meta_ext *x, size_t n, block_compaction_merged *out,
			   int64_t *mint, int64_t *maxt, err *e)
{
	memset(out, 0, sizeof *out);
	assert(n > 0);
	size_t n_src = 0;
	for (size_t i = 0; i < n; i++)
		n_src += x[i].n_sources;
	out->sources = fl_calloc(n_src + 1, sizeof *out->sources);
	out->srcbuf = fl_calloc(n_src + 1, sizeof *out->srcbuf);
	out->parents = fl_calloc(n, sizeof *out->parents);
	if (!out->sources || !out->srcbuf || !out->parents) {
		block_compaction_merged_reset(out);
		return err_set(e, FL_ENOMEM, "compaction meta: out of memory");
	}
	*mint = metas[0].min_time;
	*maxt = metas[0].max_time;
	int level = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		*mint = FL_MIN(*mint, metas[i].min_time);
		*maxt = FL_MAX(*maxt, metas[i].max_time);
		level = FL_MAX(level, metas[i].level);
		for (size_t j = 0; j < x[i].n_sources; j++, k++) {
			memcpy(out->srcbuf[k], x[i].sources[j], sizeof out->srcbuf[k]);
			out->sources[k] = out->srcbuf[k];
		}
		block_desc *d = &out->parents[i];
		snprintf(d->ulid, sizeof d->ulid, "%s", metas[i].ulid);
		d->min_time = metas[i].min_time;
		d->max_time = metas[i].max_time;
	}
	size_t u = sort_unique(out->sources, k);
	out->c = (block_compaction){.level = level + 1, .sources = out->sources, .n_sources = u,
				    .parents = out->parents, .n_parents = n, .extra_json = x[0].extra_json};
	return 0;
}

void block_compaction_merged_reset(block_compaction_merged *m)
{
	fl_free(m->sources);
	fl_free(m->srcbuf);
	fl_free(m->parents);
	memset(m, 0, sizeof *m);
}

int block_meta_write(const char *dir, const block_meta *m, const block_compaction *c, err *e)
{
	buf b;
	buf_init(&b);
	block_meta_format(&b, m, c);
	char tmp[1200], path[1200];
	snprintf(tmp, sizeof tmp, "%s/meta.json.tmp", dir);
	snprintf(path, sizeof path, "%s/meta.json", dir);
	int rc = b.oom ? err_set(e, FL_ENOMEM, "meta.json: out of memory") : fsutil_write_file(tmp, b.p, b.len, e);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = err_set(e, FL_EIO, "rename %s: %s", tmp, strerror(errno));
	buf_reset(&b);
	return rc;
}

int block_writer_commit(block_writer *bw, block_meta *out, err *e)
{
	uint64_t chunk_bytes = 0;
	int rc = chunks_writer_close(bw->cw, &chunk_bytes, e);
	bw->cw = NULL;
	if (rc == 0)
		rc = write_index(bw, e);
	block_meta m = {.min_time = bw->mint, .max_time = bw->maxt, .num_samples = bw->num_samples,
			.num_series = bw->n_series, .num_chunks = bw->n_chks, .level = bw->comp.level, .version = 1};
	snprintf(m.ulid, sizeof m.ulid, "%s", bw->ulid);
	if (rc == 0)
		rc = block_meta_write(bw->tmp, &m, &bw->comp, e);
	if (rc == 0)
		rc = tombstones_write(bw->tmp, NULL, 0, NULL, e);
	if (rc == 0)
		rc = fsutil_sync_dir(bw->tmp, e);
	char final[1100];
	snprintf(final, sizeof final, "%s/%s", bw->parent, bw->ulid);
	if (rc == 0 && rename(bw->tmp, final) != 0)
		rc = err_set(e, FL_EIO, "block writer: rename %s: %s", bw->tmp, strerror(errno));
	if (rc == 0)
		rc = fsutil_sync_dir(bw->parent, e);
	if (rc == 0 && out)
		*out = m;
	block_writer_abort(bw); /* frees; the tmp dir is gone after a rename */
	return rc;
}

void block_writer_abort(block_writer *bw)
{
	if (!bw)
		return;
	chunks_writer_abort(bw->cw);
	index_writer_abort(bw->iw);
	fsutil_remove_all(bw->tmp, NULL);
	arena_reset(&bw->a);
	fl_free(bw->series);
	fl_free(bw->chks);
	fl_free(bw->extra);
	fl_free(bw->refs);
	fl_free(bw->smeta);
	fl_free(bw);
}

/* ---------------------------------------------------------------- from a head */

/* Through a head querier (compact_write, compact.c), so the block is what a
 * query would see: one isolation snapshot, chunks cut by the range or by
 * the head's tombstones re-encoded, deleted samples left out. */
int block_write_head(head *h, const char *dir, int64_t mint, int64_t maxt, block_meta *out, err *e)
{
	querier *q = queryable_querier(head_queryable(h), mint, maxt - 1, e);
	if (!q)
		return e && e->code ? e->code : FL_ENOMEM;
	int rc = compact_write(q, dir, mint, maxt, NULL, out, e);
	querier_close(q);
	return rc;
}
