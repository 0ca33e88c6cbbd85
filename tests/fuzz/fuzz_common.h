/*
 * fuzz_common.h - helpers shared by the libFuzzer harnesses (header only:
 * each harness is one translation unit linked with the real sources).
 *
 * Harnesses that need files keep them in one private directory per
 * process, under $MTC_FUZZ_TMPDIR (run.sh points it at a directory it
 * removes afterwards: libFuzzer ends a run with _Exit(), so the atexit()
 * cleanup here does not always run), else /dev/shm when it exists (fsync
 * there costs nothing), else $TMPDIR or /tmp.
 * Invariant violations abort(), which libFuzzer reports as a crash.
 */
#ifndef MTRACECAP_FUZZ_COMMON_H
#define MTRACECAP_FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static char fuzz_dir[PATH_MAX];

static __attribute__((unused)) void
fuzz_rmdir_contents(const char *dir)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static __attribute__((unused)) void
fuzz_cleanup_dir(void)
{
	if (fuzz_dir[0] != '\0') {
		fuzz_rmdir_contents(fuzz_dir);
		rmdir(fuzz_dir);
	}
}

/* The private directory of this process (created on first use). */
static __attribute__((unused)) const char *
fuzz_tmpdir(void)
{
	const char *base;
	struct stat st;

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	base = getenv("MTC_FUZZ_TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
		    getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/mtc-fuzz.XXXXXX", base);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(fuzz_cleanup_dir);
	return fuzz_dir;
}

/* Write len bytes to path (created or truncated); aborts on failure. */
static __attribute__((unused)) void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	const unsigned char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

/* Whole contents of path in a malloc'ed buffer (NULL if missing). */
static __attribute__((unused)) unsigned char *
fuzz_read_file(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || (buf = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	*len = have;
	return buf;
}

#endif
