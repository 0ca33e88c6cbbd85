/*
 * control.c - the signal thread.
 *
 * DESIGN
 * - One thread sigtimedwait()s for SIGINT, SIGTERM and SIGHUP, blocked in
 *   every thread since before they were created, and sets atomic flags
 *   that the readers and the writer poll; no handler ever runs, so no
 *   async-signal-safety concerns anywhere else.
 * - It also tells systemd (notify.c): a STATUS line on SIGHUP, STOPPING=1
 *   on the first stop signal: one datagram each to the service manager,
 *   which never fails the capture.
 * - main ends it by setting done and sending the thread a SIGHUP (which
 *   it then ignores), so exiting costs no wait for a tick.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "notify.h"

static pthread_t signal_thread;
static bool started;

static void
fill_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int
control_block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	fill_set(&set);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

void
control_init(struct control *c)
{
	atomic_init(&c->stop, false);
	atomic_init(&c->rotate, false);
	atomic_init(&c->done, false);
	atomic_init(&c->last_signal, 0);
	atomic_init(&c->beat, 0);
}

static void *
control_signal_thread(void *arg)
{
	struct control *c = arg;
	struct timespec tick = clock_span(CLOCK_STOP_LATENCY_NS);
	sigset_t set;

	fill_set(&set);
	while (!atomic_load_explicit(&c->done, memory_order_relaxed)) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig < 0)
			continue;	/* EAGAIN (tick) or EINTR */
		if (atomic_load_explicit(&c->done, memory_order_relaxed))
			break;		/* control_finish's wake-up */
		atomic_store_explicit(&c->last_signal, sig,
		    memory_order_relaxed);
		if (sig == SIGHUP) {
			log_info("SIGHUP: starting a new file");
			atomic_store_explicit(&c->rotate, true,
			    memory_order_relaxed);
			notify_status("SIGHUP: starting a new file");
		} else {
			if (atomic_exchange_explicit(&c->stop, true,
			    memory_order_relaxed)) {
				log_info("%s: already stopping",
				    strsignal(sig));
			} else {
				log_info("%s: stopping, draining the queues",
				    strsignal(sig));
				notify_stopping();
			}
		}
	}
	return NULL;
}

int
control_start(struct control *c, char *err, size_t errlen)
{
	int rc = pthread_create(&signal_thread, NULL, control_signal_thread, c);

	if (rc != 0) {
		log_seterr(err, errlen, "cannot start the signal thread: %s",
		    strerror(rc));
		return -1;
	}
	started = true;
	return 0;
}

void
control_finish(struct control *c)
{
	if (!started)
		return;
	atomic_store_explicit(&c->done, true, memory_order_relaxed);
	pthread_kill(signal_thread, SIGHUP);
	pthread_join(signal_thread, NULL);
	started = false;
}
