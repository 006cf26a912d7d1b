/*
 * fmtfloat.c - Go-compatible float and time formatting (see fmtfloat.h).
 *
 * Shortest digits (Go strconv's "precision -1", Ryu shortest): the fewest
 * significant decimal digits whose value parses back to the same double.
 * We find them with the C library's correctly rounded printf and strtod:
 *
 *  1. A double's rounding interval is narrower than the spacing of
 *     15-significant-digit decimals, so it holds at most one of them; if
 *     the correctly rounded 15-digit decimal parses back, it is that one,
 *     and any shorter answer is it with trailing zeros stripped. Else we
 *     try 16, then 17 digits (17 always round-trip).
 *  2. The rounding interval of a double is asymmetric at powers of two, so
 *     an N-1-digit decimal may lie inside the interval on the far side
 *     while the nearest N-1-digit decimal lies outside on the near side
 *     (N = 16, 17).
 *     Go (which walks the interval) would print that one, so we also try
 *     the neighbour of the correctly rounded candidate in the direction of
 *     the value, and keep going shorter while that works.
 *  3. Subnormals (wide intervals) binary search N = 1..17 instead, using
 *     that N digits round-trip => N+1 digits do.
 *  4. Integers below 2^53 skip the search: their digits are exact; and
 *     values with up to 15 significant digits and a decimal exponent above
 *     -23 (most samples: 0.5, 12.25, 1e-05) are found by scaling with
 *     powers of ten (short_decimal_digits), without printf or strtod.
 *  5. One 17-digit rounding (digits17: exact 128-bit integer arithmetic
 *     for 1e-6 <~ a < 2^53, else printf) gives the 15- and 16-digit
 *     candidates too,
 *     by rounding its digit string: exact unless the dropped digits read
 *     exactly "50...0" (the 17-digit rounding hid the side of the half);
 *     then the slow path asks printf for each length.
 *
 * Formatting then follows strconv/ftoa.go's formatDigits: 'g' shortest uses
 * the exponent form when the decimal exponent is < -4 or >= 6 (eprec is
 * fixed at 6 for shortest); 'e' has at least two exponent digits.
 */
#include "lib/fmtfloat.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* digits + exponent parsed from "%.*e" output ("d.ddde+XX"), all of them
 * (trailing zeros kept: the neighbour step works on the last place). */
static int parse_e(const char *s, char *digs, int *dp)
{
	int nd = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			digs[nd++] = *s;
	int exp = *s == 'e' ? atoi(s + 1) : 0;
	*dp = exp + 1;
	return nd;
}

static int strip_zeros(const char *digs, int nd)
{
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	return nd;
}

/* The double nearest 0.digs * 10^dp. Clinger's fast path when the digits
 * as an integer m are below 2^53 and the power 10^|e| (e = dp - nd) is at
 * most 10^22: m and 10^|e| are then exact doubles, and one IEEE multiply or
 * divide rounds correctly, as strtod does. Else strtod. */
static double value_of(const char *digs, int nd, int dp)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	int e = dp - nd;
	if (nd <= 17 && e >= -22 && e <= 22) {
		uint64_t m = 0;
		for (int i = 0; i < nd; i++)
			m = m * 10 + (uint64_t)(digs[i] - '0');
		if (m < (1ull << 53))
			return e < 0 ? (double)m / p10[-e] : (double)m * p10[e];
	}
	char s[64];
	int n = 0;
	s[n++] = '.';
	memcpy(s + n, digs, (size_t)nd);
	n += nd;
	snprintf(s + n, sizeof s - (size_t)n, "e%d", dp);
	return strtod(s, NULL);
}

/* The correctly rounded n-significant-digit decimal of a (> 0). */
static int rounded(double a, int n, char *digs, int *dp)
{
	char s[64];
	snprintf(s, sizeof s, "%.*e", n - 1, a);
	return parse_e(s, digs, dp);
}

