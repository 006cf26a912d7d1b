/*
 * promqltest.c - the PromQL test-script runner (Prometheus
 * promql/promqltest/test.go), on a bare head through the engine with the
 * upstream runner's settings: lookback 5m, at most 10,000 samples per
 * query, @ and negative offsets on, experimental functions on.
 *
 * Lines are trimmed and `#` comment lines become blank (as getLines does);
 * a block (load or eval) runs until a blank line. Series descriptions are
 * `metric{l="v",...} points`; points expand `a+bxN` (N+1 values), `a-bxN`,
 * `axN`, `_`, `_xN`, `stale`. A series with native histogram points
 * (`{{...}}`) is not loaded (native histograms are a later issue), so the
 * evals that need it fail and sit on the known list.
 */
#include "promql/promqltest.h"
#include "lib/gomath.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/buf.h"
#include "promql/engine.h"
#include "tsdb/head.h"

#define EPSILON 1e-6
#define MAX_POINTS 100000

typedef struct script {
	const char *name;   /* file name for messages (basename for known keys) */
	char **lines;       /* trimmed lines, comments blanked */
	size_t n;           /* number of lines */
	head *h;            /* current storage */
	promql_engine *eng; /* engine with the runner's settings */
	const promqltest_known *k;
	FILE *out;
	promqltest_stats *st;
} script;

/* ---- small parsers ---- */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Prometheus model.ParseDuration (plus a bare number of seconds). */
static bool parse_duration(const char *s, size_t len, int64_t *ms)
{
	int64_t total = 0;
	size_t i = 0;
	if (len == 0)
		return false;
	bool any_unit = false;
	while (i < len) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		int64_t n = 0;
		while (i < len && isdigit((unsigned char)s[i]))
			n = n * 10 + (s[i++] - '0');
		if (i == len) {
			if (any_unit && n != 0)
				return false;
			total += n * 1000; /* bare seconds */
			break;
		}
		int64_t unit;
		if (len - i >= 2 && s[i] == 'm' && s[i + 1] == 's') {
			unit = 1;
			i += 2;
		} else {
			switch (s[i]) {
			case 'y': unit = 365LL * 24 * 3600 * 1000; break;
			case 'w': unit = 7LL * 24 * 3600 * 1000; break;
			case 'd': unit = 24LL * 3600 * 1000; break;
			case 'h': unit = 3600LL * 1000; break;
			case 'm': unit = 60LL * 1000; break;
			case 's': unit = 1000; break;
			default: return false;
			}
			i++;
		}
		any_unit = true;
		total += n * unit;
	}
	*ms = total;
	return true;
}

/* A float token: [+-](Inf|NaN|decimal[e exp]); no hex (0x5 is a repeat). */
static size_t scan_number(const char *p, double *v)
{
	size_t i = 0;
	if (p[i] == '+' || p[i] == '-')
		i++;
	if (!strncasecmp(p + i, "inf", 3) || !strncasecmp(p + i, "nan", 3)) {
		bool nan = !strncasecmp(p + i, "nan", 3);
		i += 3;
		if (!strncasecmp(p + i, "inity", 5))
			i += 5;
		*v = nan ? NAN : (p[0] == '-' ? -INFINITY : INFINITY);
		return i;
	}
	size_t d0 = i;
	while (isdigit((unsigned char)p[i]))
		i++;
	if (p[i] == '.') {
		i++;
		while (isdigit((unsigned char)p[i]))
			i++;
	}
	if (i == d0 || (i == d0 + 1 && p[d0] == '.'))
		return 0;
	if ((p[i] == 'e' || p[i] == 'E') &&
	    (isdigit((unsigned char)p[i + 1]) ||
	     ((p[i + 1] == '+' || p[i + 1] == '-') && isdigit((unsigned char)p[i + 2])))) {
		i += 2;
		while (isdigit((unsigned char)p[i]))
			i++;
	}
	char tmp[128];
	if (i >= sizeof tmp)
		return 0;
	memcpy(tmp, p, i);
	tmp[i] = 0;
	*v = strtod(tmp, NULL);
	return i;
}

static bool parse_number_line(const char *s, double *v)
{
	size_t n = scan_number(s, v);
	return n && *skip_ws(s + n) == 0;
}

