/*
 * format.h - the file format the writer emits, behind a small interface.
 *
 * The writer (writer.c) decides which packet goes into which file; a
 * format says what bytes a file, a record and a trailer consist of, which
 * link types one file can hold, and (for crash recovery, salvage.c) where
 * the last whole record of a file ends.  pcap with microsecond or
 * nanosecond stamps is what exists; pcapng (one interface block per
 * source, statistics in the trailer) plugs in as another struct format
 * without touching the writer or recovery.
 */
#ifndef MTRACECAP_FORMAT_H
#define MTRACECAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"
#include "segment.h"

#define FORMAT_HDR_MAX	64	/* largest record header; the first bytes
				 * of a file recovery reads to know it */

/* One source (input) as a file header describes it. */
struct format_source {
	const char	*name;		/* the URI as the user gave it */
	const char	*filter;	/* -F expression, or NULL */
	int		 linktype;	/* LINKTYPE_, or -1 until known */
	uint32_t	 snaplen;
	uint32_t	 ts_per_sec;	/* resolution of the stamps it hands
					 * over (queue records: ns) */
};

/*
 * Where a format puts the bytes of a file header or trailer (the
 * writer's output).  Returns 0, or -1 once the output has failed (it
 * counts and logs that itself).
 */
typedef int (*format_emit_fn)(void *ctx, const void *bytes, size_t len);

struct format {
	const char	*name;		/* for messages: "a pcap file" */
	/* The header of a new file holding src[0, n); written once the
	 * first packet comes (or at close): link types are known then.
	 * Returns what emit returned last. */
	int		(*file_header)(const struct format_source *src,
			    size_t n, format_emit_fn emit, void *ctx);
	/* Which link types a file can hold: the link type a packet of
	 * src[i] must have to go into a file of the sources src[0, n)
	 * (their link types as known so far), or -1 if any will do. */
	int		(*linktype_for)(const struct format_source *src,
			    size_t n, size_t i);
	/* Header of the record holding rec (read from input); rec->caplen
	 * bytes of data follow it.  Returns its length (<= FORMAT_HDR_MAX). */
	size_t		(*record_header)(unsigned char *buf,
			    const struct queue_rec *rec, size_t input);
	/* Bytes after the data (padding, trailers); NULL if none. */
	size_t		(*record_trailer)(unsigned char *buf,
			    const struct queue_rec *rec);
	/* Whole size of a record of caplen bytes of data. */
	uint64_t	(*record_size)(uint32_t caplen);
	/* What follows the last record (statistics per source, from seg),
	 * written just before the file is closed; NULL if nothing. */
	int		(*file_trailer)(const struct format_source *src,
			    const struct segment *seg, format_emit_fn emit,
			    void *ctx);
	/* The latest stamp (ns since the epoch) a record holds; a later one
	 * is written as this (the writer counts such packets). */
	uint64_t	 max_ts_ns;
	/* ...and how it reads, for messages: "2106-02-07 ..." */
	const char	*max_ts_text;

	/*
	 * Crash recovery: the length of the file header if h[0, len) (at
	 * least 4 bytes) begins a file of this format, in either byte
	 * order, else 0.  The length may exceed len (a file cut short).
	 */
	size_t		(*scan_header)(const unsigned char *h, size_t len);
	/* Bytes at the start of a record that give its size (<=
	 * FORMAT_HDR_MAX). */
	size_t		 scan_rechdr;
	/* The whole size of the record that starts with rh (scan_rechdr
	 * bytes) in the file whose header starts with h; 0 if no writer of
	 * this format produces such a record: garbage, or the zeros a power
	 * loss leaves past the end of the data. */
	uint64_t	(*scan_record)(const unsigned char *h,
			    const unsigned char *rh);
};

/* pcap 2.4, microsecond stamps (magic 0xa1b2c3d4), host byte order. */
extern const struct format format_pcap;
/* pcap 2.4, nanosecond stamps (magic 0xa1b23c4d), host byte order. */
extern const struct format format_pcap_ns;

/* The format the writer emits: pcap with nanosecond stamps if nano
 * (--time-stamp-precision=nano), else with microsecond ones. */
const struct format *format_select(bool nano);

/* The format whose file starts with h[0, len), or NULL (recovery). */
const struct format *format_sniff(const unsigned char *h, size_t len);

#endif
