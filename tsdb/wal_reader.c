/*
 * wal_reader.c - reading records back from WAL segments, corruption
 * detection and repair (Prometheus tsdb/wlog/reader.go, segmentBufReader
 * and WL.Repair in wlog.go). Format: see wal.h.
 *
 * The reader walks a list of segments page by page (a fragment never
 * crosses a page, so every page parses on its own). Bytes past the end of
 * a short segment read as zeros, as Prometheus pads them. Fragments are
 * checked (type, length within the page, CRC32-Castagnoli), reassembled
 * (full | first middle* last, same compression flag throughout) and
 * snappy-decompressed (lib/snappy.c, libsnappy's answers, faster). An
 * uncompressed full fragment is returned in place, without a copy.
 *
 * Stricter than Prometheus where its writer can never produce the bytes:
 *  - a record may not continue past the end of a segment, nor over
 *    padding (a first/middle fragment always ends exactly at a page end);
 *  - a zero page followed by more fragments in the same segment (a page
 *    that was lost) is corruption at that page, not padding.
 * Either way everything before the damage has been returned, and the
 * position is the start of the damaged record, where wal_repair cuts.
 *
 * Invariants:
 *  1. Every length read from disk is bounded before use: fragment length
 *     by the page, a record by WAL_MAX_RECORD_SIZE, a decompressed record
 *     by 22x its compressed size (snappy's best ratio is 64 bytes per 3).
 *  2. After an error the reader is sticky: next keeps returning it.
 */
#include "tsdb/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/snappy.h"

enum { FRAG_ZERO = 0, FRAG_FULL = 1, FRAG_FIRST = 2, FRAG_MIDDLE = 3, FRAG_LAST = 4 };
#define FRAG_SNAPPY 0x08
#define FRAG_ZSTD 0x10

typedef struct rseg {
	char *dir;  /* owned */
	int index;  /* segment number */
} rseg;

struct wal_reader {
	rseg *segs;            /* segments to read, in order */
	size_t n_segs;
	size_t cur;            /* index into segs of the open segment */
	const uint8_t *mem;    /* memory mode: the one segment's bytes */
	int fd;                /* open segment, -1 when none */
	int64_t size;          /* its size in bytes */
	int64_t page_off;      /* offset of the loaded page in the segment; -1 before the first */
	size_t have;           /* real bytes in page (the rest reads as zero) */
	size_t pos;            /* next byte in page */
	int64_t zero_page;     /* offset of an all-zero page seen in this segment, -1 if none */
	bool opened;           /* segs[cur] is open */
	uint8_t page[WAL_PAGE_SIZE];
	buf rec;               /* reassembled record (or compressed bytes) */
	buf dec;               /* decompressed record */
	int state;             /* 0 reading, 1 at end, < 0 sticky error */
	int rec_seg;           /* segment index of the last record returned */
	int64_t rec_off;       /* its offset */
	wal_corruption corr;   /* valid when state == FL_ECORRUPT */
};

/* ---- opening ---- */

static wal_reader *reader_new(void)
{
	wal_reader *r = fl_calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = -1;
	r->page_off = -1;
	r->zero_page = -1;
	buf_init(&r->rec);
	buf_init(&r->dec);
	return r;
}

static int add_range(wal_reader *r, const wal_segment_range *g, err *e)
{
	int first, last;
	int rc = wal_segments(g->dir, &first, &last, e);
	if (rc)
		return rc;
	if (first < 0)
		return 0;
	int lo = g->first >= 0 ? FL_MAX(g->first, first) : first;
	int hi = g->last >= 0 ? FL_MIN(g->last, last) : last;
	if (hi < lo)
		return 0;
	rseg *ns = fl_realloc(r->segs, (r->n_segs + (size_t)(hi - lo + 1)) * sizeof *ns);
	if (!ns)
		return err_set(e, FL_ENOMEM, "wal: reader: out of memory");
	r->segs = ns;
	for (int i = lo; i <= hi; i++) {
		rseg *s = &r->segs[r->n_segs];
		if (!(s->dir = fl_strdup(g->dir)))
			return err_set(e, FL_ENOMEM, "wal: reader: out of memory");
		s->index = i;
		r->n_segs++;
	}
	return 0;
}

