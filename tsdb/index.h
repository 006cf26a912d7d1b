/*
 * index.h - reading a block's `index` file, format v2 (Prometheus
 * tsdb/index/index.go Reader; docs/format/index.md).
 *
 *   magic 0xBAAAD700 (4) | version 2 (1)
 *   symbol table | series (16-byte aligned) | label indices (unused)
 *   postings lists | label offset table (unused) | postings offset table | TOC
 *
 * A series ref is the series' byte offset / 16; postings lists hold them
 * as 4-byte big-endian numbers in increasing order, and since series are
 * written sorted by labels, sorted refs mean sorted label sets.
 *
 * The reader loads the symbol table and the postings offset table into
 * memory (NUL-terminated copies) at open and reads series and postings
 * lists from the mmapped file on demand, checking every length and CRC.
 * Strings it hands out are borrowed until index_close. A reader is
 * read-only after open: any number of threads may use it at once.
 */
#ifndef FL_INDEX_H
#define FL_INDEX_H

#include "lib/arena.h"
#include "lib/err.h"
#include "tsdb/labels.h"
#include "tsdb/matcher.h"
#include "tsdb/postings.h"
#include "tsdb/storage.h"

#define INDEX_MAGIC 0xBAAAD700u

/*
 * ---- the index-reader seam (Prometheus tsdb.IndexReader) ----
 *
 * What PostingsForMatchers and the label APIs need from an index, offered
 * by the head (head_read.c, over its interned strings and mem_postings) and
 * by a block (index_read.c, over the index file), so that one
 * implementation (querier.c) serves both. Refs are the index's own series
 * refs (head series refs, or block series offsets / 16), which fit 32 bits.
 *
 * Arrays of strings come back fl_malloc'd (the caller frees the array with
 * fl_free, NULL when empty), the strings borrowed from the index (valid
 * while it lives). Every op returns 0, FL_ENOMEM or FL_ECORRUPT (with e).
 */
typedef struct index_source index_source;
struct index_source_ops {
	/* All label names (any order, may repeat). */
	int (*label_names)(index_source *s, const char ***names, size_t *n, err *e);
	/* All values of label name (any order; none for an unknown name). */
	int (*label_values)(index_source *s, const char *name, const char ***vals, size_t *n, err *e);
	/* out = the union of the postings of name=vals[i] (sorted, unique);
	 * unknown values contribute nothing. */
	int (*postings)(index_source *s, const char *name, const char *const *vals, size_t n, postings_list *out,
			err *e);
	/* out = every series ref (sorted, unique). */
	int (*all_postings)(index_source *s, postings_list *out, err *e);
	/* Label names (name == NULL) or values of label name carried by the
	 * series in p (any order, may repeat), as Prometheus's LabelNamesFor
	 * and LabelValueFor. */
	int (*labels_for)(index_source *s, const char *name, const postings_list *p, const char ***out, size_t *n,
			  err *e);
};
struct index_source {
	const struct index_source_ops *ops;
};

/* PostingsForMatchers (querier.c), Prometheus's semantics exactly:
 *   - a label "must be set" when some matcher on it does not match "";
 *   - on such a label, `!=`/`!~` matchers whose inner matcher does not
 *     match "" are subtracted; other matchers are intersected, and an empty
 *     one makes the result empty;
 *   - a matcher on a label that need not be set (it matches "") subtracts
 *     the series whose value it rejects, so series lacking the label match
 *     (`{a=""}`, `{a=~"x|"}`);
 *   - with nothing to intersect, start from all postings; a matcher with an
 *     empty name and value is ignored.
 * `=` and literal-set regexes look their values up directly; other
 * regexes scan the label's values. out (sorted, unique) is replaced. */
int index_postings_for_matchers(index_source *s, const matcher *ms, size_t n, postings_list *out, err *e);
/* Label names of the series matching ms (all names when n == 0), and the
 * values of label name on them, as a sorted unique strlist (storage.h). */
int index_label_names_matching(index_source *s, const matcher *ms, size_t n, strlist *out, err *e);
int index_label_values_matching(index_source *s, const char *name, const matcher *ms, size_t n, strlist *out,
				err *e);

/* ---- the block index file ---- */

typedef struct index_reader index_reader;

typedef struct chunk_meta {
	int64_t mint; /* time of the first sample */
	int64_t maxt; /* time of the last sample (inclusive) */
	uint64_t ref; /* (segment index << 32) | offset in chunks/ */
} chunk_meta;

/* Open and mmap path. */
index_reader *index_open(const char *path, err *e);
/* Read an index held in memory (borrowed until index_close). verify_crc
 * false skips the CRC checks so fuzzing reaches the decoders; bounds are
 * checked either way. */
index_reader *index_open_mem(const uint8_t *p, size_t len, const char *name, bool verify_crc, err *e);
void index_close(index_reader *r);
/* Let go of the mapped file pages read so far (as chunks_drop_pages). */
void index_drop_pages(index_reader *r);

/* Sorted label names of all series (borrowed until close). */
size_t index_label_names(const index_reader *r, const char *const **names);
/* Sorted values of label name (0 when no series has it). */
size_t index_label_values(const index_reader *r, const char *name, const char *const **values);

/* The reader as an index_source (borrowed until index_close). */
index_source *index_reader_source(index_reader *r);

/* Series refs (sorted, unique) of the series matching every matcher:
 * index_postings_for_matchers over the reader; n == 0 selects all series.
 * *refs is fl_malloc'd (free with fl_free). 0 or FL_ECORRUPT/FL_ENOMEM. */
int index_select(const index_reader *r, const matcher *ms, size_t n, uint32_t **refs, size_t *n_refs, err *e);

/* Read one series: its labels (array allocated from a; strings borrowed
 * from the reader) and its chunk metas, appended to *chks (grown with
 * fl_realloc; *n_chks counts them, *chks_cap is the capacity). */
int index_series(const index_reader *r, uint32_t ref, arena *a, labels *ls, chunk_meta **chks, size_t *n_chks,
		 size_t *chks_cap, err *e);

/*
 * Writing an index (index_write.c): symbols first, all of them, strictly
 * increasing (every label name and value the series will use, plus ""
 * which Prometheus always includes); then series in strictly increasing
 * label order with their chunk metas (refs into the block's chunks/);
 * then close, which writes label indices, postings and the tables, and
 * fsyncs. Any error leaves the writer only good for index_writer_abort
 * (close always frees it). The file is byte-identical to Prometheus 2.42's
 * for the same input.
 */
typedef struct index_writer index_writer;

index_writer *index_writer_open(const char *path, err *e);
int index_writer_add_symbol(index_writer *w, const char *s, err *e);
/* ls and chks are borrowed for the call. A series with no chunks is
 * written as given (block writers skip those, as Prometheus does). */
int index_writer_add_series(index_writer *w, labels ls, const chunk_meta *chks, size_t n, err *e);
/* Finish, fsync and free w. 0 or the first error. */
int index_writer_close(index_writer *w, err *e);
/* Free w and remove the partial file. NULL is a no-op. */
void index_writer_abort(index_writer *w);

#endif
