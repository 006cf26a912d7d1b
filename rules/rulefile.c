/*
 * rulefile.c - rule files: Prometheus's model/rulefmt (rulefmt.go, v3.x)
 * in C, with its messages, so that `flinttool check rules`, `check config`
 * and the rule manager say what promtool and Prometheus say.
 *
 * rulefmt.Parse decodes the YAML twice with go-yaml v3 and then validates:
 *   pass 1  strict (KnownFields) into RuleGroups{[]RuleGroup{[]Rule}}: the
 *           values, and "field x not found in type rulefmt.Rule";
 *   pass 2  lax into ruleGroups{[]RuleGroupNode{[]RuleNode}}, where record,
 *           alert and expr are yaml.Node (positions). Its type errors repeat
 *           pass 1's under the Node types' names, as promtool prints them.
 *   Validate (only when both passes were clean): group names, labels, and
 *           per rule record/alert/expr, recording-rule fields, names, PromQL
 *           (promql_parse) and alert templates (tmpl_parse).
 * Every error becomes one message, prefixed "FILE: " when parsing a file
 * (ParseFile) and not for standard input (Parse).
 *
 * The decoder below is go-yaml v3's decode.go over libyaml's document tree:
 * a scalar decodes into a string whatever its tag; null leaves the zero
 * value; type mismatches collect "line N: cannot unmarshal !!map into
 * string" lines (terrors) into one "yaml: unmarshal errors:" message;
 * duplicate keys are "mapping key "k" already defined at line N"; `<<`
 * merge keys merge mappings (explicit keys win, then earlier merges);
 * model.Duration's parse error aborts the whole decode (go-yaml's fail);
 * decoding through aliases is bounded by go-yaml's excessive-aliasing ratio,
 * and an alias inside its own anchor is refused, so no input loops or
 * explodes. YAML syntax errors are worded as go-yaml words libyaml's
 * (go-yaml's parser is a port of libyaml): "yaml: line N: <problem>".
 * Only the first YAML document counts; a second one is logged as 3.x warns.
 *
 * A value written as an alias (`alert: *name`) is placed where the alias
 * is written, as go-yaml's alias node is: libyaml's document keeps no alias
 * nodes, so scan_aliases finds them in the events.
 *
 * One deliberate difference from 3.x: a group error names the group's
 * line:col (as 2.42 does); 3.x prints 0:0 because RuleGroupNode's embedded
 * yaml.Node is never filled.
 * Go ranges over label and annotation maps in random order; flint reports
 * their errors in file order.
 */
#include "rules/rulefile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/fmtfloat.h"
#include "lib/log.h"
#include "lib/timeparse.h"
#include "lib/utf8.h"
#include "promql/ast.h"
#include "rules/template.h"

#define SEEN 1u     /* node decoded before in this pass: reached again through an alias */
#define DEPTH 2u    /* added per nested decode of the node under way (bits 1..7) */
/* go-yaml refuses an alias decoded inside itself. libyaml's document keeps
 * no alias nodes: the first re-entry of a node under way is the alias's
 * decode, a second nested one is the alias inside it: that is the cycle. */
#define CYCLE_DEPTH 3u

typedef struct keyset { /* go-yaml's mergedFields */
	const char **k;   /* keys (borrowed from the document) */
	size_t n, cap;
} keyset;

typedef struct pos { /* a place in the file, 1-based; 0:0 when absent */
	int line, col;
} pos;

typedef struct alias_at { /* a mapping value written as an alias (*name) */
	int map_id;      /* the mapping's node id */
	size_t pair;     /* the pair's index in it */
	pos at;          /* where the alias is written */
} alias_at;

typedef struct rf {
	yaml_document_t *doc;  /* the first document */
	const char *src;       /* the text (anchor names for messages) */
	size_t src_len;
	const char *path;      /* message prefix, or NULL (standard input) */
	rule_file *f;          /* filled by pass 1 */
	arena *a;              /* where decoded values go (scratch in pass 2) */
	int pass;              /* 1 or 2 */
	bool strict;           /* unknown fields are errors (pass 1 unless ignore_unknown) */
	buf terrors;           /* "\n  line N: ..." lines of this pass */
	bool fatal;            /* a go-yaml fail(): the pass stopped */
	char fatal_msg[400];
	uint64_t decode_count; /* go-yaml's excessive-aliasing counters */
	uint64_t alias_count;
	int alias_depth;
	uint8_t *seen;         /* SEEN | DEPTH * decodes under way, per node id */
	size_t n_nodes;
	keyset *merged;        /* keys already set by an enclosing merge, or NULL */
	alias_at *aliases;     /* sorted by (map_id, pair) */
	size_t n_aliases;
	const pos *val_alias;  /* the pair value being decoded was written as this alias, or NULL */
	rule_errors *errs;     /* every error */
	err *e;                /* the first one */
	size_t n_added;        /* errors added so far */
	bool oom;
} rf;

/* ---- errors ---- */

static void add_error(rf *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_error(rf *p, const char *fmt, ...)
{
	buf b;
	buf_init(&b);
	if (p->path)
		buf_printf(&b, "%s: ", p->path);
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof tmp) { /* long messages (many terrors): format again into the buffer */
		char *big = fl_malloc((size_t)n + 1);
		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			buf_put_str(&b, big);
			fl_free(big);
		}
	} else {
		buf_put_str(&b, tmp);
	}
	const char *msg = buf_cstr(&b);
	p->n_added++;
	if (p->e && !p->e->code)
		err_set(p->e, FL_EINVAL, "%s", msg);
	if (p->errs) {
		char **v = fl_realloc(p->errs->msgs, (p->errs->n + 1) * sizeof *v);
		if (v) {
			p->errs->msgs = v;
			v[p->errs->n] = fl_strdup(msg);
			if (v[p->errs->n])
				p->errs->n++;
		}
	}
	buf_reset(&b);
}

