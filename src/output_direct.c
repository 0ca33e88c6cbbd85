/*
 * output_direct.c - a single output's final name that is a fifo or a
 * character device: opened and written in place (output.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "output_direct.h"
#include "place.h"

#define FIFO_POLL_NS	50000000L	/* a fifo without a reader: retry */

/* Only a fifo or a character device is ever written in place. */
static bool
writable_direct(mode_t mode)
{
	return S_ISFIFO(mode) || S_ISCHR(mode);
}

/*
 * The final name of a single output is taken by something that is not a
 * regular file.  A directory is an error.  A fifo or a character device
 * (or a link to one) is opened and written directly, as tcpdump -w does:
 * renaming a temp file over it would leave its reader with nothing.
 * Anything else there (a block device, a socket, a link to one) gets the
 * temp file scheme: the rename replaces the name, nothing is written
 * through it.  Opening a fifo waits for a reader, as tcpdump does, until
 * *stop is set (stop may be NULL: no end).  See output_direct.h.
 */
int
output_direct_open(const char *path, const atomic_bool *stop, int *fdp,
    char *err, size_t errlen)
{
	struct stat st;
	int fd, fl;

	*fdp = -1;
	if (place_check_target(path, err, errlen) != 0)
		return -1;
	/* a block device, a socket, a link to one...: the rename replaces
	 * the name (a link itself, never its target) */
	if (stat(path, &st) != 0 || !writable_direct(st.st_mode))
		return 0;
	fd = -1;
	if (S_ISFIFO(st.st_mode)) {
		/* wait for a reader as tcpdump does, but in steps, so that
		 * a stop signal still ends the wait */
		const struct timespec tick = { 0, FIFO_POLL_NS };
		bool told = false;

		while ((fd = open(path, O_WRONLY | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC)) < 0 &&
		    (errno == ENXIO || errno == EINTR)) {
			if (!told)
				log_info("waiting for a reader to open fifo "
				    "'%s'", path);
			told = true;
			if (stop != NULL && atomic_load_explicit(stop,
			    memory_order_relaxed)) {
				log_seterr(err, errlen, "stopped while "
				    "waiting for a reader to open fifo '%s'",
				    path);
				return -1;
			}
			nanosleep(&tick, NULL);
		}
		if (fd >= 0 && ((fl = fcntl(fd, F_GETFL)) < 0 ||
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)) {
			log_seterr(err, errlen, "cannot make '%s' blocking: "
			    "%s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	while (fd < 0) {
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && errno != EINTR) {
			log_seterr(err, errlen, "cannot open '%s': %s",
			    path, strerror(errno));
			return -1;
		}
	}
	if (fstat(fd, &st) != 0) {
		log_seterr(err, errlen, "cannot stat '%s': %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (!writable_direct(st.st_mode)) {
		/* replaced by something else meanwhile (a plain file, a link
		 * to a block device): never write into that */
		close(fd);
		return 0;
	}
	*fdp = fd;
	return 0;
}
