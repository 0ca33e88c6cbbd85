/*
 * writer.c - the merger/writer stage: merge, rotate, write, rename.
 *
 * DESIGN
 * - Runs on the main thread after the readers started; it is the only
 *   consumer of every queue (through merge.c) and the only user of
 *   naming.c.  Each output it opens, with its segment
 *   (segment.h: what each input handed to it), is its own until it hands
 *   both to the finisher thread (finisher.c), which completes files in
 *   order while capture goes on and only then counts their packets as
 *   written or lost; it also saves the -N sequence number
 *   (finisher_save_seq), so that no fsync runs here.  Meanwhile the
 *   writer publishes the file's progress and its own losses to the
 *   statistics once per batch (sync_segment), never per packet.
 * - Shared with other threads: the queues, the control flags (stop is
 *   read by the readers; rotate is set by the signal thread and consumed
 *   here with an atomic exchange) and the readers' relaxed counters.
 * - Time rotation keeps a fixed cadence (rotate.h).  File inputs only:
 *   ival_start + k*G by packet time; a packet stamped at or after the end
 *   of the interval, or more than one interval before its start, opens
 *   the file of its own interval.  With a live input the cadence runs on
 *   CLOCK_MONOTONIC (live_ival): the interval ends once maxwait has passed
 *   after its end (by then the merger has released every earlier packet),
 *   or earlier at a packet stamped after its wall-clock end once it has
 *   ended on the monotonic clock; a packet's stamp alone never cuts, so
 *   an outlier cannot capture rotation, nor a wall-clock step stall it.
 *   Size rotation and SIGHUP start a new file without moving the cadence.
 * - The pcap file header is written lazily (first packet or close) so
 *   that a file opened before any packet still gets the right link type.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "finisher.h"
#include "format.h"
#include "log.h"
#include "merge.h"
#include "naming.h"
#include "output.h"
#include "rotate.h"
#include "segment.h"
#include "writer.h"

#define TICK_NS			CLOCK_STOP_LATENCY_NS	/* longest merge_next */
#define DEADLINE_REUSE		64u	/* packets per reading of the clock */
#define REOPEN_DELAY_NS		1000000000ull	/* after a failed open */
#define WATCHFILE_POLL_NS	CLOCK_STOP_LATENCY_NS
#define OUTPUT_BUFSIZE		(1u << 20)

struct writer {
	const struct writer_setup *ws;
	const struct config	*cfg;
	struct stats		*stats;
	struct merge		*merge;
	struct queue		**queues;
	bool			*live;
	bool			 any_live;
	struct rotate_policy	 pol;
	uint64_t		 maxwait_ns;

	const struct format	*fmt;
	struct format_source	*src;		/* per input, for the header */
	struct output		*out;
	struct segment		*seg;		/* out's, while out != NULL */
	struct finisher		*finisher;
	bool			 opened_once;
	bool			 header_written;
	uint64_t		 ival_start;	/* current -G interval (files) */
	struct rotate_live	 live_ival;	/* ...with a live input */
	bool			 live_clock;	/* -G with a live input */
	uint64_t		 mono_now;	/* renewed with the deadline */
	uint64_t		 seg_packets;
	uint64_t		 seg_disorders;
	uint32_t		 seq;
	uint64_t		 next_open_try;	/* monotonic ns, after a failure */
	uint64_t		 fail_seen;	/* monotonic ns the output failed, 0 = ok */
	bool			*warned_unfit;
	uint64_t		*late_stamps;	/* per input: after fmt->max_ts_ns */
	bool			 failed;
};

static bool
stop_requested(const struct writer *w)
{
	return atomic_load_explicit(&w->ws->control->stop,
	    memory_order_relaxed);
}

