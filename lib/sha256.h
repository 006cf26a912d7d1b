/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for AWS
 * Signature Version 4 (remote/sigv4.c). Our own implementation: flint
 * takes no crypto library for two hashes.
 */
#ifndef FL_SHA256_H
#define FL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32   /* digest bytes */
#define SHA256_BLOCK 64 /* block bytes */

typedef struct sha256_ctx {
	uint32_t h[8];              /* running state H0..H7 */
	uint64_t n;                 /* bytes hashed so far */
	uint8_t blk[SHA256_BLOCK];  /* pending partial block */
	size_t blk_len;             /* bytes in blk */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *p, size_t n);
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_LEN]);
/* One-shot digest of p[0..n). */
void sha256_sum(const void *p, size_t n, uint8_t out[SHA256_LEN]);
/* HMAC-SHA256 of msg[0..msg_len) under key[0..key_len). */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, uint8_t out[SHA256_LEN]);
/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void sha256_hex(const uint8_t *p, size_t n, char *out);

#endif
