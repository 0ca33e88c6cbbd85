/*
 * deliver_queue.c - the delivery queue's list and hash (see
 * deliver_queue.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deliver_queue.h"
#include "deliver_state.h"

#define FIRST_BUCKETS	64

static size_t
hash(const char *s, size_t nbucket)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h & (nbucket - 1));
}

int
deliver_queue_init(struct deliver_queue *q)
{
	*q = (struct deliver_queue){ 0 };
	if ((q->bucket = calloc(FIRST_BUCKETS, sizeof(*q->bucket))) == NULL)
		return -1;
	q->nbucket = FIRST_BUCKETS;
	return 0;
}

void
deliver_queue_free(struct deliver_queue *q)
{
	struct dq_entry *e, *next;

	for (e = q->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(q->bucket);
	*q = (struct deliver_queue){ 0 };
}

struct dq_entry *
deliver_queue_find(const struct deliver_queue *q, const char *name)
{
	struct dq_entry *e;

	for (e = q->bucket[hash(name, q->nbucket)]; e != NULL; e = e->hnext)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Twice the buckets when they hold more than one entry each on average. */
static void
grow(struct deliver_queue *q)
{
	size_t nb = q->nbucket * 2;
	struct dq_entry **b;

	if (q->n <= q->nbucket || (b = calloc(nb, sizeof(*b))) == NULL)
		return;	/* out of memory: longer chains, still right */
	for (struct dq_entry *e = q->head; e != NULL; e = e->next) {
		size_t h = hash(e->name, nb);

		e->hnext = b[h];
		b[h] = e;
	}
	free(q->bucket);
	q->bucket = b;
	q->nbucket = nb;
}

struct dq_entry *
deliver_queue_add(struct deliver_queue *q, const char *name,
    enum dq_state st, struct dq_entry *pos)
{
	size_t len = strlen(name) + 1, h;
	struct dq_entry *e = calloc(1, sizeof(*e) + len);

	if (e == NULL)
		return NULL;
	memcpy(e->name, name, len);
	e->state = st;
	e->prev = pos;
	e->next = pos != NULL ? pos->next : q->head;
	if (e->next != NULL)
		e->next->prev = e;
	else
		q->tail = e;
	if (pos != NULL)
		pos->next = e;
	else
		q->head = e;
	h = hash(name, q->nbucket);
	e->hnext = q->bucket[h];
	q->bucket[h] = e;
	q->n++;
	q->gen++;
	grow(q);
	return e;
}

void
deliver_queue_drop(struct deliver_queue *q, struct dq_entry *e)
{
	struct dq_entry **hp = &q->bucket[hash(e->name, q->nbucket)];

	while (*hp != e)
		hp = &(*hp)->hnext;
	*hp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	q->n--;
	q->gen++;
}

char *
deliver_queue_format(const struct deliver_queue *q, size_t *len)
{
	char **names = malloc((q->n + 1) * sizeof(*names)), *text;
	size_t i = 0;

	if (names == NULL)
		return NULL;
	for (struct dq_entry *e = q->head; e != NULL; e = e->next)
		names[i++] = e->name;
	text = deliver_state_format(names, i, len);
	free(names);
	return text;
}

unsigned
deliver_queue_backoff_s(unsigned failures)
{
	unsigned s = DELIVER_RETRY_S;

	for (unsigned i = 1; i < failures && s < DELIVER_RETRY_MAX_S; i++)
		s *= 2;
	return s < DELIVER_RETRY_MAX_S ? s : DELIVER_RETRY_MAX_S;
}

unsigned
deliver_queue_failed(struct dq_entry *e, uint64_t now)
{
	unsigned s = deliver_queue_backoff_s(++e->failures);

	e->state = DQ_WAITING;
	e->due_ns = now + s * CLOCK_NS_PER_S;
	return s;
}

struct dq_entry *
deliver_queue_next(const struct deliver_queue *q, uint64_t now,
    bool fresh_only)
{
	for (struct dq_entry *e = q->head; e != NULL; e = e->next)
		if (e->state == DQ_WAITING && e->due_ns <= now &&
		    (!fresh_only || !e->tried))
			return e;
	return NULL;
}

uint64_t
deliver_queue_next_ns(const struct deliver_queue *q, bool fresh_only)
{
	uint64_t t = UINT64_MAX;

	for (struct dq_entry *e = q->head; e != NULL; e = e->next)
		if (e->state == DQ_WAITING && e->due_ns < t &&
		    (!fresh_only || !e->tried))
			t = e->due_ns;
	return t;
}

int
deliver_queue_placed(struct deliver_queue *q, const char *want,
    const char *name, bool ok)
{
	struct dq_entry *e = want != NULL ? deliver_queue_find(q, want) : NULL;
	struct dq_entry *pos = q->tail;

	if (e != NULL && e->state != DQ_PREPARED)
		e = NULL;	/* queued already: not the one prepared */
	if (e != NULL && ok && strcmp(e->name, name) == 0) {
		e->state = DQ_WAITING;	/* the state lists it already */
		e->due_ns = 0;
		return 0;
	}
	if (e != NULL) {
		pos = e->prev;
		deliver_queue_drop(q, e);
		free(e);
	}
	if (!ok || deliver_queue_find(q, name) != NULL)
		return 0;
	return deliver_queue_add(q, name, DQ_WAITING, pos) != NULL ? 0 : -1;
}

int
deliver_queue_load(struct deliver_queue *q, const struct deliver_names *names,
    const enum deliver_where *where)
{
	for (size_t i = 0; i < names->n; i++) {
		if (where[i] == DELIVER_GONE) {
			q->gen++;
			continue;
		}
		if (deliver_queue_find(q, names->v[i]) == NULL &&
		    deliver_queue_add(q, names->v[i], where[i] ==
		    DELIVER_PRESENT ? DQ_WAITING : DQ_PREPARED, q->tail) ==
		    NULL)
			return -1;
	}
	return 0;
}
