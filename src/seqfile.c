/*
 * seqfile.c - load and atomically save the segment sequence number.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "naming.h"
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

int
seqfile_load(const char *path, uint32_t *next, char *err, size_t errlen)
{
	char buf[SEQFILE_MAXLEN + 1];
	char perr[128];
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			*next = 0;
			return 0;
		}
		log_seterr(err, errlen, "cannot read seqfile '%s': %s", path,
		    strerror(errno));
		return -1;
	}
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
	char tmp[4096], buf[SEQFILE_MAXLEN];
	struct stat st;
	int fd, n, len;
	ssize_t w;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_seterr(err, errlen, "seqfile name too long: '%s'", path);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%u\n", seq);
	/* no O_TRUNC: whatever has that name (a crash's leftover, or a
	 * planted link or fifo) is checked before anything is written */
	fd = open(tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) != 0)
		goto fail_fd;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		/* a hard link to some other file: never write through it */
		errno = EEXIST;
		goto fail_fd;
	}
	if (ftruncate(fd, 0) != 0)
		goto fail_fd;
	do {
		w = write(fd, buf, (size_t)len);
	} while (w < 0 && errno == EINTR);
	if (w != len) {
		if (w >= 0)
			errno = ENOSPC;
		goto fail_fd;
	}
	if (fsync(fd) != 0)
		goto fail_fd;
	if (close(fd) != 0) {
		fd = -1;
		goto fail_fd;
	}
	if (rename(tmp, path) != 0) {
		fd = -1;
		goto fail_fd;
	}
	return 0;
fail_fd:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = e;
	}
fail:
	log_seterr(err, errlen, "cannot save seqfile '%s': %s", path,
	    strerror(errno));
	return -1;
}
