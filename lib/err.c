/* err.c - error table and message formatting (see err.h). */
#include "lib/err.h"

#include <stdio.h>
#include <string.h>

const char *fl_strerror(int code)
{
	switch (code) {
	case 0:
		return "ok";
#define FL_ERR_STR(name, val, msg) \
	case val:                  \
		return msg;
		FL_ERRNO_MAP(FL_ERR_STR)
#undef FL_ERR_STR
	}
	return "unknown error";
}

int err_setv(err *e, int code, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	}
	return code;
}

int err_set(err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int err_wrap(err *e, const char *fmt, ...)
{
	if (!e)
		return 0;
	char pre[ERR_MSG_CAP], old[ERR_MSG_CAP];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	snprintf(e->msg, sizeof e->msg, "%s: %s", pre, old);
	return e->code;
}
