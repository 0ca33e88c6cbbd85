/*
 * pipeout.c - feed the --pipeout compressor of one segment.
 *
 * DESIGN
 * - The child is started on the merger/writer thread, which writes the
 *   stream into it; once the file is handed over, the finisher thread
 *   drains and reaps it: its struct pipeout_watch moves with the output
 *   (a mutex handoff orders it) and is never shared.
 * - Nothing here blocks without bound on a child: the pipe is
 *   non-blocking and every wait polls in PIPEOUT_TICK_MS steps, checking
 *   how long the child has taken nothing and whether a stop was asked for.
 * - fork/exec, the child's environment and ending it are spawn.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pipeout.h"
#include "spawn.h"

#define PIPEOUT_TICK_MS		CLOCK_STOP_LATENCY_MS	/* longest wait */

int
pipeout_start(const char *path, char *const *argv, int out_fd, pid_t *pid,
    int *in_fd, char *err, size_t errlen)
{
	int p[2], rc, fl;

	if (pipe2(p, O_CLOEXEC) != 0) {
		log_seterr(err, errlen, "cannot create a pipe for '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	rc = spawn_run(path, argv, (const int[3]){ p[0], out_fd, -1 }, NULL,
	    pid, err, errlen);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		return -1;
	}
	/* never block in write(): every wait for the child is bounded */
	if ((fl = fcntl(p[1], F_GETFL)) < 0 ||
	    fcntl(p[1], F_SETFL, fl | O_NONBLOCK) != 0) {
		log_seterr(err, errlen, "cannot make the pipe to '%s' "
		    "non-blocking: %s", path, strerror(errno));
		close(p[1]);
		spawn_kill(*pid);
		return -1;
	}
	*in_fd = p[1];
	return 0;
}

void
pipeout_watch_init(struct pipeout_watch *w, const atomic_bool *stop)
{
	w->stop = stop;
	w->last_ns = mono_ns();
}

void
pipeout_watch_progress(struct pipeout_watch *w)
{
	w->last_ns = mono_ns();
}

/*
 * Has the child taken nothing for too long?  Then 1 with err saying so
 * (exiting: it was waited for to exit after its input ended, else to
 * take input), else 0.
 */
static int
watch_expired(const struct pipeout_watch *w, bool exiting, char *err,
    size_t errlen)
{
	bool stopping = w->stop != NULL &&
	    atomic_load_explicit(w->stop, memory_order_relaxed);
	unsigned long long limit = stopping ? PIPEOUT_STOP_STALL_S :
	    PIPEOUT_STALL_S;

	if (mono_ns() - w->last_ns < limit * CLOCK_NS_PER_S)
		return 0;
	if (exiting)
		log_seterr(err, errlen, "--pipeout command did not exit %llu s "
		    "after its input ended%s", limit, stopping ? " (stopping)" :
		    "");
	else
		log_seterr(err, errlen, "--pipeout command took none of its "
		    "input for %llu s%s", limit, stopping ? " after the stop "
		    "signal" : "");
	return 1;
}

int
pipeout_write(int in_fd, const void *buf, size_t len,
    struct pipeout_watch *w, char *err, size_t errlen)
{
	const unsigned char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = in_fd, .events = POLLOUT };
		ssize_t n = write(in_fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			pipeout_watch_progress(w);
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			log_seterr(err, errlen, "%s", strerror(errno));
			return -1;
		}
		if (watch_expired(w, false, err, errlen)) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)poll(&pfd, 1, PIPEOUT_TICK_MS);
	}
	return 0;
}

int
pipeout_drain(int in_fd, struct pipeout_watch *w, char *err, size_t errlen)
{
	int last = -1;

	for (;;) {
		struct pollfd pfd = { .fd = in_fd, .events = 0 };
		int unread = 0;

		if (ioctl(in_fd, FIONREAD, &unread) != 0) {
			log_seterr(err, errlen, "cannot check the --pipeout "
			    "pipe: %s", strerror(errno));
			return -1;
		}
		if (unread == 0)
			return 0;
		if (last >= 0 && unread < last)
			pipeout_watch_progress(w);
		last = unread;
		if (watch_expired(w, false, err, errlen)) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* events 0: only POLLERR, the last reader is gone; the short
		 * wait notices an emptied pipe soon */
		if (poll(&pfd, 1, 2) > 0 && (pfd.revents & POLLERR) != 0) {
			log_seterr(err, errlen, "--pipeout command closed its "
			    "input with %d byte(s) unread", unread);
			errno = EPIPE;
			return -1;
		}
	}
}

/* spawn_reap()'s limit for a child with a watch */
static int
reap_expired(void *arg, char *why, size_t whylen)
{
	return watch_expired(arg, true, why, whylen);
}

int
pipeout_reap(pid_t pid, const char *who, struct pipeout_watch *w, char *err,
    size_t errlen)
{
	return spawn_reap(pid, who, w != NULL ? reap_expired : NULL, w, err,
	    errlen);
}
