/*
 * regex_errors.h - PCRE2 compile with Go regexp/syntax's acceptance and
 * error text ("error parsing regexp: missing closing ): `(`"); see
 * regex_errors.c. Used by tsdb/matcher.c.
 */
#ifndef FL_TSDB_REGEX_ERRORS_H
#define FL_TSDB_REGEX_ERRORS_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdint.h>

#include "lib/err.h"

/* Compile v with options; NULL with e set (FL_EINVAL, Go's message) when RE2 would refuse it. */
pcre2_code *regex_compile_go(const char *v, uint32_t options, err *e);

#endif
