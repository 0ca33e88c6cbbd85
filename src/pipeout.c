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

int
pipeout_start(const char *path, char *const *argv, int out_fd, pid_t *pid,
    int *in_fd, char *err, size_t errlen)
{
	int p[2];
	pid_t child;

	if (pipe2(p, O_CLOEXEC) != 0) {
		log_seterr(err, errlen, "cannot create a pipe for '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		log_seterr(err, errlen, "cannot fork for '%s': %s", path,
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		/* only async-signal-safe calls until execv */
		if (p[0] != STDIN_FILENO && dup2(p[0], STDIN_FILENO) < 0)
			_exit(127);
		if (out_fd != STDOUT_FILENO &&
		    dup2(out_fd, STDOUT_FILENO) < 0)
			_exit(127);
		/* dup2 clears FD_CLOEXEC on the copies; stdout=fd 1 case: */
		if (out_fd == STDOUT_FILENO)
			fcntl(STDOUT_FILENO, F_SETFD, 0);
		pipeout_child_exec(path, argv);
	}
	close(p[0]);
	*pid = child;
	*in_fd = p[1];
	return 0;
}

int
pipeout_decompress(const char *tool, int in_fd, pid_t *pid, char *err,
    size_t errlen)
{
	char *argv[] = { (char *)tool, (char *)"-dc", NULL };
	char *path = pipeout_resolve(tool, err, errlen);
	int p[2], devnull;
	pid_t child;

	if (path == NULL)
		return -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		log_seterr(err, errlen, "cannot create a pipe for '%s': %s",
		    path, strerror(errno));
		free(path);
		return -1;
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	child = fork();
	if (child == 0) {
		/* only async-signal-safe calls until execv; p[1] > 2 since
		 * fds 0-2 are open, dup2 clears FD_CLOEXEC on the copies */
		if (dup2(in_fd, STDIN_FILENO) < 0 ||
		    dup2(p[1], STDOUT_FILENO) < 0 ||
		    (devnull >= 0 && dup2(devnull, STDERR_FILENO) < 0))
			_exit(127);
		pipeout_child_exec(path, argv);
	}
	if (devnull >= 0)
		close(devnull);
	close(p[1]);
	if (child < 0) {
		log_seterr(err, errlen, "cannot fork for '%s': %s", path,
		    strerror(errno));
		close(p[0]);
		free(path);
		return -1;
	}
	free(path);
	*pid = child;
	return p[0];
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
pipeout_finish(pid_t pid, char *err, size_t errlen)
{
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_seterr(err, errlen, "cannot wait for the --pipeout "
		    "command (pid %ld): %s", (long)pid, strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		log_seterr(err, errlen, "--pipeout command exited with "
		    "status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_seterr(err, errlen, "--pipeout command was killed by "
		    "signal %d", WTERMSIG(status));
	else
		log_seterr(err, errlen, "--pipeout command ended with "
		    "status 0x%x", status);
	return -1;
}
