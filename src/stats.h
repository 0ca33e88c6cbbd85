/*
 * stats.h - what was read, dropped, filtered, written and lost.
 *
 * Reader-side counters live in each input (atomics); the writer-side ones
 * here are owned by the merger/writer thread.  Every packet that entered
 * a queue ends up counted as written or as lost.
 */
#ifndef MTRACECAP_STATS_H
#define MTRACECAP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"

struct stats {
	size_t		 n;
	struct input *const *inputs;
	uint64_t	*written;	/* per input, whole run */
	uint64_t	*unfit;		/* per input: link type the file cannot hold */
	uint64_t	*seg_written;	/* per input, current file */
	uint64_t	*seg_drops_base;/* kernel drops when the file began */
	uint64_t	 lost;		/* packets an output could not take */
	uint64_t	 files;
	uint64_t	 disorders;
};

int stats_init(struct stats *s, struct input *const *inputs, size_t n);
void stats_destroy(struct stats *s);

static inline void
stats_written(struct stats *s, size_t input)
{
	s->written[input]++;
	s->seg_written[input]++;
}

/* A new file begins: reset the per-file counters. */
void stats_segment_begin(struct stats *s);
/* -v: one line for the file, one per input. */
void stats_segment_report(struct stats *s, const char *name,
    uint64_t packets, uint64_t bytes, uint64_t disorders);
/* At exit, always: one line per input and a total. */
void stats_final_report(const struct stats *s);
/* Sum of packets written / not written (lost + unfit). */
uint64_t stats_total_written(const struct stats *s);
uint64_t stats_total_lost(const struct stats *s);

#endif
