/*
 * test_output.c - unit tests for output.c (and pipeout.c behind it): the
 * temp name and the rename into place, modes, O_EXCL/O_NOFOLLOW, no
 * replace, write errors on a full filesystem (a tiny tmpfs, as root) and
 * at RLIMIT_FSIZE (no root needed), --pipeout through cat and through
 * failing commands (one that writes nothing, one that never reads: its
 * waits are bounded and it is ended), stdout, a fifo or a device as the
 * output, and libwandio compression; records written from where they
 * are (output_append_ref) among copied ones; and each sink through its
 * ops (sink.h) on its own.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <wandio.h>

#include "output.h"
#include "pipeout.h"
#include "spawn.h"
#include "place.h"
#include "sink.h"
#include "testutil.h"

#define FHDR	24	/* a pcap file header */
#define RHDR	16	/* a pcap record header */

struct fx {
	char	dir[256];
	char	path[512];	/* dir/seg.pcap */
	char	temp[600];	/* dir/tmp-PID-seg.pcap */
	char	mnt[300];	/* a tmpfs mounted by the test, or "" */
	mode_t	umask_was;
	pid_t	child;		/* a helper process to reap, or 0 */

	/* everything handed to output_write, in order */
	unsigned char	*bytes;
	size_t		 nbytes, cap;
	size_t		*ends;		/* where each unit ends */
	size_t		 nunits, ucap;
	uint64_t	 noise;		/* != 0: random payloads */
	size_t		 input;		/* put_packet's packets come from it */
};

/* --- helpers ---------------------------------------------------------- */

static void
set_paths(struct fx *f, const char *dir)
{
	snprintf(f->path, sizeof(f->path), "%s/seg.pcap", dir);
	snprintf(f->temp, sizeof(f->temp), "%s/tmp-%ld-seg.pcap", dir,
	    (long)getpid());
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (testutil_mkdtemp(f->dir, sizeof(f->dir), "test_output") != 0) {
		free(f);
		return -1;
	}
	set_paths(f, f->dir);
	f->umask_was = umask(022);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	umask(f->umask_was);
	if (f->child > 0) {
		/* a test failed before it reaped its helper */
		kill(f->child, SIGKILL);
		(void)waitpid(f->child, NULL, 0);
	}
	if (f->mnt[0] != '\0')
		(void)umount2(f->mnt, MNT_DETACH);
	testutil_remove_tree(f->dir);
	free(f->bytes);
	free(f->ends);
	free(f);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	/* as main.c does: a dead --pipeout child is an EPIPE, not a kill */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static struct output_params
params(const char *path, size_t bufsize)
{
	struct output_params p;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.bufsize = bufsize;
	p.write_behind = true;		/* as a merge of files */
	return p;
}

static struct output *
open_ok(const struct output_params *p)
{
	char err[1024] = "";
	struct output *o = output_open(p, err, sizeof(err));

	if (o == NULL)
		fail_msg("output_open(%s): %s", p->path, err);
	return o;
}

/* The plain file output at f->path, with a bufsize-byte buffer. */
static struct output *
open_fx(struct fx *f, size_t bufsize)
{
	struct output_params p = params(f->path, bufsize);

	return open_ok(&p);
}

static void
remember(struct fx *f, const void *p, size_t len)
{
	if (f->nbytes + len > f->cap) {
		f->cap = (f->nbytes + len) * 2;
		f->bytes = realloc(f->bytes, f->cap);
		assert_non_null(f->bytes);
	}
	memcpy(f->bytes + f->nbytes, p, len);
	f->nbytes += len;
}

static void
remember_unit(struct fx *f)
{
	if (f->nunits == f->ucap) {
		f->ucap = f->ucap * 2 + 64;
		f->ends = realloc(f->ends, f->ucap * sizeof(*f->ends));
		assert_non_null(f->ends);
	}
	f->ends[f->nunits++] = f->nbytes;
}

/* The file header unit. */
static int
put_header(struct fx *f, struct output *o)
{
	unsigned char h[FHDR];
	int rc;

	for (size_t i = 0; i < sizeof(h); i++)
		h[i] = (unsigned char)(0xa0 + i);
	rc = output_write(o, h, sizeof(h), NULL, 0, false, 0);
	if (rc == 0) {
		remember(f, h, sizeof(h));
		remember_unit(f);
	}
	return rc;
}

/* Packet seq with dlen bytes of data; remembered only if accepted. */
static int
put_packet(struct fx *f, struct output *o, uint32_t seq, size_t dlen)
{
	unsigned char h[RHDR];
	unsigned char *d = malloc(dlen + 1);
	int rc;

	assert_non_null(d);
	memset(h, 0, sizeof(h));
	memcpy(h, &seq, sizeof(seq));
	memcpy(h + 8, &dlen, 4);
	for (size_t i = 0; i < dlen; i++) {
		if (f->noise != 0) {
			f->noise ^= f->noise << 13;
			f->noise ^= f->noise >> 7;
			f->noise ^= f->noise << 17;
			d[i] = (unsigned char)(f->noise >> 24);
		} else {
			d[i] = (unsigned char)(seq * 31 + i);
		}
	}
	rc = output_write(o, h, sizeof(h), d, dlen, true, f->input);
	if (rc == 0) {
		remember(f, h, sizeof(h));
		remember(f, d, dlen);
		remember_unit(f);
	}
	free(d);
	return rc;
}

/* Packets 0 to n - 1 of dlen bytes each; returns how many were refused. */
static int
put_packets(struct fx *f, struct output *o, uint32_t n, size_t dlen)
{
	int refused = 0;

	for (uint32_t i = 0; i < n; i++)
		if (put_packet(f, o, i, dlen) != 0)
			refused++;
	return refused;
}

/*
 * The header and n packets, all accepted: well past a pipe's buffer,
 * every 50th unit bigger than the output's own buffer.
 */
static void
put_past_pipe_buffer(struct fx *f, struct output *o, uint32_t n)
{
	assert_int_equal(put_header(f, o), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(put_packet(f, o, i, i % 50 == 0 ? 9000 :
		    1000), 0);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_size;
}

/* Whole file; *len its size.  Caller frees. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	unsigned char *buf;
	size_t got = 0;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

/* The file at path holds exactly the first len remembered bytes. */
static void
expect_contents(struct fx *f, const char *path, size_t len)
{
	size_t n;
	unsigned char *buf = slurp(path, &n);

	if (n != len)
		fail_msg("%s has %zu bytes, expected %zu", path, n, len);
	assert_true(len <= f->nbytes);
	if (memcmp(buf, f->bytes, len) != 0)
		fail_msg("%s differs from what was written", path);
	free(buf);
}

/* Sorted names in dir, one per line. */
static void
list_dir(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0) {
			strncat(out, names[i]->d_name, size - strlen(out) - 2);
			strcat(out, "\n");
		}
		free(names[i]);
	}
	free(names);
}

