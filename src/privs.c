/*
 * privs.c - privilege drop for --relinquish-privileges.
 *
 * Order matters: supplementary groups and gid while still root, uid last;
 * then check that the real, effective and saved ids are the user's and
 * prove that setuid(0) fails.  Called from main before the reader,
 * writer, finisher and recovery threads start.  Threads started before
 * (the control thread, and those that opening the inputs started:
 * libwandio's read-ahead, the stream relay) take the new ids too: glibc
 * applies set*id calls to every thread of the process.
 * Children forked before that (the decompressors of compressed inputs,
 * which main starts while opening the inputs as root) make the same
 * moves themselves between fork and exec.  Capabilities, though, belong
 * to threads: privs_drop_caps() reaches only the calling one.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

int
privs_lookup(const char *user, struct privs_user *u, char *err,
    size_t errlen)
{
	struct passwd *pw;
	int n = 16;

	memset(u, 0, sizeof(*u));
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_seterr(err, errlen, "unknown user '%s' for "
		    "--relinquish-privileges", user);
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	for (;;) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));
		int got = n;

		if (g == NULL) {
			log_seterr(err, errlen, "out of memory for the groups "
			    "of user '%s'", user);
			privs_user_free(u);
			return -1;
		}
		u->groups = g;
		if (getgrouplist(pw->pw_name, pw->pw_gid, g, &got) >= 0) {
			u->ngroups = got;
			return 0;
		}
		if (got <= n || n >= 65536) {
			log_seterr(err, errlen, "cannot list the groups of "
			    "user '%s'", user);
			privs_user_free(u);
			return -1;
		}
		n = got;
	}
}

void
privs_user_free(struct privs_user *u)
{
	free(u->groups);
	u->groups = NULL;
	u->ngroups = 0;
}

/* groups, gid, uid; 0 or -1 with errno.  Async-signal-safe. */
static int
become(const struct privs_user *u)
{
	if (setgroups((size_t)u->ngroups, u->groups) != 0 ||
	    setgid(u->gid) != 0 || setuid(u->uid) != 0)
		return -1;
	return 0;
}

int
privs_drop(const char *user, const struct privs_user *u, char *err,
    size_t errlen)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (become(u) != 0) {
		log_seterr(err, errlen, "cannot become user '%s': %s", user,
		    strerror(errno));
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0 ||
	    ruid != u->uid || euid != u->uid || suid != u->uid ||
	    rgid != u->gid || egid != u->gid || sgid != u->gid) {
		log_seterr(err, errlen, "dropped to user '%s' but the real, "
		    "effective and saved ids are not all its own", user);
		return -1;
	}
	if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_seterr(err, errlen, "dropped to user '%s' but root can "
		    "still be regained", user);
		return -1;
	}
	return 0;
}

/*
 * Empty the ambient, then the permitted, effective and inheritable sets.
 * 0, or -1 with errno naming the step in *what.  Async-signal-safe.
 */
static int
caps_clear(const char **what)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	/* ambient first: it cannot outlive permitted anyway, but an old
	 * kernel without ambient capabilities says EINVAL, which is fine */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL) {
		*what = "cannot clear ambient capabilities";
		return -1;
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		*what = "cannot drop capabilities";
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
	const char *what = "";

	if (geteuid() == 0)
		return 0;
	if (caps_clear(&what) != 0) {
		log_seterr(err, errlen, "%s: %s", what, strerror(errno));
		return -1;
	}
	if (syscall(SYS_capget, &hdr, data) != 0 ||
	    (data[0].permitted | data[1].permitted | data[0].effective |
	    data[1].effective) != 0) {
		log_seterr(err, errlen, "dropped capabilities, but some are "
		    "still there");
		return -1;
	}
	return 0;
}

int
privs_drop_thread_caps(void)
{
	const char *what;

	return geteuid() != 0 && caps_clear(&what) != 0 ? -1 : 0;
}

int
privs_child_restrict(const struct privs_user *u)
{
	if (u != NULL && (become(u) != 0 ||
	    (u->uid != 0 && setuid(0) == 0)))
		return -1;
	return privs_drop_thread_caps();
}
