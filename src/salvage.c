/*
 * salvage.c - what of an interrupted temp file is still good (see
 * salvage.h): the walk over records, in memory and on a file, the
 * re-compressed copy of what a truncated stream still decompresses to,
 * and the checks that a file is ours to change at all.
 * What a record looks like is the format's business (format.h: its
 * scanner); this file knows no format.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <wandio.h>

#include "clock.h"
#include "compress.h"
#include "format.h"
#include "log.h"
#include "salvage.h"
#include "spawn.h"

#define STOP_POLL_MS	CLOCK_STOP_LATENCY_MS	/* longest wait before looking at stop */
#define LOCK_TICK_MS	CLOCK_STOP_LATENCY_MS
#define LOCK_WAIT_TICKS	50	/* of LOCK_TICK_MS: for an orphaned compressor */
#define STOP_CHECK_RECS	4096u	/* records scanned between looks at stop */

static bool
stopping(const atomic_bool *stop)
{
	return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

/*
 * The format of the file that starts with buf[0, len) and the length of
 * its file header (*hlen), or NULL if no format knows it or len does not
 * hold the whole header.
 */
static const struct format *
file_format(const unsigned char *buf, size_t len, size_t *hlen)
{
	const struct format *f = format_sniff(buf, len);

	if (f == NULL || (*hlen = f->scan_header(buf, len)) > len ||
	    *hlen > FORMAT_SCAN_MAX)
		return NULL;
	return f;
}

/* Whether the record that starts with rh and ends with tail (its last
 * f->scan_tail bytes) agrees with itself. */
static bool
tail_ok(const struct format *f, const unsigned char *h,
    const unsigned char *rh, const unsigned char *tail)
{
	return f->scan_tail == 0 || f->scan_tail_ok(h, rh, tail);
}

/* A whole record that starts with rh: one more packet if it holds one. */
static void
count_record(const struct format *f, const unsigned char *h,
    const unsigned char *rh, uint64_t *packets)
{
	if (f->scan_is_packet == NULL || f->scan_is_packet(h, rh))
		(*packets)++;
}

size_t
salvage_prefix(const unsigned char *buf, size_t len, uint64_t *records)
{
	const struct format *f;
	size_t off;

	*records = 0;
	if ((f = file_format(buf, len, &off)) == NULL)
		return 0;
	while (off + f->scan_rechdr <= len) {
		uint64_t size = f->scan_record(buf, buf + off);

		if (size == 0 || size > len - off ||
		    !tail_ok(f, buf, buf + off, buf + off + size - f->scan_tail))
			break;
		count_record(f, buf, buf + off, records);
		off += (size_t)size;
	}
	return off;
}

off_t
salvage_scan(int fd, off_t size, const atomic_bool *stop, uint64_t *records,
    bool *invalid)
{
	unsigned char h[FORMAT_SCAN_MAX], rh[FORMAT_HDR_MAX], tail[8];
	const struct format *f;
	size_t hlen;
	ssize_t got;
	off_t off;
	uint64_t seen = 0;

	*records = 0;
	*invalid = false;
	got = pread(fd, h, size < (off_t)sizeof(h) ? (size_t)size : sizeof(h),
	    0);
	if (got <= 0 || (f = file_format(h, (size_t)got, &hlen)) == NULL)
		return 0;
	off = (off_t)hlen;
	while (off + (off_t)f->scan_rechdr <= size) {
		uint64_t rsize;

		if (seen++ % STOP_CHECK_RECS == 0 && stopping(stop))
			return -1;
		if (pread(fd, rh, f->scan_rechdr, off) !=
		    (ssize_t)f->scan_rechdr)
			break;
		if ((rsize = f->scan_record(h, rh)) == 0)
			*invalid = true;
		if (rsize == 0 || rsize > (uint64_t)(size - off))
			break;
		if (f->scan_tail != 0 && (pread(fd, tail, f->scan_tail,
		    off + (off_t)rsize - (off_t)f->scan_tail) !=
		    (ssize_t)f->scan_tail || !tail_ok(f, h, rh, tail))) {
			/* the last block, cut inside (a crash); before others,
			 * corrupt */
			*invalid = off + (off_t)rsize < size;
			break;
		}
		count_record(f, h, rh, records);
		off += (off_t)rsize;
	}
	return off;
}

int
salvage_compressed_type(const unsigned char *m, size_t n)
{
	const struct compress_info *c = compress_sniff(m, n);

	/* the tools that print what they can of a stream cut short */
	if (c == NULL || (c->type != COMPRESS_GZ && c->type != COMPRESS_BZ2 &&
	    c->type != COMPRESS_XZ))
		return 0;
	return c->wandio;
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
	const char *tool = compress_by_wandio(type)->tool;
	char err[256] = "";
	int in;

	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    (in = spawn_decompress(tool, fd, NULL, pid, err,
	    sizeof(err))) < 0) {
		log_warn("cannot recover a %s stream: %s", tool,
		    err[0] != '\0' ? err : strerror(errno));
		return -1;
	}
	return in;
}

