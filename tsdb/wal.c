/*
 * wal.c - the WAL segment writer (Prometheus tsdb/wlog/wlog.go: WL.log,
 * flushPage, nextSegment, Close, Segments). Format: see wal.h.
 *
 * State is the active segment's fd and `off`, the number of bytes the
 * segment holds. Prometheus keeps a 32 KiB page buffer and writes the new
 * part of it at the end of every Log() call; here the same bytes are built
 * in `out` and written once per batch, so one commit is one write(). The
 * page position is off % WAL_PAGE_SIZE (Prometheus's page.alloc) and the
 * pages done are off / WAL_PAGE_SIZE (donePages).
 *
 * Invariants (checked by wal_check):
 *  1. Between calls, out is empty and off is what the file holds.
 *  2. Between calls, the current page has >= WAL_HEADER_SIZE bytes left or
 *     is complete (off % page == 0): a fuller page was zero-padded at once.
 *  3. A fragment never crosses a page; a record never crosses a segment
 *     (unless it is bigger than a whole segment, which then grows).
 * Byte-for-byte what Prometheus writes for the same records and the same
 * compression choices (tests/unit/test_wal.c compares with golden WALs).
 *
 * Lock: mu protects everything below it in struct wal; segment_cur is also
 * written under mu but read without it (an aligned int, atomics).
 */
#include "tsdb/wal.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/log.h"

enum { FRAG_FULL = 1, FRAG_FIRST = 2, FRAG_MIDDLE = 3, FRAG_LAST = 4, FRAG_SNAPPY = 0x08 };

struct wal {
	char *dir;            /* owned path */
	int64_t segment_size; /* bytes per segment, multiple of the page size */
	bool compress;        /* snappy when it shrinks the record */
	bool fsync_commits;   /* fsync after each wal_log */
	int segment_cur;      /* active segment index (atomic reads) */
	pthread_mutex_t mu;   /* protects the fields below */
	int fd;               /* active segment, -1 after a failed cut */
	int64_t off;          /* bytes in the active segment */
	int64_t batch_off;    /* off when the current write batch started */
	buf out;              /* staged bytes not yet written */
	buf cbuf;             /* snappy output */
	wal_stats st;         /* counters */
};

static const uint8_t zeros[WAL_PAGE_SIZE];

void wal_segment_name(char *out, size_t cap, const char *dir, int index)
{
	snprintf(out, cap, "%s/%08d", dir, index);
}

static bool wal_check(const wal *w)
{
	int64_t left = WAL_PAGE_SIZE - w->off % WAL_PAGE_SIZE;
	return w->out.len == 0 && (left >= WAL_HEADER_SIZE || left == WAL_PAGE_SIZE);
}

/* ---- segment files ---- */

static bool parse_index(const char *name, int *idx)
{
	if (!*name)
		return false;
	long v = 0;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000L)
			return false;
		v = v * 10 + (*p - '0');
	}
	*idx = (int)v;
	return true;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int wal_segments(const char *dir, int *first, int *last, err *e)
{
	*first = *last = -1;
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "wal: open dir %s: %s", dir, strerror(errno));
	int *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		int idx;
		if (!parse_index(de->d_name, &idx))
			continue;
		if (!fl_grow((void **)&v, &cap, n + 1, sizeof *v)) {
			rc = err_set(e, FL_ENOMEM, "wal: list %s: out of memory", dir);
			break;
		}
		v[n++] = idx;
	}
	closedir(d);
	if (rc == 0 && n > 0) {
		qsort(v, n, sizeof *v, cmp_int);
		for (size_t i = 0; i + 1 < n && rc == 0; i++)
			if (v[i] + 1 != v[i + 1])
				rc = err_set(e, FL_ECORRUPT, "wal: %s: segments are not sequential (%08d then %08d)", dir,
					     v[i], v[i + 1]);
		if (rc == 0) {
			*first = v[0];
			*last = v[n - 1];
		}
	}
	fl_free(v);
	return rc;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_fsync(wal *w, int fd, err *e)
{
	double t0 = now_s();
	int r = fsync(fd);
	w->st.fsyncs++;
	w->st.fsync_seconds += now_s() - t0;
	if (r != 0)
		return err_set(e, FL_EIO, "wal: fsync segment %08d: %s", w->segment_cur, strerror(errno));
	return 0;
}

/* Create (or reopen) segment idx and make it the active one. */
static int segment_create(wal *w, int idx, err *e)
{
	char path[4096];
	wal_segment_name(path, sizeof path, w->dir, idx);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0)
		return err_set(e, FL_EIO, "wal: create segment %s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return err_set(e, FL_EIO, "wal: stat segment %s: %s", path, strerror(errno));
	}
	int64_t off = sb.st_size;
	int64_t torn = off % WAL_PAGE_SIZE;
	if (torn && write(fd, zeros, (size_t)(WAL_PAGE_SIZE - torn)) != (ssize_t)(WAL_PAGE_SIZE - torn)) {
		close(fd);
		return err_set(e, FL_EIO, "wal: zero-pad torn page of %s: %s", path, strerror(errno));
	}
	if (torn)
		off += WAL_PAGE_SIZE - torn;
	fsync_dir(w->dir);
	w->fd = fd;
	w->off = w->batch_off = off;
	__atomic_store_n(&w->segment_cur, idx, __ATOMIC_RELAXED);
	w->st.segment_current = idx;
	return 0;
}

