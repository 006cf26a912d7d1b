/*
 * codec.c - snappy, protobuf and the neutral structs of remote write
 * and remote read (see codec.h for the formats and invariants).
 *
 * Decoding goes through protobuf-c (generated from the files in remote/proto/) with
 * an allocator over the caller's arena, so one arena_reset frees a whole
 * request, and the arena's limit bounds what a hostile body can make us
 * allocate. Encoding is written by hand: the messages we produce are few
 * and flat, and computing sizes ourselves gives the frame budgeting of
 * STREAMED_XOR_CHUNKS the same numbers Prometheus's gogo Size() gives
 * (storage/remote/codec.go StreamChunkedReadResponses).
 *
 * Wire notes (protobuf encoding): a field key is (number << 3 | wiretype);
 * wiretype 0 varint, 1 fixed64, 2 length-delimited. proto3 omits fields at
 * their default value (we keep a -0.0 sample value, which gogo drops).
 */
#include "remote/codec.h"

#include <assert.h>
#include <snappy-c.h>
#include <stdlib.h>

#include "lib/hash.h"
#include "lib/snappy.h"
#include "lib/map.h"
#include "tsdb/chunk.h"
#include "remote/proto/remote_v1.pb-c.h"
#include "remote/proto/remote_v2.pb-c.h"

/* Protobuf may expand: every 2-byte empty submessage becomes a struct of
 * ~100 bytes plus a pointer; real bodies expand 5-10x. This bounds the arena per input byte. */
#define PB_EXPANSION 64
#define PB_SLACK (1u << 20)

/* ---------------------------------------------------------------- snappy */

int remote_snappy_decode(const uint8_t *in, size_t in_len, size_t max_len, buf *out, err *e)
{
	size_t n = 0, hdr;
	buf_clear(out);
	if (!snappy_dec_length(in, in_len, &n, &hdr))
		return err_set(e, FL_ECORRUPT, "snappy: corrupt input");
	if (n > max_len)
		return err_set(e, FL_ELIMIT, "snappy: decoded length %zu exceeds the limit of %zu bytes", n, max_len);
	if (!buf_reserve(out, n + SNAPPY_DEC_SLACK))
		return err_set(e, FL_ENOMEM, "snappy: cannot allocate %zu bytes", n);
	if (!snappy_dec(in, in_len, out->p, n))
		return err_set(e, FL_ECORRUPT, "snappy: corrupt input");
	out->len = n;
	return 0;
}

int remote_snappy_encode(const uint8_t *in, size_t in_len, buf *out)
{
	size_t max = snappy_max_compressed_length(in_len);
	if (!buf_reserve(out, max))
		return FL_ENOMEM;
	size_t got = max;
	if (snappy_compress((const char *)in, in_len, (char *)out->p + out->len, &got) != SNAPPY_OK)
		return FL_ENOMEM;
	out->len += got;
	return 0;
}

/* ------------------------------------------------- protobuf-c over arena */

static void *pb_alloc(void *ctx, size_t n) { return arena_alloc(ctx, n); }
static void pb_free(void *ctx, void *p) { (void)ctx; (void)p; }

/* Tighten the arena's limit for one decode; returns the old limit. */
static size_t bound_arena(arena *a, size_t in_len)
{
	size_t old = a->limit;
	size_t cap = a->used + in_len * PB_EXPANSION + PB_SLACK;
	if (!old || cap < old)
		a->limit = cap;
	return old;
}

static int pb_fail(arena *a, err *e, const char *what)
{
	if (a->limit && a->used + 4096 > a->limit)
		return err_set(e, FL_ELIMIT, "%s: message expands beyond the decode limit", what);
	return err_set(e, FL_ECORRUPT, "%s: invalid protobuf message", what);
}

/* ------------------------------------------------------------- labels */

static int label_cmp(const void *x, const void *y)
{
	return strcmp(((const label *)x)->name, ((const label *)y)->name);
}

/* Drop empty values (an empty value means "absent"), sort by name, note a
 * duplicated name. */
void rw__series_finish_labels(rw_series *s)
{
	label *v = s->labels;
	size_t n = 0;
	for (size_t i = 0; i < s->n_labels; i++)
		if (v[i].value[0])
			v[n++] = v[i];
	s->n_labels = n;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = strcmp(v[i - 1].name, v[i].name) < 0;
	if (!sorted)
		qsort(v, n, sizeof *v, label_cmp);
	s->dup_name = NULL;
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i - 1].name, v[i].name)) {
			s->dup_name = v[i].name;
			break;
		}
}

