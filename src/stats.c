/*
 * stats.c - counters, their consistent snapshot, and the -v / exit
 * reports.
 *
 * DESIGN: see stats.h for which thread changes what.  Every shared
 * figure is changed and read under s->lock, a few times per file and
 * once per batch of the writer (DEADLINE_REUSE packets, a tick, an output
 * failure), never per packet: the writer's own per-packet counts (w_*)
 * are plain fields of the writer thread until it publishes them.  The
 * live figures are each exact but may be a batch old.  No I/O under the
 * lock: the -v report is logged after it is released.
 */
#include "config.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "input.h"
#include "log.h"
#include "stats.h"

int
stats_init(struct stats *s, struct input *const *inputs, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->inputs = inputs;
	s->fates = calloc(n + 1, sizeof(*s->fates));
	s->w_fates = calloc(n + 1, sizeof(*s->w_fates));
	if (s->fates == NULL || s->w_fates == NULL ||
	    (s->report = stats_snapshot_create(s)) == NULL) {
		stats_destroy(s);
		return -1;
	}
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		stats_destroy(s);
		return -1;
	}
	s->lock_ok = true;
	return 0;
}

void
stats_destroy(struct stats *s)
{
	free(s->fates);
	free(s->w_fates);
	stats_snapshot_destroy(s->report);
	s->fates = s->w_fates = NULL;
	s->report = NULL;
	if (s->lock_ok)
		pthread_mutex_destroy(&s->lock);
	s->lock_ok = false;
}

struct stats_snapshot *
stats_snapshot_create(const struct stats *s)
{
	struct stats_snapshot *snap = calloc(1, sizeof(*snap));

	if (snap == NULL)
		return NULL;
	if ((snap->in = calloc(s->n + 1, sizeof(*snap->in))) == NULL) {
		free(snap);
		return NULL;
	}
	snap->n = s->n;
	return snap;
}

void
stats_snapshot_destroy(struct stats_snapshot *snap)
{
	if (snap == NULL)
		return;
	free(snap->in);
	free(snap);
}

void
stats_snapshot(struct stats *s, struct stats_snapshot *out)
{
	pthread_mutex_lock(&s->lock);
	uint64_t now = realtime_ns();

	out->written = out->lost = out->unfit = out->kernel_drops = 0;
	out->gaps = out->reopens = 0;
	out->any_reopens = false;
	for (size_t i = 0; i < s->n; i++) {
		struct input_counts c;
		uint64_t drops, gaps, gap_ns, qused, qcap;

		input_counts(s->inputs[i], &c);
		input_queue_bytes(s->inputs[i], &qused, &qcap);
		input_gaps_totals(input_gaps(s->inputs[i]), now, &gaps,
		    &gap_ns);
		drops = c.kernel_drops;
		out->gaps += gaps;
		out->reopens += c.reopens;
		out->any_reopens |= input_can_reopen(s->inputs[i]);
		out->written += s->fates[i].written;
		out->lost += s->fates[i].lost + s->fates[i].unfit;
		out->unfit += s->fates[i].unfit;
		out->kernel_drops += drops;
		if (i >= out->n)
			continue;
		out->in[i] = (struct stats_snapshot_input){
			.fates = s->fates[i],
			.read = c.read,
			.kernel_drops = drops,
			.filtered = c.filtered,
			.filtered_known = input_filtered_known(s->inputs[i]),
			.failed = input_failed(s->inputs[i]),
			.reopens_known = input_can_reopen(s->inputs[i]),
			.discarded = c.discarded,
			.reopens = c.reopens,
			.parses_headers = input_parses_headers(s->inputs[i]),
			.headers_unparsed = c.headers_unparsed,
			.gaps = gaps,
			.gap_ns = gap_ns,
			.if_drops = c.if_drops,
			.up = input_up(s->inputs[i]),
			.queue_bytes = qused,
			.queue_capacity = qcap,
		};
	}
	out->files = s->files;
	out->files_failed = s->files_failed;
	out->file_bytes = s->file_bytes;
	out->lost_nofile = s->lost_nofile;
	out->lost_output = out->lost - out->unfit - s->lost_nofile;
	out->last_done_ns = s->last_done_ns;
	out->disorders = s->disorders;
	out->live_written = s->live_written;
	out->live_lost = s->live_lost;
	out->name_current = s->name_current;
	memcpy(out->name, s->name, sizeof(out->name));
	pthread_mutex_unlock(&s->lock);
}

