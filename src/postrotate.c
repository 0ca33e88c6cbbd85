/*
 * postrotate.c - start and reap --post-rotate hooks.
 *
 * Used by the finisher thread and the recovery thread at the same time
 * (hooks for files recovered while capture goes on), and by main at the
 * end (after both were joined).  The list of running hooks is guarded by
 * a mutex that is never held across fork, waitpid or logging: a reaper
 * takes the whole list out, reaps, and puts the rest back.  The hooks
 * are started and reaped through spawn.c (fork/exec, environment).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "postrotate.h"
#include "spawn.h"

#define MAX_ARGS	256

struct hook {
	pid_t		 pid;
	char		*file;
	struct hook	*next;
};

struct postrotate {
	const char	*path;
	char *const	*argv;
	size_t		 argc;
	pthread_mutex_t	 mu;		/* guards running */
	struct hook	*running;
	atomic_uint	 nrunning;	/* hooks not reaped yet */
};

struct postrotate *
postrotate_create(const char *path, char *const *argv, char *err,
    size_t errlen)
{
	struct postrotate *pr = calloc(1, sizeof(*pr));

	if (pr == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	pr->path = path;
	pr->argv = argv;
	while (argv[pr->argc] != NULL)
		pr->argc++;
	if (pr->argc + 2 > MAX_ARGS) {
		log_seterr(err, errlen, "--post-rotate has too many words");
		free(pr);
		return NULL;
	}
	pthread_mutex_init(&pr->mu, NULL);
	return pr;
}

void
postrotate_run(struct postrotate *pr, const char *file)
{
	char *args[MAX_ARGS];
	struct hook *h;
	pid_t pid;

	if (pr == NULL)
		return;
	postrotate_reap(pr);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->file = strdup(file)) == NULL) {
		log_error("--post-rotate for '%s': out of memory", file);
		free(h);
		return;
	}
	for (size_t i = 0; i < pr->argc; i++)
		args[i] = pr->argv[i];
	args[pr->argc] = h->file;
	args[pr->argc + 1] = NULL;
	/* stdin /dev/null, stdout and stderr ours */
	if (spawn_run(pr->path, args, (const int[3]){ SPAWN_DEVNULL, -1, -1 },
	    NULL, &pid, NULL, 0) != 0) {
		log_error("--post-rotate for '%s': cannot fork: %s", file,
		    strerror(errno));
		free(h->file);
		free(h);
		return;
	}
	h->pid = pid;
	atomic_fetch_add_explicit(&pr->nrunning, 1, memory_order_relaxed);
	pthread_mutex_lock(&pr->mu);
	h->next = pr->running;
	pr->running = h;
	pthread_mutex_unlock(&pr->mu);
}

static void
report(const struct hook *h, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFEXITED(status))
		log_error("--post-rotate for '%s' exited with status %d%s",
		    h->file, WEXITSTATUS(status), WEXITSTATUS(status) == 127 ?
		    " (could not be started?)" : "");
	else if (WIFSIGNALED(status))
		log_error("--post-rotate for '%s' was killed by signal %d",
		    h->file, WTERMSIG(status));
}

void
postrotate_reap(struct postrotate *pr)
{
	struct hook *list, **hp;

	if (pr == NULL)
		return;
	pthread_mutex_lock(&pr->mu);
	list = pr->running;
	pr->running = NULL;
	pthread_mutex_unlock(&pr->mu);
	hp = &list;
	while (*hp != NULL) {
		struct hook *h = *hp;
		int status;
		pid_t r = spawn_wait(h->pid, &status, false);

		if (r == 0) {
			hp = &h->next;
			continue;
		}
		if (r == h->pid)
			report(h, status);
		*hp = h->next;
		free(h->file);
		free(h);
		atomic_fetch_sub_explicit(&pr->nrunning, 1,
		    memory_order_relaxed);
	}
	/* hp is the end of what is left: hooks started meanwhile go after */
	pthread_mutex_lock(&pr->mu);
	*hp = pr->running;
	pr->running = list;
	pthread_mutex_unlock(&pr->mu);
}

bool
postrotate_busy(const struct postrotate *pr)
{
	return pr != NULL &&
	    atomic_load_explicit(&pr->nrunning, memory_order_relaxed) > 0;
}

void
postrotate_destroy(struct postrotate *pr, unsigned timeout_s)
{
	struct timespec tick = { 0, 50000000L };
	unsigned waited_ms = 0;

	if (pr == NULL)
		return;
	for (;;) {
		postrotate_reap(pr);
		if (pr->running == NULL || waited_ms >= timeout_s * 1000)
			break;
		nanosleep(&tick, NULL);
		waited_ms += 50;
	}
	while (pr->running != NULL) {
		struct hook *h = pr->running;

		log_warn("--post-rotate for '%s' (pid %ld) still running after "
		    "%u s; exiting, it goes on by itself", h->file,
		    (long)h->pid, timeout_s);
		pr->running = h->next;
		free(h->file);
		free(h);
	}
	pthread_mutex_destroy(&pr->mu);
	free(pr);
}
