/*
 * queue.c - SPSC byte ring with acquire/release indices.
 *
 * DESIGN
 * - head and tail are byte counters that only grow; position = counter &
 *   mask.  The producer owns head, the consumer owns tail; each keeps a
 *   private cached copy of the other's index and reloads it (acquire) only
 *   when the cache says full/empty, so the shared cache lines move rarely.
 * - Records never straddle the end of the buffer: when a record does not
 *   fit before the end, the producer writes a wrap marker (size 0) if a
 *   header fits there, and the consumer skips to the start.
 * - The producer may commit several records and publish them with one
 *   release store.  The consumer publishes its tail every 1/8 of the
 *   capacity, or when it runs dry, so the producer sees space in batches.
 * - Sleeping uses struct queue_waiter with a Dekker-style handshake: the
 *   sleeper stores "sleeping" and then re-reads the index, the waker stores
 *   the index and then reads "sleeping", a seq_cst fence between each pair,
 *   so at least one of them sees the other and no wake-up is lost.  The
 *   consumer's "wants" flag joins the sleeper's side: it is stored before
 *   the sleeper's fence and read after the waker's, like "sleeping".
 *   Waits are also bounded by a timeout as a second line of defence.
 * Threads: queue_reserve_try/commit/publish/wait_space/close run on the
 * reader thread; peek_try/pop/finished on the merger/writer thread.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "queue.h"

#define REC_HDR		(sizeof(struct queue_rec))
#define CACHELINE	64

struct queue {
	unsigned char		*buf;
	size_t			 cap;
	size_t			 mask;
	size_t			 max_rec;
	struct queue_waiter	*consumer_waiter;
	struct queue_waiter	 producer_waiter;

	_Alignas(CACHELINE) atomic_uint_fast64_t head;	/* published by producer */
	atomic_bool		 closed;
	atomic_bool		 consumer_wants;	/* wake on publish */

	_Alignas(CACHELINE) atomic_uint_fast64_t tail;	/* published by consumer */

	_Alignas(CACHELINE) uint64_t p_head;	/* producer private */
	uint64_t		 p_tail_cache;
	uint64_t		 p_pending;	/* size of the reserved record */

	_Alignas(CACHELINE) uint64_t c_tail;	/* consumer private */
	uint64_t		 c_head_cache;
	uint64_t		 c_published;
	const struct queue_rec	*c_cur;
};

static size_t
rec_size(uint32_t caplen)
{
	return (REC_HDR + caplen + 7) & ~(size_t)7;
}

int
queue_waiter_init(struct queue_waiter *w)
{
	pthread_condattr_t attr;

	memset(w, 0, sizeof(*w));
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return -1;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&w->cv, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		goto fail;
	}
	pthread_condattr_destroy(&attr);
	atomic_init(&w->sleeping, 0);
	return 0;
fail:
	pthread_mutex_destroy(&w->mu);
	return -1;
}

