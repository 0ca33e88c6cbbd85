/*
 * input_pktsock.c - the packet socket under libtrace's ring:, int: and
 * pcapint: readers (see input_pktsock.h).
 *
 * DESIGN
 * - libtrace 3 never takes the socket's error: on ring: poll() would
 *   return at once again and again (a spin), an int: read ends on it as
 *   at end of file, and a pcapint: read waits inside libpcap for the
 *   link.  So after every wait the reader takes it (SO_ERROR).  ENETDOWN
 *   is the link going down, which the socket survives, or the interface
 *   going away; the socket tells which: once the interface is
 *   unregistered it is bound to index -1 (maybe a little after the
 *   error, hence the question at every wait until the link is up, as
 *   libpcap's device_still_exists).  Only the second fails the read.
 * - The kick: when the ENETDOWN reaches libpcap first (the link went
 *   down between packets of a batch), a pcapint: read loops inside
 *   libpcap until the link is up and a packet comes, deaf to a stop,
 *   and libtrace 3 gives no way to break it.  A pcapint: stream has a
 *   thread asleep in CLOCK_STOP_LATENCY_NS slices; once the run stops
 *   and the reader is still inside a read op a little later, it puts a
 *   pipe whose writer is closed in the place of the socket (dup3 onto
 *   its number): libpcap's next poll, within a millisecond, says
 *   POLLHUP, the read fails (libtrace prints a line), the reader sees
 *   the stop.  The number is the reader's socket's: the reader reads (it
 *   checks the stop before any reopen) and the close op, which closes
 *   it, joins this thread first.  Needs no capability and no libtrace.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "input_pktsock.h"
#include "input_backend.h"
#include "privs.h"

/* how long a stopping reader may take by itself: a few of its waits */
#define KICK_AFTER_NS	(3 * CLOCK_STOP_LATENCY_NS)

void
input_pktsock_init(struct input_pktsock *ps, struct input_stream *st,
    const char *ifname)
{
	memset(ps, 0, sizeof(*ps));
	ps->st = st;
	(void)snprintf(ps->ifname, sizeof(ps->ifname), "%s", ifname);
	atomic_init(&ps->kick_fd, -1);
	atomic_init(&ps->reading, false);
	input_pktsock_reset(ps);
}

void
input_pktsock_reset(struct input_pktsock *ps)
{
	ps->fd = -1;
	ps->netdown = false;
	atomic_store_explicit(&ps->kick_fd, -1, memory_order_relaxed);
}

static void
pktsock_set_fd(struct input_pktsock *ps, int fd)
{
	ps->fd = fd;
	atomic_store_explicit(&ps->kick_fd, fd, memory_order_relaxed);
}

/* The link went down (ps->netdown): is the interface still there (0;
 * ps->netdown cleared once it is up), or gone (-1, failed)? */
static int
pktsock_link(struct input_pktsock *ps)
{
	struct sockaddr_ll sll;
	socklen_t len = sizeof(sll);
	struct ifreq ifr;

	memset(&sll, 0, sizeof(sll));
	if (getsockname(ps->fd, (struct sockaddr *)&sll, &len) != 0 ||
	    sll.sll_ifindex == -1) {
		input_stream_fail(ps->st, "the interface disappeared");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ps->ifname, sizeof(ifr.ifr_name));
	if (ioctl(ps->fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP))
		ps->netdown = false;
	return 0;
}

int
input_pktsock_check(struct input_pktsock *ps, int fd, short revents)
{
	int e = 0;
	socklen_t len = sizeof(e);

	pktsock_set_fd(ps, fd);
	if (revents & (POLLNVAL | POLLHUP)) {
		input_stream_fail(ps->st, revents & POLLNVAL ?
		    "invalid poll on its socket" : "hangup on its socket");
		return -1;
	}
	if (revents & POLLERR) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
			e = errno;
		if (e == ENETDOWN) {
			ps->netdown = true;
		} else if (e != 0) {
			input_stream_fail(ps->st, strerror(e));
			return -1;
		}
	}
	return ps->netdown ? pktsock_link(ps) : 0;
}

int
input_pktsock_ended(struct input_pktsock *ps, int fd)
{
	if (ps->fd < 0 && fd > 0)
		pktsock_set_fd(ps, fd);
	if (ps->fd >= 0) {
		ps->netdown = true;
		if (pktsock_link(ps) != 0)
			return -1;
		if (ps->netdown)
			return 1;
	}
	input_stream_fail(ps->st, "libtrace ended the capture");
	return -1;
}

static bool
kick_done(const struct input_pktsock *ps)
{
	return atomic_load_explicit(&ps->st->done, memory_order_acquire);
}

static void
kick_sleep(void)
{
	struct timespec ts = clock_span(CLOCK_STOP_LATENCY_NS);

	(void)nanosleep(&ts, NULL);
}

/* Put a hung-up pipe in the place of the reader's socket (DESIGN). */
static void
kick_now(struct input_pktsock *ps)
{
	int fd = atomic_load(&ps->kick_fd), p[2];

	if (fd < 0 || !atomic_load(&ps->reading) || pipe2(p, O_CLOEXEC) != 0)
		return;
	(void)close(p[1]);
	if (dup3(p[0], fd, O_CLOEXEC) >= 0)
		log_debug("input '%s': its reader waits inside libpcap for a "
		    "link that is down; its socket is closed", ps->st->src->uri);
	(void)close(p[0]);
}

static void *
input_pktsock_kick_thread(void *arg)
{
	struct input_pktsock *ps = arg;
	uint64_t since;

	/* started while the inputs open: it needs no capability */
	(void)privs_drop_thread_caps();
	while (!kick_done(ps) && !input_stream_stopping(ps->st))
		kick_sleep();
	since = mono_ns();
	while (!kick_done(ps) && mono_ns() - since < KICK_AFTER_NS)
		kick_sleep();
	if (!kick_done(ps))
		kick_now(ps);
	return NULL;
}

int
input_pktsock_kick_start(struct input_pktsock *ps, char *err, size_t errlen)
{
	int e = pthread_create(&ps->thread, NULL, input_pktsock_kick_thread,
	    ps);

	if (e != 0) {
		log_seterr(err, errlen, "input '%s': cannot start a thread: %s",
		    ps->st->src->uri, strerror(e));
		return -1;
	}
	ps->started = true;
	return 0;
}

void
input_pktsock_join(struct input_pktsock *ps)
{
	if (ps->started)
		(void)pthread_join(ps->thread, NULL);
	ps->started = false;
}
