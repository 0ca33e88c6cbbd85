/*
 * recover.c - crash recovery of abandoned temp files (see recover.h).
 *
 * DESIGN
 * - recover_start() lists DIR on the calling thread (main, before the
 *   writer creates a file: every tmp- name listed is an earlier run's)
 *   and works through that list on the recovery thread while capture
 *   goes on.  Shared with other threads: the stop flag (only read here),
 *   the log, and the callbacks (recover_calls, recovered()), which run
 *   on the recovery thread.  recover_join() waits for the thread and frees everything.
 * - What is touched: only a regular file with one link, owned by the
 *   user we run as, opened with O_NOFOLLOW and checked with fstat() on
 *   that descriptor (salvage_open()).  Anything else is left alone with a
 *   warning.
 * - A plain pcap temp file is cut back in place to its last complete
 *   record (only record headers are read) and renamed to its final name.
 *   A compressed one (gz, bz2, xz: what libwandio writes) is decompressed
 *   by gzip/bzip2/xz and its valid prefix re-compressed into the scratch
 *   file tmp-recover-<our pid>-<name> (salvage.c does both checks).
 *   Anything else (not pcap, a corrupt stream, garbage after the records
 *   rather than part of one record) is kept whole as <name>.failed, since
 *   we cannot vouch for it.  With --manifest a recovered file gets its
 *   NAME.json (manifest_recovered: counted from the file itself) before
 *   its rename, as a completed one does; an unfinished tmp-manifest- file
 *   of a killed run is removed like a scratch file.
 * - Crash safety (kill -9 at any moment, then a restart): the temp file T
 *   is only ever cut to a prefix of itself (cutting again changes
 *   nothing) or replaced whole by rename(): the scratch copy, once
 *   complete, fsync'ed and read back, is renamed over T, and only then
 *   does T get its final name.  So a later start finds T (the original or
 *   its recovered copy: recovering it again gives the same packets) or
 *   the final file, never both; a scratch file it finds is unfinished
 *   (its original T is still there) and is removed.
 * - The stop flag is checked while reading, copying and waiting: a
 *   stopped recovery kills its decompressor, removes its scratch file and
 *   leaves T for the next start.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "format.h"
#include "log.h"
#include "manifest.h"
#include "naming.h"
#include "place.h"
#include "recover.h"
#include "salvage.h"

#define COPY_BUF	(1u << 20)

/* what became of one temp file */
enum outcome { OUT_SKIP, OUT_DONE, OUT_KEEP, OUT_STOPPED };

struct recover {
	char		 *dir;
	char		**names;	/* the tmp- entries listed at start */
	size_t		  nnames;
	const atomic_bool *stop;	/* NULL: never stops */
	bool		  manifest;	/* --manifest: NAME.json first */
	struct recover_calls calls;	/* around each final rename */
	void		(*recovered)(const char *path, void *arg);
	void		 *arg;
	unsigned char	 *buf;		/* COPY_BUF bytes */
	pthread_t	  thread;
	bool		  threaded;
	int		  count;	/* recovery thread until joined */
};

/* one temp file being recovered */
struct job {
	char		path[PATH_MAX];		/* DIR/tmp-<pid>-<name> */
	char		final[PATH_MAX];	/* DIR/<name> */
	char		scratch[PATH_MAX];	/* DIR/tmp-recover-<us>-<name> */
	struct stat	st;
	int		fd;
};

static bool
fits(int n, size_t len)
{
	return n >= 0 && (size_t)n < len;
}

/*
 * Is pid (from a temp name) a running process other than us?  Our own
 * pid is a previous incarnation (a container restarted): the list was
 * taken before we made any file.
 */
