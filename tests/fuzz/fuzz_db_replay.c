/*
 * fuzz_db_replay.c - db_open's WAL replay (tsdb/db_replay.c into the head)
 * over an arbitrary segment wal/00000000: the open never fails on bad
 * bytes (damage is logged and counted), never crashes or leaks, and what
 * it serves afterwards is sane: every series' samples in strictly
 * increasing time order, and no more samples served than were replayed.
 * Opened read-only, so the input file is never repaired in place.
 */
#include "lib/log.h"
#include "tsdb/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char seg[96];

static void cleanup(void)
{
	char p[96];
	unlink(seg);
	snprintf(p, sizeof p, "%s/wal", dir);
	rmdir(p);
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/fuzz_db_replay.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	char p[96];
	snprintf(p, sizeof p, "%s/wal", dir);
	if (mkdir(p, 0777))
		abort();
	snprintf(seg, sizeof seg, "%s/wal/00000000", dir);
	atexit(cleanup);
	log_set_level((enum log_level)(LOG_ERROR + 1)); /* damage is the normal case here */
}

/* Count samples, checking time order per series. */
static int64_t scan(db *d)
{
	err e;
	querier *q = queryable_querier(db_queryable(d), INT64_MIN, INT64_MAX, &e);
	if (!q)
		abort();
	matcher m;
	if (matcher_init(&m, MATCH_RE, LABEL_NAME, ".*", &e))
		abort();
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	sample_iter *it = NULL;
	int64_t n = 0;
	while (series_set_next(ss)) {
		it = series_set_iter(ss, it);
		int64_t prev = INT64_MIN, t;
		double v;
		bool first = true;
		while (sample_iter_next(it) == VAL_FLOAT) {
			sample_iter_at(it, &t, &v);
			if (!first && t <= prev)
				abort();
			first = false;
			prev = t;
			n++;
		}
	}
	if (series_set_err(ss, &e))
		abort();
	sample_iter_close(it);
	series_set_close(ss);
	querier_close(q);
	matcher_reset(&m);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	FILE *f = fopen(seg, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	db_opts o;
	db_opts_default(&o);
	o.read_only = true;
	err e;
	db *d = db_open(dir, &o, &e);
	if (!d) {
		if (e.code == FL_ENOMEM)
			return 0;
		abort(); /* bad bytes must never stop the open */
	}
	db_stats st;
	db_get_stats(d, &st);
	if (scan(d) > st.replay_samples) /* exact repeats replay as no-ops */
		abort();
	db_close(d);
	return 0;
}
