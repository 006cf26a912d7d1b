/* test_lib.c - lib/: buf, varints, crc32c, arena, hash. */
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/urlenc.h"
#include "tests/unit/test.h"

static void varint_roundtrip(void)
{
	static const int64_t vals[] = {0, 1, -1, 63, -64, 64, 127, 128, 300, -300, INT64_MAX, INT64_MIN};
	buf b;
	buf_init(&b);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		buf_put_varint(&b, vals[i]);
		buf_put_uvarint(&b, (uint64_t)vals[i]);
	}
	decbuf d;
	decbuf_init(&d, b.p, b.len);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		ASSERT_EQ(decbuf_varint(&d), vals[i]);
		ASSERT_U64_EQ(decbuf_uvarint(&d), (uint64_t)vals[i]);
	}
	ASSERT_EQ(d.err, 0);
	ASSERT_EQ(decbuf_len(&d), 0);
	decbuf_byte(&d);
	ASSERT(d.err != 0);
	buf_reset(&b);
}

static void uvarint_go_encoding(void)
{
	/* Go: binary.PutUvarint(300) = ac 02 */
	uint8_t p[10];
	ASSERT_EQ(uvarint_put(p, 300), 2);
	ASSERT_EQ(p[0], 0xac);
	ASSERT_EQ(p[1], 0x02);
	uint64_t v;
	ASSERT_EQ(uvarint_get(p, 1, &v), 0); /* truncated */
}

static void crc32c_known(void)
{
	/* Castagnoli check value of "123456789" is 0xe3069283 */
	ASSERT_U64_EQ(crc32c(0, "123456789", 9), 0xe3069283u);
	/* incremental equals one-shot */
	uint32_t c = crc32c(0, "1234", 4);
	ASSERT_U64_EQ(crc32c(c, "56789", 5), 0xe3069283u);
	char big[1000];
	for (int i = 0; i < 1000; i++)
		big[i] = (char)(i * 7);
	ASSERT_U64_EQ(crc32c(crc32c(0, big, 333), big + 333, 667), crc32c(0, big, 1000));
}

static void xxh64_known(void)
{
	/* XXH64("", 0) = 0xef46db3751d8e999 */
	ASSERT_U64_EQ(hash_xxh64("", 0), 0xef46db3751d8e999ull);
}

static void arena_many(void)
{
	arena a;
	arena_init(&a);
	for (int i = 0; i < 10000; i++) {
		char *p = arena_alloc(&a, (size_t)(i % 300) + 1);
		ASSERT(p != NULL);
		ASSERT(((uintptr_t)p & 15) == 0);
		memset(p, 1, (size_t)(i % 300) + 1);
	}
	char *big = arena_alloc(&a, 5 << 20);
	ASSERT(big != NULL);
	ASSERT_STR_EQ(arena_strdup(&a, "hello"), "hello");
	arena_reset(&a);
}

static void fl_grow_doubles(void)
{
	uint32_t *v = NULL;
	size_t cap = 0;
	ASSERT(fl_grow((void **)&v, &cap, 0, sizeof *v));
	ASSERT(v == NULL && cap == 0);
	ASSERT(fl_grow((void **)&v, &cap, 1, sizeof *v));
	ASSERT_EQ(cap, 16);
	for (uint32_t i = 0; i < 1000; i++) {
		ASSERT(fl_grow((void **)&v, &cap, i + 1, sizeof *v));
		v[i] = i;
	}
	ASSERT_EQ(cap, 1024);
	ASSERT(fl_grow((void **)&v, &cap, 5000, sizeof *v));
	ASSERT_EQ(cap, 8192);
	/* failure leaves the array as it was */
	fl_alloc_fail_after(1);
	ASSERT(!fl_grow((void **)&v, &cap, 8193, sizeof *v));
	fl_alloc_fail_after(0);
	ASSERT_EQ(cap, 8192);
	for (uint32_t i = 0; i < 1000; i++)
		ASSERT_EQ(v[i], i);
	/* a size that cannot be counted fails without allocating */
	ASSERT(!fl_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof *v));
	ASSERT_EQ(cap, 8192);
	fl_free(v);
}

static void buf_read_file_cases(void)
{
	char path[512];
	snprintf(path, sizeof path, "%s/f", test_tmpdir());
	buf b;
	buf_init(&b);
	err e;
	err_clear(&e);
	ASSERT_EQ(buf_read_file(&b, path, &e), FL_ENOTFOUND);
	ASSERT(strstr(e.msg, "open ") && strstr(e.msg, "/f: "));
	FILE *f = fopen(path, "w");
	ASSERT(f);
	fclose(f);
	ASSERT_EQ(buf_read_file(&b, path, &e), 0);
	ASSERT_EQ(b.len, 0);
	ASSERT_STR_EQ((const char *)b.p, ""); /* terminated even when empty */
	f = fopen(path, "w");
	ASSERT(f);
	for (int i = 0; i < 5000; i++) /* several reads' worth */
		fprintf(f, "line %d\n", i);
	fclose(f);
	buf_put_str(&b, "head:");
	ASSERT_EQ(buf_read_file(&b, path, &e), 0); /* appends */
	ASSERT(!strncmp((const char *)b.p, "head:line 0\nline 1\n", 19));
	ASSERT(strstr((const char *)b.p, "line 4999\n") != NULL);
	ASSERT_EQ(strlen((const char *)b.p), b.len);
	buf_reset(&b);
	ASSERT_EQ(buf_read_file(&b, test_tmpdir(), &e), FL_EIO); /* a directory */
	buf_reset(&b);
}

static void url_unescape_cases(void)
{
	char out[32];
	size_t at = 99;
	ASSERT_EQ(url_unescape("a%2Fb+c", 7, false, out, &at), 5);
	ASSERT_STR_EQ(out, "a/b+c");
	ASSERT_EQ(url_unescape("a%2fb+c", 7, true, out, &at), 5);
	ASSERT_STR_EQ(out, "a/b c");
	ASSERT_EQ(url_unescape("", 0, true, out, &at), 0);
	ASSERT_STR_EQ(out, "");
	ASSERT_EQ(url_unescape("%41%", 4, true, out, &at), -1); /* truncated */
	ASSERT_EQ(at, 3);
	ASSERT_EQ(url_unescape("x%4", 3, true, out, &at), -1);
	ASSERT_EQ(at, 1);
	ASSERT_EQ(url_unescape("x%zz", 4, true, out, &at), -1); /* not hex */
	ASSERT_EQ(at, 1);
	ASSERT_EQ(url_unescape("%00", 3, false, out, NULL), 1); /* a NUL byte decodes */
	ASSERT_EQ(out[0], 0);
	ASSERT_EQ(hex_digit('F'), 15);
	ASSERT_EQ(hex_digit('g'), -1);
}

const struct test tests_lib[] = {
	{"varint_roundtrip", varint_roundtrip},
	{"uvarint_go_encoding", uvarint_go_encoding},
	{"crc32c_known", crc32c_known},
	{"xxh64_known", xxh64_known},
	{"arena_many", arena_many},
	{"fl_grow_doubles", fl_grow_doubles},
	{"buf_read_file_cases", buf_read_file_cases},
	{"url_unescape_cases", url_unescape_cases},
	{NULL, NULL},
};