/* Go-style quoted string ("..", '..' or `..`) into b; returns bytes used or 0. */
static size_t scan_string(const char *p, buf *b)
{
	char q = *p;
	if (q != '"' && q != '\'' && q != '`')
		return 0;
	size_t i = 1;
	while (p[i] && p[i] != q) {
		if (p[i] == '\\' && q != '`') {
			i++;
			char c = p[i];
			switch (c) {
			case 'n': buf_put_byte(b, '\n'); break;
			case 't': buf_put_byte(b, '\t'); break;
			case 'r': buf_put_byte(b, '\r'); break;
			case '\\': buf_put_byte(b, '\\'); break;
			case '"': buf_put_byte(b, '"'); break;
			case '\'': buf_put_byte(b, '\''); break;
			case 'x': {
				char h[3] = {p[i + 1], p[i + 1] ? p[i + 2] : 0, 0};
				buf_put_byte(b, (uint8_t)strtol(h, NULL, 16));
				i += 2;
				break;
			}
			default:
				if (!c)
					return 0;
				buf_put_byte(b, '\\');
				buf_put_byte(b, (uint8_t)c);
			}
			i++;
			continue;
		}
		buf_put_byte(b, (uint8_t)p[i++]);
	}
	if (p[i] != q)
		return 0;
	return i + 1;
}

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* Parse `name{a="b",...}` into the builder; returns bytes used or 0. */
static size_t scan_labels(const char *p, labels_builder *lb, arena *a)
{
	lb->n = 0; /* empty start (reset would memcpy from NULL) */
	size_t i = 0;
	if (name_char(p[0], true)) {
		while (name_char(p[i], i == 0))
			i++;
		labels_builder_set(lb, LABEL_NAME, arena_strndup(a, p, i));
	}
	if (p[i] != '{')
		return i;
	i++;
	for (;;) {
		i = (size_t)(skip_ws(p + i) - p);
		if (p[i] == '}')
			return i + 1;
		buf nb;
		buf_init(&nb);
		const char *name;
		size_t k = scan_string(p + i, &nb);
		if (k) {
			name = arena_strdup(a, buf_cstr(&nb));
			i += k;
		} else {
			size_t s = i;
			while (name_char(p[i], i == s))
				i++;
			if (i == s) {
				buf_reset(&nb);
				return 0;
			}
			name = arena_strndup(a, p + s, i - s);
		}
		buf_reset(&nb);
		i = (size_t)(skip_ws(p + i) - p);
		if (p[i] == '=') {
			i = (size_t)(skip_ws(p + i + 1) - p);
			buf vb;
			buf_init(&vb);
			k = scan_string(p + i, &vb);
			if (!k) {
				buf_reset(&vb);
				return 0;
			}
			labels_builder_set(lb, name, arena_strdup(a, buf_cstr(&vb)));
			buf_reset(&vb);
			i += k;
		} else {
			labels_builder_set(lb, LABEL_NAME, name); /* {"quoted.name"} */
		}
		i = (size_t)(skip_ws(p + i) - p);
		if (p[i] == ',')
			i++;
		else if (p[i] != '}')
			return 0;
	}
}

/* A point of a series description: value, or missing. */
typedef struct point {
	double v;
	bool missing;
} point;

typedef struct points {
	point *p;
	size_t n, cap;
	bool histogram; /* had {{...}} */
} points;

static bool pt_add(points *ps, double v, bool missing)
{
	if (ps->n >= MAX_POINTS)
		return false;
	if (ps->n == ps->cap) {
		size_t nc = ps->cap ? ps->cap * 2 : 16;
		point *np = fl_realloc(ps->p, nc * sizeof *np);
		if (!np)
			return false;
		ps->p = np;
		ps->cap = nc;
	}
	ps->p[ps->n].v = v;
	ps->p[ps->n].missing = missing;
	ps->n++;
	return true;
}

static bool scan_count(const char **p, long *n)
{
	if (**p != 'x')
		return false;
	char *end;
	*n = strtol(*p + 1, &end, 10);
	if (end == *p + 1 || *n < 0)
		return false;
	*p = end;
	return true;
}

/* Expand the values notation. */
static bool parse_points(const char *p, points *ps)
{
	for (;;) {
		p = skip_ws(p);
		if (!*p)
			return true;
		if (p[0] == '{' && p[1] == '{') {
			const char *e = strstr(p, "}}");
			if (!e)
				return false;
			ps->histogram = true;
			p = e + 2;
			if ((*p == '+' || *p == '-') && p[1] == '{' && p[2] == '{') { /* {{a}}+{{b}}xN */
				e = strstr(p, "}}");
				if (!e)
					return false;
				p = e + 2;
			}
			long n = 0;
			if (*p == 'x' && !scan_count(&p, &n))
				return false;
			for (long i = 0; i <= n; i++)
				if (!pt_add(ps, 0, true))
					return false;
			continue;
		}
		if (*p == '_') {
			p++;
			long n = 0;
			if (*p == 'x' && !scan_count(&p, &n))
				return false;
			for (long i = 0; i < (n ? n : 1); i++)
				if (!pt_add(ps, 0, true))
					return false;
			continue;
		}
		if (!strncmp(p, "stale", 5)) {
			p += 5;
			if (!pt_add(ps, stale_nan(), false))
				return false;
			continue;
		}
		double a, b = 0;
		size_t k = scan_number(p, &a);
		if (!k)
			return false;
		p += k;
		long n = 0;
		if (*p == '+' || *p == '-') {
			bool neg = *p == '-';
			size_t k2 = scan_number(p + 1, &b);
			if (!k2)
				return false;
			p += 1 + k2;
			if (neg)
				b = -b;
			if (!scan_count(&p, &n))
				return false;
		} else if (*p == 'x') {
			if (!scan_count(&p, &n))
				return false;
		}
		if (*p && *p != ' ' && *p != '\t')
			return false;
		double cur = a;
		for (long i = 0; i <= n; i++) {
			if (!pt_add(ps, cur, false))
				return false;
			cur += b;
		}
	}
}

