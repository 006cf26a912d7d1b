/*
 * chunks.h - block chunk segment files, `<block>/chunks/000001 ...`
 * (Prometheus tsdb/chunks, docs/format/chunks.md).
 *
 *   segment: magic 0x85BD40DD (4) | version 1 (1) | padding (3) | chunks...
 *   chunk:   len uvarint | encoding (1) | data (len) | CRC32C(encoding+data) (4)
 *
 * A chunk reference is (segment index << 32) | byte offset in the segment,
 * where the index counts the segment files in name order from 0.
 * Segments are mmapped read-only; chunk bytes handed out are borrowed until
 * chunks_close.
 */
#ifndef FL_CHUNKS_H
#define FL_CHUNKS_H

#include "lib/err.h"
#include "lib/fl.h"

#define CHUNKS_MAGIC 0x85BD40DDu
#define CHUNKS_HEADER_LEN 8
#define CHUNKS_SEGMENT_SIZE (512ull << 20) /* Prometheus's DefaultChunkSegmentSize */

typedef struct chunks_reader chunks_reader;

/* Open every segment file of dir (a block's chunks/ directory). */
chunks_reader *chunks_open(const char *dir, err *e);
void chunks_close(chunks_reader *r);
/* Let go of the mapped pages read so far (madvise MADV_DONTNEED): the
 * process's RSS drops, the bytes stay in the page cache and are mapped
 * again when next read. What was handed out stays valid. For a long
 * sequential read such as a compaction's. */
void chunks_drop_pages(chunks_reader *r);
size_t chunks_n_segments(const chunks_reader *r);

/* The chunk at ref: encoding and data (borrowed until chunks_close).
 * Bounds-checked; verify_crc also checks the CRC.
 * 0 or FL_ECORRUPT naming the segment and offset. */
int chunks_get(chunks_reader *r, uint64_t ref, bool verify_crc, uint8_t *enc, const uint8_t **data, size_t *len, err *e);

/* "DIR/000001 offset 1234" for a chunk ref, for error messages. */
void chunks_ref_describe(const chunks_reader *r, uint64_t ref, char *buf, size_t n);

/* Walk the chunks of one segment's bytes in order (for checks, tests and
 * fuzzing). Init fails with FL_ECORRUPT on a bad header. */
typedef struct chunks_seg_iter {
	const uint8_t *p; /* segment bytes, borrowed */
	size_t len;       /* segment length */
	size_t off;       /* offset of the next chunk */
	int err;          /* 0 or FL_ECORRUPT (sticky) */
} chunks_seg_iter;
int chunks_seg_iter_init(chunks_seg_iter *it, const uint8_t *p, size_t len, err *e);
/* Next chunk: offset, encoding, data (borrowed). False at the end or on an
 * error (it->err, message in e). A zero length at the tail ends the walk
 * (preallocated zero space). */
bool chunks_seg_iter_next(chunks_seg_iter *it, size_t *off, uint8_t *enc, const uint8_t **data, size_t *len, err *e);

/*
 * Writing segments (chunks_write.c). Each write appends one series' chunks
 * and returns their refs; close fsyncs the last segment and the directory.
 */
typedef struct chunks_writer chunks_writer;

typedef struct chunks_item {
	int64_t mint;        /* first sample time */
	int64_t maxt;        /* last sample time (inclusive) */
	uint8_t enc;         /* enum chunk_encoding (chunk.h): CHUNK_ENC_XOR */
	const uint8_t *data; /* encoded chunk (for XOR: count header + stream); borrowed */
	size_t len;          /* bytes */
} chunks_item;

/* Write segments into dir (created if missing); segment_size 0 = 512 MiB. */
chunks_writer *chunks_writer_open(const char *dir, uint64_t segment_size, err *e);
/* Append n chunks (one series' worth, oldest first); refs[i] gets each ref. */
int chunks_writer_write(chunks_writer *w, const chunks_item *c, size_t n, uint64_t *refs, err *e);
/* Finish: fsync the last segment and dir, free w; *bytes (may be NULL)
 * gets the total size of the segments. */
int chunks_writer_close(chunks_writer *w, uint64_t *bytes, err *e);
/* Free w, closing (not syncing) the open segment. NULL is a no-op. */
void chunks_writer_abort(chunks_writer *w);

#endif
