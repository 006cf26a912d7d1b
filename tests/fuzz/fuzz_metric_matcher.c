/*
 * fuzz_metric_matcher.c - label matchers on arbitrary patterns and values:
 * compiling never crashes or hangs (PCRE2 match limits), and every fast
 * path (literal sets, prefix/suffix/contains, .* and .+) agrees with PCRE2
 * on every value PCRE2 can decide (valid UTF-8, within the match limit).
 *
 * Input: byte 0 picks the operator (=, !=, =~, !~); the pattern runs to the
 * first newline (at most 256 bytes); the rest is values, one per line.
 */
#include "tsdb/matcher.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	match_type t = (match_type)(data[0] % 4);
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t plen = (size_t)((nl ? nl : end) - p);
	if (plen > 256)
		return 0;
	char pat[257];
	memcpy(pat, p, plen);
	pat[plen] = 0;
	matcher m;
	err e;
	if (matcher_init(&m, t, "l", pat, &e) != 0)
		return 0;
	const char *v = nl ? nl + 1 : end;
	while (v <= end) {
		const char *ve = memchr(v, '\n', (size_t)(end - v));
		size_t vlen = (size_t)((ve ? ve : end) - v);
		bool fast = matcher_matches(&m, v, vlen);
		int slow = matcher_matches_slow(&m, v, vlen);
		if (slow >= 0 && (slow == 1) != fast) {
			fprintf(stderr, "matcher /%s/ %s on %zu-byte value: fast %d, pcre2 %d\n", pat,
				matcher_op_str(t), vlen, fast, slow);
			abort();
		}
		if (!ve)
			break;
		v = ve + 1;
	}
	if (matcher_matches_slow(&m, "", 0) >= 0 && matcher_matches_empty(&m) != (matcher_matches_slow(&m, "", 0) == 1))
		abort();
	matcher_reset(&m);
	return 0;
}