bool promqltest_parse_series(const char *text, arena *a, labels *out)
{
	labels_builder lb;
	labels_builder_init(&lb);
	const char *p = skip_ws(text);
	size_t k = scan_labels(p, &lb, a);
	bool ok = k && !*skip_ws(p + k);
	if (ok)
		*out = labels_copy(a, labels_builder_labels(&lb));
	labels_builder_free(&lb);
	return ok;
}

bool promqltest_parse_values(const char *text, double **v, bool **missing, size_t *n)
{
	points ps = {0};
	*v = NULL;
	*missing = NULL;
	*n = 0;
	if (!parse_points(text, &ps) || ps.histogram) {
		fl_free(ps.p);
		return false;
	}
	if (ps.n) {
		*v = fl_malloc(ps.n * sizeof **v);
		*missing = fl_malloc(ps.n * sizeof **missing);
		if (!*v || !*missing) {
			fl_free(*v);
			fl_free(*missing);
			fl_free(ps.p);
			return false;
		}
	}
	for (size_t i = 0; i < ps.n; i++) {
		(*v)[i] = ps.p[i].v;
		(*missing)[i] = ps.p[i].missing;
	}
	*n = ps.n;
	fl_free(ps.p);
	return true;
}

/* A signed duration of the @st notation ("-30s", "1ms", "+1m", "0"):
 * returns the characters taken (0 when none). */
static size_t scan_st_dur(const char *p, int64_t *ms)
{
	size_t i = (*p == '-' || *p == '+') ? 1 : 0, k = i;
	while (isdigit((unsigned char)p[k]) || (k > i && strchr("ywdhms", p[k]) && p[k]))
		k++;
	if (k == i || !parse_duration(p + i, k - i, ms))
		return 0;
	if (*p == '-')
		*ms = -*ms;
	return k;
}

/* Expand an @st line: start timestamps as offsets from each sample's time,
 * in ms ("_" = none), with the values notation's a[+-]bxN and axN. */
static bool parse_st_points(const char *p, points *ps)
{
	for (;;) {
		p = skip_ws(p);
		if (!*p)
			return true;
		long n = 0;
		if (*p == '_') {
			p++;
			if (*p == 'x' && !scan_count(&p, &n))
				return false;
			for (long i = 0; i < (n ? n : 1); i++)
				if (!pt_add(ps, 0, true))
					return false;
			continue;
		}
		int64_t a, b = 0;
		size_t k = scan_st_dur(p, &a);
		if (!k)
			return false;
		p += k;
		if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
			if (!(k = scan_st_dur(p, &b)))
				return false;
			p += k;
			if (!scan_count(&p, &n))
				return false;
		} else if (*p == 'x' && !scan_count(&p, &n)) {
			return false;
		}
		if (*p && *p != ' ' && *p != '\t')
			return false;
		for (long i = 0; i <= n; i++)
			if (!pt_add(ps, (double)(a + i * b), false))
				return false;
	}
}

/* ---- known list ---- */
int promqltest_known_load(promqltest_known *k, const char *path, err *e)
{
	memset(k, 0, sizeof *k);
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(e, FL_EIO, "known failures %s: %s", path, strerror(errno));
	char line[1024];
	size_t cap = 0;
	while (fgets(line, sizeof line, f)) {
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		s[strcspn(s, "\r\n")] = 0;
		char *sp = s + strcspn(s, " \t");
		char *reason = *sp ? sp + 1 : sp;
		*sp = 0;
		if (k->n == cap) {
			cap = cap ? cap * 2 : 64;
			k->keys = fl_realloc(k->keys, cap * sizeof *k->keys);
			k->reason = fl_realloc(k->reason, cap * sizeof *k->reason);
			k->hit = fl_realloc(k->hit, cap * sizeof *k->hit);
			if (!k->keys || !k->reason || !k->hit) {
				fclose(f);
				return err_set(e, FL_ENOMEM, "known failures: out of memory");
			}
		}
		k->keys[k->n] = fl_strdup(s);
		k->reason[k->n] = fl_strdup(skip_ws(reason));
		k->hit[k->n] = false;
		k->n++;
	}
	fclose(f);
	return 0;
}

