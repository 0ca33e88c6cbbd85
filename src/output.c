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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <wandio.h>

#include "log.h"
#include "naming.h"
#include "output.h"
#include "pipeout.h"
#include "spawn.h"

#define FILE_MODE	0640
#define PIPEOUT_WHO	"--pipeout command"	/* subject of its errors */
#define FIFO_POLL_NS	50000000L	/* a fifo without a reader: retry */

struct output {
	char		 final[PATH_MAX];
	char		 temp[PATH_MAX];
	bool		 to_stdout;
	bool		 direct;	/* an existing fifo or device, no temp */
	bool		 no_replace;
	int		 file_fd;	/* the temp file (or stdout, fifo...) */
	int		 write_fd;	/* file_fd, or the compressor's stdin */
	pid_t		 child;
	struct pipeout_watch watch;	/* how the child keeps up */
	bool		 child_stalled;	/* it took nothing for too long */
	iow_t		*iow;		/* libwandio compressor, or NULL */
	/* the file cannot be vouched for (a compressed stream not known to
	 * be complete, a torn record that could not be cut off): it is kept
	 * as NAME.failed and none of its packets counts as written */
	bool		 stream_broken;

	unsigned char	*buf;
	size_t		 bufsize;
	size_t		 buflen;
	uint64_t	 buf_packets;	/* packets in buf */
	uint64_t	*buf_by;	/* per input, of buf_packets (while !failed) */
	uint64_t	*kept;		/* per input, of packets (caller's), or NULL */
	size_t		 ninputs;

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

/* The name the file has while we write it, for messages. */
static const char *
shown_name(const struct output *o)
{
	if (o->to_stdout)
		return "stdout";
	return o->direct ? o->final : o->temp;
}

static void cut_back(struct output *o);
static void fail_write(struct output *o);

static void
fail_output(struct output *o, const char *what)
{
	if (!o->failed) {
		snprintf(o->errmsg, sizeof(o->errmsg), "%s '%s': %s", what,
		    shown_name(o), strerror(errno));
		log_error("%s", o->errmsg);
	}
	o->failed = true;
	/* what was buffered never reached the file */
	o->lost += o->buf_packets;
	o->buf_packets = 0;
	o->buflen = 0;
	if (!o->to_stdout && !o->direct && o->child == 0 && o->iow == NULL &&
	    o->file_fd >= 0)
		cut_back(o);
}

/*
 * Cut a partial record off a plain file so that it stays valid.  If that
 * fails, the file may end in a torn record: it must not get its final
 * name as a good file.
 */
static void
cut_back(struct output *o)
{
	int rc;

	do {
		rc = ftruncate(o->file_fd, (off_t)o->good_offset);
	} while (rc != 0 && errno == EINTR);
	if (rc == 0 || o->stream_broken)
		return;
	log_error("cannot cut '%s' back to its last complete record (%llu "
	    "bytes): %s; it will be kept as '%s.failed'", o->temp,
	    (unsigned long long)o->good_offset, strerror(errno), o->final);
	o->stream_broken = true;
}

/*
 * Write into the --pipeout child, bounded (pipeout.c): a child that takes
 * nothing for too long fails the output, like a write error.
 */
static int
child_write(struct output *o, const void *buf, size_t len)
{
	char perr[256];

	if (pipeout_write(o->write_fd, buf, len, &o->watch, perr,
	    sizeof(perr)) == 0)
		return 0;
	if (errno != ETIMEDOUT) {
		fail_write(o);
		return -1;
	}
	o->child_stalled = true;
	if (!o->failed) {
		snprintf(o->errmsg, sizeof(o->errmsg), "%s (writing '%s')",
		    perr, o->temp);
		log_error("%s", o->errmsg);
		o->failed = true;	/* logged: fail_output says no more */
	}
	fail_output(o, "");
	return -1;
}

/* write all of buf into write_fd: the file, stdout... or the child */
static int
sink_write(struct output *o, const void *buf, size_t len)
{
	if (o->child != 0)
		return child_write(o, buf, len);
	if (full_write(o->write_fd, buf, len) != 0) {
		fail_write(o);
		return -1;
	}
	return 0;
}

/*
 * A write into write_fd failed (errno says why).  EPIPE means whoever
 * reads the other end went away: say who, so the operator looks at the
 * right process.
 */
static void
fail_write(struct output *o)
{
	if (errno == EPIPE && o->child != 0)
		fail_output(o, "--pipeout command closed its input; writing");
	else if (errno == EPIPE && o->to_stdout)
		fail_output(o, "standard output was closed by its reader; "
		    "writing");
	else
		fail_output(o, "cannot write");
}

static int
flush(struct output *o)
{
	if (o->failed)
		return -1;
	if (o->buflen == 0)
		return 0;
	if (o->iow != NULL) {
		off_t n = wandio_wwrite(o->iow, o->buf, (off_t)o->buflen);

		if (n != (off_t)o->buflen) {
			if (errno == 0)
				errno = EIO;
			o->stream_broken = true;
			fail_output(o, "cannot compress into");
			return -1;
		}
	} else if (sink_write(o, o->buf, o->buflen) != 0) {
		return -1;
	}
	o->good_offset += o->buflen;
	o->packets += o->buf_packets;
	o->buf_packets = 0;
	o->buflen = 0;
	for (size_t i = 0; o->kept != NULL && i < o->ninputs; i++) {
		o->kept[i] += o->buf_by[i];
		o->buf_by[i] = 0;
	}
	return 0;
}

/* One packet of input went straight into the file (no buffer). */
static void
count_kept(struct output *o, size_t input)
{
	o->packets++;
	if (o->kept != NULL && input < o->ninputs)
		o->kept[input]++;
}

/* One packet of input was put in the buffer. */
static void
count_buffered(struct output *o, size_t input)
{
	o->buf_packets++;
	if (o->kept != NULL && input < o->ninputs)
		o->buf_by[input]++;
}

int
output_check_target(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		log_seterr(err, errlen, "output '%s' is a directory (use -B "
		    "for a directory)", path);
		return -1;
	}
	return 0;
}

