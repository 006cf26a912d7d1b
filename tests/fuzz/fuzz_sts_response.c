/*
 * fuzz_sts_response.c - the STS AssumeRole response parser
 * (remote/sigv4_creds.c, sigv4_sts_parse): the body comes from the network.
 * Arbitrary bytes never crash, leak or read out of bounds; what parses has
 * non-empty, NUL-terminated keys. The input's first byte, when odd, also
 * signs a request with the parsed credentials (the signer takes what STS
 * gave, tokens of any length included).
 */
#include "remote/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	sigv4_creds c;
	err e;
	if (sigv4_sts_parse((const char *)data + 1, size - 1, &c, &e))
		return 0;
	if (!c.access_key[0] || !c.secret_key[0] || strlen(c.session_token) >= sizeof c.session_token)
		abort();
	if (data[0] & 1) {
		sigv4_signed out;
		const char *h = "Content-Type: application/x-protobuf";
		sigv4_sign_creds(&c, "us-east-1", "aps", "POST", "https://aps-workspaces.us-east-1.amazonaws.com/x", &h, 1,
				 data, size, 0, &out, &e);
	}
	return 0;
}
