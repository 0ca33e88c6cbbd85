/*
 * writer_file.c - the life of the writer's current file: wait for -W,
 * name and open it with its segment, write its header, publish its
 * progress, hand it to the finisher, replace it when it failed, stop and
 * resume for --min-free.  The writer's thread only (see writer.c's
 * DESIGN).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "naming.h"
#include "writer_file.h"

#define WATCHFILE_POLL_NS	CLOCK_STOP_LATENCY_NS
#define OUTPUT_BUFSIZE		WRITER_BUFSIZE

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
			since = rotate_clock_mono(w->clock);
			log_warn("waiting for watchfile '%s' before the next "
			    "file; the inputs keep queueing", wf);
		}
		if (writer_stop_requested(w)) {
			log_warn("stopping while waiting for watchfile '%s': "
			    "writing what was queued anyway", wf);
			return;
		}
		nanosleep(&tick, NULL);
	}
	if (since != 0)
		log_warn("watchfile '%s' appeared after %.1f s", wf,
		    (double)(rotate_clock_mono(w->clock) - since) / 1e9);
}

/* No file for now: packets are lost until the retry a second later. */
static void
open_failed(struct writer *w)
{
	w->failed = true;
	w->file.retry_at = rotate_clock_mono(w->clock) + WRITER_REOPEN_DELAY_NS;
}

void
writer_file_open(struct writer *w, uint64_t name_ns)
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
		/* a merge of files is timed by the clock on the wall; a live
		 * capture by its CPU per packet, which a second thread's
		 * hand-offs raise (bench: +10-36% CPU for 6-24% less wall),
		 * while its readers keep capturing during a write anyway */
		.write_behind = !w->any_live,
		.stop = &w->ws->control->stop,
		.ninputs = w->ws->ninputs,
	};

	if (w->disk_stopped) {
		/* --min-free: no file until writer_file_disk resumes */
		w->file.retry_at = rotate_clock_mono(w->clock) +
		    WRITER_REOPEN_DELAY_NS;
		return;
	}
	wait_watchfile(w);
	if (cfg->rotating) {
		if (naming_segment(path, sizeof(path), cfg->output_path,
		    (time_t)(name_ns / 1000000000u), cfg->use_utc, w->seq,
		    cfg->file_ext) != 0) {
			log_error("cannot form a file name in '%s'",
			    cfg->output_path);
			open_failed(w);
			return;
		}
		p.path = path;
		if (w->retain != NULL)	/* room for it (disk bounds) */
			retain_before_file(w->retain, path, w->handed_base);
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
	if (w->seg != NULL) {
		w->seg->open_wall_ns = rotate_clock_wall(w->clock);
		w->seg->seq = w->seq;
		w->seg->has_seq = cfg->rotating;
	}
	w->out_ref = w->out != NULL && output_can_ref(w->out);
	w->file.opened_once = true;
	w->file.open = w->out != NULL;
	w->seg_packets = 0;
	w->seg_disorders = 0;
	w->header_written = false;
	stats_segment_open(w->stats, w->seg, w->out != NULL ? p.path : NULL);
	if (w->out == NULL) {
		log_error("%s; packets are counted as lost until a file can "
		    "be opened", err);
		open_failed(w);
		return;
	}
	if (w->stop_on)
		stop_after_file_begun(&w->stop);
	if (cfg->rotating) {
		if (cfg->seqfile != NULL)
			finisher_save_seq(w->finisher, cfg->seqfile, w->seq);
		w->seq = naming_next_seq(w->seq);
	}
}

/* format_emit_fn: file headers and trailers into the current output */
int
writer_file_emit(void *ctx, const void *bytes, size_t len)
{
	struct writer *w = ctx;

	return output_write(w->out, bytes, len, NULL, 0, false, 0);
}

int
writer_file_header(struct writer *w)
{
	w->header_written = true;
	if (w->fmt->ifaces && writer_sources_file_begin(&w->srcs) != 0) {
		/* those left out are added with their first packets */
		log_error("out of memory for the interfaces of '%s'",
		    output_path(w->out));
	}
	return w->fmt->file_header(w->srcs.src, w->ws->ninputs,
	    &w->srcs.file, writer_file_emit, w);
}

/*
 * Publish to the statistics what the current output has written and lost
 * and the writer's own losses: once per batch, not per packet.
 */
