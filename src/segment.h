/*
 * segment.h - one output file on its way from the writer to its final name.
 *
 * The writer creates a segment when it opens a file and counts into it
 * what it hands to the output; the output counts what reached the file
 * (kept); the finisher completes the file and only then charges the
 * segment to the statistics (stats_segment_done): per input, the packets
 * kept are written and the others lost, so every figure printed is true
 * of files that have their final names.  A segment belongs to one thread
 * at a time (the writer, then the finisher after the hand-over).
 */
#ifndef MTRACECAP_SEGMENT_H
#define MTRACECAP_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input_gap.h"

/* What one input's counters read (input_counters.h), cumulative since it
 * started. */
struct segment_counts {
	uint64_t	read;		/* passed the filter */
	uint64_t	filtered;	/* rejected by it (if known) */
	uint64_t	kernel_drops;	/* all the source dropped... */
	uint64_t	if_drops;	/* ...of which the interface */
};

struct segment {
	size_t		 n;		/* inputs */
	uint64_t	*given;		/* per input: packets handed to the output */
	uint64_t	*kept;		/* per input: of those, now in the file */
	uint64_t	*drops;		/* per input: kernel drops at open, then
					 * during the file (at hand-over) */
	uint64_t	*bytes;		/* per input: captured bytes handed over */
	/* per input: packets handed to files since the start, this one's
	 * included (pcapng isb_usrdeliv); set at hand-over */
	uint64_t	*delivered;
	struct segment_counts *at_open;	/* per input: when the file opened */
	struct segment_counts *at_close; /* per input: at hand-over */
	/* per input: the gaps that overlapped the file (at hand-over):
	 * ngaps[i] of them at gaps + i * INPUT_GAP_KEEP; end_ns 0: still
	 * down then */
	size_t		*ngaps;
	struct input_gap *gaps;
	uint64_t	 disorders;
	uint64_t	 packets;	/* all inputs: handed to the output */
	uint64_t	 first_ts_ns;	/* packet times, if packets > 0 */
	uint64_t	 last_ts_ns;
	uint64_t	 open_wall_ns;	/* wall clock, ns since the epoch */
	uint64_t	 close_wall_ns;	/* at hand-over */
	uint32_t	 seq;		/* -N sequence number... */
	bool		 has_seq;	/* ...if the file has one */
	/* already shown in the live counters (stats_segment_progress) */
	uint64_t	 kept_seen;
	uint64_t	 lost_seen;
};

/* A zeroed segment for n inputs; NULL when out of memory. */
struct segment *segment_create(size_t n);
/* segment_destroy(NULL) is a no-op. */
void segment_destroy(struct segment *seg);

#endif
