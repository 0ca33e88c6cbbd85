/*
 * finisher.h - completes finished output files off the writer thread.
 *
 * Closing a file means flushing, waiting for its compressor, fsync and
 * rename: on a busy disk that takes seconds, and a writer stuck in fsync
 * lets the queues fill until the kernel drops packets.  So the writer
 * hands each finished struct output to this stage and goes on capturing;
 * files are completed strictly in the order they were handed over.
 */
#ifndef MTRACECAP_FINISHER_H
#define MTRACECAP_FINISHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "postrotate.h"

struct finisher;

/* Start the finisher thread.  NULL with err on failure. */
/* pr (may be NULL) runs --post-rotate for every completed file. */
struct finisher *finisher_create(struct postrotate *pr, char *err,
    size_t errlen);

/*
 * Hand o over (ownership moves; o is closed with output_close()).  Blocks
 * while max_pending files are still waiting, so a slow disk applies
 * back-pressure instead of piling up buffers.  Writer thread only.
 */
void finisher_submit(struct finisher *f, struct output *o);

/*
 * Complete every pending file, stop the thread and free f.  *lost gets the
 * packets that did not make it into a file, *failed whether any file
 * failed.  finisher_destroy(NULL, ...) is a no-op.
 */
void finisher_destroy(struct finisher *f, uint64_t *lost, bool *failed);

#endif
