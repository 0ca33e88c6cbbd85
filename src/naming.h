/*
 * naming.h - output file names (pure string formatting, no I/O).
 *
 * Segment files are DIR/YYYYMMDD-HHMMSS-NNNNNNNN<ext>, the scheme of
 * mtracecap 0.6; while a file is written it is DIR/tmp-<pid>-<name>.
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
/* Sequence number after seq (wraps after NAMING_SEQ_MAX). */
uint32_t naming_next_seq(uint32_t seq);

#endif