static void
expect_dir(const char *dir, const char *want)
{
	char got[4096];

	list_dir(dir, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s holds [%s], expected [%s]", dir, got, want);
}

/* output_close must succeed with nothing in err. */
static void
close_ok(struct output *o, struct output_result *res)
{
	char err[1024] = "x";

	if (output_close(o, res, err, sizeof(err)) != 0)
		fail_msg("output_close: %s", err);
	assert_string_equal(err, "");
}

/* output_close said this. */
static void
expect_result(const struct output_result *res, const char *final_path,
    uint64_t packets, uint64_t lost, bool failed)
{
	if (strcmp(res->final_path, final_path) != 0 ||
	    res->packets != packets || res->lost != lost ||
	    res->failed != failed)
		fail_msg("closed as [%s] packets %llu lost %llu failed %d, "
		    "expected [%s] %llu %llu %d", res->final_path,
		    (unsigned long long)res->packets,
		    (unsigned long long)res->lost, res->failed, final_path,
		    (unsigned long long)packets, (unsigned long long)lost,
		    failed);
}

/*
 * Point fd (standard output or error) at the open file `to`, which is
 * closed; returns a copy of the old fd for restore_fd().
 */
static int
redirect_fd(int fd, int to)
{
	int saved;

	fflush(fd == STDOUT_FILENO ? stdout : stderr);
	saved = dup(fd);
	assert_true(saved >= 0 && to >= 0);
	assert_int_equal(dup2(to, fd), fd);
	close(to);
	return saved;
}

static void
restore_fd(int fd, int saved)
{
	fflush(fd == STDOUT_FILENO ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
}

/* Send stderr (where log.c writes) to dir/stderr until capture_end. */
static int
capture_begin(struct fx *f)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/stderr", f->dir);
	return redirect_fd(STDERR_FILENO, open(path, O_WRONLY | O_CREAT |
	    O_TRUNC, 0600));
}

/* Restore stderr; returns what was logged (caller frees), file removed. */
static char *
capture_end(struct fx *f, int saved)
{
	char path[600];
	unsigned char *text;
	size_t len;

	restore_fd(STDERR_FILENO, saved);
	snprintf(path, sizeof(path), "%s/stderr", f->dir);
	text = slurp(path, &len);
	text[len] = '\0';
	unlink(path);
	return (char *)text;
}

/* --- the normal life of a file ---------------------------------------- */

static void
test_temp_then_final(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	struct output *o = open_fx(f, 4096);
	char want[700];
	struct stat st;

	/* while open: only the temp name, a regular file */
	assert_int_equal(lstat(f->temp, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_false(exists(f->path));
	assert_string_equal(output_path(o), f->path);
	snprintf(want, sizeof(want), "%s\n", strrchr(f->temp, '/') + 1);
	expect_dir(f->dir, want);

	assert_int_equal(put_header(f, o), 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(put_packet(f, o, i, 100), 0);
	assert_int_equal(output_bytes(o), FHDR + 3 * (RHDR + 100));
	assert_false(output_failed(o));
	/* buffered until a flush, then all of it, whole units */
	assert_int_equal(file_size(f->temp), 0);
	assert_int_equal(output_flush(o), 0);
	expect_contents(f, f->temp, f->nbytes);
	assert_int_equal(output_flush(o), 0);	/* nothing more to do */
	expect_contents(f, f->temp, f->nbytes);
	assert_int_equal(put_packet(f, o, 3, 0), 0);
	assert_int_equal(put_packet(f, o, 4, 1), 0);
	assert_false(exists(f->path));

	close_ok(o, &res);
	expect_result(&res, f->path, 5, 0, false);
	/* after close: only the final name, with exactly the bytes */
	assert_false(exists(f->temp));
	expect_dir(f->dir, "seg.pcap\n");
	expect_contents(f, f->path, f->nbytes);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void
test_mode_follows_umask(void **state)
{
	static const struct {
		mode_t mask, mode;
	} cases[] = {
		{ 0, 0640 }, { 022, 0640 }, { 027, 0640 }, { 077, 0600 },
		{ 066, 0600 }, { 0222, 0440 },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct output_result res;
		struct output *o;
		struct stat st;

		umask(cases[i].mask);
		o = open_fx(f, 4096);
		assert_int_equal(stat(f->temp, &st), 0);
		assert_int_equal(st.st_mode & 07777, cases[i].mode);
		assert_int_equal(put_header(f, o), 0);
		close_ok(o, &res);
		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, cases[i].mode);
		unlink(f->path);
	}
}

/* Units larger than the buffer go straight through, in order. */
static void
test_units_larger_than_buffer(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	struct output *o = open_fx(f, 64);

	assert_int_equal(put_header(f, o), 0);
	assert_int_equal(put_packet(f, o, 0, 10), 0);
	assert_int_equal(put_packet(f, o, 1, 1000), 0);
	assert_int_equal(put_packet(f, o, 2, 20), 0);
	assert_int_equal(put_packet(f, o, 3, 48), 0);	/* exactly 64 */
	assert_int_equal(put_packet(f, o, 4, 49), 0);	/* 65 */
	assert_int_equal(put_packet(f, o, 5, 300000), 0);
	assert_int_equal(put_packet(f, o, 6, 0), 0);
	assert_int_equal(output_bytes(o), f->nbytes);
	close_ok(o, &res);
	expect_result(&res, f->path, 7, 0, false);
	expect_contents(f, f->path, f->nbytes);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct output *o = open_fx(f, 64);

	assert_int_equal(put_header(f, o), 0);
	/* bigger than the buffer: on disk already */
	assert_int_equal(put_packet(f, o, 0, 1000), 0);
	output_abort(o);
	expect_dir(f->dir, "");
	output_abort(NULL);
}

/* --- never follow, never clobber -------------------------------------- */

static void
test_existing_temp_path(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	char err[1024] = "", buf[16];
	int fd;

	fd = open(f->temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_null(output_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, f->temp));
	/* untouched, and no final file */
	fd = open(f->temp, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_memory_equal(buf, "keep", 4);
	assert_false(exists(f->path));
}

static void
test_symlink_at_temp_path(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	char err[1024], victim[600], buf[16];
	int fd;

	/* dangling: following it would create the victim */
	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	assert_int_equal(symlink(victim, f->temp), 0);
	err[0] = '\0';
	assert_null(output_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, f->temp));
	assert_false(exists(victim));

	/* pointing at a file: following it would truncate or write it */
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, "precious", 8), 8);
	close(fd);
	err[0] = '\0';
	assert_null(output_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, f->temp));
	fd = open(victim, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	assert_memory_equal(buf, "precious", 8);
	/* the link itself is left alone */
	{
		struct stat st;

		assert_int_equal(lstat(f->temp, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
	assert_false(exists(f->path));
}

static void
test_no_replace(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	char one[700], two[700], buf[8];
	struct output_params p = params(f->path, 4096);
	struct output *o;
	int fd;

	snprintf(one, sizeof(one), "%s.1", f->path);
	snprintf(two, sizeof(two), "%s.2", f->path);
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);

	p.no_replace = true;
	o = open_ok(&p);
	assert_int_equal(put_header(f, o), 0);
	assert_int_equal(put_packet(f, o, 0, 10), 0);
	close_ok(o, &res);
	assert_string_equal(res.final_path, one);
	assert_int_equal(res.packets, 1);
	expect_contents(f, one, f->nbytes);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	assert_memory_equal(buf, "old", 3);

	/* NAME and NAME.1 taken: NAME.2 */
	o = open_ok(&p);
	assert_int_equal(put_header(f, o), 0);
	close_ok(o, &res);
	assert_string_equal(res.final_path, two);
	expect_contents(f, two, FHDR);
	expect_dir(f->dir, "seg.pcap\nseg.pcap.1\nseg.pcap.2\n");

	/* without no_replace the final name is replaced */
	p.no_replace = false;
	o = open_ok(&p);
	assert_int_equal(put_header(f, o), 0);
	close_ok(o, &res);
	assert_string_equal(res.final_path, f->path);
	expect_contents(f, f->path, FHDR);
	expect_dir(f->dir, "seg.pcap\nseg.pcap.1\nseg.pcap.2\n");
}

static void
test_place(void **state)
{
	struct fx *f = *state;
	char a[600], b[600], final[700], err[2048];
	int fd;

	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);
	close(fd);
	fd = open(b, O_WRONLY | O_CREAT | O_EXCL, 0644);
	close(fd);
	assert_int_equal(place_rename(a, b, true, final, sizeof(final), err,
	    sizeof(err)), 0);
	assert_int_equal(strcmp(final + strlen(b), ".1"), 0);
	expect_dir(f->dir, "b\nb.1\n");
	/* a temp file that is gone: -1, naming it */
	err[0] = '\0';
	assert_int_equal(place_rename(a, b, false, final, sizeof(final), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, a));
}

static void
test_open_errors(void **state)
{
	struct fx *f = *state;
	char *longpath = malloc(5000), err[1024], nodir[700];
	struct output_params p;

	assert_non_null(longpath);
	memset(longpath, 'a', 4999);
	longpath[0] = '/';
	longpath[4999] = '\0';
	p = params(longpath, 4096);
	err[0] = '\0';
	assert_null(output_open(&p, err, sizeof(err)));
	assert_true(err[0] != '\0');
	free(longpath);

	snprintf(nodir, sizeof(nodir), "%s/nodir/seg.pcap", f->dir);
	p = params(nodir, 4096);
	err[0] = '\0';
	assert_null(output_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "/nodir/tmp-"));
	expect_dir(f->dir, "");
}

/* The final name cannot be taken: nothing is kept, all is lost, -1. */
static void
test_rename_fails(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	struct output *o = open_fx(f, 4096);
	char err[2048] = "";

	/* a directory takes the name while the file is written */
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_int_equal(put_header(f, o), 0);
	assert_int_equal(put_packets(f, o, 5, 100), 0);
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->path));
	assert_int_equal(res.packets, 0);
	assert_int_equal(res.lost, 5);
	assert_string_equal(res.final_path, "");
	/* the temp file is gone, the directory untouched */
	expect_dir(f->dir, "seg.pcap\n");
	expect_dir(f->path, "");
}

/* A directory at the final name: refused up front, nothing created. */
static void
test_directory_target(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	char err[1024], link[600], want[700];

	assert_int_equal(mkdir(f->path, 0755), 0);
	err[0] = '\0';
	assert_int_equal(place_check_target(f->path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "output '%s' is a directory", f->path);
	assert_non_null(strstr(err, want));
	err[0] = '\0';
	assert_null(output_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, want));
	expect_dir(f->dir, "seg.pcap\n");
	expect_dir(f->path, "");

	/* a link to a directory is one too */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	err[0] = '\0';
	assert_int_equal(place_check_target(link, err, sizeof(err)), -1);
	assert_non_null(strstr(err, link));
	p = params(link, 4096);
	assert_null(output_open(&p, err, sizeof(err)));
	expect_dir(f->dir, "link\nseg.pcap\n");

	/* anything else is for output_open to deal with */
	assert_int_equal(place_check_target("-", err, sizeof(err)), 0);
	assert_int_equal(place_check_target("/dev/null", err, sizeof(err)),
	    0);
	assert_int_equal(rmdir(f->path), 0);
	assert_int_equal(place_check_target(f->path, err, sizeof(err)), 0);
	assert_int_equal(place_check_target(link, err, sizeof(err)), 0);
	expect_dir(f->dir, "link\n");
}

/* --- write errors ----------------------------------------------------- */

/*
 * After a write error: output_close says -1, every packet is either in
 * the file or counted lost, and the file under the final name is a prefix
 * of what was written that ends at a unit boundary.
 */
static void
check_failed_file(struct fx *f, struct output *o, uint64_t attempted,
    const char *final_dir)
{
	struct output_result res;
	char err[1024];
	size_t len, k;

	assert_true(output_failed(o));
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	assert_true(res.failed);
	assert_int_equal(res.packets + res.lost, attempted);
	assert_true(res.lost >= 1);
	assert_string_equal(res.final_path, f->path);
	len = (size_t)file_size(f->path);
	/* a prefix made of whole units: the header and res.packets packets */
	for (k = 0; k < f->nunits && f->ends[k] < len; k++)
		;
	if (k == f->nunits || f->ends[k] != len)
		fail_msg("%s ends inside a unit (%zu bytes)", f->path, len);
	assert_int_equal(k, res.packets);	/* unit 0 is the header */
	expect_contents(f, f->path, len);
	expect_dir(final_dir, "seg.pcap\n");	/* and no temp file */
}

