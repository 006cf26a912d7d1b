/*
 * codec_pb.c - a hand-written protobuf reader for the hot path of remote
 * write: the 1.0 prometheus.WriteRequest, which every Prometheus, Grafana
 * Agent and OpenTelemetry exporter sends. protobuf-c's table-driven decoder
 * (kept for 2.0 and remote read, and as the slow reference the fuzz target
 * compares against) spends most of the receive path's CPU allocating one
 * struct per label and sample; this reader walks the bytes twice per
 * message (count, then fill) and allocates only the arrays and the label
 * strings, all from the request arena.
 *
 * Wire format (protobuf encoding): key = uvarint(field << 3 | wiretype);
 * wiretype 0 varint, 1 fixed64 (little endian), 2 length-delimited,
 * 5 fixed32. Known fields with another wire type are an error, as in gogo
 * protobuf; unknown fields are skipped; groups (3, 4) and 6, 7 are errors.
 * A scalar given twice keeps the last value (protobuf's merge rule).
 *
 *   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
 *                    repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 *   Label          { string name = 1; string value = 2; }
 *   Sample         { double value = 1; int64 timestamp = 2; }
 *   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 */
#include "remote/codec.h"

typedef struct pbr {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* one past the last */
	bool bad;           /* sticky: malformed input */
} pbr;

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static uint64_t rd_varint_slow(pbr *r)
{
	const uint8_t *p = r->p;
	size_t max = (size_t)(r->end - p) < 10 ? (size_t)(r->end - p) : 10;
	uint64_t v = 0;
	for (size_t i = 0; i < max; i++) {
		uint64_t b = p[i];
		v |= (b & 0x7f) << (7 * i);
		if (b < 0x80) {
			if (i == 9 && b > 1)
				break; /* overflows 64 bits */
			r->p = p + i + 1;
			return v;
		}
	}
	r->bad = true; /* past the end, or more than 10 bytes */
	return 0;
}

/* Keys, lengths and most timestamps' first bytes: one byte, inline. */
static inline __attribute__((always_inline)) uint64_t rd_varint(pbr *r)
{
	if (r->p < r->end && *r->p < 0x80)
		return *r->p++;
	return rd_varint_slow(r);
}

/* Next key; false at the end or on error (then r->bad). */
static inline bool rd_key(pbr *r, uint32_t *field, int *wt)
{
	if (r->bad || r->p >= r->end)
		return false;
	uint64_t k = rd_varint(r);
	*field = (uint32_t)(k >> 3);
	*wt = (int)(k & 7);
	if (r->bad || *field == 0 || k >> 32) {
		r->bad = true;
		return false;
	}
	return true;
}

static inline pbr rd_len(pbr *r)
{
	uint64_t n = rd_varint(r);
	pbr sub = {r->p, r->p, r->bad};
	if (r->bad || n > (uint64_t)(r->end - r->p)) {
		r->bad = sub.bad = true;
		return sub;
	}
	sub.end = r->p + n;
	r->p += n;
	return sub;
}

static void rd_skip(pbr *r, int wt)
{
	size_t n = 0;
	switch (wt) {
	case WT_VARINT:
		rd_varint(r);
		return;
	case WT_LEN:
		rd_len(r);
		return;
	case WT_I64:
		n = 8;
		break;
	case WT_I32:
		n = 4;
		break;
	default:
		r->bad = true;
		return;
	}
	if ((size_t)(r->end - r->p) < n)
		r->bad = true;
	else
		r->p += n;
}

static uint64_t rd_fixed64(pbr *r)
{
	if (r->end - r->p < 8) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | r->p[i];
	r->p += 8;
	return v;
}

/* A field of this wire type expected (known field); mark bad otherwise. */
static inline bool want(pbr *r, int wt, int expected)
{
	if (wt != expected)
		r->bad = true;
	return !r->bad;
}

static const char *rd_str(pbr *r, arena *a)
{
	pbr s = rd_len(r);
	if (r->bad)
		return NULL;
	char *c = arena_strndup(a, (const char *)s.p, (size_t)(s.end - s.p));
	if (!c)
		r->bad = true;
	return c;
}

static void rd_label(pbr m, arena *a, label *l)
{
	l->name = l->value = "";
	uint32_t f;
	int wt;
	while (rd_key(&m, &f, &wt)) {
		if (f == 1 && want(&m, wt, WT_LEN))
			l->name = rd_str(&m, a);
		else if (f == 2 && want(&m, wt, WT_LEN))
			l->value = rd_str(&m, a);
		else if (f > 2)
			rd_skip(&m, wt);
	}
	if (m.bad || !l->name || !l->value)
		l->name = NULL; /* signals failure to the caller */
}

