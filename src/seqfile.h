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
 * Read path; *next is the number the next segment should use (0 when the
 * file does not exist or is empty).  Returns 0, or -1 with err naming the
 * file when it cannot be read or is corrupt.
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
