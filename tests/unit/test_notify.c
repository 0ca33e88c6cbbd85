/*
 * test_notify.c - unit tests for notify.c, systemd's notification
 * protocol: nothing without NOTIFY_SOCKET, the datagrams a receiver gets
 * (path and abstract addresses), a full receiver queue reported as busy
 * (never waited for, never logged), an unreachable address as a failure
 * logged once, and STATUS text escaped.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

#ifdef HAVE_LIBSYSTEMD
/* A datagram socket bound to addr ("@name": abstract); its fd. */
static int
receiver(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t len = strlen(addr);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, addr, len);
	if (addr[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (addr[0] != '@'))), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	return fd;
}

static void
expect_msg(int fd, const char *want)
{
	char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}
#endif

static void
test_off_without_socket(void **state)
{
	struct notify n;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "500000", 1);
	notify_init(&n);
	assert_false(n.on);
	assert_int_equal(n.watchdog_ns, 0);
	assert_int_equal(notify_ready(&n), NOTIFY_SENT);
	assert_int_equal(n.fd, -1);	/* no socket at all */
	notify_close(&n);
	unsetenv("WATCHDOG_USEC");
}

#ifdef HAVE_LIBSYSTEMD

static void
test_messages(const char *addr)
{
	struct notify n;
	char want[64];
	int fd = receiver(addr);

	setenv("NOTIFY_SOCKET", addr, 1);
	notify_init(&n);
	assert_true(n.on);
	assert_int_equal(notify_ready(&n), NOTIFY_SENT);
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%lu\nSTATUS=capturing",
	    (unsigned long)getpid());
	expect_msg(fd, want);
	assert_int_equal(notify_watchdog(&n), NOTIFY_SENT);
	expect_msg(fd, "WATCHDOG=1");
	assert_int_equal(notify_stopping(&n), NOTIFY_SENT);
	expect_msg(fd, "STOPPING=1\nSTATUS=stopping, writing what is queued");
	assert_false(n.warned);
	notify_close(&n);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	if (addr[0] == '/')
		unlink(addr);
}

static void
test_path_socket(void **state)
{
	char addr[108];

	(void)state;
	snprintf(addr, sizeof(addr), "%s/mtc-notify-%ld.sock",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
	    (long)getpid());
	unlink(addr);
	test_messages(addr);
}

static void
test_abstract_socket(void **state)
{
	char addr[64];

	(void)state;
	snprintf(addr, sizeof(addr), "@mtc-notify-test-%ld", (long)getpid());
	test_messages(addr);
}

static void
test_full_queue_is_busy(void **state)
{
	struct notify n;
	char addr[64];
	enum notify_sent r = NOTIFY_SENT;
	int fd, i;

	(void)state;
	snprintf(addr, sizeof(addr), "@mtc-notify-deaf-%ld", (long)getpid());
	fd = receiver(addr);
	setenv("NOTIFY_SOCKET", addr, 1);
	notify_init(&n);
	/* nobody reads: the queue (net.unix.max_dgram_qlen) fills */
	for (i = 0; i < 100000 && r == NOTIFY_SENT; i++)
		r = notify_watchdog(&n);
	assert_int_equal(r, NOTIFY_BUSY);
	assert_false(n.warned);
	/* room again once the receiver reads */
	expect_msg(fd, "WATCHDOG=1");
	assert_int_equal(notify_watchdog(&n), NOTIFY_SENT);
	notify_close(&n);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void
test_unreachable(void **state)
{
	struct notify n;

	(void)state;
	setenv("NOTIFY_SOCKET", "/nonexistent/mtc/notify.sock", 1);
	notify_init(&n);
	assert_int_equal(notify_ready(&n), NOTIFY_FAILED);
	assert_true(n.warned);
	assert_int_equal(notify_watchdog(&n), NOTIFY_FAILED);
	notify_close(&n);
	/* not an address at all */
	setenv("NOTIFY_SOCKET", "relative/sock", 1);
	notify_init(&n);
	assert_true(n.on);
	assert_int_equal(notify_ready(&n), NOTIFY_FAILED);
	notify_close(&n);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_watchdog_usec(void **state)
{
	struct notify n;

	(void)state;
	setenv("NOTIFY_SOCKET", "@mtc-notify-unused", 1);
	setenv("WATCHDOG_USEC", "500000", 1);
	unsetenv("WATCHDOG_PID");
	notify_init(&n);
	assert_int_equal(n.watchdog_ns, 500000000u);
	/* another process's watchdog */
	setenv("WATCHDOG_PID", "1", 1);
	notify_init(&n);
	assert_int_equal(n.watchdog_ns, 0);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	unsetenv("NOTIFY_SOCKET");
}

#endif	/* HAVE_LIBSYSTEMD */

static void
test_status_escaped(void **state)
{
	char buf[NOTIFY_STATUS_MAX];

	(void)state;
	notify_status_format(buf, sizeof(buf), "stopping: ",
	    "3 packets; writing a\nREADY=1");
	assert_string_equal(buf,
	    "STATUS=stopping: 3 packets; writing a\\nREADY=1");
	notify_status_format(buf, sizeof(buf), "", "SIGHUP: starting a new "
	    "file");
	assert_string_equal(buf, "STATUS=SIGHUP: starting a new file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_without_socket),
#ifdef HAVE_LIBSYSTEMD
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_full_queue_is_busy),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_watchdog_usec),
#endif
		cmocka_unit_test(test_status_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
