/*
 * fsutil.c - the file-system helpers of fsutil.h: durable file writing
 * (what Prometheus's tsdb/fileutil and the index/chunks writers do with
 * bufio + fsync), and removing and measuring directory trees.
 *
 * Writer invariants:
 *  1. w->pos == bytes written to the fd + w->n.
 *  2. Once w->err is set, nothing more reaches the file.
 *
 * Trees: one bounded walker serves removal and measuring: it calls fn for
 * every entry below the root, children before their directory (FTW_DEPTH
 * order), so removal can unlink files and then rmdir their directory.
 * lstat, never stat: a symbolic link is an entry, not a tree.
 */
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

int fsutil_writer_open(fsutil_writer *w, const char *path, err *e)
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

static void fail(fsutil_writer *w)
{
	w->sys_errno = errno ? errno : EIO;
	w->err = FL_EIO;
}

static void flush(fsutil_writer *w)
{
	if (w->err == 0 && w->n > 0 && write_all(w->fd, w->b, w->n) != 0)
		fail(w);
	w->n = 0;
}

void fsutil_writer_put(fsutil_writer *w, const void *p, size_t n)
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

void fsutil_writer_pad(fsutil_writer *w, size_t align)
{
	static const uint8_t zero[64];
	assert(align > 0 && align <= sizeof zero);
	size_t k = (size_t)((align - w->pos % align) % align);
	fsutil_writer_put(w, zero, k);
}

void fsutil_writer_put_at(fsutil_writer *w, uint64_t off, const void *p, size_t n)
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

int fsutil_writer_close(fsutil_writer *w, err *e)
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

void fsutil_writer_abort(fsutil_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->path);
	}
	w->fd = -1;
	fl_free(w->b);
	w->b = NULL;
}

int fsutil_write_file(const char *path, const void *p, size_t n, err *e)
{
	fsutil_writer w;
	int rc = fsutil_writer_open(&w, path, e);
	if (rc)
		return rc;
	fsutil_writer_put(&w, p, n);
	return fsutil_writer_close(&w, e);
}

int fsutil_sync_dir(const char *dir, err *e)
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

typedef int (*walk_fn)(void *ctx, const char *path, const struct stat *st, err *e);

/* Walk path (children first, then path itself). Entries that vanish
 * meanwhile are skipped. */
static int walk(const char *path, int depth, walk_fn fn, void *ctx, err *e)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : err_set(e, FL_EIO, "stat %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode) && depth < FSUTIL_MAX_DEPTH) {
		DIR *d = opendir(path);
		if (!d)
			return errno == ENOENT ? 0 : err_set(e, FL_EIO, "open %s: %s", path, strerror(errno));
		struct dirent *de;
		int rc = 0;
		while (rc == 0 && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char child[4096];
			if ((size_t)snprintf(child, sizeof child, "%s/%s", path, de->d_name) >= sizeof child) {
				rc = err_set(e, FL_EIO, "path too long under %s", path);
				break;
			}
			rc = walk(child, depth + 1, fn, ctx, e);
		}
		closedir(d);
		if (rc)
			return rc;
	}
	return fn(ctx, path, &st, e);
}

static int remove_one(void *ctx, const char *path, const struct stat *st, err *e)
{
	(void)ctx;
	int r = S_ISDIR(st->st_mode) ? rmdir(path) : unlink(path);
	if (r && errno != ENOENT)
		return err_set(e, FL_EIO, "remove %s: %s", path, strerror(errno));
	return 0;
}

int fsutil_mkdir_all(const char *dir, err *e)
{
	char path[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof path)
		return err_set(e, FL_EINVAL, "bad directory name \"%s\"", dir);
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		char c = path[i];
		path[i] = 0;
		if (mkdir(path, 0777) && errno != EEXIST)
			return err_set(e, FL_EIO, "create %s: %s", path, strerror(errno));
		path[i] = c;
	}
	return 0;
}

int fsutil_remove_all(const char *path, err *e)
{
	return walk(path, 0, remove_one, NULL, e);
}

static int add_size(void *ctx, const char *path, const struct stat *st, err *e)
{
	(void)path;
	(void)e;
	if (S_ISREG(st->st_mode))
		*(int64_t *)ctx += (int64_t)st->st_size;
	return 0;
}

int64_t fsutil_dir_size(const char *path)
{
	int64_t n = 0;
	walk(path, 0, add_size, &n, NULL);
	return n;
}
