/*
 * test_rotate.c - unit tests for rotate.c: interval arithmetic, the time
 * and size rules at their exact boundaries, disabled policies, time going
 * back, and the live cadence on an injected monotonic and wall clock
 * (outlying stamps, wall-clock steps either way); --rotate-align: the
 * first interval ends on the epoch's next multiple of G, the later ones
 * start on multiples (by packet time and on the live clocks, also after
 * a wall-clock step and just after boot).
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
	const struct rotate_policy p = { 60 * SEC, 0, false };
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
	/* before the start: the interval holding it, on the same cadence */
	assert_int_equal(rotate_interval_start(&p, s, s - 1), s - 60 * SEC);
	assert_int_equal(rotate_interval_start(&p, s, s - 60 * SEC),
	    s - 60 * SEC);
	assert_int_equal(rotate_interval_start(&p, s, s - 60 * SEC - 1),
	    s - 120 * SEC);
	{
		uint64_t r = rotate_interval_start(&p, s, 1000 * SEC);

		assert_true(r <= 1000 * SEC && 1000 * SEC < r + 60 * SEC);
		assert_int_equal((s - r) % (60 * SEC), 0);
	}
	/* ...but never before the epoch */
	assert_int_equal(rotate_interval_start(&p, s, 0), 0);
	assert_int_equal(rotate_interval_start(&p, 90 * SEC, 29 * SEC), 0);
	assert_int_equal(rotate_interval_start(&p, 90 * SEC, 30 * SEC),
	    30 * SEC);
	/* a 1 ns interval: every instant is a start */
	{
		const struct rotate_policy one = { 1, 0, false };

		assert_int_equal(rotate_interval_start(&one, 10, 17), 17);
	}
}

static void
test_interval_end(void **state)
{
	const struct rotate_policy p = { 60 * SEC, 0, false };

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
	const struct rotate_policy p = { 60 * SEC, 0, false };
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

/* The packets after an outlier, or a clock stepped back: time goes back. */
static void
test_due_back(void **state)
{
	const struct rotate_policy p = { 60 * SEC, 0, false };
	const struct rotate_policy off = { 0, 0, false };
	const uint64_t s = 1700000000 * SEC;
	const uint64_t far = 3900000000 * SEC;	/* 2093 */

	(void)state;
	/* up to one interval back is disorder: the same file */
	assert_false(rotate_due_back(&p, s, s));
	assert_false(rotate_due_back(&p, s, s + 1));
	assert_false(rotate_due_back(&p, s, s - 1));
	assert_false(rotate_due_back(&p, s, s - 60 * SEC));
	assert_true(rotate_due_back(&p, s, s - 60 * SEC - 1));
	assert_true(rotate_due_back(&p, s, 0));
	assert_false(rotate_due_back(&off, s, 0));
	/* 2023 after a file of 2093: back to 2023's interval, cadence kept */
	{
		uint64_t f = rotate_interval_start(&p, s, far);
		uint64_t b;

		assert_true(rotate_due_time(&p, s, far));
		assert_int_equal((f - s) % (60 * SEC), 0);
		assert_true(rotate_due_back(&p, f, s + 61 * SEC));
		b = rotate_interval_start(&p, f, s + 61 * SEC);
		assert_int_equal(b, s + 60 * SEC);
		assert_false(rotate_due_time(&p, b, s + 119 * SEC));
		assert_true(rotate_due_time(&p, b, s + 120 * SEC));
	}
}

/*
 * Live: a fake pair of clocks.  mono runs from 1000 s, the wall clock from
 * 2023; G = 10 s, maxwait 1 s.
 */
static void
test_live_outlier(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, false };
	const uint64_t m0 = 1000 * SEC, w0 = 1700000000 * SEC;
	const uint64_t lag = 1 * SEC;
	struct rotate_live l;

	(void)state;
	rotate_live_begin(&l, m0, w0);
	assert_int_equal(rotate_live_wall_end(&p, &l), w0 + 10 * SEC);
	/* a packet from 2106 mid-interval does not cut, however late */
	assert_false(rotate_live_due_packet(&p, &l, m0 + 3 * SEC,
	    4294967296 * SEC));
	assert_false(rotate_live_due_clock(&p, &l, m0 + 3 * SEC, lag));
	/* the next interval's packet cuts once the clock agrees */
	assert_false(rotate_live_due_packet(&p, &l, m0 + 10 * SEC - 1,
	    w0 + 10 * SEC));
	assert_true(rotate_live_due_packet(&p, &l, m0 + 10 * SEC,
	    w0 + 10 * SEC));
	assert_false(rotate_live_due_packet(&p, &l, m0 + 10 * SEC,
	    w0 + 10 * SEC - 1));
	/* the clock alone: maxwait after the end */
	assert_false(rotate_live_due_clock(&p, &l, m0 + 11 * SEC - 1, lag));
	assert_true(rotate_live_due_clock(&p, &l, m0 + 11 * SEC, lag));
	rotate_live_advance(&p, &l, m0 + 10 * SEC, m0 + 11 * SEC,
	    w0 + 11 * SEC + 3, 0);
	assert_int_equal(l.mono_start, m0 + 10 * SEC);
	assert_int_equal(l.wall_start, w0 + 10 * SEC);	/* drift: cadence */
	/* a writer stuck for 35 s skips to the interval it is in */
	rotate_live_advance(&p, &l, m0 + 45 * SEC, m0 + 46 * SEC,
	    w0 + 46 * SEC, 0);
	assert_int_equal(l.mono_start, m0 + 40 * SEC);
	assert_int_equal(l.wall_start, w0 + 40 * SEC);
}

