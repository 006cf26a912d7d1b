/*
 * record.c - encoding and decoding of WAL records (see record.h for the
 * byte layout; mirrors Prometheus tsdb/record/record.go, samples V1).
 *
 * Invariants:
 *  1. Encoders produce exactly Prometheus's bytes for the same input, so a
 *     WAL rewritten by flint is byte-identical (tests/unit/test_record.c
 *     re-encodes every record of the golden WALs).
 *  2. Decoders never trust a count: every array is sized from a count
 *     that was first checked against the bytes left in the record.
 *  3. Every decoder checks that the record was consumed exactly.
 */
#include "tsdb/record.h"

#include <stdio.h>

#define UNIT_META "UNIT"
#define HELP_META "HELP"

enum record_type record_type(const uint8_t *rec, size_t len)
{
	if (len < 1)
		return RECORD_UNKNOWN;
	if (rec[0] >= RECORD_SERIES && rec[0] <= RECORD_CUSTOM_BUCKETS_FLOAT_HISTOGRAM_SAMPLES)
		return (enum record_type)rec[0];
	return RECORD_UNKNOWN;
}

const char *record_type_name(enum record_type t)
{
	switch (t) {
	case RECORD_SERIES: return "series";
	case RECORD_SAMPLES: return "samples";
	case RECORD_TOMBSTONES: return "tombstones";
	case RECORD_EXEMPLARS: return "exemplars";
	case RECORD_MMAP_MARKERS: return "mmapmarkers";
	case RECORD_METADATA: return "metadata";
	case RECORD_HISTOGRAM_SAMPLES: return "histogram_samples";
	case RECORD_FLOAT_HISTOGRAM_SAMPLES: return "float_histogram_samples";
	case RECORD_CUSTOM_BUCKETS_HISTOGRAM_SAMPLES: return "custom_buckets_histogram_samples";
	case RECORD_CUSTOM_BUCKETS_FLOAT_HISTOGRAM_SAMPLES: return "custom_buckets_float_histogram_samples";
	default: return "unknown";
	}
}

static uint64_t f64_bits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	return u;
}

static double f64_from(uint64_t u)
{
	double v;
	memcpy(&v, &u, sizeof v);
	return v;
}

/* ---- encoders ---- */

/* A label set (count, then name and value strings, each uvarint length
 * and bytes), after the 8-byte big-endian ref when ref_too: sized first
 * and written with one reserve (the series record of a commit that
 * creates many series is most of its WAL cost). */
static void put_ref_labels(buf *b, bool ref_too, uint64_t ref, labels ls)
{
	size_t lens[64], need = 8 + 10; /* the lengths of the first 32 labels' strings, measured once */
	for (size_t i = 0; i < 2 * ls.n; i++) {
		size_t n = strlen(i % 2 ? ls.v[i / 2].value : ls.v[i / 2].name);
		if (i < FL_ARRAY_LEN(lens))
			lens[i] = n;
		need += n + 10;
	}
	if (!buf_reserve(b, need))
		return;
	uint8_t *p = b->p + b->len;
	if (ref_too) {
		put_be64(p, ref);
		p += 8;
	}
	p += uvarint_put(p, ls.n);
	for (size_t i = 0; i < 2 * ls.n; i++) {
		const char *str = i % 2 ? ls.v[i / 2].value : ls.v[i / 2].name;
		size_t n = i < FL_ARRAY_LEN(lens) ? lens[i] : strlen(str);
		p += uvarint_put(p, n);
		memcpy(p, str, n);
		p += n;
	}
	b->len = (size_t)(p - b->p);
}

static void put_labels(buf *b, labels ls) { put_ref_labels(b, false, 0, ls); }

void record_encode_series(buf *b, const record_series *s, size_t n)
{
	buf_put_byte(b, RECORD_SERIES);
	for (size_t i = 0; i < n; i++)
		put_ref_labels(b, true, s[i].ref, s[i].ls);
}

