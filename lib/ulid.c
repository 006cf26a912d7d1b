/*
 * ulid.c - ULID generation (see ulid.h; oklog/ulid v1 as Prometheus uses
 * it in tsdb/compact.go and tsdb/blockwriter.go).
 *
 * The 128 bits are big-endian: bytes 0-5 the time, 6-15 the entropy. The
 * text is the 130-bit number (two leading zero bits) in base32, 5 bits a
 * character, most significant first.
 *
 * The process-wide last ULID (guarded by a mutex) is the only state: it is
 * what makes ULIDs monotonic, the same reason oklog's examples keep one
 * shared monotonic entropy source.
 */
#include "lib/ulid.h"

#include <pthread.h>
#include <sys/random.h>
#include <time.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t last[16]; /* guarded by last_mu: the previous ULID */
static int64_t last_ms = -1; /* guarded by last_mu */

int64_t ulid_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bit i (0 = most significant) of the 130-bit number with 2 leading zeros. */
static int bit_at(const uint8_t id[16], int i)
{
	i -= 2;
	if (i < 0)
		return 0;
	return (id[i / 8] >> (7 - i % 8)) & 1;
}

void ulid_encode(const uint8_t id[16], char out[ULID_LEN + 1])
{
	for (int c = 0; c < ULID_LEN; c++) {
		int v = 0;
		for (int k = 0; k < 5; k++)
			v = v << 1 | bit_at(id, c * 5 + k);
		out[c] = alphabet[v];
	}
	out[ULID_LEN] = 0;
}

bool ulid_decode(const char *s, uint8_t id[16])
{
	memset(id, 0, 16);
	if (strlen(s) != ULID_LEN)
		return false;
	for (int c = 0; c < ULID_LEN; c++) {
		const char *p = strchr(alphabet, s[c]);
		if (!p || !s[c])
			return false;
		int v = (int)(p - alphabet);
		if (c == 0 && v > 7)
			return false; /* overflows 128 bits */
		for (int k = 0; k < 5; k++) {
			int i = c * 5 + k - 2;
			if (i >= 0 && (v >> (4 - k) & 1))
				id[i / 8] |= (uint8_t)(1 << (7 - i % 8));
		}
	}
	return true;
}

static void random_bytes(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = getrandom(p, n, 0);
		if (k <= 0) { /* no entropy source: fall back to the clock */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec;
			for (; n > 0; n--, x = x * 6364136223846793005ull + 1442695040888963407ull)
				*p++ = (uint8_t)(x >> 56);
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

void ulid_new(int64_t ms, char out[ULID_LEN + 1])
{
	uint8_t id[16];
	pthread_mutex_lock(&last_mu);
	if (ms <= last_ms) {
		memcpy(id, last, 16); /* same ms (or clock stepped back): previous + 1 */
		for (int i = 15; i >= 6 && ++id[i] == 0; i--)
			;
	} else {
		for (int i = 0; i < 6; i++)
			id[i] = (uint8_t)((uint64_t)ms >> (8 * (5 - i)));
		random_bytes(id + 6, 10);
		id[6] &= 0x7f; /* leave room to increment within the millisecond */
		last_ms = ms;
	}
	memcpy(last, id, 16);
	pthread_mutex_unlock(&last_mu);
	ulid_encode(id, out);
}
