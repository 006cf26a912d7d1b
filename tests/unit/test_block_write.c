/* test_block_write.c - tsdb/block_write.c (with index_write.c and
 * chunks_write.c): blocks written from known samples read back through
 * block_open and its querier; meta.json as Prometheus formats it; order
 * and failure paths leave no block behind. Byte identity with promtool is
 * tests/conformance/backfill.sh. */
#include "tests/unit/test.h"
#include "lib/arena.h"
#include "tsdb/block.h"
#include "tsdb/chunk.h"
#include "tsdb/compact.h"
#include "tsdb/head.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

static int count_entries(const char *dir, const char *needle)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_name[0] != '.' && (!needle || strstr(de->d_name, needle)))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* One XOR chunk of n samples t0, t0+step, ... with values base+i. */
static void make_chunk(xor_app *a, chunks_item *it, int64_t t0, int64_t step, int n, double base)
{
	ASSERT_EQ(xor_app_init(a), 0);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(xor_app_append(a, t0 + i * step, base + i), 0);
	*it = (chunks_item){.mint = t0, .maxt = t0 + (n - 1) * step, .enc = CHUNK_ENC_XOR, .data = xor_app_bytes(a),
			    .len = xor_app_len(a)};
}

#define N_SERIES 40
#define N_CHUNKS 3
#define N_PER_CHUNK 100

/* sealed: every symbol first, then block_writer_seal_symbols (the series
 * stream to the index); else the series are kept until commit. */
static void write_test_block(const char *dir, bool sealed, block_meta *m)
{
	err e;
	block_writer *bw = block_writer_open(dir, 1000, 1000 + N_CHUNKS * N_PER_CHUNK * 10, NULL, &e);
	ASSERT(bw);
	char name[32];
	if (sealed) {
		static const char *fixed[] = {"series", "odd", "job", "even", "m", "__name__", "unused_symbol"};
		for (size_t i = 0; i < FL_ARRAY_LEN(fixed); i++)
			ASSERT_EQ(block_writer_add_symbol(bw, fixed[i], &e), 0);
		for (int s = N_SERIES; s-- > 0;) { /* any order, repeats allowed */
			snprintf(name, sizeof name, "s%03d", s);
			ASSERT_EQ(block_writer_add_symbol(bw, name, &e), 0);
			ASSERT_EQ(block_writer_add_symbol(bw, name, &e), 0);
		}
		ASSERT_EQ(block_writer_seal_symbols(bw, &e), 0);
		ASSERT_EQ(block_writer_add_symbol(bw, "late", &e), FL_EINVAL);
		ASSERT_EQ(block_writer_seal_symbols(bw, &e), FL_EINVAL);
	}
	for (int s = 0; s < N_SERIES; s++) {
		snprintf(name, sizeof name, "s%03d", s);
		label lv[3] = {{"__name__", "m"}, {"job", s < N_SERIES / 2 ? "even" : "odd"}, {"series", name}};
		xor_app a[N_CHUNKS];
		chunks_item it[N_CHUNKS];
		for (int c = 0; c < N_CHUNKS; c++)
			make_chunk(&a[c], &it[c], 1000 + c * N_PER_CHUNK * 10, 10, N_PER_CHUNK, s * 1000 + c * N_PER_CHUNK);
		ASSERT_EQ(block_writer_add_series(bw, (labels){lv, 3}, it, N_CHUNKS, &e), 0);
		for (int c = 0; c < N_CHUNKS; c++)
			xor_app_free(&a[c]);
	}
	label empty[1] = {{"__name__", "n"}};
	ASSERT_EQ(block_writer_add_series(bw, (labels){empty, 1}, NULL, 0, &e), 0); /* skipped: no chunks */
	if (!sealed)
		ASSERT_EQ(block_writer_add_symbol(bw, "unused_symbol", &e), 0);
	ASSERT_EQ(block_writer_commit(bw, m, &e), 0);
}

