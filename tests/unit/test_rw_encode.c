/* test_rw_encode.c - remote/queue_encode.c: a shard's batch (samples of
 * several series, interleaved) becomes the same request bytes codec.h's
 * rw_encode gives for one series per distinct series (in order of first
 * appearance, samples in batch order), in 1.0 and 2.0; it decodes back;
 * the cached Label fields equal codec.c's; a later batch groups afresh. */
#include "remote/write_int.h"
#include "tests/unit/test.h"

/* A series entry as queue.c's ent_new builds it, both versions' fields
 * (labels borrowed). */
static rw_series_ent *ent(labels ls)
{
	size_t n = rw_labels_pb_size(ls);
	rw_series_ent *s = calloc(1, sizeof *s + n);
	ASSERT(s != NULL);
	s->ls = ls;
	s->pb_len = n;
	ASSERT(rw_labels_pb_put((uint8_t *)(s + 1), ls) == (uint8_t *)(s + 1) + n);
	ASSERT(rw_ent_pb(s) == (uint8_t *)(s + 1));
	return s;
}

static void rw_encode_batch_matches_codec(void)
{
	label la[] = {{"__name__", "a"}, {"job", "j"}}, lb[] = {{"__name__", "b"}, {"empty", ""}, {"x", "y"}};
	label lc[] = {{"__name__", "c_with_a_name_longer_than_one_hundred_and_twenty_seven_bytes_"
				   "so_that_its_length_takes_two_varint_bytes_in_the_label_field_xxxxxxxxxxxxxxxxxx"}};
	rw_series_ent *s[3] = {ent((labels){la, 2}), ent((labels){lb, 3}), ent((labels){lc, 1})};
	/* b first, then a, b, c interleaved; zero and negative timestamps, zero, -0 and NaN values */
	rw_entry e[] = {
		{s[1], 1700000000000, 1.5, 0, 0, 0}, {s[0], 0, 0.0, 0, 1, 0},   {s[1], 1700000015000, -0.0, 0, 2, 0},
		{s[2], -5, 2.0, 0, 3, 0},           {s[0], 15000, 1e300, 0, 4, 0}, {s[1], 1700000030000, NAN, 0, 5, 0},
	};
	size_t n = FL_ARRAY_LEN(e);
	rw_entry *ents[FL_ARRAY_LEN(e)];
	for (size_t i = 0; i < n; i++)
		ents[i] = &e[i];
	/* the same request through codec.h: series b, a, c */
	sample sb[] = {{1700000000000, 1.5}, {1700000015000, -0.0}, {1700000030000, NAN}}, sa[] = {{0, 0.0}, {15000, 1e300}},
	       sc[] = {{-5, 2.0}};
	rw_series rs[] = {{.labels = lb, .n_labels = 3, .samples = sb, .n_samples = 3},
			  {.labels = la, .n_labels = 2, .samples = sa, .n_samples = 2},
			  {.labels = lc, .n_labels = 1, .samples = sc, .n_samples = 1}};
	for (int v = RW_V1; v <= RW_V2; v++) {
		rw_request want = {.version = (rw_version)v, .series = rs, .n_series = 3};
		buf wb, got;
		buf_init(&wb);
		buf_init(&got);
		err er = {0};
		ASSERT_EQ(rw_encode(&want, &wb, &er), 0);
		for (uint64_t batch = 1; batch <= 2; batch++) { /* a second batch regroups */
			arena a;
			arena_init(&a);
			int64_t hi = 0;
			buf_clear(&got);
			ASSERT_EQ(rw_batch_encode((rw_version)v, ents, n, batch + 10 * (uint64_t)v, &a, &got, &hi), 0);
			ASSERT_EQ(hi, 1700000030000);
			ASSERT_EQ(got.len, wb.len);
			ASSERT(!memcmp(got.p, wb.p, wb.len));
			rw_request back;
			ASSERT_EQ(rw_decode((rw_version)v, got.p, got.len, &a, &back, &er), 0);
			ASSERT_EQ(back.n_series, 3);
			ASSERT_EQ(back.series[0].n_samples, 3);
			ASSERT_EQ(back.series[1].n_samples, 2);
			ASSERT_EQ(back.series[2].n_samples, 1);
			ASSERT_EQ(back.series[2].samples[0].t, -5);
			arena_reset(&a);
		}
		buf_reset(&wb);
		buf_reset(&got);
	}
	/* a batch of one series, and an empty one */
	arena a;
	arena_init(&a);
	buf got;
	buf_init(&got);
	int64_t hi = 0;
	ASSERT_EQ(rw_batch_encode(RW_V1, ents + 3, 1, 100, &a, &got, &hi), 0);
	ASSERT_EQ(hi, 0); /* the highest of no positive timestamp */
	ASSERT(got.len > s[2]->pb_len);
	buf_clear(&got);
	ASSERT_EQ(rw_batch_encode(RW_V1, ents, 0, 101, &a, &got, &hi), 0);
	ASSERT_EQ(got.len, 0);
	buf_reset(&got);
	arena_reset(&a);
	for (int i = 0; i < 3; i++)
		free(s[i]);
}

const struct test tests_rw_encode[] = {
	{"rw_encode_batch_matches_codec", rw_encode_batch_matches_codec},
	{NULL, NULL},
};
