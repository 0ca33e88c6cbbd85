/*
 * input_sniff.h - what a URI names, without opening it for reading: its
 * format prefix, whether it is live, whether its path is a stream, and
 * what a file holds by its first bytes; from that, which backend reads
 * it.  Used by the reader core and its backends only.
 */
#ifndef MTRACECAP_IN_SNIFF_H
#define MTRACECAP_IN_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What a path holds, by its first bytes.  Classic pcap keeps 32-bit
 * unsigned stamps, which libpcap hands over sign-extended: IN_PCAP_US
 * and IN_PCAP_NS tell the pcap backend how to undo that.
 */
enum in_kind {
	IN_MISSING,
	IN_PCAP_US,		/* classic pcap, microsecond stamps */
	IN_PCAP_NS,		/* classic pcap, nanosecond stamps */
	IN_PCAPNG,
	IN_COMPRESSED,		/* gzip, bzip2, xz or lzo */
	IN_OTHER,
};

/* Which backend reads a URI. */
enum input_reader {
	INPUT_READER_PCAPFILE,	/* libpcap offline (and the native reader) */
	INPUT_READER_LIVE,		/* libpcap live capture */
	INPUT_READER_LIBTRACE,
};

struct input_sniff {
	enum input_reader	 reader;
	const char	*path;	/* into the URI: the file or device, or NULL */
	enum in_kind	 kind;	/* of a regular file (IN_OTHER otherwise) */
	bool		 stream; /* path is "-", a FIFO, a pipe, a device */
};

/* Length of the "format" part of uri ("ring" in "ring:eth0"), 0 if none. */
size_t input_sniff_format_len(const char *uri);
/* Whether uri's format part is fmt. */
bool input_sniff_has_format(const char *uri, const char *fmt);
/* Whether uri names a live capture (libpcap's or libtrace's). */
bool input_sniff_is_live(const char *uri);
/* Whether uri is one that libpcap's live backend reads (ring:, int:,
 * pcapint:) unless --libtrace-live. */
bool input_sniff_is_libpcap_live(const char *uri);

/* The tool ("gzip", ...) that decompresses a stream starting with the n
 * bytes at m, or NULL (zstd and lz4 are left to libtrace). */
const char *input_sniff_decompressor(const unsigned char *m, size_t n);
/* What a stream starting with the n bytes at m holds. */
enum in_kind input_sniff_magic(const unsigned char *m, size_t n);

/*
 * Whether path is read as a stream (standard input "-", a FIFO, a pipe, a
 * device: anything but a regular file or a directory), which cannot be
 * read twice.  A path stat() fails on is not: *errnum says why.
 */
bool input_sniff_path_is_stream(const char *path, int *errnum);

/*
 * Classify uri (libtrace_live: --libtrace-live): which backend, and for
 * a pcap file its path, what it holds (its first bytes are read) and
 * whether it is a stream.  0, or -1 with err naming the URI (a path that
 * cannot be opened).
 */
int input_sniff_uri(const char *uri, bool libtrace_live, struct input_sniff *s,
    char *err, size_t errlen);

#endif