/* The wall clock stepped (NTP, a VM resumed): no stall, no flood. */
static void
test_live_wall_step(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, false };
	const uint64_t m0 = 1000 * SEC, w0 = 1700000000 * SEC;
	const uint64_t lag = 1 * SEC, hour = 3600 * SEC;
	struct rotate_live l;
	uint64_t m, wall, cuts = 0;

	(void)state;
	/* back by an hour 5 s into the interval: packets now stamped an
	 * hour earlier never cut, the clock still does, on time */
	rotate_live_begin(&l, m0, w0);
	assert_false(rotate_live_due_packet(&p, &l, m0 + 10 * SEC,
	    w0 - hour + 10 * SEC));
	assert_true(rotate_live_due_clock(&p, &l, m0 + 11 * SEC, lag));
	wall = w0 - hour + 11 * SEC;
	rotate_live_advance(&p, &l, m0 + 10 * SEC, m0 + 11 * SEC, wall,
	    0);
	assert_int_equal(l.mono_start, m0 + 10 * SEC);
	/* names follow the wall clock: the step shows */
	assert_int_equal(l.wall_start, w0 - hour + 10 * SEC);
	/* and the next cut by packet is 10 s of the new wall clock later */
	assert_int_equal(rotate_live_wall_end(&p, &l), w0 - hour + 20 * SEC);
	assert_true(rotate_live_due_packet(&p, &l, m0 + 20 * SEC,
	    w0 - hour + 20 * SEC));

	/* forward by a day: one cut per interval of the monotonic clock,
	 * not one per interval of the day skipped */
	rotate_live_begin(&l, m0, w0);
	wall = w0 + 86400 * SEC;
	assert_false(rotate_live_due_packet(&p, &l, m0 + 5 * SEC, wall));
	assert_false(rotate_live_due_clock(&p, &l, m0 + 5 * SEC, lag));
	for (m = m0; m <= m0 + 60 * SEC; m += SEC / 10) {
		if (rotate_live_due_clock(&p, &l, m, lag)) {
			rotate_live_advance(&p, &l, m - lag, m,
			    wall + (m - m0), 0);
			cuts++;
		}
	}
	assert_int_equal(cuts, 5);	/* ends at 10..50 s, +1 s lag */
	assert_int_equal(l.mono_start, m0 + 50 * SEC);
	assert_int_equal(l.wall_start, wall + 50 * SEC);
}

