/*
 * privs.h - dropping root once every input is open.
 */
#ifndef MTRACECAP_PRIVS_H
#define MTRACECAP_PRIVS_H

#include <stddef.h>

/*
 * initgroups, setgid, setuid to user, then check that the real, effective
 * and saved uid and gid are user's and that root cannot be regained.
 * Call before any thread starts.  Returns 0, or -1 with err naming the
 * user.
 */
int privs_drop(const char *user, char *err, size_t errlen);

/*
 * Not root (file capabilities, a unit's AmbientCapabilities, or after
 * privs_drop): give up every capability, ambient ones included, once the
 * inputs are open; what runs later (the writer, --pipeout and
 * --post-rotate children) needs none.  Root keeps root.  0, or -1 with
 * err.  Call before any thread starts.
 */
int privs_drop_caps(char *err, size_t errlen);

#endif
