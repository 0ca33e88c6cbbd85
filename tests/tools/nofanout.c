/*
 * nofanout.c - LD_PRELOAD fault injection for fanout.sh: the kernel
 * refuses to join a PACKET_FANOUT group.  setsockopt(SOL_PACKET,
 * PACKET_FANOUT) succeeds NOFANOUT_AFTER times (0 if unset), then fails
 * with EINVAL, as when a group of that id exists with another mode;
 * every other setsockopt is the real one.
 *
 *	cc -shared -fPIC -o nofanout.so nofanout.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

int setsockopt(int fd, int level, int name, const void *val, socklen_t len);

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	static int joins;
	const char *after = getenv("NOFANOUT_AFTER");

	if (real == NULL)
		real = (int (*)(int, int, int, const void *, socklen_t))
		    dlsym(RTLD_NEXT, "setsockopt");
	if (level == SOL_PACKET && name == PACKET_FANOUT &&
	    joins++ >= (after != NULL ? atoi(after) : 0)) {
		errno = EINVAL;
		return -1;
	}
	return real(fd, level, name, val, len);
}
