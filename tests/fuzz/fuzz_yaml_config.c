/*
 * fuzz_yaml_config.c - prometheus.yml loading (scrape/config.c): arbitrary
 * bytes never crash, leak or read out of bounds; a config that loads prints
 * YAML (scrape_config_yaml) that loads again to the same jobs, intervals,
 * limits, discovery blocks and relabel rules.
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
	for (size_t i = 0; i < c->n_jobs; i++) {
		const scrape_job_config *a = &c->jobs[i], *z = &c2->jobs[i];
		if (strcmp(a->job_name, z->job_name) || a->scrape_interval_ms != z->scrape_interval_ms ||
		    a->scrape_timeout_ms != z->scrape_timeout_ms)
			abort();
		/* issue 16's keys print and load back too */
		if (a->body_size_limit != z->body_size_limit || a->sample_limit != z->sample_limit ||
		    a->label_limit != z->label_limit || a->target_limit != z->target_limit ||
		    a->keep_dropped_targets != z->keep_dropped_targets || a->n_scrape_protocols != z->n_scrape_protocols ||
		    a->enable_compression != z->enable_compression || a->honor_labels != z->honor_labels ||
		    a->n_relabel_configs != z->n_relabel_configs || a->n_metric_relabel_configs != z->n_metric_relabel_configs ||
		    a->sd.n_static_configs != z->sd.n_static_configs || a->sd.n_file_sd != z->sd.n_file_sd ||
		    a->sd.n_http_sd != z->sd.n_http_sd || a->sd.n_dns_sd != z->sd.n_dns_sd || a->n_params != z->n_params ||
		    a->http.n_headers != z->http.n_headers || (a->http.auth_type == NULL) != (z->http.auth_type == NULL))
			abort();
		for (size_t k = 0; k < a->n_relabel_configs; k++)
			if (a->relabel_configs[k].action != z->relabel_configs[k].action ||
			    strcmp(a->relabel_configs[k].regex ? a->relabel_configs[k].regex : "",
				   z->relabel_configs[k].regex ? z->relabel_configs[k].regex : ""))
				abort();
	}
	scrape_config_free(c2);
	scrape_config_free(c);
	buf_reset(&b);
	return 0;
}
