/*
 * writer.h - the merger/writer: merged packets into rotated pcap files.
 *
 * writer_run() is the pipeline's last stage.  It pulls packets from the
 * merger in timestamp order, decides with rotate.c when a file ends,
 * names files with naming.c, writes through output.c in the format
 * writer_sources.c describes, and hands each finished file (and the -N
 * sequence number to save) to the finisher.  It returns once every input
 * has ended and every queue is drained (SIGINT/SIGTERM make the readers
 * end) and every file is complete.
 */
#ifndef MTRACECAP_WRITER_H
#define MTRACECAP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "input.h"
#include "options.h"
#include "retain.h"
#include "rotate.h"
#include "stats.h"
/* writer_check_inputs(), the start-up check of the format's rule */
#include "writer_sources.h"

/* Each output's buffer: bytes handed to it that the disk may not show
 * yet (the disk bounds' slack). */
#define WRITER_BUFSIZE		(1u << 20)

struct writer_setup {
	const struct config	*cfg;
	struct input *const	*inputs;
	size_t			 ninputs;
	struct control		*control;
	struct queue_waiter	*waiter;	/* the queues' consumer waiter */
	struct stats		*stats;
	uint32_t		 first_seq;	/* sequence number of the first file */
	const char		*pipeout_path;	/* resolved --pipeout, or NULL */
	char *const		*pipeout_argv;	/* its words */
	int			 compress_type;	/* WANDIO_COMPRESS_*, 0 = none */
	struct postrotate	*post_rotate;	/* hook, or NULL */
	const struct rotate_clock *clock;	/* NULL: the system's (tests
						 * inject theirs) */
	struct retain		*retain;	/* the disk bounds, or NULL */
};

/*
 * Run until the end of all inputs.  Returns 0 when everything read was
 * written, -1 when packets were lost or an output failed (all logged).
 * Call from the thread that will be the merger/writer (main's).
 */
int writer_run(const struct writer_setup *ws);

#endif
