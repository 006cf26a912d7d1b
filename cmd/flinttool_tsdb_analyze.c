/*
 * flinttool_tsdb_analyze.c - `flinttool tsdb analyze [--limit=20]
 * [--extended] [--match=SELECTOR] [DIR] [BLOCK]`, promtool 3.x's
 * analyzeBlock and analyzeCompaction (cmd/promtool/tsdb.go):
 *
 *   Block ID: <ulid>
 *   Duration: <maxTime-minTime as a Go duration>
 *   Total Series: <meta.json numSeries>
 *   Matcher: <the --match text>                 (with --match)
 *   Label names: <names on the selected series>
 *   Matched series: <count>                     (with --match)
 *   Postings (unique label pairs): <n>
 *   Postings entries (total label pairs): <n>
 *
 * then six lists of "<count> <key>", the --limit largest first:
 *  - label pairs / label names most involved in churning: per series,
 *    "uncovered" = block range - (last chunk's maxt - first chunk's mint),
 *    summed over the series carrying the pair (name), divided by the block
 *    range (uint64(float64(sum) / float64(range)));
 *  - most common label pairs (series per pair);
 *  - label names with highest cumulative label value length (sum of the
 *    lengths of the name's distinct values);
 *  - highest cardinality labels (distinct values per name);
 *  - highest cardinality metric names (series per __name__ value).
 * Everything is over the series the selector matches (all without it), so
 * one pass over them, aggregating (name, value) entries sorted, gives every
 * list. promtool breaks ties in map order (random); flint by key.
 *
 * --extended appends 3.x's compaction analysis: histograms of samples and
 * bytes per float chunk, and of samples, bytes and buckets per histogram
 * chunk (N/A here: flint writes float chunks only).
 *
 * The block is BLOCK, else 3.x's LastBlockID: the subdirectory whose
 * ULID carries the newest time (promtool 2.42 took the block with the
 * greatest minTime instead).
 */
#include "cmd/flinttool_tsdb.h"
#include "promql/ast.h"
#include "tsdb/chunk.h"
#include "tsdb/db.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One label of one selected series. */
typedef struct entry {
	const char *name;   /* borrowed from the index */
	const char *value;  /* borrowed from the index */
	uint64_t uncovered; /* the series' uncovered share of the block range, in ms */
} entry;

/* A line of a list. */
typedef struct info {
	char *key;       /* "name=value" or "name" (owned by the analysis arena) */
	uint64_t metric; /* the count printed */
} info;

/* Growable arrays of the pass over the series. */
typedef struct analysis {
	entry *ent;     /* every label of every selected series */
	size_t n_ent, cap_ent;
	size_t n_series; /* selected series */
	uint64_t range;  /* the block's maxTime - minTime */
	arena a;        /* keys */
} analysis;

/* The ULID's 48-bit millisecond time (its first 10 base32 characters);
 * false when name is no strict ULID (ulid.ParseStrict). */
static bool ulid_time(const char *name, uint64_t *ms)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	if (!db_is_ulid(name) || name[0] > '7')
		return false;
	uint64_t t = 0;
	for (int i = 0; i < 10; i++)
		t = t << 5 | (uint64_t)(strchr(alphabet, name[i]) - alphabet);
	*ms = t;
	return true;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* DBReadOnly.LastBlockID into id. 0, or 1 after printing the error. */
static int last_block_id(const char *dir, char id[32])
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "open %s: %s\n", dir, flinttool_go_strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d));) {
		uint64_t t;
		char **g = ulid_time(de->d_name, &t) ? fl_realloc(names, (n + 1) * sizeof *names) : NULL;
		if (g) {
			names = g;
			names[n] = fl_malloc(strlen(de->d_name) + 1);
			if (names[n])
				strcpy(names[n++], de->d_name);
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name); /* os.ReadDir's order */
	uint64_t best = 0;
	id[0] = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t;
		if (ulid_time(names[i], &t) && t > best) {
			best = t;
			snprintf(id, 32, "%s", names[i]);
		}
		fl_free(names[i]);
	}
	fl_free(names);
	if (!id[0]) {
		fprintf(stderr, "no blocks found\n");
		return 1;
	}
	return 0;
}

