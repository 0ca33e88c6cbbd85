/*
 * stats.h - what was read, dropped, filtered, written and lost.
 *
 * Reader-side counters live in each input (atomics); the writer-side ones
 * here are owned by the merger/writer thread.  Every packet that entered
 * a queue ends up counted as written or as lost.
 *
 * The notify thread (notify.c) reads a live summary while the writer runs:
 * live_written and files have a single writer (the writer thread) and
 * are read relaxed; lost and unfit[] are atomics, so the writer's plain
 * "++" on them is an atomic increment (rare: only on failures); the file
 * name is copied under name_lock (once per file, never per packet).
 */
#ifndef MTRACECAP_STATS_H
#define MTRACECAP_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "input.h"

struct stats {
	size_t		 n;
	struct input *const *inputs;
	uint64_t	*written;	/* per input, whole run */
	atomic_uint_fast64_t *unfit;	/* per input: link type the file cannot hold */
	uint64_t	*seg_written;	/* per input, current file */
	uint64_t	*seg_drops_base;/* kernel drops when the file began */
	atomic_uint_fast64_t lost;	/* packets an output could not take */
	atomic_uint_fast64_t files;	/* completed files */
	uint64_t	 disorders;

	/* for stats_live_status() */
	atomic_uint_fast64_t live_written;	/* sum of written[] */
	pthread_mutex_t	 name_lock;
	bool		 name_ok;		/* name_lock initialised */
	bool		 name_current;		/* name is being written */
	char		 name[256];		/* file name, no directory */
};

int stats_init(struct stats *s, struct input *const *inputs, size_t n);
void stats_destroy(struct stats *s);

static inline void
stats_written(struct stats *s, size_t input)
{
	s->written[input]++;
	s->seg_written[input]++;
	counter_inc(&s->live_written);
}

/* A new file begins: reset the per-file counters. */
void stats_segment_begin(struct stats *s);
/* The writer names the file it now writes (path, or NULL: none open). */
void stats_segment_name(struct stats *s, const char *path);
/* -v: one line for the file, one per input. */
void stats_segment_report(struct stats *s, const char *name,
    uint64_t packets, uint64_t bytes, uint64_t disorders);
/* At exit, always: one line per input and a total. */
void stats_final_report(const struct stats *s);
/* Sum of packets written / not written (lost + unfit). */
uint64_t stats_total_written(const struct stats *s);
uint64_t stats_total_lost(const struct stats *s);
/*
 * One line for systemd's STATUS= (notify.c): packets written, lost,
 * dropped by the kernel, files, the file being written (or the last one).
 * Any thread, while the writer runs.
 */
void stats_live_status(struct stats *s, char *buf, size_t len);

#endif