/* -W: hold the next file until the watchfile exists (or we stop). */
static void
wait_watchfile(struct writer *w)
{
	const char *wf = w->cfg->watchfile;
	struct timespec tick = clock_span(WATCHFILE_POLL_NS);
	struct stat st;
	uint64_t since = 0;

	if (wf == NULL)
		return;
	while (stat(wf, &st) != 0) {
		if (since == 0) {
			since = mono_ns();
			log_warn("waiting for watchfile '%s' before the next "
			    "file; the inputs keep queueing", wf);
		}
		if (stop_requested(w)) {
			log_warn("stopping while waiting for watchfile '%s': "
			    "writing what was queued anyway", wf);
			return;
		}
		nanosleep(&tick, NULL);
	}
	if (since != 0)
		log_warn("watchfile '%s' appeared after %.1f s", wf,
		    (double)(mono_ns() - since) / 1e9);
}

static void
open_segment(struct writer *w, uint64_t name_ns)
{
	const struct config *cfg = w->cfg;
	char path[PATH_MAX], err[512];
	struct output_params p = {
		.path = cfg->output_path,
		.no_replace = cfg->rotating,
		.pipeout_path = w->ws->pipeout_path,
		.pipeout_argv = w->ws->pipeout_argv,
		.compress_type = w->ws->compress_type,
		.compress_level = cfg->compress_level,
		.bufsize = OUTPUT_BUFSIZE,
		.stop = &w->ws->control->stop,
		.ninputs = w->ws->ninputs,
	};

	wait_watchfile(w);
	if (cfg->rotating) {
		if (naming_segment(path, sizeof(path), cfg->output_path,
		    (time_t)(name_ns / 1000000000u), cfg->use_utc, w->seq,
		    cfg->file_ext) != 0) {
			log_error("cannot form a file name in '%s'",
			    cfg->output_path);
			w->failed = true;
			w->next_open_try = mono_ns() + REOPEN_DELAY_NS;
			return;
		}
		p.path = path;
	}
	if ((w->seg = segment_create(w->ws->ninputs)) == NULL) {
		snprintf(err, sizeof(err), "out of memory for '%s'", p.path);
	} else {
		p.kept = w->seg->kept;
		if ((w->out = output_open(&p, err, sizeof(err))) == NULL) {
			segment_destroy(w->seg);
			w->seg = NULL;
		}
	}
	w->opened_once = true;
	w->seg_packets = 0;
	w->seg_disorders = 0;
	w->header_written = false;
	stats_segment_open(w->stats, w->seg, w->out != NULL ? p.path : NULL);
	if (w->out == NULL) {
		log_error("%s; packets are counted as lost until a file can "
		    "be opened", err);
		w->failed = true;
		w->next_open_try = mono_ns() + REOPEN_DELAY_NS;
		return;
	}
	if (cfg->rotating) {
		if (cfg->seqfile != NULL)
			finisher_save_seq(w->finisher, cfg->seqfile, w->seq);
		w->seq = naming_next_seq(w->seq);
	}
}

/* format_emit_fn: file headers and trailers into the current output */
static int
emit_output(void *ctx, const void *bytes, size_t len)
{
	struct writer *w = ctx;

	return output_write(w->out, bytes, len, NULL, 0, false, 0);
}

static int
write_header(struct writer *w)
{
	w->header_written = true;
	return w->fmt->file_header(w->src, w->ws->ninputs, emit_output, w);
}

/*
 * Publish to the statistics what the current output has written and lost
 * and the writer's own losses: once per batch, not per packet.
 */
static void
sync_segment(struct writer *w)
{
	uint64_t kept, lost;

	if (w->out == NULL) {
		stats_segment_progress(w->stats, NULL, 0, 0);
		return;
	}
	output_progress(w->out, &kept, &lost);
	stats_segment_progress(w->stats, w->seg, kept, lost);
}

/*
 * End the current file: the finisher flushes, fsyncs and renames it, and
 * then counts it.
 */
static void
close_segment(struct writer *w)
{
	if (w->out == NULL)
		return;
	if (!w->header_written)
		(void)write_header(w);
	sync_segment(w);
	w->seg->disorders = w->seg_disorders;
	stats_segment_handover(w->stats, w->seg);
	if (w->fmt->file_trailer != NULL)
		(void)w->fmt->file_trailer(w->src, w->seg, emit_output, w);
	finisher_submit(w->finisher, w->out, w->seg);
	w->out = NULL;
	w->seg = NULL;
	w->fail_seen = 0;
}

