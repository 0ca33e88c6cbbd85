/*
 * postrotate.c - start one --post-rotate hook, watch its time, reap it.
 *
 * Only the delivery thread calls these (deliver.c), each on a job it
 * owns; pr is immutable after postrotate_create().  The hooks are started
 * and reaped through spawn.c (fork/exec, environment, process group).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "clock.h"
#include "log.h"
#include "postrotate.h"
#include "spawn.h"

#define MAX_ARGS	256

struct postrotate {
	const char	*path;
	char *const	*argv;
	size_t		 argc;
	unsigned	 timeout_s;
};

struct postrotate *
postrotate_create(const char *path, char *const *argv, unsigned timeout_s,
    char *err, size_t errlen)
{
	struct postrotate *pr = calloc(1, sizeof(*pr));

	if (pr == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	pr->path = path;
	pr->argv = argv;
	pr->timeout_s = timeout_s;
	while (argv[pr->argc] != NULL)
		pr->argc++;
	if (pr->argc + 2 > MAX_ARGS) {
		log_seterr(err, errlen, "--post-rotate has too many words");
		free(pr);
		return NULL;
	}
	return pr;
}

unsigned
postrotate_timeout(const struct postrotate *pr)
{
	return pr->timeout_s;
}

int
postrotate_start(const struct postrotate *pr, const char *file,
    uint64_t now_ns, struct postrotate_job *job, char *err, size_t errlen)
{
	char *args[MAX_ARGS];

	for (size_t i = 0; i < pr->argc; i++)
		args[i] = pr->argv[i];
	args[pr->argc] = (char *)file;
	args[pr->argc + 1] = NULL;
	*job = (struct postrotate_job){ .start_ns = now_ns };
	/* stdin /dev/null, stdout and stderr ours */
	return spawn_run_group(pr->path, args,
	    (const int[3]){ SPAWN_DEVNULL, -1, -1 }, &job->pid, err, errlen);
}

uint64_t
postrotate_due(const struct postrotate *pr, const struct postrotate_job *job)
{
	if (job->killed || pr->timeout_s == 0)
		return UINT64_MAX;
	if (job->term_ns != 0)
		return job->term_ns + POSTROTATE_KILL_GRACE_S * CLOCK_NS_PER_S;
	return job->start_ns + pr->timeout_s * CLOCK_NS_PER_S;
}

/* The group of job (or, were it gone, the process alone) gets sig. */
static void
signal_job(const struct postrotate_job *job, int sig)
{
	if (kill(-job->pid, sig) != 0)
		(void)kill(job->pid, sig);
}

/* How an ended hook ended, into why; true when it succeeded. */
static bool
describe(const struct postrotate *pr, const struct postrotate_job *job,
    int status, char *why, size_t whylen)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (job->term_ns != 0 && WIFSIGNALED(status))
		log_seterr(why, whylen, "outlived --post-rotate-timeout %u s "
		    "and was ended by signal %d", pr->timeout_s,
		    WTERMSIG(status));
	else if (WIFEXITED(status))
		log_seterr(why, whylen, "exited with status %d%s",
		    WEXITSTATUS(status), WEXITSTATUS(status) == 127 ?
		    " (could not be started?)" : "");
	else if (WIFSIGNALED(status))
		log_seterr(why, whylen, "was killed by signal %d",
		    WTERMSIG(status));
	else
		log_seterr(why, whylen, "ended with wait status %#x", status);
	return false;
}

int
postrotate_poll(const struct postrotate *pr, struct postrotate_job *job,
    const char *file, uint64_t now_ns, char *why, size_t whylen)
{
	int status;
	pid_t r = spawn_wait(job->pid, &status, false);

	if (r == job->pid)
		return describe(pr, job, status, why, whylen) ? 1 : -1;
	if (r < 0) {
		/* not our child any more (cannot happen): never wait again */
		log_seterr(why, whylen, "could not be waited for: %s",
		    strerror(errno));
		return -1;
	}
	if (now_ns < postrotate_due(pr, job))
		return 0;
	if (job->term_ns == 0) {
		log_warn("--post-rotate for '%s' (pid %ld) still running after "
		    "--post-rotate-timeout %u s: sending SIGTERM", file,
		    (long)job->pid, pr->timeout_s);
		signal_job(job, SIGTERM);
		job->term_ns = now_ns;
	} else {
		log_warn("--post-rotate for '%s' (pid %ld) still running %d s "
		    "after SIGTERM: sending SIGKILL", file, (long)job->pid,
		    POSTROTATE_KILL_GRACE_S);
		signal_job(job, SIGKILL);
		job->killed = true;
	}
	return 0;
}

void
postrotate_destroy(struct postrotate *pr)
{
	free(pr);
}
