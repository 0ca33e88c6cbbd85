/*
 * test_naming.c - unit tests for naming.c: segment names for fixed times,
 * extensions, sequence wrap, directory slashes, buffer limits and the
 * temporary names.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "naming.h"

#define T0	((time_t)1700000000)	/* 2023-11-14 22:13:20 UTC */

static void
expect_segment(const char *dir, time_t t, bool utc, uint32_t seq,
    const char *ext, const char *want)
{
	char buf[512];

	memset(buf, 'x', sizeof(buf));
	if (naming_segment(buf, sizeof(buf), dir, t, utc, seq, ext) != 0)
		fail_msg("naming_segment(%s, %lld, %u) failed", dir,
		    (long long)t, seq);
	assert_string_equal(buf, want);
}

static void
test_segment_fixed_times(void **state)
{
	(void)state;
	expect_segment("/var/cap", T0, true, 0, "",
	    "/var/cap/20231114-221320-00000000");
	expect_segment("/var/cap", 0, true, 1, "",
	    "/var/cap/19700101-000000-00000001");
	expect_segment("/var/cap", 951782400, true, 7, "",	/* leap day */
	    "/var/cap/20000229-000000-00000007");
	expect_segment("/var/cap", 2147483647, true, 0, "",
	    "/var/cap/20380119-031407-00000000");
	expect_segment("/var/cap", (time_t)4102444799, true, 0, "",
	    "/var/cap/20991231-235959-00000000");
	expect_segment("d", T0 + 59, true, 0, "", "d/20231114-221419-00000000");
}

static void
test_segment_extension(void **state)
{
	(void)state;
	expect_segment("/var/cap", T0, true, 0, ".pcap",
	    "/var/cap/20231114-221320-00000000.pcap");
	expect_segment("/var/cap", T0, true, 3, ".pcap.gz",
	    "/var/cap/20231114-221320-00000003.pcap.gz");
	expect_segment("/var/cap", T0, true, 3, NULL,
	    "/var/cap/20231114-221320-00000003");
}

static void
test_segment_seq(void **state)
{
	(void)state;
	expect_segment("d", T0, true, 12345, "", "d/20231114-221320-00012345");
	expect_segment("d", T0, true, 99999999, "",
	    "d/20231114-221320-99999999");
	/* never more than 8 digits */
	expect_segment("d", T0, true, 100000000, "",
	    "d/20231114-221320-00000000");
	expect_segment("d", T0, true, 100000001, "",
	    "d/20231114-221320-00000001");
	expect_segment("d", T0, true, UINT32_MAX, "",
	    "d/20231114-221320-94967295");

	assert_int_equal(naming_next_seq(0), 1);
	assert_int_equal(naming_next_seq(41), 42);
	assert_int_equal(naming_next_seq(99999998), 99999999);
	assert_int_equal(naming_next_seq(99999999), 0);
	assert_int_equal(NAMING_SEQ_MAX, 99999999);
	/* out of range counts as past the end */
	assert_int_equal(naming_next_seq(100000000), 0);
	assert_int_equal(naming_next_seq(UINT32_MAX), 0);
}

static void
test_segment_dir_slashes(void **state)
{
	(void)state;
	expect_segment("/var/cap/", T0, true, 0, "",
	    "/var/cap/20231114-221320-00000000");
	expect_segment("/", T0, true, 0, "", "/20231114-221320-00000000");
	expect_segment("", T0, true, 0, "", "20231114-221320-00000000");
	expect_segment(".", T0, true, 0, "", "./20231114-221320-00000000");
	expect_segment("a/b", T0, true, 0, ".x",
	    "a/b/20231114-221320-00000000.x");
}

