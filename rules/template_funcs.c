/*
 * template_funcs.c - the functions a Prometheus template can call: Go's
 * builtins (src/text/template/funcs.go: and or not len index slice print
 * printf println html js urlquery eq ne lt le gt ge call) and Prometheus's
 * (template/template.go NewTemplateExpander and prometheus/common
 * helpers/templates: query first label value strvalue args reReplaceAll
 * safeHtml match title toUpper toLower graphLink tableLink sortByLabel
 * stripPort stripDomain humanize humanize1024 humanizeDuration
 * humanizePercentage humanizeTimestamp toTime toDuration now pathPrefix
 * externalURL parseDuration urlQueryEscape); their output is formatted
 * by template_fmt.c.
 *
 * Each function has Go's signature in tmpl_funcs (typed parameters are
 * checked by the executor, with Go's messages); a function returns its
 * error text and the executor adds "error calling NAME: ". Where Go
 * would dereference a nil pointer (value of a nil sample, query without a
 * query function, externalURL without a URL) the message is Go's runtime
 * error, as Prometheus's template recovery reports it.
 *
 * Known differences, all on inputs real rule files do not use: `title`
 * finds words by ASCII punctuation and spaces (x/text/cases uses Unicode
 * word breaking); `call` has no function values to call.
 */
#include "rules/template_int.h"

#include "lib/fmtfloat.h"
#include "lib/timeparse.h"
#include "lib/utf8.h"
#include "tsdb/regex_errors.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#define NIL_DEREF "runtime error: invalid memory address or nil pointer dereference"

/* ---- helpers for the functions ---- */

#define FN(name) static int name(tstate *s, tval *a, size_t n, tval *out, buf *msg)

static int ret_buf(tstate *s, tval *out, buf *b, tval_kind k, buf *msg)
{
	if (b->oom || b->len > TMPL_MAX_STRING) {
		if (b->oom)
			buf_put_str(msg, "out of memory");
		else
			buf_printf(msg, "result exceeds %u bytes", TMPL_MAX_STRING);
		buf_reset(b);
		return -1;
	}
	*out = tmpl__str(s, (const char *)b->p, b->len);
	out->k = k;
	buf_reset(b);
	return 0;
}

static int fail(buf *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(buf *msg, const char *fmt, ...)
{
	char t[ERR_MSG_CAP];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof t, fmt, ap);
	va_end(ap);
	buf_put_str(msg, t);
	return -1;
}

/* strconv.ParseFloat(s, 64). */
static int parse_float(const char *s, size_t n, double *v, buf *msg)
{
	char t[128];
	bool ok = n > 0 && n < sizeof t;
	if (ok) {
		memcpy(t, s, n);
		t[n] = 0;
		const char *p = t + (t[0] == '+' || t[0] == '-');
		ok = !strchr(t, '_') && !strpbrk(t, " \t\n\r\f\v") && *p && (isdigit((unsigned char)*p) || *p == '.' || !strcasecmp(p, "inf") || !strcasecmp(p, "infinity") || !strcasecmp(p, "nan"));
		if (ok && (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) && !strpbrk(p, "pP"))
			ok = false;
		if (ok) {
			char *end;
			errno = 0;
			*v = strtod(t, &end);
			ok = *end == 0;
			if (ok && errno == ERANGE && isinf(*v)) {
				buf_put_str(msg, "strconv.ParseFloat: parsing ");
				fmt_go_quote(msg, s, n);
				buf_put_str(msg, ": value out of range");
				return -1;
			}
		}
	}
	if (!ok) {
		buf_put_str(msg, "strconv.ParseFloat: parsing ");
		fmt_go_quote(msg, s, n);
		buf_put_str(msg, ": invalid syntax");
		return -1;
	}
	return 0;
}

/* prometheus/common ConvertToFloat. */
static int to_float(const tval *v, double *f, buf *msg)
{
	switch (v->k) {
	case TV_FLOAT: *f = v->f; return 0;
	case TV_INT: *f = (double)v->i; return 0;
	case TV_STRING: return parse_float(v->s, v->n, f, msg);
	default: return fail(msg, "can't convert %s to float", v->k == TV_INVALID ? "<nil>" : tmpl__type_name(v));
	}
}


/* Go's int64(f) on amd64: out of range and NaN give MinInt64. */
static int64_t go_int64(double f)
{
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)f;
}

/* ---- Go builtins ---- */

FN(fn_not)
{
	bool ok;
	*out = (tval){.k = TV_BOOL, .b = !tmpl__truth(&a[0], &ok)};
	return 0;
}
FN(fn_andor) { return fail(msg, "unreachable"); }

