/*
 * fuzz_rw_response.c - what the remote-write sender reads from outside:
 * a receiver's response header lines (the 2.0 written counts, Retry-After
 * as seconds or an HTTP date) and the text of a queue's position file
 * (remote/queue_send.c, remote/queue.c). Arbitrary bytes never crash or
 * overflow; the results stay in range.
 *
 * Input: the bytes, split at '\n' into header lines, then parsed whole as
 * a position file.
 */
#include <stdlib.h>
#include <string.h>

#include "remote/write_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rw_resp r = {0};
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		rw_response_header(p, n, 1700000000000LL, &r);
		if (r.written < 0 || r.retry_after_ms < 0)
			abort();
		p += n;
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	rw_pos pos;
	if (rw_pos_parse(s, &pos) == 0 && (pos.seg < 0 || pos.off < 0 || pos.idx < 0))
		abort();
	if (rw_retry_after_ms(s, 1700000000000LL) < 0)
		abort();
	free(s);
	return 0;
}
