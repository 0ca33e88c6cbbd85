/*
 * test_cryptopan.c - unit tests for cryptopan.c and cksum.h: the
 * reference implementation's sample (its key and the 100 addresses of
 * sample_trace_raw.dat with their sanitised forms, as published with
 * CryptoPAn and shipped by yacryptopan), yacryptopan's IPv4 and IPv6
 * examples, prefix preservation over random pairs of IPv4 and IPv6
 * addresses, the cache against fresh contexts, the key file's checks and
 * its id; the checksum helpers against recomputation.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cksum.h"
#include "cryptopan.h"
#include "testutil.h"

/* The key of the reference implementation's sample. */
static const uint8_t ref_key[CRYPTOPAN_KEY_LEN] = {
	21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
	216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
};

/* sample_trace_raw.dat -> sample_trace_sanitized.dat, in order */
static const char *const ref_pairs[][2] = {
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.13.62.231", "100.2.192.247" },
	{ "208.234.120.210", "227.154.67.17" },
	{ "209.238.72.3", "226.6.119.243" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.0.250.221", "100.15.198.226" },
	{ "207.105.49.5", "241.118.205.138" },
	{ "209.68.60.238", "226.184.220.233" },
	{ "207.135.65.238", "241.202.129.222" },
	{ "198.51.77.238", "249.18.186.254" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "192.215.32.125", "252.43.47.189" },
	{ "129.118.74.4", "134.136.186.123" },
	{ "192.233.80.103", "252.25.108.8" },
	{ "202.49.198.20", "245.206.7.234" },
	{ "212.146.8.236", "228.19.4.234" },
	{ "209.12.231.7", "226.243.167.8" },
	{ "141.233.145.108", "141.129.237.235" },
	{ "63.195.241.44", "95.179.238.44" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "192.41.57.43", "252.222.221.184" },
	{ "198.26.132.101", "249.36.123.202" },
	{ "63.14.55.111", "95.9.215.7" },
	{ "205.245.121.43", "242.21.121.163" },
	{ "165.247.96.84", "162.9.99.234" },
	{ "198.36.213.5", "249.7.21.132" },
	{ "198.26.132.101", "249.36.123.202" },
	{ "208.52.56.122", "227.8.63.165" },
	{ "207.155.9.214", "241.220.250.22" },
	{ "207.155.9.214", "241.220.250.22" },
	{ "141.223.7.43", "141.167.8.160" },
	{ "209.85.249.6", "226.170.70.6" },
	{ "212.204.172.118", "228.71.195.169" },
	{ "209.246.74.109", "226.22.124.76" },
	{ "212.120.124.31", "228.135.163.231" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "24.14.213.138", "100.1.42.141" },
	{ "216.184.159.48", "235.96.225.78" },
	{ "141.233.145.108", "141.129.237.235" },
	{ "216.254.18.172", "235.7.16.162" },
	{ "212.206.130.201", "228.69.242.193" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "152.163.225.39", "151.140.114.167" },
	{ "216.157.30.252", "235.89.31.26" },
	{ "24.7.198.88", "100.10.6.25" },
	{ "128.11.68.132", "135.242.180.132" },
	{ "212.186.227.154", "228.59.98.98" },
	{ "198.200.171.101", "249.199.68.213" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "199.217.79.101", "248.38.184.213" },
	{ "204.29.20.4", "243.33.20.123" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "199.217.79.101", "248.38.184.213" },
	{ "216.157.30.252", "235.89.31.26" },
	{ "208.147.89.59", "227.237.98.191" },
	{ "63.97.7.140", "95.97.9.123" },
	{ "207.25.71.27", "241.33.119.156" },
	{ "63.97.7.140", "95.97.9.123" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "205.178.38.67", "242.108.198.51" },
	{ "166.107.77.190", "160.132.178.185" },
	{ "4.3.88.225", "124.60.155.63" },
	{ "38.15.67.68", "64.3.66.187" },
	{ "205.178.38.67", "242.108.198.51" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "204.29.20.4", "243.33.20.123" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "64.14.118.196", "0.255.183.58" },
	{ "198.200.171.101", "249.199.68.213" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "207.33.151.131", "241.1.233.131" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "205.188.147.153", "242.96.16.101" },
	{ "205.188.248.25", "242.96.88.27" },
	{ "216.148.237.145", "235.84.194.111" },
	{ "207.188.7.45", "241.255.249.220" },
	{ "64.39.15.238", "0.219.7.41" },
	{ "193.150.244.223", "253.169.52.216" },
	{ "141.233.145.108", "141.129.237.235" },
	{ "216.35.217.178", "235.195.157.81" },
	{ "156.29.3.236", "147.225.12.42" },
	{ "204.202.136.230", "243.178.4.198" },
	{ "208.28.185.184", "227.39.94.90" },
	{ "199.217.79.101", "248.38.184.213" },
	{ "216.227.10.221", "235.28.253.36" },
	{ "195.205.63.100", "255.186.223.5" },
	{ "198.36.213.5", "249.7.21.132" },
	{ "204.202.136.230", "243.178.4.198" },
	{ "24.94.26.44", "100.88.228.35" },
	{ "199.217.79.101", "248.38.184.213" },
	{ "130.132.252.244", "133.68.164.234" },
	{ "204.202.136.230", "243.178.4.198" },
	{ "216.32.132.250", "235.192.139.38" },
	{ "64.34.154.117", "0.221.154.117" },
	{ "204.184.162.189", "243.192.77.90" },
};

static uint32_t
v4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad test address %s", s);
	return ntohl(a.s_addr);
}

