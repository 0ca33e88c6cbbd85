/*
 * writer.c - the merger/writer loop: merge, rotate, write, hand over.
 *
 * DESIGN
 * - Runs on the main thread after the readers started; it is the only
 *   consumer of every queue (through merge.c) and the only one that
 *   names segment files (naming_segment).  Each output it opens, with
 *   its segment (segment.h: what each input handed to it), is its own
 *   until it hands both to the finisher thread (finisher.c), which
 *   completes files in order while capture goes on and only then counts
 *   their packets as written or lost; it also saves the -N sequence
 *   number (finisher_save_seq), so that no fsync runs here.  Meanwhile
 *   the writer publishes the file's progress and its own losses to the
 *   statistics once per batch (writer_file_sync), never per packet.
 * - Shared with other threads: the queues, the control flags (stop is
 *   read by the readers; rotate is set by the control thread and consumed
 *   here with an atomic exchange; the heartbeat, control_beat(), is read
 *   by it), the statistics (under their lock; through them the
 *   readers' relaxed counters) and the finisher's FIFO.
 * - When a file ends is rotate.c's schedule (the -G cadence, by packet
 *   time for file inputs and on the monotonic clock with a live one) and
 *   -S; what a file can hold and how it reads is writer_sources.c's.
 *   Every clock reading goes through ws->clock, which tests replace.
 *   A file's life (open, header, close, replacement) is writer_file.c's;
 *   --stop-after's gates (when a file may open, a packet be written) are
 *   writer_stop.c's.
 * - The file header is written lazily (first packet or close) so that a
 *   file opened before any packet still gets the right link type.
 * - The disk bounds (retain.h) are the disk thread's; the writer only
 *   asks before each new file (writer_file_open) and, with --min-free,
 *   compares its total with the budget per packet (disk_room).
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "pcapfile.h"
#include "writer.h"
#include "writer_file.h"
#include "writer_stop.h"

#define TICK_NS			CLOCK_STOP_LATENCY_NS	/* longest merge_next */
#define DEADLINE_REUSE		64u	/* packets per reading of the clock */

/*
 * Formats with interfaces: the file's interface for rec, its IDB written
 * first if it is new to the file; NULL when it cannot have one (counted
 * as unfit: the input lost track of its interfaces, or out of memory).
 */
static struct format_iface *
packet_iface(struct writer *w, const struct queue_rec *rec, size_t input)
{
	struct format_iface *fi = writer_sources_iface(&w->srcs, rec, input);

	if (fi != NULL)
		return fi;
	if ((fi = writer_sources_iface_add(&w->srcs, rec, input)) == NULL) {
		if (!w->srcs.warned_unfit[input])
			log_error("input '%s': a packet of interface %" PRIu32
			    " that it did not describe (or out of memory); "
			    "such packets are counted as lost",
			    input_uri(w->ws->inputs[input]), rec->iface);
		w->srcs.warned_unfit[input] = true;
		stats_unfit(w->stats, input);
		w->failed = true;
		return NULL;
	}
	(void)w->fmt->iface_added(&w->srcs.file, fi->id, writer_file_emit, w);
	return fi;
}

/* A packet of input whose link type differs from its source's so far. */
static bool
linktype_fits(struct writer *w, int lt, size_t input)
{
	if (writer_sources_fit(&w->srcs, lt, input))
		return true;
	stats_unfit(w->stats, input);
	w->failed = true;
	return false;
}