static void fail(rf *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(rf *p, const char *fmt, ...)
{
	if (p->fatal)
		return;
	p->fatal = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->fatal_msg, sizeof p->fatal_msg, fmt, ap);
	va_end(ap);
}

static void terror_line(rf *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void terror_line(rf *p, const char *fmt, ...)
{
	char tmp[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_put_str(&p->terrors, "\n  ");
	buf_put_str(&p->terrors, tmp);
}

static int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }
static int col_of(const yaml_node_t *n) { return n ? (int)n->start_mark.column + 1 : 0; }

/* Where a value is written: its alias when it was one (go-yaml keeps the
 * alias node for yaml.Node fields), else its node. */
static pos value_pos(const rf *p, const yaml_node_t *n)
{
	if (p->val_alias)
		return *p->val_alias;
	return (pos){line_of(n), col_of(n)};
}

/* ---- scalars as go-yaml resolves them (resolve.go), for messages and ints ---- */

static bool is_plain(const yaml_node_t *n) { return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || n->data.scalar.style == YAML_ANY_SCALAR_STYLE; }
static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* A tag libyaml's composer set explicitly (anything but its default str tag). */
static const char *explicit_tag(const yaml_node_t *n)
{
	const char *t = (const char *)n->tag;
	if (!t || !strcmp(t, YAML_STR_TAG) || !strcmp(t, YAML_DEFAULT_SEQUENCE_TAG) || !strcmp(t, YAML_DEFAULT_MAPPING_TAG))
		return NULL;
	return t;
}

static bool is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return false;
	const char *t = explicit_tag(n);
	if (t)
		return !strcmp(t, YAML_NULL_TAG);
	if (!is_plain(n))
		return false;
	const char *v = sval(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

enum { R_NULL, R_BOOL, R_INT, R_FLOAT, R_STR };

static bool float_syntax(const char *s)
{ /* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
	if (*s == '-' || *s == '+')
		s++;
	size_t d = strspn(s, "0123456789");
	if (!d) {
		if (*s != '.' || !strspn(s + 1, "0123456789"))
			return false;
		s += 1 + strspn(s + 1, "0123456789");
	} else {
		s += d;
		if (*s == '.')
			s += 1 + strspn(s + 1, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!strspn(s, "0123456789"))
			return false;
		s += strspn(s, "0123456789");
	}
	return !*s;
}

/* The resolved kind of a scalar, and its value when a number. */
static int resolve(const yaml_node_t *n, double *num, bool *exact_int, long long *iv)
{
	const char *v = sval(n);
	if (is_null(n))
		return R_NULL;
	if (!is_plain(n) || explicit_tag(n))
		return R_STR;
	static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
	for (size_t i = 0; i < 6; i++)
		if (!strcmp(v, bools[i]))
			return R_BOOL;
	static const char *const floats[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
	for (size_t i = 0; i < 12; i++)
		if (!strcmp(v, floats[i]))
			return R_FLOAT;
	char plain[64];
	size_t k = 0;
	for (const char *q = v; *q && k < sizeof plain - 1; q++)
		if (*q != '_')
			plain[k++] = *q;
	plain[k] = 0;
	if (k && strlen(v) < sizeof plain) {
		const char *s = plain;
		bool neg = *s == '-';
		if (*s == '-' || *s == '+')
			s++;
		int base = 10;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			base = 16, s += 2;
		else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
			base = 8, s += 2;
		else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
			base = 2, s += 2;
		else if (s[0] == '0' && s[1])
			base = 8, s += 1;
		char *end;
		errno = 0;
		unsigned long long u = *s && *s != '-' && *s != '+' ? strtoull(s, &end, base) : 0;
		if (*s && *s != '-' && *s != '+' && !*end && !errno) {
			if (u <= (unsigned long long)9223372036854775807LL + (neg ? 1u : 0u)) {
				*iv = neg ? (long long)(0 - u) : (long long)u;
				*exact_int = true;
				return R_INT;
			}
			*exact_int = false; /* a uint64 above int64 */
			*num = (double)u;
			return neg ? R_STR : R_INT;
		}
		if (float_syntax(plain)) {
			*num = strtod(plain, NULL);
			*exact_int = false;
			return R_FLOAT;
		}
	}
	return R_STR;
}

static const char *short_tag(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "!!map";
	if (n->type == YAML_SEQUENCE_NODE)
		return "!!seq";
	const char *t = explicit_tag(n);
	static char st[80];
	if (t) {
		if (!strncmp(t, "tag:yaml.org,2002:", 18)) {
			snprintf(st, sizeof st, "!!%s", t + 18);
			return st;
		}
		return t;
	}
	double d;
	bool ex;
	long long iv;
	switch (resolve(n, &d, &ex, &iv)) {
	case R_NULL: return "!!null";
	case R_BOOL: return "!!bool";
	case R_INT: return "!!int";
	case R_FLOAT: return "!!float";
	default: return "!!str";
	}
}

/* go-yaml's d.terror: "line N: cannot unmarshal !!str `abc` into int". */
static void terror(rf *p, const yaml_node_t *n, const char *into)
{
	const char *tag = short_tag(n);
	if (n->type == YAML_SCALAR_NODE) {
		const char *v = sval(n);
		if (strlen(v) > 10)
			terror_line(p, "line %d: cannot unmarshal %s `%.7s...` into %s", line_of(n), tag, v, into);
		else
			terror_line(p, "line %d: cannot unmarshal %s `%s` into %s", line_of(n), tag, v, into);
	} else {
		terror_line(p, "line %d: cannot unmarshal %s into %s", line_of(n), tag, into);
	}
}

/* ---- node visits: counting, aliases, cycles ---- */

/* The anchor name written at a node's start ("&name"), for messages. */
static void anchor_name(rf *p, const yaml_node_t *n, char *out, size_t cap)
{
	size_t i = n->start_mark.index, k = 0;
	if (i < p->src_len && p->src[i] == '&')
		for (i++; i < p->src_len && k + 1 < cap && !strchr(" \t\r\n,[]{}", p->src[i]); i++)
			out[k++] = p->src[i];
	out[k] = 0;
}

static bool excessive(const rf *p)
{ /* go-yaml's allowedAliasRatio */
	if (p->alias_count <= 100 || p->decode_count <= 1000)
		return false;
	double c = (double)p->decode_count, ratio;
	if (c <= 400000)
		ratio = 0.99;
	else if (c >= 4000000)
		ratio = 0.10;
	else
		ratio = 0.99 - 0.89 * ((c - 400000) / 3600000.0);
	return (double)p->alias_count / c > ratio;
}

/* Enter node id; NULL when the pass has failed or must stop. *alias says
 * whether this visit went through an alias (leave() undoes it). */
static yaml_node_t *enter(rf *p, int id, bool *alias)
{
	*alias = false;
	if (p->fatal || id < 1 || (size_t)id > p->n_nodes)
		return NULL;
	yaml_node_t *n = yaml_document_get_node(p->doc, id);
	p->decode_count++;
	if ((unsigned)(p->seen[id - 1] >> 1) + 1 >= CYCLE_DEPTH) {
		char name[128];
		anchor_name(p, n, name, sizeof name);
		fail(p, "yaml: anchor '%s' value contains itself", name);
		return NULL;
	}
	if (p->seen[id - 1] & SEEN) {
		*alias = true;
		p->alias_depth++;
	}
	if (p->alias_depth > 0)
		p->alias_count++;
	if (excessive(p)) {
		fail(p, "yaml: document contains excessive aliasing");
		if (*alias)
			p->alias_depth--;
		return NULL;
	}
	p->seen[id - 1] = (uint8_t)((p->seen[id - 1] | SEEN) + DEPTH);
	return n;
}

static void leave(rf *p, int id, bool alias)
{
	p->seen[id - 1] = (uint8_t)(p->seen[id - 1] - DEPTH);
	if (alias)
		p->alias_depth--;
}

/* ---- mappings: duplicate keys and merges ---- */

/* Called per effective pair: key text, key node, value node id. */
typedef void (*pair_fn)(rf *p, void *ctx, const char *key, const yaml_node_t *k, int v);

static bool is_merge_key(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE && is_plain(k) && !strcmp(sval(k), "<<") &&
	       (!explicit_tag(k) || !strcmp(explicit_tag(k), "tag:yaml.org,2002:merge"));
}

static bool keyset_has(const keyset *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->k[i], k))
			return true;
	return false;
}

static void keyset_add(rf *p, keyset *s, const char *k)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		const char **v = fl_realloc(s->k, cap * sizeof *v);
		if (!v) {
			p->oom = true;
			return;
		}
		s->k = v, s->cap = cap;
	}
	s->k[s->n++] = k;
}

