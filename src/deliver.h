/*
 * deliver.h - at-least-once delivery of completed files to --post-rotate.
 *
 * The queue of undelivered files, oldest first, on a thread of its own
 * (mtc-deliver).  Each file's hook (postrotate.h) starts oldest first, at
 * most DELIVER_JOBS at once and never two for one file; one that fails
 * (exit status not 0, a signal, --post-rotate-timeout) is retried after
 * 10 s, then 20 s, 40 s... up to 10 min between tries, for ever.  Capture
 * never waits for a hook.
 *
 * With -B the queue survives restarts in DIR's state file
 * (deliver_state.h): a file is recorded there before it gets its final
 * name (deliver_prepare), so that after a crash at any moment the next
 * run finds it pending and delivers it again, oldest first, before
 * anything new.  A run that ends while a hook runs or a retry waits
 * leaves the file pending: delivery is at least once, not exactly once.
 * Without -B (one output file) the queue lives in memory only.
 *
 * Every function takes NULL for d (no -B, no --post-rotate): nothing is
 * pending, nothing is delivered.
 */
#ifndef MTRACECAP_DELIVER_H
#define MTRACECAP_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "stats.h"

#define DELIVER_JOBS		8	/* hooks at once, at most */

struct deliver;

struct deliver_setup {
	const char	*dir;		/* -B's directory; NULL: no state */
	const char	*ext;		/* --file-ext ("" or NULL: none) */
	const char	*hook_path;	/* resolved command, NULL: no hook */
	char *const	*hook_argv;	/* its words (must outlive d) */
	unsigned	 timeout_s;	/* --post-rotate-timeout */
};

/*
 * Main thread, before the writer and recovery start: load the state file
 * of ds->dir.  Every name listed that is in DIR is queued, in the file's
 * order; one that is gone is forgotten (one log line each) unless DIR
 * still has its temp file tmp-<pid>-NAME (recovery will place it); with
 * names pending but no hook, one warning says they stay.  Returns d, or
 * NULL with err (a corrupt or unreadable state file, left untouched).
 */
struct deliver *deliver_create(const struct deliver_setup *ds, char *err,
    size_t errlen);

/*
 * Start the delivery thread (after privileges are dropped: hooks run as
 * we run then).  0, or -1 with err.  With no hook there is no thread: a
 * state that changed at load is saved here, on the caller's thread.
 */
int deliver_start(struct deliver *d, char *err, size_t errlen);

/*
 * path is to get its final name (output's before-place step, recovery
 * before its rename): record its base name pending and save the state
 * before returning.  0, or -1 when the state could not be saved (logged
 * once per failing episode; the file is still delivered by this run).
 * No-op 0 without a hook or a state.  Any thread but the delivery one.
 */
int deliver_prepare(struct deliver *d, const char *path);

/*
 * After the rename: want (what deliver_prepare was given, NULL if it was
 * not called) was placed as placed ("" if it was not); ok when placed is
 * a complete regular file to deliver.  Queues placed for delivery, and
 * corrects the state if it differs from want (or drops want if !ok).
 * Any thread but the delivery one.
 */
void deliver_placed(struct deliver *d, const char *want, const char *placed,
    bool ok);

/* Is base (a name in DIR) awaiting delivery?  Any thread; false for NULL. */
bool deliver_is_pending(struct deliver *d, const char *base);

/*
 * fn(arg) is called (on the delivery thread, no lock held) after a file
 * got delivered and the state saved: the disk bounds may delete it now.
 * Any thread; fn NULL: none.
 */
void deliver_set_on_delivered(struct deliver *d, void (*fn)(void *),
    void *arg);

/* The figures for the statistics (stats_set_delivery); NULL for NULL. */
const struct stats_delivery *deliver_stats(const struct deliver *d);

/*
 * Main thread, once nothing calls deliver_prepare/placed any more: start
 * the hooks of the files not tried yet, wait up to wait_s seconds for
 * running hooks (no retries now), then leave the rest running (logged
 * with their pids) and pending, save, and end the thread.  The figures
 * stay readable until deliver_destroy.  Idempotent.
 */
void deliver_stop(struct deliver *d, unsigned wait_s);

/* deliver_stop(d, 0) if not stopped, and free d.  NULL is a no-op. */
void deliver_destroy(struct deliver *d);

#endif
