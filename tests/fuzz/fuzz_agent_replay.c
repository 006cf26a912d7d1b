/*
 * fuzz_agent_replay.c - agent_open's WAL replay (tsdb/agent.c) over an
 * arbitrary segment wal/00000000: the open never fails on bad bytes (a
 * damaged tail is repaired, an undecodable record skipped), never crashes
 * or leaks, and the agent works afterwards: every replayed series takes a
 * sample newer than any time in the input and the commit is logged, then a
 * truncation runs over whatever the WAL holds.
 */
#include "lib/fsutil.h"
#include "lib/log.h"
#include "tsdb/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void cleanup(void) { fsutil_remove_all(dir, NULL); }

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/fuzz_agent_replay.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	log_set_level((enum log_level)(LOG_ERROR + 1)); /* damage is the normal case here */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	char p[128];
	snprintf(p, sizeof p, "%s/wal", dir);
	fsutil_remove_all(p, NULL);
	if (mkdir(p, 0777))
		abort();
	snprintf(p, sizeof p, "%s/wal/00000000", dir);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	agent_opts o = {.no_truncate_thread = true, .wal_compression = true};
	err e;
	agent_db *a = agent_open(dir, &o, &e);
	if (!a) {
		if (e.code == FL_ENOMEM)
			return 0;
		abort(); /* bad bytes must never stop the open */
	}
	agent_stats st;
	agent_get_stats(a, &st);
	if (st.active_series < 0)
		abort();
	appender *app = agent_appender(a);
	label l[1] = {{"__name__", "fuzz_probe"}};
	series_ref ref;
	if (!app)
		return agent_close(a), 0;
	int rc = appender_append(app, 0, (labels){l, 1}, INT64_MAX, 1, &ref, &e);
	if ((rc && rc != FL_EOUT_OF_ORDER && rc != FL_ENOMEM) || (!rc && !ref)) /* the input may hold the probe at INT64_MAX */
		abort();
	if (appender_commit(app, &e) && e.code != FL_ENOMEM)
		abort();
	if (agent_truncate(a, &e) && e.code != FL_ENOMEM)
		abort();
	agent_close(a);
	return 0;
}
