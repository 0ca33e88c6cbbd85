/*
 * recover.c - crash recovery of abandoned temp files (see recover.h).
 *
 * Runs in main before any thread starts.  A plain pcap temp file is cut
 * back in place to its last complete record (only record headers are
 * read); a compressed one (gz, bz2, xz: what libwandio writes) is
 * decompressed by gzip/bzip2/xz and its valid prefix re-compressed under
 * a new temp name;
 * anything else is kept as <name>.failed, since we cannot vouch for it.
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
#include <sys/wait.h>
#include <unistd.h>

#include <wandio.h>

#include "log.h"
#include "output.h"
#include "pipeout.h"
#include "recover.h"

#define PCAP_HDR	24u
#define PCAP_RECHDR	16u
#define MAX_CAPLEN	262144u

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
rec_caplen(const unsigned char *rh, int bo)
{
	uint32_t v;

	memcpy(&v, rh + 8, 4);
	return bo == BO_SWAPPED ? __builtin_bswap32(v) : v;
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
		uint32_t cl = rec_caplen(buf + off, bo);

		if (cl > MAX_CAPLEN || off + PCAP_RECHDR + cl > len)
			break;
		off += PCAP_RECHDR + cl;
		(*records)++;
	}
	return off;
}

/* Walk the record headers of a plain pcap file; returns the valid length. */
static off_t
scan_file(int fd, off_t size, uint64_t *records)
{
	unsigned char h[PCAP_HDR], rh[PCAP_RECHDR];
	off_t off = PCAP_HDR;
	int bo;

	*records = 0;
	if (size < (off_t)PCAP_HDR || pread(fd, h, sizeof(h), 0) != PCAP_HDR ||
	    (bo = pcap_byteorder(h)) == BO_NONE)
		return 0;
	while (off + (off_t)PCAP_RECHDR <= size) {
		uint32_t cl;

		if (pread(fd, rh, sizeof(rh), off) != PCAP_RECHDR)
			break;
		cl = rec_caplen(rh, bo);
		if (cl > MAX_CAPLEN || off + (off_t)(PCAP_RECHDR + cl) > size)
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
	char *path = pipeout_resolve(tool, NULL, 0);
	int p[2];

	if (path == NULL) {
		log_warn("cannot recover a %s stream: '%s' is not installed",
		    tool, tool);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		free(path);
		return -1;
	}
	*pid = fork();
	if (*pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (dup2(fd, STDIN_FILENO) < 0 ||
		    dup2(p[1], STDOUT_FILENO) < 0 ||
		    (devnull >= 0 && dup2(devnull, STDERR_FILENO) < 0))
			_exit(127);
		lseek(STDIN_FILENO, 0, SEEK_SET);
		execl(path, tool, "-dc", (char *)NULL);
		_exit(127);
	}
	free(path);
	close(p[1]);
	if (*pid < 0) {
		close(p[0]);
		return -1;
	}
	return p[0];
}

/*
 * Decompress fd and write its valid pcap prefix, re-compressed with the
 * same type, to out.  Returns 0 with *records set, -1 if nothing usable.
 */
static int
recompress(int fd, const char *out, int type, uint64_t *records)
{
	static unsigned char buf[1 << 20];
	size_t have = 0, keep;
	iow_t *w = NULL;
	uint64_t total_records = 0;
	bool header = false, bad = false;
	int bo = BO_NONE, in, status;
	pid_t pid;
	ssize_t n;

	if ((in = start_decompressor(type, fd, &pid)) < 0)
		return -1;
	while (!bad) {
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
			w = wandio_wcreate(out, type, 6, O_EXCL | O_NOFOLLOW);
			if (w == NULL)
				break;
			wandio_wwrite(w, buf, PCAP_HDR);
			keep = PCAP_HDR;
			header = true;
		}
		while (keep + PCAP_RECHDR <= have) {
			uint32_t cl = rec_caplen(buf + keep, bo);

			if (cl > MAX_CAPLEN) {
				bad = true;
				break;
			}
			if (keep + PCAP_RECHDR + cl > have)
				break;
			wandio_wwrite(w, buf + keep, PCAP_RECHDR + cl);
			keep += PCAP_RECHDR + cl;
			total_records++;
		}
		memmove(buf, buf + keep, have - keep);
		have -= keep;
	}
	close(in);
	(void)kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (w != NULL)
		wandio_wdestroy(w);
	*records = total_records;
	return header ? 0 : -1;
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
	ssize_t n;

	if (base == NULL || base[1] == '\0' || base == name + 4)
		return 0;
	for (const char *p = name + 4; p < base; p++)
		if (*p < '0' || *p > '9')
			return 0;
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
	/* a running writer (or its compressor) holds the lock: hands off */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
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
				log_warn("recovered '%s' from an interrupted run: "
				    "%" PRIu64 " complete packets", placed,
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
		off_t good = scan_file(fd, st.st_size, &records);

		if (good > 0) {
			if (good < st.st_size && ftruncate(fd, good) != 0) {
				log_error("cannot cut '%s' back to %lld bytes: %s",
				    path, (long long)good, strerror(errno));
				goto out;
			}
			(void)fsync(fd);
			if (output_place(path, final, true, placed,
			    plen, err, sizeof(err)) == 0) {
				log_warn("recovered '%s' from an interrupted "
				    "run: %" PRIu64 " complete packets, %lld "
				    "bytes of a partial packet dropped", placed,
				    records, (long long)(st.st_size - good));
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
