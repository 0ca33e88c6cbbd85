/*
 * deliver.c - the delivery queue and its thread (see deliver.h).
 *
 * DESIGN
 * - One queue of entries, oldest first (a doubly linked list, and a hash
 *   of the names for deliver_is_pending), under d->mu.  An entry is
 *   PREPARED (recorded, not placed yet: no hook), WAITING (its hook may
 *   start at due_ns) or RUNNING (its job belongs to the delivery thread,
 *   and only that thread removes it).  The finisher and recovery add and
 *   correct entries (deliver_prepare, deliver_placed); the disk bounds'
 *   thread asks (deliver_is_pending); main creates, starts and stops.
 * - The delivery thread alone starts, polls and reaps hooks (a look every
 *   CLOCK_STOP_LATENCY_NS while one runs, as the finisher used to) and
 *   alone writes the state file: every change bumps d->q.gen; the thread
 *   formats the queue under the lock (memory only), saves it without the
 *   lock (fsync, rename, fsync of DIR) and publishes saved_gen.
 *   deliver_prepare waits (condition variable, no lock held) until its
 *   generation was tried, so a name is on disk before its file gets it.
 * - No lock is held across fork, waitpid, a save or logging.  The
 *   figures (stats_delivery) are relaxed atomics, stored under the lock.
 * - The wake-up condition uses CLOCK_MONOTONIC, like every due time.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "deliver.h"
#include "deliver_queue.h"
#include "deliver_state.h"
#include "log.h"
#include "postrotate.h"

#define SAVE_RETRY_NS	CLOCK_NS_PER_S	/* a failed save is tried again */

struct deliver {
	char		*dir;		/* NULL: no state file */
	char		*state_path;
	struct postrotate *pr;		/* NULL: no hook */
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake;		/* the thread: something to do */
	pthread_cond_t	 saved;		/* savers: tried_gen moved */
	/* under mu */
	struct deliver_queue q;		/* q.gen: the state's changes */
	uint64_t	 saved_gen;	/* on disk: the queue as of this */
	uint64_t	 tried_gen;	/* the last one a save was tried for */
	bool		 kick;		/* wake the thread */
	bool		 stopping;
	uint64_t	 stop_ns;	/* stopping: give up at */
	unsigned	 stop_wait_s;	/* ...this long after the stop */
	void		(*on_delivered)(void *);
	void		*on_arg;
	/* delivery thread only (main before start and after join) */
	struct dq_entry	*running[DELIVER_JOBS];
	size_t		 nrunning;
	bool		 save_failing;
	uint64_t	 save_retry_ns;
	bool		 threaded, stopped;
	pthread_t	 thread;
	struct stats_delivery counters;
};

static uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* --- the queue (under d->mu) -------------------------------------------- */

static void
set_pending(struct deliver *d)
{
	atomic_store_explicit(&d->counters.pending, d->q.n,
	    memory_order_relaxed);
}

static void
kick_locked(struct deliver *d)
{
	d->kick = true;
	pthread_cond_signal(&d->wake);
}

/* The path the hook gets for e: DIR/NAME, or the name (no state). */
static void
entry_path(const struct deliver *d, const struct dq_entry *e, char *buf,
    size_t len)
{
	if (d->dir == NULL)
		snprintf(buf, len, "%s", e->name);
	else
		snprintf(buf, len, "%s%s%s", d->dir,
		    d->dir[strlen(d->dir) - 1] == '/' ? "" : "/", e->name);
}

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* --- the state file ---------------------------------------------------- */

/*
 * Save the queue if it changed since the last save (the same one after
 * a failure: not before SAVE_RETRY_NS later unless force).  Delivery
 * thread (or main, without one).
 */
