/*
 * naming.h - output file names (pure string formatting and parsing, no
 * I/O).
 *
 * Segment files are DIR/YYYYMMDD-HHMMSS-NNNNNNNN<ext>, the scheme of
 * mtracecap 0.6; while a file is written it is DIR/tmp-<pid>-<name>, and
 * crash recovery's copy of one is DIR/tmp-recover-<pid>-<name>, and the
 * --manifest of <name> is written as DIR/tmp-manifest-<pid>-<name>.json.
 */
#ifndef MTRACECAP_NAMING_H
#define MTRACECAP_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define NAMING_SEQ_MAX	99999999u	/* 8 digits, then wraps to 0 */

/* Returns 0, or -1 if the name does not fit in len (or t is unusable). */
int naming_segment(char *buf, size_t len, const char *dir, time_t t,
    bool utc, uint32_t seq, const char *ext);
/* DIR/tmp-PID-BASE for final path DIR/BASE; 0 or -1 as above. */
int naming_temp(char *buf, size_t len, const char *final_path, pid_t pid);
/*
 * Length of the longest file name (one path component) that segments
 * with extension ext are given: the temporary name tmp-PID-... with a pid
 * of up to 10 digits, longer than the final name with ".failed" or a
 * ".N" added.  It must fit NAME_MAX.
 */
size_t naming_longest(const char *ext);
/* What a name in an output directory is (see naming_parse_temp()). */
enum naming_kind {
	NAMING_OTHER,	/* not one of our temporary names */
	NAMING_TEMP,	/* tmp-<pid>-<name>: a segment being written */
	NAMING_SCRATCH,	/* tmp-recover-<pid>-<name>: recovery's copy */
	NAMING_MANIFEST,/* tmp-manifest-<pid>-<name>: a manifest being
			 * written (<name> ends in .json) */
};

/*
 * Parse name (one path component, as readdir gives it): NAMING_TEMP,
 * NAMING_SCRATCH or NAMING_MANIFEST with *pid the pid in it (-1 if it is more than any pid
 * can be) and *base the final name <name> (pointing into name), or
 * NAMING_OTHER (*pid and *base untouched) for anything else: another
 * prefix, a pid that is not all digits or is empty, no '-' after it, an
 * empty <name>, or one with a '/'.
 */
enum naming_kind naming_parse_temp(const char *name, long *pid,
    const char **base);
/* DIR/tmp-recover-PID-BASE, for the temp file of final name DIR/BASE;
 * 0 or -1 as above. */
int naming_scratch(char *buf, size_t len, const char *dir, pid_t pid,
    const char *base);
/* DIR/tmp-manifest-PID-BASE.json, the temp name of BASE's manifest;
 * 0 or -1 as above. */
int naming_manifest_temp(char *buf, size_t len, const char *dir, pid_t pid,
    const char *base);
/* Length of the longest such temp name for segments with extension ext
 * (see naming_longest()). */
size_t naming_manifest_longest(const char *ext);
/* What naming_parse_segment() found in a completed segment's name. */
struct naming_parsed {
	unsigned	 year, mon, mday, hour, min, sec;	/* as written */
	uint64_t	 time_key;	/* YYYYMMDDHHMMSS as a number: orders
					 * the names' times (local or UTC, as
					 * they were written) */
	uint32_t	 seq;		/* NNNNNNNN */
	unsigned	 clash;		/* the ".N" placement added (place.c),
					 * 0 = none */
	bool		 manifest;	/* the name is <segment>.json */
};

/*
 * Is name (one path component) a completed segment of the scheme with
 * extension ext (NULL: ""): YYYYMMDD-HHMMSS-NNNNNNNN<ext>, maybe with the
 * ".N" (1 to 999, no leading zero) that placement adds on a clash, or
 * that name plus ".json" (its manifest)?  True with *out filled; false
 * (*out untouched) for any other name: another prefix or extension, a
 * field out of range (month 1-12, day 1-31, hour 0-23, minute 0-59,
 * second 0-60), a temp name, NAME.failed.  Pure.
 */
bool naming_parse_segment(const char *name, const char *ext,
    struct naming_parsed *out);
/* Sequence number after seq (wraps after NAMING_SEQ_MAX). */
uint32_t naming_next_seq(uint32_t seq);

#endif
