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
