/*
 * testutil.h - scratch directories for the unit tests that touch the
 * filesystem (test_output, test_seqfile).  Header only: every function is
 * static inline, so a test program includes it and links nothing more.
 */
#ifndef MTRACECAP_TESTUTIL_H
#define MTRACECAP_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Create a new directory $TMPDIR/NAME.XXXXXX (/tmp without TMPDIR) and put
 * its path in buf.  Returns 0, or -1 with errno set.
 */
static inline int
testutil_mkdtemp(char *buf, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, size, "%s/%s.XXXXXX", tmp != NULL ? tmp : "/tmp", name);
	return mkdtemp(buf) != NULL ? 0 : -1;
}

/*
 * Remove path and, if it is a directory, everything below it (rm -rf).
 * Symbolic links below path are removed, never followed.  Errors are
 * ignored: this is a teardown.
 */
static inline void
testutil_remove_tree(const char *path)
{
	DIR *dp = opendir(path);
	struct dirent *de;
	char sub[1024];

	if (dp == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub))
			continue;	/* too long to be one of ours */
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			testutil_remove_tree(sub);
		else
			unlink(sub);
	}
	closedir(dp);
	rmdir(path);
}

#endif
