/*
 * input_relay.c - the relay of the libtrace backend (see input_relay.h).
 *
 * DESIGN
 * - A stream in a format only libtrace reads (erf:-, erf:FIFO) would
 *   block the reader in libtrace's read until data or end of file, deaf
 *   to SIGTERM.  A relay thread copies it into a pipe that libtrace reads
 *   instead, waiting in poll() and closing the pipe once told to stop
 *   (after what the stream's pipe held at the stop: the kernel handed
 *   it to us);
 *   the reader then reads on to that end of file, so nothing the relay
 *   took from the stream is left behind in libtrace's buffers.  Of an
 *   ERF stream it passes on whole records only, so that a stop never
 *   ends libtrace's file inside a record (a truncated packet, which
 *   would fail the input); the stream's own end passes on what it holds.
 *   A compressed ERF stream is relayed from a decompressor child (as
 *   compressed pcap files are read), so that its records can be seen.
 * - The relay thread starts in the main thread's open (libtrace reads
 *   the first bytes as it starts) and shares with the reader only the
 *   stop flag and the stream's done flag (read) and errnum (written,
 *   read after libtrace's end of file).  It needs no libtrace.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input_relay.h"
#include "input_stdio.h"
#include "input_backend.h"
#include "spawn.h"
#include "privs.h"

#define RELAY_READ		65536		/* the relay's read size */
#define ERF_HDRLEN		16		/* an ERF record's header */
#define ERF_MAXREC		65535		/* its 16-bit rlen */

void
input_relay_init(struct input_relay *r, struct input_stream *st)
{
	memset(r, 0, sizeof(*r));
	r->st = st;
	r->src = r->rd = r->wr = -1;
	atomic_init(&r->errnum, 0);
}

/*
 * Write all of buf into the relay's pipe (non-blocking), waiting in poll();
 * gives up (-1) on an error or once the reader is done.
 */
static int
relay_write(struct input_relay *r, const char *buf, size_t n)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = r->wr, .events = POLLOUT };
		ssize_t w = write(r->wr, buf, n);

		if (w >= 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;	/* EPIPE: libtrace let go */
		if (atomic_load(&r->st->done))
			return -1;
		(void)poll(&pfd, 1, INPUT_POLL_MS);
	}
	return 0;
}

/*
 * The decompressor for the stream fd, from its first bytes read without
 * taking them (pread of a regular file on standard input, tee(2) of a
 * pipe into a scratch pipe), or NULL: not compressed, shorter than a
 * magic, or neither (a compressed stream then passes as it comes, to
 * libtrace's own decompression).  Waits for the first 4 bytes or the
 * end, as libtrace's start would.
 */
static const char *
relay_peek_tool(int fd)
{
	unsigned char m[4];
	const struct timespec pause = { 0, 10000000 };	/* 10 ms */
	const char *tool = NULL;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct stat st;
	off_t at;
	ssize_t n = 0;
	int p[2];

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((at = lseek(fd, 0, SEEK_CUR)) >= 0 &&
		    pread(fd, m, sizeof(m), at) == (ssize_t)sizeof(m))
			tool = input_sniff_decompressor(m, sizeof(m));
		return tool;
	}
	if (pipe2(p, O_CLOEXEC) != 0)
		return NULL;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		n = tee(fd, p[1], sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && read(p[0], m, (size_t)n) != n))
			break;
		if (n == (ssize_t)sizeof(m)) {
			tool = input_sniff_decompressor(m, sizeof(m));
			break;
		}
		if (n == 0 || (pfd.revents & POLLHUP))
			break;		/* the end, before a magic */
		nanosleep(&pause, NULL);	/* a magic still arriving */
	}
	close(p[0]);
	close(p[1]);
	return tool;
}

/*
 * Of a compressed ERF stream, the decompressor's output is relayed (with
 * its records seen) instead of the stream.  0, or -1 with err.
 */
