/*
 * control.c - the control thread: one event loop for signals, timers and
 * systemd's notifications.
 *
 * DESIGN
 * - One thread waits in epoll_wait() on descriptors, each with a
 *   callback (control_add_fd(), the seam for a control socket or a
 *   metrics listener later): a signalfd for SIGINT, SIGTERM and SIGHUP
 *   (blocked in every thread since before any was created, so no handler
 *   ever runs and nothing else needs to be async-signal-safe), a timerfd
 *   ticking every CLOCK_STOP_LATENCY_NS, and an eventfd on which main
 *   asks for READY=1 and for the end.  All state is in struct control and
 *   its control_loop; none at file scope.
 * - Signals become atomic flags that the readers and the writer poll:
 *   stop (SIGINT, SIGTERM) and rotate (SIGHUP).  The thread starts
 *   before the inputs open, and while main opens them
 *   (control_interrupt_begin()) a stop also interrupts main's blocking
 *   call with WAKE_SIGNAL, again every tick, so that an open waiting for
 *   a peer ends at once; main tells such a failure by the stop flag.
 * - systemd (notify.c, the protocol; only this thread sends, and never
 *   waits): STOPPING=1 on the first stop signal; after control_ready(),
 *   READY=1, a STATUS line from stats_live_status() every STATUS_EVERY_NS
 *   when it changed (and one for SIGHUP), WATCHDOG=1 every half
 *   WATCHDOG_USEC, but only if the writer's heartbeat (control_beat(),
 *   once per turn of its loop, at least every 100 ms even when idle)
 *   advanced within the last half interval (or BEAT_SLACK_NS, if longer):
 *   a writer stuck in a write or a lock stops the pings and systemd's
 *   watchdog restarts the service.  That goes on while the queues drain
 *   after a stop (systemd keeps the watchdog armed while a service stops)
 *   until control_finish(), which sends the final counters.  READY=1 and
 *   STOPPING=1 that meet a full receiver queue are sent again next tick.
 * - Threads: main calls everything but the callbacks; it hands the loop
 *   the stats pointer and its requests through atomics, then writes the
 *   eventfd.  The loop reads the stats only through stats_live_status(),
 *   one snapshot under the stats lock.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "notify.h"
#include "privs.h"
#include "stats.h"

#define MAX_FDS		8			/* callbacks the loop holds */
#define WAKE_SIGNAL	SIGURG			/* interrupts main's open; ignored by default */
#define STATUS_EVERY_NS	2000000000ull		/* a STATUS line at most this often */
#define BEAT_SLACK_NS	300000000ull		/* > the writer's idle tick */

struct handler {
	int		 fd;
	control_fd_fn	*fn;
	void		*arg;
};

struct control_loop {
	int		 epfd, sigfd, timerfd, wakefd;
	struct handler	 h[MAX_FDS];
	size_t		 nh;
	pthread_t	 thread;
	bool		 running;		/* main's: the thread was started */
	uint64_t	 watchdog_ns;		/* set before the thread starts */

	/* main -> control thread; then the eventfd is written */
	atomic_bool	 want_ready, want_done;
	struct stats *_Atomic stats;		/* released before want_ready */
	atomic_bool	 interrupting;		/* main is in its opens */
	pthread_t	 opener;		/* main; set before interrupting */

	/* control thread only (main before the thread starts) */
	struct notify	 notify;
	struct stats	*st;			/* once ready */
	bool		 quit, ready, stopping, force;
	bool		 ready_pending, stopping_pending;	/* were busy */
	uint64_t	 next_status, next_ping, seen_beat, beat_at;
	uint64_t	 stalled_since;
	char		 last[NOTIFY_STATUS_MAX];	/* last STATUS sent */
};

static void
fill_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int
control_block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	fill_set(&set);
	/* main alone takes it, while it opens the inputs */
	sigaddset(&set, WAKE_SIGNAL);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

/* A stop: wake main if it waits in an open (control thread). */
static void
interrupt_opener(struct control_loop *l)
{
	if (atomic_load_explicit(&l->interrupting, memory_order_acquire))
		(void)pthread_kill(l->opener, WAKE_SIGNAL);
}