void promqltest_known_free(promqltest_known *k)
{
	for (size_t i = 0; i < k->n; i++) {
		fl_free(k->keys[i]);
		fl_free(k->reason[i]);
	}
	fl_free(k->keys);
	fl_free(k->reason);
	fl_free(k->hit);
	memset(k, 0, sizeof *k);
}

static bool is_known(const script *s, size_t line)
{
	if (!s->k)
		return false;
	const char *base = strrchr(s->name, '/');
	base = base ? base + 1 : s->name;
	char key[512];
	snprintf(key, sizeof key, "%s:%zu", base, line + 1);
	for (size_t i = 0; i < s->k->n; i++)
		if (!strcmp(s->k->keys[i], key)) {
			s->k->hit[i] = true;
			return true;
		}
	return false;
}

/* ---- load / clear ---- */
typedef struct loadser {
	labels ls; /* in the load arena */
	points ps; /* its points; for an @st line, start offsets in ms */
	bool st;   /* an @st line: start timestamps of the same series' samples */
} loadser;

/* The @st line given for series i's labels (the last one), or NULL. */
static const points *st_points(const loadser *ls, size_t n, size_t i)
{
	const points *r = NULL;
	for (size_t k = 0; k < n; k++)
		if (ls[k].st && labels_equal(ls[k].ls, ls[i].ls))
			r = &ls[k].ps;
	return r;
}

/* Append every series of a load block; a series given twice merges, the
 * later line winning at a shared time (as upstream's appender ends up). */
static int append_block(script *s, loadser *ls, size_t n, int64_t interval, err *e)
{
	appender *app = head_appender(s->h);
	if (!app)
		return err_set(e, FL_ENOMEM, "%s: cannot open an appender", s->name);
	for (size_t i = 0; i < n; i++) {
		if ((!ls[i].ls.v && ls[i].ls.n) || ls[i].st)
			continue;
		for (size_t k = i + 1; k < n; k++) {
			if (ls[k].st || !labels_equal(ls[i].ls, ls[k].ls))
				continue;
			for (size_t j = 0; j < ls[k].ps.n; j++) {
				if (ls[k].ps.p[j].missing)
					continue;
				while (ls[i].ps.n <= j)
					pt_add(&ls[i].ps, 0, true);
				if (j < ls[i].ps.n)
					ls[i].ps.p[j] = ls[k].ps.p[j];
			}
			ls[k].ps.n = 0;
		}
		series_ref ref = 0;
		const points *sp = st_points(ls, n, i);
		for (size_t j = 0; j < ls[i].ps.n; j++) {
			if (ls[i].ps.p[j].missing)
				continue;
			err ae;
			int64_t t = (int64_t)j * interval, st = 0;
			if (sp && j < sp->n && !sp->p[j].missing)
				st = t + (int64_t)sp->p[j].v;
			if (appender_append_st(app, ref, ls[i].ls, st, t, ls[i].ps.p[j].v, &ref, &ae))
				ref = 0; /* a rejected sample does not stop the load */
		}
	}
	err ce;
	if (appender_commit(app, &ce))
		return err_set(e, ce.code, "%s: commit: %s", s->name, ce.msg);
	return 0;
}

static int do_load(script *s, size_t *li, err *e)
{
	const char *l = s->lines[*li];
	const char *sp = l + strcspn(l, " \t");
	int64_t interval;
	const char *d = skip_ws(sp);
	if (!parse_duration(d, strlen(d), &interval))
		return err_set(e, FL_EPARSE, "%s:%zu: invalid load interval \"%s\"", s->name, *li + 1, d);
	arena a;
	arena_init(&a);
	labels_builder lb;
	labels_builder_init(&lb);
	loadser *ser = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	size_t i;
	for (i = *li + 1; i < s->n && s->lines[i][0] && !rc; i++) {
		const char *p = s->lines[i];
		points ps = {0};
		size_t k = scan_labels(p, &lb, &a);
		bool st = k && !strncmp(p + k, "@st", 3) && (!p[k + 3] || isspace((unsigned char)p[k + 3]));
		if (!k || !(st ? parse_st_points(p + k + 3, &ps) : parse_points(p + k, &ps))) {
			/* notation we do not support: the series is not loaded;
			 * evals needing it fail */
			fl_free(ps.p);
			fprintf(s->out, "%s:%zu: note: series not loaded (unsupported notation): %s\n", s->name, i + 1, p);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			loadser *ns = fl_realloc(ser, cap * sizeof *ns);
			if (!ns) {
				fl_free(ps.p);
				rc = err_set(e, FL_ENOMEM, "out of memory");
				break;
			}
			ser = ns;
		}
		ser[n].ls = labels_copy(&a, labels_builder_labels(&lb));
		ser[n].ps = ps;
		ser[n].st = st;
		n++;
	}
	*li = i;
	if (!rc)
		rc = append_block(s, ser, n, interval, e);
	for (size_t k = 0; k < n; k++)
		fl_free(ser[k].ps.p);
	fl_free(ser);
	labels_builder_free(&lb);
	arena_reset(&a);
	return rc;
}