/*
 * A wall-clock reading that can be off by wall_err (clock_pair: the
 * writer was descheduled around it) is a step only beyond slack + err.
 */
static void
test_live_wall_uncertain(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, false };
	const uint64_t m0 = 1000 * SEC, w0 = 1700000000 * SEC;
	const uint64_t ms = 1000000ull;
	struct rotate_live l;

	(void)state;
	rotate_live_begin(&l, m0, w0);
	/* read 300 ms late, and known to be maybe 300 ms off: no step */
	rotate_live_advance(&p, &l, m0 + 10 * SEC, m0 + 11 * SEC,
	    w0 + 11 * SEC + 300 * ms, 300 * ms);
	assert_int_equal(l.mono_start, m0 + 10 * SEC);
	assert_int_equal(l.wall_start, w0 + 10 * SEC);
	/* the same reading known to be exact: a step, followed */
	rotate_live_advance(&p, &l, m0 + 20 * SEC, m0 + 21 * SEC,
	    w0 + 21 * SEC + 300 * ms, 0);
	assert_int_equal(l.wall_start, w0 + 20 * SEC + 300 * ms);
	/* a real step beyond slack + err is still followed */
	rotate_live_advance(&p, &l, m0 + 30 * SEC, m0 + 31 * SEC,
	    w0 + 31 * SEC + 300 * ms + 900 * ms, 300 * ms);
	assert_int_equal(l.wall_start, w0 + 30 * SEC + 1200 * ms);
}

static void
test_due_size(void **state)
{
	const struct rotate_policy p = { 0, 1000, false };

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
		const struct rotate_policy m = { 0, 1048576, false };

		assert_false(rotate_due_size(&m, 1048576 - 100, 3, 100));
		assert_true(rotate_due_size(&m, 1048576 - 100, 3, 101));
	}
}

static void
test_disabled(void **state)
{
	const struct rotate_policy off = { 0, 0, false };
	const struct rotate_policy size_only = { 0, 1000, false };
	const struct rotate_policy time_only = { 60 * SEC, 0, false };

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
		const struct rotate_policy both = { 60 * SEC, 1000, false };

		assert_true(rotate_due_time(&both, 0, 60 * SEC));
		assert_false(rotate_due_time(&both, 0, 60 * SEC - 1));
		assert_true(rotate_due_size(&both, 1000, 1, 1));
		assert_false(rotate_due_size(&both, 999, 1, 1));
	}
}


/* --rotate-align, the arithmetic: the multiple of G at or before t. */
static void
test_align_start(void **state)
{
	const struct rotate_policy a = { 300 * SEC, 0, true };
	const struct rotate_policy off = { 300 * SEC, 0, false };
	const struct rotate_policy nog = { 0, 0, true };
	const uint64_t t = 1700000000 * SEC;	/* 22:13:20 UTC */

	(void)state;
	assert_int_equal(rotate_align_start(&a, t), t - 200 * SEC);
	assert_int_equal(rotate_align_start(&a, t - 200 * SEC), t - 200 * SEC);
	assert_int_equal(rotate_align_start(&a, t + 100 * SEC - 1),
	    t - 200 * SEC);
	assert_int_equal(rotate_align_start(&a, t + 100 * SEC), t + 100 * SEC);
	assert_int_equal(rotate_align_start(&a, 0), 0);
	/* without it, or without -G: t itself */
	assert_int_equal(rotate_align_start(&off, t + 7), t + 7);
	assert_int_equal(rotate_align_start(&nog, t + 7), t + 7);
}

