/*
 * rotate.c - pure rotation decisions; see rotate.h.
 */
#include "config.h"

#include "rotate.h"

uint64_t
rotate_interval_start(const struct rotate_policy *p, uint64_t start,
    uint64_t t)
{
	if (p->interval_ns == 0 || t < start)
		return start;
	return start + (t - start) / p->interval_ns * p->interval_ns;
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
rotate_due_size(const struct rotate_policy *p, uint64_t cur_bytes,
    uint64_t cur_packets, uint64_t rec_bytes)
{
	return p->max_bytes != 0 && cur_packets > 0 &&
	    cur_bytes + rec_bytes > p->max_bytes;
}
