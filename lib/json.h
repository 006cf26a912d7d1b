/*
 * json.h - a streaming JSON writer into a buf (the answers of the HTTP API).
 *
 * The writer tracks nesting so callers never write commas or colons:
 *   json_w j; json_init(&j, &b);
 *   json_obj_open(&j); json_key(&j, "status"); json_str(&j, "success"); ...
 *   json_obj_close(&j);
 * Strings are escaped the way Prometheus's encoder (json-iterator in its
 * standard-library-compatible mode) escapes them: `"` and `\` with a
 * backslash, \n \r \t, other control characters as \u00XX, the HTML
 * characters < > & as \u003c \u003e \u0026, U+2028/U+2029 as \u2028/\u2029,
 * and invalid UTF-8 bytes as \ufffd. Output is therefore always valid UTF-8.
 *
 * Invariant: depth <= JSON_MAX_DEPTH; deeper nesting is a caller bug (assert).
 */
#ifndef FL_JSON_H
#define FL_JSON_H

#include "lib/buf.h"

#define JSON_MAX_DEPTH 64

typedef struct json_w {
	buf *b;          /* output, borrowed */
	int depth;       /* open containers */
	uint64_t nonempty; /* bit d: container at depth d already has an element */
	bool after_key;  /* a key was written; the next value needs no comma */
} json_w;

void json_init(json_w *j, buf *b);
void json_obj_open(json_w *j);
void json_obj_close(json_w *j);
void json_arr_open(json_w *j);
void json_arr_close(json_w *j);
/* Object key (escaped); the next call writes its value. */
void json_key(json_w *j, const char *k);
void json_str(json_w *j, const char *s);       /* NULL writes null */
void json_strn(json_w *j, const char *s, size_t n);
void json_int(json_w *j, int64_t v);
void json_bool(json_w *j, bool v);
void json_null(json_w *j);
/* A float64 the way Go's encoding/json writes numbers ('f' form, 'e' form
 * below 1e-6 or from 1e21, shortest round-trip); NaN/Inf are written as null. */
void json_num(json_w *j, double v);
/* A value already encoded as JSON (a number text, a nested document). */
void json_raw(json_w *j, const char *s, size_t n);

/* Convenience: key + value. */
static inline void json_kstr(json_w *j, const char *k, const char *v) { json_key(j, k); json_str(j, v); }
static inline void json_kint(json_w *j, const char *k, int64_t v) { json_key(j, k); json_int(j, v); }
static inline void json_kbool(json_w *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

/* Append s (n bytes) as a quoted, escaped JSON string. */
void json_put_string(buf *b, const char *s, size_t n);

#endif
