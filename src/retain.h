/*
 * retain.h - the disk bounds of -B: --max-files, --max-bytes, --min-free.
 *
 * A thread of its own (mtc-retain) keeps the directory within the bounds
 * by deleting the oldest completed files of this configuration (with
 * their manifests) that are not awaiting delivery; retain_scan.h says
 * which files are candidates and in what order.  It reads the directory
 * and statvfs at start (files of earlier runs count), every
 * RETAIN_EVERY_S seconds, whenever the finisher says a file got its
 * final name (retain_file_done) or someone wakes it (retain_wake, e.g.
 * when a file got delivered), and synchronously before the writer opens a
 * new file (retain_before_file).
 *
 * --max-files: completed files + the one being written <= N (so before a
 * new file opens, N - 1).  --max-bytes: the completed files' bytes + the
 * current file's <= SIZE.  --min-free: the thread publishes a byte
 * budget, the total the writer may have handed to its output until it
 * must ask again (struct retain_gate: one relaxed load per packet); when
 * a record would pass it, the writer waits for one pass of the thread
 * (retain_wait_room), and if there is still no room it stops writing
 * (retain_disk_stop) until the budget has room for a file again
 * (retain_may_resume).  Files awaiting delivery are never deleted: they
 * only keep --max-files and --max-bytes from holding (logged once per
 * episode); only --min-free stops writing.
 */
#ifndef MTRACECAP_RETAIN_H
#define MTRACECAP_RETAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "stats.h"

#define RETAIN_EVERY_S		2	/* the thread's pass without a wake */
#define RETAIN_WAIT_NS		1000000000ull	/* the writer waits a pass */

struct retain;

/* Is the file base (a name in DIR) still awaiting delivery?  Any thread. */
typedef bool (*retain_pending_fn)(void *arg, const char *base);

/*
 * The disk bounds of cfg (-B with --max-files, --max-bytes or
 * --min-free): the first pass over DIR (on the calling thread; it may
 * delete the files of earlier runs), then the thread.  bufsize is the
 * writer's output buffer (what free space may not show yet); first_seq
 * the -N sequence number of the first file; is_pending (NULL: nothing
 * awaits delivery) with arg says which files must stay.  s gets the
 * figures and must outlive the object.  NULL with err[0] == '\0' when cfg
 * has no bound; NULL with err on failure.
 */
struct retain *retain_create(const struct config *cfg, struct stats *s,
    uint64_t bufsize, uint32_t first_seq, retain_pending_fn is_pending,
    void *arg, char *err, size_t errlen);
/* Stop and join the thread, free r.  retain_destroy(NULL) is a no-op. */
void retain_destroy(struct retain *r);
/* Ask for a pass soon (r is a struct retain *; NULL: no-op).  Any thread:
 * the shape of a callback. */
void retain_wake(void *r);

/* Finisher: path got its final name (bytes: its size). */
void retain_file_done(struct retain *r, const char *path, uint64_t bytes);

/*
 * The writer's side of --min-free: it stores into handed the total it
 * has handed to its outputs so far (every file of the run), and may go
 * on while a record keeps that total <= *allow_until.  allow_until is
 * NULL without --min-free (no check).  Relaxed atomics: the numbers, not
 * any data, pass between the threads.
 */
struct retain_gate {
	_Atomic uint64_t	*handed;
	const _Atomic uint64_t	*allow_until;
};
void retain_gate(struct retain *r, struct retain_gate *g);

/*
 * Writer, before it opens path (the next file; handed: its total so far):
 * one pass that makes room for one more file, waited for (at most
 * RETAIN_WAIT_NS).
 */
void retain_before_file(struct retain *r, const char *path, uint64_t handed);
/* Writer: a record would take the total to need: wake the thread, wait
 * for its pass (at most RETAIN_WAIT_NS); is there room now? */
bool retain_wait_room(struct retain *r, uint64_t need);
/* Writer, stopped: has the budget room for a file again? */
bool retain_may_resume(struct retain *r);
/* Writer: it stopped writing (logged, in the statistics). */
void retain_disk_stop(struct retain *r);
/* Writer: it writes again; lost packets were not written meanwhile. */
void retain_disk_resume(struct retain *r, uint64_t lost);

#endif
