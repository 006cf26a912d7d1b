/*
 * checkpoint.c - finding WAL checkpoints and planning a replay
 * (Prometheus tsdb/wlog/checkpoint.go: LastCheckpoint, DeleteCheckpoints;
 * the segment walk of tsdb/head.go Init).
 *
 *   wal/checkpoint.00000001/00000000   checkpoint of segments ..1: the series
 *                                       still alive and samples >= its mint,
 *                                       written as ordinary WAL segments
 *   wal/checkpoint.00000001.tmp/       one being written (ignored, deleted)
 *
 * A replay reads the newest checkpoint N, then WAL segments N+1..last.
 * Segments <= N may still exist (a crash between checkpoint and truncation)
 * and are skipped. Without a checkpoint the replay starts at the first
 * segment (Prometheus insists on segment 0 and fails otherwise; flint reads
 * what is there).
 */
#include "tsdb/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "tsdb/record.h"

/* "checkpoint.NNNNNNNN" (digits only) -> index; false for anything else. */
static bool checkpoint_index(const char *name, int *idx)
{
	size_t pl = strlen(WAL_CHECKPOINT_PREFIX);
	if (strncmp(name, WAL_CHECKPOINT_PREFIX, pl) != 0 || !name[pl])
		return false;
	long v = 0;
	for (const char *p = name + pl; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000L)
			return false;
		v = v * 10 + (*p - '0');
	}
	*idx = (int)v;
	return true;
}

static bool is_dir(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int wal_checkpoint_last(const char *dir, char *path, size_t cap, int *index, err *e)
{
	*index = -1;
	if (cap)
		path[0] = 0;
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "wal: find last checkpoint: open %s: %s", dir,
			       strerror(errno));
	struct dirent *de;
	int best = -1;
	while ((de = readdir(d))) {
		int idx;
		if (checkpoint_index(de->d_name, &idx) && idx > best && is_dir(dir, de->d_name))
			best = idx;
	}
	closedir(d);
	if (best < 0)
		return err_set(e, FL_ENOTFOUND, "wal: no checkpoint in %s", dir);
	*index = best;
	snprintf(path, cap, "%s/" WAL_CHECKPOINT_PREFIX "%08d", dir, best);
	return 0;
}

/* Delete checkpoints with index < max_index (none when tmp_only) and every .tmp one. */
static int remove_checkpoints(const char *dir, int max_index, bool tmp_only, err *e)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, FL_EIO, "wal: delete checkpoints: open %s: %s", dir, strerror(errno));
	struct dirent *de;
	int rc = 0;
	size_t pl = strlen(WAL_CHECKPOINT_PREFIX), nl;
	while ((de = readdir(d)) && rc == 0) {
		int idx;
		nl = strlen(de->d_name);
		bool tmp = strncmp(de->d_name, WAL_CHECKPOINT_PREFIX, pl) == 0 && nl > 4 &&
			   strcmp(de->d_name + nl - 4, ".tmp") == 0;
		bool old = !tmp_only && checkpoint_index(de->d_name, &idx) && idx < max_index;
		if (!tmp && !old)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((rc = fsutil_remove_all(path, e)))
			err_wrap(e, "wal: delete checkpoint");
	}
	closedir(d);
	return rc;
}

int wal_checkpoint_delete_before(const char *dir, int max_index, err *e)
{
	return remove_checkpoints(dir, max_index, false, e);
}

int wal_replay_plan_make(const char *dir, wal_replay_plan *p, err *e)
{
	memset(p, 0, sizeof *p);
	int rc = wal_checkpoint_last(dir, p->checkpoint, sizeof p->checkpoint, &p->checkpoint_index, e);
	if (rc && rc != FL_ENOTFOUND)
		return rc;
	err_clear(e);
	int first, last;
	if ((rc = wal_segments(dir, &first, &last, e)) != 0)
		return rc;
	if (p->checkpoint_index >= 0) {
		p->ranges[p->n_ranges++] = (wal_segment_range){p->checkpoint, -1, -1};
		int want = p->checkpoint_index + 1;
		if (first > want)
			return err_set(e, FL_ECORRUPT, "wal: segments %08d..%08d missing after checkpoint %s", want,
				       first - 1, p->checkpoint);
		p->first = want;
	} else {
		p->first = first < 0 ? 0 : first;
	}
	p->last = last;
	if (last >= p->first && last >= 0)
		p->ranges[p->n_ranges++] = (wal_segment_range){dir, p->first, p->last};
	return 0;
}