static void
say_stopping(struct control_loop *l)
{
	l->stopping_pending = notify_stopping(&l->notify) == NOTIFY_BUSY;
}

static void
say_ready(struct control_loop *l)
{
	/* once STOPPING=1 is said, READY=1 would take it back */
	l->ready_pending = !l->stopping &&
	    notify_ready(&l->notify) == NOTIFY_BUSY;
}

/* STATUS=<prefix><counters>, if forced or it differs from the last. */
static enum notify_sent
send_counters(struct control_loop *l, const char *prefix, bool force)
{
	char line[384], msg[NOTIFY_STATUS_MAX];

	stats_live_status(l->st, line, sizeof(line));
	notify_status_format(msg, sizeof(msg), prefix, line);
	if (!force && strcmp(msg, l->last) == 0)
		return NOTIFY_SENT;
	snprintf(l->last, sizeof(l->last), "%s", msg);
	return notify_send(&l->notify, msg);
}

static void
take_signal(struct control *c, int sig)
{
	struct control_loop *l = c->loop;

	atomic_store_explicit(&c->last_signal, sig, memory_order_relaxed);
	if (sig == SIGHUP) {
		log_info("SIGHUP: starting a new file");
		atomic_store_explicit(&c->rotate, true, memory_order_relaxed);
		if (l->ready) {
			char msg[NOTIFY_STATUS_MAX];

			notify_status_format(msg, sizeof(msg), "",
			    "SIGHUP: starting a new file");
			(void)notify_send(&l->notify, msg);
			l->force = true;	/* the counters again next time */
		}
	} else if (atomic_exchange_explicit(&c->stop, true,
	    memory_order_relaxed)) {
		log_info("%s: already stopping", strsignal(sig));
	} else {
		log_info("%s: stopping, draining the queues", strsignal(sig));
		l->stopping = l->force = true;
		say_stopping(l);
		interrupt_opener(l);
	}
}

static void
on_signal(struct control *c, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		take_signal(c, (int)si.ssi_signo);
}

/* Ping the watchdog if the writer's heartbeat moved lately. */
static void
watchdog(struct control *c, struct control_loop *l, uint64_t now)
{
	/* the writer beats at least every 100 ms */
	uint64_t slack = l->watchdog_ns / 2 > BEAT_SLACK_NS ?
	    l->watchdog_ns / 2 : BEAT_SLACK_NS;
	uint64_t beat = atomic_load_explicit(&c->beat, memory_order_relaxed);

	if (beat != l->seen_beat) {
		l->seen_beat = beat;
		l->beat_at = now;
	}
	if (l->watchdog_ns == 0 || now < l->next_ping)
		return;
	if (now - l->beat_at <= slack) {
		(void)notify_watchdog(&l->notify);
		if (l->stalled_since != 0)
			log_warn("the writer is making progress again after "
			    "%.1f s; pinging the watchdog again",
			    (double)(now - l->stalled_since) / 1e9);
		l->stalled_since = 0;
	} else if (l->stalled_since == 0) {
		l->stalled_since = l->beat_at;
		log_warn("the writer made no progress for %.1f s: not pinging "
		    "systemd's watchdog", (double)(now - l->beat_at) / 1e9);
	}
	l->next_ping = now + l->watchdog_ns / 2;
}

static void
on_tick(struct control *c, int fd, uint32_t events, void *arg)
{
	struct control_loop *l = c->loop;
	uint64_t ticks, now;

	(void)events;
	(void)arg;
	(void)read(fd, &ticks, sizeof(ticks));
	if (atomic_load_explicit(&c->stop, memory_order_relaxed))
		interrupt_opener(l);	/* it may have missed the first */
	if (!l->notify.on)
		return;
	if (l->stopping_pending)
		say_stopping(l);
	if (!l->ready)
		return;
	if (l->ready_pending)
		say_ready(l);
	now = mono_ns();
	watchdog(c, l, now);
	if (now >= l->next_status) {
		(void)send_counters(l, l->stopping ? "stopping: " : "",
		    l->force);
		l->force = false;
		l->next_status = now + STATUS_EVERY_NS;
	}
}

