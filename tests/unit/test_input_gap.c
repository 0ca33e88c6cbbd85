/*
 * test_input_gap.c - unit tests for input_gap.c: a source's gap spans
 * from its first stream down to its last back, the gaps that overlap a
 * file's interval, an open gap's length so far, and the bounded memory
 * (the latest INPUT_GAP_KEEP).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "input_gap.h"

#define S	1000000000ull
#define T0	(1700000000ull * S)

static void
test_streams(void **state)
{
	struct input_gaps g;
	uint64_t len = 0, n, total;

	(void)state;
	assert_int_equal(input_gaps_init(&g), 0);
	/* two sockets of one source: down at 10 and 11, back at 13 and 15 */
	assert_true(input_gaps_down(&g, T0 + 10 * S));
	assert_false(input_gaps_down(&g, T0 + 11 * S));
	assert_false(input_gaps_up(&g, T0 + 13 * S, &len));
	assert_true(input_gaps_up(&g, T0 + 15 * S, &len));
	assert_int_equal(len, 5 * S);
	input_gaps_totals(&g, T0 + 20 * S, &n, &total);
	assert_int_equal(n, 1);
	assert_int_equal(total, 5 * S);
	/* a second gap, still open: counted up to now */
	assert_true(input_gaps_down(&g, T0 + 30 * S));
	input_gaps_totals(&g, T0 + 32 * S, &n, &total);
	assert_int_equal(n, 2);
	assert_int_equal(total, 7 * S);
	/* an up with nothing down changes nothing */
	assert_true(input_gaps_up(&g, T0 + 33 * S, &len));
	assert_false(input_gaps_up(&g, T0 + 34 * S, &len));
	input_gaps_totals(&g, T0 + 40 * S, &n, &total);
	assert_int_equal(n, 2);
	assert_int_equal(total, 8 * S);
	input_gaps_destroy(&g);
}

static void
test_between(void **state)
{
	struct input_gaps g;
	struct input_gap out[4];
	uint64_t len;

	(void)state;
	assert_int_equal(input_gaps_init(&g), 0);
	input_gaps_down(&g, T0 + 10 * S);
	input_gaps_up(&g, T0 + 12 * S, &len);
	input_gaps_down(&g, T0 + 20 * S);
	input_gaps_up(&g, T0 + 25 * S, &len);
	input_gaps_down(&g, T0 + 40 * S);	/* open */
	/* a file from 0 to 9 s: none; 11 to 21: both closed ones */
	assert_int_equal(input_gaps_between(&g, T0, T0 + 9 * S, out, 4), 0);
	assert_int_equal(input_gaps_between(&g, T0 + 11 * S, T0 + 21 * S, out,
	    4), 2);
	assert_int_equal(out[0].start_ns, T0 + 10 * S);
	assert_int_equal(out[0].end_ns, T0 + 12 * S);
	assert_int_equal(out[1].start_ns, T0 + 20 * S);
	/* touching ends count; the open one overlaps every later file */
	assert_int_equal(input_gaps_between(&g, T0 + 25 * S, T0 + 30 * S, out,
	    4), 1);
	assert_int_equal(input_gaps_between(&g, T0 + 50 * S, T0 + 60 * S, out,
	    4), 1);
	assert_int_equal(out[0].end_ns, 0);
	/* more than max: counted, not copied past max */
	assert_int_equal(input_gaps_between(&g, T0, T0 + 60 * S, out, 1), 3);
	assert_int_equal(out[0].start_ns, T0 + 10 * S);
	input_gaps_destroy(&g);
}

static void
test_bounded(void **state)
{
	struct input_gaps g;
	struct input_gap out[INPUT_GAP_KEEP];
	uint64_t len, n, total;
	size_t got;

	(void)state;
	assert_int_equal(input_gaps_init(&g), 0);
	for (uint64_t i = 0; i < 3 * INPUT_GAP_KEEP; i++) {
		input_gaps_down(&g, T0 + (2 * i) * S);
		input_gaps_up(&g, T0 + (2 * i + 1) * S, &len);
	}
	input_gaps_totals(&g, T0 + 1000 * S, &n, &total);
	assert_int_equal(n, 3 * INPUT_GAP_KEEP);
	assert_int_equal(total, 3 * INPUT_GAP_KEEP * S);
	/* only the latest are remembered, oldest first */
	got = input_gaps_between(&g, T0, T0 + 1000 * S, out, INPUT_GAP_KEEP);
	assert_int_equal(got, INPUT_GAP_KEEP);
	assert_int_equal(out[0].start_ns, T0 + 2 * (2 * INPUT_GAP_KEEP) * S);
	assert_int_equal(out[INPUT_GAP_KEEP - 1].start_ns,
	    T0 + 2 * (3 * INPUT_GAP_KEEP - 1) * S);
	/* a clock stepped back ends a gap at its start, never negative */
	input_gaps_down(&g, T0 + 2000 * S);
	assert_true(input_gaps_up(&g, T0 + 1990 * S, &len));
	assert_int_equal(len, 0);
	input_gaps_destroy(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
