/*
 * input_pktsock.h - the packet socket under libtrace's ring:, int: and
 * pcapint: readers (--libtrace-live): its errors, which libtrace 3 does
 * not take, and the kick that frees a pcapint: reader held inside
 * libpcap once the run stops (see input_pktsock.c).
 */
#ifndef MTRACECAP_IN_PKTSOCK_H
#define MTRACECAP_IN_PKTSOCK_H

#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct input_stream;

struct input_pktsock {
	struct input_stream	*st;
	char			 ifname[IFNAMSIZ];
	/* the reader's: its socket (-1: not known yet; libtrace's waits
	 * name it); the link went down, so whether the interface is still
	 * there is asked at every wait */
	int			 fd;
	bool			 netdown;
	/* for the kick: the socket, and whether the reader is inside a
	 * read op (it is not while its source reopens) */
	atomic_int		 kick_fd;
	atomic_bool		 reading;
	pthread_t		 thread;
	bool			 started;
};

/* Set ps up for st's interface ifname, socket not known, no kick. */
void input_pktsock_init(struct input_pktsock *ps, struct input_stream *st,
    const char *ifname);

/* A new socket (the source opened again): not known yet. */
void input_pktsock_reset(struct input_pktsock *ps);

/*
 * Reader thread, after a wait on socket fd (revents: poll's): take its
 * error before libtrace does.  ENETDOWN is the link going down (the
 * socket stays: 0) or the interface going away (-1).  0, or -1 after
 * input_stream_fail().
 */
int input_pktsock_check(struct input_pktsock *ps, int fd, short revents);

/*
 * Reader thread: libtrace ended a read with no error left (libtrace 3
 * prints and clears that of an int: or pcapint: read, which took the
 * socket's ENETDOWN before we did); fd: the socket it names, or <= 0.
 * A link that is down with its socket still bound is not the end: 1;
 * anything else: -1 after input_stream_fail().
 */
int input_pktsock_ended(struct input_pktsock *ps, int fd);

/* Main thread, pcapint: only: start the kick's thread.  0, or -1 with
 * err naming the input. */
int input_pktsock_kick_start(struct input_pktsock *ps, char *err,
    size_t errlen);

/* The reader, around each read op (true, then false).  Relaxed: the
 * kick acts only after the stop, which orders it. */
static inline void
input_pktsock_reading(struct input_pktsock *ps, bool reading)
{
	atomic_store_explicit(&ps->reading, reading, memory_order_relaxed);
}

/* Once the reader is done (st->done) or never ran: wait for the kick's
 * thread, if any. */
void input_pktsock_join(struct input_pktsock *ps);

#endif
