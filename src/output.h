/*
 * output.h - one output file from creation to final name.
 *
 * A file is created exclusively under a temporary name in its final
 * directory and locked (place.h), written through a large buffer that is
 * only ever flushed at record boundaries (records that stay in their
 * input's buffers go in beside it, in order: output_append_ref), into a
 * sink (sink.h): the file itself, libwandio's in-process compressor,
 * whose stream is read back and checked before the file gets its final
 * name (libwandio does not report errors on close), or the --pipeout
 * command (sink_pipe.c).  At the end it
 * is flushed, fsync'ed, closed and renamed in one step, so a final name
 * always holds a complete file.  On a write error the
 * file is cut back to its last complete record, the packets that could
 * not be written are counted, and the valid prefix is still renamed; if
 * that cut fails, the file is kept as NAME.failed (all its packets lost).
 * With a compressor, a stream not known to be complete (the command
 * failed, closed its input early, wrote nothing, or took nothing for too
 * long: see pipeout.h; libwandio's output does not read back) is kept as
 * NAME.failed and all its packets are counted as lost, each exactly once.
 * Waits for a --pipeout command are bounded; one that stalled is ended.
 *
 * A single output (not no_replace) whose name is an existing fifo or
 * character device, or a link to one, is written directly, as tcpdump -w
 * does: no temp file, no rename, no fsync (opening a fifo waits for its
 * reader).  Anything else there (a block device, a socket, a link to
 * one) is replaced by the rename, never written through.  An existing
 * directory there is refused.
 */
#ifndef MTRACECAP_OUTPUT_H
#define MTRACECAP_OUTPUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output_params {
	const char	*path;		/* final path, or "-" for stdout */
	bool		 no_replace;	/* never overwrite an existing final file */
	const char	*pipeout_path;	/* resolved compressor, or NULL */
	char *const	*pipeout_argv;
	int		 compress_type;	/* WANDIO_COMPRESS_*, 0 = none */
	int		 compress_level;/* 1-9 when compress_type != 0 */
	size_t		 bufsize;
	/* full buffers written by a thread of the output's own while the
	 * next fills (output_async.h): the fd sink only; less wall time,
	 * some more CPU time; MTRACECAP_WRITE=sync in the environment
	 * turns it off */
	bool		 write_behind;
	/* waiting for a fifo's reader ends once *stop is set (NULL: never),
	 * and a --pipeout command gets the shorter stop limit (pipeout.h) */
	const atomic_bool *stop;
	/*
	 * Per input, the packets now in the file: the caller's array of
	 * ninputs counters (zeroed), which must outlive the output; it is
	 * only touched by the thread using the output.  After output_close
	 * it sums to res->packets.  NULL: not counted.
	 */
	uint64_t	*kept;
	size_t		 ninputs;
};

struct output_result {
	char		final_path[4096]; /* where the file ended up ("" if none) */
	uint64_t	packets;	/* packets now in the file */
	uint64_t	lost;		/* packets that could not be written */
	bool		failed;		/* a write, cut, compressor or close failed */
	bool		failed_name;	/* final_path is NAME.failed: not a good file */
	uint64_t	bytes;		/* pcap bytes of the packets kept in the file */
};

struct output;

/*
 * Create the temp file, or open the fifo or device (see above), and start
 * the compressor.  NULL with err on failure (an existing directory at
 * p->path included, unless no_replace).
 */
struct output *output_open(const struct output_params *p, char *err,
    size_t errlen);

/*
 * Append one unit (a record header and its data, or the file header with
 * data NULL); is_packet says whether it counts as a packet, and input
 * (< ninputs) which input's (ignored for other units).  Never splits
 * a unit across a failed flush.  Returns 0, or -1 once the output failed
 * (the error is logged once; the packet is counted in lost).
 */
int output_write(struct output *o, const void *hdr, size_t hlen,
    const void *data, size_t dlen, bool is_packet, size_t input);

/*
 * The fast path for one packet record of len bytes: room for it in the
 * buffer (flushed first if need be), to be filled and then committed with
 * output_commit_packet(o, len).  NULL when the output failed or the record
 * is larger than the buffer: use output_write(), which copes (and counts).
 */
unsigned char *output_reserve(struct output *o, size_t len);
void output_commit_packet(struct output *o, size_t len, size_t input);

/* Whether output_append_ref() can be used on o: its sink takes
 * iovecs (a plain file, stdout, a fifo or device; not a compressor or
 * --pipeout) and o has not failed. */
bool output_can_ref(const struct output *o);

/*
 * Append one packet record of len bytes (header and data, already in
 * the file's format) that stays where it is: the bytes at rec are
 * written from there, not copied, so they must stay valid and unchanged
 * until output_close() or output_abort() returns.  (Only records that
 * continue a run of adjacent ones past a few KiB are: the first few KiB
 * of a run, and a lone small record, are copied, which costs less than
 * a writev piece of its own.)  Counted as a packet
 * of input as output_commit_packet() counts one.  Adjacent calls whose
 * bytes follow each other in memory become one iovec.  0, or -1 once
 * the output failed (the packet is counted in lost).  Only when
 * output_can_ref(o).
 */
int output_append_ref(struct output *o, const void *rec, size_t len,
    size_t input);

/*
 * Hand what is buffered to the kernel now (the writer calls this when the
 * inputs are idle, so readers of stdout or of the temp file are not kept
 * waiting for a full buffer).  0, or -1 once the output failed.  Once it
 * returns, o holds no pointer given to output_append_ref() any more,
 * whatever it returned.
 */
int output_flush(struct output *o);

/* Bytes appended so far (pcap bytes, before any compression). */
uint64_t output_bytes(const struct output *o);
bool output_failed(const struct output *o);
/* The packets handed to the kernel so far and those counted lost so far
 * (the writer shows them live; output_close's result is the final word). */
void output_progress(const struct output *o, uint64_t *packets,
    uint64_t *lost);
const char *output_path(const struct output *o);

/*
 * Flush, fsync, close and rename into place (stdout, a fifo or a device:
 * flush and close only); frees o.  Returns 0, or -1 when anything failed
 * (res says what was kept; res->packets + res->lost is every packet given
 * to output_write).  Failures are logged as they happen; err only carries
 * a failure not logged yet ("" otherwise).
 */
int output_close(struct output *o, struct output_result *res, char *err,
    size_t errlen);

/*
 * The step between fsync and rename (--manifest, finisher.c): fn runs in
 * output_close() once the temp file temp is complete, fsync'ed and
 * closed, just before it is renamed to want (wlen bytes), which fn may
 * change to the name it should get (a free one, see manifest.h).  Not
 * for stdout, a fifo or a device, nor for a file kept as NAME.failed.
 * It runs on the thread that closes o.
 */
typedef void (*output_place_fn)(void *arg, const char *temp, char *want,
    size_t wlen);
void output_set_before_place(struct output *o, output_place_fn fn,
    void *arg);

/* Remove the temp file (a fifo or device is only closed), free o. */
void output_abort(struct output *o);

#endif
