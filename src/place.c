/*
 * place.c - the temp file protocol: create and lock, rename into place,
 * never over an existing file when asked (RENAME_NOREPLACE), fsync the
 * directory.  See place.h.  Called by the output (the finisher's or the
 * writer's thread) and by crash recovery (its own thread); no state.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "place.h"

#define FILE_MODE	0640
#define MAX_SUFFIX	1000	/* no_replace tries NAME.1 ... NAME.999 */

int
place_create(const char *temp, char *err, size_t errlen)
{
	int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, FILE_MODE);

	if (fd < 0) {
		log_seterr(err, errlen, "cannot create '%s': %s", temp,
		    strerror(errno));
		return -1;
	}
	/* tells crash recovery (recover.c) the file is being written */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	return fd;
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

int
place_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The directory path is in (best effort: a rename is done already). */
static void
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	(void)place_fsync_dir(dir);
}

int
place_rename(const char *temp, const char *want_in, bool no_replace,
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
		for (i = 1; i < MAX_SUFFIX; i++) {
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
		if (i == MAX_SUFFIX)
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

int
place_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(dir, &st) != 0) {
		log_seterr(err, errlen, "output directory '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_seterr(err, errlen, "output directory '%s': not a "
		    "directory", dir);
		return -1;
	}
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
		if (access(dir, W_OK | X_OK) == 0)
			return 0;
	}
	log_seterr(err, errlen, "output directory '%s' is not writable: %s",
	    dir, strerror(errno));
	return -1;
}

int
place_check_target(const char *path, char *err, size_t errlen)
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

int
place_check_output(const char *path, bool rotating, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash;

	if (rotating)
		return place_check_dir(path, err, errlen);
	if (strcmp(path, "-") == 0)
		return 0;
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash - path), path);
	if (slash != NULL && slash[1] == '\0') {
		log_seterr(err, errlen, "output file '%s' names a directory "
		    "(use -B for a directory)", path);
		return -1;
	}
	if (place_check_dir(dir, err, errlen) != 0)
		return -1;
	return place_check_target(path, err, errlen);
}

/* All of len bytes of buf into fd.  0, or -1 with errno. */
static int
write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
place_save(const char *path, const char *dir, const void *buf, size_t len,
    bool durable)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, n, e;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* no O_TRUNC: whatever has that name (a crash's leftover, or a
	 * planted link or FIFO) is checked before anything is written */
	fd = open(tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		/* a hard link to some other file: never write through it */
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if (ftruncate(fd, 0) != 0 || write_all(fd, buf, len) != 0 ||
	    (durable && fsync(fd) != 0))
		goto fail;
	e = close(fd);
	fd = -1;
	if (e != 0 || rename(tmp, path) != 0)
		goto fail;
	if (durable && dir != NULL && place_fsync_dir(dir) != 0)
		return -1;	/* renamed: nothing to remove */
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}