/* openBlock: the db dir must exist, then the block. NULL after printing. */
static block *open_block(const char *dir, const char *block_id)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		fprintf(stderr, "opening the db dir: stat %s: %s\n", dir, flinttool_go_strerror(errno));
		return NULL;
	}
	char id[32];
	if (!block_id || !*block_id) {
		if (last_block_id(dir, id))
			return NULL;
		block_id = id;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, block_id);
	if (stat(path, &st) != 0 && errno == ENOENT) {
		fprintf(stderr, "invalid block ID %s\n", block_id);
		return NULL;
	}
	err e;
	err_clear(&e);
	block *b = block_open(path, &e);
	if (!b)
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : "open block: failed");
	return b;
}

static int cmp_entry(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static int cmp_info(const void *a, const void *b)
{
	const info *x = a, *y = b;
	if (x->metric != y->metric)
		return x->metric > y->metric ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* printInfo: the limit largest, descending. */
static void print_infos(const char *title, info *v, size_t n, int limit)
{
	printf("\n%s:\n", title);
	if (n)
		qsort(v, n, sizeof *v, cmp_info);
	for (size_t i = 0; i < n && (int64_t)i < limit; i++)
		printf("%" PRIu64 " %s\n", v[i].metric, v[i].key);
}

/* Call fn(ctx, labels, chunks, n) for each series refs[i] (labels and
 * chunks valid for the call). 0, or 1 after printing the first error. */
typedef int (*series_fn)(void *ctx, labels ls, const chunk_meta *chks, size_t n, err *e);
static int for_each_series(index_reader *ir, const uint32_t *refs, size_t n_refs, series_fn fn, void *ctx)
{
	chunk_meta *chks = NULL;
	size_t cap = 0;
	arena sa;
	arena_init(&sa);
	err e;
	err_clear(&e);
	int rc = 0;
	for (size_t i = 0; i < n_refs && rc == 0; i++) {
		labels ls;
		size_t n_chks = 0;
		arena_reset(&sa);
		rc = index_series(ir, refs[i], &sa, &ls, &chks, &n_chks, &cap, &e);
		if (rc == 0)
			rc = fn(ctx, ls, chks, n_chks, &e);
	}
	if (rc)
		fprintf(stderr, "%s\n", e.msg[0] ? e.msg : fl_strerror(rc));
	fl_free(chks);
	arena_reset(&sa);
	return rc ? 1 : 0;
}

/* A series' labels as entries, with its uncovered share of the range. */
static int collect(void *ctx, labels ls, const chunk_meta *chks, size_t n_chks, err *e)
{
	analysis *an = ctx;
	uint64_t uncovered = an->range;
	if (n_chks)
		uncovered = an->range - (uint64_t)(chks[n_chks - 1].maxt - chks[0].mint);
	if (an->n_ent + ls.n > an->cap_ent) {
		size_t nc = an->cap_ent ? an->cap_ent * 2 : 1024;
		while (nc < an->n_ent + ls.n)
			nc *= 2;
		entry *g = fl_realloc(an->ent, nc * sizeof *g);
		if (!g)
			return err_set(e, FL_ENOMEM, "out of memory");
		an->ent = g;
		an->cap_ent = nc;
	}
	for (size_t k = 0; k < ls.n; k++)
		an->ent[an->n_ent++] = (entry){ls.v[k].name, ls.v[k].value, uncovered};
	an->n_series++;
	return 0;
}

/* uint64(float64(sum) / float64(range)), without C's undefined casts. */
static uint64_t churn(uint64_t sum, double range)
{
	double q = range > 0 ? (double)sum / range : 0;
	return q >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)q;
}

static char *pair_key(arena *a, const entry *x)
{
	size_t ln = strlen(x->name), lv = strlen(x->value);
	char *k = arena_alloc(a, ln + lv + 2);
	if (k) {
		memcpy(k, x->name, ln);
		k[ln] = '=';
		memcpy(k + ln + 1, x->value, lv + 1);
	}
	return k;
}

/* The six lists from the sorted entries. 0 or 1 (out of memory). */
static int print_lists(analysis *an, const block_meta *m, int limit, bool matched)
{
	entry *v = an->ent;
	size_t n = an->n_ent;
	if (n)
		qsort(v, n, sizeof *v, cmp_entry);
	info *pairs_churn = fl_calloc(n + 1, sizeof *pairs_churn), *pairs_count = fl_calloc(n + 1, sizeof *pairs_count);
	info *names_churn = fl_calloc(n + 1, sizeof *names_churn), *names_len = fl_calloc(n + 1, sizeof *names_len);
	info *names_card = fl_calloc(n + 1, sizeof *names_card), *metric_names = fl_calloc(n + 1, sizeof *metric_names);
	size_t n_pairs = 0, n_names = 0, n_metrics = 0;
	int rc = pairs_churn && pairs_count && names_churn && names_len && names_card && metric_names ? 0 : 1;
	double range = (double)(m->max_time - m->min_time);
	for (size_t i = 0; i < n && rc == 0;) {
		size_t j = i;
		uint64_t name_unc = 0, name_len = 0, name_vals = 0;
		while (j < n && !strcmp(v[j].name, v[i].name)) { /* one name */
			size_t k = j;
			uint64_t unc = 0;
			while (k < n && !strcmp(v[k].name, v[j].name) && !strcmp(v[k].value, v[j].value))
				unc += v[k++].uncovered;
			char *key = pair_key(&an->a, &v[j]);
			if (!key)
				rc = 1;
			pairs_churn[n_pairs] = (info){key, churn(unc, range)};
			pairs_count[n_pairs++] = (info){key, k - j};
			if (!strcmp(v[j].name, LABEL_NAME))
				metric_names[n_metrics++] = (info){(char *)v[j].value, k - j};
			name_unc += unc;
			name_len += strlen(v[j].value);
			name_vals++;
			j = k;
		}
		char *name = (char *)v[i].name;
		names_churn[n_names] = (info){name, churn(name_unc, range)};
		names_len[n_names] = (info){name, name_len};
		names_card[n_names++] = (info){name, name_vals};
		i = j;
	}
	if (rc == 0) {
		printf("Label names: %zu\n", n_names);
		if (matched)
			printf("Matched series: %zu\n", an->n_series);
		printf("Postings (unique label pairs): %zu\n", n_pairs);
		printf("Postings entries (total label pairs): %zu\n", n);
		print_infos("Label pairs most involved in churning", pairs_churn, n_pairs, limit);
		print_infos("Label names most involved in churning", names_churn, n_names, limit);
		print_infos("Most common label pairs", pairs_count, n_pairs, limit);
		print_infos("Label names with highest cumulative label value length", names_len, n_names, limit);
		print_infos("Highest cardinality labels", names_card, n_names, limit);
		print_infos("Highest cardinality metric names", metric_names, n_metrics, limit);
	} else {
		fprintf(stderr, "out of memory\n");
	}
	fl_free(pairs_churn);
	fl_free(pairs_count);
	fl_free(names_churn);
	fl_free(names_len);
	fl_free(names_card);
	fl_free(metric_names);
	return rc;
}

/* ---- --extended: compaction analysis ---- */

typedef struct ints {
	int *v;
	size_t n, cap;
} ints;

static bool ints_push(ints *a, int x)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 256;
		int *g = fl_realloc(a->v, nc * sizeof *g);
		if (!g)
			return false;
		a->v = g;
		a->cap = nc;
	}
	a->v[a->n++] = x;
	return true;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