/* ---- staging and writing ---- */

static void stage_zeros(wal *w, size_t n)
{
	buf_put(&w->out, zeros, n);
	w->off += (int64_t)n;
	w->st.completed_pages++;
}

/* Write the staged bytes to the active segment; undo the batch on error. */
static int flush_out(wal *w, err *e)
{
	if (w->out.oom) {
		w->out.oom = false;
		w->out.len = 0;
		w->off = w->batch_off;
		return err_set(e, FL_ENOMEM, "wal: segment %08d: out of memory staging a write", w->segment_cur);
	}
	size_t done = 0;
	while (done < w->out.len) {
		ssize_t k = write(w->fd, w->out.p + done, w->out.len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int en = k < 0 ? errno : EIO;
			w->st.writes_failed++;
			if (ftruncate(w->fd, w->batch_off) != 0)
				log_error("wal", "Cannot undo a failed write", "err", strerror(errno), NULL);
			w->out.len = 0;
			w->off = w->batch_off;
			return err_set(e, FL_EIO, "wal: write segment %08d: %s", w->segment_cur, strerror(en));
		}
		done += (size_t)k;
	}
	w->st.page_flushes++;
	w->st.bytes_written += (int64_t)w->out.len;
	w->out.len = 0;
	w->batch_off = w->off;
	return 0;
}

/* Pad the current page (if started), write, fsync and close the segment,
 * then create the next one (Prometheus nextSegment). */
static int cut_segment(wal *w, err *e)
{
	if (w->off % WAL_PAGE_SIZE)
		stage_zeros(w, (size_t)(WAL_PAGE_SIZE - w->off % WAL_PAGE_SIZE));
	int rc = flush_out(w, e);
	if (rc)
		return rc;
	rc = do_fsync(w, w->fd, e);
	close(w->fd);
	w->fd = -1;
	if (rc)
		return rc;
	return segment_create(w, w->segment_cur + 1, e);
}

/* Bytes of record data that still fit in the active segment. */
static int64_t segment_room(const wal *w)
{
	int64_t pages = w->segment_size / WAL_PAGE_SIZE;
	int64_t done = w->off / WAL_PAGE_SIZE, alloc = w->off % WAL_PAGE_SIZE;
	return (WAL_PAGE_SIZE - alloc) - WAL_HEADER_SIZE + (WAL_PAGE_SIZE - WAL_HEADER_SIZE) * (pages - done - 1);
}

/* Snappy-compress rec into cbuf when enabled and smaller (Prometheus's
 * rule); returns the bytes to write. */
static const uint8_t *maybe_compress(wal *w, const uint8_t *rec, size_t *len, bool *compressed)
{
	*compressed = false;
	if (!w->compress || *len == 0)
		return rec;
	buf_clear(&w->cbuf);
	if (!buf_reserve(&w->cbuf, wal_snappy_max_len(*len))) {
		w->cbuf.oom = false;
		return rec; /* plain is always valid */
	}
	size_t clen = wal_snappy_encode(w->cbuf.p, rec, *len);
	if (clen >= *len)
		return rec;
	w->st.record_bytes_saved += (int64_t)(*len - clen);
	*len = clen;
	*compressed = true;
	return w->cbuf.p;
}

/* Stage one record as fragments (Prometheus WL.log). */
static int log_one(wal *w, const uint8_t *rec, size_t len, err *e)
{
	bool compressed;
	const uint8_t *p = maybe_compress(w, rec, &len, &compressed);
	if ((int64_t)len > segment_room(w)) {
		int rc = cut_segment(w, e);
		if (rc)
			return rc;
	}
	for (int i = 0; i == 0 || len > 0; i++) {
		size_t room = (size_t)(WAL_PAGE_SIZE - w->off % WAL_PAGE_SIZE) - WAL_HEADER_SIZE;
		size_t l = FL_MIN(len, room);
		uint8_t typ = i == 0 ? (l == len ? FRAG_FULL : FRAG_FIRST) : (l == len ? FRAG_LAST : FRAG_MIDDLE);
		uint8_t hdr[WAL_HEADER_SIZE];
		hdr[0] = (uint8_t)(typ | (compressed ? FRAG_SNAPPY : 0));
		put_be16(hdr + 1, (uint16_t)l);
		put_be32(hdr + 3, crc32c(0, p, l));
		buf_put(&w->out, hdr, sizeof hdr);
		buf_put(&w->out, p, l);
		w->off += (int64_t)(l + WAL_HEADER_SIZE);
		int64_t left = WAL_PAGE_SIZE - w->off % WAL_PAGE_SIZE;
		if (left == WAL_PAGE_SIZE)
			w->st.completed_pages++;
		else if (left < WAL_HEADER_SIZE)
			stage_zeros(w, (size_t)left);
		p += l;
		len -= l;
	}
	w->st.records++;
	return 0;
}

