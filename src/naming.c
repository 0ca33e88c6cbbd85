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

/* n digits at p as a number, or -1 if one is not a digit. */
static long
digits(const char *p, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* p is "" or ".N" (1..999, no leading zero): *clash, true. */
static bool
parse_clash(const char *p, size_t len, unsigned *clash)
{
	long v;

	*clash = 0;
	if (len == 0)
		return true;
	if (len < 2 || len > 4 || p[0] != '.' || p[1] == '0' ||
	    (v = digits(p + 1, len - 1)) < 1)
		return false;
	*clash = (unsigned)v;
	return true;
}

bool
naming_parse_segment(const char *name, const char *ext,
    struct naming_parsed *out)
{
	static const char json[] = ".json";
	size_t elen = ext != NULL ? strlen(ext) : 0, len = strlen(name), rest;
	long f[7];
	struct naming_parsed p;
	const char *tail;

	if (len < SEGMENT_LEN + elen || name[8] != '-' || name[15] != '-')
		return false;
	f[0] = digits(name, 4);
	f[1] = digits(name + 4, 2);
	f[2] = digits(name + 6, 2);
	f[3] = digits(name + 9, 2);
	f[4] = digits(name + 11, 2);
	f[5] = digits(name + 13, 2);
	f[6] = digits(name + 16, 8);
	for (int i = 0; i < 7; i++)
		if (f[i] < 0)
			return false;
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return false;
	if (elen > 0 && memcmp(name + SEGMENT_LEN, ext, elen) != 0)
		return false;
	tail = name + SEGMENT_LEN + elen;
	rest = len - SEGMENT_LEN - elen;
	p.manifest = false;
	if (!parse_clash(tail, rest, &p.clash)) {
		/* <segment>[.N].json: a manifest */
		if (rest < sizeof(json) - 1 ||
		    strcmp(tail + rest - (sizeof(json) - 1), json) != 0 ||
		    !parse_clash(tail, rest - (sizeof(json) - 1), &p.clash))
			return false;
		p.manifest = true;
	}
	p.year = (unsigned)f[0];
	p.mon = (unsigned)f[1];
	p.mday = (unsigned)f[2];
	p.hour = (unsigned)f[3];
	p.min = (unsigned)f[4];
	p.sec = (unsigned)f[5];
	p.seq = (uint32_t)f[6];
	p.time_key = ((((uint64_t)p.year * 100 + p.mon) * 100 + p.mday) *
	    100 + p.hour) * 10000 + p.min * 100 + p.sec;
	*out = p;
	return true;
}

uint32_t
naming_next_seq(uint32_t seq)
{
	return seq >= NAMING_SEQ_MAX ? 0 : seq + 1;
}