static void block_write_roundtrip(void)
{
	const char *dir = test_tmpdir();
	block_meta m;
	write_test_block(dir, false, &m);
	ASSERT_EQ(count_entries(dir, NULL), 1);
	ASSERT_EQ(count_entries(dir, ".tmp"), 0);
	ASSERT_U64_EQ(m.num_series, N_SERIES);
	ASSERT_U64_EQ(m.num_chunks, N_SERIES * N_CHUNKS);
	ASSERT_U64_EQ(m.num_samples, N_SERIES * N_CHUNKS * N_PER_CHUNK);
	char bdir[1200];
	snprintf(bdir, sizeof bdir, "%s/%s", dir, m.ulid);
	err e;
	block *b = block_open(bdir, &e);
	if (!b)
		test_fail(__FILE__, __LINE__, "block_open: %s", e.msg);
	const block_meta *rm = block_meta_get(b);
	ASSERT_STR_EQ(rm->ulid, m.ulid);
	ASSERT_EQ(rm->min_time, 1000);
	ASSERT_EQ(rm->level, 1);
	ASSERT_U64_EQ(rm->num_samples, m.num_samples);
	const char *const *vals;
	ASSERT_EQ(index_label_values(block_index(b), "job", &vals), 2);
	ASSERT_STR_EQ(vals[0], "even");
	querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
	ASSERT(q);
	select_hints h = {.start_ms = INT64_MIN, .end_ms = INT64_MAX};
	series_set *ss = querier_select(q, true, &h, NULL, 0);
	sample_iter *it = NULL;
	int s = 0;
	while (series_set_next(ss)) {
		labels ls = series_set_labels(ss);
		char name[32];
		snprintf(name, sizeof name, "s%03d", s);
		ASSERT_STR_EQ(labels_get(ls, "series"), name);
		it = series_set_iter(ss, it);
		int i = 0;
		while (sample_iter_next(it) == VAL_FLOAT) {
			int64_t t;
			double v;
			sample_iter_at(it, &t, &v);
			ASSERT_EQ(t, 1000 + i * 10);
			ASSERT_DBL_EQ(v, s * 1000 + i);
			i++;
		}
		ASSERT_EQ(i, N_CHUNKS * N_PER_CHUNK);
		s++;
	}
	ASSERT_EQ(s, N_SERIES);
	ASSERT_EQ(series_set_err(ss, &e), 0);
	sample_iter_close(it);
	series_set_close(ss);
	querier_close(q);
	block_close(b);
}

/* Pages let go (what compaction does as it reads its inputs) come back
 * when read again: a chunk and the index read the same before and after. */
static void block_drop_pages_keeps_data(void)
{
	const char *dir = test_tmpdir();
	block_meta m;
	write_test_block(dir, false, &m);
	char bdir[1200];
	snprintf(bdir, sizeof bdir, "%s/%s", dir, m.ulid);
	err e;
	block *b = block_open(bdir, &e);
	ASSERT(b);
	uint64_t ref = 0;
	const char *const *vals;
	for (int round = 0; round < 2; round++) {
		chunk_meta *chks = NULL;
		size_t n = 0, cap = 0;
		labels ls;
		arena a;
		arena_init(&a);
		uint32_t *refs = NULL;
		size_t n_refs = 0;
		ASSERT_EQ(index_select(block_index(b), NULL, 0, &refs, &n_refs, &e), 0);
		ASSERT_EQ(n_refs, N_SERIES);
		ASSERT_EQ(index_series(block_index(b), refs[N_SERIES - 1], &a, &ls, &chks, &n, &cap, &e), 0);
		ASSERT_STR_EQ(labels_get(ls, "series"), "s039");
		ASSERT_EQ(n, N_CHUNKS);
		if (round == 0)
			ref = chks[N_CHUNKS - 1].ref;
		ASSERT_U64_EQ(chks[N_CHUNKS - 1].ref, ref);
		uint8_t enc;
		const uint8_t *data;
		size_t len;
		ASSERT_EQ(chunks_get(block_chunks(b), ref, true, &enc, &data, &len, &e), 0);
		ASSERT_EQ(data[0] << 8 | data[1], N_PER_CHUNK);
		ASSERT_EQ(index_label_values(block_index(b), "job", &vals), 2);
		fl_free(chks);
		fl_free(refs);
		arena_reset(&a);
		chunks_drop_pages(block_chunks(b));
		index_drop_pages(block_index(b));
	}
	block_close(b);
}

