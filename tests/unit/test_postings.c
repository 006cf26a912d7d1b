/* test_postings.c - tsdb/postings.c: set operations against a naive bitmap
 * reference on random lists, and mem_postings against a naive index. */
#include "tsdb/postings.h"
#include "tests/unit/test.h"

#define UNIV 2000

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* A random sorted list with density d/1000 over [1, UNIV], plus its bitmap. */
static void random_list(postings_list *p, bool *bits, unsigned d)
{
	postings_init(p);
	memset(bits, 0, UNIV + 1);
	for (uint32_t r = 1; r <= UNIV; r++)
		if (rnd() % 1000 < d) {
			ASSERT_EQ(postings_push(p, r), 0);
			bits[r] = true;
		}
}

static void check_against(const postings_list *got, const bool *want)
{
	size_t k = 0;
	for (uint32_t r = 1; r <= UNIV; r++) {
		if (!want[r])
			continue;
		ASSERT(k < got->n);
		ASSERT_EQ(got->v[k], r);
		k++;
	}
	ASSERT_EQ(got->n, k);
}

static void set_ops_vs_naive(void)
{
	static const unsigned dens[] = {0, 1, 10, 100, 500, 1000};
	for (size_t da = 0; da < FL_ARRAY_LEN(dens); da++)
		for (size_t db = 0; db < FL_ARRAY_LEN(dens); db++) {
			postings_list a, b, out;
			bool ba[UNIV + 1], bb[UNIV + 1], want[UNIV + 1];
			random_list(&a, ba, dens[da]);
			random_list(&b, bb, dens[db]);
			postings_init(&out);
			ASSERT_EQ(postings_intersect(&a, &b, &out), 0);
			for (int r = 0; r <= UNIV; r++)
				want[r] = ba[r] && bb[r];
			check_against(&out, want);
			ASSERT_EQ(postings_subtract(&a, &b, &out), 0);
			for (int r = 0; r <= UNIV; r++)
				want[r] = ba[r] && !bb[r];
			check_against(&out, want);
			postings_list ls[3] = {a, b, a};
			ASSERT_EQ(postings_union(ls, 3, &out), 0);
			for (int r = 0; r <= UNIV; r++)
				want[r] = ba[r] || bb[r];
			check_against(&out, want);
			for (uint32_t r = 1; r <= UNIV; r += 37)
				ASSERT_EQ(postings_contains(&a, r), ba[r]);
			postings_free(&a);
			postings_free(&b);
			postings_free(&out);
		}
	postings_list out;
	postings_init(&out);
	ASSERT_EQ(postings_union(NULL, 0, &out), 0);
	ASSERT_EQ(out.n, 0);
	postings_free(&out);
}

static void sort_unique(void)
{
	postings_list p;
	postings_init(&p);
	uint32_t in[] = {5, 3, 5, 1, 9, 3, 3};
	for (size_t i = 0; i < FL_ARRAY_LEN(in); i++)
		ASSERT_EQ(postings_push(&p, in[i]), 0);
	postings_sort_unique(&p);
	ASSERT_EQ(p.n, 4);
	ASSERT_EQ(p.v[0], 1);
	ASSERT_EQ(p.v[3], 9);
	postings_free(&p);
}

/* Naive index: for each ref its (name, value) ids, names 1..4, values 1..50. */
static void mem_postings_vs_naive(void)
{
	enum { NREF = 3000, NNAME = 4, NVAL = 50 };
	static uint32_t val[NREF + 1][NNAME + 1]; /* 0 = label absent */
	mem_postings *mp = mem_postings_new();
	ASSERT(mp != NULL);
	/* Refs mostly increasing, some added late (out of order). */
	for (uint32_t i = 1; i <= NREF; i++) {
		uint32_t ref = i % 10 == 0 ? NREF + 1 - i : i;
		if (val[ref][0])
			continue;
		val[ref][0] = 1; /* added */
		uint32_t pairs[2 * NNAME];
		size_t n = 0;
		for (uint32_t nm = 1; nm <= NNAME; nm++) {
			if (rnd() % 4 == 0)
				continue;
			/* name 1 is high-cardinality (mostly 1-2 refs per value) */
			uint32_t v = nm == 1 ? ref / 2 + 1 : rnd() % NVAL + 1;
			val[ref][nm] = v;
			pairs[2 * n] = nm;
			pairs[2 * n + 1] = v;
			n++;
		}
		ASSERT_EQ(mem_postings_add(mp, ref, pairs, n), 0);
	}
	postings_list got;
	postings_init(&got);
	for (uint32_t nm = 1; nm <= NNAME; nm++)
		for (uint32_t v = 1; v <= (nm == 1 ? NREF / 2 + 1 : NVAL); v += (nm == 1 ? 7 : 1)) {
			ASSERT_EQ(mem_postings_get(mp, nm, v, &got), 0);
			size_t k = 0;
			for (uint32_t r = 1; r <= NREF; r++)
				if (val[r][0] && val[r][nm] == v) {
					ASSERT(k < got.n);
					ASSERT_EQ(got.v[k], r);
					k++;
				}
			ASSERT_EQ(got.n, k);
		}
	uint32_t vs[] = {3, 7, 11, 999};
	ASSERT_EQ(mem_postings_get_many(mp, 2, vs, 4, &got), 0);
	size_t k = 0;
	for (uint32_t r = 1; r <= NREF; r++)
		if (val[r][2] == 3 || val[r][2] == 7 || val[r][2] == 11) {
			ASSERT_EQ(got.v[k], r);
			k++;
		}
	ASSERT_EQ(got.n, k);
	ASSERT_EQ(mem_postings_all(mp, &got), 0);
	size_t added = 0;
	for (uint32_t r = 1; r <= NREF; r++)
		added += val[r][0];
	ASSERT_EQ(got.n, added);
	for (size_t i = 1; i < got.n; i++)
		ASSERT(got.v[i - 1] < got.v[i]);
	postings_free(&got);

	uint32_t *ids;
	size_t n;
	ASSERT_EQ(mem_postings_names(mp, &ids, &n), 0);
	ASSERT_EQ(n, NNAME);
	fl_free(ids);
	ASSERT_EQ(mem_postings_values(mp, 3, &ids, &n), 0);
	ASSERT_EQ(n, NVAL);
	fl_free(ids);
	ASSERT_EQ(mem_postings_values(mp, 77, &ids, &n), 0);
	ASSERT_EQ(n, 0);
	fl_free(ids);
	/* adding a ref again under the same pair is idempotent */
	uint32_t pair[2] = {2, val[5][2] ? val[5][2] : 1};
	ASSERT_EQ(mem_postings_get(mp, pair[0], pair[1], &got), 0);
	size_t before = got.n;
	ASSERT_EQ(mem_postings_add(mp, 5, pair, 1), 0);
	ASSERT_EQ(mem_postings_get(mp, pair[0], pair[1], &got), 0);
	ASSERT_EQ(got.n, before + (val[5][2] ? 0 : 1));
	postings_free(&got);
	mem_postings_free(mp);
}

