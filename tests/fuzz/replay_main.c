/*
 * replay_main.c - the `make test` face of every fuzz target (SQLite's
 * fuzzcheck): feeds each file of the given directories (or files) to
 * LLVMFuzzerTestOneInput once. No output checks: only crashes, sanitizer
 * reports, leaks and hangs fail it. The replay of one corpus is one test in
 * `make test`'s tally; an empty or missing corpus is a failure, not a pass.
 *
 * Hangs (issue 14: a regexp whose repeat count stopped the parser's digit
 * loop spun forever): each input runs under an alarm of
 * FUZZ_REPLAY_TIMEOUT seconds (default 10, libFuzzer's -timeout of
 * `make fuzz`); when it fires, the input's file name is printed and the
 * replay exits 1.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *volatile current = "(built-in edge input)"; /* the input being run, for the alarm */

static void on_alarm(int sig)
{
	static const char msg[] = "replay: input took too long (hang?): ";
	(void)sig;
	const char *p = current;
	(void)!write(2, msg, sizeof msg - 1);
	(void)!write(2, p, strlen(p));
	(void)!write(2, "\n", 1);
	_exit(1);
}

static void run_input(const char *name, const uint8_t *p, size_t n, unsigned timeout_s)
{
	current = name;
	alarm(timeout_s);
	LLVMFuzzerTestOneInput(p, n);
	alarm(0);
}

static int run_file(const char *path, unsigned timeout_s)
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
	run_input(path, p, got, timeout_s);
	free(p);
	return 1;
}

int main(int argc, char **argv)
{
	int n = 0;
	const char *t = getenv("FUZZ_REPLAY_TIMEOUT");
	unsigned timeout_s = t && atoi(t) > 0 ? (unsigned)atoi(t) : 10;
	signal(SIGALRM, on_alarm);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			n += run_file(argv[i], timeout_s);
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
			n += run_file(p, timeout_s);
		}
		if (d)
			closedir(d);
	}
	/* also a few fixed edge inputs */
	static const uint8_t z[64];
	run_input("(empty input)", z, 0, timeout_s);
	run_input("(64 zero bytes)", z, sizeof z, timeout_s);
	printf("replayed %d inputs\n", n);
	if (n == 0) {
		printf("FAIL replay: no corpus inputs found\n0 passed, 1 failed\n");
		return 1;
	}
	printf("1 passed, 0 failed\n");
	return 0;
}
