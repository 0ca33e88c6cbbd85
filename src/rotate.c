/*
 * rotate.c - rotation decisions: the pure rules, and the writer's
 * schedule over them (struct rotate_sched); see rotate.h.
 *
 * DESIGN (the schedule) - time rotation keeps a fixed cadence.  File
 * inputs only: ival_start + k*G by packet time; a packet stamped at or
 * after the end of the interval, or more than one interval before its
 * start, opens the file of its own interval.  With a live input the
 * cadence runs on the monotonic clock (live_ival): the interval ends once
 * maxwait has passed after its end (by then the merger has released every
 * earlier packet), or earlier at a packet stamped after its wall-clock
 * end once it has ended on the monotonic clock; a packet's stamp alone
 * never cuts, so an outlier cannot capture rotation, nor a wall-clock
 * step stall it.  Size rotation and SIGHUP start a new file without
 * moving the cadence.  --rotate-align puts the cadence on multiples of
 * G since the epoch: file inputs start it at the boundary before the
 * first stamp; live ones make the first interval (and one that a wall
 * clock step put off its boundary) short_ns shorter, so that it ends on
 * the monotonic instant of the wall clock's next boundary.  Only the
 * writer thread uses a schedule.
 */
#include "config.h"

#include "clock.h"
#include "rotate.h"

uint64_t
rotate_align_start(const struct rotate_policy *p, uint64_t t)
{
	if (!p->align || p->interval_ns == 0)
		return t;
	return t - t % p->interval_ns;
}

/* --rotate-align: how far past its boundary an interval that began at
 * wall clock w began (0 on one, or without it). */
static uint64_t
align_offset(const struct rotate_policy *p, uint64_t w)
{
	return w - rotate_align_start(p, w);
}

uint64_t
rotate_interval_start(const struct rotate_policy *p, uint64_t start,
    uint64_t t)
{
	uint64_t back;

	if (p->interval_ns == 0)
		return start;
	if (t >= start)
		return start + (t - start) / p->interval_ns * p->interval_ns;
	/* whole intervals back from start to one at or before t */
	back = (start - t - 1) / p->interval_ns + 1;
	if (back > start / p->interval_ns)
		return 0;
	return start - back * p->interval_ns;
}

uint64_t
rotate_interval_end(const struct rotate_policy *p, uint64_t start)
{
	if (p->interval_ns == 0 || start > UINT64_MAX - p->interval_ns)
		return UINT64_MAX;
	return start + p->interval_ns;
}

bool
rotate_due_time(const struct rotate_policy *p, uint64_t seg_start, uint64_t t)
{
	return p->interval_ns != 0 && t >= rotate_interval_end(p, seg_start);
}

bool
rotate_due_back(const struct rotate_policy *p, uint64_t seg_start, uint64_t t)
{
	return p->interval_ns != 0 && t < seg_start &&
	    seg_start - t > p->interval_ns;
}

bool
rotate_due_size(const struct rotate_policy *p, uint64_t cur_bytes,
    uint64_t cur_packets, uint64_t rec_bytes)
{
	return p->max_bytes != 0 && cur_packets > 0 &&
	    cur_bytes + rec_bytes > p->max_bytes;
}

void
rotate_live_begin(struct rotate_live *l, uint64_t mono_now, uint64_t wall_now)
{
	l->mono_start = mono_now;
	l->wall_start = wall_now;
	l->short_ns = 0;
}

void
rotate_live_align(const struct rotate_policy *p, struct rotate_live *l)
{
	l->short_ns = align_offset(p, l->wall_start);
}

uint64_t
rotate_live_end(const struct rotate_policy *p, const struct rotate_live *l)
{
	uint64_t end = rotate_interval_end(p, l->mono_start);

	/* short_ns < G: the end stays after the start */
	return end == UINT64_MAX ? end : end - l->short_ns;
}

