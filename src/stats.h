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
 * progress of the file being written), the finisher (completed files),
 * and any thread that reads (the control thread's STATUS line and
 * --metrics-file, the metrics HTTP thread, the control socket) while both
 * run.  The shared figures sit under one
 * mutex: each change (the writer's per batch of packets and per file, the
 * finisher's per file) and each stats_snapshot() is one critical section,
 * so a snapshot's figures agree with each other (a completed file moves
 * from the live counts to written and lost at one instant).  The writer
 * counts its losses per packet in fields of its own (w_*, no lock, no
 * locked instruction) and publishes them with its next batch.
 */
#ifndef MTRACECAP_STATS_H
#define MTRACECAP_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "segment.h"

struct input;		/* input.h: stats read its counters, never its stream */

/* The fates of one input's packets, as far as known. */
struct stats_fates {
	uint64_t	 written;	/* in completed files */
	uint64_t	 lost;		/* not written (failures, no file) */
	uint64_t	 unfit;		/* link type the file cannot hold */
	uint64_t	 bytes;		/* captured bytes of the written ones
					 * (pro rata in a file that lost some) */
};

struct stats {
	size_t		 n;
	struct input *const *inputs;

	pthread_mutex_t	 lock;
	bool		 lock_ok;	/* lock initialised */
	/* under lock */
	struct stats_fates *fates;	/* per input */
	uint64_t	 files;		/* files that got their final names */
	uint64_t	 files_failed;	/* could not be opened, or a write,
					 * compressor or close failed */
	uint64_t	 file_bytes;	/* bytes in the files counted in files */
	uint64_t	 lost_nofile;	/* of fates.lost: no file was open */
	uint64_t	 last_done_ns;	/* wall clock the last file got its
					 * final name, 0: none yet */
	uint64_t	 disorders;	/* published by the writer */
	uint64_t	 live_written;	/* handed to the kernel, in any file */
	uint64_t	 live_lost;	/* lost so far (without unfit) */
	bool		 name_current;	/* name is being written */
	char		 name[256];	/* file name, no directory */

	struct stats_snapshot *report;	/* room for stats_final_report */

	/* writer thread only: counted, not published yet */
	struct stats_fates *w_fates;	/* per input: lost and unfit */
	uint64_t	 w_nofile;	/* of w_fates' lost: no file open */
	bool		 w_pending;
};

/* One consistent reading of every counter (stats_snapshot). */
struct stats_snapshot_input {
	struct stats_fates fates;
	/* the input's own counters, read in the same critical section (its
	 * reader thread changes them without the lock) */
	uint64_t	 read;
	uint64_t	 kernel_drops;
	uint64_t	 filtered;
	bool		 filtered_known;
	bool		 failed;	/* meaningful after input_join() */
	bool		 reopens_known;	/* it reopens after failure (live) */
	uint64_t	 discarded;	/* fan-out copies from before a join */
	uint64_t	 reopens;
	bool		 parses_headers; /* --headers-only, anonymisation */
	uint64_t	 headers_unparsed; /* ...packets not understood */
	uint64_t	 gaps;
	uint64_t	 gap_ns;	/* their length (an open one so far) */
	uint64_t	 if_drops;	/* of kernel_drops: by the interface */
	bool		 up;		/* not failed, no gap open */
	uint64_t	 queue_bytes;	/* its queues hold now... */
	uint64_t	 queue_capacity;	/* ...of this many bytes */
};

struct stats_snapshot {
	size_t		 n;
	struct stats_snapshot_input *in;	/* n of them (0: totals only) */
	/* sums over every input */
	uint64_t	 written;	/* fates.written */
	uint64_t	 lost;		/* fates.lost + fates.unfit */
	uint64_t	 unfit;		/* fates.unfit */
	uint64_t	 kernel_drops;
	uint64_t	 files;
	uint64_t	 disorders;
	uint64_t	 live_written;	/* also in files not yet completed */
	uint64_t	 live_lost;	/* ...and without unfit */
	bool		 any_reopens;	/* an input reopens (a live one) */
	uint64_t	 files_failed;
	uint64_t	 file_bytes;	/* bytes in completed files */
	uint64_t	 lost_nofile;	/* of lost: no file was open */
	uint64_t	 lost_output;	/* of lost: a write, compressor or
					 * rename failed (lost - unfit - nofile) */
	uint64_t	 last_done_ns;	/* last file completed, 0: none */
	uint64_t	 gaps, reopens;
	bool		 name_current;
	char		 name[256];
};

int stats_init(struct stats *s, struct input *const *inputs, size_t n);
void stats_destroy(struct stats *s);

/*
 * A snapshot with room for s's inputs, to fill with stats_snapshot(); NULL
 * when out of memory.  stats_snapshot_destroy(NULL) is a no-op.
 */
struct stats_snapshot *stats_snapshot_create(const struct stats *s);
void stats_snapshot_destroy(struct stats_snapshot *snap);
/* Read every counter at one instant into out (from _create).  Any thread. */
void stats_snapshot(struct stats *s, struct stats_snapshot *out);

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
 * Writer, per batch: publish what it counted itself and that the output
 * of seg (NULL: no file open) has now handed `kept` packets to the kernel
 * and lost `lost` (totals for the file).
 */
void stats_segment_progress(struct stats *s, struct segment *seg,
    uint64_t kept, uint64_t lost);
/* Writer, at its end: publish the rest and the merger's disorders. */
void stats_writer_done(struct stats *s, uint64_t disorders);
/*
 * Finisher, after output_close(): charge seg to the totals per input
 * (written = seg->kept, lost = the rest of seg->given), count the file if
 * it got its final name and, with -v, report it under that name.
 */
void stats_segment_done(struct stats *s, struct segment *seg,
    const struct output_result *res);
/* At exit, always: one line per input and a total. */
void stats_final_report(struct stats *s);
/* Sum of packets written / not written (lost + unfit). */
uint64_t stats_total_written(struct stats *s);
uint64_t stats_total_lost(struct stats *s);
/*
 * One line for systemd's STATUS= (control.c): packets written, lost,
 * dropped by the kernel, files, the file being written (or the last one).
 * Any thread, while the writer runs.
 */
void stats_live_status(struct stats *s, char *buf, size_t len);

#endif
