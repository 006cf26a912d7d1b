/* flinttool_tsdb.c - the "tsdb" subcommand (not built yet). */
#include "cmd/flinttool.h"

#include <stdio.h>

int flinttool_tsdb(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "flinttool: tsdb: not implemented yet\n");
	return 1;
}
