/*
 * db_snapshot.c - a consistent copy of the database in another directory
 * (Prometheus tsdb/db.go DB.Snapshot, block.go Block.Snapshot), what
 * POST /api/v1/admin/tsdb/snapshot asks for.
 *
 *   dir/<ULID>/...   every loaded block, its files hard-linked (blocks are
 *                    immutable, and pinned while they are linked, so a link
 *                    is a copy; a tombstones rewrite replaces the file by
 *                    rename, so the link keeps the old one);
 *   dir/<ULID>/...   unless skip_head: the head's [minTime, maxTime + 1)
 *                    written as one more level-1 block through a head
 *                    querier (compact_write), as Prometheus's
 *                    compactor.Write(dir, RangeHead, mint, maxt + 1): what
 *                    the querier sees, so deleted samples stay out and a
 *                    concurrent commit is in it wholly or not at all.
 *
 * No WAL is copied: flint and Prometheus open the snapshot from its blocks.
 * Runs under the maintenance lock (Prometheus's cmtx), so no compaction or
 * retention changes the set meanwhile. Hard links need dir on the data
 * directory's file system; where link fails the file is copied.
 */
#include "tsdb/db.h"
#include "tsdb/block.h"
#include "tsdb/compact.h"
#include "tsdb/db_blocks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAPSHOT_MAX_DEPTH 2 /* <ULID>/chunks/NNNNNN */

/* Copy one file. */
static int copy_file(const char *src, const char *dst, err *e)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(e, FL_EIO, "open %s: %s", src, strerror(errno));
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return err_set(e, FL_EIO, "create %s: %s", dst, strerror(errno));
	}
	char b[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, b, sizeof b)) > 0)
		if (write(out, b, (size_t)n) != n) {
			rc = err_set(e, FL_EIO, "write %s: %s", dst, strerror(errno));
			break;
		}
	if (!rc && n < 0)
		rc = err_set(e, FL_EIO, "read %s: %s", src, strerror(errno));
	if (close(out) && !rc)
		rc = err_set(e, FL_EIO, "close %s: %s", dst, strerror(errno));
	close(in);
	return rc;
}

/* Mirror the tree src into dst (created): files hard-linked (link_files) or
 * copied; dot files skipped, as are entries removed meanwhile. */
static int mirror_tree(const char *src, const char *dst, bool link_files, int depth, err *e)
{
	if (mkdir(dst, 0777) && errno != EEXIST)
		return err_set(e, FL_EIO, "mkdir %s: %s", dst, strerror(errno));
	DIR *d = opendir(src);
	if (!d)
		return err_set(e, FL_EIO, "open %s: %s", src, strerror(errno));
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char s[4096], t[4096];
		struct stat st;
		snprintf(s, sizeof s, "%s/%s", src, de->d_name);
		snprintf(t, sizeof t, "%s/%s", dst, de->d_name);
		if (lstat(s, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			rc = depth < SNAPSHOT_MAX_DEPTH ? mirror_tree(s, t, link_files, depth + 1, e) : 0;
		else if (S_ISREG(st.st_mode) && (!link_files || link(s, t)))
			rc = copy_file(s, t, e);
	}
	closedir(d);
	return rc;
}

/* The head as a block in dir (Prometheus: nothing when it has no sample). */
static int snapshot_head(db *d, const char *dir, err *e)
{
	head *h = db__head(d);
	head_stats hs;
	head_get_stats(h, &hs);
	if (hs.max_time == INT64_MIN || hs.min_time > hs.max_time)
		return 0;
	querier *q = queryable_querier(head_queryable(h), hs.min_time, hs.max_time, e);
	if (!q)
		return e && e->code ? e->code : FL_ENOMEM;
	int rc = compact_write(q, dir, hs.min_time, hs.max_time + 1, NULL, NULL, e);
	querier_close(q);
	if (rc == FL_ENOTFOUND)
		return 0; /* every sample deleted */
	if (rc)
		err_wrap(e, "snapshot head block");
	return rc;
}

int db_snapshot(db *d, const char *dir, bool skip_head, err *e)
{
	if (mkdir(dir, 0777) && errno != EEXIST)
		return err_set(e, FL_EIO, "mkdir %s: %s", dir, strerror(errno));
	db__maint_lock(d);
	db_block_set *bs = db__blocks_acquire(d);
	char t[4096];
	int rc = 0;
	for (size_t i = 0; i < bs->n && rc == 0; i++) {
		const char *src = block_dir(bs->v[i]->b);
		const char *base = strrchr(src, '/');
		snprintf(t, sizeof t, "%s/%s", dir, base ? base + 1 : src);
		rc = mirror_tree(src, t, true, 0, e);
	}
	db_block_set_release(bs);
	if (rc == 0 && !skip_head)
		rc = snapshot_head(d, dir, e);
	db__maint_unlock(d);
	return rc;
}
