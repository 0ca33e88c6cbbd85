/*
 * output.c - one output file: a buffer over a sink, and its target.
 *
 * The buffer is only ever handed to the sink (sink.h: fd, libwandio or
 * the --pipeout command) whole, at record boundaries, so the per-packet
 * path is a memcpy or a reservation; the sink is called once per flush.
 * Records held by reference (output_append_ref, a sink with a writev
 * op) go into a list of pieces beside the buffer (output_pieces.h),
 * written ahead of the buffer's rest; with none, a flush is one write.
 * With the fd sink and write_behind, a full buffer without pieces is
 * written behind (output_async.h) while a second one fills; that write is settled
 * (counted, or failed) before the next, and before any other use of
 * the sink or the target.  output_flush() and output_close() write
 * synchronously.  MTRACECAP_WRITE=sync in the environment turns
 * write-behind off (tests, benchmarks).
 * The target is the output's policy: a temp file (created, fsync'ed and
 * renamed by place.c, cut back to its last complete record when a write
 * fails) or, written in place, stdout, a fifo or a character device.
 * Runs on the thread that owns the output (writer, then finisher) only.
 * See output.h for the promises.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "naming.h"
#include "output.h"
#include "output_async.h"
#include "output_direct.h"
#include "output_pieces.h"
#include "place.h"
#include "sink.h"

/* room for the longest message: a --pipeout error (pipeout.c, < 256)
 * with a path, or a phrase, a path and strerror */
#define OUTPUT_ERRLEN	(PATH_MAX + 512)
#define STDOUT_EPIPE	"standard output was closed by its reader; writing"

struct output {
	char		 final[PATH_MAX];
	char		 temp[PATH_MAX];
	bool		 to_stdout;
	bool		 direct;	/* an existing fifo or device, no temp */
	bool		 no_replace;
	/* a failed write leaves a temp file that can be cut back to its
	 * last complete record (a sink that keeps_prefix, not in place) */
	bool		 can_cut;
	int		 file_fd;	/* the temp file (or stdout, fifo...) */
	struct sink	*sink;		/* NULL once finished */
	/* the file cannot be vouched for (a compressed stream not known to
	 * be complete, a torn record that could not be cut off): it is kept
	 * as NAME.failed and none of its packets counts as written */
	bool		 stream_broken;

	unsigned char	*buf;
	size_t		 bufsize;
	size_t		 buflen;
	/* records held by reference and the parts of buf in between,
	 * flushed ahead of the rest of buf (iov NULL: the sink has no
	 * writev op) */
	struct output_pieces pieces;
	uint64_t	 buf_packets;	/* packets in buf or pieces */
	uint64_t	*buf_by;	/* per input, of buf_packets (while !failed) */
	uint64_t	*kept;		/* per input, of packets (caller's), or NULL */
	size_t		 ninputs;

	/* write-behind (NULL: not yet; never once !behind) */
	bool		 behind;
	struct output_async *async;

	uint64_t	 appended;	/* bytes accepted */
	uint64_t	 good_offset;	/* bytes in the sink at the last flush */
	uint64_t	 packets;	/* packets safely handed to the kernel */
	uint64_t	 lost;
	bool		 failed;
	char		 errmsg[OUTPUT_ERRLEN];
	output_place_fn	 before_place;	/* or NULL */
	void		*before_place_arg;
};

