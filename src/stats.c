/*
 * stats.c - counters and the -v / exit reports.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	s->unfit = calloc(n, sizeof(*s->unfit));
	s->seg_written = calloc(n, sizeof(uint64_t));
	s->seg_drops_base = calloc(n, sizeof(uint64_t));
	atomic_init(&s->lost, 0);
	atomic_init(&s->files, 0);
	s->disorders = 0;
	atomic_init(&s->live_written, 0);
	s->name_ok = false;
	s->name_current = false;
	s->name[0] = '\0';
	if (s->written == NULL || s->unfit == NULL || s->seg_written == NULL ||
	    s->seg_drops_base == NULL) {
		stats_destroy(s);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		atomic_init(&s->unfit[i], 0);
	if (pthread_mutex_init(&s->name_lock, NULL) != 0) {
		stats_destroy(s);
		return -1;
	}
	s->name_ok = true;
	return 0;
}

void
stats_destroy(struct stats *s)
{
	free(s->written);
	free(s->unfit);
	free(s->seg_written);
	free(s->seg_drops_base);
	s->written = s->seg_written = s->seg_drops_base = NULL;
	s->unfit = NULL;
	if (s->name_ok)
		pthread_mutex_destroy(&s->name_lock);
	s->name_ok = false;
}

/* Keep the last path component of path (NULL: none) for the status line. */
static void
set_name(struct stats *s, const char *path, bool current)
{
	const char *base = NULL;

	if (path != NULL) {
		base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
	}
	pthread_mutex_lock(&s->name_lock);
	if (base != NULL)
		snprintf(s->name, sizeof(s->name), "%s", base);
	s->name_current = base != NULL && current;
	pthread_mutex_unlock(&s->name_lock);
}

void
stats_segment_name(struct stats *s, const char *path)
{
	set_name(s, path, true);
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
	counter_inc(&s->files);
	set_name(s, name, false);
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
	return t - atomic_load(&s->lost);
}

uint64_t
stats_total_lost(const struct stats *s)
{
	uint64_t t = atomic_load(&s->lost);

	for (size_t i = 0; i < s->n; i++)
		t += atomic_load(&s->unfit[i]);
	return t;
}

void
stats_live_status(struct stats *s, char *buf, size_t len)
{
	uint64_t written, lost, files, drops = 0;
	char file[sizeof(s->name) + 16] = "";

	/* lost is subtracted as stats_total_written() does; read it first
	 * so that a packet lost in between cannot make the difference wrap */
	lost = atomic_load_explicit(&s->lost, memory_order_relaxed);
	written = atomic_load_explicit(&s->live_written, memory_order_relaxed);
	written = written >= lost ? written - lost : 0;
	for (size_t i = 0; i < s->n; i++) {
		lost += atomic_load_explicit(&s->unfit[i],
		    memory_order_relaxed);
		drops += load(&input_counters(s->inputs[i])->kernel_drops);
	}
	pthread_mutex_lock(&s->name_lock);
	if (s->name[0] != '\0')
		snprintf(file, sizeof(file), ", %s %s", s->name_current ?
		    "writing" : "last file", s->name);
	pthread_mutex_unlock(&s->name_lock);
	files = atomic_load_explicit(&s->files, memory_order_relaxed);
	snprintf(buf, len, "%" PRIu64 " packets written, %" PRIu64 " lost, %"
	    PRIu64 " dropped by the kernel; %" PRIu64 " file%s done%s",
	    written, lost, drops, files, files == 1 ? "" : "s", file);
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
	    PRIu64 " disorders=%" PRIu64, (uint64_t)atomic_load(&s->files),
	    stats_total_written(s),
	    stats_total_lost(s), s->disorders);
}
