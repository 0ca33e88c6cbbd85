/*
 * input_pcapng.h - the native pcapng reader (input_pcapng.c), which the
 * pcap file backend (input_pcapfile.c) hands pcapng files and streams to.
 * Private to the two.
 */
#ifndef MTRACECAP_IN_PCAPNG_H
#define MTRACECAP_IN_PCAPNG_H

#include <stddef.h>

struct input_stdio;
struct input_stream;

/*
 * Main thread: open pcapng for stream st (filter: the -F text or NULL):
 * the regular file path when in is NULL, else the stream in (whose first
 * bytes are the file's; path names it), which st owns from now on.  Read
 * it up to its first packet and register every interface described
 * before it; point st->ops and st->be at the native reader.  0; 1 when
 * the file is libpcap's to read after all (its first interface has a link
 * type whose records libpcap rewrites: nothing is left open, st is
 * untouched, in is the caller's again, to be read from its start); -1
 * with err naming the input (st->ops' close frees what was opened).
 */
int input_pcapng_open(struct input_stream *st, const char *path,
    struct input_stdio *in, const char *filter, char *err, size_t errlen);

#endif