/* A key as a Go string: scalars only (null keys are skipped as go-yaml
 * skips a key that fails to decode; a collection key is a type error). */
static const char *key_string(rf *p, const yaml_node_t *k)
{
	p->decode_count++; /* a key is a decode too, inside an alias an aliased one */
	if (p->alias_depth > 0)
		p->alias_count++;
	if (k->type != YAML_SCALAR_NODE) {
		terror(p, k, "string");
		return NULL;
	}
	return is_null(k) ? NULL : sval(k);
}

static void merge_into(rf *p, const yaml_node_t *parent, int m, pair_fn fn, void *ctx);

static int alias_cmp(const void *a, const void *b)
{
	const alias_at *x = a, *y = b;
	if (x->map_id != y->map_id)
		return x->map_id < y->map_id ? -1 : 1;
	return x->pair < y->pair ? -1 : x->pair > y->pair;
}

static const pos *find_alias(const rf *p, const yaml_node_t *map, size_t pair)
{
	if (!p->n_aliases)
		return NULL;
	alias_at key = {(int)(map - p->doc->nodes.start) + 1, pair, {0, 0}};
	const alias_at *a = bsearch(&key, p->aliases, p->n_aliases, sizeof key, alias_cmp);
	return a ? &a->at : NULL;
}

/* go-yaml's d.mapping duplicate check, then mappingStruct/mapping's walk. */
static bool map_pairs(rf *p, const yaml_node_t *n, pair_fn fn, void *ctx)
{
	bool dup = false;
	for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++)
		for (yaml_node_pair_t *b = a + 1; b < n->data.mapping.pairs.top; b++) {
			yaml_node_t *ka = yaml_document_get_node(p->doc, a->key), *kb = yaml_document_get_node(p->doc, b->key);
			if (ka->type != kb->type)
				continue;
			const char *va = ka->type == YAML_SCALAR_NODE ? sval(ka) : "", *vb = kb->type == YAML_SCALAR_NODE ? sval(kb) : "";
			if (!strcmp(va, vb)) {
				buf q;
				buf_init(&q);
				fmt_go_quote(&q, vb, strlen(vb));
				terror_line(p, "line %d: mapping key %s already defined at line %d", line_of(kb), buf_cstr(&q), line_of(ka));
				buf_reset(&q);
				dup = true;
			}
		}
	if (dup)
		return false;
	keyset *outer = p->merged;
	p->merged = NULL;
	int merge = 0;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top && !p->fatal; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		if (is_merge_key(k)) {
			merge = pr->value;
			continue;
		}
		const char *key = key_string(p, k);
		if (!key)
			continue;
		if (outer) {
			if (keyset_has(outer, key))
				continue;
			keyset_add(p, outer, key);
		}
		p->val_alias = find_alias(p, n, (size_t)(pr - n->data.mapping.pairs.start));
		fn(p, ctx, key, k, pr->value);
		p->val_alias = NULL;
	}
	p->merged = outer;
	if (merge && !p->fatal)
		merge_into(p, n, merge, fn, ctx);
	return true;
}