/*
 * Keep the last path component of path (NULL: keep the old one) for the
 * status line; current says it is being written.  With only_if_idle the
 * name is left alone while the writer writes another file.  Under lock.
 */
static void
set_name(struct stats *s, const char *path, bool current, bool only_if_idle)
{
	const char *base = NULL;

	if (path != NULL) {
		base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
	}
	if (!only_if_idle || !s->name_current) {
		if (base != NULL)
			snprintf(s->name, sizeof(s->name), "%s", base);
		s->name_current = base != NULL && current;
	}
}

/* What input i's counters read now. */
static struct segment_counts
counts_now(const struct stats *s, size_t i)
{
	struct input_counts c;

	input_counts(s->inputs[i], &c);
	return (struct segment_counts){
		.read = c.read,
		.filtered = c.filtered,
		.kernel_drops = c.kernel_drops,
		.if_drops = c.if_drops,
	};
}

void
stats_lost_nofile(struct stats *s, size_t input)
{
	s->w_fates[input].lost++;
	s->w_nofile++;
	s->w_pending = true;
}

void
stats_unfit(struct stats *s, size_t input)
{
	s->w_fates[input].unfit++;
	s->w_pending = true;
}

/* Writer, under lock: what it counted itself becomes shared. */
static void
publish_pending(struct stats *s)
{
	if (!s->w_pending)
		return;
	for (size_t i = 0; i < s->n; i++) {
		s->fates[i].lost += s->w_fates[i].lost;
		s->fates[i].unfit += s->w_fates[i].unfit;
		s->live_lost += s->w_fates[i].lost;
		s->w_fates[i].lost = s->w_fates[i].unfit = 0;
	}
	s->lost_nofile += s->w_nofile;
	s->w_nofile = 0;
	s->w_pending = false;
}

void
stats_segment_open(struct stats *s, struct segment *seg, const char *path)
{
	for (size_t i = 0; seg != NULL && i < s->n; i++) {
		seg->at_open[i] = counts_now(s, i);
		seg->drops[i] = seg->at_open[i].kernel_drops;
	}
	pthread_mutex_lock(&s->lock);
	publish_pending(s);
	if (path == NULL)
		s->files_failed++;
	set_name(s, path, true, false);
	pthread_mutex_unlock(&s->lock);
}

void
stats_segment_handover(struct stats *s, struct segment *seg)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t n;

		seg->at_close[i] = counts_now(s, i);
		seg->drops[i] = seg->at_close[i].kernel_drops - seg->drops[i];
		n = input_gaps_between(input_gaps(s->inputs[i]),
		    seg->open_wall_ns, seg->close_wall_ns,
		    seg->gaps + i * INPUT_GAP_KEEP, INPUT_GAP_KEEP);
		seg->ngaps[i] = n < INPUT_GAP_KEEP ? n : INPUT_GAP_KEEP;
	}
	pthread_mutex_lock(&s->lock);
	publish_pending(s);
	set_name(s, NULL, false, false);
	pthread_mutex_unlock(&s->lock);
}

void
stats_segment_progress(struct stats *s, struct segment *seg, uint64_t kept,
    uint64_t lost)
{
	/* nothing new: no lock (the writer calls this per batch) */
	if (!s->w_pending && (seg == NULL ||
	    (kept == seg->kept_seen && lost == seg->lost_seen)))
		return;
	pthread_mutex_lock(&s->lock);
	publish_pending(s);
	if (seg != NULL) {
		/* an output's counts only grow while the writer has it */
		s->live_written += kept - seg->kept_seen;
		s->live_lost += lost - seg->lost_seen;
		seg->kept_seen = kept;
		seg->lost_seen = lost;
	}
	pthread_mutex_unlock(&s->lock);
}

