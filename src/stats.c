/*
 * stats.c - counters and the -v / exit reports.
 *
 * DESIGN: see stats.h for which thread changes what.  The live figures
 * (stats_live_status) are each exact but may be a moment old: the writer
 * brings the live ones up to date every few dozen packets and whenever
 * an output fails; the finisher adds what closing a file changed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "log.h"
#include "stats.h"

static uint64_t
load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void
add(atomic_uint_fast64_t *v, uint64_t n)
{
	if (n != 0)
		atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static void
sub(atomic_uint_fast64_t *v, uint64_t n)
{
	if (n != 0)
		atomic_fetch_sub_explicit(v, n, memory_order_relaxed);
}

static atomic_uint_fast64_t *
counters(size_t n)
{
	atomic_uint_fast64_t *c = calloc(n + 1, sizeof(*c));

	for (size_t i = 0; c != NULL && i < n; i++)
		atomic_init(&c[i], 0);
	return c;
}

int
stats_init(struct stats *s, struct input *const *inputs, size_t n)
{
	s->n = n;
	s->inputs = inputs;
	s->written = counters(n);
	s->lost = counters(n);
	s->unfit = counters(n);
	atomic_init(&s->files, 0);
	s->disorders = 0;
	atomic_init(&s->live_written, 0);
	atomic_init(&s->live_lost, 0);
	s->name_ok = false;
	s->name_current = false;
	s->name[0] = '\0';
	if (s->written == NULL || s->lost == NULL || s->unfit == NULL) {
		stats_destroy(s);
		return -1;
	}
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
	free(s->lost);
	free(s->unfit);
	s->written = s->lost = s->unfit = NULL;
	if (s->name_ok)
		pthread_mutex_destroy(&s->name_lock);
	s->name_ok = false;
}

/*
 * Keep the last path component of path (NULL: keep the old one) for the
 * status line; current says it is being written.  With only_if_idle the
 * name is left alone while the writer writes another file.
 */
static void
set_name(struct stats *s, const char *path, bool current, bool only_if_idle)
{
	const char *base = NULL;

	if (path != NULL) {
		base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
	}
	pthread_mutex_lock(&s->name_lock);
	if (!only_if_idle || !s->name_current) {
		if (base != NULL)
			snprintf(s->name, sizeof(s->name), "%s", base);
		s->name_current = base != NULL && current;
	}
	pthread_mutex_unlock(&s->name_lock);
}

static uint64_t
kernel_drops(const struct stats *s, size_t i)
{
	return load(&input_counters(s->inputs[i])->kernel_drops);
}

void
stats_lost_nofile(struct stats *s, size_t input)
{
	add(&s->lost[input], 1);
	add(&s->live_lost, 1);
}

void
stats_unfit(struct stats *s, size_t input)
{
	counter_inc(&s->unfit[input]);
}

void
stats_segment_open(struct stats *s, struct segment *seg, const char *path)
{
	for (size_t i = 0; seg != NULL && i < s->n; i++)
		seg->drops[i] = kernel_drops(s, i);
	set_name(s, path, true, false);
}

void
stats_segment_handover(struct stats *s, struct segment *seg)
{
	for (size_t i = 0; i < s->n; i++)
		seg->drops[i] = kernel_drops(s, i) - seg->drops[i];
	set_name(s, NULL, false, false);
}

void
stats_segment_progress(struct stats *s, struct segment *seg, uint64_t kept,
    uint64_t lost)
{
	/* an output's counts only grow while the writer has it */
	add(&s->live_written, kept - seg->kept_seen);
	add(&s->live_lost, lost - seg->lost_seen);
	seg->kept_seen = kept;
	seg->lost_seen = lost;
}

/* -v: the completed file and what each input has in it. */
static void
report_segment(const struct stats *s, const struct segment *seg,
    const struct output_result *res)
{
	log_info("file %s: packets=%" PRIu64 " bytes=%" PRIu64
	    " disorders=%" PRIu64, res->final_path, res->packets, res->bytes,
	    seg->disorders);
	for (size_t i = 0; i < s->n; i++)
		log_info("    input=%zu %s: packets=%" PRIu64 " drops=%" PRIu64,
		    i, input_uri(s->inputs[i]), seg->kept[i], seg->drops[i]);
}

