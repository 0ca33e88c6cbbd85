/*
 * pull.h - a merge leaf that the merging thread reads itself.
 *
 * Most inputs are read by a thread of their own into a queue (queue.h),
 * which the merger drains.  An input that never waits and needs nothing
 * done per packet (a regular, uncompressed classic pcap file without a
 * filter: input_pcapmap.c) is cheaper read in place by the merger: no
 * thread, no queue, no copy.  Such an input is a pull: the merger asks it
 * for its next record when it needs one (merge_set_pull, merge.h).
 */
#ifndef MTRACECAP_PULL_H
#define MTRACECAP_PULL_H

#include <stdint.h>

#include "queue.h"

struct pull {
	/*
	 * The next record, or NULL once there is none (the end of the
	 * input, a failure it logged, or the stop flag): never "none yet".
	 * The record itself is valid until the next call; the bytes it
	 * points at (data, raw) stay valid and unchanged until the input
	 * is destroyed (input_destroy), so an output may write them from
	 * there long after.
	 */
	const struct queue_rec *(*next)(struct pull *p);
	/* The classic pcap magic (PCAPFILE_MAGIC_US or _NS) of the records
	 * it gives with raw set; 0 when it gives none. */
	uint32_t	raw_magic;
};

#endif
