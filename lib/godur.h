/*
 * godur.h - Go's time.Duration text forms: time.ParseDuration (the grammar
 * of kingpin's Duration flags in promtool: "1h", "1.5s", "300ms", "2h45m")
 * and Duration.String ("1h0m0s", "1m30s", "1.5s", "500ms", "0s").
 * Durations are int64 nanoseconds, as Go's.
 */
#ifndef FL_GODUR_H
#define FL_GODUR_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

/* time.ParseDuration: 0, or FL_EINVAL with Go's message
 * (`time: invalid duration "x"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "d" in duration "1d"`). */
int godur_parse(const char *s, int64_t *ns, err *e);
/* Append Duration.String() of ns. */
void godur_format(buf *b, int64_t ns);

#endif
