/*
 * md5.h - MD5 (RFC 1321), for relabeling's hashmod action, which must pick
 * the same shard as Prometheus (model/relabel: crypto/md5 of the joined
 * source values). Not for security.
 */
#ifndef FL_MD5_H
#define FL_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct md5_ctx {
	uint32_t h[4];     /* running state A, B, C, D */
	uint64_t n;        /* bytes hashed so far */
	uint8_t blk[64];   /* pending partial block */
	size_t blk_len;    /* bytes in blk */
} md5_ctx;

void md5_init(md5_ctx *c);
void md5_update(md5_ctx *c, const void *p, size_t n);
void md5_final(md5_ctx *c, uint8_t out[16]);
/* One-shot digest of p[0..n). */
void md5_sum(const void *p, size_t n, uint8_t out[16]);

#endif