static bool rd_sample(pbr m, sample *s)
{
	s->t = 0;
	s->v = 0;
	uint32_t f;
	int wt;
	if (m.end - m.p >= 11 && m.p[0] == (1 << 3 | WT_I64) && m.p[9] == (2 << 3 | WT_VARINT)) {
		/* as every sender writes it: value, then timestamp */
		uint64_t b = 0;
		for (int i = 8; i >= 1; i--)
			b = b << 8 | m.p[i];
		memcpy(&s->v, &b, 8);
		m.p += 10;
		s->t = (int64_t)rd_varint(&m);
		if (m.p == m.end || m.bad)
			return !m.bad;
	}
	while (rd_key(&m, &f, &wt)) {
		if (f == 1 && want(&m, wt, WT_I64)) {
			uint64_t b = rd_fixed64(&m);
			memcpy(&s->v, &b, 8);
		} else if (f == 2 && want(&m, wt, WT_VARINT))
			s->t = (int64_t)rd_varint(&m);
		else if (f > 2)
			rd_skip(&m, wt);
	}
	return !m.bad;
}

/* Label and sample fields of a series that pass 1 remembers, so that pass
 * 2 reads their keys and lengths only once; a series with more of either
 * has its fields read again by the generic loop. */
#define SERIES_SPANS 16

static bool rd_series(pbr m, arena *a, rw_known_fn known, void *ctx, rw_series *s)
{
	memset(s, 0, sizeof *s);
	pbr lsp[SERIES_SPANS], ssp[SERIES_SPANS];
	pbr c = m; /* pass 1: count, remember the spans, find the label fields' span */
	uint32_t f;
	int wt;
	const uint8_t *lab_end = NULL;
	bool split = false;
	for (const uint8_t *at = c.p; rd_key(&c, &f, &wt); at = c.p) {
		if (f >= 1 && f <= 4 && want(&c, wt, WT_LEN)) {
			pbr sub = rd_len(&c);
			if (f == 1) {
				if (!s->raw_labels)
					s->raw_labels = at;
				else if (lab_end != at)
					split = true;
				lab_end = c.p;
				if (s->n_labels < SERIES_SPANS)
					lsp[s->n_labels] = sub;
				s->n_labels++;
			} else if (f == 2) {
				if (s->n_samples < SERIES_SPANS)
					ssp[s->n_samples] = sub;
				s->n_samples++;
			}
			s->n_exemplars += f == 3;
			s->n_histograms += f == 4;
		} else if (f > 4)
			rd_skip(&c, wt);
	}
	if (c.bad)
		return false;
	if (split)
		s->raw_labels = NULL;
	else if (s->raw_labels)
		s->raw_labels_len = (size_t)(lab_end - s->raw_labels);
	size_t n_lab = s->n_labels;
	if (known && s->raw_labels && (s->known_ref = known(ctx, s->raw_labels, s->raw_labels_len)))
		s->n_labels = 0;
	s->labels = s->known_ref ? NULL : arena_alloc(a, (s->n_labels ? s->n_labels : 1) * sizeof(label));
	s->samples = arena_alloc(a, (s->n_samples ? s->n_samples : 1) * sizeof(sample));
	if ((!s->labels && !s->known_ref) || !s->samples)
		return false;
	if (n_lab <= SERIES_SPANS && s->n_samples <= SERIES_SPANS) { /* pass 2 from the spans */
		for (size_t i = 0; i < s->n_labels; i++) {
			rd_label(lsp[i], a, &s->labels[i]);
			if (!s->labels[i].name)
				return false;
		}
		for (size_t i = 0; i < s->n_samples; i++)
			if (!rd_sample(ssp[i], &s->samples[i]))
				return false;
	} else {
		size_t nl = 0, ns = 0;
		while (rd_key(&m, &f, &wt)) { /* pass 2: fill (wire types checked above) */
			if (f == 1 && !s->known_ref) {
				rd_label(rd_len(&m), a, &s->labels[nl]);
				if (!s->labels[nl++].name)
					return false;
			} else if (f == 2) {
				if (!rd_sample(rd_len(&m), &s->samples[ns++]))
					return false;
			} else
				rd_skip(&m, wt);
		}
		if (m.bad)
			return false;
	}
	if (!s->known_ref)
		rw__series_finish_labels(s);
	return true;
}

