/*
 * db_blocks.c - the db's loaded blocks as immutable, reference-counted
 * sets (Prometheus tsdb/db.go: DB.blocks guarded by mtx, reloadBlocks,
 * openBlocks, deleteBlocks, BeyondTimeRetention, BeyondSizeRetention).
 *
 * Prometheus keeps a []*Block under a RWMutex and makes every Block wait in
 * Close until its pending readers are done. Here the list is a value:
 *
 *   db_blocks.cur ──▶ db_block_set {refs, n, v[]} ──▶ db_block {block, refs, doomed}
 *
 * A reader acquires the current set (one atomic increment under mu), pins
 * the blocks it needs (db_block_ref) and releases the set. A writer
 * (retention today; head compaction and block compaction later) builds a
 * new set and swaps it in under mu; the old set goes when its last holder
 * releases it. A block dropped from the db is marked doomed first: when its
 * last ref goes (the last set holding it, the last querier pinning it), it
 * is closed and its directory renamed to <ULID>.tmp-for-deletion and
 * removed. So a querier never sees a block vanish under it, and a block
 * never outlives its readers on disk longer than needed.
 *
 * Invariants:
 *  1. A set is never modified after db_block_set_new; v[] is sorted by
 *     (minTime, ULID) and each entry holds one ref on its block.
 *  2. db_blocks.cur is never NULL between init and destroy, and holds one
 *     ref on its set.
 *  3. A block is marked doomed only just before a set without it is
 *     swapped in; whoever still pins it keeps it whole until unref.
 *
 * Lock order: db.c maint_mu (serialises writers) before db_blocks.mu;
 * nothing is called with mu held but the increment and the pointer swap.
 */
#include "tsdb/db_blocks.h"
#include "tsdb/db.h"

#include "lib/fsutil.h"
#include "lib/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- blocks ---- */

db_block *db_block_new(block *b)
{
	db_block *x = fl_calloc(1, sizeof *x);
	if (!x) {
		block_close(b);
		return NULL;
	}
	x->b = b;
	/* Block.Size: chunks + index + tombstones + meta.json, i.e. the directory */
	x->size_bytes = fsutil_dir_size(block_dir(b));
	atomic_init(&x->refs, 0);
	atomic_init(&x->doomed, false);
	return x;
}

void db_block_ref(db_block *x)
{
	long was = atomic_fetch_add(&x->refs, 1);
	assert(was >= 0);
	(void)was;
}

int db_blocks_delete_dir(const char *path, err *e)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s%s", path, DB_TMP_FOR_DELETION);
	if (rename(path, tmp) && errno != ENOENT)
		return err_set(e, FL_EIO, "db: rename %s: %s", path, strerror(errno));
	return fsutil_remove_all(tmp, e);
}

void db_block_unref(db_block *x)
{
	long was = atomic_fetch_sub(&x->refs, 1);
	assert(was >= 1);
	if (was != 1)
		return;
	char path[1100];
	bool doomed = atomic_load(&x->doomed);
	snprintf(path, sizeof path, "%s", block_dir(x->b));
	block_close(x->b);
	fl_free(x);
	if (!doomed)
		return;
	err e;
	if (db_blocks_delete_dir(path, &e))
		log_error("tsdb", "Deleting a block failed", "dir", path, "err", e.msg, NULL);
	else
		log_info("tsdb", "Deleting obsolete block", "block", path, NULL);
}

/* ---- sets ---- */

static int cmp_block(const void *a, const void *b)
{
	const block_meta *x = block_meta_get((*(db_block *const *)a)->b), *y = block_meta_get((*(db_block *const *)b)->b);
	if (x->min_time != y->min_time)
		return x->min_time < y->min_time ? -1 : 1;
	return strcmp(x->ulid, y->ulid);
}

db_block_set *db_block_set_new(db_block *const *v, size_t n)
{
	db_block_set *s = fl_malloc(sizeof *s + n * sizeof s->v[0]);
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->n = n;
	s->bytes = 0;
	s->max_time = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		s->v[i] = v[i];
		db_block_ref(v[i]);
		s->bytes += v[i]->size_bytes;
		s->max_time = FL_MAX(s->max_time, block_meta_get(v[i]->b)->max_time);
	}
	if (n > 1)
		qsort(s->v, n, sizeof s->v[0], cmp_block);
	return s;
}

void db_block_set_release(db_block_set *s)
{
	if (!s)
		return;
	long was = atomic_fetch_sub(&s->refs, 1);
	assert(was >= 1);
	if (was != 1)
		return;
	for (size_t i = 0; i < s->n; i++)
		db_block_unref(s->v[i]);
	fl_free(s);
}

int db_blocks_init(db_blocks *bs, err *e)
{
	bs->cur = db_block_set_new(NULL, 0);
	if (!bs->cur)
		return err_set(e, FL_ENOMEM, "db: out of memory");
	pthread_mutex_init(&bs->mu, NULL);
	return 0;
}