void
queue_waiter_destroy(struct queue_waiter *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

void
queue_waiter_prepare(struct queue_waiter *w)
{
	atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

void
queue_waiter_cancel(struct queue_waiter *w)
{
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

void
queue_waiter_wait(struct queue_waiter *w, uint64_t timeout_ns)
{
	struct timespec ts;

	ts = clock_deadline(CLOCK_MONOTONIC, timeout_ns);
	pthread_mutex_lock(&w->mu);
	while (!w->signalled) {
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
			break;
	}
	w->signalled = false;
	pthread_mutex_unlock(&w->mu);
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

void
queue_waiter_wake(struct queue_waiter *w)
{
	/* callers have made their change visible and fenced */
	if (atomic_load_explicit(&w->sleeping, memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&w->mu);
	w->signalled = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

struct queue *
queue_create(size_t capacity_bytes, size_t max_caplen,
    struct queue_waiter *consumer_waiter, char *err, size_t errlen)
{
	struct queue *q;
	size_t cap = 4096;

	if (max_caplen > UINT32_MAX - REC_HDR) {
		log_seterr(err, errlen, "record size %zu too large", max_caplen);
		return NULL;
	}
	/* room for at least 4 records of the largest size plus a wrap */
	while (cap < capacity_bytes || cap < 4 * rec_size((uint32_t)max_caplen))
		cap <<= 1;
	if ((q = aligned_alloc(CACHELINE, sizeof(*q))) == NULL) {
		log_seterr(err, errlen, "out of memory for a queue");
		return NULL;
	}
	memset(q, 0, sizeof(*q));
	if ((q->buf = aligned_alloc(CACHELINE, cap)) == NULL) {
		log_seterr(err, errlen, "cannot allocate a %zu-byte queue", cap);
		free(q);
		return NULL;
	}
	if (queue_waiter_init(&q->producer_waiter) != 0) {
		log_seterr(err, errlen, "cannot initialise a queue lock");
		free(q->buf);
		free(q);
		return NULL;
	}
	q->cap = cap;
	q->mask = cap - 1;
	q->max_rec = max_caplen;
	q->consumer_waiter = consumer_waiter;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->closed, false);
	atomic_init(&q->consumer_wants, true);
	return q;
}

void
queue_destroy(struct queue *q)
{
	if (q == NULL)
		return;
	queue_waiter_destroy(&q->producer_waiter);
	free(q->buf);
	free(q);
}

size_t
queue_capacity(const struct queue *q)
{
	return q->cap;
}

size_t
queue_used_bytes(const struct queue *q)
{
	/* tail first: the head loaded after it is never below it */
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);

	return head > tail ? (size_t)(head - tail) : 0;
}

/* Bytes needed at the current head for a record of size sz, wrap included. */
static size_t
needed_at(const struct queue *q, uint64_t head, size_t sz)
{
	size_t pos = (size_t)(head & q->mask);
	size_t room = q->cap - pos;

	return room >= sz ? sz : room + sz;
}

struct queue_rec *
queue_reserve_try(struct queue *q, uint32_t caplen)
{
	size_t sz = rec_size(caplen);
	size_t need = needed_at(q, q->p_head, sz);
	struct queue_rec *r;
	size_t pos, room;

	if (q->p_head + need - q->p_tail_cache > q->cap) {
		q->p_tail_cache = atomic_load_explicit(&q->tail,
		    memory_order_acquire);
		if (q->p_head + need - q->p_tail_cache > q->cap)
			return NULL;
	}
	pos = (size_t)(q->p_head & q->mask);
	room = q->cap - pos;
	if (room < sz) {
		/* wrap: mark the rest of the buffer as skipped */
		if (room >= REC_HDR) {
			r = (struct queue_rec *)(q->buf + pos);
			r->size = 0;
		}
		q->p_head += room;
		pos = 0;
	}
	r = (struct queue_rec *)(q->buf + pos);
	r->caplen = caplen;
	r->size = (uint32_t)sz;
	r->data = (unsigned char *)(r + 1);
	r->raw = NULL;
	q->p_pending = sz;
	return r;
}

void
queue_commit(struct queue *q)
{
	q->p_head += q->p_pending;
	q->p_pending = 0;
}

void
queue_publish(struct queue *q)
{
	if (atomic_load_explicit(&q->head, memory_order_relaxed) == q->p_head)
		return;
	atomic_store_explicit(&q->head, q->p_head, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->consumer_wants, memory_order_relaxed))
		queue_waiter_wake(q->consumer_waiter);
}

bool
queue_wait_space(struct queue *q, uint32_t caplen, uint64_t timeout_ns)
{
	size_t need = needed_at(q, q->p_head, rec_size(caplen));

	queue_publish(q);
	queue_waiter_prepare(&q->producer_waiter);
	q->p_tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (q->p_head + need - q->p_tail_cache <= q->cap) {
		queue_waiter_cancel(&q->producer_waiter);
		return true;
	}
	queue_waiter_wait(&q->producer_waiter, timeout_ns);
	q->p_tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
	return q->p_head + need - q->p_tail_cache <= q->cap;
}

void
queue_close(struct queue *q)
{
	atomic_store_explicit(&q->head, q->p_head, memory_order_release);
	atomic_store_explicit(&q->closed, true, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	queue_waiter_wake(q->consumer_waiter);
}

static void
publish_tail(struct queue *q)
{
	atomic_store_explicit(&q->tail, q->c_tail, memory_order_release);
	q->c_published = q->c_tail;
	atomic_thread_fence(memory_order_seq_cst);
	queue_waiter_wake(&q->producer_waiter);
}

const struct queue_rec *
queue_peek_try(struct queue *q)
{
	for (;;) {
		const struct queue_rec *r;
		size_t pos, room;

		if (q->c_tail == q->c_head_cache) {
			q->c_head_cache = atomic_load_explicit(&q->head,
			    memory_order_acquire);
			if (q->c_tail == q->c_head_cache) {
				if (q->c_published != q->c_tail)
					publish_tail(q);
				return NULL;
			}
		}
		pos = (size_t)(q->c_tail & q->mask);
		room = q->cap - pos;
		if (room < REC_HDR) {
			q->c_tail += room;
			continue;
		}
		r = (const struct queue_rec *)(q->buf + pos);
		if (r->size == 0) {
			q->c_tail += room;
			continue;
		}
		q->c_cur = r;
		return r;
	}
}

void
queue_pop(struct queue *q)
{
	q->c_tail += q->c_cur->size;
	q->c_cur = NULL;
	if (q->c_tail - q->c_published >= q->cap / 8)
		publish_tail(q);
}

void
queue_want_wake(struct queue *q, bool want)
{
	atomic_store_explicit(&q->consumer_wants, want, memory_order_relaxed);
}

bool
queue_finished(struct queue *q)
{
	if (!atomic_load_explicit(&q->closed, memory_order_acquire))
		return false;
	q->c_head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
	/* skip a trailing wrap marker, if any */
	return queue_peek_try(q) == NULL;
}