static void merge_one(rf *p, int id, pair_fn fn, void *ctx)
{
	bool alias;
	yaml_node_t *m = enter(p, id, &alias);
	if (!m)
		return;
	if (m->type != YAML_MAPPING_NODE)
		fail(p, "yaml: map merge requires map or sequence of maps as the value");
	else
		map_pairs(p, m, fn, ctx);
	leave(p, id, alias);
}

/* go-yaml's d.merge: the merged mappings fill only keys not yet set. */
static void merge_into(rf *p, const yaml_node_t *parent, int m, pair_fn fn, void *ctx)
{
	keyset *own = p->merged, local = {0};
	if (!own) {
		for (yaml_node_pair_t *pr = parent->data.mapping.pairs.start; pr < parent->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
			if (k->type == YAML_SCALAR_NODE)
				keyset_add(p, &local, sval(k));
		}
		p->merged = &local;
	}
	yaml_node_t *mn = yaml_document_get_node(p->doc, m);
	if (mn && mn->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = mn->data.sequence.items.start; it < mn->data.sequence.items.top && !p->fatal; it++)
			merge_one(p, *it, fn, ctx);
	} else {
		merge_one(p, m, fn, ctx);
	}
	p->merged = own;
	fl_free(local.k);
}

/* ---- values ---- */

/* A Go string field: any scalar; null leaves it; a collection is a type error. */
static bool dec_string(rf *p, int id, const char **out, pos *at)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return false;
	bool good = false;
	if (at)
		*at = value_pos(p, n);
	if (n->type != YAML_SCALAR_NODE)
		terror(p, n, "string");
	else if (!is_null(n)) {
		*out = arena_strndup(p->a, sval(n), n->data.scalar.length);
		p->oom |= !*out;
		good = true;
	}
	leave(p, id, alias);
	return good;
}

/* A yaml.Node field (pass 2's record, alert, expr): anything. */
static void dec_node(rf *p, int id, pos *at)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return;
	*at = value_pos(p, n);
	leave(p, id, alias);
}

static void dec_int(rf *p, int id, int64_t *out)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return;
	if (n->type != YAML_SCALAR_NODE) {
		terror(p, n, "int");
	} else if (!is_null(n)) {
		double d = 0;
		bool exact = false;
		long long iv = 0;
		int r = resolve(n, &d, &exact, &iv);
		if (r == R_INT && exact)
			*out = iv;
		else if ((r == R_INT || r == R_FLOAT) && d == d && d < 9223372036854775807.0 && d >= -9223372036854775808.0)
			*out = (int64_t)d;
		else
			terror(p, n, "int");
	}
	leave(p, id, alias);
}

/* model.Duration: decoded as a string, then model.ParseDuration; its error
 * aborts the whole decode (go-yaml's fail). *set: not null. */
static void dec_duration(rf *p, int id, int64_t *out, bool *set)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return;
	if (is_null(n)) {
		/* prepare() skips the unmarshaler on null */
	} else if (n->type != YAML_SCALAR_NODE) {
		terror(p, n, "string");
	} else {
		err e;
		int64_t ms;
		if (timeparse_model_duration(sval(n), n->data.scalar.length, &ms, &e))
			fail(p, "%s", e.msg);
		else {
			*out = ms;
			if (set)
				*set = true;
		}
	}
	leave(p, id, alias);
}

typedef struct label_list { /* a map[string]string as written */
	label *v;
	size_t n, cap;
} label_list;

static void strmap_pair(rf *p, void *ctx, const char *key, const yaml_node_t *k, int v)
{
	label_list *l = ctx;
	const char *val = "";
	bool alias;
	yaml_node_t *vn = enter(p, v, &alias);
	if (!vn)
		return;
	bool ok = true;
	if (vn->type != YAML_SCALAR_NODE) {
		terror(p, vn, "string");
		ok = false;
	} else if (!is_null(vn)) {
		val = sval(vn);
	}
	leave(p, v, alias);
	if (!ok)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		label *nv = arena_alloc(p->a, cap * sizeof *nv);
		if (!nv) {
			p->oom = true;
			return;
		}
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof *nv);
		l->v = nv, l->cap = cap;
	}
	l->v[l->n].name = arena_strdup(p->a, key);
	l->v[l->n].value = arena_strdup(p->a, val);
	p->oom |= !l->v[l->n].name || !l->v[l->n].value;
	l->n++;
}

static void dec_strmap(rf *p, int id, label_list *out)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return;
	if (is_null(n)) {
		/* nil map */
	} else if (n->type != YAML_MAPPING_NODE) {
		terror(p, n, "map[string]string");
	} else {
		out->n = 0;
		map_pairs(p, n, strmap_pair, out);
	}
	leave(p, id, alias);
}

/* ---- the structs ---- */

typedef struct rule_tmp { /* a rule being decoded */
	rule_def *r;
	label_list labels, annotations;
	pos rec, alt, expr;      /* where the values are written (0:0 absent) */
	const char *type;
} rule_tmp;

typedef struct struct_fields {
	const char *type;
	bool done[8]; /* doneFields */
} struct_fields;

/* go-yaml's field bookkeeping: false when the field must be skipped. */
static bool field_ok(rf *p, struct_fields *sf, const char *const *names, const char *key, const yaml_node_t *k)
{
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(names[i], key)) {
			if (sf->done[i]) {
				terror_line(p, "line %d: field %s already set in type %s", line_of(k), key, sf->type);
				return false;
			}
			sf->done[i] = true;
			return true;
		}
	if (p->strict)
		terror_line(p, "line %d: field %s not found in type %s", line_of(k), key, sf->type);
	return false;
}

