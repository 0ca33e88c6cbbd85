/*
 * notrunc.c - LD_PRELOAD fault injection for faults.sh: every ftruncate()
 * fails with EIO, as on a file system that cannot shrink a file right
 * after a write error.  mtracecap must then never give the file (which
 * may end in a torn record) its final name as a good one.
 *
 *	cc -shared -fPIC -o notrunc.so notrunc.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/types.h>

int ftruncate(int fd, off_t len);
int ftruncate64(int fd, off_t len);

int
ftruncate(int fd, off_t len)
{
	(void)fd;
	(void)len;
	errno = EIO;
	return -1;
}

int
ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}
