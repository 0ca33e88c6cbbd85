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

#include "writer_setup.h"
/* writer_check_inputs(), the start-up check of the format's rule */
#include "writer_sources.h"

/*
 * Run until the end of all inputs.  Returns 0 when everything read was
 * written, -1 when packets were lost or an output failed (all logged).
 * Call from the thread that will be the merger/writer (main's).
 */
int writer_run(const struct writer_setup *ws);

#endif