static bool
pid_running(long pid)
{
	if (pid <= 0 || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/*
 * Give the recovered j->path its final name, with its manifest first
 * when asked (tool: its decompressor, NULL when plain).  A manifest that
 * cannot be written is logged; the file is placed all the same.  0 with
 * placed, -1 (logged), -2 if stopped.
 */
static int
place_recovered(const struct recover *r, const struct job *j,
    const char *tool, char *placed, size_t plen)
{
	char err[PATH_MAX * 2 + 64], want[PATH_MAX];
	int rc;

	snprintf(want, sizeof(want), "%s", j->final);
	if (r->manifest && (rc = manifest_recovered(j->path, j->final, tool,
	    r->stop, want, sizeof(want), err, sizeof(err))) != 0) {
		if (rc == -2)
			return -2;
		log_error("%s; '%s' has no manifest", err, want);
	}
	/* recorded as awaiting delivery before it has the name */
	if (r->calls.before != NULL)
		(void)r->calls.before(r->calls.arg, want);
	if (place_rename(j->path, want, true, placed, plen, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		if (r->calls.after != NULL)
			r->calls.after(r->calls.arg, want, "", false);
		return -1;
	}
	if (r->calls.after != NULL)
		r->calls.after(r->calls.arg, want, placed, true);
	return 0;
}

/*
 * A plain pcap temp file: cut back in place to its last complete record
 * and renamed to its final name.  OUT_KEEP when there is more after the
 * records than part of one record (not ours to cut).
 */
static enum outcome
recover_plain(const struct recover *r, struct job *j, char *placed,
    size_t plen)
{
	uint64_t records = 0;
	bool invalid;
	off_t size = j->st.st_size, good;
	int z;

	if ((good = salvage_scan(j->fd, size, r->stop, &records, &invalid)) < 0)
		return OUT_STOPPED;
	/*
	 * A crash leaves at most part of one record after the last complete
	 * one (writes are whole records), or zeros after a power loss.
	 * Anything else is not ours to cut: keep it all.
	 */
	if (good > 0 && invalid &&
	    (z = salvage_zero_tail(j->fd, good, size, r->stop)) != 1) {
		if (z < 0)
			return OUT_STOPPED;
		log_warn("'%s': the %lld bytes after its %" PRIu64 " complete "
		    "packets are not a partial packet", j->path,
		    (long long)(size - good), records);
		return OUT_KEEP;
	}
	if (good == 0 && size == 0) {
		/* created, never written: nothing to keep */
		if (unlink(j->path) != 0) {
			log_error("cannot remove empty '%s': %s", j->path,
			    strerror(errno));
			return OUT_SKIP;
		}
		log_warn("removed empty '%s' of an interrupted run", j->path);
		return OUT_SKIP;
	}
	if (good == 0)
		return OUT_KEEP;
	if (good < size && ftruncate(j->fd, good) != 0) {
		log_error("cannot cut '%s' back to %lld bytes: %s", j->path,
		    (long long)good, strerror(errno));
		return OUT_SKIP;
	}
	if (fsync(j->fd) != 0) {
		log_error("cannot fsync '%s': %s; left for the next start",
		    j->path, strerror(errno));
		return OUT_SKIP;
	}
	if ((z = place_recovered(r, j, NULL, placed, plen)) != 0)
		return z == -2 ? OUT_STOPPED : OUT_SKIP;
	log_warn("recovered '%s' of an interrupted run as '%s': %" PRIu64
	    " complete packets, %lld bytes of a partial packet dropped",
	    j->path, placed, records, (long long)(size - good));
	return OUT_DONE;
}

/*
 * The finished scratch copy takes the place of the original temp file:
 * the original's mode, fsync'ed, locked (by sfd, which the caller closes
 * once the file has its final name), renamed over j->path, the directory
 * fsync'ed.  0, or -1 (logged; the scratch file is the caller's to remove).
 */
static int
install_copy(const struct job *j, const char *dir, int *sfd)
{
	*sfd = open(j->scratch, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*sfd < 0 || fchmod(*sfd, j->st.st_mode & 0777) != 0 ||
	    fsync(*sfd) != 0 || flock(*sfd, LOCK_EX | LOCK_NB) != 0 ||
	    rename(j->scratch, j->path) != 0 || place_fsync_dir(dir) != 0) {
		log_error("cannot put the recovered copy '%s' in the place of "
		    "'%s': %s; the original is kept", j->scratch, j->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A compressed temp file: its valid prefix re-compressed into the scratch
 * file, which replaces it (see DESIGN) before it gets its final name.
 */
static enum outcome
recover_compressed(const struct recover *r, struct job *j, int type,
    char *placed, size_t plen)
{
	uint64_t records = 0;
	enum outcome rc = OUT_SKIP;
	int sfd = -1, c;

	if ((c = salvage_recompress(j->fd, j->scratch, type, r->buf,
	    COPY_BUF, r->stop, &records)) != 0 ||
	    install_copy(j, r->dir, &sfd) != 0) {
		if (unlink(j->scratch) != 0 && errno != ENOENT)
			log_error("cannot remove '%s': %s", j->scratch,
			    strerror(errno));
		if (sfd >= 0)
			close(sfd);
		return c == -2 ? OUT_STOPPED : c == -1 ? OUT_KEEP : OUT_SKIP;
	}
	/* j->path holds the recovered copy now: a crash from here on
	 * leaves one file with these packets, under one name or the other */
	if ((c = place_recovered(r, j, compress_by_wandio(type)->tool,
	    placed, plen)) == 0) {
		log_warn("recovered '%s' of an interrupted run as '%s': %"
		    PRIu64 " complete packets (what still decompressed)",
		    j->path, placed, records);
		rc = OUT_DONE;
	} else if (c == -2) {
		rc = OUT_STOPPED;
	}
	close(sfd);
	return rc;
}

/* Not something we can check: keep it, never as complete. */
static void
keep_failed(const struct job *j, char *placed, size_t plen)
{
	char want[PATH_MAX], err[PATH_MAX * 2 + 64];

	if (!fits(snprintf(want, sizeof(want), "%s.failed", j->final),
	    sizeof(want))) {
		log_error("cannot keep '%s' as '%s.failed': name too long",
		    j->path, j->final);
		return;
	}
	if (place_rename(j->path, want, true, placed, plen, err,
	    sizeof(err)) == 0)
		log_warn("kept '%s' of an interrupted run as '%s': its "
		    "contents cannot be checked", j->path, placed);
	else
		log_error("%s", err);
}

/*
 * Fill j's names for the temp file DIR/name (final name base, the one in
 * it; written by process pid).  0, or -1 when it is left alone (warned).
 */
static int
job_init(const struct recover *r, struct job *j, const char *name,
    const char *base, long pid)
{
	/*
	 * The process named in the temp name still runs: it may be writing
	 * the file (on another host's view of a shared directory the lock
	 * taken later is the real test), so hands off.  After a reboot the
	 * pid may belong to something else: then the operator must act.
	 */
	if (pid_running(pid)) {
		log_warn("left '%s/%s' alone: process %ld is running (if that "
		    "is not an mtracecap writing it, restart once it is gone "
		    "or rename the file)", r->dir, name, pid);
		return -1;
	}
	if (!fits(snprintf(j->path, sizeof(j->path), "%s/%s", r->dir, name),
	    sizeof(j->path)) ||
	    !fits(snprintf(j->final, sizeof(j->final), "%s/%s", r->dir, base),
	    sizeof(j->final)) ||
	    naming_scratch(j->scratch, sizeof(j->scratch), r->dir, getpid(),
	    base) != 0) {
		log_warn("left '%s/%s' alone: name too long", r->dir, name);
		return -1;
	}
	return 0;
}

/*
 * Recover the temp file DIR/name (tmp-<pid>-<base>).  OUT_DONE with its
 * final path in placed, OUT_SKIP (left as it was, or removed when empty;
 * logged), or OUT_STOPPED (left as it was).
 */
static enum outcome
recover_one(const struct recover *r, const char *name, const char *base,
    long pid, char *placed, size_t plen)
{
	unsigned char m[4] = { 0 };
	struct job j;
	enum outcome rc;
	ssize_t n;
	int type;
	bool ours;

	if (job_init(r, &j, name, base, pid) != 0)
		return OUT_SKIP;
	switch (salvage_open(j.path, r->stop, &j.fd, &j.st)) {
	case 0:
		break;
	case -2:
		return OUT_STOPPED;
	default:
		return OUT_SKIP;
	}
	n = pread(j.fd, m, sizeof(m), 0);
	ours = n > 0 && format_sniff(m, sizeof(m)) != NULL;
	if (n > 0 && !ours &&
	    (type = salvage_compressed_type(m, (size_t)n)) != 0)
		rc = recover_compressed(r, &j, type, placed, plen);
	else if (n == 0 || ours)
		rc = recover_plain(r, &j, placed, plen);
	else
		rc = OUT_KEEP;
	if (rc == OUT_KEEP) {
		keep_failed(&j, placed, plen);
		rc = OUT_SKIP;
	}
	close(j.fd);
	return rc;
}

/*
 * DIR/name is a scratch file tmp-recover-<pid>-<name>: the unfinished
 * copy of a recovery that was killed (its original is still there and is
 * recovered again), or tmp-manifest-<pid>-<name>.json, an unfinished
 * manifest (its data file was not renamed yet: it is recovered and gets
 * a manifest of its own, see manifest.h).  Remove it unless its process
 * (pid) runs.
 */
static void
drop_scratch(const struct recover *r, const char *name, long pid,
    enum naming_kind kind)
{
	char path[PATH_MAX], why[128];
	const char *no;
	struct stat st;

	if (pid_running(pid) ||
	    !fits(snprintf(path, sizeof(path), "%s/%s", r->dir, name),
	    sizeof(path)) || lstat(path, &st) != 0)
		return;
	if ((no = salvage_unfit(&st, why, sizeof(why))) != NULL) {
		log_warn("left '%s' alone: %s", path, no);
		return;
	}
	if (unlink(path) != 0) {
		log_error("cannot remove '%s': %s", path, strerror(errno));
		return;
	}
	if (kind == NAMING_MANIFEST)
		log_warn("removed '%s': the unfinished manifest of an "
		    "interrupted run", path);
	else
		log_warn("removed '%s': the unfinished copy of an interrupted "
		    "recovery (its original is recovered now)", path);
}

/* Fill r->names with our temp names in r->dir (see naming_parse_temp()).
 * 0 or -1 with err. */
static int
list_dir(struct recover *r, char *err, size_t errlen)
{
	DIR *d = opendir(r->dir);
	struct dirent *de;
	size_t cap = 0;

	if (d == NULL) {
		log_seterr(err, errlen, "cannot read directory '%s': %s",
		    r->dir, strerror(errno));
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		long pid;
		const char *base;

		if (naming_parse_temp(de->d_name, &pid, &base) == NAMING_OTHER)
			continue;
		if (r->nnames == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			char **nn = realloc(r->names, ncap * sizeof(*nn));

			if (nn == NULL)
				break;
			r->names = nn;
			cap = ncap;
		}
		if ((r->names[r->nnames] = strdup(de->d_name)) == NULL)
			break;
		r->nnames++;
	}
	if (de != NULL || errno != 0) {
		log_seterr(err, errlen, "cannot read directory '%s': %s",
		    r->dir, de != NULL ? "out of memory" : strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

/* Work through the list: scratch files and unfinished manifests first
 * (their names could be the ones ours would get), then the temp files. */
static void
recover_run(struct recover *r)
{
	char placed[PATH_MAX];
	const char *base;
	long pid;

	for (size_t i = 0; i < r->nnames; i++) {
		enum naming_kind k = naming_parse_temp(r->names[i], &pid,
		    &base);

		if (k == NAMING_SCRATCH || k == NAMING_MANIFEST)
			drop_scratch(r, r->names[i], pid, k);
	}
	for (size_t i = 0; i < r->nnames; i++) {
		enum outcome rc;

		if (naming_parse_temp(r->names[i], &pid, &base) != NAMING_TEMP)
			continue;
		rc = recover_one(r, r->names[i], base, pid, placed,
		    sizeof(placed));
		if (rc == OUT_DONE) {
			r->count++;
			if (r->recovered != NULL)
				r->recovered(placed, r->arg);
		} else if (rc == OUT_STOPPED) {
			log_warn("stopping: the recovery of '%s/%s' was "
			    "interrupted; it and the temp files not recovered "
			    "yet are left for the next start", r->dir,
			    r->names[i]);
			return;
		}
	}
}

static void *
recover_thread(void *arg)
{
	recover_run(arg);
	return NULL;
}

static void
recover_free(struct recover *r)
{
	for (size_t i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->buf);
	free(r->dir);
	free(r);
}

/* A recovery of dir with its list taken; NULL with err. */
static struct recover *
recover_create(const char *dir, const atomic_bool *stop,
    void (*recovered)(const char *, void *), void *arg, char *err,
    size_t errlen)
{
	struct recover *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->dir = strdup(dir)) == NULL ||
	    (r->buf = malloc(COPY_BUF)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		if (r != NULL)
			recover_free(r);
		return NULL;
	}
	r->stop = stop;
	r->recovered = recovered;
	r->arg = arg;
	if (list_dir(r, err, errlen) != 0) {
		recover_free(r);
		return NULL;
	}
	return r;
}

struct recover *
recover_start(const char *dir, bool manifest, const atomic_bool *stop,
    const struct recover_calls *calls, char *err, size_t errlen)
{
	struct recover *r = recover_create(dir, stop, NULL, NULL, err, errlen);
	int rc;

	if (r == NULL)
		return NULL;
	r->manifest = manifest;
	if (calls != NULL)
		r->calls = *calls;
	if (r->nnames == 0)
		return r;	/* nothing to do: no thread */
	if ((rc = pthread_create(&r->thread, NULL, recover_thread, r)) != 0) {
		log_seterr(err, errlen, "cannot start the recovery thread: %s",
		    strerror(rc));
		recover_free(r);
		return NULL;
	}
	r->threaded = true;
	return r;
}

int
recover_join(struct recover *r)
{
	int count;

	if (r == NULL)
		return 0;
	if (r->threaded)
		pthread_join(r->thread, NULL);
	count = r->count;
	recover_free(r);
	return count;
}

int
recover_dir(const char *dir, void (*recovered)(const char *path, void *arg),
    void *arg, char *err, size_t errlen)
{
	struct recover *r = recover_create(dir, NULL, recovered, arg, err,
	    errlen);
	int count;

	if (r == NULL)
		return -1;
	recover_run(r);
	count = r->count;
	recover_free(r);
	return count;
}
