/*
 * output_async.h - an output's full buffer written on a thread of its
 * own while the next one fills.
 *
 * A merge into a plain file spends about as long in write(2) as in
 * merging: written by the merging thread, the two add up; written here,
 * they overlap.  This holds the second buffer: the owner posts its full
 * buffer and gets the spare one back to fill, while the thread writes
 * the full one through the sink's write op.  One write at a time; the
 * owner calls the sink itself only once it has waited for it.  Only
 * flat buffers, copies: records held by reference (output_append_ref)
 * are written by the owner, so a record's bytes are never read long
 * after the merger saw them (a file cut meanwhile, input_pcapmap.c).
 * Used by the thread that owns the output (the writer, then the
 * finisher: whoever holds the output calls these).
 */
#ifndef MTRACECAP_OUTPUT_ASYNC_H
#define MTRACECAP_OUTPUT_ASYNC_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

struct output_async;

/*
 * A thread that writes into s, and a spare buffer of bufsize bytes
 * with a per-input count of its packets (ninputs, 0: none).  NULL when
 * either cannot be had (out of memory, no thread): the caller writes
 * synchronously instead, with nothing lost.  The thread inherits the
 * caller's signal mask and credentials (the writer's: every signal
 * blocked, privileges dropped).
 */
struct output_async *output_async_start(struct sink *s, size_t bufsize,
    size_t ninputs);

/*
 * Write the len bytes at *buf, which hold packets packets (per input:
 * *by, or NULL), in the background; *buf and *by are exchanged for the
 * spare buffer and a zeroed count.  Only when nothing is in flight
 * (after output_async_wait()).
 */
void output_async_post(struct output_async *a, unsigned char **buf,
    size_t len, uint64_t packets, uint64_t **by);

/*
 * Until the write in flight (if any) is done.  1: none was; 0: it was
 * written: *bytes and *packets say what, and its per-input counts are
 * added to kept (ninputs of them, or NULL); -1: it failed, *packets
 * lost, with the sink's message in err (not logged).
 */
int output_async_wait(struct output_async *a, uint64_t *kept,
    uint64_t *bytes, uint64_t *packets, char *err, size_t errlen);

/* Wait for the write in flight, end the thread, free a.  NULL: nothing. */
void output_async_end(struct output_async *a);

#endif
