/*
 * matcher.c - label matchers (Prometheus model/labels/matcher.go and
 * regexp.go's FastRegexMatcher).
 *
 * Regex compile: PCRE2 with PCRE2_ANCHORED|PCRE2_ENDANCHORED (RE2's full
 * anchoring without wrapping the pattern), PCRE2_DOTALL (3.x: `.` matches
 * newline), PCRE2_UTF (an invalid UTF-8 pattern is an error, as in Go),
 * JIT when available, and a match limit so that a catastrophic pattern
 * stops instead of hanging (it then counts as no match).
 * Every pattern is compiled, so invalid ones are reported even when a fast
 * path would decide alone. A thread-local matcher_guard (set by the query
 * layer) stops PCRE2 matching once its query is canceled and counts limit
 * errors, which then make the query fail instead of answering wrongly.
 *
 * Fast paths (decided once at compile, from the pattern text), as upstream:
 *   - `.*` matches everything, `.+` anything non-empty;
 *   - literal alternations `a|b\.c|` (optionally wrapped in one group
 *     `(...)` / `(?:...)`) become a set: compared directly, and handed to
 *     the index through matcher_set_values / matcher_regex_set; sets of more
 *     than 8 are sorted (by length, then bytes) and binary-searched;
 *   - `lit.*` (prefix), `.*lit` (suffix), `.*lit.*` (contains), `lit.+`
 *     (prefix and at least one more character).
 * A literal is a run of characters that are not regex syntax, plus `\`
 * followed by ASCII punctuation. The fast paths agree with PCRE2 on valid
 * UTF-8 values (tests/unit/test_matcher.c checks them against it); on invalid
 * UTF-8, PCRE2 never matches while a fast path may (Go's RE2 reads such bytes
 * as U+FFFD, so the fast path is the closer one).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/matcher.h"
#include "tsdb/regex_errors.h"

#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MATCH_LIMIT 1000000
#define SET_BSEARCH_MIN 8

typedef enum re_kind { RE_SLOW, RE_ANY, RE_NONEMPTY, RE_SET, RE_PREFIX, RE_PREFIX_PLUS, RE_SUFFIX, RE_CONTAINS } re_kind;

typedef struct re_state {
	pcre2_code *code;          /* compiled pattern (always) */
	pcre2_match_context *mctx; /* carries the match limit */
	re_kind kind;              /* which fast path decides, RE_SLOW = PCRE2 */
	const char **set;          /* RE_SET: literal alternatives */
	size_t *set_len;           /* RE_SET: their lengths */
	size_t n_set;              /* RE_SET: count */
	char *store;               /* storage of the set strings / the literal */
	char *lit;                 /* RE_PREFIX*, RE_SUFFIX, RE_CONTAINS: the literal */
	size_t lit_len;            /* its length */
	bool match_empty;          /* regex matches "" */
} re_state;

static _Thread_local matcher_guard *tls_guard; /* this thread's query guard, or NULL */

void matcher_guard_set(matcher_guard *g) { tls_guard = g; }

/* Each thread's match data, freed when the thread ends (a key destructor). */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static void md_free(void *md) { pcre2_match_data_free(md); }
static void md_key_init(void) { (void)pthread_key_create(&md_key, md_free); }

static pcre2_match_data *tls_md(void)
{
	static _Thread_local pcre2_match_data *md;
	if (!md) {
		pthread_once(&md_once, md_key_init);
		md = pcre2_match_data_create(1, NULL);
		if (md)
			(void)pthread_setspecific(md_key, md);
	}
	return md;
}

/* ---- pattern analysis ---- */

static bool is_meta(char c) { return c && strchr("\\.+*?()|[]{}^$", c) != NULL; }

/* Unescape a literal run p[0..n) into out (NUL-terminated); false if it
 * holds regex syntax. out needs n + 1 bytes. */
static bool unescape_literal(const char *p, size_t n, char *out, size_t *out_len)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= n || !ispunct((unsigned char)p[i + 1]))
				return false;
			out[k++] = p[++i];
		} else if (is_meta(c)) {
			return false;
		} else {
			out[k++] = c;
		}
	}
	out[k] = 0;
	*out_len = k;
	return true;
}

/* Strip one group wrapping the whole pattern: "(x)" or "(?:x)". */
static void strip_group(const char **p, size_t *n)
{
	const char *s = *p;
	size_t len = *n, open = 0;
	if (len >= 2 && s[0] == '(' && s[len - 1] == ')' && !(len >= 3 && s[len - 2] == '\\'))
		open = len >= 4 && s[1] == '?' && s[2] == ':' ? 3 : (s[1] == '?' ? 0 : 1);
	if (!open)
		return;
	/* the first '(' must close at the end: no other parens inside */
	for (size_t i = open; i < len - 1; i++)
		if (s[i] == '\\')
			i++;
		else if (s[i] == '(' || s[i] == ')' || s[i] == '[')
			return;
	*p = s + open;
	*n = len - open - 1;
}

