/*
 * clock.h - the two clocks, in nanoseconds.
 *
 * CLOCK_MONOTONIC for timeouts and delays; CLOCK_REALTIME where a time is
 * compared with packet stamps or names a file.
 */
#ifndef MTRACECAP_CLOCK_H
#define MTRACECAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

#endif
