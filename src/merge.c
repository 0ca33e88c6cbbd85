/*
 * merge.c - timestamp-ordered k-way merge over the input queues.
 *
 * DESIGN
 * - Runs on the merger/writer thread only; the queues are its only shared
 *   state (see queue.c for the handoff).
 * - A tournament tree over the inputs (leaves padded to a power of two)
 *   holds each input's head record, keyed by (ts, index); an input with
 *   nothing queued has the key "none", which loses to every packet.  Each
 *   inner node keeps the winner of its two children.  The packet handed
 *   out stays the winner until merge_release(), where its input's next
 *   packet (or "none") replays the matches on its path to the root:
 *   log2(k) comparisons per packet and no choice between children as in
 *   a heap's sift-down.  Any leaf may change this way (refill too).
 * - Inputs with an empty queue also sit in a "starved" list and are
 *   re-peeked each round; finished inputs leave it.
 * - A leaf may be a pull (pull.h) instead of a queue: its next record is
 *   asked for when the last one is released, and it has one or is
 *   finished, so it is starved only before its first record.
 * - Release rule: the winner may go when no input is starved, or when
 *   every starved input is live and min(win.ts, win.seen) + maxwait <= now.
 *   A starved file input always blocks (its reader is never idle for long
 *   and exactness matters more there).
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "merge.h"

#define MERGE_MAX_SLEEP_NS	CLOCK_STOP_LATENCY_NS	/* longest sleep */
#define MERGE_MAX_SLACK_NS	1000000ull	/* see merge_create() */
#define MERGE_CLOCK_REUSE	64u		/* packets per clock reading */
#define KEY_NONE		UINT64_MAX	/* no packet: loses to all */

/* An input's head record, its leaf in the tree. */
struct leaf {
	uint64_t		 ts;	/* KEY_NONE when there is no packet */
	uint64_t		 seen;	/* clock when the merger first saw it */
	const struct queue_rec	*rec;
};

struct merge {
	struct queue	*const *queues;
	struct pull	**pulls;	/* per input: NULL for a queue */
	const bool	*live;
	size_t		 n;
	uint64_t	 maxwait;
	uint64_t	 slack;		/* extra sleep past a release time */
	struct queue_waiter *waiter;
	merge_clock_fn	 clock;
	void		*clock_arg;

	struct leaf	*leaf;		/* per input, then padding (KEY_NONE) */
	size_t		*win;		/* node -> winning leaf; leaves at width + i,
					 * the overall winner at the root, win[1] */
	size_t		 width;		/* leaves, a power of two >= n */
	size_t		 nready;	/* inputs with a packet in the tree */
	size_t		*starved;	/* inputs with an empty queue */
	size_t		 nstarved;
	size_t		 nstarved_files;
	bool		 any_live;	/* else "seen" times are never needed */
	uint64_t	 now;		/* the last clock reading */
	unsigned	 uses;		/* packets stamped with it */

	bool		 have_last;
	uint64_t	 last_ts;
	bool		 out_pending;	/* the winner was handed out */
	uint64_t	 disorders;
};

uint64_t
merge_clock_realtime(void *arg)
{
	(void)arg;
	return realtime_ns();
}

/* Leaf a beats leaf b: earlier stamp, or the same and named first. */
static inline bool
beats(const struct merge *m, size_t a, size_t b)
{
	uint64_t ta = m->leaf[a].ts, tb = m->leaf[b].ts;

	return ta < tb || (ta == tb && a < b);
}

/* Leaf i changed: replay its matches up to the root. */
static void
replay(struct merge *m, size_t i)
{
	size_t w = i;

	for (size_t node = i + m->width; node > 1; node /= 2) {
		size_t other = m->win[node ^ 1];

		if (beats(m, other, w))
			w = other;
		m->win[node / 2] = w;
	}
}

/* Input i's head is now rec (seen at now), or nothing (rec NULL). */
static void
set_leaf(struct merge *m, size_t i, const struct queue_rec *rec,
    uint64_t now)
{
	struct leaf *lf = &m->leaf[i];

	if (rec != NULL) {
		/* a real stamp never equals the "none" key (it would be
		 * 584 years after 1970); keep it below, order intact */
		lf->ts = rec->ts_ns != KEY_NONE ? rec->ts_ns : KEY_NONE - 1;
		lf->seen = now;
		lf->rec = rec;
	} else {
		lf->ts = KEY_NONE;
		lf->rec = NULL;
	}
	replay(m, i);
}

