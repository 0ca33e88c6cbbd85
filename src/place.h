/*
 * place.h - how a file gets its final name: the temp file protocol.
 *
 * A file is written under a temporary name in its final directory
 * (naming_temp: tmp-<pid>-<name>), created exclusively (O_EXCL|O_NOFOLLOW,
 * mode 0640 less umask) and locked (flock) while it is written, then
 * renamed to its final name, and the directory fsync'ed so that the
 * rename is durable.  Crash recovery (recover.c) relies on this: a temp
 * file nobody holds the lock of was left by an interrupted run, and it
 * gives such a file its final name the same way.
 */
#ifndef MTRACECAP_PLACE_H
#define MTRACECAP_PLACE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Create the temp file temp for writing and lock it (recovery leaves a
 * locked temp file alone; a --pipeout child shares the lock through its
 * stdout).  Returns the fd (O_CLOEXEC), or -1 with err naming temp.
 */
int place_create(const char *temp, char *err, size_t errlen);

/*
 * Rename temp to want, then fsync the directory; with no_replace an
 * existing file is kept and the name gets ".1", ".2"...  The name used
 * goes to final.  0, or -1 with err naming both.
 */
int place_rename(const char *temp, const char *want, bool no_replace,
    char *final, size_t flen, char *err, size_t errlen);

/* fsync the directory dir (a rename in it is durable after this):
 * 0, or -1 with errno. */
int place_fsync_dir(const char *dir);

/*
 * Can files be created in dir (a directory)?  Tried with O_TMPFILE, which
 * leaves nothing behind (access() where the file system lacks it).  0, or
 * -1 with err naming dir.
 */
int place_check_dir(const char *dir, char *err, size_t errlen);

/*
 * Startup check for a single output file: -1 with err naming path when it
 * is an existing directory (or a link to one), which the final rename
 * could never replace; 0 otherwise (also for "-").  Creates nothing.
 */
int place_check_target(const char *path, char *err, size_t errlen);

/*
 * Replace path's content with len bytes of buf, atomically: written to
 * PATH.tmp-<pid> (whatever has that name is checked first: only a regular
 * file of one link is reused, never a link, FIFO or device), then renamed
 * over path.  durable: the temp file is fsync'ed before the rename and,
 * with dir (path's directory) not NULL, dir after it.  0, or -1 with errno
 * (ENAMETOOLONG: path too long for its temp name; EEXIST: the temp name
 * is taken by something else); nothing is left under the temp name.
 */
int place_save(const char *path, const char *dir, const void *buf,
    size_t len, bool durable);

/*
 * Startup check of the output: -B's directory (rotating) can take new
 * files, or a single file's directory can and path is no directory
 * ("-": nothing to check).  0, or -1 with err naming the path.
 */
int place_check_output(const char *path, bool rotating, char *err,
    size_t errlen);

#endif
