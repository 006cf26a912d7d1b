/*
 * chunks_write.c - writing a block's chunk segments, `chunks/000001 ...`
 * (Prometheus 2.42 tsdb/chunks/chunks.go Writer; docs/format/chunks.md).
 *
 *   segment: magic 0x85BD40DD (4) | version 1 (1) | padding (3) | chunks...
 *   chunk:   len uvarint | encoding (1) | data | CRC32C(encoding + data)
 *
 * A chunk's ref is (segment index from 0) << 32 | its offset. The first
 * write creates 000001. The chunks of one call (one series) form batches
 * the way Prometheus's WriteChunks forms them, counting each chunk as if
 * its length took 5 bytes: a batch that would push the segment past
 * segment_size starts a new segment, except that a segment always takes
 * at least one chunk. Segments are written exactly to their used length
 * (Prometheus preallocates, then truncates on close: the same bytes).
 *
 * Invariants:
 *  1. w->cur.pos <= segment_size unless one chunk alone is larger.
 *  2. Every closed segment was fsynced before the next one was created.
 */
#include "tsdb/chunks.h"

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/hash.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#define MAX_LEN_FIELD 5 /* binary.MaxVarintLen32, what Prometheus budgets */

struct chunks_writer {
	char dir[1024];        /* the chunks/ directory */
	uint64_t seg_size;     /* segment size limit */
	fsutil_writer cur;         /* current segment (cur.fd < 0 before the first) */
	uint32_t seq;          /* segment files created */
	uint64_t bytes;        /* bytes written over all segments */
};

chunks_writer *chunks_writer_open(const char *dir, uint64_t segment_size, err *e)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		err_set(e, FL_EIO, "chunks: mkdir %s: %s", dir, strerror(errno));
		return NULL;
	}
	chunks_writer *w = fl_calloc(1, sizeof *w);
	if (!w) {
		err_set(e, FL_ENOMEM, "chunks: out of memory");
		return NULL;
	}
	snprintf(w->dir, sizeof w->dir, "%s", dir);
	w->seg_size = segment_size ? segment_size : CHUNKS_SEGMENT_SIZE;
	w->cur.fd = -1;
	return w;
}

/* Close the current segment (fsynced) and start the next. */
static int cut(chunks_writer *w, err *e)
{
	if (w->cur.fd >= 0) {
		w->bytes += w->cur.pos;
		if (fsutil_writer_close(&w->cur, e) != 0)
			return e ? e->code : FL_EIO;
	}
	char path[1100];
	snprintf(path, sizeof path, "%s/%06u", w->dir, w->seq + 1);
	int rc = fsutil_writer_open(&w->cur, path, e);
	if (rc)
		return rc;
	w->seq++;
	uint8_t hdr[CHUNKS_HEADER_LEN] = {0};
	put_be32(hdr, CHUNKS_MAGIC);
	hdr[4] = 1;
	fsutil_writer_put(&w->cur, hdr, sizeof hdr);
	return 0;
}

static uint64_t budget(const chunks_item *c) { return MAX_LEN_FIELD + 1 + c->len + 4; }

static void put_chunk(chunks_writer *w, const chunks_item *c, uint64_t *ref)
{
	*ref = (uint64_t)(w->seq - 1) << 32 | w->cur.pos;
	uint8_t t[16];
	int k = uvarint_put(t, c->len);
	t[k] = c->enc;
	fsutil_writer_put(&w->cur, t, (size_t)k + 1);
	fsutil_writer_put(&w->cur, c->data, c->len);
	uint32_t crc = crc32c(crc32c(0, &c->enc, 1), c->data, c->len);
	put_be32(t, crc);
	fsutil_writer_put(&w->cur, t, 4);
}

int chunks_writer_write(chunks_writer *w, const chunks_item *c, size_t n, uint64_t *refs, err *e)
{
	if (n == 0)
		return 0;
	if (w->cur.fd < 0 && cut(w, e) != 0)
		return e ? e->code : FL_EIO;
	/* Batches as Prometheus's WriteChunks forms them (see the top). */
	uint64_t batch = 0;
	bool first = true;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		batch += budget(&c[i]);
		bool cut_now = i != 0 && batch + CHUNKS_HEADER_LEN > w->seg_size;
		if (first && w->cur.pos > CHUNKS_HEADER_LEN) {
			cut_now = batch + w->cur.pos > w->seg_size;
			if (cut_now)
				first = false;
		}
		if (cut_now) {
			for (size_t j = start; j < i; j++)
				put_chunk(w, &c[j], &refs[j]);
			if (i > start || w->cur.pos > CHUNKS_HEADER_LEN) {
				int rc = cut(w, e);
				if (rc)
					return rc;
			}
			start = i;
			batch = budget(&c[i]);
		}
	}
	for (size_t j = start; j < n; j++)
		put_chunk(w, &c[j], &refs[j]);
	if (w->cur.err)
		return err_set(e, w->cur.err, "chunks: write %s: %s", w->cur.path, strerror(w->cur.sys_errno));
	return 0;
}

int chunks_writer_close(chunks_writer *w, uint64_t *bytes, err *e)
{
	int rc = 0;
	if (w->cur.fd >= 0) {
		w->bytes += w->cur.pos;
		rc = fsutil_writer_close(&w->cur, e);
	}
	if (rc == 0)
		rc = fsutil_sync_dir(w->dir, e);
	if (bytes)
		*bytes = w->bytes;
	fl_free(w);
	return rc;
}

void chunks_writer_abort(chunks_writer *w)
{
	if (!w)
		return;
	fsutil_writer_abort(&w->cur);
	fl_free(w);
}
