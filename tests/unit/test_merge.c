/*
 * test_merge.c - unit tests for merge.c: order by (timestamp, input index),
 * per-input order and disorder counting, END, the waiting rules for file
 * and live inputs (with a fake clock), leaves the merger reads itself
 * (pulls) among queues, and merges fed by real producer threads (run it
 * under TSan: --enable-tsan).
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
#include "merge.h"
#include "pull.h"
#include "queue.h"

#if defined(__SANITIZE_THREAD__)
#define THREAD_RECORDS	150000u		/* per input */
#elif defined(__SANITIZE_ADDRESS__)
#define THREAD_RECORDS	150000u
#else
#define THREAD_RECORDS	250000u
#endif

#define MAXIN		8
#define SEC		1000000000ull

/*
 * The test's clock: reads now, then moves it on by step.  A merge_next
 * that reads it more than budget times is spinning (a bug): the clock
 * then jumps far ahead so that the call returns and the test fails
 * instead of hanging.
 */
struct fclock {
	uint64_t	now;
	uint64_t	step;
	uint64_t	calls;
	uint64_t	budget;		/* reads left, 0 = unlimited */
	bool		overrun;
};

static uint64_t
fake_clock(void *arg)
{
	struct fclock *c = arg;
	uint64_t t;

	if (c->budget > 0 && --c->budget == 0) {
		c->overrun = true;
		c->now = UINT64_MAX / 2;
	}
	t = c->now;
	c->now += c->step;
	c->calls++;
	return t;
}

/* The payload every test record carries. */
struct tag {
	uint64_t	id;
	uint64_t	input;
};

/*
 * A pull (pull.h) over a list of stamps: one record, rewritten by every
 * call, as input_pcapmap.c does, so a merger that asked for the next
 * record before releasing the last would hand out the wrong one.
 */
struct fpull {
	struct pull		 pull;
	struct queue_rec	 rec;
	struct tag		 tag;		/* rec.data */
	uint64_t		*ts;
	size_t			 n, at, cap;
	size_t			 input;
	unsigned		 ends;		/* times it said NULL */
};

static const struct queue_rec *
fpull_next(struct pull *p)
{
	struct fpull *f = (struct fpull *)p;

	if (f->at == f->n) {
		f->ends++;
		return NULL;
	}
	f->rec.ts_ns = f->ts[f->at];
	f->rec.caplen = sizeof(f->tag);
	f->rec.data = (unsigned char *)&f->tag;
	f->tag.id = f->at++;
	f->tag.input = f->input;
	return &f->rec;
}

struct env {
	struct queue_waiter	 w;
	struct fpull		 p[MAXIN];	/* kind 'p' */
	struct queue		*q[MAXIN];
	bool			 live[MAXIN];
	size_t			 n;
	struct merge		*m;
	struct fclock		 clk;
};

/* kinds: one letter per input, 'f' file, 'l' live or 'p' a pull (a file
 * the merger reads itself; put() before the first merge_next);
 * clock NULL = real. */
static struct env *
env_new(const char *kinds, uint64_t maxwait, size_t qbytes, bool real_clock)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256] = "";

	assert_non_null(e);
	assert_int_equal(queue_waiter_init(&e->w), 0);
	e->n = strlen(kinds);
	assert_true(e->n <= MAXIN);
	for (size_t i = 0; i < e->n; i++) {
		e->live[i] = kinds[i] == 'l';
		if (kinds[i] == 'p') {
			e->p[i].pull.next = fpull_next;
			e->p[i].input = i;
			continue;
		}
		e->q[i] = queue_create(qbytes, sizeof(struct tag), &e->w, err,
		    sizeof(err));
		if (e->q[i] == NULL)
			fail_msg("queue_create: %s", err);
	}
	e->m = merge_create(e->q, e->live, e->n, maxwait, &e->w,
	    real_clock ? NULL : fake_clock, real_clock ? NULL : &e->clk, err,
	    sizeof(err));
	if (e->m == NULL)
		fail_msg("merge_create: %s", err);
	for (size_t i = 0; i < e->n; i++)
		if (e->q[i] == NULL)
			merge_set_pull(e->m, i, &e->p[i].pull);
	return e;
}

static void
env_free(struct env *e)
{
	merge_destroy(e->m);
	for (size_t i = 0; i < e->n; i++) {
		queue_destroy(e->q[i]);
		free(e->p[i].ts);
		/* a pull that ended is not asked again */
		assert_true(e->p[i].ends <= 1);
	}
	queue_waiter_destroy(&e->w);
	free(e);
}

/* Queue one record on input i and make it visible. */
static void
put(struct env *e, size_t i, uint64_t ts, uint64_t id)
{
	struct queue_rec *r;
	struct tag t = { id, i };

	if (e->q[i] == NULL) {		/* a pull: ids are its positions */
		struct fpull *f = &e->p[i];

		assert_int_equal(id, f->n);
		if (f->n == f->cap) {
			f->cap = f->cap == 0 ? 64 : 2 * f->cap;
			f->ts = realloc(f->ts, f->cap * sizeof(*f->ts));
			assert_non_null(f->ts);
		}
		f->ts[f->n++] = ts;
		return;
	}
	r = queue_reserve_try(e->q[i], sizeof(struct tag));
	if (r == NULL)
		fail_msg("queue %zu full", i);
	r->ts_ns = ts;
	r->wirelen = sizeof(t);
	r->linktype = 1;
	memcpy(r->data, &t, sizeof(t));
	queue_commit(e->q[i]);
	queue_publish(e->q[i]);
}

