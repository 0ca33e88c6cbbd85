/*
 * recover.c - crash recovery of abandoned temp files (see recover.h).
 *
 * Runs in main before any thread starts.  A plain pcap temp file is cut
 * back in place to its last complete record (only record headers are
 * read); a compressed one (gz, bz2, xz: what libwandio writes) is
 * decompressed by gzip/bzip2/xz and its valid prefix re-compressed under
 * a new temp name;
 * anything else (not pcap, a corrupt stream, garbage after the records
 * rather than part of one record) is kept whole as <name>.failed, since we
 * cannot vouch for it.
 */
#include "config.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wandio.h>

#include "log.h"
#include "output.h"
#include "pipeout.h"
#include "recover.h"

#define PCAP_HDR	24u
#define PCAP_RECHDR	16u
#define MAX_CAPLEN	262144u
#define LOCK_WAIT_TICKS	50	/* of 100 ms: for an orphaned compressor */

enum { BO_NONE, BO_NATIVE, BO_SWAPPED };

static int
pcap_byteorder(const unsigned char *h)
{
	uint32_t m;

	memcpy(&m, h, 4);
	if (m == 0xa1b2c3d4u || m == 0xa1b23c4du)
		return BO_NATIVE;
	if (m == 0xd4c3b2a1u || m == 0x4d3cb2a1u)
		return BO_SWAPPED;
	return BO_NONE;
}

static uint32_t
rec_field(const unsigned char *rh, size_t at, int bo)
{
	uint32_t v;

	memcpy(&v, rh + at, 4);
	return bo == BO_SWAPPED ? __builtin_bswap32(v) : v;
}

/*
 * Caplen of the record header rh, or UINT32_MAX if it cannot be a record
 * that a pcap writer produced (we never write caplen > wire length, a
 * zero wire length or a fraction of a second >= 1 s): garbage, or the
 * zeros a power loss leaves past the end of the data, ends the prefix.
 */
static uint32_t
rec_caplen(const unsigned char *h, const unsigned char *rh, int bo)
{
	uint32_t magic, frac = rec_field(rh, 4, bo);
	uint32_t cl = rec_field(rh, 8, bo), wl = rec_field(rh, 12, bo);

	memcpy(&magic, h, 4);
	if (cl > MAX_CAPLEN || wl == 0 || cl > wl ||
	    frac >= (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u ?
	    1000000u : 1000000000u))
		return UINT32_MAX;
	return cl;
}

size_t
recover_pcap_prefix(const unsigned char *buf, size_t len, uint64_t *records)
{
	size_t off = PCAP_HDR;
	int bo;

	*records = 0;
	if (len < PCAP_HDR || (bo = pcap_byteorder(buf)) == BO_NONE)
		return 0;
	while (off + PCAP_RECHDR <= len) {
		uint32_t cl = rec_caplen(buf, buf + off, bo);

		if (cl == UINT32_MAX || off + PCAP_RECHDR + cl > len)
			break;
		off += PCAP_RECHDR + cl;
		(*records)++;
	}
	return off;
}

/*
 * Walk the record headers of a plain pcap file; returns the valid length.
 * *invalid: the walk stopped at a record header that no writer produced
 * (rather than at one cut short by the end of the file).
 */
static off_t
scan_file(int fd, off_t size, uint64_t *records, bool *invalid)
{
	unsigned char h[PCAP_HDR], rh[PCAP_RECHDR];
	off_t off = PCAP_HDR;
	int bo;

	*records = 0;
	*invalid = false;
	if (size < (off_t)PCAP_HDR || pread(fd, h, sizeof(h), 0) != PCAP_HDR ||
	    (bo = pcap_byteorder(h)) == BO_NONE)
		return 0;
	while (off + (off_t)PCAP_RECHDR <= size) {
		uint32_t cl;

		if (pread(fd, rh, sizeof(rh), off) != PCAP_RECHDR)
			break;
		cl = rec_caplen(h, rh, bo);
		if (cl == UINT32_MAX)
			*invalid = true;
		if (cl == UINT32_MAX || off + (off_t)(PCAP_RECHDR + cl) > size)
			break;
		off += PCAP_RECHDR + cl;
		(*records)++;
	}
	return off;
}

