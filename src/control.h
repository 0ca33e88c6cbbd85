/*
 * control.h - signals turned into flags for the pipeline.
 *
 * control_block_signals() runs first thing in main, before anything that
 * may start a thread (libwandio's writer thread in the -Z probe, too), so
 * every thread inherits a mask with SIGINT, SIGTERM and SIGHUP blocked;
 * the signal thread alone sigwait()s for them.  SIGPIPE is ignored (a write
 * to a closed pipe is an error return, never a death).
 */
#ifndef MTRACECAP_CONTROL_H
#define MTRACECAP_CONTROL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "counter.h"

struct control {
	atomic_bool	stop;		/* SIGINT/SIGTERM: finish and drain */
	atomic_bool	rotate;		/* SIGHUP: start a new file now */
	atomic_bool	done;		/* tells the signal thread to end */
	atomic_int	last_signal;
	atomic_uint_fast64_t beat;	/* writer heartbeat, see control_beat() */
};

int control_block_signals(void);
void control_init(struct control *c);
int control_start(struct control *c, char *err, size_t errlen);
/* End and join the signal thread. */
void control_finish(struct control *c);

/*
 * The writer calls this once per turn of its loop (per packet, and at
 * least every idle tick): the notify thread pings systemd's watchdog only
 * while the count advances (notify.c).  Writer thread only: with a single
 * writer a relaxed load and store do, no locked instruction per packet.
 */
static inline void
control_beat(struct control *c)
{
	counter_inc(&c->beat);
}

#endif