/* Only a fifo or a character device is ever written in place. */
static bool
writable_direct(mode_t mode)
{
	return S_ISFIFO(mode) || S_ISCHR(mode);
}

/*
 * The final name of a single output is taken by something that is not a
 * regular file.  A directory is an error.  A fifo or a character device
 * (or a link to one) is opened and written directly, as tcpdump -w does:
 * renaming a temp file over it would leave its reader with nothing.
 * Anything else there (a block device, a socket, a link to one) gets the
 * temp file scheme: the rename replaces the name, nothing is written
 * through it.  Opening a fifo waits for a reader, as tcpdump does, until
 * *stop is set (stop may be NULL: no end).  Returns 0 (o->direct says
 * whether the target was opened; if not, it gets the temp file scheme),
 * or -1 with err naming the path.
 */
static int
open_direct(struct output *o, const atomic_bool *stop, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, fl;

	if (output_check_target(o->final, err, errlen) != 0)
		return -1;
	/* a block device, a socket, a link to one...: the rename replaces
	 * the name (a link itself, never its target) */
	if (stat(o->final, &st) != 0 || !writable_direct(st.st_mode))
		return 0;
	fd = -1;
	if (S_ISFIFO(st.st_mode)) {
		/* wait for a reader as tcpdump does, but in steps, so that
		 * a stop signal still ends the wait */
		const struct timespec tick = { 0, FIFO_POLL_NS };
		bool told = false;

		while ((fd = open(o->final, O_WRONLY | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC)) < 0 &&
		    (errno == ENXIO || errno == EINTR)) {
			if (!told)
				log_info("waiting for a reader to open fifo "
				    "'%s'", o->final);
			told = true;
			if (stop != NULL && atomic_load_explicit(stop,
			    memory_order_relaxed)) {
				log_seterr(err, errlen, "stopped while "
				    "waiting for a reader to open fifo '%s'",
				    o->final);
				return -1;
			}
			nanosleep(&tick, NULL);
		}
		if (fd >= 0 && ((fl = fcntl(fd, F_GETFL)) < 0 ||
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)) {
			log_seterr(err, errlen, "cannot make '%s' blocking: "
			    "%s", o->final, strerror(errno));
			close(fd);
			return -1;
		}
	}
	while (fd < 0) {
		fd = open(o->final, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && errno != EINTR) {
			log_seterr(err, errlen, "cannot open '%s': %s",
			    o->final, strerror(errno));
			return -1;
		}
	}
	if (fstat(fd, &st) != 0) {
		log_seterr(err, errlen, "cannot stat '%s': %s", o->final,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (!writable_direct(st.st_mode)) {
		/* replaced by something else meanwhile (a plain file, a link
		 * to a block device): never write into that */
		close(fd);
		return 0;
	}
	o->file_fd = fd;
	o->direct = true;
	return 0;
}

struct output *
output_open(const struct output_params *p, char *err, size_t errlen)
{
	struct output *o;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->buf = malloc(p->bufsize)) == NULL ||
	    (p->kept != NULL && (o->buf_by = calloc(p->ninputs,
	    sizeof(*o->buf_by))) == NULL)) {
		log_seterr(err, errlen, "out of memory for the output buffer");
		if (o != NULL)
			free(o->buf);
		free(o);
		return NULL;
	}
	o->kept = p->kept;
	o->ninputs = p->ninputs;
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
		if (!p->no_replace && open_direct(o, p->stop, err, errlen) != 0)
			goto fail;
	}
	if (!o->to_stdout && !o->direct) {
		o->file_fd = open(o->temp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
		if (o->file_fd < 0) {
			log_seterr(err, errlen, "cannot create '%s': %s",
			    o->temp, strerror(errno));
			goto fail;
		}
		/* tells crash recovery (recover.c) the file is being written;
		 * a --pipeout child shares the lock through its stdout */
		(void)flock(o->file_fd, LOCK_EX | LOCK_NB);
	}
	o->write_fd = o->file_fd;
	if (p->compress_type != 0) {
		char self[64];

		/* libwandio opens by name: give it our exclusively created
		 * file through /proc (same inode, our mode, no race) */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", o->file_fd);
		errno = 0;
		o->iow = wandio_wcreate(self, p->compress_type,
		    p->compress_level, O_CLOEXEC);
		if (o->iow == NULL) {
			log_seterr(err, errlen, "cannot start compression "
			    "into '%s': %s", shown_name(o), errno != 0 ?
			    strerror(errno) : "libwandio failed");
			goto fail;
		}
	} else if (p->pipeout_path != NULL) {
		if (pipeout_start(p->pipeout_path, p->pipeout_argv,
		    o->file_fd, &o->child, &o->write_fd, err, errlen) != 0)
			goto fail;
		pipeout_watch_init(&o->watch, p->stop);
	}
	return o;
fail:
	output_abort(o);
	return NULL;
}

