/*
 * seqfile.c - load and atomically save the segment sequence number.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "naming.h"
#include "place.h"
#include "seqfile.h"

#define SEQFILE_MAXLEN	32

int
seqfile_parse(const char *buf, size_t len, uint32_t *next, char *err,
    size_t errlen)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0) {
		*next = 0;
		return 0;
	}
	for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > NAMING_SEQ_MAX)
			goto corrupt;
	}
	if (i == 0 || i + 1 != len || buf[i] != '\n')
		goto corrupt;
	*next = naming_next_seq((uint32_t)v);
	return 0;
corrupt:
	log_seterr(err, errlen, "expected a number from 0 to %u and a "
	    "newline", NAMING_SEQ_MAX);
	return -1;
}

/* What a file of mode m is, for a message: "a FIFO", ... */
static const char *
file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "of an unknown type";
}

int
seqfile_check(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	char dir[PATH_MAX];
	struct stat st;
	int n;

	/* ".tmp-" and a pid of up to 10 digits */
	if (strlen(base) + 15 > NAME_MAX) {
		log_seterr(err, errlen, "cannot use seqfile '%s': its name is "
		    "too long for its temporary file (%zu bytes at most)",
		    path, (size_t)NAME_MAX - 15);
		return -1;
	}
	if (slash == NULL)
		n = snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		n = snprintf(dir, sizeof(dir), "/");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
		    path);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		log_seterr(err, errlen, "cannot use seqfile '%s': name too "
		    "long", path);
		return -1;
	}
	if (stat(dir, &st) != 0) {
		log_seterr(err, errlen, "cannot use seqfile '%s': directory "
		    "'%s': %s", path, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_seterr(err, errlen, "cannot use seqfile '%s': '%s' is not "
		    "a directory", path, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		log_seterr(err, errlen, "cannot use seqfile '%s': directory "
		    "'%s' is not writable: %s", path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Open path for reading if it is a regular file, and only then: a FIFO
 * would block open() for ever, a device is not ours to open (and
 * seqfile_save() would rename over it), and a symbolic link would be
 * replaced by that rename, its target never updated.  lstat() first, so
 * that nothing else is opened; then O_NOFOLLOW | O_NONBLOCK and fstat()
 * in case it changed meanwhile.  The fd, -2 when it does not exist, or
 * -1 with err.
 */
static int
open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return -2;
		goto fail;
	}
	if (!S_ISREG(st.st_mode))
		goto not_regular;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -2;
		if (errno == ELOOP && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			goto not_regular;
		goto fail;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		goto fail;
	}
	if (S_ISREG(st.st_mode))
		return fd;
	close(fd);
not_regular:
	log_seterr(err, errlen, "cannot read seqfile '%s': %s, not a regular "
	    "file", path, file_type(st.st_mode));
	return -1;
fail:
	log_seterr(err, errlen, "cannot read seqfile '%s': %s", path,
	    strerror(errno));
	return -1;
}

int
seqfile_load(const char *path, uint32_t *next, char *err, size_t errlen)
{
	char buf[SEQFILE_MAXLEN + 1];
	char perr[128];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (seqfile_check(path, err, errlen) != 0)
		return -1;
	if ((fd = open_regular(path, err, errlen)) == -2) {
		*next = 0;
		return 0;
	}
	if (fd < 0)
		return -1;
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_seterr(err, errlen, "cannot read seqfile '%s': %s",
			    path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > SEQFILE_MAXLEN ||
	    seqfile_parse(buf, len, next, perr, sizeof(perr)) != 0) {
		log_seterr(err, errlen, "corrupt seqfile '%s': %s", path,
		    len > SEQFILE_MAXLEN ? "too long" : perr);
		return -1;
	}
	return 0;
}

int
seqfile_save(const char *path, uint32_t seq, char *err, size_t errlen)
{
	char buf[SEQFILE_MAXLEN];
	int len = snprintf(buf, sizeof(buf), "%u\n", seq);

	if (place_save(path, NULL, buf, (size_t)len, true) == 0)
		return 0;
	if (errno == ENAMETOOLONG)
		log_seterr(err, errlen, "seqfile name too long: '%s'", path);
	else
		log_seterr(err, errlen, "cannot save seqfile '%s': %s", path,
		    strerror(errno));
	return -1;
}
