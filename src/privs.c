/*
 * privs.c - privilege drop for --relinquish-privileges.
 *
 * Order matters: supplementary groups and gid while still root, uid last;
 * then prove that setuid(0) fails.  Called from main before any thread
 * but the signal thread exists... and before that one too: main drops
 * privileges before it starts threads, so every thread runs as the user.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

int
privs_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_seterr(err, errlen, "unknown user '%s' for "
		    "--relinquish-privileges", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		log_seterr(err, errlen, "cannot become user '%s': %s", user,
		    strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_seterr(err, errlen, "dropped to user '%s' but root can "
		    "still be regained", user);
		return -1;
	}
	return 0;
}