/*
 * A unit larger than the whole buffer (the buffer is empty): straight
 * into the file, the child or libwandio.  0, or -1 once the output
 * failed (logged).
 */
static int
write_through(struct output *o, const void *hdr, size_t hlen,
    const void *data, size_t dlen)
{
	struct iovec iov[2] = {
		{ (void *)hdr, hlen }, { (void *)data, dlen },
	};
	size_t len = hlen + dlen, done;
	ssize_t n;

	if (o->child != 0)	/* two bounded writes */
		return child_write(o, hdr, hlen) != 0 || (dlen > 0 &&
		    child_write(o, data, dlen) != 0) ? -1 : 0;
	if (o->iow != NULL) {	/* compressing: in two pieces */
		if (wandio_wwrite(o->iow, hdr, (off_t)hlen) == (off_t)hlen &&
		    wandio_wwrite(o->iow, data, (off_t)dlen) == (off_t)dlen)
			return 0;
		o->stream_broken = true;
		fail_output(o, "cannot compress into");
		return -1;
	}
	do {
		n = writev(o->write_fd, iov, 2);
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n < len) {
		/* finish a short write with plain writes */
		done = (size_t)n;
		if (done < hlen) {
			if (full_write(o->write_fd, (const char *)hdr + done,
			    hlen - done) != 0)
				n = -1;
			done = hlen;
		}
		if (n >= 0 && full_write(o->write_fd,
		    (const char *)data + (done - hlen), len - done) != 0)
			n = -1;
	}
	if (n < 0) {
		fail_write(o);
		return -1;
	}
	return 0;
}

