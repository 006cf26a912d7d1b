/*
 * fuzz_oauth2_token.c - the oauth2 token endpoint's answer
 * (scrape/httpc.c, httpc_oauth2_parse): JSON through libyaml or a form,
 * an error object on a failed status. Arbitrary bytes never crash, leak or
 * read out of bounds; an accepted answer has a NUL-terminated, non-empty
 * token. Input: byte 0 picks the Content-Type (bit 0: form, bit 1:
 * text/plain) and the status (bit 2: 401); the rest is the body.
 */
#include "scrape/httpc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	httpc_resp r = {.status = data[0] & 4 ? 401 : 200};
	strcpy(r.status_text, data[0] & 4 ? "401 Unauthorized" : "200 OK");
	strcpy(r.content_type, data[0] & 2 ? "text/plain" : data[0] & 1 ? "application/x-www-form-urlencoded" : "application/json");
	buf_init(&r.body);
	buf_put(&r.body, data + 1, size - 1);
	static scrape_oauth2_token tok;
	memset(&tok, 0, sizeof tok);
	err e;
	if (!httpc_oauth2_parse(&r, 1700000000000LL, &tok, &e) &&
	    (!tok.access_token[0] || strnlen(tok.access_token, sizeof tok.access_token) == sizeof tok.access_token))
		abort();
	buf_reset(&r.body);
	return 0;
}