struct merge *
merge_create(struct queue *const *queues, const bool *live, size_t n,
    uint64_t maxwait_ns, struct queue_waiter *waiter, merge_clock_fn clock,
    void *clock_arg, char *err, size_t errlen)
{
	struct merge *m;
	size_t width = 1;

	while (width < n)
		width *= 2;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	m->leaf = calloc(width, sizeof(*m->leaf));
	m->win = calloc(2 * width, sizeof(*m->win));
	m->starved = calloc(n + 1, sizeof(*m->starved));
	m->pulls = calloc(n + 1, sizeof(*m->pulls));
	if (m->leaf == NULL || m->win == NULL || m->starved == NULL ||
	    m->pulls == NULL)
		goto oom;
	m->width = width;
	m->queues = queues;
	m->live = live;
	m->n = n;
	m->maxwait = maxwait_ns;
	/*
	 * Waiting for a release time, the merger sleeps longer (maxwait
	 * more, at most 1 ms) and then releases everything due in one go:
	 * next to an idle live input it would otherwise wake for every few
	 * packets of a busy one.  Packets are held longer, never released
	 * earlier, and the writer's deadline (a -G interval's end) still
	 * cuts the sleep short.
	 */
	m->slack = maxwait_ns < MERGE_MAX_SLACK_NS ? maxwait_ns :
	    MERGE_MAX_SLACK_NS;
	m->waiter = waiter;
	m->clock = clock != NULL ? clock : merge_clock_realtime;
	m->clock_arg = clock_arg;
	for (size_t i = 0; i < width; i++) {
		m->leaf[i].ts = KEY_NONE;
		m->win[width + i] = i;
	}
	for (size_t node = width - 1; node > 0; node--) {
		size_t a = m->win[2 * node], b = m->win[2 * node + 1];

		m->win[node] = beats(m, b, a) ? b : a;
	}
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
	free(m->leaf);
	free(m->win);
	free(m->starved);
	free(m->pulls);
	free(m);
}

void
merge_set_pull(struct merge *m, size_t i, struct pull *p)
{
	m->pulls[i] = p;
}

/* Read the clock into m->now; see merge_next(). */
static uint64_t
tick(struct merge *m)
{
	m->now = m->clock(m->clock_arg);
	m->uses = 0;
	return m->now;
}

/*
 * Move starved inputs that now have data into the tree; drop finished
 * ones.  With live inputs about, a packet is stamped "seen" with a fresh
 * reading (file inputs too: "seen" bounds a file packet's wait for a
 * starved live input).
 */
static bool
refill(struct merge *m)
{
	bool moved = false, fresh = false;
	size_t i = 0;

	while (i < m->nstarved) {
		size_t in = m->starved[i];
		struct queue *q = m->queues[in];
		struct pull *p = m->pulls[in];
		const struct queue_rec *r = p != NULL ? p->next(p) :
		    queue_peek_try(q);
		bool gone = false;

		if (r != NULL) {
			if (m->any_live && !fresh) {
				tick(m);
				fresh = true;
			}
			set_leaf(m, in, r, m->now);
			m->nready++;
			gone = true;
		} else if (p != NULL || queue_finished(q)) {
			gone = true;	/* a pull has a record or is done */
		}
		if (gone) {
			moved = true;
			if (q != NULL)
				queue_want_wake(q, false);
			if (!m->live[in])
				m->nstarved_files--;
			m->starved[i] = m->starved[--m->nstarved];
		} else {
			i++;
		}
	}
	return moved;
}

/*
 * Nothing can be released now: say which starved inputs should wake the
 * merger when they publish.  A starved file input always should (files
 * are merged exactly).  With only live inputs starved and a packet
 * waiting for its release time, none should: the merger wakes at that
 * time anyway and then merges whatever arrived meanwhile in one go,
 * instead of waking for every batch a busy input publishes.  With
 * nothing waiting at all, every input should.
 */
