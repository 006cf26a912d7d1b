/*
 * fuzz_yaml_config.c - prometheus.yml loading (scrape/config.c): arbitrary
 * bytes never crash, leak or read out of bounds; a config that loads prints
 * YAML (scrape_config_yaml) that loads again to the same jobs and intervals.
 */
#include "scrape/config.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err e;
	scrape_config *c = scrape_config_parse((const char *)data, size, "fuzz.yml", &e);
	if (!c)
		return 0;
	buf b;
	buf_init(&b);
	scrape_config_yaml(c, &b);
	scrape_config *c2 = scrape_config_parse((const char *)b.p, b.len, "again.yml", &e);
	if (!c2 || c2->n_jobs != c->n_jobs || c2->scrape_interval_ms != c->scrape_interval_ms ||
	    c2->evaluation_interval_ms != c->evaluation_interval_ms || c2->external_labels.n != c->external_labels.n ||
	    c2->external_labels_as_written.n != c->external_labels_as_written.n)
		abort(); /* the printed config must load back the same */
	for (size_t i = 0; i < c->external_labels_as_written.n; i++)
		if (strcmp(c->external_labels_as_written.v[i].name, c2->external_labels_as_written.v[i].name) ||
		    strcmp(c->external_labels_as_written.v[i].value, c2->external_labels_as_written.v[i].value))
			abort();
	for (size_t i = 0; i < c->n_jobs; i++)
		if (strcmp(c->jobs[i].job_name, c2->jobs[i].job_name) ||
		    c->jobs[i].scrape_interval_ms != c2->jobs[i].scrape_interval_ms ||
		    c->jobs[i].scrape_timeout_ms != c2->jobs[i].scrape_timeout_ms)
			abort();
	scrape_config_free(c2);
	scrape_config_free(c);
	buf_reset(&b);
	return 0;
}