/* Block of series s<lo..hi) with one 10-sample chunk each at t0. */
static void write_range_block(const char *dir, int lo, int hi, int64_t t0, block_meta *m)
{
	err e;
	block_writer *bw = block_writer_open(dir, t0, t0 + 1000, NULL, &e);
	ASSERT(bw);
	xor_app a;
	chunks_item it;
	make_chunk(&a, &it, t0, 10, 10, t0);
	for (int s = lo; s < hi; s++) {
		char name[32];
		snprintf(name, sizeof name, "s%05d", s);
		label lv[3] = {{"__name__", "metric_with_a_long_name"}, {"job", s < 2000 ? "early" : "late"}, {"series", name}};
		ASSERT_EQ(block_writer_add_series(bw, (labels){lv, 3}, &it, 1, &e), 0);
	}
	xor_app_free(&a);
	ASSERT_EQ(block_writer_commit(bw, m, &e), 0);
}

/* Compaction reads its inputs with labels_transient: each set's labels
 * are reused once past 64 KiB, while the merge still compares the labels
 * of the sets it did not advance. 3000 + 3000 series overlapping in 1500:
 * every series comes out once, in order, with its chunks. */
static void block_compact_many_series_transient_labels(void)
{
	const char *dir = test_tmpdir();
	block_meta ma, mb, out;
	write_range_block(dir, 0, 3000, 0, &ma);
	write_range_block(dir, 1500, 4500, 1000, &mb);
	err e;
	block *in[2];
	const block_meta *ms[2] = {&ma, &mb};
	for (int i = 0; i < 2; i++) {
		char bdir[1200];
		snprintf(bdir, sizeof bdir, "%s/%s", dir, ms[i]->ulid);
		in[i] = block_open(bdir, &e);
		ASSERT(in[i]);
	}
	ASSERT_EQ(compact_blocks(in, 2, dir, &out, &e), 0);
	ASSERT_U64_EQ(out.num_series, 4500);
	ASSERT_U64_EQ(out.num_chunks, 6000);
	char bdir[1200];
	snprintf(bdir, sizeof bdir, "%s/%s", dir, out.ulid);
	block *b = block_open(bdir, &e);
	ASSERT(b);
	querier *q = queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e);
	ASSERT(q);
	select_hints h = {.start_ms = INT64_MIN, .end_ms = INT64_MAX, .labels_transient = true};
	series_set *ss = querier_select(q, true, &h, NULL, 0);
	int s = 0;
	while (series_set_next(ss)) {
		labels ls = series_set_labels(ss);
		char name[32];
		snprintf(name, sizeof name, "s%05d", s);
		ASSERT_STR_EQ(labels_get(ls, "series"), name);
		ASSERT_STR_EQ(labels_get(ls, "job"), s < 2000 ? "early" : "late");
		const chunk_data *cd;
		size_t n;
		ASSERT_EQ(series_set_chunks(ss, &cd, &n, &e), 0);
		ASSERT_EQ(n, (size_t)(s >= 1500 && s < 3000 ? 2 : 1));
		ASSERT_EQ(cd[0].mint, s < 3000 ? 0 : 1000);
		s++;
	}
	ASSERT_EQ(s, 4500);
	ASSERT_EQ(series_set_err(ss, &e), 0);
	series_set_close(ss);
	querier_close(q);
	block_close(b);
	for (int i = 0; i < 2; i++)
		block_close(in[i]);
}

