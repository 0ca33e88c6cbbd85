/*
 * recover.h - rescue the files a crashed run left under temporary names.
 *
 * After kill -9 or a crash, DIR holds tmp-<pid>-<name> files.  At start
 * (-B mode) every such file whose <pid> is gone and that no process holds
 * locked is cut back to its last complete pcap record (a compressed one:
 * re-written with what still decompresses) and renamed to <name>; content
 * that is neither that nor a partial last record is kept untouched as
 * <name>.failed.  Live writers hold an flock on their temp files, so a
 * file still being written is never touched; a file whose <pid> runs is
 * left alone too (warned about: after a reboot it may be an unrelated
 * process), and a lock held after the writer died (its --pipeout child
 * finishing) is waited for a few seconds.  Only a regular file with one
 * link, owned by the user we run as, is ever changed (opened with
 * O_NOFOLLOW); anything else is left alone with a warning naming it.
 * Recovery runs on its own thread beside capture, obeys the stop flag,
 * and is safe to kill at any moment (see recover.c).
 */
#ifndef MTRACECAP_RECOVER_H
#define MTRACECAP_RECOVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recover;

/*
 * Around the rename that gives a recovered file its final name, on the
 * recovery thread (either may be NULL): before(arg, want) with the path
 * it is to get (after its manifest), after(arg, want, placed, ok) with
 * the path it got ("" and ok false when the rename failed).  The
 * delivery queue records the file there (deliver_prepare/_placed).
 */
struct recover_calls {
	int	(*before)(void *arg, const char *want);
	void	(*after)(void *arg, const char *want, const char *placed,
		    bool ok);
	void	*arg;
};

/*
 * List the temp files in dir now (call it before this process creates
 * any file there) and recover them on a new thread.  Each recovered file
 * is logged and goes through calls (copied; NULL: none).  A
 * set *stop ends the work soon (within about 100 ms of a read or wait):
 * what is not done yet is left for the next start.  With manifest
 * (--manifest) each recovered NAME gets NAME.json first, marked
 * "recovered" (manifest.h).  Returns the handle for recover_join(), or
 * NULL with err if dir cannot be read or the thread cannot start.
 */
struct recover *recover_start(const char *dir, bool manifest,
    const atomic_bool *stop, const struct recover_calls *calls, char *err,
    size_t errlen);

/*
 * Wait for the recovery to end (it ends soon once *stop is set), free r
 * and return the number of files recovered.  recover_join(NULL) is 0.
 */
int recover_join(struct recover *r);

/*
 * The same on the calling thread, with no stop flag and no manifests
 * (the fuzzer's entry): returns the number
 * of files recovered, or -1 if dir cannot be read (err filled).
 */
int recover_dir(const char *dir, void (*recovered)(const char *path,
    void *arg), void *arg, char *err, size_t errlen);

#endif