/* WAL replay adds refs in commit order: two appenders' interleaved refs
 * arrive as 1,3,5,...,1999 then 2,4,...,2000 per batch. Every add used to
 * scan the list for duplicates (minutes at 1M series); now it searches. */
static void out_of_order_adds_are_cheap(void)
{
	mem_postings *mp = mem_postings_new();
	uint32_t pair[2] = {1, 1};
	const uint32_t n = 200000, batch = 2000;
	for (uint32_t b = 0; b < n; b += batch)
		for (uint32_t parity = 1; parity <= 2; parity++)
			for (uint32_t r = b + parity; r <= b + batch; r += 2) {
				ASSERT_EQ(mem_postings_add(mp, r, pair, 1), 0);
				ASSERT_EQ(mem_postings_add(mp, r, pair, 1), 0); /* again: no-op */
			}
	postings_list got;
	postings_init(&got);
	ASSERT_EQ(mem_postings_get(mp, 1, 1, &got), 0);
	ASSERT_EQ(got.n, n);
	for (uint32_t i = 0; i < n; i++)
		ASSERT_EQ(got.v[i], i + 1);
	ASSERT_EQ(mem_postings_all(mp, &got), 0);
	ASSERT_EQ(got.n, n);
	postings_free(&got);
	mem_postings_free(mp);
}

/* mem_postings_delete against a naive model: 300 refs over 3 names with
 * 1-40 values each; delete a random half in two batches; every pair's list,
 * every name's values and all postings match what is left. */
static void mem_postings_delete_vs_naive(void)
{
	enum { R = 300 };
	static uint32_t pairs[R + 1][6];
	static bool alive[R + 1];
	mem_postings *mp = mem_postings_new();
	for (uint32_t r = 1; r <= R; r++) {
		uint32_t p[6] = {1, 100 + r % 40, 2, 200 + r % 7, 3, 300 + (r > 290)};
		memcpy(pairs[r], p, sizeof p);
		ASSERT_EQ(mem_postings_add(mp, r, p, 3), 0);
		alive[r] = true;
	}
	uint64_t rng = 12345;
	for (int batch = 0; batch < 2; batch++) {
		uint32_t dead[R];
		uint64_t keys[3 * R];
		size_t nd = 0, nk = 0;
		for (uint32_t r = 1; r <= R; r++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			if (!alive[r] || (rng % 3 && r <= 290))
				continue;
			alive[r] = false;
			dead[nd++] = r;
			for (int k = 0; k < 3; k++)
				keys[nk++] = (uint64_t)pairs[r][2 * k] << 32 | pairs[r][2 * k + 1];
		}
		mem_postings_delete(mp, dead, nd, keys, nk);
		postings_list all;
		postings_init(&all);
		ASSERT_EQ(mem_postings_all(mp, &all), 0);
		size_t want_all = 0;
		for (uint32_t r = 1; r <= R; r++)
			want_all += alive[r];
		ASSERT_EQ(all.n, want_all);
		postings_free(&all);
		for (uint32_t name = 1; name <= 3; name++) {
			uint32_t *vals;
			size_t nv;
			ASSERT_EQ(mem_postings_values(mp, name, &vals, &nv), 0);
			size_t want_nv = 0;
			for (uint32_t v = name * 100; v < name * 100 + 40; v++) {
				size_t want = 0;
				for (uint32_t r = 1; r <= R; r++)
					want += alive[r] && pairs[r][2 * (name - 1) + 1] == v;
				postings_list got;
				postings_init(&got);
				ASSERT_EQ(mem_postings_get(mp, name, v, &got), 0);
				ASSERT_EQ(got.n, want);
				for (size_t i = 0; i < got.n; i++)
					ASSERT(alive[got.v[i]] && pairs[got.v[i]][2 * (name - 1) + 1] == v);
				postings_free(&got);
				want_nv += want > 0;
			}
			ASSERT_EQ(nv, want_nv);
			fl_free(vals);
		}
	}
	mem_postings_free(mp);
}

const struct test tests_postings[] = {
	{"mem_postings_delete_vs_naive", mem_postings_delete_vs_naive},
	{"out_of_order_adds_are_cheap", out_of_order_adds_are_cheap},
	{"set_ops_vs_naive", set_ops_vs_naive},
	{"sort_unique", sort_unique},
	{"mem_postings_vs_naive", mem_postings_vs_naive},
	{NULL, NULL},
};
