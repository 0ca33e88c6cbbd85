/*
 * ctlsock.h - --control=PATH: the control socket (a unix stream socket
 * speaking ctlproto.h's lines, its commands run by ctlcmd.c) on the
 * control thread.
 *
 * Order of use (main thread): ctlsock_open() after control_init() and
 * before control_start() (it adds its descriptor to the loop); then
 * ctlsock_ready() once the statistics and the sessions exist;
 * ctlsock_close() after control_finish() (the control thread is gone).
 */
#ifndef MTRACECAP_CTLSOCK_H
#define MTRACECAP_CTLSOCK_H

#include <stddef.h>

#define CTLSOCK_DEFAULT_PATH	"/run/mtracecap/control"	/* mtracecapctl's */

struct control;
struct ctlsock;
struct sessions;
struct stats;

struct ctlsock_setup {
	const char	*path;		/* --control */
	const char	*group;		/* --control-group, or NULL */
	const char	*run_user;	/* --relinquish-privileges, or NULL */
};

/*
 * Create the socket at setup->path (never following a link: a dead run's
 * socket is replaced, a live one's or anything else there refused),
 * mode 0660, owned by the run user and the group, listening; add it to
 * ctl's loop.  Returns the socket, or NULL with err naming the path, the
 * group or the user.
 */
struct ctlsock *ctlsock_open(struct control *ctl,
    const struct ctlsock_setup *setup, char *err, size_t errlen);

/* The figures the commands read from now on (sessions may be NULL). */
void ctlsock_ready(struct ctlsock *cs, struct stats *stats,
    struct sessions *sessions);

/*
 * Once privileges are dropped: warn if the socket's directory does not
 * let this user remove it at exit (then the next run replaces it).
 */
void ctlsock_check_removable(const struct ctlsock *cs);

/* Close every client and the socket, remove its file if it is still
 * ours.  ctlsock_close(NULL) is a no-op. */
void ctlsock_close(struct ctlsock *cs);

#endif
