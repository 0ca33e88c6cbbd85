/*
 * ctlcmd.h - what the control socket's commands do: a parsed request
 * (ctlproto.h) run against the statistics, the counter sessions and the
 * control flags, its answer appended to a ctlproto_out.
 *
 * Threads: the control thread only.  The stats and sessions pointers are
 * NULL until main hands them over (ctlcmd_ready(), once the readers
 * start); until then the commands that need them answer an error.
 */
#ifndef MTRACECAP_CTLCMD_H
#define MTRACECAP_CTLCMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctlproto.h"

struct control;
struct stats;
struct sessions;

struct ctlcmd {
	struct control	*ctl;		/* rotate: its flag */
	struct stats *_Atomic stats;	/* from ctlcmd_ready() */
	struct sessions *_Atomic sessions;
};

/* A watch in progress on one client (ctlcmd_run() starts it). */
struct ctlcmd_watch {
	bool		 on;
	char		 name[CTLPROTO_NAME_MAX + 1];
	uint64_t	 period_ns;
	uint64_t	 started_ns;	/* the session's, to see a modify */
	uint64_t	 last_packets, last_bytes;	/* at the last block */
};

void ctlcmd_init(struct ctlcmd *c, struct control *ctl);

/* Main thread, once stats and sessions (may be NULL) exist and until the
 * control thread is joined. */
void ctlcmd_ready(struct ctlcmd *c, struct stats *stats,
    struct sessions *sessions);

/*
 * Run req, appending its whole answer (lines, then ok or error) to out.
 * A watch that starts sets *w (w->on); its first block is in the answer.
 */
void ctlcmd_run(struct ctlcmd *c, const struct ctlproto_req *req,
    struct ctlproto_out *out, struct ctlcmd_watch *w);

/*
 * The next block of watch w (lines, then ok).  If the session is gone,
 * an error answer instead and w->on cleared.
 */
void ctlcmd_watch_block(struct ctlcmd *c, struct ctlcmd_watch *w,
    struct ctlproto_out *out);

#endif