static const char *const rule_keys[] = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations", NULL};

typedef struct rule_ctx {
	rule_tmp *t;
	struct_fields sf;
} rule_ctx;

static void rule_pair(rf *p, void *ctx, const char *key, const yaml_node_t *k, int v)
{
	rule_ctx *c = ctx;
	rule_tmp *t = c->t;
	if (!field_ok(p, &c->sf, rule_keys, key, k))
		return;
	if (!strcmp(key, "record") || !strcmp(key, "alert") || !strcmp(key, "expr")) {
		const char **dst = key[0] == 'r' ? &t->r->record : key[0] == 'a' ? &t->r->alert : &t->r->expr;
		pos *at = key[0] == 'r' ? &t->rec : key[0] == 'a' ? &t->alt : &t->expr;
		if (p->pass == 2)
			dec_node(p, v, at);
		else
			dec_string(p, v, dst, at);
	} else if (!strcmp(key, "for")) {
		dec_duration(p, v, &t->r->for_ms, NULL);
	} else if (!strcmp(key, "keep_firing_for")) {
		dec_duration(p, v, &t->r->keep_firing_for_ms, NULL);
	} else if (!strcmp(key, "labels")) {
		dec_strmap(p, v, &t->labels);
	} else {
		dec_strmap(p, v, &t->annotations);
	}
}

/* A struct value (Rule, RuleGroup): null is dropped without an error
 * (go-yaml's d.null), anything but a mapping is a type error; false when
 * the element is dropped from its sequence, as go-yaml drops it. */
static bool dec_struct(rf *p, int id, const char *type, pair_fn fn, void *ctx, int *line, int *col)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return false;
	bool good = false;
	if (is_null(n)) {
		/* dropped, no error */
	} else if (n->type != YAML_MAPPING_NODE) {
		terror(p, n, type);
	} else {
		*line = line_of(n);
		*col = col_of(n);
		good = map_pairs(p, n, fn, ctx);
	}
	leave(p, id, alias);
	return good;
}

static bool dec_rule(rf *p, int id, rule_tmp *t)
{
	rule_ctx c = {t, {t->type, {0}}};
	int col;
	return dec_struct(p, id, t->type, rule_pair, &c, &t->r->line, &col);
}

typedef struct group_tmp {
	rule_group_def *g;
	label_list labels;
	rule_tmp *rules; /* parallel to g->rules */
	bool query_offset_set;
	int col;
} group_tmp;

static const char *const group_keys[] = {"name", "interval", "query_offset", "limit", "rules", "labels", NULL};

typedef struct group_ctx {
	group_tmp *t;
	struct_fields sf;
} group_ctx;

static const char *tname(const rf *p, int which)
{
	static const char *const names[2][5] = {
		{"rulefmt.RuleGroups", "[]rulefmt.RuleGroup", "rulefmt.RuleGroup", "[]rulefmt.Rule", "rulefmt.Rule"},
		{"rulefmt.ruleGroups", "[]rulefmt.RuleGroupNode", "rulefmt.RuleGroupNode", "[]rulefmt.RuleNode", "rulefmt.RuleNode"},
	};
	return names[p->pass - 1][which];
}

static void dec_rules(rf *p, int id, group_tmp *g)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return;
	if (is_null(n)) {
		g->g->n_rules = 0;
	} else if (n->type != YAML_SEQUENCE_NODE) {
		terror(p, n, tname(p, 3));
	} else {
		size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start), j = 0;
		g->g->rules = arena_calloc(p->a, len ? len : 1, sizeof *g->g->rules);
		g->rules = arena_calloc(p->a, len ? len : 1, sizeof *g->rules);
		if (!g->g->rules || !g->rules) {
			p->oom = true;
		} else {
			for (size_t i = 0; i < len && !p->fatal; i++) {
				rule_tmp *t = &g->rules[j];
				memset(t, 0, sizeof *t);
				memset(&g->g->rules[j], 0, sizeof g->g->rules[j]);
				t->r = &g->g->rules[j];
				t->type = tname(p, 4);
				if (dec_rule(p, n->data.sequence.items.start[i], t))
					j++;
			}
		}
		g->g->n_rules = j;
	}
	leave(p, id, alias);
}

static void group_pair(rf *p, void *ctx, const char *key, const yaml_node_t *k, int v)
{
	group_ctx *c = ctx;
	group_tmp *t = c->t;
	if (!field_ok(p, &c->sf, group_keys, key, k))
		return;
	if (!strcmp(key, "name"))
		dec_string(p, v, &t->g->name, NULL);
	else if (!strcmp(key, "interval"))
		dec_duration(p, v, &t->g->interval_ms, NULL);
	else if (!strcmp(key, "query_offset"))
		dec_duration(p, v, &t->g->query_offset_ms, &t->query_offset_set);
	else if (!strcmp(key, "limit"))
		dec_int(p, v, &t->g->limit);
	else if (!strcmp(key, "rules"))
		dec_rules(p, v, t);
	else
		dec_strmap(p, v, &t->labels);
}

static bool dec_group(rf *p, int id, group_tmp *t)
{
	group_ctx c = {t, {tname(p, 2), {0}}};
	return dec_struct(p, id, tname(p, 2), group_pair, &c, &t->g->line, &t->col);
}

typedef struct top {
	group_tmp *groups;
	size_t n;
} top;

