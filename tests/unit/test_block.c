/* test_block.c - tsdb/block.c, index_read.c, chunks.c, block_querier.c
 * against the golden blocks Prometheus wrote (block-openmetrics). */
#include "tests/unit/test.h"
#include "lib/hash.h"
#include "tsdb/block.h"

#include <dirent.h>

#define BLOCK_A "01M85ZJJW0Q48HSX1F1SJXQXMD"
#define BLOCK_B "01M85ZJJXFQCQ2MCSY0E645XXV"

static block *open_golden_dir(const char *dir)
{
	err e;
	block *b = block_open(dir, &e);
	if (!b)
		test_fail(__FILE__, __LINE__, "block_open %s: %s", dir, e.msg);
	return b;
}

/* Open a golden block by ULID (also used by test_merge.c). */
block *test_block_open_golden(const char *ulid);
block *test_block_open_golden(const char *ulid)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/conformance/tsdb/block-openmetrics/blocks/%s", test_shared_dir(), ulid);
	return open_golden_dir(dir);
}

#define open_golden test_block_open_golden

static void mk(matcher *m, match_type t, const char *name, const char *value)
{
	err e;
	if (matcher_init(m, t, name, value, &e) != 0)
		test_fail(__FILE__, __LINE__, "matcher: %s", e.msg);
}

/* Count series and samples a select returns; check order and clipping. */
static void count(querier *q, const matcher *ms, size_t n, size_t *series, size_t *samples)
{
	series_set *s = querier_select(q, true, NULL, ms, n);
	sample_iter *it = NULL;
	labels prev = {NULL, 0};
	*series = *samples = 0;
	while (series_set_next(s)) {
		labels l = series_set_labels(s);
		if (*series)
			ASSERT(labels_compare(prev, l) < 0);
		prev = l;
		(*series)++;
		it = series_set_iter(s, it);
		ASSERT(it != NULL);
		int64_t last = INT64_MIN, t;
		double v;
		while (sample_iter_next(it) == VAL_FLOAT) {
			sample_iter_at(it, &t, &v);
			ASSERT(t > last && t >= q->mint && t <= q->maxt);
			last = t;
			(*samples)++;
		}
		ASSERT_EQ(sample_iter_err(it, NULL), 0);
	}
	err e;
	ASSERT_EQ(series_set_err(s, &e), 0);
	sample_iter_close(it);
	series_set_close(s);
}

static void block_meta_and_counts(void)
{
	static const struct { const char *ulid; int64_t mint, maxt; size_t series, samples, chunks; } want[] = {
		{BLOCK_A, 1699999999540, 1700006398382, 51, 10139, 67},
		{BLOCK_B, 1700006404981, 1700011698365, 50, 8558, 94},
	};
	for (size_t i = 0; i < 2; i++) {
		block *b = open_golden(want[i].ulid);
		const block_meta *m = block_meta_get(b);
		ASSERT_STR_EQ(m->ulid, want[i].ulid);
		ASSERT_EQ(m->min_time, want[i].mint);
		ASSERT_EQ(m->max_time, want[i].maxt);
		ASSERT_EQ(m->num_series, want[i].series);
		ASSERT_EQ(m->num_samples, want[i].samples);
		ASSERT_EQ(m->num_chunks, want[i].chunks);
		ASSERT_EQ(m->level, 1);
		err e;
		querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
		ASSERT(q != NULL);
		matcher all;
		mk(&all, MATCH_RE, "__name__", ".+");
		size_t ns, nsamp;
		count(q, &all, 1, &ns, &nsamp);
		ASSERT_EQ(ns, want[i].series);
		ASSERT_EQ(nsamp, want[i].samples);
		count(q, NULL, 0, &ns, &nsamp); /* no matchers: everything */
		ASSERT_EQ(ns, want[i].series);
		matcher_reset(&all);
		querier_close(q);
		block_close(b);
	}
}