/*
 * Live, aligned: started 3.3 s past a boundary (G = 10 s), the first
 * interval ends 6.7 s later on the monotonic clock, at the boundary on
 * the wall clock; the next ones begin on boundaries.  A wall clock step
 * makes the interval after it end on the next boundary again.
 */
static void
test_live_align(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, true };
	const uint64_t m0 = 1000 * SEC, w0 = 1700000000 * SEC;
	const uint64_t off = 3 * SEC + 300000000, lag = SEC;
	struct rotate_live l;

	(void)state;
	rotate_live_begin(&l, m0, w0 + off);
	rotate_live_align(&p, &l);
	assert_int_equal(l.short_ns, off);
	assert_int_equal(rotate_live_end(&p, &l), m0 + 10 * SEC - off);
	assert_int_equal(rotate_live_wall_end(&p, &l), w0 + 10 * SEC);
	assert_false(rotate_live_due_clock(&p, &l, m0 + 10 * SEC - off + lag -
	    1, lag));
	assert_true(rotate_live_due_clock(&p, &l, m0 + 10 * SEC - off + lag,
	    lag));
	/* a packet of the next interval cuts at the boundary, not later */
	assert_false(rotate_live_due_packet(&p, &l, m0 + 10 * SEC - off,
	    w0 + 10 * SEC - 1));
	assert_true(rotate_live_due_packet(&p, &l, m0 + 10 * SEC - off,
	    w0 + 10 * SEC));
	rotate_live_advance(&p, &l, m0 + 10 * SEC - off, m0 + 11 * SEC - off,
	    w0 + 11 * SEC, 0);
	assert_int_equal(l.mono_start, m0 + 10 * SEC - off);
	assert_int_equal(l.wall_start, w0 + 10 * SEC);
	assert_int_equal(l.short_ns, 0);
	assert_int_equal(rotate_live_end(&p, &l), m0 + 20 * SEC - off);
	/* skipped intervals keep the cadence */
	rotate_live_advance(&p, &l, m0 + 45 * SEC, m0 + 46 * SEC,
	    w0 + 46 * SEC + off, 0);
	assert_int_equal(l.mono_start, m0 + 40 * SEC - off);
	assert_int_equal(l.wall_start, w0 + 40 * SEC);
	/* the wall clock stepped 2.5 s ahead: that file is named by it and
	 * ends at the next boundary */
	rotate_live_advance(&p, &l, m0 + 50 * SEC - off, m0 + 51 * SEC - off,
	    w0 + 53 * SEC + SEC / 2, 0);
	assert_int_equal(l.wall_start, w0 + 52 * SEC + SEC / 2);
	assert_int_equal(l.short_ns, 2 * SEC + SEC / 2);
	assert_int_equal(rotate_live_wall_end(&p, &l), w0 + 60 * SEC);
	assert_int_equal(rotate_live_end(&p, &l),
	    m0 + 50 * SEC - off + 7 * SEC + SEC / 2);
	rotate_live_advance(&p, &l, rotate_live_end(&p, &l),
	    rotate_live_end(&p, &l) + SEC, w0 + 61 * SEC, 0);
	assert_int_equal(l.wall_start, w0 + 60 * SEC);
	assert_int_equal(l.short_ns, 0);

	/* just after boot the monotonic clock is smaller than the offset:
	 * nothing goes below 0 */
	rotate_live_begin(&l, 2 * SEC, w0 + 9 * SEC);
	rotate_live_align(&p, &l);
	assert_int_equal(rotate_live_end(&p, &l), 3 * SEC);
	assert_true(rotate_live_due_clock(&p, &l, 4 * SEC, lag));
	rotate_live_advance(&p, &l, 3 * SEC, 4 * SEC, w0 + 11 * SEC, 0);
	assert_int_equal(l.mono_start, 3 * SEC);
	assert_int_equal(l.wall_start, w0 + 10 * SEC);
}

