/*
 * naming.c - file name formatting for segments and their temporary names,
 * and the parser of those temporary names (for crash recovery).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "naming.h"

#define TEMP_PREFIX	"tmp-"
#define SCRATCH_PREFIX	"tmp-recover-"
#define MANIFEST_PREFIX	"tmp-manifest-"

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
		n = snprintf(buf, len, TEMP_PREFIX "%ld-%s", (long)pid,
		    final_path);
	else
		n = snprintf(buf, len, "%.*s" TEMP_PREFIX "%ld-%s",
		    (int)(slash - final_path + 1), final_path, (long)pid,
		    slash + 1);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* DIR/PREFIX PID-BASE SUFFIX; 0 or -1 when it does not fit. */
static int
prefixed(char *buf, size_t len, const char *dir, const char *prefix,
    pid_t pid, const char *base, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%ld-%s%s", dir, prefix, (long)pid,
	    base, suffix);

	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int
naming_scratch(char *buf, size_t len, const char *dir, pid_t pid,
    const char *base)
{
	return prefixed(buf, len, dir, SCRATCH_PREFIX, pid, base, "");
}

int
naming_manifest_temp(char *buf, size_t len, const char *dir, pid_t pid,
    const char *base)
{
	return prefixed(buf, len, dir, MANIFEST_PREFIX, pid, base, ".json");
}

/*
 * p starts "<digits>-<name>" with a non-empty <name> and no '/' in it:
 * *pid (-1 above INT_MAX) and *base, true; else false.
 */
static bool
parse_pid_base(const char *p, long *pid, const char **base)
{
	const char *q = p;
	long v = 0;

	for (; *q >= '0' && *q <= '9'; q++)
		if (v >= 0 && (v = v * 10 + (*q - '0')) > INT_MAX)
			v = -1;		/* no such pid can exist */
	if (q == p || *q != '-' || q[1] == '\0' || strchr(q + 1, '/') != NULL)
		return false;
	*pid = v;
	*base = q + 1;
	return true;
}

enum naming_kind
naming_parse_temp(const char *name, long *pid, const char **base)
{
	if (strncmp(name, SCRATCH_PREFIX, strlen(SCRATCH_PREFIX)) == 0)
		return parse_pid_base(name + strlen(SCRATCH_PREFIX), pid, base) ?
		    NAMING_SCRATCH : NAMING_OTHER;
	if (strncmp(name, MANIFEST_PREFIX, strlen(MANIFEST_PREFIX)) == 0)
		return parse_pid_base(name + strlen(MANIFEST_PREFIX), pid,
		    base) ? NAMING_MANIFEST : NAMING_OTHER;
	if (strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0)
		return parse_pid_base(name + strlen(TEMP_PREFIX), pid, base) ?
		    NAMING_TEMP : NAMING_OTHER;
	return NAMING_OTHER;
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

size_t
naming_manifest_longest(const char *ext)
{
	/* tmp-manifest-PID-NAME.N.json, N up to 3 digits (place.c) */
	return strlen(MANIFEST_PREFIX) + 10 + 1 + SEGMENT_LEN +
	    (ext != NULL ? strlen(ext) : 0) + 4 + strlen(".json");
}

uint32_t
naming_next_seq(uint32_t seq)
{
	return seq >= NAMING_SEQ_MAX ? 0 : seq + 1;
}