/* digs (nd digits, dp) moved by one unit in the last place, up or down. */
static int step_last(char *digs, int nd, int *dp, bool up)
{
	int i = nd - 1;
	if (up) {
		while (i >= 0 && digs[i] == '9')
			digs[i--] = '0';
		if (i < 0) { /* 999 -> 1000 */
			digs[0] = '1';
			(*dp)++;
			return 1;
		}
		digs[i]++;
	} else {
		while (i >= 0 && digs[i] == '0')
			digs[i--] = '9';
		if (i < 0)
			return 0;
		digs[i]--;
		if (digs[0] == '0') { /* 1.00 -> 0.99 -> 0.999: stay on the nd-digit grid */
			memmove(digs, digs + 1, (size_t)nd - 1);
			digs[nd - 1] = '9';
			(*dp)--;
		}
	}
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	return nd;
}

/* Decimal digits of m into digs (20 at most); returns their number. */
static int u64_digits(uint64_t m, char *digs)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	for (int i = 0; i < n; i++)
		digs[i] = t[n - 1 - i];
	return n;
}

static int int_digits(double a, char *digs, int *dp)
{
	int n = u64_digits((uint64_t)a, digs);
	*dp = n;
	while (n > 1 && digs[n - 1] == '0')
		n--;
	return n;
}

/* Subnormals have wide intervals: binary search the least N whose correctly
 * rounded N-digit decimal parses back (N digits work => N+1 digits work). */
static int subnormal_digits(double a, char *digs, int *dp)
{
	int lo = 1, hi = 17;
	while (lo < hi) {
		int mid = (lo + hi) / 2, d;
		char t[20];
		int n = rounded(a, mid, t, &d);
		if (value_of(t, n, d) == a)
			hi = mid;
		else
			lo = mid + 1;
	}
	return strip_zeros(digs, rounded(a, lo, digs, dp));
}

/* Values with few digits (0.5, 12.25, 1e-05): the least k such that
 * m = round(a * 10^k) divided by 10^k gives back a (IEEE division is
 * correctly rounded, like strtod). Kept to m < 10^15, where a double's
 * rounding interval holds at most one k-place decimal and the rounded
 * product is that decimal (the product's error is < 0.25). 0 = not found. */
static int short_decimal_digits(double a, char *digs, int *dp)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	for (int k = 1; k <= 22; k++) {
		double p = a * p10[k];
		if (p >= 1e15)
			return 0;
		double m = nearbyint(p);
		if (m / p10[k] != a)
			continue;
		int n = u64_digits((uint64_t)m, digs);
		*dp = n - k;
		return n;
	}
	return 0;
}

/* Round r (17 digits of a, point at dp17) to n digits into t (unstripped,
 * n digits, point *dp). *dir: +1 when t > a, -1 when t < a, 0 unknown
 * (nothing dropped). side: a's side of r (-1 above r, +1 below, 0 equal,
 * 2 unknown). -1 when the dropped digits are exactly 5000... and side is
 * unknown: the 17-digit rounding hid which side of the half a lies on. */
static int round17(const char *r, int dp17, int side, int n, char *t, int *dp, int *dir)
{
	bool rest_zero = true;
	for (int i = n + 1; i < 17; i++)
		rest_zero &= r[i] == '0';
	bool up = r[n] >= '5';
	if (r[n] == '5' && rest_zero) {
		/* side (digits17): where a lies from r; an exact tie goes to even */
		if (side == 2)
			return -1;
		up = side < 0 || (side == 0 && (r[n - 1] - '0') % 2 == 1);
	}
	memcpy(t, r, (size_t)n);
	*dp = dp17;
	if (up) {
		int k = step_last(t, n, dp, true);
		memset(t + k, '0', (size_t)(n - k)); /* back on the n-digit grid */
		*dir = 1;
	} else {
		*dir = r[n] == '0' && rest_zero ? 0 : -1;
	}
	return n;
}

/* The correctly rounded 17-digit decimal of a (> 0) as printf("%.16e")
 * gives it (ties to even), exactly, for a = M * 2^E with E < 0 and
 * 10^16 <= a * 10^k < 10^17 for some 0 <= k <= 22: M * 10^k < 2^53 * 2^74
 * fits 128 bits, and the shift by -E leaves an exact remainder to round
 * with. 0 when a is outside that range (printf then). */
