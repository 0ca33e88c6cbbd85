/*
 * deliver_queue.h - the queue of files awaiting delivery: an ordered
 * list (oldest first) with a hash of the names.  A plain data structure:
 * no locks (deliver.c holds its mutex around every call), no I/O.
 */
#ifndef MTRACECAP_DELIVER_QUEUE_H
#define MTRACECAP_DELIVER_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deliver_state.h"
#include "postrotate.h"

#define DELIVER_RETRY_S		10	/* the first retry, doubling... */
#define DELIVER_RETRY_MAX_S	600	/* ...up to this */

/* PREPARED: recorded before it has its name, not to be hooked yet;
 * WAITING: its hook may start at due_ns; RUNNING: its hook runs. */
enum dq_state { DQ_PREPARED, DQ_WAITING, DQ_RUNNING };

struct dq_entry {
	struct dq_entry	*prev, *next;	/* queue order, oldest first */
	struct dq_entry	*hnext;		/* hash chain */
	enum dq_state	 state;
	bool		 tried;		/* started by this run */
	unsigned	 failures;	/* in a row */
	uint64_t	 due_ns;	/* WAITING: not before (monotonic) */
	struct postrotate_job job;	/* RUNNING */
	char		 name[];
};

struct deliver_queue {
	struct dq_entry	*head, *tail;
	struct dq_entry	**bucket;
	size_t		 nbucket;	/* a power of two */
	size_t		 n;
	uint64_t	 gen;		/* bumped by every add and drop */
};

/* An empty queue.  0, or -1 when out of memory. */
int deliver_queue_init(struct deliver_queue *q);
/* Free every entry and the hash.  A zeroed q is fine. */
void deliver_queue_free(struct deliver_queue *q);
/* The entry named name, or NULL. */
struct dq_entry *deliver_queue_find(const struct deliver_queue *q,
    const char *name);
/* A new entry for name in state st after pos (NULL: first; q->tail:
 * last); NULL when out of memory.  name must not be in q. */
struct dq_entry *deliver_queue_add(struct deliver_queue *q, const char *name,
    enum dq_state st, struct dq_entry *pos);
/* Take e out of q (the caller frees it). */
void deliver_queue_drop(struct deliver_queue *q, struct dq_entry *e);
/* The wait in seconds before the try after failures failed ones: 10 s,
 * doubling, at most DELIVER_RETRY_MAX_S. */
unsigned deliver_queue_backoff_s(unsigned failures);
/* e's try at now failed: WAITING again, due after the back-off, which
 * it returns (seconds). */
unsigned deliver_queue_failed(struct dq_entry *e, uint64_t now);
/* The oldest WAITING entry due at now (fresh_only: never tried by this
 * run), or NULL. */
struct dq_entry *deliver_queue_next(const struct deliver_queue *q,
    uint64_t now, bool fresh_only);
/* The earliest due time of those entries, UINT64_MAX if none. */
uint64_t deliver_queue_next_ns(const struct deliver_queue *q,
    bool fresh_only);
/*
 * A file recorded as want (PREPARED; NULL: none) was placed as name
 * (ok: to deliver).  Same name: it becomes WAITING, due now.  Otherwise
 * want is dropped and, if ok, name queued in its place (at the end when
 * there was no want).  An entry of want that is not PREPARED is someone
 * else's and stays.  0, or -1 when out of memory.
 */
int deliver_queue_placed(struct deliver_queue *q, const char *want,
    const char *name, bool ok);
/*
 * The names of a state file, in order, by where they are: PRESENT ones
 * WAITING, RECOVERING ones PREPARED, GONE ones left out (then q.gen
 * differs from q.n: the file on disk is not q).  0, or -1 (no memory).
 */
int deliver_queue_load(struct deliver_queue *q,
    const struct deliver_names *names, const enum deliver_where *where);
/* The state file's text for q's names in order (deliver_state_format);
 * malloc'ed, NULL when out of memory. */
char *deliver_queue_format(const struct deliver_queue *q, size_t *len);

#endif