static int digits(long long v) { return snprintf(NULL, 0, "%lld", v); }

/* promtool's displayHistogram. */
static void display_histogram(const char *what, ints *d, size_t total)
{
	if (!d->n) {
		printf("%s: N/A\n\n", what);
		return;
	}
	qsort(d->v, d->n, sizeof *d->v, cmp_int);
	long long lo = d->v[0], hi = d->v[d->n - 1];
	long long s = (hi - lo) / 10, step = 10; /* generateBucket */
	while (step < s && step <= 10000)
		step *= 10;
	long long start = lo - lo % step, end = hi - hi % step + step;
	size_t nb = (size_t)((end - start) / step + 1);
	long long *bk = fl_calloc(nb, sizeof *bk);
	if (!bk)
		return;
	long long sum = 0, max_count = 0;
	for (size_t i = 0; i < d->n; i++) {
		size_t k = (size_t)((d->v[i] - start) / step);
		sum += d->v[i];
		bk[k]++;
		max_count = FL_MAX(max_count, bk[k]);
	}
	printf("%s (min/avg/max): %lld/%lld/%lld\n", what, lo, sum / (long long)d->n, hi);
	int wl = digits(end), wr = digits(end + step), wc = digits(max_count);
	for (size_t b = 0; b < nb; b++) {
		long long pct = 100 * bk[b] / (long long)total;
		printf("[%*lld, %*lld]: %*lld ", wl, (long long)b * step + start + 1, wr, (long long)(b + 1) * step + start, wc,
		       bk[b]);
		for (long long i = 0; i < pct; i++)
			putchar('#');
		putchar('\n');
	}
	putchar('\n');
	fl_free(bk);
}

