/*
 * finisher.h - completes finished output files off the writer thread.
 *
 * Closing a file means flushing, waiting for its compressor, fsync and
 * rename: on a busy disk that takes seconds, and a writer stuck in fsync
 * lets the queues fill until the kernel drops packets.  So the writer
 * hands each finished struct output, with its segment, to this stage and
 * goes on capturing; files are completed strictly in the order they were
 * handed over, and only a completed file is counted (stats.h).  With
 * --manifest each file's NAME.json is put in place between its fsync and
 * its rename (manifest.h); then NAME is recorded as awaiting delivery
 * (deliver_prepare) before it gets that name, and handed to the delivery
 * queue once it has it (deliver_placed).  The -N
 * sequence number is saved (with its fsync) here too, not on the writer.
 */
#ifndef MTRACECAP_FINISHER_H
#define MTRACECAP_FINISHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deliver.h"
#include "output.h"
#include "retain.h"
#include "segment.h"
#include "stats.h"

struct finisher;

struct finisher_setup {
	/* every file is recorded there before it gets its name, and every
	 * regular file placed without a failure (not stdout, a FIFO or a
	 * device) is handed over for --post-rotate; may be NULL */
	struct deliver	*deliver;
	/* every file is charged to it (stats_segment_done); its inputs are
	 * the ones the manifests describe; must outlive the finisher */
	struct stats	*stats;
	/* --manifest: NAME.json before each file gets its name NAME */
	bool		 manifest;
	const char	*format;	/* the manifests' "format": "pcap"... */
	/* the disk bounds, told of every file placed; may be NULL */
	struct retain	*retain;
};

/* Start the finisher thread.  NULL with err on failure. */
struct finisher *finisher_create(const struct finisher_setup *fs,
    char *err, size_t errlen);

/*
 * Hand o and its segment seg over (ownership of both moves; o is closed
 * with output_close(), whose counts per input are kept in seg->kept).
 * Blocks while MAX_PENDING (4) files are still waiting, so a slow disk
 * applies back-pressure instead of piling up buffers.  Writer thread only.
 */
void finisher_submit(struct finisher *f, struct output *o,
    struct segment *seg);

/*
 * Save seq into the seqfile path (seqfile_save: temp file, fsync,
 * rename) on the finisher thread, before the next pending file is
 * completed.  Never blocks on the disk: a save not yet done is replaced
 * by a newer one (the values are saved in the order given, the last one
 * always).  A failure is logged and makes finisher_destroy report failed.
 * path must outlive f.  Writer thread only.
 */
void finisher_save_seq(struct finisher *f, const char *path, uint32_t seq);

/*
 * Complete every pending file and save the last sequence number, stop
 * the thread and free f.  *failed gets whether any file failed, lost
 * packets (counted in the stats) or the sequence number was not saved.
 * finisher_destroy(NULL, ...) is a no-op.
 */
void finisher_destroy(struct finisher *f, bool *failed);

#endif
