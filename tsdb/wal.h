/*
 * wal.h - the write-ahead log in Prometheus's exact on-disk format
 * (tsdb/wlog: wlog.go, reader.go, checkpoint.go; tsdb/docs/format/wal.md).
 * Bytes only: what a record holds is tsdb/record.h's business.
 *
 *   wal/00000000 00000001 ...          segments, 128 MiB each by default
 *   wal/checkpoint.00000001/00000000   a checkpoint: segments of its own
 *
 * A segment is a sequence of 32 KiB pages. A record is written as one or
 * more fragments, each with a 7-byte header and never straddling a page:
 *
 *   type <1b> | len <2b BE> | CRC32-Castagnoli of data <4b BE> | data <len>
 *
 * type: low 3 bits 1 full, 2 first, 3 middle, 4 last; bit 0x08 set when the
 * record was snappy-compressed (only when that made it smaller; with
 * golang/snappy's exact encoder, so the bytes match Prometheus's); 0 means
 * "rest of the page is zeros". A page with < 7 bytes left is zero-padded.
 * A record never crosses a segment: one that does not fit in what is left
 * of the segment starts the next one (a record bigger than a whole segment
 * makes that segment bigger). Only the last page of the newest segment may
 * be partial; a clean close zero-pads it to a whole page.
 *
 * Lifecycle, as in Prometheus's head: read everything (checkpoint, then
 * segments) with a wal_reader; on a corruption call wal_repair() on the
 * directory; then wal_open(), which always starts a NEW segment after the
 * last one. A torn tail after SIGKILL is the normal case: the reader marks
 * it `torn`, repair truncates it, startup goes on.
 *
 * Thread safety: a wal may be used from several threads (wal_log takes its
 * mutex); a wal_reader belongs to one thread. Functions on directories
 * (wal_segments, wal_repair, checkpoints) must not race with a wal_open on
 * the same directory except wal_truncate through the open wal.
 */
#ifndef FL_WAL_H
#define FL_WAL_H

#include "lib/err.h"
#include "lib/fl.h"

#define WAL_PAGE_SIZE (32 * 1024)
#define WAL_SEGMENT_SIZE (128 * 1024 * 1024)
#define WAL_HEADER_SIZE 7
/* Reader limit on one reassembled or decompressed record. */
#define WAL_MAX_RECORD_SIZE (1024 * 1024 * 1024)

/* ---------------- writer (wal.c) ---------------- */

typedef struct wal_opts {
	int64_t segment_size; /* 0 = WAL_SEGMENT_SIZE; else a multiple of WAL_PAGE_SIZE */
	bool compress;        /* snappy-compress records that shrink (Prometheus default: on) */
	bool fsync_commits;   /* fsync after every wal_log (Prometheus never does) */
} wal_opts;

typedef struct wal wal;

typedef struct wal_stats {
	int64_t segment_current;  /* prometheus_tsdb_wal_segment_current */
	int64_t page_flushes;     /* prometheus_tsdb_wal_page_flushes_total (writes issued) */
	int64_t completed_pages;  /* prometheus_tsdb_wal_completed_pages_total */
	int64_t writes_failed;    /* prometheus_tsdb_wal_writes_failed_total */
	int64_t truncations;      /* prometheus_tsdb_wal_truncations_total */
	int64_t truncations_failed; /* prometheus_tsdb_wal_truncations_failed_total */
	int64_t fsyncs;           /* fsync calls (count of prometheus_tsdb_wal_fsync_duration_seconds) */
	double fsync_seconds;     /* their total duration */
	int64_t record_bytes_saved; /* prometheus_tsdb_wal_record_bytes_saved_total{compression="snappy"} */
	int64_t records;          /* records logged */
	int64_t bytes_written;    /* bytes written to segments (headers and padding included) */
} wal_stats;

/* Create dir if needed and open a NEW segment after the last existing one
 * (00000000 in an empty dir). NULL on error (e says why). */
wal *wal_open(const char *dir, const wal_opts *o, err *e);

