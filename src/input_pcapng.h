/*
 * input_pcapng.h - the native pcapng file reader (input_pcapng.c), which
 * the pcap file backend (input_pcapfile.c) hands regular uncompressed
 * pcapng files to.  Private to the two.
 */
#ifndef MTRACECAP_IN_PCAPNG_H
#define MTRACECAP_IN_PCAPNG_H

#include <stddef.h>

struct input_stream;

/*
 * Main thread: open the pcapng file path for stream st (filter: the -F
 * text or NULL), read it up to its first packet and register every
 * interface described before it; point st->ops and st->be at the native
 * reader.  0; 1 when the file is libpcap's to read after all (its first
 * interface has a link type whose records libpcap rewrites: nothing is
 * left open, st is untouched); -1 with err naming the input (st->ops'
 * close frees what was opened).
 */
int input_pcapng_open(struct input_stream *st, const char *path,
    const char *filter, char *err, size_t errlen);

#endif