/* Without --rotate-align the live interval is G long from its start. */
static void
test_live_align_off(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, false };
	struct rotate_live l;

	(void)state;
	rotate_live_begin(&l, 1000 * SEC, 1700000003 * SEC);
	rotate_live_align(&p, &l);
	assert_int_equal(l.short_ns, 0);
	assert_int_equal(rotate_live_end(&p, &l), 1010 * SEC);
	assert_int_equal(rotate_live_wall_end(&p, &l), 1700000013 * SEC);
}

/* The schedule's clock: the test sets both readings. */
struct sclock {
	uint64_t	mono;
	uint64_t	wall;
};

static uint64_t
sclock_mono(void *arg)
{
	return ((struct sclock *)arg)->mono;
}

static uint64_t
sclock_wall(void *arg)
{
	return ((struct sclock *)arg)->wall;
}

/*
 * A live capture's schedule: the interval ends on the monotonic clock
 * maxwait after its end, idle or not; the merger's deadline comes no
 * later than that; a packet stamped in the next interval cuts only once
 * the monotonic clock agrees; without a file, the retry waits its time.
 */
static void
test_sched_live(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, false };
	struct sclock c = { 500 * SEC, 1700000000 * SEC };
	const struct rotate_clock rc = { sclock_mono, sclock_wall, &c };
	struct rotate_file f = { true, true, 0 };
	struct rotate_sched s;
	uint64_t name = 0, wall0;

	(void)state;
	rotate_sched_init(&s, &p, SEC / 1000, true, true, &rc);
	assert_true(s.live_clock);
	wall0 = rotate_sched_begin(&s);
	assert_int_equal(wall0, c.wall);
	/* a tick ahead, or the interval's end plus maxwait if sooner */
	assert_int_equal(rotate_sched_deadline(&s, SEC / 10),
	    c.wall + SEC / 10);
	c.mono += 10 * SEC - SEC / 20;
	c.wall += 10 * SEC - SEC / 20;
	assert_int_equal(rotate_sched_deadline(&s, SEC / 10),
	    c.wall + SEC / 20 + SEC / 1000);
	/* a packet of the next interval, the monotonic clock not there yet */
	assert_false(rotate_sched_packet(&s, &f, wall0 + 10 * SEC, &name));
	assert_false(rotate_sched_idle(&s, &f, &name));
	/* the end has passed, but not maxwait after it */
	c.mono += SEC / 20;
	c.wall += SEC / 20;
	assert_false(rotate_sched_idle(&s, &f, &name));
	/* now a packet of the next interval cuts, named on the cadence */
	assert_true(rotate_sched_packet(&s, &f, wall0 + 10 * SEC, &name));
	assert_int_equal(name, wall0 + 10 * SEC);
	/* idle: the next interval ends on the clock alone */
	c.mono += 10 * SEC + SEC / 1000;
	c.wall += 10 * SEC + SEC / 1000;
	assert_true(rotate_sched_idle(&s, &f, &name));
	assert_int_equal(name, wall0 + 20 * SEC);
	assert_false(rotate_sched_idle(&s, &f, &name));
	/* no file: retried once retry_at has come, named by the clock */
	f.open = false;
	f.retry_at = c.mono + SEC;
	assert_false(rotate_sched_idle(&s, &f, &name));
	c.mono += SEC;
	c.wall += SEC;
	assert_true(rotate_sched_idle(&s, &f, &name));
	assert_int_equal(name, c.wall);
	assert_int_equal(rotate_sched_packet_name(&s, 12345), c.wall);
}

