/*
 * notify.c - systemd's notification protocol (sd_notify(3)), Type=notify.
 *
 * DESIGN
 * - Messages: READY=1 and MAINPID from main once the inputs run and the
 *   output is checked; STOPPING=1 and a SIGHUP STATUS line from the
 *   signal thread (control.c); STATUS lines with live counters and
 *   WATCHDOG=1 pings from the notify thread started here.  Only that
 *   thread sends (libsystemd's sd_notify() blocks while the receiver's
 *   queue is full); the others set a request under req_lock and signal
 *   it, and exit waits for it at most JOIN_WAIT_S seconds.
 * - The notify thread reads only atomics (control's heartbeat and stop
 *   flag) and one snapshot of the statistics (stats_live_status, under
 *   the stats lock).
 * - Watchdog: a ping every half WATCHDOG_USEC, but only if the writer's
 *   heartbeat (control_beat(), once per turn of its loop, at least every
 *   100 ms even when idle) advanced within the last half interval (or
 *   BEAT_SLACK_NS, if longer).  A writer
 *   stuck in a write or a lock stops the pings and systemd's watchdog
 *   restarts the service; a thread that pinged regardless would hide it.
 * - Nothing here can stop a capture: without NOTIFY_SOCKET every call
 *   returns at once, and a send that fails is logged once and forgotten.
 * - Built --with-systemd=no (or without libsystemd found by configure),
 *   HAVE_LIBSYSTEMD is undefined and every notify_* function below is an
 *   empty stub: no message is ever sent, whatever the environment says.
 */
#include "config.h"

#include "notify.h"

#ifdef HAVE_LIBSYSTEMD

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "stats.h"

#define TICK_NS		CLOCK_STOP_LATENCY_NS	/* thread's longest sleep */
#define STATUS_EVERY_NS	2000000000ull		/* a STATUS line at most this often */
#define BEAT_SLACK_NS	300000000ull		/* > the writer's idle tick */
#define STATUS_MAX	1100			/* "STATUS=", a prefix, 1023 escaped bytes */
#define JOIN_WAIT_S	2			/* for a blocked send at exit */

static pthread_t notify_thread;
static bool started;			/* under req_lock once the thread runs */
static atomic_bool warned;		/* a failed send was logged */
static const struct control *n_ctl;
static struct stats *n_stats;
static uint64_t watchdog_ns;		/* 0: no watchdog requested */

/* What the other threads ask the notify thread to send. */
static pthread_mutex_t req_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t req_cond;
static bool req_ready, req_stopping, req_done, thread_ended;
static char req_status[256];		/* "" when none */

static bool
wanted(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	return e != NULL && e[0] != '\0';
}

/*
 * Send msg; a failure is logged once (the capture does not care).
 * Notify thread only: sd_notify() blocks while the receiver's queue is
 * full, which must never hold up the writer, the signal thread or exit.
 */
static void
send_msg(const char *msg)
{
	int rc = sd_notify(0, msg);

	if (rc < 0 && !atomic_exchange(&warned, true))
		log_warn("cannot notify the service manager at '%s': %s "
		    "(capture goes on; not reported again)",
		    getenv("NOTIFY_SOCKET"), strerror(-rc));
}

/* Ask the notify thread for something (any thread; no-op if not running). */
static void
request(bool *flag, const char *status)
{
	pthread_mutex_lock(&req_lock);
	if (started) {
		if (flag != NULL)
			*flag = true;
		if (status != NULL)
			snprintf(req_status, sizeof(req_status), "%s", status);
		pthread_cond_signal(&req_cond);
	}
	pthread_mutex_unlock(&req_lock);
}

void
notify_ready(void)
{
	request(&req_ready, NULL);
}

void
notify_status(const char *text)
{
	request(NULL, text);
}

void
notify_stopping(void)
{
	request(&req_stopping, NULL);
}

/* STATUS=<prefix><counters>, if forced or it differs from *last. */
static void
send_counters(const char *prefix, bool force, char *last, size_t lastlen)
{
	char line[384], safe[1024], msg[STATUS_MAX];

	stats_live_status(n_stats, line, sizeof(line));
	/* it names the current file: a newline in it would end STATUS= and
	 * start another assignment */
	log_escape(safe, sizeof(safe), line);
	snprintf(msg, sizeof(msg), "STATUS=%s%s", prefix, safe);
	if (!force && strcmp(msg, last) == 0)
		return;
	snprintf(last, lastlen, "%s", msg);
	send_msg(msg);
}

