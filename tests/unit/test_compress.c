/*
 * test_compress.c - unit tests for compress.c: the compression table
 * (names, aliases, default levels, magic bytes, libwandio's writers).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <wandio.h>

#include "compress.h"

static void
test_names(void **state)
{
	static const struct {
		const char *name;
		enum compress_type t;
	} ok[] = {
		{ "none", COMPRESS_NONE }, { "no", COMPRESS_NONE },
		{ "gz", COMPRESS_GZ }, { "gzip", COMPRESS_GZ },
		{ "zlib", COMPRESS_GZ }, { "bz2", COMPRESS_BZ2 },
		{ "bzip2", COMPRESS_BZ2 }, { "lzo", COMPRESS_LZO },
		{ "xz", COMPRESS_XZ }, { "lzma", COMPRESS_XZ },
		{ "zstd", COMPRESS_ZSTD }, { "lz4", COMPRESS_LZ4 },
	};
	enum compress_type t;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t = COMPRESS_NONE == ok[i].t ? COMPRESS_GZ : COMPRESS_NONE;
		assert_int_equal(compress_from_name(ok[i].name, &t), 0);
		assert_int_equal(t, ok[i].t);
	}
	assert_int_equal(compress_from_name("GZ", &t), -1);
	assert_int_equal(compress_from_name("", &t), -1);
	assert_int_equal(compress_from_name("gz ", &t), -1);
	assert_string_equal(compress_name(COMPRESS_LZO), "lzo");
	assert_string_equal(compress_name((enum compress_type)99), "?");
	assert_int_equal(compress_default_level(COMPRESS_ZSTD), 3);
	assert_int_equal(compress_default_level(COMPRESS_LZ4), 1);
	assert_int_equal(compress_default_level(COMPRESS_NONE), 0);
}

static void
test_sniff(void **state)
{
	static const unsigned char gz[] = { 0x1f, 0x8b, 0x08, 0x00 };
	static const unsigned char bz[] = "BZh9";
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char lzo[] = { 0x89, 'L', 'Z', 'O', 0 };
	static const unsigned char zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char lz4[] = { 0x04, 0x22, 0x4d, 0x18 };
	static const unsigned char pcap[] = { 0xd4, 0xc3, 0xb2, 0xa1 };

	(void)state;
	assert_int_equal(compress_sniff(gz, 4)->type, COMPRESS_GZ);
	assert_int_equal(compress_sniff(gz, 2)->type, COMPRESS_GZ);
	assert_null(compress_sniff(gz, 1));
	assert_int_equal(compress_sniff(bz, 3)->type, COMPRESS_BZ2);
	assert_null(compress_sniff(bz, 2));
	assert_int_equal(compress_sniff(xz, 6)->type, COMPRESS_XZ);
	assert_null(compress_sniff(xz, 3));
	assert_int_equal(compress_sniff(lzo, 5)->type, COMPRESS_LZO);
	assert_int_equal(compress_sniff(zst, 4)->type, COMPRESS_ZSTD);
	assert_int_equal(compress_sniff(lz4, 4)->type, COMPRESS_LZ4);
	assert_null(compress_sniff(pcap, 4));
	assert_null(compress_sniff(pcap, 0));
	assert_string_equal(compress_sniff(gz, 4)->tool, "gzip");
	assert_string_equal(compress_sniff(xz, 4)->tool, "xz");
}

static void
test_wandio(void **state)
{
	(void)state;
	assert_int_equal(compress_info(COMPRESS_GZ)->wandio,
	    WANDIO_COMPRESS_ZLIB);
	assert_int_equal(compress_info(COMPRESS_XZ)->wandio,
	    WANDIO_COMPRESS_LZMA);
	assert_int_equal(compress_by_wandio(WANDIO_COMPRESS_BZ2)->type,
	    COMPRESS_BZ2);
	assert_int_equal(compress_by_wandio(WANDIO_COMPRESS_LZMA)->type,
	    COMPRESS_XZ);
	assert_null(compress_by_wandio(WANDIO_COMPRESS_NONE));
	assert_null(compress_by_wandio(-1));
	/* an unknown type reads as none, never out of the table */
	assert_int_equal(compress_info((enum compress_type)99)->type,
	    COMPRESS_NONE);
}

/* (was in test_output.c when the probe lived in output.c) */
static void
test_probe(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(compress_probe(COMPRESS_GZ, 6, err, sizeof(err)), 0);
	assert_int_equal(compress_probe((enum compress_type)99, 6, err,
	    sizeof(err)), -1);
	assert_int_equal(compress_probe(COMPRESS_NONE, 6, err, sizeof(err)),
	    -1);
}

static void
test_choose_none(void **state)
{
	char err[256] = "";
	char **argv = (char **)&err;
	int type = -1;

	(void)state;
	assert_int_equal(compress_choose(COMPRESS_NONE, 0, true, &type,
	    &argv, err, sizeof(err)), 0);
	assert_int_equal(type, 0);
	assert_null(argv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_wandio),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_choose_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