int wal_log(wal *w, const slice *recs, size_t n, err *e)
{
	pthread_mutex_lock(&w->mu);
	int rc = 0;
	if (w->fd < 0)
		rc = segment_create(w, w->segment_cur + 1, e);
	assert(rc || wal_check(w));
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (recs[i].len > WAL_MAX_RECORD_SIZE) /* readers would refuse it */
			rc = err_set(e, FL_EINVAL, "wal: record of %zu bytes exceeds the %d-byte limit", recs[i].len,
				     WAL_MAX_RECORD_SIZE);
		else
			rc = log_one(w, (const uint8_t *)recs[i].p, recs[i].len, e);
	}
	if (rc == 0)
		rc = flush_out(w, e);
	else if (w->fd >= 0 && w->out.len) { /* drop what this batch staged in the segment */
		w->out.len = 0;
		w->off = w->batch_off;
	}
	if (rc == 0 && w->fsync_commits)
		rc = do_fsync(w, w->fd, e);
	assert(rc || wal_check(w));
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int wal_log1(wal *w, const void *rec, size_t len, err *e)
{
	slice s = {rec, len};
	return wal_log(w, &s, 1, e);
}

wal *wal_open(const char *dir, const wal_opts *o, err *e)
{
	int64_t ss = o && o->segment_size ? o->segment_size : WAL_SEGMENT_SIZE;
	if (ss < WAL_PAGE_SIZE || ss % WAL_PAGE_SIZE) {
		err_set(e, FL_EINVAL, "wal: invalid segment size %lld", (long long)ss);
		return NULL;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		err_set(e, FL_EIO, "wal: create dir %s: %s", dir, strerror(errno));
		return NULL;
	}
	int first, last;
	if (wal_segments(dir, &first, &last, e))
		return NULL;
	wal *w = fl_calloc(1, sizeof *w);
	if (!w || !(w->dir = fl_strdup(dir))) {
		fl_free(w);
		err_set(e, FL_ENOMEM, "wal: open %s: out of memory", dir);
		return NULL;
	}
	w->segment_size = ss;
	w->compress = o && o->compress;
	w->fsync_commits = o && o->fsync_commits;
	w->fd = -1;
	buf_init(&w->out);
	buf_init(&w->cbuf);
	pthread_mutex_init(&w->mu, NULL);
	if (segment_create(w, last + 1, e)) {
		pthread_mutex_destroy(&w->mu);
		fl_free(w->dir);
		fl_free(w);
		return NULL;
	}
	return w;
}

int wal_next_segment(wal *w, err *e)
{
	pthread_mutex_lock(&w->mu);
	int rc = w->fd < 0 ? segment_create(w, w->segment_cur + 1, e) : cut_segment(w, e);
	int idx = w->segment_cur;
	pthread_mutex_unlock(&w->mu);
	return rc ? rc : idx;
}

int wal_segment_current(wal *w) { return __atomic_load_n(&w->segment_cur, __ATOMIC_RELAXED); }

int wal_sync(wal *w, err *e)
{
	pthread_mutex_lock(&w->mu);
	int rc = w->fd >= 0 ? do_fsync(w, w->fd, e) : 0;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int wal_truncate(wal *w, int before, err *e)
{
	pthread_mutex_lock(&w->mu);
	w->st.truncations++;
	int first, last, rc = wal_segments(w->dir, &first, &last, e);
	for (int i = first; rc == 0 && i >= 0 && i < before && i < w->segment_cur; i++) {
		char path[4096];
		wal_segment_name(path, sizeof path, w->dir, i);
		if (unlink(path) != 0 && errno != ENOENT)
			rc = err_set(e, FL_EIO, "wal: delete segment %s: %s", path, strerror(errno));
	}
	if (rc)
		w->st.truncations_failed++;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

const char *wal_dir(const wal *w) { return w->dir; }

void wal_get_stats(wal *w, wal_stats *s)
{
	pthread_mutex_lock(&w->mu);
	*s = w->st;
	pthread_mutex_unlock(&w->mu);
}

int wal_close(wal *w, err *e)
{
	if (!w)
		return 0;
	int rc = 0;
	if (w->fd >= 0) {
		/* Prometheus pads only a started page: an empty one would
		 * falsely mark the segment as holding a finished page. */
		if (w->off % WAL_PAGE_SIZE)
			stage_zeros(w, (size_t)(WAL_PAGE_SIZE - w->off % WAL_PAGE_SIZE));
		rc = flush_out(w, e);
		int rc2 = do_fsync(w, w->fd, rc ? NULL : e);
		if (!rc)
			rc = rc2;
		close(w->fd);
	}
	buf_reset(&w->out);
	buf_reset(&w->cbuf);
	pthread_mutex_destroy(&w->mu);
	fl_free(w->dir);
	fl_free(w);
	return rc;
}
