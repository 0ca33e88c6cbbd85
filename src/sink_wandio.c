/*
 * sink_wandio.c - libwandio's in-process compressor as a sink.
 *
 * libwandio opens by name: it is given the target through /proc/self/fd
 * (same inode, our mode, no race with the exclusively created file).  It
 * does not report errors on close, so a target that can be read back (a
 * temp file: verify) is, and a stream that does not yield every byte
 * written is broken.  Any failure breaks the stream as a whole (no
 * keeps_prefix).  Used by the thread that owns the output only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wandio.h>

#include "log.h"
#include "sink.h"

struct sink_wandio {
	struct sink	 base;		/* first: a struct sink * is one of these */
	int		 fd;
	iow_t		*iow;
	bool		 verify;
	const char	*shown;
	const char	*temp;
};

static int
wandio_fail(const struct sink_wandio *w, char *err, size_t errlen)
{
	if (errno == 0)
		errno = EIO;
	log_seterr(err, errlen, "cannot compress into '%s': %s", w->shown,
	    strerror(errno));
	return -1;
}

static int
wandio_sink_write(struct sink *s, const void *buf, size_t len, char *err,
    size_t errlen)
{
	struct sink_wandio *w = (struct sink_wandio *)s;

	if (wandio_wwrite(w->iow, buf, (off_t)len) == (off_t)len)
		return 0;
	return wandio_fail(w, err, errlen);
}

static int
wandio_sink_write2(struct sink *s, const void *hdr, size_t hlen,
    const void *data, size_t dlen, char *err, size_t errlen)
{
	struct sink_wandio *w = (struct sink_wandio *)s;

	if (wandio_wwrite(w->iow, hdr, (off_t)hlen) == (off_t)hlen &&
	    wandio_wwrite(w->iow, data, (off_t)dlen) == (off_t)dlen)
		return 0;
	return wandio_fail(w, err, errlen);
}

/*
 * Read the compressed file back and check that it yields exactly the
 * bytes we gave libwandio: it ignores write errors while closing, and
 * this is the only way to know the trailer made it.  -1 with err.
 */
static int
verify_stream(const struct sink_wandio *w, uint64_t appended, char *err,
    size_t errlen)
{
	char self[64];
	static __thread char buf[1 << 16];
	uint64_t total = 0;
	io_t *io;
	off_t n;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", w->fd);
	errno = 0;
	if ((io = wandio_create(self)) == NULL) {
		log_seterr(err, errlen, "compressed file '%s' cannot be read "
		    "back: %s", w->temp, errno != 0 ? strerror(errno) :
		    "libwandio failed");
		return -1;
	}
	while ((n = wandio_read(io, buf, (off_t)sizeof(buf))) > 0)
		total += (uint64_t)n;
	wandio_destroy(io);
	if (n < 0 || total != appended) {
		log_seterr(err, errlen, "compressed file '%s' is incomplete: "
		    "%llu of %llu bytes can be read back", w->temp,
		    (unsigned long long)total, (unsigned long long)appended);
		return -1;
	}
	return 0;
}

static int
wandio_sink_finish(struct sink *s, bool failed, uint64_t appended)
{
	struct sink_wandio *w = (struct sink_wandio *)s;
	char err[PATH_MAX + 256];
	int rc = 0;

	wandio_wdestroy(w->iow);
	if (w->verify && verify_stream(w, appended, err, sizeof(err)) != 0) {
		log_error("%s", err);
		rc = -1;
	}
	free(w);
	return rc;
}

static void
wandio_sink_abort(struct sink *s)
{
	struct sink_wandio *w = (struct sink_wandio *)s;

	wandio_wdestroy(w->iow);
	free(w);
}

static const struct sink_ops wandio_ops = {
	.write = wandio_sink_write,
	.write2 = wandio_sink_write2,
	.finish = wandio_sink_finish,
	.abort = wandio_sink_abort,
	.keeps_prefix = false,
};

struct sink *
sink_wandio_open(int fd, int type, int level, bool verify, const char *shown,
    const char *temp, char *err, size_t errlen)
{
	struct sink_wandio *w;
	char self[64];

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_seterr(err, errlen, "out of memory for the output buffer");
		return NULL;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	errno = 0;
	w->iow = wandio_wcreate(self, type, level, O_CLOEXEC);
	if (w->iow == NULL) {
		log_seterr(err, errlen, "cannot start compression into '%s': "
		    "%s", shown, errno != 0 ? strerror(errno) :
		    "libwandio failed");
		free(w);
		return NULL;
	}
	w->base.ops = &wandio_ops;
	w->fd = fd;
	w->verify = verify;
	w->shown = shown;
	w->temp = temp;
	return &w->base;
}
