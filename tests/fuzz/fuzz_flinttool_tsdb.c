/*
 * fuzz_flinttool_tsdb.c - the parsers of outside text in flinttool's tsdb
 * and check service-discovery commands, which live in cmd/ (not in
 * libflint), so their files are compiled in here: a line of the series
 * file of `tsdb bench write` (cmd/flinttool_tsdb_bench.c) and the Go
 * durations of --timeout and --max-block-duration, printed back as Go's
 * Duration.String (both in cmd/flinttool_tsdb_list.c). Arbitrary bytes never
 * crash, leak or read out of bounds; a parsed label set is sorted.
 *
 * Input: byte 0 picks the parser; the rest is its text.
 */
#include "cmd/flinttool_tsdb_bench.c"
#include "cmd/flinttool_tsdb_list.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	if (data[0] & 1) {
		int64_t ns;
		if (flinttool_go_parse_duration(s, &ns)) {
			buf b;
			buf_init(&b);
			flinttool_go_duration(&b, ns);
			buf_reset(&b);
		}
	} else {
		arena a;
		arena_init(&a);
		labels ls;
		err e;
		if (parse_line(s, &a, &ls, &e) == 0)
			for (size_t i = 1; i < ls.n; i++)
				if (strcmp(ls.v[i - 1].name, ls.v[i].name) > 0)
					abort();
		arena_reset(&a);
	}
	free(s);
	return 0;
}
