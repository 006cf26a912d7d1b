/*
 * metadata.h - the metric metadata that remote write brings (1.0's
 * WriteRequest.metadata, 2.0's per-series Metadata), kept for
 * /api/v1/metadata. One entry per metric family name, last writer wins
 * (Prometheus keeps per-target metadata from scrapes; a receiver has no
 * targets, so the family is the key).
 *
 * Thread safety: every function may be called from any thread (one mutex
 * inside); a snapshot is a private sorted copy the caller frees.
 */
#ifndef FL_WEB_METADATA_H
#define FL_WEB_METADATA_H

#include "lib/fl.h"

typedef struct metadata_store metadata_store;

metadata_store *metadata_store_new(void);
/* NULL is a no-op. */
void metadata_store_free(metadata_store *m);

/* Record metadata for a metric family. type is an rw_metric_type
 * (remote/codec.h). An empty metric name is ignored. Copies strings.
 * Returns 0 or FL_ENOMEM. */
int metadata_store_set(metadata_store *m, const char *metric, int type, const char *help, const char *unit);
/* Number of metric families known. */
size_t metadata_store_len(metadata_store *m);

typedef struct metadata_entry {
	char *metric;     /* family name (owned by the snapshot) */
	const char *type; /* "counter", "gauge", ..., "unknown" (static) */
	char *help;       /* help text, "" when none (owned) */
	char *unit;       /* unit, "" when none (owned) */
} metadata_entry;

/* A copy of every entry, sorted by metric name, in *out (NULL when empty).
 * Returns the count; free with metadata_snapshot_free. On OOM returns 0. */
size_t metadata_store_snapshot(metadata_store *m, metadata_entry **out);
void metadata_snapshot_free(metadata_entry *v, size_t n);

#endif