/*
 * read() from the decompressor's pipe, looking at the stop flag at least
 * every STOP_POLL_MS.  Returns what read() does, or -2 once stopping.
 */
static ssize_t
read_stoppable(const atomic_bool *stop, int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t n;

		if (stopping(stop))
			return -2;
		if ((n = poll(&pfd, 1, STOP_POLL_MS)) < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		if ((n = read(fd, buf, len)) < 0 && errno == EINTR)
			continue;
		return n;
	}
}

/* Bytes that the compressed file path decompresses to; -1 on error, -2
 * if stopped. */
static int64_t
readback_size(const char *path, int type, unsigned char *buf, size_t buflen,
    const atomic_bool *stop)
{
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
	while ((n = read_stoppable(stop, in, buf, buflen)) > 0)
		total += n;
	close(in);
	if (n < 0) {
		spawn_kill(pid);
		return n == -2 ? -2 : -1;
	}
	return spawn_finish(pid, "", e, sizeof(e)) == 0 ? total : -1;
}

/*
 * Write the complete records at the start of buf (have bytes; the file
 * header hdr of format f is out already) to w.  Returns the bytes
 * consumed; *bad if a record header no writer produced was met.
 */
static size_t
copy_records(iow_t *w, const struct format *f, const unsigned char *hdr,
    const unsigned char *buf, size_t have, uint64_t *records,
    uint64_t *written, bool *bad, bool *werr)
{
	size_t keep = 0;

	while (keep + f->scan_rechdr <= have) {
		uint64_t size = f->scan_record(hdr, buf + keep);

		if (size == 0) {
			*bad = true;
			break;
		}
		if (size > have - keep)
			break;
		if (!tail_ok(f, hdr, buf + keep, buf + keep + size -
		    f->scan_tail)) {
			/* the end of the stream cut inside it, unless more
			 * follows */
			*bad = have - keep > size;
			break;
		}
		*werr |= wandio_wwrite(w, buf + keep, (int64_t)size) !=
		    (off_t)size;
		*written += size;
		count_record(f, hdr, buf + keep, records);
		keep += (size_t)size;
	}
	return keep;
}

int
salvage_recompress(int fd, const char *out, int type, unsigned char *buf,
    size_t buflen, const atomic_bool *stop, uint64_t *records)
{
	unsigned char hdr[FORMAT_SCAN_MAX];
	const struct format *f = NULL;
	size_t have = 0, keep, hlen = 0;
	iow_t *w = NULL;
	bool bad = false, werr = false;
	uint64_t written = 0;
	int in;
	int64_t back = -1;
	pid_t pid;
	ssize_t n;

	*records = 0;
	if ((in = start_decompressor(type, fd, &pid)) < 0)
		return -1;
	while (!bad && !werr &&
	    (n = read_stoppable(stop, in, buf + have, buflen - have)) > 0) {
		have += (size_t)n;
		keep = 0;
		if (w == NULL) {
			if (have < 4)
				continue;
			if ((f = format_sniff(buf, have)) == NULL)
				break;
			hlen = f->scan_header(buf, have);
			if (hlen > FORMAT_SCAN_MAX || hlen > buflen)
				break;
			if (have < hlen)
				continue;
			memcpy(hdr, buf, hlen);
			w = wandio_wcreate(out, type, 6, O_EXCL | O_NOFOLLOW);
			if (w == NULL)
				break;
			werr |= wandio_wwrite(w, buf, (int64_t)hlen) !=
			    (off_t)hlen;
			written = keep = hlen;
		}
		keep += copy_records(w, f, hdr, buf + keep, have - keep,
		    records, &written, &bad, &werr);
		memmove(buf, buf + keep, have - keep);
		have -= keep;
	}
	close(in);
	spawn_kill(pid);
	if (w != NULL)
		wandio_wdestroy(w);
	if (stopping(stop))
		return -2;
	if (w == NULL || bad)
		return -1;
	/* wandio_wdestroy() cannot report a failed last write (disk
	 * full): the original goes only once the copy reads back whole */
	if (!werr && (back = readback_size(out, type, buf, buflen, stop)) == -2)
		return -2;
	if (werr || back != (int64_t)written) {
		log_error("cannot write the recovered copy '%s' (disk full?); "
		    "the original is kept", out);
		return -1;
	}
	return 0;
}