static void block_label_values_and_regex(void)
{
	block *b = open_golden(BLOCK_A);
	err e;
	querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
	strlist l;
	ASSERT_EQ(querier_label_values(q, "__name__", NULL, 0, &l, &e), 0);
	bool found = false;
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			ASSERT(strcmp(l.v[i - 1], l.v[i]) < 0);
		found |= !strcmp(l.v[i], "one_sample");
	}
	ASSERT(found);
	strlist_free(&l);
	ASSERT_EQ(querier_label_names(q, NULL, 0, &l, &e), 0);
	ASSERT(l.n > 2);
	ASSERT_STR_EQ(l.v[0], "__name__");
	strlist_free(&l);

	matcher m[2];
	mk(&m[0], MATCH_RE, "__name__", "one_sample|http_requests_total");
	size_t ns, nsamp;
	count(q, m, 1, &ns, &nsamp);
	ASSERT(ns >= 2);
	/* a matcher for a missing label that matches "" selects everything */
	mk(&m[1], MATCH_EQ, "no_such_label", "");
	size_t ns2, nsamp2;
	count(q, m, 2, &ns2, &nsamp2);
	ASSERT_EQ(ns2, ns);
	ASSERT_EQ(nsamp2, nsamp);
	matcher_reset(&m[1]);
	mk(&m[1], MATCH_NEQ, "__name__", "one_sample");
	count(q, m, 2, &ns2, &nsamp2);
	ASSERT_EQ(ns2, ns - 1);
	ASSERT_EQ(nsamp2, nsamp - 1);
	ASSERT_EQ(querier_label_values(q, "__name__", m, 2, &l, &e), 0);
	ASSERT_EQ(l.n, 1);
	ASSERT_STR_EQ(l.v[0], "http_requests_total");
	strlist_free(&l);
	matcher_reset(&m[1]);
	mk(&m[1], MATCH_NRE, "__name__", ".*");
	count(q, m, 2, &ns2, &nsamp2);
	ASSERT_EQ(ns2, 0);
	matcher_reset(&m[0]);
	matcher_reset(&m[1]);
	querier_close(q);
	block_close(b);
}

static void block_clip_and_seek(void)
{
	block *b = open_golden(BLOCK_A);
	err e;
	int64_t mint = 1700000000000 + 3600000, maxt = mint + 600000;
	querier *q = queryable_querier(block_queryable(b), mint, maxt, &e);
	matcher m;
	mk(&m, MATCH_EQ, "__name__", "http_requests_total");
	size_t ns, nsamp;
	count(q, &m, 1, &ns, &nsamp);
	ASSERT(ns > 0 && nsamp > 0);
	series_set *s = querier_select(q, true, NULL, &m, 1);
	ASSERT(series_set_next(s));
	sample_iter *it = series_set_iter(s, NULL);
	ASSERT_EQ(sample_iter_seek(it, mint + 300000), VAL_FLOAT);
	int64_t t, t2;
	double v;
	sample_iter_at(it, &t, &v);
	ASSERT(t >= mint + 300000);
	ASSERT_EQ(sample_iter_seek(it, mint), VAL_FLOAT); /* never back */
	sample_iter_at(it, &t2, &v);
	ASSERT_EQ(t2, t);
	ASSERT_EQ(sample_iter_seek(it, maxt + 1), VAL_NONE);
	sample_iter_close(it);
	series_set_close(s);
	matcher_reset(&m);
	querier_close(q);
	block_close(b);
}

/* ---- every sample equals promtool's dump ---- */

typedef struct line {
	char *key; /* "{labels} ts" */
	double v;  /* value */
} line;

static int cmp_line(const void *a, const void *b) { return strcmp(((const line *)a)->key, ((const line *)b)->key); }

static size_t load_expected(line **out)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/block-openmetrics/expected-dump.txt", test_shared_dir());
	FILE *f = fopen(path, "r");
	ASSERT(f != NULL);
	size_t n = 0, cap = 0;
	char *ln = NULL;
	size_t lcap = 0;
	ssize_t k;
	*out = NULL;
	while ((k = getline(&ln, &lcap, f)) > 0) {
		ln[strcspn(ln, "\n")] = 0;
		char *ts = strrchr(ln, ' ');
		ASSERT(ts != NULL);
		*ts = 0;
		char *val = strrchr(ln, ' ');
		ASSERT(val != NULL);
		*val = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof **out);
		}
		char *key = malloc(strlen(ln) + strlen(ts + 1) + 2);
		sprintf(key, "%s %s", ln, ts + 1);
		(*out)[n].key = key;
		(*out)[n].v = strtod(val + 1, NULL);
		n++;
	}
	free(ln);
	fclose(f);
	return n;
}