static void dec_groups(rf *p, int id, top *out)
{
	bool alias;
	yaml_node_t *n = enter(p, id, &alias);
	if (!n)
		return;
	if (is_null(n)) {
		out->n = 0;
	} else if (n->type != YAML_SEQUENCE_NODE) {
		terror(p, n, tname(p, 1));
	} else {
		size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start), j = 0;
		out->groups = arena_calloc(p->a, len ? len : 1, sizeof *out->groups);
		rule_group_def *defs = arena_calloc(p->a, len ? len : 1, sizeof *defs);
		if (!out->groups || !defs) {
			p->oom = true;
		} else {
			for (size_t i = 0; i < len && !p->fatal; i++) {
				group_tmp *t = &out->groups[j];
				memset(t, 0, sizeof *t);
				memset(&defs[j], 0, sizeof defs[j]);
				t->g = &defs[j];
				if (dec_group(p, n->data.sequence.items.start[i], t))
					j++;
			}
		}
		out->n = j;
	}
	leave(p, id, alias);
}

static void top_pair(rf *p, void *ctx, const char *key, const yaml_node_t *k, int v)
{
	static const char *const keys[] = {"groups", NULL};
	struct_fields *sf = ((void **)ctx)[1];
	if (field_ok(p, sf, keys, key, k))
		dec_groups(p, v, ((void **)ctx)[0]);
}

/* One decoding pass over the document; its error (if any) is added. */
static void decode_pass(rf *p, top *out)
{
	buf_init(&p->terrors);
	p->fatal = false;
	p->decode_count = p->alias_count = 0;
	p->alias_depth = 0;
	memset(p->seen, 0, p->n_nodes);
	yaml_node_t *root = yaml_document_get_root_node(p->doc);
	if (root) {
		bool alias;
		yaml_node_t *n = enter(p, 1, &alias);
		if (n && !is_null(n)) {
			if (n->type != YAML_MAPPING_NODE) {
				terror(p, n, tname(p, 0));
			} else {
				struct_fields sf = {tname(p, 0), {0}};
				void *ctx[2] = {out, &sf};
				map_pairs(p, n, top_pair, ctx);
			}
		}
		if (n)
			leave(p, 1, alias);
	}
	if (p->fatal)
		add_error(p, "%s", p->fatal_msg);
	else if (p->terrors.len)
		add_error(p, "yaml: unmarshal errors:%s", buf_cstr(&p->terrors));
	buf_reset(&p->terrors);
}

/* ---- validation (rulefmt's Validate) ---- */

static bool utf8_ok(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		int w;
		if (utf8_decode(s + i, n - i, &w) < 0)
			return false;
		i += (size_t)w;
	}
	return true;
}

/* model.UTF8Validation's names: non-empty valid UTF-8. */
static bool name_ok(const char *s) { return *s && utf8_ok(s); }

static const char *gq(buf *b, const char *s)
{
	buf_clear(b);
	fmt_go_quote(b, s, strlen(s));
	return buf_cstr(b);
}

/* A rule's error: "[L:C: [L:C: ]]group "g", rule N, "name": msg". */
static void rule_err(rf *p, const rule_group_def *g, size_t i, const rule_tmp *t, const pos *at,
		     const pos *alt, int n_pos, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* n_pos: 0 (WrappedError without node), 1 (node), 2 (node and nodeAlt;
 * rulefmt always sets both for record/alert, so an absent one is 0:0). */
static void rule_err(rf *p, const rule_group_def *g, size_t i, const rule_tmp *t, const pos *at,
		     const pos *alt, int n_pos, const char *fmt, ...)
{
	char msg[1200], where[64] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n_pos == 2)
		snprintf(where, sizeof where, "%d:%d: %d:%d: ", at->line, at->col, alt->line, alt->col);
	else if (n_pos == 1)
		snprintf(where, sizeof where, "%d:%d: ", at->line, at->col);
	const rule_def *r = t->r;
	const char *name = r->alert && *r->alert ? r->alert : r->record ? r->record : "";
	buf q1, q2;
	buf_init(&q1);
	buf_init(&q2);
	add_error(p, "%sgroup %s, rule %zu, %s: %s", where, gq(&q1, g->name ? g->name : ""), i + 1, gq(&q2, name), msg);
	buf_reset(&q1);
	buf_reset(&q2);
}

/* rulefmt's testTemplateParsing: alerting rules' label and annotation
 * values parse as templates (tmpl_parse names them "__alert_"+alert and
 * prepends Prometheus's $labels/$value/... preamble, as ParseTest runs). */
static void check_templates(rf *p, const rule_group_def *g, size_t i, const rule_tmp *t)
{
	buf q;
	buf_init(&q);
	for (int pass = 0; pass < 2; pass++) {
		const label_list *l = pass ? &t->annotations : &t->labels;
		for (size_t k = 0; k < l->n; k++) {
			err e;
			err_clear(&e);
			tmpl *tp = tmpl_parse(t->r->alert, l->v[k].value, &e);
			if (!tp)
				rule_err(p, g, i, t, NULL, NULL, 0, "%s %s: %s", pass ? "annotation" : "label",
					 gq(&q, l->v[k].name), e.msg);
			tmpl_free(tp);
		}
	}
	buf_reset(&q);
}

