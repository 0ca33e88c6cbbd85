/*
 * notify.h - systemd's notification protocol (sd_notify(3), Type=notify):
 * the socket named by $NOTIFY_SOCKET, the messages, a send that never
 * waits.
 *
 * Only the protocol: what to say when is control.c's business, and this
 * module calls nothing above it.  Everything here is a no-op when the
 * environment has no NOTIFY_SOCKET (not started by systemd, or not as
 * Type=notify), and when mtracecap was configured --with-systemd=no.  A
 * message that cannot be sent is logged once, never an error: capture
 * goes on regardless.  One thread uses a struct notify at a time.
 */
#ifndef MTRACECAP_NOTIFY_H
#define MTRACECAP_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* "STATUS=", a prefix, and status text of up to 1023 escaped bytes */
#define NOTIFY_STATUS_MAX	1100

struct notify {
	bool		 on;		/* NOTIFY_SOCKET is set (and built in) */
	bool		 warned;	/* a failed send was logged */
	int		 fd;		/* datagram socket, -1 until the first send */
	uint64_t	 watchdog_ns;	/* WATCHDOG_USEC for us, in ns; 0: none */
	struct sockaddr_un addr;
	socklen_t	 addrlen;	/* 0: NOTIFY_SOCKET names no address */
};

/* What notify_send() did. */
enum notify_sent {
	NOTIFY_SENT,		/* (or nothing to do: not on) */
	NOTIFY_FAILED,		/* an error, logged the first time */
	NOTIFY_BUSY		/* the receiver's queue is full: not sent */
};

/*
 * Read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; opens nothing (no
 * socket at all without NOTIFY_SOCKET).  Cannot fail.
 */
void notify_init(struct notify *n);
/* Close the socket; the struct may be notify_init()ed again. */
void notify_close(struct notify *n);

/*
 * Send one message (lines of VAR=value) without ever waiting: a full
 * receiver queue is NOTIFY_BUSY (not logged: the caller decides), any
 * other failure is logged once ("cannot notify the service manager").
 */
enum notify_sent notify_send(struct notify *n, const char *msg);

/* READY=1 with MAINPID and STATUS=capturing. */
enum notify_sent notify_ready(struct notify *n);
/* STOPPING=1 and STATUS=stopping, writing what is queued. */
enum notify_sent notify_stopping(struct notify *n);
/* WATCHDOG=1. */
enum notify_sent notify_watchdog(struct notify *n);
/*
 * Format "STATUS=<prefix><text>" into buf, text escaped with log_escape
 * (a file name in it could hold a newline, which would end STATUS= and
 * start another assignment).  Pure; the caller sends it.
 */
void notify_status_format(char *buf, size_t len, const char *prefix,
    const char *text);

#endif
