/*
 * sink.h - where an output's bytes go: one ops table, three sinks.
 *
 * An output (output.c) owns the target, the file descriptor of the temp
 * file, stdout, a fifo or a device, and its policy (cut back, fsync,
 * rename); a sink is how the bytes of its buffer reach that descriptor:
 *   sink_fd      write(2) into it directly;
 *   sink_wandio  libwandio's in-process compressor writing into it;
 *   sink_pipe    the --pipeout command, its stdin a pipe we write into,
 *                its stdout the descriptor (pipeout.c starts it).
 * The output calls a sink once per buffer flush (never per packet), from
 * the one thread that uses the output or, for a full flat buffer, its
 * write-behind thread (output_async.h; never both at once): with one
 * flat buffer (write), or,
 * when it holds records that stay in their input's buffers (output.h's
 * output_append_ref), with the list of pieces in order (writev).  A sink never touches the target
 * itself beyond writing into it (the pipe sink also fstat()s it to see
 * that the command wrote something).
 *
 * Names given to a sink are the output's strings, used in messages only;
 * they must outlive the sink.
 */
#ifndef MTRACECAP_SINK_H
#define MTRACECAP_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The most pieces one writev op is given: <= IOV_MAX on Linux, so the
 * fd sink hands the whole list to one writev(2). */
#define SINK_IOV_MAX	1024

struct sink;

struct sink_ops {
	/*
	 * Append all of buf to the stream.  0, or -1 with err holding the
	 * whole message (naming the file, with errno's text), not logged.
	 */
	int	(*write)(struct sink *s, const void *buf, size_t len,
		    char *err, size_t errlen);
	/* The same for a unit given in two pieces, hdr then data (dlen may
	 * be 0), which does not fit in the output's buffer. */
	int	(*write2)(struct sink *s, const void *hdr, size_t hlen,
		    const void *data, size_t dlen, char *err, size_t errlen);
	/* Append the iovcnt pieces (at most SINK_IOV_MAX) in order, all of
	 * them (short writes are continued); 0, or -1 with err as write.
	 * NULL: the sink only takes flat buffers. */
	int	(*writev)(struct sink *s, const struct iovec *iov, int iovcnt,
		    char *err, size_t errlen);
	/*
	 * End of the stream, after the last write; appended is every byte
	 * given to the sink, failed whether the output failed already (its
	 * failure logged).  Frees s.  0, or -1 when the stream turned out
	 * broken (logged here, once, unless failed was set).
	 */
	int	(*finish)(struct sink *s, bool failed, uint64_t appended);
	/* End the stream without caring for it (a child is killed); frees
	 * s.  Never fails. */
	void	(*abort)(struct sink *s);
	/*
	 * What a failed write leaves: true when the bytes in the target
	 * end at the last successful write (the output can cut a file back
	 * to its last complete record); false when the stream is broken as
	 * a whole (compressed: nothing in it can be vouched for).
	 */
	bool	 keeps_prefix;
};

struct sink {
	const struct sink_ops *ops;
};

/*
 * Write straight into fd (not owned: the output closes it).  shown names
 * it in messages; epipe, when not NULL, replaces "cannot write" in the
 * message of a write that failed with EPIPE (the reader went away).
 * NULL with err when out of memory.
 */
struct sink *sink_fd_open(int fd, const char *shown, const char *epipe,
    char *err, size_t errlen);

/*
 * Compress with libwandio (type WANDIO_COMPRESS_*, level 1-9) into fd
 * (not owned).  With verify, finish reads the file back through
 * /proc/self/fd and fails a stream that does not yield every byte
 * written (libwandio reports no error on close); temp names the file in
 * that message.  NULL with err naming shown.
 */
struct sink *sink_wandio_open(int fd, int type, int level, bool verify,
    const char *shown, const char *temp, char *err, size_t errlen);

/* The names a --pipeout sink uses in its messages. */
struct sink_pipe_names {
	const char	*shown;		/* the file as written: write errors */
	const char	*temp;		/* the temp name: a stalled command */
	const char	*final;		/* the final name: its end */
};

/*
 * Start the --pipeout command path/argv with its stdout on fd (not
 * owned), its waits bounded as pipeout.h says (stop: the shorter limit
 * once set; may be NULL).  With check_empty, a command that wrote
 * nothing into fd (a regular file still empty) for a non-empty stream
 * fails at finish.  NULL with err.
 */
struct sink *sink_pipe_open(const char *path, char *const *argv, int fd,
    const atomic_bool *stop, bool check_empty,
    const struct sink_pipe_names *names, char *err, size_t errlen);

#endif