static void *
notify_run_thread(void *arg)
{
	char last[STATUS_MAX] = "", msg[300];
	uint64_t now = mono_ns();
	uint64_t next_status = now, next_ping = now + watchdog_ns / 2;
	uint64_t seen_beat = atomic_load_explicit(&n_ctl->beat,
	    memory_order_relaxed), beat_at = now, stalled_since = 0;
	bool stopping = false, force = false;

	(void)arg;
	for (;;) {
		struct timespec until;
		bool ready, stop_now, done;
		uint64_t beat;

		msg[0] = '\0';
		until = clock_deadline(CLOCK_MONOTONIC, TICK_NS);
		pthread_mutex_lock(&req_lock);
		if (!req_ready && !req_stopping && !req_done &&
		    req_status[0] == '\0')
			pthread_cond_timedwait(&req_cond, &req_lock, &until);
		ready = req_ready;
		stop_now = req_stopping;
		done = req_done;
		if (req_status[0] != '\0')
			snprintf(msg, sizeof(msg), "STATUS=%s", req_status);
		req_ready = req_stopping = false;
		req_status[0] = '\0';
		pthread_mutex_unlock(&req_lock);

		if (ready) {
			char r[64];

			snprintf(r, sizeof(r), "READY=1\nMAINPID=%lu\n"
			    "STATUS=capturing", (unsigned long)getpid());
			send_msg(r);
		}
		if (msg[0] != '\0') {
			send_msg(msg);
			force = true;	/* the counters again next time */
		}
		if (stop_now) {
			send_msg("STOPPING=1\nSTATUS=stopping, writing what "
			    "is queued");
			stopping = force = true;
		}
		if (done)
			break;
		now = mono_ns();
		beat = atomic_load_explicit(&n_ctl->beat, memory_order_relaxed);
		if (beat != seen_beat) {
			seen_beat = beat;
			beat_at = now;
		}
		if (watchdog_ns != 0 && now >= next_ping) {
			/* the writer beats at least every 100 ms */
			uint64_t slack = watchdog_ns / 2 > BEAT_SLACK_NS ?
			    watchdog_ns / 2 : BEAT_SLACK_NS;

			if (now - beat_at <= slack) {
				send_msg("WATCHDOG=1");
				if (stalled_since != 0)
					log_warn("the writer is making progress "
					    "again after %.1f s; pinging the "
					    "watchdog again",
					    (double)(now - stalled_since) / 1e9);
				stalled_since = 0;
			} else if (stalled_since == 0) {
				stalled_since = beat_at;
				log_warn("the writer made no progress for %.1f "
				    "s: not pinging systemd's watchdog",
				    (double)(now - beat_at) / 1e9);
			}
			next_ping = now + watchdog_ns / 2;
		}
		if (now >= next_status) {
			send_counters(stopping ? "stopping: " : "", force,
			    last, sizeof(last));
			force = false;
			next_status = now + STATUS_EVERY_NS;
		}
	}
	/* the final counters, for `systemctl status` after the stop */
	send_counters("stopped: ", true, last, sizeof(last));
	pthread_mutex_lock(&req_lock);
	thread_ended = true;
	pthread_cond_broadcast(&req_cond);
	pthread_mutex_unlock(&req_lock);
	return NULL;
}

int
notify_start(const struct control *ctl, struct stats *stats, char *err,
    size_t errlen)
{
	pthread_condattr_t ca;
	uint64_t usec = 0;
	int rc;

	if (!wanted())
		return 0;
	n_ctl = ctl;
	n_stats = stats;
	/* > 0 only if WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is us) */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		watchdog_ns = usec * 1000u;
		log_info("systemd watchdog: pinging every %.3f s while the "
		    "writer makes progress", (double)watchdog_ns / 2e9);
	}
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&req_cond, &ca) != 0) {
		log_seterr(err, errlen, "cannot start the notify thread: "
		    "condition variable");
		return -1;
	}
	pthread_condattr_destroy(&ca);
	req_ready = req_stopping = req_done = thread_ended = false;
	req_status[0] = '\0';
	rc = pthread_create(&notify_thread, NULL, notify_run_thread, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&req_cond);
		log_seterr(err, errlen, "cannot start the notify thread: %s",
		    strerror(rc));
		return -1;
	}
	pthread_mutex_lock(&req_lock);
	started = true;
	pthread_mutex_unlock(&req_lock);
	return 0;
}

void
notify_finish(void)
{
	struct timespec until;
	bool ended;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += JOIN_WAIT_S;
	pthread_mutex_lock(&req_lock);
	if (!started) {
		pthread_mutex_unlock(&req_lock);
		return;
	}
	started = false;	/* later requests (signal thread) are dropped */
	req_done = true;
	pthread_cond_signal(&req_cond);
	while (!thread_ended && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&req_cond, &req_lock, &until);
	ended = thread_ended;
	pthread_mutex_unlock(&req_lock);
	if (!ended) {
		/* stuck in sd_notify(): exit does not wait for it */
		log_warn("the service manager does not read its notification "
		    "socket; exiting without the last messages");
		pthread_detach(notify_thread);
		return;
	}
	/* req_cond stays: the signal thread may still take req_lock */
	pthread_join(notify_thread, NULL);
}

#else	/* !HAVE_LIBSYSTEMD */

/*
 * Built without systemd support (configure --with-systemd=no, or
 * libsystemd not found): notifications are compiled out and every
 * function is a no-op, even when NOTIFY_SOCKET is set.  A Type=notify
 * unit then never becomes ready: use Type=simple.
 */
void
notify_ready(void)
{
}

void
notify_status(const char *text)
{
	(void)text;
}

void
notify_stopping(void)
{
}

int
notify_start(const struct control *ctl, struct stats *stats, char *err,
    size_t errlen)
{
	(void)ctl;
	(void)stats;
	(void)err;
	(void)errlen;
	return 0;
}

void
notify_finish(void)
{
}

#endif	/* HAVE_LIBSYSTEMD */