/* Sealed or not, the same series and symbols give the same files. */
static void block_write_sealed_streams_same_bytes(void)
{
	const char *dir = test_tmpdir();
	block_meta m[2];
	write_test_block(dir, false, &m[0]);
	write_test_block(dir, true, &m[1]);
	buf f[2][2];
	err e;
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++) {
			char path[1400];
			snprintf(path, sizeof path, "%s/%s/%s", dir, m[i].ulid, k ? "chunks/000001" : "index");
			buf_init(&f[i][k]);
			ASSERT_EQ(buf_read_file(&f[i][k], path, &e), 0);
		}
	for (int k = 0; k < 2; k++) {
		ASSERT_EQ(f[0][k].len, f[1][k].len);
		ASSERT(memcmp(f[0][k].p, f[1][k].p, f[0][k].len) == 0);
	}
	ASSERT_U64_EQ(m[1].num_series, m[0].num_series);
	ASSERT_U64_EQ(m[1].num_chunks, m[0].num_chunks);
	ASSERT_U64_EQ(m[1].num_samples, m[0].num_samples);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++)
			buf_reset(&f[i][k]);
}

/* Sealed: a series out of order, or with a string not among the symbols,
 * is refused, and abort leaves nothing. */
static void block_write_sealed_refuses_bad_series(void)
{
	const char *dir = test_tmpdir();
	err e;
	block_writer *bw = block_writer_open(dir, 0, 100, NULL, &e);
	ASSERT(bw);
	ASSERT_EQ(block_writer_add_symbol(bw, "__name__", &e), 0);
	ASSERT_EQ(block_writer_add_symbol(bw, "b", &e), 0);
	ASSERT_EQ(block_writer_add_symbol(bw, "a", &e), 0);
	ASSERT_EQ(block_writer_seal_symbols(bw, &e), 0);
	xor_app a;
	chunks_item it;
	make_chunk(&a, &it, 0, 1, 10, 0);
	label l1[1] = {{"__name__", "b"}}, l2[1] = {{"__name__", "a"}}, l3[1] = {{"__name__", "c"}};
	ASSERT_EQ(block_writer_add_series(bw, (labels){l1, 1}, &it, 1, &e), 0);
	ASSERT_EQ(block_writer_add_series(bw, (labels){l2, 1}, &it, 1, &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "out-of-order"));
	ASSERT_EQ(block_writer_add_series(bw, (labels){l3, 1}, &it, 1, &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "not in the symbol table"));
	block_writer_abort(bw);
	xor_app_free(&a);
	ASSERT_EQ(count_entries(dir, NULL), 0);
}

static void block_write_out_of_order_series_refused(void)
{
	const char *dir = test_tmpdir();
	err e;
	block_writer *bw = block_writer_open(dir, 0, 100, NULL, &e);
	ASSERT(bw);
	xor_app a;
	chunks_item it;
	make_chunk(&a, &it, 0, 1, 10, 0);
	label l1[1] = {{"__name__", "b"}}, l2[1] = {{"__name__", "a"}};
	ASSERT_EQ(block_writer_add_series(bw, (labels){l1, 1}, &it, 1, &e), 0);
	ASSERT_EQ(block_writer_add_series(bw, (labels){l2, 1}, &it, 1, &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "out of order"));
	ASSERT_EQ(block_writer_add_series(bw, (labels){l1, 1}, &it, 1, &e), FL_EINVAL); /* equal is refused too */
	ASSERT_EQ(count_entries(dir, ".tmp-for-creation"), 1);
	block_writer_abort(bw);
	xor_app_free(&a);
	ASSERT_EQ(count_entries(dir, NULL), 0);
}