struct got {
	enum merge_status st;
	uint64_t	 ts;
	size_t		 input;
	uint64_t	 id;
	bool		 disorder;
};

/* merge_next (deadline: the fake now, i.e. never sleep), then release. */
static struct got
next_at(struct env *e, uint64_t deadline)
{
	const struct queue_rec *r = NULL;
	struct got g;
	struct tag t;

	memset(&g, 0, sizeof(g));
	e->clk.budget = 100000;
	e->clk.overrun = false;
	g.st = merge_next(e->m, deadline, &r, &g.input, &g.disorder);
	if (e->clk.overrun)
		fail_msg("merge_next kept reading the clock (deadline %llu)",
		    (unsigned long long)deadline);
	e->clk.budget = 0;
	if (g.st == MERGE_PACKET) {
		assert_non_null(r);
		memcpy(&t, r->data, sizeof(t));
		g.ts = r->ts_ns;
		g.id = t.id;
		/* the record is the one the input queued */
		assert_int_equal(t.input, g.input);
		merge_release(e->m);
	}
	return g;
}

static struct got
next(struct env *e)
{
	return next_at(e, e->clk.now);
}

static const char *
status_name(enum merge_status st)
{
	switch (st) {
	case MERGE_PACKET:	return "PACKET";
	case MERGE_TIMEOUT:	return "TIMEOUT";
	case MERGE_END:		return "END";
	}
	return "?";
}

static void
expect_packet_line(struct env *e, uint64_t ts, size_t input, uint64_t id,
    bool disorder, int line)
{
	struct got g = next(e);

	if (g.st != MERGE_PACKET)
		fail_msg("line %d: %s, expected packet ts %llu from input %zu",
		    line, status_name(g.st), (unsigned long long)ts, input);
	if (g.ts != ts || g.input != input || g.id != id ||
	    g.disorder != disorder)
		fail_msg("line %d: got ts %llu input %zu id %llu disorder %d, "
		    "expected ts %llu input %zu id %llu disorder %d", line,
		    (unsigned long long)g.ts, g.input,
		    (unsigned long long)g.id, g.disorder,
		    (unsigned long long)ts, input, (unsigned long long)id,
		    disorder);
}

static void
expect_status_line(struct env *e, enum merge_status st, int line)
{
	struct got g = next(e);

	if (g.st != st)
		fail_msg("line %d: %s (ts %llu input %zu), expected %s", line,
		    status_name(g.st), (unsigned long long)g.ts, g.input,
		    status_name(st));
}

#define EXPECT_STATUS(e, st)	expect_status_line((e), (st), __LINE__)

/*
 * Scenarios on the fake clock, as tables of steps: queue records, close
 * inputs, set or move the clock, and what merge_next must say next.
 */
struct step {
	enum {
		S_PUT,		/* input queues (ts, id) */
		S_CLOSE,	/* input is closed */
		S_CLOCK,	/* the clock reads ts */
		S_LATER,	/* the clock moves on by ts */
		S_PACKET,	/* merge_next: (ts, id) from input, disorder */
		S_STATUS,	/* merge_next: status n */
		S_DISORDERS,	/* merge_disorders() is n */
	}		 op;
	size_t		 input;
	uint64_t	 ts;
	uint64_t	 n;		/* id, status or count */
	bool		 disorder;
	int		 line;		/* where the step is written */
};

#define PUT(in, t, id) \
	{ .op = S_PUT, .input = (in), .ts = (t), .n = (id), .line = __LINE__ }
#define CLOSE(in)	{ .op = S_CLOSE, .input = (in), .line = __LINE__ }
#define CLOCK(t)	{ .op = S_CLOCK, .ts = (t), .line = __LINE__ }
#define LATER(dt)	{ .op = S_LATER, .ts = (dt), .line = __LINE__ }
#define PACKET(t, in, id, dis) \
	{ .op = S_PACKET, .ts = (t), .input = (in), .n = (id), \
	  .disorder = (dis), .line = __LINE__ }
#define TIMEOUT		{ .op = S_STATUS, .n = MERGE_TIMEOUT, .line = __LINE__ }
#define END		{ .op = S_STATUS, .n = MERGE_END, .line = __LINE__ }
#define DISORDERS(k)	{ .op = S_DISORDERS, .n = (k), .line = __LINE__ }

