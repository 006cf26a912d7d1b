/*
 * test_relabel.c - tsdb/relabel.c, tsdb/regex_expand.c and lib/md5.c.
 *
 * The relabel cases are upstream's model/relabel/relabel_test.go
 * (TestRelabel, TestRelabelValidate, TestTargetLabelLegacyValidity) in
 * table form, with the defaults its loop fills in; hashmod values are the
 * ones upstream expects, plus a few computed with Python's hashlib. Then
 * what the upstream tests leave out: Builder.Range's order and snapshot in
 * labelmap, Go's Expand corner cases, anchoring and `$`, the
 * keepequal/labeldrop field rules, Unicode case mapping.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "test.h"

#include "lib/md5.h"
#include "promql/promqltest.h"
#include "tsdb/regex_errors.h"
#include "tsdb/relabel.h"

/* The tables below leave trailing fields zero (no target, modulus 0, kept). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- md5 ---- */

static void hex(char *out, const uint8_t d[16])
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void md5_rfc1321_suite(void)
{
	static const char *const in[][2] = {
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"a", "0cc175b9c0f1b6a831c399e269772661"},
		{"abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
		{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		 "57edf4a22be3c955ac49da2e2107b67a"},
	};
	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		uint8_t d[16];
		char h[33];
		md5_sum(in[i][0], strlen(in[i][0]), d);
		hex(h, d);
		ASSERT_STR_EQ(h, in[i][1]);
		/* the same fed in odd pieces (block boundaries inside updates) */
		md5_ctx c;
		md5_init(&c);
		for (size_t k = 0, n = strlen(in[i][0]); k < n; k += 7)
			md5_update(&c, in[i][0] + k, n - k < 7 ? n - k : 7);
		md5_final(&c, d);
		hex(h, d);
		ASSERT_STR_EQ(h, in[i][1]);
	}
}

/* ---- helpers ---- */

typedef struct rule {
	relabel_action act;
	const char *src[4];       /* source labels, NULL-terminated */
	const char *sep;          /* NULL: default */
	const char *regex;        /* NULL: default (not set) */
	const char *target;       /* NULL: none */
	const char *repl;         /* NULL: default */
	uint64_t mod;             /* hashmod */
} rule;

#define MAX_RULES 4

typedef struct rcase {
	const char *in[24];  /* name, value, ..., NULL (sorted by name) */
	rule r[MAX_RULES];   /* the rules */
	int n;               /* rules used */
	const char *out[24]; /* expected name, value pairs, NULL (sorted) */
	bool drop;           /* expected drop */
} rcase;

static size_t pairs(const char *const *kv, label *v)
{
	size_t n = 0;
	for (; kv[2 * n]; n++)
		v[n] = (label){kv[2 * n], kv[2 * n + 1]};
	return n;
}

static void to_config(const rule *r, relabel_config *c)
{
	memset(c, 0, sizeof *c);
	relabel_config_defaults(c);
	c->action = r->act;
	size_t n = 0;
	while (n < 4 && r->src[n])
		n++;
	c->source_labels = n ? (const char **)r->src : NULL;
	c->n_source_labels = n;
	if (r->sep)
		c->separator = r->sep;
	if (r->regex)
		c->regex = r->regex;
	c->target_label = r->target;
	if (r->repl)
		c->replacement = r->repl;
	c->modulus = r->mod;
}

/* Run the rules on in; returns kept, the result formatted into out. */
static bool run(const rule *rules, int n, const char *const *in, char *out, size_t out_cap)
{
	relabel_config c[MAX_RULES];
	err e;
	for (int i = 0; i < n; i++) {
		to_config(&rules[i], &c[i]);
		if (relabel_compile(&c[i], &e))
			test_fail(__FILE__, __LINE__, "rule %d: %s", i, e.msg);
	}
	label v[16];
	labels ls = {v, pairs(in, v)};
	labels_builder b;
	labels_builder_init(&b);
	arena a;
	arena_init(&a);
	bool keep = relabel_process(c, (size_t)n, ls, &b, &a);
	ASSERT(!b.oom);
	buf f;
	buf_init(&f);
	labels_format(&f, labels_builder_labels(&b));
	snprintf(out, out_cap, "%s", buf_cstr(&f));
	buf_reset(&f);
	arena_reset(&a);
	labels_builder_free(&b);
	for (int i = 0; i < n; i++)
		relabel_config_free(&c[i]);
	return keep;
}

