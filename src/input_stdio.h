/*
 * input_stdio.h - pcap and pcapng bytes from a pipe, a FIFO, standard
 * input or a decompressor child, read directly with the stop latency of
 * every reader, or as a stdio stream that libpcap reads (see
 * input_stdio.c).  Used by the pcap file backend and its native pcapng
 * reader; the relay of the libtrace backend opens its streams with
 * input_stdio_fd().
 */
#ifndef MTRACECAP_IN_STDIO_H
#define MTRACECAP_IN_STDIO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "input_sniff.h"

struct input_stream;
struct privs_user;

/* An fd (O_CLOEXEC) reading path, or standard input for "-"; -1 with
 * errno. */
int input_stdio_fd(const char *path);

/* A stream being read: its fd, bytes handed back, its decompressor. */
struct input_stdio;

/*
 * Open path ("-" for standard input) as a stream for st's reader and
 * learn its kind from its first bytes (handed back to the reader first).
 * NULL with *errnum.
 */
struct input_stdio *input_stdio_open(struct input_stream *st,
    const char *path, enum in_kind *kind, int *errnum);

/*
 * A compressed file: read through "gzip -dc" (bzip2, xz, lzop) in a child
 * process running as child_as (NULL: as we do).  *kind becomes what the
 * decompressed stream holds.  NULL with err naming the input.
 */
struct input_stdio *input_stdio_compressed(struct input_stream *st,
    const char *path, const struct privs_user *child_as, enum in_kind *kind,
    char *err, size_t errlen);

/*
 * Up to n bytes of s: the bytes handed back first, else what the fd has
 * (one read() once poll() says there is something), never blocking past
 * a stop: it waits INPUT_POLL_MS at a time, checking st's stop flag, and
 * publishes st's queue before it waits.  Once stopping, a pipe or FIFO
 * still gives what it held when the stop was first seen (the kernel
 * handed it to us), nothing written after.  > 0; 0 at the end of the
 * stream or of what a stop lets be read (input_stream_stopping() tells
 * which); -1 with errno
 * (EIO: the decompressor failed, logged naming the input).  Called by
 * the one thread reading s (the main thread while opening, then st's
 * reader thread).
 */
ssize_t input_stdio_read(struct input_stdio *s, void *buf, size_t n);

/*
 * The bytes a pipe or FIFO fd holds now: what a stop still reads (the
 * kernel handed them to us).  0 for anything else.
 */
size_t input_stdio_held(int fd);

/*
 * Hand back the n bytes at buf (a copy is kept) to be read first, in place
 * of any not yet read again: a reader that read the stream's start gives
 * it, whole, to another.  0, or -1 with errno ENOMEM.
 */
int input_stdio_unread(struct input_stdio *s, const void *buf, size_t n);

/* s as a stdio stream for libpcap, which then owns it (fclose() closes
 * s).  NULL with *errnum; s is closed then. */
FILE *input_stdio_fopen(struct input_stdio *s, int *errnum);

/* Close s (NULL: a no-op) and kill its decompressor if it still runs. */
void input_stdio_close(struct input_stdio *s);

/*
 * Reap the decompressor *child (0: none) of input uri once its output
 * ended; *child becomes 0.  0 when it exited 0; else -1 with errno EIO:
 * what it wrote is kept, what is missing is the input's failure.  The
 * reason names tool and says the compressed what ("data", "stream") is
 * corrupt or truncated: in why (while opening, for the open's one error
 * line) or, why NULL, logged naming the input.
 */
int input_stdio_reap(pid_t *child, const char *tool, const char *uri,
    const char *what, char *why, size_t whylen);

#endif
