/*
 * test_queue.c - unit tests for queue.c, the SPSC record ring: FIFO order
 * and contents across wraps, exact "full", wait_space/close/finished, and
 * a two-thread stress test (run it under TSan: --enable-tsan).
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
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "queue.h"

#define HDR	sizeof(struct queue_rec)
/* the caplen of a 64-byte slot */
#define C64	((uint32_t)(64 - HDR))
/* the largest caplen of a 4096-byte queue (4 records of it must fit) */
#define MAX4	(1024 - HDR)

/* sanitizers slow every access down: less work, same coverage */
#if defined(__SANITIZE_THREAD__)
#define SCALE		4
#define STRESS_RECORDS	250000u
#elif defined(__SANITIZE_ADDRESS__)
#define SCALE		2
#define STRESS_RECORDS	1000000u
#else
#define SCALE		1
#define STRESS_RECORDS	2000000u
#endif

static size_t
rec_bytes(uint32_t caplen)
{
	return (HDR + caplen + 7) & ~(size_t)7;
}

/* xorshift64*: deterministic sizes and payloads */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* The payload of record seq: every byte depends on seq and position. */
static unsigned char
pattern(uint64_t seq, size_t i)
{
	return (unsigned char)(seq * 131 + i * 7 + (seq >> 8));
}

static void
fill(struct queue_rec *r, uint64_t seq)
{
	r->ts_ns = seq;
	r->wirelen = r->caplen + 1000;
	r->linktype = (int32_t)(seq & 0x7f);
	for (size_t i = 0; i < r->caplen; i++)
		r->data[i] = pattern(seq, i);
}

/* Check r is record seq of caplen bytes; returns 0 or fails the test. */
static void
check(const struct queue_rec *r, uint64_t seq, uint32_t caplen)
{
	if (r == NULL)
		fail_msg("record %llu missing", (unsigned long long)seq);
	if (r->ts_ns != seq)
		fail_msg("expected record %llu, got %llu",
		    (unsigned long long)seq, (unsigned long long)r->ts_ns);
	assert_int_equal(r->caplen, caplen);
	assert_int_equal(r->wirelen, caplen + 1000);
	assert_int_equal(r->linktype, (int32_t)(seq & 0x7f));
	assert_int_equal(r->size, rec_bytes(caplen));
	for (size_t i = 0; i < caplen; i++)
		if (r->data[i] != pattern(seq, i))
			fail_msg("record %llu byte %zu corrupt",
			    (unsigned long long)seq, i);
}

struct fixture {
	struct queue_waiter	 waiter;
	struct queue		*q;
};

static struct fixture *
make(size_t cap, size_t maxcap)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	assert_int_equal(queue_waiter_init(&f->waiter), 0);
	f->q = queue_create(cap, maxcap, &f->waiter, err, sizeof(err));
	if (f->q == NULL)
		fail_msg("queue_create: %s", err);
	return f;
}

static void
unmake(struct fixture *f)
{
	queue_destroy(f->q);
	queue_waiter_destroy(&f->waiter);
	free(f);
}

/* Push one record now (it must fit). */
static void
push(struct queue *q, uint64_t seq, uint32_t caplen)
{
	struct queue_rec *r = queue_reserve_try(q, caplen);

	if (r == NULL)
		fail_msg("no room for record %llu (%u bytes)",
		    (unsigned long long)seq, caplen);
	assert_int_equal(r->caplen, caplen);
	fill(r, seq);
	queue_commit(q);
}

static void
pop_check(struct queue *q, uint64_t seq, uint32_t caplen)
{
	check(queue_peek_try(q), seq, caplen);
	queue_pop(q);
}

/* Push n records of caplen bytes, numbered from *seq on. */
static void
push_n(struct queue *q, uint64_t *seq, int n, uint32_t caplen)
{
	for (int i = 0; i < n; i++)
		push(q, (*seq)++, caplen);
}

/* Pop and check n records of caplen bytes, numbered from *next on. */
static void
pop_n(struct queue *q, uint64_t *next, int n, uint32_t caplen)
{
	for (int i = 0; i < n; i++)
		pop_check(q, (*next)++, caplen);
}

