/*
 * fuzz_small_parsers.c - the small parsers of outside text that have no
 * target of their own: the HTTP API's time and duration parameters
 * (lib/timeparse.c), a block's meta.json (tsdb/block.c) and the
 * --web.config.file YAML (web/webconfig.c). Arbitrary bytes never crash,
 * leak or read out of bounds, and what parses prints back to the same value:
 * model durations (format then parse gives the same ms) and RFC 3339 times
 * in years 1..9999 (format then parse gives the same ms).
 *
 * Input: byte 0 picks the parser; the rest is its text.
 */
#include "lib/timeparse.h"
#include "tsdb/block.h"
#include "web/webconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RFC3339_MIN_MS (-62135596800000LL) /* 0001-01-01T00:00:00Z */
#define RFC3339_MAX_MS (253402300799999LL) /* 9999-12-31T23:59:59.999Z */

static void check(bool ok, const char *what, const char *s)
{
	if (!ok) {
		fprintf(stderr, "fuzz_small_parsers: %s round trip differs for %s\n", what, s);
		abort();
	}
}

static void times(const char *s, size_t n)
{
	err e;
	int64_t ms, ns, back;
	buf b;
	buf_init(&b);
	timeparse_time(s, &ms, &e);
	timeparse_duration(s, &ns, &e);
	if (timeparse_model_duration(s, n, &ms, &e) == 0 && ms >= 0) {
		timeparse_format_duration(&b, ms);
		check(timeparse_model_duration((const char *)b.p, b.len, &back, &e) == 0 && back == ms, "model duration", s);
	}
	if (timeparse_rfc3339(s, &ms) == 0 && ms >= RFC3339_MIN_MS && ms <= RFC3339_MAX_MS) {
		b.len = 0;
		timeparse_format_rfc3339(&b, ms);
		check(timeparse_rfc3339(buf_cstr(&b), &back) == 0 && back == ms, "rfc3339", s);
	}
	buf_reset(&b);
}

/* webconfig_load reads a file, and the cert_file/key_file it names: keep
 * those inside a private directory (no '/' in the input) so the fuzzer
 * cannot open /dev/zero and hang. */
static void web_config(const uint8_t *p, size_t n)
{
	if (memchr(p, '/', n))
		return;
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz-webconfig-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	char path[96];
	snprintf(path, sizeof path, "%s/web.yml", dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
	err e;
	webconfig *c = webconfig_load(path, &e);
	if (c) {
		const char *const *names, *const *values;
		size_t nh = webconfig_headers(c, &names, &values);
		for (size_t i = 0; i < nh; i++)
			check(names[i] && values[i], "header", names[i] ? names[i] : "?");
		webconfig_check(c, "admin", "secret");
		webconfig_free(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	err e;
	block_meta m;
	switch (data[0] % 3) {
	case 0:
		times(s, strlen(s));
		break;
	case 1: {
		block_meta_ext x; /* the compactor's reading too: sources, parents, unknown members */
		block_meta_parse(s, size - 1, &m, &e);
		if (block_meta_parse_ext(s, size - 1, &m, &x, &e) == 0) {
			buf b;
			buf_init(&b);
			block_compaction c = {.level = m.level, .parents = x.parents, .n_parents = x.n_parents,
					      .extra_json = x.extra_json};
			block_meta_format(&b, &m, &c);
			buf_reset(&b);
		}
		block_meta_ext_reset(&x);
		break;
	}
	default:
		web_config(data + 1, size - 1);
		break;
	}
	free(s);
	return 0;
}
