/*
 * codec.h - bytes of Prometheus remote write (1.0 and 2.0) and
 * remote read, turned into neutral structs and back, with no HTTP in sight.
 *
 *   body --snappy block decode (bounded)--> protobuf --protobuf-c--> rw_request
 *
 * Formats: prometheus/docs docs/specs/prw/remote_write_spec.md (1.0:
 * prometheus.WriteRequest), remote_write_spec_2_0.md (2.0:
 * io.prometheus.write.v2.Request with its symbol table),
 * docs/querying/remote_read_api.md (ReadRequest, SAMPLES and
 * STREAMED_XOR_CHUNKS). Our own .proto files are in remote/proto/ (the receiver in web/ and the sender in remote/ share this codec).
 *
 * Invariants:
 *  1. No snappy bomb: the decoded length announced in the snappy header is
 *     checked against a caller's bound before anything is allocated, and the
 *     decoder never writes past it.
 *  2. No protobuf bomb: decoding allocates from an arena whose limit is a
 *     fixed multiple of the input size, so a hostile body fails with
 *     FL_ELIMIT instead of eating the machine.
 *  3. Everything a decoded struct points to lives in the caller's arena.
 *     Label strings are NUL-terminated, valid or not (validation is the
 *     receiver's policy, see rw_series_check).
 *  4. Labels of each series come out sorted by name (1.0 senders such as
 *     Grafana send them in map order); empty-valued labels are dropped, as
 *     an empty value means "absent" in Prometheus's data model.
 */
#ifndef FL_REMOTE_CODEC_H
#define FL_REMOTE_CODEC_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"
#include "tsdb/matcher.h"
#include "tsdb/storage.h"

/* Prometheus's limits (storage/remote/codec.go decodeReadLimit and the
 * write handler's body limit). */
#define REMOTE_MAX_BODY (32u << 20)
#define REMOTE_MAX_DECODED (32u << 20)

/* ---- snappy block format ---- */

/* Decode a snappy block into out (cleared first). Fails with FL_ELIMIT when
 * the announced decoded length exceeds max_len, FL_ECORRUPT on bad bytes. */
int remote_snappy_decode(const uint8_t *in, size_t in_len, size_t max_len, buf *out, err *e);
/* Append the snappy block encoding of in to out. FL_ENOMEM on failure. */
int remote_snappy_encode(const uint8_t *in, size_t in_len, buf *out);

/* ---- remote write ---- */

typedef enum rw_version { RW_V1 = 1, RW_V2 = 2 } rw_version;

/* Metric types, numbered as both protocols number them (2.0's UNSPECIFIED
 * is 1.0's UNKNOWN). */
typedef enum rw_metric_type {
	RW_TYPE_UNKNOWN, RW_TYPE_COUNTER, RW_TYPE_GAUGE, RW_TYPE_HISTOGRAM,
	RW_TYPE_GAUGEHISTOGRAM, RW_TYPE_SUMMARY, RW_TYPE_INFO, RW_TYPE_STATESET,
} rw_metric_type;
/* "counter", "gauge", ..., "unknown" (as /api/v1/metadata spells them). */
const char *rw_metric_type_name(int t);

typedef struct rw_metadata {
	int type;           /* rw_metric_type */
	const char *family; /* metric family name (1.0) or the series' __name__ (2.0) */
	const char *help;   /* help text, "" when absent */
	const char *unit;   /* unit, "" when absent */
} rw_metadata;

typedef struct rw_series {
	label *labels;        /* sorted by name, empty values dropped (arena) */
	size_t n_labels;      /* number of labels */
	const char *dup_name; /* a label name given twice, or NULL */
	sample *samples;      /* in the sender's order (arena) */
	size_t n_samples;     /* number of float samples */
	size_t n_histograms;  /* native histogram samples (not stored yet) */
	size_t n_exemplars;   /* exemplars (not stored yet) */
	int64_t created_ms;   /* 2.0 created timestamp, 0 when absent */
	bool has_metadata;    /* 2.0: metadata present (type or help or unit set) */
	rw_metadata md;       /* 2.0 per-series metadata (family = __name__) */
	/* 1.0 fast path only: the label fields as sent (NULL when the series
	 * has none, or other fields come between them), borrowed from the
	 * decoded body; and the ref rw_decode_v1_known's hook gave for them,
	 * in which case labels were not decoded (n_labels 0, labels NULL,
	 * dup_name NULL) until rw_series_decode_labels. */
	const uint8_t *raw_labels;
	size_t raw_labels_len;
	series_ref known_ref;
} rw_series;

typedef struct rw_request {
	rw_version version;   /* which protocol decoded it */
	rw_series *series;    /* arena */
	size_t n_series;      /* number of series */
	rw_metadata *md;      /* 1.0 metadata entries (arena) */
	size_t n_md;          /* number of entries */
} rw_request;

/*
 * Decode a decompressed protobuf body of the given version into out; all
 * memory from a (whose limit the decoder tightens temporarily to bound
 * protobuf amplification). FL_ECORRUPT with a protobuf message on bad
 * bytes, FL_EINVAL for a 2.0 symbol reference out of range, FL_ELIMIT when
 * the body would expand beyond the bound.
 */
int rw_decode(rw_version v, const uint8_t *pb, size_t len, arena *a, rw_request *out, err *e);

/*
 * rw_decode of 1.0 with a hook asked, for each series whose label fields
 * are contiguous, whether their bytes are known: when known(ctx, raw, n)
 * returns a ref, the labels are not decoded and the series carries the
 * ref in known_ref (a receiver's cache of series it validated before).
 */
