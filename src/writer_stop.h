/*
 * writer_stop.h - --stop-after's gates in the writer (writer_stop.c):
 * no-ops unless w->stop_on.  The writer's thread only.
 */
#ifndef MTRACECAP_WRITER_STOP_H
#define MTRACECAP_WRITER_STOP_H

#include <stdbool.h>
#include <stddef.h>

#include "writer_file.h"

/* Count from now on. */
void writer_stop_init(struct writer *w);
/* Per batch and when idle: duration: over?  Then stop as SIGTERM does. */
void writer_stop_tick(struct writer *w);
/* Before a file opens: false if none may (files:N reached, or another
 * condition before); the caller opens nothing. */
bool writer_stop_may_open(struct writer *w);
/*
 * bytes: may rec (of input) be written, into a new file if due (the
 * current one, if any, is to end first) or else into the current one?
 * False once reached (the current file ended, nothing opens again).
 */
bool writer_stop_room(struct writer *w, const struct queue_rec *rec,
    size_t input, bool due);
/* packets: a packet was written (the last one allowed ends the file). */
void writer_stop_written(struct writer *w);

#endif
