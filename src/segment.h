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

#include <stddef.h>
#include <stdint.h>

struct segment {
	size_t		 n;		/* inputs */
	uint64_t	*given;		/* per input: packets handed to the output */
	uint64_t	*kept;		/* per input: of those, now in the file */
	uint64_t	*drops;		/* per input: kernel drops at open, then
					 * during the file (at hand-over) */
	uint64_t	 disorders;
	/* already shown in the live counters (stats_segment_progress) */
	uint64_t	 kept_seen;
	uint64_t	 lost_seen;
};

/* A zeroed segment for n inputs; NULL when out of memory. */
struct segment *segment_create(size_t n);
/* segment_destroy(NULL) is a no-op. */
void segment_destroy(struct segment *seg);

#endif
