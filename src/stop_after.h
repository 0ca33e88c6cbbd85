/*
 * stop_after.h - --stop-after: when a run ends by itself.  The pure
 * rules over what the writer counted; the writer applies them
 * (writer_stop.c).
 *
 * duration:S ends the run like SIGTERM: the stop flag is set and what is
 * queued is still written.  packets:N, bytes:SIZE and files:N are exact:
 * the files hold exactly N packets, at most SIZE bytes (records, headers
 * and trailers, as -S counts them: a file holds at least its header), at
 * most N files; once one is reached no file opens again and every packet
 * still taken from the queues is lost (reason "stop").
 */
#ifndef MTRACECAP_STOP_AFTER_H
#define MTRACECAP_STOP_AFTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options_value.h"

enum stop_after_kind {
	STOP_AFTER_NONE = 0,
	STOP_AFTER_DURATION,
	STOP_AFTER_PACKETS,
	STOP_AFTER_FILES,
	STOP_AFTER_BYTES,
};

struct stop_after {
	struct options_stop_after lim;	/* each 0 = not given */
	uint64_t	 start_ns;	/* monotonic ns the run began */
	uint64_t	 packets;	/* written into files so far */
	uint64_t	 files;		/* files begun */
	uint64_t	 bytes;		/* in the files that ended */
	enum stop_after_kind reached;	/* the first one reached */
	bool		 closed;	/* reached one but duration: nothing
					 * more is written */
};

/* Count from mono_now on, for the conditions in lim (may be all 0). */
void stop_after_init(struct stop_after *s,
    const struct options_stop_after *lim, uint64_t mono_now);
/* Is any condition given? */
bool stop_after_any(const struct stop_after *s);
/* duration: is it over at mono_now (and not reached before)? */
bool stop_after_duration_due(const struct stop_after *s, uint64_t mono_now);
/* packets: a packet was written; true if it was the last one allowed. */
bool stop_after_packet_written(struct stop_after *s);
/* files: may one more file begin? */
bool stop_after_file_may_begin(const struct stop_after *s);
/* files: one began. */
void stop_after_file_begun(struct stop_after *s);
/*
 * bytes: may the current file grow to file_bytes (what it would hold
 * once the packet at hand and its trailer are in)?
 */
bool stop_after_bytes_fit(const struct stop_after *s, uint64_t file_bytes);
/* bytes: a file ended holding file_bytes. */
void stop_after_file_ended(struct stop_after *s, uint64_t file_bytes);
/*
 * k is reached: remember it (the first one counts); closed unless it is
 * duration.
 */
void stop_after_reach(struct stop_after *s, enum stop_after_kind k);
/* "packets:1000", as the log line names condition k. */
void stop_after_describe(const struct stop_after *s, enum stop_after_kind k,
    char *buf, size_t len);

#endif
