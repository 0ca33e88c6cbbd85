/*
 * writer_stop.c - --stop-after in the writer: stop_after.c's rules
 * applied where a file opens, where a packet goes into a file and once
 * per batch.  The writer's thread only (see writer.c's DESIGN); every
 * gate is a no-op unless a condition was given (w->stop_on).
 *
 * Reaching packets:, bytes: or files: sets the stop flag (the readers
 * end, as on SIGTERM) and ends the current file (the finisher renames it
 * and runs the hook, as for every file); from then on (w->stop.closed)
 * no file opens and write_packet counts every packet still taken from
 * the queues as lost with reason stop.  duration: sets the stop flag
 * only: what is queued is still written, as after SIGTERM.
 */
#include "config.h"

#include <stdatomic.h>

#include "log.h"
#include "writer_file.h"
#include "writer_stop.h"

static void
reach(struct writer *w, enum stop_after_kind k)
{
	bool was = w->stop.reached != STOP_AFTER_NONE, closed = w->stop.closed;
	char what[64];

	stop_after_reach(&w->stop, k);
	if (!was || (w->stop.closed && !closed)) {
		stop_after_describe(&w->stop, k, what, sizeof(what));
		log_info("--stop-after %s reached: stopping", what);
	}
	atomic_store_explicit(&w->ws->control->stop, true,
	    memory_order_relaxed);
	if (w->stop.closed)
		writer_file_close(w);
}

void
writer_stop_init(struct writer *w)
{
	stop_after_init(&w->stop, &w->cfg->stop_after,
	    rotate_clock_mono(w->clock));
	w->stop_on = stop_after_any(&w->stop);
}

void
writer_stop_tick(struct writer *w)
{
	if (w->stop_on &&
	    stop_after_duration_due(&w->stop, rotate_clock_mono(w->clock)))
		reach(w, STOP_AFTER_DURATION);
}

bool
writer_stop_may_open(struct writer *w)
{
	if (!w->stop_on)
		return true;
	if (w->stop.closed)
		return false;
	if (stop_after_file_may_begin(&w->stop))
		return true;
	reach(w, STOP_AFTER_FILES);
	return false;
}

bool
writer_stop_room(struct writer *w, const struct queue_rec *rec,
    size_t input, bool due)
{
	uint64_t n;

	if (w->stop.closed)
		return false;
	if (w->stop.lim.bytes == 0)
		return true;
	if (due)	/* it ends anyway: then its size is known */
		writer_file_close(w);
	if (w->out == NULL && !due)
		return true;	/* no file: lost (nofile) */
	if (w->out != NULL && w->header_written)
		n = output_bytes(w->out) + writer_file_trailer_bytes(w) +
		    writer_file_record_bytes(w, rec, input);
	else
		n = writer_file_fresh_bytes(w, rec, input);
	if (stop_after_bytes_fit(&w->stop, n))
		return true;
	reach(w, STOP_AFTER_BYTES);
	return false;
}

void
writer_stop_written(struct writer *w)
{
	if (w->stop_on && stop_after_packet_written(&w->stop))
		reach(w, STOP_AFTER_PACKETS);
}