static void
rotate_to(struct writer *w, uint64_t name_ns)
{
	close_segment(w);
	open_segment(w, name_ns);
}

/*
 * The format's rule for a packet of link type lt from input whose source
 * has not had it yet (per packet, a source's link type once in the file
 * fits: the rule is asked only when that differs).  True if it fits (the
 * source has that link type from now on); false if not, counted as unfit
 * and logged at the first such packet of the input.
 */
static bool
linktype_fits(struct writer *w, int lt, size_t input)
{
	int want = w->fmt->linktype_for(w->src, w->ws->ninputs, input);

	if (want >= 0 && lt != want) {
		if (!w->warned_unfit[input])
			log_error("input '%s': packet of link type %d cannot "
			    "go into a %s file of link type %d; such "
			    "packets are counted as lost",
			    input_uri(w->ws->inputs[input]), lt, w->fmt->name,
			    want);
		w->warned_unfit[input] = true;
		stats_unfit(w->stats, input);
		w->failed = true;
		return false;
	}
	if (w->src[input].linktype < 0)
		w->src[input].linktype = lt;
	return true;
}

static void
write_packet(struct writer *w, const struct queue_rec *rec, size_t input,
    bool disorder)
{
	unsigned char h[FORMAT_HDR_MAX], *p;
	size_t n, size;

	if (rec->linktype != w->src[input].linktype &&
	    !linktype_fits(w, rec->linktype, input))
		return;
	if (w->out == NULL) {
		stats_lost_nofile(w->stats, input);
		return;
	}
	w->seg->given[input]++;
	if (!w->header_written)
		(void)write_header(w);
	size = (size_t)w->fmt->record_size(rec->caplen);
	if ((p = output_reserve(w->out, size)) != NULL) {
		/* straight into the output buffer, one copy of the data */
		n = w->fmt->record_header(p, rec, input);
		memcpy(p + n, rec->data, rec->caplen);
		if (w->fmt->record_trailer != NULL)
			(void)w->fmt->record_trailer(p + n + rec->caplen, rec);
		output_commit_packet(w->out, size, input);
	} else {
		/* a failed output (it counts the loss), or a record larger
		 * than the buffer */
		n = w->fmt->record_header(h, rec, input);
		(void)output_write(w->out, h, n, rec->data, rec->caplen, true,
		    input);
		if (w->fmt->record_trailer != NULL) {
			n = w->fmt->record_trailer(h, rec);
			(void)output_write(w->out, h, n, NULL, 0, false, 0);
		}
		/* the packets lost to a failure show at once */
		sync_segment(w);
	}
	w->seg_packets++;
	if (disorder)
		w->seg_disorders++;
}

/*
 * Live -G: has the interval ended, for a packet stamped t?  Moves
 * live_ival on if so.  The clock rule uses the reading renewed with the
 * deadline; a packet stamped after the interval's wall-clock end earns a
 * fresh reading (only such packets, until the cut).
 */
static bool
live_interval_ended(struct writer *w, uint64_t t)
{
	uint64_t ref, wall, err;

	if (rotate_live_due_clock(&w->pol, &w->live_ival, w->mono_now,
	    w->maxwait_ns)) {
		ref = w->mono_now - w->maxwait_ns;
	} else if (t != 0 &&
	    t >= rotate_live_wall_end(&w->pol, &w->live_ival)) {
		w->mono_now = mono_ns();
		if (!rotate_live_due_packet(&w->pol, &w->live_ival,
		    w->mono_now, t))
			return false;
		ref = w->mono_now;
	} else {
		return false;
	}
	/* both clocks at one instant, or a descheduled writer would take
	 * its own delay for a step of the wall clock */
	err = clock_pair(&w->mono_now, &wall);
	rotate_live_advance(&w->pol, &w->live_ival, ref, w->mono_now, wall,
	    err);
	return true;
}

/* File inputs only, -G: must t open the file of another interval? */
static bool
file_interval_ended(struct writer *w, uint64_t t)
{
	if (!rotate_due_time(&w->pol, w->ival_start, t) &&
	    !rotate_due_back(&w->pol, w->ival_start, t))
		return false;
	w->ival_start = rotate_interval_start(&w->pol, w->ival_start, t);
	return true;
}

