/*
 * fuzz_textparse_expect.c - textparse_expect on arbitrary bytes, both
 * formats: a page parsed with guesses at its series (its own keys, shifted
 * by a few, so right, wrong and prefix guesses all occur) gives exactly
 * the entries, labels, values, timestamps and error of a plain parse, and
 * textparse_expect_met is true exactly when the series is the guess. The
 * first byte picks the format and the shift.
 */
#include "scrape/textparse.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_KEYS 4096

/* One pass: every entry into out; the series keys into keys (plain pass)
 * or the guesses from keys (hinted pass). */
static void walk(textparse_format f, const char *text, size_t n, slice *keys, size_t *nk, size_t shift, bool hinted,
		 buf *out)
{
	textparse *p = textparse_new(f, text, n, 0);
	if (!p)
		abort();
	textparse_entry k;
	err e = {0};
	int rc;
	size_t ns = 0;
	for (int guard = 0; guard < 100000; guard++) {
		slice g = hinted && *nk ? keys[(ns + shift) % *nk] : (slice){NULL, 0};
		textparse_expect(p, g);
		if ((rc = textparse_next(p, &k, &e)) != 1)
			break;
		buf_printf(out, "%d@%zu ", (int)k, textparse_line(p));
		if (k != TEXTPARSE_SERIES) {
			slice name, t;
			textparse_meta(p, &name, &t, NULL);
			buf_put(out, name.p, name.len);
			buf_put(out, t.p, t.len);
			continue;
		}
		slice s = textparse_series(p);
		bool eq = g.len && g.len == s.len && !memcmp(g.p, s.p, s.len);
		if (textparse_expect_met(p) != eq) {
			fprintf(stderr, "fuzz_textparse_expect: met %d for a guess %s the series\n", textparse_expect_met(p),
				eq ? "equal to" : "unlike");
			abort();
		}
		ns++;
		if (!hinted && *nk < MAX_KEYS && !memchr(s.p, '\n', s.len))
			keys[(*nk)++] = s;
		buf_put(out, s.p, s.len);
		labels ls = textparse_labels(p, &e);
		if (ls.v)
			labels_format(out, ls);
		double v;
		bool has_ts;
		int64_t ts;
		textparse_sample(p, &v, &has_ts, &ts);
		buf_put(out, &v, sizeof v);
		buf_printf(out, " %d %lld\n", has_ts, (long long)ts);
	}
	buf_printf(out, "rc %d %s\n", rc, rc < 0 ? e.msg : "");
	textparse_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	textparse_format f = data[0] & 1 ? TEXTPARSE_OM : TEXTPARSE_PROM;
	size_t shift = (data[0] >> 1) & 3;
	const char *text = (const char *)data + 1;
	size_t n = size - 1;
	static slice keys[MAX_KEYS];
	size_t nk = 0;
	buf a, b;
	buf_init(&a);
	buf_init(&b);
	walk(f, text, n, keys, &nk, 0, false, &a);
	walk(f, text, n, keys, &nk, shift, true, &b);
	if (a.len != b.len || memcmp(a.p, b.p, a.len)) {
		fprintf(stderr, "fuzz_textparse_expect: guesses changed the parse\n--- plain:\n%.*s\n--- guided:\n%.*s\n",
			(int)a.len, (const char *)a.p, (int)b.len, (const char *)b.p);
		abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	return 0;
}