void db_blocks_destroy(db_blocks *bs)
{
	if (!bs->cur)
		return;
	db_block_set_release(bs->cur);
	bs->cur = NULL;
	pthread_mutex_destroy(&bs->mu);
}

db_block_set *db_blocks_acquire(db_blocks *bs)
{
	pthread_mutex_lock(&bs->mu);
	db_block_set *s = bs->cur;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&bs->mu);
	return s;
}

void db_blocks_swap(db_blocks *bs, db_block_set *s)
{
	assert(s != NULL);
	pthread_mutex_lock(&bs->mu);
	db_block_set *old = bs->cur;
	bs->cur = s;
	pthread_mutex_unlock(&bs->mu);
	db_block_set_release(old);
}

db_block_set *db_block_set_without(const db_block_set *s, const bool *del)
{
	db_block **keep = fl_malloc((s->n + 1) * sizeof *keep);
	if (!keep)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!del[i])
			keep[n++] = s->v[i];
	db_block_set *out = db_block_set_new(keep, n);
	fl_free(keep);
	if (!out)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (del[i])
			atomic_store(&s->v[i]->doomed, true);
	return out;
}

/* ---- loading ---- */

/* tsdb/db.go isTmpDir: <ULID>.tmp-for-creation, .tmp-for-deletion, .tmp */
static bool is_tmp_dir(const char *name)
{
	static const char *const sfx[] = {DB_TMP_FOR_CREATION, DB_TMP_FOR_DELETION, ".tmp"};
	for (size_t i = 0; i < FL_ARRAY_LEN(sfx); i++) {
		size_t nl = strlen(name), sl = strlen(sfx[i]);
		if (nl == 26 + sl && !strcmp(name + 26, sfx[i])) {
			char u[27];
			memcpy(u, name, 26);
			u[26] = 0;
			return db_is_ulid(u);
		}
	}
	return false;
}

typedef struct load_state {
	const char *dir;   /* data directory */
	bool read_only;    /* delete nothing */
	const db_block_set *reuse; /* blocks already open (reload), or NULL */
	db_block **v;      /* loaded */
	size_t n, cap;
	block_ulid *bad;   /* ULIDs of blocks that failed to open */
	size_t n_bad, bad_cap;
} load_state;

/* Append x to ls->v with a ref held by ls (dropped at the end of the load). */
static int add_loaded(load_state *ls, db_block *x, err *e)
{
	db_block_ref(x);
	if (!fl_grow((void **)&ls->v, &ls->cap, ls->n + 1, sizeof *ls->v)) {
		db_block_unref(x);
		return err_set(e, FL_ENOMEM, "db: out of memory loading blocks");
	}
	ls->v[ls->n++] = x;
	return 0;
}

static int load_one(load_state *ls, const char *name, err *e)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", ls->dir, name);
	if (is_tmp_dir(name)) {
		if (ls->read_only || ls->reuse)
			return 0; /* only at open: a reload may race a writer's tmp dir */
		err re;
		if (fsutil_remove_all(path, &re))
			log_warn("tsdb", "Failed to remove tmp dir", "dir", path, "err", re.msg, NULL);
		else
			log_info("tsdb", "Found and deleted tmp block dir", "dir", path, NULL);
		return 0;
	}
	if (!db_is_ulid(name))
		return 0;
	snprintf(path, sizeof path, "%s/%s/meta.json", ls->dir, name);
	if (stat(path, &st))
		return 0; /* not (yet) a block: Prometheus ignores it too */
	for (size_t i = 0; ls->reuse && i < ls->reuse->n; i++)
		if (!strcmp(block_meta_get(ls->reuse->v[i]->b)->ulid, name))
			return add_loaded(ls, ls->reuse->v[i], e);
	snprintf(path, sizeof path, "%s/%s", ls->dir, name);
	err be;
	err_clear(&be);
	block *b = block_open(path, &be);
	if (!b) {
		if (be.code == FL_ENOMEM)
			return err_set(e, FL_ENOMEM, "%s", be.msg);
		if (!fl_grow((void **)&ls->bad, &ls->bad_cap, ls->n_bad + 1, sizeof *ls->bad))
			return err_set(e, FL_ENOMEM, "db: out of memory loading blocks");
		snprintf(ls->bad[ls->n_bad++].s, sizeof ls->bad->s, "%s", name);
		log_error("tsdb", "Cannot open block: skipping it", "block", name, "err", be.msg, NULL);
		return 0;
	}
	db_block *x = db_block_new(b);
	if (!x)
		return err_set(e, FL_ENOMEM, "db: out of memory loading blocks");
	return add_loaded(ls, x, e);
}

static bool is_parent(const load_state *ls, const char *ulid)
{
	for (size_t i = 0; i < ls->n; i++) {
		size_t np;
		const block_ulid *p = block_parents(ls->v[i]->b, &np);
		for (size_t j = 0; j < np; j++)
			if (!strcmp(p[j].s, ulid))
				return true;
	}
	return false;
}

