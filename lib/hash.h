/*
 * hash.h - xxhash64 (seed 0, as Prometheus hashes label sets with
 * cespare/xxhash) via libxxhash, and CRC32-Castagnoli (WAL, chunks, index).
 */
#ifndef FL_HASH_H
#define FL_HASH_H

#include "lib/fl.h"

uint64_t hash_xxh64(const void *p, size_t n);


/* CRC32-Castagnoli, continued from crc (start with 0). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
