/*
 * fuzz_query_answer.c - the query_range answer decoder of the rule
 * backfill (rules/backfill.c over lib/jsonr.c): arbitrary bytes, under
 * each HTTP status class, never crash, leak, hang or read out of bounds;
 * every series handed over has sorted unique labels without "" values,
 * and a failure always names its reason.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/jsonr.h"
#include "rules/backfill.h"

static int check(void *ctx, labels ls, const int64_t *t, const double *v, size_t n, err *e)
{
	if (!labels_valid_order(ls) || (n && (!t || !v)))
		abort();
	for (size_t i = 0; i < ls.n; i++)
		if (!ls.v[i].value[0])
			abort();
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long status[] = {200, 400, 422, 500};
	for (size_t i = 0; i < sizeof status / sizeof status[0]; i++) {
		size_t n = 0;
		err e;
		err_clear(&e);
		if (rules_backfill_decode((const char *)data, size, status[i], check, &n, &e) && !e.msg[0])
			abort();
	}
	/* the reader alone: skipping any value terminates and is consistent */
	jsonr r;
	jsonr_init(&r, (const char *)data, size);
	if (jsonr_skip(&r) && jsonr_end(&r) && r.err)
		abort();
	if (r.err && !r.msg[0])
		abort();
	return 0;
}
