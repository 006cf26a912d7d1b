/*
 * matcher.h - label matchers =, !=, =~, !~ (Prometheus model/labels/matcher.go).
 *
 * Regexes are RE2 syntax, fully anchored, and `.` matches newline
 * (Prometheus 3.x). They run on PCRE2 with JIT and a match limit, so a
 * pathological pattern errors at compile or evaluates as "no match" instead
 * of hanging. Fast paths (as Prometheus's FastRegexMatcher): a literal
 * alternation `a|b|c` becomes a set lookup, `prefix.*` a prefix compare,
 * `.*` matches everything, `.+` anything non-empty.
 *
 * A matcher owns copies of its name and value strings.
 */
#ifndef FL_MATCHER_H
#define FL_MATCHER_H

#include "lib/err.h"
#include "tsdb/labels.h"

typedef enum match_type { MATCH_EQ, MATCH_NEQ, MATCH_RE, MATCH_NRE } match_type;

typedef struct matcher {
	match_type type; /* operator */
	char *name;      /* label name, owned */
	char *value;     /* literal value or the regex source, owned */
	void *re;        /* compiled regex state for MATCH_RE/NRE (matcher.c), owned */
} matcher;

/* Returns 0 or FL_EINVAL with "error parsing regexp: ..." in e. */
int matcher_init(matcher *m, match_type t, const char *name, const char *value, err *e);
void matcher_reset(matcher *m);
/* Does value s (len bytes) satisfy the matcher? */
bool matcher_matches(const matcher *m, const char *s, size_t len);
static inline bool matcher_matches_str(const matcher *m, const char *s) { return matcher_matches(m, s, strlen(s)); }
/* The slow reference for tests and fuzzing: the matcher evaluated by PCRE2
 * alone, no fast path. 1 or 0, or a negative PCRE2 error (invalid UTF-8
 * subject, match limit) when PCRE2 cannot decide. */
int matcher_matches_slow(const matcher *m, const char *s, size_t len);
/* True when the matcher matches the empty string (so series lacking the label match). */
bool matcher_matches_empty(const matcher *m);
/* "=", "!=", "=~", "!~" */
const char *matcher_op_str(match_type t);
/* If the regex is a finite set of literals (a|b|c, or a plain literal),
 * return them (borrowed, valid while m lives) so the index can look them up
 * directly; else return 0. */
size_t matcher_set_values(const matcher *m, const char *const **vals);
/* Like matcher_set_values for the regex of =~ and !~ alike: the literals
 * the regex itself matches (for !~ the matcher matches all values but
 * these); 0 when the regex is not a finite literal set. */
size_t matcher_regex_set(const matcher *m, const char *const **vals);
/* If the regex is `lit.*`, return the literal prefix (borrowed); else NULL. */
const char *matcher_prefix(const matcher *m);

/*
 * The calling thread's guard for regexp matching (issue 14): while one is
 * set, a PCRE2 match is skipped (answered as no match for =~, a match for
 * !~) once *cancel is non-zero, so that every loop over label values ends
 * quickly after a query is canceled or times out, although tsdb knows
 * nothing of queries; and PCRE2 limit errors (match or depth limit, where
 * Go's RE2 would still answer) are counted. The guard's owner must treat a
 * result computed with n_skipped or n_limit non-zero as incomplete.
 * Borrowed until matcher_guard_set(NULL) on the same thread.
 */
typedef struct matcher_guard {
	const volatile int *cancel; /* non-zero: stop matching; NULL: never */
	unsigned long n_skipped;    /* matches skipped because of cancel */
	unsigned long n_limit;      /* PCRE2 limit errors */
} matcher_guard;
void matcher_guard_set(matcher_guard *g);

#endif