static void block_write_meta_json_format(void)
{
	block_meta m = {.min_time = 10, .max_time = 20, .num_samples = 5, .num_series = 2, .num_chunks = 3, .version = 1};
	snprintf(m.ulid, sizeof m.ulid, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
	const char *src[] = {"01ARZ3NDEKTSV4RRFFQ69G5FA1", "01ARZ3NDEKTSV4RRFFQ69G5FA2"};
	block_desc par[2] = {{"01ARZ3NDEKTSV4RRFFQ69G5FA1", 10, 15}, {"01ARZ3NDEKTSV4RRFFQ69G5FA2", 15, 20}};
	block_compaction c = {.level = 2, .sources = src, .n_sources = 2, .parents = par, .n_parents = 2,
			      .extra_json = "\"thanos\": {\"labels\": {}}"};
	buf b;
	buf_init(&b);
	block_meta_format(&b, &m, &c);
	ASSERT_STR_EQ(buf_cstr(&b), "{\n\t\"ulid\": \"01ARZ3NDEKTSV4RRFFQ69G5FAV\",\n\t\"minTime\": 10,\n\t\"maxTime\": 20,\n"
				    "\t\"stats\": {\n\t\t\"numSamples\": 5,\n\t\t\"numSeries\": 2,\n\t\t\"numChunks\": 3\n\t},\n"
				    "\t\"compaction\": {\n\t\t\"level\": 2,\n\t\t\"sources\": [\n"
				    "\t\t\t\"01ARZ3NDEKTSV4RRFFQ69G5FA1\",\n\t\t\t\"01ARZ3NDEKTSV4RRFFQ69G5FA2\"\n\t\t],\n"
				    "\t\t\"parents\": [\n\t\t\t{\n\t\t\t\t\"ulid\": \"01ARZ3NDEKTSV4RRFFQ69G5FA1\",\n"
				    "\t\t\t\t\"minTime\": 10,\n\t\t\t\t\"maxTime\": 15\n\t\t\t},\n\t\t\t{\n"
				    "\t\t\t\t\"ulid\": \"01ARZ3NDEKTSV4RRFFQ69G5FA2\",\n\t\t\t\t\"minTime\": 15,\n"
				    "\t\t\t\t\"maxTime\": 20\n\t\t\t}\n\t\t]\n\t},\n\t\"version\": 1,\n"
				    "\t\"thanos\": {\"labels\": {}}\n}");
	block_meta parsed;
	err e;
	ASSERT_EQ(block_meta_parse((const char *)b.p, b.len, &parsed, &e), 0);
	ASSERT_EQ(parsed.level, 2);
	ASSERT_U64_EQ(parsed.num_chunks, 3);
	buf_reset(&b);
}

/* Format meta.json from what block_meta_parse_ext read of text. */
static void reformat(const char *text, buf *out)
{
	block_meta m;
	block_meta_ext x;
	err e;
	if (block_meta_parse_ext(text, strlen(text), &m, &x, &e) != 0)
		test_fail(__FILE__, __LINE__, "parse: %s", e.msg);
	const char *src[64];
	ASSERT(x.n_sources <= 64);
	for (size_t i = 0; i < x.n_sources; i++)
		src[i] = x.sources[i];
	block_compaction c = {.level = m.level, .sources = src, .n_sources = x.n_sources, .parents = x.parents,
			      .n_parents = x.n_parents, .extra_json = x.extra_json};
	block_meta_format(out, &m, &c);
	block_meta_ext_reset(&x);
}

/* A level-2 meta.json Prometheus wrote comes back byte for byte; unknown
 * top-level members (Thanos's) survive a rewrite. */
static void block_meta_rewrite_keeps_everything(void)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/wal-with-checkpoint/data/01M8602FC3K55VFHHV60XC24K6/meta.json",
		 test_shared_dir());
	buf orig, b;
	buf_init(&orig);
	buf_init(&b);
	err e;
	ASSERT_EQ(buf_read_file(&orig, path, &e), 0);
	reformat((const char *)orig.p, &b);
	ASSERT_STR_EQ(buf_cstr(&b), (const char *)orig.p);
	const char *thanos = "{\"ulid\": \"01ARZ3NDEKTSV4RRFFQ69G5FAV\", \"minTime\": 1, \"maxTime\": 2,"
			     " \"thanos\": {\"labels\": {\"a\": \"b\"}, \"downsample\": {\"resolution\": 0}},"
			     " \"compaction\": {\"level\": 1}, \"version\": 1, \"x\": [1, 2]}";
	buf_clear(&b);
	reformat(thanos, &b);
	ASSERT(strstr(buf_cstr(&b), "\t\"version\": 1,\n\t\"thanos\": {\"labels\": {\"a\": \"b\"}, \"downsample\": "
				    "{\"resolution\": 0}}, \"x\": [1, 2]\n}"));
	ASSERT(!strstr(buf_cstr(&b), "sources")); /* none given, none written (omitempty) */
	buf_reset(&orig);
	buf_reset(&b);
}

