/*
 * test_session.c - unit tests for session.c, the counter sessions, on
 * the real reader core: a pcap file input of UDP packets to four ports
 * (made here) is read by its reader thread while sessions count; their
 * figures must equal what is known to be in the file.  Names, filters
 * that do not compile, the limit, modify and stop, poll's deltas, and a
 * thread that changes sessions as fast as it can while the reader runs
 * (run under TSan and ASan: the tables it swaps out must be freed only
 * once the reader is past them).
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input.h"
#include "options.h"
#include "queue.h"
#include "session.h"
#include "testutil.h"

#define NPORTS	4
#define FRAME	60u		/* Ethernet + IPv4 + UDP + 18 bytes */

struct fixture {
	char			 dir[256], uri[300];
	size_t			 npkt;
	struct config		 cfg;
	struct queue_waiter	 waiter;
	struct input		*in;
	atomic_bool		 stop;
};

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* A classic pcap of n frames, frame i to UDP port 1000 + i % NPORTS. */
static void
make_pcap(const char *path, size_t n)
{
	static const unsigned char ghdr[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 1, 0, 0, 0,
	};
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(ghdr, 1, sizeof(ghdr), fp), sizeof(ghdr));
	for (size_t i = 0; i < n; i++) {
		uint32_t rec[4] = { 1700000000u + (uint32_t)(i / 1000),
		    (uint32_t)(i % 1000) * 1000u, FRAME, FRAME };
		unsigned char f[FRAME];

		memset(f, 0, sizeof(f));
		memset(f, 0x02, 12);		/* MACs */
		f[12] = 0x08;			/* IPv4 */
		f[14] = 0x45;
		put16(f + 16, FRAME - 14);
		f[22] = 64;
		f[23] = 17;			/* UDP */
		f[26] = 198, f[27] = 18, f[28] = 0, f[29] = 1;
		f[30] = 198, f[31] = 19, f[32] = 0, f[33] = 1;
		put16(f + 34, 2000);
		put16(f + 36, 1000 + (unsigned)(i % NPORTS));
		put16(f + 38, FRAME - 34);
		assert_int_equal(fwrite(rec, 1, sizeof(rec), fp), sizeof(rec));
		assert_int_equal(fwrite(f, 1, sizeof(f), fp), sizeof(f));
	}
	assert_int_equal(fclose(fp), 0);
}

/* Open the file input of npkt frames (its reader not started). */
static struct fixture *
fixture_open(size_t npkt)
{
	struct fixture *x = calloc(1, sizeof(*x));
	char path[300], err[256];

	assert_non_null(x);
	assert_int_equal(testutil_mkdtemp(x->dir, sizeof(x->dir),
	    "test_session"), 0);
	snprintf(path, sizeof(path), "%s/in.pcap", x->dir);
	assert_true(snprintf(x->uri, sizeof(x->uri), "pcapfile:%s", path) <
	    (int)sizeof(x->uri));
	make_pcap(path, npkt);
	x->npkt = npkt;
	x->cfg.snaplen = OPTIONS_SNAPLEN_MAX;
	x->cfg.maxwait_ms = OPTIONS_MAXWAIT_DEFAULT;
	x->cfg.queue_bytes = 1 << 20;
	x->cfg.capture_buffer = (size_t)OPTIONS_CAPBUF_MB_DEFAULT << 20;
	x->cfg.file_ext = "";
	/* counter sessions come through the control socket: with one, the
	 * file keeps a reader thread and a queue (not read in place) */
	x->cfg.control_path = "/nonexistent/test_session.sock";
	atomic_init(&x->stop, false);
	assert_int_equal(queue_waiter_init(&x->waiter), 0);
	x->in = input_open(x->uri, 0, &x->cfg, NULL, &x->waiter, NULL, err,
	    sizeof(err));
	if (x->in == NULL)
		fail_msg("input_open: %s", err);
	return x;
}

/* Start the reader and drain its queue to the end. */
static void
fixture_read(struct fixture *x)
{
	struct queue *q = input_stream_queue(x->in, 0);
	char err[256];
	size_t n = 0;

	assert_int_equal(input_start(x->in, &x->stop, err, sizeof(err)), 0);
	for (;;) {
		if (queue_peek_try(q) != NULL) {
			queue_pop(q);
			n++;
			continue;
		}
		if (queue_finished(q))
			break;
		queue_waiter_prepare(&x->waiter);
		if (queue_peek_try(q) != NULL || queue_finished(q)) {
			queue_waiter_cancel(&x->waiter);
			continue;
		}
		queue_waiter_wait(&x->waiter, 10000000ull);
	}
	input_join(x->in);
	assert_int_equal(n, x->npkt);
}

static void
fixture_close(struct fixture *x)
{
	input_destroy(x->in);
	queue_waiter_destroy(&x->waiter);
	testutil_remove_tree(x->dir);
	free(x);
}

static void
expect_figures(struct sessions *s, const char *name, uint64_t packets)
{
	struct session_figures f;
	char err[256];

	if (sessions_show(s, name, &f, err, sizeof(err)) != 0)
		fail_msg("show %s: %s", name, err);
	assert_string_equal(f.name, name);
	assert_int_equal(f.ninputs, 1);
	assert_int_equal(f.total_packets, packets);
	assert_int_equal(f.packets[0], packets);
	assert_int_equal(f.total_bytes, packets * FRAME);
	assert_int_equal(f.bytes[0], packets * FRAME);
	sessions_figures_free(&f, 1);
}

static void
expect_error(int rc, const char *err, const char *want)
{
	assert_int_equal(rc, -1);
	assert_string_equal(err, want);
}

