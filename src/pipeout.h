/*
 * pipeout.h - an external compressor as the last stage of a file sink.
 *
 * For --pipeout=COMMAND each segment gets its own child: its stdin is a
 * pipe we write the pcap stream into, its stdout the segment's temp file.
 * No shell is involved; the child gets fds 0-2 only, default signal
 * handling, an empty signal mask and a minimal fixed environment.
 */
#ifndef MTRACECAP_PIPEOUT_H
#define MTRACECAP_PIPEOUT_H

#include <stddef.h>
#include <sys/types.h>

struct privs_user;

/*
 * Resolve argv[0] (through PATH when it has no '/') to an executable file.
 * Returns a malloc'ed path, or NULL with err naming the command.
 */
char *pipeout_resolve(const char *cmd, char *err, size_t errlen);

/*
 * Start path with argv, stdout on out_fd.  On success *pid is the child
 * and *in_fd the write end of its stdin (O_CLOEXEC).  0 or -1 with err.
 */
int pipeout_start(const char *path, char *const *argv, int out_fd,
    pid_t *pid, int *in_fd, char *err, size_t errlen);

/*
 * In a freshly forked child whose fds 0-2 are set: close every other fd,
 * restore default signal handling and an empty mask, execve path with the
 * clean environment; _exit(127) if that fails.  Async-signal-safe only.
 */
void pipeout_child_exec(const char *path, char *const *argv)
    __attribute__((noreturn));

/*
 * The other direction, for reading compressed files: start "tool -dc"
 * (gzip, bzip2, xz, lzop: a name looked up in PATH) with stdin on in_fd
 * (read from its current offset), stderr on /dev/null and the usual clean
 * child setup, as user as (NULL: as we are; see privs_child_restrict).
 * Returns the read end of its stdout (O_CLOEXEC) with *pid, or -1 with
 * err.  Reap it with pipeout_finish() after reading that fd to its end,
 * or with pipeout_kill() when stopping early.
 */
int pipeout_decompress(const char *tool, int in_fd,
    const struct privs_user *as, pid_t *pid, char *err, size_t errlen);

/*
 * Before closing in_fd: wait until the child has read everything written
 * into the pipe.  Returns 0 when the pipe is empty, -1 with err when the
 * reading end was closed with data still unread (a command such as
 * `head -c N` that stops early and exits 0 must not pass for one that
 * took the whole stream).
 */
int pipeout_drain(int in_fd, char *err, size_t errlen);

/*
 * Wait for the child (after closing its stdin).  Returns 0 if it exited
 * with status 0, else -1 with err describing the exit status or signal,
 * with who as its subject ("" for none: "exited with status 1").
 */
int pipeout_finish(pid_t pid, const char *who, char *err, size_t errlen);

/* A child no longer wanted (its output is not read any more): SIGTERM,
 * then reap it. */
void pipeout_kill(pid_t pid);

#endif