/* --- creation --------------------------------------------------------- */

static void
test_create_sizes(void **state)
{
	struct queue_waiter w;
	struct queue *q;
	char err[256];

	(void)state;
	assert_int_equal(queue_waiter_init(&w), 0);
	q = queue_create(0, 64, &w, err, sizeof(err));
	assert_non_null(q);
	assert_int_equal(queue_capacity(q), 4096);
	queue_destroy(q);
	q = queue_create(4097, 64, &w, err, sizeof(err));
	assert_int_equal(queue_capacity(q), 8192);
	queue_destroy(q);
	q = queue_create(1 << 20, 64, &w, err, sizeof(err));
	assert_int_equal(queue_capacity(q), 1 << 20);
	queue_destroy(q);
	/* at least four of the largest records */
	q = queue_create(4096, 262144, &w, err, sizeof(err));
	assert_true(queue_capacity(q) >= 4 * rec_bytes(262144));
	assert_int_equal(queue_capacity(q) & (queue_capacity(q) - 1), 0);
	queue_destroy(q);
	/* a record size that cannot be represented */
	err[0] = '\0';
	assert_null(queue_create(4096, (size_t)UINT32_MAX, &w, err,
	    sizeof(err)));
	assert_true(err[0] != '\0');
	queue_destroy(NULL);
	queue_waiter_destroy(&w);
}

/* --- single thread ---------------------------------------------------- */

static void
test_fifo_basic(void **state)
{
	struct fixture *f = make(4096, 1500);

	(void)state;
	assert_null(queue_peek_try(f->q));
	push(f->q, 1, 0);
	push(f->q, 2, 1);
	push(f->q, 3, 1500);
	/* committed is not yet visible */
	assert_null(queue_peek_try(f->q));
	queue_publish(f->q);
	/* peek is idempotent until pop */
	check(queue_peek_try(f->q), 1, 0);
	check(queue_peek_try(f->q), 1, 0);
	queue_pop(f->q);
	pop_check(f->q, 2, 1);
	pop_check(f->q, 3, 1500);
	assert_null(queue_peek_try(f->q));
	assert_false(queue_finished(f->q));

	/* a reservation that is never committed is never seen */
	assert_non_null(queue_reserve_try(f->q, 10));
	queue_publish(f->q);
	assert_null(queue_peek_try(f->q));
	push(f->q, 4, 10);	/* reuses the abandoned slot */
	queue_publish(f->q);
	pop_check(f->q, 4, 10);
	assert_null(queue_peek_try(f->q));
	unmake(f);
}

/*
 * A model of the ring: bytes in use and the head position, so that
 * "full" can be checked exactly when the consumer has drained (and thus
 * published) everything it popped.
 */
struct model {
	size_t	cap;
	size_t	used;	/* tail to head, wrap gaps included */
	size_t	head;	/* position of the head in the buffer */
};

static size_t
model_need(const struct model *m, size_t sz)
{
	size_t room = m->cap - m->head;

	return room >= sz ? sz : room + sz;
}

static void
model_push(struct model *m, size_t sz)
{
	size_t need = model_need(m, sz);

	m->used += need;
	m->head = (m->head + need) % m->cap;
}

/*
 * Fill from the current position until reserve_try says full: every
 * record that fits must be accepted and the refusal must be justified.
 * Returns how many records were pushed; their sizes go to sizes[].
 */
static size_t
fill_until_full(struct fixture *f, struct model *m, uint64_t *seq,
    uint64_t *rs, uint32_t maxcap, uint32_t *sizes, size_t nsizes)
{
	size_t n = 0;

	for (;;) {
		uint32_t caplen = (uint32_t)(rnd(rs) % (maxcap + 1));
		size_t sz = rec_bytes(caplen);
		bool fits = m->used + model_need(m, sz) <= m->cap;
		struct queue_rec *r = queue_reserve_try(f->q, caplen);

		if (fits && r == NULL)
			fail_msg("refused %zu bytes with %zu of %zu used "
			    "(head at %zu)", sz, m->used, m->cap, m->head);
		if (!fits && r != NULL)
			fail_msg("accepted %zu bytes with %zu of %zu used "
			    "(head at %zu)", sz, m->used, m->cap, m->head);
		if (r == NULL)
			return n;
		fill(r, *seq);
		queue_commit(f->q);
		model_push(m, sz);
		assert_true(n < nsizes);
		sizes[n++] = caplen;
		(*seq)++;
	}
}

