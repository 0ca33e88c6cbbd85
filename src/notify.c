/*
 * notify.c - systemd's notification protocol (sd_notify(3)), Type=notify.
 *
 * DESIGN
 * - The protocol only: a datagram to the AF_UNIX address in NOTIFY_SOCKET
 *   (a path, or "@name" for the abstract namespace), lines of VAR=value.
 *   The receiver learns our pid from the kernel (SCM_CREDENTIALS).
 * - The send never waits (MSG_DONTWAIT): libsystemd's sd_notify() blocks
 *   while the receiver's queue is full, and the one thread that sends
 *   (control.c's) must always be free to act on a stop signal.  A full
 *   queue is NOTIFY_BUSY for the caller to retry or report; every other
 *   failure is logged once and forgotten: nothing here stops a capture.
 * - libsystemd still reads WATCHDOG_USEC and WATCHDOG_PID for us
 *   (sd_watchdog_enabled()), exactly as systemd means them.
 * - Built --with-systemd=no (or without libsystemd found by configure),
 *   HAVE_LIBSYSTEMD is undefined and notify_init() leaves the module off:
 *   no message is ever sent, whatever the environment says.  A Type=notify
 *   unit then never becomes ready: use Type=simple.
 * - Called by one thread at a time (control.c's, or main before that
 *   thread starts); no state outside the struct notify.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

/* The socket address of NOTIFY_SOCKET; addrlen stays 0 if it names none. */
static void
parse_address(struct notify *n, const char *e)
{
	size_t len = strlen(e);

	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.sun_family = AF_UNIX;
	n->addrlen = 0;
	if ((e[0] != '/' && e[0] != '@') || len < 2 ||
	    len > sizeof(n->addr.sun_path))
		return;
	memcpy(n->addr.sun_path, e, len);
	if (e[0] == '@')
		n->addr.sun_path[0] = '\0';	/* abstract: no terminator */
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (e[0] == '/' && len < sizeof(n->addr.sun_path)));
}

void
notify_init(struct notify *n)
{
	const char *e = getenv("NOTIFY_SOCKET");

	memset(n, 0, sizeof(*n));
	n->fd = -1;
#ifdef HAVE_LIBSYSTEMD
	if (e == NULL || e[0] == '\0')
		return;
	n->on = true;
	parse_address(n, e);
	{
		uint64_t usec = 0;

		/* > 0 only if WATCHDOG_USEC is set (and WATCHDOG_PID, if
		 * set, is us) */
		if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
			n->watchdog_ns = usec * 1000u;
	}
#else
	(void)e;
	(void)parse_address;
#endif
}

void
notify_close(struct notify *n)
{
	if (n->fd >= 0)
		(void)close(n->fd);
	n->fd = -1;
}

static enum notify_sent
failed(struct notify *n, int errnum)
{
	if (!n->warned) {
		n->warned = true;
		log_warn("cannot notify the service manager at '%s': %s "
		    "(capture goes on; not reported again)",
		    getenv("NOTIFY_SOCKET"), strerror(errnum));
	}
	return NOTIFY_FAILED;
}

enum notify_sent
notify_send(struct notify *n, const char *msg)
{
	ssize_t r;

	if (!n->on)
		return NOTIFY_SENT;
	if (n->addrlen == 0)
		return failed(n, EINVAL);
	if (n->fd < 0 && (n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return failed(n, errno);
	do {
		r = sendto(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
		    (const struct sockaddr *)&n->addr, n->addrlen);
	} while (r < 0 && errno == EINTR);
	if (r >= 0)
		return NOTIFY_SENT;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return NOTIFY_BUSY;
	return failed(n, errno);
}

enum notify_sent
notify_ready(struct notify *n)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%lu\nSTATUS=capturing",
	    (unsigned long)getpid());
	return notify_send(n, msg);
}

enum notify_sent
notify_stopping(struct notify *n)
{
	return notify_send(n, "STOPPING=1\nSTATUS=stopping, writing what is "
	    "queued");
}

enum notify_sent
notify_watchdog(struct notify *n)
{
	return notify_send(n, "WATCHDOG=1");
}

void
notify_status_format(char *buf, size_t len, const char *prefix,
    const char *text)
{
	char safe[1024];

	log_escape(safe, sizeof(safe), text);
	snprintf(buf, len, "STATUS=%s%s", prefix, safe);
}