static void
test_counts(void **state)
{
	struct fixture *x = fixture_open(4000);
	struct sessions *s;
	struct session_figures f, *all;
	uint64_t dp, db;
	char err[512], want[512];
	size_t n;

	(void)state;
	s = sessions_create(&x->in, 1, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(sessions_new(s, "p1000", "udp dst port 1000", err,
	    sizeof(err)), 0);
	assert_int_equal(sessions_new(s, "low.2-x_", "udp dst port 1000 or "
	    "udp dst port 1001", err, sizeof(err)), 0);
	assert_int_equal(sessions_new(s, "all", "", err, sizeof(err)), 0);
	assert_int_equal(sessions_new(s, "none", "tcp", err, sizeof(err)), 0);
	expect_error(sessions_new(s, "all", "udp", err, sizeof(err)), err,
	    "session 'all' exists");
	expect_error(sessions_new(s, "a b", "udp", err, sizeof(err)), err,
	    "bad session name 'a b': 1 to 64 of A-Z a-z 0-9 _ . -");
	expect_error(sessions_new(s, "", "udp", err, sizeof(err)), err,
	    "bad session name '': 1 to 64 of A-Z a-z 0-9 _ . -");
	assert_int_equal(sessions_new(s, "bad", "udp port", err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want), "filter 'udp port' does not compile for "
	    "input '%s': ", x->uri);
	assert_memory_equal(err, want, strlen(want));
	fixture_read(x);
	expect_figures(s, "p1000", x->npkt / NPORTS);
	expect_figures(s, "low.2-x_", x->npkt / 2);
	expect_figures(s, "all", x->npkt);
	expect_figures(s, "none", 0);
	/* poll: since the start, then nothing new */
	assert_int_equal(sessions_poll(s, "all", &f, &dp, &db, err,
	    sizeof(err)), 0);
	assert_int_equal(dp, x->npkt);
	assert_int_equal(db, x->npkt * FRAME);
	sessions_figures_free(&f, 1);
	assert_int_equal(sessions_poll(s, "all", &f, &dp, &db, err,
	    sizeof(err)), 0);
	assert_int_equal(dp, 0);
	assert_int_equal(db, 0);
	assert_int_equal(f.total_packets, x->npkt);
	assert_string_equal(f.filter, "");
	sessions_figures_free(&f, 1);
	/* each, by name */
	n = sessions_each(s, &all);
	assert_int_equal(n, 4);
	assert_string_equal(all[0].name, "all");
	assert_string_equal(all[1].name, "low.2-x_");
	assert_string_equal(all[2].name, "none");
	assert_string_equal(all[3].name, "p1000");
	assert_string_equal(all[3].filter, "udp dst port 1000");
	sessions_figures_free(all, n);
	free(all);
	/* modify starts from 0; stop ends it */
	assert_int_equal(sessions_modify(s, "all", "udp", err, sizeof(err)), 0);
	expect_figures(s, "all", 0);
	expect_error(sessions_modify(s, "nope", "udp", err, sizeof(err)), err,
	    "no session 'nope'");
	assert_int_equal(sessions_stop(s, "p1000", err, sizeof(err)), 0);
	expect_error(sessions_show(s, "p1000", &f, err, sizeof(err)), err,
	    "no session 'p1000'");
	expect_error(sessions_stop(s, "p1000", err, sizeof(err)), err,
	    "no session 'p1000'");
	sessions_destroy(s);
	fixture_close(x);
}

static void
test_limit(void **state)
{
	struct fixture *x = fixture_open(10);
	struct sessions *s;
	char err[256], name[32];

	(void)state;
	s = sessions_create(&x->in, 1, err, sizeof(err));
	assert_non_null(s);
	for (int i = 0; i < SESSIONS_MAX; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(sessions_new(s, name, "udp", err,
		    sizeof(err)), 0);
	}
	expect_error(sessions_new(s, "one-more", "udp", err, sizeof(err)), err,
	    "too many sessions (64)");
	assert_int_equal(sessions_stop(s, "s7", err, sizeof(err)), 0);
	/* no reader ran: what was retired is free at once */
	assert_int_equal(sessions_new(s, "one-more", "udp", err, sizeof(err)),
	    0);
	fixture_read(x);
	expect_figures(s, "one-more", 10);
	expect_figures(s, "s63", 10);
	sessions_destroy(s);
	fixture_close(x);
}

struct churn {
	struct sessions	*s;
	atomic_bool	 done;
	unsigned	 changes;
};

static void *
churn_thread(void *arg)
{
	struct churn *c = arg;
	char err[256];

	while (!atomic_load(&c->done)) {
		if (sessions_new(c->s, "churn", "udp dst port 1001", err,
		    sizeof(err)) == 0)
			c->changes++;
		if (sessions_modify(c->s, "churn", "udp", err,
		    sizeof(err)) == 0)
			c->changes++;
		if (sessions_stop(c->s, "churn", err, sizeof(err)) == 0)
			c->changes++;
	}
	return NULL;
}

/* Sessions changing all the time beside one that does not: it counts
 * exactly, and nothing the reader held is freed under it. */
static void
test_churn(void **state)
{
	struct fixture *x = fixture_open(200000);
	struct churn c = { 0 };
	pthread_t t;
	char err[256];

	(void)state;
	c.s = sessions_create(&x->in, 1, err, sizeof(err));
	assert_non_null(c.s);
	assert_int_equal(sessions_new(c.s, "steady", "udp dst port 1002", err,
	    sizeof(err)), 0);
	atomic_init(&c.done, false);
	assert_int_equal(pthread_create(&t, NULL, churn_thread, &c), 0);
	fixture_read(x);
	atomic_store(&c.done, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(c.changes > 0);
	expect_figures(c.s, "steady", x->npkt / NPORTS);
	sessions_destroy(c.s);
	fixture_close(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
