/*
 * db_replay.c - WAL replay into the head at open (Prometheus tsdb/head.go
 * Init and head_wal.go loadWAL, single-threaded).
 *
 * Order, as Prometheus's head.Init:
 *   0. the head-chunk files (chunks_head/, loadMmappedChunks): their
 *      chunks wait, by series ref, for the series records below, which
 *      attach them; samples at or before a series' last such chunk are
 *      skipped (they are in it);
 *   1. the last checkpoint wal/checkpoint.NNNNNNNN (all its segments);
 *   2. the WAL segments after NNNNNNNN (all of them when there is no
 *      checkpoint).
 * Series records create series under their WAL refs (head_replay_series,
 * which also folds duplicate label sets into one series); samples records
 * append (head_replay_sample); tombstones records become the head's
 * tombstones (head_add_tombstones). Samples older than the min valid time (the
 * newest block's maxTime, exclusive) are already in a block and are
 * skipped; samples for refs no series record introduced are counted and
 * dropped; out-of-order samples are counted and dropped. Other record
 * types (exemplars, metadata, m-map markers, histograms) are
 * skipped.
 *
 * Damage never stops the open: a corrupt checkpoint is logged and the WAL
 * segments are still read; a corrupt segment stops the read at the first
 * bad record (everything before it is kept), is logged with what was
 * dropped, and, when `repair` is set, is truncated there with wal_repair
 * (later segments deleted), as Prometheus's wlog.Repair. Each such event
 * counts one corruption.
 *
 * Invariant: every record is decoded into one arena that is reset after
 * the record, so replay memory is bounded by the largest record plus what
 * the head keeps.
 */
#include "tsdb/db.h"
#include "tsdb/head.h"
#include "tsdb/record.h"
#include "tsdb/tombstones.h"
#include "tsdb/wal.h"
#include "lib/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

typedef struct replay {
	head *h;              /* target */
	int64_t min_valid;    /* samples below are skipped */
	arena a;              /* per-record decode memory */
	db_replay_stats *st;  /* counters */
} replay;

static int replay_series(replay *r, const uint8_t *rec, size_t len, err *e)
{
	record_series *s;
	size_t n;
	int rc = record_decode_series(rec, len, &r->a, &s, &n, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = head_replay_series(r->h, s[i].ref, s[i].ls, e);
		if (rc)
			return rc;
	}
	r->st->series += (int64_t)n;
	return 0;
}

static int replay_samples(replay *r, const uint8_t *rec, size_t len, err *e)
{
	record_sample *s;
	size_t n;
	int rc = record_decode_samples(rec, len, &r->a, &s, &n, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (s[i].t < r->min_valid) {
			r->st->skipped_old++;
			continue;
		}
		rc = head_replay_sample(r->h, s[i].ref, s[i].t, s[i].v);
		if (rc == 0)
			r->st->samples++;
		else if (rc == HEAD_REPLAY_IN_MMAPPED)
			r->st->in_mmapped++;
		else if (rc == FL_ENOTFOUND)
			r->st->unknown_refs++;
		else if (rc == FL_EOUT_OF_ORDER || rc == FL_ETOO_OLD || rc == FL_EDUPLICATE)
			r->st->rejected++;
		else
			return err_set(e, rc, "replay sample of series %" PRIu64 ": %s", s[i].ref, fl_strerror(rc));
	}
	return 0;
}

/* head_wal.go: intervals wholly below the min valid time and unknown refs
 * are skipped; the rest become the head's tombstones. */
