/*
 * rotate.c - pure rotation decisions; see rotate.h.
 */
#include "config.h"

#include "rotate.h"

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
}

bool
rotate_live_due_clock(const struct rotate_policy *p,
    const struct rotate_live *l, uint64_t mono_now, uint64_t lag)
{
	uint64_t end = rotate_interval_end(p, l->mono_start);

	return end != UINT64_MAX && end <= UINT64_MAX - lag &&
	    mono_now >= end + lag;
}

uint64_t
rotate_live_wall_end(const struct rotate_policy *p,
    const struct rotate_live *l)
{
	return rotate_interval_end(p, l->wall_start);
}

bool
rotate_live_due_packet(const struct rotate_policy *p,
    const struct rotate_live *l, uint64_t mono_now, uint64_t t)
{
	return rotate_due_time(p, l->wall_start, t) &&
	    rotate_due_time(p, l->mono_start, mono_now);
}

void
rotate_live_advance(const struct rotate_policy *p, struct rotate_live *l,
    uint64_t mono_ref, uint64_t mono_now, uint64_t wall_now,
    uint64_t wall_err)
{
	uint64_t start = rotate_interval_start(p, l->mono_start, mono_ref);
	uint64_t expect, seen, diff;

	if (start < l->mono_start)	/* mono_ref before the interval */
		start = l->mono_start;
	expect = l->wall_start + (start - l->mono_start);
	/* the wall clock's reading of that instant */
	seen = mono_now >= start && wall_now >= mono_now - start ?
	    wall_now - (mono_now - start) : wall_now;
	diff = seen > expect ? seen - expect : expect - seen;
	l->mono_start = start;
	l->wall_start = diff > ROTATE_WALL_SLACK_NS &&
	    diff - ROTATE_WALL_SLACK_NS > wall_err ? seen : expect;
}
