/*
 * watcher.c - tail <data>/wal as Prometheus's wlog.Watcher does, for one
 * remote-write queue: the newest checkpoint first (series only), then the
 * segments in order, the live one as it grows, into new ones as they
 * appear, and on to the next checkpoint when the head truncates the WAL
 * under a queue that is behind.
 *
 * Reading the live segment: tsdb/wal_reader.c reads whole segments, so a
 * step reads the segment's bytes from the page holding the last record
 * consumed to the end of the file (at most `chunk` bytes) into memory and
 * runs a memory reader over them. Page boundaries stay aligned because the
 * bytes start at a page boundary; the bytes of that page before the last
 * record (the tail of an earlier record, which the reader would call
 * corrupt) are replaced by one full fragment of zeros, skipped like every
 * record before the position. A record cut by the end of the file (the
 * writer is mid-write, or the chunk ended) is not an error: it is read
 * again at the next step. A segment is finished once the next one exists
 * and a read after seeing it reaches the end of the file.
 *
 * Positions (rw_pos): cur is the last record consumed; send_from is the
 * resume point of the queue's position file: records before it give their
 * series but not their samples. When the segment the watcher is in was
 * deleted by a truncation, it jumps to the newest checkpoint and the first
 * segment after it (samples in the deleted segments are lost, as in
 * Prometheus; the WAL must cover an outage).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "remote/write_int.h"
#include "tsdb/wal.h"

#define CHUNK_MIN (1u << 20)
#define CHUNK_MAX (1u << 30)

bool rw_pos_reached(rw_pos p, int seg, int64_t off)
{
	if (seg != p.seg)
		return seg > p.seg;
	return p.skip ? off > p.off : off >= p.off;
}

void wal_watcher_init(wal_watcher *w, const char *wal_dir, rw_pos from, const wal_watcher_sink *sink)
{
	memset(w, 0, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "%s", wal_dir);
	w->sink = *sink;
	w->send_from = from.seg < 0 ? wal_watcher_end(wal_dir) : from;
	w->cur = (rw_pos){w->send_from.seg, 0, false, 0};
	w->checkpoint = -1;
	w->chunk = CHUNK_MIN;
	buf_init(&w->seg);
	arena_init(&w->a);
}

void wal_watcher_free(wal_watcher *w)
{
	buf_reset(&w->seg);
	arena_reset(&w->a);
}

/* One record at (seg, off): series to the sink; samples too when send.
 * false when the sink said stop. */
static bool consume(wal_watcher *w, const uint8_t *rec, size_t len, int seg, int64_t off, bool send)
{
	enum record_type t = record_type(rec, len);
	atomic_fetch_add(&w->records_read[t <= RECORD_CUSTOM_BUCKETS_FLOAT_HISTOGRAM_SAMPLES ? t : 0], 1);
	err e = {0};
	bool ok = true;
	if (t == RECORD_SERIES) {
		record_series *s;
		size_t n;
		if (record_decode_series(rec, len, &w->a, &s, &n, &e))
			atomic_fetch_add(&w->decode_failures, 1);
		else
			w->sink.series(w->sink.ctx, s, n, seg);
	} else if (t == RECORD_SAMPLES && send) {
		record_sample *s;
		size_t n;
		if (record_decode_samples(rec, len, &w->a, &s, &n, &e))
			atomic_fetch_add(&w->decode_failures, 1);
		else {
			const rw_pos *f = &w->send_from; /* resuming inside this record */
			size_t skip = f->seg == seg && f->off == off && !f->skip ? (size_t)f->idx : 0;
			if (n > skip)
				ok = w->sink.samples(w->sink.ctx, s + skip, n - skip, (rw_pos){seg, off, false, (int32_t)skip});
		}
	}
	arena_reset(&w->a);
	return ok;
}

/* Series of whole segments [first, last] of dir (a checkpoint: -1, -1),
 * seg_as >= 0: the segment index the series count as seen in. */
static void read_series(wal_watcher *w, const char *dir, int first, int last, int seg_as)
{
	err e = {0};
	wal_segment_range rg = {dir, first, last};
	wal_reader *r = wal_reader_open(&rg, 1, &e);
	if (!r) {
		log_warn("remote", "Error reading WAL", "dir", dir, "err", e.msg, NULL);
		return;
	}
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1)
		consume(w, rec, len, seg_as >= 0 ? seg_as : wal_reader_segment(r), wal_reader_offset(r), false);
	if (rc < 0 && !(wal_reader_corruption(r) && wal_reader_corruption(r)->torn))
		log_warn("remote", "Error reading WAL", "dir", dir, "err", e.msg, NULL);
	wal_reader_close(r);
}

/* Read the newest checkpoint if it is newer than the last one read. */
static void read_checkpoint(wal_watcher *w)
{
	char path[1100];
	int idx;
	err e = {0};
	if (wal_checkpoint_last(w->dir, path, sizeof path, &idx, &e) || idx <= w->checkpoint)
		return;
	read_series(w, path, -1, -1, idx);
	w->checkpoint = idx;
	w->sink.reset(w->sink.ctx, idx);
}