static void
save_dirty(struct deliver *d, bool force)
{
	char err[PATH_MAX * 2], *text;
	uint64_t g, now = now_ns();
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&d->mu);
	/* a failed save is retried once a second; a new change at once */
	if (d->state_path == NULL || d->q.gen == d->saved_gen ||
	    (d->save_failing && !force && d->q.gen == d->tried_gen &&
	    now < d->save_retry_ns)) {
		pthread_mutex_unlock(&d->mu);
		return;
	}
	g = d->q.gen;
	text = deliver_queue_format(&d->q, &len);
	pthread_mutex_unlock(&d->mu);
	if (text == NULL) {
		log_seterr(err, sizeof(err), "cannot save delivery state file "
		    "'%s': out of memory", d->state_path);
		rc = -1;
	} else {
		rc = deliver_state_save(d->dir, d->state_path, text, len, err,
		    sizeof(err));
		free(text);
	}
	if (rc != 0 && !d->save_failing)
		log_error("%s; the files awaiting delivery are still "
		    "delivered by this run, tried again every second", err);
	else if (rc == 0 && d->save_failing)
		log_warn("delivery state file '%s' saved again",
		    d->state_path);
	d->save_failing = rc != 0;
	d->save_retry_ns = now + SAVE_RETRY_NS;
	pthread_mutex_lock(&d->mu);
	if (g > d->tried_gen)
		d->tried_gen = g;
	if (rc == 0 && g > d->saved_gen)
		d->saved_gen = g;
	pthread_cond_broadcast(&d->saved);
	pthread_mutex_unlock(&d->mu);
}

/* With d->mu held: have the thread save generation g, wait until it was
 * tried (the lock is released while waiting).  0 if it was saved. */
static int
save_wait_locked(struct deliver *d, uint64_t g)
{
	if (!d->threaded) {
		/* no thread (cannot happen while files complete): here */
		pthread_mutex_unlock(&d->mu);
		save_dirty(d, true);
		pthread_mutex_lock(&d->mu);
		return d->saved_gen >= g ? 0 : -1;
	}
	kick_locked(d);
	while (d->tried_gen < g)
		pthread_cond_wait(&d->saved, &d->mu);
	return d->saved_gen >= g ? 0 : -1;
}

int
deliver_prepare(struct deliver *d, const char *path)
{
	const char *base;
	int rc = 0;

	if (d == NULL || d->pr == NULL || d->state_path == NULL)
		return 0;
	base = base_of(path);
	if (!deliver_state_name_ok(base)) {
		log_error("'%s' cannot be recorded as awaiting delivery: its "
		    "name holds a newline", path);
		return -1;
	}
	pthread_mutex_lock(&d->mu);
	if (deliver_queue_find(&d->q, base) == NULL) {
		struct dq_entry *e = deliver_queue_add(&d->q, base,
		    DQ_PREPARED, d->q.tail);

		set_pending(d);
		if (e == NULL) {
			pthread_mutex_unlock(&d->mu);
			log_error("'%s' cannot be recorded as awaiting "
			    "delivery: out of memory", path);
			return -1;
		}
		rc = save_wait_locked(d, d->q.gen);
	}
	pthread_mutex_unlock(&d->mu);
	return rc;
}

void
deliver_placed(struct deliver *d, const char *want, const char *placed,
    bool ok)
{
	const char *name = d == NULL || d->dir == NULL ? placed :
	    base_of(placed);
	uint64_t g;
	int rc;

	if (d == NULL || d->pr == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	g = d->q.gen;
	rc = deliver_queue_placed(&d->q, want != NULL && d->dir != NULL ?
	    base_of(want) : NULL, name, ok);
	set_pending(d);
	if (d->q.gen != g && d->state_path != NULL)
		(void)save_wait_locked(d, d->q.gen);
	kick_locked(d);
	pthread_mutex_unlock(&d->mu);
	if (rc != 0)
		log_error("'%s' is not delivered: out of memory", placed);
}

bool
deliver_is_pending(struct deliver *d, const char *base)
{
	bool pending;

	if (d == NULL)
		return false;
	pthread_mutex_lock(&d->mu);
	pending = deliver_queue_find(&d->q, base) != NULL;
	pthread_mutex_unlock(&d->mu);
	return pending;
}

void
deliver_set_on_delivered(struct deliver *d, void (*fn)(void *), void *arg)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->on_delivered = fn;
	d->on_arg = arg;
	pthread_mutex_unlock(&d->mu);
}

