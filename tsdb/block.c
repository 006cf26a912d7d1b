/*
 * block.c - opening a block directory and reading its meta.json and
 * tombstones (Prometheus tsdb/block.go, tsdb/tombstones/tombstones.go).
 * The querier over a block lives in block_querier.c.
 *
 * meta.json is read with a small tolerant JSON walker: it visits every
 * scalar with its dotted path ("stats.numSamples") and ignores what it
 * does not know (sources, hints), so newer Prometheus fields do not break
 * us. block_open also collects compaction.parents[].ulid: the db deletes
 * the parents of a loaded block (tsdb/db.go reloadBlocks). Depth is bounded; malformed text is FL_ECORRUPT.
 *
 * Invariants:
 *  1. tomb[] is sorted by (ref, mint); block__tombstones returns a
 *     contiguous run of it.
 *  2. After block_open succeeds, a block is never modified.
 */
#include "tsdb/block_int.h"

#include "lib/buf.h"
#include "lib/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define TOMBSTONES_MAGIC 0x0130BA30u
#define JSON_MAX_DEPTH 32

/* ---------------------------------------------------------------- meta.json */

typedef struct jwalk {
	const char *p;   /* next byte */
	const char *end; /* end of text */
	char path[256];  /* dotted path of the current value */
	block_meta *m;   /* output */
	bool bad;        /* syntax error seen */
	bool oom;        /* out of memory collecting parents */
	block_ulid *parents; /* compaction.parents[].ulid, when collected (block_open) */
	size_t n_parents, parents_cap;
	bool want_parents;   /* collect them */
} jwalk;

