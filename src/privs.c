/*
 * privs.c - privilege drop for --relinquish-privileges.
 *
 * Order matters: supplementary groups and gid while still root, uid last;
 * then check that the real, effective and saved ids are the user's and
 * prove that setuid(0) fails.  Called from main before any thread
 * starts (the signal thread included), so every thread runs as the user.
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
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

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
	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0 ||
	    ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != pw->pw_gid || egid != pw->pw_gid || sgid != pw->pw_gid) {
		log_seterr(err, errlen, "dropped to user '%s' but the real, "
		    "effective and saved ids are not all its own", user);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_seterr(err, errlen, "dropped to user '%s' but root can "
		    "still be regained", user);
		return -1;
	}
	return 0;
}