static int digits17(double a, char *r, int *dp17, int *side)
{
	const uint64_t e16 = 10000000000000000ull, e17 = 100000000000000000ull;
	int e2;
	double f = frexp(a, &e2);
	uint64_t m = (uint64_t)ldexp(f, 53);
	int sh = 53 - e2; /* a = m / 2^sh */
	if (sh <= 0 || sh >= 127)
		return 0;
	int dp = (int)floor(log10(a)) + 1; /* may be off by one: corrected */
	for (int tries = 0; tries < 3; tries++) {
		int k = 17 - dp;
		if (k < 0 || k > 22)
			return 0;
		unsigned __int128 p = m;
		for (int i = 0; i < k; i++)
			p *= 10;
		unsigned __int128 one = 1, q = p >> sh, rem = p & ((one << sh) - 1), half = one << (sh - 1);
		if (q >= e17) {
			dp++;
			continue;
		}
		if (q < e16) {
			dp--;
			continue;
		}
		*side = rem == 0 ? 0 : -1; /* r < a while not rounded up */
		if (rem > half || (rem == half && (q & 1))) {
			q++;
			*side = 1;
		}
		if (q == e17) { /* 99..9.5 rounded up to 10^17 */
			q = e16;
			dp++;
		}
		uint64_t v = (uint64_t)q;
		for (int i = 16; i >= 0; i--, v /= 10)
			r[i] = (char)('0' + v % 10);
		*dp17 = dp;
		return 17;
	}
	return 0;
}

/* 15-17 digits from one 17-digit rounding (see the notes at the top);
 * 0 when a double-rounding tie needs the slow path. */
static int long_digits(double a, char *digs, int *dp, bool allow_printf)
{
	char s[48], r[24], cand[17][17];
	int cdp[17], cdir[17], dp17, side = 2;
	if (!digits17(a, r, &dp17, &side)) {
		if (!allow_printf)
			return 0;
		snprintf(s, sizeof s, "%.16e", a);
		if (parse_e(s, r, &dp17) != 17)
			return 0;
	}
	int lo = 15, nd = 17;
	for (; lo <= 16; lo++) {
		if (round17(r, dp17, side, lo, cand[lo], &cdp[lo], &cdir[lo]) < 0)
			return 0;
		if (value_of(cand[lo], lo, cdp[lo]) == a)
			break;
	}
	if (lo <= 16) {
		memcpy(digs, cand[lo], (size_t)lo);
		nd = lo;
		*dp = cdp[lo];
	} else {
		memcpy(digs, r, 17);
		*dp = dp17;
	}
	for (int n = lo - 1; n >= 15; n--) { /* the far-side neighbour (note 2) */
		char *t = cand[n];
		int d = cdp[n], dir = cdir[n];
		if (dir == 0)
			dir = value_of(t, n, d) < a ? -1 : 1;
		int k = step_last(t, n, &d, dir < 0);
		if (k == 0 || value_of(t, k, d) != a)
			break;
		memcpy(digs, t, (size_t)k);
		nd = k;
		*dp = d;
	}
	return strip_zeros(digs, nd);
}

/* The general case by printf + strtod at 15, 16, 17 digits. */
static int slow_digits(double a, char *digs, int *dp)
{
	int lo = 15, nd = 0;
	for (; lo <= 17; lo++) {
		nd = rounded(a, lo, digs, dp);
		if (lo == 17 || value_of(digs, nd, *dp) == a)
			break;
	}
	for (int n = lo - 1; n >= 15; n--) {
		char t[20];
		int d, k = rounded(a, n, t, &d);
		k = step_last(t, k, &d, value_of(t, k, d) < a);
		if (k == 0 || value_of(t, k, d) != a)
			break;
		memcpy(digs, t, (size_t)k);
		nd = k;
		*dp = d;
	}
	return strip_zeros(digs, nd);
}

