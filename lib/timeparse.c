/*
 * timeparse.c - see timeparse.h. Mirrors web/api/v1/api.go (parseTime,
 * parseDuration) and prometheus/common model/time.go (ParseDuration).
 * Calendar arithmetic is Howard Hinnant's days_from_civil, valid for every
 * year an int64 millisecond can reach.
 */
#include "lib/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

int64_t timeparse_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void timeparse_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

void timeparse_format_rfc3339(buf *b, int64_t ms)
{
	int64_t days = floordiv(ms, 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	unsigned mo, d;
	timeparse_civil_from_days(days, &y, &mo, &d);
	int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60), frac = (int)(rem % 1000);
	if (y < 0)
		buf_printf(b, "-%04lld", (long long)-y);
	else
		buf_printf(b, "%04lld", (long long)y);
	buf_printf(b, "-%02u-%02uT%02d:%02d:%02d", mo, d, h, mi, s);
	if (frac) {
		char t[8];
		snprintf(t, sizeof t, ".%03d", frac);
		size_t n = strlen(t);
		while (t[n - 1] == '0')
			n--;
		buf_put(b, t, n);
	}
	buf_put_byte(b, 'Z');
}

/* Go's strconv.ParseFloat over a whole NUL-terminated string. */
static bool parse_go_float(const char *s, double *v)
{
	if (!*s || isspace((unsigned char)*s))
		return false;
	const char *p = s + (*s == '+' || *s == '-');
	if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity")) {
		*v = *s == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!strcasecmp(p, "nan")) {
		*v = NAN;
		return true;
	}
	/* Reject what strtod takes but Go does not: nan(...), hex without p. */
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q) && *q != '.' && *q != 'e' && *q != 'E' && *q != '+' && *q != '-')
			return false;
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (*end || end == s)
		return false;
	if (errno == ERANGE && isinf(d))
		return false; /* Go: "value out of range" */
	*v = d;
	return true;
}

static int two(const char *p) { return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) ? (p[0] - '0') * 10 + p[1] - '0' : -1; }

int timeparse_rfc3339(const char *s, int64_t *ms)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n = strlen(s);
	if (n < 20)
		return FL_EINVAL;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return FL_EINVAL;
	int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int mo = two(s + 5), d = two(s + 8), h = two(s + 11), mi = two(s + 14), sec = two(s + 17);
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return FL_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return FL_EINVAL;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if ((unsigned)d > mdays[mo - 1] + (mo == 2 && leap))
		return FL_EINVAL;
	const char *p = s + 19;
	int64_t frac_ms = 0;
	if (*p == '.' || *p == ',') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
		if (!digits)
			return FL_EINVAL;
		for (; digits < 3; digits++)
			frac_ms *= 10;
	}
	int64_t off_s = 0;
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6) { /* "+hh:mm" exactly */
		int oh = two(p + 1), om = two(p + 4);
		if (oh < 0 || oh > 24 || p[3] != ':' || om < 0 || om > 59)
			return FL_EINVAL;
		off_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return FL_EINVAL;
	}
	if (*p)
		return FL_EINVAL;
	int64_t days = timeparse_days_from_civil(y, (unsigned)mo, (unsigned)d);
	*ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - off_s) * 1000 + frac_ms;
	return 0;
}

int timeparse_time(const char *s, int64_t *ms, err *e)
{
	double f;
	if (parse_go_float(s, &f)) {
		if (isnan(f) || f >= 9.2233720368547758e15 || f <= -9.2233720368547758e15) {
			/* Go converts to int64 with overflow; clamp to the API's range */
			*ms = isnan(f) || f < 0 ? TIME_API_MIN_MS : TIME_API_MAX_MS;
			return 0;
		}
		double ip;
		double frac = modf(f, &ip);
		frac = round(frac * 1000) / 1000;
		int64_t sec = (int64_t)ip;
		int64_t nsec = (int64_t)(frac * 1e9);
		/* time.Unix normalizes nsec into [0, 1e9); FromTime floors to ms */
		sec += floordiv(nsec, 1000000000);
		nsec -= floordiv(nsec, 1000000000) * 1000000000;
		*ms = sec * 1000 + nsec / 1000000;
		return 0;
	}
	if (timeparse_rfc3339(s, ms) == 0)
		return 0;
	if (!strcmp(s, "-292273086-05-16T16:47:06Z")) {
		*ms = TIME_API_MIN_MS;
		return 0;
	}
	if (!strcmp(s, "292277026596-12-04T15:30:07.999999999Z")) {
		*ms = TIME_API_MAX_MS;
		return 0;
	}
	return err_set(e, FL_EINVAL, "cannot parse \"%s\" to a valid timestamp", s);
}