/* Go's utf8.ValidString. ASCII, nearly every label, is checked eight
 * bytes at a time; the rest rune by rune from the first non-ASCII word. */
static bool utf8_valid(const char *p)
{
	size_t n = strlen(p), i = 0;
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < n && !(p[i] & 0x80))
		i++;
	if (i == n)
		return true;
	const uint8_t *s = (const uint8_t *)p + i;
	while (*s) {
		uint8_t c = *s;
		int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
		if (n < 0 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
			return false;
		uint32_t cp = n ? c & (0x3f >> n) : c;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		s += n + 1;
	}
	return true;
}

int rw_series_check(const rw_series *s, err *e)
{
	labels ls = {s->labels, s->n_labels};
	bool ok = labels_get(ls, LABEL_NAME) != NULL;
	for (size_t i = 0; ok && i < s->n_labels; i++)
		ok = s->labels[i].name[0] && utf8_valid(s->labels[i].name) && utf8_valid(s->labels[i].value);
	if (ok && !s->dup_name)
		return 0;
	buf b;
	buf_init(&b);
	labels_format(&b, ls);
	if (!ok)
		err_set(e, FL_EINVAL, "invalid metric name or labels, got %s", buf_cstr(&b));
	else
		err_set(e, FL_EINVAL, "invalid labels for series, labels %s, duplicated label %s", buf_cstr(&b), s->dup_name);
	buf_reset(&b);
	return FL_EINVAL;
}

const char *rw_metric_type_name(int t)
{
	static const char *const names[] = {"unknown", "counter", "gauge", "histogram",
					    "gaugehistogram", "summary", "info", "stateset"};
	return t >= 0 && t < (int)FL_ARRAY_LEN(names) ? names[t] : "unknown";
}

/* ---------------------------------------------------------- write 1.0 */

static int v1_series(arena *a, const Prometheus__TimeSeries *ts, rw_series *s)
{
	memset(s, 0, sizeof *s);
	s->labels = arena_alloc(a, (ts->n_labels ? ts->n_labels : 1) * sizeof(label));
	s->samples = arena_alloc(a, (ts->n_samples ? ts->n_samples : 1) * sizeof(sample));
	if (!s->labels || !s->samples)
		return FL_ELIMIT;
	for (size_t i = 0; i < ts->n_labels; i++) {
		s->labels[i].name = ts->labels[i]->name ? ts->labels[i]->name : "";
		s->labels[i].value = ts->labels[i]->value ? ts->labels[i]->value : "";
	}
	s->n_labels = ts->n_labels;
	rw__series_finish_labels(s);
	for (size_t i = 0; i < ts->n_samples; i++) {
		s->samples[i].t = ts->samples[i]->timestamp;
		s->samples[i].v = ts->samples[i]->value;
	}
	s->n_samples = ts->n_samples;
	s->n_histograms = ts->n_histograms;
	s->n_exemplars = ts->n_exemplars;
	return 0;
}

static int decode_v1(const uint8_t *pb, size_t len, arena *a, rw_request *out, err *e)
{
	ProtobufCAllocator al = {pb_alloc, pb_free, a};
	Prometheus__WriteRequest *w = prometheus__write_request__unpack(&al, len, pb);
	if (!w)
		return pb_fail(a, e, "remote write 1.0 WriteRequest");
	out->series = arena_alloc(a, (w->n_timeseries ? w->n_timeseries : 1) * sizeof(rw_series));
	out->md = arena_alloc(a, (w->n_metadata ? w->n_metadata : 1) * sizeof(rw_metadata));
	if (!out->series || !out->md)
		return pb_fail(a, e, "remote write 1.0 WriteRequest");
	for (size_t i = 0; i < w->n_timeseries; i++)
		if (v1_series(a, w->timeseries[i], &out->series[i]))
			return pb_fail(a, e, "remote write 1.0 WriteRequest");
	out->n_series = w->n_timeseries;
	for (size_t i = 0; i < w->n_metadata; i++) {
		const Prometheus__MetricMetadata *m = w->metadata[i];
		out->md[i] = (rw_metadata){(int)m->type, m->metric_family_name ? m->metric_family_name : "",
					   m->help ? m->help : "", m->unit ? m->unit : ""};
	}
	out->n_md = w->n_metadata;
	return 0;
}

/* ---------------------------------------------------------- write 2.0 */

static const char *sym(const Io__Prometheus__Write__V2__Request *r, uint32_t ref)
{
	return ref < r->n_symbols && r->symbols[ref] ? r->symbols[ref] : NULL;
}