static void check_rule(rf *p, const rule_group_def *g, size_t i, const rule_tmp *t)
{
	const rule_def *r = t->r;
	bool rec = r->record && *r->record, alt = r->alert && *r->alert;
	if (rec && alt)
		rule_err(p, g, i, t, &t->rec, &t->alt, 2, "only one of 'record' and 'alert' must be set");
	if (!rec && !alt)
		rule_err(p, g, i, t, &t->rec, &t->alt, 2, "one of 'record' or 'alert' must be set");
	if (!r->expr || !*r->expr) {
		rule_err(p, g, i, t, &t->expr, NULL, 1, "field 'expr' must be set in rule");
	} else {
		promql_expr x;
		err e;
		err_clear(&e);
		if (promql_parse(r->expr, &x, &e))
			rule_err(p, g, i, t, &t->expr, NULL, 1, "could not parse expression: %s", e.msg);
		promql_expr_free(&x);
	}
	if (rec) {
		if (t->annotations.n)
			rule_err(p, g, i, t, &t->rec, NULL, 1, "invalid field 'annotations' in recording rule");
		if (r->for_ms)
			rule_err(p, g, i, t, &t->rec, NULL, 1, "invalid field 'for' in recording rule");
		if (r->keep_firing_for_ms)
			rule_err(p, g, i, t, &t->rec, NULL, 1, "invalid field 'keep_firing_for' in recording rule");
		if (!name_ok(r->record))
			rule_err(p, g, i, t, &t->rec, NULL, 1, "invalid recording rule name: %s", r->record);
		if (strchr(r->record, '{') || strchr(r->record, '}'))
			rule_err(p, g, i, t, &t->rec, NULL, 1,
				 "braces present in the recording rule name; should it be in expr?: %s", r->record);
	}
	for (size_t k = 0; k < t->labels.n; k++) {
		const label *l = &t->labels.v[k];
		if (!name_ok(l->name) || !strcmp(l->name, LABEL_NAME))
			rule_err(p, g, i, t, NULL, NULL, 0, "invalid label name: %s", l->name);
		if (!utf8_ok(l->value))
			rule_err(p, g, i, t, NULL, NULL, 0, "invalid label value: %s", l->value);
	}
	for (size_t k = 0; k < t->annotations.n; k++)
		if (!name_ok(t->annotations.v[k].name))
			rule_err(p, g, i, t, NULL, NULL, 0, "invalid annotation name: %s", t->annotations.v[k].name);
	if (alt)
		check_templates(p, g, i, t);
}

static void validate(rf *p, top *tp)
{
	for (size_t j = 0; j < tp->n; j++) {
		group_tmp *t = &tp->groups[j];
		const char *name = t->g->name ? t->g->name : "";
		if (!*name)
			add_error(p, "%d:%d: Groupname must not be empty", t->g->line, t->col);
		for (size_t h = 0; h < j; h++)
			if (!strcmp(tp->groups[h].g->name ? tp->groups[h].g->name : "", name)) {
				add_error(p, "%d:%d: groupname: \"%s\" is repeated in the same file", t->g->line, t->col, name);
				break;
			}
		for (size_t k = 0; k < t->labels.n; k++) {
			const label *l = &t->labels.v[k];
			if (!name_ok(l->name) || !strcmp(l->name, LABEL_NAME))
				add_error(p, "invalid label name: %s", l->name);
			if (!utf8_ok(l->value))
				add_error(p, "invalid label value: %s", l->value);
		}
		for (size_t i = 0; i < t->g->n_rules; i++)
			check_rule(p, t->g, i, &t->rules[i]);
	}
}

/* ---- results ---- */

static int label_cmp(const void *a, const void *b) { return strcmp(((const label *)a)->name, ((const label *)b)->name); }

static labels sorted(const label_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof *l->v, label_cmp);
	return (labels){l->v, l->n};
}

/* Move pass 1's values into f: positions, sorted labels, defaults. */
static void finish(rule_file *f, top *tp)
{
	f->n_groups = tp->n;
	f->groups = arena_calloc(&f->arena, tp->n ? tp->n : 1, sizeof *f->groups);
	if (!f->groups) {
		f->n_groups = 0;
		return;
	}
	for (size_t j = 0; j < tp->n; j++) {
		group_tmp *t = &tp->groups[j];
		rule_group_def *g = &f->groups[j];
		*g = *t->g;
		g->col = t->col;
		if (!g->name)
			g->name = "";
		if (!t->query_offset_set)
			g->query_offset_ms = -1;
		g->labels = sorted(&t->labels);
		for (size_t i = 0; i < g->n_rules; i++) {
			rule_tmp *rt = &t->rules[i];
			rule_def *r = &g->rules[i];
			if (!r->expr)
				r->expr = "";
			r->expr_line = rt->expr.line, r->expr_col = rt->expr.col;
			r->record_line = rt->rec.line, r->record_col = rt->rec.col;
			r->alert_line = rt->alt.line, r->alert_col = rt->alt.col;
			if (r->record && !*r->record)
				r->record = NULL;
			if (r->alert && !*r->alert)
				r->alert = NULL;
			r->labels = sorted(&rt->labels);
			r->annotations = sorted(&rt->annotations);
		}
	}
}

/* The mapping values written as aliases, found in libyaml's events (its
 * document keeps none): node ids are given in event order to scalars and
 * collection starts, as the composer numbers them. */
typedef struct open_coll {
	int id;          /* node id */
	bool map;        /* mapping (else sequence) */
	size_t n;        /* children so far (keys and values) */
} open_coll;

static void scan_aliases(rf *p)
{
	if (!memchr(p->src, '*', p->src_len))
		return;
	yaml_parser_t yp;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)p->src, p->src_len);
	open_coll *stack = NULL;
	size_t depth = 0, cap = 0, alias_cap = 0;
	int next_id = 0;
	for (bool done = false; !done && !p->oom;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&yp, &ev))
			break; /* the load reported it */
		switch (ev.type) {
		case YAML_DOCUMENT_END_EVENT: /* the first document only */
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_ALIAS_EVENT:
			if (depth && stack[depth - 1].map && stack[depth - 1].n % 2) {
				if (p->n_aliases == alias_cap) {
					alias_cap = alias_cap ? 2 * alias_cap : 16;
					alias_at *v = fl_realloc(p->aliases, alias_cap * sizeof *v);
					if (!v) {
						p->oom = true;
						break;
					}
					p->aliases = v;
				}
				p->aliases[p->n_aliases++] = (alias_at){stack[depth - 1].id, stack[depth - 1].n / 2,
									{(int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1}};
			}
			if (depth)
				stack[depth - 1].n++;
			break;
		case YAML_SCALAR_EVENT:
			next_id++;
			if (depth)
				stack[depth - 1].n++;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth)
				stack[depth - 1].n++;
			if (depth == cap) {
				cap = cap ? 2 * cap : 16;
				open_coll *v = fl_realloc(stack, cap * sizeof *v);
				if (!v) {
					p->oom = true;
					break;
				}
				stack = v;
			}
			stack[depth++] = (open_coll){++next_id, ev.type == YAML_MAPPING_START_EVENT, 0};
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	fl_free(stack);
	yaml_parser_delete(&yp);
	if (p->n_aliases)
		qsort(p->aliases, p->n_aliases, sizeof *p->aliases, alias_cmp);
}

