/*
 * control.h - the control thread: signals turned into flags for the
 * pipeline, systemd told how we are, one event loop for both.
 *
 * control_block_signals() runs first thing in main, before anything that
 * may start a thread (libwandio's writer thread in the -Z probe, too), so
 * every thread inherits a mask with SIGINT, SIGTERM and SIGHUP blocked;
 * the control thread reads them from a signalfd.  SIGPIPE is ignored (a
 * write to a closed pipe is an error return, never a death).
 *
 * Order of use (main thread): control_init, control_start (before the
 * inputs open, so that a stop signal during a slow open is seen),
 * control_interrupt_begin/_end around the opens, control_ready once
 * capture starts, control_finish at the end.
 */
#ifndef MTRACECAP_CONTROL_H
#define MTRACECAP_CONTROL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counter.h"

struct control_loop;	/* control.c's own: fds, handlers, notify state */
struct stats;

struct control {
	atomic_bool	stop;		/* SIGINT/SIGTERM: finish and drain */
	atomic_bool	rotate;		/* SIGHUP: start a new file now */
	atomic_int	last_signal;
	atomic_uint_fast64_t beat;	/* writer heartbeat, see control_beat() */
	struct control_loop *loop;	/* NULL until control_init() */
};

int control_block_signals(void);

/*
 * Set up the loop (epoll, signalfd, a timerfd ticking every
 * CLOCK_STOP_LATENCY_NS, a wake-up eventfd, the NOTIFY_SOCKET settings);
 * no thread yet.  Main thread; 0, or -1 with err filled (then
 * control_finish() still cleans up).
 */
int control_init(struct control *c, char *err, size_t errlen);

/*
 * Called on the control thread when fd is ready (events: EPOLLIN...).
 * It must not block.
 */
typedef void control_fd_fn(struct control *c, int fd, uint32_t events,
    void *arg);
/*
 * Have the loop call fn(c, fd, events, arg) whenever fd is ready for
 * events; fd stays the caller's.  Before control_start(), or on the
 * control thread (from a callback).  0, or -1 with err (too many fds).
 */
int control_add_fd(struct control *c, int fd, uint32_t events,
    control_fd_fn *fn, void *arg, char *err, size_t errlen);

/* Start the control thread.  Main thread; 0, or -1 with err filled. */
int control_start(struct control *c, char *err, size_t errlen);

/*
 * From control_interrupt_begin() to control_interrupt_end(), a stop
 * signal also interrupts the calling thread's blocking system calls
 * (EINTR; sent again every tick until _end, since one may come just
 * before the call), so that an input open that waits for a peer (a FIFO
 * without a writer) gives up.  The caller then tells a stop from a
 * failure by the stop flag.  One thread (main), not nested.
 */
int control_interrupt_begin(struct control *c, char *err, size_t errlen);
void control_interrupt_end(struct control *c);

/*
 * Capture runs: say READY=1 to systemd, then every few seconds a STATUS
 * line from stats_live_status(stats) when it changed, and WATCHDOG=1
 * every half WATCHDOG_USEC while the writer's heartbeat advances.  stats
 * must outlive control_finish().  Main thread.
 */
void control_ready(struct control *c, struct stats *stats);

/*
 * The final STATUS line (after control_ready()), then end and join the
 * control thread and free the loop; a no-op without control_init().
 * Main thread.
 */
void control_finish(struct control *c);

/*
 * The writer calls this once per turn of its loop (per packet, and at
 * least every idle tick): the control thread pings systemd's watchdog
 * only while the count advances.  Writer thread only: with a single
 * writer a relaxed load and store do, no locked instruction per packet.
 */
static inline void
control_beat(struct control *c)
{
	counter_inc(&c->beat);
}

#endif