static void
test_full_is_exact(void **state)
{
	struct fixture *f;
	struct model m;
	uint32_t sizes[4096];
	uint64_t rs = 0x1234567, seq = 0, next = 0;

	(void)state;
	/* fixed 64-byte slots: exactly cap/64 of them fit */
	f = make(4096, MAX4);
	push_n(f->q, &seq, 64, C64);
	assert_null(queue_reserve_try(f->q, 0));
	assert_null(queue_reserve_try(f->q, C64));
	queue_publish(f->q);
	pop_n(f->q, &next, 64, C64);
	assert_null(queue_peek_try(f->q));	/* runs dry: tail published */
	/* the whole ring is free again, and it wraps exactly */
	push_n(f->q, &seq, 64, C64);
	assert_null(queue_reserve_try(f->q, 0));
	queue_publish(f->q);
	pop_n(f->q, &next, 64, C64);
	assert_null(queue_peek_try(f->q));
	unmake(f);

	/* random sizes from every start position, wrap gaps included */
	for (size_t maxcap = 0; maxcap <= 1000; maxcap += 333) {
		f = make(4096, maxcap);
		memset(&m, 0, sizeof(m));
		m.cap = queue_capacity(f->q);
		seq = next = 0;
		for (int round = 0; round < 300 / SCALE; round++) {
			size_t n = fill_until_full(f, &m, &seq, &rs,
			    (uint32_t)maxcap, sizes, 4096);

			queue_publish(f->q);
			for (size_t i = 0; i < n; i++)
				pop_check(f->q, next++, sizes[i]);
			assert_null(queue_peek_try(f->q));
			m.used = 0;
		}
		unmake(f);
	}
}

static void
test_fifo_many_wraps_random_sizes(void **state)
{
	const uint32_t maxcap = 1500;
	struct fixture *f = make(65536, maxcap);
	uint32_t sizes[4096];	/* caplen of seq, modulo the ring */
	uint64_t rs = 42, seq = 0, next = 0;
	size_t cap = queue_capacity(f->q), maxrec = rec_bytes(maxcap);
	size_t inq = 0, inq_bytes = 0, wraps = 0, nfull = 0;
	uintptr_t last = 0;

	(void)state;
	/* interleave producer and consumer steps at random */
	while (next < 300000 / SCALE) {
		uint64_t action = rnd(&rs) % 8;

		if (action < 5) {
			uint32_t caplen;
			struct queue_rec *r;

			/* the extremes often, everything in between too */
			switch (rnd(&rs) % 4) {
			case 0: caplen = 0; break;
			case 1: caplen = maxcap; break;
			default: caplen = (uint32_t)(rnd(&rs) % (maxcap + 1));
			}
			if ((r = queue_reserve_try(f->q, caplen)) == NULL) {
				/*
				 * Full.  The consumer hands back space in
				 * batches of cap/8 and a wrap wastes less
				 * than a record, so at most that much can
				 * be unusable.
				 */
				if (inq_bytes + 5 * maxrec + cap / 8 <= cap)
					fail_msg("full with %zu of %zu bytes "
					    "in %zu records", inq_bytes, cap,
					    inq);
				nfull++;
				continue;
			}
			if ((uintptr_t)r < last)
				wraps++;
			last = (uintptr_t)r;
			fill(r, seq);
			sizes[seq % 4096] = caplen;
			queue_commit(f->q);
			seq++;
			inq++;
			inq_bytes += rec_bytes(caplen);
			assert_true(inq < 4096);
			if (rnd(&rs) % 3 == 0)
				queue_publish(f->q);
		} else if (action < 7) {
			const struct queue_rec *r = queue_peek_try(f->q);

			if (r == NULL) {
				queue_publish(f->q);
				continue;
			}
			check(r, next, sizes[next % 4096]);
			queue_pop(f->q);
			next++;
			inq--;
			inq_bytes -= r->size;
		} else {
			queue_publish(f->q);
		}
	}
	/* the stream crossed the end of the buffer many times, and was full */
	assert_true(wraps > 1000 / SCALE);
	assert_true(nfull > 1000 / SCALE);
	unmake(f);
}