static bool
mount_tiny_tmpfs(struct fx *f, const char *size)
{
	char opts[64];

	snprintf(f->mnt, sizeof(f->mnt), "%s/small", f->dir);
	assert_int_equal(mkdir(f->mnt, 0755), 0);
	snprintf(opts, sizeof(opts), "size=%s,mode=0755", size);
	if (mount("tmpfs", f->mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
		print_message("skipped: cannot mount a tmpfs (%s); needs "
		    "root (CAP_SYS_ADMIN)\n", strerror(errno));
		f->mnt[0] = '\0';
		return false;
	}
	set_paths(f, f->mnt);
	return true;
}

/* Fill the filesystem at dir, leaving about `leave` bytes free. */
static void
fill_fs(const char *dir, size_t leave)
{
	char path[700];
	static unsigned char block[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) == (ssize_t)sizeof(block))
		;
	close(fd);
	/* give some back */
	if (leave > 0)
		assert_int_equal(truncate(path, file_size(path) -
		    (off_t)leave), 0);
}

/*
 * On a 64k tmpfs, dlen-byte packets through a bufsize-byte buffer until
 * `refusals` of them were refused: check_failed_file.  Returns false if
 * the tmpfs cannot be mounted (the test is skipped).
 */
static bool
fill_tiny_fs(struct fx *f, size_t bufsize, size_t dlen, uint64_t refusals)
{
	struct output *o;
	uint64_t attempted = 0, refused = 0;

	if (!mount_tiny_tmpfs(f, "64k")) {
		skip();
		return false;
	}
	o = open_fx(f, bufsize);
	assert_int_equal(put_header(f, o), 0);
	while (refused < refusals) {
		assert_true(attempted < 1000);
		attempted++;
		if (put_packet(f, o, (uint32_t)attempted, dlen) != 0)
			refused++;
	}
	check_failed_file(f, o, attempted, f->mnt);
	return true;
}

/* 1016-byte units through a 4096-byte buffer until the fs is full. */
static void
test_full_fs_buffered(void **state)
{
	struct fx *f = *state;

	if (!fill_tiny_fs(f, 4096, 1000, 4))
		return;
	/* the space of the lost tail was given back by the cut */
	assert_true(file_size(f->path) <= 64 * 1024);
}

/* Every unit bigger than the buffer: written with writev. */
static void
test_full_fs_direct(void **state)
{
	(void)fill_tiny_fs(*state, 256, 3000, 3);
}

/* The last flush, at close, is the one that fails. */
static void
test_full_fs_at_close(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	struct output *o;
	char err[1024];

	if (!mount_tiny_tmpfs(f, "64k")) {
		skip();
		return;
	}
	fill_fs(f->mnt, 0);
	o = open_fx(f, 1 << 20);
	assert_int_equal(put_header(f, o), 0);
	assert_int_equal(put_packets(f, o, 20, 1000), 0);
	assert_false(output_failed(o));
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	/* not even the header made it: no file at all, no temp either */
	expect_result(&res, "", 0, 20, true);
	expect_dir(f->mnt, "filler\n");
}

/* RLIMIT_FSIZE: the same failure without root, at an exact offset. */
static void
test_file_size_limit(void **state)
{
	const rlim_t limit = 100000;
	struct fx *f = *state;
	struct output *o;
	struct rlimit old, lim;
	void (*old_xfsz)(int);
	uint64_t attempted = 0, refused = 0;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < limit) {
		skip();
		return;
	}
	o = open_fx(f, 4096);
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	if (put_header(f, o) == 0) {
		while (refused < 3 && attempted < 1000) {
			attempted++;
			if (put_packet(f, o, (uint32_t)attempted, 1000) != 0)
				refused++;
		}
	}
	/* stop limiting before anything else is written (test logs) */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_int_equal(refused, 3);
	check_failed_file(f, o, attempted, f->dir);
	/* at most what the buffer held was lost */
	assert_true((uint64_t)file_size(f->path) + 4096 + 1016 > limit);
}

/*
 * Per input, output_close leaves in p.kept the packets of each input that
 * are in the file: after a write error (RLIMIT_FSIZE) those of the prefix
 * kept, whether they went through the buffer or straight through (larger
 * than it); with no failure all of them; after a failed compressor none.
 */
#define KEPT_INPUTS	3
static char *resolve_ok(const char *name);

static void
put_mixed(struct fx *f, struct output *o, size_t *from, uint64_t n,
    uint64_t *given)
{
	for (uint64_t i = 0; i < n; i++) {
		f->input = (i * 7 + i / 5) % KEPT_INPUTS;
		from[i] = f->input;
		/* every 9th is larger than the 4096-byte buffer */
		int rc = put_packet(f, o, (uint32_t)i, i % 9 == 8 ? 5000 :
		    300 + i % 200);

		if (given != NULL) {
			assert_int_equal(rc, 0);
			given[f->input]++;
		}
	}
}

static void
test_kept_per_input(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	uint64_t kept[KEPT_INPUTS] = { 0 }, given[KEPT_INPUTS] = { 0 };
	uint64_t want[KEPT_INPUTS] = { 0 };
	size_t from[400];
	struct output_result res;
	struct rlimit old, lim;
	void (*old_xfsz)(int);
	char err[1024];
	struct output *o;
	char *argv[] = { (char *)"false", NULL }, *false_path;

	p.kept = kept;
	p.ninputs = KEPT_INPUTS;
	/* no failure: everything */
	o = open_ok(&p);
	assert_int_equal(put_header(f, o), 0);
	put_mixed(f, o, from, 100, given);
	close_ok(o, &res);
	assert_int_equal(res.packets, 100);
	for (size_t i = 0; i < KEPT_INPUTS; i++)
		assert_int_equal(kept[i], given[i]);
	assert_int_equal(res.bytes, file_size(res.final_path));
	assert_int_equal(unlink(res.final_path), 0);

	/* a write error: the inputs of the packets in the prefix kept */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 100000) {
		skip();
		return;
	}
	memset(kept, 0, sizeof(kept));
	f->nbytes = f->nunits = 0;
	o = open_ok(&p);
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 100000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(put_header(f, o), 0);
	put_mixed(f, o, from, 400, NULL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_true(output_failed(o));
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	assert_true(res.packets > 0 && res.lost > 0);
	assert_int_equal(res.packets + res.lost, 400);
	for (uint64_t i = 0; i < res.packets; i++)
		want[from[i]]++;
	for (size_t i = 0; i < KEPT_INPUTS; i++)
		assert_int_equal(kept[i], want[i]);
	assert_int_equal(res.bytes, file_size(res.final_path));
	assert_int_equal(unlink(res.final_path), 0);

	/* a failed compressor: nothing kept, the file is NAME.failed */
	memset(kept, 0, sizeof(kept));
	p.pipeout_path = false_path = resolve_ok("false");
	p.pipeout_argv = argv;
	o = open_ok(&p);
	free(false_path);
	(void)put_header(f, o);
	put_mixed(f, o, from, 50, NULL);
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	assert_int_equal(res.packets, 0);
	assert_true(res.failed_name);
	assert_int_equal(res.bytes, 0);
	for (size_t i = 0; i < KEPT_INPUTS; i++)
		assert_int_equal(kept[i], 0);
}

/* --- stdout ----------------------------------------------------------- */

static void
test_stdout(void **state)
{
	struct fx *f = *state;
	struct output_params p = params("-", 100);
	struct output_result res;
	struct output *o;
	char cap[600], err[1024];
	int saved;

	snprintf(cap, sizeof(cap), "%s/stdout", f->dir);
	saved = redirect_fd(STDOUT_FILENO, open(cap, O_WRONLY | O_CREAT |
	    O_EXCL, 0600));

	o = output_open(&p, err, sizeof(err));
	if (o != NULL) {
		(void)put_header(f, o);
		(void)put_packet(f, o, 1, 10);
		(void)put_packet(f, o, 2, 500);	/* direct */
		(void)output_close(o, &res, err, sizeof(err));
	}
	restore_fd(STDOUT_FILENO, saved);
	assert_non_null(o);
	expect_result(&res, "-", 2, 0, false);
	expect_contents(f, cap, f->nbytes);
	expect_dir(f->dir, "stdout\n");
}

/* The reader of stdout goes away: no word of --pipeout in the error. */
static void
test_stdout_reader_gone(void **state)
{
	struct fx *f = *state;
	struct output_params p = params("-", 100);
	struct output_result res;
	struct output *o;
	char err[1024], *logged;
	int saved_out, saved_err, pfd[2], rc = 0, refused = 0;

	assert_int_equal(pipe(pfd), 0);
	close(pfd[0]);
	saved_out = redirect_fd(STDOUT_FILENO, pfd[1]);
	saved_err = capture_begin(f);

	o = output_open(&p, err, sizeof(err));
	if (o != NULL) {
		(void)put_header(f, o);
		for (uint32_t i = 0; i < 10; i++)
			if (put_packet(f, o, i, i == 5 ? 500 : 10) != 0)
				refused++;
		rc = output_close(o, &res, err, sizeof(err));
	}
	logged = capture_end(f, saved_err);
	restore_fd(STDOUT_FILENO, saved_out);
	assert_non_null(o);
	assert_true(refused > 0);
	assert_int_equal(rc, -1);
	expect_result(&res, "-", 0, 10, true);
	if (strstr(logged, "standard output was closed by its reader") ==
	    NULL || strstr(logged, "Broken pipe") == NULL ||
	    strstr(logged, "pipeout") != NULL)
		fail_msg("wrong error for a closed stdout: %s", logged);
	free(logged);
	expect_dir(f->dir, "");
}