static int
relay_decompress(struct input_relay *r, const struct privs_user *child_as,
    char *err, size_t errlen)
{
	const char *tool = relay_peek_tool(r->src);
	char why[256];
	int out;

	if (tool == NULL)
		return 0;
	out = spawn_decompress(tool, r->src, child_as, &r->child, why,
	    sizeof(why));
	if (out < 0) {
		log_seterr(err, errlen, "cannot read compressed input '%s': "
		    "%s", r->st->src->uri, why);
		return -1;
	}
	close(r->src);
	r->src = out;
	r->tool = tool;
	return 0;
}

/*
 * How many of the len bytes at buf are whole records, which the relay may
 * pass on; the rest is the start of a record still arriving, held back.
 * An ERF record says its length (rlen: bytes 10-11 of its 16-byte header,
 * big-endian, the header included), so a stop ends libtrace's file between
 * two records: a record the stop cut is not a packet, not a truncated one
 * that fails the input.  *framed is cleared (for good: all bytes pass as
 * they come) for a compressed stream, whose records we cannot see, and for
 * an rlen under 16, which libtrace is to report as it finds it.
 */
static size_t
relay_whole(const unsigned char *buf, size_t len, bool *framed)
{
	size_t off = 0, rlen;

	if (*framed && len >= 4 && input_sniff_decompressor(buf, 4) != NULL)
		*framed = false;
	if (!*framed)
		return len;
	while (len - off >= ERF_HDRLEN) {
		rlen = (size_t)buf[off + 10] << 8 | buf[off + 11];
		if (rlen < ERF_HDRLEN) {
			*framed = false;
			return len;
		}
		if (len - off < rlen)
			break;
		off += rlen;
	}
	return off;
}

/*
 * The n bytes just read after the len held back at buf: pass on the
 * whole records (relay_whole), keep the rest at buf.  0, or -1 when the
 * pipe is gone.
 */
static int
relay_pass(struct input_relay *r, unsigned char *buf, size_t *len, size_t n,
    bool *framed)
{
	size_t whole;

	*len += n;
	whole = relay_whole(buf, *len, framed);
	if (relay_write(r, (char *)buf, whole) != 0)
		return -1;
	memmove(buf, buf + whole, *len - whole);
	*len -= whole;
	return 0;
}

/* Whether the relay is to stop reading the stream. */
static bool
relay_stopping(struct input_relay *r)
{
	return atomic_load(&r->errnum) != 0 ||
	    input_stream_stopping(r->st) || atomic_load(&r->st->done);
}

/*
 * Copy the stream into the pipe until its end, an error or the stop flag
 * (then what the stream's pipe or FIFO held at the stop); then close the
 * pipe: libtrace sees the end of its file.  Of an ERF
 * stream only whole records go on (relay_whole): at the stream's own end
 * the bytes held back follow (a stream that ends mid-record fails the
 * input as a file does); on a stop they are dropped, with a -v line.
 */