static int v2_series(arena *a, const Io__Prometheus__Write__V2__Request *r,
		     const Io__Prometheus__Write__V2__TimeSeries *ts, rw_series *s, err *e)
{
	memset(s, 0, sizeof *s);
	if (ts->n_labels_refs % 2)
		return err_set(e, FL_EINVAL, "remote write 2.0: labels_refs has odd length %zu", ts->n_labels_refs);
	size_t nl = ts->n_labels_refs / 2;
	s->labels = arena_alloc(a, (nl ? nl : 1) * sizeof(label));
	s->samples = arena_alloc(a, (ts->n_samples ? ts->n_samples : 1) * sizeof(sample));
	if (!s->labels || !s->samples)
		return pb_fail(a, e, "remote write 2.0 Request");
	for (size_t i = 0; i < nl; i++) {
		const char *n = sym(r, ts->labels_refs[2 * i]), *v = sym(r, ts->labels_refs[2 * i + 1]);
		if (!n || !v)
			return err_set(e, FL_EINVAL, "remote write 2.0: labels_refs: symbol reference out of range (%zu symbols)",
				       r->n_symbols);
		s->labels[i] = (label){n, v};
	}
	s->n_labels = nl;
	rw__series_finish_labels(s);
	for (size_t i = 0; i < ts->n_samples; i++)
		s->samples[i] = (sample){ts->samples[i]->timestamp, ts->samples[i]->value};
	s->n_samples = ts->n_samples;
	s->n_histograms = ts->n_histograms;
	s->n_exemplars = ts->n_exemplars;
	s->created_ms = ts->created_timestamp;
	const Io__Prometheus__Write__V2__Metadata *m = ts->metadata;
	if (m) {
		const char *help = sym(r, m->help_ref), *unit = sym(r, m->unit_ref);
		if (!help || !unit)
			return err_set(e, FL_EINVAL, "remote write 2.0: metadata: symbol reference out of range (%zu symbols)",
				       r->n_symbols);
		const char *name = labels_get((labels){s->labels, s->n_labels}, LABEL_NAME);
		s->md = (rw_metadata){(int)m->type, name ? name : "", help, unit};
		s->has_metadata = m->type != 0 || help[0] || unit[0];
	}
	return 0;
}

static int decode_v2(const uint8_t *pb, size_t len, arena *a, rw_request *out, err *e)
{
	ProtobufCAllocator al = {pb_alloc, pb_free, a};
	Io__Prometheus__Write__V2__Request *r = io__prometheus__write__v2__request__unpack(&al, len, pb);
	if (!r)
		return pb_fail(a, e, "remote write 2.0 Request");
	out->series = arena_alloc(a, (r->n_timeseries ? r->n_timeseries : 1) * sizeof(rw_series));
	if (!out->series)
		return pb_fail(a, e, "remote write 2.0 Request");
	for (size_t i = 0; i < r->n_timeseries; i++) {
		int rc = v2_series(a, r, r->timeseries[i], &out->series[i], e);
		if (rc)
			return rc;
	}
	out->n_series = r->n_timeseries;
	return 0;
}

static int decode(rw_version v, bool fast, const uint8_t *pb, size_t len, arena *a, rw_known_fn known,
		  rw_ahead_fn ahead, void *ctx, rw_request *out, err *e)
{
	memset(out, 0, sizeof *out);
	out->version = v;
	size_t old = bound_arena(a, len);
	int rc;
	if (v == RW_V2)
		rc = decode_v2(pb, len, a, out, e);
	else if (fast) {
		rc = rw__decode_v1_fast(pb, len, a, known, ahead, ctx, out);
		if (rc == FL_ELIMIT)
			err_set(e, rc, "remote write 1.0 WriteRequest: message expands beyond the decode limit");
		else if (rc)
			err_set(e, rc, "remote write 1.0 WriteRequest: invalid protobuf message");
	} else
		rc = decode_v1(pb, len, a, out, e);
	a->limit = old;
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}

int rw_decode(rw_version v, const uint8_t *pb, size_t len, arena *a, rw_request *out, err *e)
{
	return decode(v, true, pb, len, a, NULL, NULL, NULL, out, e);
}

int rw_decode_v1_known(const uint8_t *pb, size_t len, arena *a, rw_known_fn known, void *ctx, rw_request *out, err *e)
{
	return decode(RW_V1, true, pb, len, a, known, NULL, ctx, out, e);
}

int rw_decode_v1_ahead(const uint8_t *pb, size_t len, arena *a, rw_known_fn known, rw_ahead_fn ahead, void *ctx,
		       rw_request *out, err *e)
{
	return decode(RW_V1, true, pb, len, a, known, ahead, ctx, out, e);
}