/* File inputs: names come from stamps, the clock is never asked. */
static void
test_sched_files(void **state)
{
	const struct rotate_policy p = { 10 * SEC, 0, false };
	struct sclock c = { 500 * SEC, 1 };
	const struct rotate_clock rc = { sclock_mono, sclock_wall, &c };
	struct rotate_file f = { false, false, 0 };
	struct rotate_sched s;
	uint64_t name = 0, t0 = 1700000000 * SEC + 7;

	(void)state;
	rotate_sched_init(&s, &p, SEC / 1000, true, false, &rc);
	assert_false(s.live_clock);
	assert_true(rotate_sched_packet(&s, &f, t0, &name));
	assert_int_equal(name, t0);
	f.open = f.opened_once = true;
	assert_false(rotate_sched_packet(&s, &f, t0 + 10 * SEC - 1, &name));
	assert_true(rotate_sched_packet(&s, &f, t0 + 25 * SEC, &name));
	assert_int_equal(name, t0 + 20 * SEC);
	assert_false(rotate_sched_idle(&s, &f, &name));
	assert_int_equal(rotate_sched_packet_name(&s, t0 + 3), t0 + 3);
	assert_int_equal(rotate_sched_packet_name(&s, 0), c.wall);
	/* without -G or -C nothing but the first file */
	rotate_sched_init(&s, &(struct rotate_policy){ 0, 0, false }, 0, false,
	    false, &rc);
	assert_false(rotate_sched_packet(&s, &f, t0 + 1000 * SEC, &name));
}

/*
 * The schedules, aligned: the first file is named by its start (live: the
 * clock; files: the first stamp) and ends at the next multiple of G, the
 * later ones are named by multiples.
 */
static void
test_sched_align(void **state)
{
	const struct rotate_policy p = { 2 * SEC, 0, true };
	struct sclock c = { 500 * SEC, 1700000001 * SEC + SEC / 4 };
	const struct rotate_clock rc = { sclock_mono, sclock_wall, &c };
	struct rotate_file f = { true, true, 0 };
	struct rotate_sched s;
	uint64_t name = 0, t0 = 1700000001 * SEC + 7;

	(void)state;
	rotate_sched_init(&s, &p, SEC / 1000, true, true, &rc);
	assert_int_equal(rotate_sched_begin(&s), c.wall);
	/* the deadline: the boundary 0.75 s away plus maxwait */
	assert_int_equal(rotate_sched_deadline(&s, SEC), c.wall +
	    3 * SEC / 4 + SEC / 1000);
	c.mono += 3 * SEC / 4;
	c.wall += 3 * SEC / 4;
	assert_false(rotate_sched_idle(&s, &f, &name));
	c.mono += SEC / 1000;
	c.wall += SEC / 1000;
	assert_true(rotate_sched_idle(&s, &f, &name));
	assert_int_equal(name, 1700000002 * SEC);
	c.mono += 2 * SEC;
	c.wall += 2 * SEC;
	assert_true(rotate_sched_idle(&s, &f, &name));
	assert_int_equal(name, 1700000004 * SEC);

	/* file inputs: by packet time */
	f = (struct rotate_file){ false, false, 0 };
	rotate_sched_init(&s, &p, SEC / 1000, true, false, &rc);
	assert_true(rotate_sched_packet(&s, &f, t0, &name));
	assert_int_equal(name, t0);
	f.open = f.opened_once = true;
	assert_false(rotate_sched_packet(&s, &f, 1700000002 * SEC - 1, &name));
	assert_true(rotate_sched_packet(&s, &f, 1700000002 * SEC, &name));
	assert_int_equal(name, 1700000002 * SEC);
	assert_true(rotate_sched_packet(&s, &f, 1700000007 * SEC, &name));
	assert_int_equal(name, 1700000006 * SEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_start),
		cmocka_unit_test(test_interval_end),
		cmocka_unit_test(test_due_time),
		cmocka_unit_test(test_due_back),
		cmocka_unit_test(test_live_outlier),
		cmocka_unit_test(test_live_wall_step),
		cmocka_unit_test(test_live_wall_uncertain),
		cmocka_unit_test(test_due_size),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_sched_live),
		cmocka_unit_test(test_sched_files),
		cmocka_unit_test(test_align_start),
		cmocka_unit_test(test_live_align),
		cmocka_unit_test(test_live_align_off),
		cmocka_unit_test(test_sched_align),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
