/*
 * head_chunks.c - the head-chunk files of `chunks_head/` (see head_chunks.h
 * for the format; mirrors Prometheus tsdb/chunks/head_chunks.go
 * ChunkDiskMapper: buffered writes, mmapped reads, repair at open).
 *
 * Files live in a table of slots indexed by their number (disk files in one
 * half, memory files in the other), so a reader finds a chunk's file with
 * one atomic load and no lock. A file's bytes [0, readable) are in its
 * mapping; bytes a failed write could not put on disk are in its `tail`.
 *
 * Invariants:
 *  1. Disk files present are numbered first_disk .. next_disk - 1 with no
 *     gap; only the oldest is ever deleted (hchunks_gc).
 *  2. An entry is wholly in the mapping or wholly in the tail: the buffer
 *     only ever holds whole entries and is written out whole.
 *  3. A file is freed only when it is not current and no chunk of it is
 *     retained, so bytes handed out for a retained chunk stay mapped.
 *  4. Bytes from disk are checked (header, bounds, CRC) before any chunk of
 *     a file is handed out: hchunks_get trusts offsets below `readable`
 *     only as far as the bounds it checks again.
 *
 * Lock: m->mu guards writes (the buffer, cur, numbering, creation and
 * removal of files). It is a leaf: the head takes it with a series lock held.
 */
#include "tsdb/head_chunks.h"

#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HCHUNKS_SLOTS 4096 /* live files: 2048 on disk (256 GiB), 2048 in memory */
#define HALF (HCHUNKS_SLOTS / 2)

typedef struct hfile {
	uint32_t seq;            /* file number (HCHUNKS_MEM_SEQ bit: memory) */
	int fd;                  /* open while current (disk), else -1 */
	uint8_t *map;            /* mapping of map_len bytes */
	size_t map_len;          /* mapped length */
	_Atomic size_t readable; /* bytes readable through map */
	size_t size;             /* bytes written, buffered included (mu) */
	uint8_t *tail;           /* bytes [tail_off, size) a failed write kept, or NULL (set under mu) */
	size_t tail_off;         /* file offset of tail[0] */
	_Atomic int64_t live;    /* retained chunks */
	bool from_open;          /* existed when the mapper opened */
} hfile;

struct hchunks {
	char *dir;                          /* directory, NULL = memory only */
	bool read_only;                     /* never write the directory */
	pthread_mutex_t mu;                 /* see the top comment */
	_Atomic(hfile *) slots[HCHUNKS_SLOTS]; /* files by number */
	hfile *cur;                         /* file being written (mu) */
	uint32_t first_disk, next_disk;     /* disk files present: [first, next) (mu) */
	uint32_t first_mem, next_mem;       /* memory files: [first, next), gaps allowed (mu) */
	uint8_t *wbuf;                      /* write buffer of cur (disk), HCHUNKS_WRITE_BUF_SIZE */
	size_t wlen;                        /* bytes in wbuf */
	size_t wbuf_off;                    /* file offset of wbuf[0] */
	bool disk_failed;                   /* the last disk write or create failed (logged) */
};

static bool is_mem(uint32_t seq) { return seq & HCHUNKS_MEM_SEQ; }
static size_t slot_of(uint32_t seq) { return (seq & (HALF - 1)) | (is_mem(seq) ? HALF : 0); }

static hfile *file_get(hchunks *m, uint32_t seq)
{
	hfile *f = atomic_load_explicit(&m->slots[slot_of(seq)], memory_order_acquire);
	return f && f->seq == seq ? f : NULL;
}

static void path_of(const hchunks *m, uint32_t seq, char *buf, size_t n) { snprintf(buf, n, "%s/%06" PRIu32, m->dir, seq); }

/* ---- one file's bytes ---- */

