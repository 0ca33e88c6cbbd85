/*
 * test_input.c - unit tests for input_push() (input_backend.h), the one
 * packet path every backend calls: the filter applies once and counts
 * what it rejects, the snap length cuts every record, and records reach
 * the queue in order with their stamps, wire lengths and link types.
 * The reader core is driven without a backend: a stream is set up by
 * hand around a queue.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "input_backend.h"

#define SNAPLEN		60u

struct fixture {
	struct queue_waiter	 waiter;
	struct input		 src;
	struct input_stream	 st;
	pcap_t			*dead;
	unsigned		 batch;
};

static int
setup(void **state)
{
	static struct fixture f;
	static char uri[] = "test:";
	char err[128];

	memset(&f, 0, sizeof(f));
	assert_int_equal(queue_waiter_init(&f.waiter), 0);
	f.src.uri = uri;
	f.src.snaplen = SNAPLEN;
	f.src.nstreams = 1;
	f.src.streams = &f.st;
	f.st.src = &f.src;
	f.st.snaplen = SNAPLEN;
	f.st.q = queue_create(1 << 16, SNAPLEN, &f.waiter, err, sizeof(err));
	assert_non_null(f.st.q);
	f.dead = pcap_open_dead(INPUT_LT_EN10MB, 262144);
	assert_non_null(f.dead);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->st.have_prog)
		pcap_freecode(&f->st.prog);
	pcap_close(f->dead);
	queue_destroy(f->st.q);
	queue_waiter_destroy(&f->waiter);
	return 0;
}

/* An Ethernet frame of len bytes carrying IPv4 (proto) or ARP. */
static void
frame(unsigned char *p, size_t len, bool ip, uint8_t proto)
{
	memset(p, 0xab, len);
	p[12] = 0x08;
	p[13] = ip ? 0x00 : 0x06;
	if (ip) {
		p[14] = 0x45;
		p[23] = proto;
	}
}

static const struct queue_rec *
next(struct fixture *f)
{
	queue_publish(f->st.q);
	return queue_peek_try(f->st.q);
}

/* No filter: every packet queued, cut to the snap length, as given. */
static void
test_push_snaplen(void **state)
{
	struct fixture *f = *state;
	unsigned char p[200];
	const struct queue_rec *r;

	frame(p, sizeof(p), true, 6);
	input_push(&f->st, 1000, 200, 300, 1, p, &f->batch);
	input_push(&f->st, 2000, 40, 40, 105, p, &f->batch);
	assert_int_equal(atomic_load(&f->st.c.read), 2);
	assert_int_equal(atomic_load(&f->st.c.filtered), 0);
	assert_int_equal(f->batch, 2);
	r = next(f);
	assert_non_null(r);
	assert_int_equal(r->ts_ns, 1000);
	assert_int_equal(r->caplen, SNAPLEN);
	assert_int_equal(r->wirelen, 300);
	assert_int_equal(r->linktype, 1);
	assert_memory_equal(r->data, p, SNAPLEN);
	queue_pop(f->st.q);
	r = next(f);
	assert_non_null(r);
	assert_int_equal(r->ts_ns, 2000);
	assert_int_equal(r->caplen, 40);
	assert_int_equal(r->wirelen, 40);
	assert_int_equal(r->linktype, 105);
	queue_pop(f->st.q);
	assert_null(next(f));
}

/* A filter for input_push: applied to the whole packet before the cut
 * (the wire length too), rejects counted as filtered, never queued. */
static void
test_push_filter(void **state)
{
	struct fixture *f = *state;
	unsigned char p[200];
	const struct queue_rec *r;

	assert_int_equal(pcap_compile(f->dead, &f->st.prog,
	    "tcp and len > 150", 1, PCAP_NETMASK_UNKNOWN), 0);
	f->st.have_prog = true;
	f->st.filter = &f->st.prog;
	frame(p, sizeof(p), true, 6);
	input_push(&f->st, 1, 200, 200, 1, p, &f->batch);	/* kept */
	input_push(&f->st, 2, 100, 100, 1, p, &f->batch);	/* short */
	input_push(&f->st, 3, 100, 400, 1, p, &f->batch);	/* kept: wire */
	frame(p, sizeof(p), true, 17);
	input_push(&f->st, 4, 200, 200, 1, p, &f->batch);	/* udp */
	frame(p, sizeof(p), false, 0);
	input_push(&f->st, 5, 200, 200, 1, p, &f->batch);	/* arp */
	assert_int_equal(atomic_load(&f->st.c.read), 2);
	assert_int_equal(atomic_load(&f->st.c.filtered), 3);
	r = next(f);
	assert_non_null(r);
	assert_int_equal(r->ts_ns, 1);
	assert_int_equal(r->caplen, SNAPLEN);
	queue_pop(f->st.q);
	r = next(f);
	assert_non_null(r);
	assert_int_equal(r->ts_ns, 3);
	assert_int_equal(r->wirelen, 400);
	queue_pop(f->st.q);
	assert_null(next(f));
}

/* A compiled program the source applies itself (st->filter NULL): the
 * packet path does not filter again. */
static void
test_push_source_filters(void **state)
{
	struct fixture *f = *state;
	unsigned char p[100];

	assert_int_equal(pcap_compile(f->dead, &f->st.prog, "udp", 1,
	    PCAP_NETMASK_UNKNOWN), 0);
	f->st.have_prog = true;
	frame(p, sizeof(p), true, 6);
	input_push(&f->st, 1, 100, 100, 1, p, &f->batch);
	assert_int_equal(atomic_load(&f->st.c.read), 1);
	assert_int_equal(atomic_load(&f->st.c.filtered), 0);
}

/* Every INPUT_PUBLISH_BATCH packets are published without being asked. */
static void
test_push_publishes(void **state)
{
	struct fixture *f = *state;
	unsigned char p[SNAPLEN];

	frame(p, sizeof(p), true, 6);
	for (unsigned i = 0; i < INPUT_PUBLISH_BATCH - 1; i++)
		input_push(&f->st, i, SNAPLEN, SNAPLEN, 1, p, &f->batch);
	assert_null(queue_peek_try(f->st.q));
	input_push(&f->st, 99, SNAPLEN, SNAPLEN, 1, p, &f->batch);
	assert_int_equal(f->batch, 0);
	assert_non_null(queue_peek_try(f->st.q));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_snaplen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_push_filter, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_push_source_filters,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_publishes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
