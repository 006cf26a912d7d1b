/*
 * template_fmt.c - Go's fmt as templates print with it: the %v of each
 * value kind (fmt.Fprint in exec.go's printValue; maps as "map[k:v ...]"
 * in key order, float64 as strconv 'g' shortest with +Inf/NaN), Sprint
 * and Sprintln spacing, and Sprintf (printf): flags + - # 0 space, width
 * and precision (also *), the verbs each kind takes (%v %s %q %x %X for
 * strings; %d %b %o %O %x %X %c %q %U for ints; %e %E %f %F %g %G for
 * floats; %t; %T) and Go's complaints for the rest: "%!d(string=x)",
 * "%!s(MISSING)", "%!(EXTRA int=1)", "%!(NOVERB)". Also time.Time and
 * time.Duration's String.
 *
 * Known differences: %x of a float is C's %a; samples nested in a printed
 * value (a query result, an args map) print as "&{map[..] v}" where Go
 * prints their addresses, so that the output is reproducible.
 *
 * Widths and precisions are capped at 1,000,000 so a template cannot ask
 * for an unbounded buffer in one verb.
 */
#include "rules/template_int.h"

#include "lib/fmtfloat.h"
#include "lib/godur.h"
#include "lib/timeparse.h"
#include "lib/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Go value formatting ---- */

static void fmt_float_v(buf *b, double f)
{
	char t[FMT_FLOAT_MAX];
	fmt_go_g(t, f);
	buf_put_str(b, t);
}

/* time.Time.String() of ms since the epoch, in UTC. */
void tmpl__fmt_time(buf *b, int64_t ms)
{
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0)
		frac += 1000, secs--;
	int64_t days = secs / 86400, sod = secs % 86400;
	if (sod < 0)
		sod += 86400, days--;
	int64_t y;
	unsigned mo, d;
	timeparse_civil_from_days(days, &y, &mo, &d);
	if (y < 0)
		buf_printf(b, "-%04" PRId64, -y);
	else
		buf_printf(b, "%04" PRId64, y);
	buf_printf(b, "-%02u-%02u %02d:%02d:%02d", mo, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	if (frac) {
		char f[8];
		snprintf(f, sizeof f, "%03d", (int)frac);
		size_t n = 3;
		while (n && f[n - 1] == '0')
			n--;
		buf_printf(b, ".%.*s", (int)n, f);
	}
	buf_put_str(b, " +0000 UTC");
}


static void fmt_labels(buf *b, labels ls)
{
	buf_put_str(b, "map[");
	for (size_t i = 0; i < ls.n; i++)
		buf_printf(b, "%s%s:%s", i ? " " : "", ls.v[i].name, ls.v[i].value);
	buf_put_byte(b, ']');
}

void tmpl__fmt_value(buf *b, const tval *v)
{
	switch (v->k) {
	case TV_INVALID: buf_put_str(b, "<nil>"); break;
	case TV_BOOL: buf_put_str(b, v->b ? "true" : "false"); break;
	case TV_INT:
	case TV_BYTE: buf_printf(b, "%" PRId64, v->i); break;
	case TV_FLOAT: fmt_float_v(b, v->f); break;
	case TV_STRING:
	case TV_HTML: buf_put(b, v->s, v->n); break;
	case TV_LABELS: fmt_labels(b, v->ls); break;
	case TV_ARGS: {
		size_t n = v->args->n;
		size_t *ord = fl_malloc((n + 1) * sizeof *ord);
		buf_put_str(b, "map[");
		if (!ord) {
			b->oom = true;
			break;
		}
		tmpl__args_order(n, ord);
		for (size_t i = 0; i < n; i++) {
			buf_printf(b, "%sarg%zu:", i ? " " : "", ord[i]);
			tmpl__fmt_value(b, &v->args->v[ord[i]]);
		}
		fl_free(ord);
		buf_put_byte(b, ']');
		break;
	}
	case TV_SAMPLE:
		/* Go prints a nested pointer as its address; we print what it
		 * points to, so that output is reproducible */
		if (!v->smp) {
			buf_put_str(b, "<nil>");
		} else {
			buf_put_str(b, "&{");
			fmt_labels(b, v->smp->labels);
			buf_put_byte(b, ' ');
			fmt_float_v(b, v->smp->value);
			buf_put_byte(b, '}');
		}
		break;
	case TV_SAMPLES:
		buf_put_byte(b, '[');
		for (size_t i = 0; i < v->n; i++) {
			tval e = {.k = TV_SAMPLE, .smp = &v->smps[i]};
			if (i)
				buf_put_byte(b, ' ');
			tmpl__fmt_value(b, &e);
		}
		buf_put_byte(b, ']');
		break;
	case TV_TIME: tmpl__fmt_time(b, v->i); break;
	case TV_DURATION: godur_format(b, v->i); break; /* time.Duration.String() */
	case TV_DATA: /* the struct's fields in order */
		buf_put_byte(b, '{');
		fmt_labels(b, v->data->labels);
		buf_put_byte(b, ' ');
		fmt_labels(b, v->data->external_labels);
		buf_printf(b, " %s ", v->data->external_url ? v->data->external_url : "");
		fmt_float_v(b, v->data->value);
		buf_put_byte(b, '}');
		break;
	}
}

