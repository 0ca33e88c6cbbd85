/*
 * postrotate.h - the --post-rotate hook runner (like tcpdump -z).
 *
 * Starts COMMAND... FILE for one file and tells how it ended; when and
 * how often is deliver.c's business (the queue, retries, the state
 * file).  No shell; stdin is /dev/null, stdout and stderr are ours; only
 * fds 0-2 are inherited; the environment is a fixed minimal one
 * (spawn.h).  Each hook leads a process group of its own: a hook that
 * outlives --post-rotate-timeout gets SIGTERM (the whole group: a
 * script's upload with it), and SIGKILL POSTROTATE_KILL_GRACE_S later if
 * it is still there.  No state is shared: every function works on the
 * job it is given, on the caller's thread, and never blocks.
 */
#ifndef MTRACECAP_POSTROTATE_H
#define MTRACECAP_POSTROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POSTROTATE_KILL_GRACE_S	10

struct postrotate;

/* One running hook (the caller's memory; filled by postrotate_start). */
struct postrotate_job {
	pid_t		 pid;		/* leader of its process group */
	uint64_t	 start_ns;	/* CLOCK_MONOTONIC */
	uint64_t	 term_ns;	/* SIGTERM sent then, 0: not yet */
	bool		 killed;	/* SIGKILL sent */
};

/*
 * path: resolved executable; argv: its words (not owned, must outlive
 * pr); timeout_s: --post-rotate-timeout (0: none).  NULL with err.
 */
struct postrotate *postrotate_create(const char *path, char *const *argv,
    unsigned timeout_s, char *err, size_t errlen);

/* The --post-rotate-timeout it was made with. */
unsigned postrotate_timeout(const struct postrotate *pr);

/*
 * Start the hook for file (its path, the hook's last argument) at now_ns
 * (CLOCK_MONOTONIC) into *job.  0, or -1 with err (cannot fork).
 */
int postrotate_start(const struct postrotate *pr, const char *file,
    uint64_t now_ns, struct postrotate_job *job, char *err, size_t errlen);

/*
 * Look at job (file: for the log) at now_ns without waiting: 0 while it
 * runs (past its timeout it gets SIGTERM now, or SIGKILL once the grace
 * is over, each logged once); 1 when it exited 0; -1 when it failed,
 * with why saying how ("exited with status 3", "was killed by signal 9",
 * "outlived --post-rotate-timeout 2 s and was ended by signal 15").  An
 * ended job is reaped (no zombie is left).
 */
int postrotate_poll(const struct postrotate *pr, struct postrotate_job *job,
    const char *file, uint64_t now_ns, char *why, size_t whylen);

/* When job next needs a postrotate_poll() for its timeout (CLOCK_MONOTONIC
 * ns), UINT64_MAX if never (reaping aside). */
uint64_t postrotate_due(const struct postrotate *pr,
    const struct postrotate_job *job);

/* Free pr (hooks still running are not touched).  NULL is a no-op. */
void postrotate_destroy(struct postrotate *pr);

#endif
