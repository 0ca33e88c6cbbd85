/*
 * pipeout.c - start and reap the --pipeout compressor of one segment.
 *
 * Called from the merger/writer thread only.  fork() in a threaded
 * process: the child only calls async-signal-safe functions before execv.
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
#include <unistd.h>

#include "log.h"
#include "pipeout.h"
#include "postrotate.h"
#include "privs.h"

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
	execve(path, argv, postrotate_clean_env);
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
	int p[2], rc;

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
	*in_fd = p[1];
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

void
pipeout_kill(pid_t pid)
{
	(void)kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int
pipeout_drain(int in_fd, char *err, size_t errlen)
{
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
		/* events 0: only POLLERR, the last reader is gone */
		if (poll(&pfd, 1, 2) > 0 && (pfd.revents & POLLERR) != 0) {
			log_seterr(err, errlen, "--pipeout command closed its "
			    "input with %d byte(s) unread", unread);
			return -1;
		}
	}
}

int
pipeout_finish(pid_t pid, const char *who, char *err, size_t errlen)
{
	const char *sp = who[0] != '\0' ? " " : "";
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_seterr(err, errlen, "cannot wait for %s (pid %ld): %s",
		    who[0] != '\0' ? who : "the command", (long)pid,
		    strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		log_seterr(err, errlen, "%s%sexited with status %d", who, sp,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_seterr(err, errlen, "%s%swas killed by signal %d", who, sp,
		    WTERMSIG(status));
	else
		log_seterr(err, errlen, "%s%sended with status 0x%x", who, sp,
		    status);
	return -1;
}
