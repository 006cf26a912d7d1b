/*
 * fuzz_template.c - rules/template*.c on arbitrary template text: parsing
 * and executing never crash, leak, read out of bounds or hang (the step,
 * depth, nesting and output bounds of issue 17); a failed execution
 * leaves the output as it was and says why; a template that parses once
 * parses again and expands to the same text (execution is a function of
 * the tree and the data).
 *
 * Input: the template text (bytes; a NUL ends it, as a YAML string would).
 * The data is fixed: an alert with a few labels, a value, external labels
 * and URL, and a query function answering two samples (none for "none").
 */
#include "rules/template.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const label f_labels[] = {{"__name__", "up"}, {"instance", "node-1.example.com:9100"}, {"job", "api"}};
static const label f_ext[] = {{"cluster", "eu"}};
static tmpl_sample f_res[2];

static int f_query(void *ctx, const char *q, int64_t t_ms, tmpl_sample **out, size_t *n, err *e)
{
	(void)ctx, (void)t_ms;
	if (!strcmp(q, "fail"))
		return err_set(e, FL_EINVAL, "bad query");
	f_res[0] = (tmpl_sample){{f_labels + 1, 2}, 2.5};
	f_res[1] = (tmpl_sample){{f_labels, 2}, -1};
	*out = f_res;
	*n = strcmp(q, "none") ? 2 : 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = 0;
	tmpl_data d = {0};
	d.labels = (labels){f_labels, 3};
	d.value = 1234.5;
	d.external_labels = (labels){f_ext, 1};
	d.external_url = "http://example.org/prom";
	d.t_ms = 1700000000000;
	d.query = f_query;
	err e;
	tmpl *t = tmpl_parse("F", src, &e);
	if (!t) {
		assert(e.code != 0 && e.msg[0]);
		free(src);
		return 0;
	}
	buf a, b;
	buf_init(&a);
	buf_init(&b);
	buf_put_str(&a, "prefix");
	int rc = tmpl_exec(t, &d, &a, &e);
	if (rc) {
		assert(e.msg[0]);
		assert(a.len == 6);
	}
	tmpl *t2 = tmpl_parse("F", src, &e);
	assert(t2 != NULL);
	buf_put_str(&b, "prefix");
	int rc2 = tmpl_exec(t2, &d, &b, &e);
	assert(rc == rc2);
	assert(a.len == b.len && !memcmp(a.p, b.p, a.len));
	tmpl_free(t2);
	tmpl_free(t);
	buf_reset(&a);
	buf_reset(&b);
	free(src);
	return 0;
}
