/* test_sha256.c - lib/sha256.c against FIPS 180-4's examples (NIST CSRC
 * SHA256.pdf) and RFC 4231's HMAC-SHA256 test cases. */
#include "lib/sha256.h"
#include "test.h"

static void hex_of(const void *p, size_t n, char out[2 * SHA256_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	sha256_sum(p, n, d);
	sha256_hex(d, sizeof d, out);
}

static void sha256_nist_vectors(void)
{
	char h[2 * SHA256_LEN + 1];
	hex_of("", 0, h);
	ASSERT_STR_EQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, h);
	ASSERT_STR_EQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hex_of(two, strlen(two), h);
	ASSERT_STR_EQ(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	hex_of(four, strlen(four), h);
	ASSERT_STR_EQ(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* a million 'a', fed in uneven pieces: the block carry-over paths */
static void sha256_million_a_incremental(void)
{
	static char a[1000];
	memset(a, 'a', sizeof a);
	sha256_ctx c;
	sha256_init(&c);
	size_t left = 1000000, step = 1;
	while (left) {
		size_t n = step < left ? step : left;
		n = n > sizeof a ? sizeof a : n;
		sha256_update(&c, a, n);
		left -= n;
		step = step * 7 % 997 + 1;
	}
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];
	sha256_final(&c, d);
	sha256_hex(d, sizeof d, h);
	ASSERT_STR_EQ(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* every length around the padding boundary agrees with one-shot hashing */
static void sha256_padding_boundaries(void)
{
	uint8_t msg[130];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	for (size_t n = 50; n <= sizeof msg; n++) {
		uint8_t a[SHA256_LEN], b[SHA256_LEN];
		sha256_sum(msg, n, a);
		sha256_ctx c;
		sha256_init(&c);
		for (size_t i = 0; i < n; i++)
			sha256_update(&c, msg + i, 1);
		sha256_final(&c, b);
		ASSERT(!memcmp(a, b, sizeof a));
	}
	char h[2 * SHA256_LEN + 1];
	memset(msg, 'a', 64);
	hex_of(msg, 55, h); /* the longest one-block message */
	ASSERT_STR_EQ(h, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	hex_of(msg, 56, h); /* the shortest two-block one */
	ASSERT_STR_EQ(h, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	hex_of(msg, 64, h);
	ASSERT_STR_EQ(h, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void hmac_case(const void *key, size_t kl, const void *msg, size_t ml, const char *want)
{
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];
	hmac_sha256(key, kl, msg, ml, d);
	sha256_hex(d, sizeof d, h);
	ASSERT_STR_EQ(h, want);
}

static void hmac_rfc4231(void)
{
	uint8_t k[131], m[50];
	memset(k, 0x0b, 20);
	hmac_case(k, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_case("Jefe", 4, "what do ya want for nothing?", 28,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20), memset(m, 0xdd, 50);
	hmac_case(k, 20, m, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)
		k[i] = (uint8_t)(i + 1);
	memset(m, 0xcd, 50);
	hmac_case(k, 25, m, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(k, 0xaa, 131);
	const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_case(k, 131, t6, strlen(t6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	const char *t7 = "This is a test using a larger than block-size key and a larger than block-size data. The key "
			 "needs to be hashed before being used by the HMAC algorithm.";
	hmac_case(k, 131, t7, strlen(t7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

const struct test tests_sha256[] = {
	{"sha256_nist_vectors", sha256_nist_vectors},
	{"sha256_million_a_incremental", sha256_million_a_incremental},
	{"sha256_padding_boundaries", sha256_padding_boundaries},
	{"hmac_rfc4231", hmac_rfc4231},
	{NULL, NULL},
};