/* ---- fmt.Sprintf ---- */

typedef struct fspec {
	bool plus, minus, sharp, zero, space; /* flags */
	int width;                            /* -1 when absent */
	int prec;                             /* -1 when absent */
} fspec;

static void pad(buf *b, const fspec *f, const char *s, size_t n, bool number)
{
	size_t runes = 0;
	for (size_t i = 0; i < n; i++)
		runes += ((unsigned char)s[i] & 0xc0) != 0x80;
	size_t w = f->width > 0 ? (size_t)f->width : 0;
	size_t fill = w > runes ? w - runes : 0;
	if (f->minus) {
		buf_put(b, s, n);
		while (fill--)
			buf_put_byte(b, ' ');
		return;
	}
	if (f->zero && fill) {
		/* sign first, then zeros */
		if (number && n && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
			buf_put_byte(b, (uint8_t)s[0]);
			s++, n--;
		}
		while (fill--)
			buf_put_byte(b, '0');
		buf_put(b, s, n);
		return;
	}
	while (fill--)
		buf_put_byte(b, ' ');
	buf_put(b, s, n);
}

static void fmt_int(buf *b, const fspec *f, int64_t v, int verb)
{
	char digs[80];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int base = verb == 'x' || verb == 'X' ? 16 : verb == 'o' || verb == 'O' ? 8 : verb == 'b' ? 2 : 10;
	const char *set = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	char tmp[70];
	do {
		tmp[n++] = set[u % (uint64_t)base];
		u /= (uint64_t)base;
	} while (u);
	if (f->prec == 0 && v == 0)
		n = 0;
	int k = 0;
	if (v < 0)
		digs[k++] = '-';
	else if (f->plus)
		digs[k++] = '+';
	else if (f->space)
		digs[k++] = ' ';
	if (verb == 'O')
		digs[k++] = '0', digs[k++] = 'o';
	else if (f->sharp && base == 16)
		digs[k++] = '0', digs[k++] = (char)verb;
	else if (f->sharp && base == 8 && !(n && tmp[n - 1] == '0'))
		digs[k++] = '0';
	else if (f->sharp && base == 2)
		digs[k++] = '0', digs[k++] = 'b';
	for (int z = n; z < f->prec && k < 70; z++)
		digs[k++] = '0';
	while (n)
		digs[k++] = tmp[--n];
	fspec g = *f;
	if (f->prec >= 0)
		g.zero = false;
	pad(b, &g, digs, (size_t)k, true);
}

static void fmt_float(buf *b, const fspec *f, double v, int verb)
{
	char s[512];
	if (isinf(v) || isnan(v)) {
		/* Go: "+Inf" always signed, "NaN" signed only with + or space */
		const char *sign = isnan(v) ? (f->plus ? "+" : f->space ? " " : "")
					    : v < 0 ? "-" : f->space && !f->plus ? " " : "+";
		snprintf(s, sizeof s, "%s%s", sign, isnan(v) ? "NaN" : "Inf");
		fspec g = *f;
		g.zero = false;
		pad(b, &g, s, strlen(s), true);
		return;
	}
	if ((verb == 'g' || verb == 'G' || verb == 'v') && f->prec < 0) {
		fmt_go_g(s, v);
		if (verb == 'G')
			for (char *p = s; *p; p++)
				if (*p == 'e')
					*p = 'E';
	} else {
		char cf[16];
		int c = verb == 'v' ? 'g' : verb == 'x' ? 'a' : verb == 'X' ? 'A' : verb;
		snprintf(cf, sizeof cf, "%%%s%s.*%c", f->sharp ? "#" : "", "", c);
		snprintf(s, sizeof s, cf, f->prec < 0 ? 6 : f->prec, v);
	}
	char t[520];
	const char *sign = s[0] == '-' ? "" : f->plus ? "+" : f->space ? " " : "";
	snprintf(t, sizeof t, "%s%s", sign, s);
	pad(b, f, t, strlen(t), true);
}

