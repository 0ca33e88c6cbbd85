/*
 * opener.c - the privileged opener thread (see opener.h).
 *
 * DESIGN
 * - Capabilities belong to threads.  The opener sets PR_SET_KEEPCAPS for
 *   itself only, so that when main becomes the --relinquish-privileges
 *   user (glibc runs setuid in every thread) it alone keeps its
 *   permitted set; opener_restrict() then cuts that to CAP_NET_RAW and
 *   CAP_NET_ADMIN, permitted only.  Every other thread, and every child
 *   (forked by threads without capabilities), holds none: the pattern
 *   of pflogd and ntpd's privileged parts, as small as a thread can be.
 * - It does nothing but run the jobs it is handed: a reader whose
 *   interface went away hands it its reopen (input_reopen.c) and waits.
 *   One job at a time, under one mutex; the job lives on the caller's
 *   stack until done.  Effective capabilities are raised around a job
 *   and lowered after it.
 * - Shared: the job slot and the flags, under the mutex.
 */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "opener.h"

#define CAPS_KEPT	((1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN))

struct opener_job {
	int		(*fn)(void *);
	void		*arg;
	int		 rc;
	bool		 done;
};

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;		/* a job or quit for the opener */
	pthread_cond_t	 done;		/* a job finished */
	struct opener_job *job;		/* the one being handed over */
	bool		 running, quit;
	pthread_t	 thread;
} op = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

/* This thread's capability sets; 0, or -1 with errno. */
static int
caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capget, &h, d);
}

static int
caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capset, &h, d);
}

/* Raise (true) or lower the effective set to the permitted one; root
 * (euid 0) has nothing to raise.  0, or -1 with errno. */
static int
caps_raise(bool up)
{
	struct __user_cap_data_struct d[2];

	if (geteuid() == 0)
		return 0;
	if (caps_get(d) != 0)
		return -1;
	d[0].effective = up ? d[0].permitted : 0;
	d[1].effective = up ? d[1].permitted : 0;
	return caps_set(d);
}

/* The job that opener_restrict() hands over: keep CAPS_KEPT, permitted. */
static int
restrict_job(void *arg)
{
	struct __user_cap_data_struct d[2];
	int *errnum = arg;

	if (geteuid() == 0)
		return 0;
	if (caps_get(d) != 0)
		goto fail;
	d[0].permitted &= CAPS_KEPT;
	d[0].effective = d[0].inheritable = 0;
	d[1].permitted = d[1].effective = d[1].inheritable = 0;
	if ((prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL) || caps_set(d) != 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		goto fail;
	return 0;
fail:
	*errnum = errno;
	return -1;
}

static void *
opener_thread(void *arg)
{
	(void)arg;
	/* this thread alone keeps its permitted set across setuid */
	(void)prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	pthread_mutex_lock(&op.lock);
	for (;;) {
		struct opener_job *j;

		while (op.job == NULL && !op.quit)
			pthread_cond_wait(&op.wake, &op.lock);
		if (op.job == NULL)
			break;
		j = op.job;
		op.job = NULL;
		pthread_mutex_unlock(&op.lock);
		if (j->fn == restrict_job) {
			j->rc = j->fn(j->arg);
		} else {
			/* lowered again even if fn failed; a raise that
			 * fails leaves fn to meet EPERM and say so */
			(void)caps_raise(true);
			j->rc = j->fn(j->arg);
			(void)caps_raise(false);
		}
		pthread_mutex_lock(&op.lock);
		j->done = true;
		pthread_cond_broadcast(&op.done);
	}
	pthread_mutex_unlock(&op.lock);
	return NULL;
}

int
opener_start(char *err, size_t errlen)
{
	int rc;

	if (op.running)
		return 0;
	op.quit = false;
	if ((rc = pthread_create(&op.thread, NULL, opener_thread, NULL)) != 0) {
		log_seterr(err, errlen, "cannot start the opener thread: %s",
		    strerror(rc));
		return -1;
	}
	(void)pthread_setname_np(op.thread, "mtc-opener");
	op.running = true;
	return 0;
}

int
opener_run(int (*fn)(void *arg), void *arg)
{
	struct opener_job j = { .fn = fn, .arg = arg };

	pthread_mutex_lock(&op.lock);
	if (!op.running || op.quit) {
		pthread_mutex_unlock(&op.lock);
		return fn(arg);
	}
	/* one job at a time: wait for the slot */
	while (op.job != NULL)
		pthread_cond_wait(&op.done, &op.lock);
	op.job = &j;
	pthread_cond_signal(&op.wake);
	while (!j.done)
		pthread_cond_wait(&op.done, &op.lock);
	pthread_mutex_unlock(&op.lock);
	return j.rc;
}

int
opener_restrict(char *err, size_t errlen)
{
	int errnum = 0;

	if (!op.running)
		return 0;
	if (opener_run(restrict_job, &errnum) != 0) {
		log_seterr(err, errlen, "cannot restrict the opener thread's "
		    "capabilities: %s", strerror(errnum));
		return -1;
	}
	return 0;
}

void
opener_stop(void)
{
	if (!op.running)
		return;
	pthread_mutex_lock(&op.lock);
	op.quit = true;
	pthread_cond_broadcast(&op.wake);
	pthread_mutex_unlock(&op.lock);
	pthread_join(op.thread, NULL);
	op.running = false;
}
