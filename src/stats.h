/*
 * stats.h - what was read, dropped, filtered, written and lost.
 *
 * Reader-side counters live in each input (atomics); the ones here count
 * what became of the packets the writer took from the queues.  Every
 * packet that entered a queue ends up counted, for its input, as written
 * (it is in a file that has its final name) or as lost, and only once its
 * fate is known: a file's packets are charged when the finisher has
 * completed it (stats_segment_done), so per input written + lost = read.
 *
 * Threads: the writer (losses without a file, unfit packets, live
 * progress of the file being written), the finisher (completed files)
 * and the notify thread, which reads a live summary while both run.
 * Every counter here is an atomic: those with one writing thread use
 * counter.h (no locked instruction); those that both the writer and the
 * finisher change use a relaxed fetch-add, which only happens per
 * flush, per file or per lost packet, never per packet written.  The
 * file name is copied under name_lock (once per file).
 */
#ifndef MTRACECAP_STATS_H
#define MTRACECAP_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "output.h"
#include "segment.h"

struct input;		/* input.h: stats read its counters, never its stream */

struct stats {
	size_t		 n;
	struct input *const *inputs;
	atomic_uint_fast64_t *written;	/* per input: in completed files (finisher) */
	atomic_uint_fast64_t *lost;	/* per input: not written (writer, finisher) */
	atomic_uint_fast64_t *unfit;	/* per input: link type the file cannot hold */
	atomic_uint_fast64_t files;	/* files that got their final names */
	uint64_t	 disorders;	/* set by the writer at its end */

	/* for stats_live_status(), both changed by writer and finisher */
	atomic_uint_fast64_t live_written;	/* handed to the kernel, in any file */
	atomic_uint_fast64_t live_lost;		/* lost so far (without unfit) */
	pthread_mutex_t	 name_lock;
	bool		 name_ok;		/* name_lock initialised */
	bool		 name_current;		/* name is being written */
	char		 name[256];		/* file name, no directory */
};

int stats_init(struct stats *s, struct input *const *inputs, size_t n);
void stats_destroy(struct stats *s);

/* Writer: a packet of input that could not go into a file (none open). */
void stats_lost_nofile(struct stats *s, size_t input);
/* Writer: a packet of input whose link type the file cannot hold. */
void stats_unfit(struct stats *s, size_t input);

/* Writer: a file opens (path) or fails to open (NULL); seg (may be NULL)
 * gets the kernel drops so far. */
void stats_segment_open(struct stats *s, struct segment *seg,
    const char *path);
/* Writer: the file is handed to the finisher; seg->drops becomes the
 * drops during the file. */
void stats_segment_handover(struct stats *s, struct segment *seg);
/*
 * Writer: the output has now handed `kept` packets of seg to the kernel
 * and lost `lost` (totals for the file): shown live at once.
 */
void stats_segment_progress(struct stats *s, struct segment *seg,
    uint64_t kept, uint64_t lost);
/*
 * Finisher, after output_close(): charge seg to the totals per input
 * (written = seg->kept, lost = the rest of seg->given), count the file if
 * it got its final name and, with -v, report it under that name.
 */
void stats_segment_done(struct stats *s, struct segment *seg,
    const struct output_result *res);
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
