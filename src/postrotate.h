/*
 * postrotate.h - the --post-rotate hook (like tcpdump -z).
 *
 * After a file gets its final name, COMMAND runs with that name as its
 * last argument, in the background: capture never waits for it.  No
 * shell; stdin is /dev/null, stdout and stderr are ours; only fds 0-2
 * are inherited; the environment is a fixed minimal one.  Failures are
 * logged with the exit status.  Children are reaped as they end.
 */
#ifndef MTRACECAP_POSTROTATE_H
#define MTRACECAP_POSTROTATE_H

#include <stdbool.h>
#include <stddef.h>

struct postrotate;

/* path: resolved executable; argv: its words (not owned, must outlive). */
struct postrotate *postrotate_create(const char *path, char *const *argv,
    char *err, size_t errlen);
/* Start the hook for file (does not wait).  Run, reap and busy may be
 * called from several threads at once. */
void postrotate_run(struct postrotate *pr, const char *file);
/* Reap hooks that ended, logging failures; never blocks. */
void postrotate_reap(struct postrotate *pr);
/* Are hooks running (not reaped yet)?  false for NULL. */
bool postrotate_busy(const struct postrotate *pr);
/*
 * Wait up to timeout_s seconds for running hooks, then free pr (hooks
 * still running are left to finish on their own, detached, like the
 * children of tcpdump -z; each is logged with its pid).
 * postrotate_destroy(NULL, ...) is a no-op.
 */
void postrotate_destroy(struct postrotate *pr, unsigned timeout_s);

#endif
