/*
 * seqfile.h - the sequence number kept across restarts (-N FILE).
 *
 * The file holds the number of the last segment opened, in decimal,
 * followed by one newline (the format of mtracecap 0.6).
 */
#ifndef MTRACECAP_SEQFILE_H
#define MTRACECAP_SEQFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Can seqfile_save() work for path: its directory exists and is writable
 * (access(2): by the real uid) and the temporary name path.tmp-PID fits
 * NAME_MAX?  Found only at the first file, any of these lost packets: check
 * at startup, again after dropping privileges.  0, or -1 with err.
 */
int seqfile_check(const char *path, char *err, size_t errlen);
/*
 * Read path; *next is the number the next segment should use (0 when the
 * file does not exist or is empty).  Returns 0, or -1 with err naming the
 * file when it cannot be read or is corrupt, when it is not a regular file
 * (a FIFO, a device, a directory, a symbolic link: never opened then), or
 * when seqfile_check() fails.
 */
int seqfile_load(const char *path, uint32_t *next, char *err, size_t errlen);
/*
 * Parse the contents of a seqfile (len bytes, not NUL-terminated).
 * Returns 0 with *next set, or -1 with err filled.
 */
int seqfile_parse(const char *buf, size_t len, uint32_t *next, char *err,
    size_t errlen);
/* Store seq atomically (temp file, fsync, rename).  0 or -1 with err. */
int seqfile_save(const char *path, uint32_t seq, char *err, size_t errlen);

#endif