/* --- a fifo or a device as the output ---------------------------------- */

/*
 * Fork a reader that copies the fifo at path into file `to`; with flag,
 * it reads nothing until file flag exists, or wait_ms have passed (exit
 * status 5 then, once it read all).  It gives up after 20 s (SIGALRM),
 * so an output that never opens the fifo fails the test instead of
 * hanging it.
 */
static pid_t
fifo_reader_after(const char *path, const char *to, const char *flag,
    int wait_ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[4096];
		int in, out, late = 0;
		ssize_t n;

		alarm(20);
		in = open(path, O_RDONLY);
		out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (in < 0 || out < 0)
			_exit(2);
		for (int ms = 0; flag != NULL && !exists(flag); ms += 10) {
			if (ms >= wait_ms) {
				late = 1;
				break;
			}
			usleep(10000);
		}
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(3);
		_exit(n != 0 ? 4 : late ? 5 : 0);
	}
	return pid;
}

static pid_t
fifo_reader(const char *path, const char *to)
{
	return fifo_reader_after(path, to, NULL, 0);
}

static void
test_fifo_target(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	struct output *o;
	char got[600];
	struct stat st;
	pid_t reader;
	int status;

	snprintf(got, sizeof(got), "%s/got", f->dir);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	f->child = reader = fifo_reader(f->path, got);
	o = open_fx(f, 4096);		/* waits for the reader */
	assert_string_equal(output_path(o), f->path);
	assert_false(exists(f->temp));
	put_past_pipe_buffer(f, o, 300);
	close_ok(o, &res);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	f->child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_result(&res, f->path, 300, 0, false);
	/* the fifo is still there, the reader got every byte, no temp */
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	expect_contents(f, got, f->nbytes);
	expect_dir(f->dir, "got\nseg.pcap\n");
}

/*
 * Write-behind: a full buffer goes to the output's own thread, so the
 * merger fills the next one while the write waits (here, for a fifo's
 * reader that reads nothing until the second buffer is half full).
 * Synchronously (MTRACECAP_WRITE=sync, or write_behind false: a live
 * capture's output) the same output_write blocks until the reader gives
 * up waiting (status 5).  Either way, every byte arrives, in order.
 * how: 0 behind, 1 the environment says sync, 2 write_behind false.
 */
static void
behind_fifo(struct fx *f, int how)
{
	struct output_params p = params(f->path, 256 * 1024);
	bool behind = how == 0;
	const size_t bufsize = 256 * 1024;
	struct output_result res;
	struct output *o;
	char got[600], flag[600];
	pid_t reader;
	int status;
	uint32_t n = 0;

	snprintf(got, sizeof(got), "%s/got", f->dir);
	snprintf(flag, sizeof(flag), "%s/flag", f->dir);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	if (how == 1)
		assert_int_equal(setenv("MTRACECAP_WRITE", "sync", 1), 0);
	p.write_behind = how != 2;
	f->child = reader = fifo_reader_after(f->path, got, flag,
	    behind ? 10000 : 1000);
	o = open_ok(&p);
	unsetenv("MTRACECAP_WRITE");
	assert_int_equal(put_header(f, o), 0);
	/* a buffer and a half: past the fifo's 64 KiB, one flush */
	while (f->nbytes < bufsize + bufsize / 2)
		assert_int_equal(put_packet(f, o, n++, 1000), 0);
	close(open(flag, O_WRONLY | O_CREAT, 0600));
	close_ok(o, &res);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	f->child = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), behind ? 0 : 5);
	expect_result(&res, f->path, n, 0, false);
	expect_contents(f, got, f->nbytes);
}

static void
test_behind_fifo(void **state)
{
	behind_fifo(*state, 0);
}

static void
test_behind_off_fifo(void **state)
{
	behind_fifo(*state, 1);
}

static void
test_behind_unasked_fifo(void **state)
{
	behind_fifo(*state, 2);
}

/* The fifo's reader goes away: the plain write error, all counted. */
static void
test_fifo_reader_gone(void **state)
{
	struct fx *f = *state;
	struct output_result res;
	struct output *o;
	char err[1024], want[700], *logged;
	pid_t reader;
	int saved, rc, status;
	uint64_t attempted = 0;

	assert_int_equal(mkfifo(f->path, 0600), 0);
	/* opens the fifo, reads nothing, goes away */
	f->child = reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		alarm(20);
		_exit(open(f->path, O_RDONLY) >= 0 ? 0 : 1);
	}
	o = open_fx(f, 4096);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	f->child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	saved = capture_begin(f);
	(void)put_header(f, o);
	for (uint32_t i = 0; i < 20; i++, attempted++)
		(void)put_packet(f, o, i, 1000);
	rc = output_close(o, &res, err, sizeof(err));
	logged = capture_end(f, saved);
	assert_int_equal(rc, -1);
	assert_true(res.failed);
	assert_int_equal(res.packets + res.lost, attempted);
	assert_int_equal(res.lost, attempted);
	snprintf(want, sizeof(want), "cannot write '%s': Broken pipe",
	    f->path);
	if (strstr(logged, want) == NULL || strstr(logged, "pipeout") != NULL)
		fail_msg("wrong error for a closed fifo: %s", logged);
	free(logged);
	expect_dir(f->dir, "seg.pcap\n");
}

/* A link to /dev/null: written through, the link left alone. */
static void
test_device_target(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 64);
	struct output_result res;
	struct output *o;
	char target[64];
	ssize_t n;

	assert_int_equal(symlink("/dev/null", f->path), 0);
	for (int gz = 0; gz < 2; gz++) {
		/* compressed: no read-back check of what a device took */
		p.compress_type = gz ? WANDIO_COMPRESS_ZLIB : 0;
		p.compress_level = gz ? 6 : 0;
		o = open_ok(&p);
		expect_dir(f->dir, "seg.pcap\n");	/* no temp file */
		assert_int_equal(put_header(f, o), 0);
		for (uint32_t i = 0; i < 50; i++)
			assert_int_equal(put_packet(f, o, i, i == 3 ? 5000 :
			    100), 0);
		close_ok(o, &res);
		expect_result(&res, f->path, 50, 0, false);
		n = readlink(f->path, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		assert_string_equal(target, "/dev/null");
		expect_dir(f->dir, "seg.pcap\n");
	}
	/* output_abort only closes it */
	o = open_fx(f, 64);
	assert_int_equal(put_header(f, o), 0);
	output_abort(o);
	expect_dir(f->dir, "seg.pcap\n");
	assert_int_equal(readlink(f->path, target, sizeof(target) - 1), n);
}

/* --- --pipeout -------------------------------------------------------- */

static char *
resolve_ok(const char *cmd)
{
	char err[512] = "";
	char *path = spawn_resolve(cmd, err, sizeof(err));

	if (path == NULL)
		fail_msg("spawn_resolve(%s): %s", cmd, err);
	return path;
}

/* f->path through the --pipeout command argv (argv[0] found in PATH). */
static struct output *
open_pipeout(struct fx *f, char *const argv[])
{
	char *path = resolve_ok(argv[0]);
	struct output_params p = params(f->path, 4096);
	struct output *o;

	p.pipeout_path = path;
	p.pipeout_argv = argv;
	o = open_ok(&p);
	free(path);
	return o;
}