/* Split p[0..n) on '|' into literals; true if every alternative is one. */
static bool literal_set(re_state *st, const char *p, size_t n)
{
	size_t alts = 1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '|')
			alts++;
	}
	st->store = fl_malloc(n + alts);
	st->set = fl_malloc(alts * sizeof *st->set);
	st->set_len = fl_malloc(alts * sizeof *st->set_len);
	if (!st->store || !st->set || !st->set_len)
		return false;
	char *out = st->store;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i + 1 < n && p[i] == '\\') { /* a trailing backslash (in \Q) must not skip the end */
			i++;
			continue;
		}
		if (i < n && p[i] != '|')
			continue;
		size_t len;
		if (!unescape_literal(p + start, i - start, out, &len))
			return false;
		st->set[st->n_set] = out;
		st->set_len[st->n_set++] = len;
		out += len + 1;
		start = i + 1;
	}
	return true;
}

static int cmp_lit(const char *a, size_t al, const char *b, size_t bl)
{
	if (al != bl)
		return al < bl ? -1 : 1;
	return memcmp(a, b, al);
}

/* Sort the set (insertion order is not needed by anyone) for bsearch. */
static void sort_set(re_state *st)
{
	for (size_t i = 1; i < st->n_set; i++) {
		const char *s = st->set[i];
		size_t l = st->set_len[i], j = i;
		while (j > 0 && cmp_lit(st->set[j - 1], st->set_len[j - 1], s, l) > 0) {
			st->set[j] = st->set[j - 1];
			st->set_len[j] = st->set_len[j - 1];
			j--;
		}
		st->set[j] = s;
		st->set_len[j] = l;
	}
}

static void free_set(re_state *st)
{
	fl_free(st->set);
	fl_free(st->set_len);
	fl_free(st->store);
	st->set = NULL;
	st->set_len = NULL;
	st->store = NULL;
	st->n_set = 0;
}

/* `.*lit`, `lit.*`, `.*lit.*`, `lit.+`: set kind/lit when one fits. */
static void affix(re_state *st, const char *v, size_t n)
{
	bool lead = n >= 2 && !strncmp(v, ".*", 2);
	size_t min_trail = lead ? 4 : 3; /* room for the lead and v[n - 3] */
	bool trail_star = n >= min_trail && !strncmp(v + n - 2, ".*", 2) && v[n - 3] != '\\';
	bool trail_plus = !lead && n >= 3 && !strncmp(v + n - 2, ".+", 2) && v[n - 3] != '\\';
	size_t from = lead ? 2 : 0, to = n - (trail_star || trail_plus ? 2 : 0);
	if ((!lead && !trail_star && !trail_plus) || to < from)
		return;
	char *lit = fl_malloc(to - from + 1);
	size_t len;
	if (!lit || !unescape_literal(v + from, to - from, lit, &len)) {
		fl_free(lit);
		return;
	}
	st->lit = lit;
	st->lit_len = len;
	st->kind = lead ? (trail_star ? RE_CONTAINS : RE_SUFFIX) : trail_star ? RE_PREFIX : RE_PREFIX_PLUS;
}

static void analyze(re_state *st, const char *v)
{
	size_t n = strlen(v);
	if (!strcmp(v, ".*")) {
		st->kind = RE_ANY;
		return;
	}
	if (!strcmp(v, ".+")) {
		st->kind = RE_NONEMPTY;
		return;
	}
	const char *p = v;
	size_t pn = n;
	strip_group(&p, &pn);
	if (literal_set(st, p, pn)) {
		st->kind = RE_SET;
		if (st->n_set >= SET_BSEARCH_MIN)
			sort_set(st);
		return;
	}
	free_set(st);
	affix(st, v, n);
}

/* ---- matching ---- */

static bool set_has(const re_state *st, const char *s, size_t len)
{
	if (st->n_set < SET_BSEARCH_MIN) {
		for (size_t i = 0; i < st->n_set; i++)
			if (st->set_len[i] == len && memcmp(st->set[i], s, len) == 0)
				return true;
		return false;
	}
	size_t lo = 0, hi = st->n_set;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_lit(st->set[mid], st->set_len[mid], s, len);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool re_exec(const re_state *st, const char *s, size_t len)
{
	switch (st->kind) {
	case RE_ANY:
		return true;
	case RE_NONEMPTY:
		return len > 0;
	case RE_SET:
		return set_has(st, s, len);
	case RE_PREFIX:
		return len >= st->lit_len && memcmp(s, st->lit, st->lit_len) == 0;
	case RE_PREFIX_PLUS:
		return len > st->lit_len && memcmp(s, st->lit, st->lit_len) == 0;
	case RE_SUFFIX:
		return len >= st->lit_len && memcmp(s + len - st->lit_len, st->lit, st->lit_len) == 0;
	case RE_CONTAINS:
		return st->lit_len == 0 || memmem(s, len, st->lit, st->lit_len) != NULL;
	case RE_SLOW:
		break;
	}
	pcre2_match_data *md = tls_md();
	matcher_guard *g = tls_guard;
	if (!md || !st->code)
		return false;
	if (g && g->cancel && *g->cancel) {
		g->n_skipped++;
		return false;
	}
	int rc = pcre2_match(st->code, (PCRE2_SPTR)s, len, 0, 0, md, st->mctx);
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && g)
		g->n_limit++;
	return rc >= 0;
}