wal_reader *wal_reader_open(const wal_segment_range *ranges, size_t n, err *e)
{
	wal_reader *r = reader_new();
	if (!r) {
		err_set(e, FL_ENOMEM, "wal: reader: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (add_range(r, &ranges[i], e)) {
			wal_reader_close(r);
			return NULL;
		}
	}
	return r;
}

wal_reader *wal_reader_open_mem(const uint8_t *p, size_t n)
{
	wal_reader *r = reader_new();
	if (!r)
		return NULL;
	r->segs = fl_calloc(1, sizeof *r->segs);
	if (!r->segs || !(r->segs[0].dir = fl_strdup(""))) {
		wal_reader_close(r);
		return NULL;
	}
	r->n_segs = 1;
	r->mem = p ? p : (const uint8_t *)"";
	r->size = (int64_t)n;
	return r;
}

void wal_reader_close(wal_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->n_segs; i++)
		fl_free(r->segs[i].dir);
	fl_free(r->segs);
	buf_reset(&r->rec);
	buf_reset(&r->dec);
	fl_free(r);
}

const wal_corruption *wal_reader_corruption(const wal_reader *r)
{
	return r->state == FL_ECORRUPT ? &r->corr : NULL;
}

int wal_reader_segment(const wal_reader *r) { return r->rec_seg; }
int64_t wal_reader_offset(const wal_reader *r) { return r->rec_off; }

/* ---- errors ---- */

/* Are all segments after the current one empty files? (A crash right after
 * a segment cut leaves the new one empty and the old one torn.) */
static bool only_empty_after(const wal_reader *r)
{
	for (size_t i = r->cur + 1; i < r->n_segs; i++) {
		char path[4096];
		struct stat sb;
		wal_segment_name(path, sizeof path, r->segs[i].dir, r->segs[i].index);
		if (stat(path, &sb) != 0 || sb.st_size != 0)
			return false;
	}
	return true;
}

/* Any non-zero byte in the current segment from offset `from` to its end? */
static bool nonzero_after(wal_reader *r, int64_t from)
{
	if (r->mem) {
		for (int64_t i = from; i < r->size; i++)
			if (r->mem[i])
				return true;
		return false;
	}
	uint8_t tmp[4096];
	for (int64_t off = from; off < r->size;) {
		ssize_t k = pread(r->fd, tmp, sizeof tmp, off);
		if (k <= 0)
			return k < 0; /* unreadable: do not call it torn */
		for (ssize_t i = 0; i < k; i++)
			if (tmp[i])
				return true;
		off += k;
	}
	return false;
}

/*
 * Stop with a corruption of the record starting at rec_start; the bad
 * bytes end at bad_end (they are a torn tail when this is the last
 * segment and only zeros follow).
 */
