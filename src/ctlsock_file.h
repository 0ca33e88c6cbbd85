/*
 * ctlsock_file.h - the control socket's file: made at PATH without ever
 * following a link, a dead run's socket replaced and a live one's
 * refused, removed at exit only if it is still ours.
 */
#ifndef MTRACECAP_CTLSOCK_FILE_H
#define MTRACECAP_CTLSOCK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CTLSOCK_PATH_MAX	91	/* sun_path less room for PATH.tmp-PID */

struct ctlsock_file {
	char		 path[CTLSOCK_PATH_MAX + 1];
	bool		 made;		/* path is our socket (dev, ino) */
	dev_t		 dev;
	ino_t		 ino;
};

/*
 * A listening unix stream socket (non-blocking, close-on-exec) at path,
 * mode 0660, owned by uid and gid ((uid_t)-1, (gid_t)-1: unchanged).
 * Main thread, before other threads that could mind the brief umask.
 * Returns the fd, or -1 with err naming the path.
 */
int ctlsock_file_listen(struct ctlsock_file *f, const char *path, uid_t uid,
    gid_t gid, char *err, size_t errlen);

/* Warn if this user could not remove the file at exit. */
void ctlsock_file_check_removable(const struct ctlsock_file *f);

/* Remove the file if it is still the one we made (a warning if that
 * fails). */
void ctlsock_file_remove(struct ctlsock_file *f);

#endif
