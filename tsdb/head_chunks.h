/*
 * head_chunks.h - the head's full chunks on disk, `<data>/chunks_head/`
 * (Prometheus tsdb/chunks/head_chunks.go ChunkDiskMapper, format in
 * tsdb/docs/format/head_chunks.md):
 *
 *   file:  magic 0x0130BC91 (4) | version 1 (1) | padding (3) | entries...
 *   entry: series ref (8) | mint (8) | maxt (8) | encoding (1) |
 *          len uvarint | data (len) | CRC32C of everything before it (4)
 *
 * All integers big-endian. Files are named 000001, 000002, ... with no
 * gaps (Prometheus refuses gaps), at most 128 MiB each. A chunk reference
 * is (file number << 32) | offset of its entry. Prometheus preallocates
 * files with zeros: an all-zero entry header ends a file.
 *
 * Writes go through a 4 MiB buffer, written out when it fills, when a file
 * is cut, when a reader needs bytes still in it, and at close, so after a
 * SIGKILL the newest file may hold just its header (as Prometheus's): the
 * WAL still has those samples. Files are mmapped; chunk bytes handed out
 * stay valid until the file is deleted, which happens only once no chunk
 * of it is retained (hchunks_release) and every older file is gone too.
 *
 * Without a directory (or read-only, or when the disk fails) chunks go to
 * anonymous memory "files" numbered from HCHUNKS_MEM_SEQ, never on disk.
 */
#ifndef FL_HEAD_CHUNKS_H
#define FL_HEAD_CHUNKS_H

#include "lib/err.h"
#include "lib/fl.h"

#define HCHUNKS_MAGIC 0x0130BC91u
#define HCHUNKS_HEADER_LEN 8
#define HCHUNKS_ENTRY_HEADER_LEN 25 /* series ref, mint, maxt, encoding */
#define HCHUNKS_MAX_FILE_SIZE (128u << 20)
#define HCHUNKS_WRITE_BUF_SIZE (4u << 20)
#define HCHUNKS_MEM_SEQ 0x80000000u /* memory-only files are numbered from here */
#define HCHUNKS_ENC_OOO 0x80u       /* encoding bit of out-of-order chunks (2.42+) */

typedef struct hchunks hchunks;

/* Open the mapper on dir (created unless read_only), reading the files
 * there: each is checked entry by entry (bounds, CRC); at the first bad
 * entry the rest is dropped - the file truncated there and later files
 * deleted unless read_only - and logged. dir NULL = memory only. NULL with
 * e filled on an I/O error or OOM. */
hchunks *hchunks_open(const char *dir, bool read_only, err *e);
/* Write the buffer out, sync and free. NULL is a no-op. 0 or FL_EIO. */
int hchunks_close(hchunks *m, err *e);

/* Append a chunk of series_ref: *ref is where it now lives, retained once.
 * Thread-safe. 0, or FL_ENOMEM (a disk failure falls back to memory). */
int hchunks_write(hchunks *m, uint64_t series_ref, int64_t mint, int64_t maxt, uint8_t enc, const uint8_t *data,
		  size_t len, uint64_t *ref, err *e);
/* The chunk at ref (bounds-checked): its bytes, borrowed until it is
 * released. Thread-safe, lock-free unless the bytes are still buffered.
 * 0 or FL_ECORRUPT / FL_EIO. */
int hchunks_get(hchunks *m, uint64_t ref, const uint8_t **data, size_t *len, err *e);

/* Each chunk found at open, in file order. fn returning non-zero stops
 * the walk with that value. The data pointer is borrowed like hchunks_get's. */
typedef int (*hchunks_fn)(void *ctx, uint64_t series_ref, uint64_t ref, int64_t mint, int64_t maxt, uint8_t enc,
			  const uint8_t *data, size_t len);
int hchunks_iterate(hchunks *m, hchunks_fn fn, void *ctx);

/* A chunk found by hchunks_iterate is kept (replay attached it). */
void hchunks_retain(hchunks *m, uint64_t ref);
/* The head no longer holds the chunk at ref. Lock-free. */
void hchunks_release(hchunks *m, uint64_t ref);
/* Delete the oldest files no chunk of which is retained (never leaving a
 * gap), and memory files likewise. The file being written is finished
 * first if it holds a chunk (the next write starts a new one), as
 * Prometheus's Truncate cuts a new file. Returns the number of files removed. Callers make sure no reader holds their
 * bytes (head_truncate waits for queriers below its time). */
int hchunks_gc(hchunks *m);
/* Write the buffer out (not synced). 0 or FL_EIO. */
int hchunks_flush(hchunks *m, err *e);
/* Bytes of the files on disk (for size-based retention). */
int64_t hchunks_disk_bytes(hchunks *m);

/* Walk one file's bytes (for the checks at open, tests and fuzzing).
 * Init fails with FL_ECORRUPT on a bad header. */
typedef struct hchunks_file_iter {
	const uint8_t *p; /* file bytes, borrowed */
	size_t len;       /* file length */
	size_t off;       /* offset of the next entry */
	int err;          /* 0 or FL_ECORRUPT (sticky) */
} hchunks_file_iter;

typedef struct hchunks_entry {
	size_t off;          /* entry offset (the low half of its ref) */
	uint64_t series_ref; /* HeadSeriesRef */
	int64_t mint, maxt;  /* sample time range */
	uint8_t enc;         /* encoding (1 = XOR; bit 0x80 = out of order) */
	const uint8_t *data; /* chunk bytes, borrowed */
	size_t len;          /* their length */
} hchunks_entry;

int hchunks_file_iter_init(hchunks_file_iter *it, const uint8_t *p, size_t len, err *e);
/* Next entry; false at the end (an all-zero header or the end of the bytes)
 * or on an error (it->err, message in e naming the offset). */
bool hchunks_file_iter_next(hchunks_file_iter *it, hchunks_entry *out, err *e);

#endif