static void jw_ws(jwalk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

/* A string token (p at the opening quote): its raw contents. */
static slice jw_string(jwalk *w)
{
	slice s = {"", 0};
	if (w->p >= w->end || *w->p != '"') {
		w->bad = true;
		return s;
	}
	const char *start = ++w->p;
	while (w->p < w->end && *w->p != '"') {
		if (*w->p == '\\' && w->p + 1 < w->end)
			w->p++;
		w->p++;
	}
	if (w->p >= w->end) {
		w->bad = true;
		return s;
	}
	s.p = start;
	s.len = (size_t)(w->p - start);
	w->p++;
	return s;
}

static void jw_scalar(jwalk *w, slice tok, bool is_str)
{
	block_meta *m = w->m;
	const char *path = w->path;
	if (is_str) {
		if (!strcmp(path, "ulid") && tok.len < sizeof m->ulid) {
			memcpy(m->ulid, tok.p, tok.len);
			m->ulid[tok.len] = 0;
		} else if (w->want_parents && !strcmp(path, "compaction.parents[].ulid") && tok.len < sizeof(block_ulid)) {
			if (!fl_grow((void **)&w->parents, &w->parents_cap, w->n_parents + 1, sizeof *w->parents)) {
				w->oom = true;
				return;
			}
			memcpy(w->parents[w->n_parents].s, tok.p, tok.len);
			w->parents[w->n_parents++].s[tok.len] = 0;
		}
		return;
	}
	char num[32];
	if (tok.len == 0 || tok.len >= sizeof num)
		return;
	memcpy(num, tok.p, tok.len);
	num[tok.len] = 0;
	char *endp;
	errno = 0;
	long long v = strtoll(num, &endp, 10);
	if (*endp || errno)
		return;
	if (!strcmp(path, "minTime"))
		m->min_time = v;
	else if (!strcmp(path, "maxTime"))
		m->max_time = v;
	else if (!strcmp(path, "stats.numSamples"))
		m->num_samples = (uint64_t)v;
	else if (!strcmp(path, "stats.numSeries"))
		m->num_series = (uint64_t)v;
	else if (!strcmp(path, "stats.numChunks"))
		m->num_chunks = (uint64_t)v;
	else if (!strcmp(path, "stats.numTombstones"))
		m->num_tombstones = (uint64_t)v;
	else if (!strcmp(path, "compaction.level"))
		m->level = (int)v;
	else if (!strcmp(path, "version"))
		m->version = (int)v;
}

static void jw_value(jwalk *w, int depth);

static void jw_object(jwalk *w, int depth)
{
	size_t plen = strlen(w->path);
	w->p++; /* { */
	jw_ws(w);
	if (w->p < w->end && *w->p == '}') {
		w->p++;
		return;
	}
	while (!w->bad) {
		jw_ws(w);
		slice key = jw_string(w);
		jw_ws(w);
		if (w->bad || w->p >= w->end || *w->p != ':') {
			w->bad = true;
			return;
		}
		w->p++;
		snprintf(w->path + plen, sizeof w->path - plen, "%s%.*s", plen ? "." : "", (int)key.len, key.p);
		jw_value(w, depth + 1);
		w->path[plen] = 0;
		jw_ws(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			continue;
		}
		if (w->p < w->end && *w->p == '}') {
			w->p++;
			return;
		}
		w->bad = true;
	}
}

static void jw_array(jwalk *w, int depth)
{
	w->p++; /* [ */
	jw_ws(w);
	if (w->p < w->end && *w->p == ']') {
		w->p++;
		return;
	}
	size_t plen = strlen(w->path);
	snprintf(w->path + plen, sizeof w->path - plen, "[]");
	while (!w->bad) {
		jw_value(w, depth + 1);
		jw_ws(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			continue;
		}
		if (w->p < w->end && *w->p == ']') {
			w->p++;
			break;
		}
		w->bad = true;
	}
	w->path[plen] = 0;
}

static void jw_value(jwalk *w, int depth)
{
	jw_ws(w);
	if (depth > JSON_MAX_DEPTH || w->p >= w->end) {
		w->bad = true;
		return;
	}
	char c = *w->p;
	if (c == '{') {
		jw_object(w, depth);
	} else if (c == '[') {
		jw_array(w, depth);
	} else if (c == '"') {
		slice s = jw_string(w);
		if (!w->bad)
			jw_scalar(w, s, true);
	} else {
		const char *start = w->p;
		while (w->p < w->end && *w->p != ',' && *w->p != '}' && *w->p != ']' && *w->p != ' ' && *w->p != '\t' &&
		       *w->p != '\n' && *w->p != '\r')
			w->p++;
		slice tok = {start, (size_t)(w->p - start)};
		if (tok.len == 0)
			w->bad = true;
		else
			jw_scalar(w, tok, false);
	}
}

/* Parse meta.json into m and, when w->want_parents, the parents' ULIDs
 * into w->parents (the caller frees them, also on failure). */
static int meta_parse(jwalk *w, const char *json, size_t len, block_meta *m, err *e)
{
	memset(m, 0, sizeof *m);
	m->min_time = INT64_MIN;
	m->max_time = INT64_MIN;
	w->p = json;
	w->end = json + len;
	w->m = m;
	jw_ws(w);
	if (w->p >= w->end || *w->p != '{')
		return err_set(e, FL_ECORRUPT, "meta.json: not a JSON object");
	jw_value(w, 0);
	jw_ws(w);
	if (w->oom)
		return err_set(e, FL_ENOMEM, "meta.json: out of memory");
	if (w->bad || w->p != w->end)
		return err_set(e, FL_ECORRUPT, "meta.json: malformed JSON at byte %zu", (size_t)(w->p - json));
	if (!m->ulid[0])
		return err_set(e, FL_ECORRUPT, "meta.json: missing ulid");
	if (m->min_time == INT64_MIN || m->max_time == INT64_MIN)
		return err_set(e, FL_ECORRUPT, "meta.json: missing minTime or maxTime");
	if (m->version != 1)
		return err_set(e, FL_EUNSUPPORTED, "meta.json: unsupported version %d", m->version);
	return 0;
}

int block_meta_parse(const char *json, size_t len, block_meta *m, err *e)
{
	jwalk w;
	memset(&w, 0, sizeof w);
	return meta_parse(&w, json, len, m, e);
}

/* ---------------------------------------------------------------- files */

static int cmp_tomb(const void *a, const void *b)
{
	const tomb *x = a, *y = b;
	if (x->ref != y->ref)
		return x->ref < y->ref ? -1 : 1;
	return x->mint < y->mint ? -1 : x->mint > y->mint;
}

int block__tombstones_parse(const uint8_t *p, size_t len, tomb **out, size_t *n_out, err *e)
{
	*out = NULL;
	*n_out = 0;
	if (len < 9 || be32(p) != TOMBSTONES_MAGIC)
		return err_set(e, FL_ECORRUPT, "tombstones: invalid magic number or size (%zu bytes)", len);
	if (p[4] != 1)
		return err_set(e, FL_ECORRUPT, "tombstones: invalid format version %d", p[4]);
	uint32_t want = be32(p + len - 4), got = crc32c(0, p + 5, len - 9);
	if (want != got)
		return err_set(e, FL_ECORRUPT, "tombstones: checksum mismatch (want %08x, got %08x)", want, got);
	decbuf d;
	decbuf_init(&d, p + 5, len - 9);
	size_t cap = 0;
	while (decbuf_len(&d) > 0 && !d.err) {
		tomb t;
		t.ref = decbuf_uvarint(&d);
		t.mint = decbuf_varint(&d);
		t.maxt = decbuf_varint(&d);
		if (d.err)
			break;
		if (!fl_grow((void **)out, &cap, *n_out + 1, sizeof **out)) {
			fl_free(*out);
			*out = NULL;
			return err_set(e, FL_ENOMEM, "tombstones: out of memory");
		}
		(*out)[(*n_out)++] = t;
	}
	if (d.err) {
		fl_free(*out);
		*out = NULL;
		*n_out = 0;
		return err_set(e, FL_ECORRUPT, "tombstones: truncated entry at offset %zu", (size_t)(d.p - p));
	}
	if (*n_out > 1)
		qsort(*out, *n_out, sizeof **out, cmp_tomb);
	return 0;
}

const tomb *block__tombstones(const block *b, uint64_t ref, size_t *n)
{
	size_t lo = 0, hi = b->n_tomb;
	while (lo < hi) { /* first entry with t.ref >= ref */
		size_t mid = lo + (hi - lo) / 2;
		if (b->tomb[mid].ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = lo;
	while (k < b->n_tomb && b->tomb[k].ref == ref)
		k++;
	*n = k - lo;
	return *n ? &b->tomb[lo] : NULL;
}

static int open_parts(block *b, err *e)
{
	char path[1200];
	buf t;
	buf_init(&t);
	snprintf(path, sizeof path, "%s/meta.json", b->dir);
	int rc = buf_read_file(&t, path, e);
	if (rc == 0) {
		jwalk w;
		memset(&w, 0, sizeof w);
		w.want_parents = true;
		rc = meta_parse(&w, (const char *)t.p, t.len, &b->meta, e);
		b->parents = w.parents;
		b->n_parents = w.n_parents;
	}
	buf_clear(&t);
	if (rc == 0) {
		snprintf(path, sizeof path, "%s/tombstones", b->dir);
		rc = buf_read_file(&t, path, e);
		if (rc == FL_ENOTFOUND)
			rc = 0; /* as Prometheus: no file, no tombstones */
		else if (rc == 0)
			rc = block__tombstones_parse(t.p, t.len, &b->tomb, &b->n_tomb, e);
	}
	buf_reset(&t);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof path, "%s/index", b->dir);
	b->ix = index_open(path, e);
	if (!b->ix)
		return e ? e->code : FL_ECORRUPT;
	snprintf(path, sizeof path, "%s/chunks", b->dir);
	b->cr = chunks_open(path, e);
	if (!b->cr)
		return e ? e->code : FL_ECORRUPT;
	return 0;
}

block *block_open(const char *dir, err *e)
{
	block *b = fl_calloc(1, sizeof *b);
	if (!b) {
		err_set(e, FL_ENOMEM, "block: out of memory");
		return NULL;
	}
	snprintf(b->dir, sizeof b->dir, "%s", dir);
	b->qable.querier = block__querier;
	if (open_parts(b, e) != 0) {
		err_wrap(e, "block %s", dir);
		block_close(b);
		return NULL;
	}
	return b;
}

void block_close(block *b)
{
	if (!b)
		return;
	index_close(b->ix);
	chunks_close(b->cr);
	fl_free(b->tomb);
	fl_free(b->parents);
	fl_free(b);
}

const block_meta *block_meta_get(const block *b) { return &b->meta; }
const char *block_dir(const block *b) { return b->dir; }
queryable *block_queryable(block *b) { return &b->qable; }
index_reader *block_index(block *b) { return b->ix; }
chunks_reader *block_chunks(block *b) { return b->cr; }

const block_ulid *block_parents(const block *b, size_t *n)
{
	*n = b->n_parents;
	return b->parents;
}
