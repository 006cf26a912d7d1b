/*
 * godur.c - Go's time.ParseDuration and Duration.String (src/time/format.go).
 *
 * Parse: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with units ns, us, µs (U+00B5 or
 * U+03BC), ms, s, m, h; a lone "0" is zero. Each number is scaled by its
 * unit with the fraction rounded down to nanoseconds, as Go does; the sum
 * must fit in int64 (Go: `time: invalid duration`).
 * String: below one second a single unit (ns, µs, ms) with a trimmed
 * fraction; from one second on h, m and s with up to nine fraction digits,
 * hours and minutes shown only when non-zero from the left ("1h0m0s").
 */
#include "lib/godur.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int invalid(err *e, const char *what, const char *s)
{
	return err_set(e, FL_EINVAL, "time: %s \"%s\"", what, s);
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
	{"ms", 1000000}, {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull},
};

int godur_parse(const char *s, int64_t *ns, err *e)
{
	const char *orig = s, *p = s;
	bool neg = false;
	uint64_t d = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return invalid(e, "invalid duration", orig);
	while (*p) {
		uint64_t v = 0, f = 0, scale = 1;
		bool pre = false, post = false, overflow = false;
		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			return invalid(e, "invalid duration", orig);
		for (; *p >= '0' && *p <= '9'; p++, pre = true) {
			if (v > (UINT64_C(1) << 63) / 10)
				return invalid(e, "invalid duration", orig);
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > UINT64_C(1) << 63)
				return invalid(e, "invalid duration", orig);
		}
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++, post = true) {
				if (overflow)
					continue;
				if (f > (UINT64_C(1) << 63) / 10) {
					overflow = true;
					continue;
				}
				f = f * 10 + (uint64_t)(*p - '0');
				scale *= 10;
				if (f > UINT64_C(1) << 63 || scale > UINT64_C(1) << 62)
					overflow = true;
			}
		}
		if (!pre && !post)
			return invalid(e, "invalid duration", orig);
		const char *u = p;
		while (*p && *p != '.' && !(*p >= '0' && *p <= '9'))
			p++;
		if (u == p)
			return invalid(e, "missing unit in duration", orig);
		uint64_t unit = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].name) == (size_t)(p - u) && !memcmp(units[i].name, u, (size_t)(p - u)))
				unit = units[i].ns;
		if (!unit)
			return err_set(e, FL_EINVAL, "time: unknown unit \"%.*s\" in duration \"%s\"", (int)(p - u), u, orig);
		if (v > (UINT64_C(1) << 63) / unit)
			return invalid(e, "invalid duration", orig);
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / (double)scale));
			if (v > UINT64_C(1) << 63)
				return invalid(e, "invalid duration", orig);
		}
		d += v;
		if (d > UINT64_C(1) << 63)
			return invalid(e, "invalid duration", orig);
	}
	if (neg) {
		*ns = (int64_t)(0 - d);
		return 0;
	}
	if (d > (uint64_t)INT64_MAX)
		return invalid(e, "invalid duration", orig);
	*ns = (int64_t)d;
	return 0;
}

void godur_format(buf *b, int64_t d)
{
	uint64_t u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
	if (u == 0) {
		buf_put_str(b, "0s");
		return;
	}
	if (d < 0)
		buf_put_byte(b, '-');
	int prec = 9;
	const char *unit = "s";
	if (u < 1000000000ull) {
		prec = u < 1000 ? 0 : u < 1000000 ? 3 : 6;
		unit = u < 1000 ? "ns" : u < 1000000 ? "\xc2\xb5s" : "ms";
	}
	uint64_t p10 = 1;
	for (int i = 0; i < prec; i++)
		p10 *= 10;
	uint64_t ip = u / p10, fp = u % p10;
	char fr[24] = "";
	if (fp) {
		snprintf(fr, sizeof fr, ".%0*" PRIu64, prec, fp);
		size_t n = strlen(fr);
		while (fr[n - 1] == '0')
			fr[--n] = 0;
	}
	if (prec < 9) {
		buf_printf(b, "%" PRIu64 "%s%s", ip, fr, unit);
		return;
	}
	uint64_t h = ip / 3600, m = ip / 60 % 60, s = ip % 60;
	if (h)
		buf_printf(b, "%" PRIu64 "h%" PRIu64 "m", h, m);
	else if (m)
		buf_printf(b, "%" PRIu64 "m", m);
	buf_printf(b, "%" PRIu64 "%ss", s, fr);
}