int timeparse_duration(const char *s, int64_t *ns, err *e)
{
	double f;
	if (parse_go_float(s, &f)) {
		double t = f * 1e9;
		if (t > 9223372036854775807.0 || t < -9223372036854775808.0)
			return err_set(e, FL_EINVAL, "cannot parse \"%s\" to a valid duration. It overflows int64", s);
		*ns = isnan(t) ? INT64_MIN : (int64_t)t;
		return 0;
	}
	int64_t ms;
	if (timeparse_model_duration(s, strlen(s), &ms, NULL) == 0) {
		*ns = ms * 1000000;
		return 0;
	}
	return err_set(e, FL_EINVAL, "cannot parse \"%s\" to a valid duration", s);
}

int timeparse_model_duration(const char *s, size_t n, int64_t *ms, err *e)
{
	static const struct { const char *u; int64_t mult; } units[] = {
		{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
		{"m", 60000}, {"s", 1000}, {"ms", 1},
	};
	if (n == 1 && s[0] == '0') {
		*ms = 0;
		return 0;
	}
	if (n == 0)
		return err_set(e, FL_EINVAL, "empty duration string");
	size_t i = 0, next_unit = 0;
	int64_t total = 0;
	bool overflow = false;
	while (i < n) {
		size_t start = i;
		uint64_t v = 0;
		bool big = false;
		while (i < n && isdigit((unsigned char)s[i])) {
			v = v * 10 + (uint64_t)(s[i++] - '0');
			if (v > (uint64_t)INT64_MAX / 10)
				big = true;
		}
		if (i == start)
			goto bad;
		size_t u = next_unit;
		for (; u < FL_ARRAY_LEN(units); u++) {
			size_t ul = strlen(units[u].u);
			/* "m" must not take the "m" of "ms" */
			if (i + ul <= n && !memcmp(s + i, units[u].u, ul) && !(ul == 1 && s[i] == 'm' && i + 1 < n && s[i + 1] == 's'))
				break;
		}
		if (u == FL_ARRAY_LEN(units))
			goto bad;
		i += strlen(units[u].u);
		next_unit = u + 1;
		if (big || v > (uint64_t)(INT64_MAX / 1000000 / units[u].mult))
			overflow = true;
		else {
			total += (int64_t)v * units[u].mult;
			if (total > INT64_MAX / 1000000)
				overflow = true;
		}
	}
	if (overflow)
		return err_set(e, FL_EINVAL, "duration out of range");
	*ms = total;
	return 0;
bad:
	return err_set(e, FL_EINVAL, "not a valid duration string: \"%.*s\"", (int)n, s);
}

void timeparse_format_duration(buf *b, int64_t ms)
{
	/* model.Duration.String(): years and weeks only when exact ("90d", not "12w6d") */
	static const struct { const char *u; int64_t ms; bool exact; } units[] = {
		{"y", 365LL * 86400000, true}, {"w", 7LL * 86400000, true}, {"d", 86400000, false},
		{"h", 3600000, false}, {"m", 60000, false}, {"s", 1000, false}, {"ms", 1, false},
	};
	if (ms == 0) {
		buf_put_str(b, "0s");
		return;
	}
	if (ms < 0) {
		buf_put_byte(b, '-');
		ms = -ms;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
		if (units[i].exact && ms % units[i].ms)
			continue;
		if (ms >= units[i].ms) {
			buf_printf(b, "%lld%s", (long long)(ms / units[i].ms), units[i].u);
			ms %= units[i].ms;
		}
	}
}
