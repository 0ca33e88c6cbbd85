/*
 * threadmask.c - LD_PRELOAD check for signals.sh: every pthread_create()
 * in mtracecap (its own, libwandio's, libtrace's) must come from a thread
 * that already blocks SIGHUP, SIGINT and SIGTERM, so that the new thread
 * inherits them blocked.  A thread created earlier would start with them
 * open, and glibc's pthread_create blocks every signal in the caller for a
 * moment, which looks like "blocked" in /proc/PID/status while a SIGTERM
 * just after it kills the process.
 *
 * Appends one line per pthread_create() to $THREADMASK_LOG: "blocked", or
 * "open SIGxxx ..." naming the signals the creating thread had unblocked.
 *
 *	cc -shared -fPIC -o threadmask.so threadmask.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
    void *(*)(void *), void *);

/* append line to $THREADMASK_LOG (nothing without it) */
static void
note(const char *line)
{
	const char *path = getenv("THREADMASK_LOG");
	int fd, saved = errno;

	if (path == NULL ||
	    (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0) {
		errno = saved;
		return;
	}
	(void)write(fd, line, strlen(line));
	(void)close(fd);
	errno = saved;
}

int
pthread_create(pthread_t *thread, const pthread_attr_t *attr,
    void *(*start)(void *), void *arg)
{
	static const struct { int sig; const char *name; } want[] = {
		{ SIGHUP, " SIGHUP" }, { SIGINT, " SIGINT" },
		{ SIGTERM, " SIGTERM" },
	};
	create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
	char line[64] = "open";
	sigset_t cur;
	int unblocked = 0;

	if (real == NULL)
		return EAGAIN;
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0) {
		strcat(line, " (mask unknown)");
		unblocked = 1;
	} else {
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (!sigismember(&cur, want[i].sig)) {
				strcat(line, want[i].name);
				unblocked = 1;
			}
		}
	}
	note(unblocked ? strcat(line, "\n") : "blocked\n");
	return real(thread, attr, start, arg);
}
