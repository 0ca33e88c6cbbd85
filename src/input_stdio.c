/*
 * input_stdio.c - pcap and pcapng from a pipe, a FIFO, standard input or
 * a decompressor child: read directly (input_stdio_read) or, for libpcap,
 * as a stdio stream.
 *
 * DESIGN
 * - A blocking read() (or libpcap's fread()) would keep the reader from
 *   seeing the stop flag while the writer is silent and would hold back a
 *   partial batch of packets.  So input_stdio_read() waits in poll():
 *   every INPUT_POLL_MS of silence it checks the stop flag (then reports
 *   end of file), and before it waits it publishes what is queued; when
 *   bytes are there it read()s what there is, up to the caller's size.
 *   The native pcapng reader calls it with big buffers; libpcap reaches it
 *   through a stdio cookie (input_stdio_fopen).  The first bytes, read to
 *   learn the kind, are handed back first, and so are bytes a reader
 *   hands back (input_stdio_unread) before it gives the stream to libpcap.
 * - A compressed file is read through "gzip -dc" (bzip2, xz, lzop) in a
 *   child process, which also spreads the work over two cores.  libwandio
 *   3.0.22 is not used for this: it crashes on corrupt compressed data.
 *   The child's exit status is the end of the stream: a failure is the
 *   input's (EIO to the reader, one log line naming the tool and the
 *   input).
 * - A stream is read by one thread at a time: the main thread while
 *   opening, then the stream's reader thread (libpcap calls the cookie
 *   from pcap_next_ex).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_stdio.h"
#include "input_backend.h"
#include "spawn.h"

struct input_stdio {
	int			 fd;
	struct input_stream	*st;
	unsigned char		*back;	/* bytes handed back, read first */
	size_t			 nback, off;
	pid_t			 child;	/* decompressor writing into fd, or 0 */
	const char		*tool;	/* its name */
	char			*why;	/* while opening: its failure, not logged */
	size_t			 whylen;
	/* once stopping: the bytes a pipe or FIFO held then, still to be
	 * read before the end */
	long			 stop_left;
	bool			 stop_seen;
};

int
input_stdio_reap(pid_t *child, const char *tool, const char *uri,
    const char *what, char *why, size_t whylen)
{
	char err[256];
	pid_t pid = *child;

	if (pid == 0)
		return 0;
	*child = 0;
	if (spawn_finish(pid, "", err, sizeof(err)) == 0)
		return 0;
	if (why != NULL)
		log_seterr(why, whylen, "'%s -dc' failed (%s): the "
		    "compressed %s is corrupt or truncated", tool, err, what);
	else
		log_error("input '%s': '%s -dc' failed (%s): the compressed "
		    "%s is corrupt or truncated", uri, tool, err, what);
	errno = EIO;
	return -1;
}

size_t
input_stdio_held(int fd)
{
	struct stat sb;
	int avail = 0;

	if (fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode) &&
	    ioctl(fd, FIONREAD, &avail) == 0 && avail > 0)
		return (size_t)avail;
	return 0;
}

/*
 * Stopping: what a pipe or FIFO held when the stop came was handed to
 * us by the kernel, so it is read (FIONREAD's count, once), then the
 * end.  Anything written after the stop, and the rest of a regular
 * file on standard input, is not.
 */
static ssize_t
drain_read(struct input_stdio *s, void *buf, size_t n)
{
	ssize_t r;

	if (!s->stop_seen) {
		s->stop_seen = true;
		s->stop_left = (long)input_stdio_held(s->fd);
	}
	while (s->stop_left > 0) {
		if ((size_t)s->stop_left < n)
			n = (size_t)s->stop_left;
		r = read(s->fd, buf, n);
		if (r > 0) {
			s->stop_left -= r;
			return r;
		}
		if (r == 0 || errno != EINTR)
			break;
	}
	s->stop_left = 0;
	return 0;
}

ssize_t
input_stdio_read(struct input_stdio *s, void *buf, size_t n)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	ssize_t r;

	if (s->off < s->nback) {
		r = (ssize_t)(s->nback - s->off < n ? s->nback - s->off : n);
		memcpy(buf, s->back + s->off, (size_t)r);
		s->off += (size_t)r;
		return r;
	}
	for (;;) {
		if (input_stream_stopping(s->st))
			return drain_read(s, buf, n);
		r = poll(&pfd, 1, 0);
		if (r == 0) {
			/* about to wait: hand over the packets read so far */
			if (s->st->q != NULL)
				queue_publish(s->st->q);
			r = poll(&pfd, 1, INPUT_POLL_MS);
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			r = read(s->fd, buf, n);
			if (r == 0 && input_stdio_reap(&s->child, s->tool,
			    s->st->src->uri, "data", s->why, s->whylen) != 0)
				return -1;
			if (r >= 0 || (errno != EINTR && errno != EAGAIN))
				return r;
		}
	}
}