int hchunks_file_iter_init(hchunks_file_iter *it, const uint8_t *p, size_t len, err *e)
{
	it->p = p;
	it->len = len;
	it->off = HCHUNKS_HEADER_LEN;
	it->err = 0;
	if (len < HCHUNKS_HEADER_LEN)
		it->err = err_set(e, FL_ECORRUPT, "head chunks: file of %zu bytes has no header", len);
	else if (be32(p) != HCHUNKS_MAGIC)
		it->err = err_set(e, FL_ECORRUPT, "head chunks: invalid magic number %08" PRIx32, be32(p));
	else if (p[4] != 1)
		it->err = err_set(e, FL_ECORRUPT, "head chunks: invalid chunk format version %u", p[4]);
	return it->err;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

bool hchunks_file_iter_next(hchunks_file_iter *it, hchunks_entry *out, err *e)
{
	if (it->err || it->off >= it->len)
		return false;
	size_t off = it->off, left = it->len - off;
	const uint8_t *p = it->p + off;
	if (left < HCHUNKS_ENTRY_HEADER_LEN || all_zero(p, HCHUNKS_ENTRY_HEADER_LEN)) {
		/* Preallocated zeros, or too few bytes to be an entry: Prometheus
		 * ends the file there too when they are zeros. */
		if (all_zero(p, left < HCHUNKS_ENTRY_HEADER_LEN ? left : HCHUNKS_ENTRY_HEADER_LEN))
			return false;
		it->err = err_set(e, FL_ECORRUPT, "head chunks: offset %zu: entry header truncated (%zu bytes left)", off, left);
		return false;
	}
	uint64_t dlen;
	int vn = uvarint_get(p + HCHUNKS_ENTRY_HEADER_LEN, left - HCHUNKS_ENTRY_HEADER_LEN, &dlen);
	size_t hdr = HCHUNKS_ENTRY_HEADER_LEN + (size_t)(vn > 0 ? vn : 0);
	if (vn <= 0 || dlen > left - hdr || left - hdr - dlen < 4) {
		it->err = err_set(e, FL_ECORRUPT, "head chunks: offset %zu: chunk length %s beyond the file (%zu bytes left)",
				  off, vn <= 0 ? "unreadable" : "runs", left);
		return false;
	}
	uint32_t want = be32(p + hdr + dlen), got = crc32c(0, p, hdr + dlen);
	if (want != got) {
		it->err = err_set(e, FL_ECORRUPT, "head chunks: offset %zu: checksum mismatch (want %08" PRIx32 ", got %08" PRIx32 ")",
				  off, want, got);
		return false;
	}
	out->off = off;
	out->series_ref = be64(p);
	out->mint = (int64_t)be64(p + 8);
	out->maxt = (int64_t)be64(p + 16);
	out->enc = p[24];
	out->data = p + hdr;
	out->len = (size_t)dlen;
	it->off = off + hdr + (size_t)dlen + 4;
	return true;
}

/* ---- files ---- */

static void file_free(hfile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->map)
		munmap(f->map, f->map_len);
	fl_free(f->tail);
	fl_free(f);
}

static void slot_set(hchunks *m, uint32_t seq, hfile *f) { atomic_store_explicit(&m->slots[slot_of(seq)], f, memory_order_release); }

/* Write the buffer out (mu held). On failure the buffer becomes cur's tail
 * and cur is finished (the next write starts a new file). */
