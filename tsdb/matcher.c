/*
 * matcher.c - label matchers (Prometheus model/labels/matcher.go and
 * regexp.go's FastRegexMatcher, reduced to the common fast paths).
 *
 * Regex compile: PCRE2 with PCRE2_ANCHORED|PCRE2_ENDANCHORED (RE2's full
 * anchoring without wrapping the pattern), PCRE2_DOTALL (3.x: `.` matches
 * newline), PCRE2_UTF, JIT when available, and a match limit so that a
 * catastrophic pattern stops instead of hanging (it then counts as no match).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/matcher.h"

#include <pcre2.h>
#include <stdio.h>

#define MATCH_LIMIT 1000000

typedef struct re_state {
	pcre2_code *code;           /* compiled, NULL when a fast path decides alone */
	pcre2_match_context *mctx;  /* carries the match limit */
	const char **set;           /* literal alternatives, or NULL */
	size_t n_set;               /* number of literal alternatives */
	char *set_store;            /* storage of set strings */
	char *prefix;               /* literal prefix for `lit.*`, or NULL */
	bool any;                   /* `.*` */
	bool nonempty;              /* `.+` */
	bool match_empty;           /* regex matches "" */
} re_state;

static pcre2_match_data *tls_md(void)
{
	static _Thread_local pcre2_match_data *md;
	if (!md)
		md = pcre2_match_data_create(1, NULL);
	return md;
}

static bool is_meta(char c) { return strchr("\\.+*?()|[]{}^$", c) != NULL; }

/* Split "a|b|c" of plain literals into a set; false if any metachar. */
static bool literal_set(re_state *st, const char *v)
{
	size_t n = 1;
	for (const char *p = v; *p; p++) {
		if (*p == '|')
			n++;
		else if (is_meta(*p))
			return false;
	}
	st->set_store = fl_strdup(v);
	st->set = fl_malloc(n * sizeof(char *));
	if (!st->set_store || !st->set)
		return false;
	char *s = st->set_store;
	st->n_set = 0;
	for (;;) {
		st->set[st->n_set++] = s;
		char *bar = strchr(s, '|');
		if (!bar)
			break;
		*bar = 0;
		s = bar + 1;
	}
	return true;
}

static bool re_exec(const re_state *st, const char *s, size_t len)
{
	if (st->any)
		return true;
	if (st->nonempty)
		return len > 0;
	if (st->set) {
		for (size_t i = 0; i < st->n_set; i++)
			if (strlen(st->set[i]) == len && memcmp(st->set[i], s, len) == 0)
				return true;
		return false;
	}
	if (st->prefix) {
		size_t pl = strlen(st->prefix);
		return len >= pl && memcmp(s, st->prefix, pl) == 0;
	}
	pcre2_match_data *md = tls_md();
	if (!md || !st->code)
		return false;
	int rc = pcre2_match(st->code, (PCRE2_SPTR)s, len, 0, 0, md, st->mctx);
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
	fl_free(st->set);
	fl_free(st->set_store);
	fl_free(st->prefix);
	fl_free(st);
}

static int re_compile(re_state *st, const char *v, err *e)
{
	/* Always compile, so invalid patterns are reported even when a fast path applies. */
	int ec;
	PCRE2_SIZE off;
	st->code = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED,
				 PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL | PCRE2_UTF | PCRE2_NO_UTF_CHECK, &ec,
				 &off, NULL);
	if (!st->code) {
		char msg[256];
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
		return err_set(e, FL_EINVAL, "error parsing regexp: %s at offset %zu: `%s`", msg, (size_t)off, v);
	}
	pcre2_jit_compile(st->code, PCRE2_JIT_COMPLETE);
	st->mctx = pcre2_match_context_create(NULL);
	if (!st->mctx)
		return err_set(e, FL_ENOMEM, "out of memory");
	pcre2_set_match_limit(st->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(st->mctx, 10000);
	if (!strcmp(v, ".*"))
		st->any = true;
	else if (!strcmp(v, ".+"))
		st->nonempty = true;
	else if (!literal_set(st, v)) {
		size_t n = strlen(v);
		if (n >= 2 && !strcmp(v + n - 2, ".*")) {
			bool lit = true;
			for (size_t i = 0; i + 2 < n; i++)
				if (is_meta(v[i]))
					lit = false;
			if (lit)
				st->prefix = fl_strndup(v, n - 2);
		}
	}
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
	if (m->type != MATCH_RE || !((re_state *)m->re)->set)
		return 0;
	*vals = ((re_state *)m->re)->set;
	return ((re_state *)m->re)->n_set;
}

const char *matcher_prefix(const matcher *m)
{
	if (m->type != MATCH_RE && m->type != MATCH_NRE)
		return NULL;
	return ((re_state *)m->re)->prefix;
}

size_t matcher_regex_set(const matcher *m, const char *const **vals)
{
	if ((m->type != MATCH_RE && m->type != MATCH_NRE) || !((re_state *)m->re)->set)
		return 0;
	*vals = ((re_state *)m->re)->set;
	return ((re_state *)m->re)->n_set;
}