static void
test_pipeout_resolve(void **state)
{
	struct fx *f = *state;
	char err[512], *path, bin[600], cmd[700];
	int fd;

	path = resolve_ok("cat");
	assert_true(path[0] == '/');
	assert_string_equal(strrchr(path, '/'), "/cat");
	assert_int_equal(access(path, X_OK), 0);
	free(path);
	path = resolve_ok("/bin/sh");
	assert_string_equal(path, "/bin/sh");
	free(path);

	err[0] = '\0';
	assert_null(spawn_resolve("no-such-command-mtc", err, sizeof(err)));
	assert_non_null(strstr(err, "no-such-command-mtc"));
	err[0] = '\0';
	assert_null(spawn_resolve("/nonexistent/cat", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/cat"));
	err[0] = '\0';
	assert_null(spawn_resolve(f->dir, err, sizeof(err)));
	assert_non_null(strstr(err, f->dir));

	/* a file that is not executable is skipped in PATH */
	snprintf(bin, sizeof(bin), "%s/bin", f->dir);
	assert_int_equal(mkdir(bin, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/mtc-noexec", bin);
	fd = open(cmd, O_WRONLY | O_CREAT | O_EXCL, 0644);
	close(fd);
	{
		char *old = strdup(getenv("PATH") != NULL ? getenv("PATH") :
		    "");

		setenv("PATH", bin, 1);
		err[0] = '\0';
		path = spawn_resolve("mtc-noexec", err, sizeof(err));
		chmod(cmd, 0755);
		{
			char *found = spawn_resolve("mtc-noexec", err,
			    sizeof(err));

			setenv("PATH", old, 1);
			free(old);
			assert_non_null(found);
			assert_string_equal(found, cmd);
			free(found);
		}
		assert_null(path);
	}
}

static void
test_pipeout_cat(void **state)
{
	struct fx *f = *state;
	char *argv[] = { (char *)"cat", NULL };
	struct output_result res;
	struct output *o = open_pipeout(f, argv);
	struct stat st;

	assert_true(exists(f->temp));
	assert_false(exists(f->path));
	put_past_pipe_buffer(f, o, 600);
	close_ok(o, &res);
	expect_result(&res, f->path, 600, 0, false);
	expect_contents(f, f->path, f->nbytes);
	expect_dir(f->dir, "seg.pcap\n");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void
expect_pipeout_failed(struct fx *f, struct output *o, uint64_t npackets,
    bool contents_kept)
{
	struct output_result res;
	char err[1024], failed[700];

	snprintf(failed, sizeof(failed), "%s.failed", f->path);
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	/* we cannot vouch for anything a failed compressor was given */
	expect_result(&res, failed, 0, npackets, true);
	assert_true(exists(failed));
	assert_false(exists(f->path));
	expect_dir(f->dir, "seg.pcap.failed\n");
	if (contents_kept)
		expect_contents(f, failed, f->nbytes);
}

/* `false` exits before reading anything: writing to it fails (EPIPE). */
static void
test_pipeout_false(void **state)
{
	struct fx *f = *state;
	char *argv[] = { (char *)"false", NULL };
	struct output *o = open_pipeout(f, argv);
	siginfo_t si;

	/* wait until it has exited (without reaping it) */
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(si.si_status, 1);
	assert_int_equal(put_header(f, o), 0);
	(void)put_packets(f, o, 10, 100);
	expect_pipeout_failed(f, o, 10, false);
}

/*
 * sh -c script is given far more than a pipe holds but stops reading
 * early: some writes must fail (EPIPE), and nothing it was given can be
 * vouched for.  failed_early: output_failed() says so before the close.
 */
static void
expect_pipeout_refuses(struct fx *f, const char *script, bool failed_early)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };
	struct output *o = open_pipeout(f, argv);

	assert_int_equal(put_header(f, o), 0);
	assert_true(put_packets(f, o, 200, 1000) > 0);
	if (failed_early)
		assert_true(output_failed(o));
	expect_pipeout_failed(f, o, 200, false);
}

/*
 * A command that takes the first write, then exits with a failure before
 * reading the rest: what went into the pipe was accepted, later writes
 * fail.
 */
static void
test_pipeout_fails_midway(void **state)
{
	expect_pipeout_refuses(*state, "head -c 1 >/dev/null; exit 1", true);
}

/*
 * A command that exits with status 0 without reading its input: it was
 * not given the whole stream, so the file is not vouched for either.
 */
static void
test_pipeout_exits_early(void **state)
{
	expect_pipeout_refuses(*state, "head -c 1 >/dev/null", false);
}

/*
 * sh -c script takes all of n packets of size bytes (every write
 * succeeds), yet its file is kept as .failed (with what it wrote when
 * contents_kept).
 */
static void
expect_script_fails(struct fx *f, const char *script, uint32_t n,
    uint32_t size, bool contents_kept)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };
	struct output *o = open_pipeout(f, argv);

	assert_int_equal(put_header(f, o), 0);
	assert_int_equal(put_packets(f, o, n, size), 0);
	expect_pipeout_failed(f, o, n, contents_kept);
}

/*
 * A command that takes the whole stream and exits 0 but writes nothing:
 * an empty file is no compressed form of it, so it is not vouched for.
 */
static void
test_pipeout_writes_nothing(void **state)
{
	expect_script_fails(*state, "cat >/dev/null", 5, 100, false);
}

/* Wait (5 s at most) until process pid runs the program named want. */
static bool
wait_comm(pid_t pid, const char *want)
{
	char comm[64];

	snprintf(comm, sizeof(comm), "/proc/%ld/comm", (long)pid);
	for (int i = 0; i < 500; i++) {
		FILE *fp = fopen(comm, "r");
		char got[32] = "";

		if (fp != NULL) {
			if (fgets(got, sizeof(got), fp) == NULL)
				got[0] = '\0';
			fclose(fp);
		}
		if (strcmp(got, want) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

/* a watch whose child last did something secs seconds ago */
static void
watch_aged(struct pipeout_watch *w, const atomic_bool *stop, unsigned secs)
{
	struct timespec ts;

	pipeout_watch_init(w, stop);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->last_ns = ((uint64_t)ts.tv_sec - secs) * 1000000000u +
	    (uint64_t)ts.tv_nsec;
}

/*
 * A child that never reads ('sleep 1000'): once its pipe is full a write
 * waits for it only as long as the watch allows (the stop limit once
 * *stop is set, the longer one before), and spawn_end() gets rid of it
 * even when it ignores SIGTERM.
 */
static void
test_pipeout_stalled_child(void **state)
{
	struct fx *f = *state;
	char *argv[] = { (char *)"sh", (char *)"-c",
	    (char *)"trap '' TERM; exec sleep 1000", NULL };
	char *path = resolve_ok("sh"), err[256] = "";
	static unsigned char junk[1 << 17];
	struct pipeout_watch w;
	atomic_bool stop = false;
	int in_fd, out_fd, status;
	pid_t pid;
	struct timespec t0, t1;

	out_fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(out_fd >= 0);
	assert_int_equal(pipeout_start(path, argv, out_fd, &pid, &in_fd, err,
	    sizeof(err)), 0);
	f->child = pid;
	free(path);
	close(out_fd);
	/* only once it is sleep does it ignore SIGTERM */
	assert_true(wait_comm(pid, "sleep\n"));
	/* fill the pipe (it is non-blocking): whatever it accepts counts
	 * as progress, so the watch is aged only once it is full */
	while (write(in_fd, junk, sizeof(junk)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	/* stopping, and nothing taken for longer than the stop limit: the
	 * write gives up at once */
	watch_aged(&w, &stop, PIPEOUT_STOP_STALL_S + 1);
	stop = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	assert_int_equal(pipeout_write(in_fd, junk, sizeof(junk), &w, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	if (strstr(err, "took none of its input for 5 s after the stop "
	    "signal") == NULL)
		fail_msg("wrong error for a stalled child: %s", err);
	/* not stopping: the longer limit, and a message without "stop" */
	stop = false;
	watch_aged(&w, &stop, PIPEOUT_STALL_S + 1);
	assert_int_equal(pipeout_write(in_fd, junk, sizeof(junk), &w, err,
	    sizeof(err)), -1);
	if (strstr(err, "took none of its input for 30 s") == NULL ||
	    strstr(err, "stop") != NULL)
		fail_msg("wrong error for a child stalled while running: %s",
		    err);
	/* reaping with an expired watch ends it: SIGKILL after SIGTERM */
	close(in_fd);
	watch_aged(&w, &stop, PIPEOUT_STALL_S + 1);
	assert_int_equal(pipeout_reap(pid, "cmd", &w, err, sizeof(err)), -1);
	if (strstr(err, "did not exit 30 s after its input ended") == NULL ||
	    strstr(err, "with SIGKILL after SIGTERM") == NULL)
		fail_msg("wrong error for a child that did not exit: %s", err);
	f->child = 0;
	assert_int_equal(waitpid(pid, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A command that reads everything and then fails. */
static void
test_pipeout_exit_status(void **state)
{
	expect_script_fails(*state, "cat; exit 3", 30, 1000, true);
}

/* --- libwandio compression -------------------------------------------- */

static void
test_gzip(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	struct output_result res;
	struct output *o;
	unsigned char *back, magic[2];
	size_t got = 0;
	io_t *io;
	int fd;

	p.compress_type = WANDIO_COMPRESS_ZLIB;
	p.compress_level = 6;
	o = open_ok(&p);
	assert_int_equal(put_header(f, o), 0);
	for (uint32_t i = 0; i < 200; i++)
		assert_int_equal(put_packet(f, o, i, i == 7 ? 10000 : 300), 0);
	close_ok(o, &res);
	expect_result(&res, f->path, 200, 0, false);
	expect_dir(f->dir, "seg.pcap\n");

	fd = open(f->path, O_RDONLY);
	assert_int_equal(read(fd, magic, 2), 2);
	close(fd);
	assert_int_equal(magic[0], 0x1f);
	assert_int_equal(magic[1], 0x8b);
	back = malloc(f->nbytes + 1);
	assert_non_null(back);
	io = wandio_create(f->path);
	assert_non_null(io);
	for (;;) {
		off_t n = wandio_read(io, back + got, (off_t)(f->nbytes + 1 -
		    got));

		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
		assert_true(got <= f->nbytes);
	}
	wandio_destroy(io);
	assert_int_equal(got, f->nbytes);
	assert_memory_equal(back, f->bytes, f->nbytes);
	free(back);
}

/* libwandio ignores write errors: the read-back check must catch them. */
static void
test_gzip_full_fs(void **state)
{
	struct fx *f = *state;
	struct output_params p;
	struct output_result res;
	struct output *o;
	char err[1024], failed[700];

	if (!mount_tiny_tmpfs(f, "64k")) {
		skip();
		return;
	}
	f->noise = 88172645463325252ull;
	p = params(f->path, 4096);
	p.compress_type = WANDIO_COMPRESS_ZLIB;
	p.compress_level = 1;
	o = open_ok(&p);
	(void)put_header(f, o);
	/* 200 KB of noise does not fit in 64 KB, compressed or not */
	(void)put_packets(f, o, 200, 1000);
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	snprintf(failed, sizeof(failed), "%s.failed", f->path);
	expect_result(&res, failed, 0, 200, true);
	expect_dir(f->mnt, "seg.pcap.failed\n");
}

/* --- records written from where they are (output_append_ref) --------- */

/* Record seq with dlen bytes of data at p, as put_packet makes it; its
 * length. */
static size_t
make_record(unsigned char *p, uint32_t seq, size_t dlen)
{
	memset(p, 0, RHDR);
	memcpy(p, &seq, sizeof(seq));
	memcpy(p + 8, &dlen, 4);
	for (size_t i = 0; i < dlen; i++)
		p[RHDR + i] = (unsigned char)(seq * 31 + i);
	return RHDR + dlen;
}

/* The len-byte record at rec by reference; remembered only if taken. */
static int
put_ref(struct fx *f, struct output *o, const unsigned char *rec,
    size_t len)
{
	int rc = output_append_ref(o, rec, len, f->input);

	if (rc == 0) {
		remember(f, rec, len);
		remember_unit(f);
	}
	return rc;
}

/* Packet seq through output_reserve and output_commit_packet. */
static void
put_reserved(struct fx *f, struct output *o, uint32_t seq, size_t dlen)
{
	unsigned char *p = output_reserve(o, RHDR + dlen);

	if (p == NULL) {
		/* not assert_non_null: the compiler must see p is not NULL */
		fail_msg("output_reserve(%zu) refused", RHDR + dlen);
		return;
	}
	make_record(p, seq, dlen);
	/* remembered before the commit: p is only ours until then */
	remember(f, p, RHDR + dlen);
	remember_unit(f);
	output_commit_packet(o, RHDR + dlen, f->input);
}

/*
 * Source arrays as a reader fills them: nrec records one after the other
 * (gap bytes between two, for records that must not coalesce), record
 * sizes varying with salt.  The records' offsets go in at[].
 */
static unsigned char *
make_source(size_t nrec, size_t gap, uint32_t salt, size_t *at)
{
	unsigned char *a = malloc(nrec * (RHDR + 300 + gap));
	size_t off = 0;

	assert_non_null(a);
	for (size_t i = 0; i < nrec; i++) {
		at[i] = off;
		off += make_record(a + off, salt * 100000 + (uint32_t)i,
		    20 + (i * 37 + salt) % 280) + gap;
	}
	at[nrec] = off;
	return a;
}

#define REF_SOURCES	4
#define REF_RECS	8000

/*
 * Every way of appending, interleaved as the writer may: refs from four
 * sources in runs (contiguous, so coalesced) and alone, copied packets,
 * reservations, units larger than the buffer, file-header-like units.
 * The file holds exactly the call order; the packets count per input.
 */
static void
test_ref_interleaved(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	uint64_t kept[KEPT_INPUTS] = { 0 }, given[KEPT_INPUTS] = { 0 };
	unsigned char *src[REF_SOURCES];
	size_t at[REF_SOURCES][REF_RECS + 1], next[REF_SOURCES] = { 0 };
	struct output_result res;
	struct output *o;
	uint64_t rnd = 0x9e3779b97f4a7c15ull, npackets = 0;
	uint32_t seq = 1;

	for (size_t s = 0; s < REF_SOURCES; s++)
		src[s] = make_source(REF_RECS, 0, (uint32_t)s + 1, at[s]);
	p.kept = kept;
	p.ninputs = KEPT_INPUTS;
	o = open_ok(&p);
	assert_true(output_can_ref(o));
	assert_int_equal(put_header(f, o), 0);
	for (int step = 0; step < 3000; step++) {
		size_t s, run;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		f->input = (size_t)(rnd >> 8) % KEPT_INPUTS;
		switch ((rnd >> 16) % 8) {
		case 0:
			assert_int_equal(put_packet(f, o, seq++, 10 + rnd % 400),
			    0);
			npackets++;
			given[f->input]++;
			break;
		case 1:
			put_reserved(f, o, seq++, 10 + rnd % 400);
			npackets++;
			given[f->input]++;
			break;
		case 2:
			if ((rnd >> 24) % 16 == 0) {
				/* straight through, past pending refs */
				assert_int_equal(put_packet(f, o, seq++, 5000),
				    0);
				npackets++;
				given[f->input]++;
			} else
				assert_int_equal(put_header(f, o), 0);
			break;
		default:
			/* a run from one source, as a merge takes them */
			s = (size_t)(rnd >> 32) % REF_SOURCES;
			/* up to 48 records: some runs pass OUTPUT_REF_RUN
			 * and are written from the source (the rest copied) */
			run = 1 + (size_t)(rnd >> 40) % 48;
			for (; run > 0 && next[s] < REF_RECS; run--, next[s]++) {
				assert_int_equal(put_ref(f, o, src[s] +
				    at[s][next[s]], at[s][next[s] + 1] -
				    at[s][next[s]]), 0);
				npackets++;
				given[f->input]++;
			}
			break;
		}
	}
	assert_int_equal(output_bytes(o), f->nbytes);
	close_ok(o, &res);
	expect_result(&res, f->path, npackets, 0, false);
	expect_contents(f, f->path, f->nbytes);
	assert_int_equal(res.bytes, f->nbytes);
	for (size_t i = 0; i < KEPT_INPUTS; i++)
		assert_int_equal(kept[i], given[i]);
	for (size_t s = 0; s < REF_SOURCES; s++)
		free(src[s]);
}

/*
 * Records that follow each other in memory share one iovec: far more
 * of them than SINK_IOV_MAX are held without a flush while the buffer
 * has room (separate iovecs would have filled the list).
 */
static void
test_ref_coalesced(void **state)
{
	struct fx *f = *state;
	const size_t n = 3 * SINK_IOV_MAX;
	size_t *at = malloc((n + 1) * sizeof(*at));
	unsigned char *src;
	struct output_result res;
	struct output *o = open_fx(f, 4 << 20);

	assert_non_null(at);
	src = make_source(n, 0, 7, at);
	assert_int_equal(put_header(f, o), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(put_ref(f, o, src + at[i], at[i + 1] - at[i]),
		    0);
	assert_true(f->nbytes < (4 << 20));
	assert_int_equal(file_size(f->temp), 0);
	assert_int_equal(output_flush(o), 0);
	expect_contents(f, f->temp, f->nbytes);
	close_ok(o, &res);
	expect_result(&res, f->path, n, 0, false);
	expect_contents(f, f->path, f->nbytes);
	free(src);
	free(at);
}

/*
 * More separate refs than SINK_IOV_MAX, copied packets between them: the
 * list is flushed when full, in order, and never overflows.  Refs become
 * pieces of their own only past the first few KiB of a run of adjacent
 * records (the rest is copied): runs of 40 records (about 6 KiB), one
 * record left out between two runs so that they do not join.
 */
#define MANY_RUN	40
static void
test_ref_many_pieces(void **state)
{
	struct fx *f = *state;
	const size_t n = (MANY_RUN + 1) * 600;
	size_t *at = malloc((n + 1) * sizeof(*at)), len;
	unsigned char *src;
	struct output_result res;
	struct output *o = open_fx(f, 4 << 20);
	uint64_t npackets = 0;

	assert_non_null(at);
	src = make_source(n, 0, 3, at);
	assert_int_equal(put_header(f, o), 0);
	for (size_t i = 0; i < n; i++) {
		if (i % (MANY_RUN + 1) == MANY_RUN)
			continue;
		assert_int_equal(put_ref(f, o, src + at[i], at[i + 1] - at[i]),
		    0);
		npackets++;
		if (i % 3 == 0) {
			assert_int_equal(put_packet(f, o, (uint32_t)i, 30), 0);
			npackets++;
		}
	}
	/* the list filled up (the buffer did not): whole units in the file */
	len = (size_t)file_size(f->temp);
	assert_true(len > 0 && len < f->nbytes);
	expect_contents(f, f->temp, len);
	close_ok(o, &res);
	expect_result(&res, f->path, npackets, 0, false);
	expect_contents(f, f->path, f->nbytes);
	free(src);
	free(at);
}

/*
 * Refs are not held past about the buffer's size, even when they all
 * coalesce into one iovec: a flush writes at most about 2 x bufsize.
 * With write-behind (behind), one more buffer of copies may be in
 * flight (never one with refs: those are written by the owner).
 */
static void
ref_past_bufsize(struct fx *f, bool behind)
{
	const size_t n = 200, bufsize = 4096;
	size_t at[201], held, most = 2 * bufsize + RHDR + 300;
	unsigned char *src;
	struct output_result res;
	struct output *o;

	if (!behind)
		assert_int_equal(setenv("MTRACECAP_WRITE", "sync", 1), 0);
	o = open_fx(f, bufsize);
	unsetenv("MTRACECAP_WRITE");
	if (behind)
		most += bufsize;

	src = make_source(n, 0, 9, at);
	assert_int_equal(put_header(f, o), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(put_ref(f, o, src + at[i], at[i + 1] - at[i]),
		    0);
		if (i % 7 == 3)
			put_reserved(f, o, (uint32_t)i, 200);
		held = f->nbytes - (size_t)file_size(f->temp);
		/* the buffer, bufsize of refs, the record that passed it */
		if (held > most)
			fail_msg("%zu bytes held after %zu refs", held, i + 1);
	}
	assert_true(f->nbytes > 4 * bufsize);
	expect_contents(f, f->temp, (size_t)file_size(f->temp));
	close_ok(o, &res);
	expect_result(&res, f->path, n + 29, 0, false);
	expect_contents(f, f->path, f->nbytes);
	free(src);
}

static void
test_ref_past_bufsize(void **state)
{
	ref_past_bufsize(*state, false);
}

static void
test_ref_past_bufsize_behind(void **state)
{
	ref_past_bufsize(*state, true);
}

/* A unit larger than the buffer goes straight through, after the refs
 * and copied bytes pending before it and before those after it.  A run
 * of RUN_LEAD adjacent records (more than OUTPUT_REF_RUN bytes) comes
 * first, so that the refs after it are pieces, not copies. */
#define RUN_LEAD	40
static void
test_ref_then_big_unit(void **state)
{
	struct fx *f = *state;
	size_t at[RUN_LEAD + 9], k = RUN_LEAD;
	unsigned char *src;
	struct output_result res;
	struct output *o = open_fx(f, 4096);

	src = make_source(RUN_LEAD + 8, 0, 5, at);
	assert_int_equal(put_header(f, o), 0);
	for (size_t i = 0; i < RUN_LEAD; i++)
		assert_int_equal(put_ref(f, o, src + at[i], at[i + 1] - at[i]),
		    0);
	/* an empty buffer: only the refs are pending before the first */
	assert_int_equal(output_flush(o), 0);
	assert_int_equal(put_ref(f, o, src + at[k], at[k + 1] - at[k]), 0);
	k++;
	assert_int_equal(put_ref(f, o, src + at[k], at[k + 1] - at[k]), 0);
	k++;
	assert_int_equal(put_packet(f, o, 1, 9000), 0);	/* refs only */
	assert_int_equal(put_ref(f, o, src + at[k], at[k + 1] - at[k]), 0);
	k++;
	assert_int_equal(put_packet(f, o, 2, 100), 0);
	assert_int_equal(put_packet(f, o, 3, 9000), 0);	/* ref and copy */
	put_reserved(f, o, 4, 50);
	assert_int_equal(put_ref(f, o, src + at[k], at[k + 1] - at[k]), 0);
	k++;
	assert_int_equal(put_ref(f, o, src + at[k], at[k + 1] - at[k]), 0);
	k++;
	assert_int_equal(put_packet(f, o, 5, 100), 0);
	assert_int_equal(put_packet(f, o, 6, 9000), 0);	/* copy last */
	assert_int_equal(put_ref(f, o, src + at[k], at[k + 1] - at[k]), 0);
	close_ok(o, &res);
	expect_result(&res, f->path, RUN_LEAD + 12, 0, false);
	expect_contents(f, f->path, f->nbytes);
	free(src);
}

/*
 * /dev/full, written in place: every flush fails, so every packet given,
 * by ref or copied, is counted lost exactly once, the error logged once.
 */
static void
test_ref_device_full(void **state)
{
	struct fx *f = *state;
	size_t at[41];
	unsigned char *src;
	struct output_result res;
	struct output *o;
	char err[1024], want[700], *logged;
	uint64_t attempted = 0, refused = 0;
	int saved;

	if (access("/dev/full", W_OK) != 0) {
		print_message("skipped: no writable /dev/full\n");
		skip();
		return;
	}
	src = make_source(40, 0, 11, at);
	assert_int_equal(symlink("/dev/full", f->path), 0);
	o = open_fx(f, 1024);
	assert_true(output_can_ref(o));
	saved = capture_begin(f);
	(void)put_header(f, o);
	for (size_t i = 0; i < 40; i++) {
		attempted++;
		if (put_ref(f, o, src + at[i], at[i + 1] - at[i]) != 0)
			refused++;
		if (i % 4 == 1) {
			attempted++;
			if (put_packet(f, o, (uint32_t)i, 100) != 0)
				refused++;
		}
	}
	assert_true(refused > 0 && refused < attempted);
	assert_true(output_failed(o));
	assert_false(output_can_ref(o));
	assert_int_equal(output_close(o, &res, err, sizeof(err)), -1);
	logged = capture_end(f, saved);
	assert_true(res.failed);
	assert_int_equal(res.packets, 0);
	assert_int_equal(res.lost, attempted);
	snprintf(want, sizeof(want), "cannot write '%s': No space left on "
	    "device", f->path);
	if (strstr(logged, want) == NULL ||
	    strstr(strstr(logged, want) + 1, "cannot write") != NULL)
		fail_msg("not logged once as [%s]: %s", want, logged);
	free(logged);
	free(src);
}

/*
 * A write error mid-file (RLIMIT_FSIZE) with refs pending: the file is
 * cut back to its last flush, whole units only, and every packet is
 * either in it or lost.
 */
static void
test_ref_file_size_limit(void **state)
{
	const rlim_t limit = 100000;
	struct fx *f = *state;
	size_t at[REF_RECS + 1];
	unsigned char *src;
	struct output *o;
	struct rlimit old, lim;
	void (*old_xfsz)(int);
	uint64_t attempted = 0, refused = 0;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < limit) {
		skip();
		return;
	}
	src = make_source(REF_RECS, 1, 13, at);
	o = open_fx(f, 4096);
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	if (put_header(f, o) == 0) {
		for (size_t i = 0; i < REF_RECS && refused < 3; i++) {
			attempted++;
			/* 2 refs and a copy, the refs never coalesced */
			if (put_ref(f, o, src + at[i], at[i + 1] - at[i] - 1) !=
			    0)
				refused++;
			if (i % 2 == 1) {
				attempted++;
				if (put_packet(f, o, (uint32_t)i, 500) != 0)
					refused++;
			}
		}
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_xfsz);
	/* the copy after a refused ref is refused too */
	assert_true(refused >= 3);
	check_failed_file(f, o, attempted, f->dir);
	free(src);
}

/* Only a sink with a writev op takes refs: not a compressor, nor
 * --pipeout; a plain file and stdout do. */
static void
test_ref_which_sinks(void **state)
{
	struct fx *f = *state;
	struct output_params p = params(f->path, 4096);
	char *argv[] = { (char *)"cat", NULL };
	struct output *o;

	o = open_ok(&p);
	assert_true(output_can_ref(o));
	output_abort(o);
	p.path = "-";
	o = open_ok(&p);
	assert_true(output_can_ref(o));
	output_abort(o);
	p.path = f->path;
	p.compress_type = WANDIO_COMPRESS_ZLIB;
	p.compress_level = 1;
	o = open_ok(&p);
	assert_false(output_can_ref(o));
	output_abort(o);
	p.compress_type = 0;
	p.pipeout_path = resolve_ok("cat");
	p.pipeout_argv = argv;
	o = open_ok(&p);
	assert_false(output_can_ref(o));
	output_abort(o);
	free((char *)p.pipeout_path);
	expect_dir(f->dir, "");
}

/* --- the sinks on their own (sink.h) ---------------------------------- */

/* A new file in f->dir for a sink to write, its fd. */
static int
sink_target(struct fx *f, const char *name, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/%s", f->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	return fd;
}

static void
expect_file(const char *path, const char *want)
{
	size_t len;
	unsigned char *got = slurp(path, &len);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
}

/* Through s: "abc", then "hdr" + "data" and "h" alone as units in two
 * pieces, then its end: "abchdrdatah" (s is freed). */
static void
put_units(struct sink *s)
{
	char err[1024] = "";

	assert_int_equal(s->ops->write(s, "abc", 3, err, sizeof(err)), 0);
	assert_int_equal(s->ops->write2(s, "hdr", 3, "data", 4, err,
	    sizeof(err)), 0);
	assert_int_equal(s->ops->write2(s, "h", 1, NULL, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(s->ops->finish(s, false, 11), 0);
}

static void
test_sink_fd(void **state)
{
	struct fx *f = *state;
	char path[700], err[1024] = "";
	int fd = sink_target(f, "plain", path, sizeof(path)), pfd[2];
	struct sink *s = sink_fd_open(fd, "plain", NULL, err, sizeof(err));

	assert_non_null(s);
	assert_true(s->ops->keeps_prefix);
	put_units(s);
	assert_int_equal(close(fd), 0);
	expect_file(path, "abchdrdatah");

	/* a reader that went away: the message names the file, and says
	 * so in the caller's words when it gave some */
	assert_int_equal(pipe(pfd), 0);
	close(pfd[0]);
	s = sink_fd_open(pfd[1], "the pipe", "its reader left; writing", err,
	    sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->write(s, "x", 1, err, sizeof(err)), -1);
	assert_string_equal(err, "its reader left; writing 'the pipe': "
	    "Broken pipe");
	s->ops->abort(s);
	s = sink_fd_open(pfd[1], "the pipe", NULL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->write2(s, "x", 1, "y", 1, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "cannot write 'the pipe': Broken pipe");
	s->ops->abort(s);
	close(pfd[1]);
}

/* The fd sink's writev op: pieces in order, empty ones skipped, the
 * write op's messages, a short write continued up to its error. */
static void
test_sink_fd_writev(void **state)
{
	struct fx *f = *state;
	char path[700], err[1024] = "";
	static char big[3][1000];
	struct iovec iov[] = {
		{ (void *)"ab", 2 }, { (void *)"", 0 }, { (void *)"cde", 3 },
		{ NULL, 0 }, { (void *)"f", 1 }, { (void *)"", 0 },
	};
	struct iovec bigv[3];
	int fd = sink_target(f, "plain", path, sizeof(path)), pfd[2];
	struct sink *s = sink_fd_open(fd, "plain", NULL, err, sizeof(err));
	struct rlimit old, lim;
	void (*old_xfsz)(int);
	unsigned char *got;
	size_t len;

	assert_non_null(s);
	assert_non_null(s->ops->writev);
	assert_int_equal(s->ops->writev(s, iov, 6, err, sizeof(err)), 0);
	assert_int_equal(s->ops->writev(s, iov, 0, err, sizeof(err)), 0);
	assert_int_equal(s->ops->writev(s, iov + 2, 1, err, sizeof(err)), 0);
	assert_int_equal(s->ops->finish(s, false, 9), 0);
	assert_int_equal(close(fd), 0);
	expect_file(path, "abcdefcde");

	assert_int_equal(pipe(pfd), 0);
	close(pfd[0]);
	s = sink_fd_open(pfd[1], "the pipe", "its reader left; writing", err,
	    sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->writev(s, iov, 3, err, sizeof(err)), -1);
	assert_string_equal(err, "its reader left; writing 'the pipe': "
	    "Broken pipe");
	s->ops->abort(s);
	s = sink_fd_open(pfd[1], "the pipe", NULL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->writev(s, iov, 3, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot write 'the pipe': Broken pipe");
	s->ops->abort(s);
	close(pfd[1]);

	/* RLIMIT_FSIZE cuts the writev inside the second piece: the rest
	 * of that piece is tried (and fails), nothing is written past it */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 1500) {
		skip();
		return;
	}
	for (int i = 0; i < 3; i++) {
		memset(big[i], 'x' + i, sizeof(big[i]));
		bigv[i].iov_base = big[i];
		bigv[i].iov_len = sizeof(big[i]);
	}
	fd = sink_target(f, "short", path, sizeof(path));
	s = sink_fd_open(fd, "short", NULL, err, sizeof(err));
	assert_non_null(s);
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 1500;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(s->ops->writev(s, bigv, 3, err, sizeof(err)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_string_equal(err, "cannot write 'short': File too large");
	s->ops->abort(s);
	close(fd);
	got = slurp(path, &len);
	assert_int_equal(len, 1500);
	assert_memory_equal(got, big[0], 1000);
	assert_memory_equal(got + 1000, big[1], 500);
	free(got);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * Short writes that succeed: a timer's signal (no SA_RESTART) cuts a
 * writev that a slow reader keeps blocked in a pipe, again and again,
 * inside pieces and between them; the reader still gets every byte
 * once, in order.
 */
static void
test_sink_fd_writev_interrupted(void **state)
{
	struct fx *f = *state;
	enum { NPIECES = 700, PIECE = 1500 };
	unsigned char *data = malloc(NPIECES * PIECE), *got;
	struct iovec iov[NPIECES];
	struct itimerval tick = { { 0, 2000 }, { 0, 2000 } }, off;
	struct sigaction sa, was;
	char path[700], err[1024] = "";
	struct sink *s;
	pid_t reader;
	int pfd[2], status, rc;
	size_t len;

	assert_non_null(data);
	for (size_t i = 0; i < NPIECES * PIECE; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	for (size_t i = 0; i < NPIECES; i++) {
		iov[i].iov_base = data + i * PIECE;
		/* uneven pieces, some empty */
		iov[i].iov_len = i % 5 == 4 ? 0 : PIECE - i % 3;
	}
	snprintf(path, sizeof(path), "%s/got", f->dir);
	assert_int_equal(pipe(pfd), 0);
	f->child = reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		const struct timespec nap = { 0, 200000 };
		char buf[4096];
		int out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ssize_t n;

		alarm(30);
		close(pfd[1]);
		while ((n = read(pfd[0], buf, sizeof(buf))) > 0) {
			if (out < 0 || write(out, buf, (size_t)n) != n)
				_exit(3);
			nanosleep(&nap, NULL);
		}
		_exit(n == 0 ? 0 : 4);
	}
	close(pfd[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: writev is cut */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &was), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &tick, NULL), 0);
	s = sink_fd_open(pfd[1], "the pipe", NULL, err, sizeof(err));
	assert_non_null(s);
	rc = s->ops->writev(s, iov, NPIECES, err, sizeof(err));
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &was, NULL);
	if (rc != 0)
		fail_msg("writev: %s", err);
	assert_int_equal(s->ops->finish(s, false, 0), 0);
	close(pfd[1]);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	f->child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	got = slurp(path, &len);
	for (size_t i = 0, at = 0; i < NPIECES; i++) {
		assert_true(at + iov[i].iov_len <= len);
		if (memcmp(got + at, iov[i].iov_base, iov[i].iov_len) != 0)
			fail_msg("piece %zu differs", i);
		at += iov[i].iov_len;
		if (i == NPIECES - 1)
			assert_int_equal(at, len);
	}
	free(got);
	free(data);
}

/* What path decompresses to (libwandio), as a string. */
static void
expect_decompressed(const char *path, const char *want)
{
	char got[256];
	off_t n, len = 0;
	io_t *io = wandio_create(path);

	assert_non_null(io);
	while ((n = wandio_read(io, got + len, (off_t)sizeof(got) - 1 -
	    len)) > 0)
		len += n;
	wandio_destroy(io);
	got[len] = '\0';
	assert_string_equal(got, want);
}

static void
test_sink_wandio(void **state)
{
	struct fx *f = *state;
	char path[700], err[1024] = "";
	int fd = sink_target(f, "z.gz", path, sizeof(path));
	struct sink *s = sink_wandio_open(fd, WANDIO_COMPRESS_ZLIB, 6, true,
	    "z.gz", "tmp-z.gz", err, sizeof(err));

	assert_non_null(s);
	assert_false(s->ops->keeps_prefix);
	put_units(s);
	close(fd);
	expect_decompressed(path, "abchdrdatah");

	/* read back, a stream that yields less than was given is broken;
	 * without verify (stdout, a fifo) it cannot be read back */
	fd = sink_target(f, "short.gz", path, sizeof(path));
	s = sink_wandio_open(fd, WANDIO_COMPRESS_ZLIB, 6, true, "short.gz",
	    "tmp-short.gz", err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->write(s, "abc", 3, err, sizeof(err)), 0);
	assert_int_equal(s->ops->finish(s, false, 4), -1);
	close(fd);
	fd = sink_target(f, "unchecked.gz", path, sizeof(path));
	s = sink_wandio_open(fd, WANDIO_COMPRESS_ZLIB, 6, false,
	    "unchecked.gz", "tmp-unchecked.gz", err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->write(s, "abc", 3, err, sizeof(err)), 0);
	assert_int_equal(s->ops->finish(s, false, 4), 0);
	close(fd);
}

/* The --pipeout sink running argv into a new file name in f->dir. */
static struct sink *
sink_pipe_ok(struct fx *f, char *const argv[], const char *name,
    bool check_empty, char *path, size_t len, int *fd)
{
	static const struct sink_pipe_names names = {
		"shown", "temp", "final",
	};
	char err[1024] = "", *cmd = resolve_ok(argv[0]);
	struct sink *s;

	*fd = sink_target(f, name, path, len);
	s = sink_pipe_open(cmd, argv, *fd, NULL, check_empty, &names, err,
	    sizeof(err));
	free(cmd);
	if (s == NULL)
		fail_msg("sink_pipe_open(%s): %s", argv[0], err);
	return s;
}

static void
test_sink_pipe(void **state)
{
	struct fx *f = *state;
	char *const cat[] = { "cat", NULL };
	char *const sink_null[] = { "sh", "-c", "cat >/dev/null", NULL };
	char path[700], err[1024] = "";
	struct sink *s;
	int fd;

	s = sink_pipe_ok(f, cat, "cat", true, path, sizeof(path), &fd);
	assert_false(s->ops->keeps_prefix);
	put_units(s);
	close(fd);
	expect_file(path, "abchdrdatah");

	/* a command that took everything and wrote nothing: only a temp
	 * file (check_empty) can tell, and then the stream is broken */
	s = sink_pipe_ok(f, sink_null, "null1", true, path, sizeof(path), &fd);
	assert_int_equal(s->ops->write(s, "abc", 3, err, sizeof(err)), 0);
	assert_int_equal(s->ops->finish(s, false, 3), -1);
	close(fd);
	s = sink_pipe_ok(f, sink_null, "null2", false, path, sizeof(path),
	    &fd);
	assert_int_equal(s->ops->write(s, "abc", 3, err, sizeof(err)), 0);
	assert_int_equal(s->ops->finish(s, false, 3), 0);
	close(fd);
	/* an output that failed already: the stream is never good */
	s = sink_pipe_ok(f, cat, "failed", true, path, sizeof(path), &fd);
	assert_int_equal(s->ops->finish(s, true, 0), -1);
	close(fd);
	/* abort ends the command and frees */
	s = sink_pipe_ok(f, cat, "aborted", true, path, sizeof(path), &fd);
	s->ops->abort(s);
	close(fd);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_temp_then_final),
		T(test_mode_follows_umask),
		T(test_units_larger_than_buffer),
		T(test_abort_leaves_nothing),
		T(test_existing_temp_path),
		T(test_symlink_at_temp_path),
		T(test_no_replace),
		T(test_place),
		T(test_open_errors),
		T(test_rename_fails),
		T(test_directory_target),
		T(test_full_fs_buffered),
		T(test_full_fs_direct),
		T(test_full_fs_at_close),
		T(test_file_size_limit),
		T(test_kept_per_input),
		T(test_stdout),
		T(test_stdout_reader_gone),
		T(test_fifo_target),
		T(test_behind_fifo),
		T(test_behind_off_fifo),
		T(test_behind_unasked_fifo),
		T(test_fifo_reader_gone),
		T(test_device_target),
		T(test_pipeout_resolve),
		T(test_pipeout_cat),
		T(test_pipeout_false),
		T(test_pipeout_fails_midway),
		T(test_pipeout_exits_early),
		T(test_pipeout_exit_status),
		T(test_pipeout_writes_nothing),
		T(test_pipeout_stalled_child),
		T(test_gzip),
		T(test_gzip_full_fs),
		T(test_ref_interleaved),
		T(test_ref_coalesced),
		T(test_ref_many_pieces),
		T(test_ref_past_bufsize),
		T(test_ref_past_bufsize_behind),
		T(test_ref_then_big_unit),
		T(test_ref_device_full),
		T(test_ref_file_size_limit),
		T(test_ref_which_sinks),
		T(test_sink_fd),
		T(test_sink_fd_writev),
		T(test_sink_fd_writev_interrupted),
		T(test_sink_wandio),
		T(test_sink_pipe),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
