/*
 * jsonr.h - a pull reader for JSON documents (RFC 8259), for the answers of
 * Prometheus's HTTP API that flinttool reads back (query_range).
 *
 * The caller walks the document in its expected shape; anything else can
 * be skipped whole:
 *   jsonr r; jsonr_init(&r, text, len);
 *   if (jsonr_obj_begin(&r)) while (jsonr_obj_key(&r, &key) == 1) {
 *       if (!strcmp(buf_cstr(&key), "status")) jsonr_str(&r, &val);
 *       else jsonr_skip(&r);
 *   }
 *   jsonr_end(&r);  then r.err (0 or FL_EPARSE) and r.msg
 * Errors are sticky: after the first, every call returns 0/false and does
 * nothing; read r.err once at the end. Strings are decoded (escapes,
 * surrogate pairs; a lone surrogate becomes U+FFFD as in Go's
 * encoding/json). Nesting is bounded by JSONR_MAX_DEPTH, so input never
 * drives unbounded recursion.
 */
#ifndef FL_JSONR_H
#define FL_JSONR_H

#include "lib/buf.h"

#define JSONR_MAX_DEPTH 128

typedef enum jsonr_type {
	JSONR_NONE, /* end of input or an error */
	JSONR_OBJ,
	JSONR_ARR,
	JSONR_STR,
	JSONR_NUM,
	JSONR_TRUE,
	JSONR_FALSE,
	JSONR_NULL,
} jsonr_type;

typedef struct jsonr {
	const char *p, *end; /* unread input */
	const char *start;   /* of the document (error offsets) */
	int depth;           /* open containers */
	uint8_t open[JSONR_MAX_DEPTH + 1]; /* per open container: 1 no element read yet, | 2 an object */
	int err;             /* 0 or FL_EPARSE / FL_ENOMEM (sticky) */
	char msg[160];       /* the first error */
} jsonr;

void jsonr_init(jsonr *r, const char *s, size_t n);
/* The type of the next value (without consuming it). */
jsonr_type jsonr_peek(jsonr *r);
/* '{': true when an object was opened. */
bool jsonr_obj_begin(jsonr *r);
/* The next key of the open object into key (cleared first): 1, or 0 at
 * its closing '}' (consumed), or 0 on error. */
int jsonr_obj_key(jsonr *r, buf *key);
/* '[': true when an array was opened. */
bool jsonr_arr_begin(jsonr *r);
/* 1 when another element follows in the open array, 0 at its ']'
 * (consumed) or on error. */
int jsonr_arr_next(jsonr *r);
/* A string value, decoded into out (cleared first). */
bool jsonr_str(jsonr *r, buf *out);
/* A number's text, borrowed from the input (*s, *n). */
bool jsonr_num(jsonr *r, const char **s, size_t *n);
/* A null, consumed: true; else false and nothing read (Go decodes null
 * into a map, slice or struct as no value). */
bool jsonr_null(jsonr *r);
/* Any value, skipped whole (validated). */
bool jsonr_skip(jsonr *r);
/* Only white space may remain. */
bool jsonr_end(jsonr *r);
/* Set the sticky error (for a caller's shape check): FL_EPARSE with msg. */
void jsonr_fail(jsonr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