/*
 * Records whose end leaves less than a header before the end of the
 * buffer: no wrap marker fits there, and the consumer must skip it.
 */
static void
test_wrap_without_marker(void **state)
{
	struct fixture *f = make(4096, MAX4);
	uint64_t seq = 0, next = 0;

	(void)state;
	/* records of HDR + 8 bytes end less than a header before the end */
	const size_t small = HDR + 8, nsmall = 4096 / small;

	assert_true(4096 % small > 0 && 4096 % small < HDR);
	push_n(f->q, &seq, (int)nsmall, 8);
	queue_publish(f->q);
	pop_n(f->q, &next, (int)nsmall, 8);
	assert_null(queue_peek_try(f->q));
	/* less than a header left: this one must go to the start */
	push(f->q, seq++, 0);
	push(f->q, seq++, 100);
	queue_publish(f->q);
	pop_check(f->q, next++, 0);
	pop_check(f->q, next++, 100);
	assert_null(queue_peek_try(f->q));
	/* and with a marker: leave 64 bytes, ask for more */
	unmake(f);
	f = make(4096, MAX4);
	seq = next = 0;
	push_n(f->q, &seq, 63, C64);
	queue_publish(f->q);
	pop_n(f->q, &next, 62, C64);
	/* 64 bytes left at the end, one 64-byte record still queued */
	push(f->q, seq++, 96);		/* more than 64 bytes: marker, wrap */
	push(f->q, seq++, 0);
	queue_publish(f->q);
	pop_check(f->q, next++, C64);
	pop_check(f->q, next++, 96);
	pop_check(f->q, next++, 0);
	assert_null(queue_peek_try(f->q));
	unmake(f);
}

/* --- close and finished ----------------------------------------------- */

static void
test_close_and_finished(void **state)
{
	struct fixture *f = make(4096, 100);

	(void)state;
	assert_false(queue_finished(f->q));
	queue_close(f->q);
	assert_true(queue_finished(f->q));
	assert_true(queue_finished(f->q));
	unmake(f);

	/* close publishes what was committed; finished only when drained */
	f = make(4096, 100);
	push(f->q, 0, 10);
	queue_publish(f->q);
	push(f->q, 1, 20);
	assert_false(queue_finished(f->q));
	queue_close(f->q);
	assert_false(queue_finished(f->q));
	pop_check(f->q, 0, 10);
	assert_false(queue_finished(f->q));
	check(queue_peek_try(f->q), 1, 20);
	assert_false(queue_finished(f->q));	/* peeked is not popped */
	queue_pop(f->q);
	assert_true(queue_finished(f->q));
	assert_null(queue_peek_try(f->q));
	unmake(f);
}

/* A reservation that wrapped but was never committed before close. */
static void
test_finished_after_trailing_wrap(void **state)
{
	struct fixture *f = make(4096, MAX4);
	uint64_t seq = 0, next = 0;

	(void)state;
	push_n(f->q, &seq, 63, C64);
	queue_publish(f->q);
	pop_n(f->q, &next, 63, C64);
	assert_null(queue_peek_try(f->q));
	/* 64 bytes left; this wraps, then the reader stops instead */
	assert_non_null(queue_reserve_try(f->q, 500));
	queue_close(f->q);
	/* finished must look past the marker by itself */
	assert_true(queue_finished(f->q));
	assert_null(queue_peek_try(f->q));
	assert_true(queue_finished(f->q));
	unmake(f);
}

