/*
 * fuzz_textparse_om.c - the OpenMetrics text parser (scrape/textparse_om.c)
 * on arbitrary bytes: every entry is walked and every series' labels are
 * built; nothing crashes, leaks or reads outside the input, and labels
 * come back sorted by name.
 */
#include "scrape/textparse.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	textparse_om p;
	textparse_om_init(&p, (const char *)data, size);
	textparse_entry k;
	err e;
	for (int n = 0; n < 100000 && textparse_om_next(&p, &k, &e) == 1; n++) {
		if (k != TEXTPARSE_SERIES)
			continue;
		labels ls = textparse_om_labels(&p, &e);
		for (size_t i = 1; i < ls.n; i++)
			if (strcmp(ls.v[i - 1].name, ls.v[i].name) > 0) {
				fprintf(stderr, "fuzz_textparse_om: labels not sorted\n");
				abort();
			}
	}
	textparse_om_free(&p);
	return 0;
}