FN(fn_len)
{
	switch (a[0].k) {
	case TV_STRING:
	case TV_HTML:
	case TV_SAMPLES: *out = (tval){.k = TV_INT, .i = (int64_t)a[0].n}; return 0;
	case TV_LABELS: *out = (tval){.k = TV_INT, .i = (int64_t)a[0].ls.n}; return 0;
	case TV_ARGS: *out = (tval){.k = TV_INT, .i = (int64_t)a[0].args->n}; return 0;
	case TV_SAMPLE:
		if (!a[0].smp)
			return fail(msg, "len of nil pointer");
		return fail(msg, "len of type template.sample");
	case TV_INVALID: return fail(msg, "reflect: call of reflect.Value.Type on zero Value");
	case TV_TIME: return fail(msg, "len of type time.Time");
	case TV_DURATION: return fail(msg, "len of type time.Duration");
	default: return fail(msg, "len of type %s", tmpl__type_name(&a[0]));
	}
}

static int index_arg(const tval *ix, size_t cap, int64_t *x, buf *msg)
{
	if (ix->k == TV_INT || ix->k == TV_BYTE)
		*x = ix->i;
	else if (ix->k == TV_INVALID)
		return fail(msg, "cannot index slice/array with nil");
	else
		return fail(msg, "cannot index slice/array with type %s", tmpl__type_name(ix));
	if (*x < 0 || (uint64_t)*x > cap)
		return fail(msg, "index out of range: %" PRId64, *x);
	return 0;
}

FN(fn_index)
{
	tval item = a[0];
	if (item.k == TV_INVALID)
		return fail(msg, "index of untyped nil");
	for (size_t i = 1; i < n; i++) {
		int64_t x;
		switch (item.k) {
		case TV_STRING:
		case TV_HTML:
			if (index_arg(&a[i], item.n, &x, msg))
				return -1;
			if ((size_t)x == item.n)
				return fail(msg, "reflect: string index out of range");
			item = (tval){.k = TV_BYTE, .i = (unsigned char)item.s[x]};
			break;
		case TV_SAMPLES:
			if (index_arg(&a[i], item.n, &x, msg))
				return -1;
			if ((size_t)x == item.n)
				return fail(msg, "reflect: slice index out of range");
			item = (tval){.k = TV_SAMPLE, .smp = &item.smps[x]};
			break;
		case TV_LABELS:
		case TV_ARGS: {
			if (a[i].k == TV_INVALID)
				return fail(msg, "value is nil; should be of type string");
			if (a[i].k != TV_STRING)
				return fail(msg, "value has type %s; should be string", tmpl__type_name(&a[i]));
			char key[256];
			snprintf(key, sizeof key, "%.*s", (int)a[i].n, a[i].s);
			if (item.k == TV_LABELS) {
				const char *v = labels_get(item.ls, key);
				if (!v)
					v = "";
				item = (tval){.k = TV_STRING, .s = v, .n = strlen(v)};
			} else {
				char *end;
				unsigned long k = strncmp(key, "arg", 3) || !key[3] || (key[3] == '0' && key[4]) ? (unsigned long)-1 : strtoul(key + 3, &end, 10);
				item = k < item.args->n && !*end ? item.args->v[k] : (tval){.k = TV_INVALID};
			}
			break;
		}
		case TV_SAMPLE:
			if (!item.smp)
				return fail(msg, "index of nil pointer");
			return fail(msg, "can't index item of type template.sample");
		case TV_INVALID: return fail(msg, "index of untyped nil");
		case TV_TIME: return fail(msg, "can't index item of type time.Time");
		case TV_DURATION: return fail(msg, "can't index item of type time.Duration");
		default: return fail(msg, "can't index item of type %s", tmpl__type_name(&item));
		}
	}
	*out = item;
	return 0;
}

FN(fn_slice)
{
	tval item = a[0];
	if (item.k == TV_INVALID)
		return fail(msg, "slice of untyped nil");
	if (n - 1 > 3)
		return fail(msg, "too many slice indexes: %zu", n - 1);
	if (item.k != TV_STRING && item.k != TV_HTML && item.k != TV_SAMPLES)
		return fail(msg, "can't slice item of type %s", tmpl__type_name(&item));
	if (item.k != TV_SAMPLES && n - 1 == 3)
		return fail(msg, "cannot 3-index slice a string");
	int64_t idx[3] = {0, (int64_t)item.n, (int64_t)item.n};
	for (size_t i = 1; i < n; i++)
		if (index_arg(&a[i], item.n, &idx[i - 1], msg))
			return -1;
	if (idx[0] > idx[1])
		return fail(msg, "invalid slice index: %" PRId64 " > %" PRId64, idx[0], idx[1]);
	if (n - 1 == 3 && idx[1] > idx[2])
		return fail(msg, "invalid slice index: %" PRId64 " > %" PRId64, idx[1], idx[2]);
	*out = item;
	if (item.k == TV_SAMPLES)
		out->smps = item.smps + idx[0];
	else
		out->s = item.s + idx[0];
	out->n = (size_t)(idx[1] - idx[0]);
	return 0;
}