void record_encode_samples(buf *b, const record_sample *s, size_t n)
{
	buf_put_byte(b, RECORD_SAMPLES);
	if (n == 0)
		return;
	/* worst case per sample: two 10-byte varints and 8 value bytes */
	if (!buf_reserve(b, 16 + n * 28))
		return;
	uint8_t *p = b->p + b->len;
	put_be64(p, s[0].ref);
	put_be64(p + 8, (uint64_t)s[0].t);
	p += 16;
	for (size_t i = 0; i < n; i++) {
		int64_t dref = (int64_t)(s[i].ref - s[0].ref);
		uint64_t dt = (uint64_t)s[i].t - (uint64_t)s[0].t;
		p += uvarint_put(p, (uint64_t)dref << 1 ^ (uint64_t)(dref >> 63));
		p += uvarint_put(p, dt << 1 ^ (uint64_t)((int64_t)dt >> 63));
		put_be64(p, f64_bits(s[i].v));
		p += 8;
	}
	b->len = (size_t)(p - b->p);
}

void record_encode_tombstones(buf *b, const record_tombstone *s, size_t n)
{
	buf_put_byte(b, RECORD_TOMBSTONES);
	for (size_t i = 0; i < n; i++) {
		buf_put_be64(b, s[i].ref);
		buf_put_varint(b, s[i].mint);
		buf_put_varint(b, s[i].maxt);
	}
}

void record_encode_exemplars(buf *b, const record_exemplar *s, size_t n)
{
	buf_put_byte(b, RECORD_EXEMPLARS);
	if (n == 0)
		return;
	buf_put_be64(b, s[0].ref);
	buf_put_be64(b, (uint64_t)s[0].t);
	for (size_t i = 0; i < n; i++) {
		buf_put_varint(b, (int64_t)(s[i].ref - s[0].ref));
		buf_put_varint(b, (int64_t)((uint64_t)s[i].t - (uint64_t)s[0].t));
		buf_put_be64(b, f64_bits(s[i].v));
		put_labels(b, s[i].ls);
	}
}

void record_encode_mmap_markers(buf *b, const record_mmap_marker *s, size_t n)
{
	buf_put_byte(b, RECORD_MMAP_MARKERS);
	for (size_t i = 0; i < n; i++) {
		buf_put_be64(b, s[i].ref);
		buf_put_be64(b, s[i].mmap_ref);
	}
}

void record_encode_metadata(buf *b, const record_metadata *s, size_t n)
{
	buf_put_byte(b, RECORD_METADATA);
	for (size_t i = 0; i < n; i++) {
		buf_put_uvarint(b, s[i].ref);
		buf_put_byte(b, s[i].type);
		buf_put_uvarint(b, 2);
		buf_put_uvarint_str(b, UNIT_META, strlen(UNIT_META));
		buf_put_uvarint_str(b, s[i].unit, strlen(s[i].unit));
		buf_put_uvarint_str(b, HELP_META, strlen(HELP_META));
		buf_put_uvarint_str(b, s[i].help, strlen(s[i].help));
	}
}

/* ---- decoders ---- */

/* Check the type byte and set up d over the body. */
static int dec_start(decbuf *d, const uint8_t *rec, size_t len, enum record_type want, err *e)
{
	decbuf_init(d, rec, len);
	uint8_t t = decbuf_byte(d);
	if (d->err || t != want)
		return err_set(e, FL_ECORRUPT, "record: %s: invalid record type %u", record_type_name(want),
			       d->err ? 0u : (unsigned)t);
	return 0;
}

static int dec_finish(decbuf *d, enum record_type t, size_t done, err *e)
{
	if (d->err == FL_ENOMEM)
		return err_set(e, FL_ENOMEM, "record: %s: out of memory", record_type_name(t));
	if (d->err)
		return err_set(e, FL_ECORRUPT, "record: %s: decode error after %zu entries", record_type_name(t), done);
	if (decbuf_len(d) > 0)
		return err_set(e, FL_ECORRUPT, "record: %s: unexpected %zu bytes left in entry", record_type_name(t),
			       decbuf_len(d));
	return 0;
}

/* Allocate room for at most `max` elements of size sz (bounded by the caller). */
static void *dec_array(decbuf *d, arena *a, size_t max, size_t sz)
{
	if (d->err || max == 0)
		return NULL;
	void *p = arena_alloc(a, max * sz);
	if (!p)
		d->err = FL_ENOMEM;
	return p;
}

/* Before writing element k of an array sized max: a well-formed body never
 * needs more (each element has a minimum size), so k == max means corrupt. */
static bool dec_room(decbuf *d, size_t k, size_t max)
{
	if (k < max)
		return true;
	if (!d->err)
		d->err = FL_ECORRUPT;
	return false;
}

