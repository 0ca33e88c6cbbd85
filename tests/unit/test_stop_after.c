/*
 * test_stop_after.c - unit tests for stop_after.c: each condition at its
 * exact boundary, nothing given, the first condition reached is the one
 * that counts, and the names the log line uses.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stop_after.h"

#define SEC	1000000000ull

static void
test_none(void **state)
{
	const struct options_stop_after none = { 0 };
	struct stop_after s;

	(void)state;
	stop_after_init(&s, &none, 5 * SEC);
	assert_false(stop_after_any(&s));
	assert_false(stop_after_duration_due(&s, UINT64_MAX));
	for (int i = 0; i < 1000; i++)
		assert_false(stop_after_packet_written(&s));
	for (int i = 0; i < 1000; i++) {
		assert_true(stop_after_file_may_begin(&s));
		stop_after_file_begun(&s);
	}
	stop_after_file_ended(&s, UINT64_MAX);
	stop_after_file_ended(&s, UINT64_MAX);	/* saturates */
	assert_true(stop_after_bytes_fit(&s, UINT64_MAX));
}

static void
test_duration(void **state)
{
	const struct options_stop_after lim = { .duration_s = 3 };
	struct stop_after s;

	(void)state;
	stop_after_init(&s, &lim, 100 * SEC);
	assert_true(stop_after_any(&s));
	assert_false(stop_after_duration_due(&s, 100 * SEC));
	assert_false(stop_after_duration_due(&s, 103 * SEC - 1));
	assert_true(stop_after_duration_due(&s, 103 * SEC));
	/* a clock before the start (never: monotonic) is not due */
	assert_false(stop_after_duration_due(&s, 99 * SEC));
	stop_after_reach(&s, STOP_AFTER_DURATION);
	/* once: then the run drains, nothing is closed */
	assert_false(stop_after_duration_due(&s, 200 * SEC));
	assert_int_equal(s.reached, STOP_AFTER_DURATION);
	assert_false(s.closed);
	assert_true(stop_after_file_may_begin(&s));
}

static void
test_packets(void **state)
{
	const struct options_stop_after lim = { .packets = 3 };
	struct stop_after s;

	(void)state;
	stop_after_init(&s, &lim, 0);
	assert_false(stop_after_packet_written(&s));
	assert_false(stop_after_packet_written(&s));
	assert_true(stop_after_packet_written(&s));	/* the third */
	assert_int_equal(s.packets, 3);
}

static void
test_files(void **state)
{
	const struct options_stop_after lim = { .files = 2 };
	struct stop_after s;

	(void)state;
	stop_after_init(&s, &lim, 0);
	assert_true(stop_after_file_may_begin(&s));
	stop_after_file_begun(&s);
	assert_true(stop_after_file_may_begin(&s));
	stop_after_file_begun(&s);
	assert_false(stop_after_file_may_begin(&s));	/* a third: no */
}

static void
test_bytes(void **state)
{
	const struct options_stop_after lim = { .bytes = 1000 };
	struct stop_after s;

	(void)state;
	stop_after_init(&s, &lim, 0);
	assert_true(stop_after_bytes_fit(&s, 1000));
	assert_false(stop_after_bytes_fit(&s, 1001));
	stop_after_file_ended(&s, 400);
	assert_true(stop_after_bytes_fit(&s, 600));
	assert_false(stop_after_bytes_fit(&s, 601));
	stop_after_file_ended(&s, 600);
	assert_true(stop_after_bytes_fit(&s, 0));
	assert_false(stop_after_bytes_fit(&s, 1));
	/* files that ended over it (a header alone): nothing fits */
	stop_after_file_ended(&s, 24);
	assert_false(stop_after_bytes_fit(&s, 0));
}

/* The first condition reached is the one named; any but duration closes. */
static void
test_reach(void **state)
{
	const struct options_stop_after lim = { .duration_s = 1,
	    .packets = 1000, .files = 7, .bytes = 1048576 };
	struct stop_after s;
	char buf[64];

	(void)state;
	stop_after_init(&s, &lim, 0);
	stop_after_reach(&s, STOP_AFTER_DURATION);
	assert_false(s.closed);
	stop_after_reach(&s, STOP_AFTER_PACKETS);
	assert_int_equal(s.reached, STOP_AFTER_DURATION);
	assert_true(s.closed);
	assert_false(stop_after_file_may_begin(&s));
	stop_after_describe(&s, STOP_AFTER_DURATION, buf, sizeof(buf));
	assert_string_equal(buf, "duration:1");
	stop_after_describe(&s, STOP_AFTER_PACKETS, buf, sizeof(buf));
	assert_string_equal(buf, "packets:1000");
	stop_after_describe(&s, STOP_AFTER_FILES, buf, sizeof(buf));
	assert_string_equal(buf, "files:7");
	stop_after_describe(&s, STOP_AFTER_BYTES, buf, sizeof(buf));
	assert_string_equal(buf, "bytes:1048576");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_reach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