/* Did a -G interval end (for a packet stamped t)?  Moves it on if so. */
static bool
interval_ended(struct writer *w, uint64_t t)
{
	if (w->pol.interval_ns == 0)
		return false;
	return w->live_clock ? live_interval_ended(w, t) :
	    file_interval_ended(w, t);
}

/*
 * Name of a file started at a packet stamped t outside the -G cadence (-S,
 * a failed file replaced): t, but the wall clock with a live input, so
 * that a file input's outlying stamp never names a live capture's file.
 */
static uint64_t
packet_name(const struct writer *w, uint64_t t)
{
	return w->any_live || t == 0 ? realtime_ns() : t;
}

/* Name of a file of the current -G interval. */
static uint64_t
interval_name(const struct writer *w)
{
	return w->live_clock ? w->live_ival.wall_start : w->ival_start;
}

/* Before writing a packet stamped t: start a new file if one is due. */
static void
maybe_rotate_for_packet(struct writer *w, const struct queue_rec *rec)
{
	uint64_t t = rec->ts_ns;

	if (w->out == NULL) {
		if (!w->opened_once) {
			w->ival_start = t;
			open_segment(w, t);
		} else if (mono_ns() >= w->next_open_try) {
			(void)interval_ended(w, t);
			open_segment(w, w->pol.interval_ns != 0 ?
			    interval_name(w) : packet_name(w, t));
		}
		return;
	}
	if (!w->cfg->rotating)
		return;
	if (interval_ended(w, t)) {
		rotate_to(w, interval_name(w));
	} else if (rotate_due_size(&w->pol, output_bytes(w->out),
	    w->seg_packets, w->fmt->record_size(rec->caplen))) {
		rotate_to(w, packet_name(w, t));
	}
}

/* Live inputs: a -G interval ended on the clock (maybe silently). */
static void
maybe_rotate_on_clock(struct writer *w)
{
	if (!w->live_clock)
		return;
	w->mono_now = mono_ns();
	if (live_interval_ended(w, 0))
		rotate_to(w, w->live_ival.wall_start);
	else if (w->out == NULL && w->mono_now >= w->next_open_try)
		open_segment(w, realtime_ns());
}

/*
 * The current file failed (disk full, compressor died...): its packets are
 * counted as lost; a second later try a fresh file (and compressor) rather
 * than losing everything until the next scheduled rotation.  name_ns is
 * the stamp of the packet at hand, or 0 when idle: then live captures name
 * the new file by the clock, while file inputs only close the failed one
 * and the next packet opens (and names) the new file, as every other.
 */
static bool
segment_failed(const struct writer *w)
{
	return w->out != NULL && output_failed(w->out);
}

/* Called when segment_failed(w). */
static void
replace_failed(struct writer *w, uint64_t name_ns)
{
	if (w->fail_seen == 0) {
		w->fail_seen = mono_ns();
		return;
	}
	if (!w->cfg->rotating || mono_ns() - w->fail_seen < REOPEN_DELAY_NS)
		return;
	if (name_ns == 0 && !w->any_live) {
		close_segment(w);
		return;
	}
	log_warn("starting a new file after the failure of '%s'",
	    output_path(w->out));
	rotate_to(w, packet_name(w, name_ns));
}

/*
 * A packet stamped later than the format holds (pcap: after 2106): the
 * format writes the latest stamp it can; count it, and warn at the first
 * one of each input.  Not the per-packet path: such stamps are outliers.
 */
static void
note_late_stamp(struct writer *w, const struct queue_rec *rec, size_t input)
{
	char when[64] = "?";
	struct tm tm;
	time_t t = (time_t)(rec->ts_ns / 1000000000u);

	if (w->late_stamps[input]++ > 0)
		return;
	if (gmtime_r(&t, &tm) != NULL)
		(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
		    &tm);
	log_warn("input '%s': a packet stamped %s is later than a %s file "
	    "can hold; such packets are written stamped %s and counted",
	    input_uri(w->ws->inputs[input]), when, w->fmt->name,
	    w->fmt->max_ts_text);
}

