/*
 * rotate.h - when to cut the output into a new file (pure policy).
 *
 * Time rotation (-G) uses fixed intervals [start + k*G, start + (k+1)*G)
 * from the first segment's start, so the cadence never drifts.
 *
 * File inputs: the time compared is the packet's timestamp.  A packet
 * stamped at or after the end of the interval opens the next file; so
 * does one stamped more than one interval before its start (the packets
 * after an outlier from the far future, or a capture clock stepped back),
 * which goes to the interval holding it on the same cadence.  Smaller
 * disorder stays in the current file.
 *
 * Live inputs: the cadence runs on CLOCK_MONOTONIC (struct rotate_live),
 * so that neither an outlying packet stamp nor a step of the wall clock
 * (NTP, a VM resumed) can stall rotation or flood it with files.  Each
 * interval keeps the wall-clock time of its start, which names its file
 * and tells which packets belong to the next interval: one stamped at or
 * after the interval's wall-clock end cuts early, but only once the
 * interval has ended on the monotonic clock too.
 */
#ifndef MTRACECAP_ROTATE_H
#define MTRACECAP_ROTATE_H

#include <stdbool.h>
#include <stdint.h>

/* a difference of the wall clock from the monotonic one up to this is
 * drift (names keep the cadence), beyond it a step (names follow it) */
#define ROTATE_WALL_SLACK_NS	50000000ull

struct rotate_policy {
	uint64_t	interval_ns;	/* -G, 0 = off */
	uint64_t	max_bytes;	/* -S, 0 = off */
};

/*
 * Start of the interval holding t on the cadence start + k*G; k < 0 when
 * t < start, with 0 (the epoch) for an interval that would begin before
 * it.  start itself without -G.
 */
uint64_t rotate_interval_start(const struct rotate_policy *p, uint64_t start,
    uint64_t t);
/* End of the interval that began at start (UINT64_MAX without -G). */
uint64_t rotate_interval_end(const struct rotate_policy *p, uint64_t start);
/* Must a packet stamped t go to a new file (the interval ended)? */
bool rotate_due_time(const struct rotate_policy *p, uint64_t seg_start,
    uint64_t t);
/*
 * Must a packet stamped t go to a new file because time went back more
 * than one interval before seg_start (t + G < seg_start)?
 */
bool rotate_due_back(const struct rotate_policy *p, uint64_t seg_start,
    uint64_t t);
/*
 * Would adding rec_bytes to a file holding cur_bytes (and cur_packets
 * packets) exceed -S?  A file always takes at least one packet.
 */
bool rotate_due_size(const struct rotate_policy *p, uint64_t cur_bytes,
    uint64_t cur_packets, uint64_t rec_bytes);

/* The current interval of a live capture's -G cadence. */
struct rotate_live {
	uint64_t	mono_start;	/* CLOCK_MONOTONIC ns it began */
	uint64_t	wall_start;	/* CLOCK_REALTIME ns of that instant */
};

/* The first interval begins now (readings of both clocks). */
void rotate_live_begin(struct rotate_live *l, uint64_t mono_now,
    uint64_t wall_now);
/* Has the interval ended more than lag ns ago (by mono_now)? */
bool rotate_live_due_clock(const struct rotate_policy *p,
    const struct rotate_live *l, uint64_t mono_now, uint64_t lag);
/* Wall-clock end of the interval: packets stamped from then on are the
 * next interval's (UINT64_MAX without -G). */
uint64_t rotate_live_wall_end(const struct rotate_policy *p,
    const struct rotate_live *l);
/* Must a packet stamped t cut now: it is the next interval's, and the
 * interval has ended on the monotonic clock too? */
bool rotate_live_due_packet(const struct rotate_policy *p,
    const struct rotate_live *l, uint64_t mono_now, uint64_t t);
/*
 * Move to the interval holding mono_ref (>= l->mono_start) on the
 * cadence.  Its wall-clock start is the last one plus the time that
 * passed, unless the wall clock (wall_now, read at mono_now) says
 * otherwise by more than ROTATE_WALL_SLACK_NS plus wall_err, the most by
 * which that reading can be off (clock_pair): then it was stepped, and
 * the wall clock is followed.
 */
void rotate_live_advance(const struct rotate_policy *p, struct rotate_live *l,
    uint64_t mono_ref, uint64_t mono_now, uint64_t wall_now,
    uint64_t wall_err);

#endif