static int corrupt(wal_reader *r, int64_t rec_start, int64_t bad_end, err *e, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int corrupt(wal_reader *r, int64_t rec_start, int64_t bad_end, err *e, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	wal_corruption *c = &r->corr;
	const rseg *s = &r->segs[r->cur];
	snprintf(c->dir, sizeof c->dir, "%s", s->dir);
	c->segment = s->index;
	c->offset = rec_start;
	c->torn = only_empty_after(r) && !nonzero_after(r, bad_end);
	snprintf(c->msg, sizeof c->msg, "wal: segment %08d: record at offset %lld: %s", s->index, (long long)rec_start,
		 why);
	r->state = FL_ECORRUPT;
	return err_set(e, FL_ECORRUPT, "%s", c->msg);
}

static int io_fail(wal_reader *r, err *e, const char *what)
{
	const rseg *s = &r->segs[r->cur];
	r->state = FL_EIO;
	return err_set(e, FL_EIO, "wal: %s segment %s/%08d: %s", what, s->dir, s->index, strerror(errno));
}

/* ---- pages ---- */

static int open_segment(wal_reader *r, err *e)
{
	r->page_off = -1;
	r->have = r->pos = 0;
	r->zero_page = -1;
	if (r->mem)
		return 0;
	char path[4096];
	wal_segment_name(path, sizeof path, r->segs[r->cur].dir, r->segs[r->cur].index);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (r->fd < 0 || fstat(r->fd, &sb) != 0)
		return io_fail(r, e, "open");
	r->size = sb.st_size;
	return 0;
}

/* Load the next page of the open segment: 1 loaded, 0 end of segment. */
static int load_page(wal_reader *r, err *e)
{
	int64_t off = r->page_off < 0 ? 0 : r->page_off + WAL_PAGE_SIZE;
	if (off >= r->size)
		return 0;
	size_t want = (size_t)FL_MIN((int64_t)WAL_PAGE_SIZE, r->size - off);
	if (r->mem) {
		memcpy(r->page, r->mem + off, want);
	} else {
		size_t got = 0;
		while (got < want) {
			ssize_t k = pread(r->fd, r->page + got, want - got, off + (int64_t)got);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return io_fail(r, e, "read");
			if (k == 0)
				break; /* shrank under us: the rest reads as zeros */
			got += (size_t)k;
		}
		want = got;
	}
	memset(r->page + want, 0, WAL_PAGE_SIZE - want);
	r->page_off = off;
	r->have = want;
	r->pos = 0;
	return 1;
}

/*
 * Make a page with unread bytes current, moving across segments. in_rec
 * and rec_start describe a record in progress (it may not cross a segment
 * end). Returns 1 ready, 0 at the end of the last segment, < 0 error.
 */
static int ensure_page(wal_reader *r, bool in_rec, int64_t rec_start, err *e)
{
	while (!r->opened || r->page_off < 0 || r->pos >= WAL_PAGE_SIZE) {
		if (!r->opened) {
			if (r->cur >= r->n_segs)
				return 0;
			if (open_segment(r, e))
				return r->state;
			r->opened = true;
		}
		int rc = load_page(r, e);
		if (rc < 0)
			return rc;
		if (rc == 1)
			continue;
		if (in_rec)
			return corrupt(r, rec_start, r->size, e, "record continues past the end of the segment (%lld bytes)",
				       (long long)r->size);
		if (r->cur + 1 >= r->n_segs)
			return 0;
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
		r->cur++;
		r->opened = false;
	}
	return 1;
}

/* A page-term byte at pos: the rest of the page must be zeros. */
static int skip_padding(wal_reader *r, bool in_rec, int64_t rec_start, err *e)
{
	int64_t at = r->page_off + (int64_t)r->pos;
	if (in_rec)
		return corrupt(r, rec_start, at + 1, e, "zero padding at offset %lld inside a record", (long long)at);
	for (size_t i = r->pos; i < r->have; i++)
		if (r->page[i])
			return corrupt(r, at, r->page_off + (int64_t)i + 1, e,
				       "unexpected non-zero byte at offset %lld in padded page",
				       (long long)(r->page_off + (int64_t)i));
	if (r->pos == 0 && r->zero_page < 0)
		r->zero_page = r->page_off;
	r->pos = WAL_PAGE_SIZE;
	return 0;
}

typedef struct frag {
	int type;           /* FRAG_FULL .. FRAG_LAST */
	bool snappy;        /* compressed record */
	const uint8_t *p;   /* data, in the page */
	size_t len;         /* data length */
	int64_t off;        /* offset of the header in the segment */
} frag;

static const char *frag_name(int t)
{
	static const char *const n[] = {"zero", "full", "first", "middle", "last"};
	return t >= 0 && t <= 4 ? n[t] : "invalid";
}

/* Parse and check the fragment at pos (not a page term). */
static int read_fragment(wal_reader *r, frag *f, bool in_rec, int64_t rec_start, bool rec_snappy, err *e)
{
	size_t pos = r->pos;
	int64_t at = r->page_off + (int64_t)pos;
	int64_t start = in_rec ? rec_start : at;
	uint8_t b = r->page[pos];
	if (r->zero_page >= 0)
		return corrupt(r, r->zero_page, at + 1, e, "zeroed page, but records follow at offset %lld", (long long)at);
	if (WAL_PAGE_SIZE - pos < WAL_HEADER_SIZE)
		return corrupt(r, start, at + 1, e, "fragment header at offset %lld crosses a page boundary", (long long)at);
	if (pos + WAL_HEADER_SIZE > r->have)
		return corrupt(r, start, r->size, e, "segment ends inside a fragment header at offset %lld", (long long)at);
	f->type = b & 7;
	f->snappy = b & FRAG_SNAPPY;
	f->len = be16(r->page + pos + 1);
	f->off = at;
	uint32_t want = be32(r->page + pos + 3);
	if (b & FRAG_ZSTD && !(b & 0xe0) && f->type >= FRAG_FULL && f->type <= FRAG_LAST)
		return corrupt(r, start, at + 1, e, "zstd-compressed record (flag 0x10) is not supported");
	if ((b & 0xf0) || f->type > FRAG_LAST)
		return corrupt(r, start, at + 1, e, "invalid fragment type byte 0x%02x at offset %lld", b, (long long)at);
	if (f->len > WAL_PAGE_SIZE - pos - WAL_HEADER_SIZE)
		return corrupt(r, start, at + WAL_HEADER_SIZE, e, "invalid fragment size %zu at offset %lld", f->len,
			       (long long)at);
	int64_t end = at + WAL_HEADER_SIZE + (int64_t)f->len;
	if (pos + WAL_HEADER_SIZE + f->len > r->have)
		return corrupt(r, start, end, e, "segment ends inside a fragment at offset %lld (%zu data bytes, %lld left)",
			       (long long)at, f->len, (long long)(r->size - at - WAL_HEADER_SIZE));
	f->p = r->page + pos + WAL_HEADER_SIZE;
	uint32_t got = crc32c(0, f->p, f->len);
	if (got != want)
		return corrupt(r, start, end, e, "crc mismatch (want %08x, got %08x) in fragment at offset %lld", want, got,
			       (long long)at);
	bool opens = f->type == FRAG_FULL || f->type == FRAG_FIRST;
	if (in_rec == opens)
		return corrupt(r, start, end, e, "unexpected %s fragment at offset %lld%s", frag_name(f->type),
			       (long long)at, in_rec ? " inside a record" : " outside a record");
	if (in_rec && f->snappy != rec_snappy)
		return corrupt(r, start, end, e, "compression flag changes inside the record at offset %lld", (long long)at);
	r->pos = pos + WAL_HEADER_SIZE + f->len;
	return 0;
}

/* Decompress the assembled bytes into dec. */
static int decompress(wal_reader *r, int64_t rec_start, err *e)
{
	size_t clen = r->rec.len, ulen = 0;
	buf_clear(&r->dec);
	if (clen == 0)
		return 0;
	const uint8_t *c = r->rec.p;
	size_t hdr;
	if (!snappy_dec_length(c, clen, &ulen, &hdr))
		return corrupt(r, rec_start, rec_start + 1, e, "snappy: bad length preamble");
	if (ulen > WAL_MAX_RECORD_SIZE || ulen / 22 > clen)
		return corrupt(r, rec_start, rec_start + 1, e, "snappy: implausible length %zu for %zu compressed bytes",
			       ulen, clen);
	if (!buf_reserve(&r->dec, ulen + SNAPPY_DEC_SLACK)) {
		r->state = FL_ENOMEM;
		return err_set(e, FL_ENOMEM, "wal: decompress record: out of memory");
	}
	if (!snappy_dec(c, clen, r->dec.p, ulen))
		return corrupt(r, rec_start, rec_start + 1, e, "snappy: corrupt compressed record (%zu bytes)", clen);
	r->dec.len = ulen;
	return 0;
}

int wal_reader_next(wal_reader *r, const uint8_t **rec, size_t *len, err *e)
{
	if (r->state)
		return r->state > 0 ? 0 : r->state;
	bool in_rec = false, snappy = false;
	int64_t rec_start = 0;
	buf_clear(&r->rec);
	for (;;) {
		int rc = ensure_page(r, in_rec, rec_start, e);
		if (rc <= 0) {
			if (rc == 0)
				r->state = 1;
			return rc;
		}
		if (r->page[r->pos] == FRAG_ZERO) {
			if ((rc = skip_padding(r, in_rec, rec_start, e)))
				return rc;
			continue;
		}
		frag f = {0};
		if ((rc = read_fragment(r, &f, in_rec, rec_start, snappy, e)))
			return rc;
		if (!in_rec) {
			rec_start = f.off;
			snappy = f.snappy;
			r->rec_seg = r->segs[r->cur].index;
			r->rec_off = f.off;
		}
		if (f.type == FRAG_FULL && !f.snappy) {
			*rec = f.p;
			*len = f.len;
			return 1;
		}
		if (r->rec.len + f.len > WAL_MAX_RECORD_SIZE)
			return corrupt(r, rec_start, f.off + 1, e, "record larger than %d bytes", WAL_MAX_RECORD_SIZE);
		buf_put(&r->rec, f.p, f.len);
		if (r->rec.oom) {
			r->state = FL_ENOMEM;
			return err_set(e, FL_ENOMEM, "wal: reassemble record: out of memory");
		}
		in_rec = true;
		if (f.type != FRAG_FULL && f.type != FRAG_LAST)
			continue;
		if (!snappy) {
			*rec = r->rec.p ? r->rec.p : (const uint8_t *)"";
			*len = r->rec.len;
			return 1;
		}
		if ((rc = decompress(r, rec_start, e)))
			return rc;
		*rec = r->dec.p ? r->dec.p : (const uint8_t *)"";
		*len = r->dec.len;
		return 1;
	}
}

/* ---- repair ---- */

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return strcmp(a, b) == 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int wal_repair(const char *dir, const wal_corruption *c, err *e)
{
	if (c->segment < 0 || c->offset < 0 || !same_dir(dir, c->dir))
		return err_set(e, FL_EINVAL, "wal: repair: corruption in %s segment %d is not in %s", c->dir, c->segment, dir);
	log_warn("wal", "Starting corruption repair", "dir", dir, "err", c->msg, NULL);
	int first, last, rc = wal_segments(dir, &first, &last, e);
	if (rc)
		return rc;
	char path[4096];
	for (int i = c->segment + 1; i <= last; i++) {
		wal_segment_name(path, sizeof path, dir, i);
		if (unlink(path) != 0 && errno != ENOENT)
			return err_set(e, FL_EIO, "wal: repair: delete segment %s: %s", path, strerror(errno));
	}
	wal_segment_name(path, sizeof path, dir, c->segment);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, FL_EIO, "wal: repair: open %s: %s", path, strerror(errno));
	/* cut at the bad record, then zero the rest of its page (Prometheus
	 * rewrites the good records and pads the last page) */
	int64_t end = c->offset;
	if (end % WAL_PAGE_SIZE)
		end += WAL_PAGE_SIZE - end % WAL_PAGE_SIZE;
	if (ftruncate(fd, c->offset) != 0 || ftruncate(fd, end) != 0 || fsync(fd) != 0)
		rc = err_set(e, FL_EIO, "wal: repair: truncate %s at %lld: %s", path, (long long)c->offset, strerror(errno));
	close(fd);
	return rc;
}
