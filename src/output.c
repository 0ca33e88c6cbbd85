/*
 * output.c - buffered, checked writes into a temp file renamed when done.
 *
 * Runs on the merger/writer thread only.  See output.h for the promises.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "naming.h"
#include "output.h"
#include "pipeout.h"

#define FILE_MODE	0640

struct output {
	char		 final[PATH_MAX];
	char		 temp[PATH_MAX];
	bool		 to_stdout;
	bool		 no_replace;
	int		 file_fd;	/* the temp file (or stdout) */
	int		 write_fd;	/* file_fd, or the compressor's stdin */
	pid_t		 child;

	unsigned char	*buf;
	size_t		 bufsize;
	size_t		 buflen;
	uint64_t	 buf_packets;	/* packets in buf */

	uint64_t	 appended;	/* bytes accepted */
	uint64_t	 good_offset;	/* file size at the last complete flush */
	uint64_t	 packets;	/* packets safely handed to the kernel */
	uint64_t	 lost;
	bool		 failed;
	char		 errmsg[PATH_MAX + 256];
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

static void
fail_output(struct output *o, const char *what)
{
	if (!o->failed) {
		snprintf(o->errmsg, sizeof(o->errmsg), "%s '%s': %s", what,
		    o->to_stdout ? "stdout" : o->temp, strerror(errno));
		log_error("%s", o->errmsg);
	}
	o->failed = true;
	/* what was buffered never reached the file */
	o->lost += o->buf_packets;
	o->buf_packets = 0;
	o->buflen = 0;
	/* cut a partial record off a plain file so it stays valid */
	if (!o->to_stdout && o->child == 0 && o->file_fd >= 0)
		(void)ftruncate(o->file_fd, (off_t)o->good_offset);
}

static int
flush(struct output *o)
{
	if (o->failed)
		return -1;
	if (o->buflen == 0)
		return 0;
	if (full_write(o->write_fd, o->buf, o->buflen) != 0) {
		fail_output(o, errno == EPIPE ? "--pipeout command closed "
		    "its input; writing" : "cannot write");
		return -1;
	}
	o->good_offset += o->buflen;
	o->packets += o->buf_packets;
	o->buf_packets = 0;
	o->buflen = 0;
	return 0;
}

struct output *
output_open(const struct output_params *p, char *err, size_t errlen)
{
	struct output *o;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->buf = malloc(p->bufsize)) == NULL) {
		log_seterr(err, errlen, "out of memory for the output buffer");
		free(o);
		return NULL;
	}
	o->bufsize = p->bufsize;
	o->file_fd = -1;
	o->write_fd = -1;
	o->no_replace = p->no_replace;
	o->to_stdout = strcmp(p->path, "-") == 0;
	if (o->to_stdout) {
		o->file_fd = STDOUT_FILENO;
		snprintf(o->final, sizeof(o->final), "-");
	} else {
		if (snprintf(o->final, sizeof(o->final), "%s", p->path) >=
		    (int)sizeof(o->final) ||
		    naming_temp(o->temp, sizeof(o->temp), p->path,
		    getpid()) != 0) {
			log_seterr(err, errlen, "output path too long: '%s'",
			    p->path);
			goto fail;
		}
		o->file_fd = open(o->temp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
		if (o->file_fd < 0) {
			log_seterr(err, errlen, "cannot create '%s': %s",
			    o->temp, strerror(errno));
			goto fail;
		}
	}
	o->write_fd = o->file_fd;
	if (p->pipeout_path != NULL) {
		if (pipeout_start(p->pipeout_path, p->pipeout_argv,
		    o->file_fd, &o->child, &o->write_fd, err, errlen) != 0)
			goto fail;
	}
	return o;
fail:
	output_abort(o);
	return NULL;
}

int
output_write(struct output *o, const void *hdr, size_t hlen,
    const void *data, size_t dlen, bool is_packet)
{
	size_t len = hlen + dlen;

	if (o->failed) {
		if (is_packet)
			o->lost++;
		return -1;
	}
	if (o->buflen + len > o->bufsize && flush(o) != 0) {
		if (is_packet)
			o->lost++;
		return -1;
	}
	o->appended += len;
	if (len > o->bufsize) {
		/* larger than the whole buffer: straight through */
		struct iovec iov[2] = {
			{ (void *)hdr, hlen }, { (void *)data, dlen },
		};
		ssize_t n;

		do {
			n = writev(o->write_fd, iov, 2);
		} while (n < 0 && errno == EINTR);
		if (n >= 0 && (size_t)n < len) {
			/* finish a short write with plain writes */
			size_t done = (size_t)n;

			if (done < hlen) {
				if (full_write(o->write_fd,
				    (const char *)hdr + done, hlen - done) != 0)
					n = -1;
				done = hlen;
			}
			if (n >= 0 && full_write(o->write_fd,
			    (const char *)data + (done - hlen),
			    len - done) != 0)
				n = -1;
		}
		if (n < 0) {
			fail_output(o, "cannot write");
			if (is_packet)
				o->lost++;
			return -1;
		}
		o->good_offset += len;
		if (is_packet)
			o->packets++;
		return 0;
	}
	memcpy(o->buf + o->buflen, hdr, hlen);
	if (dlen > 0)
		memcpy(o->buf + o->buflen + hlen, data, dlen);
	o->buflen += len;
	if (is_packet)
		o->buf_packets++;
	return 0;
}