/* What --extended gathers over the chunks. */
typedef struct chunk_stats {
	chunks_reader *cr; /* the block's chunks */
	ints samples;      /* samples per float chunk */
	ints bytes;        /* bytes per float chunk */
	size_t total;      /* chunks of every encoding */
} chunk_stats;

static int chunk_stat(void *ctx, labels ls, const chunk_meta *chks, size_t n_chks, err *e)
{
	chunk_stats *cs = ctx;
	for (size_t k = 0; k < n_chks; k++) {
		uint8_t enc;
		const uint8_t *data;
		size_t len;
		int rc = chunks_get(cs->cr, chks[k].ref, false, &enc, &data, &len, e);
		if (rc)
			return rc;
		if (enc == CHUNK_ENC_XOR && (!ints_push(&cs->samples, xor_chunk_count(data, len)) || !ints_push(&cs->bytes, (int)len)))
			return err_set(e, FL_ENOMEM, "out of memory");
		cs->total++;
	}
	return 0;
}

static int analyze_compaction(block *b, const uint32_t *refs, size_t n_refs)
{
	chunk_stats cs = {.cr = block_chunks(b)};
	ints none = {0};
	int rc = for_each_series(block_index(b), refs, n_refs, chunk_stat, &cs);
	if (rc == 0) {
		printf("\nCompaction analysis:\n\n");
		display_histogram("samples per float chunk", &cs.samples, cs.total);
		display_histogram("bytes per float chunk", &cs.bytes, cs.total);
		display_histogram("samples per histogram chunk", &none, cs.total);
		display_histogram("bytes per histogram chunk", &none, cs.total);
		display_histogram("buckets per histogram chunk", &none, cs.total);
	}
	fl_free(cs.samples.v);
	fl_free(cs.bytes.v);
	return rc;
}

int flinttool_tsdb_analyze(const tsdb_analyze_opts *o)
{
	arena pa;
	arena_init(&pa);
	matcher *ms = NULL;
	size_t n_ms = 0;
	err e;
	err_clear(&e);
	bool matched = o->match && *o->match;
	if (matched && promql_parse_selector(o->match, &pa, &ms, &n_ms, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		arena_reset(&pa);
		return 1;
	}
	int rc = 1;
	block *b = open_block(o->dir, o->block_id);
	uint32_t *refs = NULL;
	size_t n_refs = 0;
	if (b) {
		const block_meta *m = block_meta_get(b);
		buf d;
		buf_init(&d);
		flinttool_go_duration(&d, (m->max_time - m->min_time) * 1000000);
		printf("Block ID: %s\nDuration: %s\nTotal Series: %" PRIu64 "\n", m->ulid, buf_cstr(&d), m->num_series);
		buf_reset(&d);
		if (matched)
			printf("Matcher: %s\n", o->match);
		analysis an = {.range = (uint64_t)(m->max_time - m->min_time)};
		arena_init(&an.a);
		if (index_select(block_index(b), ms, n_ms, &refs, &n_refs, &e))
			fprintf(stderr, "%s\n", e.msg);
		else if (for_each_series(block_index(b), refs, n_refs, collect, &an) == 0 &&
			 print_lists(&an, m, o->limit, matched) == 0)
			rc = o->extended ? analyze_compaction(b, refs, n_refs) : 0;
		fl_free(an.ent);
		arena_reset(&an.a);
	}
	fflush(stdout);
	fl_free(refs);
	block_close(b);
	for (size_t i = 0; i < n_ms; i++)
		matcher_reset(&ms[i]);
	arena_reset(&pa);
	return rc;
}
