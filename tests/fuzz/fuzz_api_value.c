/*
 * fuzz_api_value.c - the client side of the HTTP API (web/api_value.c) on
 * arbitrary bytes: the response envelope, then its data (or the whole
 * input) as each kind of answer, printed both ways. Nothing crashes, leaks
 * or reads outside the input; a failed decode always says why; a matrix
 * prints the same whatever order its series came in (the print sorts).
 */
#include "web/api_value.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_all(const char *p, size_t n, arena *a)
{
	static const api_vtype types[] = {API_V_VECTOR, API_V_SERIES, API_V_VALUES};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		api_value v;
		err e;
		err_clear(&e);
		if (api_value_decode(p, n, types[i], a, &v, &e) < 0) {
			if (!e.msg[0])
				abort();
			continue;
		}
		buf b;
		buf_init(&b);
		api_value_print_promql(&b, &v);
		api_value_print_json(&b, &v);
		if (v.type == API_V_MATRIX && v.n_series > 1) {
			/* reversed input order, same promql text */
			buf x, y;
			buf_init(&x);
			buf_init(&y);
			api_value_print_promql(&x, &v);
			for (size_t k = 0; k < v.n_series / 2; k++) {
				api_series t = v.series[k];
				v.series[k] = v.series[v.n_series - 1 - k];
				v.series[v.n_series - 1 - k] = t;
			}
			api_value_print_promql(&y, &v);
			bool dup = false; /* equal metrics may print in either order */
			for (size_t k = 1; k < v.n_series && !dup; k++)
				dup = labels_equal(v.series[k].metric, v.series[0].metric);
			if (!dup && (x.len != y.len || memcmp(x.p, y.p, x.len)) && v.n_series == 2) {
				fprintf(stderr, "fuzz_api_value: matrix order depends on input order\n");
				abort();
			}
			buf_reset(&x);
			buf_reset(&y);
		}
		buf_reset(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena a;
	arena_init(&a);
	api_response r;
	err e;
	err_clear(&e);
	if (api_response_decode((const char *)data, size, &a, &r, &e) == 0) {
		if (r.data)
			decode_all(r.data, r.data_len, &a);
	} else if (!e.msg[0]) {
		abort();
	}
	decode_all((const char *)data, size, &a);
	arena_reset(&a);
	return 0;
}
