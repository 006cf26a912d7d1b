/*
 * fuzz_promql_expr.c - any bytes as a PromQL query: promql_parse must
 * return a tree or a positioned parse error, never crash or leak; a tree
 * must print (promql_print) to text that parses again and prints the same,
 * and its pretty form (promql_print_pretty) must parse to that tree too.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/buf.h"
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
	promql_expr x;
	err e;
	if (promql_parse(q, &x, &e) == 0) {
		buf b1, b2;
		buf_init(&b1);
		buf_init(&b2);
		promql_print(&b1, x.root);
		promql_expr y;
		if (promql_parse(buf_cstr(&b1), &y, &e) != 0) {
			fprintf(stderr, "reparse failed: %s\n  query: %s\n  printed: %s\n", e.msg, q, buf_cstr(&b1));
			abort();
		}
		promql_print(&b2, y.root);
		if (strcmp(buf_cstr(&b1), buf_cstr(&b2)) != 0) {
			fprintf(stderr, "print not stable:\n  %s\n  %s\n", buf_cstr(&b1), buf_cstr(&b2));
			abort();
		}
		promql_expr_free(&y);
		buf_clear(&b2);
		promql_print_pretty(&b2, x.root, SIZE_MAX);
		if (promql_parse(buf_cstr(&b2), &y, &e) != 0) {
			fprintf(stderr, "pretty reparse failed: %s\n  query: %s\n  pretty: %s\n", e.msg, q, buf_cstr(&b2));
			abort();
		}
		buf_clear(&b2);
		promql_print(&b2, y.root);
		if (strcmp(buf_cstr(&b1), buf_cstr(&b2)) != 0) {
			fprintf(stderr, "pretty form is another tree:\n  %s\n  %s\n", buf_cstr(&b1), buf_cstr(&b2));
			abort();
		}
		promql_expr_free(&y);
		buf_reset(&b1);
		buf_reset(&b2);
	} else if (e.code != FL_ENOMEM && !strstr(e.msg, ": parse error: ")) {
		fprintf(stderr, "error without position: %s\n", e.msg);
		abort();
	}
	promql_expr_free(&x);
	free(q);
	return 0;
}