FN(fn_print)
{
	buf b;
	buf_init(&b);
	tmpl__sprint(&b, a, n, false);
	return ret_buf(s, out, &b, TV_STRING, msg);
}
FN(fn_println)
{
	buf b;
	buf_init(&b);
	tmpl__sprint(&b, a, n, true);
	return ret_buf(s, out, &b, TV_STRING, msg);
}
FN(fn_printf)
{
	buf b;
	buf_init(&b);
	tmpl__sprintf(&b, a[0].s, a[0].n, a + 1, n - 1);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

/* html/js/urlquery take their arguments as one string (evalArgs). */
static void args_string(buf *b, const tval *a, size_t n)
{
	if (n == 1 && a[0].k == TV_STRING)
		buf_put(b, a[0].s, a[0].n);
	else
		tmpl__sprint(b, a, n, false);
}

FN(fn_html)
{
	buf in, b;
	buf_init(&in);
	buf_init(&b);
	args_string(&in, a, n);
	for (size_t i = 0; i < in.len; i++) {
		char c = (char)in.p[i];
		switch (c) {
		case '"': buf_put_str(&b, "&#34;"); break;
		case '\'': buf_put_str(&b, "&#39;"); break;
		case '&': buf_put_str(&b, "&amp;"); break;
		case '<': buf_put_str(&b, "&lt;"); break;
		case '>': buf_put_str(&b, "&gt;"); break;
		case 0: buf_put_str(&b, "\xef\xbf\xbd"); break;
		default: buf_put_byte(&b, (uint8_t)c);
		}
	}
	buf_reset(&in);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

static locale_t utf8_locale(void);

FN(fn_js)
{
	buf in, b;
	buf_init(&in);
	buf_init(&b);
	args_string(&in, a, n);
	for (size_t i = 0; i < in.len;) {
		unsigned char c = in.p[i];
		if (c >= 0x80) {
			int w;
			int32_t r = utf8_decode((const char *)in.p + i, in.len - i, &w);
			locale_t loc = utf8_locale();
			if (r >= 0 && (loc == (locale_t)0 || iswprint_l((wint_t)r, loc)))
				buf_put(&b, in.p + i, (size_t)w);
			else
				buf_printf(&b, "\\u%04X", (unsigned)(r < 0 ? UTF8_RUNE_ERROR : r));
			i += (size_t)w;
			continue;
		}
		switch (c) {
		case '\\': buf_put_str(&b, "\\\\"); break;
		case '\'': buf_put_str(&b, "\\'"); break;
		case '"': buf_put_str(&b, "\\\""); break;
		case '<': buf_put_str(&b, "\\u003C"); break;
		case '>': buf_put_str(&b, "\\u003E"); break;
		case '&': buf_put_str(&b, "\\u0026"); break;
		case '=': buf_put_str(&b, "\\u003D"); break;
		default:
			if (c < ' ')
				buf_printf(&b, "\\u00%02X", c);
			else
				buf_put_byte(&b, c);
		}
		i++;
	}
	buf_reset(&in);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

/* url.QueryEscape */
static void query_escape(buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~')
			buf_put_byte(b, c);
		else if (c == ' ')
			buf_put_byte(b, '+');
		else
			buf_printf(b, "%%%02X", c);
	}
}

FN(fn_urlquery)
{
	buf in, b;
	buf_init(&in);
	buf_init(&b);
	args_string(&in, a, n);
	query_escape(&b, (const char *)in.p, in.len);
	buf_reset(&in);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

/* funcs.go basicKind */
enum { K_INVALID, K_BOOL, K_INT, K_UINT, K_FLOAT, K_STRING, K_OTHER };
static int basic_kind(const tval *v)
{
	switch (v->k) {
	case TV_INVALID: return K_INVALID;
	case TV_BOOL: return K_BOOL;
	case TV_INT: return K_INT;
	case TV_BYTE: return K_UINT;
	case TV_FLOAT: return K_FLOAT;
	case TV_STRING:
	case TV_HTML: return K_STRING;
	default: return K_OTHER;
	}
}

/* eq of two values: 1, 0, or -1 with msg set. */
static int eq2(const tval *x, const tval *y, buf *msg)
{
	int k1 = basic_kind(x), k2 = basic_kind(y);
	if (k1 != k2) {
		if ((k1 == K_INT && k2 == K_UINT) || (k1 == K_UINT && k2 == K_INT))
			return x->i == y->i;
		if (x->k != TV_INVALID && y->k != TV_INVALID)
			return fail(msg, "incompatible types for comparison");
		return 0;
	}
	switch (k1) {
	case K_INVALID: return 1;
	case K_BOOL: return x->b == y->b;
	case K_INT:
	case K_UINT: return x->i == y->i;
	case K_FLOAT: return x->f == y->f;
	case K_STRING: return x->n == y->n && !memcmp(x->s, y->s, x->n);
	default: break;
	}
	if (x->k != y->k && !((x->k == TV_TIME || x->k == TV_DURATION) && x->k == y->k))
		return fail(msg, "incompatible types for comparison");
	switch (x->k) {
	case TV_SAMPLE: return x->smp == y->smp;
	case TV_TIME:
	case TV_DURATION: return x->i == y->i; /* pointers in Go: equal only if the same; values here */
	case TV_DATA: return 1;
	default: return fail(msg, "non-comparable type %s: %s", "map", tmpl__type_name(y));
	}
}

FN(fn_eq)
{
	if (n < 2)
		return fail(msg, "missing argument for comparison");
	for (size_t i = 1; i < n; i++) {
		int r = eq2(&a[0], &a[i], msg);
		if (r < 0)
			return -1;
		if (r) {
			*out = (tval){.k = TV_BOOL, .b = true};
			return 0;
		}
	}
	*out = (tval){.k = TV_BOOL, .b = false};
	return 0;
}
FN(fn_ne)
{
	int r = eq2(&a[0], &a[1], msg);
	if (r < 0)
		return -1;
	*out = (tval){.k = TV_BOOL, .b = !r};
	return 0;
}

/* lt: 1, 0, or -1 with msg set. */
static int lt2(const tval *x, const tval *y, buf *msg)
{
	int k1 = basic_kind(x), k2 = basic_kind(y);
	if (k1 == K_INVALID || k1 == K_OTHER || k2 == K_INVALID || k2 == K_OTHER)
		return fail(msg, "invalid type for comparison");
	if (k1 != k2) {
		if ((k1 == K_INT && k2 == K_UINT) || (k1 == K_UINT && k2 == K_INT))
			return x->i < y->i;
		return fail(msg, "incompatible types for comparison");
	}
	switch (k1) {
	case K_BOOL: return fail(msg, "invalid type for comparison");
	case K_INT:
	case K_UINT: return x->i < y->i;
	case K_FLOAT: return x->f < y->f;
	default: {
		size_t m = x->n < y->n ? x->n : y->n;
		int c = memcmp(x->s, y->s, m);
		return c < 0 || (c == 0 && x->n < y->n);
	}
	}
}

static int cmp_fn(tval *a, tval *out, buf *msg, int op)
{
	int l = lt2(&a[0], &a[1], msg);
	if (l < 0)
		return -1;
	int e = 0;
	if (op == 1 || op == 2) { /* le, gt */
		e = eq2(&a[0], &a[1], msg);
		if (e < 0)
			return -1;
	}
	bool r = op == 0 ? l : op == 1 ? (l || e) : op == 2 ? !(l || e) : !l;
	*out = (tval){.k = TV_BOOL, .b = r};
	return 0;
}
FN(fn_lt) { return cmp_fn(a, out, msg, 0); }
FN(fn_le) { return cmp_fn(a, out, msg, 1); }
FN(fn_gt) { return cmp_fn(a, out, msg, 2); }
FN(fn_ge) { return cmp_fn(a, out, msg, 3); }

FN(fn_call)
{
	if (a[0].k == TV_INVALID)
		return fail(msg, "call of nil");
	return fail(msg, "non-function of type %s", tmpl__type_name(&a[0]));
}

/* ---- Prometheus's functions ---- */

FN(fn_query)
{
	const tmpl_data *d = tmpl__data(s);
	if (!d->query)
		return fail(msg, NIL_DEREF);
	char *q = arena_strndup(tmpl__arena(s), a[0].s, a[0].n);
	tmpl_sample *res = NULL;
	size_t nres = 0;
	err e;
	err_clear(&e);
	if (!q || d->query(d->query_ctx, q, d->t_ms, &res, &nres, &e))
		return fail(msg, "%s", q ? e.msg : "out of memory");
	tmpl_sample *own = arena_alloc(tmpl__arena(s), (nres + 1) * sizeof *own);
	if (!own)
		return fail(msg, "out of memory");
	for (size_t i = 0; i < nres; i++) {
		own[i].value = res[i].value;
		own[i].labels = labels_copy(tmpl__arena(s), res[i].labels);
	}
	*out = (tval){.k = TV_SAMPLES, .smps = own, .n = nres};
	return 0;
}
FN(fn_first)
{
	if (!a[0].n)
		return fail(msg, "first() called on vector with no elements");
	*out = (tval){.k = TV_SAMPLE, .smp = &a[0].smps[0]};
	return 0;
}
FN(fn_label)
{
	if (!a[1].smp)
		return fail(msg, NIL_DEREF);
	char key[256];
	snprintf(key, sizeof key, "%.*s", (int)a[0].n, a[0].s);
	const char *v = labels_get(a[1].smp->labels, key);
	if (!v)
		v = "";
	*out = (tval){.k = TV_STRING, .s = v, .n = strlen(v)};
	return 0;
}
FN(fn_value)
{
	if (!a[0].smp)
		return fail(msg, NIL_DEREF);
	*out = (tval){.k = TV_FLOAT, .f = a[0].smp->value};
	return 0;
}
FN(fn_strvalue)
{
	if (!a[0].smp)
		return fail(msg, NIL_DEREF);
	const char *v = labels_get(a[0].smp->labels, "__value__");
	if (!v)
		v = "";
	*out = (tval){.k = TV_STRING, .s = v, .n = strlen(v)};
	return 0;
}
FN(fn_args)
{
	targs *t = arena_alloc(tmpl__arena(s), sizeof *t);
	tval *v = arena_alloc(tmpl__arena(s), (n + 1) * sizeof *v);
	if (!t || !v)
		return fail(msg, "out of memory");
	if (n)
		memcpy(v, a, n * sizeof *v);
	t->n = n;
	t->v = v;
	*out = (tval){.k = TV_ARGS, .args = t};
	return 0;
}

/* Compile a Go regexp (unanchored); NULL with msg set. */
static pcre2_code *compile_re(const tval *pat, buf *msg, bool must)
{
	char *p = fl_malloc(pat->n + 1);
	if (!p) {
		fail(msg, "out of memory");
		return NULL;
	}
	memcpy(p, pat->s, pat->n);
	p[pat->n] = 0;
	err e;
	err_clear(&e);
	pcre2_code *code = strlen(p) != pat->n ? NULL : regex_compile_go(p, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &e);
	if (!code) {
		if (!e.code)
			err_set(&e, FL_EINVAL, "error parsing regexp: invalid UTF-8: `%s`", p);
		if (must) {
			/* regexp.MustCompile's panic text */
			bool bq = !strchr(p, '`');
			for (const char *c = p; *c && bq; c++)
				if ((unsigned char)*c < ' ' && *c != '\t')
					bq = false;
			buf_put_str(msg, "regexp: Compile(");
			if (bq)
				buf_printf(msg, "`%s`", p);
			else
				fmt_go_quote(msg, pat->s, pat->n);
			buf_printf(msg, "): %s", e.msg);
		} else {
			buf_put_str(msg, e.msg);
		}
	}
	fl_free(p);
	return code;
}

FN(fn_reReplaceAll)
{
	pcre2_code *code = compile_re(&a[0], msg, true);
	if (!code)
		return -1;
	pcre2_match_data *md = regex_match_data(code);
	if (!md) {
		pcre2_code_free(code);
		return fail(msg, "out of memory");
	}
	const char *src = a[2].s;
	size_t len = a[2].n, last_end = 0, pos = 0;
	char *repl = arena_strndup(tmpl__arena(s), a[1].s, a[1].n);
	buf b;
	buf_init(&b);
	while (repl && pos <= len) {
		int rc = regex_match(code, src, len, pos, md);
		if (rc < 0)
			break;
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		buf_put(&b, src + last_end, ov[0] - last_end);
		if (ov[1] > last_end || ov[0] == 0)
			regex_expand(&b, repl, code, src, ov, rc);
		last_end = ov[1];
		int w = 0;
		if (pos < len)
			utf8_decode(src + pos, len - pos, &w);
		if (pos + (size_t)w > ov[1])
			pos += (size_t)w;
		else if (pos + 1 > ov[1])
			pos++;
		else
			pos = ov[1];
		if (b.len > TMPL_MAX_STRING)
			break;
	}
	buf_put(&b, src + last_end, len - last_end);
	pcre2_code_free(code);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

FN(fn_match)
{
	pcre2_code *code = compile_re(&a[0], msg, false);
	if (!code)
		return -1;
	pcre2_match_data *md = regex_match_data(code);
	int rc = md ? regex_match(code, a[1].s, a[1].n, 0, md) : -1;
	pcre2_code_free(code);
	*out = (tval){.k = TV_BOOL, .b = rc >= 0};
	return 0;
}

FN(fn_safeHtml)
{
	*out = a[0];
	out->k = TV_HTML;
	return 0;
}

static pthread_once_t loc_once = PTHREAD_ONCE_INIT;
static locale_t loc_utf8;
static void loc_init(void) { loc_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }
static locale_t utf8_locale(void)
{
	pthread_once(&loc_once, loc_init);
	return loc_utf8;
}

/* mode: 'u' upper, 'l' lower, 't' title (upper at word starts). */
static int map_case(tstate *s, const tval *in, tval *out, buf *msg, int mode)
{
	locale_t loc = utf8_locale();
	buf b;
	buf_init(&b);
	bool in_word = false;
	for (size_t i = 0; i < in->n;) {
		int w;
		int32_t r = utf8_decode(in->s + i, in->n - i, &w);
		if (r < 0)
			r = UTF8_RUNE_ERROR;
		int32_t o = r;
		bool letter = r < 0x80 ? ((r | 32) >= 'a' && (r | 32) <= 'z') : (loc != (locale_t)0 && iswalpha_l((wint_t)r, loc));
		bool word = letter || (r >= '0' && r <= '9') || r == '_' || (in_word && r == '\'');
		if (mode == 'u' || (mode == 't' && !in_word && letter))
			o = r < 0x80 ? (r >= 'a' && r <= 'z' ? r - 32 : r) : loc ? (int32_t)towupper_l((wint_t)r, loc) : r;
		else if (mode == 'l')
			o = r < 0x80 ? (r >= 'A' && r <= 'Z' ? r + 32 : r) : loc ? (int32_t)towlower_l((wint_t)r, loc) : r;
		in_word = word;
		char enc[4];
		buf_put(&b, enc, (size_t)utf8_encode(enc, o));
		i += (size_t)w;
	}
	return ret_buf(s, out, &b, TV_STRING, msg);
}
FN(fn_title) { return map_case(s, &a[0], out, msg, 't'); }
FN(fn_toUpper) { return map_case(s, &a[0], out, msg, 'u'); }
FN(fn_toLower) { return map_case(s, &a[0], out, msg, 'l'); }

static int link(tstate *s, const tval *e, tval *out, buf *msg, int tab)
{
	buf b;
	buf_init(&b);
	buf_put_str(&b, "/graph?g0.expr=");
	query_escape(&b, e->s, e->n);
	buf_printf(&b, "&g0.tab=%d", tab);
	return ret_buf(s, out, &b, TV_STRING, msg);
}
FN(fn_graphLink) { return link(s, &a[0], out, msg, 0); }
FN(fn_tableLink) { return link(s, &a[0], out, msg, 1); }

FN(fn_sortByLabel)
{
	char key[256];
	snprintf(key, sizeof key, "%.*s", (int)a[0].n, a[0].s);
	tmpl_sample *v = a[1].smps;
	/* sort.Stable: insertion sort keeps equal elements in order */
	for (size_t i = 1; i < a[1].n; i++) {
		tmpl_sample x = v[i];
		const char *kx = labels_get(x.labels, key);
		kx = kx ? kx : "";
		size_t j = i;
		while (j > 0) {
			const char *kp = labels_get(v[j - 1].labels, key);
			if (strcmp(kx, kp ? kp : "") >= 0)
				break;
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	*out = a[1];
	return 0;
}

/* net.SplitHostPort: 0, or -1 on any of its errors. */
static int split_host_port(const char *s, size_t n, size_t *h0, size_t *h1, size_t *p0)
{
	const char *c = NULL;
	for (size_t i = n; i-- > 0;)
		if (s[i] == ':') {
			c = s + i;
			break;
		}
	if (!c)
		return -1;
	size_t i = (size_t)(c - s), j = 0, k = 0;
	if (s[0] == '[') {
		const char *e = memchr(s, ']', n);
		if (!e)
			return -1;
		size_t end = (size_t)(e - s);
		if (end + 1 == n || end + 1 != i)
			return -1;
		*h0 = 1, *h1 = end;
		j = 1, k = end + 1;
	} else {
		if (memchr(s, ':', i))
			return -1;
		*h0 = 0, *h1 = i;
	}
	if (memchr(s + j, '[', n - j) || memchr(s + k, ']', n - k))
		return -1;
	*p0 = i + 1;
	return 0;
}

FN(fn_stripPort)
{
	size_t h0, h1, p0;
	*out = a[0];
	if (!split_host_port(a[0].s, a[0].n, &h0, &h1, &p0)) {
		out->s = a[0].s + h0;
		out->n = h1 - h0;
	}
	return 0;
}

static bool parse_ip(const char *s, size_t n)
{
	char t[64];
	unsigned char bin[16];
	if (n == 0 || n >= sizeof t)
		return false;
	memcpy(t, s, n);
	t[n] = 0;
	return inet_pton(AF_INET, t, bin) == 1 || inet_pton(AF_INET6, t, bin) == 1;
}

FN(fn_stripDomain)
{
	size_t h0, h1, p0;
	const char *hs = a[0].s, *port = NULL;
	size_t hn = a[0].n, pn = 0;
	if (!split_host_port(a[0].s, a[0].n, &h0, &h1, &p0)) {
		hs = a[0].s + h0;
		hn = h1 - h0;
		port = a[0].s + p0;
		pn = a[0].n - p0;
	}
	if (parse_ip(hs, hn)) {
		*out = a[0];
		return 0;
	}
	const char *dot = memchr(hs, '.', hn);
	if (dot)
		hn = (size_t)(dot - hs);
	buf b;
	buf_init(&b);
	if (pn) {
		bool v6 = memchr(hs, ':', hn) != NULL;
		buf_printf(&b, "%s%.*s%s:%.*s", v6 ? "[" : "", (int)hn, hs, v6 ? "]" : "", (int)pn, port);
	} else {
		buf_put(&b, hs, hn);
	}
	return ret_buf(s, out, &b, TV_STRING, msg);
}

static const char *const si_big[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
static const char *const si_small[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
static const char *const iec_big[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};

/* Prometheus's humanize loops: divide v by step while |v| >= step (up),
 * or multiply it while |v| < 1, taking the next prefix each time. */
static const char *scale(double *v, const char *const prefixes[8], double step, bool up)
{
	const char *prefix = "";
	for (int i = 0; i < 8 && (up ? fabs(*v) >= step : fabs(*v) < 1); i++) {
		prefix = prefixes[i];
		*v = up ? *v / step : *v * step;
	}
	return prefix;
}

/* fmt.Sprintf("%s%.4g%s%s", pre, v, suffix, suffix2) as the result. */
static int ret_g4(tstate *s, tval *out, buf *msg, const char *pre, double v, const char *suffix, const char *suffix2)
{
	buf b;
	buf_init(&b);
	buf_put_str(&b, pre);
	tmpl__fmt_g4(&b, v);
	buf_put_str(&b, suffix);
	buf_put_str(&b, suffix2);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

FN(fn_humanize)
{
	double v;
	if (to_float(&a[0], &v, msg))
		return -1;
	const char *prefix = "";
	if (v != 0 && !isnan(v) && !isinf(v))
		prefix = fabs(v) >= 1 ? scale(&v, si_big, 1000, true) : scale(&v, si_small, 1000, false);
	return ret_g4(s, out, msg, "", v, prefix, "");
}

FN(fn_humanize1024)
{
	double v;
	if (to_float(&a[0], &v, msg))
		return -1;
	const char *prefix = "";
	if (!(fabs(v) <= 1 || isnan(v) || isinf(v)))
		prefix = scale(&v, iec_big, 1024, true);
	return ret_g4(s, out, msg, "", v, prefix, "");
}

FN(fn_humanizeDuration)
{
	double v;
	if (to_float(&a[0], &v, msg))
		return -1;
	if (isnan(v) || isinf(v))
		return ret_g4(s, out, msg, "", v, "", "");
	if (v == 0)
		return ret_g4(s, out, msg, "", v, "s", "");
	if (fabs(v) < 1) {
		const char *prefix = scale(&v, si_small, 1000, false);
		return ret_g4(s, out, msg, "", v, prefix, "s");
	}
	const char *sign = "";
	if (v < 0)
		sign = "-", v = -v;
	int64_t d = go_int64(v);
	int64_t secs = d % 60, mins = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
	if (!days && !hours && !mins)
		return ret_g4(s, out, msg, sign, v, "s", "");
	buf b;
	buf_init(&b);
	buf_put_str(&b, sign);
	if (days)
		buf_printf(&b, "%" PRId64 "d ", days);
	if (days || hours)
		buf_printf(&b, "%" PRId64 "h ", hours);
	buf_printf(&b, "%" PRId64 "m %" PRId64 "s", mins, secs);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

FN(fn_humanizePercentage)
{
	double v;
	if (to_float(&a[0], &v, msg))
		return -1;
	return ret_g4(s, out, msg, "", v * 100, "%", "");
}

/* floatToTime: ms since the epoch; 1 for NaN/Inf, -1 with msg on overflow. */
static int float_to_time(double v, int64_t *ms, buf *msg)
{
	if (isnan(v) || isinf(v))
		return 1;
	double ts = v * 1e9;
	if (ts > 9223372036854775807.0 || ts < -9223372036854775808.0) {
		char t[FMT_FLOAT_MAX];
		fmt_go_g(t, v);
		return fail(msg, "%s cannot be represented as a nanoseconds timestamp since it overflows int64", t);
	}
	*ms = go_int64(ts) / 1000000;
	return 0;
}

/* The argument as a float *v and, through float_to_time, a time *ms. */
static int arg_time(const tval *a, double *v, int64_t *ms, buf *msg)
{
	if (to_float(a, v, msg))
		return -1;
	return float_to_time(*v, ms, msg);
}

FN(fn_humanizeTimestamp)
{
	double v;
	int64_t ms;
	int rc = arg_time(&a[0], &v, &ms, msg);
	if (rc < 0)
		return -1;
	buf b;
	buf_init(&b);
	if (rc)
		tmpl__fmt_g4(&b, v);
	else
		tmpl__fmt_time(&b, ms);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

FN(fn_toTime)
{
	double v;
	int64_t ms;
	int rc = arg_time(&a[0], &v, &ms, msg);
	if (rc < 0)
		return -1;
	if (rc)
		return fail(msg, "value is NaN or Inf");
	*out = (tval){.k = TV_TIME, .i = ms};
	return 0;
}

FN(fn_toDuration)
{
	double v;
	if (to_float(&a[0], &v, msg))
		return -1;
	*out = (tval){.k = TV_DURATION, .i = go_int64(v * 1e9)};
	return 0;
}

FN(fn_now)
{
	*out = (tval){.k = TV_FLOAT, .f = (double)tmpl__data(s)->t_ms / 1000.0};
	return 0;
}

FN(fn_externalURL)
{
	const char *u = tmpl__data(s)->external_url;
	if (!u)
		return fail(msg, NIL_DEREF);
	*out = (tval){.k = TV_STRING, .s = u, .n = strlen(u)};
	return 0;
}

FN(fn_pathPrefix)
{
	const char *u = tmpl__data(s)->external_url;
	if (!u)
		return fail(msg, NIL_DEREF);
	const char *p = strstr(u, "://");
	p = p ? strchr(p + 3, '/') : (*u == '/' ? u : NULL);
	if (!p)
		p = "";
	*out = (tval){.k = TV_STRING, .s = p, .n = strcspn(p, "?#")};
	return 0;
}

FN(fn_parseDuration)
{
	const char *p = a[0].s;
	size_t len = a[0].n;
	bool neg = len && p[0] == '-';
	int64_t ms;
	err e;
	err_clear(&e);
	if (timeparse_model_duration(p + neg, len - neg, &ms, &e)) {
		if (neg && len > 1) {
			err_clear(&e);
			buf_put_str(msg, "not a valid duration string: ");
			fmt_go_quote(msg, p, len);
			return -1;
		}
		return fail(msg, "%s", e.msg);
	}
	int64_t ns = ms * 1000000;
	*out = (tval){.k = TV_FLOAT, .f = (double)(neg ? -ns : ns) / 1e9};
	return 0;
}

FN(fn_urlQueryEscape)
{
	buf b;
	buf_init(&b);
	query_escape(&b, a[0].s, a[0].n);
	return ret_buf(s, out, &b, TV_STRING, msg);
}

/* Map keys "arg0".."argN-1" in string order (fmtsort): 0, then 1, 10,
 * 100.., 11.., 2.. - numbers in lexicographic order. */
void tmpl__args_order(size_t n, size_t *ord)
{
	if (!n)
		return;
	ord[0] = 0;
	size_t max = n - 1, cur = 1;
	for (size_t k = 1; k < n; k++) {
		ord[k] = cur;
		if (cur <= max / 10 && cur * 10 <= max) {
			cur *= 10;
		} else {
			if (cur >= max)
				cur /= 10;
			cur++;
			while (cur % 10 == 0)
				cur /= 10;
		}
	}
}

/* ---- the table ---- */

#define S TP_STRING
#define A TP_ANY
const tfunc tmpl_funcs[] = {
	{"and", fn_andor, 1, true, {A}},
	{"call", fn_call, 1, true, {A}},
	{"html", fn_html, 0, true, {A}},
	{"index", fn_index, 1, true, {A}},
	{"slice", fn_slice, 1, true, {A}},
	{"js", fn_js, 0, true, {A}},
	{"len", fn_len, 1, false, {A}},
	{"not", fn_not, 1, false, {A}},
	{"or", fn_andor, 1, true, {A}},
	{"print", fn_print, 0, true, {A}},
	{"printf", fn_printf, 1, true, {S}},
	{"println", fn_println, 0, true, {A}},
	{"urlquery", fn_urlquery, 0, true, {A}},
	{"eq", fn_eq, 1, true, {A}},
	{"ge", fn_ge, 2, false, {A, A}},
	{"gt", fn_gt, 2, false, {A, A}},
	{"le", fn_le, 2, false, {A, A}},
	{"lt", fn_lt, 2, false, {A, A}},
	{"ne", fn_ne, 2, false, {A, A}},
	{"query", fn_query, 1, false, {S}},
	{"first", fn_first, 1, false, {TP_SAMPLES}},
	{"label", fn_label, 2, false, {S, TP_SAMPLE}},
	{"value", fn_value, 1, false, {TP_SAMPLE}},
	{"strvalue", fn_strvalue, 1, false, {TP_SAMPLE}},
	{"args", fn_args, 0, true, {A}},
	{"reReplaceAll", fn_reReplaceAll, 3, false, {S, S, S}},
	{"safeHtml", fn_safeHtml, 1, false, {S}},
	{"match", fn_match, 2, false, {S, S}},
	{"title", fn_title, 1, false, {S}},
	{"toUpper", fn_toUpper, 1, false, {S}},
	{"toLower", fn_toLower, 1, false, {S}},
	{"graphLink", fn_graphLink, 1, false, {S}},
	{"tableLink", fn_tableLink, 1, false, {S}},
	{"sortByLabel", fn_sortByLabel, 2, false, {S, TP_SAMPLES}},
	{"stripPort", fn_stripPort, 1, false, {S}},
	{"stripDomain", fn_stripDomain, 1, false, {S}},
	{"humanize", fn_humanize, 1, false, {A}},
	{"humanize1024", fn_humanize1024, 1, false, {A}},
	{"humanizeDuration", fn_humanizeDuration, 1, false, {A}},
	{"humanizePercentage", fn_humanizePercentage, 1, false, {A}},
	{"humanizeTimestamp", fn_humanizeTimestamp, 1, false, {A}},
	{"toTime", fn_toTime, 1, false, {A}},
	{"toDuration", fn_toDuration, 1, false, {A}},
	{"now", fn_now, 0, false, {A}},
	{"pathPrefix", fn_pathPrefix, 0, false, {A}},
	{"externalURL", fn_externalURL, 0, false, {A}},
	{"parseDuration", fn_parseDuration, 1, false, {S}},
	{"urlQueryEscape", fn_urlQueryEscape, 1, false, {S}},
};
#undef S
#undef A
const size_t tmpl_n_funcs = sizeof tmpl_funcs / sizeof tmpl_funcs[0];

int tmpl__func_find(const char *name)
{
	for (size_t i = 0; i < tmpl_n_funcs; i++)
		if (!strcmp(tmpl_funcs[i].name, name))
			return (int)i;
	return -1;
}