int rw_decode_reference(rw_version v, const uint8_t *pb, size_t len, arena *a, rw_request *out, err *e)
{
	return decode(v, false, pb, len, a, NULL, NULL, NULL, out, e);
}

static bool md_equal(const rw_metadata *a, const rw_metadata *b)
{
	return a->type == b->type && !strcmp(a->family, b->family) && !strcmp(a->help, b->help) && !strcmp(a->unit, b->unit);
}

static bool series_equal(const rw_series *a, const rw_series *b)
{
	if (a->n_labels != b->n_labels || a->n_samples != b->n_samples || a->n_histograms != b->n_histograms ||
	    a->n_exemplars != b->n_exemplars || a->created_ms != b->created_ms || a->has_metadata != b->has_metadata ||
	    !a->dup_name != !b->dup_name || (a->dup_name && strcmp(a->dup_name, b->dup_name)))
		return false;
	if (!labels_equal((labels){a->labels, a->n_labels}, (labels){b->labels, b->n_labels}))
		return false;
	for (size_t i = 0; i < a->n_samples; i++)
		if (a->samples[i].t != b->samples[i].t || memcmp(&a->samples[i].v, &b->samples[i].v, 8))
			return false;
	return !a->has_metadata || md_equal(&a->md, &b->md);
}

bool rw_request_equal(const rw_request *a, const rw_request *b)
{
	if (a->n_series != b->n_series || a->n_md != b->n_md)
		return false;
	for (size_t i = 0; i < a->n_series; i++)
		if (!series_equal(&a->series[i], &b->series[i]))
			return false;
	for (size_t i = 0; i < a->n_md; i++)
		if (!md_equal(&a->md[i], &b->md[i]))
			return false;
	return true;
}

/* ------------------------------------------------------ hand encoding */

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2 };

static size_t uv_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Size of a length-delimited field holding n bytes (key + length + bytes). */
static size_t len_field_size(size_t n) { return 1 + uv_size(n) + n; }
static size_t str_field_size(const char *s) { size_t n = strlen(s); return n ? len_field_size(n) : 0; }
static size_t i64_field_size(int64_t v) { return v ? 1 + uv_size((uint64_t)v) : 0; }

static void put_key(buf *b, int field, int wt) { buf_put_uvarint(b, (uint64_t)field << 3 | (uint64_t)wt); }
static void put_len(buf *b, int field, size_t n) { put_key(b, field, WT_LEN); buf_put_uvarint(b, n); }
static void put_str(buf *b, int field, const char *s)
{
	size_t n = strlen(s);
	if (n) {
		put_len(b, field, n);
		buf_put(b, s, n);
	}
}
static void put_i64(buf *b, int field, int64_t v)
{
	if (v) {
		put_key(b, field, WT_VARINT);
		buf_put_uvarint(b, (uint64_t)v);
	}
}
static void put_f64(buf *b, int field, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, 8);
	if (bits) {
		uint8_t t[8];
		for (int i = 0; i < 8; i++)
			t[i] = (uint8_t)(bits >> (8 * i));
		put_key(b, field, WT_FIXED64);
		buf_put(b, t, 8);
	}
}

static size_t label_msg_size(const label *l) { return str_field_size(l->name) + str_field_size(l->value); }

size_t rr_labels_pb_size(labels ls)
{
	size_t n = 0;
	for (size_t i = 0; i < ls.n; i++)
		n += label_msg_size(&ls.v[i]);
	return n;
}

static size_t labels_fields_size(labels ls, int field)
{
	(void)field;
	size_t n = 0;
	for (size_t i = 0; i < ls.n; i++)
		n += len_field_size(label_msg_size(&ls.v[i]));
	return n;
}

static void put_labels(buf *b, int field, labels ls)
{
	for (size_t i = 0; i < ls.n; i++) {
		put_len(b, field, label_msg_size(&ls.v[i]));
		put_str(b, 1, ls.v[i].name);
		put_str(b, 2, ls.v[i].value);
	}
}

static size_t sample_msg_size(const sample *s)
{
	uint64_t bits;
	memcpy(&bits, &s->v, 8);
	return (bits ? 9 : 0) + i64_field_size(s->t);
}

static void put_samples(buf *b, int field, const sample *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put_len(b, field, sample_msg_size(&v[i]));
		put_f64(b, 1, v[i].v);
		put_i64(b, 2, v[i].t);
	}
}

