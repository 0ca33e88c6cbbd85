/*
 * spawn.c - fork/exec, the child environment, reaping and ending of every
 * child (see spawn.h).
 *
 * DESIGN
 * - Children are started by the merger/writer thread (--pipeout), by
 *   main while it opens the inputs and by recovery (decompressors), and
 *   by the delivery thread (--post-rotate hooks, spawn_run_group).  Readers
 *   and the relay only reap or end theirs (spawn_finish, spawn_kill).
 *   No state here: any thread may call every function, each for the
 *   children it started (or was handed).
 * - fork() in a threaded process: the child only calls async-signal-safe
 *   functions before execve.
 * - Nothing here waits without bound unless asked to (spawn_finish()):
 *   ending a child is SIGTERM, then SIGKILL after SPAWN_KILL_GRACE_S.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "privs.h"
#include "spawn.h"

#define SPAWN_TICK_MS		CLOCK_STOP_LATENCY_MS	/* longest wait */
#define SPAWN_REAP_TICK_MS	10	/* between looks at a child's limit */

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
spawn_resolve(const char *cmd, char *err, size_t errlen)
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

/*
 * In the freshly forked child: put fds[i] in place as fd i (see
 * spawn_run()).  Async-signal-safe only; 0 or -1.
 */
static int
child_fds(const int fds[3])
{
	for (int i = 0; i < 3; i++) {
		int fd = fds[i];

		if (fd == SPAWN_DEVNULL &&
		    (fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY)) < 0)
			return -1;
		if (fd < 0)
			continue;
		/* dup2 clears FD_CLOEXEC on the copy; an fd already in
		 * place must lose it by hand (one opened here has none) */
		if (fd == i ? fcntl(i, F_SETFD, 0) < 0 : dup2(fd, i) < 0)
			return -1;
	}
	return 0;
}

/*
 * In the freshly forked child whose fds 0-2 are set: close every other fd,
 * restore default signal handling and an empty mask, execve path with the
 * clean environment; _exit(127) if that fails.  Async-signal-safe only.
 */
static void __attribute__((noreturn))
child_exec(const char *path, char *const *argv)
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

/* spawn_run(), the child in a process group of its own when group. */
static int
run_child(const char *path, char *const *argv, const int fds[3],
    const struct privs_user *as, bool group, pid_t *pid, char *err,
    size_t errlen)
{
	pid_t child = fork();

	if (child < 0) {
		int e = errno;

		log_seterr(err, errlen, "cannot fork for '%s': %s", path,
		    strerror(e));
		errno = e;
		return -1;
	}
	if (child == 0) {
		/* only async-signal-safe calls until execve */
		if ((group && setpgid(0, 0) != 0) || child_fds(fds) != 0 ||
		    privs_child_restrict(as) != 0)
			_exit(127);
		child_exec(path, argv);
	}
	/* both sides: whichever runs first, the group exists before exec
	 * (EACCES: the child has exec'ed, in its group already) */
	if (group)
		(void)setpgid(child, child);
	*pid = child;
	return 0;
}

int
spawn_run(const char *path, char *const *argv, const int fds[3],
    const struct privs_user *as, pid_t *pid, char *err, size_t errlen)
{
	return run_child(path, argv, fds, as, false, pid, err, errlen);
}

int
spawn_run_group(const char *path, char *const *argv, const int fds[3],
    pid_t *pid, char *err, size_t errlen)
{
	return run_child(path, argv, fds, NULL, true, pid, err, errlen);
}

int
spawn_decompress(const char *tool, int in_fd, const struct privs_user *as,
    pid_t *pid, char *err, size_t errlen)
{
	char *argv[] = { (char *)tool, (char *)"-dc", NULL };
	char *path = spawn_resolve(tool, err, errlen);
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
	rc = spawn_run(path, argv, (const int[3]){ in_fd, p[1], devnull }, as,
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

pid_t
spawn_wait(pid_t pid, int *status, bool block)
{
	pid_t r;

	do {
		r = waitpid(pid, status, block ? 0 : WNOHANG);
	} while (r < 0 && errno == EINTR);
	return r;
}

/*
 * SIGTERM, then SIGKILL if pid is still there SPAWN_KILL_GRACE_S later;
 * reaps it.  Returns the signal that ended it (0: it exited by itself
 * or could not be waited for).
 */
static int
terminate(pid_t pid, int *status)
{
	const struct timespec tick = clock_span(SPAWN_TICK_MS *
	    CLOCK_NS_PER_MS);
	uint64_t until = mono_ns() + SPAWN_KILL_GRACE_S * CLOCK_NS_PER_S;
	pid_t r;

	*status = 0;
	(void)kill(pid, SIGTERM);
	while ((r = spawn_wait(pid, status, false)) == 0 &&
	    mono_ns() < until)
		nanosleep(&tick, NULL);
	if (r != 0)
		return r > 0 ? SIGTERM : 0;
	(void)kill(pid, SIGKILL);
	return spawn_wait(pid, status, true) > 0 ? SIGKILL : 0;
}

static const char *
how(int sig)
{
	return sig == SIGKILL ? "SIGKILL after SIGTERM" : "SIGTERM";
}

void
spawn_kill(pid_t pid)
{
	int status;

	(void)terminate(pid, &status);
}

void
spawn_end(pid_t pid, const char *who, char *err, size_t errlen)
{
	int status, sig = terminate(pid, &status);

	log_seterr(err, errlen, "ended %s (pid %ld) with %s", who, (long)pid,
	    how(sig));
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
spawn_reap(pid_t pid, const char *who,
    int (*expired)(void *arg, char *why, size_t whylen), void *arg,
    char *err, size_t errlen)
{
	const struct timespec tick = clock_span(SPAWN_REAP_TICK_MS *
	    CLOCK_NS_PER_MS);
	char why[160];
	int status, sig;
	pid_t r;

	if (expired == NULL)
		r = spawn_wait(pid, &status, true);
	while (expired != NULL && (r = spawn_wait(pid, &status, false)) == 0) {
		if (expired(arg, why, sizeof(why))) {
			sig = terminate(pid, &status);
			log_seterr(err, errlen, "%s: ended it (pid %ld) with %s",
			    why, (long)pid, how(sig));
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
spawn_finish(pid_t pid, const char *who, char *err, size_t errlen)
{
	return spawn_reap(pid, who, NULL, NULL, err, errlen);
}