static void check_cases(const rcase *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char got[1024];
		bool keep = run(cs[i].r, cs[i].n, cs[i].in, got, sizeof got);
		if (keep != !cs[i].drop)
			test_fail(__FILE__, __LINE__, "case %zu: kept %d, want %d (%s)", i, keep, !cs[i].drop, got);
		if (!keep)
			continue;
		label v[16];
		labels want = {v, pairs(cs[i].out, v)};
		buf f;
		buf_init(&f);
		labels_format(&f, want);
		if (strcmp(got, buf_cstr(&f)))
			test_fail(__FILE__, __LINE__, "case %zu: got %s, want %s", i, got, buf_cstr(&f));
		buf_reset(&f);
	}
}

/* ---- upstream TestRelabel ---- */

static const rcase upstream[] = {
	{{"a", "foo", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_REPLACE, {"a"}, ";", "f(.*)", "d", "ch${1}-ch${1}"}},
	 1,
	 {"a", "foo", "b", "bar", "c", "baz", "d", "choo-choo", NULL}},
	{{"a", "foo", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_REPLACE, {"a", "b"}, ";", "f(.*);(.*)r", "a", "b${1}${2}m"},
	  {RELABEL_REPLACE, {"c", "a"}, ";", "(b).*b(.*)ba(.*)", "d", "$1$2$2$3"}},
	 2,
	 {"a", "boobam", "b", "bar", "c", "baz", "d", "boooom", NULL}},
	{{"a", "foo", NULL},
	 {{RELABEL_DROP, {"a"}, NULL, ".*o.*"}, {RELABEL_REPLACE, {"a"}, ";", "f(.*)", "d", "ch$1-ch$1"}},
	 2,
	 {NULL},
	 true},
	{{"a", "foo", "b", "bar", NULL}, {{RELABEL_DROP, {"a"}, NULL, ".*o.*"}}, 1, {NULL}, true},
	{{"a", "abc", NULL},
	 {{RELABEL_REPLACE, {"a"}, ";", ".*(b).*", "d", "$1"}},
	 1,
	 {"a", "abc", "d", "b", NULL}},
	{{"a", "foo", NULL}, {{RELABEL_DROP, {"a"}, NULL, "no-match"}}, 1, {"a", "foo", NULL}},
	{{"a", "foo", NULL}, {{RELABEL_DROP, {"a"}, NULL, "f|o"}}, 1, {"a", "foo", NULL}},
	{{"a", "foo", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "no-match"}}, 1, {NULL}, true},
	{{"a", "foo", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "f.*"}}, 1, {"a", "foo", NULL}},
	/* no replacement if there is no match */
	{{"a", "boo", NULL}, {{RELABEL_REPLACE, {"a"}, NULL, "f", "b", "bar"}}, 1, {"a", "boo", NULL}},
	/* a blank replacement deletes the label */
	{{"a", "foo", "f", "baz", NULL}, {{RELABEL_REPLACE, {"a"}, NULL, "(f).*", "$1", "$2"}}, 1, {"a", "foo", NULL}},
	{{"a", "foo", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_HASHMOD, {"c"}, ";", NULL, "d", NULL, 1000}},
	 1,
	 {"a", "foo", "b", "bar", "c", "baz", "d", "976", NULL}},
	{{"a", "foo\nbar", NULL},
	 {{RELABEL_HASHMOD, {"a"}, ";", NULL, "b", NULL, 1000}},
	 1,
	 {"a", "foo\nbar", "b", "734", NULL}},
	{{"a", "foo", "b1", "bar", "b2", "baz", NULL},
	 {{RELABEL_LABELMAP, {NULL}, NULL, "(b.*)", NULL, "bar_${1}"}},
	 1,
	 {"a", "foo", "b1", "bar", "b2", "baz", "bar_b1", "bar", "bar_b2", "baz", NULL}},
	{{"__meta_my_bar", "aaa", "__meta_my_baz", "bbb", "__meta_other", "ccc", "a", "foo", NULL},
	 {{RELABEL_LABELMAP, {NULL}, NULL, "__meta_(my.*)", NULL, "${1}"}},
	 1,
	 {"__meta_my_bar", "aaa", "__meta_my_baz", "bbb", "__meta_other", "ccc", "a", "foo", "my_bar", "aaa", "my_baz",
	  "bbb", NULL}},
	{{"a", "some-name-value", NULL},
	 {{RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "${1}", "${2}"}},
	 1,
	 {"a", "some-name-value", "name", "value", NULL}},
	/* replacement "" (group 3 does not exist) */
	{{"a", "some-name-value", NULL},
	 {{RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "${1}", "${3}"}},
	 1,
	 {"a", "some-name-value", NULL}},
	/* target labels that expand to "" */
	{{"a", "some-name-0", NULL},
	 {{RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "${3}", "${1}"},
	  {RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "${3}", "${1}"},
	  {RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)(-[^,]+)", "${3}", "${1}"}},
	 3,
	 {"a", "some-name-0", NULL}},
	{{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar", NULL},
	 {{RELABEL_REPLACE, {"__meta_sd_tags"}, NULL, "(?:.+,|^)path:(/[^,]+).*", "__metrics_path__", "${1}"},
	  {RELABEL_REPLACE, {"__meta_sd_tags"}, NULL, "(?:.+,|^)job:([^,]+).*", "job", "${1}"},
	  {RELABEL_REPLACE, {"__meta_sd_tags"}, NULL, "(?:.+,|^)label:([^=]+)=([^,]+).*", "${1}", "${2}"}},
	 3,
	 {"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar", "__metrics_path__", "/secret", "foo", "bar", "job",
	  "some-job", NULL}},
	/* prometheus/prometheus#12283 */
	{{"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091", "__meta_kubernetes_pod_container_port_name", "foo",
	  NULL},
	 {{RELABEL_LABELDROP, {NULL}, NULL, "^__meta_kubernetes_pod_container_port_name$"},
	  {RELABEL_REPLACE, {"__meta_kubernetes_pod_annotation_XXX_metrics_port"}, NULL, "(.+)",
	   "__meta_kubernetes_pod_container_port_name", "metrics"},
	  {RELABEL_KEEP, {"__meta_kubernetes_pod_container_port_name"}, NULL, "^metrics$"}},
	 3,
	 {"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091", "__meta_kubernetes_pod_container_port_name",
	  "metrics", NULL}},
	{{"a", "foo", "b1", "bar", "b2", "baz", NULL},
	 {{RELABEL_LABELKEEP, {NULL}, NULL, "(b.*)"}},
	 1,
	 {"b1", "bar", "b2", "baz", NULL}},
	{{"a", "foo", "b1", "bar", "b2", "baz", NULL}, {{RELABEL_LABELDROP, {NULL}, NULL, "(b.*)"}}, 1, {"a", "foo", NULL}},
	{{"foo", "bAr123Foo", NULL},
	 {{RELABEL_UPPERCASE, {"foo"}, NULL, NULL, "foo_uppercase"}, {RELABEL_LOWERCASE, {"foo"}, NULL, NULL, "foo_lowercase"}},
	 2,
	 {"foo", "bAr123Foo", "foo_lowercase", "bar123foo", "foo_uppercase", "BAR123FOO", NULL}},
	{{"__port1", "1234", "__port2", "5678", "__tmp_port", "1234", NULL},
	 {{RELABEL_KEEPEQUAL, {"__tmp_port"}, NULL, NULL, "__port1"}},
	 1,
	 {"__port1", "1234", "__port2", "5678", "__tmp_port", "1234", NULL}},
	{{"__port1", "1234", "__port2", "5678", "__tmp_port", "1234", NULL},
	 {{RELABEL_DROPEQUAL, {"__tmp_port"}, NULL, NULL, "__port1"}},
	 1,
	 {NULL},
	 true},
	{{"__port1", "1234", "__port2", "5678", "__tmp_port", "1234", NULL},
	 {{RELABEL_DROPEQUAL, {"__tmp_port"}, NULL, NULL, "__port2"}},
	 1,
	 {"__port1", "1234", "__port2", "5678", "__tmp_port", "1234", NULL}},
	{{"__port1", "1234", "__port2", "5678", "__tmp_port", "1234", NULL},
	 {{RELABEL_KEEPEQUAL, {"__tmp_port"}, NULL, NULL, "__port2"}},
	 1,
	 {NULL},
	 true},
	/* `.` matches a newline */
	{{"a", "line1\nline2", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_REPLACE, {"a"}, ";", "line1.*line2", "d", "match${1}"}},
	 1,
	 {"a", "line1\nline2", "b", "bar", "c", "baz", "d", "match", NULL}},
	/* UTF-8 source and target label names */
	{{"b", "bar", "c", "baz", "utf-8.label", "line1\nline2", NULL},
	 {{RELABEL_REPLACE, {"utf-8.label"}, ";", "line1.*line2", "d", "match${1}"}},
	 1,
	 {"b", "bar", "c", "baz", "d", "match", "utf-8.label", "line1\nline2", NULL}},
	{{"a", "line1\nline2", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_REPLACE, {"a"}, ";", "line1.*line2", "utf-8.label", "match${1}"}},
	 1,
	 {"a", "line1\nline2", "b", "bar", "c", "baz", "utf-8.label", "match", NULL}},
	{{"a", "line1\nline2", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_REPLACE, {"a"}, ";", "line1.*line2", "utf-8.label${1}", "match${1}"}},
	 1,
	 {"a", "line1\nline2", "b", "bar", "c", "baz", "utf-8.label", "match", NULL}},
	{{"a", "line1\nline2", "b", "bar", "c", "baz", NULL},
	 {{RELABEL_REPLACE, {"a"}, ";", "(line1).*(?<second>line2)", "label1_${1}", "val_${second}"},
	  {RELABEL_REPLACE, {"a"}, ";", "(line1).*(?<second>line2)", "label2_$1", "val_$second"}},
	 2,
	 {"a", "line1\nline2", "b", "bar", "c", "baz", "label1_line1", "val_line2", "label2_line1", "val_line2", NULL}},
	{{"__name__", "http_requests_total", NULL},
	 {{RELABEL_REPLACE, {"__name__"}, NULL, ".*_total$", "__type__", "counter"}},
	 1,
	 {"__name__", "http_requests_total", "__type__", "counter", NULL}},
	{{"__name__", "disk_usage_bytes", NULL},
	 {{RELABEL_REPLACE, {"__name__"}, NULL, ".*_bytes$", "__unit__", "bytes"}},
	 1,
	 {"__name__", "disk_usage_bytes", "__unit__", "bytes", NULL}},
};

