/*
 * tombstones.c - reading and writing a block's tombstones file (see
 * tombstones.h; Prometheus tsdb/tombstones/tombstones.go).
 *
 * Invariants:
 *  1. The parser checks magic, version and CRC before decoding, and every
 *     varint against the end of the data (decbuf); bad bytes are
 *     FL_ECORRUPT, never a crash.
 *  2. Parsed intervals come back sorted by (ref, mint).
 */
#include "tsdb/tombstones.h"

#include "lib/fsutil.h"
#include "lib/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_tomb(const void *a, const void *b)
{
	const tomb *x = a, *y = b;
	if (x->ref != y->ref)
		return x->ref < y->ref ? -1 : 1;
	return x->mint < y->mint ? -1 : x->mint > y->mint;
}

int tombstones_parse(const uint8_t *p, size_t len, tomb **out, size_t *n_out, err *e)
{
	*out = NULL;
	*n_out = 0;
	if (len < 9 || be32(p) != TOMBSTONES_MAGIC)
		return err_set(e, FL_ECORRUPT, "tombstones: invalid magic number or size (%zu bytes)", len);
	if (p[4] != 1)
		return err_set(e, FL_ECORRUPT, "tombstones: invalid format version %d", p[4]);
	uint32_t want = be32(p + len - 4), got = crc32c(0, p + 5, len - 9);
	if (want != got)
		return err_set(e, FL_ECORRUPT, "tombstones: checksum mismatch (want %08x, got %08x)", want, got);
	decbuf d;
	decbuf_init(&d, p + 5, len - 9);
	size_t cap = 0;
	while (decbuf_len(&d) > 0 && !d.err) {
		tomb t;
		t.ref = decbuf_uvarint(&d);
		t.mint = decbuf_varint(&d);
		t.maxt = decbuf_varint(&d);
		if (d.err)
			break;
		if (!fl_grow((void **)out, &cap, *n_out + 1, sizeof **out)) {
			fl_free(*out);
			*out = NULL;
			*n_out = 0;
			return err_set(e, FL_ENOMEM, "tombstones: out of memory");
		}
		(*out)[(*n_out)++] = t;
	}
	if (d.err) {
		fl_free(*out);
		*out = NULL;
		*n_out = 0;
		return err_set(e, FL_ECORRUPT, "tombstones: truncated entry at offset %zu", (size_t)(d.p - p));
	}
	if (*n_out > 1)
		qsort(*out, *n_out, sizeof **out, cmp_tomb);
	return 0;
}

void tombstones_encode(buf *b, const tomb *ts, size_t n)
{
	size_t start = b->len;
	buf_put_be32(b, TOMBSTONES_MAGIC);
	buf_put_byte(b, 1);
	for (size_t i = 0; i < n; i++) {
		assert(i == 0 || cmp_tomb(&ts[i - 1], &ts[i]) <= 0);
		buf_put_uvarint(b, ts[i].ref);
		buf_put_varint(b, ts[i].mint);
		buf_put_varint(b, ts[i].maxt);
	}
	if (!b->oom)
		buf_put_be32(b, crc32c(0, b->p + start + 5, b->len - start - 5));
}

int tombstones_write(const char *dir, const tomb *ts, size_t n, uint64_t *size, err *e)
{
	buf b;
	buf_init(&b);
	tombstones_encode(&b, ts, n);
	if (b.oom) {
		buf_reset(&b);
		return err_set(e, FL_ENOMEM, "tombstones: out of memory");
	}
	char tmp[1200], path[1200];
	snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, TOMBSTONES_FILE);
	snprintf(path, sizeof path, "%s/%s", dir, TOMBSTONES_FILE);
	int rc = fsutil_write_file(tmp, b.p, b.len, e);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = err_set(e, FL_EIO, "tombstones: rename %s: %s", tmp, strerror(errno));
	if (rc == 0)
		rc = fsutil_sync_dir(dir, e);
	else
		remove(tmp);
	if (size)
		*size = b.len;
	buf_reset(&b);
	return rc;
}