/* Run the n steps against a fresh merge of inputs kinds (see env_new). */
static void
run_steps(const char *kinds, uint64_t maxwait, const struct step *s,
    size_t n)
{
	struct env *e = env_new(kinds, maxwait, 4096, false);

	for (; n > 0; n--, s++) {
		switch (s->op) {
		case S_PUT:
			put(e, s->input, s->ts, s->n);
			break;
		case S_CLOSE:
			queue_close(e->q[s->input]);
			break;
		case S_CLOCK:
			e->clk.now = s->ts;
			break;
		case S_LATER:
			e->clk.now += s->ts;
			break;
		case S_PACKET:
			expect_packet_line(e, s->ts, s->input, s->n,
			    s->disorder, s->line);
			break;
		case S_STATUS:
			expect_status_line(e, (enum merge_status)s->n,
			    s->line);
			break;
		case S_DISORDERS:
			if (merge_disorders(e->m) != s->n)
				fail_msg("line %d: %llu disorders, expected "
				    "%llu", s->line,
				    (unsigned long long)merge_disorders(e->m),
				    (unsigned long long)s->n);
			break;
		}
	}
	env_free(e);
}

#define RUN_STEPS(kinds, maxwait, steps) \
	run_steps((kinds), (maxwait), (steps), \
	    sizeof(steps) / sizeof((steps)[0]))

/* --- exact order ------------------------------------------------------ */

static void
test_order_and_ties(void **state)
{
	static const struct step steps[] = {
		CLOCK(1000),
		PUT(0, 1, 100), PUT(0, 3, 101), PUT(0, 3, 102), PUT(0, 7, 103),
		PUT(1, 1, 200), PUT(1, 2, 201), PUT(1, 3, 202), PUT(1, 8, 203),
		PUT(2, 0, 300), PUT(2, 3, 301), PUT(2, 9, 302),
		CLOSE(0), CLOSE(1), CLOSE(2),
		PACKET(0, 2, 300, false),
		PACKET(1, 0, 100, false),	/* tie: lower index first */
		PACKET(1, 1, 200, false),
		PACKET(2, 1, 201, false),
		PACKET(3, 0, 101, false),	/* input order kept */
		PACKET(3, 0, 102, false),
		PACKET(3, 1, 202, false),
		PACKET(3, 2, 301, false),
		PACKET(7, 0, 103, false),
		PACKET(8, 1, 203, false),
		PACKET(9, 2, 302, false),
		END, END, DISORDERS(0),
	};

	(void)state;
	RUN_STEPS("fff", 0, steps);
}

