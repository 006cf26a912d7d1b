/*
 * fuzz_promqltest.c - the .test script loader and runner
 * (promql/promqltest.c): arbitrary script text (load blocks with series
 * notation, eval headers, expected values and annotations, clear) never
 * crashes, leaks or reads out of bounds. Failures it reports go to
 * /dev/null; only sanitizer reports and crashes count.
 *
 * Input: the script, at most 2 KiB (long enough for several commands,
 * short enough that evaluations stay fast).
 */
#include "promql/promqltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (size > 2048 || !devnull)
		return 0;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	promqltest_stats st = {0};
	err e;
	promqltest_run_string("fuzz.test", s, NULL, devnull, &st, &e);
	free(s);
	return 0;
}