/* ---- in-memory tombstone sets ---- */

static tomb_set *set_alloc(size_t n)
{
	tomb_set *s = fl_malloc(sizeof *s + (n ? n : 1) * sizeof(tomb));
	if (s) {
		atomic_init(&s->refs, 1);
		s->n = 0;
		s->n_refs = 0;
	}
	return s;
}

/* Sort s->v[0..n) and merge each series' intervals in place (Intervals.Add:
 * overlapping or adjacent ones become one). */
static void set_normalise(tomb_set *s, size_t n)
{
	if (n > 1)
		qsort(s->v, n, sizeof *s->v, cmp_tomb);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		tomb t = s->v[i];
		if (w && s->v[w - 1].ref == t.ref &&
		    (s->v[w - 1].maxt == INT64_MAX || t.mint <= s->v[w - 1].maxt + 1)) {
			if (t.maxt > s->v[w - 1].maxt)
				s->v[w - 1].maxt = t.maxt;
			continue;
		}
		if (!w || s->v[w - 1].ref != t.ref)
			s->n_refs++;
		s->v[w++] = t;
	}
	s->n = w;
}

tomb_set *tombstones_set_new(const tomb *a, size_t na, const tomb *b, size_t nb)
{
	tomb_set *s = set_alloc(na + nb);
	if (!s)
		return NULL;
	if (na)
		memcpy(s->v, a, na * sizeof *a);
	if (nb)
		memcpy(s->v + na, b, nb * sizeof *b);
	set_normalise(s, na + nb);
	return s;
}

void tombstones_set_ref(tomb_set *s) { atomic_fetch_add(&s->refs, 1); }

void tombstones_set_release(tomb_set *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		fl_free(s);
}

const tomb *tombstones_set_get(const tomb_set *s, uint64_t ref, size_t *n)
{
	*n = 0;
	if (!s)
		return NULL;
	size_t lo = 0, hi = s->n;
	while (lo < hi) { /* first entry with ref >= ref */
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = lo;
	while (k < s->n && s->v[k].ref == ref)
		k++;
	*n = k - lo;
	return *n ? &s->v[lo] : NULL;
}

tomb_set *tombstones_set_truncate(const tomb_set *s, int64_t mint)
{
	tomb_set *o = set_alloc(s->n);
	if (!o)
		return NULL;
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].maxt < mint)
			continue;
		o->v[w] = s->v[i];
		if (o->v[w].mint < mint)
			o->v[w].mint = mint;
		w++;
	}
	set_normalise(o, w);
	return o;
}

int tombstones_holder_init(tombstones_holder *h, tomb_set *s, err *e)
{
	if (!s)
		s = set_alloc(0);
	if (!s)
		return err_set(e, FL_ENOMEM, "tombstones: out of memory");
	h->cur = s;
	pthread_mutex_init(&h->mu, NULL);
	return 0;
}

void tombstones_holder_destroy(tombstones_holder *h)
{
	if (!h->cur)
		return;
	tombstones_set_release(h->cur);
	h->cur = NULL;
	pthread_mutex_destroy(&h->mu);
}

tomb_set *tombstones_holder_acquire(tombstones_holder *h)
{
	pthread_mutex_lock(&h->mu);
	tomb_set *s = h->cur;
	tombstones_set_ref(s);
	pthread_mutex_unlock(&h->mu);
	return s;
}

void tombstones_holder_swap(tombstones_holder *h, tomb_set *s)
{
	pthread_mutex_lock(&h->mu);
	tomb_set *old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->mu);
	tombstones_set_release(old);
}

int tombstones_holder_add(tombstones_holder *h, const tomb *add, size_t n, err *e)
{
	tomb_set *cur = tombstones_holder_acquire(h);
	tomb_set *s = tombstones_set_new(cur->v, cur->n, add, n);
	tombstones_set_release(cur);
	if (!s)
		return err_set(e, FL_ENOMEM, "tombstones: out of memory");
	tombstones_holder_swap(h, s);
	return 0;
}