/* --- wait_space ------------------------------------------------------- */

static void
test_wait_space_single_thread(void **state)
{
	struct fixture *f = make(4096, MAX4);
	uint64_t t0;

	(void)state;
	/* room now: true at once, whatever the timeout */
	t0 = mono_ns();
	assert_true(queue_wait_space(f->q, 1000, 10ull * 1000000000u));
	assert_true(mono_ns() - t0 < 1000000000u);

	/* wait_space publishes what was committed */
	push(f->q, 0, C64);
	assert_null(queue_peek_try(f->q));
	assert_true(queue_wait_space(f->q, C64, 1000000));
	pop_check(f->q, 0, C64);
	assert_null(queue_peek_try(f->q));

	/* full and nobody consumes: false after the timeout */
	for (int i = 1; i <= 64; i++)
		push(f->q, (uint64_t)i, C64);
	assert_null(queue_reserve_try(f->q, 0));
	assert_false(queue_wait_space(f->q, 0, 20000000));
	assert_false(queue_wait_space(f->q, C64, 0));
	/* everything committed became visible */
	for (int i = 1; i <= 64; i++)
		pop_check(f->q, (uint64_t)i, C64);
	assert_null(queue_peek_try(f->q));
	/* the consumer ran dry, so all the space is back */
	assert_true(queue_wait_space(f->q, 1000, 0));
	unmake(f);
}

struct drain_arg {
	struct fixture	*f;
	uint64_t	 delay_ns;
	uint64_t	 first, count;
	uint32_t	 caplen;
	atomic_int	 ok;
};

static void *
drain_thread(void *p)
{
	struct drain_arg *a = p;
	struct timespec ts = {
		(time_t)(a->delay_ns / 1000000000u),
		(long)(a->delay_ns % 1000000000u),
	};
	struct timespec ms = { 0, 1000000 };
	uint64_t got = 0, t0;

	nanosleep(&ts, NULL);
	t0 = mono_ns();
	while (got < a->count) {
		const struct queue_rec *r = queue_peek_try(a->f->q);

		if (r == NULL) {
			/* not published yet */
			if (got > 0 || mono_ns() - t0 > 20ull * 1000000000u) {
				atomic_store(&a->ok, -1);
				return NULL;
			}
			nanosleep(&ms, NULL);
			continue;
		}
		if (r->ts_ns != a->first + got || r->caplen != a->caplen) {
			atomic_store(&a->ok, -2);
			return NULL;
		}
		queue_pop(a->f->q);
		got++;
	}
	/* runs dry: publishes the tail and wakes the producer */
	if (queue_peek_try(a->f->q) != NULL) {
		atomic_store(&a->ok, -3);
		return NULL;
	}
	atomic_store(&a->ok, 1);
	return NULL;
}

/* A producer in wait_space is woken by the consumer, not the timeout. */
static void
test_wait_space_woken_by_consumer(void **state)
{
	struct fixture *f = make(4096, MAX4);
	struct drain_arg a = { f, 50000000, 0, 64, C64, 0 };
	pthread_t t;
	uint64_t t0;

	(void)state;
	for (int i = 0; i < 64; i++)
		push(f->q, (uint64_t)i, C64);
	assert_null(queue_reserve_try(f->q, C64));
	/* not published yet: wait_space must publish before sleeping */
	assert_int_equal(pthread_create(&t, NULL, drain_thread, &a), 0);
	t0 = mono_ns();
	while (!queue_wait_space(f->q, 1000, 30ull * 1000000000u))
		assert_true(mono_ns() - t0 < 30ull * 1000000000u);
	/* woken well before the 30 s timeout */
	assert_true(mono_ns() - t0 < 10ull * 1000000000u);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&a.ok), 1);
	push(f->q, 64, 1000);
	queue_publish(f->q);
	pop_check(f->q, 64, 1000);
	unmake(f);
}

struct sleeper_arg {
	struct fixture	*f;
	atomic_int	 state;	/* 0 start, 1 sleeping, 2 saw end */
	uint64_t	 slept_ns;
};

