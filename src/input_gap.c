/*
 * input_gap.c - the gaps of one source (see input_gap.h).
 */
#include "config.h"

#include <string.h>

#include "input_gap.h"

int
input_gaps_init(struct input_gaps *g)
{
	memset(g, 0, sizeof(*g));
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		return -1;
	g->lock_ok = true;
	return 0;
}

void
input_gaps_destroy(struct input_gaps *g)
{
	if (g->lock_ok)
		pthread_mutex_destroy(&g->lock);
	g->lock_ok = false;
}

bool
input_gaps_down(struct input_gaps *g, uint64_t now_ns)
{
	bool begins;

	pthread_mutex_lock(&g->lock);
	begins = g->down++ == 0;
	if (begins) {
		g->last[g->count % INPUT_GAP_KEEP] =
		    (struct input_gap){ .start_ns = now_ns };
		g->count++;
	}
	pthread_mutex_unlock(&g->lock);
	return begins;
}

bool
input_gaps_up(struct input_gaps *g, uint64_t now_ns, uint64_t *len_ns)
{
	bool ends = false;

	pthread_mutex_lock(&g->lock);
	if (g->down > 0 && --g->down == 0 && g->count > 0) {
		struct input_gap *gap = &g->last[(g->count - 1) %
		    INPUT_GAP_KEEP];

		/* a clock stepped back still ends it, at its start */
		gap->end_ns = now_ns > gap->start_ns ? now_ns : gap->start_ns;
		*len_ns = gap->end_ns - gap->start_ns;
		g->closed_ns += *len_ns;
		ends = true;
	}
	pthread_mutex_unlock(&g->lock);
	return ends;
}

size_t
input_gaps_between(struct input_gaps *g, uint64_t from_ns, uint64_t to_ns,
    struct input_gap *out, size_t max)
{
	size_t n = 0;
	uint64_t first;

	pthread_mutex_lock(&g->lock);
	first = g->count > INPUT_GAP_KEEP ? g->count - INPUT_GAP_KEEP : 0;
	for (uint64_t i = first; i < g->count; i++) {
		const struct input_gap *gap = &g->last[i % INPUT_GAP_KEEP];

		if (gap->start_ns > to_ns ||
		    (gap->end_ns != 0 && gap->end_ns < from_ns))
			continue;
		if (n < max)
			out[n] = *gap;
		n++;
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

void
input_gaps_totals(struct input_gaps *g, uint64_t now_ns, uint64_t *count,
    uint64_t *len_ns)
{
	pthread_mutex_lock(&g->lock);
	*count = g->count;
	*len_ns = g->closed_ns;
	if (g->down > 0 && g->count > 0) {
		uint64_t start = g->last[(g->count - 1) %
		    INPUT_GAP_KEEP].start_ns;

		*len_ns += now_ns > start ? now_ns - start : 0;
	}
	pthread_mutex_unlock(&g->lock);
}

bool
input_gaps_open(struct input_gaps *g)
{
	bool open;

	pthread_mutex_lock(&g->lock);
	open = g->down > 0;
	pthread_mutex_unlock(&g->lock);
	return open;
}
