/*
 * counter.h - a counter that one thread writes and any thread reads.
 *
 * The writing thread adds with a relaxed load and store: no locked
 * instruction on the per-packet path (atomic_fetch_add would be one).
 * Readers see a value that is exact but may be a moment old.
 */
#ifndef MTRACECAP_COUNTER_H
#define MTRACECAP_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

/* Add 1; only ever called from the counter's one writing thread. */
static inline void
counter_inc(atomic_uint_fast64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

/* Add n; only ever called from the counter's one writing thread. */
static inline void
counter_add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

#endif