int
output_flush(struct output *o)
{
	return flush(o);
}

uint64_t
output_bytes(const struct output *o)
{
	return o->appended;
}

bool
output_failed(const struct output *o)
{
	return o->failed;
}

const char *
output_path(const struct output *o)
{
	return o->final;
}

/* rename without replacing an existing file; falls back to link+unlink */
static int
rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link(from, to) != 0)
		return -1;
	return unlink(from);
}

static void
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Give the temp file its final name; -1 with err when impossible. */
static int
place(struct output *o, struct output_result *res, const char *suffix,
    char *err, size_t errlen)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s%s", o->final, suffix);
	if (!o->no_replace) {
		if (rename(o->temp, want) != 0)
			goto fail;
	} else if (rename_noreplace(o->temp, want) != 0) {
		/* a file of that name exists: keep both, never overwrite */
		int i;

		if (errno != EEXIST)
			goto fail;
		for (i = 1; i < 1000; i++) {
			int n = snprintf(want, sizeof(want), "%s%s.%d",
			    o->final, suffix, i);

			if (n < 0 || (size_t)n >= sizeof(want)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			if (rename_noreplace(o->temp, want) == 0)
				break;
			if (errno != EEXIST)
				goto fail;
		}
		if (i == 1000)
			goto fail;
		log_warn("'%s%s' exists already; wrote '%s' instead",
		    o->final, suffix, want);
	}
	fsync_dir_of(want);
	snprintf(res->final_path, sizeof(res->final_path), "%s", want);
	return 0;
fail:
	log_seterr(err, errlen, "cannot rename '%s' to '%s': %s", o->temp,
	    want, strerror(errno));
	return -1;
}

int
output_close(struct output *o, struct output_result *res, char *err,
    size_t errlen)
{
	char cerr[256] = "";
	int rc = 0;

	memset(res, 0, sizeof(*res));
	(void)flush(o);
	if (o->child != 0) {
		if (close(o->write_fd) != 0 && !o->failed) {
			fail_output(o, "cannot close the --pipeout pipe");
		}
		o->write_fd = -1;
		if (pipeout_finish(o->child, cerr, sizeof(cerr)) != 0) {
			log_error("'%s': %s", o->final, cerr);
			if (!o->failed) {
				snprintf(o->errmsg, sizeof(o->errmsg), "%s",
				    cerr);
				/* it may have lost anything it was given */
				o->lost += o->packets;
				o->packets = 0;
			}
			o->failed = true;
		}
		o->child = 0;
	}
	if (o->to_stdout) {
		res->packets = o->packets;
		res->lost = o->lost;
		res->failed = o->failed;
		snprintf(res->final_path, sizeof(res->final_path), "-");
		if (o->failed)
			log_seterr(err, errlen, "%s", o->errmsg);
		rc = o->failed ? -1 : 0;
		goto out;
	}
	if (fsync(o->file_fd) != 0 && !o->failed)
		fail_output(o, "cannot fsync");
	if (close(o->file_fd) != 0 && !o->failed)
		fail_output(o, "cannot close");
	o->file_fd = -1;
	res->packets = o->packets;
	res->lost = o->lost;
	res->failed = o->failed;
	if (o->failed && o->good_offset == 0 && o->child == 0 &&
	    o->packets == 0) {
		/* not even a file header made it: nothing worth keeping */
		unlink(o->temp);
		log_seterr(err, errlen, "%s", o->errmsg);
		rc = -1;
		goto out;
	}
	/* a compressor that failed left a stream we cannot vouch for */
	if (place(o, res, o->failed && o->errmsg[0] != '\0' &&
	    strstr(o->errmsg, "--pipeout") != NULL ? ".failed" : "", err,
	    errlen) != 0) {
		unlink(o->temp);
		res->lost += res->packets;
		res->packets = 0;
		rc = -1;
		goto out;
	}
	if (o->failed) {
		log_seterr(err, errlen, "%s", o->errmsg);
		rc = -1;
	}
out:
	free(o->buf);
	free(o);
	return rc;
}

void
output_abort(struct output *o)
{
	if (o == NULL)
		return;
	if (o->write_fd >= 0 && o->write_fd != o->file_fd)
		close(o->write_fd);
	if (o->child != 0) {
		char e[64];

		(void)pipeout_finish(o->child, e, sizeof(e));
	}
	if (!o->to_stdout && o->file_fd >= 0) {
		close(o->file_fd);
		unlink(o->temp);
	}
	free(o->buf);
	free(o);
}
