/*
 * fuzz_textparse_om.c - the OpenMetrics parser (scrape/textparse_om.c) on
 * arbitrary bytes, lenient and strict (the validator, textparse_omcheck.c):
 * every entry is walked and every series' labels are built; nothing
 * crashes, leaks or reads outside the input, labels come back sorted by
 * name, and whatever strict mode accepts the lenient parser accepts too.
 */
#include "scrape/textparse.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if the whole input parsed, 0 if not. */
static int walk(const uint8_t *data, size_t size, unsigned flags)
{
	textparse *p = textparse_new(TEXTPARSE_OM, (const char *)data, size, flags);
	if (!p)
		return 0;
	textparse_entry k;
	err e;
	int rc, n = 0;
	while (n++ < 100000 && (rc = textparse_next(p, &k, &e)) == 1) {
		if (k != TEXTPARSE_SERIES)
			continue;
		labels ls = textparse_labels(p, &e);
		for (size_t i = 1; i < ls.n; i++)
			if (strcmp(ls.v[i - 1].name, ls.v[i].name) > 0) {
				fprintf(stderr, "fuzz_textparse_om: labels not sorted\n");
				abort();
			}
	}
	textparse_free(p);
	return rc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int lenient = walk(data, size, 0);
	int strict = walk(data, size, TEXTPARSE_STRICT);
	if (strict && !lenient) {
		fprintf(stderr, "fuzz_textparse_om: strict accepts what lenient refuses\n");
		abort();
	}
	return 0;
}
