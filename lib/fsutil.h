/*
 * fsutil.h - writing files durably (Prometheus tsdb/fileutil): a buffered
 * sequential writer that knows its position, whole-file writes that end in
 * fsync, directory fsync and recursive removal.
 *
 * A file is durable once fs_writer_close (or fs_write_file) returned 0 and
 * the directory holding its name was fsynced (fs_sync_dir): what block
 * writers need before they rename a `.tmp-for-creation` directory.
 */
#ifndef FL_FSUTIL_H
#define FL_FSUTIL_H

#include "lib/err.h"
#include "lib/fl.h"

typedef struct fs_writer {
	int fd;            /* open file, -1 when closed */
	char path[1024];   /* for messages */
	uint8_t *b;        /* write buffer, owned */
	size_t n;          /* buffered bytes */
	size_t cap;        /* buffer size */
	uint64_t pos;      /* file position after the buffered bytes */
	int err;           /* sticky: 0 or the first FL_E* */
	int sys_errno;     /* errno of the first failure (ENOSPC: disk full) */
} fs_writer;

/* Create (truncate) path for writing. 0 or FL_EIO/FL_ENOMEM. */
int fs_writer_open(fs_writer *w, const char *path, err *e);
/* Append n bytes (buffered). Errors are sticky: check fs_writer_close. */
void fs_writer_put(fs_writer *w, const void *p, size_t n);
/* Append zero bytes until pos is a multiple of align. */
void fs_writer_pad(fs_writer *w, size_t align);
/* Overwrite n bytes at off, which must already be flushed or buffered. */
void fs_writer_put_at(fs_writer *w, uint64_t off, const void *p, size_t n);
/* Flush, fsync, close. 0 or the first error (e names the file). */
int fs_writer_close(fs_writer *w, err *e);
/* Close without syncing and unlink the file (error paths). */
void fs_writer_abort(fs_writer *w);

/* Create path with exactly these bytes, fsynced. */
int fs_write_file(const char *path, const void *p, size_t n, err *e);
/* fsync a directory (after creating, renaming or removing entries in it). */
int fs_sync_dir(const char *dir, err *e);
/* Remove path and everything below it; a missing path is not an error. */
int fs_remove_all(const char *path, err *e);

#endif
