/*
 * input_pcapmap.h - a regular classic pcap file read in place by the
 * merging thread (pull.h), for the pcap file backend (input_pcapfile.c).
 */
#ifndef MTRACECAP_INPUT_PCAPMAP_H
#define MTRACECAP_INPUT_PCAPMAP_H

#include "pcapfile.h"
#include "pull.h"

struct input_stream;
struct pcapmap;

/*
 * Map the regular file open at fd, whose header h says is a classic pcap
 * file pcapfile.c reads like libpcap, for stream st (its snap length and
 * link type are known).  NULL, with nothing changed, when it cannot be
 * mapped: the caller reads it as before.  fd stays the caller's, open
 * until pcapmap_close().
 */
struct pcapmap *pcapmap_open(struct input_stream *st, int fd,
    const struct pcapfile_header *h);
/* What the merger reads (merge_set_pull). */
struct pull *pcapmap_pull(struct pcapmap *m);
/* Unmap and free; only once nothing written from it is pending (the
 * input is destroyed after the writer and its finisher ended). */
void pcapmap_close(struct pcapmap *m);

#endif
