/*
 * fuzz_sd_groups.c - the file_sd / http_sd document parser
 * (scrape/sd_groups.c) and target population (scrape/target.c): arbitrary
 * bytes, read as JSON (lenient) and as YAML (strict), never crash, leak or
 * read out of bounds; every target of a document that parses either
 * populates, is dropped, or fails with a message.
 */
#include <stdlib.h>

#include "scrape/discovery.h"
#include "scrape/sd_int.h"

static scrape_config *job(void)
{
	static const char y[] = "scrape_configs:\n- job_name: fuzz\n  params: {p: [a]}\n";
	err e;
	return scrape_config_parse(y, sizeof y - 1, "fuzz.yml", &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	scrape_config *c = job();
	if (!c)
		abort();
	for (int strict = 0; strict < 2; strict++) {
		sd_groups g;
		sd_groups_init(&g);
		err e;
		if (!sd_groups_parse(&g, (const char *)data, size, "fuzz", strict, "__meta_filepath", "fuzz", &e)) {
			arena a;
			arena_init(&a);
			for (size_t i = 0; i < g.n; i++)
				for (size_t t = 0; t < g.v[i].n_targets; t++) {
					scrape_target_def def;
					labels disc;
					int rc = scrape_target_populate(&c->jobs[0], g.v[i].labels, g.v[i].targets[t], &a, &def, &disc, &e);
					if (rc < 0 && !e.msg[0])
						abort(); /* a failure names its reason */
					if (rc == 1 && (!def.url || !labels_get(def.labels, "instance")))
						abort();
				}
			arena_reset(&a);
		} else if (!e.msg[0]) {
			abort();
		}
		sd_groups_reset(&g);
	}
	scrape_config_free(c);
	return 0;
}
