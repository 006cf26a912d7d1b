/*
 * checkpoint.c - finding WAL checkpoints and planning a replay
 * (Prometheus tsdb/wlog/checkpoint.go: LastCheckpoint, DeleteCheckpoints;
 * the segment walk of tsdb/head.go Init).
 *
 *   wal/checkpoint.00000001/00000000   checkpoint of segments ..1: the series
 *                                       still alive and samples >= its mint,
 *                                       written as ordinary WAL segments
 *   wal/checkpoint.00000001.tmp/       one being written (ignored, deleted)
 *
 * A replay reads the newest checkpoint N, then WAL segments N+1..last.
 * Segments <= N may still exist (a crash between checkpoint and truncation)
 * and are skipped. Without a checkpoint the replay starts at the first
 * segment (Prometheus insists on segment 0 and fails otherwise; flint reads
 * what is there).
 */
#include "tsdb/wal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* "checkpoint.NNNNNNNN" (digits only) -> index; false for anything else. */
static bool checkpoint_index(const char *name, int *idx)
{
	size_t pl = strlen(WAL_CHECKPOINT_PREFIX);
	if (strncmp(name, WAL_CHECKPOINT_PREFIX, pl) != 0 || !name[pl])
		return false;
	long v = 0;
	for (const char *p = name + pl; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000L)
			return false;
		v = v * 10 + (*p - '0');
	}
	*idx = (int)v;
	return true;
}

static bool is_dir(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int wal_checkpoint_last(const char *dir, char *path, size_t cap, int *index, err *e)
{
	*index = -1;
	if (cap)
		path[0] = 0;
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "wal: find last checkpoint: open %s: %s", dir,
			       strerror(errno));
	struct dirent *de;
	int best = -1;
	while ((de = readdir(d))) {
		int idx;
		if (checkpoint_index(de->d_name, &idx) && idx > best && is_dir(dir, de->d_name))
			best = idx;
	}
	closedir(d);
	if (best < 0)
		return err_set(e, FL_ENOTFOUND, "wal: no checkpoint in %s", dir);
	*index = best;
	snprintf(path, cap, "%s/" WAL_CHECKPOINT_PREFIX "%08d", dir, best);
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int wal_checkpoint_delete_before(const char *dir, int max_index, err *e)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, FL_EIO, "wal: delete checkpoints: open %s: %s", dir, strerror(errno));
	struct dirent *de;
	int rc = 0;
	size_t pl = strlen(WAL_CHECKPOINT_PREFIX);
	while ((de = readdir(d)) && rc == 0) {
		int idx;
		bool tmp = strncmp(de->d_name, WAL_CHECKPOINT_PREFIX, pl) == 0 && strstr(de->d_name, ".tmp");
		if (!tmp && !(checkpoint_index(de->d_name, &idx) && idx < max_index))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			rc = err_set(e, FL_EIO, "wal: delete checkpoint %s: %s", path, strerror(errno));
	}
	closedir(d);
	return rc;
}

int wal_replay_plan_make(const char *dir, wal_replay_plan *p, err *e)
{
	memset(p, 0, sizeof *p);
	int rc = wal_checkpoint_last(dir, p->checkpoint, sizeof p->checkpoint, &p->checkpoint_index, e);
	if (rc && rc != FL_ENOTFOUND)
		return rc;
	err_clear(e);
	int first, last;
	if ((rc = wal_segments(dir, &first, &last, e)) != 0)
		return rc;
	if (p->checkpoint_index >= 0) {
		p->ranges[p->n_ranges++] = (wal_segment_range){p->checkpoint, -1, -1};
		int want = p->checkpoint_index + 1;
		if (first > want)
			return err_set(e, FL_ECORRUPT, "wal: segments %08d..%08d missing after checkpoint %s", want,
				       first - 1, p->checkpoint);
		p->first = want;
	} else {
		p->first = first < 0 ? 0 : first;
	}
	p->last = last;
	if (last >= p->first && last >= 0)
		p->ranges[p->n_ranges++] = (wal_segment_range){dir, p->first, p->last};
	return 0;
}
