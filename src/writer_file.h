/*
 * writer_file.h - the writer's state, shared by writer.c (the loop and
 * the packet path) and writer_file.c (a file's life: open, header,
 * progress, close, replacing a failed one).  Private to those two; the
 * writer's thread only.
 */
#ifndef MTRACECAP_WRITER_FILE_H
#define MTRACECAP_WRITER_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finisher.h"
#include "format.h"
#include "merge.h"
#include "output.h"
#include "retain.h"
#include "rotate.h"
#include "segment.h"
#include "stop_after.h"
#include "writer_setup.h"
#include "writer_sources.h"

/* a failed file is replaced, and a failed open retried, after this */
#define WRITER_REOPEN_DELAY_NS	1000000000ull

struct writer {
	const struct writer_setup *ws;
	const struct config	*cfg;
	const struct rotate_clock *clock;
	struct stats		*stats;
	struct merge		*merge;
	struct queue		**queues;	/* one per stream: merge leaves */
	/* per leaf: its records with raw set can be written as they are
	 * (a pull whose raw_magic is the file format's) */
	bool			*raw;
	bool			*live;
	size_t			*of;		/* leaf -> input */
	size_t			 nleaves;
	bool			 any_live;
	uint64_t		*delivered;	/* per input: to files so far */
	struct rotate_sched	 sched;
	struct writer_sources	 srcs;
	const struct format	*fmt;		/* srcs.fmt */

	struct output		*out;
	bool			 out_ref;	/* output_can_ref(out) at open */
	struct segment		*seg;		/* out's, while out != NULL */
	struct finisher		*finisher;
	struct rotate_file	 file;		/* out, as rotation sees it */
	bool			 header_written;
	uint64_t		 seg_packets;
	uint64_t		 seg_disorders;
	uint64_t		 seg_last_ts;	/* stamp of its last packet */
	uint32_t		 seq;
	uint64_t		 fail_seen;	/* mono ns the output failed, 0 = ok */
	bool			 failed;
	/* the disk bounds (retain.h), NULL: none */
	struct retain		*retain;
	struct retain_gate	 gate;		/* allow_until NULL: no --min-free */
	uint64_t		 handed_base;	/* bytes of the files closed */
	bool			 disk_stopped;	/* --min-free: not writing */
	uint64_t		 disk_lost;	/* packets since the stop */

	struct stop_after	 stop;		/* --stop-after (writer_stop.c) */
	bool			 stop_on;	/* ...any condition given */
};

static inline bool
writer_stop_requested(const struct writer *w)
{
	return atomic_load_explicit(&w->ws->control->stop,
	    memory_order_relaxed);
}

/* writer_file.c */

/* Open the next file, named by name_ns (ns since the epoch) with -B; on
 * failure packets are lost until a retry (logged, w->failed). */
void writer_file_open(struct writer *w, uint64_t name_ns);
/* End the current file (none: no-op): the finisher completes it. */
void writer_file_close(struct writer *w);
/* Write the current file's header (and mark it written). */
int writer_file_header(struct writer *w);
/* format_emit_fn: bytes into the current output. */
int writer_file_emit(void *ctx, const void *bytes, size_t len);
/* Publish the current file's progress and the writer's losses. */
void writer_file_sync(struct writer *w);
/* Has the current output failed? */
bool writer_file_failed(const struct writer *w);
/*
 * --min-free: rec of input would take the total handed to the outputs
 * (at, so far) past the budget, or writing is stopped: wait for room,
 * stop or resume.  True if rec is to be written; false: counted as lost.
 */
bool writer_file_disk(struct writer *w, const struct queue_rec *rec,
    size_t input, uint64_t at);

/* The size of the current file as -S and --stop-after bytes: see it */

/* What the format still writes at its end (its header is out). */
uint64_t writer_file_trailer_bytes(const struct writer *w);
/* What rec of input adds to it. */
uint64_t writer_file_record_bytes(struct writer *w,
    const struct queue_rec *rec, size_t input);
/* What a new file holding only rec would hold (no file's header is out). */
uint64_t writer_file_fresh_bytes(struct writer *w,
    const struct queue_rec *rec, size_t input);

#endif
