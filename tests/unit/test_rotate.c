/*
 * test_rotate.c - unit tests for rotate.c: interval arithmetic, the time
 * and size rules at their exact boundaries, and disabled policies.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rotate.h"

#define SEC	1000000000ull

static void
test_interval_start(void **state)
{
	const struct rotate_policy p = { 60 * SEC, 0 };
	const uint64_t s = 1700000000 * SEC + 123;	/* not aligned */

	(void)state;
	assert_int_equal(rotate_interval_start(&p, s, s), s);
	assert_int_equal(rotate_interval_start(&p, s, s + 1), s);
	assert_int_equal(rotate_interval_start(&p, s, s + 60 * SEC - 1), s);
	assert_int_equal(rotate_interval_start(&p, s, s + 60 * SEC),
	    s + 60 * SEC);
	assert_int_equal(rotate_interval_start(&p, s, s + 60 * SEC + 1),
	    s + 60 * SEC);
	/* a long gap skips whole intervals, keeping the cadence */
	assert_int_equal(rotate_interval_start(&p, s, s + 3 * 60 * SEC + 5),
	    s + 3 * 60 * SEC);
	assert_int_equal(rotate_interval_start(&p, s, s + 1000 * 60 * SEC - 1),
	    s + 999 * 60 * SEC);
	/* before the start: the first interval */
	assert_int_equal(rotate_interval_start(&p, s, s - 1), s);
	assert_int_equal(rotate_interval_start(&p, s, 0), s);
	/* a 1 ns interval: every instant is a start */
	{
		const struct rotate_policy one = { 1, 0 };

		assert_int_equal(rotate_interval_start(&one, 10, 17), 17);
	}
}

static void
test_interval_end(void **state)
{
	const struct rotate_policy p = { 60 * SEC, 0 };

	(void)state;
	assert_int_equal(rotate_interval_end(&p, 0), 60 * SEC);
	assert_int_equal(rotate_interval_end(&p, 5 * SEC + 7), 65 * SEC + 7);
	/* no wrap-around near the end of time */
	assert_int_equal(rotate_interval_end(&p, UINT64_MAX - 60 * SEC),
	    UINT64_MAX);
	assert_int_equal(rotate_interval_end(&p, UINT64_MAX - 60 * SEC + 1),
	    UINT64_MAX);
	assert_int_equal(rotate_interval_end(&p, UINT64_MAX), UINT64_MAX);
	assert_int_equal(rotate_interval_end(&p, UINT64_MAX - 60 * SEC - 1),
	    UINT64_MAX - 1);
	/* the end of one interval is the start of the next */
	{
		const uint64_t s = 1700000000 * SEC;
		uint64_t e = rotate_interval_end(&p, s);

		assert_int_equal(rotate_interval_start(&p, s, e), e);
		assert_int_equal(rotate_interval_start(&p, s, e - 1), s);
	}
}

static void
test_due_time(void **state)
{
	const struct rotate_policy p = { 60 * SEC, 0 };
	const uint64_t s = 1700000000 * SEC;

	(void)state;
	assert_false(rotate_due_time(&p, s, s));
	assert_false(rotate_due_time(&p, s, s + 60 * SEC - 1));
	assert_true(rotate_due_time(&p, s, s + 60 * SEC));	/* t == end */
	assert_true(rotate_due_time(&p, s, s + 60 * SEC + 1));
	assert_true(rotate_due_time(&p, s, s + 3600 * SEC));
	/* a packet stamped before the segment does not cut */
	assert_false(rotate_due_time(&p, s, s - 1));
	assert_false(rotate_due_time(&p, s, 0));
}

static void
test_due_size(void **state)
{
	const struct rotate_policy p = { 0, 1000 };

	(void)state;
	/* the first packet always goes in, however large */
	assert_false(rotate_due_size(&p, 0, 0, 5000));
	assert_false(rotate_due_size(&p, 24, 0, 5000));	/* header only */
	assert_false(rotate_due_size(&p, 2000, 0, 1));
	/* exactly at the limit is fine, one byte over is not */
	assert_false(rotate_due_size(&p, 500, 1, 500));
	assert_true(rotate_due_size(&p, 500, 1, 501));
	assert_false(rotate_due_size(&p, 999, 7, 1));
	assert_true(rotate_due_size(&p, 1000, 7, 1));
	assert_false(rotate_due_size(&p, 1000, 7, 0));
	assert_true(rotate_due_size(&p, 1001, 7, 0));	/* already over */
	/* -S in bytes: 1 MiB */
	{
		const struct rotate_policy m = { 0, 1048576 };

		assert_false(rotate_due_size(&m, 1048576 - 100, 3, 100));
		assert_true(rotate_due_size(&m, 1048576 - 100, 3, 101));
	}
}

static void
test_disabled(void **state)
{
	const struct rotate_policy off = { 0, 0 };
	const struct rotate_policy size_only = { 0, 1000 };
	const struct rotate_policy time_only = { 60 * SEC, 0 };

	(void)state;
	assert_false(rotate_due_time(&off, 0, UINT64_MAX));
	assert_false(rotate_due_time(&size_only, 0, UINT64_MAX));
	assert_false(rotate_due_size(&off, UINT64_MAX / 2, 1000,
	    UINT64_MAX / 2));
	assert_false(rotate_due_size(&time_only, 1ull << 50, 1000, 1ull << 50));
	assert_int_equal(rotate_interval_end(&off, 42), UINT64_MAX);
	assert_int_equal(rotate_interval_start(&off, 42, 1ull << 60), 42);
	/* both rules together stay independent */
	{
		const struct rotate_policy both = { 60 * SEC, 1000 };

		assert_true(rotate_due_time(&both, 0, 60 * SEC));
		assert_false(rotate_due_time(&both, 0, 60 * SEC - 1));
		assert_true(rotate_due_size(&both, 1000, 1, 1));
		assert_false(rotate_due_size(&both, 999, 1, 1));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_start),
		cmocka_unit_test(test_interval_end),
		cmocka_unit_test(test_due_time),
		cmocka_unit_test(test_due_size),
		cmocka_unit_test(test_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
