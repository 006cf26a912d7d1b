/*
 * fsutil.h - file-system helpers a database needs and libc lacks
 * (Prometheus tsdb/fileutil):
 *   - a buffered sequential writer that knows its position, whole-file
 *     writes that end in fsync, directory fsync. A file is durable once
 *     fsutil_writer_close (or fsutil_write_file) returned 0 and the
 *     directory holding its name was fsynced (fsutil_sync_dir): what block
 *     writers need before they rename a `.tmp-for-creation` directory;
 *   - remove a tree, measure a tree. Both walk with opendir/readdir, never
 *     follow symbolic links, and stop at FSUTIL_MAX_DEPTH levels (a data
 *     directory is at most four deep: wal/checkpoint.N/NNNNNNNN), so a loop
 *     of bind mounts cannot hang them.
 */
#ifndef FL_FSUTIL_H
#define FL_FSUTIL_H

#include "lib/err.h"
#include "lib/fl.h"

#include <stdint.h>

#define FSUTIL_MAX_DEPTH 8

typedef struct fsutil_writer {
	int fd;            /* open file, -1 when closed */
	char path[1024];   /* for messages */
	uint8_t *b;        /* write buffer, owned */
	size_t n;          /* buffered bytes */
	size_t cap;        /* buffer size */
	uint64_t pos;      /* file position after the buffered bytes */
	int err;           /* sticky: 0 or the first FL_E* */
	int sys_errno;     /* errno of the first failure (ENOSPC: disk full) */
} fsutil_writer;

/* Create (truncate) path for writing. 0 or FL_EIO/FL_ENOMEM. */
int fsutil_writer_open(fsutil_writer *w, const char *path, err *e);
/* Append n bytes (buffered). Errors are sticky: check fsutil_writer_close. */
void fsutil_writer_put(fsutil_writer *w, const void *p, size_t n);
/* Append zero bytes until pos is a multiple of align. */
void fsutil_writer_pad(fsutil_writer *w, size_t align);
/* Overwrite n bytes at off, which must already be flushed or buffered. */
void fsutil_writer_put_at(fsutil_writer *w, uint64_t off, const void *p, size_t n);
/* Flush, fsync, close. 0 or the first error (e names the file). */
int fsutil_writer_close(fsutil_writer *w, err *e);
/* Close without syncing and unlink the file (error paths). */
void fsutil_writer_abort(fsutil_writer *w);

/* Create path with exactly these bytes, fsynced. */
int fsutil_write_file(const char *path, const void *p, size_t n, err *e);
/* fsync a directory (after creating, renaming or removing entries in it). */
int fsutil_sync_dir(const char *dir, err *e);

/* mkdir -p dir (0777 before the umask). 0, FL_EINVAL for an empty or
 * too long name, FL_EIO naming the directory that could not be made. */
int fsutil_mkdir_all(const char *dir, err *e);
/* rm -rf path. A missing path is fine. 0, or FL_EIO naming the entry that
 * could not be removed. */
int fsutil_remove_all(const char *path, err *e);

/* Bytes in the regular files under path (path itself when it is a file;
 * 0 when it is missing), as fileutil.DirSize. */
int64_t fsutil_dir_size(const char *path);

#endif
