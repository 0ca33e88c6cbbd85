/*
 * spawn.h - start, reap and end every child process: the --pipeout
 * compressor, the --post-rotate hook and the decompressors.
 *
 * No shell is involved; a child gets fds 0-2 only (as the caller sets
 * them), default signal handling, an empty signal mask, no capabilities
 * unless root, and a minimal fixed environment (PATH and LC_ALL=C).
 */
#ifndef MTRACECAP_SPAWN_H
#define MTRACECAP_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs_user;

/* A child given up on gets SIGTERM, and SIGKILL SPAWN_KILL_GRACE_S later. */
#define SPAWN_KILL_GRACE_S	2

/* In spawn_run()'s fds: /dev/null, opened in the child (for fd 0
 * read-only, else write-only); a child that cannot open it exits 127. */
#define SPAWN_DEVNULL		(-2)

/*
 * Resolve argv[0] (through PATH when it has no '/') to an executable file.
 * Returns a malloc'ed path, or NULL with err naming the command.
 */
char *spawn_resolve(const char *cmd, char *err, size_t errlen);

/*
 * fork and run path with argv and fds[i] (i = 0..2; -1: inherit ours,
 * SPAWN_DEVNULL: /dev/null) as its stdin, stdout and stderr, as user as
 * (NULL: as we are).  Every fd given is > 2 or already in its place
 * (never one of 0-2 meant for another slot).  0 with *pid, or -1 with
 * err and errno (the child could not be forked).  A child that cannot
 * be set up or exec'ed exits with status 127.
 */
int spawn_run(const char *path, char *const *argv, const int fds[3],
    const struct privs_user *as, pid_t *pid, char *err, size_t errlen);

/*
 * spawn_run() as we are, the child leading a process group of its own
 * (pgid = its pid), so that kill(-pid, sig) reaches whatever it starts:
 * a hook script's upload ends with the script.
 */
int spawn_run_group(const char *path, char *const *argv, const int fds[3],
    pid_t *pid, char *err, size_t errlen);

/*
 * For reading compressed files: start "tool -dc" (gzip, bzip2, xz, lzop:
 * a name looked up in PATH) with stdin on in_fd (read from its current
 * offset), stderr on /dev/null, as user as (NULL: as we are; see
 * privs_child_restrict).  Returns the read end of its stdout (O_CLOEXEC)
 * with *pid, or -1 with err.  Reap it with spawn_finish() after reading
 * that fd to its end, or with spawn_kill() when stopping early.
 */
int spawn_decompress(const char *tool, int in_fd,
    const struct privs_user *as, pid_t *pid, char *err, size_t errlen);

/*
 * waitpid() for pid that retries on EINTR; block false: WNOHANG.  As
 * waitpid: pid with *status, 0 (not ended yet), or -1 with errno.
 */
pid_t spawn_wait(pid_t pid, int *status, bool block);

/*
 * Wait for the child to end (after closing its stdin), asking expired
 * (NULL: wait as long as it takes) every 10 ms whether it has taken too
 * long: when that returns nonzero with why filled, the child is ended
 * (SIGTERM, then SIGKILL SPAWN_KILL_GRACE_S later) and -1 returned with
 * err "<why>: ended it (pid N) with SIGTERM".  Otherwise 0 if it exited
 * with status 0, else -1 with err describing the exit status or signal,
 * with who as its subject ("" for none: "exited with status 1").
 */
int spawn_reap(pid_t pid, const char *who,
    int (*expired)(void *arg, char *why, size_t whylen), void *arg,
    char *err, size_t errlen);

/* spawn_reap() with no limit. */
int spawn_finish(pid_t pid, const char *who, char *err, size_t errlen);

/*
 * A child given up on (it stopped taking its input): SIGTERM, SIGKILL
 * after SPAWN_KILL_GRACE_S, reaped; err says how who was ended.
 */
void spawn_end(pid_t pid, const char *who, char *err, size_t errlen);

/* A child no longer wanted (its output is not read any more): SIGTERM,
 * SIGKILL if it is still there SPAWN_KILL_GRACE_S later; reaped. */
void spawn_kill(pid_t pid);

#endif