static void relabel_upstream_cases(void) { check_cases(upstream, sizeof upstream / sizeof *upstream); }

/* ---- beyond upstream's table ---- */

static const rcase more[] = {
	/* hashmod values from Python's hashlib.md5 (last 8 bytes big-endian % m) */
	{{"__address__", "10.132.183.40:80", NULL},
	 {{RELABEL_HASHMOD, {"__address__"}, NULL, NULL, "__tmp_hash", NULL, 3}},
	 1,
	 {"__address__", "10.132.183.40:80", "__tmp_hash", "1", NULL}},
	{{"x", "1", NULL}, {{RELABEL_HASHMOD, {"absent"}, NULL, NULL, "h", NULL, 7}}, 1, {"h", "1", "x", "1", NULL}},
	{{"a", "a", "b", "b", NULL},
	 {{RELABEL_HASHMOD, {"a", "b"}, NULL, NULL, "h", NULL, 9223372036854775808u}},
	 1,
	 {"a", "a", "b", "b", "h", "2420134994223480074", NULL}},
	/* defaults: replace with (.*) and $1 copies a label; the static fast path */
	{{"a", "x", NULL}, {{RELABEL_REPLACE, {"a"}, NULL, NULL, "b"}}, 1, {"a", "x", "b", "x", NULL}},
	{{"a", "x", NULL}, {{RELABEL_REPLACE, {NULL}, NULL, NULL, "c", "static"}}, 1, {"a", "x", "c", "static", NULL}},
	/* (.*) on an absent source: "$1" expands to "", deleting the target */
	{{"a", "x", NULL}, {{RELABEL_REPLACE, {"zz"}, NULL, NULL, "a"}}, 1, {NULL}},
	/* upstream's benchmark rules: target "${0}" expands to "" (skipped),
	 * replacement "${0}" to "" (deletes) */
	{{"dropped", "x", "job", "foo", NULL},
	 {{RELABEL_REPLACE, {NULL}, NULL, NULL, "${0}", "dropped"}, {RELABEL_REPLACE, {NULL}, NULL, NULL, "dropped", "${0}"}},
	 2,
	 {"job", "foo", NULL}},
	/* separator and the kubernetes address rule */
	{{"__address__", "10.0.0.1:80", "port", "9100", NULL},
	 {{RELABEL_REPLACE, {"__address__", "port"}, NULL, "(.+?)(\\:\\d+)?;(\\d+)", "__address__", "$1:$3"}},
	 1,
	 {"__address__", "10.0.0.1:9100", "port", "9100", NULL}},
	{{"ns", "a", "pod", "b", NULL},
	 {{RELABEL_REPLACE, {"ns", "pod"}, "/", NULL, "job"}},
	 1,
	 {"job", "a/b", "ns", "a", "pod", "b", NULL}},
	/* anchoring: the regex must match the whole value */
	{{"a", "abc", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "b"}}, 1, {NULL}, true},
	{{"a", "abc", NULL}, {{RELABEL_DROP, {"a"}, NULL, "a|abc"}}, 1, {NULL}, true},
	/* Go's `$` is the very end: "foo\n" is not "foo" */
	{{"a", "foo\n", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "foo"}}, 1, {NULL}, true},
	/* the pattern is wrapped as text, as Prometheus does: `a)|(b` is
	 * "starts with a or ends with b" */
	{{"a", "axx", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "a)|(b"}}, 1, {"a", "axx", NULL}},
	{{"a", "xxb", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "a)|(b"}}, 1, {"a", "xxb", NULL}},
	{{"a", "xbx", NULL}, {{RELABEL_KEEP, {"a"}, NULL, "a)|(b"}}, 1, {NULL}, true},
	/* an explicit empty regex matches only "" */
	{{"a", "x", NULL}, {{RELABEL_KEEP, {"b"}, NULL, ""}}, 1, {"a", "x", NULL}},
	{{"a", "x", NULL}, {{RELABEL_KEEP, {"a"}, NULL, ""}}, 1, {NULL}, true},
	/* labelmap visits base labels, then labels set so far in the order they
	 * were set (Go's Builder.Range): the added a_x is visited last and wins */
	{{"b_x", "base", NULL},
	 {{RELABEL_REPLACE, {NULL}, NULL, NULL, "a_x", "added"}, {RELABEL_LABELMAP, {NULL}, NULL, "(?:a|b)_(.*)", NULL, "$1"}},
	 2,
	 {"a_x", "added", "b_x", "base", "x", "added", NULL}},
	/* ... over a snapshot: b is visited with its value from before the rule */
	{{"a", "1", "b", "2", NULL}, {{RELABEL_LABELMAP, {NULL}, NULL, "a|b", NULL, "b"}}, 1, {"a", "1", "b", "2", NULL}},
	/* a labelmap target set, then dropped, then set again */
	{{"a", "1", NULL},
	 {{RELABEL_REPLACE, {NULL}, NULL, NULL, "b", "2"},
	  {RELABEL_LABELDROP, {NULL}, NULL, "b"},
	  {RELABEL_REPLACE, {"a"}, NULL, NULL, "b"}},
	 3,
	 {"a", "1", "b", "1", NULL}},
	/* labelkeep can drop everything, and what a rule then reads is "" */
	{{"a", "1", NULL},
	 {{RELABEL_LABELKEEP, {NULL}, NULL, "nothing"}, {RELABEL_REPLACE, {"a"}, NULL, "", "e", "empty"}},
	 2,
	 {"e", "empty", NULL}},
	/* labelmap can make a label named "" (as Prometheus does) */
	{{"a", "1", NULL}, {{RELABEL_LABELMAP, {NULL}, NULL, "a(.*)", NULL, "$1"}}, 1, {"", "1", "a", "1", NULL}},
	/* an expanded target that is not valid UTF-8 is skipped */
	{{"a", "\xff", NULL}, {{RELABEL_REPLACE, {"a"}, NULL, NULL, "t$1", "v"}}, 1, {"a", "\xff", NULL}},
	{{"a", "x", NULL}, {{RELABEL_REPLACE, {"a"}, NULL, NULL, "t$1", "v"}}, 1, {"a", "x", "tx", "v", NULL}},
	/* Unicode case mapping (Go's unicode.ToLower/ToUpper; invalid bytes become U+FFFD) */
	{{"a", "\xc3\x80\xc3\x89 Stra\xc3\x9f" "e \xc4\xb0 \xc9\x90\xff", NULL},
	 {{RELABEL_LOWERCASE, {"a"}, NULL, NULL, "l"}, {RELABEL_UPPERCASE, {"a"}, NULL, NULL, "u"}},
	 2,
	 {"a", "\xc3\x80\xc3\x89 Stra\xc3\x9f" "e \xc4\xb0 \xc9\x90\xff", "l",
	  "\xc3\xa0\xc3\xa9 stra\xc3\x9f" "e i \xc9\x90\xef\xbf\xbd", "u",
	  "\xc3\x80\xc3\x89 STRA\xc3\x9f" "E \xc4\xb0 \xe2\xb1\xaf\xef\xbf\xbd", NULL}},
};