const struct stats_delivery *
deliver_stats(const struct deliver *d)
{
	return d != NULL ? &d->counters : NULL;
}

/* --- the delivery thread ------------------------------------------------ */

/*
 * A try of e failed (why): back to WAITING with its retry time, counted;
 * the log line says when it is tried again.  Delivery thread, no lock.
 */
static void
try_failed(struct deliver *d, struct dq_entry *e, const char *why, uint64_t now)
{
	char path[PATH_MAX];
	unsigned s;
	bool stopping;

	pthread_mutex_lock(&d->mu);
	s = deliver_queue_failed(e, now);
	stopping = d->stopping;
	atomic_fetch_add_explicit(&d->counters.failures, 1,
	    memory_order_relaxed);
	pthread_mutex_unlock(&d->mu);
	entry_path(d, e, path, sizeof(path));
	if (stopping)
		log_error("--post-rotate for '%s' %s; exiting: it stays "
		    "pending for the next run", path, why);
	else
		log_error("--post-rotate for '%s' %s; retrying in %u s", path,
		    why, s);
}

/* Reap what ended; true if a file got delivered. */
static bool
reap(struct deliver *d)
{
	char path[PATH_MAX], why[256];
	bool delivered = false;

	for (size_t i = 0; i < d->nrunning; ) {
		struct dq_entry *e = d->running[i];
		uint64_t now = now_ns();
		int rc;

		entry_path(d, e, path, sizeof(path));
		rc = postrotate_poll(d->pr, &e->job, path, now, why,
		    sizeof(why));
		if (rc == 0) {
			i++;
			continue;
		}
		d->running[i] = d->running[--d->nrunning];
		if (rc < 0) {
			try_failed(d, e, why, now);
			continue;
		}
		pthread_mutex_lock(&d->mu);
		deliver_queue_drop(&d->q, e);
		set_pending(d);
		atomic_fetch_add_explicit(&d->counters.delivered, 1,
		    memory_order_relaxed);
		pthread_mutex_unlock(&d->mu);
		if (e->failures > 0)
			log_warn("--post-rotate for '%s' succeeded on try %u",
			    path, e->failures + 1);
		else
			log_debug("--post-rotate for '%s' succeeded", path);
		free(e);
		delivered = true;
	}
	return delivered;
}

/* Start hooks, oldest first, while there is room. */
static void
start_due(struct deliver *d)
{
	char path[PATH_MAX], err[PATH_MAX + 128];

	while (d->nrunning < DELIVER_JOBS) {
		uint64_t now = now_ns();
		struct dq_entry *e;

		pthread_mutex_lock(&d->mu);
		if ((e = deliver_queue_next(&d->q, now, d->stopping)) != NULL) {
			e->state = DQ_RUNNING;
			e->tried = true;
		}
		pthread_mutex_unlock(&d->mu);
		if (e == NULL)
			return;
		entry_path(d, e, path, sizeof(path));
		if (postrotate_start(d->pr, path, now, &e->job, err,
		    sizeof(err)) != 0) {
			try_failed(d, e, err, now);
			continue;
		}
		d->running[d->nrunning++] = e;
		log_debug("--post-rotate for '%s' started (pid %ld, try %u)",
		    path, (long)e->job.pid, e->failures + 1);
	}
}