static size_t samples_fields_size(const sample *v, size_t n)
{
	size_t sz = 0;
	for (size_t i = 0; i < n; i++)
		sz += len_field_size(sample_msg_size(&v[i]));
	return sz;
}

/* A 1.0 TimeSeries message (labels, samples), without its key. */
static size_t ts_v1_size(labels ls, const sample *v, size_t n) { return labels_fields_size(ls, 1) + samples_fields_size(v, n); }

static void put_ts_v1(buf *b, int field, labels ls, const sample *v, size_t n)
{
	put_len(b, field, ts_v1_size(ls, v, n));
	put_labels(b, 1, ls);
	put_samples(b, 2, v, n);
}

/* ------------------------------------------------------ write encoding */

static void encode_v1(const rw_request *r, buf *out)
{
	for (size_t i = 0; i < r->n_series; i++) {
		const rw_series *s = &r->series[i];
		labels ls = {s->labels, s->n_labels};
		/* exemplars and histograms are only counted: sent as empty messages */
		put_len(out, 1, ts_v1_size(ls, s->samples, s->n_samples) + 2 * (s->n_exemplars + s->n_histograms));
		put_labels(out, 1, ls);
		put_samples(out, 2, s->samples, s->n_samples);
		for (size_t k = 0; k < s->n_exemplars; k++)
			put_len(out, 3, 0);
		for (size_t k = 0; k < s->n_histograms; k++)
			put_len(out, 4, 0);
	}
	for (size_t i = 0; i < r->n_md; i++) {
		const rw_metadata *m = &r->md[i];
		size_t sz = i64_field_size(m->type) + str_field_size(m->family) + str_field_size(m->help) +
			    str_field_size(m->unit);
		put_len(out, 3, sz);
		put_i64(out, 1, m->type);
		put_str(out, 2, m->family);
		put_str(out, 4, m->help);
		put_str(out, 5, m->unit);
	}
}

/* 2.0 symbol table: symbols in order, and a lib/map.h table from string
 * to index; good enough for encoders of test and benchmark requests. */
typedef struct sym_slot {
	uint32_t ref1; /* index + 1 (the map tag) */
	uint32_t h;    /* 32 bits of the symbol's hash */
} sym_slot;

typedef struct symtab {
	const char **v; /* symbols in order, fl_malloc'd */
	size_t n, cap;  /* used, allocated */
	map slots;      /* sym_slot entries */
} symtab;

typedef struct sym_key {
	const symtab *t; /* whose v the slots index */
	const char *s;   /* the symbol */
} sym_key;

static uint64_t sym_hash(const void *e) { return ((const sym_slot *)e)->h; }

static bool sym_eq(const void *e, const void *key)
{
	const sym_key *k = key;
	return !strcmp(k->t->v[((const sym_slot *)e)->ref1 - 1], k->s);
}

static const map_type sym_type = {sizeof(sym_slot), 64, sym_hash, sym_eq};

static int symtab_ref(symtab *t, const char *s, uint32_t *ref)
{
	uint32_t h = (uint32_t)hash_xxh64(s, strlen(s));
	sym_key k = {t, s};
	sym_slot *sl = map_slot(&t->slots, &sym_type, h, &k);
	if (!sl || (!sl->ref1 && !fl_grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v)))
		return FL_ENOMEM;
	if (!sl->ref1) {
		t->v[t->n++] = s;
		*sl = (sym_slot){(uint32_t)t->n, h};
		map_added(&t->slots, sl);
	}
	*ref = sl->ref1 - 1;
	return 0;
}

static void symtab_free(symtab *t)
{
	fl_free(t->v);
	map_free(&t->slots);
}

static int encode_v2_series(const rw_series *s, symtab *st, buf *tmp, buf *out)
{
	buf_clear(tmp);
	uint32_t ref;
	for (size_t j = 0; j < s->n_labels; j++) {
		if (symtab_ref(st, s->labels[j].name, &ref))
			return FL_ENOMEM;
		buf_put_uvarint(tmp, ref);
		if (symtab_ref(st, s->labels[j].value, &ref))
			return FL_ENOMEM;
		buf_put_uvarint(tmp, ref);
	}
	size_t refs_len = tmp->len;
	uint32_t help = 0, unit = 0;
	if (s->has_metadata && (symtab_ref(st, s->md.help, &help) || symtab_ref(st, s->md.unit, &unit)))
		return FL_ENOMEM;
	size_t md_sz = s->has_metadata ? i64_field_size(s->md.type) + i64_field_size(help) + i64_field_size(unit) : 0;
	size_t sz = (refs_len ? len_field_size(refs_len) : 0) + samples_fields_size(s->samples, s->n_samples) +
		    (s->has_metadata ? len_field_size(md_sz) : 0) + i64_field_size(s->created_ms);
	put_len(out, 5, sz);
	if (refs_len) {
		put_len(out, 1, refs_len);
		buf_put(out, tmp->p, refs_len);
	}
	put_samples(out, 2, s->samples, s->n_samples);
	if (s->has_metadata) {
		put_len(out, 5, md_sz);
		put_i64(out, 1, s->md.type);
		put_i64(out, 3, help);
		put_i64(out, 4, unit);
	}
	put_i64(out, 6, s->created_ms);
	return 0;
}

