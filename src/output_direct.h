/*
 * output_direct.h - a single output's final name that is a fifo or a
 * character device, written in place as tcpdump -w does (output.c).
 */
#ifndef MTRACECAP_OUTPUT_DIRECT_H
#define MTRACECAP_OUTPUT_DIRECT_H

#include <stdatomic.h>
#include <stddef.h>

/*
 * If path is a fifo or a character device (or a link to one), open it
 * for writing, a fifo once it has a reader or *stop is set (stop may be
 * NULL), and put the descriptor in *fd; else *fd = -1 (the output gets
 * the temp file scheme).  0, or -1 with err naming the path (a
 * directory, a stop while waiting, a failed open).
 */
int output_direct_open(const char *path, const atomic_bool *stop, int *fd,
    char *err, size_t errlen);

#endif