typedef series_ref (*rw_known_fn)(void *ctx, const uint8_t *raw, size_t n);
int rw_decode_v1_known(const uint8_t *pb, size_t len, arena *a, rw_known_fn known, void *ctx, rw_request *out, err *e);
/* The same with a second hook, ahead (may be NULL), told the label bytes
 * of each series known will be asked about, once, in request order, and
 * up to RW_AHEAD series before known is asked about it: so that a cache
 * can start fetching their entries from memory while the decoder works
 * on the series before them. */
#define RW_AHEAD 8
typedef void (*rw_ahead_fn)(void *ctx, const uint8_t *raw, size_t n);
int rw_decode_v1_ahead(const uint8_t *pb, size_t len, arena *a, rw_known_fn known, rw_ahead_fn ahead, void *ctx,
		       rw_request *out, err *e);
/* Decode the labels of a series decoded with known_ref (from raw_labels,
 * which must still be alive) as rw_decode would have. 0, FL_ECORRUPT or
 * FL_ENOMEM. */
int rw_series_decode_labels(rw_series *s, arena *a);

/* The same through protobuf-c's generic decoder (1.0 takes a hand-written
 * fast path in rw_decode): the slow reference that tests and the fuzz
 * target compare the fast path with. */
int rw_decode_reference(rw_version v, const uint8_t *pb, size_t len, arena *a, rw_request *out, err *e);

/* Same series (labels, samples bit for bit, counts, metadata) and metadata. */
bool rw_request_equal(const rw_request *a, const rw_request *b);

/*
 * Prometheus's receiver checks for one series: __name__ present, names
 * non-empty valid UTF-8, values valid UTF-8, no duplicate names. Returns
 * 0, or FL_EINVAL with a message in Prometheus's words for 2.0
 * ("invalid metric name or labels, got {...}" or "invalid labels for
 * series, labels {...}, duplicated label x").
 */
int rw_series_check(const rw_series *s, err *e);

/*
 * Encode a request (the inverse of rw_decode, for tests, the benchmark's
 * load generator and the fuzz corpus). Labels are written as given; 2.0
 * builds its symbol table. Appends protobuf bytes to out.
 */
int rw_encode(const rw_request *r, buf *out, err *e);

/* ---- remote read ---- */

typedef enum rr_response_type { RR_SAMPLES = 0, RR_STREAMED_XOR_CHUNKS = 1 } rr_response_type;

typedef struct rr_matcher {
	match_type type;   /* EQ, NEQ, RE, NRE (same numbering as the proto) */
	const char *name;  /* arena */
	const char *value; /* arena */
} rr_matcher;

typedef struct rr_query {
	int64_t start_ms, end_ms; /* inclusive range */
	rr_matcher *matchers;     /* arena */
	size_t n_matchers;        /* number of matchers */
	bool has_hints;           /* hints were sent */
	select_hints hints;       /* func string in the arena */
} rr_query;

typedef struct rr_request {
	rr_query *queries;        /* arena */
	size_t n_queries;         /* number of queries */
	int *accepted;            /* accepted_response_types in the sender's order */
	size_t n_accepted;        /* number of them */
} rr_request;

/* Decode a decompressed ReadRequest. */
int rr_decode(const uint8_t *pb, size_t len, arena *a, rr_request *out, err *e);
/* Encode one (tests and the e2e client). */
int rr_encode(const rr_request *r, buf *out, err *e);

/*
 * SAMPLES response builder: results are added query by query, series by
 * series (labels borrowed until rr_samples_finish), then finished into one
 * protobuf ReadResponse (not yet snappy-compressed). All of it in arena a.
 */
typedef struct rr_samples rr_samples;
rr_samples *rr_samples_new(arena *a, size_t n_queries);
int rr_samples_add(rr_samples *s, size_t query, labels ls, const sample *v, size_t n);
int rr_samples_finish(rr_samples *s, buf *out, err *e);

/* One ChunkedSeries frame of STREAMED_XOR_CHUNKS. */
typedef struct rr_chunk {
	int64_t min_ms, max_ms; /* inclusive time range of the chunk */
	const uint8_t *data;    /* XOR chunk bytes (borrowed) */
	size_t len;             /* byte length */
} rr_chunk;

/* Append one frame: uvarint(len) ++ be32(crc32c(msg)) ++ msg, where msg is
 * a ChunkedReadResponse holding one ChunkedSeries. */
int rr_frame_append(buf *out, int64_t query_index, labels ls, const rr_chunk *c, size_t n, err *e);
/* Size of the protobuf encoding of one chunk (for frame budgeting as
 * Prometheus's StreamChunkedReadResponses does), and of a label set. */
size_t rr_chunk_pb_size(const rr_chunk *c);
size_t rr_labels_pb_size(labels ls);

/*
 * Decode a SAMPLES response (snappy-decoded) or a stream of frames: for
 * tests and the e2e client. cb is called per series.
 */
typedef int (*rr_series_cb)(void *ctx, size_t query, labels ls, const sample *v, size_t n);
int rr_samples_decode(const uint8_t *pb, size_t len, arena *a, rr_series_cb cb, void *ctx, err *e);
typedef int (*rr_chunks_cb)(void *ctx, int64_t query, labels ls, const rr_chunk *c, size_t n);
int rr_frames_decode(const uint8_t *p, size_t len, arena *a, rr_chunks_cb cb, void *ctx, err *e);

/* ---- internal: codec.c <-> codec_pb.c ---- */
/* Drop a decoded series' empty-valued labels, sort, note a duplicate name. */
void rw__series_finish_labels(rw_series *s);
/* The hand-written 1.0 decoder: 0, FL_ECORRUPT or FL_ELIMIT (no message);
 * known may be NULL. */
int rw__decode_v1_fast(const uint8_t *pb, size_t len, arena *a, rw_known_fn known, rw_ahead_fn ahead, void *ctx,
		       rw_request *out);

#endif