static int
compressed_type(const unsigned char *m, size_t n)
{
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return WANDIO_COMPRESS_ZLIB;
	if (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
		return WANDIO_COMPRESS_BZ2;
	if (n >= 4 && m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X')
		return WANDIO_COMPRESS_LZMA;
	return 0;
}

/*
 * Start "TOOL -dc" reading fd; returns the read end of its stdout, or -1.
 * libwandio's reader cannot be used here: it reads ahead in large blocks
 * and returns nothing at all from a stream whose end is missing, which is
 * exactly what a crash leaves; gzip, bzip2 and xz print what they can.
 */
static int
start_decompressor(int type, int fd, pid_t *pid)
{
	const char *tool = type == WANDIO_COMPRESS_ZLIB ? "gzip" :
	    type == WANDIO_COMPRESS_BZ2 ? "bzip2" : "xz";
	char err[256] = "";
	int in;

	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    (in = pipeout_decompress(tool, fd, NULL, pid, err,
	    sizeof(err))) < 0) {
		log_warn("cannot recover a %s stream: %s", tool,
		    err[0] != '\0' ? err : strerror(errno));
		return -1;
	}
	return in;
}

/* Bytes that the compressed file path decompresses to; -1 on error. */
static int64_t
readback_size(const char *path, int type)
{
	unsigned char b[65536];
	int64_t total = 0;
	char e[128];
	int fd, in;
	ssize_t n;
	pid_t pid;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	in = start_decompressor(type, fd, &pid);
	close(fd);
	if (in < 0)
		return -1;
	while ((n = read(in, b, sizeof(b))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
	}
	close(in);
	return pipeout_finish(pid, "", e, sizeof(e)) == 0 ? total : -1;
}

/*
 * Decompress fd and write its valid pcap prefix, re-compressed with the
 * same type, to out.  Returns 0 with *records set, -1 if nothing usable
 * or if what decompresses goes on past the prefix with something that is
 * not a partial record (garbage: the caller keeps the original).
 */
static int
recompress(int fd, const char *out, int type, uint64_t *records)
{
	static unsigned char buf[1 << 20];
	size_t have = 0, keep;
	iow_t *w = NULL;
	uint64_t total_records = 0;
	bool header = false, bad = false;
	unsigned char hdr[PCAP_HDR];
	int bo = BO_NONE, in;
	uint64_t written = 0;
	bool werr = false;
	pid_t pid;
	ssize_t n;

	if ((in = start_decompressor(type, fd, &pid)) < 0)
		return -1;
	while (!bad && !werr) {
		n = read(in, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		/* emit complete records; keep the incomplete tail */
		keep = 0;
		if (!header) {
			if (have < PCAP_HDR)
				continue;
			if ((bo = pcap_byteorder(buf)) == BO_NONE)
				break;
			memcpy(hdr, buf, PCAP_HDR);
			w = wandio_wcreate(out, type, 6, O_EXCL | O_NOFOLLOW);
			if (w == NULL)
				break;
			werr |= wandio_wwrite(w, buf, PCAP_HDR) != PCAP_HDR;
			written = PCAP_HDR;
			keep = PCAP_HDR;
			header = true;
		}
		while (keep + PCAP_RECHDR <= have) {
			uint32_t cl = rec_caplen(hdr, buf + keep, bo);

			if (cl == UINT32_MAX) {
				bad = true;
				break;
			}
			if (keep + PCAP_RECHDR + cl > have)
				break;
			werr |= wandio_wwrite(w, buf + keep,
			    PCAP_RECHDR + cl) != (off_t)(PCAP_RECHDR + cl);
			written += PCAP_RECHDR + cl;
			keep += PCAP_RECHDR + cl;
			total_records++;
		}
		memmove(buf, buf + keep, have - keep);
		have -= keep;
	}
	close(in);
	pipeout_kill(pid);
	if (w != NULL)
		wandio_wdestroy(w);
	*records = total_records;
	if (!header || bad)
		return -1;
	/* wandio_wdestroy() cannot report a failed last write (disk
	 * full): the original goes only once the copy reads back whole */
	if (werr || readback_size(out, type) != (int64_t)written) {
		log_error("cannot write the recovered copy '%s' (disk full?); "
		    "the original is kept", out);
		return -1;
	}
	return 0;
}

static bool
fits(int n, size_t len)
{
	return n >= 0 && (size_t)n < len;
}

static void
fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Is the pid of tmp-<pid>-... (digits from p to end) a running process? */
static bool
pid_running(const char *p, const char *end, long *pidp)
{
	long pid = 0;

	for (; p < end; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > INT_MAX)
			return false;	/* no such pid can exist */
	}
	*pidp = pid;
	/* our own pid: a previous incarnation (a container restarted);
	 * recovery runs before we create any file of our own */
	if (pid <= 0 || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Are the bytes of fd from off to size all zero (what a power loss leaves)? */
static bool
zero_tail(int fd, off_t off, off_t size)
{
	unsigned char b[4096];

	while (off < size) {
		size_t want = size - off < (off_t)sizeof(b) ?
		    (size_t)(size - off) : sizeof(b);
		ssize_t n = pread(fd, b, want, off);

		if (n <= 0)
			return false;
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != 0)
				return false;
		off += n;
	}
	return true;
}

/* Recover one temp file; returns 1 if recovered, 0 if skipped. */
static int
recover_one(const char *dir, const char *name, char *placed, size_t plen)
{
	char path[PATH_MAX], final[PATH_MAX];
	char tmp2[PATH_MAX], err[PATH_MAX + 128];
	const char *base = strchr(name + 4, '-');
	unsigned char m[4] = { 0 };
	uint64_t records = 0;
	struct stat st;
	int fd, type, rc = 0;
	long pid = 0;
	ssize_t n;

	if (base == NULL || base[1] == '\0' || base == name + 4)
		return 0;
	for (const char *p = name + 4; p < base; p++)
		if (*p < '0' || *p > '9')
			return 0;
	/*
	 * The process named in the temp name still runs: it may be writing
	 * the file (on another host's view of a shared directory the lock
	 * below is the real test), so hands off.  After a reboot the pid
	 * may belong to something else: then the operator must act.
	 */
	if (pid_running(name + 4, base, &pid)) {
		log_warn("left '%s/%s' alone: process %ld is running (if that "
		    "is not an mtracecap writing it, restart once it is gone "
		    "or rename the file)", dir, name, pid);
		return 0;
	}
	if (!fits(snprintf(path, sizeof(path), "%s/%s", dir, name),
	    sizeof(path)) ||
	    !fits(snprintf(final, sizeof(final), "%s/%s.failed", dir,
	    base + 1), sizeof(final)) ||
	    !fits(snprintf(tmp2, sizeof(tmp2), "%s/tmp-%ld-%s", dir,
	    (long)getpid(), base + 1), sizeof(tmp2)))
		return 0;
	/* final without ".failed" (which fitted, so this fits too) */
	final[strlen(final) - 7] = '\0';
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/*
	 * A running writer (or its compressor) holds the lock: hands off.
	 * The writer is gone (checked above), so a holder is its --pipeout
	 * child finishing the stream after it read EOF: give it a moment.
	 */
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
		struct timespec tick = { 0, 100000000L };

		if (errno == EWOULDBLOCK && i < LOCK_WAIT_TICKS) {
			nanosleep(&tick, NULL);
			continue;
		}
		log_warn("left '%s' alone: another process holds it locked",
		    path);
		close(fd);
		return 0;
	}
	n = pread(fd, m, sizeof(m), 0);
	if (n > 0 && pcap_byteorder(m) == BO_NONE &&
	    (type = compressed_type(m, (size_t)n)) != 0) {
		if (recompress(fd, tmp2, type, &records) == 0) {
			(void)chmod(tmp2, st.st_mode & 0777);
			fsync_path(tmp2);
			if (output_place(tmp2, final, true, placed,
			    plen, err, sizeof(err)) == 0) {
				unlink(path);
				log_warn("recovered '%s' of an interrupted run "
				    "as '%s': %" PRIu64 " complete packets "
				    "(what still decompressed)", path, placed,
				    records);
				rc = 1;
			} else {
				log_error("%s", err);
				unlink(tmp2);
			}
			goto out;
		}
		unlink(tmp2);
	} else if (n >= 0 && (n == 0 || pcap_byteorder(m) != BO_NONE)) {
		bool invalid;
		off_t good = scan_file(fd, st.st_size, &records, &invalid);

		/*
		 * A crash leaves at most part of one record after the last
		 * complete one (writes are whole records), or zeros after a
		 * power loss.  Anything else is not ours to cut: keep it all.
		 */
		if (good > 0 && invalid && !zero_tail(fd, good, st.st_size)) {
			log_warn("'%s': the %lld bytes after its %" PRIu64
			    " complete packets are not a partial packet",
			    path, (long long)(st.st_size - good), records);
			good = 0;
		}
		if (good > 0) {
			if (good < st.st_size && ftruncate(fd, good) != 0) {
				log_error("cannot cut '%s' back to %lld bytes: %s",
				    path, (long long)good, strerror(errno));
				goto out;
			}
			(void)fsync(fd);
			if (output_place(path, final, true, placed,
			    plen, err, sizeof(err)) == 0) {
				log_warn("recovered '%s' of an interrupted "
				    "run as '%s': %" PRIu64 " complete packets, "
				    "%lld bytes of a partial packet dropped",
				    path, placed, records,
				    (long long)(st.st_size - good));
				rc = 1;
			} else {
				log_error("%s", err);
			}
			goto out;
		}
		if (st.st_size == 0) {
			/* created, never written: nothing to keep */
			unlink(path);
			log_warn("removed empty '%s' of an interrupted run",
			    path);
			goto out;
		}
	}
	/* not something we can check: keep it, never as complete */
	snprintf(tmp2, sizeof(tmp2), "%.*s.failed", (int)(sizeof(tmp2) - 8),
	    final);
	if (output_place(path, tmp2, true, placed, plen, err,
	    sizeof(err)) == 0)
		log_warn("kept '%s' of an interrupted run as '%s': its "
		    "contents cannot be checked", path, placed);
	else
		log_error("%s", err);
out:
	close(fd);
	return rc;
}

int
recover_dir(const char *dir, void (*recovered)(const char *path, void *arg),
    void *arg, char *err, size_t errlen)
{
	char placed[PATH_MAX];

	DIR *d = opendir(dir);
	struct dirent *de;
	int count = 0;

	if (d == NULL) {
		log_seterr(err, errlen, "cannot read directory '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "tmp-", 4) == 0 &&
		    recover_one(dir, de->d_name, placed, sizeof(placed)) == 1) {
			count++;
			if (recovered != NULL)
				recovered(placed, arg);
		}
	}
	closedir(d);
	return count;
}