/* raw: rec->raw holds the record as the file holds it (w->raw). */
static void
write_packet(struct writer *w, const struct queue_rec *rec, size_t input,
    bool raw, bool disorder)
{
	unsigned char h[FORMAT_HDR_MAX], *p;
	struct format_iface *fi = NULL;
	size_t n, size;

	if (w->stop.closed) {	/* --stop-after reached: taken, not written */
		stats_lost_stop(w->stats, input);
		return;
	}
	if (rec->linktype != w->srcs.src[input].linktype &&
	    !linktype_fits(w, rec->linktype, input))
		return;
	if (w->out == NULL) {
		stats_lost_nofile(w->stats, input);
		return;
	}
	if (!w->header_written) {
		/* the file's first packet */
		(void)writer_file_header(w);
		w->seg->first_ts_ns = rec->ts_ns;
	}
	if (w->fmt->ifaces) {
		if ((fi = packet_iface(w, rec, input)) == NULL)
			return;
		fi->packets++;
		fi->bytes += rec->caplen;
	}
	w->seg->given[input]++;
	w->seg->bytes[input] += rec->caplen;
	w->seg_last_ts = rec->ts_ns;
	if (raw && w->out_ref) {
		/* written from where the input lies, no copy at all */
		if (output_append_ref(w->out, rec->raw, PCAPFILE_RECHDRLEN +
		    (size_t)rec->caplen, input) != 0)
			writer_file_sync(w);
	} else if ((p = output_reserve(w->out, rec->caplen +
	    FORMAT_REC_EXTRA)) != NULL) {
		/* straight into the output buffer, one copy of the data */
		size = w->fmt->record_write(p, rec, input, fi);
		output_commit_packet(w->out, size, input);
	} else {
		/* a failed output (it counts the loss), or a record larger
		 * than the buffer */
		n = w->fmt->record_header(h, rec, input, fi);
		(void)output_write(w->out, h, n, rec->data, rec->caplen, true,
		    input);
		if (w->fmt->record_trailer != NULL) {
			n = w->fmt->record_trailer(h, rec);
			(void)output_write(w->out, h, n, NULL, 0, false, 0);
		}
		/* the packets lost to a failure show at once */
		writer_file_sync(w);
	}
	w->seg_packets++;
	if (disorder)
		w->seg_disorders++;
	writer_stop_written(w);
}

/* End the current file and, unless --stop-after says no more, open the
 * next, named name_ns. */
static void
rotate_to(struct writer *w, uint64_t name_ns)
{
	writer_file_close(w);
	if (writer_stop_may_open(w))
		writer_file_open(w, name_ns);
}

/*
 * Called when writer_file_failed(w).  The current file failed (disk full,
 * compressor died...): its packets are counted as lost; a second later
 * try a fresh file (and compressor) rather than losing everything until
 * the next scheduled rotation.  name_ns is the stamp of the packet at
 * hand, or 0 when idle: then live captures name the new file by the
 * clock, while file inputs only close the failed one and the next packet
 * opens (and names) the new file, as every other.
 */
static void
replace_failed(struct writer *w, uint64_t name_ns)
{
	if (w->fail_seen == 0) {
		w->fail_seen = rotate_clock_mono(w->clock);
		return;
	}
	if (!w->cfg->rotating ||
	    rotate_clock_mono(w->clock) - w->fail_seen < WRITER_REOPEN_DELAY_NS)
		return;
	if (name_ns == 0 && !w->any_live) {
		writer_file_close(w);
		return;
	}
	log_warn("starting a new file after the failure of '%s'",
	    output_path(w->out));
	rotate_to(w, rotate_sched_packet_name(&w->sched, name_ns));
}

/*
 * Before writing rec: start a new file if one is due (rotate.c, -S), and
 * --stop-after bytes: allows it.  The schedule is asked only when it can
 * say yes (no file, or -G): a single file or -S alone costs no call per
 * packet.
 */
static void
maybe_rotate_for_packet(struct writer *w, const struct queue_rec *rec,
    size_t input)
{
	uint64_t name = 0;
	bool due;

	if (w->stop.closed)
		return;
	due = (w->out == NULL || w->sched.pol.interval_ns != 0) &&
	    rotate_sched_packet(&w->sched, &w->file, rec->ts_ns, &name);
	if (!due && w->out != NULL && w->cfg->rotating &&
	    w->sched.pol.max_bytes != 0 &&
	    rotate_due_size(&w->sched.pol, output_bytes(w->out) +
	    writer_file_trailer_bytes(w), w->seg_packets,
	    writer_file_record_bytes(w, rec, input))) {
		due = true;
		name = rotate_sched_packet_name(&w->sched, rec->ts_ns);
	}
	if (w->stop_on && !writer_stop_room(w, rec, input, due))
		return;
	if (due)
		rotate_to(w, name);
}