/* At the end: how many packets of each input had their stamp clamped. */
static void
report_late_stamps(const struct writer *w)
{
	for (size_t i = 0; i < w->ws->ninputs; i++)
		if (w->late_stamps[i] > 0)
			log_warn("input '%s': %" PRIu64 " packet%s stamped "
			    "later than a %s file can hold (after %s)",
			    input_uri(w->ws->inputs[i]), w->late_stamps[i],
			    w->late_stamps[i] == 1 ? "" : "s", w->fmt->name,
			    w->fmt->max_ts_text);
}

/*
 * The merger's deadline (CLOCK_REALTIME, its clock): a tick from now, or
 * sooner the end of a live -G interval plus maxwait, which runs on the
 * monotonic clock and is carried over as a delay.  Renews w->mono_now.
 */
static uint64_t
next_deadline(struct writer *w)
{
	uint64_t now = realtime_ns();
	uint64_t wait = TICK_NS;

	w->mono_now = mono_ns();
	if (w->live_clock) {
		uint64_t end = rotate_interval_end(&w->pol,
		    w->live_ival.mono_start);

		if (end <= UINT64_MAX - w->maxwait_ns) {
			end += w->maxwait_ns;
			if (end <= w->mono_now)
				wait = 0;
			else if (end - w->mono_now < wait)
				wait = end - w->mono_now;
		}
	}
	return now + wait;
}

/* The format the writer emits for cfg. */
static const struct format *
writer_format(const struct config *cfg)
{
	return format_select(cfg->tstamp_nano);
}

/*
 * The file-header descriptors of the n inputs (link types as known before
 * the first packet), or NULL when out of memory; the caller frees them.
 */
static struct format_source *
sources_create(const struct config *cfg, struct input *const *inputs,
    size_t n)
{
	struct format_source *src = calloc(n, sizeof(*src));

	for (size_t i = 0; src != NULL && i < n; i++)
		src[i] = (struct format_source){
			.name = input_uri(inputs[i]),
			.filter = cfg->filter,
			.linktype = input_linktype(inputs[i]),
			.snaplen = cfg->snaplen,
			.ts_per_sec = 1000000000u,	/* queue_rec.ts_ns */
		};
	return src;
}

int
writer_check_inputs(const struct config *cfg, struct input *const *inputs,
    size_t n, char *err, size_t errlen)
{
	const struct format *fmt = writer_format(cfg);
	struct format_source *src = sources_create(cfg, inputs, n);
	int rc = 0;

	if (src == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int lt = src[i].linktype;
		int want = lt < 0 ? -1 : fmt->linktype_for(src, i + 1, i);

		if (want >= 0 && want != lt) {
			log_seterr(err, errlen, "input '%s' has link type %d "
			    "but an earlier input has %d: one %s file "
			    "cannot hold both", src[i].name, lt, want,
			    fmt->name);
			rc = -1;
		}
	}
	free(src);
	return rc;
}

