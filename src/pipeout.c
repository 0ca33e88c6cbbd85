/*
 * pipeout.c - start and reap the --pipeout compressor of one segment.
 *
 * DESIGN
 * - Children are started on the merger/writer thread (and by readers and
 *   recovery for decompressors).  The stream into a --pipeout child is
 *   written by the writer, then, once the file is handed over, drained
 *   and reaped by the finisher thread: its struct pipeout_watch moves with
 *   the output (a mutex handoff orders it) and is never shared.
 * - Nothing here blocks without bound on a child: the pipe is
 *   non-blocking and every wait polls in PIPEOUT_TICK_MS steps, checking
 *   how long the child has taken nothing and whether a stop was asked for.
 * - fork() in a threaded process: the child only calls async-signal-safe
 *   functions before execv.
 * - This file owns fork/exec and the child environment for every child;
 *   postrotate.c starts its hooks through pipeout_child_exec().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pipeout.h"
#include "privs.h"

#define PIPEOUT_TICK_MS		CLOCK_STOP_LATENCY_MS	/* longest wait */

/*
 * The whole environment of every child (compressor, decompressor,
 * --post-rotate hook): a fixed PATH and the C locale, nothing inherited.
 */
static char *const clean_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LC_ALL=C",
	NULL,
};

static bool
is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

char *
pipeout_resolve(const char *cmd, char *err, size_t errlen)
{
	const char *path, *p;
	char buf[PATH_MAX];

	if (strchr(cmd, '/') != NULL) {
		if (is_executable(cmd))
			return strdup(cmd);
		log_seterr(err, errlen, "command '%s' is not an executable "
		    "file", cmd);
		return NULL;
	}
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; ) {
		const char *end = strchr(p, ':');
		size_t dlen = end != NULL ? (size_t)(end - p) : strlen(p);
		int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)dlen, p,
		    cmd);

		if (dlen > 0 && n > 0 && (size_t)n < sizeof(buf) &&
		    is_executable(buf))
			return strdup(buf);
		if (end == NULL)
			break;
		p = end + 1;
	}
	log_seterr(err, errlen, "command '%s' not found in PATH", cmd);
	return NULL;
}

static void
close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
		return;
#endif
	for (long fd = lowfd, max = sysconf(_SC_OPEN_MAX); fd < max &&
	    fd < 65536; fd++)
		close((int)fd);
}

void
pipeout_child_exec(const char *path, char *const *argv)
{
	sigset_t none;

	close_from(3);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, clean_env);
	_exit(127);
}

/*
 * fork and run path with fds[i] (i = 0..2; -1: inherit ours) as its
 * stdin, stdout and stderr, as user as (NULL: as we are) and without
 * capabilities unless root.  Every fd given is > 2 or already in its place
 * (never one of 0-2 meant for another slot).  0 with *pid, or -1 with err.
 */
