/*
 * ctlsock_file.c - the control socket's file (see ctlsock_file.h).
 *
 * It is bound under a temporary name beside PATH (umask 0117: mode 0660
 * from the start), given to the run user and the group with lchown, and
 * renamed to PATH with RENAME_NOREPLACE: bind, lchown and rename never
 * follow a link.  What was at PATH before: nothing; a socket nobody
 * listens on (connect() refused: a dead run's), removed first; anything
 * else (a live socket, a file, a directory, a symlink) is an error.
 * Between that check and the rename another process could put something
 * at PATH: the rename then fails and replaces nothing.  At exit the file
 * is removed if its device and inode are still ours.  It is made before
 * privileges are dropped, so PATH may be in a directory only root can
 * write; then it cannot be removed at exit (a warning after the drop) and
 * the next run replaces it as a dead run's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock_file.h"
#include "log.h"

_Static_assert(CTLSOCK_PATH_MAX + sizeof(".tmp-4294967295") <=
    sizeof(((struct sockaddr_un *)0)->sun_path), "the temp name fits");

/* Is there a socket at path that someone listens on?  1 yes, 0 no
 * (refused: a dead run's), -1 error (errno). */
static int
live_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, e;

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	(void)close(fd);
	if (rc == 0)
		return 1;
	errno = e;
	return e == ECONNREFUSED ? 0 : -1;
}

/* Make room at f->path: nothing there, or a dead run's socket removed. */
static int
clear_path(struct ctlsock_file *f, char *err, size_t errlen)
{
	struct stat st;
	int live;

	if (lstat(f->path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		log_seterr(err, errlen, "control socket '%s': %s", f->path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_seterr(err, errlen, "control socket '%s': something that "
		    "is not a socket is there (%s); not replacing it",
		    f->path, S_ISLNK(st.st_mode) ? "a symbolic link" :
		    S_ISDIR(st.st_mode) ? "a directory" : "a file");
		return -1;
	}
	if ((live = live_socket(f->path)) != 0) {
		if (live > 0)
			log_seterr(err, errlen, "control socket '%s' is in use "
			    "by a running program (another mtracecap?)",
			    f->path);
		else
			log_seterr(err, errlen, "control socket '%s': %s",
			    f->path, strerror(errno));
		return -1;
	}
	if (unlink(f->path) != 0 && errno != ENOENT) {
		log_seterr(err, errlen, "cannot remove the stale control "
		    "socket '%s': %s", f->path, strerror(errno));
		return -1;
	}
	log_info("control socket '%s': replacing the socket of a run that "
	    "ended", f->path);
	return 0;
}

/* Bind under a temp name, own and listen, rename into place: the fd. */
static int
make_socket(struct ctlsock_file *f, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char what[CTLSOCK_PATH_MAX + 64];
	struct stat st;
	mode_t old;
	int fd, rc, e;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.tmp-%ld", f->path,
	    (long)getpid());
	snprintf(what, sizeof(what), "socket");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	old = umask(0117);	/* 0660 from the start */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	snprintf(what, sizeof(what), "bind '%s'", sa.sun_path);
	if (rc != 0)
		goto fail;
	snprintf(what, sizeof(what), "chown to uid %ld gid %ld",
	    uid == (uid_t)-1 ? -1L : (long)uid,
	    gid == (gid_t)-1 ? -1L : (long)gid);
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    lchown(sa.sun_path, uid, gid) != 0)
		goto fail;
	snprintf(what, sizeof(what), "listen");
	if (listen(fd, 64) != 0)
		goto fail;
	snprintf(what, sizeof(what), "rename from '%s'", sa.sun_path);
	if (renameat2(AT_FDCWD, sa.sun_path, AT_FDCWD, f->path,
	    RENAME_NOREPLACE) != 0)
		goto fail;
	if (lstat(f->path, &st) == 0) {
		f->made = true;
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	return fd;
fail:
	e = errno;
	if (fd >= 0) {
		(void)unlink(sa.sun_path);	/* bound or not */
		(void)close(fd);
	}
	log_seterr(err, errlen, "control socket '%s': %s: %s", f->path,
	    what, strerror(e));
	return -1;
}

int
ctlsock_file_listen(struct ctlsock_file *f, const char *path, uid_t uid,
    gid_t gid, char *err, size_t errlen)
{
	f->made = false;
	if (strlen(path) > CTLSOCK_PATH_MAX) {
		log_seterr(err, errlen, "--control '%s': longer than %d bytes",
		    path, CTLSOCK_PATH_MAX);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (clear_path(f, err, errlen) != 0)
		return -1;
	return make_socket(f, uid, gid, err, errlen);
}

void
ctlsock_file_check_removable(const struct ctlsock_file *f)
{
	char dir[CTLSOCK_PATH_MAX + 2];
	const char *slash;

	if (!f->made)
		return;
	slash = strrchr(f->path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == f->path ? 1 :
		    (int)(slash - f->path), f->path);
	if (access(dir, W_OK | X_OK) != 0)
		log_warn("control socket '%s': this user cannot remove it at "
		    "exit (directory '%s': %s); the next run replaces it",
		    f->path, dir, strerror(errno));
}


void
ctlsock_file_remove(struct ctlsock_file *f)
{
	struct stat st;

	if (f->made && lstat(f->path, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino && unlink(f->path) != 0)
		log_warn("cannot remove the control socket '%s': %s",
		    f->path, strerror(errno));
	f->made = false;
}
