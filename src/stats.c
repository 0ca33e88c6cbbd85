/*
 * stats.c - counters and the -v / exit reports.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "stats.h"

static uint64_t
load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

int
stats_init(struct stats *s, struct input *const *inputs, size_t n)
{
	s->n = n;
	s->inputs = inputs;
	s->written = calloc(n, sizeof(uint64_t));
	s->unfit = calloc(n, sizeof(uint64_t));
	s->seg_written = calloc(n, sizeof(uint64_t));
	s->seg_drops_base = calloc(n, sizeof(uint64_t));
	s->lost = 0;
	s->files = 0;
	s->disorders = 0;
	if (s->written == NULL || s->unfit == NULL || s->seg_written == NULL ||
	    s->seg_drops_base == NULL) {
		stats_destroy(s);
		return -1;
	}
	return 0;
}

void
stats_destroy(struct stats *s)
{
	free(s->written);
	free(s->unfit);
	free(s->seg_written);
	free(s->seg_drops_base);
	s->written = s->unfit = s->seg_written = s->seg_drops_base = NULL;
}

void
stats_segment_begin(struct stats *s)
{
	for (size_t i = 0; i < s->n; i++) {
		s->seg_written[i] = 0;
		s->seg_drops_base[i] =
		    load(&input_counters(s->inputs[i])->kernel_drops);
	}
}

void
stats_segment_report(struct stats *s, const char *name, uint64_t packets,
    uint64_t bytes, uint64_t disorders)
{
	s->files++;
	if (log_verbosity() < 1)
		return;
	log_info("file %s: packets=%" PRIu64 " bytes=%" PRIu64
	    " disorders=%" PRIu64, name, packets, bytes, disorders);
	for (size_t i = 0; i < s->n; i++) {
		uint64_t drops = load(&input_counters(s->inputs[i])->kernel_drops);

		log_info("    input=%zu %s: packets=%" PRIu64 " drops=%" PRIu64,
		    i, input_uri(s->inputs[i]), s->seg_written[i],
		    drops - s->seg_drops_base[i]);
	}
}

uint64_t
stats_total_written(const struct stats *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->written[i];
	/* written[] counts packets handed to an output; some may be lost */
	return t - s->lost;
}

uint64_t
stats_total_lost(const struct stats *s)
{
	uint64_t t = s->lost;

	for (size_t i = 0; i < s->n; i++)
		t += s->unfit[i];
	return t;
}

void
stats_final_report(const struct stats *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct input_counters *c = input_counters(s->inputs[i]);

		char filtered[24] = "unknown";	/* in-kernel filter */

		if (input_filtered_known(s->inputs[i]))
			snprintf(filtered, sizeof(filtered), "%" PRIu64,
			    load(&c->filtered));
		log_error("input=%zu %s: read=%" PRIu64 " dropped_by_kernel=%"
		    PRIu64 " filtered=%s written=%" PRIu64 "%s", i,
		    input_uri(s->inputs[i]), load(&c->read),
		    load(&c->kernel_drops), filtered, s->written[i],
		    input_failed(s->inputs[i]) ? " (input failed)" : "");
	}
	log_error("total: files=%" PRIu64 " written=%" PRIu64 " lost=%"
	    PRIu64 " disorders=%" PRIu64, s->files, stats_total_written(s),
	    stats_total_lost(s), s->disorders);
}
