/*
 * test_naming.c - unit tests for naming.c: segment names for fixed times,
 * extensions, sequence wrap, directory slashes, buffer limits, the
 * temporary names and their parser, the parser of completed segment
 * names (the disk bounds' candidates).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

static void
expect_parse(const char *name, enum naming_kind kind, long pid,
    const char *base)
{
	const char *b = "untouched";
	long p = -42;

	if (naming_parse_temp(name, &p, &b) != kind)
		fail_msg("naming_parse_temp(\"%s\") is not kind %d", name,
		    (int)kind);
	if (kind == NAMING_OTHER) {
		assert_int_equal(p, -42);
		assert_string_equal(b, "untouched");
		return;
	}
	assert_int_equal(p, pid);
	assert_string_equal(b, base);
	/* base points into name, at its end */
	assert_ptr_equal(b, name + strlen(name) - strlen(base));
}

/* A temp name built by naming_temp() parses back to its pid and name. */
static void
test_parse_round_trip(void **state)
{
	static const pid_t pids[] = { 1, 99, 1234, 4194304, INT32_MAX };
	char seg[256], tmp[300];
	const char *slash;

	(void)state;
	assert_int_equal(naming_segment(seg, sizeof(seg), "/var/cap", T0,
	    true, 7, ".pcap.gz"), 0);
	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		assert_int_equal(naming_temp(tmp, sizeof(tmp), seg, pids[i]),
		    0);
		slash = strrchr(tmp, '/');
		expect_parse(slash + 1, NAMING_TEMP, (long)pids[i],
		    strrchr(seg, '/') + 1);
		assert_int_equal(naming_scratch(tmp, sizeof(tmp), "/var/cap",
		    pids[i], strrchr(seg, '/') + 1), 0);
		slash = strrchr(tmp, '/');
		assert_int_equal(slash - tmp, strlen("/var/cap"));
		expect_parse(slash + 1, NAMING_SCRATCH, (long)pids[i],
		    strrchr(seg, '/') + 1);
	}
	/* any final name, even one that looks like a temp name itself */
	expect_parse("tmp-5-tmp-6-x", NAMING_TEMP, 5, "tmp-6-x");
	expect_parse("tmp-5-recover-6-x", NAMING_TEMP, 5, "recover-6-x");
	expect_parse("tmp-recover-5-tmp-6-x", NAMING_SCRATCH, 5, "tmp-6-x");
	expect_parse("tmp-manifest-5-x.json", NAMING_MANIFEST, 5, "x.json");
	expect_parse("tmp-manifest-x.json", NAMING_OTHER, 0, NULL);
	expect_parse("tmp-0-x", NAMING_TEMP, 0, "x");
	expect_parse("tmp-007-x", NAMING_TEMP, 7, "x");
	expect_parse("tmp-1--", NAMING_TEMP, 1, "-");

	/* exact fit and one short */
	assert_int_equal(naming_scratch(tmp, strlen("d/tmp-recover-12-b") + 1,
	    "d", 12, "b"), 0);
	assert_string_equal(tmp, "d/tmp-recover-12-b");
	assert_int_equal(naming_scratch(tmp, strlen("d/tmp-recover-12-b"),
	    "d", 12, "b"), -1);
	assert_int_equal(naming_scratch(tmp, 0, "d", 12, "b"), -1);
}

