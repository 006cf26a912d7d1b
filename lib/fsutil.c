/*
 * fsutil.c - remove and measure directory trees (see fsutil.h).
 *
 * One bounded walker serves both: it calls fn for every entry below the
 * root, children before their directory (FTW_DEPTH order), so removal can
 * unlink files and then rmdir their directory. lstat, never stat: a
 * symbolic link is an entry, not a tree.
 */
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