static void start(wal_watcher *w)
{
	read_checkpoint(w);
	int first, last;
	err e = {0};
	if (wal_segments(w->dir, &first, &last, &e) || first < 0)
		first = last = w->send_from.seg;
	if (w->checkpoint >= 0 && first <= w->checkpoint)
		first = w->checkpoint + 1;
	if (w->send_from.seg < first) {
		char a[16], b[16];
		snprintf(a, sizeof a, "%d", w->send_from.seg);
		snprintf(b, sizeof b, "%d", first);
		log_warn("remote", "WAL segment of the queue position was truncated: continuing after the checkpoint",
			 "segment", a, "next", b, NULL);
		w->send_from = (rw_pos){first, 0, false, 0};
	}
	if (w->send_from.seg > first)
		read_series(w, w->dir, first, w->send_from.seg - 1, -1);
	w->cur = (rw_pos){w->send_from.seg, 0, false, 0};
	w->started = true;
}

static bool exists(const char *dir, int seg)
{
	char p[1100];
	struct stat sb;
	wal_segment_name(p, sizeof p, dir, seg);
	return stat(p, &sb) == 0;
}

/* The segment of cur is gone: on to the checkpoint and the first segment. */
static int truncated(wal_watcher *w)
{
	int first, last;
	err e = {0};
	if (wal_segments(w->dir, &first, &last, &e) || first < 0 || first <= w->cur.seg)
		return 0; /* not created yet */
	read_checkpoint(w);
	int next = first > w->checkpoint + 1 ? first : w->checkpoint + 1;
	char a[16], b[16];
	snprintf(a, sizeof a, "%d", w->cur.seg);
	snprintf(b, sizeof b, "%d", next);
	log_warn("remote", "WAL segment was truncated before the queue read it", "segment", a, "next", b, NULL);
	w->cur = (rw_pos){next, 0, false, 0};
	return 1;
}

/* Bytes [from, from + n) of fd into w->seg; a zero-data full fragment
 * covers [from, off) when off is past the page start. */
static int load(wal_watcher *w, int fd, int64_t from, size_t n, int64_t off)
{
	buf_clear(&w->seg);
	if (!buf_reserve(&w->seg, n))
		return -1;
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, w->seg.p + got, n - got, from + (int64_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	w->seg.len = got;
	size_t gap = (size_t)(off - from);
	if (gap >= WAL_HEADER_SIZE && gap <= got) {
		uint8_t *p = w->seg.p;
		memset(p, 0, gap);
		size_t dl = gap - WAL_HEADER_SIZE;
		p[0] = 1; /* full */
		p[1] = (uint8_t)(dl >> 8), p[2] = (uint8_t)dl;
		uint32_t c = crc32c(0, p + WAL_HEADER_SIZE, dl);
		p[3] = (uint8_t)(c >> 24), p[4] = (uint8_t)(c >> 16), p[5] = (uint8_t)(c >> 8), p[6] = (uint8_t)c;
	}
	return 0;
}

int wal_watcher_step(wal_watcher *w)
{
	if (!w->started)
		start(w);
	int seg = w->cur.seg;
	atomic_store(&w->current_segment, seg);
	bool next_exists = exists(w->dir, seg + 1);
	char path[1100];
	wal_segment_name(path, sizeof path, w->dir, seg);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? truncated(w) : 0;
	struct stat sb;
	int64_t size = fstat(fd, &sb) == 0 ? sb.st_size : 0;
	int64_t from = w->cur.off / WAL_PAGE_SIZE * WAL_PAGE_SIZE;
	size_t n = size > from ? (size_t)FL_MIN((int64_t)w->chunk, size - from) : 0;
	if (n && load(w, fd, from, n, w->cur.off)) {
		close(fd);
		return 0;
	}
	close(fd);
	n = n ? w->seg.len : 0;
	bool eof = from + (int64_t)n >= size;
	bool any = false;
	int rc = 0;
	if (n) {
		wal_reader *r = wal_reader_open_mem(w->seg.p, n);
		const uint8_t *rec;
		size_t len;
		err e = {0};
		while (r && (rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
			int64_t off = from + wal_reader_offset(r);
			if (!rw_pos_reached(w->cur, seg, off))
				continue;
			if (!consume(w, rec, len, seg, off, rw_pos_reached(w->send_from, seg, off))) {
				wal_reader_close(r);
				return -1;
			}
			w->cur = (rw_pos){seg, off, true, 0};
			any = true;
		}
		wal_reader_close(r);
	}
	if (!eof) {
		if (!any && w->chunk < CHUNK_MAX)
			w->chunk *= 2; /* a record bigger than the chunk */
		return 1;
	}
	if (any)
		w->chunk = CHUNK_MIN;
	if (next_exists) {
		if (rc < 0) {
			atomic_fetch_add(&w->decode_failures, 1);
			log_warn("remote", "Damaged WAL segment tail skipped", "segment", path, NULL);
		}
		w->cur = (rw_pos){seg + 1, 0, false, 0};
		return 1;
	}
	return any;
}

rw_pos wal_watcher_end(const char *wal_dir)
{
	int first, last;
	err e = {0};
	if (wal_segments(wal_dir, &first, &last, &e) || last < 0)
		return (rw_pos){0, 0, false, 0};
	rw_pos p = {last, 0, false, 0};
	wal_segment_range rg = {wal_dir, last, last};
	wal_reader *r = wal_reader_open(&rg, 1, &e);
	const uint8_t *rec;
	size_t len;
	while (r && wal_reader_next(r, &rec, &len, &e) == 1)
		p = (rw_pos){last, wal_reader_offset(r), true, 0};
	wal_reader_close(r);
	return p;
}