int
output_write(struct output *o, const void *hdr, size_t hlen,
    const void *data, size_t dlen, bool is_packet, size_t input)
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
		if (write_through(o, hdr, hlen, data, dlen) != 0) {
			if (is_packet)
				o->lost++;
			return -1;
		}
		if (o->iow == NULL)
			o->good_offset += len;
		if (is_packet)
			count_kept(o, input);
		return 0;
	}
	memcpy(o->buf + o->buflen, hdr, hlen);
	if (dlen > 0)
		memcpy(o->buf + o->buflen + hlen, data, dlen);
	o->buflen += len;
	if (is_packet)
		count_buffered(o, input);
	return 0;
}

unsigned char *
output_reserve(struct output *o, size_t len)
{
	if (o->failed || len > o->bufsize)
		return NULL;
	if (o->buflen + len > o->bufsize && flush(o) != 0)
		return NULL;
	return o->buf + o->buflen;
}

void
output_commit_packet(struct output *o, size_t len, size_t input)
{
	o->buflen += len;
	o->appended += len;
	count_buffered(o, input);
}

/*
 * Read the compressed file back and check that it yields exactly the
 * bytes we gave libwandio: it ignores write errors while closing, and
 * this is the only way to know the trailer made it.
 */
static int
verify_stream(struct output *o)
{
	char self[64];
	static __thread char buf[1 << 16];
	uint64_t total = 0;
	io_t *io;
	off_t n;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", o->file_fd);
	if ((io = wandio_create(self)) == NULL)
		return -1;
	while ((n = wandio_read(io, buf, (off_t)sizeof(buf))) > 0)
		total += (uint64_t)n;
	wandio_destroy(io);
	if (n < 0 || total != o->appended) {
		snprintf(o->errmsg, sizeof(o->errmsg), "compressed file '%s' "
		    "is incomplete: %llu of %llu bytes can be read back",
		    o->temp, (unsigned long long)total,
		    (unsigned long long)o->appended);
		return -1;
	}
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

void
output_progress(const struct output *o, uint64_t *packets, uint64_t *lost)
{
	*packets = o->packets;
	*lost = o->lost;
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

int
output_place(const char *temp, const char *want_in, bool no_replace,
    char *final, size_t flen, char *err, size_t errlen)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s", want_in);
	if (!no_replace) {
		if (rename(temp, want) != 0)
			goto fail;
	} else if (rename_noreplace(temp, want) != 0) {
		/* a file of that name exists: keep both, never overwrite */
		int i;

		if (errno != EEXIST)
			goto fail;
		for (i = 1; i < 1000; i++) {
			int n = snprintf(want, sizeof(want), "%s.%d", want_in,
			    i);

			if (n < 0 || (size_t)n >= sizeof(want)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			if (rename_noreplace(temp, want) == 0)
				break;
			if (errno != EEXIST)
				goto fail;
		}
		if (i == 1000)
			goto fail;
		log_warn("'%s' exists already; wrote '%s' instead", want_in,
		    want);
	}
	fsync_dir_of(want);
	snprintf(final, flen, "%s", want);
	return 0;
fail:
	log_seterr(err, errlen, "cannot rename '%s' to '%s': %s", temp, want,
	    strerror(errno));
	return -1;
}

/* Give the temp file its final name; -1 with err when impossible. */
static int
place(struct output *o, struct output_result *res, const char *suffix,
    char *err, size_t errlen)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s%s", o->final, suffix);
	res->failed_name = suffix[0] != '\0';
	return output_place(o->temp, want, o->no_replace, res->final_path,
	    sizeof(res->final_path), err, errlen);
}

/*
 * The end of the stream into the --pipeout child: let it take what is in
 * the pipe, close the pipe, reap it, all bounded by o->watch (a child
 * that stalled is ended at once).  A failed command, one that did not
 * take all of the stream, or one that wrote nothing for it, left output
 * we cannot vouch for: stream_broken.
 */
static void
close_child(struct output *o)
{
	char cerr[256] = "";
	struct stat st;
	int bad = 0;

	/* a command that stopped reading early (and maybe exited 0) left
	 * part of the stream in the pipe */
	if (!o->failed && pipeout_drain(o->write_fd, &o->watch, cerr,
	    sizeof(cerr)) != 0) {
		bad = 1;
		o->child_stalled = errno == ETIMEDOUT;
	}
	if (close(o->write_fd) != 0 && !o->failed && !bad)
		fail_output(o, "cannot close the --pipeout pipe");
	o->write_fd = -1;
	pipeout_watch_progress(&o->watch);	/* it has its EOF now */
	if (o->child_stalled) {
		char how[128];

		spawn_end(o->child, PIPEOUT_WHO, how, sizeof(how));
		log_error("'%s': %s%s%s", o->final, cerr, cerr[0] != '\0' ?
		    "; " : "", how);
		bad = 1;
	} else if (pipeout_reap(o->child, PIPEOUT_WHO, &o->watch, cerr,
	    sizeof(cerr)) != 0 || bad) {
		log_error("'%s': %s", o->final, cerr);
		bad = 1;
	} else if (o->appended > 0 && !o->direct && !o->to_stdout &&
	    fstat(o->file_fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0) {
		snprintf(cerr, sizeof(cerr), "--pipeout command wrote nothing "
		    "for %llu bytes of pcap", (unsigned long long)o->appended);
		log_error("'%s': %s", o->final, cerr);
		bad = 1;
	}
	if (bad && !o->failed)
		snprintf(o->errmsg, sizeof(o->errmsg), "%s", cerr);
	if (bad)
		o->failed = true;
	o->child = 0;
	if (o->failed)
		o->stream_broken = true;
}

/*
 * The per-input counts and the bytes of what output_close kept: whatever
 * path it took, the packets kept are the ones flushed (o->kept) or none.
 */
static void
finish_result(struct output *o, struct output_result *res)
{
	bool placed = res->final_path[0] != '\0' && !res->failed_name;

	if (res->packets == 0 && o->kept != NULL)
		memset(o->kept, 0, o->ninputs * sizeof(*o->kept));
	if (!placed)
		res->bytes = 0;
	else if (o->failed)
		res->bytes = o->good_offset;
	else
		res->bytes = o->appended;
}

int
output_close(struct output *o, struct output_result *res, char *err,
    size_t errlen)
{
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (errlen > 0)
		err[0] = '\0';
	(void)flush(o);
	if (o->child != 0)
		close_child(o);
	if (o->iow != NULL) {
		wandio_wdestroy(o->iow);
		o->iow = NULL;
		if (!o->to_stdout && !o->direct && verify_stream(o) != 0) {
			log_error("%s", o->errmsg);
			o->stream_broken = true;
		}
	}
	if (o->stream_broken) {
		/* nothing in a broken compressed stream counts as written;
		 * packets is zeroed so nothing is counted lost twice */
		o->failed = true;
		o->lost += o->packets;
		o->packets = 0;
	}
	if (o->to_stdout || o->direct) {
		/* a fifo or device is neither fsync'ed nor renamed */
		if (o->direct && close(o->file_fd) != 0 && !o->failed)
			fail_output(o, "cannot close");
		o->file_fd = -1;
		res->packets = o->packets;
		res->lost = o->lost;
		res->failed = o->failed;
		snprintf(res->final_path, sizeof(res->final_path), "%s",
		    o->final);
		/* failures were logged when they happened */
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
	if (o->failed && !o->stream_broken && o->good_offset == 0 &&
	    o->packets == 0) {
		/* not even a file header made it: nothing worth keeping */
		unlink(o->temp);
		rc = -1;
		goto out;
	}
	/* a compressor that failed left a stream we cannot vouch for */
	if (place(o, res, o->stream_broken ? ".failed" : "", err,
	    errlen) != 0) {
		/* a read-only or vanished directory: the data stays where it
		 * is, and the next start recovers it (recover.c) */
		if (unlink(o->temp) != 0 && errno != ENOENT && errlen > 0) {
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, "; it stays as '%s' until "
			    "the next start recovers it", o->temp);
		}
		res->lost += res->packets;
		res->packets = 0;
		rc = -1;
		goto out;
	}
	if (o->failed)
		rc = -1;	/* logged when it happened */
out:
	finish_result(o, res);
	free(o->buf_by);
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
	if (o->child != 0)
		spawn_kill(o->child);
	if (o->iow != NULL)
		wandio_wdestroy(o->iow);
	if (!o->to_stdout && o->file_fd >= 0) {
		close(o->file_fd);
		if (!o->direct)
			unlink(o->temp);
	}
	free(o->buf_by);
	free(o->buf);
	free(o);
}