int rw_series_decode_labels(rw_series *s, arena *a)
{
	if (!s->known_ref)
		return 0;
	pbr c = {s->raw_labels, s->raw_labels + s->raw_labels_len, false}, m = c;
	uint32_t f;
	int wt;
	size_t n = 0;
	while (rd_key(&c, &f, &wt) && f == 1 && want(&c, wt, WT_LEN)) {
		rd_len(&c);
		n++;
	}
	if (c.bad || c.p != c.end)
		return FL_ECORRUPT;
	label *v = arena_alloc(a, (n ? n : 1) * sizeof *v);
	if (!v)
		return FL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		rd_key(&m, &f, &wt);
		rd_label(rd_len(&m), a, &v[i]);
		if (!v[i].name)
			return m.bad ? FL_ECORRUPT : FL_ENOMEM;
	}
	s->labels = v;
	s->n_labels = n;
	s->known_ref = 0;
	rw__series_finish_labels(s);
	return 0;
}

static bool rd_metadata(pbr m, arena *a, rw_metadata *md)
{
	*md = (rw_metadata){0, "", "", ""};
	uint32_t f;
	int wt;
	while (rd_key(&m, &f, &wt)) {
		if (f == 1 && want(&m, wt, WT_VARINT))
			md->type = (int)(int32_t)rd_varint(&m);
		else if (f == 2 && want(&m, wt, WT_LEN))
			md->family = rd_str(&m, a);
		else if (f == 4 && want(&m, wt, WT_LEN))
			md->help = rd_str(&m, a);
		else if (f == 5 && want(&m, wt, WT_LEN))
			md->unit = rd_str(&m, a);
		else if (f != 1 && f != 2 && f != 4 && f != 5)
			rd_skip(&m, wt);
	}
	return !m.bad && md->family && md->help && md->unit;
}

/* The contiguous label fields of the series message m (as rd_series finds
 * them: from the first label field's key to the end of the last, with no
 * other field between them); false when there is none or they are split. */
static bool label_span(pbr m, const uint8_t **raw, size_t *n)
{
	const uint8_t *first = NULL, *end = NULL;
	uint32_t f;
	int wt;
	for (const uint8_t *at = m.p; rd_key(&m, &f, &wt); at = m.p) {
		if (f == 1 && wt == WT_LEN) {
			rd_len(&m);
			if (first && end != at)
				return false;
			if (!first)
				first = at;
			end = m.p;
		} else
			rd_skip(&m, wt);
	}
	if (m.bad || !first)
		return false;
	*raw = first;
	*n = (size_t)(end - first);
	return true;
}

/* Tell ahead about the series of the request read by ar until *told
 * reaches upto (or the request ends). */
static void tell_ahead(pbr *ar, size_t *told, size_t upto, rw_ahead_fn ahead, void *ctx)
{
	uint32_t f;
	int wt;
	while (*told < upto && rd_key(ar, &f, &wt)) {
		if (f != 1) {
			rd_skip(ar, wt);
			continue;
		}
		const uint8_t *raw;
		size_t n;
		if (label_span(rd_len(ar), &raw, &n))
			ahead(ctx, raw, n);
		(*told)++;
	}
}

int rw__decode_v1_fast(const uint8_t *pb, size_t len, arena *a, rw_known_fn known, rw_ahead_fn ahead, void *ctx,
		       rw_request *out)
{
	pbr c = {pb, pb ? pb + len : pb, false}, r = c; /* (NULL, 0) is an empty message: no NULL + 0 */
	size_t n_ts = 0, n_md = 0;
	uint32_t f;
	int wt;
	while (rd_key(&c, &f, &wt)) { /* pass 1: count */
		if ((f == 1 || f == 3) && want(&c, wt, WT_LEN)) {
			rd_len(&c);
			n_ts += f == 1;
			n_md += f == 3;
		} else if (f != 1 && f != 3)
			rd_skip(&c, wt);
	}
	if (c.bad)
		return FL_ECORRUPT;
	out->series = arena_alloc(a, (n_ts ? n_ts : 1) * sizeof(rw_series));
	out->md = arena_alloc(a, (n_md ? n_md : 1) * sizeof(rw_metadata));
	if (!out->series || !out->md)
		return FL_ELIMIT;
	pbr ar = r; /* the series told to ahead so far */
	size_t told = 0;
	while (rd_key(&r, &f, &wt)) {
		if (f == 1) {
			if (ahead && known)
				tell_ahead(&ar, &told, out->n_series + 1 + RW_AHEAD, ahead, ctx);
			if (!rd_series(rd_len(&r), a, known, ctx, &out->series[out->n_series++]))
				return a->limit && a->used + 4096 > a->limit ? FL_ELIMIT : FL_ECORRUPT;
		} else if (f == 3) {
			if (!rd_metadata(rd_len(&r), a, &out->md[out->n_md++]))
				return a->limit && a->used + 4096 > a->limit ? FL_ELIMIT : FL_ECORRUPT;
		} else
			rd_skip(&r, wt);
	}
	return r.bad ? FL_ECORRUPT : 0;
}
