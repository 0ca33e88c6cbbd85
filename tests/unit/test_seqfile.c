/*
 * test_seqfile.c - unit tests for seqfile.c: parsing every kind of
 * content, loading (missing, empty, corrupt, too long, unusable: not a
 * regular file, no directory) and atomic saving.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "seqfile.h"
#include "testutil.h"

/* --- parsing ---------------------------------------------------------- */

static void
expect_parse(const char *buf, size_t len, uint32_t want)
{
	char err[256] = "";
	uint32_t next = 12345;

	if (seqfile_parse(buf, len, &next, err, sizeof(err)) != 0)
		fail_msg("[%.*s] refused: %s", (int)len, buf, err);
	assert_int_equal(next, want);
}

static void
expect_corrupt(const char *buf, size_t len)
{
	char err[256] = "";
	uint32_t next = 12345;

	if (seqfile_parse(buf, len, &next, err, sizeof(err)) != -1)
		fail_msg("[%.*s] accepted as %u", (int)len, buf, next);
	assert_int_equal(next, 12345);	/* untouched */
	assert_true(err[0] != '\0');
}

#define PARSE_OK(s, want)	expect_parse((s), sizeof(s) - 1, (want))
#define PARSE_BAD(s)		expect_corrupt((s), sizeof(s) - 1)

static void
test_parse(void **state)
{
	(void)state;
	PARSE_OK("", 0);
	PARSE_OK("5\n", 6);
	PARSE_OK("0\n", 1);
	PARSE_OK("00000041\n", 42);
	PARSE_OK("99999998\n", 99999999);
	PARSE_OK("99999999\n", 0);		/* wraps */

	PARSE_BAD("5");				/* no newline */
	PARSE_BAD("x\n");
	PARSE_BAD("\n");
	PARSE_BAD("100000000\n");		/* nine digits */
	PARSE_BAD("4294967296\n");		/* not modulo 2^32 either */
	PARSE_BAD("18446744073709551621\n");	/* nor modulo 2^64 */
	PARSE_BAD("-1\n");
	PARSE_BAD("+1\n");
	PARSE_BAD(" 5\n");
	PARSE_BAD("5 \n");
	PARSE_BAD("5\n\n");
	PARSE_BAD("5\r\n");
	PARSE_BAD("5\nx");
	PARSE_BAD("0x5\n");
	PARSE_BAD("5\0\n");			/* embedded NUL */
	/* only len bytes count: "5\n" then garbage past the end is fine */
	expect_parse("5\nGARBAGE", 2, 6);
	expect_corrupt("5\nGARBAGE", 3);
}

/* --- files ------------------------------------------------------------ */

struct dir {
	char	path[256];
};

static int
setup_dir(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	if (testutil_mkdtemp(d->path, sizeof(d->path), "test_seqfile") != 0) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct dir *d = *state;

	testutil_remove_tree(d->path);
	free(d);
	return 0;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Read a whole small file into buf (NUL-terminated); returns its length. */
static size_t
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	close(fd);
	buf[n] = '\0';
	return (size_t)n;
}

/* Names in the directory other than . and .., newline-separated. */
static size_t
list_dir(const char *path, char *out, size_t size)
{
	DIR *dp = opendir(path);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(dp);
	out[0] = '\0';
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		strncat(out, de->d_name, size - strlen(out) - 2);
		strcat(out, "\n");
		n++;
	}
	closedir(dp);
	return n;
}

static void
test_load_missing_and_empty(void **state)
{
	struct dir *d = *state;
	char path[512], err[512] = "";
	uint32_t next = 777;

	snprintf(path, sizeof(path), "%s/seq", d->path);
	assert_int_equal(seqfile_load(path, &next, err, sizeof(err)), 0);
	assert_int_equal(next, 0);
	/* loading never creates it */
	assert_int_equal(access(path, F_OK), -1);

	write_file(path, "", 0);
	next = 777;
	assert_int_equal(seqfile_load(path, &next, err, sizeof(err)), 0);
	assert_int_equal(next, 0);

	write_file(path, "41\n", 3);
	assert_int_equal(seqfile_load(path, &next, err, sizeof(err)), 0);
	assert_int_equal(next, 42);

	write_file(path, "99999999\n", 9);
	assert_int_equal(seqfile_load(path, &next, err, sizeof(err)), 0);
	assert_int_equal(next, 0);
}

static void
test_load_corrupt(void **state)
{
	static const char *const bad[] = {
		"x\n", "5", "-1\n", " 5\n", "5\n\n", "100000000\n",
	};
	struct dir *d = *state;
	char path[512], err[512], longbuf[64];
	uint32_t next;

	snprintf(path, sizeof(path), "%s/seq", d->path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i], strlen(bad[i]));
		err[0] = '\0';
		next = 777;
		assert_int_equal(seqfile_load(path, &next, err, sizeof(err)),
		    -1);
		assert_int_equal(next, 777);
		/* the message names the file */
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, "corrupt"));
	}

	/* leading zeros are digits, but a huge file is refused unread */
	memset(longbuf, '0', sizeof(longbuf));
	longbuf[sizeof(longbuf) - 2] = '5';
	longbuf[sizeof(longbuf) - 1] = '\n';
	write_file(path, longbuf, sizeof(longbuf));
	err[0] = '\0';
	assert_int_equal(seqfile_load(path, &next, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "too long"));

	/* a directory cannot be read as a seqfile */
	err[0] = '\0';
	assert_int_equal(seqfile_load(d->path, &next, err, sizeof(err)), -1);
	assert_non_null(strstr(err, d->path));
}