static int
spawn(const char *path, char *const *argv, const int fds[3],
    const struct privs_user *as, pid_t *pid, char *err, size_t errlen)
{
	pid_t child = fork();

	if (child < 0) {
		log_seterr(err, errlen, "cannot fork for '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (child == 0) {
		/* only async-signal-safe calls until execv */
		for (int i = 0; i < 3; i++) {
			if (fds[i] < 0)
				continue;
			/* dup2 clears FD_CLOEXEC on the copy; an fd already
			 * in place must lose it by hand */
			if (fds[i] == i ? fcntl(i, F_SETFD, 0) < 0 :
			    dup2(fds[i], i) < 0)
				_exit(127);
		}
		if (privs_child_restrict(as) != 0)
			_exit(127);
		pipeout_child_exec(path, argv);
	}
	*pid = child;
	return 0;
}

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
	rc = spawn(path, argv, (const int[3]){ p[0], out_fd, -1 }, NULL, pid,
	    err, errlen);
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
		pipeout_kill(*pid);
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
pipeout_decompress(const char *tool, int in_fd, const struct privs_user *as,
    pid_t *pid, char *err, size_t errlen)
{
	char *argv[] = { (char *)tool, (char *)"-dc", NULL };
	char *path = pipeout_resolve(tool, err, errlen);
	int p[2], devnull, rc;

	if (path == NULL)
		return -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		log_seterr(err, errlen, "cannot create a pipe for '%s': %s",
		    path, strerror(errno));
		free(path);
		return -1;
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	rc = spawn(path, argv, (const int[3]){ in_fd, p[1], devnull }, as,
	    pid, err, errlen);
	if (devnull >= 0)
		close(devnull);
	close(p[1]);
	free(path);
	if (rc != 0) {
		close(p[0]);
		return -1;
	}
	return p[0];
}

/* waitpid() that retries on EINTR; flags as waitpid's */
static pid_t
wait_child(pid_t pid, int *status, int flags)
{
	pid_t r;

	do {
		r = waitpid(pid, status, flags);
	} while (r < 0 && errno == EINTR);
	return r;
}

/*
 * SIGTERM, then SIGKILL if pid is still there PIPEOUT_KILL_GRACE_S later;
 * reaps it.  Returns the signal that ended it (0: it exited by itself
 * or could not be waited for).
 */
static int
end_child(pid_t pid, int *status)
{
	const struct timespec tick = clock_span(PIPEOUT_TICK_MS *
	    CLOCK_NS_PER_MS);
	uint64_t until = mono_ns() + PIPEOUT_KILL_GRACE_S * CLOCK_NS_PER_S;
	pid_t r;

	*status = 0;
	(void)kill(pid, SIGTERM);
	while ((r = wait_child(pid, status, WNOHANG)) == 0 &&
	    mono_ns() < until)
		nanosleep(&tick, NULL);
	if (r != 0)
		return r > 0 ? SIGTERM : 0;
	(void)kill(pid, SIGKILL);
	return wait_child(pid, status, 0) > 0 ? SIGKILL : 0;
}

void
pipeout_kill(pid_t pid)
{
	int status;

	(void)end_child(pid, &status);
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

/* err for a child that ended other than with exit status 0 */
static void
describe_status(int status, const char *who, char *err, size_t errlen)
{
	const char *sp = who[0] != '\0' ? " " : "";

	if (WIFEXITED(status))
		log_seterr(err, errlen, "%s%sexited with status %d", who, sp,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_seterr(err, errlen, "%s%swas killed by signal %d", who, sp,
		    WTERMSIG(status));
	else
		log_seterr(err, errlen, "%s%sended with status 0x%x", who, sp,
		    status);
}

int
pipeout_reap(pid_t pid, const char *who, struct pipeout_watch *w, char *err,
    size_t errlen)
{
	const struct timespec tick = clock_span(10 * CLOCK_NS_PER_MS);
	char why[160];
	int status, sig;
	pid_t r;

	if (w == NULL)
		r = wait_child(pid, &status, 0);
	while (w != NULL && (r = wait_child(pid, &status, WNOHANG)) == 0) {
		if (watch_expired(w, true, why, sizeof(why))) {
			sig = end_child(pid, &status);
			log_seterr(err, errlen, "%s: ended it (pid %ld) with %s",
			    why, (long)pid, sig == SIGKILL ?
			    "SIGKILL after SIGTERM" : "SIGTERM");
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	if (r < 0) {
		log_seterr(err, errlen, "cannot wait for %s (pid %ld): %s",
		    who[0] != '\0' ? who : "the command", (long)pid,
		    strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	describe_status(status, who, err, errlen);
	return -1;
}

int
pipeout_finish(pid_t pid, const char *who, char *err, size_t errlen)
{
	return pipeout_reap(pid, who, NULL, err, errlen);
}

void
pipeout_end(pid_t pid, const char *who, char *err, size_t errlen)
{
	int status, sig = end_child(pid, &status);

	log_seterr(err, errlen, "ended %s (pid %ld) with %s", who, (long)pid,
	    sig == SIGKILL ? "SIGKILL after SIGTERM" : "SIGTERM");
}