static void block_samples_equal_promtool_dump(void)
{
	line *want;
	size_t n_want = load_expected(&want);
	ASSERT_EQ(n_want, 18697);
	line *got = calloc(n_want + 1, sizeof *got);
	size_t n_got = 0;
	const char *ids[] = {BLOCK_A, BLOCK_B};
	for (size_t bi = 0; bi < 2; bi++) {
		block *b = open_golden(ids[bi]);
		err e;
		querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
		series_set *s = querier_select(q, true, NULL, NULL, 0);
		sample_iter *it = NULL;
		buf lb;
		buf_init(&lb);
		while (series_set_next(s)) {
			buf_clear(&lb);
			labels_format(&lb, series_set_labels(s));
			it = series_set_iter(s, it);
			int64_t t;
			double v;
			while (sample_iter_next(it) == VAL_FLOAT) {
				sample_iter_at(it, &t, &v);
				ASSERT(n_got < n_want);
				char *key = malloc(lb.len + 24);
				sprintf(key, "%.*s %lld", (int)lb.len, (const char *)lb.p, (long long)t);
				got[n_got].key = key;
				got[n_got++].v = v;
			}
		}
		ASSERT_EQ(series_set_err(s, &e), 0);
		buf_reset(&lb);
		sample_iter_close(it);
		series_set_close(s);
		querier_close(q);
		block_close(b);
	}
	ASSERT_EQ(n_got, n_want);
	qsort(want, n_want, sizeof *want, cmp_line);
	qsort(got, n_got, sizeof *got, cmp_line);
	for (size_t i = 0; i < n_want; i++) {
		ASSERT_STR_EQ(got[i].key, want[i].key);
		ASSERT_DBL_EQ(got[i].v, want[i].v);
		ASSERT_EQ(signbit(got[i].v), signbit(want[i].v));
		free(got[i].key);
		free(want[i].key);
	}
	free(got);
	free(want);
}

/* Samples in [mint, maxt] over both blocks equal the dump's lines in it. */
static void block_range_counts_match_dump(void)
{
	line *want;
	size_t n_want = load_expected(&want);
	static const int64_t ranges[][2] = {{1700003000000, 1700003000000 + 7 * 60000 + 123},
					     {1700006390000, 1700006410000},
					     {0, 1699999999540},
					     {1700011698364, INT64_MAX}};
	const char *ids[] = {BLOCK_A, BLOCK_B};
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
		size_t expect = 0, got = 0;
		for (size_t i = 0; i < n_want; i++) {
			long long ts = atoll(strrchr(want[i].key, ' ') + 1);
			expect += ts >= ranges[r][0] && ts <= ranges[r][1];
		}
		for (size_t bi = 0; bi < 2; bi++) {
			block *b = open_golden(ids[bi]);
			err e;
			querier *q = queryable_querier(block_queryable(b), ranges[r][0], ranges[r][1], &e);
			size_t ns, nsamp;
			count(q, NULL, 0, &ns, &nsamp);
			got += nsamp;
			querier_close(q);
			block_close(b);
		}
		ASSERT_EQ(got, expect);
		ASSERT(r == 0 ? got > 100 : true);
	}
	for (size_t i = 0; i < n_want; i++)
		free(want[i].key);
	free(want);
}

