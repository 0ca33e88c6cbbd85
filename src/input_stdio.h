/*
 * input_stdio.h - pcap bytes from a pipe, a FIFO, standard input or a
 * decompressor child, as a stdio stream that libpcap reads (see
 * input_stdio.c).  Used by the pcap file backend; the relay of the libtrace
 * backend opens its streams with input_stdio_fd().
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

/*
 * Open path ("-" for standard input) as a stream for st's reader and
 * learn its kind from its first bytes (handed back to the reader first).
 * NULL with *errnum.
 */
FILE *input_stdio_open(struct input_stream *st, const char *path,
    enum in_kind *kind, int *errnum);

/*
 * A compressed file: read through "gzip -dc" (bzip2, xz, lzop) in a child
 * process running as child_as (NULL: as we do).  *kind becomes what the
 * decompressed stream holds.  NULL with err naming the input.
 */
FILE *input_stdio_compressed(struct input_stream *st, const char *path,
    const struct privs_user *child_as, enum in_kind *kind, char *err,
    size_t errlen);

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