int
salvage_zero_tail(int fd, off_t off, off_t size, const atomic_bool *stop)
{
	unsigned char b[4096];

	for (unsigned blocks = 0; off < size; blocks++) {
		size_t want = size - off < (off_t)sizeof(b) ?
		    (size_t)(size - off) : sizeof(b);
		ssize_t n;

		if (blocks % 256 == 0 && stopping(stop))
			return -1;
		if ((n = pread(fd, b, want, off)) <= 0)
			return 0;
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != 0)
				return 0;
		off += n;
	}
	return 1;
}

/*
 * Why st may not be changed by recovery (NULL: it may): only a regular
 * file with one link that we own.  A hard link in DIR to a file elsewhere
 * must never be cut or replaced.
 */
const char *
salvage_unfit(const struct stat *st, char *why, size_t len)
{
	if (S_ISLNK(st->st_mode))
		return "it is a symbolic link";
	if (!S_ISREG(st->st_mode))
		return "it is not a regular file";
	if (st->st_nlink != 1) {
		snprintf(why, len, "it has %ju links (a hard link to a file "
		    "elsewhere?)", (uintmax_t)st->st_nlink);
		return why;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, len, "it is owned by uid %ju, not by uid %ju "
		    "that mtracecap runs as", (uintmax_t)st->st_uid,
		    (uintmax_t)geteuid());
		return why;
	}
	return NULL;
}

/*
 * Open path if it is fit (see salvage_unfit()), without following a link
 * and without blocking on a FIFO or device: lstat() first so that no
 * other kind of file is ever opened, then fstat() on the descriptor,
 * which is what counts.  Returns the fd with *st, or -1 (warned, naming
 * the file, unless it is gone).
 */
static int
open_fit(const char *path, struct stat *st)
{
	char why[128];
	const char *no;
	struct stat lst;
	int fd = -1;

	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT)
			log_warn("left '%s' alone: cannot look at it: %s",
			    path, strerror(errno));
		return -1;
	}
	if ((no = salvage_unfit(&lst, why, sizeof(why))) != NULL)
		goto unfit;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("left '%s' alone: cannot open it: %s",
			    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		log_warn("left '%s' alone: cannot look at it: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((no = salvage_unfit(st, why, sizeof(why))) != NULL)
		goto unfit;
	return fd;
unfit:
	log_warn("left '%s' alone: %s", path, no);
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * Take the lock on fd (path).  A running writer (or its compressor) holds
 * it: hands off.  The writer is gone (checked by the caller), so a holder
 * is its --pipeout child finishing the stream after it read EOF: give it
 * a moment.  0 when locked, else -1 (warned) or -2 (stopped).
 */
static int
lock_wait(int fd, const char *path, const atomic_bool *stop)
{
	struct timespec tick = clock_span(LOCK_TICK_MS * CLOCK_NS_PER_MS);

	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
		if (stopping(stop))
			return -2;
		if (errno == EWOULDBLOCK && i < LOCK_WAIT_TICKS) {
			nanosleep(&tick, NULL);
			continue;
		}
		log_warn("left '%s' alone: another process holds it locked",
		    path);
		return -1;
	}
	return 0;
}

int
salvage_open(const char *path, const atomic_bool *stop, int *fd,
    struct stat *st)
{
	int rc;

	if ((*fd = open_fit(path, st)) < 0)
		return -1;
	if ((rc = lock_wait(*fd, path, stop)) != 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}
