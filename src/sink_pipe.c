/*
 * sink_pipe.c - the --pipeout command as a sink.
 *
 * The command (started by pipeout.c) reads the stream from a pipe and
 * writes the target.  Every wait on it is bounded (pipeout_watch): one
 * that takes nothing for too long fails the stream and is ended at its
 * finish.  A stream is only good when the command took all of it, exited
 * 0 and, for a temp file, wrote something; any failure breaks it as a
 * whole (no keeps_prefix).  Used by the thread that owns the output only.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pipeout.h"
#include "spawn.h"
#include "sink.h"

#define PIPEOUT_WHO	"--pipeout command"	/* subject of its errors */

struct sink_pipe {
	struct sink	 base;		/* first: a struct sink * is one of these */
	int		 out_fd;	/* the target (its stdout) */
	int		 in_fd;		/* its stdin, or -1 once closed */
	pid_t		 child;
	struct pipeout_watch watch;	/* how the child keeps up */
	bool		 stalled;	/* it took nothing for too long */
	bool		 check_empty;
	struct sink_pipe_names names;
};

/*
 * Write into the child, bounded: a child that takes nothing for too long
 * fails the stream like a write error does, and is ended at finish.
 */
static int
pipe_write(struct sink *s, const void *buf, size_t len, char *err,
    size_t errlen)
{
	struct sink_pipe *p = (struct sink_pipe *)s;
	char perr[256];

	if (pipeout_write(p->in_fd, buf, len, &p->watch, perr,
	    sizeof(perr)) == 0)
		return 0;
	if (errno == ETIMEDOUT) {
		p->stalled = true;
		log_seterr(err, errlen, "%s (writing '%s')", perr,
		    p->names.temp);
	} else {
		/* EPIPE: say who went away, so that the operator looks at
		 * the right process */
		log_seterr(err, errlen, "%s '%s': %s", errno == EPIPE ?
		    "--pipeout command closed its input; writing" :
		    "cannot write", p->names.shown, strerror(errno));
	}
	return -1;
}

/* Two bounded writes. */
static int
pipe_write2(struct sink *s, const void *hdr, size_t hlen, const void *data,
    size_t dlen, char *err, size_t errlen)
{
	if (pipe_write(s, hdr, hlen, err, errlen) != 0)
		return -1;
	return dlen > 0 ? pipe_write(s, data, dlen, err, errlen) : 0;
}

/*
 * The end of the stream: let the child take what is in the pipe, close
 * the pipe, reap it, all bounded by the watch (a child that stalled is
 * ended at once).  A failed command, one that did not take all of the
 * stream, or one that wrote nothing for it, left output we cannot vouch
 * for: -1.
 */
static int
pipe_finish(struct sink *s, bool failed, uint64_t appended)
{
	struct sink_pipe *p = (struct sink_pipe *)s;
	char cerr[256] = "";
	struct stat st;
	bool bad = false;

	/* a command that stopped reading early (and maybe exited 0) left
	 * part of the stream in the pipe */
	if (!failed && pipeout_drain(p->in_fd, &p->watch, cerr,
	    sizeof(cerr)) != 0) {
		bad = true;
		p->stalled = errno == ETIMEDOUT;
	}
	if (close(p->in_fd) != 0 && !failed && !bad) {
		log_error("cannot close the --pipeout pipe '%s': %s",
		    p->names.shown, strerror(errno));
		failed = true;
	}
	p->in_fd = -1;
	pipeout_watch_progress(&p->watch);	/* it has its EOF now */
	if (p->stalled) {
		char how[128];

		spawn_end(p->child, PIPEOUT_WHO, how, sizeof(how));
		log_error("'%s': %s%s%s", p->names.final, cerr,
		    cerr[0] != '\0' ? "; " : "", how);
		bad = true;
	} else if (pipeout_reap(p->child, PIPEOUT_WHO, &p->watch, cerr,
	    sizeof(cerr)) != 0 || bad) {
		log_error("'%s': %s", p->names.final, cerr);
		bad = true;
	} else if (appended > 0 && p->check_empty &&
	    fstat(p->out_fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0) {
		log_error("'%s': --pipeout command wrote nothing for %llu "
		    "bytes of pcap", p->names.final,
		    (unsigned long long)appended);
		bad = true;
	}
	free(p);
	return bad || failed ? -1 : 0;
}

static void
pipe_abort(struct sink *s)
{
	struct sink_pipe *p = (struct sink_pipe *)s;

	if (p->in_fd >= 0)
		close(p->in_fd);
	spawn_kill(p->child);
	free(p);
}

static const struct sink_ops pipe_ops = {
	.write = pipe_write,
	.write2 = pipe_write2,
	.finish = pipe_finish,
	.abort = pipe_abort,
	.keeps_prefix = false,
};

struct sink *
sink_pipe_open(const char *path, char *const *argv, int fd,
    const atomic_bool *stop, bool check_empty,
    const struct sink_pipe_names *names, char *err, size_t errlen)
{
	struct sink_pipe *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_seterr(err, errlen, "out of memory for the output buffer");
		return NULL;
	}
	if (pipeout_start(path, argv, fd, &p->child, &p->in_fd, err,
	    errlen) != 0) {
		free(p);
		return NULL;
	}
	pipeout_watch_init(&p->watch, stop);
	p->base.ops = &pipe_ops;
	p->out_fd = fd;
	p->check_empty = check_empty;
	p->names = *names;
	return &p->base;
}
