/*
 * manifest.h - NAME.json beside every completed file (--manifest).
 *
 * A manifest says what one file holds: its name, format, sequence number,
 * size and SHA-256 (of the bytes on disk: compressed when compressed),
 * packets, first and last packet time, disorders, the wall clock at open
 * and close, host, version, whether crash recovery made it, and per input
 * what it gave to this file.  It is built with jansson (names can hold
 * any byte; see manifest_json()), written under the temp name
 * tmp-manifest-<pid>-NAME.json (naming.h: recovery removes a leftover
 * one), fsync'ed and renamed to NAME.json *before* the data file is
 * renamed to NAME, so whoever sees NAME finds its manifest.  The schema
 * is documented in mtracecap(8), MANIFEST; field names are stable.
 * No state: any thread may call these (the finisher's, recovery's).
 */
#ifndef MTRACECAP_MANIFEST_H
#define MTRACECAP_MANIFEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input_gap.h"

/* A figure that is not known: written as null. */
#define MANIFEST_UNKNOWN	UINT64_MAX

/* What one input gave to one file (counts during that file). */
struct manifest_input {
	const char	*uri;		/* as the user gave it */
	const char	**ifnames;	/* its interfaces' names */
	size_t		 nifnames;
	uint64_t	 packets;	/* kept in this file */
	uint64_t	 bytes;		/* captured bytes handed to it */
	uint64_t	 kernel_drops;	/* all drops the source reported */
	uint64_t	 if_drops;	/* ...of which the interface's */
	uint64_t	 filtered;	/* MANIFEST_UNKNOWN: not counted */
	uint64_t	 lost;		/* given to the file, not in it */
	const struct input_gap *gaps;	/* that overlapped the file */
	size_t		 ngaps;
};

/* What a manifest says besides name, size and digest. */
struct manifest_file {
	const char	*format;	/* "pcap" or "pcapng"; NULL: unknown */
	bool		 has_seq;
	uint32_t	 seq;
	bool		 recovered;
	/* any of these may be MANIFEST_UNKNOWN */
	uint64_t	 packets;
	uint64_t	 first_ns;	/* packet times, ns since the epoch */
	uint64_t	 last_ns;
	uint64_t	 disorders;
	uint64_t	 start_ns;	/* wall clock at open and close */
	uint64_t	 close_ns;
	/* how addresses were anonymised (anon.h's note), NULL: kept */
	const char	*anonymised;
	const struct manifest_input *inputs;
	size_t		 ninputs;
};

/*
 * RFC 3339 in UTC with nanoseconds of ns since the epoch into buf (at
 * least MANIFEST_TIME_LEN bytes): "2023-11-14T22:13:20.000000000Z".
 * 0, or -1 when ns is past what gmtime can show.
 */
#define MANIFEST_TIME_LEN	40
int manifest_time(uint64_t ns, char *buf, size_t len);

/*
 * The JSON text (malloc'ed, the caller frees it) of the manifest of the
 * file whose base name is name (any bytes), size bytes with SHA-256 hex
 * digest sha256 (64 hex digits), on host host.  A string that is not
 * valid UTF-8 is written with each byte that is not part of a valid
 * sequence replaced by U+FFFD; for the file name (and each input's URI)
 * "file_b64" ("uri_b64") then holds the exact bytes in base64, else it is
 * null.  NULL with err when out of memory.
 */
char *manifest_json(const struct manifest_file *mf, const char *name,
    uint64_t size, const char *sha256, const char *host, char *err,
    size_t errlen);

/*
 * The manifest of the complete, fsync'ed file temp, which is about to be
 * renamed to want: picks the name it will get (want, or want.1, .2...
 * when a file of that name exists, as place_rename's no_replace does)
 * into final (flen bytes), reads temp back for its size and SHA-256
 * (stopping soon once *stop is set; stop may be NULL), writes
 * FINAL.json under its temp name, fsyncs it, renames it into place and
 * fsyncs the directory.  0; -1 with err naming the file (final is set
 * then too, to want if nothing better is known); -2 if stopped.
 */
int manifest_write(const char *temp, const char *want,
    const struct manifest_file *mf, const atomic_bool *stop, char *final,
    size_t flen, char *err, size_t errlen);

/*
 * Count the packets of the pcap or pcapng file path and their first and
 * last time (capcount.h: through "tool -dc" when compressed, tool being
 * gzip, bzip2, xz...; NULL when plain), for the manifest of a recovered
 * file.  0 with mf->format, packets, first_ns, last_ns set
 * (MANIFEST_UNKNOWN when there are no packets); -1 when it cannot be read
 * (err says why: the figures stay unknown); -2 if stopped.
 */
int manifest_count(const char *path, const char *tool,
    struct manifest_file *mf, const atomic_bool *stop, char *err,
    size_t errlen);

/*
 * The manifest of temp, a file crash recovery cut back (and, when tool is
 * not NULL, re-compressed) that is about to be renamed to want:
 * "recovered": true, the packets and their times counted from the file
 * (manifest_count), the sequence number from want's name, null for what
 * the file cannot tell (disorders, wall clock), no inputs.  Returns what
 * manifest_write() does (final: the name the file is to get).
 */
int manifest_recovered(const char *temp, const char *want, const char *tool,
    const atomic_bool *stop, char *final, size_t flen, char *err,
    size_t errlen);

#endif
