/*
 * flint.c - the server: flags (Prometheus's names), wiring, signals.
 * Until the server issue lands this only validates its flags.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--version")) {
			printf("flint, version 0.1.0\n");
			return 0;
		}
	fprintf(stderr, "flint: the server is not built yet (storage and PromQL come first)\n");
	return 1;
}
