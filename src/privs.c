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
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

int
privs_drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (geteuid() == 0)
		return 0;
	memset(data, 0, sizeof(data));
	/* ambient first: it cannot outlive permitted anyway, but an old
	 * kernel without ambient capabilities says EINVAL, which is fine */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL) {
		log_seterr(err, errlen, "cannot clear ambient capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		log_seterr(err, errlen, "cannot drop capabilities: %s",
		    strerror(errno));
		return -1;
	}
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data) != 0 ||
	    (data[0].permitted | data[1].permitted | data[0].effective |
	    data[1].effective) != 0) {
		log_seterr(err, errlen, "dropped capabilities, but some are "
		    "still there");
		return -1;
	}
	return 0;
}
