/*
 * relabel.c - Prometheus's relabeling (model/relabel/relabel.go, v3.x).
 *
 * A rule joins the values of its source_labels with its separator (an
 * absent label is "") and then, by action:
 *   replace    if the regex matches, target_label and replacement are
 *              expanded with the groups ("$1", "${name}"); an expanded
 *              target that is not a valid label name is skipped, an empty
 *              replacement deletes the target
 *   keep/drop  drop the set unless / if the regex matches
 *   keepequal/dropequal  drop unless / if target_label's value equals it
 *   hashmod    target = (big-endian last 8 bytes of MD5(value)) % modulus
 *   labelmap   every label whose name matches gets copied to the name the
 *              replacement expands to (Go's ReplaceAllString)
 *   labeldrop/labelkeep  delete the labels whose names match / don't
 *   lowercase/uppercase  target = Go's strings.ToLower/ToUpper(value)
 * The regex is "^(?s:" regex ")$" (tsdb/regex_expand.c).
 *
 * The working set mirrors Go's labels.Builder, because the order in which
 * labelmap visits labels decides which copy wins when two names map to
 * the same target: base labels (the input, sorted) that were neither set
 * nor deleted, then the labels set so far in the order they were first
 * set, all as a snapshot taken before the rule runs (Builder.Range).
 * Invariants:
 *   1. gone[i] once base label i has been set or deleted; it never clears
 *      (Go keeps a deleted name in del, and a set name in add or del);
 *   2. add holds distinct names with non-empty values, in first-set order;
 *   3. Get(name) = add's value, else base's when not gone, else "".
 *
 * Case mapping: Go maps rune by rune with the simple Unicode mappings
 * (unicode.ToLower/ToUpper) and writes U+FFFD for invalid bytes; here
 * towlower_l/towupper_l with glibc's C.UTF-8 locale, made once; where it
 * is missing, ASCII only.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/relabel.h"

#include "lib/fmtfloat.h"
#include "lib/md5.h"
#include "lib/utf8.h"
#include "tsdb/regex_errors.h"

#include <assert.h>
#include <inttypes.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <wctype.h>

const char relabel_default_regex[] = "(.*)";

static const char *const action_names[] = {
	[RELABEL_REPLACE] = "replace",	   [RELABEL_KEEP] = "keep",
	[RELABEL_DROP] = "drop",	   [RELABEL_KEEPEQUAL] = "keepequal",
	[RELABEL_DROPEQUAL] = "dropequal", [RELABEL_HASHMOD] = "hashmod",
	[RELABEL_LABELMAP] = "labelmap",   [RELABEL_LABELDROP] = "labeldrop",
	[RELABEL_LABELKEEP] = "labelkeep", [RELABEL_LOWERCASE] = "lowercase",
	[RELABEL_UPPERCASE] = "uppercase",
};
#define N_ACTIONS (sizeof action_names / sizeof *action_names)

/* ---- Go's strings.ToLower / ToUpper ---- */

static pthread_once_t loc_once = PTHREAD_ONCE_INIT;
static locale_t utf8_loc; /* C.UTF-8 for the case tables, (locale_t)0 if missing; read-only after loc_once */

static void loc_init(void) { utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

static int32_t map_rune(int32_t r, bool upper)
{
	if (r < 0x80)
		return upper ? (r >= 'a' && r <= 'z' ? r - 32 : r) : (r >= 'A' && r <= 'Z' ? r + 32 : r);
	if (!utf8_loc)
		return r;
	return (int32_t)(upper ? towupper_l((wint_t)r, utf8_loc) : towlower_l((wint_t)r, utf8_loc));
}

/* s mapped into out (room for 3 * n + 1: a rune grows by a byte at most, an
 * invalid byte becomes 3); returns the length. */
static size_t case_map(char *out, const char *s, size_t n, bool upper)
{
	pthread_once(&loc_once, loc_init);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int w;
		int32_t r = utf8_decode(s + i, n - i, &w);
		i += (size_t)w;
		o += (size_t)utf8_encode(out + o, r < 0 ? UTF8_RUNE_ERROR : map_rune(r, upper));
	}
	out[o] = 0;
	return o;
}

