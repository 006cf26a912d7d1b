/*
 * fsutil.c - durable file writing (see fsutil.h). Mirrors what Prometheus's
 * tsdb/fileutil and the index/chunks writers do with bufio + fsync.
 *
 * Invariants:
 *  1. w->pos == bytes written to the fd + w->n.
 *  2. Once w->err is set, nothing more reaches the file.
 */
#define _XOPEN_SOURCE 700
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_BUF_SIZE (1 << 20)

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int fs_writer_open(fs_writer *w, const char *path, err *e)
{
	memset(w, 0, sizeof *w);
	snprintf(w->path, sizeof w->path, "%s", path);
	w->b = fl_malloc(FS_BUF_SIZE);
	if (!w->b) {
		w->fd = -1;
		return err_set(e, FL_ENOMEM, "create %s: out of memory", path);
	}
	w->cap = FS_BUF_SIZE;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int rc = err_set(e, FL_EIO, "create %s: %s", path, strerror(errno));
		fl_free(w->b);
		w->b = NULL;
		return rc;
	}
	return 0;
}

static void fail(fs_writer *w)
{
	w->sys_errno = errno ? errno : EIO;
	w->err = FL_EIO;
}

static void flush(fs_writer *w)
{
	if (w->err == 0 && w->n > 0 && write_all(w->fd, w->b, w->n) != 0)
		fail(w);
	w->n = 0;
}

void fs_writer_put(fs_writer *w, const void *p, size_t n)
{
	w->pos += n;
	if (w->err || n == 0)
		return;
	if (w->n + n > w->cap) {
		flush(w);
		if (n > w->cap) {
			if (w->err == 0 && write_all(w->fd, p, n) != 0)
				fail(w);
			return;
		}
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

void fs_writer_pad(fs_writer *w, size_t align)
{
	static const uint8_t zero[64];
	assert(align > 0 && align <= sizeof zero);
	size_t k = (size_t)((align - w->pos % align) % align);
	fs_writer_put(w, zero, k);
}

void fs_writer_put_at(fs_writer *w, uint64_t off, const void *p, size_t n)
{
	assert(off + n <= w->pos);
	if (w->err)
		return;
	uint64_t buffered_from = w->pos - w->n;
	if (off >= buffered_from) {
		memcpy(w->b + (off - buffered_from), p, n);
		return;
	}
	assert(off + n <= buffered_from); /* callers never straddle the flush point */
	if (pwrite(w->fd, p, n, (off_t)off) != (ssize_t)n)
		fail(w);
}

int fs_writer_close(fs_writer *w, err *e)
{
	if (w->fd < 0)
		return w->err ? err_set(e, w->err, "write %s: %s", w->path, strerror(w->sys_errno)) : 0;
	flush(w);
	if (w->err == 0 && fsync(w->fd) != 0)
		fail(w);
	if (close(w->fd) != 0 && w->err == 0)
		fail(w);
	w->fd = -1;
	fl_free(w->b);
	w->b = NULL;
	if (w->err)
		return err_set(e, w->err, "write %s: %s", w->path, strerror(w->sys_errno));
	return 0;
}

void fs_writer_abort(fs_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->path);
	}
	w->fd = -1;
	fl_free(w->b);
	w->b = NULL;
}

int fs_write_file(const char *path, const void *p, size_t n, err *e)
{
	fs_writer w;
	int rc = fs_writer_open(&w, path, e);
	if (rc)
		return rc;
	fs_writer_put(&w, p, n);
	return fs_writer_close(&w, e);
}

int fs_sync_dir(const char *dir, err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, FL_EIO, "open %s: %s", dir, strerror(errno));
	int rc = 0;
	if (fsync(fd) != 0)
		rc = err_set(e, FL_EIO, "fsync %s: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int fs_remove_all(const char *path, err *e)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : err_set(e, FL_EIO, "stat %s: %s", path, strerror(errno));
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return err_set(e, FL_EIO, "remove %s: %s", path, strerror(errno));
	return 0;
}