static void fmt_bad(buf *b, int verb, const tval *v)
{
	if (v->k == TV_INVALID) {
		buf_printf(b, "%%!%c(<nil>)", verb);
		return;
	}
	buf_printf(b, "%%!%c(%s=", verb, tmpl__type_name(v));
	tmpl__fmt_value(b, v);
	buf_put_byte(b, ')');
}

static void fmt_str(buf *b, const fspec *f, const char *s, size_t n, int verb)
{
	if (f->prec >= 0) {
		size_t i = 0;
		for (int r = 0; i < n && r < f->prec; r++) {
			int w;
			utf8_decode(s + i, n - i, &w);
			i += (size_t)w;
		}
		n = i;
	}
	if (verb == 'q') {
		buf q;
		buf_init(&q);
		fmt_go_quote(&q, s, n);
		pad(b, f, (const char *)q.p, q.len, false);
		buf_reset(&q);
		return;
	}
	if (verb == 'x' || verb == 'X') {
		buf q;
		buf_init(&q);
		for (size_t i = 0; i < n; i++)
			buf_printf(&q, verb == 'x' ? "%02x" : "%02X", (unsigned char)s[i]);
		pad(b, f, (const char *)q.p, q.len, false);
		buf_reset(&q);
		return;
	}
	pad(b, f, s, n, false);
}

static void fmt_one(buf *b, const fspec *f, int verb, const tval *v)
{
	if (verb == 'T') {
		const char *t = v->k == TV_INVALID ? "<nil>" : tmpl__type_name(v);
		pad(b, f, t, strlen(t), false);
		return;
	}
	switch (v->k) {
	case TV_BOOL:
		if (verb == 't' || verb == 'v')
			pad(b, f, v->b ? "true" : "false", v->b ? 4 : 5, false);
		else
			fmt_bad(b, verb, v);
		return;
	case TV_INT:
	case TV_BYTE:
		if (strchr("bdoOxXv", verb)) {
			fmt_int(b, f, v->i, verb == 'v' ? 'd' : verb);
		} else if (verb == 'c' || verb == 'q' || verb == 'U') {
			char t[16];
			int32_t r = v->i < 0 || v->i > 0x10ffff ? UTF8_RUNE_ERROR : (int32_t)v->i;
			if (verb == 'U') {
				snprintf(t, sizeof t, "U+%04" PRIX64, (uint64_t)v->i);
				pad(b, f, t, strlen(t), false);
			} else if (verb == 'c') {
				int n = utf8_encode(t, r);
				pad(b, f, t, (size_t)n, false);
			} else {
				int n = utf8_encode(t, r);
				buf q;
				buf_init(&q);
				fmt_go_quote(&q, t, (size_t)n);
				if (q.len >= 2 && !(q.len == 4 && q.p[1] == '\\' && q.p[2] == '"')) {
					q.p[0] = q.p[q.len - 1] = '\'';
				} else {
					buf_clear(&q);
					buf_put_str(&q, "'\"'");
				}
				if (r == '\'') {
					buf_clear(&q);
					buf_put_str(&q, "'\\''");
				}
				pad(b, f, (const char *)q.p, q.len, false);
				buf_reset(&q);
			}
		} else {
			fmt_bad(b, verb, v);
		}
		return;
	case TV_FLOAT:
		if (strchr("eEfFgGxXv", verb))
			fmt_float(b, f, v->f, verb);
		else
			fmt_bad(b, verb, v);
		return;
	case TV_STRING:
	case TV_HTML:
		if (strchr("sqxXv", verb))
			fmt_str(b, f, v->s, v->n, verb == 'v' ? 's' : verb);
		else
			fmt_bad(b, verb, v);
		return;
	case TV_TIME:
	case TV_DURATION:
		if (strchr("sqxXv", verb)) {
			buf t;
			buf_init(&t);
			tmpl__fmt_value(&t, v);
			fmt_str(b, f, (const char *)t.p, t.len, verb == 'v' ? 's' : verb);
			buf_reset(&t);
			return;
		}
		break;
	case TV_INVALID:
		if (verb == 'v') {
			pad(b, f, "<nil>", 5, false);
			return;
		}
		fmt_bad(b, verb, v);
		return;
	default: break;
	}
	buf t;
	buf_init(&t);
	tmpl__fmt_value(&t, v);
	pad(b, f, (const char *)t.p, t.len, false);
	buf_reset(&t);
}

