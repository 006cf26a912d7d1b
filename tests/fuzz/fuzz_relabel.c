/*
 * fuzz_relabel.c - relabeling (tsdb/relabel.c) on arbitrary rules and label
 * sets: compiling and applying never crash, leak, read out of bounds or
 * hang (PCRE2 match limits); a kept result is a valid label set (sorted,
 * unique names, no empty value); applying the same rules twice gives the
 * same answer.
 *
 * Input: text. Lines up to the first empty line are rules, one per line,
 * fields separated by tabs:
 *   action  source,labels  separator  regex  target  replacement  modulus
 * a missing field keeps its default (so "keep\ta\t;\tx.*" is a keep rule);
 * "-" as regex is the default too. The remaining lines are the labels,
 * "name=value" each (later duplicates win).
 */
#include "tsdb/relabel.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RULES 8
#define MAX_SOURCES 8
#define MAX_LABELS 32

typedef struct rules {
	relabel_config c[MAX_RULES];            /* the rules */
	const char *src[MAX_RULES][MAX_SOURCES]; /* their source labels */
	size_t n;                               /* rules compiled */
} rules;

/* Split s at c in place: the next field, or NULL when s is NULL. */
static char *field(char **s, char c)
{
	char *f = *s;
	if (!f)
		return NULL;
	char *e = strchr(f, c);
	*s = e ? e + 1 : NULL;
	if (e)
		*e = 0;
	return f;
}

/* Parse and compile one rule line; false if it does not compile. */
static bool parse_rule(rules *r, char *line, err *e)
{
	relabel_config *c = &r->c[r->n];
	memset(c, 0, sizeof *c);
	relabel_config_defaults(c);
	char *f = field(&line, '\t');
	int a = relabel_action_parse(f);
	if (a < 0)
		return false;
	c->action = (relabel_action)a;
	if ((f = field(&line, '\t')) && *f) {
		while (f && c->n_source_labels < MAX_SOURCES)
			r->src[r->n][c->n_source_labels++] = field(&f, ',');
		c->source_labels = r->src[r->n];
	}
	if ((f = field(&line, '\t')))
		c->separator = f;
	if ((f = field(&line, '\t')) && strcmp(f, "-"))
		c->regex = f;
	if ((f = field(&line, '\t')))
		c->target_label = f;
	if ((f = field(&line, '\t')))
		c->replacement = f;
	if ((f = field(&line, '\t')))
		c->modulus = strtoull(f, NULL, 10);
	c->legacy_names = c->modulus % 2 == 1 && c->action != RELABEL_HASHMOD;
	if (relabel_compile(c, e))
		return false;
	r->n++;
	return true;
}

static void check(labels ls)
{
	if (!labels_valid_order(ls))
		abort();
	for (size_t i = 0; i < ls.n; i++)
		if (!*ls.v[i].value)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	rules r = {.n = 0};
	err e;
	char *p = text, *line;
	while ((line = field(&p, '\n')) && *line && r.n < MAX_RULES)
		if (!parse_rule(&r, line, &e))
			goto out;
	labels_builder in, b;
	labels_builder_init(&in);
	labels_builder_init(&b);
	for (size_t n = 0; (line = field(&p, '\n')) && n < MAX_LABELS; n++) {
		char *name = field(&line, '=');
		labels_builder_set(&in, name, line ? line : "");
	}
	labels ls = labels_builder_labels(&in);
	arena a;
	arena_init(&a);
	bool keep = relabel_process(r.c, r.n, ls, &b, &a);
	if (keep)
		check(labels_builder_labels(&b));
	labels first = keep ? labels_dup(labels_builder_labels(&b)) : (labels){0};
	bool again = relabel_process(r.c, r.n, ls, &b, &a);
	if (!b.oom && (again != keep || (keep && !labels_equal(first, labels_builder_labels(&b)))))
		abort();
	fl_free((void *)first.v);
	arena_reset(&a);
	labels_builder_free(&b);
	labels_builder_free(&in);
out:
	for (size_t i = 0; i < r.n; i++)
		relabel_config_free(&r.c[i]);
	free(text);
	return 0;
}
