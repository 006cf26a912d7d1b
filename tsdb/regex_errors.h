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

/*
 * Go's regexp API as Prometheus uses it, over PCRE2 (tsdb/regex_expand.c);
 * shared by relabeling (tsdb/relabel.c) and PromQL's label_replace.
 */
#include "lib/buf.h"

/* Compile Prometheus's anchored form of v, "^(?s:" v ")$" (relabel.NewRegexp,
 * label_replace), JIT when available. The result matches by search as
 * Go's does, so a pattern like `a)|(b` means what it means to Prometheus,
 * and errors quote the wrapped text as Go's do. NULL with e set. */
pcre2_code *regex_compile_anchored(const char *v, err *e);
/* This thread's match data, with room for code's groups; valid until the
 * next call on this thread. NULL when out of memory. */
pcre2_match_data *regex_match_data(const pcre2_code *code);
/* pcre2_match from start with a match limit (a pattern that backtracks
 * past it is a no match: RE2 never fails, PCRE2 would hang). The groups
 * set, >= 1, or a negative PCRE2 code (PCRE2_ERROR_NOMATCH, the limit).
 * Invalid UTF-8 in s is allowed; such a byte matches no pattern item. */
int regex_match(const pcre2_code *code, const char *s, size_t len, size_t start, pcre2_match_data *md);
/* Go's Regexp.Expand: append tmpl to out with "$1", "${1}", "$name",
 * "${name}" replaced by that group of subj (ov: the ovector of the match,
 * n_groups = regex_match's result) and "$$" by "$". A name is the longest
 * run of letters, digits and '_' (Go: "$1x" is group "1x"); a bad or
 * unterminated reference is copied as text; an unknown or unset group,
 * a number with a leading zero or of 1e8 and over, expand to "". */
void regex_expand(buf *out, const char *tmpl, const pcre2_code *code, const char *subj, const PCRE2_SIZE *ov,
		  int n_groups);

#endif
