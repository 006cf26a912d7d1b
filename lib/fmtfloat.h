/*
 * fmtfloat.h - numbers and strings formatted exactly as Go (and so
 * Prometheus and promtool) format them.
 *
 *   fmt_go_g        strconv.FormatFloat(v, 'g', -1, 64): promtool's dump, %g
 *   fmt_api_float   the HTTP API's sample value (util/jsonutil MarshalFloat)
 *   fmt_api_time    the HTTP API's timestamp, seconds with 3 decimals
 *   fmt_go_quote    strconv.Quote, for label values in `{a="b"}` text
 *
 * All float formats use the shortest decimal digits that parse back to the
 * same double (Go's Ryu "shortest"; when several shortest strings round-trip
 * the one closest to the exact value). Exponents have at least two digits
 * ("1e+06", "5e-324"). NaN prints "NaN" (any payload, including the stale
 * marker), infinities "+Inf" and "-Inf".
 *
 * Output buffers must hold FMT_FLOAT_MAX bytes; the functions write a
 * NUL-terminated string and return its length.
 */
#ifndef FL_FMTFLOAT_H
#define FL_FMTFLOAT_H

#include "lib/buf.h"
#include "lib/fl.h"

#define FMT_FLOAT_MAX 40

/* Shortest round-trip digits of |v| (v finite, non-zero): writes up to 17
 * ASCII digits without trailing zeros into digs and returns their number;
 * *dp is the decimal point position (v = 0.digs * 10^dp), as Go's
 * decimalSlice. */
int fmt_shortest_digits(double v, char digs[18], int *dp);

/* strconv.FormatFloat(v, 'g', -1, 64): "0", "-0", "42", "123456", "1e+06",
 * "8.102914513208708e+09", "0.30000000000000004", "1e-05", "5e-324". */
int fmt_go_g(char *out, double v);

/* The API's value string: 'f' -1, but 'e' -1 when 0 < |v| < 1e-6 or
 * |v| >= 1e21: "1e+21", "1.5e-07", "0.000001", "0", "-0". */
int fmt_api_float(char *out, double v);

/* strconv.FormatFloat(v, 'f', -1, 64): plain decimal whatever the size
 * (1e300 is 301 digits), so out needs FMT_FLOAT_F_MAX bytes. */
#define FMT_FLOAT_F_MAX 400
int fmt_go_f(char *out, double v);

/* strconv.FormatFloat(v, 'e', -1, 64): "0e+00", "-0e+00", "1.5e-07",
 * "2.9999999999999996e+00" ('E' is the same with the letter upper-cased). */
int fmt_go_e(char *out, double v);

/* The API's timestamp: ms as seconds, "1435781451.500" or "1435781451". */
int fmt_api_time(char *out, int64_t ms);

/* Append s (n bytes) as Go's strconv.Quote would, with the surrounding
 * double quotes: `"` and `\` backslashed, \a \b \f \n \r \t \v, other
 * control and non-printable runes as \xNN, \uNNNN or \UNNNNNNNN, invalid
 * UTF-8 bytes as \xNN; printable UTF-8 kept as is. */
void fmt_go_quote(buf *b, const char *s, size_t n);

#endif
