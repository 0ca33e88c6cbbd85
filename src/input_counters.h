/*
 * input_counters.h - the counters of one input: written by its reader
 * thread (relaxed, counter.h), read by anyone (stats, notify).  Apart
 * from input.h so that the backends below the reader core need not
 * include the core's public face.
 */
#ifndef MTRACECAP_INPUT_COUNTERS_H
#define MTRACECAP_INPUT_COUNTERS_H

#include <stdatomic.h>

struct input_counters {
	atomic_uint_fast64_t	read;		/* passed the filter, queued */
	atomic_uint_fast64_t	filtered;	/* rejected by the filter (where known) */
	atomic_uint_fast64_t	kernel_drops;	/* dropped by the capture source */
	atomic_uint_fast64_t	if_drops;	/* of those, dropped by the
						 * interface (libpcap ps_ifdrop) */
	atomic_uint_fast64_t	queue_full;	/* times the reader waited for room */
	atomic_uint_fast64_t	discarded;	/* read by a fan-out socket before
						 * it joined its group (copies) */
	atomic_uint_fast64_t	reopens;	/* times reopened after a failure */
	atomic_uint_fast64_t	headers_unparsed; /* not understood by the
						 * header parser (pkt_xform) */
};

#endif