static int encode_v2(const rw_request *r, buf *out)
{
	symtab st = {0};
	buf body, tmp;
	buf_init(&body);
	buf_init(&tmp);
	uint32_t ref;
	int rc = symtab_ref(&st, "", &ref); /* the spec: symbols start with "" */
	for (size_t i = 0; !rc && i < r->n_series; i++)
		rc = encode_v2_series(&r->series[i], &st, &tmp, &body);
	for (size_t i = 0; !rc && i < st.n; i++) {
		size_t n = strlen(st.v[i]);
		put_len(out, 4, n);
		buf_put(out, st.v[i], n);
	}
	if (!rc)
		buf_put(out, body.p, body.len);
	symtab_free(&st);
	buf_reset(&body);
	buf_reset(&tmp);
	return rc;
}

int rw_encode(const rw_request *r, buf *out, err *e)
{
	int rc = 0;
	if (r->version == RW_V2)
		rc = encode_v2(r, out);
	else
		encode_v1(r, out);
	if (rc || out->oom)
		return err_set(e, FL_ENOMEM, "remote write: encoding: out of memory");
	return 0;
}

/* --------------------------------------------------------- remote read */

static int rr_query_from(arena *a, const Prometheus__Query *q, rr_query *o)
{
	memset(o, 0, sizeof *o);
	o->start_ms = q->start_timestamp_ms;
	o->end_ms = q->end_timestamp_ms;
	o->matchers = arena_alloc(a, (q->n_matchers ? q->n_matchers : 1) * sizeof(rr_matcher));
	if (!o->matchers)
		return FL_ELIMIT;
	for (size_t j = 0; j < q->n_matchers; j++) {
		const Prometheus__LabelMatcher *m = q->matchers[j];
		if ((int)m->type < 0 || m->type > 3)
			return FL_EINVAL;
		o->matchers[j] = (rr_matcher){(match_type)m->type, m->name ? m->name : "", m->value ? m->value : ""};
	}
	o->n_matchers = q->n_matchers;
	if (q->hints) {
		o->has_hints = true;
		o->hints.start_ms = q->hints->start_ms;
		o->hints.end_ms = q->hints->end_ms;
		o->hints.step_ms = q->hints->step_ms;
		o->hints.range_ms = q->hints->range_ms;
		o->hints.func = q->hints->func && q->hints->func[0] ? q->hints->func : NULL;
	}
	return 0;
}

int rr_decode(const uint8_t *pb, size_t len, arena *a, rr_request *out, err *e)
{
	memset(out, 0, sizeof *out);
	size_t old = bound_arena(a, len);
	ProtobufCAllocator al = {pb_alloc, pb_free, a};
	Prometheus__ReadRequest *r = prometheus__read_request__unpack(&al, len, pb);
	int rc = 0;
	if (!r) {
		rc = pb_fail(a, e, "remote read ReadRequest");
		goto out;
	}
	out->queries = arena_alloc(a, (r->n_queries ? r->n_queries : 1) * sizeof(rr_query));
	out->accepted = arena_alloc(a, (r->n_accepted_response_types + 1) * sizeof(int));
	if (!out->queries || !out->accepted) {
		rc = pb_fail(a, e, "remote read ReadRequest");
		goto out;
	}
	for (size_t i = 0; i < r->n_queries; i++) {
		rc = rr_query_from(a, r->queries[i], &out->queries[i]);
		if (rc) {
			rc = rc == FL_EINVAL ? err_set(e, FL_EINVAL, "invalid matcher type") : pb_fail(a, e, "remote read ReadRequest");
			goto out;
		}
	}
	out->n_queries = r->n_queries;
	for (size_t i = 0; i < r->n_accepted_response_types; i++)
		out->accepted[i] = (int)r->accepted_response_types[i];
	out->n_accepted = r->n_accepted_response_types;
out:
	a->limit = old;
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}