bool
rotate_live_due_clock(const struct rotate_policy *p,
    const struct rotate_live *l, uint64_t mono_now, uint64_t lag)
{
	uint64_t end = rotate_live_end(p, l);

	return end != UINT64_MAX && end <= UINT64_MAX - lag &&
	    mono_now >= end + lag;
}

uint64_t
rotate_live_wall_end(const struct rotate_policy *p,
    const struct rotate_live *l)
{
	uint64_t end = rotate_interval_end(p, l->wall_start);

	return end == UINT64_MAX ? end : end - l->short_ns;
}

bool
rotate_live_due_packet(const struct rotate_policy *p,
    const struct rotate_live *l, uint64_t mono_now, uint64_t t)
{
	uint64_t end = rotate_live_end(p, l);

	return end != UINT64_MAX && t >= rotate_live_wall_end(p, l) &&
	    mono_now >= end;
}

void
rotate_live_advance(const struct rotate_policy *p, struct rotate_live *l,
    uint64_t mono_ref, uint64_t mono_now, uint64_t wall_now,
    uint64_t wall_err)
{
	uint64_t end = rotate_live_end(p, l), start = l->mono_start;
	uint64_t expect, seen, diff;

	/* the cadence: whole intervals after the end of this one (which
	 * may be short); mono_ref before its end leaves it where it is */
	if (end != UINT64_MAX && mono_ref >= end)
		start = end + (mono_ref - end) / p->interval_ns *
		    p->interval_ns;
	expect = l->wall_start + (start - l->mono_start);
	/* the wall clock's reading of that instant */
	seen = mono_now >= start && wall_now >= mono_now - start ?
	    wall_now - (mono_now - start) : wall_now;
	diff = seen > expect ? seen - expect : expect - seen;
	l->mono_start = start;
	l->wall_start = diff > ROTATE_WALL_SLACK_NS &&
	    diff - ROTATE_WALL_SLACK_NS > wall_err ? seen : expect;
	/* on the cadence that is a boundary again; after a step it ends at
	 * the next one */
	l->short_ns = align_offset(p, l->wall_start);
}

static uint64_t
system_mono(void *arg)
{
	(void)arg;
	return mono_ns();
}

static uint64_t
system_wall(void *arg)
{
	(void)arg;
	return realtime_ns();
}

const struct rotate_clock rotate_clock_system = {
	.mono = system_mono,
	.wall = system_wall,
	.arg = NULL,
};

/* Both clocks at one instant, as clock_pair() does on the system's. */
static uint64_t
sched_pair(const struct rotate_sched *s, uint64_t *mono, uint64_t *wall)
{
	uint64_t m0 = rotate_clock_mono(s->clock);
	uint64_t r = rotate_clock_wall(s->clock);
	uint64_t m1 = rotate_clock_mono(s->clock);

	*mono = m0;
	*wall = r;
	return m1 - m0;
}

void
rotate_sched_init(struct rotate_sched *s, const struct rotate_policy *pol,
    uint64_t maxwait_ns, bool rotating, bool any_live,
    const struct rotate_clock *clock)
{
	*s = (struct rotate_sched){
		.pol = *pol,
		.clock = clock != NULL ? clock : &rotate_clock_system,
		.maxwait_ns = maxwait_ns,
		.rotating = rotating,
		.any_live = any_live,
		.live_clock = rotating && any_live && pol->interval_ns != 0,
	};
	s->mono_now = rotate_clock_mono(s->clock);
}

uint64_t
rotate_sched_begin(struct rotate_sched *s)
{
	uint64_t wall = rotate_clock_wall(s->clock);

	s->ival_start = rotate_align_start(&s->pol, wall);
	rotate_live_begin(&s->live_ival, rotate_clock_mono(s->clock), wall);
	rotate_live_align(&s->pol, &s->live_ival);
	return wall;
}

/*
 * Live -G: has the interval ended, for a packet stamped t (0: none)?
 * Moves live_ival on if so.  The clock rule uses the reading renewed with
 * the deadline; a packet stamped after the interval's wall-clock end
 * earns a fresh reading (only such packets, until the cut).
 */
