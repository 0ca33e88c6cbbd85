/*
 * naming.c - file name formatting for segments and their temporary names.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "naming.h"

int
naming_segment(char *buf, size_t len, const char *dir, time_t t, bool utc,
    uint32_t seq, const char *ext)
{
	struct tm tm;
	int n;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
		return -1;
	n = snprintf(buf, len, "%s%s%04d%02d%02d-%02d%02d%02d-%08u%s", dir,
	    (dir[0] != '\0' && dir[strlen(dir) - 1] != '/') ? "/" : "",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(seq % (NAMING_SEQ_MAX + 1)),
	    ext != NULL ? ext : "");
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int
naming_temp(char *buf, size_t len, const char *final_path, pid_t pid)
{
	const char *slash = strrchr(final_path, '/');
	int n;

	if (slash == NULL)
		n = snprintf(buf, len, "tmp-%ld-%s", (long)pid, final_path);
	else
		n = snprintf(buf, len, "%.*stmp-%ld-%s",
		    (int)(slash - final_path + 1), final_path, (long)pid,
		    slash + 1);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* YYYYMMDD-HHMMSS-NNNNNNNN */
#define SEGMENT_LEN	24
/* "tmp-" PID "-", PID at most 10 digits (pid_t is an int) */
#define TEMP_PREFIX_MAX	15

size_t
naming_longest(const char *ext)
{
	return TEMP_PREFIX_MAX + SEGMENT_LEN + (ext != NULL ? strlen(ext) : 0);
}

uint32_t
naming_next_seq(uint32_t seq)
{
	return seq >= NAMING_SEQ_MAX ? 0 : seq + 1;
}