static void *
input_relay_thread(void *arg)
{
	struct input_relay *r = arg;
	/* room for a read beside the start of the longest ERF record */
	unsigned char buf[RELAY_READ + ERF_MAXREC];
	bool framed = r->framed;
	size_t len = 0, held = 0;

	/* started while the inputs open, before the main thread gives up
	 * its capabilities for itself alone: this thread needs none */
	if (privs_drop_thread_caps() != 0)
		atomic_store(&r->errnum, errno);
	while (!relay_stopping(r)) {
		struct pollfd pfd = { .fd = r->src, .events = POLLIN };
		int rc = poll(&pfd, 1, INPUT_POLL_MS);
		ssize_t n;

		if (rc == 0 || (rc < 0 && errno == EINTR))
			continue;
		if (rc < 0) {
			atomic_store(&r->errnum, errno);
			break;
		}
		n = read(r->src, buf + len, RELAY_READ);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			atomic_store(&r->errnum, errno);
		if (n == 0 && len > 0 && relay_write(r, (char *)buf, len) == 0)
			len = 0;	/* the stream's end: libtrace judges it */
		if (n == 0 && input_stdio_reap(&r->child, r->tool,
		    r->st->src->uri, "stream", NULL, 0) != 0)
			atomic_store(&r->errnum, EIO);
		if (n <= 0 || relay_pass(r, buf, &len, (size_t)n, &framed) != 0)
			break;
	}
	/* what the pipe held at the stop was handed to us: it goes on */
	if (atomic_load(&r->errnum) == 0 && input_stream_stopping(r->st) &&
	    !atomic_load(&r->st->done))
		held = input_stdio_held(r->src);
	while (held > 0) {
		ssize_t n = read(r->src, buf + len,
		    held < RELAY_READ ? held : RELAY_READ);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || relay_pass(r, buf, &len, (size_t)n, &framed) != 0)
			break;
		held -= (size_t)n;
	}
	if (len > 0 && framed && input_stream_stopping(r->st))
		log_info("input '%s': stopped with %zu byte(s) of a record not "
		    "yet read whole: not a packet", r->st->src->uri, len);
	if (r->child != 0) {	/* stopped early: nobody reads it */
		spawn_kill(r->child);
		r->child = 0;
	}
	close(r->wr);
	r->wr = -1;
	return NULL;
}

int
input_relay_open(struct input_relay *r, const struct privs_user *child_as,
    char **uri, char *err, size_t errlen)
{
	const char *in_uri = r->st->src->uri;
	size_t flen = input_sniff_format_len(in_uri);
	const char *path = in_uri + flen + 1;
	int p[2], rc, errnum = 0;

	*uri = NULL;
	/* a file libtrace reads itself, or says why it cannot */
	if (flen == 0 || input_sniff_is_live(in_uri) ||
	    !input_sniff_path_is_stream(path, &errnum))
		return 0;
	/* ERF records say their length: a stop cuts between two */
	r->framed = input_sniff_has_format(in_uri, "erf") ||
	    input_sniff_has_format(in_uri, "rawerf");
	if ((r->src = input_stdio_fd(path)) < 0) {
		log_seterr(err, errlen, "cannot open input '%s': %s", in_uri,
		    strerror(errno));
		return -1;
	}
	if (r->framed && relay_decompress(r, child_as, err, errlen) != 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) == 0) {
		r->rd = p[0];	/* closed by input_relay_close */
		r->wr = p[1];
	}
	if (r->rd < 0 || fcntl(p[1], F_SETFL, O_NONBLOCK) != 0 ||
	    asprintf(uri, "%.*s:/proc/self/fd/%d", (int)flen, in_uri,
	    p[0]) < 0) {
		log_seterr(err, errlen, "input '%s': cannot set up a pipe: %s",
		    in_uri, strerror(errno));
		*uri = NULL;
		return -1;
	}
	/* running already: libtrace reads the first bytes as it starts */
	if ((rc = pthread_create(&r->thread, NULL, input_relay_thread, r)) != 0) {
		log_seterr(err, errlen, "cannot start a relay for '%s': %s",
		    in_uri, strerror(rc));
		free(*uri);
		*uri = NULL;
		return -1;
	}
	r->started = true;
	return 0;
}

int
input_relay_errno(struct input_relay *r)
{
	return atomic_load(&r->errnum);
}

void
input_relay_join(struct input_relay *r)
{
	if (r->started) {
		pthread_join(r->thread, NULL);
		r->started = false;
	}
}

void
input_relay_close(struct input_relay *r)
{
	if (r->src >= 0)
		close(r->src);
	r->src = -1;
	if (r->child != 0)	/* the relay never ran */
		spawn_kill(r->child);
	r->child = 0;
	if (r->rd >= 0)
		close(r->rd);
	if (r->wr >= 0)
		close(r->wr);
	r->rd = r->wr = -1;
}