static void
set_wants(struct merge *m)
{
	bool want = m->nready == 0 || m->nstarved_files > 0;

	/* (a pull is never starved here: refill took it out) */
	for (size_t i = 0; i < m->nstarved; i++)
		queue_want_wake(m->queues[m->starved[i]], want);
}

enum merge_status
merge_next(struct merge *m, uint64_t deadline_ns,
    const struct queue_rec **rec, size_t *input, bool *disorder)
{
	/*
	 * The clock is read when a decision needs it, not per packet: a
	 * packet is released on the last reading (time only moves on, so a
	 * release due then is due now), and only a "not yet" is checked
	 * against a fresh reading.  The readings also stamp when the merger
	 * first saw a packet; merge_release() renews one every
	 * MERGE_CLOCK_REUSE packets so that such a stamp is never old.
	 */
	bool fresh = false;
	/* a wall clock stepped back below this makes the deadline
	 * meaningless: time out, and the caller computes a new one */
	const uint64_t entry = m->now;

	if (m->out_pending)	/* the caller skipped merge_release() */
		merge_release(m);
	for (;;) {
		uint64_t wake_at = deadline_ns;

		if (m->nstarved > 0)
			refill(m);
		if (m->nready == 0 && m->nstarved == 0)
			return MERGE_END;
		if (m->nready > 0) {
			const struct leaf *top = &m->leaf[m->win[1]];
			uint64_t base = top->ts < top->seen ? top->ts : top->seen;
			uint64_t release_at = base + m->maxwait;
			/* seen is a past reading: now below it means the wall
			 * clock was stepped back, and the wait cannot be
			 * measured; waiting for the clock to catch up would
			 * hold every input for as long as the step */
			bool stepped = m->now < top->seen;

			if (m->nstarved == 0 || (m->nstarved_files == 0 &&
			    (release_at <= m->now || stepped))) {
				*rec = top->rec;
				*input = m->win[1];
				*disorder = m->have_last && top->ts < m->last_ts;
				if (*disorder)
					m->disorders++;
				else
					m->last_ts = top->ts;
				m->have_last = true;
				m->out_pending = true;
				/* stays the winner until merge_release() */
				return MERGE_PACKET;
			}
			if (m->nstarved_files == 0 &&
			    release_at + m->slack < wake_at)
				wake_at = release_at + m->slack;
		}
		if (!fresh) {
			/* "not yet" on the last reading: ask again now */
			tick(m);
			fresh = true;
			continue;
		}
		set_wants(m);
		if (m->now >= deadline_ns || m->now < entry)
			return MERGE_TIMEOUT;
		/* sleep until data arrives, the release time, or the deadline */
		queue_waiter_prepare(m->waiter);
		if (refill(m) || wake_at <= m->now) {
			queue_waiter_cancel(m->waiter);
			continue;
		}
		{
			uint64_t sleep = wake_at - m->now;

			if (sleep > MERGE_MAX_SLEEP_NS)
				sleep = MERGE_MAX_SLEEP_NS;
			queue_waiter_wait(m->waiter, sleep);
		}
		tick(m);
	}
}

void
merge_release(struct merge *m)
{
	size_t in = m->win[1];
	struct queue *q;
	struct pull *p;
	const struct queue_rec *r;

	if (!m->out_pending)
		return;
	m->out_pending = false;
	if ((p = m->pulls[in]) != NULL) {
		r = p->next(p);
		if (r == NULL) {
			/* done for good: out of the tree, never starved */
			set_leaf(m, in, NULL, 0);
			m->nready--;
			return;
		}
	} else {
		q = m->queues[in];
		queue_pop(q);
		r = queue_peek_try(q);
	}
	if (r != NULL) {
		/* the input's next packet replays the winner's matches */
		if (m->any_live && ++m->uses >= MERGE_CLOCK_REUSE)
			tick(m);
		set_leaf(m, in, r, m->any_live ? m->now : UINT64_MAX);
	} else {
		set_leaf(m, in, NULL, 0);
		m->nready--;
		m->starved[m->nstarved++] = in;
		if (!m->live[in])
			m->nstarved_files++;
	}
}

uint64_t
merge_disorders(const struct merge *m)
{
	return m->disorders;
}