static void
test_segment_local_time(void **state)
{
	char *old = getenv("TZ") != NULL ? strdup(getenv("TZ")) : NULL;

	(void)state;
	/* POSIX TZ strings: no zoneinfo files needed */
	setenv("TZ", "EST5", 1);
	tzset();
	expect_segment("d", T0, false, 0, "", "d/20231114-171320-00000000");
	/* utc ignores the zone */
	expect_segment("d", T0, true, 0, "", "d/20231114-221320-00000000");
	setenv("TZ", "JST-9", 1);
	tzset();
	expect_segment("d", T0, false, 0, "", "d/20231115-071320-00000000");
	setenv("TZ", "UTC0", 1);
	tzset();
	expect_segment("d", T0, false, 0, "", "d/20231114-221320-00000000");
	if (old != NULL) {
		setenv("TZ", old, 1);
		free(old);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static void
test_segment_buffer_limits(void **state)
{
	const char *want = "/var/cap/20231114-221320-00000042.pcap";
	size_t len = strlen(want);
	char buf[128];

	(void)state;
	/* exactly enough: the name and its NUL */
	assert_int_equal(naming_segment(buf, len + 1, "/var/cap", T0, true,
	    42, ".pcap"), 0);
	assert_string_equal(buf, want);
	/* one byte short, or much shorter: -1, never an overrun */
	for (size_t n = 0; n <= len; n++) {
		memset(buf, 'z', sizeof(buf));
		assert_int_equal(naming_segment(buf, n, "/var/cap", T0, true,
		    42, ".pcap"), -1);
		for (size_t i = n; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 'z');
	}
	/* a time gmtime cannot represent */
	assert_int_equal(naming_segment(buf, sizeof(buf), "d",
	    (time_t)INT64_MAX, true, 0, ""), -1);
}

static void
test_temp_names(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(naming_temp(buf, sizeof(buf),
	    "/var/cap/20231114-221320-00000000.pcap", 1234), 0);
	assert_string_equal(buf,
	    "/var/cap/tmp-1234-20231114-221320-00000000.pcap");
	assert_int_equal(naming_temp(buf, sizeof(buf), "out.pcap", 99), 0);
	assert_string_equal(buf, "tmp-99-out.pcap");
	assert_int_equal(naming_temp(buf, sizeof(buf), "/out.pcap", 7), 0);
	assert_string_equal(buf, "/tmp-7-out.pcap");
	assert_int_equal(naming_temp(buf, sizeof(buf), "a/b/c", 4194304), 0);
	assert_string_equal(buf, "a/b/tmp-4194304-c");
	assert_int_equal(naming_temp(buf, sizeof(buf), "./x", 1), 0);
	assert_string_equal(buf, "./tmp-1-x");

	/* exact fit and one short */
	assert_int_equal(naming_temp(buf, strlen("a/tmp-12-b") + 1, "a/b",
	    12), 0);
	assert_string_equal(buf, "a/tmp-12-b");
	assert_int_equal(naming_temp(buf, strlen("a/tmp-12-b"), "a/b", 12),
	    -1);
	assert_int_equal(naming_temp(buf, strlen("tmp-12-b"), "b", 12), -1);
	assert_int_equal(naming_temp(buf, 0, "b", 12), -1);
}

/* naming_longest() is the length of the longest name really made. */
static void
test_longest(void **state)
{
	static const char *const exts[] = { "", ".pcap", ".pcap.gz",
	    " x.pcap" };
	char seg[512], tmp[600];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		assert_int_equal(naming_segment(seg, sizeof(seg), "",
		    (time_t)4102444799, true, NAMING_SEQ_MAX, exts[i]), 0);
		assert_int_equal(naming_temp(tmp, sizeof(tmp), seg,
		    (pid_t)INT32_MAX), 0);
		assert_int_equal(naming_longest(exts[i]), strlen(tmp));
		/* the final name with ".failed" and a ".999" is shorter */
		n = strlen(seg) + strlen(".failed.999");
		assert_true(n <= naming_longest(exts[i]));
	}
	assert_int_equal(naming_longest(NULL), naming_longest(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_fixed_times),
		cmocka_unit_test(test_segment_extension),
		cmocka_unit_test(test_segment_seq),
		cmocka_unit_test(test_segment_dir_slashes),
		cmocka_unit_test(test_segment_local_time),
		cmocka_unit_test(test_segment_buffer_limits),
		cmocka_unit_test(test_temp_names),
		cmocka_unit_test(test_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