/* A head whose bounds never reject a load: upstream's test storage takes a
 * later load's early samples (e.g. 1ms data after 10s data reaching 3h),
 * and the head's out-of-bounds window is half its chunk range. */
static head *open_head(err *e)
{
	head_opts o = {0};
	o.chunk_range_ms = 10LL * 365 * 24 * 3600 * 1000;
	return head_open(&o, e);
}

static int do_clear(script *s, err *e)
{
	head_close(s->h);
	s->h = open_head(e);
	return s->h ? 0 : (e && e->code ? e->code : FL_ENOMEM);
}

/* ---- eval ---- */
typedef struct expect_line {
	int kind;       /* 'f' fail, 'w' warn, 'i' info, 'W' no_warn, 'I' no_info, 'o' ordered, 's' string */
	int match;      /* 0 any, 'm' msg, 'r' regex */
	const char *text; /* message / regex / string */
} expect_line;

typedef struct exp_series {
	labels ls;  /* expected labels */
	points ps;  /* expected points */
} exp_series;

typedef struct evalcmd {
	size_t line;           /* 0-based line of the eval */
	const char *query;     /* the expression */
	bool range;            /* range query */
	int64_t start, end, step;
	expect_line *ex;       /* expectations */
	size_t n_ex;
	exp_series *es;        /* expected series */
	size_t n_es;
	bool has_scalar;       /* a bare scalar was expected */
	double scalar;         /* its value */
	bool rv;               /* expect range vector */
	int64_t rv_start, rv_end, rv_step;
	arena a;               /* strings */
} evalcmd;

static bool almost_equal(double a, double b) { return go_almost_equal(a, b, EPSILON); }

static bool regex_match(const char *re, const char *s)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &off, NULL);
	if (!c)
		return false;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(c, NULL);
	bool ok = md && pcre2_match(c, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return ok;
}

static bool ex_matches(const expect_line *x, const char *msg)
{
	if (x->match == 'm')
		return !strcmp(x->text, msg);
	if (x->match == 'r')
		return regex_match(x->text, msg);
	return true;
}

static int add_expect(evalcmd *c, int kind, int match, const char *text)
{
	expect_line *nx = fl_realloc(c->ex, (c->n_ex + 1) * sizeof *nx);
	if (!nx)
		return FL_ENOMEM;
	c->ex = nx;
	c->ex[c->n_ex].kind = kind;
	c->ex[c->n_ex].match = match;
	c->ex[c->n_ex].text = text ? arena_strdup(&c->a, text) : NULL;
	c->n_ex++;
	return 0;
}

static int parse_expect(evalcmd *c, const char *p)
{
	p = skip_ws(p + 6);
	static const struct {
		const char *w;
		int kind;
	} kinds[] = {{"fail", 'f'},    {"warn", 'w'},    {"info", 'i'},   {"no_warn", 'W'},
		     {"no_info", 'I'}, {"ordered", 'o'}, {"string", 's'}, {"range", 'R'}};
	int kind = 0;
	size_t wl = strcspn(p, " \t");
	for (size_t i = 0; i < FL_ARRAY_LEN(kinds); i++)
		if (strlen(kinds[i].w) == wl && !strncmp(p, kinds[i].w, wl))
			kind = kinds[i].kind;
	if (!kind)
		return FL_EPARSE;
	p = skip_ws(p + wl);
	if (kind == 's') {
		buf b;
		buf_init(&b);
		size_t k = scan_string(p, &b);
		int rc = k ? add_expect(c, 's', 0, buf_cstr(&b)) : FL_EPARSE;
		buf_reset(&b);
		return rc;
	}
	if (kind == 'R') { /* range vector from A to B step S */
		char a[64], b[64], st[64];
		if (sscanf(p, "vector from %63s to %63s step %63s", a, b, st) != 3 ||
		    !parse_duration(a, strlen(a), &c->rv_start) || !parse_duration(b, strlen(b), &c->rv_end) ||
		    !parse_duration(st, strlen(st), &c->rv_step))
			return FL_EPARSE;
		c->rv = true;
		return 0;
	}
	int match = 0;
	const char *text = NULL;
	if (!strncmp(p, "msg:", 4)) {
		match = 'm';
		text = skip_ws(p + 4);
	} else if (!strncmp(p, "regex:", 6)) {
		match = 'r';
		text = skip_ws(p + 6);
	}
	/* quoted messages are unquoted (README examples) */
	buf b;
	buf_init(&b);
	if (text && (*text == '"' || *text == '`') && scan_string(text, &b) == strlen(text))
		text = buf_cstr(&b);
	int rc = add_expect(c, kind, match, text);
	buf_reset(&b);
	return rc;
}

