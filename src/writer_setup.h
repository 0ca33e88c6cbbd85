/*
 * writer_setup.h - what the writer is given (struct writer_setup): the
 * configuration, the inputs, the shared control flags and statistics,
 * the child programs.  Apart from writer.h so that writer_file.c (below
 * writer.c) reads it without including the writer's entry point.
 */
#ifndef MTRACECAP_WRITER_SETUP_H
#define MTRACECAP_WRITER_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "input.h"
#include "options.h"
#include "retain.h"
#include "rotate.h"
#include "stats.h"

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
	struct deliver		*deliver;	/* --post-rotate, or NULL */
	const struct rotate_clock *clock;	/* NULL: the system's (tests
						 * inject theirs) */
	struct retain		*retain;	/* the disk bounds, or NULL */
};

#endif
