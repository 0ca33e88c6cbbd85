/*
 * test_control.c - unit tests for control.c, the control thread's event
 * loop: SIGHUP and SIGTERM become the rotate and stop flags; a
 * descriptor added with control_add_fd() gets its callback on the
 * control thread; the table of descriptors has a limit; a stop during
 * control_interrupt_begin/_end ends a blocking open (a FIFO without a
 * writer) with EINTR; READY=1 and the final STATUS reach a receiver.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "control.h"
#include "stats.h"
#include "testutil.h"

/* Until *flag is set, at most 5 s; whether it was. */
static bool
wait_flag(atomic_bool *flag)
{
	struct timespec ms = clock_span(CLOCK_NS_PER_MS);

	for (int i = 0; i < 5000; i++) {
		if (atomic_load(flag))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static void
start(struct control *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	assert_int_equal(control_init(c, err, sizeof(err)), 0);
	assert_int_equal(control_start(c, err, sizeof(err)), 0);
}

static void
test_signals(void **state)
{
	struct control c;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	start(&c);
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	assert_true(wait_flag(&c.rotate));
	assert_false(atomic_load(&c.stop));
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	assert_true(wait_flag(&c.stop));
	assert_int_equal(atomic_load(&c.last_signal), SIGTERM);
	/* a second one changes nothing */
	assert_int_equal(kill(getpid(), SIGINT), 0);
	control_finish(&c);
	assert_null(c.loop);
	assert_true(atomic_load(&c.stop));
	control_finish(&c);	/* twice: a no-op */
}

struct fd_seen {
	atomic_bool	 called;
	atomic_bool	 on_loop;	/* not on the thread that added it */
	pthread_t	 adder;
};

static void
on_pipe(struct control *c, int fd, uint32_t events, void *arg)
{
	struct fd_seen *seen = arg;
	char b;

	(void)c;
	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &b, 1), 1);
	atomic_store(&seen->on_loop,
	    !pthread_equal(pthread_self(), seen->adder));
	atomic_store(&seen->called, true);
}

static void
test_add_fd(void **state)
{
	struct control c;
	struct fd_seen seen = { .adder = pthread_self() };
	char err[256];
	int p[2];

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	memset(&c, 0, sizeof(c));
	assert_int_equal(control_init(&c, err, sizeof(err)), 0);
	assert_int_equal(pipe(p), 0);
	atomic_init(&seen.called, false);
	atomic_init(&seen.on_loop, false);
	assert_int_equal(control_add_fd(&c, p[0], EPOLLIN, on_pipe, &seen,
	    err, sizeof(err)), 0);
	assert_int_equal(control_start(&c, err, sizeof(err)), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_true(wait_flag(&seen.called));
	assert_true(atomic_load(&seen.on_loop));
	control_finish(&c);
	close(p[0]);
	close(p[1]);
}

static void
test_add_fd_limit(void **state)
{
	struct control c;
	char err[256];
	int p[2], i, rc = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(control_init(&c, err, sizeof(err)), 0);
	assert_int_equal(pipe(p), 0);
	/* the loop's own three are in already; dup()s: one fd each */
	for (i = 0; i < 64 && rc == 0; i++) {
		int fd = dup(p[0]);

		rc = control_add_fd(&c, fd, EPOLLIN, on_pipe, NULL, err,
		    sizeof(err));
		if (rc != 0)
			close(fd);
	}
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "control loop: more than"));
	control_finish(&c);	/* never started */
	close(p[0]);
	close(p[1]);
}

struct stopper {
	const char	*fifo;
	atomic_bool	 opened;	/* the open returned */
};

/* SIGTERM 200 ms in; a writer for the FIFO after 5 s if still needed. */
static void *
stopper_thread(void *arg)
{
	struct stopper *s = arg;
	struct timespec t = clock_span(200 * CLOCK_NS_PER_MS);

	nanosleep(&t, NULL);
	kill(getpid(), SIGTERM);
	for (int i = 0; i < 500 && !atomic_load(&s->opened); i++) {
		t = clock_span(10 * CLOCK_NS_PER_MS);
		nanosleep(&t, NULL);
	}
	if (!atomic_load(&s->opened)) {
		int fd = open(s->fifo, O_WRONLY | O_CLOEXEC);	/* unblock */

		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void
test_interrupt_open(void **state)
{
	struct control c;
	struct stopper s;
	char dir[512], fifo[600], err[256];
	pthread_t t;
	int fd, errnum;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(testutil_mkdtemp(dir, sizeof(dir), "test_control"),
	    0);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	start(&c);
	assert_int_equal(control_interrupt_begin(&c, err, sizeof(err)), 0);
	s.fifo = fifo;
	atomic_init(&s.opened, false);
	assert_int_equal(pthread_create(&t, NULL, stopper_thread, &s), 0);
	fd = open(fifo, O_RDONLY | O_CLOEXEC);	/* no writer: waits */
	errnum = errno;
	atomic_store(&s.opened, true);
	control_interrupt_end(&c);
	pthread_join(t, NULL);
	assert_int_equal(fd, -1);
	assert_int_equal(errnum, EINTR);
	assert_true(atomic_load(&c.stop));
	control_finish(&c);
	testutil_remove_tree(dir);
}

#ifdef HAVE_LIBSYSTEMD
static void
test_ready_and_final_status(void **state)
{
	struct control c;
	struct stats st;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char addr[64], want[64], buf[2048];
	ssize_t n;
	int fd;

	(void)state;
	snprintf(addr, sizeof(addr), "@mtc-control-test-%ld", (long)getpid());
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memcpy(sa.sun_path + 1, addr + 1, strlen(addr) - 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(addr))), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	setenv("NOTIFY_SOCKET", addr, 1);
	assert_int_equal(stats_init(&st, NULL, 0), 0);
	start(&c);
	control_ready(&c, &st);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%lu\nSTATUS=capturing",
	    (unsigned long)getpid());
	assert_string_equal(buf, want);
	control_finish(&c);
	/* the counters every tick may have come between: the last counts */
	do {
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n >= 0)
			buf[n] = '\0';
	} while (n >= 0 && strncmp(buf, "STATUS=stopped: ", 16) != 0);
	assert_true(n >= 0);
	assert_string_equal(buf, "STATUS=stopped: 0 packets written, 0 lost, "
	    "0 dropped by the kernel; 0 files done");
	stats_destroy(&st);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_add_fd),
		cmocka_unit_test(test_add_fd_limit),
		cmocka_unit_test(test_interrupt_open),
#ifdef HAVE_LIBSYSTEMD
		cmocka_unit_test(test_ready_and_final_status),
#endif
	};

	/* as main does, before any thread */
	if (control_block_signals() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
