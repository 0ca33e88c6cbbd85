/*
 * format.h - the file format the writer emits, behind a small interface.
 *
 * The writer (writer.c) decides which packet goes into which file; a
 * format only says what bytes a file and a record consist of.  pcap is the
 * one format today; pcapng (one interface block per input) and others
 * plug in as another struct format without touching the writer.
 */
#ifndef MTRACECAP_FORMAT_H
#define MTRACECAP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"

#define FORMAT_HDR_MAX	64	/* largest file or record header */

struct format {
	const char	*name;
	/* Header of a new file: link type (LINKTYPE_), snap length and the
	 * number of inputs.  Returns its length (<= FORMAT_HDR_MAX). */
	size_t		(*file_header)(unsigned char *buf, int linktype,
			    uint32_t snaplen, size_t ninputs);
	/* Header of the record holding rec (read from input); rec->caplen
	 * bytes of data follow it.  Returns its length (<= FORMAT_HDR_MAX). */
	size_t		(*record_header)(unsigned char *buf,
			    const struct queue_rec *rec, size_t input);
	/* Bytes after the data (padding, trailers); NULL if none. */
	size_t		(*record_trailer)(unsigned char *buf,
			    const struct queue_rec *rec);
	/* Whole size of a record of caplen bytes of data. */
	uint64_t	(*record_size)(uint32_t caplen);
	/* The latest stamp (ns since the epoch) a record holds; a later one
	 * is written as this (the writer counts such packets). */
	uint64_t	 max_ts_ns;
	/* ...and how it reads, for messages: "2106-02-07 ..." */
	const char	*max_ts_text;
};

/* pcap 2.4, microsecond stamps (magic 0xa1b2c3d4), host byte order. */
extern const struct format format_pcap;

#endif