static bool
live_interval_ended(struct rotate_sched *s, uint64_t t)
{
	uint64_t ref, wall, err;

	if (rotate_live_due_clock(&s->pol, &s->live_ival, s->mono_now,
	    s->maxwait_ns)) {
		ref = s->mono_now - s->maxwait_ns;
	} else if (t != 0 &&
	    t >= rotate_live_wall_end(&s->pol, &s->live_ival)) {
		s->mono_now = rotate_clock_mono(s->clock);
		if (!rotate_live_due_packet(&s->pol, &s->live_ival,
		    s->mono_now, t))
			return false;
		ref = s->mono_now;
	} else {
		return false;
	}
	/* both clocks at one instant, or a descheduled writer would take
	 * its own delay for a step of the wall clock */
	err = sched_pair(s, &s->mono_now, &wall);
	rotate_live_advance(&s->pol, &s->live_ival, ref, s->mono_now, wall,
	    err);
	return true;
}

/* File inputs only, -G: must t open the file of another interval? */
static bool
file_interval_ended(struct rotate_sched *s, uint64_t t)
{
	if (!rotate_due_time(&s->pol, s->ival_start, t) &&
	    !rotate_due_back(&s->pol, s->ival_start, t))
		return false;
	s->ival_start = rotate_interval_start(&s->pol, s->ival_start, t);
	return true;
}

/* Did a -G interval end (for a packet stamped t)?  Moves it on if so. */
static bool
interval_ended(struct rotate_sched *s, uint64_t t)
{
	if (s->pol.interval_ns == 0)
		return false;
	return s->live_clock ? live_interval_ended(s, t) :
	    file_interval_ended(s, t);
}

/* Name of a file of the current -G interval. */
static uint64_t
interval_name(const struct rotate_sched *s)
{
	return s->live_clock ? s->live_ival.wall_start : s->ival_start;
}

uint64_t
rotate_sched_packet_name(const struct rotate_sched *s, uint64_t t)
{
	return s->any_live || t == 0 ? rotate_clock_wall(s->clock) : t;
}

bool
rotate_sched_packet(struct rotate_sched *s, const struct rotate_file *f,
    uint64_t t, uint64_t *name)
{
	if (!f->open) {
		if (!f->opened_once) {
			/* the first file is named by its first packet; with
			 * --rotate-align it ends at the next boundary */
			s->ival_start = rotate_align_start(&s->pol, t);
			*name = t;
			return true;
		}
		if (rotate_clock_mono(s->clock) < f->retry_at)
			return false;
		(void)interval_ended(s, t);
		*name = s->pol.interval_ns != 0 ? interval_name(s) :
		    rotate_sched_packet_name(s, t);
		return true;
	}
	if (!s->rotating || !interval_ended(s, t))
		return false;
	*name = interval_name(s);
	return true;
}

bool
rotate_sched_idle(struct rotate_sched *s, const struct rotate_file *f,
    uint64_t *name)
{
	if (!s->live_clock)
		return false;
	s->mono_now = rotate_clock_mono(s->clock);
	if (live_interval_ended(s, 0)) {
		*name = s->live_ival.wall_start;
		return true;
	}
	if (f->open || s->mono_now < f->retry_at)
		return false;
	*name = rotate_clock_wall(s->clock);
	return true;
}

uint64_t
rotate_sched_deadline(struct rotate_sched *s, uint64_t tick_ns)
{
	uint64_t now = rotate_clock_wall(s->clock);
	uint64_t wait = tick_ns;

	s->mono_now = rotate_clock_mono(s->clock);
	if (s->live_clock) {
		uint64_t end = rotate_live_end(&s->pol, &s->live_ival);

		if (end <= UINT64_MAX - s->maxwait_ns) {
			end += s->maxwait_ns;
			if (end <= s->mono_now)
				wait = 0;
			else if (end - s->mono_now < wait)
				wait = end - s->mono_now;
		}
	}
	return now + wait;
}