/*
 * --min-free: may rec be written?  One relaxed load and a compare while
 * the budget has room (the total is published for the disk thread with
 * a relaxed store); writer_file_disk decides otherwise.
 */
static inline bool
disk_room(struct writer *w, const struct queue_rec *rec, size_t input)
{
	uint64_t at;

	if (w->gate.allow_until == NULL)
		return true;
	at = w->handed_base + (w->out != NULL ? output_bytes(w->out) : 0);
	atomic_store_explicit(w->gate.handed, at, memory_order_relaxed);
	if (!w->disk_stopped && at + w->fmt->record_size(rec) <=
	    atomic_load_explicit(w->gate.allow_until, memory_order_relaxed))
		return true;
	return writer_file_disk(w, rec, input, at);
}

/* SIGHUP (the control thread's flag), if it came: a new file. */
static void
take_rotate_request(struct writer *w)
{
	struct control *c = w->ws->control;

	/* a plain load first: no locked instruction per packet */
	if (!atomic_load_explicit(&c->rotate, memory_order_relaxed) ||
	    !atomic_exchange_explicit(&c->rotate, false, memory_order_relaxed))
		return;
	/* live: the new file starts now; files: with the next packet, named
	 * after it as every other file */
	if (w->cfg->rotating && w->out != NULL && w->any_live)
		rotate_to(w, rotate_clock_wall(w->clock));
	else if (w->cfg->rotating)
		writer_file_close(w);
	else
		log_warn("SIGHUP ignored: a single output file does not "
		    "rotate");
}

/* The merger timed out: the clock's rotation, retries, a flush. */
static void
on_idle(struct writer *w)
{
	uint64_t name;

	if (rotate_sched_idle(&w->sched, &w->file, &name))
		rotate_to(w, name);
	if (writer_file_failed(w))
		replace_failed(w, 0);
	/* idle: let stdout readers and tail -f see the data */
	if (w->out != NULL && w->header_written)
		(void)output_flush(w->out);
	writer_file_sync(w);
}