static struct cryptopan *
mk(const uint8_t *key)
{
	char err[256] = "";
	struct cryptopan *cp = cryptopan_create(key, err, sizeof(err));

	if (cp == NULL)
		fail_msg("cryptopan_create: %s", err);
	return cp;
}

static void
test_reference_sample(void **state)
{
	struct cryptopan *cp = mk(ref_key);
	size_t n = sizeof(ref_pairs) / sizeof(ref_pairs[0]);

	(void)state;
	assert_int_equal(n, 100);
	for (size_t i = 0; i < n; i++) {
		uint32_t out;

		assert_int_equal(cryptopan_v4(cp, v4(ref_pairs[i][0]), &out),
		    0);
		if (out != v4(ref_pairs[i][1]))
			fail_msg("%s -> %u.%u.%u.%u, expected %s",
			    ref_pairs[i][0], out >> 24, out >> 16 & 255,
			    out >> 8 & 255, out & 255, ref_pairs[i][1]);
	}
	cryptopan_destroy(cp);
}

static void
expect_v6(struct cryptopan *cp, const char *in, const char *want)
{
	uint8_t a[16], b[16], out[16];

	assert_int_equal(inet_pton(AF_INET6, in, a), 1);
	assert_int_equal(inet_pton(AF_INET6, want, b), 1);
	assert_int_equal(cryptopan_v6(cp, a, out), 0);
	if (memcmp(out, b, 16) != 0) {
		char s[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, out, s, sizeof(s));
		fail_msg("%s -> %s, expected %s", in, s, want);
	}
}

/* yacryptopan's README and __main__ examples */
static void
test_yacryptopan_examples(void **state)
{
	uint8_t k0[CRYPTOPAN_KEY_LEN];
	struct cryptopan *cp;
	uint32_t out;

	(void)state;
	for (unsigned i = 0; i < sizeof(k0); i++)
		k0[i] = (uint8_t)i;
	cp = mk(k0);
	assert_int_equal(cryptopan_v4(cp, v4("192.0.2.1"), &out), 0);
	assert_int_equal(out, v4("2.90.93.17"));
	expect_v6(cp, "2001:db8::1", "dd92:2c44:3fc0:ff1e:7ff9:c7f0:8180:7e00");
	cryptopan_destroy(cp);

	cp = mk((const uint8_t *)"32-char-str-for-AES-key-and-pad.");
	assert_int_equal(cryptopan_v4(cp, v4("192.0.2.1"), &out), 0);
	assert_int_equal(out, v4("192.0.125.244"));
	expect_v6(cp, "2001:db8::1", "27fe:8bc7:fee:1e:1e1f:f0fe:f0e1:83fd");
	cryptopan_destroy(cp);
}

/* the length of the common prefix of n-byte a and b, in bits */
static unsigned
common_bits(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n * 8; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return i;
	return n * 8;
}

