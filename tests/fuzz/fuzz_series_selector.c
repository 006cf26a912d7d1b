/*
 * fuzz_series_selector.c - any bytes as a series selector (match[] of the
 * HTTP API): promql_parse_selector returns matchers or a parse error, never
 * crashes or leaks.
 */
#include <stdlib.h>

#include "promql/ast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = 0;
	arena a;
	arena_init(&a);
	matcher *ms;
	size_t n;
	err e;
	if (promql_parse_selector(q, &a, &ms, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			matcher_matches_str(&ms[i], "");
			matcher_reset(&ms[i]);
		}
	}
	arena_reset(&a);
	free(q);
	return 0;
}
