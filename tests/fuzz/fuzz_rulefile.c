/*
 * fuzz_rulefile.c - rule files (rules/rulefile.c): arbitrary bytes never
 * crash, leak, hang or read out of bounds (aliases, merge keys and cycles
 * included); a file that loads satisfies rulefmt's guarantees: every rule
 * has exactly one of record and alert and a non-empty expr, labels and
 * annotations are sorted and unique, group names are unique and non-empty.
 * Both decoding modes (strict keys and --ignore-unknown-fields) run.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "rules/rulefile.h"

static void check(const rule_file *f)
{
	for (size_t i = 0; i < f->n_groups; i++) {
		const rule_group_def *g = &f->groups[i];
		if (!g->name || !*g->name || !labels_valid_order(g->labels))
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(f->groups[j].name, g->name))
				abort();
		for (size_t k = 0; k < g->n_rules; k++) {
			const rule_def *r = &g->rules[k];
			if (!r->record == !r->alert || !r->expr || !*r->expr)
				abort();
			if (!labels_valid_order(r->labels) || !labels_valid_order(r->annotations))
				abort();
			if (r->record && (r->for_ms || r->keep_firing_for_ms || r->annotations.n))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_ERROR); /* no multi-document warnings per input */
	for (int lax = 0; lax < 2; lax++) {
		rule_errors errs = {0};
		err e;
		rule_file *f = rule_file_parse_opts((const char *)data, size, "fuzz.yml", lax, &errs, &e);
		if (f) {
			if (errs.n)
				abort(); /* success means no errors */
			check(f);
		} else if (!errs.n) {
			abort(); /* a refusal says why */
		}
		rule_file_free(f);
		rule_errors_free(&errs);
	}
	return 0;
}