static int parse_eval_header(script *s, evalcmd *c, const char *l)
{
	const char *p = l + 4;
	if (*p == '_') {
		const char *w = p + 1;
		size_t wl = strcspn(w, " \t");
		if (!strncmp(w, "fail", wl) && wl == 4)
			add_expect(c, 'f', 0, NULL);
		else if (!strncmp(w, "warn", wl) && wl == 4)
			add_expect(c, 'w', 0, NULL);
		else if (!strncmp(w, "info", wl) && wl == 4)
			add_expect(c, 'i', 0, NULL);
		else if (!strncmp(w, "ordered", wl) && wl == 7)
			add_expect(c, 'o', 0, NULL);
		else
			return FL_EPARSE;
		p = w + wl;
	}
	p = skip_ws(p);
	char t1[64], t2[64], t3[64];
	int used = 0;
	if (!strncmp(p, "instant", 7)) {
		p = skip_ws(p + 7);
		if (sscanf(p, "at %63s %n", t1, &used) != 1 || !parse_duration(t1, strlen(t1), &c->start))
			return FL_EPARSE;
		c->end = c->start;
	} else if (!strncmp(p, "range", 5)) {
		p = skip_ws(p + 5);
		if (sscanf(p, "from %63s to %63s step %63s %n", t1, t2, t3, &used) != 3 ||
		    !parse_duration(t1, strlen(t1), &c->start) || !parse_duration(t2, strlen(t2), &c->end) ||
		    !parse_duration(t3, strlen(t3), &c->step))
			return FL_EPARSE;
		c->range = true;
	} else {
		return FL_EPARSE;
	}
	c->query = arena_strdup(&c->a, p + used);
	(void)s;
	return 0;
}

static int parse_eval(script *s, size_t *li, evalcmd *c, err *e)
{
	memset(c, 0, sizeof *c);
	arena_init(&c->a);
	c->line = *li;
	if (parse_eval_header(s, c, s->lines[*li]))
		return err_set(e, FL_EPARSE, "%s:%zu: bad eval line \"%s\"", s->name, *li + 1, s->lines[*li]);
	labels_builder lb;
	labels_builder_init(&lb);
	size_t i;
	int rc = 0;
	for (i = *li + 1; i < s->n && s->lines[i][0] && !rc; i++) {
		const char *p = s->lines[i];
		if (!strncmp(p, "expect ", 7)) {
			if (parse_expect(c, p))
				rc = err_set(e, FL_EPARSE, "%s:%zu: bad expect line \"%s\"", s->name, i + 1, p);
			continue;
		}
		if (!strncmp(p, "expected_fail_message ", 22)) {
			rc = add_expect(c, 'f', 'm', skip_ws(p + 22));
			continue;
		}
		if (!strncmp(p, "expected_fail_regexp ", 21)) {
			rc = add_expect(c, 'f', 'r', skip_ws(p + 21));
			continue;
		}
		double v;
		if (parse_number_line(p, &v)) {
			c->has_scalar = true;
			c->scalar = v;
			continue;
		}
		size_t k = scan_labels(p, &lb, &c->a);
		exp_series es = {0};
		if (!k || !parse_points(p + k, &es.ps)) {
			fl_free(es.ps.p);
			rc = err_set(e, FL_EPARSE, "%s:%zu: bad expected series \"%s\"", s->name, i + 1, p);
			break;
		}
		es.ls = labels_copy(&c->a, labels_builder_labels(&lb));
		exp_series *ns = fl_realloc(c->es, (c->n_es + 1) * sizeof *ns);
		if (!ns) {
			fl_free(es.ps.p);
			rc = FL_ENOMEM;
			break;
		}
		c->es = ns;
		c->es[c->n_es++] = es;
	}
	labels_builder_free(&lb);
	*li = i;
	return rc;
}

static void evalcmd_free(evalcmd *c)
{
	for (size_t i = 0; i < c->n_es; i++)
		fl_free(c->es[i].ps.p);
	fl_free(c->es);
	fl_free(c->ex);
	arena_reset(&c->a);
}

static bool has_expect(const evalcmd *c, int kind)
{
	for (size_t i = 0; i < c->n_ex; i++)
		if (c->ex[i].kind == kind)
			return true;
	return false;
}

/* Annotations: every expect line matches one; with any, all must match. */
static bool check_annos(const evalcmd *c, int kind, int nokind, const char **msgs, size_t n, buf *why)
{
	const char *what = kind == 'w' ? "warning" : "info";
	if (has_expect(c, nokind) && n) {
		buf_printf(why, "unexpected %s: %s", what, msgs[0]);
		return false;
	}
	if (!has_expect(c, kind))
		return true;
	for (size_t i = 0; i < c->n_ex; i++) {
		if (c->ex[i].kind != kind)
			continue;
		bool ok = false;
		for (size_t j = 0; j < n && !ok; j++)
			ok = ex_matches(&c->ex[i], msgs[j]);
		if (!ok) {
			buf_printf(why, "expected %s %s%s%s, got %zu%s%s", what, c->ex[i].text ? "\"" : "",
				   c->ex[i].text ? c->ex[i].text : "", c->ex[i].text ? "\"" : "", n, n ? ": " : "",
				   n ? msgs[0] : "");
			return false;
		}
	}
	for (size_t j = 0; j < n; j++) {
		bool ok = false;
		for (size_t i = 0; i < c->n_ex && !ok; i++)
			ok = c->ex[i].kind == kind && ex_matches(&c->ex[i], msgs[j]);
		if (!ok) {
			buf_printf(why, "unexpected %s: %s", what, msgs[j]);
			return false;
		}
	}
	return true;
}