struct ref {
	uint64_t	ts;
	size_t		input;
	uint64_t	id;	/* position within its input */
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Many inputs, many ties: the merge equals a sort by (ts, input, position). */
static void
check_against_reference(const char *kinds, uint64_t seed)
{
	enum { PER = 3000 };
	struct env *e = env_new(kinds, 0, PER * 64, false);
	size_t n = strlen(kinds), total = 0;
	struct ref *want = calloc(n * PER, sizeof(*want));

	assert_non_null(want);
	e->clk.now = 5 * SEC;
	for (size_t i = 0; i < n; i++) {
		uint64_t ts = rnd(&seed) % 10;
		size_t count = PER - rnd(&seed) % 100;

		for (size_t k = 0; k < count; k++) {
			ts += rnd(&seed) % 4;	/* many equal stamps */
			put(e, i, ts, k);
			want[total].ts = ts;
			want[total].input = i;
			want[total].id = k;
			total++;
		}
		if (e->q[i] != NULL)
			queue_close(e->q[i]);
	}
	qsort(want, total, sizeof(*want), ref_cmp);
	for (size_t k = 0; k < total; k++) {
		struct got g = next(e);

		if (g.st != MERGE_PACKET || g.ts != want[k].ts ||
		    g.input != want[k].input || g.id != want[k].id)
			fail_msg("%s #%zu: %s ts %llu input %zu id %llu, "
			    "expected ts %llu input %zu id %llu", kinds, k,
			    status_name(g.st), (unsigned long long)g.ts,
			    g.input, (unsigned long long)g.id,
			    (unsigned long long)want[k].ts, want[k].input,
			    (unsigned long long)want[k].id);
		assert_false(g.disorder);
	}
	EXPECT_STATUS(e, MERGE_END);
	assert_int_equal(merge_disorders(e->m), 0);
	free(want);
	env_free(e);
}

static void
test_order_matches_reference(void **state)
{
	(void)state;
	check_against_reference("f", 1);
	check_against_reference("ff", 2);
	check_against_reference("fffff", 3);
	check_against_reference("ffffffff", 4);
	/* live inputs that never starve merge exactly too */
	check_against_reference("lll", 5);
	check_against_reference("flfl", 6);
}

/* --- pulls: leaves the merger reads itself ---------------------------- */

static void
test_pulls(void **state)
{
	static const struct step empty[] = {
		/* a pull with nothing is done at once, never waited for */
		PUT(0, 5, 0), CLOSE(0),
		PACKET(5, 0, 0, false),
		END,
	}, beside_live[] = {
		/* a pull's packets wait for a starved live input as a file's
		 * do: up to maxwait (10) after they were first seen */
		CLOCK(100),
		PUT(0, 100, 0), PUT(0, 101, 1),
		TIMEOUT,
		LATER(20),
		PACKET(100, 0, 0, false),
		PACKET(101, 0, 1, false),
		PUT(1, 90, 0),
		PACKET(90, 1, 0, true),
		CLOSE(1),
		END,
	};

	(void)state;
	check_against_reference("p", 11);
	check_against_reference("pp", 12);
	check_against_reference("fpfp", 13);
	check_against_reference("pppppppp", 14);
	check_against_reference("plpf", 15);
	RUN_STEPS("fp", 0, empty);
	RUN_STEPS("pl", 10, beside_live);
}

/* --- disorder --------------------------------------------------------- */

static void
test_non_monotonic_input(void **state)
{
	static const struct step one[] = {
		CLOCK(1),
		PUT(0, 10, 0), PUT(0, 5, 1), PUT(0, 7, 2),
		PUT(0, 10, 3), PUT(0, 10, 4), PUT(0, 11, 5),
		CLOSE(0),
		PACKET(10, 0, 0, false),
		PACKET(5, 0, 1, true),
		/* still before the latest stamp emitted (10), not the last */
		PACKET(7, 0, 2, true),
		PACKET(10, 0, 3, false),	/* equal is in order */
		PACKET(10, 0, 4, false),
		PACKET(11, 0, 5, false),
		END, DISORDERS(2),
	}, own_order[] = {
		/* an input's own order wins over timestamps */
		PUT(0, 10, 0), PUT(0, 5, 1),
		PUT(1, 7, 0), PUT(1, 12, 1),
		CLOSE(0), CLOSE(1),
		PACKET(7, 1, 0, false),
		PACKET(10, 0, 0, false),
		PACKET(5, 0, 1, true),
		PACKET(12, 1, 1, false),
		END, DISORDERS(1),
	};

	(void)state;
	RUN_STEPS("f", 0, one);
	RUN_STEPS("ff", 0, own_order);
}

/* --- END and file inputs ---------------------------------------------- */

static void
test_end_needs_all_closed_and_drained(void **state)
{
	static const struct step drained[] = {
		CLOCK(100 * SEC),
		TIMEOUT,
		PUT(0, 1, 0), CLOSE(0),
		/* input 1 is a file that may still deliver something older */
		TIMEOUT, LATER(3600 * SEC), TIMEOUT,
		PUT(1, 2, 0),
		PACKET(1, 0, 0, false),
		PACKET(2, 1, 0, false),
		/* input 0 is done, input 1 is empty but open: not the end */
		TIMEOUT,
		CLOSE(1),
		END, END,
	}, closed_at_once[] = {
		/* inputs closed before the first call */
		CLOSE(0), CLOSE(1), CLOSE(2),
		END,
	}, closed_early[] = {
		/* one closed early, one never had data */
		CLOSE(1),
		PUT(0, 5, 0),
		PACKET(5, 0, 0, false),
		TIMEOUT,
		CLOSE(0),
		END,
	};

	(void)state;
	RUN_STEPS("ff", 1000, drained);
	RUN_STEPS("flf", 1000, closed_at_once);
	RUN_STEPS("lf", 0, closed_early);
}

static void
test_file_input_blocks(void **state)
{
	static const struct step files[] = {
		CLOCK(50 * SEC),
		PUT(0, 1, 0), PUT(0, 3, 1),
		/* maxwait 0, an old packet: an empty open file still blocks */
		TIMEOUT, LATER(1000 * SEC), TIMEOUT,
		PUT(1, 5, 0),
		PACKET(1, 0, 0, false),
		PACKET(3, 0, 1, false),
		/* now input 0 is empty and open: input 1 waits for it */
		TIMEOUT,
		CLOSE(0),
		PACKET(5, 1, 0, false),
		CLOSE(1),
		END,
	}, live_waits[] = {
		/* a live input with data waits for a starved file input too */
		CLOCK(50 * SEC),
		PUT(0, 1, 0),
		TIMEOUT, LATER(1000 * SEC), TIMEOUT,
		CLOSE(1),
		PACKET(1, 0, 0, false),
	}, file_decides[] = {
		/* a starved live and a starved file input: the file decides */
		CLOCK(50 * SEC),
		PUT(0, 1, 0),
		LATER(1000 * SEC), TIMEOUT,
		PUT(2, 7, 0),
		/* only live inputs starve now, and maxwait (0) has passed */
		PACKET(1, 0, 0, false),
	};

	(void)state;
	RUN_STEPS("ff", 0, files);
	RUN_STEPS("lf", 0, live_waits);
	RUN_STEPS("llf", 0, file_decides);
}

/* With a deadline in the future merge_next waits, then times out. */
static void
test_timeout_waits_for_deadline(void **state)
{
	struct env *e = env_new("ff", 0, 4096, false);
	struct got g;
	uint64_t t0;

	(void)state;
	put(e, 0, 1, 0);
	e->clk.now = 10 * SEC;
	e->clk.step = 5000000;		/* 5 ms a read */
	t0 = mono_ns();
	g = next_at(e, 10 * SEC + 20000000);
	assert_int_equal(g.st, MERGE_TIMEOUT);
	/* it kept reading the clock until the deadline had passed */
	assert_true(e->clk.now >= 10 * SEC + 20000000);
	assert_true(mono_ns() - t0 < 5 * SEC);
	/* a deadline already past: no wait at all */
	e->clk.calls = 0;
	g = next_at(e, 0);
	assert_int_equal(g.st, MERGE_TIMEOUT);
	assert_true(e->clk.calls <= 2);
	env_free(e);

	/* on the real clock: it really sleeps until the deadline */
	e = env_new("ff", 0, 4096, true);
	put(e, 0, 1, 0);
	t0 = mono_ns();
	g = next_at(e, merge_clock_realtime(NULL) + 30000000);
	assert_int_equal(g.st, MERGE_TIMEOUT);
	assert_true(mono_ns() - t0 >= 25000000);
	assert_true(mono_ns() - t0 < 5 * SEC);
	env_free(e);
}

struct late_arg {
	struct env	*e;
	size_t		 input;
	uint64_t	 ts;
	uint64_t	 delay_ns;
	bool		 close;
};

static void *
late_producer_thread(void *p)
{
	struct late_arg *a = p;
	struct timespec d = { (time_t)(a->delay_ns / SEC),
	    (long)(a->delay_ns % SEC) };
	struct queue *q = a->e->q[a->input];
	struct queue_rec *r;
	struct tag t = { 77, a->input };

	nanosleep(&d, NULL);
	if ((r = queue_reserve_try(q, sizeof(t))) != NULL) {
		r->ts_ns = a->ts;
		r->wirelen = sizeof(t);
		r->linktype = 1;
		memcpy(r->data, &t, sizeof(t));
		queue_commit(q);
	}
	if (a->close)
		queue_close(q);
	else
		queue_publish(q);
	return NULL;
}

/* merge_next on the real clock, 30 s to go: it must say st. */
static struct got
next_real(struct env *e, enum merge_status st)
{
	struct got g = next_at(e, merge_clock_realtime(NULL) + 30 * SEC);

	assert_int_equal(g.st, st);
	return g;
}

/* A merger sleeping on a starved file input is woken by its data. */
static void
test_blocked_merger_woken_by_data(void **state)
{
	struct env *e = env_new("ff", 0, 4096, true);
	struct late_arg a = { e, 1, 2, 50000000, false };
	pthread_t t;
	uint64_t t0;
	struct got g;

	(void)state;
	put(e, 0, 1, 0);
	queue_close(e->q[0]);
	assert_int_equal(pthread_create(&t, NULL, late_producer_thread, &a),
	    0);
	t0 = mono_ns();
	assert_int_equal(next_real(e, MERGE_PACKET).ts, 1);
	assert_true(mono_ns() - t0 < 10 * SEC);
	assert_int_equal(pthread_join(t, NULL), 0);
	g = next_real(e, MERGE_PACKET);
	assert_int_equal(g.ts, 2);
	assert_int_equal(g.id, 77);

	/* and by a close */
	a.close = true;
	a.ts = 3;
	assert_int_equal(pthread_create(&t, NULL, late_producer_thread, &a),
	    0);
	t0 = mono_ns();
	assert_int_equal(next_real(e, MERGE_PACKET).ts, 3);
	(void)next_real(e, MERGE_END);
	assert_true(mono_ns() - t0 < 10 * SEC);
	assert_int_equal(pthread_join(t, NULL), 0);
	env_free(e);
}

/* --- live inputs ------------------------------------------------------ */

static void
test_live_maxwait(void **state)
{
	static const struct step older[] = {
		/* held back until ts + maxwait if the stamp is the older one */
		PUT(0, 1000, 0),
		CLOCK(1050), TIMEOUT,
		CLOCK(1099), TIMEOUT,
		CLOCK(1100),			/* exactly due */
		PACKET(1000, 0, 0, false),
		TIMEOUT,
	}, future[] = {
		/* a stamp in the future counts from when the merger saw it */
		PUT(1, 5000, 0),
		CLOCK(1000), TIMEOUT,
		CLOCK(1099), TIMEOUT,
		CLOCK(1100),
		PACKET(5000, 1, 0, false),
	}, seen[] = {
		/* "seen" is when the merger first found it, not its 1st call */
		CLOCK(1000), TIMEOUT,
		CLOCK(2000),
		PUT(0, 10000, 0),
		TIMEOUT,
		CLOCK(2099), TIMEOUT,
		CLOCK(2100),
		PACKET(10000, 0, 0, false),
	}, next_seen[] = {
		/* the next record of an input is seen when the last one went */
		PUT(0, 1000, 0), PUT(0, 1001, 1),
		CLOCK(1100),
		PACKET(1000, 0, 0, false),
		TIMEOUT,			/* 1001 + 100 > 1100 */
		CLOCK(1101),
		PACKET(1001, 0, 1, false),
	}, next_future[] = {
		/* ... which matters for a stamp in the future */
		PUT(0, 1000, 0), PUT(0, 5000, 1),
		CLOCK(1100),
		PACKET(1000, 0, 0, false),
		CLOCK(1199), TIMEOUT,
		CLOCK(1200),
		PACKET(5000, 0, 1, false),
	};
	const uint64_t mw = 100;

	(void)state;
	RUN_STEPS("ll", mw, older);
	RUN_STEPS("ll", mw, future);
	RUN_STEPS("ll", mw, seen);
	RUN_STEPS("ll", mw, next_seen);
	RUN_STEPS("ll", mw, next_future);
}

/*
 * The wall clock stepped back (NTP, a VM resumed): a packet waiting for a
 * quiet live input is not held until the clock catches up, and a wait
 * for a deadline set before the step ends at once (the caller sets a new
 * one), instead of lasting as long as the step.
 */
static void
test_live_clock_stepped_back(void **state)
{
	static const struct step held[] = {
		PUT(0, 1000, 0),
		CLOCK(1050), TIMEOUT,		/* seen at 1050, due at 1100 */
		CLOCK(500),			/* back by 550 */
		PACKET(1000, 0, 0, false),
		PUT(0, 510, 1),			/* stamped by the new clock */
		TIMEOUT,			/* waits as ever: due at 600 */
		CLOCK(600),
		PACKET(510, 0, 1, true),
	};
	struct env *e;
	struct got g;
	uint64_t t0;

	(void)state;
	RUN_STEPS("ll", 100, held);

	e = env_new("l", 100, 4096, false);
	e->clk.now = 10 * SEC;
	g = next(e);
	assert_int_equal(g.st, MERGE_TIMEOUT);
	e->clk.now = 9 * SEC;		/* back by 1 s */
	e->clk.step = 10000000;		/* 10 ms a read */
	e->clk.calls = 0;
	t0 = mono_ns();
	g = next_at(e, 10 * SEC + 1000000);
	assert_int_equal(g.st, MERGE_TIMEOUT);
	assert_true(e->clk.calls <= 3);
	assert_true(mono_ns() - t0 < SEC / 2);
	env_free(e);
}

/*
 * With a far deadline, merge_next sleeps only until the release time:
 * on a clock that moves 1 ns a read it takes about 100 reads and no real
 * time (sleeping towards the deadline would take 100 ms a read).
 */
static void
test_live_wait_ends_at_release_time(void **state)
{
	struct env *e = env_new("ll", 100, 4096, false);
	uint64_t t0;
	struct got g;

	(void)state;
	put(e, 0, 1000, 0);
	e->clk.now = 1000;
	e->clk.step = 1;
	t0 = mono_ns();
	g = next_at(e, 1000 + 3600 * SEC);
	assert_int_equal(g.st, MERGE_PACKET);
	assert_int_equal(g.ts, 1000);
	assert_true(e->clk.now >= 1100 && e->clk.now < 1100 + 1000);
	assert_true(mono_ns() - t0 < 2 * SEC);
	env_free(e);
}

static void
test_live_maxwait_zero(void **state)
{
	static const struct step steps[] = {
		CLOCK(500),
		PUT(0, 1000, 0),
		PACKET(1000, 0, 0, false),
		PUT(0, 400, 1),
		PACKET(400, 0, 1, true),	/* went before 1000? late */
		PUT(1, 2000, 0),
		PACKET(2000, 1, 0, false),
		TIMEOUT,
		DISORDERS(1),
	};

	(void)state;
	RUN_STEPS("ll", 0, steps);
}

static void
test_live_starved_input_catches_up(void **state)
{
	static const struct step catch_up[] = {
		/* older data arriving in time goes first, in order */
		PUT(0, 1000, 0),
		CLOCK(1050), TIMEOUT,
		PUT(1, 990, 0),
		PACKET(990, 1, 0, false),
		/* input 1 starves again: 1000 waits for its own release time */
		TIMEOUT,
		CLOCK(1100),
		PACKET(1000, 0, 0, false),
		/* too late: still emitted, flagged and counted */
		PUT(1, 900, 1),
		PACKET(900, 1, 1, true),
		DISORDERS(1),
		/* both have data: no waiting at all, whatever the time */
		PUT(0, 5000, 1), PUT(1, 4000, 2),
		CLOCK(0),
		PACKET(4000, 1, 2, false),
	}, ends[] = {
		/* a starved live input that ends holds nothing back any more */
		PUT(0, 1000, 0),
		CLOCK(1000), TIMEOUT,
		CLOSE(1),
		PACKET(1000, 0, 0, false),
	};

	(void)state;
	RUN_STEPS("ll", 100, catch_up);
	RUN_STEPS("ll", 100, ends);
}

/* Live release time on the real clock: a wait ends at the release time. */
static void
test_live_release_wakes_before_deadline(void **state)
{
	struct env *e = env_new("ll", 50000000, 4096, true);
	uint64_t now = merge_clock_realtime(NULL), t0;
	struct got g;

	(void)state;
	put(e, 0, now, 0);
	t0 = mono_ns();
	g = next_at(e, now + 30 * SEC);
	assert_int_equal(g.st, MERGE_PACKET);
	assert_true(mono_ns() - t0 >= 40000000);	/* ~maxwait */
	assert_true(mono_ns() - t0 < 10 * SEC);	/* not the deadline */
	env_free(e);
}

/*
 * Which inputs wake a waiting merger when they publish (merge_next sets
 * this each time nothing can be released; a TIMEOUT shows that state):
 * - a starved file input always (files are merged exactly);
 * - with a packet waiting for its release time and only live inputs
 *   starved, none: the merger wakes at that time anyway and then takes
 *   whatever arrived meanwhile, not one wake-up per published batch;
 * - with nothing queued anywhere, every input;
 * - never an input whose head is already in the merge.
 */
static void
expect_wake(struct env *e, size_t input, uint64_t ts, uint64_t id,
    bool woken, int line)
{
	queue_waiter_prepare(&e->w);	/* as merge_next() before it sleeps */
	put(e, input, ts, id);
	if (e->w.signalled != woken)
		fail_msg("line %d: data on input %zu %s the merger", line,
		    input, woken ? "did not wake" : "woke");
	queue_waiter_wait(&e->w, 0);	/* consume the signal, if any */
}

static void
test_wake_policy(void **state)
{
	struct env *e;
	struct got g;

	(void)state;
	/* two live inputs, one packet held for its release time */
	e = env_new("ll", 1000 * SEC, 4096, false);
	e->clk.now = 1000;
	put(e, 1, 100, 0);
	assert_int_equal(next(e).st, MERGE_TIMEOUT);
	expect_wake(e, 1, 200, 1, false, __LINE__);	/* in the merge */
	expect_wake(e, 0, 150, 2, false, __LINE__);	/* waits for the time */
	g = next(e);
	assert_int_equal(g.st, MERGE_PACKET);
	assert_int_equal(g.id, 0);
	g = next(e);
	assert_int_equal(g.id, 2);
	env_free(e);

	/* nothing queued: every input wakes it */
	e = env_new("ll", 1000 * SEC, 4096, false);
	e->clk.now = 1000;
	assert_int_equal(next(e).st, MERGE_TIMEOUT);
	expect_wake(e, 1, 100, 0, true, __LINE__);
	env_free(e);

	/* a starved file input wakes it even with a packet held */
	e = env_new("fl", 1000 * SEC, 4096, false);
	e->clk.now = 1000;
	put(e, 1, 100, 0);
	assert_int_equal(next(e).st, MERGE_TIMEOUT);
	expect_wake(e, 1, 200, 1, false, __LINE__);
	expect_wake(e, 0, 150, 2, true, __LINE__);
	env_free(e);
}

/*
 * A file packet stamped in the future, next to a starved live input, waits
 * maxwait from when the merger first saw it (not from time zero).
 */
static void
test_future_file_packet_waits_for_live(void **state)
{
	struct env *e = env_new("fl", 1000, 4096, false);
	struct got g;

	(void)state;
	e->clk.now = 1000000000;
	put(e, 0, 5000000000ull, 0);
	g = next(e);
	assert_int_equal(g.st, MERGE_TIMEOUT);
	e->clk.now += 1001;
	g = next(e);
	assert_int_equal(g.st, MERGE_PACKET);
	assert_int_equal(g.id, 0);
	env_free(e);
}

/* --- threads ---------------------------------------------------------- */

struct producer {
	struct env	*e;
	size_t		 input;
	uint64_t	 count;
	uint64_t	 seed;
	bool		 realtime;	/* stamps from the clock */
};

static void *
producer_thread(void *p)
{
	struct producer *a = p;
	struct queue *q = a->e->q[a->input];
	uint64_t ts = rnd(&a->seed) % 16, s = a->seed;

	for (uint64_t k = 0; k < a->count; k++) {
		struct tag t = { k, a->input };
		struct queue_rec *r;

		if (a->realtime)
			ts = merge_clock_realtime(NULL);
		else
			ts += rnd(&s) % 4;
		while ((r = queue_reserve_try(q, sizeof(t))) == NULL)
			(void)queue_wait_space(q, sizeof(t), 100000000);
		r->ts_ns = ts;
		r->wirelen = sizeof(t);
		r->linktype = 1;
		memcpy(r->data, &t, sizeof(t));
		queue_commit(q);
		if (rnd(&s) % 4 == 0)
			queue_publish(q);
		if (a->realtime && rnd(&s) % 4096 == 0) {
			struct timespec pause = { 0, 200000 };

			queue_publish(q);
			nanosleep(&pause, NULL);
		}
	}
	queue_close(q);
	return NULL;
}

/* One producer thread per input of e, and what the merger took from them. */
struct crowd {
	struct producer	 p[MAXIN];
	pthread_t	 t[MAXIN];
	uint64_t	 next_id[MAXIN];	/* per input: records taken */
	uint64_t	 timeouts;
};

/* Start a producer of count records on each input, seeded seed0 + i. */
static void
crowd_start(struct crowd *c, struct env *e, uint64_t count, uint64_t seed0,
    bool realtime)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < e->n; i++) {
		c->p[i] = (struct producer){ e, i, count, seed0 + i, realtime };
		assert_int_equal(pthread_create(&c->t[i], NULL,
		    producer_thread, &c->p[i]), 0);
	}
}

