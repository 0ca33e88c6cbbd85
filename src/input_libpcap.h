/*
 * input_libpcap.h - libpcap helpers the backends share: link types as files
 * hold them, and the filter compiled once per stream (for input_push(),
 * for the kernel, or only checked, for libtrace).
 */
#ifndef MTRACECAP_IN_LIBPCAP_H
#define MTRACECAP_IN_LIBPCAP_H

#include <stdbool.h>
#include <stddef.h>

#include <pcap/pcap.h>

struct input_stream;

/* The LINKTYPE_ value a file holds for libpcap's DLT_ value dlt. */
int input_libpcap_linktype(int dlt);
/* ...and back: the DLT_ value pcap_open_dead() wants for a LINKTYPE_. */
int input_libpcap_dlt(int linktype);

/*
 * Compile filter (NULL: none, 0) on handle p into st->prog.  install:
 * set it on p (a live capture: the kernel filters, st->filter stays
 * NULL); else input_push() applies it (st->filter).  0, or -1 with err
 * naming the filter and the input.
 */
int input_libpcap_filter(struct input_stream *st, pcap_t *p, const char *filter,
    bool install, char *err, size_t errlen);

/* Syntax check of filter for uri (before libtrace compiles it lazily).
 * 0, or -1 with err. */
int input_libpcap_filter_check(const char *filter, const char *uri, char *err,
    size_t errlen);

#endif