/* ---- names ---- */

static bool legacy_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

bool relabel_valid_label_name(const char *s, bool legacy)
{
	if (!*s)
		return false;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		int w;
		if (legacy ? !legacy_char(s[i], i == 0) : utf8_decode(s + i, n - i, &w) < 0)
			return false;
		i += legacy ? 1 : (size_t)w;
	}
	return true;
}

static bool word_char(char c) { return legacy_char(c, false); }

/* Prometheus's relabelTargetLegacy, `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`:
 * legacy name characters and "$word" / "${word}" references, not starting
 * with a digit. */
static bool legacy_name_with_vars(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	while (*s) {
		if (*s != '$') {
			if (!word_char(*s++))
				return false;
			continue;
		}
		bool brace = *++s == '{';
		s += brace;
		const char *w = s;
		while (word_char(*s))
			s++;
		if (s == w || (brace && *s++ != '}'))
			return false;
	}
	return true;
}

/* isValidLabelNameWithRegexVarFn: the legacy scheme allows references, UTF-8 anything valid. */
static bool valid_name_with_vars(const char *s, bool legacy)
{
	return legacy ? legacy_name_with_vars(s) : relabel_valid_label_name(s, false);
}

/* ---- config ---- */

int relabel_action_parse(const char *s)
{
	size_t n = strlen(s);
	char low[64];
	if (3 * n + 1 > sizeof low)
		return -1;
	case_map(low, s, n, false);
	for (size_t i = 0; i < N_ACTIONS; i++)
		if (!strcmp(low, action_names[i]))
			return (int)i;
	return -1;
}

const char *relabel_action_name(relabel_action a) { return (size_t)a < N_ACTIONS ? action_names[a] : "unknown"; }

void relabel_config_defaults(relabel_config *c)
{
	c->separator = ";";
	c->regex = relabel_default_regex;
	c->replacement = "$1";
	c->action = RELABEL_REPLACE;
}

void relabel_config_free(relabel_config *c)
{
	pcre2_code_free(c->re);
	c->re = NULL;
}

static const char *str(const char *s) { return s ? s : ""; }

/* `"%q" is invalid '<what>' for <action> action` */
static int invalid(err *e, const char *what, const char *v, relabel_action a)
{
	buf q;
	buf_init(&q);
	fmt_go_quote(&q, v, strlen(v));
	err_set(e, FL_EINVAL, "%s is invalid '%s' for %s action", buf_cstr(&q), what, relabel_action_name(a));
	buf_reset(&q);
	return FL_EINVAL;
}

/* RelabelConfig.Validate, check by check in Prometheus's order. */
static int validate(const relabel_config *c, err *e)
{
	relabel_action a = c->action;
	const char *name = relabel_action_name(a), *target = str(c->target_label), *repl = str(c->replacement);
	bool leg = c->legacy_names, vars = strchr(target, '$') != NULL;
	bool case_or_eq = a == RELABEL_LOWERCASE || a == RELABEL_UPPERCASE || a == RELABEL_KEEPEQUAL ||
			  a == RELABEL_DROPEQUAL;
	if ((size_t)a >= N_ACTIONS)
		return err_set(e, FL_EINVAL, "relabel action cannot be empty");
	if (a == RELABEL_HASHMOD && c->modulus == 0)
		return err_set(e, FL_EINVAL, "relabel configuration for hashmod requires non-zero modulus");
	if ((a == RELABEL_REPLACE || a == RELABEL_HASHMOD || case_or_eq) && !*target)
		return err_set(e, FL_EINVAL, "relabel configuration for %s action requires 'target_label' value", name);
	if (a == RELABEL_REPLACE && !vars && !relabel_valid_label_name(target, leg))
		return invalid(e, "target_label", target, a);
	if (a == RELABEL_REPLACE && vars && !valid_name_with_vars(target, leg))
		return invalid(e, "target_label", target, a);
	if (case_or_eq && !relabel_valid_label_name(target, leg))
		return invalid(e, "target_label", target, a);
	if (case_or_eq && strcmp(repl, "$1"))
		return err_set(e, FL_EINVAL, "'replacement' can not be set for %s action", name);
	if (a == RELABEL_LABELMAP && !valid_name_with_vars(repl, leg))
		return invalid(e, "replacement", repl, a);
	if (a == RELABEL_HASHMOD && !relabel_valid_label_name(target, leg))
		return invalid(e, "target_label", target, a);
	bool defaults = c->modulus == 0 && !strcmp(str(c->separator), ";") && !strcmp(repl, "$1");
	if ((a == RELABEL_DROPEQUAL || a == RELABEL_KEEPEQUAL) && (c->regex != relabel_default_regex || !defaults))
		return err_set(e, FL_EINVAL, "%s action requires only 'source_labels' and `target_label`, and no other fields",
			       name);
	if ((a == RELABEL_LABELDROP || a == RELABEL_LABELKEEP) && (c->n_source_labels || *target || !defaults))
		return err_set(e, FL_EINVAL, "%s action requires only 'regex', and no other fields", name);
	return 0;
}

