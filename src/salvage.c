/*
 * salvage.c - what of an interrupted pcap temp file is still good (see
 * salvage.h): the record scanner, in memory and on a file, and the
 * re-compressed copy of what a truncated stream still decompresses to.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <wandio.h>

#include "clock.h"
#include "compress.h"
#include "log.h"
#include "pipeout.h"
#include "salvage.h"

#define PCAP_HDR	24u
#define PCAP_RECHDR	16u
#define MAX_CAPLEN	262144u
#define STOP_POLL_MS	CLOCK_STOP_LATENCY_MS	/* longest wait */
#define STOP_CHECK_RECS	4096u	/* records scanned between looks at stop */

static bool
stopping(const atomic_bool *stop)
{
	return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

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
salvage_pcap_prefix(const unsigned char *buf, size_t len, uint64_t *records)
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

bool
salvage_is_pcap(const unsigned char *m)
{
	return pcap_byteorder(m) != BO_NONE;
}

off_t
salvage_scan(int fd, off_t size, const atomic_bool *stop, uint64_t *records,
    bool *invalid)
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

		if (*records % STOP_CHECK_RECS == 0 && stopping(stop))
			return -1;
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
	    (in = pipeout_decompress(tool, fd, NULL, pid, err,
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
		pipeout_kill(pid);
		return n == -2 ? -2 : -1;
	}
	return pipeout_finish(pid, "", e, sizeof(e)) == 0 ? total : -1;
}

/*
 * Write the complete records at the start of buf (have bytes; the file
 * header is out already) to w.  Returns the bytes consumed; *bad if a
 * record header no writer produced was met.
 */
static size_t
copy_records(iow_t *w, const unsigned char *hdr, int bo,
    const unsigned char *buf, size_t have, uint64_t *records,
    uint64_t *written, bool *bad, bool *werr)
{
	size_t keep = 0;

	while (keep + PCAP_RECHDR <= have) {
		uint32_t cl = rec_caplen(hdr, buf + keep, bo);

		if (cl == UINT32_MAX) {
			*bad = true;
			break;
		}
		if (keep + PCAP_RECHDR + cl > have)
			break;
		*werr |= wandio_wwrite(w, buf + keep, PCAP_RECHDR + cl) !=
		    (off_t)(PCAP_RECHDR + cl);
		*written += PCAP_RECHDR + cl;
		keep += PCAP_RECHDR + cl;
		(*records)++;
	}
	return keep;
}

int
salvage_recompress(int fd, const char *out, int type, unsigned char *buf,
    size_t buflen, const atomic_bool *stop, uint64_t *records)
{
	unsigned char hdr[PCAP_HDR];
	size_t have = 0, keep;
	iow_t *w = NULL;
	bool bad = false, werr = false;
	uint64_t written = 0;
	int bo = BO_NONE, in;
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
			if (have < PCAP_HDR)
				continue;
			if ((bo = pcap_byteorder(buf)) == BO_NONE)
				break;
			memcpy(hdr, buf, PCAP_HDR);
			w = wandio_wcreate(out, type, 6, O_EXCL | O_NOFOLLOW);
			if (w == NULL)
				break;
			werr |= wandio_wwrite(w, buf, PCAP_HDR) != PCAP_HDR;
			written = keep = PCAP_HDR;
		}
		keep += copy_records(w, hdr, bo, buf + keep, have - keep,
		    records, &written, &bad, &werr);
		memmove(buf, buf + keep, have - keep);
		have -= keep;
	}
	close(in);
	pipeout_kill(pid);
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
