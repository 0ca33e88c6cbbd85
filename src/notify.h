/*
 * notify.h - telling a service manager (systemd, Type=notify) how we are.
 *
 * Everything here is a no-op when the environment has no NOTIFY_SOCKET
 * (not started by systemd, or not as Type=notify), and when mtracecap was
 * configured --with-systemd=no.  A message that cannot be sent is counted
 * and logged once with -v, never an error: capture goes on regardless.
 */
#ifndef MTRACECAP_NOTIFY_H
#define MTRACECAP_NOTIFY_H

#include <stddef.h>

struct control;
struct stats;

/*
 * These three only ask the notify thread (notify_start()) to send the
 * message, so that no caller ever waits for the service manager; before
 * notify_start() and after notify_finish() they do nothing.  Any thread.
 *
 * READY=1 with MAINPID: every input is started and the output place is
 * checked (as the user that writes it).
 */
void notify_ready(void);
/* STATUS=<text> (shown until the next counters, a few seconds later). */
void notify_status(const char *text);
/* STOPPING=1: a stop signal arrived, we drain and exit. */
void notify_stopping(void);

/*
 * Start the notify thread (only if NOTIFY_SOCKET is set): a STATUS line
 * from stats_live_status() every few seconds when it changed, and, if
 * the service manager asked for a watchdog (WATCHDOG_USEC), WATCHDOG=1
 * every half interval, but only while control's writer heartbeat
 * advances, so that a stalled writer lets the watchdog fire.  It goes
 * on while the queues drain after a stop signal (systemd keeps the
 * watchdog armed while a service stops) until notify_finish().  ctl and
 * stats must outlive notify_finish().  Main thread; returns 0, or -1
 * with err filled.
 */
int notify_start(const struct control *ctl, struct stats *stats,
    char *err, size_t errlen);
/*
 * Send the final counters and end the notify thread, waiting for it at
 * most a few seconds (a service manager that does not read would block
 * it for good); without notify_start() a no-op.  Main thread.
 */
void notify_finish(void);

#endif