/*
 * Append a batch of records (each recs[i] a whole encoded record, borrowed
 * for the call) with one write() per segment touched (one, unless the batch
 * fills a segment), then fsync if fsync_commits. On a write error the
 * segment is truncated back to where that write started and FL_EIO is
 * returned; the wal stays usable.
 */
int wal_log(wal *w, const slice *recs, size_t n, err *e);
/* One record. */
int wal_log1(wal *w, const void *rec, size_t len, err *e);

/* Zero-pad the current page, fsync and close the segment, start the next
 * one. Returns the new segment's index or a negative FL_E*. */
int wal_next_segment(wal *w, err *e);
/* Index of the segment being written (for /metrics). */
int wal_segment_current(wal *w);
int wal_sync(wal *w, err *e);
/* Delete every segment with an index < before (never the active one). */
int wal_truncate(wal *w, int before, err *e);
const char *wal_dir(const wal *w);
void wal_get_stats(wal *w, wal_stats *s);
/* Zero-pad the last page to a whole page, fsync, close, free. NULL is a
 * no-op. Returns 0 or the first error (w is freed either way). */
int wal_close(wal *w, err *e);

/* First and last segment index in dir (-1, -1 when none). FL_ECORRUPT when
 * the numbered files are not sequential; FL_EIO when dir cannot be read. */
int wal_segments(const char *dir, int *first, int *last, err *e);
/* "dir/%08d" into out. */
void wal_segment_name(char *out, size_t cap, const char *dir, int index);

/* Snappy block encoding byte-identical to golang/snappy's Encode, the one
 * Prometheus compresses records with (wal_snappy.c). dst needs
 * wal_snappy_max_len(n) bytes; returns the encoded length. */
size_t wal_snappy_max_len(size_t n);
size_t wal_snappy_encode(uint8_t *dst, const uint8_t *src, size_t n);

/* ---------------- reader (wal_reader.c) ---------------- */

/* Segments first..last of dir; -1 leaves that end open. */
typedef struct wal_segment_range {
	const char *dir; /* borrowed until wal_reader_open returns */
	int first;
	int last;
} wal_segment_range;

/* Where and why reading stopped early. */
typedef struct wal_corruption {
	char dir[1024];   /* directory of the bad segment ("" for a memory reader) */
	int segment;      /* its index */
	int64_t offset;   /* byte offset of the start of the bad record in the segment */
	bool torn;        /* a torn tail: nothing but zeros follows the damage in its
	                     segment, and later segments are empty (a crash mid-write) */
	char msg[ERR_MSG_CAP]; /* "wal: segment 00000003: record at offset 12288: crc mismatch ..." */
} wal_corruption;

typedef struct wal_reader wal_reader;

/* Read the segments of ranges[0], then ranges[1], ... in order. NULL on
 * error (a listed segment missing, unreadable or not sequential). */
wal_reader *wal_reader_open(const wal_segment_range *ranges, size_t n, err *e);
/* Read one in-memory segment (index 0) of n bytes, borrowed until close. */
wal_reader *wal_reader_open_mem(const uint8_t *p, size_t n);
/*
 * Next record: returns 1 and sets *rec and *len (borrowed until the next call),
 * 0 at a clean end, FL_ECORRUPT when a damaged record stopped the read
 * (wal_reader_corruption says where; every record before it was returned),
 * FL_EIO or FL_ENOMEM. Once it returned <= 0 it keeps returning that.
 */
int wal_reader_next(wal_reader *r, const uint8_t **rec, size_t *len, err *e);
/* After FL_ECORRUPT: the position and reason; NULL otherwise. */
const wal_corruption *wal_reader_corruption(const wal_reader *r);
/* Segment index and start offset of the record last returned. */
int wal_reader_segment(const wal_reader *r);
int64_t wal_reader_offset(const wal_reader *r);
void wal_reader_close(wal_reader *r);