static void put_uv(uint8_t **p, uint64_t v)
{
	while (v >= 0x80) {
		*(*p)++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*(*p)++ = (uint8_t)v;
}

/* A tombstone hides the samples in its interval (inclusive). */
static void block_tombstones_honoured(void)
{
	char src[1024], dst[1024], cmd[3000];
	snprintf(src, sizeof src, "%s/conformance/tsdb/block-openmetrics/blocks/%s", test_shared_dir(), BLOCK_A);
	snprintf(dst, sizeof dst, "%s/b", test_tmpdir());
	snprintf(cmd, sizeof cmd, "cp -r %s %s && chmod -R u+w %s", src, dst, dst);
	ASSERT_EQ(system(cmd), 0);
	block *b = block_open(dst, NULL);
	ASSERT(b != NULL);
	matcher m;
	mk(&m, MATCH_EQ, "__name__", "one_sample");
	uint32_t *refs;
	size_t n_refs;
	ASSERT_EQ(index_select(block_index(b), &m, 1, &refs, &n_refs, NULL), 0);
	ASSERT_EQ(n_refs, 1);
	uint32_t one_ref = refs[0];
	fl_free(refs);
	matcher_reset(&m);
	mk(&m, MATCH_EQ, "__name__", "http_requests_total");
	ASSERT_EQ(index_select(block_index(b), &m, 1, &refs, &n_refs, NULL), 0);
	ASSERT(n_refs >= 1);
	uint32_t http_ref = refs[0];
	fl_free(refs);
	querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, NULL);
	size_t ns_all, nsamp_all;
	count(q, NULL, 0, &ns_all, &nsamp_all);
	querier_close(q);
	block_close(b);

	/* delete all of one_sample and a 10-minute slice of the first http series */
	uint8_t tb[64], *p = tb + 5;
	put_be32(tb, 0x0130BA30u);
	tb[4] = 1;
	put_uv(&p, one_ref);
	put_uv(&p, (uint64_t)INT64_MIN << 1 ^ (uint64_t)(INT64_MIN >> 63)); /* zigzag */
	put_uv(&p, (uint64_t)INT64_MAX << 1);
	put_uv(&p, http_ref);
	put_uv(&p, (uint64_t)1700001000000 << 1);
	put_uv(&p, (uint64_t)(1700001000000 + 600000) << 1);
	uint32_t crc = crc32c(0, tb + 5, (size_t)(p - tb - 5));
	put_be32(p, crc);
	p += 4;
	char tp[1100];
	snprintf(tp, sizeof tp, "%s/tombstones", dst);
	FILE *f = fopen(tp, "wb");
	fwrite(tb, 1, (size_t)(p - tb), f);
	fclose(f);

	err e;
	b = block_open(dst, &e);
	ASSERT(b != NULL);
	q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
	size_t ns, nsamp;
	count(q, NULL, 0, &ns, &nsamp);
	ASSERT_EQ(ns, ns_all - 1); /* one_sample is gone entirely */
	ASSERT(nsamp < nsamp_all - 1);
	series_set *s = querier_select(q, true, NULL, &m, 1);
	ASSERT(series_set_next(s));
	sample_iter *it = series_set_iter(s, NULL);
	int64_t t;
	double v;
	size_t k = 0;
	while (sample_iter_next(it) == VAL_FLOAT) {
		sample_iter_at(it, &t, &v);
		ASSERT(t < 1700001000000 || t > 1700001000000 + 600000);
		k++;
	}
	ASSERT(k > 0);
	ASSERT_EQ(sample_iter_seek(it, 0), VAL_NONE); /* exhausted stays exhausted */
	sample_iter_close(it);
	series_set_close(s);
	querier_close(q);
	block_close(b);
	matcher_reset(&m);

	/* a bad CRC is reported */
	tb[6] ^= 1;
	f = fopen(tp, "wb");
	fwrite(tb, 1, (size_t)(p - tb), f);
	fclose(f);
	ASSERT(block_open(dst, &e) == NULL);
	ASSERT_EQ(e.code, FL_ECORRUPT);
	ASSERT(strstr(e.msg, "tombstones") != NULL);
}

static void block_corrupt_index_is_reported(void)
{
	char src[1024], dst[1024], cmd[3000];
	snprintf(src, sizeof src, "%s/conformance/tsdb/block-openmetrics/blocks/%s", test_shared_dir(), BLOCK_A);
	snprintf(dst, sizeof dst, "%s/b", test_tmpdir());
	snprintf(cmd, sizeof cmd, "cp -r %s %s && chmod -R u+w %s", src, dst, dst);
	ASSERT_EQ(system(cmd), 0);
	/* flip a byte inside the symbol table */
	char ip[1100];
	snprintf(ip, sizeof ip, "%s/index", dst);
	FILE *f = fopen(ip, "r+b");
	ASSERT(f != NULL);
	fseek(f, 20, SEEK_SET);
	int c = fgetc(f);
	fseek(f, 20, SEEK_SET);
	fputc(c ^ 0x5a, f);
	fclose(f);
	err e;
	block *b = block_open(dst, &e);
	ASSERT(b == NULL);
	ASSERT_EQ(e.code, FL_ECORRUPT);
	ASSERT(strstr(e.msg, "index") && strstr(e.msg, "crc"));
}