int
input_stdio_unread(struct input_stdio *s, const void *buf, size_t n)
{
	unsigned char *b = NULL;

	if (n > 0 && (b = malloc(n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(b, buf, n);
	free(s->back);
	s->back = b;
	s->nback = n;
	s->off = 0;
	return 0;
}

void
input_stdio_close(struct input_stdio *s)
{
	if (s == NULL)
		return;
	close(s->fd);
	if (s->child != 0)	/* stopped early: nobody reads it now */
		spawn_kill(s->child);
	free(s->back);
	free(s);
}

static ssize_t
cookie_read(void *cookie, char *buf, size_t n)
{
	return input_stdio_read(cookie, buf, n);
}

static int
cookie_close(void *cookie)
{
	input_stdio_close(cookie);
	return 0;
}

FILE *
input_stdio_fopen(struct input_stdio *s, int *errnum)
{
	static const cookie_io_functions_t fns = {
		.read = cookie_read,
		.close = cookie_close,
	};
	FILE *fp;

	if ((fp = fopencookie(s, "r", fns)) == NULL) {
		*errnum = errno;
		input_stdio_close(s);
	}
	return fp;
}

/*
 * Read fd (which it then owns) as a stream and learn its kind; child is
 * the decompressor that writes into fd, if any (tool its name).  NULL
 * with *errnum on failure; when the child failed before the kind was
 * known, also with its reason in why (why[0] stays '\0' otherwise).
 */
static struct input_stdio *
stdio_fdopen(struct input_stream *st, int fd, pid_t child, const char *tool,
    enum in_kind *kind, int *errnum, char *why, size_t whylen)
{
	unsigned char head[4];
	struct input_stdio *s;
	size_t nhead = 0;
	ssize_t r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*errnum = errno;
		close(fd);
		if (child != 0)
			spawn_kill(child);
		return NULL;
	}
	s->st = st;
	s->fd = fd;
	s->child = child;
	s->tool = tool;
	if (why != NULL && whylen > 0) {
		s->why = why;
		s->whylen = whylen;
	}
	while (nhead < sizeof(head)) {
		r = input_stdio_read(s, head + nhead, sizeof(head) - nhead);
		if (r < 0 && s->why != NULL && s->why[0] != '\0') {
			/* not "not pcap": that error is the input's one line */
			*errnum = EIO;
			input_stdio_close(s);
			return NULL;
		}
		if (r <= 0)
			break;
		nhead += (size_t)r;
	}
	s->why = NULL;		/* from now on the reader logs it */
	*kind = input_sniff_magic(head, nhead);
	if (input_stdio_unread(s, head, nhead) != 0) {
		*errnum = errno;
		input_stdio_close(s);
		return NULL;
	}
	return s;
}

int
input_stdio_fd(const char *path)
{
	return strcmp(path, "-") == 0 ? fcntl(0, F_DUPFD_CLOEXEC, 3) :
	    open(path, O_RDONLY | O_CLOEXEC);
}

struct input_stdio *
input_stdio_open(struct input_stream *st, const char *path, enum in_kind *kind,
    int *errnum)
{
	int fd = input_stdio_fd(path);

	if (fd < 0) {
		*errnum = errno;
		return NULL;
	}
	return stdio_fdopen(st, fd, 0, NULL, kind, errnum, NULL, 0);
}

struct input_stdio *
input_stdio_compressed(struct input_stream *st, const char *path,
    const struct privs_user *child_as, enum in_kind *kind, char *err,
    size_t errlen)
{
	const char *uri = st->src->uri;
	unsigned char m[4] = { 0 };
	const char *tool;
	char why[256];
	ssize_t n;
	struct input_stdio *s;
	pid_t child;
	int fd, out, errnum = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (n = pread(fd, m, sizeof(m), 0)) < 0) {
		log_seterr(err, errlen, "cannot open input '%s': %s", uri,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((tool = input_sniff_decompressor(m, (size_t)n)) == NULL) {
		close(fd);
		log_seterr(err, errlen, "cannot read input '%s': it changed "
		    "while being opened", uri);
		return NULL;
	}
	out = spawn_decompress(tool, fd, child_as, &child, err, errlen);
	close(fd);
	if (out < 0) {
		snprintf(why, sizeof(why), "%s", err);
		log_seterr(err, errlen, "cannot read compressed input '%s': "
		    "%s", uri, why);
		return NULL;
	}
	s = stdio_fdopen(st, out, child, tool, kind, &errnum, why,
	    sizeof(why));
	if (s == NULL && why[0] != '\0')
		log_seterr(err, errlen, "cannot read compressed input '%s': "
		    "%s", uri, why);
	else if (s == NULL)
		log_seterr(err, errlen, "cannot read input '%s': %s", uri,
		    strerror(errnum));
	return s;
}
