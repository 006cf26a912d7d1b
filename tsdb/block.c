/*
 * block.c - opening a block directory and reading its meta.json and
 * tombstones (Prometheus tsdb/block.go, tsdb/tombstones/tombstones.go).
 * The querier over a block lives in block_querier.c.
 *
 * meta.json is read with a small tolerant JSON walker: it visits every
 * scalar with its dotted path ("stats.numSamples") and ignores what it
 * does not know (sources, parents, hints), so newer Prometheus fields do
 * not break us. Depth is bounded; malformed text is FL_ECORRUPT.
 *
 * Invariants:
 *  1. the tombstone set is sorted by (ref, mint); tombstones_set_get returns a
 *     contiguous run of it.
 *  2. After block_open succeeds, a block is never modified.
 */
#include "tsdb/block_int.h"

#include "lib/buf.h"
#include "lib/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define JSON_MAX_DEPTH 32

/* ---------------------------------------------------------------- meta.json */

typedef struct jwalk {
	const char *p;   /* next byte */
	const char *end; /* end of text */
	char path[256];  /* dotted path of the current value */
	block_meta *m;   /* output */
	block_meta_ext *x; /* optional output: sources, parents, unknown members */
	bool oom;        /* an allocation for x failed */
	bool bad;        /* syntax error seen */
} jwalk;

/* ---- block_meta_ext: what compaction carries over (block_meta_parse_ext) ---- */

static void ext_string(jwalk *w, const char *path, slice tok)
{
	block_meta_ext *x = w->x;
	if (!strcmp(path, "compaction.sources[]")) {
		size_t cap = x->n_sources; /* grown one at a time: metas are small */
		if (!fl_grow((void **)&x->sources, &cap, x->n_sources + 1, sizeof *x->sources)) {
			w->oom = true;
			return;
		}
		snprintf(x->sources[x->n_sources++], sizeof *x->sources, "%.*s", (int)FL_MIN(tok.len, 31), tok.p);
	} else if (!strcmp(path, "compaction.parents[].ulid")) {
		size_t cap = x->n_parents;
		if (!fl_grow((void **)&x->parents, &cap, x->n_parents + 1, sizeof *x->parents)) {
			w->oom = true;
			return;
		}
		block_desc *d = &x->parents[x->n_parents++];
		memset(d, 0, sizeof *d);
		snprintf(d->ulid, sizeof d->ulid, "%.*s", (int)FL_MIN(tok.len, 31), tok.p);
	}
}

static void ext_number(jwalk *w, const char *path, long long v)
{
	block_meta_ext *x = w->x;
	if (!x->n_parents)
		return;
	if (!strcmp(path, "compaction.parents[].minTime"))
		x->parents[x->n_parents - 1].min_time = v;
	else if (!strcmp(path, "compaction.parents[].maxTime"))
		x->parents[x->n_parents - 1].max_time = v;
}

/* A top-level member BlockMeta does not know: keep its text (`"k": v`). */
static void ext_unknown(jwalk *w, const char *from, const char *to)
{
	block_meta_ext *x = w->x;
	size_t old = x->extra_json ? strlen(x->extra_json) : 0, n = (size_t)(to - from);
	char *p = fl_realloc(x->extra_json, old + n + 3);
	if (!p) {
		w->oom = true;
		return;
	}
	if (old)
		memcpy(p + old, ", ", 2), old += 2;
	memcpy(p + old, from, n);
	p[old + n] = 0;
	x->extra_json = p;
}

