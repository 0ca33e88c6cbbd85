/*
 * clock.h - the two clocks, in nanoseconds; deadlines; the stop latency.
 *
 * CLOCK_MONOTONIC for timeouts and delays; CLOCK_REALTIME where a time is
 * compared with packet stamps or names a file.
 */
#ifndef MTRACECAP_CLOCK_H
#define MTRACECAP_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_S		1000000000ull
#define CLOCK_NS_PER_MS		1000000ull

/*
 * The stop latency: the longest any thread waits (for packets, space,
 * a signal, a child, a lock, a watchfile) before it looks at the stop flag
 * again.  A stop or a SIGHUP takes effect within about this long.
 */
#define CLOCK_STOP_LATENCY_MS	100
#define CLOCK_STOP_LATENCY_NS	(CLOCK_STOP_LATENCY_MS * CLOCK_NS_PER_MS)

/* A relative time of ns nanoseconds, for nanosleep() and sigtimedwait(). */
static inline struct timespec
clock_span(uint64_t ns)
{
	return (struct timespec){ (time_t)(ns / CLOCK_NS_PER_S),
	    (long)(ns % CLOCK_NS_PER_S) };
}

/*
 * The time ns nanoseconds from now on clock id as an absolute timespec:
 * the deadline pthread_cond_timedwait() takes (id must be the clock of the
 * condition variable: CLOCK_REALTIME unless it was set otherwise).
 */
static inline struct timespec
clock_deadline(clockid_t id, uint64_t ns)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	ts.tv_sec += (time_t)(ns / CLOCK_NS_PER_S);
	ts.tv_nsec += (long)(ns % CLOCK_NS_PER_S);
	if (ts.tv_nsec >= (long)CLOCK_NS_PER_S) {
		ts.tv_sec++;
		ts.tv_nsec -= (long)CLOCK_NS_PER_S;
	}
	return ts;
}

static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * CLOCK_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t
realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/*
 * Both clocks at one instant, as far as can be told: CLOCK_REALTIME read
 * between two readings of CLOCK_MONOTONIC.  Two plain readings can be
 * split by the scheduler (a loaded machine, a VM), and their difference
 * then looks like a step of the wall clock that never happened.  *mono is
 * the first monotonic reading; returns how far the second one is from it,
 * the most by which *wall can be off from the wall clock at *mono.
 */
static inline uint64_t
clock_pair(uint64_t *mono, uint64_t *wall)
{
	uint64_t m0 = mono_ns(), r = realtime_ns(), m1 = mono_ns();

	*mono = m0;
	*wall = r;
	return m1 - m0;
}

#endif
