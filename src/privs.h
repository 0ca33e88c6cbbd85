/*
 * privs.h - dropping root once every input is open, and keeping the
 * children started before that (decompressors) from running as root.
 */
#ifndef MTRACECAP_PRIVS_H
#define MTRACECAP_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

/* Who to become: a user's uid, primary gid and every group of its. */
struct privs_user {
	uid_t	 uid;
	gid_t	 gid;
	int	 ngroups;
	gid_t	*groups;	/* ngroups entries, malloc'ed */
};

/*
 * Look user up (passwd and group databases).  Returns 0 and fills *u
 * (free it with privs_user_free), or -1 with err naming the user.
 */
int privs_lookup(const char *user, struct privs_user *u, char *err,
    size_t errlen);
void privs_user_free(struct privs_user *u);

/*
 * setgroups, setgid, setuid to u, then check that the real, effective
 * and saved uid and gid are u's and that root cannot be regained.  Call
 * before the pipeline's threads start (glibc gives the new ids to every
 * thread there is).  Returns 0, or -1 with err naming user.
 */
int privs_drop(const char *user, const struct privs_user *u, char *err,
    size_t errlen);

/*
 * Not root (file capabilities, a unit's AmbientCapabilities, or after
 * privs_drop): give up every capability, ambient ones included, once the
 * inputs are open; what runs later (the writer, --pipeout and
 * --post-rotate children) needs none.  Root keeps root.  0, or -1 with
 * err.  Main thread, before the readers start; a thread started earlier
 * (the control thread, a relay) gives up its own with
 * privs_drop_thread_caps().
 */
int privs_drop_caps(char *err, size_t errlen);

/*
 * For a helper thread started before privs_drop_caps(), which acts on the
 * calling thread only (capabilities are per thread): give up this
 * thread's capabilities unless root.  A later privs_drop() reaches every
 * thread anyway (glibc applies setuid to all).  Async-signal-safe; 0, or
 * -1.
 */
int privs_drop_thread_caps(void);

/*
 * In a freshly forked child, before exec: become u (NULL: stay who we
 * are), then give up every capability unless still root, so that a
 * child started before the drop runs as it would after.  Async-signal-
 * safe; 0, or -1 (the child should _exit).
 */
int privs_child_restrict(const struct privs_user *u);

#endif
