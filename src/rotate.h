/*
 * rotate.h - when to cut the output into a new file: the pure rules,
 * and the writer's -G schedule built on them.
 *
 * Time rotation (-G) uses fixed intervals [start + k*G, start + (k+1)*G)
 * from the first segment's start, so the cadence never drifts.  With
 * --rotate-align (policy.align) the cadence is k*G since the epoch (UTC)
 * instead: the first file runs from its start to the next multiple of G
 * (it is shorter), every later one from a multiple to the next.
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
 *
 * struct rotate_sched is the writer's schedule built on these rules: the
 * current interval, the names of new files, the merger's deadline.  It
 * reads time only through a struct rotate_clock, so that tests drive it
 * (and the writer) on a clock of their own.  Writer thread only.
 */
#ifndef MTRACECAP_ROTATE_H
#define MTRACECAP_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a difference of the wall clock from the monotonic one up to this is
 * drift (names keep the cadence), beyond it a step (names follow it) */
#define ROTATE_WALL_SLACK_NS	50000000ull

struct rotate_policy {
	uint64_t	interval_ns;	/* -G, 0 = off */
	uint64_t	max_bytes;	/* -S, 0 = off */
	bool		align;		/* --rotate-align: -G on the epoch */
};

/*
 * --rotate-align: the start of the aligned interval holding t (the
 * multiple of G at or before it); t itself without align or -G.
 */
uint64_t rotate_align_start(const struct rotate_policy *p, uint64_t t);

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
	uint64_t	short_ns;	/* it is this much shorter than G: it
					 * began off a boundary (--rotate-align) */
};

/* The first interval begins now (readings of both clocks). */
void rotate_live_begin(struct rotate_live *l, uint64_t mono_now,
    uint64_t wall_now);
/*
 * --rotate-align (else a no-op): the interval ends at the next multiple
 * of G of the wall clock (wall_start + G - short_ns), not G after its
 * start.  Later intervals stay aligned (rotate_live_advance).
 */
void rotate_live_align(const struct rotate_policy *p, struct rotate_live *l);
/* Monotonic end of the interval (UINT64_MAX without -G). */
uint64_t rotate_live_end(const struct rotate_policy *p,
    const struct rotate_live *l);
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
 * the wall clock is followed; with --rotate-align that interval then
 * ends at the wall clock's next multiple of G, as the first one does.
 */
void rotate_live_advance(const struct rotate_policy *p, struct rotate_live *l,
    uint64_t mono_ref, uint64_t mono_now, uint64_t wall_now,
    uint64_t wall_err);

/*
 * The clocks the writer reads, in ns: mono (CLOCK_MONOTONIC: delays and
 * the live cadence) and wall (CLOCK_REALTIME: compared with stamps, names
 * files).  rotate_clock_system is the real pair (clock.h); tests inject
 * their own.
 */
struct rotate_clock {
	uint64_t	(*mono)(void *arg);
	uint64_t	(*wall)(void *arg);
	void		*arg;
};

extern const struct rotate_clock rotate_clock_system;

static inline uint64_t
rotate_clock_mono(const struct rotate_clock *c)
{
	return c->mono(c->arg);
}

static inline uint64_t
rotate_clock_wall(const struct rotate_clock *c)
{
	return c->wall(c->arg);
}

/* The writer's -G cadence and the names of its files. */
struct rotate_sched {
	struct rotate_policy	 pol;
	const struct rotate_clock *clock;
	uint64_t		 maxwait_ns;	/* the merger's, for live -G */
	bool			 rotating;	/* -B: more than one file */
	bool			 any_live;	/* names follow the wall clock */
	bool			 live_clock;	/* -G with a live input */
	uint64_t		 ival_start;	/* current -G interval (files) */
	struct rotate_live	 live_ival;	/* ...with a live input */
	uint64_t		 mono_now;	/* renewed with the deadline */
};

/* What the writer's current file is, as the schedule needs to know. */
struct rotate_file {
	bool		 open;		/* a file is being written */
	bool		 opened_once;	/* a file was opened (or tried) */
	uint64_t	 retry_at;	/* no file: mono ns to try again */
};

/* A schedule for pol; clock NULL means rotate_clock_system. */
void rotate_sched_init(struct rotate_sched *s, const struct rotate_policy *pol,
    uint64_t maxwait_ns, bool rotating, bool any_live,
    const struct rotate_clock *clock);
/*
 * The first file and the cadence start now (a single file, or a live
 * capture, opens its file before any packet): the wall-clock name of it.
 */
uint64_t rotate_sched_begin(struct rotate_sched *s);
/*
 * Before writing a packet stamped t: must a new file start (the first
 * one, a -G interval ended, or, without a file, its retry is due)?  True
 * with *name (ns since the epoch) if so; the current file, if any, is to
 * be closed first.  Moves the cadence on.  -S is rotate_due_size's.
 */
bool rotate_sched_packet(struct rotate_sched *s, const struct rotate_file *f,
    uint64_t t, uint64_t *name);
/*
 * Idle (the merger timed out): must a new file start now, because a live
 * -G interval ended on the clock (maybe without a packet), or, without a
 * file, its retry is due?  As rotate_sched_packet.
 */
bool rotate_sched_idle(struct rotate_sched *s, const struct rotate_file *f,
    uint64_t *name);
/*
 * Name of a file started at a packet stamped t outside the -G cadence
 * (-S, SIGHUP, a failed file replaced; t = 0: no packet at hand): t, but
 * the wall clock with a live input, so that a file input's outlying stamp
 * never names a live capture's file.
 */
uint64_t rotate_sched_packet_name(const struct rotate_sched *s, uint64_t t);
/*
 * The merger's deadline (wall clock, its clock): a tick (tick_ns) from
 * now, or sooner the end of a live -G interval plus maxwait, which runs on
 * the monotonic clock and is carried over as a delay.  Renews mono_now.
 */
uint64_t rotate_sched_deadline(struct rotate_sched *s, uint64_t tick_ns);

#endif
