/*
 * err.h - error codes (one X-macro table, like libuv's UV_ERRNO_MAP) and an
 * error value that carries a human message naming the thing and the reason:
 *   "wal: segment 00000003: record at offset 12288: crc mismatch"
 *
 * Functions that can fail return 0 or a negative FL_E* code and fill an
 * `err *` (which may be NULL when the caller does not care).
 */
#ifndef FL_ERR_H
#define FL_ERR_H

#include <stdarg.h>

#define FL_ERRNO_MAP(X)                                            \
	X(NOMEM, -1, "out of memory")                                \
	X(IO, -2, "i/o error")                                       \
	X(CORRUPT, -3, "corrupt data")                               \
	X(INVAL, -4, "invalid argument")                             \
	X(NOTFOUND, -5, "not found")                                 \
	X(OUT_OF_ORDER, -6, "out of order sample")                   \
	X(DUPLICATE, -7, "duplicate sample for timestamp")           \
	X(TOO_OLD, -8, "out of bounds")                              \
	X(UNSUPPORTED, -9, "unsupported")                            \
	X(PARSE, -10, "parse error")                                 \
	X(TIMEOUT, -11, "timeout")                                   \
	X(CANCELED, -12, "canceled")                                 \
	X(LIMIT, -13, "limit exceeded")                              \
	X(EXEC, -14, "execution error")                              \
	X(UNAVAILABLE, -15, "unavailable")

enum {
#define FL_ERR_ENUM(name, val, msg) FL_E##name = val,
	FL_ERRNO_MAP(FL_ERR_ENUM)
#undef FL_ERR_ENUM
};

#define ERR_MSG_CAP 512

typedef struct err {
	int code;              /* 0 or FL_E* */
	char msg[ERR_MSG_CAP]; /* NUL-terminated message, "" when code == 0 */
} err;

/* Default text for a code ("corrupt data"). */
const char *fl_strerror(int code);

/* Set e (if not NULL) and return code, so `return err_set(e, FL_EIO, ...)` works. */
int err_set(err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_setv(err *e, int code, const char *fmt, va_list ap);
/* Prefix an existing message: "ctx: old message". Returns e->code, or 0
 * when e is NULL: callers return their own code, not this. */
int err_wrap(err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void err_clear(err *e) { if (e) { e->code = 0; e->msg[0] = 0; } }

#endif