static int flush_locked(hchunks *m, err *e)
{
	hfile *f = m->cur;
	if (!f || is_mem(f->seq) || !m->wlen)
		return 0;
	size_t done = 0;
	while (done < m->wlen) {
		ssize_t w = pwrite(f->fd, m->wbuf + done, m->wlen - done, (off_t)(m->wbuf_off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			char path[1100];
			path_of(m, f->seq, path, sizeof path);
			int rc = err_set(e, FL_EIO, "head chunks: write %s: %s", path, w < 0 ? strerror(errno) : "short write");
			if (!m->disk_failed)
				log_error("tsdb", "Writing head chunks failed: keeping them in memory", "err", e ? e->msg : "", NULL);
			m->disk_failed = true;
			f->tail = m->wbuf; /* written only under mu; readers take mu before using it */
			f->tail_off = m->wbuf_off;
			m->wbuf = NULL;
			m->wlen = 0;
			close(f->fd);
			f->fd = -1;
			m->cur = NULL;
			return rc;
		}
		done += (size_t)w;
	}
	m->wbuf_off += m->wlen;
	m->wlen = 0;
	atomic_store_explicit(&f->readable, m->wbuf_off, memory_order_release);
	return 0;
}

/* Finish the current file (mu held): write its buffer out, close it. */
static void finish_cur(hchunks *m)
{
	if (!m->cur)
		return;
	err e;
	if (flush_locked(m, &e) == 0 && m->cur) {
		if (m->cur->fd >= 0)
			close(m->cur->fd);
		m->cur->fd = -1;
	}
	m->cur = NULL;
}

static void put_header(uint8_t *p)
{
	put_be32(p, HCHUNKS_MAGIC);
	p[4] = 1;
	p[5] = p[6] = p[7] = 0;
}

static hfile *new_mem_file(hchunks *m)
{
	if (m->next_mem - m->first_mem >= HALF || m->next_mem == UINT32_MAX)
		return NULL;
	hfile *f = fl_calloc(1, sizeof *f);
	void *p = f ? mmap(NULL, HCHUNKS_MAX_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0)
		    : MAP_FAILED;
	if (p == MAP_FAILED) {
		fl_free(f);
		return NULL;
	}
	f->seq = m->next_mem++;
	f->fd = -1;
	f->map = p;
	f->map_len = HCHUNKS_MAX_FILE_SIZE;
	put_header(f->map);
	f->size = HCHUNKS_HEADER_LEN;
	atomic_store(&f->readable, HCHUNKS_HEADER_LEN);
	return f;
}

static hfile *new_disk_file(hchunks *m)
{
	if (!m->dir || m->read_only || m->next_disk - m->first_disk >= HALF || m->next_disk >= HCHUNKS_MEM_SEQ - 1)
		return NULL;
	if (!m->wbuf && !(m->wbuf = fl_malloc(HCHUNKS_WRITE_BUF_SIZE)))
		return NULL;
	char path[1100];
	path_of(m, m->next_disk, path, sizeof path);
	hfile *f = fl_calloc(1, sizeof *f);
	int fd = f ? open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	void *p = fd >= 0 ? mmap(NULL, HCHUNKS_MAX_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (p == MAP_FAILED) {
		if (f && !m->disk_failed)
			log_error("tsdb", "Cannot create a head chunk file: keeping chunks in memory", "file", path, "err",
				  strerror(errno), NULL);
		m->disk_failed = f != NULL;
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		fl_free(f);
		return NULL;
	}
	m->disk_failed = false;
	f->seq = m->next_disk++;
	f->fd = fd;
	f->map = p;
	f->map_len = HCHUNKS_MAX_FILE_SIZE;
	/* The header goes out at once, as Prometheus writes it: a file killed
	 * before its first flush is a valid empty file. A failure here shows
	 * again at the first flush. */
	uint8_t hdr[HCHUNKS_HEADER_LEN];
	put_header(hdr);
	bool hdr_ok = pwrite(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr;
	m->wlen = hdr_ok ? 0 : HCHUNKS_HEADER_LEN;
	if (!hdr_ok)
		put_header(m->wbuf);
	m->wbuf_off = hdr_ok ? HCHUNKS_HEADER_LEN : 0;
	atomic_store(&f->readable, m->wbuf_off);
	f->size = HCHUNKS_HEADER_LEN;
	return f;
}

/* Start a new file for writing (mu held): on disk when possible. */
static int cut_locked(hchunks *m)
{
	finish_cur(m);
	hfile *f = new_disk_file(m);
	if (!f)
		f = new_mem_file(m);
	if (!f)
		return FL_ENOMEM;
	slot_set(m, f->seq, f);
	m->cur = f;
	return 0;
}

/* ---- write and read ---- */

int hchunks_write(hchunks *m, uint64_t series_ref, int64_t mint, int64_t maxt, uint8_t enc, const uint8_t *data,
		  size_t len, uint64_t *ref, err *e)
{
	uint8_t hdr[HCHUNKS_ENTRY_HEADER_LEN + 10];
	put_be64(hdr, series_ref);
	put_be64(hdr + 8, (uint64_t)mint);
	put_be64(hdr + 16, (uint64_t)maxt);
	hdr[24] = enc;
	size_t hl = HCHUNKS_ENTRY_HEADER_LEN + (size_t)uvarint_put(hdr + HCHUNKS_ENTRY_HEADER_LEN, len);
	size_t elen = hl + len + 4;
	assert(elen <= HCHUNKS_WRITE_BUF_SIZE - HCHUNKS_HEADER_LEN); /* head chunks are small */
	uint8_t crc[4];
	put_be32(crc, crc32c(crc32c(0, hdr, hl), data, len));
	pthread_mutex_lock(&m->mu);
	int rc = 0;
	for (int tries = 0; tries < 3; tries++) {
		hfile *f = m->cur;
		if (!f || f->size + elen > HCHUNKS_MAX_FILE_SIZE) {
			if ((rc = cut_locked(m)))
				break;
			f = m->cur;
		}
		if (!is_mem(f->seq) && m->wlen + elen > HCHUNKS_WRITE_BUF_SIZE && flush_locked(m, e))
			continue; /* cur finished; start another file */
		uint8_t *dst = is_mem(f->seq) ? f->map + f->size : m->wbuf + m->wlen;
		memcpy(dst, hdr, hl);
		memcpy(dst + hl, data, len);
		memcpy(dst + hl + len, crc, 4);
		*ref = (uint64_t)f->seq << 32 | f->size;
		f->size += elen;
		if (is_mem(f->seq))
			atomic_store_explicit(&f->readable, f->size, memory_order_release);
		else
			m->wlen += elen;
		atomic_fetch_add_explicit(&f->live, 1, memory_order_relaxed);
		pthread_mutex_unlock(&m->mu);
		err_clear(e);
		return 0;
	}
	pthread_mutex_unlock(&m->mu);
	return err_set(e, rc ? rc : FL_ENOMEM, "head chunks: out of memory writing a chunk");
}

/* Bytes [off, off + n) of f, or NULL when the file does not hold them;
 * writes the buffer out first when they are still in it. */
static const uint8_t *file_bytes(hchunks *m, hfile *f, size_t off, size_t n)
{
	if (n > f->map_len || off > f->map_len - n)
		return NULL;
	if (off + n <= atomic_load_explicit(&f->readable, memory_order_acquire))
		return f->map + off;
	const uint8_t *p = NULL;
	pthread_mutex_lock(&m->mu);
	if (f == m->cur && off + n <= f->size) {
		err e;
		(void)flush_locked(m, &e); /* a failure moves the bytes to the tail */
	}
	if (off + n <= atomic_load_explicit(&f->readable, memory_order_acquire))
		p = f->map + off;
	else if (f->tail && off >= f->tail_off && off + n <= f->size)
		p = f->tail + (off - f->tail_off);
	pthread_mutex_unlock(&m->mu);
	return p;
}

int hchunks_get(hchunks *m, uint64_t ref, const uint8_t **data, size_t *len, err *e)
{
	uint32_t seq = (uint32_t)(ref >> 32);
	size_t off = (uint32_t)ref;
	hfile *f = file_get(m, seq);
	/* The entry is contiguous (invariant 2): read its length a byte at a
	 * time (two reads for any head chunk), then all of it. */
	const uint8_t *p = NULL;
	uint64_t dlen = 0;
	int vn = 0;
	for (size_t k = 1; f && off >= HCHUNKS_HEADER_LEN && k <= 10 && vn == 0; k++) {
		if (!(p = file_bytes(m, f, off, HCHUNKS_ENTRY_HEADER_LEN + k)))
			break;
		vn = uvarint_get(p + HCHUNKS_ENTRY_HEADER_LEN, k, &dlen);
	}
	size_t hl = HCHUNKS_ENTRY_HEADER_LEN + (size_t)(vn > 0 ? vn : 0);
	if (vn <= 0 || dlen > HCHUNKS_MAX_FILE_SIZE || !(p = file_bytes(m, f, off, hl + (size_t)dlen)))
		return err_set(e, FL_ECORRUPT, "head chunks: no chunk at file %06" PRIu32 " offset %zu", seq, off);
	*data = p + hl;
	*len = (size_t)dlen;
	return 0;
}

void hchunks_retain(hchunks *m, uint64_t ref)
{
	hfile *f = file_get(m, (uint32_t)(ref >> 32));
	if (f)
		atomic_fetch_add_explicit(&f->live, 1, memory_order_relaxed);
}

void hchunks_release(hchunks *m, uint64_t ref)
{
	hfile *f = file_get(m, (uint32_t)(ref >> 32));
	if (f) {
		int64_t was = atomic_fetch_sub_explicit(&f->live, 1, memory_order_relaxed);
		assert(was > 0); /* released more than retained */
		(void)was;
	}
}

static bool removable(hchunks *m, hfile *f)
{
	return f && f != m->cur && atomic_load_explicit(&f->live, memory_order_relaxed) == 0;
}

static void remove_file(hchunks *m, hfile *f)
{
	slot_set(m, f->seq, NULL);
	if (!is_mem(f->seq)) {
		char path[1100];
		path_of(m, f->seq, path, sizeof path);
		if (!m->read_only && unlink(path) && errno != ENOENT)
			log_warn("tsdb", "Cannot delete a head chunk file", "file", path, "err", strerror(errno), NULL);
	}
	file_free(f);
}

int hchunks_gc(hchunks *m)
{
	int n = 0;
	pthread_mutex_lock(&m->mu);
	/* As Prometheus's Truncate: the file being written is finished when it
	 * holds chunks, so that it can go once they are released. */
	if (m->cur && m->cur->size > HCHUNKS_HEADER_LEN)
		finish_cur(m);
	while (m->first_disk < m->next_disk) {
		hfile *f = file_get(m, m->first_disk);
		if (f && !removable(m, f))
			break;
		if (f)
			remove_file(m, f);
		m->first_disk++;
		n += f != NULL;
	}
	for (uint32_t s = m->first_mem; s < m->next_mem; s++) {
		hfile *f = file_get(m, s);
		if (removable(m, f)) {
			remove_file(m, f);
			n++;
		}
		if (!file_get(m, s) && s == m->first_mem)
			m->first_mem++;
	}
	pthread_mutex_unlock(&m->mu);
	return n;
}

int hchunks_flush(hchunks *m, err *e)
{
	pthread_mutex_lock(&m->mu);
	int rc = flush_locked(m, e);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int64_t hchunks_disk_bytes(hchunks *m)
{
	int64_t n = 0;
	pthread_mutex_lock(&m->mu);
	for (uint32_t s = m->first_disk; s < m->next_disk; s++) {
		hfile *f = file_get(m, s);
		n += f ? (int64_t)f->size : 0;
	}
	pthread_mutex_unlock(&m->mu);
	return n;
}

int hchunks_iterate(hchunks *m, hchunks_fn fn, void *ctx)
{
	for (uint32_t s = m->first_disk; s < m->next_disk; s++) {
		hfile *f = file_get(m, s);
		if (!f || !f->from_open)
			continue;
		hchunks_file_iter it;
		hchunks_entry en;
		err e;
		if (hchunks_file_iter_init(&it, f->map, atomic_load(&f->readable), &e))
			continue;
		while (hchunks_file_iter_next(&it, &en, &e)) {
			int rc = fn(ctx, en.series_ref, (uint64_t)s << 32 | en.off, en.mint, en.maxt, en.enc, en.data, en.len);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- open and close ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* File numbers in dir, sorted; *n of them. */
static int list_files(const char *dir, uint32_t **out, size_t *n, err *e)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_set(e, FL_EIO, "head chunks: open %s: %s", dir, strerror(errno));
	size_t cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		size_t k = strspn(s, "0123456789");
		if (k == 0 || s[k] || k > 9)
			continue;
		unsigned long v = strtoul(s, NULL, 10);
		if (v == 0 || v >= HCHUNKS_MEM_SEQ)
			continue;
		if (!fl_grow((void **)out, &cap, *n + 1, sizeof **out)) {
			rc = err_set(e, FL_ENOMEM, "head chunks: out of memory");
			break;
		}
		(*out)[(*n)++] = (uint32_t)v;
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_u32);
	return rc;
}

/* Map file seq and check every entry; *bad is the offset of the first bad
 * byte (SIZE_MAX when none). NULL on an I/O error or OOM. */
static hfile *open_file(hchunks *m, uint32_t seq, size_t *bad, err *e)
{
	char path[1100];
	path_of(m, seq, path, sizeof path);
	*bad = SIZE_MAX;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		err_set(e, FL_EIO, "head chunks: open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	hfile *f = fl_calloc(1, sizeof *f);
	size_t len = (size_t)st.st_size;
	void *p = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	close(fd);
	if (!f || p == MAP_FAILED) {
		err_set(e, f ? FL_EIO : FL_ENOMEM, "head chunks: mmap %s: %s", path, f ? strerror(errno) : "out of memory");
		if (p && p != MAP_FAILED)
			munmap(p, len);
		fl_free(f);
		return NULL;
	}
	f->seq = seq;
	f->fd = -1;
	f->map = p;
	f->map_len = len;
	f->from_open = true;
	hchunks_file_iter it;
	hchunks_entry en;
	err ie;
	err_clear(&ie);
	if (hchunks_file_iter_init(&it, p, len, &ie) == 0)
		while (hchunks_file_iter_next(&it, &en, &ie))
			;
	size_t end = it.err ? (it.off > len ? 0 : it.off) : FL_MIN(it.off, len);
	if (it.err) {
		*bad = it.off <= HCHUNKS_HEADER_LEN ? 0 : it.off;
		end = *bad;
		log_warn("tsdb", "Corrupt head chunk file: dropping it from the bad entry on", "file", path, "err", ie.msg, NULL);
	}
	f->size = end;
	atomic_store(&f->readable, end);
	return f;
}

/* Drop file seq from offset `at` on (0: all of it) and every later file,
 * as Prometheus's repair drops what follows corruption: the WAL still
 * holds those samples, and a chunk kept after a lost one would hide them. */
static void repair(hchunks *m, uint32_t seq, size_t at, const uint32_t *seqs, size_t n)
{
	if (m->read_only)
		return;
	char path[1100];
	path_of(m, seq, path, sizeof path);
	if (at == 0 ? unlink(path) : truncate(path, (off_t)at))
		log_warn("tsdb", "Cannot repair a head chunk file", "file", path, "err", strerror(errno), NULL);
	for (size_t i = 0; i < n; i++) {
		if (seqs[i] <= seq)
			continue;
		path_of(m, seqs[i], path, sizeof path);
		if (unlink(path))
			log_warn("tsdb", "Cannot delete a head chunk file", "file", path, "err", strerror(errno), NULL);
	}
}

static int load_files(hchunks *m, err *e)
{
	uint32_t *seqs;
	size_t n;
	int rc = list_files(m->dir, &seqs, &n, e);
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint32_t seq = seqs[i];
		bool gap = i > 0 && seq != seqs[i - 1] + 1, too_many = seq - seqs[0] >= HALF;
		if (gap || too_many) {
			char s[16];
			snprintf(s, sizeof s, "%06" PRIu32, seq);
			log_warn("tsdb", gap ? "Gap in head chunk files: dropping the later ones" : "Too many head chunk files: dropping the later ones",
				 "dir", m->dir, "file", s, NULL);
			repair(m, seq, 0, seqs, n);
			break;
		}
		size_t bad;
		hfile *f = open_file(m, seq, &bad, e);
		if (!f) {
			rc = e && e->code ? e->code : FL_EIO;
			break;
		}
		if (bad == 0) { /* nothing usable: the file goes with the later ones */
			file_free(f);
			repair(m, seq, 0, seqs, n);
			break;
		}
		if (i == 0)
			m->first_disk = seq;
		m->next_disk = seq + 1;
		slot_set(m, seq, f);
		if (bad != SIZE_MAX) {
			repair(m, seq, bad, seqs, n);
			break;
		}
	}
	fl_free(seqs);
	return rc;
}

hchunks *hchunks_open(const char *dir, bool read_only, err *e)
{
	hchunks *m = fl_calloc(1, sizeof *m);
	if (!m || (dir && !(m->dir = fl_strdup(dir)))) {
		fl_free(m);
		err_set(e, FL_ENOMEM, "head chunks: out of memory");
		return NULL;
	}
	m->read_only = read_only;
	m->first_disk = m->next_disk = 1;
	m->first_mem = m->next_mem = HCHUNKS_MEM_SEQ;
	pthread_mutex_init(&m->mu, NULL);
	int rc = 0;
	if (dir && !read_only && mkdir(dir, 0777) && errno != EEXIST)
		rc = err_set(e, FL_EIO, "head chunks: create %s: %s", dir, strerror(errno));
	if (rc == 0 && dir)
		rc = load_files(m, e);
	if (rc) {
		hchunks_close(m, NULL);
		return NULL;
	}
	return m;
}

int hchunks_close(hchunks *m, err *e)
{
	if (!m)
		return 0;
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	if (m->cur && !is_mem(m->cur->seq)) {
		rc = flush_locked(m, e);
		if (rc == 0 && m->cur && fsync(m->cur->fd))
			rc = err_set(e, FL_EIO, "head chunks: sync: %s", strerror(errno));
	}
	finish_cur(m);
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < HCHUNKS_SLOTS; i++)
		file_free(atomic_load(&m->slots[i]));
	pthread_mutex_destroy(&m->mu);
	fl_free(m->wbuf);
	fl_free(m->dir);
	fl_free(m);
	return rc;
}