/*
 * Prometheus's wlog.Repair on a directory (call before wal_open): delete
 * every segment after c->segment, truncate c->segment at c->offset and
 * zero-pad it to a whole page. FL_EINVAL when c is not in dir (a damaged
 * checkpoint cannot be repaired).
 */
int wal_repair(const char *dir, const wal_corruption *c, err *e);

/* ---------------- checkpoints (checkpoint.c) ---------------- */

#define WAL_CHECKPOINT_PREFIX "checkpoint."

/* The newest dir/checkpoint.NNNNNNNN (".tmp" ones ignored): its path into
 * path[cap] and its index. FL_ENOTFOUND when there is none. */
int wal_checkpoint_last(const char *dir, char *path, size_t cap, int *index, err *e);
/* Delete checkpoints with an index < max_index (and stale .tmp ones). */
int wal_checkpoint_delete_before(const char *dir, int max_index, err *e);

/* Counts of a checkpoint run (Prometheus CheckpointStats). */
typedef struct wal_checkpoint_stats {
	int64_t total_series, dropped_series;         /* series entries read / not kept */
	int64_t total_samples, dropped_samples;       /* float samples read / below mint */
	int64_t total_tombstones, dropped_tombstones; /* tombstones read / ending below mint */
	int64_t total_exemplars, dropped_exemplars;   /* exemplars read / below mint */
	int64_t total_metadata, dropped_metadata;     /* metadata read / superseded or not kept */
	int64_t histogram_records;                    /* histogram records copied as they are */
} wal_checkpoint_stats;

/*
 * Prometheus's wlog.Checkpoint: compact the last checkpoint (if any) and
 * segments from..to of dir into dir/checkpoint.<to>, keeping the series
 * for which keep(ctx, ref) is true, samples, exemplars and tombstones
 * with time >= mint, and the latest metadata of each kept series.
 * Histogram records (flint cannot filter them yet) are copied unchanged;
 * unknown record types are dropped, as upstream does. Written into
 * checkpoint.<to>.tmp with the WAL writer, fsynced, then renamed. A
 * corruption in what it reads fails the checkpoint (FL_ECORRUPT): the
 * head could not know which series were lost.
 * Afterwards the caller truncates the WAL (wal_truncate(w, to + 1)) and
 * deletes older checkpoints (wal_checkpoint_delete_before(dir, to)).
 */
int wal_checkpoint_create(const char *dir, int from, int to, bool (*keep)(void *ctx, uint64_t ref), void *ctx,
			  int64_t mint, bool compress, wal_checkpoint_stats *st, err *e);

/*
 * Prometheus's head.truncateWAL, the whole sequence a head compaction runs
 * on the open wal w: note the segment range, cut a new segment, then (if
 * at least two closed segments exist) checkpoint the lower two thirds of
 * the closed segments [first, first + (last - 1 - first) * 2 / 3] with
 * keep and mint, delete those segments and the older checkpoints.
 * *checkpoint gets the new checkpoint's index, or -1 when it was not worth
 * one yet. keep is called from this thread, once per series entry.
 */
int wal_checkpoint_truncate(wal *w, int64_t mint, bool (*keep)(void *ctx, uint64_t ref), void *ctx, bool compress,
			    int *checkpoint, wal_checkpoint_stats *st, err *e);

/* What a replay reads, in order: the last checkpoint (all its segments),
 * then the WAL segments after it, as Prometheus's head.Init does. */
typedef struct wal_replay_plan {
	char checkpoint[1024];      /* checkpoint dir, "" when none */
	int checkpoint_index;       /* -1 when none */
	int first, last;            /* WAL segments to read; first > last when none */
	wal_segment_range ranges[2];/* ready for wal_reader_open (dirs point into this struct or dir) */
	size_t n_ranges;
} wal_replay_plan;

/* Fill p for dir (p->ranges borrow dir and p). FL_ECORRUPT when a segment
 * between the checkpoint and the last one is missing. */
int wal_replay_plan_make(const char *dir, wal_replay_plan *p, err *e);

#endif