void
stats_segment_done(struct stats *s, struct segment *seg,
    const struct output_result *res)
{
	bool placed = res->final_path[0] != '\0' && !res->failed_name;
	uint64_t lost = 0;

	for (size_t i = 0; i < s->n; i++) {
		/* output.c: kept[i] <= given[i]; sum kept == res->packets */
		add(&s->written[i], seg->kept[i]);
		add(&s->lost[i], seg->given[i] - seg->kept[i]);
		lost += seg->given[i] - seg->kept[i];
	}
	/*
	 * Live: what closing changed.  Written first goes down (a broken
	 * compressed stream), then lost goes up: a reader in between sees
	 * a packet nowhere rather than twice.
	 */
	if (res->packets >= seg->kept_seen)
		add(&s->live_written, res->packets - seg->kept_seen);
	else
		sub(&s->live_written, seg->kept_seen - res->packets);
	if (lost >= seg->lost_seen)
		add(&s->live_lost, lost - seg->lost_seen);
	else
		sub(&s->live_lost, seg->lost_seen - lost);
	if (!placed)
		return;
	counter_inc(&s->files);
	set_name(s, res->final_path, false, true);
	if (log_verbosity() >= 1)
		report_segment(s, seg, res);
}

uint64_t
stats_total_written(const struct stats *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += load(&s->written[i]);
	return t;
}

uint64_t
stats_total_lost(const struct stats *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += load(&s->lost[i]) + load(&s->unfit[i]);
	return t;
}

void
stats_live_status(struct stats *s, char *buf, size_t len)
{
	uint64_t written, lost, files, drops = 0;
	char file[sizeof(s->name) + 16] = "";

	written = load(&s->live_written);
	lost = load(&s->live_lost);
	for (size_t i = 0; i < s->n; i++) {
		lost += load(&s->unfit[i]);
		drops += kernel_drops(s, i);
	}
	pthread_mutex_lock(&s->name_lock);
	if (s->name[0] != '\0')
		snprintf(file, sizeof(file), ", %s %s", s->name_current ?
		    "writing" : "last file", s->name);
	pthread_mutex_unlock(&s->name_lock);
	files = load(&s->files);
	snprintf(buf, len, "%" PRIu64 " packets written, %" PRIu64 " lost, %"
	    PRIu64 " dropped by the kernel; %" PRIu64 " file%s done%s",
	    written, lost, drops, files, files == 1 ? "" : "s", file);
}

void
stats_final_report(const struct stats *s)
{
	uint64_t drops = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct input_counters *c = input_counters(s->inputs[i]);
		char filtered[24] = "unknown";	/* in-kernel filter */

		if (input_filtered_known(s->inputs[i]))
			snprintf(filtered, sizeof(filtered), "%" PRIu64,
			    load(&c->filtered));
		drops += load(&c->kernel_drops);
		/* written= stays last (before the failure note), as in 1.0.0 */
		log_error("input=%zu %s: read=%" PRIu64 " dropped_by_kernel=%"
		    PRIu64 " filtered=%s lost=%" PRIu64 " written=%" PRIu64
		    "%s", i, input_uri(s->inputs[i]), load(&c->read),
		    load(&c->kernel_drops), filtered,
		    load(&s->lost[i]) + load(&s->unfit[i]),
		    load(&s->written[i]),
		    input_failed(s->inputs[i]) ? " (input failed)" : "");
	}
	log_error("total: files=%" PRIu64 " written=%" PRIu64 " lost=%"
	    PRIu64 " disorders=%" PRIu64 " dropped_by_kernel=%" PRIu64,
	    load(&s->files), stats_total_written(s), stats_total_lost(s),
	    s->disorders, drops);
}
