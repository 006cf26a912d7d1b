/*
 * timeparse.h - the time and duration grammars of Prometheus's HTTP API
 * (web/api/v1/api.go parseTime/parseDuration) and of its configuration and
 * PromQL (prometheus/common model.ParseDuration).
 *
 * Times: float seconds ("1435781451.781", "-1.5", "4"; the fraction rounded
 * to milliseconds as Prometheus does with math.Round), RFC 3339 with an
 * optional fraction and Z or +hh:mm offset, or the two sentinels Prometheus
 * prints for its own min/max time. Results in int64 milliseconds.
 * Durations for step/timeout: float seconds or a model duration; results in
 * nanoseconds (like Go's time.Duration), so a caller can tell 0.0001s from 0.
 * Model durations: [0-9]+ with units y w d h m s ms, largest first, each at
 * most once ("1h30m", "5m", "1d", "0"); y = 365d, w = 7d.
 */
#ifndef FL_TIMEPARSE_H
#define FL_TIMEPARSE_H

#include "lib/buf.h"
#include "lib/err.h"

/* Prometheus's API min/max times (time.Unix(MinInt64/1000+62135596801, 0),
 * time.Unix(MaxInt64/1000-62135596801, 999999999)) in ms. */
#define TIME_API_MIN_MS (-9223309901257974000LL)
#define TIME_API_MAX_MS (9223309901257974999LL)

/* Returns 0, or FL_EINVAL with `cannot parse "s" to a valid timestamp`. */
int timeparse_time(const char *s, int64_t *ms, err *e);
/* Float seconds or model duration, in ns. FL_EINVAL with
 * `cannot parse "s" to a valid duration` (or "... It overflows int64"). */
int timeparse_duration(const char *s, int64_t *ns, err *e);
/* model.ParseDuration over s[0..n) in ms. FL_EINVAL with Prometheus's
 * messages: `empty duration string`, `not a valid duration string: "s"`,
 * `duration out of range`. */
int timeparse_model_duration(const char *s, size_t n, int64_t *ms, err *e);
/* Parse RFC 3339 ("2006-01-02T15:04:05.999999999Z07:00") into ms (floor). */
int timeparse_rfc3339(const char *s, int64_t *ms);
/* Append ms as Go's RFC3339Nano in UTC ("2026-11-25T13:45:01.123Z",
 * fraction without trailing zeros). */
void timeparse_format_rfc3339(buf *b, int64_t ms);
/* Append ms as a model duration ("1h30m", "15d", "0s"): largest units first. */
void timeparse_format_duration(buf *b, int64_t ms);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t timeparse_days_from_civil(int64_t y, unsigned m, unsigned d);
void timeparse_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