/* b: a with bit k flipped and random bits after it (k < n * 8) */
static void
pair_at(const uint8_t *a, uint8_t *b, unsigned n, unsigned k)
{
	memcpy(b, a, n);
	b[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
	for (unsigned i = k + 1; i < n * 8; i++)
		if (rand() & 1)
			b[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* random pairs with every prefix length: the results share exactly as
 * many leading bits as the addresses do */
static void
test_prefix_preserving(void **state)
{
	struct cryptopan *cp = mk(ref_key);

	(void)state;
	srand(18);
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t a[4], b[4], x[4], y[4];
		unsigned k = (unsigned)rand() % 32;
		uint32_t oa, ob;

		put_be32(a, ((uint32_t)rand() << 16) ^ (uint32_t)rand());
		pair_at(a, b, 4, k);
		assert_int_equal(cryptopan_v4(cp, get_be32(a), &oa), 0);
		assert_int_equal(cryptopan_v4(cp, get_be32(b), &ob), 0);
		put_be32(x, oa);
		put_be32(y, ob);
		if (common_bits(x, y, 4) != k)
			fail_msg("v4 pair %u with a %u-bit prefix came out "
			    "with %u", i, k, common_bits(x, y, 4));
	}
	for (unsigned i = 0; i < 3000; i++) {
		uint8_t a[16], b[16], x[16], y[16];
		unsigned k = (unsigned)rand() % 128;

		for (unsigned j = 0; j < 16; j++)
			a[j] = (uint8_t)rand();
		pair_at(a, b, 16, k);
		assert_int_equal(cryptopan_v6(cp, a, x), 0);
		assert_int_equal(cryptopan_v6(cp, b, y), 0);
		if (common_bits(x, y, 16) != k)
			fail_msg("v6 pair %u with a %u-bit prefix came out "
			    "with %u", i, k, common_bits(x, y, 16));
	}
	cryptopan_destroy(cp);
}

/* what the cache returns is what a fresh context computes, after many
 * collisions; an IPv4 address as ::ffff:a.b.c.d is a different address */
static void
test_cache(void **state)
{
	struct cryptopan *cp = mk(ref_key);
	uint32_t got[64], out;
	uint8_t a6[16], o6[16], f6[16];

	(void)state;
	for (unsigned round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 64; i++) {
			/* 1 << 20 apart: the same cache slot often */
			uint32_t a = 0xc6120000u + (i << 20);

			assert_int_equal(cryptopan_v4(cp, a, &out), 0);
			if (round == 0)
				got[i] = out;
			assert_int_equal(out, got[i]);
		}
		for (unsigned i = 0; i < 5000; i++)
			assert_int_equal(cryptopan_v4(cp, i * 7919u, &out), 0);
	}
	for (uint32_t i = 0; i < 64; i++) {
		struct cryptopan *fresh = mk(ref_key);

		assert_int_equal(cryptopan_v4(fresh, 0xc6120000u + (i << 20),
		    &out), 0);
		assert_int_equal(out, got[i]);
		cryptopan_destroy(fresh);
	}
	memset(a6, 0, sizeof(a6));
	a6[0] = 0x20;
	a6[1] = 0x01;
	for (unsigned i = 0; i < 2000; i++) {
		struct cryptopan *fresh;

		a6[15] = (uint8_t)i;
		a6[14] = (uint8_t)(i >> 8);
		assert_int_equal(cryptopan_v6(cp, a6, o6), 0);
		if (i % 97 != 0)
			continue;
		fresh = mk(ref_key);
		assert_int_equal(cryptopan_v6(fresh, a6, f6), 0);
		assert_memory_equal(o6, f6, 16);
		assert_int_equal(cryptopan_v6(cp, a6, o6), 0);
		assert_memory_equal(o6, f6, 16);
		cryptopan_destroy(fresh);
	}
	cryptopan_destroy(cp);
}

/* --- the key file ------------------------------------------------------ */

static char dir[512];

static int
setup_dir(void **state)
{
	(void)state;
	return testutil_mkdtemp(dir, sizeof(dir), "test_cryptopan");
}

static int
teardown_dir(void **state)
{
	(void)state;
	testutil_remove_tree(dir);
	return 0;
}

static void
write_key(const char *path, const void *b, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
expect_refused(const char *path, const char *frag)
{
	uint8_t key[CRYPTOPAN_KEY_LEN];
	char err[1024] = "";

	if (cryptopan_key_load(path, key, err, sizeof(err)) == 0)
		fail_msg("key file %s accepted", path);
	if (strstr(err, path) == NULL || strstr(err, frag) == NULL ||
	    strchr(err, '\n') != NULL)
		fail_msg("key file %s: message [%s] lacks [%s] or the name",
		    path, err, frag);
}

static void
test_key_file(void **state)
{
	uint8_t key[CRYPTOPAN_KEY_LEN], k0[40];
	char path[600], err[1024] = "", id[CRYPTOPAN_ID_LEN];

	(void)state;
	for (unsigned i = 0; i < sizeof(k0); i++)
		k0[i] = (uint8_t)i;
	snprintf(path, sizeof(path), "%s/key", dir);
	write_key(path, k0, 32, 0600);
	if (cryptopan_key_load(path, key, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_memory_equal(key, k0, 32);
	/* sha256 of the bytes 0..31 starts 630dcd29 */
	cryptopan_key_id(key, id);
	assert_string_equal(id, "630dcd29");
	write_key(path, k0, 32, 0400);
	assert_int_equal(cryptopan_key_load(path, key, err, sizeof(err)), 0);

	write_key(path, k0, 32, 0640);
	expect_refused(path, "mode 0640");
	write_key(path, k0, 32, 0604);
	expect_refused(path, "mode 0604");
	write_key(path, k0, 32, 0610);
	expect_refused(path, "no access");
	write_key(path, k0, 31, 0600);
	expect_refused(path, "holds 31 bytes, not 32");
	write_key(path, k0, 33, 0600);
	expect_refused(path, "holds 33 bytes, not 32");
	write_key(path, k0, 0, 0600);
	expect_refused(path, "holds 0 bytes");
	unlink(path);
	expect_refused(path, strerror(ENOENT));
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_refused(path, "not a regular file");
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refused(path, "not a regular file");
	rmdir(path);
}

/* --- checksums --------------------------------------------------------- */

static uint16_t
full(const uint8_t *p, size_t n)
{
	return (uint16_t)~cksum_sum(p, n);
}

/* random buffers, random words changed: the updated checksum is what
 * recomputing gives (either form of zero, as RFC 1624 allows) */
static void
test_cksum_update(void **state)
{
	uint8_t buf[64], old[64];

	(void)state;
	srand(1624);
	for (unsigned round = 0; round < 20000; round++) {
		size_t n = 2 + 2 * ((unsigned)rand() % 31);
		uint16_t c, d = 0, want, got;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		if (round % 7 == 0)
			memset(buf, round % 14 == 0 ? 0 : 0xff, n);
		c = full(buf, n);
		memcpy(old, buf, n);
		for (unsigned k = (unsigned)rand() % 4 + 1; k > 0; k--) {
			size_t w = 2 * ((unsigned)rand() % (n / 2));

			buf[w] = (uint8_t)rand();
			buf[w + 1] = (uint8_t)rand();
		}
		d = cksum_delta(old, buf, n);
		want = full(buf, n);
		got = cksum_update(c, d);
		if (got != want && !((got == 0 || got == 0xffff) &&
		    (want == 0 || want == 0xffff)))
			fail_msg("round %u: updated %04x, recomputed %04x",
			    round, got, want);
	}
}

/* a change at an odd offset from where the sum starts counts swapped */
static void
test_cksum_odd(void **state)
{
	uint8_t buf[33], old[33];

	(void)state;
	for (unsigned round = 0; round < 5000; round++) {
		uint16_t c, want, got, d;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rand();
		c = full(buf, sizeof(buf));
		memcpy(old, buf, sizeof(buf));
		buf[5] = (uint8_t)rand();	/* the word at 5, 6 */
		buf[6] = (uint8_t)rand();
		d = cksum_swap(cksum_delta(old + 5, buf + 5, 2));
		want = full(buf, sizeof(buf));
		got = cksum_update(c, d);
		if (got != want && !((got == 0 || got == 0xffff) &&
		    (want == 0 || want == 0xffff)))
			fail_msg("round %u: updated %04x, recomputed %04x",
			    round, got, want);
	}
	/* a known header: RFC 1071's example sums to ddf2 */
	{
		const uint8_t ex[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
		    0xf6, 0xf7 };

		assert_int_equal(cksum_sum(ex, sizeof(ex)), 0xddf2);
	}
	assert_int_equal(cksum_delta16(0x1234, 0x1234), 0xffff);
	assert_int_equal(cksum_update(0xabcd, 0xffff), 0xabcd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_sample),
		cmocka_unit_test(test_yacryptopan_examples),
		cmocka_unit_test(test_prefix_preserving),
		cmocka_unit_test(test_cache),
		cmocka_unit_test_setup_teardown(test_key_file, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_cksum_update),
		cmocka_unit_test(test_cksum_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
