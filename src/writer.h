/*
 * writer.h - the merger/writer: merged packets into rotated pcap files.
 *
 * writer_run() is the pipeline's last stage.  It pulls packets from the
 * merger in timestamp order, decides with rotate.c when a file ends,
 * names files with naming.c, has the finisher save the sequence number and
 * writes through output.c.  It returns once every input has ended and
 * every queue is drained (SIGINT/SIGTERM make the readers end).
 */
#ifndef MTRACECAP_WRITER_H
#define MTRACECAP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "input.h"
#include "options.h"
#include "stats.h"

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
};

/*
 * Can the files the writer emits for cfg hold the inputs[0, n) whose link
 * types are known before their first packet (the format's rule)?  0 if
 * so, else -1 with a message naming the input in err.  Main thread.
 */
int writer_check_inputs(const struct config *cfg,
    struct input *const *inputs, size_t n, char *err, size_t errlen);

/*
 * Run until the end of all inputs.  Returns 0 when everything read was
 * written, -1 when packets were lost or an output failed (all logged).
 * Call from the thread that will be the merger/writer (main's).
 */
int writer_run(const struct writer_setup *ws);

#endif