/* The level-2 golden block's meta from its three parents' metas (as
 * Prometheus wrote them before compacting): level, sources, parents and
 * range equal the real one's. */
static void block_compaction_merge_like_prometheus(void)
{
	static const char *par[3][2] = {{"01M8602ENR3WYTY7QT6EJSFP2S", "1795458135000, \"maxTime\": 1795464000000"},
					{"01M8602ETGF8EHKV3JBXEB6FJ3", "1795464000000, \"maxTime\": 1795471200000"},
					{"01M8602F0JJK7JB70X2QEZNEMT", "1795471200000, \"maxTime\": 1795478400000"}};
	block_meta m[3];
	block_meta_ext x[3];
	err e;
	for (int i = 2; i >= 0; i--) { /* sources come out sorted whatever the order in */
		char j[512];
		snprintf(j, sizeof j, "{\"ulid\": \"%s\", \"minTime\": %s, \"compaction\": {\"level\": 1, \"sources\": [\"%s\"]},"
			 " \"version\": 1}", par[i][0], par[i][1], par[i][0]);
		ASSERT_EQ(block_meta_parse_ext(j, strlen(j), &m[i], &x[i], &e), 0);
	}
	block_compaction_merged cm;
	int64_t mint, maxt;
	ASSERT_EQ(block_compaction_merge(m, x, 3, &cm, &mint, &maxt, &e), 0);
	block_meta out = {.min_time = mint, .max_time = maxt, .num_samples = 7824, .num_series = 6, .num_chunks = 63,
			  .level = cm.c.level, .version = 1};
	snprintf(out.ulid, sizeof out.ulid, "01M8602FC3K55VFHHV60XC24K6");
	buf b, want;
	buf_init(&b);
	buf_init(&want);
	block_meta_format(&b, &out, &cm.c);
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/wal-with-checkpoint/data/01M8602FC3K55VFHHV60XC24K6/meta.json",
		 test_shared_dir());
	ASSERT_EQ(buf_read_file(&want, path, &e), 0);
	ASSERT_STR_EQ(buf_cstr(&b), buf_cstr(&want));
	buf_reset(&b);
	buf_reset(&want);
	block_compaction_merged_reset(&cm);
	for (int i = 0; i < 3; i++)
		block_meta_ext_reset(&x[i]);
}

static void block_write_empty_block_opens(void)
{
	const char *dir = test_tmpdir();
	err e;
	block_writer *bw = block_writer_open(dir, 0, 100, NULL, &e);
	ASSERT(bw);
	block_meta m;
	ASSERT_EQ(block_writer_commit(bw, &m, &e), 0);
	ASSERT_U64_EQ(m.num_series, 0);
	char bdir[1200];
	snprintf(bdir, sizeof bdir, "%s/%s", dir, m.ulid);
	block *b = block_open(bdir, &e);
	if (!b)
		test_fail(__FILE__, __LINE__, "block_open: %s", e.msg);
	block_close(b);
}