/*
 * What seqfile_save() could not use is refused at load, naming it: a
 * FIFO (1.0.0 blocked in open() for ever), a device, a symbolic link
 * (save would replace the link), a missing directory or one that is a
 * file (1.0.0: found only at the first file), a name too long for the
 * temporary file.  Nothing is created.
 */
static void
test_load_unusable(void **state)
{
	struct dir *d = *state;
	char path[512], err[512], names[1024], longname[300];
	uint32_t next;
	static const struct {
		const char *name, *want;
	} cases[] = {
		{ "fifo", "a FIFO, not a regular file" },
		{ "link", "a symbolic link, not a regular file" },
		{ "nodir/seq", "directory '" },
		{ "file/seq", "is not a directory" },
	};

	snprintf(path, sizeof(path), "%s/fifo", d->path);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/file", d->path);
	write_file(path, "5\n", 2);
	snprintf(path, sizeof(path), "%s/link", d->path);
	assert_int_equal(symlink("file", path), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->path, cases[i].name);
		err[0] = '\0';
		next = 777;
		assert_int_equal(seqfile_load(path, &next, err, sizeof(err)),
		    -1);
		assert_int_equal(next, 777);
		if (strstr(err, path) == NULL ||
		    strstr(err, cases[i].want) == NULL)
			fail_msg("%s: '%s' lacks the name or '%s'",
			    cases[i].name, err, cases[i].want);
	}
	/* a null device of our own (needs root); refused without opening
	 * it, so even on a nodev file system */
	snprintf(path, sizeof(path), "%s/chr", d->path);
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)) == 0) {
		err[0] = '\0';
		assert_int_equal(seqfile_load(path, &next, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "a character device"));
		assert_int_equal(unlink(path), 0);
	}

	/* NAME_MAX - 15 bytes leave room for ".tmp-PID"; one more does not */
	memset(longname, 'n', sizeof(longname));
	snprintf(path, sizeof(path), "%s/%.*s", d->path, 255 - 15, longname);
	err[0] = '\0';
	if (seqfile_load(path, &next, err, sizeof(err)) != 0)
		fail_msg("%zu-byte name refused: %s", strlen(path), err);
	assert_int_equal(seqfile_save(path, 3, err, sizeof(err)), 0);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/%.*s", d->path, 255 - 14, longname);
	err[0] = '\0';
	assert_int_equal(seqfile_load(path, &next, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(list_dir(d->path, names, sizeof(names)), 3);
}

static void
test_save_load_round_trip(void **state)
{
	static const uint32_t seqs[] = { 0, 1, 9, 10, 12345, 99999998,
	    99999999 };
	struct dir *d = *state;
	char path[512], err[512] = "", buf[64], want[64], names[1024];
	uint32_t next;

	snprintf(path, sizeof(path), "%s/seq", d->path);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		if (seqfile_save(path, seqs[i], err, sizeof(err)) != 0)
			fail_msg("save %u: %s", seqs[i], err);
		/* the 0.6 format: decimal and one newline */
		snprintf(want, sizeof(want), "%u\n", seqs[i]);
		read_file(path, buf, sizeof(buf));
		assert_string_equal(buf, want);
		assert_int_equal(seqfile_load(path, &next, err, sizeof(err)),
		    0);
		assert_int_equal(next, seqs[i] == 99999999 ? 0 : seqs[i] + 1);
		/* nothing but the seqfile in the directory */
		assert_int_equal(list_dir(d->path, names, sizeof(names)), 1);
		assert_string_equal(names, "seq\n");
	}
}

static void
test_save_is_atomic(void **state)
{
	struct dir *d = *state;
	char path[512], old[512], tmp[600], err[512] = "", buf[64];
	char names[1024];
	struct stat before, after;

	snprintf(path, sizeof(path), "%s/seq", d->path);
	snprintf(old, sizeof(old), "%s/old", d->path);
	assert_int_equal(seqfile_save(path, 5, err, sizeof(err)), 0);
	/* a second name for the current file shows it is never rewritten */
	assert_int_equal(link(path, old), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(seqfile_save(path, 6, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino != after.st_ino);	/* renamed over */
	read_file(old, buf, sizeof(buf));
	assert_string_equal(buf, "5\n");
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, "6\n");
	unlink(old);
	/* no temporary file left behind */
	assert_int_equal(list_dir(d->path, names, sizeof(names)), 1);
	assert_string_equal(names, "seq\n");

	/* a symlink planted at the temp name is not followed */
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	assert_int_equal(symlink(old, tmp), 0);
	err[0] = '\0';
	assert_int_equal(seqfile_save(path, 7, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(access(old, F_OK), -1);	/* nothing created */
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, "6\n");		/* old value kept */
	unlink(tmp);
}

static void
test_save_errors(void **state)
{
	struct dir *d = *state;
	char path[512], err[512], names[1024];

	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/nodir/seq", d->path);
	err[0] = '\0';
	assert_int_equal(seqfile_save(path, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));

	/* the path is a directory: rename fails, the temp file goes */
	snprintf(path, sizeof(path), "%s/isdir", d->path);
	assert_int_equal(mkdir(path, 0755), 0);
	err[0] = '\0';
	assert_int_equal(seqfile_save(path, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(list_dir(d->path, names, sizeof(names)), 1);
	assert_string_equal(names, "isdir\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_load_missing_and_empty,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_corrupt, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_unusable, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_load_round_trip,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_is_atomic,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_errors, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