/* A chunk that claims more samples than it holds fails the iterator with
 * an error naming the segment file and offset. */
static void block_corrupt_chunk_is_reported(void)
{
	char src[1024], dst[1024], cmd[3000];
	snprintf(src, sizeof src, "%s/conformance/tsdb/block-openmetrics/blocks/%s", test_shared_dir(), BLOCK_A);
	snprintf(dst, sizeof dst, "%s/b", test_tmpdir());
	snprintf(cmd, sizeof cmd, "cp -r %s %s && chmod -R u+w %s", src, dst, dst);
	ASSERT_EQ(system(cmd), 0);
	char cp[1100];
	snprintf(cp, sizeof cp, "%s/chunks/000001", dst);
	FILE *f = fopen(cp, "r+b");
	ASSERT(f != NULL);
	uint8_t hdr[16];
	ASSERT_EQ(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
	uint64_t len;
	int k = uvarint_get(hdr + 8, 8, &len);
	ASSERT(k > 0);
	fseek(f, 8 + k + 1, SEEK_SET); /* the first chunk's sample count */
	fputc(0xff, f);
	fputc(0xff, f);
	fclose(f);
	block *b = open_golden_dir(dst);
	err e;
	querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
	series_set *s = querier_select(q, true, NULL, NULL, 0);
	sample_iter *it = NULL;
	bool failed = false;
	while (!failed && series_set_next(s)) {
		it = series_set_iter(s, it);
		while (sample_iter_next(it) == VAL_FLOAT)
			;
		if (sample_iter_err(it, &e) != 0)
			failed = true;
	}
	ASSERT(failed);
	ASSERT_EQ(e.code, FL_ECORRUPT);
	ASSERT(strstr(e.msg, "chunks/000001 offset 8") != NULL);
	sample_iter_close(it);
	series_set_close(s);
	querier_close(q);
	block_close(b);
}

static void block_meta_json_tolerant(void)
{
	const char *j = "{\n\t\"ulid\": \"01ABC\",\n\t\"minTime\": -5,\n\t\"maxTime\": 10,\n\t\"stats\": {\"numSamples\": 7, "
			"\"numSeries\": 2, \"numChunks\": 3},\n\t\"compaction\": {\"level\": 2, \"sources\": [\"a\", \"b\"], "
			"\"parents\": [{\"ulid\": \"x\", \"minTime\": 1, \"maxTime\": 2}]},\n\t\"future\": [1, {\"a\": null}],"
			"\n\t\"version\": 1\n}";
	block_meta m;
	err e;
	ASSERT_EQ(block_meta_parse(j, strlen(j), &m, &e), 0);
	ASSERT_STR_EQ(m.ulid, "01ABC");
	ASSERT_EQ(m.min_time, -5);
	ASSERT_EQ(m.max_time, 10);
	ASSERT_EQ(m.num_samples, 7);
	ASSERT_EQ(m.level, 2);
	const char *bad[] = {"", "{", "{\"ulid\": }", "[1]", "{\"ulid\": \"x\"}", "{\"ulid\":\"x\",\"minTime\":1,\"maxTime\":2}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ASSERT(block_meta_parse(bad[i], strlen(bad[i]), &m, &e) != 0);
}

const struct test tests_block[] = {
	{"block_meta_and_counts", block_meta_and_counts},
	{"block_label_values_and_regex", block_label_values_and_regex},
	{"block_clip_and_seek", block_clip_and_seek},
	{"block_samples_equal_promtool_dump", block_samples_equal_promtool_dump},
	{"block_range_counts_match_dump", block_range_counts_match_dump},
	{"block_tombstones_honoured", block_tombstones_honoured},
	{"block_corrupt_index_is_reported", block_corrupt_index_is_reported},
	{"block_corrupt_chunk_is_reported", block_corrupt_chunk_is_reported},
	{"block_meta_json_tolerant", block_meta_json_tolerant},
	{NULL, NULL},
};
