/*
 * input_reopen.c - a live stream whose source failed: its gap and its
 * reopening (input_reopen(), declared in input_backend.h).
 *
 * DESIGN
 * - Runs on the stream's reader thread, after its read op returned -1
 *   (or before the first read when its interface did not exist yet,
 *   --wait-for-inputs).  What was queued is handed over first; the queue
 *   stays open, so the merge treats the stream as an idle live input and
 *   holds the others back by maxwait at most.
 * - The reopen itself runs on the opener thread (opener.c), the only one
 *   that may still hold CAP_NET_RAW/CAP_NET_ADMIN; the reader waits for
 *   it.  Between tries the reader sleeps (0.5 s doubling to 30 s, as
 *   Suricata's 0.5 s retry, but backing off) in slices of
 *   CLOCK_STOP_LATENCY_NS so that a stop is seen at once: nothing is
 *   polled, so a missing interface costs no CPU.
 * - The source's gap (input_gap.c) begins when its first stream goes
 *   down and ends when the last is back; both are logged, once each.
 */
#include "config.h"

#include <inttypes.h>
#include <time.h>

#include "clock.h"
#include "input_backend.h"
#include "opener.h"

#define REOPEN_FIRST_NS	(500ull * CLOCK_NS_PER_MS)
#define REOPEN_MAX_NS	(30000ull * CLOCK_NS_PER_MS)

struct reopen_job {
	struct input_stream	*st;
	char			 err[256];
};

/* On the opener thread. */
static int
reopen_job(void *arg)
{
	struct reopen_job *j = arg;

	j->err[0] = '\0';
	return j->st->ops->reopen(j->st, j->err, sizeof(j->err));
}

/* Sleep ns unless told to stop first: true if slept it all. */
static bool
backoff(const struct input_stream *st, uint64_t ns)
{
	uint64_t until = mono_ns() + ns, now;

	while (!input_stream_stopping(st) && (now = mono_ns()) < until) {
		uint64_t left = until - now;
		struct timespec ts;

		if (left > CLOCK_STOP_LATENCY_NS)
			left = CLOCK_STOP_LATENCY_NS;
		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		(void)nanosleep(&ts, NULL);
	}
	return !input_stream_stopping(st);
}

bool
input_reopen(struct input_stream *st)
{
	struct input *in = st->src;
	struct reopen_job j = { .st = st };
	uint64_t delay = REOPEN_FIRST_NS, len;

	queue_publish(st->q);
	st->batch = 0;
	if (input_gaps_down(&in->gaps, realtime_ns())) {
		if (st->absent)
			log_warn("input '%s': no such interface; waiting for "
			    "it (--wait-for-inputs)", in->uri);
		else
			log_warn("input '%s' is down: %s; reopening it, the "
			    "other inputs continue", in->uri, st->why);
	}
	for (;;) {
		if (!backoff(st, delay))
			return false;
		if (opener_run(reopen_job, &j) == 0)
			break;
		log_debug("input '%s': reopen failed: %s", in->uri, j.err);
		delay = delay * 2 < REOPEN_MAX_NS ? delay * 2 : REOPEN_MAX_NS;
	}
	st->absent = false;
	counter_inc(&st->c.reopens);
	if (input_gaps_up(&in->gaps, realtime_ns(), &len)) {
		uint64_t reopens = 0;	/* the source's: every stream's */

		for (size_t k = 0; k < in->nstreams; k++)
			reopens += atomic_load_explicit(
			    &in->streams[k].c.reopens, memory_order_relaxed);
		log_warn("input '%s' is back after %" PRIu64 ".%02" PRIu64
		    " s (reopen %" PRIu64 ")", in->uri, len / 1000000000u,
		    len % 1000000000u / 10000000u, reopens);
	}
	return true;
}