static void chunks_write_segments_cut(void)
{
	const char *dir = test_tmpdir();
	char cdir[1200];
	snprintf(cdir, sizeof cdir, "%s/chunks", dir);
	err e;
	chunks_writer *w = chunks_writer_open(cdir, 1024, &e); /* tiny segments */
	ASSERT(w);
	xor_app a[4];
	chunks_item it[4];
	uint64_t refs[4][4];
	for (int c = 0; c < 4; c++)
		make_chunk(&a[c], &it[c], c * 1000, 7, 60, c);
	for (int s = 0; s < 4; s++)
		ASSERT_EQ(chunks_writer_write(w, it, 4, refs[s], &e), 0);
	uint64_t bytes;
	ASSERT_EQ(chunks_writer_close(w, &bytes, &e), 0);
	chunks_reader *r = chunks_open(cdir, &e);
	ASSERT(r);
	ASSERT(chunks_n_segments(r) > 1);
	ASSERT_EQ(refs[0][0], CHUNKS_HEADER_LEN);
	for (int s = 0; s < 4; s++)
		for (int c = 0; c < 4; c++) {
			uint8_t enc;
			const uint8_t *data;
			size_t len;
			ASSERT_EQ(chunks_get(r, refs[s][c], true, &enc, &data, &len, &e), 0);
			ASSERT_EQ(enc, CHUNK_ENC_XOR);
			ASSERT_EQ(len, it[c].len);
			ASSERT(!memcmp(data, it[c].data, len));
		}
	chunks_close(r);
	for (int c = 0; c < 4; c++)
		xor_app_free(&a[c]);
}

static void block_write_head_roundtrip(void)
{
	err e;
	head_opts ho = {.chunk_range_ms = 7200000, .n_stripes = 16};
	head *h = head_open(&ho, &e);
	ASSERT(h);
	appender *app = head_appender(h);
	label lb[2] = {{"__name__", "z"}, {"a", "1"}}, la[2] = {{"__name__", "y"}, {"a", "2"}};
	for (int i = 0; i < 500; i++) {
		series_ref r;
		ASSERT_EQ(appender_append(app, 0, (labels){lb, 2}, i * 15000, i, &r, &e), 0);
		ASSERT_EQ(appender_append(app, 0, (labels){la, 2}, i * 15000 + 1, -i, &r, &e), 0);
	}
	ASSERT_EQ(appender_commit(app, &e), 0);
	const char *dir = test_tmpdir();
	block_meta m;
	ASSERT_EQ(block_write_head(h, dir, 0, 499 * 15000 + 2, &m, &e), 0);
	ASSERT_U64_EQ(m.num_series, 2);
	ASSERT_U64_EQ(m.num_samples, 1000);
	block_meta none;
	ASSERT_EQ(block_write_head(h, dir, 100000000, 200000000, &none, &e), FL_ENOTFOUND);
	ASSERT_EQ(count_entries(dir, NULL), 1);
	head_close(h);
}

/* Write a 3-series block from prepared chunks (sealed: symbols first, as
 * compaction does); the error code. */
static int try_write(const char *dir, const chunks_item *it, size_t n, bool sealed, block_meta *m)
{
	err e;
	block_writer *bw = block_writer_open(dir, 0, 100000, NULL, &e);
	if (!bw)
		return e.code ? e.code : -100;
	static const char *names[] = {"a", "b", "c"};
	static const char *syms[] = {"__name__", "m", "s", "a", "b", "c"};
	int rc = 0;
	for (size_t i = 0; sealed && i < FL_ARRAY_LEN(syms) && rc == 0; i++)
		rc = block_writer_add_symbol(bw, syms[i], &e);
	if (sealed && rc == 0)
		rc = block_writer_seal_symbols(bw, &e);
	for (int s = 0; s < 3 && rc == 0; s++) {
		label lv[2] = {{"__name__", "m"}, {"s", names[s]}};
		rc = block_writer_add_series(bw, (labels){lv, 2}, it, n, &e);
	}
	if (rc) {
		block_writer_abort(bw);
		return rc;
	}
	return block_writer_commit(bw, m, &e);
}