static int replay_tombstones(replay *r, const uint8_t *rec, size_t len, err *e)
{
	record_tombstone *s;
	size_t n;
	int rc = record_decode_tombstones(rec, len, &r->a, &s, &n, e);
	if (rc || n == 0)
		return rc;
	tomb *v = arena_alloc(&r->a, n * sizeof *v);
	if (!v)
		return err_set(e, FL_ENOMEM, "replay: out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = (tomb){s[i].ref, s[i].mint, s[i].maxt};
	int64_t skipped = 0;
	rc = head_add_tombstones(r->h, v, n, &skipped, e);
	r->st->tombstones += (int64_t)n - skipped;
	return rc;
}

static int replay_record(replay *r, const uint8_t *rec, size_t len, err *e)
{
	int rc = 0;
	switch (record_type(rec, len)) {
	case RECORD_SERIES:
		rc = replay_series(r, rec, len, e);
		break;
	case RECORD_SAMPLES:
		rc = replay_samples(r, rec, len, e);
		break;
	case RECORD_TOMBSTONES:
		rc = replay_tombstones(r, rec, len, e);
		break;
	default:
		r->st->other_records++;
		break;
	}
	r->st->records++;
	arena_reset(&r->a);
	return rc;
}

/* Bytes from the damage to the end of the WAL: what a repair drops. */
static int64_t bytes_after(const wal_corruption *c)
{
	int first, last;
	err e;
	if (!c->dir[0] || wal_segments(c->dir, &first, &last, &e))
		return -1;
	int64_t n = 0;
	for (int i = FL_MAX(first, c->segment); i <= last; i++) {
		char path[1100];
		struct stat sb;
		wal_segment_name(path, sizeof path, c->dir, i);
		if (stat(path, &sb) == 0)
			n += (int64_t)sb.st_size - (i == c->segment ? c->offset : 0);
	}
	return n;
}

static void log_corruption(const char *what, const wal_corruption *c, const db_replay_stats *st, bool repair)
{
	char seg[16], off[32], kept[32], dropped[32];
	snprintf(seg, sizeof seg, "%08d", c->segment);
	snprintf(off, sizeof off, "%" PRId64, c->offset);
	snprintf(kept, sizeof kept, "%" PRId64, st->records);
	snprintf(dropped, sizeof dropped, "%" PRId64, bytes_after(c));
	log_warn("tsdb", c->torn ? "Torn WAL tail: the last record was half written" : "Corrupt WAL: dropping the rest",
		 "what", what, "dir", c->dir, "segment", seg, "offset", off, "records_kept", kept, "bytes_dropped", dropped,
		 "repair", repair ? (c->torn ? "truncate torn tail" : "truncate and delete later segments") : "none (read-only)",
		 "err", c->msg, NULL);
}

/* Read every record of ranges; on corruption log it, count it, and repair
 * if asked (only WAL segments, never a checkpoint). */
static int replay_ranges(replay *r, const wal_segment_range *ranges, size_t n, const char *what,
			 const char *repair_dir, err *e)
{
	err oe;
	err_clear(&oe);
	wal_reader *rd = wal_reader_open(ranges, n, &oe);
	if (!rd) {
		if (oe.code == FL_ENOMEM)
			return err_set(e, FL_ENOMEM, "%s", oe.msg);
		r->st->corruptions++;
		log_error("tsdb", "Cannot read WAL: skipping it", "what", what, "err", oe.msg, NULL);
		return 0;
	}
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = wal_reader_next(rd, &rec, &len, e)) == 1) {
		err re;
		err_clear(&re);
		if (replay_record(r, rec, len, &re) == 0)
			continue;
		if (re.code != FL_ENOMEM && re.code != FL_EIO) { /* passed its CRC but does not decode */
			r->st->bad_records++;
			log_warn("tsdb", "Skipping undecodable WAL record", "what", what, "err", re.msg, NULL);
			continue;
		}
		rc = err_set(e, re.code, "%s", re.msg);
		break;
	}
	if (rc == FL_ECORRUPT) {
		const wal_corruption *c = wal_reader_corruption(rd);
		r->st->corruptions++;
		if (c) {
			log_corruption(what, c, r->st, repair_dir != NULL);
			if (repair_dir) {
				err re;
				if (wal_repair(repair_dir, c, &re))
					log_error("tsdb", "WAL repair failed", "err", re.msg, NULL);
			}
		}
		err_clear(e);
		rc = 0;
	}
	wal_reader_close(rd);
	return rc < 0 ? rc : 0;
}

static int replay_wal_records(struct head *h, const char *waldir, int64_t min_valid, bool repair, db_replay_stats *st,
			      err *e);

int db__replay_wal(struct head *h, const char *waldir, int64_t min_valid, bool repair, db_replay_stats *st, err *e)
{
	memset(st, 0, sizeof *st);
	int rc = head_replay_mmapped_begin(h, e);
	if (rc == 0)
		rc = replay_wal_records(h, waldir, min_valid, repair, st, e);
	head_mmap_stats ms;
	head_replay_mmapped_end(h, &ms);
	st->mmapped_chunks = ms.attached;
	st->mmapped_dropped = ms.dropped;
	return rc;
}

static int replay_wal_records(struct head *h, const char *waldir, int64_t min_valid, bool repair, db_replay_stats *st, err *e)
{
	struct stat sb;
	if (stat(waldir, &sb) && errno == ENOENT)
		return 0; /* nothing written yet */
	wal_replay_plan p;
	if (wal_replay_plan_make(waldir, &p, e)) {
		st->corruptions++;
		log_error("tsdb", "Cannot plan WAL replay: starting with an empty head", "dir", waldir,
			  "err", e ? e->msg : "", NULL);
		err_clear(e);
		return 0;
	}
	replay r = {.h = h, .min_valid = min_valid, .st = st};
	arena_init(&r.a);
	int rc = 0;
	if (p.checkpoint_index >= 0) {
		wal_segment_range cp = {p.checkpoint, -1, -1};
		rc = replay_ranges(&r, &cp, 1, "checkpoint", NULL, e);
	}
	if (rc == 0 && p.first <= p.last) {
		wal_segment_range seg = {waldir, p.first, p.last};
		rc = replay_ranges(&r, &seg, 1, "segments", repair ? waldir : NULL, e);
	}
	arena_reset(&r.a);
	return rc;
}