static int
writer_init(struct writer *w, const struct writer_setup *ws)
{
	char err[256];

	memset(w, 0, sizeof(*w));
	w->ws = ws;
	w->cfg = ws->cfg;
	w->stats = ws->stats;
	w->fmt = writer_format(ws->cfg);
	w->seq = ws->first_seq;
	w->maxwait_ns = (uint64_t)ws->cfg->maxwait_ms * 1000000u;
	w->pol.interval_ns = ws->cfg->rotate_seconds * 1000000000u;
	w->pol.max_bytes = ws->cfg->rotate_bytes;
	w->mono_now = mono_ns();
	w->queues = calloc(ws->ninputs, sizeof(*w->queues));
	w->live = calloc(ws->ninputs, sizeof(*w->live));
	w->warned_unfit = calloc(ws->ninputs, sizeof(*w->warned_unfit));
	w->late_stamps = calloc(ws->ninputs, sizeof(*w->late_stamps));
	w->src = sources_create(ws->cfg, ws->inputs, ws->ninputs);
	if (w->queues == NULL || w->live == NULL || w->warned_unfit == NULL ||
	    w->late_stamps == NULL || w->src == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < ws->ninputs; i++) {
		w->queues[i] = input_queue(ws->inputs[i]);
		w->live[i] = input_is_live(ws->inputs[i]);
		w->any_live |= w->live[i];
	}
	w->live_clock = ws->cfg->rotating && w->any_live &&
	    w->pol.interval_ns != 0;
	w->merge = merge_create(w->queues, w->live, ws->ninputs,
	    w->maxwait_ns, ws->waiter, NULL, NULL, err, sizeof(err));
	if (w->merge == NULL) {
		log_error("%s", err);
		return -1;
	}
	if ((w->finisher = finisher_create(ws->post_rotate, ws->stats, err,
	    sizeof(err))) == NULL) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static void
writer_fini(struct writer *w)
{
	bool failed = false;

	/* every file handed over is complete and counted after this */
	finisher_destroy(w->finisher, &failed);
	w->failed |= failed;
	merge_destroy(w->merge);
	free(w->queues);
	free(w->live);
	free(w->warned_unfit);
	free(w->late_stamps);
	free(w->src);
}

int
writer_run(const struct writer_setup *ws)
{
	struct writer w;
	const struct queue_rec *rec = NULL;
	uint64_t deadline = 0;
	unsigned deadline_uses = 0;
	size_t input = 0;
	bool disorder = false;
	int rc;

	if (writer_init(&w, ws) != 0) {
		writer_fini(&w);
		return -1;
	}
	/* a single output file always exists at the end; live captures
	 * start their first file (and -G cadence) right away */
	if (!w.cfg->rotating || w.any_live) {
		w.ival_start = realtime_ns();
		rotate_live_begin(&w.live_ival, mono_ns(), w.ival_start);
		open_segment(&w, w.ival_start);
	}
	for (;;) {
		enum merge_status st;

		/*
		 * Reading the clock for every packet costs as much as merging
		 * it: the deadline is renewed every DEADLINE_REUSE packets and
		 * after every timeout.  A reused one is only ever earlier than
		 * a fresh one would be (an early timeout, then a fresh one).
		 */
		if (deadline_uses == 0) {
			deadline = next_deadline(&w);
			sync_segment(&w);
		}
		deadline_uses = (deadline_uses + 1) % DEADLINE_REUSE;
		st = merge_next(w.merge, deadline, &rec, &input, &disorder);

		control_beat(ws->control);	/* for systemd's watchdog */
		/* a plain load first: no locked instruction per packet */
		if (atomic_load_explicit(&ws->control->rotate,
		    memory_order_relaxed) &&
		    atomic_exchange_explicit(&ws->control->rotate, false,
		    memory_order_relaxed)) {
			/* live: the new file starts now; files: with the
			 * next packet, named after it as every other file */
			if (w.cfg->rotating && w.out != NULL && w.any_live)
				rotate_to(&w, realtime_ns());
			else if (w.cfg->rotating)
				close_segment(&w);
			else if (!w.cfg->rotating)
				log_warn("SIGHUP ignored: a single output file "
				    "does not rotate");
		}
		if (st == MERGE_END)
			break;
		if (st == MERGE_TIMEOUT) {
			deadline_uses = 0;
			maybe_rotate_on_clock(&w);
			if (segment_failed(&w))
				replace_failed(&w, 0);
			/* idle: let stdout readers and tail -f see the data */
			if (w.out != NULL && w.header_written)
				(void)output_flush(w.out);
			sync_segment(&w);
			continue;
		}
		if (segment_failed(&w))
			replace_failed(&w, rec->ts_ns);
		maybe_rotate_for_packet(&w, rec);
		if (rec->ts_ns > w.fmt->max_ts_ns)
			note_late_stamp(&w, rec, input);
		write_packet(&w, rec, input, disorder);
		merge_release(w.merge);
	}
	close_segment(&w);
	report_late_stamps(&w);
	stats_writer_done(ws->stats, merge_disorders(w.merge));
	writer_fini(&w);
	rc = w.failed ? -1 : 0;
	return rc;
}

