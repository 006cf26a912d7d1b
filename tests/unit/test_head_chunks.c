/*
 * test_head_chunks.c - the head-chunk files (tsdb/head_chunks.c): the
 * golden files Prometheus 2.42 wrote, write/read/reopen round trips, the
 * write buffer, repair of damaged files, and file removal.
 */
#include "test.h"

#include "lib/buf.h"
#include "tsdb/head_chunks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (size_t)st.st_size;
}

typedef struct seen {
	size_t n;
	uint64_t last_series;
	int64_t mint0, maxt0;
	size_t bytes;
	uint64_t refs[64];
} seen;

static int count_fn(void *ctx, uint64_t series_ref, uint64_t ref, int64_t mint, int64_t maxt, uint8_t enc,
		    const uint8_t *data, size_t len)
{
	seen *s = ctx;
	(void)enc;
	if (s->n == 0) {
		s->mint0 = mint;
		s->maxt0 = maxt;
	}
	if (s->n < 64)
		s->refs[s->n] = ref;
	s->n++;
	s->last_series = series_ref;
	s->bytes += len;
	ASSERT(data && len >= 2);
	return 0;
}

/* data-sigterm's 000001: 198 chunks, 121,232 bytes used (README). */
static void golden_sigterm_file(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/conformance/tsdb/wal-remote-write/data-sigterm/chunks_head", test_shared_dir());
	err e;
	hchunks *m = hchunks_open(dir, true, &e);
	ASSERT(m);
	seen s = {0};
	ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
	ASSERT_EQ(s.n, 198);
	ASSERT_EQ(s.refs[0], (1ull << 32) | 8);
	ASSERT_EQ(s.mint0, 0x1a20bc48c00);
	const uint8_t *p;
	size_t len;
	ASSERT_EQ(hchunks_get(m, s.refs[0], &p, &len, &e), 0);
	ASSERT_EQ(len, 983);
	ASSERT_EQ(hchunks_disk_bytes(m), 121232);
	hchunks_close(m, NULL);

	/* the SIGKILLed copy: header then zeros */
	snprintf(dir, sizeof dir, "%s/conformance/tsdb/wal-remote-write/data/chunks_head", test_shared_dir());
	m = hchunks_open(dir, true, &e);
	ASSERT(m);
	memset(&s, 0, sizeof s);
	ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
	ASSERT_EQ(s.n, 0);
	hchunks_close(m, NULL);
}

static void write_n(hchunks *m, int n, uint64_t *refs)
{
	uint8_t data[300];
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof data; k++)
			data[k] = (uint8_t)(i * 7 + k);
		err e;
		ASSERT_EQ(hchunks_write(m, (uint64_t)i + 1, i * 1000, i * 1000 + 999, 1, data, 100 + (size_t)i % 200, &refs[i], &e), 0);
	}
}

static void check_n(hchunks *m, int n, const uint64_t *refs)
{
	for (int i = 0; i < n; i++) {
		const uint8_t *p;
		size_t len;
		err e;
		ASSERT_EQ(hchunks_get(m, refs[i], &p, &len, &e), 0);
		ASSERT_EQ(len, 100 + (size_t)i % 200);
		for (size_t k = 0; k < len; k++)
			ASSERT_EQ(p[k], (uint8_t)(i * 7 + k));
	}
}

/* Written chunks read back before and after the buffer is written out, and
 * after a reopen; the bytes on disk are the format's (promtool's reader is
 * the golden test of the e2e suite). */