/* A NUL-terminated copy of an uvarint-prefixed string; NUL bytes inside are corrupt. */
static const char *dec_str(decbuf *d, arena *a)
{
	slice s = decbuf_uvarint_str(d);
	if (d->err)
		return "";
	if (memchr(s.p, 0, s.len)) {
		d->err = FL_ECORRUPT;
		return "";
	}
	char *c = arena_strndup(a, s.p, s.len);
	if (!c) {
		d->err = FL_ENOMEM;
		return "";
	}
	return c;
}

/* A label set: n uvarint, then n name/value pairs; must be sorted and unique. */
static labels dec_labels(decbuf *d, arena *a)
{
	labels ls = {NULL, 0};
	uint64_t n = decbuf_uvarint(d);
	if (d->err)
		return ls;
	if (n > decbuf_len(d) / 2) { /* each pair takes at least two length bytes */
		d->err = FL_ECORRUPT;
		return ls;
	}
	label *v = dec_array(d, a, (size_t)n, sizeof *v);
	for (size_t i = 0; i < n && !d->err; i++) {
		v[i].name = dec_str(d, a);
		v[i].value = dec_str(d, a);
	}
	if (d->err)
		return ls;
	ls.v = v;
	ls.n = (size_t)n;
	if (!labels_valid_order(ls))
		d->err = FL_ECORRUPT;
	return ls;
}

/* ---- one decoder loop for every record type ---- */

typedef struct dec_base {
	uint64_t ref; /* first ref of a samples/exemplars record */
	uint64_t t;   /* first timestamp */
} dec_base;

typedef struct dec_kind {
	enum record_type type;
	bool has_base;    /* body starts with base ref and t (samples, exemplars) */
	size_t min_size;  /* fewest bytes one element takes: bounds the array */
	size_t elem_size; /* sizeof the output element */
	void (*one)(decbuf *d, arena *a, const dec_base *base, void *elem);
} dec_kind;

static int dec_records(const dec_kind *k, const uint8_t *rec, size_t len, arena *a, void **out, size_t *n, err *e)
{
	decbuf d;
	*out = NULL;
	*n = 0;
	if (dec_start(&d, rec, len, k->type, e))
		return FL_ECORRUPT;
	dec_base base = {0, 0};
	if (k->has_base) {
		if (decbuf_len(&d) == 0)
			return 0;
		base.ref = decbuf_be64(&d);
		base.t = decbuf_be64(&d);
	}
	size_t max = decbuf_len(&d) / k->min_size;
	uint8_t *v = dec_array(&d, a, max, k->elem_size);
	size_t i = 0;
	while (decbuf_len(&d) > 0 && !d.err && dec_room(&d, i, max)) {
		k->one(&d, a, &base, v + i * k->elem_size);
		i++;
	}
	int rc = dec_finish(&d, k->type, i, e);
	if (rc == 0) {
		*out = v;
		*n = i;
	}
	return rc;
}

static void one_series(decbuf *d, arena *a, const dec_base *base, void *elem)
{
	record_series *s = elem;
	s->ref = decbuf_be64(d);
	s->ls = dec_labels(d, a);
}

static void one_tombstone(decbuf *d, arena *a, const dec_base *base, void *elem)
{
	record_tombstone *s = elem;
	s->ref = decbuf_be64(d);
	s->mint = decbuf_varint(d);
	s->maxt = decbuf_varint(d);
}

static void one_exemplar(decbuf *d, arena *a, const dec_base *base, void *elem)
{
	record_exemplar *s = elem;
	s->ref = base->ref + (uint64_t)decbuf_varint(d);
	s->t = (int64_t)(base->t + (uint64_t)decbuf_varint(d));
	s->v = f64_from(decbuf_be64(d));
	s->ls = dec_labels(d, a);
}

static void one_mmap_marker(decbuf *d, arena *a, const dec_base *base, void *elem)
{
	record_mmap_marker *s = elem;
	s->ref = decbuf_be64(d);
	s->mmap_ref = decbuf_be64(d);
}