void tmpl__sprintf(buf *b, const char *fmt, size_t n, const tval *args, size_t n_args)
{
	size_t ai = 0;
	for (size_t i = 0; i < n && b->len <= TMPL_MAX_STRING;) {
		if (fmt[i] != '%') {
			size_t j = i;
			while (j < n && fmt[j] != '%')
				j++;
			buf_put(b, fmt + i, j - i);
			i = j;
			continue;
		}
		i++;
		fspec f = {.width = -1, .prec = -1};
		for (; i < n; i++) {
			char c = fmt[i];
			if (c == '+')
				f.plus = true;
			else if (c == '-')
				f.minus = true, f.zero = false;
			else if (c == '#')
				f.sharp = true;
			else if (c == '0')
				f.zero = !f.minus;
			else if (c == ' ')
				f.space = true;
			else
				break;
		}
		if (i < n && fmt[i] == '*') {
			i++;
			if (ai < n_args && args[ai].k == TV_INT) {
				f.width = (int)(args[ai].i > 1000000 ? 1000000 : args[ai].i < -1000000 ? -1000000 : args[ai].i);
				if (f.width < 0)
					f.minus = true, f.width = -f.width, f.zero = false;
			} else {
				buf_put_str(b, "%!(BADWIDTH)");
			}
			ai++;
		} else {
			while (i < n && fmt[i] >= '0' && fmt[i] <= '9') {
				f.width = (f.width < 0 ? 0 : f.width) * 10 + (fmt[i++] - '0');
				if (f.width > 1000000)
					f.width = 1000000;
			}
		}
		if (i < n && fmt[i] == '.') {
			i++;
			f.prec = 0;
			if (i < n && fmt[i] == '*') {
				i++;
				if (ai < n_args && args[ai].k == TV_INT && args[ai].i >= 0) {
					f.prec = (int)(args[ai].i > 1000000 ? 1000000 : args[ai].i);
				} else {
					f.prec = -1;
					buf_put_str(b, "%!(BADPREC)");
				}
				ai++;
			} else {
				while (i < n && fmt[i] >= '0' && fmt[i] <= '9') {
					f.prec = f.prec * 10 + (fmt[i++] - '0');
					if (f.prec > 1000000)
						f.prec = 1000000;
				}
			}
		}
		if (i >= n) {
			buf_put_str(b, "%!(NOVERB)");
			break;
		}
		int w;
		int32_t verb = utf8_decode(fmt + i, n - i, &w);
		i += (size_t)w;
		if (verb == '%') {
			buf_put_byte(b, '%');
			continue;
		}
		char vb[5] = {0};
		utf8_encode(vb, verb < 0 ? UTF8_RUNE_ERROR : verb);
		if (ai >= n_args) {
			buf_printf(b, "%%!%s(MISSING)", vb);
			continue;
		}
		if (verb < 0 || verb > 0x7f) {
			buf_printf(b, "%%!%s(%s=", vb, args[ai].k == TV_INVALID ? "<nil>" : tmpl__type_name(&args[ai]));
			tmpl__fmt_value(b, &args[ai]);
			buf_put_byte(b, ')');
			ai++;
			continue;
		}
		fmt_one(b, &f, verb, &args[ai++]);
	}
	if (ai < n_args) {
		buf_put_str(b, "%!(EXTRA ");
		for (size_t k = ai; k < n_args; k++) {
			if (k > ai)
				buf_put_str(b, ", ");
			if (args[k].k == TV_INVALID) {
				buf_put_str(b, "<nil>");
				continue;
			}
			buf_printf(b, "%s=", tmpl__type_name(&args[k]));
			tmpl__fmt_value(b, &args[k]);
		}
		buf_put_byte(b, ')');
	}
}

/* fmt.Sprint: a space between operands when neither is a string. */
void tmpl__sprint(buf *b, const tval *args, size_t n, bool ln)
{
	for (size_t i = 0; i < n && b->len <= TMPL_MAX_STRING; i++) {
		bool is_str = args[i].k == TV_STRING || args[i].k == TV_HTML;
		bool prev_str = i && (args[i - 1].k == TV_STRING || args[i - 1].k == TV_HTML);
		if (i && (ln || (!is_str && !prev_str)))
			buf_put_byte(b, ' ');
		tmpl__fmt_value(b, &args[i]);
	}
	if (ln)
		buf_put_byte(b, '\n');
}

/* fmt.Sprintf("%.4g", v), the humanize functions' format. */
void tmpl__fmt_g4(buf *b, double v)
{
	fspec f = {.width = -1, .prec = 4};
	fmt_float(b, &f, v, 'g');
}

