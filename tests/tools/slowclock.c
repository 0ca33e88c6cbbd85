/*
 * slowclock.c - LD_PRELOAD fault injection for rotation.sh: every reading
 * of CLOCK_REALTIME comes SLOWCLOCK_MS (default 200) ms late, as when the
 * scheduler takes the CPU away from a thread between two clock readings
 * on a loaded machine or a VM.  The readings stay true; only the gap
 * between a CLOCK_MONOTONIC reading and the next CLOCK_REALTIME one grows.
 * A -G cadence must not take that gap for a step of the wall clock.
 *
 *	cc -shared -fPIC -o slowclock.so slowclock.c
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts);

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	if (id == CLOCK_REALTIME) {
		const char *ms = getenv("SLOWCLOCK_MS");
		long n = ms != NULL ? strtol(ms, NULL, 10) : 200;
		struct timespec d = { n / 1000, (n % 1000) * 1000000L };

		nanosleep(&d, NULL);
	}
	return (int)syscall(SYS_clock_gettime, id, ts);
}
