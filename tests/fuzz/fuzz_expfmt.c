/*
 * fuzz_expfmt.c - expfmt family building (scrape/expfmt.c) on arbitrary
 * bytes: nothing crashes, leaks or reads outside the input; a failure
 * names its reason; families come out sorted by name, each with metrics,
 * and a summary's or histogram's metrics have distinct signatures.
 */
#include "scrape/expfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	expfmt_page pg;
	expfmt_page_init(&pg);
	buf msg;
	buf_init(&msg);
	if (expfmt_parse(&pg, (const char *)data, size, &msg) < 0) {
		if (!msg.len)
			abort();
	} else {
		for (size_t i = 0; i < pg.n_fam; i++) {
			const expfmt_family *f = pg.fam[i];
			if (!f->n_metrics || (i && strcmp(pg.fam[i - 1]->name, f->name) >= 0)) {
				fprintf(stderr, "fuzz_expfmt: families not sorted / empty\n");
				abort();
			}
			bool grouped = f->type == EXPFMT_SUMMARY || f->type == EXPFMT_HISTOGRAM || f->type == EXPFMT_GAUGE_HISTOGRAM;
			for (size_t k = 1; grouped && k < f->n_metrics && k < 64; k++)
				for (size_t j = 0; j < k; j++)
					if (!strcmp(f->metrics[j]->sig, f->metrics[k]->sig))
						abort();
		}
	}
	buf_reset(&msg);
	expfmt_page_free(&pg);
	return 0;
}