static void fmt_series(buf *b, labels ls) { labels_format(b, ls); }

static bool compare_points(const evalcmd *c, const exp_series *es, const promql_series *g, int64_t start,
			   int64_t step, buf *why)
{
	size_t gi = 0;
	for (size_t j = 0; j < es->ps.n; j++) {
		if (es->ps.p[j].missing)
			continue;
		int64_t t = start + (int64_t)j * step;
		if (gi >= g->n || g->samples[gi].t != t) {
			fmt_series(why, es->ls);
			buf_printf(why, ": expected a point at %.3fs, got %s", (double)t / 1000.0,
				   gi < g->n ? "a point at another time" : "none");
			return false;
		}
		if (!almost_equal(es->ps.p[j].v, g->samples[gi].v)) {
			fmt_series(why, es->ls);
			buf_printf(why, " at %.3fs: want %.17g, got %.17g", (double)t / 1000.0, es->ps.p[j].v,
				   g->samples[gi].v);
			return false;
		}
		gi++;
	}
	if (gi != g->n) {
		fmt_series(why, es->ls);
		buf_printf(why, ": got %zu points, expected %zu", g->n, gi);
		return false;
	}
	(void)c;
	return true;
}

static bool compare_result(const evalcmd *c, const promql_result *r, buf *why)
{
	for (size_t i = 0; i < c->n_ex; i++)
		if (c->ex[i].kind == 's') {
			if (r->type != PT_STRING || strcmp(r->str, c->ex[i].text)) {
				buf_printf(why, "expected string \"%s\", got %s", c->ex[i].text,
					   r->type == PT_STRING ? r->str : promql_type_name(r->type));
				return false;
			}
			return true;
		}
	if (r->type == PT_SCALAR) {
		if (!c->has_scalar) {
			buf_printf(why, "got scalar %.17g, expected %zu series", r->scalar, c->n_es);
			return false;
		}
		if (!almost_equal(c->scalar, r->scalar)) {
			buf_printf(why, "want scalar %.17g, got %.17g", c->scalar, r->scalar);
			return false;
		}
		return true;
	}
	if (c->has_scalar) {
		buf_printf(why, "expected scalar %.17g, got %s", c->scalar, promql_type_name(r->type));
		return false;
	}
	if (r->type == PT_STRING) {
		buf_printf(why, "unexpected string result \"%s\"", r->str);
		return false;
	}
	if (r->n_series != c->n_es) {
		buf_printf(why, "expected %zu series, got %zu", c->n_es, r->n_series);
		for (size_t i = 0; i < r->n_series && i < 4; i++) {
			buf_put_str(why, i ? ", " : ": ");
			fmt_series(why, r->series[i].metric);
			if (r->series[i].n)
				buf_printf(why, " %.17g", r->series[i].samples[0].v);
		}
		return false;
	}
	bool ordered = has_expect(c, 'o');
	bool instant_vec = !c->range && !c->rv;
	for (size_t i = 0; i < c->n_es; i++) {
		const exp_series *es = &c->es[i];
		const promql_series *g = NULL;
		size_t gi;
		for (gi = 0; gi < r->n_series; gi++)
			if (labels_equal(r->series[gi].metric, es->ls)) {
				g = &r->series[gi];
				break;
			}
		if (!g) {
			buf_put_str(why, "expected series ");
			fmt_series(why, es->ls);
			buf_put_str(why, " not found");
			return false;
		}
		if (ordered && gi != i) {
			buf_put_str(why, "expected series ");
			fmt_series(why, es->ls);
			buf_printf(why, " at position %zu, got it at %zu", i, gi);
			return false;
		}
		if (instant_vec) {
			if (es->ps.n < 1 || g->n != 1 || !almost_equal(es->ps.p[0].v, g->samples[0].v)) {
				fmt_series(why, es->ls);
				buf_printf(why, ": want %.17g, got %.17g", es->ps.n ? es->ps.p[0].v : NAN,
					   g->n ? g->samples[0].v : NAN);
				return false;
			}
			continue;
		}
		int64_t start = c->rv ? c->rv_start : c->start, step = c->rv ? c->rv_step : c->step;
		if (!compare_points(c, es, g, start, step, why))
			return false;
	}
	return true;
}