/* Is the thread done: stopping, and nothing more to wait for? */
static bool
done(struct deliver *d)
{
	bool fresh;

	pthread_mutex_lock(&d->mu);
	if (!d->stopping) {
		pthread_mutex_unlock(&d->mu);
		return false;
	}
	fresh = d->nrunning < DELIVER_JOBS && deliver_queue_next(&d->q, UINT64_MAX, true) != NULL;
	pthread_mutex_unlock(&d->mu);
	return (d->nrunning == 0 && !fresh) || now_ns() >= d->stop_ns;
}

/* Sleep until a hook may need a look, a retry is due or a kick. */
static void
idle(struct deliver *d)
{
	uint64_t now = now_ns(), until = UINT64_MAX, due;
	struct timespec ts;

	if (d->nrunning > 0)
		until = now + CLOCK_STOP_LATENCY_NS;
	pthread_mutex_lock(&d->mu);
	due = deliver_queue_next_ns(&d->q, d->stopping);
	if (due < until)
		until = due;
	if (d->save_failing && d->q.gen != d->saved_gen &&
	    d->save_retry_ns < until)
		until = d->save_retry_ns;
	if (d->stopping && d->stop_ns < until)
		until = d->stop_ns;
	while (!d->kick && d->q.gen == d->tried_gen && now_ns() < until) {
		uint64_t left = until - now_ns();

		if (left > 60 * CLOCK_NS_PER_S)
			left = 60 * CLOCK_NS_PER_S;
		ts = clock_deadline(CLOCK_MONOTONIC, left);
		pthread_cond_timedwait(&d->wake, &d->mu, &ts);
	}
	d->kick = false;
	pthread_mutex_unlock(&d->mu);
}

/* Exit with hooks running: they go on by themselves, their files stay. */
static void
leave_running(struct deliver *d)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < d->nrunning; i++) {
		struct dq_entry *e = d->running[i];

		entry_path(d, e, path, sizeof(path));
		log_warn("--post-rotate for '%s' (pid %ld) still running "
		    "after %u s; exiting, it goes on by itself (and is run "
		    "again by the next run)", path, (long)e->job.pid,
		    d->stop_wait_s);
		pthread_mutex_lock(&d->mu);
		e->state = DQ_WAITING;
		pthread_mutex_unlock(&d->mu);
	}
	d->nrunning = 0;
}

/* fn(arg) of deliver_set_on_delivered, without the lock. */
static void
tell_delivered(struct deliver *d)
{
	void (*fn)(void *);
	void *arg;

	pthread_mutex_lock(&d->mu);
	fn = d->on_delivered;
	arg = d->on_arg;
	pthread_mutex_unlock(&d->mu);
	if (fn != NULL)
		fn(arg);
}

static void *
deliver_thread(void *arg)
{
	struct deliver *d = arg;
	bool delivered = false;

	for (;;) {
		save_dirty(d, false);
		if (delivered)
			tell_delivered(d);
		delivered = reap(d);
		start_due(d);
		if (done(d))
			break;
		if (!delivered)
			idle(d);
	}
	leave_running(d);
	save_dirty(d, true);
	if (delivered)
		tell_delivered(d);
	return NULL;
}

/* --- setting up and ending ---------------------------------------------- */

/*
 * Queue the names of the state file (see deliver_queue_load); one log
 * line for each that is forgotten.  0, or -1 (no memory).
 */
static int
queue_loaded(struct deliver *d, const struct deliver_names *names)
{
	enum deliver_where *where = calloc(names->n + 1, sizeof(*where));
	int rc;

	if (where == NULL || deliver_state_where(d->dir, names, where) != 0) {
		free(where);
		return -1;
	}
	for (size_t i = 0; i < names->n; i++)
		if (where[i] == DELIVER_GONE)
			log_warn("'%s' awaited delivery but is no longer in "
			    "'%s'; forgotten", names->v[i], d->dir);
	rc = deliver_queue_load(&d->q, names, where);
	set_pending(d);
	free(where);
	return rc;
}