/* ---- writing a checkpoint ---- */

typedef struct cp_state {
	wal *out;                     /* writer on checkpoint.N.tmp */
	bool (*keep)(void *, uint64_t); /* caller's series filter */
	void *ctx;
	int64_t mint;                 /* drop timed entries below */
	arena a;                      /* decoded records, reset per record */
	buf batch;                    /* encoded records waiting for one wal_log */
	size_t *starts;               /* start offset of each record in batch */
	size_t n_starts, cap_starts;
	record_metadata *meta;        /* kept metadata entries, in WAL order */
	size_t n_meta, cap_meta;
	arena meta_strings;           /* their unit/help strings */
	wal_checkpoint_stats *st;
} cp_state;

static int cp_flush(cp_state *c, err *e)
{
	if (c->n_starts == 0)
		return 0;
	if (c->batch.oom)
		return err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory");
	slice *recs = fl_malloc(c->n_starts * sizeof *recs);
	if (!recs)
		return err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory");
	for (size_t i = 0; i < c->n_starts; i++) {
		size_t end = i + 1 < c->n_starts ? c->starts[i + 1] : c->batch.len;
		recs[i] = (slice){(const char *)c->batch.p + c->starts[i], end - c->starts[i]};
	}
	int rc = wal_log(c->out, recs, c->n_starts, e);
	fl_free(recs);
	buf_clear(&c->batch);
	c->n_starts = 0;
	return rc;
}

/* Keep the kept metadata entries (strings copied) for the final record. */
static int cp_metadata(cp_state *c, record_metadata *m, size_t n, err *e)
{
	for (size_t i = 0; i < n; i++) {
		c->st->total_metadata++;
		if (!c->keep(c->ctx, m[i].ref))
			continue;
		if (!fl_grow((void **)&c->meta, &c->cap_meta, c->n_meta + 1, sizeof *c->meta))
			return err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory");
		record_metadata *d = &c->meta[c->n_meta++];
		*d = m[i];
		d->unit = arena_strdup(&c->meta_strings, m[i].unit);
		d->help = arena_strdup(&c->meta_strings, m[i].help);
		if (!d->unit || !d->help)
			return err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory");
	}
	return 0;
}

/* Filter one record's entries in place and re-encode what is left into batch. */
static int cp_filter(cp_state *c, const uint8_t *rec, size_t len, err *e)
{
	size_t n, k = 0;
	int rc = 0;
	buf *b = &c->batch;
	switch (record_type(rec, len)) {
	case RECORD_SERIES: {
		record_series *v;
		if ((rc = record_decode_series(rec, len, &c->a, &v, &n, e)))
			break;
		for (size_t i = 0; i < n; i++)
			if (c->keep(c->ctx, v[i].ref))
				v[k++] = v[i];
		c->st->total_series += (int64_t)n;
		c->st->dropped_series += (int64_t)(n - k);
		if (k)
			record_encode_series(b, v, k);
		break;
	}
	case RECORD_SAMPLES: {
		record_sample *v;
		if ((rc = record_decode_samples(rec, len, &c->a, &v, &n, e)))
			break;
		for (size_t i = 0; i < n; i++)
			if (v[i].t >= c->mint)
				v[k++] = v[i];
		c->st->total_samples += (int64_t)n;
		c->st->dropped_samples += (int64_t)(n - k);
		if (k)
			record_encode_samples(b, v, k);
		break;
	}
	case RECORD_TOMBSTONES: {
		record_tombstone *v;
		if ((rc = record_decode_tombstones(rec, len, &c->a, &v, &n, e)))
			break;
		for (size_t i = 0; i < n; i++)
			if (v[i].maxt >= c->mint)
				v[k++] = v[i];
		c->st->total_tombstones += (int64_t)n;
		c->st->dropped_tombstones += (int64_t)(n - k);
		if (k)
			record_encode_tombstones(b, v, k);
		break;
	}
	case RECORD_EXEMPLARS: {
		record_exemplar *v;
		if ((rc = record_decode_exemplars(rec, len, &c->a, &v, &n, e)))
			break;
		for (size_t i = 0; i < n; i++)
			if (v[i].t >= c->mint)
				v[k++] = v[i];
		c->st->total_exemplars += (int64_t)n;
		c->st->dropped_exemplars += (int64_t)(n - k);
		if (k)
			record_encode_exemplars(b, v, k);
		break;
	}
	case RECORD_METADATA: {
		record_metadata *v;
		if ((rc = record_decode_metadata(rec, len, &c->a, &v, &n, e)) == 0)
			rc = cp_metadata(c, v, n, e);
		break;
	}
	case RECORD_HISTOGRAM_SAMPLES:
	case RECORD_FLOAT_HISTOGRAM_SAMPLES:
	case RECORD_CUSTOM_BUCKETS_HISTOGRAM_SAMPLES:
	case RECORD_CUSTOM_BUCKETS_FLOAT_HISTOGRAM_SAMPLES:
		c->st->histogram_records++;
		buf_put(b, rec, len);
		break;
	default: /* mmap markers (a WBL record) and unknown types are dropped */
		break;
	}
	return rc;
}

