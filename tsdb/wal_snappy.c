/*
 * wal_snappy.c - a snappy block encoder that emits exactly the bytes of
 * golang/snappy's Encode (the encoder Prometheus compresses WAL records
 * with), so that flint's compressed WAL records are byte-identical to
 * Prometheus's. libsnappy decodes them (any valid snappy stream decodes);
 * libsnappy's own encoder chooses matches differently, which would leave
 * the WAL valid but not identical (it differs in 230 of the 233 compressed
 * full records of the golden wal-remote-write segment).
 *
 * Format (snappy "block" format): uvarint uncompressed length, then
 * elements: literal (tag 00: length-1 in the tag's upper 6 bits, or 60/61
 * meaning 1/2 extra length bytes), copy with 1-byte offset (tag 01: length
 * 4..11, offset < 2048), copy with 2-byte offset (tag 10: length 1..64).
 *
 * The algorithm is golang/snappy's (encode_other.go), re-expressed in C:
 * input in blocks of 64 KiB; blocks under 17 bytes are one literal; else a
 * hash table of 2^8..2^14 u16 positions (hash = (u32 * 0x1e35a7bd) >>
 * shift over 4 little-endian bytes), a skip that grows by one every 32
 * misses, matches extended byte by byte, long copies split into 64-byte
 * pieces (60 when what is left would be 65..67), and after each copy the
 * positions s-1 and s rehashed to look for an immediate next match.
 * Verified against every compressed record of the golden WALs
 * (tests/unit/test_wal.c).
 */
#include "tsdb/wal.h"

#include "lib/buf.h"

#define MAX_BLOCK 65536
#define INPUT_MARGIN 15 /* bytes kept back from the end so 8-byte loads stay inside */
#define MIN_NONLITERAL_BLOCK (1 + 1 + INPUT_MARGIN)
#define MAX_TABLE_BITS 14

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load64(const uint8_t *p) { return (uint64_t)load32(p) | (uint64_t)load32(p + 4) << 32; }

static inline uint32_t shash(uint32_t u, int shift) { return (u * 0x1e35a7bdu) >> shift; }

static size_t emit_literal(uint8_t *d, const uint8_t *lit, size_t n)
{
	size_t i, m = n - 1;
	if (m < 60) {
		d[0] = (uint8_t)(m << 2);
		i = 1;
	} else if (m < 256) {
		d[0] = 60 << 2;
		d[1] = (uint8_t)m;
		i = 2;
	} else {
		d[0] = 61 << 2;
		d[1] = (uint8_t)m;
		d[2] = (uint8_t)(m >> 8);
		i = 3;
	}
	memcpy(d + i, lit, n);
	return i + n;
}

static size_t copy2(uint8_t *d, size_t offset, size_t length)
{
	d[0] = (uint8_t)((length - 1) << 2 | 2);
	d[1] = (uint8_t)offset;
	d[2] = (uint8_t)(offset >> 8);
	return 3;
}

static size_t emit_copy(uint8_t *d, size_t offset, size_t length)
{
	size_t i = 0;
	while (length >= 68) {
		i += copy2(d + i, offset, 64);
		length -= 64;
	}
	if (length > 64) {
		i += copy2(d + i, offset, 60);
		length -= 60;
	}
	if (length >= 12 || offset >= 2048)
		return i + copy2(d + i, offset, length);
	d[i] = (uint8_t)((offset >> 8) << 5 | (length - 4) << 2 | 1);
	d[i + 1] = (uint8_t)offset;
	return i + 2;
}

/* Encode one block of MIN_NONLITERAL_BLOCK..MAX_BLOCK bytes. */
static size_t encode_block(uint8_t *dst, const uint8_t *src, size_t n)
{
	uint16_t table[1 << MAX_TABLE_BITS];
	int shift = 32 - 8;
	size_t tsize = 1 << 8;
	while (tsize < (1 << MAX_TABLE_BITS) && tsize < n) {
		tsize *= 2;
		shift--;
	}
	memset(table, 0, tsize * sizeof table[0]);
	size_t s_limit = n - INPUT_MARGIN, next_emit = 0, s = 1, d = 0;
	uint32_t next_hash = shash(load32(src + s), shift);
	for (;;) {
		size_t skip = 32, next_s = s, cand;
		do { /* look for a 4-byte match, skipping faster the longer it fails */
			s = next_s;
			size_t step = skip >> 5;
			next_s = s + step;
			skip += step;
			if (next_s > s_limit)
				goto remainder;
			cand = table[next_hash];
			table[next_hash] = (uint16_t)s;
			next_hash = shash(load32(src + next_s), shift);
		} while (load32(src + s) != load32(src + cand));
		d += emit_literal(dst + d, src + next_emit, s - next_emit);
		for (;;) { /* emit copies while the next position matches right away */
			size_t base = s, i = cand + 4;
			for (s += 4; s < n && src[i] == src[s]; i++, s++)
				;
			d += emit_copy(dst + d, base - cand, s - base);
			next_emit = s;
			if (s >= s_limit)
				goto remainder;
			uint64_t x = load64(src + s - 1);
			table[shash((uint32_t)x, shift)] = (uint16_t)(s - 1);
			uint32_t h = shash((uint32_t)(x >> 8), shift);
			cand = table[h];
			table[h] = (uint16_t)s;
			if ((uint32_t)(x >> 8) != load32(src + cand)) {
				next_hash = shash((uint32_t)(x >> 16), shift);
				s++;
				break;
			}
		}
	}
remainder:
	if (next_emit < n)
		d += emit_literal(dst + d, src + next_emit, n - next_emit);
	return d;
}

size_t wal_snappy_max_len(size_t n) { return 32 + n + n / 6; }

size_t wal_snappy_encode(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t d = (size_t)uvarint_put(dst, n);
	while (n > 0) {
		size_t k = n > MAX_BLOCK ? MAX_BLOCK : n;
		d += k < MIN_NONLITERAL_BLOCK ? emit_literal(dst + d, src, k) : encode_block(dst + d, src, k);
		src += k;
		n -= k;
	}
	return d;
}