/* Run one eval; returns true when it behaved as expected (why says otherwise). */
static bool run_eval(script *s, evalcmd *c, buf *why)
{
	promql_result r;
	err e;
	err_clear(&e);
	queryable *q = head_queryable(s->h);
	int rc = c->range ? promql_query_range(s->eng, q, c->query, c->start, c->end, c->step, NULL, &r, &e)
			  : promql_query_instant(s->eng, q, c->query, c->start, NULL, &r, &e);
	bool ok = true;
	if (has_expect(c, 'f')) {
		if (!rc) {
			buf_put_str(why, "expected the query to fail, it succeeded");
			ok = false;
		}
		for (size_t i = 0; ok && i < c->n_ex; i++)
			if (c->ex[i].kind == 'f' && !ex_matches(&c->ex[i], e.msg)) {
				buf_printf(why, "expected error \"%s\", got \"%s\"", c->ex[i].text, e.msg);
				ok = false;
			}
		promql_result_free(&r);
		return ok;
	}
	if (rc) {
		buf_printf(why, "unexpected error: %s", e.msg);
		promql_result_free(&r);
		return false;
	}
	ok = check_annos(c, 'w', 'W', r.warnings, r.n_warnings, why) &&
	     check_annos(c, 'i', 'I', r.infos, r.n_infos, why) && compare_result(c, &r, why);
	promql_result_free(&r);
	return ok;
}

static void record(script *s, evalcmd *c, bool ok, const char *why)
{
	bool known = is_known(s, c->line);
	if (ok) {
		s->st->passed++;
		if (known) {
			s->st->known_passed++;
			fprintf(s->out, "%s:%zu: known failure now passes, remove it from the list: %s\n", s->name,
				c->line + 1, c->query);
		}
		return;
	}
	if (known) {
		s->st->known++;
		return;
	}
	s->st->failed++;
	fprintf(s->out, "%s:%zu: FAIL %s\n    %s\n", s->name, c->line + 1, c->query, why);
}

static int split_lines(script *s, char *text)
{
	size_t cap = 0;
	for (char *p = text; p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		char *l = p;
		while (isspace((unsigned char)*l))
			l++;
		size_t n = strlen(l);
		while (n && isspace((unsigned char)l[n - 1]))
			l[--n] = 0;
		if (*l == '#')
			*l = 0;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 256;
			char **nl2 = fl_realloc(s->lines, cap * sizeof *nl2);
			if (!nl2)
				return FL_ENOMEM;
			s->lines = nl2;
		}
		s->lines[s->n++] = l;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int run_script(script *s, err *e)
{
	int rc = 0;
	for (size_t i = 0; i < s->n && !rc;) {
		const char *l = s->lines[i];
		if (!*l) {
			i++;
			continue;
		}
		if (!strncmp(l, "load", 4)) {
			rc = do_load(s, &i, e);
		} else if (!strcmp(l, "clear")) {
			rc = do_clear(s, e);
			i++;
		} else if (!strncmp(l, "eval", 4)) {
			evalcmd c;
			rc = parse_eval(s, &i, &c, e);
			if (!rc) {
				buf why;
				buf_init(&why);
				bool ok = run_eval(s, &c, &why);
				record(s, &c, ok, buf_cstr(&why));
				buf_reset(&why);
			}
			evalcmd_free(&c);
		} else {
			rc = err_set(e, FL_EPARSE, "%s:%zu: unknown command \"%s\"", s->name, i + 1, l);
		}
	}
	return rc;
}

int promqltest_run_string(const char *name, const char *text, const promqltest_known *k, FILE *out,
			  promqltest_stats *st, err *e)
{
	script s;
	memset(&s, 0, sizeof s);
	s.name = name;
	s.k = k;
	s.out = out;
	s.st = st;
	char *copy = fl_strdup(text);
	promql_engine_opts o;
	promql_engine_opts_default(&o);
	o.max_samples = 10000;
	o.timeout_ms = 0;
	s.eng = promql_engine_new(&o);
	s.h = open_head(e);
	int rc = (!copy || !s.eng) ? err_set(e, FL_ENOMEM, "out of memory") : !s.h ? (e && e->code ? e->code : FL_ENOMEM) : 0;
	if (!rc)
		rc = split_lines(&s, copy);
	if (!rc)
		rc = run_script(&s, e);
	if (s.h)
		head_close(s.h);
	promql_engine_free(s.eng);
	fl_free(s.lines);
	fl_free(copy);
	return rc;
}

int promqltest_run_file(const char *path, const promqltest_known *k, FILE *out, promqltest_stats *st, err *e)
{
	buf b;
	buf_init(&b);
	int rc = buf_read_file(&b, path, e);
	if (!rc)
		rc = promqltest_run_string(path, (const char *)b.p, k, out, st, e);
	buf_reset(&b);
	return rc;
}