static void *
sleeper_thread(void *p)
{
	struct sleeper_arg *a = p;
	uint64_t t0 = mono_ns();

	while (!queue_finished(a->f->q)) {
		queue_waiter_prepare(&a->f->waiter);
		if (queue_finished(a->f->q)) {
			queue_waiter_cancel(&a->f->waiter);
			break;
		}
		atomic_store(&a->state, 1);
		queue_waiter_wait(&a->f->waiter, 30ull * 1000000000u);
	}
	a->slept_ns = mono_ns() - t0;
	atomic_store(&a->state, 2);
	return NULL;
}

/* close wakes a consumer sleeping on the shared waiter. */
static void
test_close_wakes_consumer(void **state)
{
	struct fixture *f = make(4096, 100);
	struct sleeper_arg a = { f, 0, 0 };
	struct timespec ms = { 0, 1000000 };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, sleeper_thread, &a), 0);
	while (atomic_load(&a.state) == 0)
		nanosleep(&ms, NULL);
	nanosleep(&ms, NULL);
	queue_close(f->q);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&a.state), 2);
	assert_true(a.slept_ns < 10ull * 1000000000u);
	unmake(f);
}

/*
 * Publishing wakes a sleeping consumer only while it wants this queue
 * (queue_want_wake); closing always does.  Single-threaded: "sleeping"
 * is set by queue_waiter_prepare() and the wake shows as "signalled".
 */
static void
test_publish_wakes_only_when_wanted(void **state)
{
	struct fixture *f = make(4096, 100);
	uint64_t seq = 0, next = 0;

	(void)state;
	queue_want_wake(f->q, false);
	queue_waiter_prepare(&f->waiter);
	push_n(f->q, &seq, 1, 10);
	queue_publish(f->q);
	assert_false(f->waiter.signalled);	/* data nobody waits for */
	queue_want_wake(f->q, true);
	push_n(f->q, &seq, 1, 10);
	queue_publish(f->q);
	assert_true(f->waiter.signalled);
	queue_waiter_wait(&f->waiter, 0);	/* consumes the signal */
	assert_false(f->waiter.signalled);
	pop_n(f->q, &next, 2, 10);
	queue_want_wake(f->q, false);
	queue_waiter_prepare(&f->waiter);
	queue_close(f->q);
	assert_true(f->waiter.signalled);	/* the end always wakes */
	queue_waiter_wait(&f->waiter, 0);
	unmake(f);
}

/* --- two threads ------------------------------------------------------ */

struct stress {
	struct fixture	*f;
	uint64_t	 n;
	uint32_t	 maxcap;
	uint64_t	 full_waits;	/* producer only */
	uint64_t	 empty_waits;	/* consumer only */
	uint64_t	 received;	/* consumer only */
	char		 failure[256];	/* consumer only */
};

static uint32_t
stress_caplen(uint64_t seq, uint32_t maxcap)
{
	uint64_t s = seq * 0x9E3779B97F4A7C15ull + 1;
	uint64_t v = rnd(&s);

	switch (v & 15) {
	case 0: return 0;
	case 1: return maxcap;
	default: return (uint32_t)((v >> 8) % (maxcap + 1));
	}
}

static void *
stress_producer_thread(void *p)
{
	struct stress *s = p;
	uint64_t rs = 99;

	for (uint64_t seq = 0; seq < s->n; seq++) {
		uint32_t caplen = stress_caplen(seq, s->maxcap);
		struct queue_rec *r;

		while ((r = queue_reserve_try(s->f->q, caplen)) == NULL) {
			s->full_waits++;
			(void)queue_wait_space(s->f->q, caplen, 100000000);
		}
		r->ts_ns = seq;
		r->wirelen = caplen ^ 0x5555;
		r->linktype = (int32_t)(seq & 0xff);
		memset(r->data, (int)(seq & 0xff), caplen);
		if (caplen >= 8)
			memcpy(r->data, &seq, 8);
		queue_commit(s->f->q);
		/* publish in batches of random length, as readers do */
		if (rnd(&rs) % 8 == 0)
			queue_publish(s->f->q);
	}
	queue_close(s->f->q);
	return NULL;
}

