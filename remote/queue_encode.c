/*
 * queue_encode.c - a shard's batch as a remote-write request body, the
 * sender's hot loop. A batch holds samples of many series in WAL order;
 * the request holds one TimeSeries per distinct series with its samples
 * in that order. Grouping is linear: each series entry remembers the last
 * batch that saw it and its index there (a series is bound to one shard,
 * so only that shard's thread touches the two fields; a reshard stops all
 * shards before the next start), then a counting sort places the samples.
 *
 * 1.0 is written straight into one reservation of the exact size: the
 * Label fields of each series were encoded once, when the series entered
 * the cache (rw_labels_pb_put), so a batch costs a copy of those bytes
 * and a few bytes per sample. 2.0 needs the request's symbol table and
 * goes through codec.h's rw_encode.
 *
 *   TimeSeries (field 1 of WriteRequest) = Label fields (1) + Sample fields (2)
 *   Sample = 0x09 value (fixed64, absent when its bits are 0)
 *          + 0x10 timestamp (varint, absent when 0)
 */
#include <string.h>

#include "remote/write_int.h"

static inline size_t uv_len(uint64_t v) { return (size_t)(70 - __builtin_clzll(v | 1)) / 7; }

static inline uint8_t *uv_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A string field (key byte k) of n bytes, absent when empty. */
static inline size_t str_len(size_t n) { return n ? 1 + uv_len(n) + n : 0; }

static inline uint8_t *str_put(uint8_t *p, uint8_t k, const char *s, size_t n)
{
	if (!n)
		return p;
	*p++ = k;
	p = uv_put(p, n);
	memcpy(p, s, n);
	return p + n;
}

size_t rw_labels_pb_size(labels ls)
{
	size_t n = 0;
	for (size_t i = 0; i < ls.n; i++) {
		size_t m = str_len(strlen(ls.v[i].name)) + str_len(strlen(ls.v[i].value));
		n += 1 + uv_len(m) + m;
	}
	return n;
}

uint8_t *rw_labels_pb_put(uint8_t *p, labels ls)
{
	for (size_t i = 0; i < ls.n; i++) {
		size_t a = strlen(ls.v[i].name), b = strlen(ls.v[i].value);
		*p++ = 0x0a;
		p = uv_put(p, str_len(a) + str_len(b));
		p = str_put(p, 0x0a, ls.v[i].name, a);
		p = str_put(p, 0x12, ls.v[i].value, b);
	}
	return p;
}

/* A Sample message's size (below 128: one length byte). */
static inline size_t sample_len(const rw_entry *e)
{
	uint64_t bits;
	memcpy(&bits, &e->v, 8);
	return (bits ? 9 : 0) + (e->t ? 1 + uv_len((uint64_t)e->t) : 0);
}

/* The Sample field of e, whose message is len bytes. */
static inline uint8_t *sample_put(uint8_t *p, const rw_entry *e, size_t len)
{
	uint64_t bits;
	memcpy(&bits, &e->v, 8);
	*p++ = 0x12;
	*p++ = (uint8_t)len;
	if (bits) {
		*p++ = 0x09;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(p, &bits, 8); /* fixed64 is little endian */
		p += 8;
#else
		for (int i = 0; i < 8; i++)
			*p++ = (uint8_t)(bits >> (8 * i));
#endif
	}
	if (e->t) {
		*p++ = 0x10;
		p = uv_put(p, (uint64_t)e->t);
	}
	return p;
}

static int encode_v1(rw_entry **ord, const uint32_t *start, size_t ng, arena *a, buf *pb)
{
	size_t *ts = arena_alloc(a, ng * sizeof *ts), total = 0;
	uint8_t *lens = arena_alloc(a, start[ng]); /* each Sample message's size, from the first pass */
	if (!ts || !lens)
		return FL_ENOMEM;
	for (size_t g = 0; g < ng; g++) {
		size_t sz = ord[start[g]]->s->pb_len;
		for (uint32_t i = start[g]; i < start[g + 1]; i++) {
			lens[i] = (uint8_t)sample_len(ord[i]);
			sz += 2 + lens[i];
		}
		ts[g] = sz;
		total += 1 + uv_len(sz) + sz;
	}
	if (!buf_reserve(pb, total))
		return FL_ENOMEM;
	uint8_t *p = pb->p + pb->len;
	for (size_t g = 0; g < ng; g++) {
		const rw_series_ent *s = ord[start[g]]->s;
		*p++ = 0x0a;
		p = uv_put(p, ts[g]);
		memcpy(p, rw_ent_pb(s), s->pb_len);
		p += s->pb_len;
		for (uint32_t i = start[g]; i < start[g + 1]; i++)
			p = sample_put(p, ord[i], lens[i]);
	}
	pb->len += total;
	return 0;
}

static int encode_v2(rw_entry **ord, const uint32_t *start, size_t ng, arena *a, buf *pb)
{
	size_t n = start[ng];
	rw_request r = {.version = RW_V2, .n_series = ng};
	r.series = arena_calloc(a, ng, sizeof *r.series);
	sample *smp = arena_alloc(a, n * sizeof *smp);
	if (!r.series || !smp)
		return FL_ENOMEM;
	for (size_t g = 0; g < ng; g++) {
		rw_series *s = &r.series[g];
		s->labels = (label *)ord[start[g]]->s->ls.v;
		s->n_labels = ord[start[g]]->s->ls.n;
		s->samples = &smp[start[g]];
		s->n_samples = start[g + 1] - start[g];
	}
	for (size_t i = 0; i < n; i++)
		smp[i] = (sample){ord[i]->t, ord[i]->v};
	err e = {0};
	return rw_encode(&r, pb, &e) ? FL_ENOMEM : 0;
}

int rw_batch_encode(rw_version v, rw_entry **ents, size_t n, uint64_t batch, arena *a, buf *pb, int64_t *highest)
{
	*highest = 0;
	if (!n)
		return 0;
	uint32_t *start = arena_alloc(a, (n + 1) * sizeof *start);
	rw_entry **ord = arena_alloc(a, n * sizeof *ord);
	if (!start || !ord)
		return FL_ENOMEM;
	uint32_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		rw_series_ent *s = ents[i]->s;
		if (s->batch != batch) {
			s->batch = batch;
			s->group = ng;
			start[ng++] = 0;
		}
		start[s->group]++;
		if (ents[i]->t > *highest)
			*highest = ents[i]->t;
	}
	/* counts to offsets, then each sample to the next place of its group */
	uint32_t at = 0;
	for (uint32_t g = 0; g < ng; g++) {
		uint32_t c = start[g];
		start[g] = at;
		at += c;
	}
	start[ng] = at;
	for (size_t i = 0; i < n; i++)
		ord[start[ents[i]->s->group]++] = ents[i];
	for (uint32_t g = ng; g > 0; g--) /* back to the starts */
		start[g] = start[g - 1];
	start[0] = 0;
	return v == RW_V2 ? encode_v2(ord, start, ng, a, pb) : encode_v1(ord, start, ng, a, pb);
}
