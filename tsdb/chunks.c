/*
 * chunks.c - reading block chunk segments (see chunks.h; mirrors
 * Prometheus tsdb/chunks/chunks.go Reader).
 *
 * Invariants:
 *  1. Every segment in r->seg passed the header check at open.
 *  2. chunks_get never reads outside [0, seg.len): every length from disk
 *     is checked before use; failures name the segment file and offset.
 */
#include "tsdb/chunks.h"

#include "lib/buf.h"
#include "lib/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct segment {
	const uint8_t *p; /* mmapped bytes (NULL when the file is empty) */
	size_t len;       /* file length */
	char name[16];    /* file name, for messages */
} segment;

struct chunks_reader {
	segment *seg;  /* in name order */
	size_t n_seg;  /* segments */
	char dir[512]; /* directory, for messages */
};

static bool seq_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int cmp_name(const void *a, const void *b)
{
	const segment *x = a, *y = b;
	unsigned long u = strtoul(x->name, NULL, 10), v = strtoul(y->name, NULL, 10);
	return u < v ? -1 : u > v;
}

static int seg_map(chunks_reader *r, segment *s, err *e)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", r->dir, s->name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, FL_EIO, "chunks: open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return err_set(e, FL_EIO, "chunks: stat %s: %s", path, strerror(errno));
	}
	s->len = (size_t)st.st_size;
	if (s->len < CHUNKS_HEADER_LEN) {
		close(fd);
		return err_set(e, FL_ECORRUPT, "chunks: %s: invalid segment header: file of %zu bytes", path, s->len);
	}
	void *m = mmap(NULL, s->len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return err_set(e, FL_EIO, "chunks: mmap %s: %s", path, strerror(errno));
	s->p = m;
	chunks_seg_iter it;
	int rc = chunks_seg_iter_init(&it, s->p, s->len, e);
	if (rc != 0) {
		err_wrap(e, "chunks: %s", path);
		return rc;
	}
	return 0;
}

static int list_segments(chunks_reader *r, err *e)
{
	DIR *d = opendir(r->dir);
	if (!d)
		return err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "chunks: open dir %s: %s", r->dir, strerror(errno));
	size_t cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (!seq_name(de->d_name))
			continue;
		if (!fl_grow((void **)&r->seg, &cap, r->n_seg + 1, sizeof *r->seg)) {
			rc = err_set(e, FL_ENOMEM, "chunks: out of memory");
			break;
		}
		segment *s = &r->seg[r->n_seg++];
		memset(s, 0, sizeof *s);
		snprintf(s->name, sizeof s->name, "%s", de->d_name);
	}
	closedir(d);
	if (rc == 0 && r->n_seg)
		qsort(r->seg, r->n_seg, sizeof *r->seg, cmp_name);
	return rc;
}

chunks_reader *chunks_open(const char *dir, err *e)
{
	chunks_reader *r = fl_calloc(1, sizeof *r);
	if (!r) {
		err_set(e, FL_ENOMEM, "chunks: out of memory");
		return NULL;
	}
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	if (list_segments(r, e) != 0) {
		chunks_close(r);
		return NULL;
	}
	for (size_t i = 0; i < r->n_seg; i++) {
		if (seg_map(r, &r->seg[i], e) != 0) {
			chunks_close(r);
			return NULL;
		}
	}
	return r;
}

void chunks_close(chunks_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_seg; i++)
		if (r->seg[i].p)
			munmap((void *)r->seg[i].p, r->seg[i].len);
	fl_free(r->seg);
	fl_free(r);
}

void chunks_drop_pages(chunks_reader *r)
{
	for (size_t i = 0; i < r->n_seg; i++)
		if (r->seg[i].p)
			madvise((void *)r->seg[i].p, r->seg[i].len, MADV_DONTNEED);
}

size_t chunks_n_segments(const chunks_reader *r) { return r->n_seg; }

/* Parse the chunk at off of a segment's bytes. */
static int parse_chunk(const uint8_t *p, size_t len, size_t off, bool verify, uint8_t *enc, const uint8_t **data, size_t *dlen, size_t *next, err *e)
{
	if (off < CHUNKS_HEADER_LEN || off >= len)
		return err_set(e, FL_ECORRUPT, "offset %zu: chunk reference outside the segment (%zu bytes)", off, len);
	uint64_t n;
	int k = uvarint_get(p + off, len - off, &n);
	if (k <= 0)
		return err_set(e, FL_ECORRUPT, "offset %zu: bad chunk length varint", off);
	size_t body = off + (size_t)k;
	if (n > len || body + 1 + n + 4 > len)
		return err_set(e, FL_ECORRUPT, "offset %zu: chunk of %llu bytes runs past the segment end (%zu bytes)", off,
			       (unsigned long long)n, len);
	if (verify) {
		uint32_t want = be32(p + body + 1 + n);
		uint32_t got = crc32c(0, p + body, 1 + n);
		if (want != got)
			return err_set(e, FL_ECORRUPT, "offset %zu: chunk crc mismatch (want %08x, got %08x)", off, want, got);
	}
	*enc = p[body];
	*data = p + body + 1;
	*dlen = (size_t)n;
	if (next)
		*next = body + 1 + n + 4;
	return 0;
}

int chunks_get(chunks_reader *r, uint64_t ref, bool verify_crc, uint8_t *enc, const uint8_t **data, size_t *len, err *e)
{
	size_t si = (size_t)(ref >> 32), off = (size_t)(ref & 0xffffffffu);
	if (si >= r->n_seg)
		return err_set(e, FL_ECORRUPT, "chunks: %s: chunk ref %llx: segment index %zu out of range (%zu segments)", r->dir,
			       (unsigned long long)ref, si, r->n_seg);
	segment *s = &r->seg[si];
	int rc = parse_chunk(s->p, s->len, off, verify_crc, enc, data, len, NULL, e);
	if (rc != 0) {
		err_wrap(e, "chunks: %s/%s", r->dir, s->name);
		return rc;
	}
	return 0;
}

void chunks_ref_describe(const chunks_reader *r, uint64_t ref, char *buf, size_t n)
{
	size_t si = (size_t)(ref >> 32);
	snprintf(buf, n, "%s/%s offset %u", r->dir, si < r->n_seg ? r->seg[si].name : "(no such segment)",
		 (unsigned)(ref & 0xffffffffu));
}

int chunks_seg_iter_init(chunks_seg_iter *it, const uint8_t *p, size_t len, err *e)
{
	it->p = p;
	it->len = len;
	it->off = CHUNKS_HEADER_LEN;
	it->err = 0;
	if (len < CHUNKS_HEADER_LEN || be32(p) != CHUNKS_MAGIC) {
		it->err = FL_ECORRUPT;
		return err_set(e, FL_ECORRUPT, "invalid magic number %08x", len >= 4 ? be32(p) : 0);
	}
	if (p[4] != 1) {
		it->err = FL_ECORRUPT;
		return err_set(e, FL_ECORRUPT, "invalid chunk format version %d", p[4]);
	}
	return 0;
}

bool chunks_seg_iter_next(chunks_seg_iter *it, size_t *off, uint8_t *enc, const uint8_t **data, size_t *len, err *e)
{
	if (it->err || it->off >= it->len)
		return false;
	if (it->p[it->off] == 0) /* zero length: preallocated tail */
		return false;
	size_t next;
	int rc = parse_chunk(it->p, it->len, it->off, true, enc, data, len, &next, e);
	if (rc != 0) {
		it->err = rc;
		return false;
	}
	*off = it->off;
	it->off = next;
	return true;
}