int relabel_compile(relabel_config *c, err *e)
{
	relabel_config_free(c);
	const char *re = str(c->regex);
	if (!(c->re = regex_compile_anchored(re, e)))
		return e && e->code ? e->code : FL_EINVAL;
	c->re_all = !strcmp(re, "(.*)");
	int rc = validate(c, e);
	if (rc)
		relabel_config_free(c);
	return rc;
}

/* ---- the working set (Go's labels.Builder) ---- */

typedef struct work {
	labels base;  /* the input, sorted */
	bool *gone;   /* per base label: set or deleted since (invariant 1) */
	label *add;   /* labels set, in first-set order (invariant 2) */
	size_t n_add; /* entries in add */
	size_t cap;   /* room in add */
	arena *a;     /* scratch: gone, add, snapshots, made strings */
	bool oom;     /* an allocation failed */
} work;

static long base_find(const work *w, const char *name)
{
	size_t lo = 0, hi = w->base.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(w->base.v[mid].name, name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const char *get(const work *w, const char *name)
{
	for (size_t i = 0; i < w->n_add; i++)
		if (!strcmp(w->add[i].name, name))
			return w->add[i].value;
	long i = base_find(w, name);
	return i >= 0 && !w->gone[i] ? w->base.v[i].value : "";
}

static void del(work *w, const char *name)
{
	for (size_t i = 0; i < w->n_add; i++)
		if (!strcmp(w->add[i].name, name)) {
			memmove(&w->add[i], &w->add[i + 1], (w->n_add - i - 1) * sizeof *w->add);
			w->n_add--;
			break;
		}
	long i = base_find(w, name);
	if (i >= 0)
		w->gone[i] = true;
}

static void set(work *w, const char *name, const char *value)
{
	if (!*value) {
		del(w, name);
		return;
	}
	for (size_t i = 0; i < w->n_add; i++)
		if (!strcmp(w->add[i].name, name)) {
			w->add[i].value = value;
			return;
		}
	if (w->n_add == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		label *n = arena_alloc(w->a, cap * sizeof *n);
		if (!n) {
			w->oom = true;
			return;
		}
		if (w->n_add)
			memcpy(n, w->add, w->n_add * sizeof *n);
		w->add = n;
		w->cap = cap;
	}
	w->add[w->n_add++] = (label){name, value};
	long i = base_find(w, name);
	if (i >= 0)
		w->gone[i] = true;
}

/* A copy of b's bytes in the scratch arena (NULL and oom on failure). */
static const char *keep_str(work *w, buf *b)
{
	if (!b->oom && !b->len)
		return "";
	char *s = b->oom ? NULL : arena_strndup(w->a, (const char *)b->p, b->len);
	if (!s)
		w->oom = true;
	return s ? s : "";
}

/* ---- matching ---- */

typedef struct match {
	PCRE2_SIZE all[4];   /* the groups when the regex is "(.*)" */
	const PCRE2_SIZE *ov; /* the ovector */
	int n;               /* groups set, 0 = no match */
} match;

static bool find(const relabel_config *c, const char *s, size_t len, size_t start, match *m)
{
	if (c->re_all) {
		if (start > 0) /* `^` */
			return m->n = 0, false;
		m->all[0] = m->all[2] = 0;
		m->all[1] = m->all[3] = len;
		m->ov = m->all;
		return m->n = 2, true;
	}
	pcre2_match_data *md = regex_match_data(c->re);
	int rc = md ? regex_match(c->re, s, len, start, md) : -1;
	m->n = rc > 0 ? rc : 0;
	m->ov = md ? pcre2_get_ovector_pointer(md) : NULL;
	return m->n > 0;
}

static bool matches(const relabel_config *c, const char *s)
{
	match m;
	return find(c, s, strlen(s), 0, &m);
}

/* Go's Regexp.ReplaceAllString(s, repl) into out. */
static void replace_all(buf *out, const relabel_config *c, const char *s, const char *repl)
{
	size_t len = strlen(s), last = 0, pos = 0;
	match m;
	while (pos <= len && find(c, s, len, pos, &m)) {
		size_t a0 = m.ov[0], a1 = m.ov[1];
		buf_put(out, s + last, a0 - last);
		if (a1 > last || a0 == 0) /* not an empty match right after the last one */
			regex_expand(out, repl, c->re, s, m.ov, m.n);
		last = a1;
		int w = 0;
		if (pos < len)
			utf8_decode(s + pos, len - pos, &w);
		pos = pos + (size_t)w > a1 ? pos + (size_t)w : pos + 1 > a1 ? pos + 1 : a1;
	}
	buf_put(out, s + last, len - last);
}

/* ---- actions ---- */

/* The source values joined with the separator, in the scratch arena. */
static const char *joined(work *w, const relabel_config *c)
{
	const char *sep = str(c->separator);
	size_t n = 0, sep_len = strlen(sep);
	const char *v[16], **vals = c->n_source_labels <= 16 ? v : arena_alloc(w->a, c->n_source_labels * sizeof *vals);
	if (!vals)
		return w->oom = true, "";
	for (size_t i = 0; i < c->n_source_labels; i++) {
		vals[i] = get(w, c->source_labels[i]);
		n += strlen(vals[i]) + (i ? sep_len : 0);
	}
	if (c->n_source_labels == 1)
		return vals[0];
	char *s = arena_alloc(w->a, n + 1), *p = s;
	if (!s)
		return w->oom = true, "";
	for (size_t i = 0; i < c->n_source_labels; i++) {
		if (i)
			p = mempcpy(p, sep, sep_len);
		p = mempcpy(p, vals[i], strlen(vals[i]));
	}
	*p = 0;
	return s;
}

static void do_replace(work *w, const relabel_config *c, const char *val, buf *b)
{
	const char *target = str(c->target_label), *repl = str(c->replacement);
	/* Prometheus's fast path; the slow one would give the same */
	if (!*val && c->regex == relabel_default_regex && !strchr(target, '$') && !strchr(repl, '$')) {
		set(w, target, repl);
		return;
	}
	match m;
	if (!find(c, val, strlen(val), 0, &m))
		return;
	buf_clear(b);
	regex_expand(b, target, c->re, val, m.ov, m.n);
	const char *t = keep_str(w, b);
	if (!relabel_valid_label_name(t, c->legacy_names))
		return;
	buf_clear(b);
	regex_expand(b, repl, c->re, val, m.ov, m.n);
	if (!b->len)
		del(w, t);
	else
		set(w, t, keep_str(w, b));
}

static void do_hashmod(work *w, const relabel_config *c, const char *val)
{
	uint8_t d[16];
	md5_sum(val, strlen(val), d);
	char num[24];
	snprintf(num, sizeof num, "%" PRIu64, be64(d + 8) % c->modulus);
	const char *s = arena_strdup(w->a, num);
	if (!s)
		w->oom = true;
	else
		set(w, str(c->target_label), s);
}

static void do_case(work *w, const relabel_config *c, const char *val)
{
	size_t n = strlen(val);
	char *s = arena_alloc(w->a, 3 * n + 1);
	if (!s) {
		w->oom = true;
		return;
	}
	case_map(s, val, n, c->action == RELABEL_UPPERCASE);
	set(w, str(c->target_label), s);
}

/* labelmap, labeldrop, labelkeep over a snapshot of the set (Builder.Range). */
static void do_names(work *w, const relabel_config *c, buf *b)
{
	size_t nb = w->base.n, na = w->n_add;
	bool *gone = arena_alloc(w->a, nb + 1);
	label *add = arena_alloc(w->a, (na + 1) * sizeof *add);
	if (!gone || !add) {
		w->oom = true;
		return;
	}
	memcpy(gone, w->gone, nb);
	if (na)
		memcpy(add, w->add, na * sizeof *add);
	for (size_t i = 0; i < nb + na; i++) {
		const label *l = i < nb ? &w->base.v[i] : &add[i - nb];
		if (i < nb && gone[i])
			continue;
		bool m = matches(c, l->name);
		if (c->action == RELABEL_LABELMAP && m) {
			buf_clear(b);
			replace_all(b, c, l->name, str(c->replacement));
			set(w, keep_str(w, b), l->value);
		} else if ((c->action == RELABEL_LABELDROP && m) || (c->action == RELABEL_LABELKEEP && !m)) {
			del(w, l->name);
		}
	}
}

/* One rule; false: drop the set. */
static bool relabel_one(work *w, const relabel_config *c, buf *b)
{
	const char *val = joined(w, c);
	switch (c->action) {
	case RELABEL_DROP:
		return !matches(c, val);
	case RELABEL_KEEP:
		return matches(c, val);
	case RELABEL_DROPEQUAL:
		return strcmp(get(w, str(c->target_label)), val) != 0;
	case RELABEL_KEEPEQUAL:
		return strcmp(get(w, str(c->target_label)), val) == 0;
	case RELABEL_REPLACE:
		do_replace(w, c, val, b);
		break;
	case RELABEL_LOWERCASE:
	case RELABEL_UPPERCASE:
		do_case(w, c, val);
		break;
	case RELABEL_HASHMOD:
		do_hashmod(w, c, val);
		break;
	case RELABEL_LABELMAP:
	case RELABEL_LABELDROP:
	case RELABEL_LABELKEEP:
		do_names(w, c, b);
		break;
	}
	return true;
}

bool relabel_process(const relabel_config *cfgs, size_t n, labels in, labels_builder *b, arena *scratch)
{
	work w = {.base = in, .a = scratch};
	w.gone = arena_calloc(scratch, in.n + 1, 1);
	buf tmp;
	buf_init(&tmp);
	bool keep = w.gone != NULL;
	for (size_t i = 0; keep && i < n && !w.oom; i++) {
		assert(cfgs[i].re);
		keep = relabel_one(&w, &cfgs[i], &tmp);
	}
	buf_reset(&tmp);
	labels_builder_reset(b, (labels){0});
	if (!w.gone || w.oom) {
		b->oom = true;
		return false;
	}
	if (!keep)
		return false;
	/* the surviving base labels are sorted already: copy them in one go */
	label *kept = arena_alloc(scratch, (in.n + 1) * sizeof *kept);
	if (!kept) {
		b->oom = true;
		return false;
	}
	size_t n_kept = 0;
	for (size_t i = 0; i < in.n; i++)
		if (!w.gone[i])
			kept[n_kept++] = in.v[i];
	labels_builder_reset(b, (labels){kept, n_kept});
	for (size_t i = 0; i < w.n_add; i++)
		labels_builder_set(b, w.add[i].name, w.add[i].value);
	return !b->oom;
}