/* The name the file has while we write it, for messages. */
static const char *
shown_name(const struct output *o)
{
	if (o->to_stdout)
		return "stdout";
	return o->direct ? o->final : o->temp;
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
 * The output failed: msg is logged unless a failure was already; what
 * was buffered is lost, and a temp file is cut back to its last complete
 * record where it can be.
 */
static void
fail_output(struct output *o, const char *msg)
{
	if (!o->failed)
		log_error("%s", msg);
	o->failed = true;
	/* what was buffered never reached the file */
	o->lost += o->buf_packets;
	o->buf_packets = 0;
	o->buflen = 0;
	pieces_reset(&o->pieces);
	if (o->can_cut && o->file_fd >= 0)
		cut_back(o);
}

/* A call on the target failed (errno says why): "what 'file': why". */
static void
fail_target(struct output *o, const char *what)
{
	if (!o->failed)
		log_seterr(o->errmsg, sizeof(o->errmsg), "%s '%s': %s", what,
		    shown_name(o), strerror(errno));
	fail_output(o, o->errmsg);
}

/* The sink failed a write (its message in errmsg). */
static void
fail_sink(struct output *o)
{
	if (!o->sink->ops->keeps_prefix)
		o->stream_broken = true;
	fail_output(o, o->errmsg);
}

/*
 * Wait for the write behind, and count it: kept, or (it failed) lost,
 * failing the output with the sink's message.  0, or -1 once the output
 * failed.  Before anything else uses the sink or the target.
 */
static int
settle(struct output *o)
{
	uint64_t bytes, packets;
	int rc;

	if (o->async == NULL)
		return o->failed ? -1 : 0;
	rc = output_async_wait(o->async, o->kept, &bytes, &packets,
	    o->errmsg, sizeof(o->errmsg));
	if (rc == 0) {
		o->good_offset += bytes;
		o->packets += packets;
	} else if (rc < 0) {
		o->lost += packets;
		fail_sink(o);
	}
	return o->failed ? -1 : 0;
}

static int
flush(struct output *o)
{
	const struct iovec *iov;
	int rc, n;

	if (settle(o) != 0)
		return -1;
	if (o->buflen == 0 && !pieces_any(&o->pieces))
		return 0;
	if (!pieces_any(&o->pieces)) {
		rc = o->sink->ops->write(o->sink, o->buf, o->buflen,
		    o->errmsg, sizeof(o->errmsg));
	} else {
		/* the pieces, then the rest of buf, in one writev op */
		iov = pieces_list(&o->pieces, o->buf, o->buflen, &n);
		rc = o->sink->ops->writev(o->sink, iov, n, o->errmsg,
		    sizeof(o->errmsg));
	}
	if (rc != 0) {
		fail_sink(o);
		return -1;
	}
	o->good_offset += o->buflen + o->pieces.ref_bytes;
	o->packets += o->buf_packets;
	o->buf_packets = 0;
	o->buflen = 0;
	pieces_reset(&o->pieces);
	for (size_t i = 0; o->kept != NULL && i < o->ninputs; i++) {
		o->kept[i] += o->buf_by[i];
		o->buf_by[i] = 0;
	}
	return 0;
}

/*
 * The buffer is full: written behind where it can be (a flat buffer,
 * the fd sink, the thread started at the first full buffer), else now.
 * 0, or -1 once the output failed.
 */
static int
flush_full(struct output *o)
{
	if (o->async == NULL && o->behind) {
		o->behind = false;	/* one try */
		o->async = output_async_start(o->sink, o->bufsize,
		    o->kept != NULL ? o->ninputs : 0);
	}
	if (o->async == NULL || pieces_any(&o->pieces) || o->buflen == 0)
		return flush(o);
	if (settle(o) != 0)
		return -1;
	output_async_post(o->async, &o->buf, o->buflen, o->buf_packets,
	    &o->buf_by);
	o->buf_packets = 0;
	o->buflen = 0;
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

/* The sink over file_fd that p asks for; 0 or -1 with err. */
static int
open_sink(struct output *o, const struct output_params *p, char *err,
    size_t errlen)
{
	bool in_place = o->to_stdout || o->direct;

	if (p->compress_type != 0) {
		o->sink = sink_wandio_open(o->file_fd, p->compress_type,
		    p->compress_level, !in_place, shown_name(o), o->temp, err,
		    errlen);
	} else if (p->pipeout_path != NULL) {
		const struct sink_pipe_names names = {
			shown_name(o), o->temp, o->final,
		};

		o->sink = sink_pipe_open(p->pipeout_path, p->pipeout_argv,
		    o->file_fd, p->stop, !in_place, &names, err, errlen);
	} else {
		o->sink = sink_fd_open(o->file_fd, shown_name(o),
		    o->to_stdout ? STDOUT_EPIPE : NULL, err, errlen);
	}
	if (o->sink == NULL)
		return -1;
	o->can_cut = !in_place && o->sink->ops->keeps_prefix;
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
		if (!p->no_replace && output_direct_open(o->final, p->stop,
		    &o->file_fd, err, errlen) != 0)
			goto fail;
		o->direct = o->file_fd >= 0;
	}
	/* a --pipeout child shares the temp file's lock through its stdout */
	if (!o->to_stdout && !o->direct &&
	    (o->file_fd = place_create(o->temp, err, errlen)) < 0)
		goto fail;
	if (open_sink(o, p, err, errlen) != 0)
		goto fail;
	if (o->sink->ops->writev != NULL && pieces_init(&o->pieces) != 0) {
		log_seterr(err, errlen, "out of memory for the output buffer");
		goto fail;
	}
	/* write-behind: the fd sink (not a compressor or --pipeout) */
	o->behind = p->write_behind && o->sink->ops->writev != NULL &&
	    (getenv("MTRACECAP_WRITE") == NULL ||
	    strcmp(getenv("MTRACECAP_WRITE"), "sync") != 0);
	return o;
fail:
	output_abort(o);
	return NULL;
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
	if (o->buflen + len > o->bufsize && flush_full(o) != 0) {
		if (is_packet)
			o->lost++;
		return -1;
	}
	if (len > o->bufsize && settle(o) != 0) {
		if (is_packet)
			o->lost++;
		return -1;
	}
	o->appended += len;
	if (len > o->bufsize) {
		/* larger than the whole (empty) buffer, no ref pending (the
		 * flush above wrote them): straight through, in order */
		if (o->sink->ops->write2(o->sink, hdr, hlen, data, dlen,
		    o->errmsg, sizeof(o->errmsg)) != 0) {
			fail_sink(o);
			if (is_packet)
				o->lost++;
			return -1;
		}
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
	if (o->buflen + len > o->bufsize && flush_full(o) != 0)
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

bool
output_can_ref(const struct output *o)
{
	return o->pieces.iov != NULL && !o->failed;
}

/*
 * The hot path of a merge of plain pcap files: a few compares and
 * stores, a flush only when due (output_pieces.c says which records are
 * worth a piece of their own, and when the list is due).
 */
int
output_append_ref(struct output *o, const void *rec, size_t len,
    size_t input)
{
	if (pieces_copy_instead(&o->pieces, rec, len)) {
		if (o->failed || o->buflen + len > o->bufsize)
			return output_write(o, rec, len, NULL, 0, true, input);
		/* output_write's common case, for every packet of a merge */
		memcpy(o->buf + o->buflen, rec, len);
		o->buflen += len;
		o->appended += len;
		count_buffered(o, input);
		return 0;
	}
	if (o->failed || (pieces_due(&o->pieces, o->bufsize) &&
	    flush_full(o) != 0)) {
		o->lost++;
		return -1;
	}
	pieces_add_ref(&o->pieces, o->buf, o->buflen, rec, len);
	o->appended += len;
	count_buffered(o, input);
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

void
output_set_before_place(struct output *o, output_place_fn fn, void *arg)
{
	o->before_place = fn;
	o->before_place_arg = arg;
}

/* Give the temp file its final name (o->final, or what the
 * before_place hook chose); -1 with err when impossible. */
static int
place(struct output *o, struct output_result *res, const char *suffix,
    char *err, size_t errlen)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s", o->final);
	if (suffix[0] == '\0' && o->before_place != NULL)
		o->before_place(o->before_place_arg, o->temp, want,
		    sizeof(want));
	else
		snprintf(want, sizeof(want), "%s%s", o->final, suffix);
	res->failed_name = suffix[0] != '\0';
	return place_rename(o->temp, want, o->no_replace, res->final_path,
	    sizeof(res->final_path), err, errlen);
}

/*
 * The end of the stream: the sink finishes (a compressor's trailer, the
 * --pipeout command's exit, a read-back).  Nothing in a broken stream
 * counts as written; packets is zeroed so nothing is counted lost twice.
 */
static void
end_stream(struct output *o)
{
	if (o->sink->ops->finish(o->sink, o->failed, o->appended) != 0) {
		o->failed = true;	/* logged by the sink */
		o->stream_broken = true;
	}
	o->sink = NULL;
	if (o->stream_broken) {
		o->failed = true;
		o->lost += o->packets;
		o->packets = 0;
	}
}

static void
copy_counts(const struct output *o, struct output_result *res)
{
	res->packets = o->packets;
	res->lost = o->lost;
	res->failed = o->failed;
}

/* stdout, a fifo or a device: neither fsync'ed nor renamed. */
static int
close_in_place(struct output *o, struct output_result *res)
{
	if (o->direct && close(o->file_fd) != 0 && !o->failed)
		fail_target(o, "cannot close");
	o->file_fd = -1;
	copy_counts(o, res);
	snprintf(res->final_path, sizeof(res->final_path), "%s", o->final);
	/* failures were logged when they happened */
	return o->failed ? -1 : 0;
}

/* The temp file: fsync, close and rename, or remove when worthless. */
static int
close_temp(struct output *o, struct output_result *res, char *err,
    size_t errlen)
{
	if (fsync(o->file_fd) != 0 && !o->failed)
		fail_target(o, "cannot fsync");
	if (close(o->file_fd) != 0 && !o->failed)
		fail_target(o, "cannot close");
	o->file_fd = -1;
	copy_counts(o, res);
	if (o->failed && !o->stream_broken && o->good_offset == 0 &&
	    o->packets == 0) {
		/* not even a file header made it: nothing worth keeping */
		unlink(o->temp);
		return -1;
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
		return -1;
	}
	return o->failed ? -1 : 0;	/* logged when it happened */
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

static void
output_free(struct output *o)
{
	output_async_end(o->async);
	pieces_free(&o->pieces);
	free(o->buf_by);
	free(o->buf);
	free(o);
}

int
output_close(struct output *o, struct output_result *res, char *err,
    size_t errlen)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if (errlen > 0)
		err[0] = '\0';
	(void)flush(o);
	end_stream(o);
	if (o->to_stdout || o->direct)
		rc = close_in_place(o, res);
	else
		rc = close_temp(o, res, err, errlen);
	finish_result(o, res);
	output_free(o);
	return rc;
}

void
output_abort(struct output *o)
{
	if (o == NULL)
		return;
	/* the write in flight ends before the sink and the file do */
	output_async_end(o->async);
	o->async = NULL;
	if (o->sink != NULL)
		o->sink->ops->abort(o->sink);
	if (!o->to_stdout && o->file_fd >= 0) {
		close(o->file_fd);
		if (!o->direct)
			unlink(o->temp);
	}
	output_free(o);
}