/* Parents of loaded blocks: compaction finished but its deletions did not
 * (tsdb/db.go reloadBlocks). Drop them from v[] and bad[]; read-write,
 * delete their directories (whether they loaded or not). */
static int drop_parents(load_state *ls, int64_t *failed, err *e)
{
	bool *par = fl_calloc(ls->n + 1, sizeof *par);
	if (!par)
		return err_set(e, FL_ENOMEM, "db: out of memory loading blocks");
	for (size_t i = 0; i < ls->n; i++) /* all first: v[] changes below */
		par[i] = is_parent(ls, block_meta_get(ls->v[i]->b)->ulid);
	size_t n = 0;
	for (size_t i = 0; i < ls->n; i++) {
		if (!par[i]) {
			ls->v[n++] = ls->v[i];
			continue;
		}
		log_info("tsdb", "Block replaced by a compacted one: removing it", "block", block_meta_get(ls->v[i]->b)->ulid,
			 NULL);
		if (!ls->read_only)
			atomic_store(&ls->v[i]->doomed, true); /* see invariant 3 */
		db_block_unref(ls->v[i]);
	}
	fl_free(par);
	ls->n = n;
	for (size_t i = 0; i < ls->n_bad; i++) {
		if (!is_parent(ls, ls->bad[i].s)) {
			(*failed)++;
			continue;
		}
		log_warn("tsdb", "Found corrupted block, but replaced by compacted one so it's safe to delete",
			 "block", ls->bad[i].s, NULL);
		char path[4096];
		err de;
		snprintf(path, sizeof path, "%s/%s", ls->dir, ls->bad[i].s);
		if (!ls->read_only && db_blocks_delete_dir(path, &de))
			log_error("tsdb", "Deleting a block failed", "dir", path, "err", de.msg, NULL);
	}
	return 0;
}

int db_blocks_load(const char *dir, bool read_only, const db_block_set *reuse, db_block_set **out, int64_t *failed,
		   err *e)
{
	*out = NULL;
	*failed = 0;
	DIR *dh = opendir(dir);
	if (!dh)
		return err_set(e, FL_EIO, "db: open %s: %s", dir, strerror(errno));
	load_state ls = {.dir = dir, .read_only = read_only, .reuse = reuse};
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(dh)))
		rc = load_one(&ls, de->d_name, e);
	closedir(dh);
	if (rc == 0)
		rc = drop_parents(&ls, failed, e);
	if (rc == 0 && !(*out = db_block_set_new(ls.v, ls.n)))
		rc = err_set(e, FL_ENOMEM, "db: out of memory loading blocks");
	for (size_t i = 0; i < ls.n; i++) /* the set holds them now (or nobody does) */
		db_block_unref(ls.v[i]);
	fl_free(ls.v);
	fl_free(ls.bad);
	return rc;
}

/* ---- retention ---- */

static int cmp_newest_first(const void *a, const void *b)
{
	int64_t x = block_meta_get((*(db_block *const *)a)->b)->max_time;
	int64_t y = block_meta_get((*(db_block *const *)b)->b)->max_time;
	return x > y ? -1 : x < y;
}

/* Index of b in s->v (blocks are distinct pointers). */
static size_t index_of(const db_block_set *s, const db_block *b)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == b)
			return i;
	assert(!"block not in its set");
	return 0;
}

int db_blocks_retention(const db_block_set *s, int64_t retention_ms, int64_t max_bytes, int64_t head_bytes, bool *del,
			db_retention *r, err *e)
{
	memset(r, 0, sizeof *r);
	memset(del, 0, s->n * sizeof *del);
	if (s->n == 0 || (retention_ms <= 0 && max_bytes <= 0))
		return 0;
	db_block **o = fl_malloc(s->n * sizeof *o);
	if (!o)
		return err_set(e, FL_ENOMEM, "db: out of memory applying retention");
	memcpy(o, s->v, s->n * sizeof *o);
	qsort(o, s->n, sizeof *o, cmp_newest_first);
	size_t from = s->n; /* first block to delete, in o[] */
	if (retention_ms > 0) {
		int64_t newest = block_meta_get(o[0]->b)->max_time;
		for (size_t i = 1; i < s->n; i++)
			if (newest - block_meta_get(o[i]->b)->max_time > retention_ms) {
				from = i;
				r->time = true;
				break;
			}
	}
	if (max_bytes > 0) {
		int64_t total = head_bytes;
		for (size_t i = 0; i < s->n; i++) {
			total += o[i]->size_bytes;
			if (total > max_bytes) {
				from = FL_MIN(from, i);
				r->size = true;
				break;
			}
		}
	}
	for (size_t i = from; i < s->n; i++) {
		del[index_of(s, o[i])] = true;
		r->n++;
	}
	fl_free(o);
	return 0;
}