/* Every allocation failing in turn: an error, never a crash or a leak,
 * and never a half block: either a whole block appears or nothing. */
static void block_write_alloc_failures_leave_nothing(void)
{
	xor_app a[2];
	chunks_item it[2];
	make_chunk(&a[0], &it[0], 0, 10, 50, 1);
	make_chunk(&a[1], &it[1], 500, 10, 50, 2);
	const char *dir = test_tmpdir();
	for (int sealed = 0; sealed < 2; sealed++) {
		bool ok = false;
		for (long n = 1; n < 2000 && !ok; n++) {
			block_meta m;
			fl_alloc_fail_after(n);
			int rc = try_write(dir, it, 2, sealed, &m);
			fl_alloc_fail_after(0);
			if (rc == 0) {
				ok = true;
				ASSERT_EQ(count_entries(dir, NULL), sealed + 1);
			} else {
				ASSERT_EQ(count_entries(dir, NULL), sealed);
			}
		}
		ASSERT(ok);
	}
	for (int c = 0; c < 2; c++)
		xor_app_free(&a[c]);
}

/* A full disk (here: a file size limit, so writes fail with EFBIG) while
 * writing: FL_EIO naming the file, and the directory as it was. */
static void block_write_disk_full_leaves_previous_state(void)
{
	xor_app a[2];
	chunks_item it[2];
	make_chunk(&a[0], &it[0], 0, 10, 120, 1);
	make_chunk(&a[1], &it[1], 1200, 10, 120, 2);
	const char *dir = test_tmpdir();
	block_meta first;
	ASSERT_EQ(try_write(dir, it, 2, false, &first), 0);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit orig;
	ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &orig), 0);
	for (rlim_t lim = 16; lim <= 4096; lim *= 2) {
		struct rlimit rl = {lim, orig.rlim_max}; /* the soft limit only */
		ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
		block_meta m;
		int rc = try_write(dir, it, 2, lim / 16 % 2 == 0, &m); /* sealed every other time */
		if (rc == 0)
			break; /* the limit now fits every file */
		ASSERT_EQ(rc, FL_EIO);
		ASSERT_EQ(count_entries(dir, NULL), 1);
		ASSERT_EQ(count_entries(dir, first.ulid), 1);
	}
	for (int c = 0; c < 2; c++)
		xor_app_free(&a[c]);
}

const struct test tests_block_write[] = {
	{"block_write_alloc_failures_leave_nothing", block_write_alloc_failures_leave_nothing},
	{"block_write_disk_full_leaves_previous_state", block_write_disk_full_leaves_previous_state},
	{"block_write_roundtrip", block_write_roundtrip},
	{"block_write_out_of_order_series_refused", block_write_out_of_order_series_refused},
	{"block_write_sealed_streams_same_bytes", block_write_sealed_streams_same_bytes},
	{"block_drop_pages_keeps_data", block_drop_pages_keeps_data},
	{"block_compact_many_series_transient_labels", block_compact_many_series_transient_labels},
	{"block_write_sealed_refuses_bad_series", block_write_sealed_refuses_bad_series},
	{"block_write_meta_json_format", block_write_meta_json_format},
	{"block_write_empty_block_opens", block_write_empty_block_opens},
	{"block_compaction_merge_like_prometheus", block_compaction_merge_like_prometheus},
	{"block_meta_rewrite_keeps_everything", block_meta_rewrite_keeps_everything},
	{"chunks_write_segments_cut", chunks_write_segments_cut},
	{"block_write_head_roundtrip", block_write_head_roundtrip},
	{NULL, NULL},
};