static void relabel_more_cases(void) { check_cases(more, sizeof more / sizeof *more); }

/* ---- validation ---- */

typedef struct vcase {
	rule r;
	bool legacy;      /* legacy name validation */
	const char *want; /* the error, NULL for none */
} vcase;

static const vcase vcases[] = {
	/* TestRelabelValidate */
	{{RELABEL_REPLACE}, false, "relabel configuration for replace action requires 'target_label' value"},
	{{RELABEL_LOWERCASE}, false, "relabel configuration for lowercase action requires 'target_label' value"},
	{{RELABEL_LOWERCASE, {NULL}, NULL, NULL, "${3}"}, false, NULL},
	{{RELABEL_LOWERCASE, {NULL}, NULL, NULL, "${3}"}, true, "\"${3}\" is invalid 'target_label' for lowercase action"},
	{{RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "${3}", "${1}"}, false, NULL},
	{{RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "0${3}", "${1}"}, false, NULL},
	{{RELABEL_REPLACE, {"a"}, NULL, "some-([^-]+)-([^,]+)", "-${3}", "${1}"}, false, NULL},
	{{RELABEL_LABELMAP, {NULL}, NULL, "__meta_kubernetes_pod_label_(strimzi_io_.+)", NULL, "$1"}, true, NULL},
	{{RELABEL_LABELMAP, {NULL}, NULL, "__meta_(.+)", NULL, "${1}"}, true, NULL},
	/* every other check of Validate */
	{{RELABEL_HASHMOD, {"a"}, NULL, NULL, "t"}, false, "relabel configuration for hashmod requires non-zero modulus"},
	{{RELABEL_HASHMOD, {"a"}, NULL, NULL, NULL, NULL, 4}, false,
	 "relabel configuration for hashmod action requires 'target_label' value"},
	{{RELABEL_HASHMOD, {"a"}, NULL, NULL, "a b", NULL, 4}, true, "\"a b\" is invalid 'target_label' for hashmod action"},
	{{RELABEL_HASHMOD, {"a"}, NULL, NULL, "a b", NULL, 4}, false, NULL},
	{{RELABEL_UPPERCASE}, false, "relabel configuration for uppercase action requires 'target_label' value"},
	{{RELABEL_KEEPEQUAL, {"a"}}, false, "relabel configuration for keepequal action requires 'target_label' value"},
	{{RELABEL_DROPEQUAL, {"a"}}, false, "relabel configuration for dropequal action requires 'target_label' value"},
	{{RELABEL_REPLACE, {NULL}, NULL, NULL, "1abc"}, true, "\"1abc\" is invalid 'target_label' for replace action"},
	{{RELABEL_REPLACE, {NULL}, NULL, NULL, "1abc"}, false, NULL},
	{{RELABEL_REPLACE, {NULL}, NULL, NULL, "bad\xff"}, false, "\"bad\\xff\" is invalid 'target_label' for replace action"},
	{{RELABEL_REPLACE, {NULL}, NULL, NULL, "a.$1"}, true, "\"a.$1\" is invalid 'target_label' for replace action"},
	{{RELABEL_REPLACE, {NULL}, NULL, NULL, "a.$1"}, false, NULL},
	{{RELABEL_KEEPEQUAL, {"a"}, NULL, NULL, "t", "x"}, false, "'replacement' can not be set for keepequal action"},
	{{RELABEL_UPPERCASE, {"a"}, NULL, NULL, "t", "$2"}, false, "'replacement' can not be set for uppercase action"},
	{{RELABEL_DROPEQUAL, {"a"}, NULL, NULL, "1t"}, true, "\"1t\" is invalid 'target_label' for dropequal action"},
	{{RELABEL_LABELMAP, {NULL}, NULL, "(.*)", NULL, "a-$1"}, true, "\"a-$1\" is invalid 'replacement' for labelmap action"},
	{{RELABEL_LABELMAP, {NULL}, NULL, "(.*)", NULL, "a-$1"}, false, NULL},
	{{RELABEL_LABELMAP, {NULL}, NULL, "(.*)", NULL, ""}, false, "\"\" is invalid 'replacement' for labelmap action"},
	/* keepequal/dropequal: only source_labels and target_label; an explicit
	 * "(.*)" regex counts as set */
	{{RELABEL_KEEPEQUAL, {"a"}, NULL, "(.*)", "t"}, false,
	 "keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
	{{RELABEL_DROPEQUAL, {"a"}, ",", NULL, "t"}, false,
	 "dropequal action requires only 'source_labels' and `target_label`, and no other fields"},
	{{RELABEL_DROPEQUAL, {"a"}, NULL, NULL, "t", NULL, 3}, false,
	 "dropequal action requires only 'source_labels' and `target_label`, and no other fields"},
	{{RELABEL_KEEPEQUAL, {"a"}, NULL, NULL, "t"}, false, NULL},
	/* labeldrop/labelkeep: only regex */
	{{RELABEL_LABELDROP, {"a"}, NULL, "x"}, false, "labeldrop action requires only 'regex', and no other fields"},
	{{RELABEL_LABELKEEP, {NULL}, NULL, "x", "t"}, false, "labelkeep action requires only 'regex', and no other fields"},
	{{RELABEL_LABELKEEP, {NULL}, ";;", "x"}, false, "labelkeep action requires only 'regex', and no other fields"},
	{{RELABEL_LABELKEEP, {NULL}, NULL, "x", NULL, "y"}, false, "labelkeep action requires only 'regex', and no other fields"},
	{{RELABEL_LABELDROP, {NULL}, NULL, "x", NULL, NULL, 2}, false,
	 "labeldrop action requires only 'regex', and no other fields"},
	{{RELABEL_LABELDROP, {NULL}, NULL, "x"}, false, NULL},
	/* the regex is compiled wrapped, so Go's errors quote the wrapped text */
	{{RELABEL_KEEP, {"a"}, NULL, "("}, false, "error parsing regexp: missing closing ): `^(?s:()$`"},
	{{RELABEL_KEEP, {"a"}, NULL, "a**"}, false, "error parsing regexp: invalid nested repetition operator: `**`"},
	{{RELABEL_KEEP, {"a"}, NULL, "\\Z"}, false, "error parsing regexp: invalid escape sequence: `\\Z`"},
	/* RE2 accepts `a)|(b` once wrapped */
	{{RELABEL_KEEP, {"a"}, NULL, "a)|(b"}, false, NULL},
};

static void relabel_validate(void)
{
	for (size_t i = 0; i < sizeof vcases / sizeof *vcases; i++) {
		relabel_config c;
		to_config(&vcases[i].r, &c);
		c.legacy_names = vcases[i].legacy;
		err e;
		err_clear(&e);
		int rc = relabel_compile(&c, &e);
		if (!vcases[i].want && rc)
			test_fail(__FILE__, __LINE__, "case %zu: unexpected error %s", i, e.msg);
		if (vcases[i].want && (!rc || strcmp(e.msg, vcases[i].want)))
			test_fail(__FILE__, __LINE__, "case %zu: got %d \"%s\", want \"%s\"", i, rc, rc ? e.msg : "",
				  vcases[i].want);
		if (rc)
			ASSERT(c.re == NULL);
		relabel_config_free(&c);
	}
}

/* TestTargetLabelLegacyValidity, through a legacy-scheme replace rule. */
static void relabel_legacy_target_validity(void)
{
	static const struct {
		const char *s;
		bool valid;
	} cs[] = {
		{"-label", false},     {"label", true},	      {"label${1}", true}, {"${1}label", true},
		{"${1}", true},	       {"${", false},	      {"$", false},	   {"${}", false},
		{"foo${", false},      {"$1", true},	      {"asd$2asd", true},  {"-foo${1}bar-", false},
		{"bar.foo${1}bar", false}, {"_${1}_", true}, {"foo${bar}foo", true}, {"1$a", false},
		{"$a$", false},	       {"${a}b${c}", true},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		rule r = {RELABEL_REPLACE, {"a"}, NULL, NULL, cs[i].s};
		relabel_config c;
		to_config(&r, &c);
		c.legacy_names = true;
		err e;
		int rc = relabel_compile(&c, &e);
		if ((rc == 0) != cs[i].valid)
			test_fail(__FILE__, __LINE__, "%s: valid %d, want %d", cs[i].s, rc == 0, cs[i].valid);
		relabel_config_free(&c);
	}
}

static void relabel_action_names(void)
{
	ASSERT_EQ(relabel_action_parse("replace"), RELABEL_REPLACE);
	ASSERT_EQ(relabel_action_parse("Replace"), RELABEL_REPLACE);
	ASSERT_EQ(relabel_action_parse("LABELDROP"), RELABEL_LABELDROP);
	ASSERT_EQ(relabel_action_parse("KeepEqual"), RELABEL_KEEPEQUAL);
	/* Go's strings.ToLower: KELVIN SIGN (U+212A) lowers to 'k' */
	ASSERT_EQ(relabel_action_parse("\xe2\x84\xaa" "eep"), RELABEL_KEEP);
	ASSERT_EQ(relabel_action_parse(""), -1);
	ASSERT_EQ(relabel_action_parse("keep "), -1);
	ASSERT_EQ(relabel_action_parse("unknown"), -1);
	for (int a = RELABEL_REPLACE; a <= RELABEL_UPPERCASE; a++)
		ASSERT_EQ(relabel_action_parse(relabel_action_name((relabel_action)a)), a);
	relabel_config c;
	memset(&c, 0, sizeof c);
	relabel_config_defaults(&c);
	ASSERT_STR_EQ(c.separator, ";");
	ASSERT_STR_EQ(c.regex, "(.*)");
	ASSERT(c.regex == relabel_default_regex);
	ASSERT_STR_EQ(c.replacement, "$1");
	ASSERT_EQ(c.action, RELABEL_REPLACE);
}

/* ---- Go's Regexp.Expand ---- */

static void regex_expand_corners(void)
{
	err e;
	pcre2_code *re = regex_compile_anchored("(a)(b)?(?P<name>c)(?<x1>d)?(e)(f)(g)(h)(i)(j)(k)", &e);
	ASSERT(re);
	const char *subj = "acefghijk";
	pcre2_match_data *md = regex_match_data(re);
	int rc = regex_match(re, subj, strlen(subj), 0, md);
	ASSERT(rc > 0);
	static const char *const cs[][2] = {
		{"$1", "a"},
		{"${1}", "a"},
		{"$1x", ""},        /* group "1x" */
		{"${1}x", "ax"},
		{"$0", "acefghijk"},
		{"$01", ""},        /* a leading zero makes it a name */
		{"${01}", ""},
		{"$2", ""},         /* unset group */
		{"$11", "k"},
		{"$12", ""},        /* no such group */
		{"$name", "c"},
		{"${name}", "c"},
		{"$name.", "c."},
		{"$names", ""},
		{"$x1", ""},        /* named, unset */
		{"$$1", "$1"},
		{"$$$1", "$a"},
		{"$", "$"},
		{"a$", "a$"},
		{"${", "${"},
		{"${}", "${}"},
		{"${1", "${1"},
		{"${name", "${name"},
		{"$-1", "$-1"},
		{"$100000000", ""},
		{"$1\xc3\xa9", ""},         /* é is a letter: group "1é" */
		{"$1\xe2\x82\xac", "a\xe2\x82\xac"}, /* € is not */
		{"$1\xd9\xa3", ""},          /* ARABIC-INDIC DIGIT THREE is a digit (Nd) */
		{"$1\xff", "a\xff"},         /* invalid UTF-8 ends the name */
		{"x${1}y${name}z", "xaycz"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		buf b;
		buf_init(&b);
		regex_expand(&b, cs[i][0], re, subj, pcre2_get_ovector_pointer(md), rc);
		if (strcmp(buf_cstr(&b), cs[i][1]))
			test_fail(__FILE__, __LINE__, "expand %s: got \"%s\", want \"%s\"", cs[i][0], buf_cstr(&b), cs[i][1]);
		buf_reset(&b);
	}
	pcre2_code_free(re);
}


/* label_replace (promql/functions.c) is regex_expand's other user and
 * compiles with regex_compile_anchored: `a{01}` is a literal as in Go
 * (PCRE2 alone reads a repeat), the pattern is wrapped as text, `$1z` is
 * group "1z", and a bad pattern fails before a bad destination label. */
static void label_replace_go_regexp(void)
{
	static const char script[] =
		"load 5m\n"
		"  m{src=\"a{01}\"} 1\n"
		"  m{src=\"aa\"} 2\n"
		"  m{src=\"axx\"} 3\n"
		"  m{src=\"foo\\n\"} 4\n"
		"\n"
		"eval instant at 0 label_replace(m, \"dst\", \"$0\", \"src\", \"a{01}\")\n"
		"  m{src=\"a{01}\", dst=\"a{01}\"} 1\n"
		"  m{src=\"aa\"} 2\n"
		"  m{src=\"axx\"} 3\n"
		"  m{src=\"foo\\n\"} 4\n"
		"\n"
		"eval instant at 0 label_replace(m, \"dst\", \"y\", \"src\", \"a)|(b\")\n"
		"  m{src=\"a{01}\", dst=\"y\"} 1\n"
		"  m{src=\"aa\", dst=\"y\"} 2\n"
		"  m{src=\"axx\", dst=\"y\"} 3\n"
		"  m{src=\"foo\\n\"} 4\n"
		"\n"
		"eval instant at 0 label_replace(m, \"dst\", \"${1}z$1z\", \"src\", \"(f.*)\")\n"
		"  m{src=\"a{01}\"} 1\n"
		"  m{src=\"aa\"} 2\n"
		"  m{src=\"axx\"} 3\n"
		"  m{src=\"foo\\n\", dst=\"foo\\nz\"} 4\n"
		"\n"
		"eval_fail instant at 0 label_replace(m, \"\", \"x\", \"src\", \"(\")\n"
		"  expected_fail_message invalid regular expression in label_replace(): (\n"
		"\n";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	promqltest_stats st;
	err e;
	int rc = promqltest_run_string("label_replace.test", script, NULL, f, &st, &e);
	fclose(f);
	if (rc || st.failed || st.passed != 4)
		test_fail(__FILE__, __LINE__, "rc %d, %d passed, %d failed:\n%s", rc, (int)st.passed, (int)st.failed, out);
	free(out);
}

const struct test tests_relabel[] = {
	{"md5_rfc1321_suite", md5_rfc1321_suite},
	{"relabel_upstream_cases", relabel_upstream_cases},
	{"relabel_more_cases", relabel_more_cases},
	{"relabel_validate", relabel_validate},
	{"relabel_legacy_target_validity", relabel_legacy_target_validity},
	{"relabel_action_names", relabel_action_names},
	{"regex_expand_corners", regex_expand_corners},
	{"label_replace_go_regexp", label_replace_go_regexp},
	{NULL, NULL},
};