static bool known_top(slice key)
{
	static const char *known[] = {"ulid", "minTime", "maxTime", "stats", "compaction", "version"};
	for (size_t i = 0; i < FL_ARRAY_LEN(known); i++)
		if (slice_eq_str(key, known[i]))
			return true;
	return false;
}

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
	if (is_str && w->x)
		ext_string(w, path, tok);
	if (is_str) {
		if (!strcmp(path, "ulid") && tok.len < sizeof m->ulid) {
			memcpy(m->ulid, tok.p, tok.len);
			m->ulid[tok.len] = 0;
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
	if (w->x)
		ext_number(w, path, v);
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
static int meta_walk(jwalk *w, const char *json, err *e);

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
		const char *key_start = w->p;
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
		if (depth == 0 && w->x && !w->bad && !known_top(key))
			ext_unknown(w, key_start, w->p);
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

void block_meta_ext_reset(block_meta_ext *x)
{
	if (!x)
		return;
	fl_free(x->sources);
	fl_free(x->parents);
	fl_free(x->extra_json);
	memset(x, 0, sizeof *x);
}

int block_meta_parse(const char *json, size_t len, block_meta *m, err *e)
{
	return block_meta_parse_ext(json, len, m, NULL, e);
}

int block_meta_parse_ext(const char *json, size_t len, block_meta *m, block_meta_ext *x, err *e)
{
	memset(m, 0, sizeof *m);
	m->min_time = INT64_MIN;
	m->max_time = INT64_MIN;
	if (x)
		memset(x, 0, sizeof *x);
	jwalk w = {.p = json, .end = json + len, .m = m, .x = x};
	int rc = meta_walk(&w, json, e);
	if (rc == 0 && w.oom)
		rc = err_set(e, FL_ENOMEM, "meta.json: out of memory");
	if (rc)
		block_meta_ext_reset(x);
	return rc;
}

static int meta_walk(jwalk *w, const char *json, err *e)
{
	const block_meta *m = w->m;
	jw_ws(w);
	if (w->p >= w->end || *w->p != '{')
		return err_set(e, FL_ECORRUPT, "meta.json: not a JSON object");
	jw_value(w, 0);
	jw_ws(w);
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

/* ---------------------------------------------------------------- files */

static int open_parts(block *b, err *e)
{
	char path[1200];
	buf t;
	buf_init(&t);
	snprintf(path, sizeof path, "%s/meta.json", b->dir);
	int rc = buf_read_file(&t, path, e);
	if (rc == 0)
		rc = block_meta_parse_ext((const char *)t.p, t.len, &b->meta, &b->ext, e);
	buf_clear(&t);
	if (rc == 0) {
		snprintf(path, sizeof path, "%s/tombstones", b->dir);
		rc = buf_read_file(&t, path, e);
		tomb *v = NULL;
		size_t n = 0;
		if (rc == FL_ENOTFOUND)
			rc = 0; /* as Prometheus: no file, no tombstones */
		else if (rc == 0)
			rc = tombstones_parse(t.p, t.len, &v, &n, e);
		tomb_set *ts = rc ? NULL : tombstones_set_new(v, n, NULL, 0);
		fl_free(v);
		if (rc == 0 && !ts)
			rc = err_set(e, FL_ENOMEM, "block: out of memory");
		if (rc == 0)
			tombstones_holder_swap(&b->tombs, ts);
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
	if (tombstones_holder_init(&b->tombs, NULL, e)) {
		fl_free(b);
		return NULL;
	}
	pthread_mutex_init(&b->del_mu, NULL);
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
	tombstones_holder_destroy(&b->tombs);
	pthread_mutex_destroy(&b->del_mu);
	block_meta_ext_reset(&b->ext);
	fl_free(b);
}

const block_meta *block_meta_get(const block *b) { return &b->meta; }
const char *block_dir(const block *b) { return b->dir; }
queryable *block_queryable(block *b) { return &b->qable; }
index_reader *block_index(block *b) { return b->ix; }
chunks_reader *block_chunks(block *b) { return b->cr; }

tomb_set *block_tombstones_acquire(block *b) { return tombstones_holder_acquire(&b->tombs); }

/* Prometheus Block.Delete's second half: merge, rewrite tombstones and
 * meta.json (numTombstones), then let new queriers see the new set. */
int block_add_tombstones(block *b, const tomb *add, size_t n, err *e)
{
	if (n == 0)
		return 0;
	pthread_mutex_lock(&b->del_mu);
	tomb_set *cur = tombstones_holder_acquire(&b->tombs);
	tomb_set *ts = tombstones_set_new(cur->v, cur->n, add, n);
	tombstones_set_release(cur);
	int rc = ts ? tombstones_write(b->dir, ts->v, ts->n, NULL, e) : err_set(e, FL_ENOMEM, "block: out of memory");
	bool written = rc == 0; /* the file holds them: readers must too, whatever meta.json's fate */
	if (rc == 0) {
		block_meta m = b->meta;
		m.num_tombstones = ts->n;
		const char **src = fl_malloc((b->ext.n_sources ? b->ext.n_sources : 1) * sizeof *src);
		if (!src)
			rc = err_set(e, FL_ENOMEM, "block: out of memory");
		for (size_t i = 0; src && i < b->ext.n_sources; i++)
			src[i] = b->ext.sources[i];
		block_compaction c = {m.level, src, b->ext.n_sources, b->ext.parents, b->ext.n_parents, b->ext.extra_json};
		if (rc == 0)
			rc = block_meta_write(b->dir, &m, &c, e);
		fl_free(src);
		if (rc == 0)
			b->meta.num_tombstones = ts->n;
	}
	if (written)
		tombstones_holder_swap(&b->tombs, ts);
	else
		tombstones_set_release(ts);
	pthread_mutex_unlock(&b->del_mu);
	return rc;
}

const block_meta_ext *block_ext(const block *b) { return &b->ext; }

const block_desc *block_parents(const block *b, size_t *n)
{
	*n = b->ext.n_parents;
	return b->ext.parents;
}
