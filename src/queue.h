/*
 * queue.h - bounded single-producer/single-consumer packet queue.
 *
 * One queue per input: its reader thread is the only producer, the
 * merger/writer thread the only consumer.  Records are variable-sized
 * (header + captured bytes) in one buffer allocated at creation, so the
 * memory per input is fixed whatever the traffic, and nothing is allocated
 * per packet.
 */
#ifndef MTRACECAP_QUEUE_H
#define MTRACECAP_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One packet as it travels from a reader to the writer. */
struct queue_rec {
	uint64_t	ts_ns;		/* capture time, ns since the epoch */
	uint32_t	caplen;		/* bytes that follow the header */
	uint32_t	wirelen;	/* length on the wire */
	int32_t		linktype;	/* pcap LINKTYPE_ value */
	uint32_t	size;		/* whole slot, header and padding; 0 = wrap marker */
	uint32_t	iface;		/* interface of the input it came from
					 * (input_ifaces(); 0 but for pcapng
					 * inputs with several) */
	uint32_t	flags;		/* pcapng epb_flags, 0 = not known */
	/* the captured bytes: in the slot, right after this header, for a
	 * queued record (queue_reserve_try sets it); in the input file for
	 * one the merger reads in place (pull.h) */
	unsigned char	*data;
	/*
	 * The whole record (16-byte header, then data) exactly as a
	 * classic pcap file in host byte order holds it, where the input
	 * read it (pull.h: raw_magic says which resolution), for the writer
	 * to write from there; NULL when it must be written from the fields
	 * above (every queued record, and any record whose fields were
	 * changed: cut, other byte order, a fraction out of range).
	 */
	const unsigned char *raw;
};

/*
 * A place for one thread to sleep until another says there is work.
 * The sleeper calls _prepare, re-checks its condition, then _wait (or
 * _cancel if the condition now holds); the waker changes the condition,
 * then calls _wake, which costs one atomic load when nobody sleeps.
 */
struct queue_waiter {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	atomic_int	sleeping;
	bool		signalled;	/* under mu */
};

int queue_waiter_init(struct queue_waiter *w);
void queue_waiter_destroy(struct queue_waiter *w);
void queue_waiter_prepare(struct queue_waiter *w);
void queue_waiter_cancel(struct queue_waiter *w);
/* Sleep at most timeout_ns or until woken; spurious returns are allowed. */
void queue_waiter_wait(struct queue_waiter *w, uint64_t timeout_ns);
void queue_waiter_wake(struct queue_waiter *w);

struct queue;

/*
 * Create a queue of capacity_bytes (rounded up to a power of two) able to
 * hold records of up to max_caplen bytes.  consumer_waiter, shared by all
 * queues of one consumer, is woken when data or end-of-input arrives.
 * Returns NULL with err filled.  queue_destroy(NULL) is a no-op.
 */
struct queue *queue_create(size_t capacity_bytes, size_t max_caplen,
    struct queue_waiter *consumer_waiter, char *err, size_t errlen);
void queue_destroy(struct queue *q);
size_t queue_capacity(const struct queue *q);
/*
 * Bytes the queue holds now (records and padding), for the statistics:
 * relaxed loads, any thread; the consumer publishes what it frees every
 * 1/8 of the capacity, so this may be that much above the truth.
 */
size_t queue_used_bytes(const struct queue *q);

/* --- producer side (one thread) --- */

/*
 * Reserve a record for caplen bytes; never blocks.  Returns the record to
 * fill (set ts_ns, wirelen, linktype and the bytes at data; caplen, size,
 * data and raw (NULL) are set),
 * or NULL when the queue is full.  Nothing is visible to the consumer
 * before queue_commit() and queue_publish().
 */
struct queue_rec *queue_reserve_try(struct queue *q, uint32_t caplen);
void queue_commit(struct queue *q);
/* Make committed records visible and wake the consumer if it sleeps. */
void queue_publish(struct queue *q);
/*
 * Block until a record of caplen bytes fits or timeout_ns passed; publishes
 * pending records first.  Returns true if it fits now.
 */
bool queue_wait_space(struct queue *q, uint32_t caplen, uint64_t timeout_ns);
/* No more records will come (publishes first). */
void queue_close(struct queue *q);

/* --- consumer side (one thread) --- */

/* The oldest record, or NULL if there is none right now; never blocks. */
const struct queue_rec *queue_peek_try(struct queue *q);
/* Release the record returned by the last queue_peek_try(). */
void queue_pop(struct queue *q);
/* True once the producer closed the queue and every record was popped. */
bool queue_finished(struct queue *q);
/*
 * Whether the consumer wants to be woken when this queue gets data (it
 * does while the queue is empty and the merger waits for it).  Publishing
 * into a queue nobody waits for wakes nobody: a busy input next to an
 * empty one does not wake the merger for packets it cannot release yet.
 * Set it before queue_waiter_prepare(); closing always wakes.
 */
void queue_want_wake(struct queue *q, bool want);

#endif
