/*
 * opener.h - the one thread that may open live sources once every other
 * thread gave up its privileges (reopening an interface that went away
 * needs CAP_NET_RAW, and CAP_NET_ADMIN for promiscuous mode and fan-out).
 */
#ifndef MTRACECAP_OPENER_H
#define MTRACECAP_OPENER_H

#include <stddef.h>

/*
 * Main thread, while it still holds what opening needs (before
 * privs_drop and privs_drop_caps): start the opener thread ("mtc-opener"),
 * which keeps its capabilities across the drop (PR_SET_KEEPCAPS).
 * 0, or -1 with err.
 */
int opener_start(char *err, size_t errlen);

/*
 * Main thread, once the others dropped theirs: the opener keeps only
 * CAP_NET_RAW and CAP_NET_ADMIN, permitted and not effective, raising
 * them only while it opens.  Root (no --relinquish-privileges) keeps
 * root, as every thread does.  No opener: nothing to do.  0, or -1 with
 * err.
 */
int opener_restrict(char *err, size_t errlen);

/*
 * Any thread: run fn(arg) on the opener thread with its capabilities
 * raised, waiting for it; fn must not block for long (it opens).
 * Returns what fn returned.  Without an opener (none started, or
 * stopped), fn runs on the calling thread.
 */
int opener_run(int (*fn)(void *arg), void *arg);

/* Main thread, after every reader is joined: end the thread. */
void opener_stop(void);

#endif