static void *
stress_consumer_thread(void *p)
{
	struct stress *s = p;
	unsigned char expect[4096];
	uint64_t next = 0;

	for (;;) {
		const struct queue_rec *r = queue_peek_try(s->f->q);
		uint32_t caplen;

		if (r == NULL) {
			if (queue_finished(s->f->q))
				break;
			s->empty_waits++;
			queue_waiter_prepare(&s->f->waiter);
			if ((r = queue_peek_try(s->f->q)) == NULL &&
			    !queue_finished(s->f->q)) {
				queue_waiter_wait(&s->f->waiter, 100000000);
				continue;
			}
			queue_waiter_cancel(&s->f->waiter);
			if (r == NULL)
				break;
		}
		caplen = stress_caplen(next, s->maxcap);
		if (r->ts_ns != next || r->caplen != caplen ||
		    r->wirelen != (caplen ^ 0x5555) ||
		    r->linktype != (int32_t)(next & 0xff) ||
		    r->size != rec_bytes(caplen)) {
			snprintf(s->failure, sizeof(s->failure),
			    "record %llu: got ts %llu caplen %u (want %u)",
			    (unsigned long long)next,
			    (unsigned long long)r->ts_ns, r->caplen, caplen);
			return NULL;
		}
		memset(expect, (int)(next & 0xff), caplen);
		if (caplen >= 8)
			memcpy(expect, &next, 8);
		if (memcmp(r->data, expect, caplen) != 0) {
			snprintf(s->failure, sizeof(s->failure),
			    "record %llu: payload corrupt",
			    (unsigned long long)next);
			return NULL;
		}
		queue_pop(s->f->q);
		next++;
	}
	s->received = next;
	return NULL;
}

static void
run_stress(uint64_t n, size_t cap, uint32_t maxcap)
{
	struct stress s;
	pthread_t prod, cons;

	memset(&s, 0, sizeof(s));
	s.f = make(cap, maxcap);
	s.n = n;
	s.maxcap = maxcap;
	assert_int_equal(pthread_create(&cons, NULL, stress_consumer_thread,
	    &s), 0);
	assert_int_equal(pthread_create(&prod, NULL, stress_producer_thread,
	    &s), 0);
	assert_int_equal(pthread_join(prod, NULL), 0);
	assert_int_equal(pthread_join(cons, NULL), 0);
	if (s.failure[0] != '\0')
		fail_msg("%s", s.failure);
	/* every record arrived exactly once, in order, and nothing more */
	assert_int_equal(s.received, n);
	assert_true(queue_finished(s.f->q));
	print_message("  %llu records, queue %zu bytes: producer waited %llu "
	    "times, consumer %llu times\n", (unsigned long long)n,
	    queue_capacity(s.f->q), (unsigned long long)s.full_waits,
	    (unsigned long long)s.empty_waits);
	unmake(s.f);
}

static void
test_stress_two_threads(void **state)
{
	(void)state;
	/* a small ring: constant wrapping, full and empty all the time */
	run_stress(STRESS_RECORDS, 16384, 1500);
	/* records as large as a quarter of the ring */
	run_stress(STRESS_RECORDS / 20, 4096, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_sizes),
		cmocka_unit_test(test_fifo_basic),
		cmocka_unit_test(test_full_is_exact),
		cmocka_unit_test(test_fifo_many_wraps_random_sizes),
		cmocka_unit_test(test_wrap_without_marker),
		cmocka_unit_test(test_close_and_finished),
		cmocka_unit_test(test_finished_after_trailing_wrap),
		cmocka_unit_test(test_wait_space_single_thread),
		cmocka_unit_test(test_wait_space_woken_by_consumer),
		cmocka_unit_test(test_close_wakes_consumer),
		cmocka_unit_test(test_publish_wakes_only_when_wanted),
		cmocka_unit_test(test_stress_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