int rr_encode(const rr_request *r, buf *out, err *e)
{
	for (size_t i = 0; i < r->n_queries; i++) {
		const rr_query *q = &r->queries[i];
		size_t ms = 0;
		for (size_t j = 0; j < q->n_matchers; j++) {
			const rr_matcher *m = &q->matchers[j];
			ms += len_field_size(i64_field_size(m->type) + str_field_size(m->name) + str_field_size(m->value));
		}
		size_t hs = 0;
		if (q->has_hints)
			hs = i64_field_size(q->hints.step_ms) + str_field_size(q->hints.func ? q->hints.func : "") +
			     i64_field_size(q->hints.start_ms) + i64_field_size(q->hints.end_ms) +
			     i64_field_size(q->hints.range_ms);
		put_len(out, 1, i64_field_size(q->start_ms) + i64_field_size(q->end_ms) + ms + (q->has_hints ? len_field_size(hs) : 0));
		put_i64(out, 1, q->start_ms);
		put_i64(out, 2, q->end_ms);
		for (size_t j = 0; j < q->n_matchers; j++) {
			const rr_matcher *m = &q->matchers[j];
			put_len(out, 3, i64_field_size(m->type) + str_field_size(m->name) + str_field_size(m->value));
			put_i64(out, 1, m->type);
			put_str(out, 2, m->name);
			put_str(out, 3, m->value);
		}
		if (q->has_hints) {
			put_len(out, 4, hs);
			put_i64(out, 1, q->hints.step_ms);
			put_str(out, 2, q->hints.func ? q->hints.func : "");
			put_i64(out, 3, q->hints.start_ms);
			put_i64(out, 4, q->hints.end_ms);
			put_i64(out, 7, q->hints.range_ms);
		}
	}
	if (r->n_accepted) {
		size_t n = 0;
		for (size_t i = 0; i < r->n_accepted; i++)
			n += uv_size((uint64_t)r->accepted[i]);
		put_len(out, 2, n); /* packed repeated enum */
		for (size_t i = 0; i < r->n_accepted; i++)
			buf_put_uvarint(out, (uint64_t)r->accepted[i]);
	}
	return out->oom ? err_set(e, FL_ENOMEM, "remote read: encoding: out of memory") : 0;
}

/* SAMPLES: one buffer of encoded TimeSeries fields per query. */
struct rr_samples {
	buf *q;     /* per query: QueryResult body (repeated TimeSeries) */
	size_t n_q; /* number of queries */
};

rr_samples *rr_samples_new(arena *a, size_t n_queries)
{
	rr_samples *s = arena_alloc(a, sizeof *s);
	if (!s)
		return NULL;
	s->q = arena_calloc(a, n_queries ? n_queries : 1, sizeof(buf));
	if (!s->q)
		return NULL;
	for (size_t i = 0; i < n_queries; i++)
		buf_init(&s->q[i]);
	s->n_q = n_queries;
	return s;
}

int rr_samples_add(rr_samples *s, size_t query, labels ls, const sample *v, size_t n)
{
	if (query >= s->n_q)
		return FL_EINVAL;
	put_ts_v1(&s->q[query], 1, ls, v, n);
	return s->q[query].oom ? FL_ENOMEM : 0;
}

int rr_samples_finish(rr_samples *s, buf *out, err *e)
{
	for (size_t i = 0; i < s->n_q; i++) {
		put_len(out, 1, s->q[i].len);
		buf_put(out, s->q[i].p, s->q[i].len);
	}
	for (size_t i = 0; i < s->n_q; i++)
		buf_reset(&s->q[i]);
	return out->oom ? err_set(e, FL_ENOMEM, "remote read: encoding: out of memory") : 0;
}

size_t rr_chunk_pb_size(const rr_chunk *c)
{
	return i64_field_size(c->min_ms) + i64_field_size(c->max_ms) + 2 /* type XOR */ +
	       (c->len ? len_field_size(c->len) : 0);
}

