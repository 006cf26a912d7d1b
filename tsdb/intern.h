/*
 * intern.h - string interning for the head: every distinct label name and
 * value is stored once and named by a dense 32-bit id (1, 2, ...), so a
 * series keeps its labels as pairs of ids (8 bytes a pair) and postings are
 * keyed by id pairs.
 *
 * Strings live until the pool is freed (the head's lifetime); ids are never
 * reused. intern_str is lock-free; intern_id takes one of the pool's striped
 * mutexes. Safe for concurrent use.
 */
#ifndef FL_INTERN_H
#define FL_INTERN_H

#include "lib/fl.h"

typedef struct intern intern;

intern *intern_new(void);
/* Frees every string. NULL is a no-op. */
void intern_free(intern *in);
/* Id of s[0..len) (no NUL inside), adding it if new; 0 on OOM. */
uint32_t intern_id(intern *in, const char *s, size_t len);
/* Id of s if present, else 0 (never adds). */
uint32_t intern_lookup(intern *in, const char *s, size_t len);
/* NUL-terminated string of a valid id: borrowed, valid until intern_free. */
const char *intern_str(const intern *in, uint32_t id);
/* Number of distinct strings. */
uint32_t intern_count(const intern *in);
/* Bytes held (strings, tables), for stats. */
size_t intern_bytes(const intern *in);

#endif