/* d's state file: its name, its queue.  0, or -1 with err. */
static int
load(struct deliver *d, const struct deliver_setup *ds, char *err,
    size_t errlen)
{
	struct deliver_names names = { 0 };
	char path[PATH_MAX];
	bool found;
	uint64_t gen;

	if (deliver_state_path(path, sizeof(path), ds->dir, ds->ext, err,
	    errlen) != 0)
		return -1;
	if ((d->dir = strdup(ds->dir)) == NULL ||
	    (d->state_path = strdup(path)) == NULL)
		goto oom;
	if (deliver_state_load(path, &names, &found, err, errlen) != 0) {
		deliver_names_free(&names);
		return -1;
	}
	if (queue_loaded(d, &names) != 0) {
		deliver_names_free(&names);
		goto oom;
	}
	gen = d->q.gen;
	/* on disk now: the names loaded (dirty if some were forgotten) */
	d->saved_gen = d->tried_gen = d->q.n == names.n ? gen : 0;
	deliver_names_free(&names);
	if (d->q.n > 0 && d->pr == NULL)
		log_warn("%zu file%s in '%s' await%s delivery (listed in "
		    "'%s') but there is no --post-rotate: kept (never "
		    "deleted) until a run with --post-rotate delivers them",
		    d->q.n, d->q.n == 1 ? "" : "s", d->dir,
		    d->q.n == 1 ? "s" : "",
		    d->state_path);
	return 0;
oom:
	log_seterr(err, errlen, "out of memory");
	return -1;
}

struct deliver *
deliver_create(const struct deliver_setup *ds, char *err, size_t errlen)
{
	struct deliver *d = calloc(1, sizeof(*d));
	pthread_condattr_t ca;

	if (d == NULL || deliver_queue_init(&d->q) != 0) {
		free(d);
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&d->saved, NULL);
	d->counters.hook = ds->hook_path != NULL;
	if ((ds->hook_path != NULL && (d->pr = postrotate_create(ds->hook_path,
	    ds->hook_argv, ds->timeout_s, err, errlen)) == NULL) ||
	    (ds->dir != NULL && load(d, ds, err, errlen) != 0)) {
		d->stopped = true;
		deliver_destroy(d);
		return NULL;
	}
	return d;
}

int
deliver_start(struct deliver *d, char *err, size_t errlen)
{
	int rc;

	if (d == NULL)
		return 0;
	if (d->pr == NULL) {
		save_dirty(d, true);	/* the forgotten names, if any */
		return 0;
	}
	if ((rc = pthread_create(&d->thread, NULL, deliver_thread, d)) != 0) {
		log_seterr(err, errlen, "cannot start the delivery thread: %s",
		    strerror(rc));
		return -1;
	}
	(void)pthread_setname_np(d->thread, "mtc-deliver");
	d->threaded = true;
	return 0;
}

void
deliver_stop(struct deliver *d, unsigned wait_s)
{
	if (d == NULL || d->stopped)
		return;
	d->stopped = true;
	if (!d->threaded)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	d->stop_wait_s = wait_s;
	d->stop_ns = now_ns() + wait_s * CLOCK_NS_PER_S;
	kick_locked(d);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	d->threaded = false;
	if (d->q.n > 0)
		log_warn("exiting with %zu file%s awaiting delivery%s%s%s",
		    d->q.n, d->q.n == 1 ? "" : "s", d->state_path != NULL ?
		    " (listed in '" : "", d->state_path != NULL ?
		    d->state_path : "", d->state_path != NULL ?
		    "'): the next run delivers them first" : "");
}

void
deliver_destroy(struct deliver *d)
{
	if (d == NULL)
		return;
	deliver_stop(d, 0);
	deliver_queue_free(&d->q);
	postrotate_destroy(d->pr);
	pthread_cond_destroy(&d->saved);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->mu);
	free(d->state_path);
	free(d->dir);
	free(d);
}
