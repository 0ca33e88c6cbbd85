/*
 * input_gap.h - the gaps of one source: spans of wall-clock time when
 * one of its streams could not capture (its interface went away, a read
 * failed, or it did not exist yet under --wait-for-inputs), from the
 * moment the first of its streams went down until every one is back.
 * Written by the source's reader threads, read by the statistics (per
 * file and at exit); one mutex, taken twice per gap and once per file.
 */
#ifndef MTRACECAP_INPUT_GAP_H
#define MTRACECAP_INPUT_GAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INPUT_GAP_KEEP	64	/* gaps remembered per source (the latest) */

struct input_gap {
	uint64_t	 start_ns;	/* wall clock, ns since the epoch */
	uint64_t	 end_ns;	/* 0: still down */
};

struct input_gaps {
	pthread_mutex_t	 lock;
	bool		 lock_ok;
	/* under lock */
	unsigned	 down;		/* streams down now */
	uint64_t	 count;		/* gaps begun since the start */
	uint64_t	 closed_ns;	/* length of the gaps that ended */
	struct input_gap last[INPUT_GAP_KEEP];	/* gap i at i % KEEP */
};

/* 0, or -1 (the mutex could not be made). */
int input_gaps_init(struct input_gaps *g);
/* After input_gaps_init() (or a zeroed struct): frees the mutex. */
void input_gaps_destroy(struct input_gaps *g);

/* A stream went down at now_ns.  True when the source's gap begins
 * (no other stream was down). */
bool input_gaps_down(struct input_gaps *g, uint64_t now_ns);
/* A stream is back at now_ns.  True when the gap ends (every stream is
 * up), with its length in *len_ns. */
bool input_gaps_up(struct input_gaps *g, uint64_t now_ns, uint64_t *len_ns);

/*
 * The remembered gaps that overlap [from_ns, to_ns], oldest first, into
 * out (max at most); returns how many there are (may exceed max: the
 * rest are not copied).
 */
size_t input_gaps_between(struct input_gaps *g, uint64_t from_ns,
    uint64_t to_ns, struct input_gap *out, size_t max);

/* Whether a gap is open now (a stream is down). */
bool input_gaps_open(struct input_gaps *g);

/* Totals so far: gaps begun, their length (an open one up to now_ns). */
void input_gaps_totals(struct input_gaps *g, uint64_t now_ns,
    uint64_t *count, uint64_t *len_ns);

#endif
