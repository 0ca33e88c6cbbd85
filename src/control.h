/*
 * control.h - signals turned into flags for the pipeline.
 *
 * control_block_signals() runs in main before any thread exists, so every
 * thread inherits a mask with SIGINT, SIGTERM and SIGHUP blocked; the
 * signal thread alone sigwait()s for them.  SIGPIPE is ignored (a write
 * to a closed pipe is an error return, never a death).
 */
#ifndef MTRACECAP_CONTROL_H
#define MTRACECAP_CONTROL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct control {
	atomic_bool	stop;		/* SIGINT/SIGTERM: finish and drain */
	atomic_bool	rotate;		/* SIGHUP: start a new file now */
	atomic_bool	done;		/* tells the signal thread to end */
	atomic_int	last_signal;
};

int control_block_signals(void);
void control_init(struct control *c);
int control_start(struct control *c, char *err, size_t errlen);
/* End and join the signal thread. */
void control_finish(struct control *c);

#endif