void
stats_writer_done(struct stats *s, uint64_t disorders)
{
	pthread_mutex_lock(&s->lock);
	publish_pending(s);
	s->disorders = disorders;
	pthread_mutex_unlock(&s->lock);
}

/* ns as "S.SS" (seconds, two decimals, truncated) into buf. */
static const char *
seconds(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%02" PRIu64, ns / 1000000000u,
	    ns % 1000000000u / 10000000u);
	return buf;
}

/* How long input i's gaps overlapped seg's file. */
static uint64_t
gap_ns_in(const struct segment *seg, size_t i)
{
	uint64_t t = 0;

	for (size_t j = 0; j < seg->ngaps[i]; j++) {
		const struct input_gap *g = &seg->gaps[i * INPUT_GAP_KEEP + j];
		uint64_t a = g->start_ns > seg->open_wall_ns ? g->start_ns :
		    seg->open_wall_ns;
		uint64_t b = g->end_ns != 0 && g->end_ns < seg->close_wall_ns ?
		    g->end_ns : seg->close_wall_ns;

		t += b > a ? b - a : 0;
	}
	return t;
}

/* -v: the completed file and what each input has in it. */
static void
report_segment(const struct stats *s, const struct segment *seg,
    const struct output_result *res)
{
	log_info("file %s: packets=%" PRIu64 " bytes=%" PRIu64
	    " disorders=%" PRIu64, res->final_path, res->packets, res->bytes,
	    seg->disorders);
	for (size_t i = 0; i < s->n; i++) {
		char gaps[64] = "", sec[32];

		if (seg->ngaps[i] > 0)
			snprintf(gaps, sizeof(gaps), " gaps=%zu down_s=%s",
			    seg->ngaps[i], seconds(gap_ns_in(seg, i), sec,
			    sizeof(sec)));
		log_info("    input=%zu %s: packets=%" PRIu64 " drops=%" PRIu64
		    "%s", i, input_uri(s->inputs[i]), seg->kept[i],
		    seg->drops[i], gaps);
	}
}

/*
 * Captured bytes of input i's packets that seg's file kept: all it was
 * given, or (a write failed; the output counts packets, not bytes per
 * input) that share of them.
 */
static uint64_t
kept_bytes(const struct segment *seg, size_t i)
{
	if (seg->kept[i] == seg->given[i])
		return seg->bytes[i];
	return (uint64_t)((long double)seg->bytes[i] * seg->kept[i] /
	    seg->given[i]);
}

void
stats_segment_done(struct stats *s, struct segment *seg,
    const struct output_result *res)
{
	bool placed = res->final_path[0] != '\0' && !res->failed_name;
	uint64_t lost = 0, now = realtime_ns();

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		/* output.c: kept[i] <= given[i]; sum kept == res->packets */
		s->fates[i].written += seg->kept[i];
		s->fates[i].bytes += kept_bytes(seg, i);
		s->fates[i].lost += seg->given[i] - seg->kept[i];
		lost += seg->given[i] - seg->kept[i];
	}
	/* live: what closing changed (a broken compressed stream may take
	 * back packets shown as written); one critical section with the
	 * above, so no reader sees a packet twice or nowhere */
	s->live_written += res->packets - seg->kept_seen;
	s->live_lost += lost - seg->lost_seen;
	if (res->failed || !placed)
		s->files_failed++;
	if (placed) {
		s->files++;
		s->file_bytes += res->bytes;
		s->last_done_ns = now;
		set_name(s, res->final_path, false, true);
	}
	pthread_mutex_unlock(&s->lock);
	if (placed && log_verbosity() >= 1)
		report_segment(s, seg, res);
}