static void write_read_reopen(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/chunks_head", test_tmpdir());
	err e;
	hchunks *m = hchunks_open(dir, false, &e);
	ASSERT(m);
	uint64_t refs[50];
	write_n(m, 50, refs);
	char path[1100];
	snprintf(path, sizeof path, "%s/000001", dir);
	ASSERT_EQ(file_size(path), 8); /* the header; chunks are buffered */
	ASSERT_EQ(refs[0], (1ull << 32) | 8);
	check_n(m, 50, refs); /* reading flushed the buffer */
	ASSERT(file_size(path) > 8);
	ASSERT_EQ(hchunks_close(m, &e), 0);

	m = hchunks_open(dir, false, &e);
	ASSERT(m);
	seen s = {0};
	ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
	ASSERT_EQ(s.n, 50);
	ASSERT_EQ(s.last_series, 50);
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(s.refs[i], refs[i]);
	check_n(m, 50, refs);
	/* new chunks go to a new file, 000002 */
	uint64_t r2[3];
	write_n(m, 3, r2);
	ASSERT_EQ(r2[0] >> 32, 2);
	check_n(m, 3, r2);
	ASSERT_EQ(hchunks_close(m, &e), 0);

	/* each entry's layout, by hand */
	buf b;
	buf_init(&b);
	ASSERT_EQ(buf_read_file(&b, path, &e), 0);
	ASSERT_EQ(be32(b.p), 0x0130BC91u);
	ASSERT_EQ(b.p[4], 1);
	ASSERT_EQ(be64(b.p + 8), 1);
	ASSERT_EQ(be64(b.p + 16), 0);
	ASSERT_EQ(be64(b.p + 24), 999);
	ASSERT_EQ(b.p[32], 1);
	buf_reset(&b);
}

/* Flipped bytes and truncation: the file is cut at the first bad entry,
 * later files are deleted, and what came before still reads. */
static void repair_corrupt_tail(void)
{
	char dir[1024], path[1100];
	snprintf(dir, sizeof dir, "%s/chunks_head", test_tmpdir());
	err e;
	uint64_t refs[20], r2[5];
	hchunks *m = hchunks_open(dir, false, &e);
	ASSERT(m);
	write_n(m, 20, refs);
	ASSERT_EQ(hchunks_close(m, &e), 0);
	m = hchunks_open(dir, false, &e);
	write_n(m, 5, r2);
	ASSERT_EQ(hchunks_close(m, &e), 0);
	snprintf(path, sizeof path, "%s/000001", dir);
	/* flip a byte inside chunk 10's data */
	int fd = open(path, O_RDWR);
	ASSERT(fd >= 0);
	uint8_t x;
	off_t at = (off_t)(uint32_t)refs[10] + 40;
	ASSERT_EQ(pread(fd, &x, 1, at), 1);
	x ^= 0x55;
	ASSERT_EQ(pwrite(fd, &x, 1, at), 1);
	close(fd);

	m = hchunks_open(dir, true, &e); /* read-only: reports, changes nothing */
	ASSERT(m);
	seen s = {0};
	ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
	ASSERT_EQ(s.n, 10);
	hchunks_close(m, NULL);
	snprintf(path, sizeof path, "%s/000002", dir);
	ASSERT(file_size(path) > 0);

	m = hchunks_open(dir, false, &e);
	ASSERT(m);
	memset(&s, 0, sizeof s);
	ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
	ASSERT_EQ(s.n, 10);
	check_n(m, 10, refs);
	const uint8_t *p;
	size_t len;
	ASSERT(hchunks_get(m, refs[15], &p, &len, &e) == FL_ECORRUPT);
	hchunks_close(m, NULL);
	ASSERT(access(path, F_OK) != 0); /* 000002 deleted */
	snprintf(path, sizeof path, "%s/000001", dir);
	ASSERT_EQ(file_size(path), (uint32_t)refs[10]);

	/* every truncation point of a file: never a crash, a prefix survives,
	 * and the repaired file reads the same again */
	buf good;
	buf_init(&good);
	ASSERT_EQ(buf_read_file(&good, path, &e), 0);
	for (size_t cut = 0; cut < good.len; cut += 13) {
		FILE *f = fopen(path, "wb");
		ASSERT(f);
		ASSERT_EQ(fwrite(good.p, 1, cut, f), cut);
		fclose(f);
		m = hchunks_open(dir, false, &e);
		ASSERT(m);
		memset(&s, 0, sizeof s);
		ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
		size_t n1 = s.n;
		ASSERT(n1 <= 10);
		hchunks_close(m, NULL);
		m = hchunks_open(dir, true, &e);
		ASSERT(m);
		memset(&s, 0, sizeof s);
		ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
		ASSERT_EQ(s.n, n1);
		hchunks_close(m, NULL);
		char rm[1200];
		snprintf(rm, sizeof rm, "rm -f %s/00000[2-9]", dir);
		ASSERT_EQ(system(rm), 0);
	}
	buf_reset(&good);
}

