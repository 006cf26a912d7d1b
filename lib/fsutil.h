/*
 * fsutil.h - file-system helpers a database needs and libc lacks
 * (Prometheus tsdb/fileutil): remove a tree, measure a tree.
 *
 * Both walk with opendir/readdir, never follow symbolic links, and stop at
 * FSUTIL_MAX_DEPTH levels (a data directory is at most four deep:
 * wal/checkpoint.N/NNNNNNNN), so a loop of bind mounts cannot hang them.
 */
#ifndef FL_FSUTIL_H
#define FL_FSUTIL_H

#include "lib/err.h"

#include <stdint.h>

#define FSUTIL_MAX_DEPTH 8

/* rm -rf path. A missing path is fine. 0, or FL_EIO naming the entry that
 * could not be removed. */
int fsutil_remove_all(const char *path, err *e);

/* Bytes in the regular files under path (path itself when it is a file;
 * 0 when it is missing), as fileutil.DirSize. */
int64_t fsutil_dir_size(const char *path);

#endif
