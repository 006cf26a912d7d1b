/*
 * replay_main.c - the `make test` face of every fuzz target (SQLite's
 * fuzzcheck): feeds each file of the given directories (or files) to
 * LLVMFuzzerTestOneInput once. No output checks: only crashes, sanitizer
 * reports and leaks fail it. The replay of one corpus is one test in
 * `make test`'s tally; an empty or missing corpus is a failure, not a pass.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
	size_t got = n > 0 ? fread(p, 1, (size_t)n, f) : 0;
	fclose(f);
	LLVMFuzzerTestOneInput(p, got);
	free(p);
	return 1;
}

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			n += run_file(argv[i]);
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
			n += run_file(p);
		}
		if (d)
			closedir(d);
	}
	/* also a few fixed edge inputs */
	static const uint8_t z[64];
	LLVMFuzzerTestOneInput(z, 0);
	LLVMFuzzerTestOneInput(z, sizeof z);
	printf("replayed %d inputs\n", n);
	if (n == 0) {
		printf("FAIL replay: no corpus inputs found\n0 passed, 1 failed\n");
		return 1;
	}
	printf("1 passed, 0 failed\n");
	return 0;
}
