/* flinttool_query.c - the "query" subcommand (not built yet). */
#include "cmd/flinttool.h"

#include <stdio.h>

int flinttool_query(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "flinttool: query: not implemented yet\n");
	return 1;
}
