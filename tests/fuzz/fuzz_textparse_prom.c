/*
 * fuzz_textparse_prom.c - the text format 0.0.4 parser
 * (scrape/textparse_prom.c) on arbitrary bytes: every entry is walked, every
 * series' labels built, its value and metadata read; nothing crashes, leaks
 * or reads outside the input; labels come back sorted by name with
 * __name__ among them; the line number never goes backwards.
 */
#include "scrape/textparse.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	textparse *p = textparse_new(TEXTPARSE_PROM, (const char *)data, size, 0);
	if (!p)
		return 0;
	textparse_entry k;
	err e;
	size_t line = 0;
	for (int n = 0; n < 100000 && textparse_next(p, &k, &e) == 1; n++) {
		if (textparse_line(p) < line) {
			fprintf(stderr, "fuzz_textparse_prom: line went backwards\n");
			abort();
		}
		line = textparse_line(p);
		if (k != TEXTPARSE_SERIES) {
			slice name, text;
			textparse_mtype t;
			textparse_meta(p, &name, &text, &t);
			continue;
		}
		labels ls = textparse_labels(p, &e);
		if (ls.v && !labels_get(ls, LABEL_NAME)) {
			fprintf(stderr, "fuzz_textparse_prom: no __name__\n");
			abort();
		}
		for (size_t i = 1; i < ls.n; i++)
			if (strcmp(ls.v[i - 1].name, ls.v[i].name) > 0) {
				fprintf(stderr, "fuzz_textparse_prom: labels not sorted\n");
				abort();
			}
	}
	textparse_free(p);
	return 0;
}
