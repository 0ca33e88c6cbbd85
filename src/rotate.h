/*
 * rotate.h - when to cut the output into a new file (pure policy).
 *
 * Time rotation (-G) uses fixed intervals [start + k*G, start + (k+1)*G)
 * from the first segment's start, so the cadence never drifts.  The time
 * compared is the packet's timestamp; with live inputs the writer also
 * cuts on the wall clock once an interval has ended and maxwait passed,
 * so silent periods still yield one (empty) file per interval.
 */
#ifndef MTRACECAP_ROTATE_H
#define MTRACECAP_ROTATE_H

#include <stdbool.h>
#include <stdint.h>

struct rotate_policy {
	uint64_t	interval_ns;	/* -G, 0 = off */
	uint64_t	max_bytes;	/* -S, 0 = off */
};

/* Start of the interval holding t (t >= start), intervals from start. */
uint64_t rotate_interval_start(const struct rotate_policy *p, uint64_t start,
    uint64_t t);
/* End of the interval that began at start (UINT64_MAX without -G). */
uint64_t rotate_interval_end(const struct rotate_policy *p, uint64_t start);
/* Must a packet stamped t go to a new file (the interval ended)? */
bool rotate_due_time(const struct rotate_policy *p, uint64_t seg_start,
    uint64_t t);
/*
 * Would adding rec_bytes to a file holding cur_bytes (and cur_packets
 * packets) exceed -S?  A file always takes at least one packet.
 */
bool rotate_due_size(const struct rotate_policy *p, uint64_t cur_bytes,
    uint64_t cur_packets, uint64_t rec_bytes);

#endif
