/* buf.c - see buf.h. */
#include "lib/buf.h"
#include "lib/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void buf_init(buf *b) { b->p = NULL; b->len = b->cap = 0; b->oom = false; }

void buf_reset(buf *b) { fl_free(b->p); buf_init(b); }

bool buf_reserve(buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (fl_grow((void **)&b->p, &b->cap, b->len + extra, 1))
		return true;
	b->oom = true;
	return false;
}

void buf_put(buf *b, const void *p, size_t n)
{
	if (!n || !buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void buf_put_byte(buf *b, uint8_t c)
{
	if (!buf_reserve(b, 1))
		return;
	b->p[b->len++] = c;
}

void buf_put_str(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		buf_put(b, tmp, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_put_be16(buf *b, uint16_t v) { uint8_t t[2]; put_be16(t, v); buf_put(b, t, 2); }
void buf_put_be32(buf *b, uint32_t v) { uint8_t t[4]; put_be32(t, v); buf_put(b, t, 4); }
void buf_put_be64(buf *b, uint64_t v) { uint8_t t[8]; put_be64(t, v); buf_put(b, t, 8); }

int uvarint_put(uint8_t *p, uint64_t v)
{
	int i = 0;
	while (v >= 0x80) {
		p[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[i++] = (uint8_t)v;
	return i;
}

int uvarint_get(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	unsigned s = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		uint8_t c = p[i];
		if (c < 0x80) {
			if (i == 9 && c > 1)
				return -1;
			*v = x | (uint64_t)c << s;
			return (int)i + 1;
		}
		x |= (uint64_t)(c & 0x7f) << s;
		s += 7;
	}
	return n >= 10 ? -1 : 0;
}

void buf_put_uvarint(buf *b, uint64_t v)
{
	uint8_t t[10];
	buf_put(b, t, (size_t)uvarint_put(t, v));
}

void buf_put_varint(buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v << 1;
	if (v < 0)
		u = ~u;
	buf_put_uvarint(b, u);
}

void buf_put_uvarint_str(buf *b, const char *s, size_t n)
{
	buf_put_uvarint(b, n);
	buf_put(b, s, n);
}

const char *buf_cstr(buf *b)
{
	if (!buf_reserve(b, 1))
		return "";
	b->p[b->len] = 0;
	return (const char *)b->p;
}

int buf_read_file(buf *b, const char *path, err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "open %s: %s", path, strerror(errno));
	char tmp[16384];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_put(b, tmp, k);
	int bad = ferror(f) ? errno : 0;
	fclose(f);
	if (bad)
		return err_set(e, FL_EIO, "read %s: %s", path, strerror(bad));
	buf_cstr(b);
	if (b->oom)
		return err_set(e, FL_ENOMEM, "read %s: out of memory", path);
	return 0;
}

static bool need(decbuf *d, size_t n)
{
	if (d->err)
		return false;
	if (decbuf_len(d) < n) {
		d->err = FL_ECORRUPT;
		return false;
	}
	return true;
}

uint8_t decbuf_byte(decbuf *d)
{
	if (!need(d, 1))
		return 0;
	return *d->p++;
}

uint16_t decbuf_be16(decbuf *d)
{
	const uint8_t *p = decbuf_bytes(d, 2);
	return p ? be16(p) : 0;
}

uint32_t decbuf_be32(decbuf *d)
{
	const uint8_t *p = decbuf_bytes(d, 4);
	return p ? be32(p) : 0;
}

uint64_t decbuf_be64(decbuf *d)
{
	const uint8_t *p = decbuf_bytes(d, 8);
	return p ? be64(p) : 0;
}

uint64_t decbuf_uvarint(decbuf *d)
{
	if (d->err)
		return 0;
	uint64_t v;
	int n = uvarint_get(d->p, decbuf_len(d), &v);
	if (n <= 0) {
		d->err = FL_ECORRUPT;
		return 0;
	}
	d->p += n;
	return v;
}

int64_t decbuf_varint(decbuf *d)
{
	uint64_t u = decbuf_uvarint(d);
	int64_t x = (int64_t)(u >> 1);
	if (u & 1)
		x = ~x;
	return x;
}

const uint8_t *decbuf_bytes(decbuf *d, size_t n)
{
	if (!need(d, n))
		return NULL;
	const uint8_t *p = d->p;
	d->p += n;
	return p;
}

slice decbuf_uvarint_str(decbuf *d)
{
	slice s = {"", 0};
	uint64_t n = decbuf_uvarint(d);
	if (d->err)
		return s;
	if (n > decbuf_len(d)) {
		d->err = FL_ECORRUPT;
		return s;
	}
	s.p = (const char *)d->p;
	s.len = (size_t)n;
	d->p += n;
	return s;
}