/* Main's requests: READY=1 with the stats, or the end. */
static void
on_wake(struct control *c, int fd, uint32_t events, void *arg)
{
	struct control_loop *l = c->loop;
	uint64_t n;

	(void)events;
	(void)arg;
	(void)read(fd, &n, sizeof(n));
	if (atomic_exchange_explicit(&l->want_ready, false,
	    memory_order_acquire) && !l->ready) {
		uint64_t now = mono_ns();

		l->st = atomic_load_explicit(&l->stats, memory_order_acquire);
		l->ready = true;
		l->next_status = now;
		l->next_ping = now + l->watchdog_ns / 2;
		l->seen_beat = atomic_load_explicit(&c->beat,
		    memory_order_relaxed);
		l->beat_at = now;
		if (l->notify.on)
			say_ready(l);
	}
	if (!atomic_load_explicit(&l->want_done, memory_order_acquire))
		return;
	/* the final counters, for `systemctl status` after the stop */
	if (l->ready && l->notify.on &&
	    send_counters(l, "stopped: ", true) == NOTIFY_BUSY)
		log_warn("the service manager does not read its notification "
		    "socket; exiting without the last messages");
	l->quit = true;
}

static void *
control_loop_thread(void *arg)
{
	struct control *c = arg;
	struct control_loop *l = c->loop;
	struct epoll_event ev[MAX_FDS];
	bool warned = false;

	/* started before the inputs open: it needs none of their
	 * capabilities (privs_drop_caps() reaches main only) */
	(void)privs_drop_thread_caps();
	while (!l->quit) {
		int n = epoll_wait(l->epfd, ev, MAX_FDS, -1);

		if (n < 0 && errno != EINTR) {
			struct timespec tick = clock_span(CLOCK_STOP_LATENCY_NS);

			if (!warned)
				log_warn("control thread: epoll_wait: %s",
				    strerror(errno));
			warned = true;
			(void)nanosleep(&tick, NULL);
		}
		for (int i = 0; i < n && !l->quit; i++) {
			struct handler *h = ev[i].data.ptr;

			h->fn(c, h->fd, ev[i].events, h->arg);
		}
	}
	return NULL;
}

int
control_add_fd(struct control *c, int fd, uint32_t events,
    control_fd_fn *fn, void *arg, char *err, size_t errlen)
{
	struct control_loop *l = c->loop;
	struct epoll_event ev = { .events = events };
	struct handler *h;

	if (l->nh == MAX_FDS) {
		log_seterr(err, errlen, "control loop: more than %d "
		    "descriptors", MAX_FDS);
		return -1;
	}
	h = &l->h[l->nh];
	*h = (struct handler){ .fd = fd, .fn = fn, .arg = arg };
	ev.data.ptr = h;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		log_seterr(err, errlen, "control loop: epoll_ctl: %s",
		    strerror(errno));
		return -1;
	}
	l->nh++;
	return 0;
}