typedef struct meta_key {
	uint64_t ref; /* series */
	size_t seq;   /* position in WAL order */
} meta_key;

static int cmp_meta_key(const void *x, const void *y)
{
	const meta_key *a = x, *b = y;
	if (a->ref != b->ref)
		return a->ref < b->ref ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Log one metadata record with the latest entry of each kept series. */
static int cp_flush_metadata(cp_state *c, err *e)
{
	if (c->n_meta == 0)
		return 0;
	meta_key *keys = fl_malloc(c->n_meta * sizeof *keys);
	record_metadata *latest = fl_malloc(c->n_meta * sizeof *latest);
	int rc = 0;
	if (!keys || !latest) {
		rc = err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory");
	} else {
		for (size_t i = 0; i < c->n_meta; i++)
			keys[i] = (meta_key){c->meta[i].ref, i};
		qsort(keys, c->n_meta, sizeof *keys, cmp_meta_key);
		size_t k = 0;
		for (size_t i = 0; i < c->n_meta; i++)
			if (i + 1 == c->n_meta || keys[i + 1].ref != keys[i].ref)
				latest[k++] = c->meta[keys[i].seq];
		c->st->dropped_metadata += c->st->total_metadata - (int64_t)k;
		buf_clear(&c->batch);
		record_encode_metadata(&c->batch, latest, k);
		rc = c->batch.oom ? err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory")
				  : wal_log1(c->out, c->batch.p, c->batch.len, e);
	}
	fl_free(keys);
	fl_free(latest);
	return rc;
}

/* Read every record of r into the checkpoint writer. */
static int cp_copy(cp_state *c, wal_reader *r, err *e)
{
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = wal_reader_next(r, &rec, &len, e)) == 1) {
		size_t start = c->batch.len;
		rc = cp_filter(c, rec, len, e);
		arena_reset(&c->a);
		if (rc) {
			err_wrap(e, "wal: checkpoint: segment %08d offset %lld", wal_reader_segment(r),
				 (long long)wal_reader_offset(r));
			return rc;
		}
		if (c->batch.len == start)
			continue; /* everything dropped */
		if (!fl_grow((void **)&c->starts, &c->cap_starts, c->n_starts + 1, sizeof *c->starts))
			return err_set(e, FL_ENOMEM, "wal: checkpoint: out of memory");
		c->starts[c->n_starts++] = start;
		if (c->batch.len > (1 << 20) && (rc = cp_flush(c, e)))
			return rc;
	}
	if (rc < 0) {
		err_wrap(e, "wal: checkpoint: read segments");
		return rc;
	}
	if ((rc = cp_flush(c, e)))
		return rc;
	return cp_flush_metadata(c, e);
}

static int sync_dir(const char *dir, err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0) {
		int en = errno;
		if (fd >= 0)
			close(fd);
		return err_set(e, FL_EIO, "wal: checkpoint: sync %s: %s", dir, strerror(en));
	}
	close(fd);
	return 0;
}

