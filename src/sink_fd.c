/*
 * sink_fd.c - the plain sink: write(2) straight into the target.
 *
 * Writes retry on EINTR and finish short writes, so a write either put
 * every byte in or failed with errno; what was written before a failure
 * ends at the last successful write (keeps_prefix).  The one sink that
 * takes a list of pieces (writev), so records can be written from the
 * buffers they were read into.  Used by the thread that owns the output,
 * or its write-behind thread (output_async.c), one at a time.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "sink.h"

/* fd_writev hands the caller's whole list to one writev(2) */
#if defined(IOV_MAX) && SINK_IOV_MAX > IOV_MAX
#error "SINK_IOV_MAX exceeds this system's IOV_MAX"
#endif

struct sink_fd {
	struct sink	 base;		/* first: a struct sink * is one of these */
	int		 fd;
	const char	*shown;
	const char	*epipe;
};

static int
full_write(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The message of a failed write (errno says why); -1 for the caller. */
static int
fd_fail(const struct sink_fd *f, char *err, size_t errlen)
{
	const char *what = errno == EPIPE && f->epipe != NULL ? f->epipe :
	    "cannot write";

	log_seterr(err, errlen, "%s '%s': %s", what, f->shown,
	    strerror(errno));
	return -1;
}

static int
fd_write(struct sink *s, const void *buf, size_t len, char *err,
    size_t errlen)
{
	struct sink_fd *f = (struct sink_fd *)s;

	return full_write(f->fd, buf, len) == 0 ? 0 : fd_fail(f, err, errlen);
}

/* One writev for both pieces, a short one finished with plain writes. */
static int
fd_write2(struct sink *s, const void *hdr, size_t hlen, const void *data,
    size_t dlen, char *err, size_t errlen)
{
	struct sink_fd *f = (struct sink_fd *)s;
	struct iovec iov[2] = {
		{ (void *)hdr, hlen }, { (void *)data, dlen },
	};
	size_t len = hlen + dlen, done;
	ssize_t n;

	do {
		n = writev(f->fd, iov, 2);
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n < len) {
		done = (size_t)n;
		if (done < hlen) {
			if (full_write(f->fd, (const char *)hdr + done,
			    hlen - done) != 0)
				n = -1;
			done = hlen;
		}
		if (n >= 0 && full_write(f->fd,
		    (const char *)data + (done - hlen), len - done) != 0)
			n = -1;
	}
	return n < 0 ? fd_fail(f, err, errlen) : 0;
}

/*
 * The pieces in order with as few writev(2) calls as the kernel allows.
 * The caller's list is const and nothing is allocated here, so a piece
 * that a short write cut in two is finished with plain writes and the
 * next writev starts at the piece after it.
 */
static int
fd_writev(struct sink *s, const struct iovec *iov, int iovcnt, char *err,
    size_t errlen)
{
	struct sink_fd *f = (struct sink_fd *)s;
	ssize_t n;
	size_t done;

	for (;;) {
		/* empty pieces would make a writev that returns 0 look like
		 * a device that takes nothing */
		while (iovcnt > 0 && iov->iov_len == 0) {
			iov++;
			iovcnt--;
		}
		if (iovcnt == 0)
			return 0;
		n = writev(f->fd, iov, iovcnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return fd_fail(f, err, errlen);
		done = (size_t)n;
		while (iovcnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (done > 0) {
			if (full_write(f->fd, (const char *)iov->iov_base + done,
			    iov->iov_len - done) != 0)
				return fd_fail(f, err, errlen);
			iov++;
			iovcnt--;
		}
	}
}

/* Nothing is held back: the end of the stream is the output's close. */
static int
fd_finish(struct sink *s, bool failed, uint64_t appended)
{
	free(s);
	return 0;
}

static void
fd_abort(struct sink *s)
{
	free(s);
}

static const struct sink_ops fd_ops = {
	.write = fd_write,
	.write2 = fd_write2,
	.writev = fd_writev,
	.finish = fd_finish,
	.abort = fd_abort,
	.keeps_prefix = true,
};

struct sink *
sink_fd_open(int fd, const char *shown, const char *epipe, char *err,
    size_t errlen)
{
	struct sink_fd *f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_seterr(err, errlen, "out of memory for the output buffer");
		return NULL;
	}
	f->base.ops = &fd_ops;
	f->fd = fd;
	f->shown = shown;
	f->epipe = epipe;
	return &f->base;
}
