/*
 * pipeout.h - an external compressor as the last stage of a file sink.
 *
 * For --pipeout=COMMAND each segment gets its own child: its stdin is a
 * pipe we write the pcap stream into, its stdout the segment's temp file.
 * This file feeds it within bounded waits; how the child is started,
 * reaped and ended (and its environment) is spawn.h's.
 */
#ifndef MTRACECAP_PIPEOUT_H
#define MTRACECAP_PIPEOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * How long a --pipeout child may take nothing before it has failed: no
 * byte of its input taken while the pipe is full, or no exit after its
 * input ended.  Once a stop was asked for, PIPEOUT_STOP_STALL_S.  A child
 * given up on gets SIGTERM, and SIGKILL SPAWN_KILL_GRACE_S later.
 */
#define PIPEOUT_STALL_S		30
#define PIPEOUT_STOP_STALL_S	5

/*
 * The progress of one child: when it last took input (or started, or
 * got the end of its input), and the stop flag that shortens its limit.
 * Owned by whoever writes into the child at the time.
 */
struct pipeout_watch {
	const atomic_bool	*stop;		/* NULL: never stopping */
	uint64_t		 last_ns;	/* monotonic */
};

/* Start watching (now counts as progress); stop may be NULL. */
void pipeout_watch_init(struct pipeout_watch *w, const atomic_bool *stop);
/* The child did something (took input, was given the end of it). */
void pipeout_watch_progress(struct pipeout_watch *w);

/*
 * Start path with argv, stdout on out_fd.  On success *pid is the child
 * and *in_fd the write end of its stdin (O_CLOEXEC, O_NONBLOCK: write it
 * with pipeout_write()).  0 or -1 with err.
 */
int pipeout_start(const char *path, char *const *argv, int out_fd,
    pid_t *pid, int *in_fd, char *err, size_t errlen);

/*
 * Write all of buf into the child's stdin, waiting while the pipe is full
 * for as long as w allows.  0, or -1 with errno (EPIPE: the child closed
 * its input; ETIMEDOUT: it took nothing for too long) and err saying so.
 */
int pipeout_write(int in_fd, const void *buf, size_t len,
    struct pipeout_watch *w, char *err, size_t errlen);

/*
 * Before closing in_fd: wait until the child has read everything written
 * into the pipe.  Returns 0 when the pipe is empty, -1 with err when the
 * reading end was closed with data still unread (a command such as
 * `head -c N` that stops early and exits 0 must not pass for one that
 * took the whole stream; errno EPIPE) or when it took nothing for as long
 * as w allows (errno ETIMEDOUT).
 */
int pipeout_drain(int in_fd, struct pipeout_watch *w, char *err,
    size_t errlen);

/*
 * spawn_finish() for a --pipeout child, bounded by w (NULL: wait as
 * long as it takes): a child that does not exit in time is ended (see
 * SPAWN_KILL_GRACE_S) and -1 returned with err saying so.
 */
int pipeout_reap(pid_t pid, const char *who, struct pipeout_watch *w,
    char *err, size_t errlen);

#endif