/*
 * The next packet into *g, waiting up to a second at a time (less than a
 * minute in all); each input's records must come in their own order.
 * Returns false at the end.
 */
static bool
crowd_next(struct crowd *c, struct env *e, struct got *g)
{
	for (;;) {
		*g = next_at(e, merge_clock_realtime(NULL) + SEC);
		if (g->st == MERGE_END)
			return false;
		if (g->st == MERGE_PACKET)
			break;
		assert_true(++c->timeouts < 60);
	}
	if (g->id != c->next_id[g->input])
		fail_msg("input %zu: record %llu after %llu", g->input,
		    (unsigned long long)g->id,
		    (unsigned long long)c->next_id[g->input]);
	c->next_id[g->input]++;
	return true;
}

/* Join the producers: the merger took all count records of each. */
static void
crowd_join(struct crowd *c, struct env *e, uint64_t count)
{
	for (size_t i = 0; i < e->n; i++) {
		assert_int_equal(pthread_join(c->t[i], NULL), 0);
		assert_int_equal(c->next_id[i], count);
	}
}

/* Producers on their own threads, files: the output is exactly ordered. */
static void
test_threads_files_exact(void **state)
{
	struct env *e = env_new("ffff", 1000000, 65536, true);
	struct crowd c;
	struct got g;
	uint64_t total = 0, last_ts = 0;
	size_t last_in = 0;

	(void)state;
	crowd_start(&c, e, THREAD_RECORDS, 11, false);
	while (crowd_next(&c, e, &g)) {
		if (total > 0 && (g.ts < last_ts ||
		    (g.ts == last_ts && g.input < last_in)))
			fail_msg("#%llu: ts %llu input %zu after ts %llu "
			    "input %zu", (unsigned long long)total,
			    (unsigned long long)g.ts, g.input,
			    (unsigned long long)last_ts, last_in);
		assert_false(g.disorder);
		last_ts = g.ts;
		last_in = g.input;
		total++;
	}
	crowd_join(&c, e, THREAD_RECORDS);
	assert_int_equal(total, e->n * (uint64_t)THREAD_RECORDS);
	assert_int_equal(merge_disorders(e->m), 0);
	env_free(e);
}

