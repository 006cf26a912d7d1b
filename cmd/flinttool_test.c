/* flinttool_test.c - the "test" subcommand (not built yet). */
#include "cmd/flinttool.h"

#include <stdio.h>

int flinttool_test(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "flinttool: test: not implemented yet\n");
	return 1;
}
