/*
 * write.h - the remote-write sender (Prometheus's storage/remote
 * QueueManager and WAL watcher): one queue per remote_write entry of
 * prometheus.yml, each tailing the WAL on disk (never the head), sharding
 * series over HTTP senders, and retrying as Prometheus retries.
 *
 *   wal/ segments + checkpoint --watcher--> series cache, samples
 *     --write_relabel_configs--> shards (hash of the series ref, order kept)
 *     --batches (max_samples_per_send | batch_send_deadline)--> codec.h
 *     --snappy, POST (SigV4 / oauth2 / basic / bearer)--> receiver
 *
 * Each queue keeps its position in <data>/remote_write/<queue hash>.pos:
 * a line "segment offset skip index" (the WAL record at offset of segment,
 * skip 1: the records after it, and inside it the first sample not
 * acknowledged), then "shards N" and that line per shard. It is written
 * after each acknowledged batch, so a restart resumes where the receiver's
 * acknowledgements stopped, with the same shards, skipping what each shard
 * had sent; duplicates of the last batch are possible (a crash between an
 * acknowledgement and the write), losses are not, as long as the WAL
 * still holds the data. A queue without a position starts at the end of
 * the WAL. The queue hash is Prometheus's: the MD5 of the entry's config
 * (as YAML) and the external labels, so a changed entry is a new queue and
 * an unchanged one keeps its state across a reload.
 *
 * The watchers poll the WAL every 100 ms (remote_sender_notify wakes them
 * sooner); cmd/flint.c does not call it: the polling bounds the delay.
 * metadata_config: every send_interval, each 1.0 queue sends the
 * metadata of the active scrape targets (remote_sender_opts.metadata),
 * deduplicated, in WriteRequests carrying only metadata (metadata_send.c);
 * a 2.0 queue sends none, as Prometheus 3.x without its
 * metadata-wal-records feature (flint's WAL has no metadata records).
 * Not sent: exemplars and native histograms (flint stores neither). round_robin_dns resolves
 * the URL's host before each request and connects to one of its addresses
 * at random (libcurl's CONNECT_TO; Host and TLS stay the URL's).
 */
#ifndef FL_REMOTE_WRITE_H
#define FL_REMOTE_WRITE_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "remote/codec.h"
#include "scrape/config.h"
#include "scrape/manager.h"

typedef struct remote_sender remote_sender;

/* The metadata of the active scrape targets, one entry per target and
 * family (scrape_manager_metadata), copied into a; n 0 when there is
 * nothing (no scrape manager yet). Called from the queues' metadata
 * threads, every metadata_config.send_interval. */
typedef int (*remote_metadata_fn)(void *ctx, arena *a, scrape_target_metadata **out, size_t *n, err *e);

typedef struct remote_sender_opts {
	const char *data_dir;   /* <data>: the WAL is <data>/wal, positions under <data>/remote_write */
	labels external_labels; /* added to every series sent (the config's, refreshed by apply) */
	int64_t flush_deadline_ms; /* --storage.remote.flush-deadline: how long stop() and a reload wait */
	remote_metadata_fn metadata; /* metadata_config's source, or NULL */
	void *metadata_ctx;
} remote_sender_opts;

remote_sender *remote_sender_new(const remote_sender_opts *o, err *e);
/* Start, stop and change queues to match c->remote_write (a reload): an
 * unchanged entry keeps its queue and position; a removed one is flushed up
 * to the flush deadline and stopped in the background; one whose secrets
 * alone changed restarts on its position. The queues keep a reference on c
 * (scrape_config_ref): the caller frees it as usual. 0, or an error
 * leaving the old queues. */
int remote_sender_apply(remote_sender *s, const scrape_config *c, err *e);
/* The WAL's writer calls this after each write (a hint to read now; the
 * watcher also polls). Cheap; any thread. */
void remote_sender_notify(remote_sender *s);
/* The lowest WAL segment some queue still needs (agent mode truncates the
 * WAL below it), or INT32_MAX when there are no queues. */
int remote_sender_lowest_segment(remote_sender *s);
/* prometheus_remote_storage_* and prometheus_wal_watcher_* in the text
 * format, appended to out (flint's /metrics). */
void remote_sender_metrics(remote_sender *s, buf *out);
/* Change the metadata source (NULL: none); returns once no queue calls
 * the old one, so its owner may be freed afterwards. */
void remote_sender_metadata_source(remote_sender *s, remote_metadata_fn fn, void *ctx);
/* Flush (up to the flush deadline), stop and free. NULL is fine. */
void remote_sender_free(remote_sender *s);

#endif