uint64_t
stats_total_written(struct stats *s)
{
	uint64_t t = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		t += s->fates[i].written;
	pthread_mutex_unlock(&s->lock);
	return t;
}

uint64_t
stats_total_lost(struct stats *s)
{
	uint64_t t = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		t += s->fates[i].lost + s->fates[i].unfit;
	pthread_mutex_unlock(&s->lock);
	return t;
}

void
stats_live_status(struct stats *s, char *buf, size_t len)
{
	char file[sizeof(s->name) + 16] = "";
	struct stats_snapshot snap;

	snap.n = 0;		/* the totals only */
	snap.in = NULL;
	stats_snapshot(s, &snap);
	if (snap.name[0] != '\0')
		snprintf(file, sizeof(file), ", %s %s", snap.name_current ?
		    "writing" : "last file", snap.name);
	snprintf(buf, len, "%" PRIu64 " packets written, %" PRIu64 " lost, %"
	    PRIu64 " dropped by the kernel; %" PRIu64 " file%s done%s",
	    snap.live_written, snap.live_lost + snap.unfit, snap.kernel_drops,
	    snap.files, snap.files == 1 ? "" : "s", file);
}

/* -vv: the figures of each socket of a fan-out source. */
static void
report_streams(const struct stats *s, size_t i)
{
	size_t n = input_nstreams(s->inputs[i]);

	for (size_t k = 0; n > 1 && k < n; k++) {
		struct input_counts c;

		input_stream_counts(s->inputs[i], k, &c);
		log_info("input=%zu %s socket=%zu/%zu: read=%" PRIu64
		    " dropped_by_kernel=%" PRIu64 " discarded_at_join=%"
		    PRIu64, i, input_uri(s->inputs[i]), k + 1, n, c.read,
		    c.kernel_drops, c.discarded);
	}
}

void
stats_final_report(struct stats *s)
{
	struct stats_snapshot *snap = s->report;
	char gaps[64] = "", sec[32];

	stats_snapshot(s, snap);
	for (size_t i = 0; i < s->n; i++) {
		const struct stats_snapshot_input *in = &snap->in[i];
		char filtered[24] = "unknown";	/* in-kernel filter */

		if (in->filtered_known)
			snprintf(filtered, sizeof(filtered), "%" PRIu64,
			    in->filtered);
		/* written= stays last (before the failure note), as in 1.0.0 */
		log_error("input=%zu %s: read=%" PRIu64 " dropped_by_kernel=%"
		    PRIu64 " filtered=%s lost=%" PRIu64 " written=%" PRIu64
		    "%s", i, input_uri(s->inputs[i]), in->read,
		    in->kernel_drops, filtered,
		    in->fates.lost + in->fates.unfit, in->fates.written,
		    in->failed ? " (input failed)" : "");
		if (in->reopens_known || in->discarded > 0)
			log_error("input=%zu %s: gaps=%" PRIu64 " reopens=%"
			    PRIu64 " down_s=%s discarded_at_join=%" PRIu64, i,
			    input_uri(s->inputs[i]), in->gaps, in->reopens,
			    seconds(in->gap_ns, sec, sizeof(sec)),
			    in->discarded);
		if (in->parses_headers)
			log_error("input=%zu %s: headers_unparsed=%" PRIu64, i,
			    input_uri(s->inputs[i]), in->headers_unparsed);
		if (log_verbosity() >= 2)
			report_streams(s, i);
	}
	/* files cannot have gaps: their runs keep 1.0.0's line */
	if (snap->any_reopens)
		snprintf(gaps, sizeof(gaps), " gaps=%" PRIu64 " reopens=%"
		    PRIu64, snap->gaps, snap->reopens);
	log_error("total: files=%" PRIu64 " written=%" PRIu64 " lost=%"
	    PRIu64 " disorders=%" PRIu64 " dropped_by_kernel=%" PRIu64 "%s",
	    snap->files, snap->written, snap->lost, snap->disorders,
	    snap->kernel_drops, gaps);
}
