/*
 * format.h - the file format the writer emits, behind a small interface.
 *
 * The writer (writer.c) decides which packet goes into which file; a
 * format says what bytes a file, a record and a trailer consist of, which
 * link types one file can hold, and (for crash recovery, salvage.c) where
 * the last whole record of a file ends.  pcap with microsecond or
 * nanosecond stamps (format_pcap.c) and pcapng (format_pcapng.c: one
 * interface block per interface of every source, statistics per
 * interface in the trailer) are what exists.
 */
#ifndef MTRACECAP_FORMAT_H
#define MTRACECAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input_iface.h"
#include "queue.h"
#include "segment.h"

#define FORMAT_HDR_MAX	64	/* largest record header or trailer */
#define FORMAT_REC_EXTRA (2 * FORMAT_HDR_MAX) /* a record's bytes besides
				 * its data, at most */
#define FORMAT_SCAN_MAX	1024	/* largest file header recovery knows;
				 * the first bytes it reads of a file */

/* One source (input) as a file header describes it. */
struct format_source {
	const char	*name;		/* the URI as the user gave it */
	const char	*filter;	/* -F expression, or NULL */
	int		 linktype;	/* LINKTYPE_, or -1 until known */
	uint32_t	 snaplen;
	uint32_t	 ts_per_sec;	/* resolution of the stamps it hands
					 * over (queue records: ns) */
	const char	*anon;		/* how its addresses are anonymised
					 * (anon.h's note), NULL: kept */
};

/*
 * One interface of a file (pcapng: one Interface Description Block, its
 * id its index in struct format_file): an interface of an input, with
 * the link type its packets have.  The writer (writer_sources.c) keeps
 * the list per file; a format that has no interfaces ignores it.
 */
struct format_iface {
	uint32_t		 id;		/* in the file */
	size_t			 input;		/* which input */
	uint32_t		 iface;		/* which of its interfaces */
	const struct input_iface *desc;		/* its identity */
	const char		*filter;	/* -F expression, or NULL */
	int			 linktype;	/* of every packet of it */
	uint32_t		 snaplen;
	uint8_t			 tsresol;	/* if_tsresol written (decimal) */
	uint64_t		 ns_per_unit;	/* 10^(9 - tsresol) */
	bool			 sole;		/* the input's only interface:
						 * its counters are this one's */
	bool			 filtered_known; /* the input counts what
						 * its filter rejects */
	uint64_t		 start_ns;	/* when the input started */
	uint64_t		 packets;	/* in this file */
	uint64_t		 bytes;		/* captured bytes in this file */
	uint64_t		 delivered;	/* to files so far, this one's
						 * included (set at its end) */
};

/* The interfaces of one file, in the order of their ids. */
struct format_file {
	struct format_iface	*ifs;
	size_t			 n;
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
			    size_t n, const struct format_file *f,
			    format_emit_fn emit, void *ctx);
	/* Interfaces: whether records name one of f (else f is empty and
	 * the next two are NULL). */
	bool		 ifaces;
	/* f->ifs[id] was added to a file whose header is written. */
	int		(*iface_added)(const struct format_file *f, size_t id,
			    format_emit_fn emit, void *ctx);
	/* For -S: the most bytes iface_added() writes for an interface d
	 * (with the -F filter, or NULL), and the most file_trailer()
	 * writes for f; NULL when nothing. */
	uint64_t	(*iface_size)(const struct input_iface *d,
			    const char *filter);
	uint64_t	(*trailer_size)(const struct format_file *f);
	/* Which link types a file can hold: the link type a packet of
	 * src[i] must have to go into a file of the sources src[0, n)
	 * (their link types as known so far), or -1 if any will do. */
	int		(*linktype_for)(const struct format_source *src,
			    size_t n, size_t i);
	/* Header of the record holding rec (read from input, of the file's
	 * interface fi; NULL without ifaces); rec->caplen bytes of data
	 * follow it.  Returns its length (<= FORMAT_HDR_MAX). */
	size_t		(*record_header)(unsigned char *buf,
			    const struct queue_rec *rec, size_t input,
			    const struct format_iface *fi);
	/* Bytes after the data (padding, options; <= FORMAT_HDR_MAX);
	 * NULL if none. */
	size_t		(*record_trailer)(unsigned char *buf,
			    const struct queue_rec *rec);
	/* Whole size of the record of rec. */
	uint64_t	(*record_size)(const struct queue_rec *rec);
	/* The whole record of rec at buf (room for rec->caplen +
	 * FORMAT_REC_EXTRA bytes): header, data, trailer, in one call (the
	 * per-packet path).  Returns its size, record_size(rec). */
	size_t		(*record_write)(unsigned char *buf,
			    const struct queue_rec *rec, size_t input,
			    const struct format_iface *fi);
	/* What follows the last record (statistics per interface of f,
	 * from seg), written just before the file is closed; NULL if
	 * nothing. */
	int		(*file_trailer)(const struct format_source *src,
			    const struct format_file *f,
			    const struct segment *seg, format_emit_fn emit,
			    void *ctx);
	/* Classic pcap: the file magic (PCAPFILE_MAGIC_*) of whose records
	 * (host byte order, queue_rec.raw) record_write() would write the
	 * very same bytes, so the writer writes them as they are; 0: none. */
	uint32_t	 raw_magic;
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
	/* Bytes at the end of a record that must agree with its start (0:
	 * none), and whether the last scan_tail bytes tail of the record
	 * that starts with rh do. */
	size_t		 scan_tail;
	bool		(*scan_tail_ok)(const unsigned char *h,
			    const unsigned char *rh, const unsigned char *tail);
	/* Whether the record that starts with rh holds a packet; NULL:
	 * every record does. */
	bool		(*scan_is_packet)(const unsigned char *h,
			    const unsigned char *rh);
};

/* pcap 2.4, microsecond stamps (magic 0xa1b2c3d4), host byte order. */
extern const struct format format_pcap;
/* pcap 2.4, nanosecond stamps (magic 0xa1b23c4d), host byte order. */
extern const struct format format_pcap_ns;

/* pcapng (draft-ietf-opsawg-pcapng), host byte order. */
extern const struct format format_pcapng;

/* The format the writer emits: pcapng if pcapng, else pcap with
 * nanosecond stamps if nano (--time-stamp-precision=nano), else with
 * microsecond ones. */
const struct format *format_select(bool pcapng, bool nano);

/* The format whose file starts with h[0, len), or NULL (recovery). */
const struct format *format_sniff(const unsigned char *h, size_t len);

#endif