/* Files go once nothing in them is retained, oldest first, never the one
 * being written; memory-only mappers behave the same without a directory. */
static void gc_releases_files(void)
{
	for (int disk = 0; disk < 2; disk++) {
		char dir[1024];
		snprintf(dir, sizeof dir, "%s/chunks_head%d", test_tmpdir(), disk);
		err e;
		hchunks *m = hchunks_open(disk ? dir : NULL, false, &e);
		ASSERT(m);
		/* 3 files' worth: 128 MiB / ~64 KiB chunks */
		static uint8_t big[60000];
		uint64_t *refs = calloc(7000, sizeof *refs);
		int n = 0;
		while (n < 7000) {
			ASSERT_EQ(hchunks_write(m, 1, n, n, 1, big, sizeof big, &refs[n], &e), 0);
			if ((refs[n] >> 32) - (refs[0] >> 32) == 2)
				break;
			n++;
		}
		ASSERT_EQ(hchunks_gc(m), 0);
		for (int i = 0; i < n; i++)
			if ((refs[i] >> 32) == (refs[0] >> 32))
				hchunks_release(m, refs[i]);
		ASSERT_EQ(hchunks_gc(m), 1);
		const uint8_t *p;
		size_t len;
		ASSERT(hchunks_get(m, refs[0], &p, &len, &e) == FL_ECORRUPT);
		ASSERT_EQ(hchunks_get(m, refs[n - 1], &p, &len, &e), 0);
		ASSERT_EQ(len, sizeof big);
		for (int i = 0; i <= n; i++)
			if ((refs[i] >> 32) != (refs[0] >> 32))
				hchunks_release(m, refs[i]);
		uint64_t r4;
		ASSERT_EQ(hchunks_write(m, 1, 0, 0, 1, big, 10, &r4, &e), 0); /* a new file: the gc finished 3 */
		ASSERT_EQ((r4 >> 32) - (refs[0] >> 32), 3);
		ASSERT_EQ(hchunks_gc(m), 2); /* 2 and 3; 4 is finished, still held */
		if (disk) {
			char path[1100];
			snprintf(path, sizeof path, "%s/000003", dir);
			ASSERT(access(path, F_OK) != 0);
			snprintf(path, sizeof path, "%s/000004", dir);
			ASSERT(access(path, F_OK) == 0);
		}
		ASSERT_EQ(hchunks_get(m, r4, &p, &len, &e), 0);
		free(refs);
		hchunks_close(m, NULL);
	}
}

/* A disk that refuses writes (a file size limit standing in for a full
 * disk): every chunk written still reads back - from the buffer kept in
 * memory when its write failed, or from memory files - and the files on
 * disk stay readable up to where the writes stopped. */
static void full_disk_keeps_chunks(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/chunks_head", test_tmpdir());
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {20000, 20000}; /* bytes per file */
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	err e;
	hchunks *m = hchunks_open(dir, false, &e);
	ASSERT(m);
	enum { N = 400 };
	static uint64_t refs[N];
	for (int k = 0; k < N; k += 20) {
		for (int i = 0; i < 20; i++) { /* chunk j holds the bytes check_n expects of it */
			uint8_t data[300];
			for (size_t b = 0; b < sizeof data; b++)
				data[b] = (uint8_t)((k + i) * 7 + b);
			ASSERT_EQ(hchunks_write(m, 1, 0, 0, 1, data, 100 + (size_t)(k + i) % 200, &refs[k + i], &e), 0);
		}
		check_n(m, k + 20, refs); /* reading flushes: the writes fail past 20000 bytes */
	}
	check_n(m, N, refs);
	hchunks_close(m, NULL);
	m = hchunks_open(dir, true, &e); /* what reached the disk reads back */
	ASSERT(m);
	seen s = {0};
	ASSERT_EQ(hchunks_iterate(m, count_fn, &s), 0);
	ASSERT(s.n > 0);
	hchunks_close(m, NULL);
}

const struct test tests_head_chunks[] = {
	{"full_disk_keeps_chunks", full_disk_keeps_chunks},
	{"golden_sigterm_file", golden_sigterm_file},
	{"write_read_reopen", write_read_reopen},
	{"repair_corrupt_tail", repair_corrupt_tail},
	{"gc_releases_files", gc_releases_files},
	{NULL, NULL},
};
