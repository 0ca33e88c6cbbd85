/*
 * merge.h - k-way merge of the input queues in timestamp order.
 *
 * Order is by (timestamp, input index): ties go to the input named first
 * on the command line, and each input's own order is kept, which is
 * exactly libtrace's tracemerge.  File inputs are merged exactly (the
 * merger waits for every file input to have a packet or end).  A live
 * input that has nothing queued holds the others back only while the
 * oldest waiting packet is younger than maxwait: a packet is released once
 * min(its timestamp, the time the merger first saw it) + maxwait has
 * passed (in batches: up to min(maxwait, 1 ms) later, never earlier).  A
 * late packet is still emitted and flagged as a disorder.  If the clock
 * is stepped back below a waiting packet's first sighting, the packet is
 * released at once rather than held for as long as the step.
 */
#ifndef MTRACECAP_MERGE_H
#define MTRACECAP_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pull.h"
#include "queue.h"

struct merge;

/* Clock used for maxwait decisions: ns since the epoch (CLOCK_REALTIME). */
typedef uint64_t (*merge_clock_fn)(void *arg);

enum merge_status {
	MERGE_PACKET = 0,	/* *rec is the next packet */
	MERGE_TIMEOUT,		/* nothing could be released before the deadline */
	MERGE_END,		/* every input finished and was drained */
};

/*
 * Build a merger over n queues; live[i] says whether input i is a live
 * capture (true) or a file (false).  waiter is the consumer waiter every
 * queue was created with.  clock may be NULL for CLOCK_REALTIME.
 * Returns NULL with err filled.  merge_destroy(NULL) is a no-op; the
 * queues are not owned.
 */
struct merge *merge_create(struct queue *const *queues, const bool *live,
    size_t n, uint64_t maxwait_ns, struct queue_waiter *waiter,
    merge_clock_fn clock, void *clock_arg, char *err, size_t errlen);
void merge_destroy(struct merge *m);

/*
 * Leaf i (its queues[i] NULL) is p, which the merger reads itself
 * (pull.h): it never waits for it, and never sleeps for it.  Before the
 * first merge_next().
 */
void merge_set_pull(struct merge *m, size_t i, struct pull *p);

/*
 * Next packet in order, waiting at most until deadline_ns (same clock as
 * above; 0 = do not wait; a clock stepped back during the wait ends it,
 * MERGE_TIMEOUT).  On MERGE_PACKET *rec and *input are set and
 * the record stays valid until merge_release(); *disorder says that an
 * earlier-stamped packet than one already emitted was emitted now.
 * Call from the merger/writer thread only.
 */
enum merge_status merge_next(struct merge *m, uint64_t deadline_ns,
    const struct queue_rec **rec, size_t *input, bool *disorder);
/* Release the packet returned by merge_next(). */
void merge_release(struct merge *m);

/* Total disorders seen so far. */
uint64_t merge_disorders(const struct merge *m);

/* Default clock: CLOCK_REALTIME in ns. */
uint64_t merge_clock_realtime(void *arg);

#endif