static int
writer_init(struct writer *w, const struct writer_setup *ws)
{
	struct rotate_policy pol;
	struct finisher_setup fs;
	uint64_t maxwait_ns = (uint64_t)ws->cfg->maxwait_ms * 1000000u;
	uint64_t late_ns;
	char err[256];

	memset(w, 0, sizeof(*w));
	w->ws = ws;
	w->cfg = ws->cfg;
	w->clock = ws->clock != NULL ? ws->clock : &rotate_clock_system;
	w->stats = ws->stats;
	w->seq = ws->first_seq;
	writer_stop_init(w);
	pol.interval_ns = ws->cfg->rotate_seconds * 1000000000u;
	pol.max_bytes = ws->cfg->rotate_bytes;
	pol.align = ws->cfg->rotate_align;
	for (size_t i = 0; i < ws->ninputs; i++)
		w->nleaves += input_nstreams(ws->inputs[i]);
	w->queues = calloc(w->nleaves, sizeof(*w->queues));
	w->raw = calloc(w->nleaves, sizeof(*w->raw));
	w->live = calloc(w->nleaves, sizeof(*w->live));
	w->of = calloc(w->nleaves, sizeof(*w->of));
	w->delivered = calloc(ws->ninputs + 1, sizeof(*w->delivered));
	if (writer_sources_init(&w->srcs, ws->cfg, ws->inputs,
	    ws->ninputs) != 0 || w->queues == NULL || w->raw == NULL ||
	    w->live == NULL ||
	    w->of == NULL || w->delivered == NULL) {
		log_error("out of memory");
		return -1;
	}
	w->fmt = w->srcs.fmt;
	/* every stream of every source is a leaf, in command-line order:
	 * ties go to the input named first, then to its first socket */
	for (size_t i = 0, leaf = 0; i < ws->ninputs; i++) {
		for (size_t k = 0; k < input_nstreams(ws->inputs[i]); k++) {
			w->queues[leaf] = input_stream_queue(ws->inputs[i], k);
			w->live[leaf] = input_is_live(ws->inputs[i]);
			w->of[leaf++] = i;
		}
		w->any_live |= input_is_live(ws->inputs[i]);
	}
	/* a live interval ends once its packets can have been merged:
	 * maxwait, or longer while a single live input's ring may hold
	 * them (input_live.c) */
	late_ns = input_live_lateness_ns(ws->cfg);
	if (!w->any_live || late_ns < maxwait_ns)
		late_ns = maxwait_ns;
	rotate_sched_init(&w->sched, &pol, late_ns, ws->cfg->rotating,
	    w->any_live, w->clock);
	w->merge = merge_create(w->queues, w->live, w->nleaves, maxwait_ns,
	    ws->waiter, w->clock->wall, w->clock->arg, err, sizeof(err));
	if (w->merge == NULL) {
		log_error("%s", err);
		return -1;
	}
	/* the leaves the merger reads in place */
	for (size_t i = 0, leaf = 0; i < ws->ninputs; i++) {
		for (size_t k = 0; k < input_nstreams(ws->inputs[i]); k++,
		    leaf++) {
			struct pull *p = input_stream_pull(ws->inputs[i], k);

			if (p == NULL)
				continue;
			merge_set_pull(w->merge, leaf, p);
			w->raw[leaf] = p->raw_magic != 0 &&
			    p->raw_magic == w->fmt->raw_magic;
		}
	}
	fs = (struct finisher_setup){ .deliver = ws->deliver,
	    .stats = ws->stats, .manifest = ws->cfg->manifest,
	    .format = ws->cfg->pcapng ? "pcapng" : "pcap",
	    .retain = ws->retain };
	if ((w->retain = ws->retain) != NULL)
		retain_gate(w->retain, &w->gate);
	if ((w->finisher = finisher_create(&fs, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static void
writer_fini(struct writer *w)
{
	bool failed = false;

	/* every file handed over is complete and counted after this, and
	 * the last sequence number saved */
	finisher_destroy(w->finisher, &failed);
	w->failed |= failed;
	merge_destroy(w->merge);
	free(w->queues);
	free(w->raw);
	free(w->live);
	free(w->of);
	free(w->delivered);
	writer_sources_fini(&w->srcs);
}

int
writer_run(const struct writer_setup *ws)
{
	struct writer w;
	const struct queue_rec *rec = NULL;
	uint64_t deadline = 0;
	unsigned deadline_uses = 0;
	size_t leaf = 0, input;
	bool disorder = false;

	if (writer_init(&w, ws) != 0) {
		writer_fini(&w);
		return -1;
	}
	/* a single output file always exists at the end; live captures
	 * start their first file (and -G cadence) right away */
	if (!w.cfg->rotating || w.any_live)
		writer_file_open(&w, rotate_sched_begin(&w.sched));
	for (;;) {
		enum merge_status st;

		/*
		 * Reading the clock for every packet costs as much as merging
		 * it: the deadline is renewed every DEADLINE_REUSE packets and
		 * after every timeout.  A reused one is only ever earlier than
		 * a fresh one would be (an early timeout, then a fresh one).
		 */
		if (deadline_uses == 0) {
			deadline = rotate_sched_deadline(&w.sched, TICK_NS);
			writer_stop_tick(&w);
			writer_file_sync(&w);
		}
		deadline_uses = (deadline_uses + 1) % DEADLINE_REUSE;
		st = merge_next(w.merge, deadline, &rec, &leaf, &disorder);

		control_beat(ws->control);	/* for systemd's watchdog */
		take_rotate_request(&w);
		if (st == MERGE_END)
			break;
		if (st == MERGE_TIMEOUT) {
			deadline_uses = 0;
			on_idle(&w);
			continue;
		}
		input = w.of[leaf];
		if (writer_file_failed(&w))
			replace_failed(&w, rec->ts_ns);
		maybe_rotate_for_packet(&w, rec, input);
		if (rec->ts_ns > w.fmt->max_ts_ns)
			writer_sources_late(&w.srcs, rec, input);
		if (disk_room(&w, rec, input))
			write_packet(&w, rec, input,
			    rec->raw != NULL && w.raw[leaf], disorder);
		merge_release(w.merge);
	}
	writer_file_close(&w);
	writer_sources_report(&w.srcs);
	stats_writer_done(ws->stats, merge_disorders(w.merge));
	writer_fini(&w);
	return w.failed ? -1 : 0;
}