void
writer_file_sync(struct writer *w)
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
void
writer_file_close(struct writer *w)
{
	if (w->out == NULL)
		return;
	if (!w->header_written)
		(void)writer_file_header(w);
	writer_file_sync(w);
	w->seg->disorders = w->seg_disorders;
	w->seg->packets = w->seg_packets;
	w->seg->last_ts_ns = w->seg_last_ts;
	w->seg->close_wall_ns = rotate_clock_wall(w->clock);
	if (w->fmt->ifaces)
		writer_sources_file_end(&w->srcs);
	for (size_t i = 0; i < w->ws->ninputs; i++) {
		w->delivered[i] += w->seg->given[i];
		w->seg->delivered[i] = w->delivered[i];
	}
	stats_segment_handover(w->stats, w->seg);
	if (w->fmt->file_trailer != NULL)
		(void)w->fmt->file_trailer(w->srcs.src, &w->srcs.file, w->seg,
		    writer_file_emit, w);
	w->handed_base += output_bytes(w->out);
	if (w->stop_on)		/* --stop-after bytes: */
		stop_after_file_ended(&w->stop, output_bytes(w->out));
	finisher_submit(w->finisher, w->out, w->seg);
	w->out = NULL;
	w->seg = NULL;
	w->file.open = false;
	w->fail_seen = 0;
}

bool
writer_file_failed(const struct writer *w)
{
	return w->out != NULL && output_failed(w->out);
}

/* -S: what the format still writes at the end of the current file. */
uint64_t
writer_file_trailer_bytes(const struct writer *w)
{
	return w->fmt->trailer_size != NULL && w->header_written ?
	    w->fmt->trailer_size(&w->srcs.file) : 0;
}

bool
writer_file_disk(struct writer *w, const struct queue_rec *rec, size_t input,
    uint64_t at)
{
	if (!w->disk_stopped) {
		if (retain_wait_room(w->retain, at + w->fmt->record_size(rec)))
			return true;
		/* only files that must stay are left: close what we have */
		writer_file_close(w);
		w->disk_stopped = true;
		w->disk_lost = 0;
		w->failed = true;
		retain_disk_stop(w->retain);
	} else if (retain_may_resume(w->retain)) {
		retain_disk_resume(w->retain, w->disk_lost);
		w->disk_stopped = false;
		writer_file_open(w, rotate_sched_packet_name(&w->sched,
		    rec->ts_ns));
		return true;
	}
	stats_lost_disk(w->stats, input);
	w->disk_lost++;
	return false;
}

/*
 * -S: what rec adds to the current file: its record and, if its interface
 * is new to the file, that interface's block and its share of the
 * trailer (a file whose header is not out yet counts only the record:
 * it is empty, and -S never leaves a file without a packet).
 */
uint64_t
writer_file_record_bytes(struct writer *w, const struct queue_rec *rec,
    size_t input)
{
	const struct input_iface *const *tab;
	struct format_file one = { NULL, 1 };
	uint64_t n = w->fmt->record_size(rec);

	if (!w->fmt->ifaces || !w->header_written ||
	    writer_sources_iface(&w->srcs, rec, input) != NULL ||
	    rec->iface >= input_ifaces(w->ws->inputs[input], &tab))
		return n;
	return n + w->fmt->iface_size(tab[rec->iface], w->cfg->filter) +
	    w->fmt->trailer_size(&one);
}

/* format_emit_fn that only counts: the size of a header. */
static int
count_emit(void *ctx, const void *bytes, size_t len)
{
	(void)bytes;
	*(uint64_t *)ctx += len;
	return 0;
}

/*
 * What a new file holding rec would hold: its header, the record (and,
 * for an interface it does not describe, that interface's block), its
 * trailer.  Only while no file's header is out: the header is composed
 * as writer_file_header will (and composed again then).
 */
uint64_t
writer_file_fresh_bytes(struct writer *w, const struct queue_rec *rec, size_t input)
{
	const struct format *fmt = w->fmt;
	const struct input_iface *const *tab;
	struct format_file one = { NULL, 1 };
	uint64_t n = 0;

	if (fmt->ifaces)
		(void)writer_sources_file_begin(&w->srcs);
	(void)fmt->file_header(w->srcs.src, w->ws->ninputs, &w->srcs.file,
	    count_emit, &n);
	n += fmt->record_size(rec);
	if (fmt->trailer_size != NULL)
		n += fmt->trailer_size(&w->srcs.file);
	if (fmt->ifaces && writer_sources_iface(&w->srcs, rec, input) == NULL &&
	    rec->iface < input_ifaces(w->ws->inputs[input], &tab))
		n += fmt->iface_size(tab[rec->iface], w->cfg->filter) +
		    fmt->trailer_size(&one);
	return n;
}
