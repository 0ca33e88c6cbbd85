/*
 * merge.c - timestamp-ordered k-way merge over the input queues.
 *
 * DESIGN
 * - Runs on the merger/writer thread only; the queues are its only shared
 *   state (see queue.c for the handoff).
 * - A binary min-heap holds the inputs whose queue has a head record, keyed
 *   by (ts, index): O(log k) per packet.  Inputs with an empty queue sit in
 *   a "starved" list and are re-peeked each round; finished inputs leave.
 * - Release rule: the heap top may go when no input is starved, or when
 *   every starved input is live and min(top.ts, top.seen) + maxwait <= now.
 *   A starved file input always blocks (its reader is never idle for long
 *   and exactness matters more there).
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "merge.h"

#define MERGE_MAX_SLEEP_NS	100000000ull	/* re-check at least every 100 ms */

struct slot {
	uint64_t		 ts;
	uint64_t		 seen;	/* clock when the merger first saw it */
	size_t			 input;
	const struct queue_rec	*rec;
};

struct merge {
	struct queue	*const *queues;
	const bool	*live;
	size_t		 n;
	uint64_t	 maxwait;
	struct queue_waiter *waiter;
	merge_clock_fn	 clock;
	void		*clock_arg;

	struct slot	*heap;
	size_t		 nheap;
	size_t		*starved;	/* inputs with an empty queue */
	size_t		 nstarved;
	size_t		 nstarved_files;
	bool		 any_live;	/* else "seen" times are never needed */

	bool		 have_last;
	uint64_t	 last_ts;
	size_t		 out_input;	/* input of the packet handed out */
	bool		 out_pending;
	uint64_t	 disorders;
};

uint64_t
merge_clock_realtime(void *arg)
{
	(void)arg;
	return realtime_ns();
}

static bool
slot_less(const struct slot *a, const struct slot *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->input < b->input);
}

static void
heap_push(struct merge *m, struct slot s)
{
	size_t i = m->nheap++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!slot_less(&s, &m->heap[parent]))
			break;
		m->heap[i] = m->heap[parent];
		i = parent;
	}
	m->heap[i] = s;
}

static void
heap_pop(struct merge *m)
{
	struct slot last = m->heap[--m->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->nheap)
			break;
		if (c + 1 < m->nheap && slot_less(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!slot_less(&m->heap[c], &last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->nheap > 0)
		m->heap[i] = last;
}

struct merge *
merge_create(struct queue *const *queues, const bool *live, size_t n,
    uint64_t maxwait_ns, struct queue_waiter *waiter, merge_clock_fn clock,
    void *clock_arg, char *err, size_t errlen)
{
	struct merge *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	m->heap = calloc(n + 1, sizeof(*m->heap));
	m->starved = calloc(n + 1, sizeof(*m->starved));
	if (m->heap == NULL || m->starved == NULL)
		goto oom;
	m->queues = queues;
	m->live = live;
	m->n = n;
	m->maxwait = maxwait_ns;
	m->waiter = waiter;
	m->clock = clock != NULL ? clock : merge_clock_realtime;
	m->clock_arg = clock_arg;
	for (size_t i = 0; i < n; i++) {
		m->starved[m->nstarved++] = i;
		if (!live[i])
			m->nstarved_files++;
		else
			m->any_live = true;
	}
	return m;
oom:
	log_seterr(err, errlen, "out of memory for the merger");
	merge_destroy(m);
	return NULL;
}

void
merge_destroy(struct merge *m)
{
	if (m == NULL)
		return;
	free(m->heap);
	free(m->starved);
	free(m);
}

/* Move starved inputs that now have data into the heap; drop finished ones. */
static bool
refill(struct merge *m, uint64_t now)
{
	bool moved = false;
	size_t i = 0;

	while (i < m->nstarved) {
		size_t in = m->starved[i];
		struct queue *q = m->queues[in];
		const struct queue_rec *r = queue_peek_try(q);
		bool gone = false;

		if (r != NULL) {
			struct slot s = { r->ts_ns, now, in, r };

			heap_push(m, s);
			gone = true;
		} else if (queue_finished(q)) {
			gone = true;
		}
		if (gone) {
			moved = true;
			if (!m->live[in])
				m->nstarved_files--;
			m->starved[i] = m->starved[--m->nstarved];
		} else {
			i++;
		}
	}
	return moved;
}

enum merge_status
merge_next(struct merge *m, uint64_t deadline_ns,
    const struct queue_rec **rec, size_t *input, bool *disorder)
{
	for (;;) {
		/* the clock is read only when some input is starved */
		uint64_t now = m->nstarved > 0 ? m->clock(m->clock_arg) : 0;
		uint64_t wake_at = deadline_ns;

		if (m->nstarved > 0)
			refill(m, now);
		if (m->nheap == 0 && m->nstarved == 0)
			return MERGE_END;
		if (m->nheap > 0) {
			const struct slot *top = &m->heap[0];
			uint64_t base = top->ts < top->seen ? top->ts : top->seen;
			uint64_t release_at = base + m->maxwait;

			if (m->nstarved == 0 ||
			    (m->nstarved_files == 0 && release_at <= now)) {
				*rec = top->rec;
				*input = top->input;
				*disorder = m->have_last && top->ts < m->last_ts;
				if (*disorder)
					m->disorders++;
				else
					m->last_ts = top->ts;
				m->have_last = true;
				m->out_input = top->input;
				m->out_pending = true;
				heap_pop(m);
				return MERGE_PACKET;
			}
			if (m->nstarved_files == 0 && release_at < wake_at)
				wake_at = release_at;
		}
		if (now == 0)
			now = m->clock(m->clock_arg);
		if (now >= deadline_ns)
			return MERGE_TIMEOUT;
		/* sleep until data arrives, the release time, or the deadline */
		queue_waiter_prepare(m->waiter);
		if (refill(m, now)) {
			queue_waiter_cancel(m->waiter);
			continue;
		}
		if (wake_at <= now) {
			queue_waiter_cancel(m->waiter);
			continue;
		}
		{
			uint64_t sleep = wake_at - now;

			if (sleep > MERGE_MAX_SLEEP_NS)
				sleep = MERGE_MAX_SLEEP_NS;
			queue_waiter_wait(m->waiter, sleep);
		}
	}
}

void
merge_release(struct merge *m)
{
	struct queue *q;
	const struct queue_rec *r;

	if (!m->out_pending)
		return;
	m->out_pending = false;
	q = m->queues[m->out_input];
	queue_pop(q);
	r = queue_peek_try(q);
	if (r != NULL) {
		struct slot s = { r->ts_ns,
		    m->any_live ? m->clock(m->clock_arg) : UINT64_MAX,
		    m->out_input, r };

		heap_push(m, s);
	} else {
		m->starved[m->nstarved++] = m->out_input;
		if (!m->live[m->out_input])
			m->nstarved_files++;
	}
}

uint64_t
merge_disorders(const struct merge *m)
{
	return m->disorders;
}