/* Live producers: every packet once, inputs in order, disorder flagged. */
static void
test_threads_live(void **state)
{
	struct env *e = env_new("lll", 1000000, 65536, true);
	struct crowd c;
	struct got g;
	uint64_t total = 0, flagged = 0, maxts = 0;

	(void)state;
	crowd_start(&c, e, THREAD_RECORDS / 2, 21, true);
	while (crowd_next(&c, e, &g)) {
		/* flagged exactly when older than something already out */
		assert_int_equal(g.disorder, total > 0 && g.ts < maxts);
		if (g.disorder)
			flagged++;
		else
			maxts = g.ts;
		total++;
	}
	crowd_join(&c, e, THREAD_RECORDS / 2);
	assert_int_equal(total, e->n * (uint64_t)(THREAD_RECORDS / 2));
	assert_int_equal(merge_disorders(e->m), flagged);
	print_message("  %llu live packets, %llu out of order\n",
	    (unsigned long long)total, (unsigned long long)flagged);
	env_free(e);
}

static void
test_create_destroy(void **state)
{
	(void)state;
	merge_destroy(NULL);
	/* no inputs at all: the end right away */
	{
		struct queue_waiter w;
		struct merge *m;
		const struct queue_rec *r;
		size_t in;
		bool dis;
		char err[64];

		assert_int_equal(queue_waiter_init(&w), 0);
		m = merge_create(NULL, NULL, 0, 0, &w, NULL, NULL, err,
		    sizeof(err));
		assert_non_null(m);
		assert_int_equal(merge_next(m, 0, &r, &in, &dis), MERGE_END);
		merge_release(m);	/* nothing handed out: a no-op */
		merge_destroy(m);
		queue_waiter_destroy(&w);
	}
	/* the default clock is CLOCK_REALTIME in ns */
	{
		struct timespec ts;
		uint64_t a, b;

		clock_gettime(CLOCK_REALTIME, &ts);
		a = (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
		b = merge_clock_realtime(NULL);
		assert_true(b >= a && b - a < 5 * SEC);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_destroy),
		cmocka_unit_test(test_order_and_ties),
		cmocka_unit_test(test_order_matches_reference),
		cmocka_unit_test(test_pulls),
		cmocka_unit_test(test_non_monotonic_input),
		cmocka_unit_test(test_end_needs_all_closed_and_drained),
		cmocka_unit_test(test_file_input_blocks),
		cmocka_unit_test(test_timeout_waits_for_deadline),
		cmocka_unit_test(test_blocked_merger_woken_by_data),
		cmocka_unit_test(test_live_maxwait),
		cmocka_unit_test(test_live_clock_stepped_back),
		cmocka_unit_test(test_live_wait_ends_at_release_time),
		cmocka_unit_test(test_live_maxwait_zero),
		cmocka_unit_test(test_live_starved_input_catches_up),
		cmocka_unit_test(test_live_release_wakes_before_deadline),
		cmocka_unit_test(test_wake_policy),
		cmocka_unit_test(test_future_file_packet_waits_for_live),
		cmocka_unit_test(test_threads_files_exact),
		cmocka_unit_test(test_threads_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