int rr_frame_append(buf *out, int64_t query_index, labels ls, const rr_chunk *c, size_t n, err *e)
{
	size_t cs = labels_fields_size(ls, 1);
	for (size_t i = 0; i < n; i++)
		cs += len_field_size(rr_chunk_pb_size(&c[i]));
	size_t msg = len_field_size(cs) + i64_field_size(query_index);
	buf_put_uvarint(out, msg);
	size_t crc_at = out->len;
	buf_put_be32(out, 0);
	put_len(out, 1, cs);
	put_labels(out, 1, ls);
	for (size_t i = 0; i < n; i++) {
		put_len(out, 2, rr_chunk_pb_size(&c[i]));
		put_i64(out, 1, c[i].min_ms);
		put_i64(out, 2, c[i].max_ms);
		put_i64(out, 3, CHUNK_ENC_XOR);
		if (c[i].len) {
			put_len(out, 4, c[i].len);
			buf_put(out, c[i].data, c[i].len);
		}
	}
	put_i64(out, 2, query_index);
	if (out->oom)
		return err_set(e, FL_ENOMEM, "remote read: frame: out of memory");
	assert(out->len - crc_at - 4 == msg);
	put_be32(out->p + crc_at, crc32c(0, out->p + crc_at + 4, msg));
	return 0;
}

/* ------------------------------------------- response decoding (tests) */

static labels pb_labels(arena *a, Prometheus__Label **pl, size_t n)
{
	label *v = arena_alloc(a, (n ? n : 1) * sizeof *v);
	if (!v)
		return (labels){NULL, 0};
	for (size_t i = 0; i < n; i++)
		v[i] = (label){pl[i]->name ? pl[i]->name : "", pl[i]->value ? pl[i]->value : ""};
	return (labels){v, n};
}

int rr_samples_decode(const uint8_t *pb, size_t len, arena *a, rr_series_cb cb, void *ctx, err *e)
{
	ProtobufCAllocator al = {pb_alloc, pb_free, a};
	Prometheus__ReadResponse *r = prometheus__read_response__unpack(&al, len, pb);
	if (!r)
		return err_set(e, FL_ECORRUPT, "remote read ReadResponse: invalid protobuf message");
	for (size_t q = 0; q < r->n_results; q++) {
		const Prometheus__QueryResult *qr = r->results[q];
		for (size_t i = 0; i < qr->n_timeseries; i++) {
			const Prometheus__TimeSeries *ts = qr->timeseries[i];
			sample *v = arena_alloc(a, (ts->n_samples + 1) * sizeof *v);
			if (!v)
				return err_set(e, FL_ENOMEM, "remote read ReadResponse: out of memory");
			for (size_t j = 0; j < ts->n_samples; j++)
				v[j] = (sample){ts->samples[j]->timestamp, ts->samples[j]->value};
			int rc = cb(ctx, q, pb_labels(a, ts->labels, ts->n_labels), v, ts->n_samples);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int frame_decode(const Prometheus__ChunkedReadResponse *r, arena *a, rr_chunks_cb cb, void *ctx)
{
	for (size_t i = 0; i < r->n_chunked_series; i++) {
		const Prometheus__ChunkedSeries *cs = r->chunked_series[i];
		rr_chunk *c = arena_alloc(a, (cs->n_chunks + 1) * sizeof *c);
		if (!c)
			return FL_ENOMEM;
		for (size_t j = 0; j < cs->n_chunks; j++)
			c[j] = (rr_chunk){cs->chunks[j]->min_time_ms, cs->chunks[j]->max_time_ms, cs->chunks[j]->data.data,
					  cs->chunks[j]->data.len};
		int rc = cb(ctx, r->query_index, pb_labels(a, cs->labels, cs->n_labels), c, cs->n_chunks);
		if (rc)
			return rc;
	}
	return 0;
}

int rr_frames_decode(const uint8_t *p, size_t len, arena *a, rr_chunks_cb cb, void *ctx, err *e)
{
	size_t off = 0;
	while (off < len) {
		uint64_t n;
		int k = uvarint_get(p + off, len - off, &n);
		size_t rem = k > 0 ? len - off - (size_t)k : 0;
		if (k <= 0 || rem < 4 || n > rem - 4)
			return err_set(e, FL_ECORRUPT, "remote read frame at offset %zu: truncated", off);
		off += (size_t)k;
		uint32_t want = be32(p + off);
		const uint8_t *msg = p + off + 4;
		uint32_t got = crc32c(0, msg, n);
		if (got != want)
			return err_set(e, FL_ECORRUPT, "remote read frame: crc mismatch (want %08x, got %08x)", want, got);
		ProtobufCAllocator al = {pb_alloc, pb_free, a};
		Prometheus__ChunkedReadResponse *r = prometheus__chunked_read_response__unpack(&al, n, msg);
		if (!r)
			return err_set(e, FL_ECORRUPT, "remote read frame: invalid ChunkedReadResponse");
		int rc = frame_decode(r, a, cb, ctx);
		if (rc)
			return err_set(e, rc, "remote read frame: callback failed");
		off += 4 + n;
	}
	return 0;
}