/* ref, type, then name/value fields of which UNIT and HELP are kept. */
static void one_metadata(decbuf *d, arena *a, const dec_base *base, void *elem)
{
	record_metadata *m = elem;
	m->ref = decbuf_uvarint(d);
	m->type = decbuf_byte(d);
	m->unit = m->help = "";
	uint64_t nf = decbuf_uvarint(d);
	if (!d->err && nf > decbuf_len(d) / 2) {
		d->err = FL_ECORRUPT;
		return;
	}
	for (uint64_t i = 0; i < nf && !d->err; i++) {
		slice name = decbuf_uvarint_str(d);
		const char *val = dec_str(d, a);
		if (slice_eq_str(name, UNIT_META))
			m->unit = val;
		else if (slice_eq_str(name, HELP_META))
			m->help = val;
	}
}

/* min_size: series ref + label count; tombstone
 * ref + 2 varints; exemplar sample + label count; marker 2 refs; metadata
 * ref + type + field count. */
static const dec_kind k_series = {RECORD_SERIES, false, 9, sizeof(record_series), one_series};
static const dec_kind k_tombstones = {RECORD_TOMBSTONES, false, 10, sizeof(record_tombstone), one_tombstone};
static const dec_kind k_exemplars = {RECORD_EXEMPLARS, true, 11, sizeof(record_exemplar), one_exemplar};
static const dec_kind k_markers = {RECORD_MMAP_MARKERS, false, 16, sizeof(record_mmap_marker), one_mmap_marker};
static const dec_kind k_metadata = {RECORD_METADATA, false, 3, sizeof(record_metadata), one_metadata};

int record_decode_series(const uint8_t *rec, size_t len, arena *a, record_series **out, size_t *n, err *e)
{
	return dec_records(&k_series, rec, len, a, (void **)out, n, e);
}

int record_samples_begin(record_samples_iter *it, const uint8_t *rec, size_t len, err *e)
{
	it->p = it->end = rec;
	it->base_ref = it->base_t = 0;
	it->k = 0;
	if (len < 1 || rec[0] != RECORD_SAMPLES)
		return err_set(e, FL_ECORRUPT, "record: samples: invalid record type %u", len ? (unsigned)rec[0] : 0u);
	if (len == 1)
		return 0;
	if (len < 17)
		return err_set(e, FL_ECORRUPT, "record: samples: decode error after 0 entries");
	it->base_ref = be64(rec + 1);
	it->base_t = be64(rec + 9);
	it->p = rec + 17;
	it->end = rec + len;
	return 0;
}

int record_samples_error(const record_samples_iter *it, err *e)
{
	return err_set(e, FL_ECORRUPT, "record: samples: decode error after %zu entries", it->k);
}

/*
 * Samples are most of what a replay decodes, so they get their own loop
 * (record_samples_next, inline) instead of dec_records' callback per
 * entry: same layout, same bounds (base, then entries of at least 10
 * bytes), same errors.
 */
int record_decode_samples(const uint8_t *rec, size_t len, arena *a, record_sample **out, size_t *n, err *e)
{
	*out = NULL;
	*n = 0;
	record_samples_iter it;
	int rc = record_samples_begin(&it, rec, len, e);
	if (rc)
		return rc;
	size_t max = record_samples_max(&it), k = 0;
	record_sample *v = max ? arena_alloc(a, max * sizeof *v) : NULL;
	if (max && !v)
		return err_set(e, FL_ENOMEM, "record: samples: out of memory");
	while ((rc = record_samples_next(&it, &v[k])) > 0)
		k++;
	if (rc < 0)
		return record_samples_error(&it, e);
	*out = v;
	*n = k;
	return 0;
}

int record_decode_tombstones(const uint8_t *rec, size_t len, arena *a, record_tombstone **out, size_t *n, err *e)
{
	return dec_records(&k_tombstones, rec, len, a, (void **)out, n, e);
}

int record_decode_exemplars(const uint8_t *rec, size_t len, arena *a, record_exemplar **out, size_t *n, err *e)
{
	return dec_records(&k_exemplars, rec, len, a, (void **)out, n, e);
}

int record_decode_mmap_markers(const uint8_t *rec, size_t len, arena *a, record_mmap_marker **out, size_t *n,
			       err *e)
{
	return dec_records(&k_markers, rec, len, a, (void **)out, n, e);
}

int record_decode_metadata(const uint8_t *rec, size_t len, arena *a, record_metadata **out, size_t *n, err *e)
{
	return dec_records(&k_metadata, rec, len, a, (void **)out, n, e);
}
