/*
 * regex_expand.c - the part of Go's regexp API that Prometheus's relabeling
 * (model/relabel) and PromQL's label_replace use, on PCRE2:
 *
 *   regexp.Compile("^(?s:" + s + ")$")   regex_compile_anchored
 *   FindStringSubmatchIndex / MatchString regex_match (a search from start)
 *   Regexp.Expand                         regex_expand
 *
 * Compile: the wrapped text goes through regex_compile_go (RE2's
 * acceptance, Go's error text) with PCRE2_UTF, PCRE2_DOLLAR_ENDONLY, since
 * Go's `$` outside multi-line mode matches only at the very end (PCRE2's
 * also before a final newline), and PCRE2_MATCH_INVALID_UTF, so that a
 * match does not first check the whole subject (a third of relabeling's
 * time) and an invalid byte fails only the items that meet it. Matching searches, as Go's does:
 * the anchors are in the pattern, so `a)|(b` is "starts with a or ends
 * with b" in both.
 *
 * Expand follows Go's regexp.go expand/extract: "$$" is "$"; after "$" a
 * name is "{" word "}" or the longest word, a word being letters, digits
 * (Unicode L and Nd, as unicode.IsLetter/IsDigit) and '_'; an all-digit
 * name without a leading zero and under 1e8 is a group number, anything
 * else a group name; a bad reference ("$", "${", "${}", "${a") is copied as
 * text. Non-ASCII name runes are classified by a one-class PCRE2 pattern
 * compiled once (PCRE2's Unicode tables); ASCII ones directly.
 *
 * Differences from RE2 left on purpose: a match that backtracks past
 * MATCH_LIMIT is a no match, and a byte that is not valid UTF-8 matches
 * no pattern item (Go reads it as U+FFFD, which `.` and [^a] match).
 *
 * State: one match context and one class pattern, made once
 * (pthread_once) and read-only after; match data per thread.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/regex_errors.h"

#include "lib/utf8.h"

#include <pthread.h>
#include <string.h>

#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pcre2_match_context *mctx; /* the match limits; read-only after once */
static pcre2_code *word_class;    /* one Unicode letter, Nd digit or '_' */
static pthread_key_t md_key;      /* frees a thread's match data at its exit */

static void md_free(void *md) { pcre2_match_data_free(md); }

static void init_once(void)
{
	mctx = pcre2_match_context_create(NULL);
	if (mctx) {
		pcre2_set_match_limit(mctx, MATCH_LIMIT);
		pcre2_set_depth_limit(mctx, DEPTH_LIMIT);
	}
	int ec;
	PCRE2_SIZE off;
	word_class = pcre2_compile((PCRE2_SPTR) "[\\p{L}\\p{Nd}_]", PCRE2_ZERO_TERMINATED,
				   PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &ec, &off, NULL);
	(void)pthread_key_create(&md_key, md_free);
}

pcre2_code *regex_compile_anchored(const char *v, err *e)
{
	buf w;
	buf_init(&w);
	buf_put_str(&w, "^(?s:");
	buf_put_str(&w, v);
	buf_put_str(&w, ")$");
	if (w.oom) {
		buf_reset(&w);
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	pcre2_code *code = regex_compile_go(buf_cstr(&w), PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, e);
	buf_reset(&w);
	if (code)
		pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

pcre2_match_data *regex_match_data(const pcre2_code *code)
{
	static _Thread_local pcre2_match_data *md;
	uint32_t groups = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (md && pcre2_get_ovector_count(md) > groups)
		return md;
	pthread_once(&once, init_once);
	pcre2_match_data *n = pcre2_match_data_create(groups + 1 < 16 ? 16 : groups + 1, NULL);
	if (!n)
		return NULL;
	pcre2_match_data_free(md);
	md = n;
	(void)pthread_setspecific(md_key, md);
	return md;
}

int regex_match(const pcre2_code *code, const char *s, size_t len, size_t start, pcre2_match_data *md)
{
	pthread_once(&once, init_once);
	return pcre2_match(code, (PCRE2_SPTR)s, len, start, 0, md, mctx);
}

/* Length of the word (Go's extract: letters, digits, '_') at s. */
static size_t word_len(const char *s)
{
	size_t i = 0;
	for (;;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
				i++;
			else
				return i;
			continue;
		}
		int w;
		if (utf8_decode(s + i, strlen(s + i), &w) < 0)
			return i; /* RuneError: neither letter nor digit */
		pthread_once(&once, init_once);
		pcre2_match_data *md = word_class ? pcre2_match_data_create(1, NULL) : NULL;
		int rc = md ? pcre2_match(word_class, (PCRE2_SPTR)s + i, (size_t)w, 0, 0, md, NULL) : -1;
		pcre2_match_data_free(md);
		if (rc < 0)
			return i;
		i += (size_t)w;
	}
}

/* Go's extract: the reference after a '$' at t. Returns its length (0 if
 * malformed); name/name_len get the name, *num the group number or -1. */
static size_t extract(const char *t, const char **name, size_t *name_len, long *num)
{
	bool brace = *t == '{';
	const char *s = brace ? t + 1 : t;
	size_t n = word_len(s);
	if (n == 0 || (brace && s[n] != '}'))
		return 0;
	*name = s;
	*name_len = n;
	*num = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || *num >= 100000000) {
			*num = -1;
			break;
		}
		*num = *num * 10 + (s[i] - '0');
	}
	if (s[0] == '0' && n > 1)
		*num = -1;
	return (size_t)(s + n + brace - t);
}

/* The group a name refers to, -1 if none (names are ASCII words in Go). */
static long group_of(const pcre2_code *code, const char *name, size_t n)
{
	char tmp[256];
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, name, n);
	tmp[n] = 0;
	int g = pcre2_substring_number_from_name(code, (PCRE2_SPTR)tmp);
	return g < 0 ? -1 : g;
}

void regex_expand(buf *out, const char *tmpl, const pcre2_code *code, const char *subj, const PCRE2_SIZE *ov,
		  int n_groups)
{
	const char *p = tmpl;
	for (;;) {
		const char *d = strchr(p, '$');
		if (!d) {
			buf_put_str(out, p);
			return;
		}
		buf_put(out, p, (size_t)(d - p));
		p = d + 1;
		if (*p == '$') {
			buf_put_byte(out, '$');
			p++;
			continue;
		}
		const char *name;
		size_t name_len;
		long g;
		size_t n = extract(p, &name, &name_len, &g);
		if (!n) {
			buf_put_byte(out, '$');
			continue;
		}
		p += n;
		if (g < 0)
			g = group_of(code, name, name_len);
		if (g >= 0 && g < n_groups && ov[2 * g] != PCRE2_UNSET)
			buf_put(out, subj + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}