/* The loop's own descriptors, each with its callback. */
static int
open_fds(struct control *c, char *err, size_t errlen)
{
	struct control_loop *l = c->loop;
	struct itimerspec every = {
		.it_interval = clock_span(CLOCK_STOP_LATENCY_NS),
		.it_value = clock_span(CLOCK_STOP_LATENCY_NS),
	};
	sigset_t set;
	const char *what;

	fill_set(&set);
	what = "epoll_create1";
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		goto fail;
	what = "signalfd";
	if ((l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		goto fail;
	what = "timerfd";
	if ((l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) < 0 || timerfd_settime(l->timerfd, 0, &every,
	    NULL) != 0)
		goto fail;
	what = "eventfd";
	if ((l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail;
	if (control_add_fd(c, l->sigfd, EPOLLIN, on_signal, NULL, err,
	    errlen) != 0 ||
	    control_add_fd(c, l->timerfd, EPOLLIN, on_tick, NULL, err,
	    errlen) != 0 ||
	    control_add_fd(c, l->wakefd, EPOLLIN, on_wake, NULL, err,
	    errlen) != 0)
		return -1;
	return 0;
fail:
	log_seterr(err, errlen, "cannot set up the control loop: %s: %s",
	    what, strerror(errno));
	return -1;
}

int
control_init(struct control *c, char *err, size_t errlen)
{
	struct control_loop *l;

	atomic_init(&c->stop, false);
	atomic_init(&c->rotate, false);
	atomic_init(&c->last_signal, 0);
	atomic_init(&c->beat, 0);
	if ((c->loop = l = calloc(1, sizeof(*l))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	l->epfd = l->sigfd = l->timerfd = l->wakefd = -1;
	atomic_init(&l->want_ready, false);
	atomic_init(&l->want_done, false);
	atomic_init(&l->stats, NULL);
	atomic_init(&l->interrupting, false);
	notify_init(&l->notify);
	l->watchdog_ns = l->notify.watchdog_ns;
	return open_fds(c, err, errlen);
}

int
control_start(struct control *c, char *err, size_t errlen)
{
	struct control_loop *l = c->loop;
	int rc = pthread_create(&l->thread, NULL, control_loop_thread, c);

	if (rc != 0) {
		log_seterr(err, errlen, "cannot start the control thread: %s",
		    strerror(rc));
		return -1;
	}
	l->running = true;
	return 0;
}

/* No-op: its only work is to interrupt a system call (EINTR). */
static void
on_wake_signal(int sig)
{
	(void)sig;
}

int
control_interrupt_begin(struct control *c, char *err, size_t errlen)
{
	struct control_loop *l = c->loop;
	struct sigaction sa = { .sa_handler = on_wake_signal };	/* no SA_RESTART */
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, WAKE_SIGNAL);
	if (sigaction(WAKE_SIGNAL, &sa, NULL) != 0 ||
	    pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0) {
		log_seterr(err, errlen, "cannot set up the stop of an input "
		    "open: %s", strerror(errno));
		return -1;
	}
	l->opener = pthread_self();
	atomic_store_explicit(&l->interrupting, true, memory_order_release);
	/* a stop that came before this waits for no signal */
	return 0;
}

void
control_interrupt_end(struct control *c)
{
	struct control_loop *l = c->loop;
	struct sigaction sa = { .sa_handler = SIG_DFL };	/* ignore */
	sigset_t set;

	atomic_store_explicit(&l->interrupting, false, memory_order_release);
	sigemptyset(&set);
	sigaddset(&set, WAKE_SIGNAL);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* one sent since is pending: the default disposition drops it */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(WAKE_SIGNAL, &sa, NULL);
}

/* Tell the loop that main asked for something. */
static void
wake(struct control_loop *l)
{
	uint64_t one = 1;

	/* EAGAIN only if the count is at its maximum: awake anyway */
	(void)write(l->wakefd, &one, sizeof(one));
}

void
control_ready(struct control *c, struct stats *stats)
{
	struct control_loop *l = c->loop;

	if (l->notify.on && l->watchdog_ns != 0)
		log_info("systemd watchdog: pinging every %.3f s while the "
		    "writer makes progress", (double)l->watchdog_ns / 2e9);
	atomic_store_explicit(&l->stats, stats, memory_order_release);
	atomic_store_explicit(&l->want_ready, true, memory_order_release);
	wake(l);
}

void
control_finish(struct control *c)
{
	struct control_loop *l = c->loop;

	if (l == NULL)
		return;
	if (l->running) {
		atomic_store_explicit(&l->want_done, true,
		    memory_order_release);
		wake(l);
		pthread_join(l->thread, NULL);
	}
	if (l->epfd >= 0)
		(void)close(l->epfd);
	if (l->sigfd >= 0)
		(void)close(l->sigfd);
	if (l->timerfd >= 0)
		(void)close(l->timerfd);
	if (l->wakefd >= 0)
		(void)close(l->wakefd);
	notify_close(&l->notify);
	free(l);
	c->loop = NULL;
}
