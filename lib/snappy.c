/*
 * snappy.c - snappy block decoder (see snappy.h).
 *
 * Format (google/snappy format_description.txt): a uvarint of the decoded
 * length (at most 5 bytes, < 2^32), then elements, each a tag byte:
 *   tag & 3 == 0  literal: length-1 in tag >> 2 (0..59), or 60..63 meaning
 *                 1..4 little-endian bytes follow holding length-1; then
 *                 the bytes
 *   tag & 3 == 1  copy: length 4 + (tag >> 2 & 7), offset (tag >> 5) << 8
 *                 | the next byte
 *   tag & 3 == 2  copy: length 1 + (tag >> 2), offset: 2 bytes LE
 *   tag & 3 == 3  copy: length 1 + (tag >> 2), offset: 4 bytes LE
 * A copy repeats the length bytes found offset bytes back (1 <= offset <=
 * bytes written; the ranges may overlap, repeating a pattern).
 *
 * Validity, as libsnappy decides it: every element whole inside the input;
 * a literal's length computed in 32 bits (4 bytes of all ones wrap to an
 * empty literal, as there); no output past the declared length; a copy's
 * offset in 1..written; and at the end of the input exactly the declared
 * length written.
 *
 * Speed: Prometheus's records are short literals and short copies
 * (golang/snappy copies at most 64 bytes at a time), so both are copied
 * 16 bytes at a time, past their end into the SNAPPY_DEC_SLACK bytes dst
 * has beyond the length; a literal reads 16 bytes only while 16 remain in
 * src; a copy whose offset is under 16 goes 8 or 1 byte(s) at a time so
 * that each read sees bytes already written.
 */
#include "lib/snappy.h"

static inline void copy16(uint8_t *d, const uint8_t *s) { memcpy(d, s, 16); }
static inline void copy8(uint8_t *d, const uint8_t *s) { memcpy(d, s, 8); }

static inline uint32_t le32n(const uint8_t *p, unsigned n) /* n in 1..4 */
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

bool snappy_dec_length(const uint8_t *src, size_t n, size_t *len, size_t *hdr)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 5 && i < n; i++) {
		uint32_t b = src[i];
		if (i == 4 && b > 15)
			return false; /* too long for 32 bits */
		v |= (b & 127) << (7 * i);
		if (b < 128) {
			*len = v;
			*hdr = i + 1;
			return true;
		}
	}
	return false;
}

/* Copy n (1..64) bytes from off back (off in 1..written) to d, into the
 * slack when the pattern allows. */
static inline void copy_back(uint8_t *d, size_t off, uint32_t n)
{
	const uint8_t *s = d - off;
	if (off >= 16) {
		for (uint32_t i = 0; i < n; i += 16)
			copy16(d + i, s + i);
	} else if (off >= 8) {
		for (uint32_t i = 0; i < n; i += 8)
			copy8(d + i, s + i);
	} else {
		for (uint32_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

bool snappy_dec(const uint8_t *src, size_t n, uint8_t *dst, size_t len)
{
	size_t want, hdr;
	if (!snappy_dec_length(src, n, &want, &hdr) || want != len)
		return false;
	const uint8_t *ip = src + hdr, *iend = src + n;
	uint8_t *op = dst, *oend = dst + len;
	while (ip < iend) {
		uint8_t tag = *ip++;
		uint32_t k = tag >> 2;
		if ((tag & 3) == 0) {
			uint32_t lit = k + 1;
			if (k >= 60) {
				unsigned nb = k - 59;
				if ((size_t)(iend - ip) < nb)
					return false;
				lit = le32n(ip, nb) + 1; /* 32 bits: wraps as libsnappy's */
				ip += nb;
			}
			if (lit > (size_t)(iend - ip) || lit > (size_t)(oend - op))
				return false;
			if (lit <= 16 && iend - ip >= 16)
				copy16(op, ip);
			else
				memcpy(op, ip, lit);
			ip += lit;
			op += lit;
			continue;
		}
		uint32_t cn, off;
		if ((tag & 3) == 1) {
			if (ip >= iend)
				return false;
			cn = 4 + (k & 7);
			off = (uint32_t)(tag >> 5) << 8 | *ip++;
		} else if ((tag & 3) == 2) {
			if (iend - ip < 2)
				return false;
			cn = k + 1;
			off = le32n(ip, 2);
			ip += 2;
		} else {
			if (iend - ip < 4)
				return false;
			cn = k + 1;
			off = le32n(ip, 4);
			ip += 4;
		}
		if (off == 0 || off > (size_t)(op - dst) || cn > (size_t)(oend - op))
			return false;
		copy_back(op, off, cn);
		op += cn;
	}
	return op == oend;
}