static void re_free(re_state *st)
{
	if (!st)
		return;
	if (st->code)
		pcre2_code_free(st->code);
	if (st->mctx)
		pcre2_match_context_free(st->mctx);
	free_set(st);
	fl_free(st->lit);
	fl_free(st);
}

static int re_compile(re_state *st, const char *v, err *e)
{
	st->code = regex_compile_go(v, PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL | PCRE2_UTF, e);
	if (!st->code)
		return FL_EINVAL; /* e set by regex_compile_go (tsdb/regex_errors.c: Go's messages) */
	pcre2_jit_compile(st->code, PCRE2_JIT_COMPLETE);
	st->mctx = pcre2_match_context_create(NULL);
	if (!st->mctx)
		return err_set(e, FL_ENOMEM, "out of memory");
	pcre2_set_match_limit(st->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(st->mctx, 10000);
	analyze(st, v);
	st->match_empty = re_exec(st, "", 0);
	return 0;
}

int matcher_init(matcher *m, match_type t, const char *name, const char *value, err *e)
{
	memset(m, 0, sizeof *m);
	m->type = t;
	m->name = fl_strdup(name);
	m->value = fl_strdup(value);
	if (!m->name || !m->value) {
		matcher_reset(m);
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	if (t == MATCH_RE || t == MATCH_NRE) {
		re_state *st = fl_calloc(1, sizeof *st);
		if (!st) {
			matcher_reset(m);
			return err_set(e, FL_ENOMEM, "out of memory");
		}
		m->re = st;
		int rc = re_compile(st, value, e);
		if (rc) {
			matcher_reset(m);
			return rc;
		}
	}
	return 0;
}

void matcher_reset(matcher *m)
{
	fl_free(m->name);
	fl_free(m->value);
	re_free(m->re);
	memset(m, 0, sizeof *m);
}

bool matcher_matches(const matcher *m, const char *s, size_t len)
{
	switch (m->type) {
	case MATCH_EQ:
		return strlen(m->value) == len && memcmp(m->value, s, len) == 0;
	case MATCH_NEQ:
		return !(strlen(m->value) == len && memcmp(m->value, s, len) == 0);
	case MATCH_RE:
		return re_exec(m->re, s, len);
	case MATCH_NRE:
		return !re_exec(m->re, s, len);
	}
	return false;
}

int matcher_matches_slow(const matcher *m, const char *s, size_t len)
{
	if (m->type == MATCH_EQ || m->type == MATCH_NEQ)
		return matcher_matches(m, s, len);
	re_state *st = m->re;
	pcre2_match_data *md = tls_md();
	if (!md)
		return -1;
	int rc = pcre2_match(st->code, (PCRE2_SPTR)s, len, 0, 0, md, st->mctx);
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		return rc;
	return (rc >= 0) == (m->type == MATCH_RE);
}

bool matcher_matches_empty(const matcher *m)
{
	switch (m->type) {
	case MATCH_EQ:
		return !m->value[0];
	case MATCH_NEQ:
		return m->value[0] != 0;
	case MATCH_RE:
		return ((re_state *)m->re)->match_empty;
	case MATCH_NRE:
		return !((re_state *)m->re)->match_empty;
	}
	return false;
}

const char *matcher_op_str(match_type t)
{
	static const char *ops[] = {"=", "!=", "=~", "!~"};
	return ops[t];
}

size_t matcher_set_values(const matcher *m, const char *const **vals)
{
	if (m->type == MATCH_EQ) {
		*vals = (const char *const *)&m->value;
		return 1;
	}
	if (m->type != MATCH_RE)
		return 0;
	return matcher_regex_set(m, vals);
}

size_t matcher_regex_set(const matcher *m, const char *const **vals)
{
	if (m->type != MATCH_RE && m->type != MATCH_NRE)
		return 0;
	re_state *st = m->re;
	if (st->kind != RE_SET)
		return 0;
	*vals = st->set;
	return st->n_set;
}

const char *matcher_prefix(const matcher *m)
{
	if (m->type != MATCH_RE && m->type != MATCH_NRE)
		return NULL;
	re_state *st = m->re;
	return st->kind == RE_PREFIX ? st->lit : NULL;
}
