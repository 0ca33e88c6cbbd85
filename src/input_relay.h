/*
 * input_relay.h - the libtrace backend's relay: a stream (FIFO, pipe, "-")
 * in a format only libtrace reads, copied by a thread of its own into a
 * pipe that libtrace reads instead (see input_relay.c).
 */
#ifndef MTRACECAP_IN_RELAY_H
#define MTRACECAP_IN_RELAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct input_stream;
struct privs_user;

struct input_relay {
	struct input_stream	*st;
	int			 src;	/* the stream; -1: no relay */
	int			 rd, wr;	/* the pipe to libtrace */
	pthread_t		 thread;
	bool			 started;
	bool			 framed;	/* ERF: whole records only */
	pid_t			 child;	/* decompressor of the stream */
	const char		*tool;	/* its name */
	atomic_int		 errnum;	/* why the relay stopped early */
};

/* Set r up as "no relay" (for input_relay_close). */
void input_relay_init(struct input_relay *r, struct input_stream *st);

/*
 * Main thread: if st's URI names a libtrace file format read from a
 * stream ("-", a FIFO, a character device), open it and a pipe, start
 * the relay thread and set *uri to the URI libtrace reads instead
 * (malloc'ed; NULL when no relay is needed).  The relay's decompressor
 * (of a compressed ERF stream) runs as child_as.  0, or -1 with err
 * naming the input.
 */
int input_relay_open(struct input_relay *r, const struct privs_user *child_as,
    char **uri, char *err, size_t errlen);

/* Whether a relay feeds libtrace: it then reads on to the end of file,
 * which the relay makes once told to stop. */
static inline bool
input_relay_active(const struct input_relay *r)
{
	return r->src >= 0;
}

/* After libtrace's end of file: why the relay stopped early, or 0. */
int input_relay_errno(struct input_relay *r);

/* Once the reader is done (r->st->done) or never ran: wait for the
 * relay thread. */
void input_relay_join(struct input_relay *r);
/* Close what is left; input_relay_join first. */
void input_relay_close(struct input_relay *r);

#endif