/* go-yaml's parser.fail() wording for a libyaml error. */
static void yaml_error(rf *p, yaml_parser_t *yp)
{
	if (yp->error == YAML_MEMORY_ERROR) {
		add_error(p, "yaml: out of memory");
		return;
	}
	if (yp->error == YAML_COMPOSER_ERROR && yp->problem && !strcmp(yp->problem, "found undefined alias")) {
		char name[128];
		size_t i = yp->problem_mark.index, k = 0;
		if (i < p->src_len && p->src[i] == '*')
			for (i++; i < p->src_len && k + 1 < sizeof name && !strchr(" \t\r\n,[]{}", p->src[i]); i++)
				name[k++] = p->src[i];
		name[k] = 0;
		add_error(p, "yaml: unknown anchor '%s' referenced", name);
		return;
	}
	int line = 0, scanner = yp->error == YAML_SCANNER_ERROR;
	if (yp->context_mark.line)
		line = (int)yp->context_mark.line + scanner;
	else if (yp->problem_mark.line)
		line = (int)yp->problem_mark.line + scanner;
	char where[32] = "";
	if (line)
		snprintf(where, sizeof where, "line %d: ", line);
	add_error(p, "yaml: %s%s", where, yp->problem ? yp->problem : "unknown problem parsing YAML content");
}

/* rulefmt.Parse decodes a second time and warns unless that meets the end
 * of the stream: only the first document of a file is used. */
static void warn_second_document(yaml_parser_t *yp, const char *path)
{
	yaml_document_t next;
	int ok = yaml_parser_load(yp, &next);
	if (!ok || !yp->stream_end_produced)
		log_warn("rules", "Multiple document yaml rules files are not supported, only the first document is processed",
			 "file", path ? path : "standard input", NULL);
	if (ok)
		yaml_document_delete(&next);
}

rule_file *rule_file_parse_opts(const char *text, size_t len, const char *path, bool ignore_unknown_fields,
				rule_errors *errs, err *e)
{
	err_clear(e);
	rf p = {0};
	p.src = text, p.src_len = len, p.path = path, p.errs = errs, p.e = e;
	rule_file *f = fl_malloc(sizeof *f);
	if (!f) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	memset(f, 0, sizeof *f);
	arena_init(&f->arena);
	f->path = path ? arena_strdup(&f->arena, path) : NULL;
	p.f = f;
	yaml_parser_t yp;
	yaml_document_t doc;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &doc)) {
		yaml_error(&p, &yp); /* both of rulefmt.Parse's decodes fail alike */
		yaml_error(&p, &yp);
		yaml_parser_delete(&yp);
		rule_file_free(f);
		return NULL;
	}
	warn_second_document(&yp, path);
	p.doc = &doc;
	scan_aliases(&p);
	p.n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
	p.seen = fl_malloc(p.n_nodes ? p.n_nodes : 1);
	arena scratch;
	arena_init(&scratch);
	top t1 = {0}, t2 = {0};
	if (!p.seen) {
		err_set(e, FL_ENOMEM, "out of memory");
		p.oom = true;
	} else {
		p.pass = 1, p.strict = !ignore_unknown_fields, p.a = &f->arena;
		decode_pass(&p, &t1);
		p.pass = 2, p.strict = false, p.a = &scratch;
		decode_pass(&p, &t2);
		p.a = &f->arena;
		if (!p.n_added && !p.oom)
			validate(&p, &t1);
		if (!p.n_added && !p.oom)
			finish(f, &t1); /* positions come from the nodes: before the document goes */
	}
	arena_reset(&scratch);
	fl_free(p.seen);
	fl_free(p.aliases);
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (p.oom && !p.n_added)
		add_error(&p, "out of memory");
	if (p.n_added) {
		rule_file_free(f);
		return NULL;
	}
	return f;
}

rule_file *rule_file_parse(const char *text, size_t len, const char *path, rule_errors *errs, err *e)
{
	return rule_file_parse_opts(text, len, path, false, errs, e);
}

rule_file *rule_file_load(const char *path, rule_errors *errs, err *e)
{
	return rule_file_load_opts(path, false, errs, e);
}

rule_file *rule_file_load_opts(const char *path, bool ignore_unknown_fields, rule_errors *errs, err *e)
{
	buf b;
	buf_init(&b);
	err re;
	if (buf_read_file(&b, path, &re)) {
		buf_reset(&b);
		rf p = {0};
		p.path = path, p.errs = errs, p.e = e;
		err_clear(e);
		add_error(&p, "%s", re.msg);
		return NULL;
	}
	rule_file *f = rule_file_parse_opts((const char *)b.p, b.len, path, ignore_unknown_fields, errs, e);
	buf_reset(&b);
	return f;
}

size_t rule_file_n_rules(const rule_file *f)
{
	size_t n = 0;
	for (size_t i = 0; f && i < f->n_groups; i++)
		n += f->groups[i].n_rules;
	return n;
}

void rule_file_free(rule_file *f)
{
	if (!f)
		return;
	arena_reset(&f->arena);
	fl_free(f);
}

void rule_errors_free(rule_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++)
		fl_free(errs->msgs[i]);
	fl_free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
}