/* The previous checkpoint and segments from..to, as upstream selects them. */
static wal_reader *cp_open_source(const char *dir, int from, int to, char *prev, size_t cap, err *e)
{
	int idx;
	int rc = wal_checkpoint_last(dir, prev, cap, &idx, e);
	if (rc && rc != FL_ENOTFOUND)
		return NULL;
	wal_segment_range g[2];
	size_t n = 0;
	if (rc == 0) {
		if (from > idx + 1) {
			err_set(e, FL_EINVAL, "wal: checkpoint: unexpected gap to last checkpoint: expected %d, requested %d",
				idx + 1, from);
			return NULL;
		}
		from = idx + 1; /* segments below the checkpoint should not exist */
		g[n++] = (wal_segment_range){prev, -1, -1};
	}
	err_clear(e);
	g[n++] = (wal_segment_range){dir, from, to};
	return wal_reader_open(g, n, e);
}

int wal_checkpoint_create(const char *dir, int from, int to, bool (*keep)(void *ctx, uint64_t ref), void *ctx,
			  int64_t mint, bool compress, wal_checkpoint_stats *st, err *e)
{
	wal_checkpoint_stats dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof *st);
	char prev[4096], cpdir[4096], tmp[4200];
	wal_reader *r = cp_open_source(dir, from, to, prev, sizeof prev, e);
	if (!r)
		return e ? e->code : FL_EIO;
	int rc = remove_checkpoints(dir, 0, true, e);
	snprintf(cpdir, sizeof cpdir, "%s/" WAL_CHECKPOINT_PREFIX "%08d", dir, to);
	snprintf(tmp, sizeof tmp, "%s.tmp", cpdir);
	cp_state c = {.keep = keep, .ctx = ctx, .mint = mint, .st = st};
	arena_init(&c.a);
	arena_init(&c.meta_strings);
	buf_init(&c.batch);
	wal_opts o = {.compress = compress};
	if (rc == 0 && !(c.out = wal_open(tmp, &o, e)))
		rc = e ? e->code : FL_EIO;
	if (rc == 0)
		rc = cp_copy(&c, r, e);
	wal_reader_close(r);
	int rc2 = wal_close(c.out, rc ? NULL : e);
	if (rc == 0)
		rc = rc2;
	if (rc == 0)
		rc = sync_dir(tmp, e);
	if (rc == 0) {
		fsutil_remove_all(cpdir, NULL); /* replace an existing one */
		if (rename(tmp, cpdir) != 0)
			rc = err_set(e, FL_EIO, "wal: checkpoint: rename %s: %s", tmp, strerror(errno));
		else
			rc = sync_dir(dir, e);
	}
	if (rc)
		fsutil_remove_all(tmp, NULL);
	arena_reset(&c.a);
	arena_reset(&c.meta_strings);
	buf_reset(&c.batch);
	fl_free(c.starts);
	fl_free(c.meta);
	return rc;
}

int wal_checkpoint_truncate(wal *w, int64_t mint, bool (*keep)(void *ctx, uint64_t ref), void *ctx, bool compress,
			    int *checkpoint, wal_checkpoint_stats *st, err *e)
{
	const char *dir = wal_dir(w);
	int first, last;
	*checkpoint = -1;
	if (st)
		memset(st, 0, sizeof *st);
	int rc = wal_segments(dir, &first, &last, e);
	if (rc)
		return rc;
	/* a new segment, so a quiet TSDB does not keep more WAL than needed */
	if ((rc = wal_next_segment(w, e)) < 0)
		return rc;
	last--; /* never the segment that was being written */
	if (last < 0)
		return 0;
	/* the lower two thirds hold mostly samples that are now in blocks;
	 * with fewer than two closed segments it is not worth it yet */
	last = first + (last - first) * 2 / 3;
	if (last <= first)
		return 0;
	char fs[16], ls[16], ms[32];
	snprintf(fs, sizeof fs, "%d", first);
	snprintf(ls, sizeof ls, "%d", last);
	snprintf(ms, sizeof ms, "%lld", (long long)mint);
	log_info("wal", "Creating checkpoint", "from_segment", fs, "to_segment", ls, "mint", ms, NULL);
	if ((rc = wal_checkpoint_create(dir, first, last, keep, ctx, mint, compress, st, e)))
		return rc;
	*checkpoint = last;
	err te;
	if (wal_truncate(w, last + 1, &te)) /* retried at the next checkpoint */
		log_error("wal", "Truncating segments failed", "err", te.msg, NULL);
	if (wal_checkpoint_delete_before(dir, last, &te))
		log_error("wal", "Deleting old checkpoints failed", "err", te.msg, NULL);
	return 0;
}