/* Names that are not ours, or malformed ones, are NAMING_OTHER. */
static void
test_parse_hostile(void **state)
{
	static const char *const other[] = {
		"", "t", "tmp", "tmp-", "tmp--x", "tmp-12", "tmp-12-",
		"tmp-x-y", "tmp-12x-y", "tmp- 12-y", "tmp-+12-y", "tmp--12-y",
		"tmp-0x1f-y", "tmp-12_y", "TMP-12-y", "xtmp-12-y",
		"20231114-221320-00000000.pcap", "tmp-12-a/b", "tmp-12-/",
		"tmp-recover-", "tmp-recover", "tmp-recover-12",
		"tmp-recover-12-", "tmp-recover-x-y", "tmp-recover--12-y",
		"tmp-recover-12-a/b", "tmp-recover-tmp-12-y",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		expect_parse(other[i], NAMING_OTHER, 0, NULL);
	/* more than any pid can be: ours, but with pid -1 (nobody runs) */
	expect_parse("tmp-2147483648-x", NAMING_TEMP, -1, "x");
	expect_parse("tmp-2147483647-x", NAMING_TEMP, 2147483647L, "x");
	expect_parse("tmp-99999999999999999999999999999-x", NAMING_TEMP, -1,
	    "x");
	expect_parse("tmp-recover-18446744073709551617-x", NAMING_SCRATCH, -1,
	    "x");
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

/* naming_parse_segment(name, ext) must accept name as this. */
static void
expect_parsed(const char *name, const char *ext, uint64_t key, uint32_t seq,
    unsigned clash, bool manifest)
{
	struct naming_parsed p;

	memset(&p, 0xa5, sizeof(p));
	if (!naming_parse_segment(name, ext, &p))
		fail_msg("'%s' (ext '%s') not taken for a segment", name,
		    ext != NULL ? ext : "(null)");
	assert_int_equal(p.time_key, key);
	assert_int_equal(p.seq, seq);
	assert_int_equal(p.clash, clash);
	assert_int_equal(p.manifest, manifest);
}

static void
expect_not_segment(const char *name, const char *ext)
{
	struct naming_parsed p, before;

	memset(&p, 0x5a, sizeof(p));
	before = p;
	if (naming_parse_segment(name, ext, &p))
		fail_msg("'%s' (ext '%s') taken for a segment", name,
		    ext != NULL ? ext : "(null)");
	assert_memory_equal(&p, &before, sizeof(p));
}

/* Every name naming_segment makes parses back to its fields. */
static void
test_parse_segment_round_trip(void **state)
{
	static const char *const exts[] = { "", ".pcap", ".pcap.gz",
	    ".json" };
	static const uint32_t seqs[] = { 0, 1, 12345678, NAMING_SEQ_MAX };
	char name[128], with[160];
	struct naming_parsed p;

	(void)state;
	for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]); e++) {
		for (size_t s = 0; s < sizeof(seqs) / sizeof(seqs[0]); s++) {
			assert_int_equal(naming_segment(name, sizeof(name), "",
			    T0, true, seqs[s], exts[e]), 0);
			expect_parsed(name, exts[e], 20231114221320ull,
			    seqs[s], 0, false);
			snprintf(with, sizeof(with), "%s.json", name);
			expect_parsed(with, exts[e], 20231114221320ull,
			    seqs[s], 0, true);
			snprintf(with, sizeof(with), "%s.7", name);
			expect_parsed(with, exts[e], 20231114221320ull,
			    seqs[s], 7, false);
			snprintf(with, sizeof(with), "%s.999.json", name);
			expect_parsed(with, exts[e], 20231114221320ull,
			    seqs[s], 999, true);
		}
	}
	assert_true(naming_parse_segment("20000229-235960-00000007.pcap",
	    ".pcap", &p));
	assert_int_equal(p.year, 2000);
	assert_int_equal(p.mon, 2);
	assert_int_equal(p.mday, 29);
	assert_int_equal(p.hour, 23);
	assert_int_equal(p.min, 59);
	assert_int_equal(p.sec, 60);	/* a leap second, as strftime allows */
	expect_parsed("20260101-000000-00000001", NULL, 20260101000000ull, 1,
	    0, false);
}

/* Names of others, of other configurations and broken ones are not ours. */
static void
test_parse_segment_others(void **state)
{
	(void)state;
	/* another extension, or none where one is configured */
	expect_not_segment("20260101-000000-00000001.pcap", "");
	expect_not_segment("20260101-000000-00000001.pcapng", ".pcap");
	expect_not_segment("20260101-000000-00000001", ".pcap");
	expect_not_segment("20260101-000000-00000001.pca", ".pcap");
	/* prefixes: other tools', our temp names */
	expect_not_segment("x-20260101-000000-00000001", "");
	expect_not_segment("tmp-123-20260101-000000-00000001", "");
	expect_not_segment("tmp-recover-1-20260101-000000-00000001", "");
	expect_not_segment("tmp-manifest-1-20260101-000000-00000001.json", "");
	/* suffixes: a failed file, anything after the name */
	expect_not_segment("20260101-000000-00000001.failed", "");
	expect_not_segment("20260101-000000-00000001.pcap.failed", ".pcap");
	expect_not_segment("20260101-000000-00000001~", "");
	expect_not_segment("20260101-000000-00000001.json.tmp", "");
	expect_not_segment("20260101-000000-00000001.", "");
	expect_not_segment("20260101-000000-00000001.0", "");
	expect_not_segment("20260101-000000-00000001.01", "");
	expect_not_segment("20260101-000000-00000001.1000", "");
	expect_not_segment("20260101-000000-00000001.1x", "");
	expect_not_segment("20260101-000000-00000001.x.json", "");
	expect_not_segment("20260101-000000-00000001..json", "");
	expect_not_segment("20260101-000000-00000001json", "");
	/* fields: digits, lengths, ranges */
	expect_not_segment("2026010-000000-00000001", "");
	expect_not_segment("20260101-00000-000000001", "");
	expect_not_segment("20260101-000000-0000001", "");
	expect_not_segment("20260101_000000-00000001", "");
	expect_not_segment("20260101-000000_00000001", "");
	expect_not_segment("2026o101-000000-00000001", "");
	expect_not_segment("20260101-000000-0000000a", "");
	expect_not_segment("20260101-000000--0000001", "");
	expect_not_segment("20261301-000000-00000001", "");
	expect_not_segment("20260001-000000-00000001", "");
	expect_not_segment("20260100-000000-00000001", "");
	expect_not_segment("20260132-000000-00000001", "");
	expect_not_segment("20260101-240000-00000001", "");
	expect_not_segment("20260101-006000-00000001", "");
	expect_not_segment("20260101-000061-00000001", "");
	expect_not_segment("", "");
	expect_not_segment(".json", "");
	expect_not_segment("20260101-000000-00000001", "-00000001");
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
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_segment_round_trip),
		cmocka_unit_test(test_parse_segment_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
