/*
 * pcapfile.h - a parser for classic (uncompressed, non-pcapng) pcap files.
 *
 * Pure functions over caller-supplied bytes: no I/O, no allocation, no
 * threads.  input_pcapfile.c's native reader reads regular pcap files in
 * big chunks and hands them here, which costs a fraction of libpcap's
 * per-packet fread()s.  What it produces matches libpcap 1.10
 * (sf-pcap.c) record for record: the same captured length cut to the
 * file's snapshot length, the same wire length, the same errors worded
 * the same way.  Everything this parser
 * does not reproduce exactly (modified-pcap magics, versions other than
 * 2.0 to 2.4, link types whose pseudo-headers libpcap rewrites, link
 * types with a maximum packet size other than 262144) is declined, and
 * the caller reads those files with libpcap.
 */
#ifndef MTRACECAP_PCAPFILE_H
#define MTRACECAP_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The layout of a classic pcap file: the one place these are defined
 * (the readers, the sniffing of inputs and the writer's formats share
 * them; recovery sees them through the format's scanner). */
#define PCAPFILE_MAGIC_US	0xa1b2c3d4u	/* microsecond fractions */
#define PCAPFILE_MAGIC_NS	0xa1b23c4du	/* nanosecond fractions */
#define PCAPFILE_HDRLEN		24	/* file header */
#define PCAPFILE_RECHDRLEN	16	/* per-record header */
#define PCAPFILE_MAXCAPLEN	262144u	/* libpcap's MAXIMUM_SNAPLEN */
/* the largest record (header and data) of a file pcapfile_header_parse()
 * accepts: a reading buffer must hold at least this much */
#define PCAPFILE_MAXREC		(PCAPFILE_RECHDRLEN + PCAPFILE_MAXCAPLEN)

/* A file header as read, and what libpcap derives from it. */
struct pcapfile_header {
	bool		swapped;	/* written in the other byte order */
	bool		nsec;		/* nanosecond fractions (else µs) */
	uint16_t	version_major;
	uint16_t	version_minor;
	uint32_t	snaplen;	/* as in the file */
	uint32_t	linktype;	/* the whole field, FCS/ext bits too */
	uint32_t	snapshot;	/* snaplen as libpcap adjusts it */
	int		lengths;	/* PCAPFILE_LEN_* (versions < 2.4) */
};

#define PCAPFILE_LEN_NORMAL	0	/* caplen, then wire length */
#define PCAPFILE_LEN_SWAPPED	1	/* the other way round (< 2.3) */
#define PCAPFILE_LEN_MAYBE	2	/* 2.3: swapped if caplen > len */

/* One record; data points into the buffer given to pcapfile_next(). */
struct pcapfile_rec {
	uint64_t		 ts_ns;		/* unsigned s + fraction (ns) */
	uint32_t		 caplen;	/* bytes at data, <= snapshot */
	uint32_t		 wirelen;
	const unsigned char	*data;
};

/*
 * The magic at m (4 bytes): PCAPFILE_MAGIC_US or PCAPFILE_MAGIC_NS, with
 * *swapped true if the file is in the other byte order; 0 for neither.
 */
uint32_t pcapfile_magic(const unsigned char *m, bool *swapped);

/*
 * Whether libpcap rewrites the records of link type lt (pseudo-headers
 * put in the reader's byte order when the file is swapped; the Linux USB
 * memory-mapped length fix-up always) or gives it a maximum packet size
 * other than 262144: a native reader leaves such files to libpcap (the
 * pcapng reader too).
 */
bool pcapfile_linktype_declined(uint32_t lt, bool swapped);

/*
 * Parse the file header: buf[0, len) holds the first bytes of the file,
 * at least PCAPFILE_HDRLEN of them unless the file is shorter (len is
 * then its size).  Returns 1 and fills *h for a classic pcap file this
 * parser reads like libpcap; 0 for anything else (pcapng, another magic,
 * another version, a link type it leaves to libpcap); -1 for a file too
 * short to hold a pcap header, with libpcap's error text in err.
 */
int pcapfile_header_parse(const void *buf, size_t len,
    struct pcapfile_header *h, char *err, size_t errlen);

/*
 * Parse the record at the start of buf[0, len); eof says that nothing
 * follows buf in the file.  Returns the size of the record in the file
 * (> 0) and fills *rec; 0 when buf holds only part of a record and !eof,
 * or nothing at all at eof (the clean end of the file); -1 for a record
 * libpcap refuses (a captured length over 262144 bytes, or cut short by
 * the end of the file), with libpcap's error text in err.
 */
ssize_t pcapfile_next(const struct pcapfile_header *h, const void *buf,
    size_t len, bool eof, struct pcapfile_rec *rec, char *err,
    size_t errlen);

#endif
