/*
 * head.c - the in-memory head block (stub: the real implementation lands
 * next; the API in head.h is final).
 */
#include "tsdb/head.h"

head *head_open(const head_opts *o, err *e)
{
	(void)o;
	err_set(e, FL_EUNSUPPORTED, "head: not implemented yet");
	return NULL;
}
void head_close(head *h) { (void)h; }
appender *head_appender(head *h) { (void)h; return NULL; }
queryable *head_queryable(head *h) { (void)h; return NULL; }
int head_replay_series(head *h, uint64_t ref, labels ls, err *e)
{
	(void)h; (void)ref; (void)ls;
	return err_set(e, FL_EUNSUPPORTED, "head: not implemented yet");
}
int head_replay_sample(head *h, uint64_t ref, int64_t t, double v)
{
	(void)h; (void)ref; (void)t; (void)v;
	return FL_EUNSUPPORTED;
}
void head_set_min_valid_time(head *h, int64_t t) { (void)h; (void)t; }
void head_get_stats(head *h, head_stats *s) { (void)h; memset(s, 0, sizeof *s); }
int head_for_each_series(head *h,
			 int (*fn)(void *ctx, uint64_t ref, labels ls, const head_chunk_meta *chunks, size_t n),
			 void *ctx)
{
	(void)h; (void)fn; (void)ctx;
	return FL_EUNSUPPORTED;
}