int fmt_shortest_digits(double v, char digs[18], int *dp)
{
	double a = fabs(v);
	if (a < 9007199254740992.0 && a == floor(a))
		return int_digits(a, digs, dp);
	/* long_digits is complete for normal values (notes 1, 2); where
	 * digits17 is exact it needs neither printf nor strtod */
	int nd = a >= DBL_MIN ? long_digits(a, digs, dp, false) : 0;
	if (nd)
		return nd;
	nd = short_decimal_digits(a, digs, dp);
	if (nd)
		return nd;
	if (a < DBL_MIN)
		return subnormal_digits(a, digs, dp);
	nd = long_digits(a, digs, dp, true);
	return nd ? nd : slow_digits(a, digs, dp);
}

static int special(char *out, double v)
{
	if (isnan(v))
		return snprintf(out, FMT_FLOAT_MAX, "NaN");
	if (isinf(v))
		return snprintf(out, FMT_FLOAT_MAX, v > 0 ? "+Inf" : "-Inf");
	return -1;
}

/* Go's fmtE: d[.ddd]e±dd, prec digits after the point. */
static int put_e(char *out, bool neg, const char *digs, int nd, int dp)
{
	int n = 0;
	if (neg)
		out[n++] = '-';
	out[n++] = nd ? digs[0] : '0';
	if (nd > 1) {
		out[n++] = '.';
		memcpy(out + n, digs + 1, (size_t)nd - 1);
		n += nd - 1;
	}
	int exp = nd ? dp - 1 : 0;
	out[n++] = 'e';
	out[n++] = exp < 0 ? '-' : '+';
	if (exp < 0)
		exp = -exp;
	n += snprintf(out + n, 8, "%02d", exp);
	return n;
}

/* Go's fmtF with prec = max(nd - dp, 0). */
static int put_f(char *out, bool neg, const char *digs, int nd, int dp)
{
	int n = 0;
	if (neg)
		out[n++] = '-';
	if (dp > 0) {
		for (int i = 0; i < dp; i++)
			out[n++] = i < nd ? digs[i] : '0';
	} else {
		out[n++] = '0';
	}
	int prec = nd - dp > 0 ? nd - dp : 0;
	if (prec > 0) {
		out[n++] = '.';
		for (int i = 0; i < prec; i++) {
			int j = dp + i;
			out[n++] = j >= 0 && j < nd ? digs[j] : '0';
		}
	}
	out[n] = 0;
	return n;
}

static int digits_of(double v, char *digs, int *dp)
{
	if (v == 0) {
		*dp = 0;
		return 0;
	}
	return fmt_shortest_digits(v, digs, dp);
}

/* Shortest digits in Go's 'g' form (api false) or the API's 'f'/'e' form. */
static int fmt_shortest(char *out, double v, bool api)
{
	int n = special(out, v);
	if (n >= 0)
		return n;
	char digs[18];
	int dp, nd = digits_of(v, digs, &dp);
	double a = fabs(v);
	bool use_e = api ? a != 0 && (a < 1e-6 || a >= 1e21) : nd && (dp - 1 < -4 || dp - 1 >= 6);
	return (use_e ? put_e : put_f)(out, signbit(v), digs, nd, dp);
}

int fmt_go_g(char *out, double v) { return fmt_shortest(out, v, false); }

int fmt_api_float(char *out, double v) { return fmt_shortest(out, v, true); }

int fmt_go_f(char *out, double v)
{
	int n = special(out, v);
	if (n >= 0)
		return n;
	char digs[18];
	int dp, nd = digits_of(v, digs, &dp);
	return put_f(out, signbit(v), digs, nd, dp);
}

int fmt_go_e(char *out, double v)
{
	int n = special(out, v);
	if (n >= 0)
		return n;
	char digs[18];
	int dp, nd = digits_of(v, digs, &dp);
	return put_e(out, signbit(v), digs, nd, dp);
}

int fmt_api_time(char *out, int64_t ms)
{
	uint64_t t = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	unsigned frac = (unsigned)(t % 1000);
	char digs[24];
	int n = 0, nd = u64_digits(t / 1000, digs);
	if (ms < 0)
		out[n++] = '-';
	memcpy(out + n, digs, (size_t)nd);
	n += nd;
	if (frac) {
		out[n++] = '.';
		out[n++] = (char)('0' + frac / 100);
		out[n++] = (char)('0' + frac / 10 % 10);
		out[n++] = (char)('0' + frac % 10);
	}
	out[n] = 0;
	return n;
}
