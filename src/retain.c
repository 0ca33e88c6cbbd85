/*
 * retain.c - the disk bounds' thread: keeps DIR within --max-files,
 * --max-bytes and --min-free, and the writer's budget.  See retain.h.
 *
 * DESIGN
 * - One thread (mtc-retain) makes every pass but the first, which
 *   retain_create makes on the main thread before the thread starts.  A
 *   pass lists DIR (retain_scan.c), orders the candidates, deletes what
 *   the bounds ask for, oldest first, skipping files awaiting delivery,
 *   and publishes the --min-free budget.  Only passes unlink files, so
 *   deletions never race each other; the inventory is the thread's own.
 * - Shared under r->mu: the requests (woken, want_file, the number of
 *   the last pass asked for and of the last one done), the current file
 *   (its name and the writer's total when it opened), closing.  The
 *   writer and the finisher only set them and signal; the writer may wait
 *   (bounded, RETAIN_WAIT_NS) on `done` for the pass it asked for.  No
 *   lock is held during a pass (readdir, unlink, statvfs).
 * - Lock-free, relaxed: handed (the writer's total, stored per packet)
 *   and allow_until (the budget, stored by a pass).  They are figures;
 *   a stale one errs on the safe side: a pass reads handed *before*
 *   statvfs, so bytes handed between the two are either in the free
 *   space it sees or still in a buffer, which the slack covers.
 * - The writer-only fields (stopped_ns, stop_logged) are touched by the
 *   writer thread alone, through retain_disk_stop/_resume.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "naming.h"
#include "retain.h"
#include "retain_scan.h"

struct retain {
	/* set at create, read-only after */
	const char	*dir;
	const char	*ext;
	bool		 by_seq;	/* -N */
	bool		 manifest;
	bool		 compressed;	/* handed bytes are not disk bytes */
	uint64_t	 max_files, max_bytes;
	struct options_min_free min_free;
	uint64_t	 file_bytes;	/* -S, 0: none */
	uint64_t	 bufsize;
	uint64_t	 resume_bytes;	/* a stopped writer resumes at this */
	struct stats	*stats;
	retain_pending_fn is_pending;
	void		*pending_arg;
	pid_t		 pid;
	char		 what[STATS_BOUNDS][48];	/* "--max-files 5" */

	pthread_t	 thread;
	bool		 started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake;		/* to the thread */
	pthread_cond_t	 done;		/* from it: a pass ended */
	/* under mu */
	bool		 closing;
	bool		 woken;
	bool		 want_file;	/* the next pass: room for one more */
	uint64_t	 asked, passed;	/* passes asked for by the writer,
					 * and the last of them done */
	char		 cur[NAME_MAX + 1];	/* the current file, "": none */
	uint64_t	 cur_open;	/* handed when it opened */
	uint32_t	 cur_seq;	/* newest sequence number */
	size_t		 pending_left;	/* undelivered files, last pass */

	_Atomic uint64_t handed;
	_Atomic uint64_t allow_until;

	/* the pass's own (one pass at a time) */
	struct retain_inventory inv;
	bool		 episode[STATS_BOUNDS];	/* "cannot be kept" logged */
	bool		 scan_failing, vfs_failing;
	uint64_t	 free, total;	/* statvfs of DIR, bytes */

	/* writer only */
	uint64_t	 stopped_ns;
};

/* What a pass works on, taken from the requests under mu. */
struct pass_req {
	bool		 want_file;
	char		 cur[NAME_MAX + 1];
	uint64_t	 cur_open;
	uint32_t	 newest_seq;
};

/* statvfs of DIR into r->free and r->total.  0, or -1 (logged once). */
static int
measure(struct retain *r)
{
	struct statvfs v;

	if (statvfs(r->dir, &v) != 0) {
		if (!r->vfs_failing)
			log_error("--min-free: cannot read the free space of "
			    "'%s': %s", r->dir, strerror(errno));
		r->vfs_failing = true;
		return -1;
	}
	r->vfs_failing = false;
	r->free = (uint64_t)v.f_bavail * v.f_frsize;
	r->total = (uint64_t)v.f_blocks * v.f_frsize;
	return 0;
}

/* DIR/name (with suffix) into buf; false if it does not fit. */
static bool
path_of(const struct retain *r, const char *name, const char *suffix,
    char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s%s", r->dir, name, suffix);

	return n > 0 && (size_t)n < len;
}

/*
 * Delete candidate e (its manifest first: a file is never left with the
 * manifest of a deleted one) for bound: logged and counted.  0, or -1
 * if it could not be deleted (logged; e is then skipped this pass).
 */
static int
delete_entry(struct retain *r, struct retain_entry *e, enum stats_bound b)
{
	const char *name = retain_name(&r->inv, e);
	char path[PATH_MAX], json[PATH_MAX];
	uint64_t bytes = e->bytes;

	e->gone = true;
	if (!path_of(r, name, "", path, sizeof(path)) ||
	    !path_of(r, name, ".json", json, sizeof(json)))
		return -1;
	if (e->has_json) {
		if (unlink(json) == 0)
			bytes += e->json_bytes;
		else if (errno != ENOENT)
			log_warn("cannot delete '%s' for %s: %s", json,
			    r->what[b], strerror(errno));
	}
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return 0;	/* gone already: no longer counts */
		log_error("cannot delete '%s' for %s: %s", path, r->what[b],
		    strerror(errno));
		return -1;
	}
	/* a plain line, always shown: the one trace a deletion leaves */
	log_error("deleted '%s' (%" PRIu64 " bytes): %s", path, bytes,
	    r->what[b]);
	stats_disk_deleted(r->stats, b, bytes);
	return 0;
}

/*
 * The oldest candidate from *i on that may be deleted, or NULL; *skipped
 * counts those passed over because they await delivery.
 */
static struct retain_entry *
next_deletable(struct retain *r, size_t *i, size_t *skipped)
{
	for (; *i < r->inv.n; (*i)++) {
		struct retain_entry *e = &r->inv.e[*i];

		if (e->gone)
			continue;
		if (r->is_pending != NULL &&
		    r->is_pending(r->pending_arg, retain_name(&r->inv, e))) {
			(*skipped)++;
			continue;
		}
		(*i)++;
		return e;
	}
	return NULL;
}

/*
 * Nothing left to delete for bound b: with files awaiting delivery that
 * is an episode (logged once); without, only our files still being
 * completed are over it, which the next pass sees placed.
 */
static void
cannot_keep(struct retain *r, enum stats_bound b, const char *now,
    size_t skipped)
{
	if (skipped > 0 && !r->episode[b])
		log_warn("%s cannot be kept for now: %s in '%s', and the %zu "
		    "oldest await delivery", r->what[b], now, r->dir, skipped);
	r->episode[b] |= skipped > 0;
}

static void
kept(struct retain *r, enum stats_bound b)
{
	/* (log_error: a plain line, always shown) */
	if (r->episode[b])
		log_error("%s is kept again", r->what[b]);
	r->episode[b] = false;
}

/* --max-files: completed + ours in flight (+ the one to open) <= N. */
static void
bound_files(struct retain *r, const struct pass_req *q)
{
	uint64_t count = r->inv.inflight + (q->want_file ? 1 : 0);
	struct retain_entry *e;
	char now[64];
	size_t i = 0, skipped = 0;

	for (size_t k = 0; k < r->inv.n; k++)
		count += !r->inv.e[k].gone;
	while (count > r->max_files) {
		if ((e = next_deletable(r, &i, &skipped)) == NULL) {
			snprintf(now, sizeof(now), "%" PRIu64 " files",
			    count);
			cannot_keep(r, STATS_BOUND_FILES, now, skipped);
			return;
		}
		if (delete_entry(r, e, STATS_BOUND_FILES) == 0)
			count--;
	}
	kept(r, STATS_BOUND_FILES);
}

/* --max-bytes: the completed files + the current one's bytes <= SIZE. */
static void
bound_bytes(struct retain *r, const struct pass_req *q, uint64_t handed)
{
	uint64_t total = r->inv.inflight_bytes, cur = handed - q->cur_open;
	struct retain_entry *e;
	char now[64];
	size_t i = 0, skipped = 0;

	/* the current file: what the writer handed it, unless compressed
	 * (then only the disk knows) */
	if (q->cur[0] != '\0' && !r->compressed && r->inv.cur_seen &&
	    cur > r->inv.cur_bytes)
		total += cur - r->inv.cur_bytes;
	for (size_t k = 0; k < r->inv.n; k++)
		if (!r->inv.e[k].gone)
			total += r->inv.e[k].bytes + r->inv.e[k].json_bytes;
	while (total > r->max_bytes) {
		if ((e = next_deletable(r, &i, &skipped)) == NULL) {
			snprintf(now, sizeof(now), "%" PRIu64 " bytes", total);
			cannot_keep(r, STATS_BOUND_BYTES, now, skipped);
			return;
		}
		if (delete_entry(r, e, STATS_BOUND_BYTES) == 0)
			total -= e->bytes + e->json_bytes;
	}
	kept(r, STATS_BOUND_BYTES);
}

/*
 * --min-free: delete until free >= min_free + slack + headroom (or no
 * deletable file is left), then publish the budget from handed.
 */
static void
bound_free(struct retain *r, uint64_t handed)
{
	size_t others = r->inv.inflight > 0 ? r->inv.inflight - 1 : 0;
	uint64_t slack = retain_slack(r->bufsize, others, r->manifest);
	uint64_t minb, head;
	struct retain_entry *e;
	size_t i = 0, skipped = 0;

	if (measure(r) != 0)
		return;		/* the last budget stands */
	minb = retain_min_free_bytes(&r->min_free, r->total);
	head = retain_headroom(r->file_bytes, r->total, minb);
	while (r->free < minb + slack + head &&
	    (e = next_deletable(r, &i, &skipped)) != NULL) {
		if (delete_entry(r, e, STATS_BOUND_FREE) == 0 &&
		    measure(r) != 0)
			return;
	}
	atomic_store_explicit(&r->allow_until, handed +
	    retain_budget(r->free, minb, slack), memory_order_relaxed);
}

/* One pass over DIR for q. */
static void
pass(struct retain *r, const struct pass_req *q)
{
	uint64_t handed = atomic_load_explicit(&r->handed,
	    memory_order_relaxed);
	size_t pending = 0;
	char err[PATH_MAX + 128];

	if (retain_scan(r->dir, r->ext, r->pid, q->cur[0] != '\0' ? q->cur :
	    NULL, &r->inv, err, sizeof(err)) != 0) {
		if (!r->scan_failing)
			log_error("%s", err);
		r->scan_failing = true;
		/* the free space is still known: keep the budget honest */
		r->inv.n = 0;
	} else {
		r->scan_failing = false;
	}
	retain_sort(&r->inv, r->by_seq, q->newest_seq);
	if (r->max_files != 0)
		bound_files(r, q);
	if (r->max_bytes != 0)
		bound_bytes(r, q, handed);
	if (r->min_free.bytes != 0 || r->min_free.pct != 0)
		bound_free(r, handed);
	for (size_t i = 0; r->is_pending != NULL && i < r->inv.n; i++)
		pending += !r->inv.e[i].gone && r->is_pending(r->pending_arg,
		    retain_name(&r->inv, &r->inv.e[i]));
	pthread_mutex_lock(&r->mu);
	r->pending_left = pending;
	pthread_mutex_unlock(&r->mu);
}

/* Under mu: take what the next pass is to do. */
static uint64_t
take_request(struct retain *r, struct pass_req *q)
{
	q->want_file = r->want_file;
	memcpy(q->cur, r->cur, sizeof(q->cur));
	q->cur_open = r->cur_open;
	q->newest_seq = r->cur_seq;
	r->want_file = false;
	r->woken = false;
	return r->asked;
}

static void *
retain_thread(void *arg)
{
	struct retain *r = arg;
	struct pass_req q;
	uint64_t asked;

	pthread_mutex_lock(&r->mu);
	for (bool last = false; !last; last = r->closing) {
		struct timespec ts = clock_deadline(CLOCK_MONOTONIC,
		    RETAIN_EVERY_S * CLOCK_NS_PER_S);

		while (!r->closing && !r->woken &&
		    pthread_cond_timedwait(&r->wake, &r->mu, &ts) == 0)
			;
		/* closing: one last pass if the last files asked for it */
		if (r->closing && !r->woken)
			break;
		asked = take_request(r, &q);
		pthread_mutex_unlock(&r->mu);
		pass(r, &q);
		pthread_mutex_lock(&r->mu);
		if (asked > r->passed)
			r->passed = asked;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* The mutex and conditions (the conditions on CLOCK_MONOTONIC). */
static int
init_sync(struct retain *r)
{
	pthread_condattr_t ca;
	int rc;

	if ((rc = pthread_condattr_init(&ca)) != 0)
		return rc;
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_mutex_init(&r->mu, NULL);
	if (rc == 0 && (rc = pthread_cond_init(&r->wake, &ca)) != 0)
		pthread_mutex_destroy(&r->mu);
	if (rc == 0 && (rc = pthread_cond_init(&r->done, &ca)) != 0) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->mu);
	}
	pthread_condattr_destroy(&ca);
	return rc;
}

struct retain *
retain_create(const struct config *cfg, struct stats *s, uint64_t bufsize,
    uint32_t first_seq, retain_pending_fn is_pending, void *arg, char *err,
    size_t errlen)
{
	struct retain *r;
	struct pass_req q = { .want_file = false };
	uint64_t minb;
	int rc;

	err[0] = '\0';
	if (!cfg->rotating || (cfg->max_files == 0 && cfg->max_bytes == 0 &&
	    cfg->min_free.bytes == 0 && cfg->min_free.pct == 0))
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	r->dir = cfg->output_path;
	r->ext = cfg->file_ext != NULL ? cfg->file_ext : "";
	r->by_seq = cfg->seqfile != NULL;
	r->manifest = cfg->manifest;
	r->compressed = cfg->compress_level != 0 || cfg->pipeout != NULL;
	r->max_files = cfg->max_files;
	r->max_bytes = cfg->max_bytes;
	r->min_free = cfg->min_free;
	r->file_bytes = cfg->rotate_bytes;
	r->bufsize = bufsize;
	r->stats = s;
	r->is_pending = is_pending;
	r->pending_arg = arg;
	r->pid = getpid();
	r->cur_seq = first_seq > 0 ? first_seq - 1 : NAMING_SEQ_MAX;
	q.newest_seq = r->cur_seq;
	retain_bound_text(STATS_BOUND_FILES, r->max_files, &r->min_free,
	    r->what[STATS_BOUND_FILES], sizeof(r->what[0]));
	retain_bound_text(STATS_BOUND_BYTES, r->max_bytes, &r->min_free,
	    r->what[STATS_BOUND_BYTES], sizeof(r->what[0]));
	retain_bound_text(STATS_BOUND_FREE, 0, &r->min_free,
	    r->what[STATS_BOUND_FREE], sizeof(r->what[0]));
	atomic_init(&r->handed, 0);
	atomic_init(&r->allow_until, UINT64_MAX);
	if ((rc = init_sync(r)) != 0) {
		log_seterr(err, errlen, "disk bounds: %s", strerror(rc));
		free(r);
		return NULL;
	}
	stats_disk_bounds(s);
	r->vfs_failing = true;		/* measure: no log line, err says it */
	if ((r->min_free.bytes != 0 || r->min_free.pct != 0) &&
	    measure(r) != 0) {
		log_seterr(err, errlen, "--min-free: cannot read the free "
		    "space of '%s': %s", r->dir, strerror(errno));
		retain_destroy(r);
		return NULL;
	}
	minb = retain_min_free_bytes(&r->min_free, r->total);
	r->resume_bytes = retain_headroom(r->file_bytes, r->total, minb);
	/* the files of earlier runs count from the start */
	pass(r, &q);
	if ((rc = pthread_create(&r->thread, NULL, retain_thread, r)) != 0) {
		log_seterr(err, errlen, "cannot start the disk bounds' "
		    "thread: %s", strerror(rc));
		retain_destroy(r);
		return NULL;
	}
	(void)pthread_setname_np(r->thread, "mtc-retain");
	r->started = true;
	return r;
}

void
retain_destroy(struct retain *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->closing = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
	}
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->mu);
	retain_inventory_free(&r->inv);
	free(r);
}

void
retain_wake(void *arg)
{
	struct retain *r = arg;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->woken = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->mu);
}

void
retain_file_done(struct retain *r, const char *path, uint64_t bytes)
{
	(void)path;	/* the next pass lists it */
	(void)bytes;
	retain_wake(r);
}

void
retain_gate(struct retain *r, struct retain_gate *g)
{
	g->handed = &r->handed;
	g->allow_until = r->min_free.bytes != 0 || r->min_free.pct != 0 ?
	    &r->allow_until : NULL;
}

/* Under mu: ask for a pass and wait for it (at most RETAIN_WAIT_NS). */
static void
ask_and_wait(struct retain *r)
{
	struct timespec ts = clock_deadline(CLOCK_MONOTONIC, RETAIN_WAIT_NS);
	uint64_t mine = ++r->asked;

	r->woken = true;
	pthread_cond_signal(&r->wake);
	while (r->passed < mine &&
	    pthread_cond_timedwait(&r->done, &r->mu, &ts) == 0)
		;
}

void
retain_before_file(struct retain *r, const char *path, uint64_t handed)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	struct naming_parsed p;

	atomic_store_explicit(&r->handed, handed, memory_order_relaxed);
	pthread_mutex_lock(&r->mu);
	snprintf(r->cur, sizeof(r->cur), "%s", base);
	r->cur_open = handed;
	if (naming_parse_segment(base, r->ext, &p))
		r->cur_seq = p.seq;
	r->want_file = true;
	ask_and_wait(r);
	pthread_mutex_unlock(&r->mu);
}

bool
retain_wait_room(struct retain *r, uint64_t need)
{
	pthread_mutex_lock(&r->mu);
	ask_and_wait(r);
	pthread_mutex_unlock(&r->mu);
	return need <= atomic_load_explicit(&r->allow_until,
	    memory_order_relaxed);
}

bool
retain_may_resume(struct retain *r)
{
	uint64_t allow = atomic_load_explicit(&r->allow_until,
	    memory_order_relaxed);
	uint64_t handed = atomic_load_explicit(&r->handed,
	    memory_order_relaxed);

	return allow >= handed && allow - handed >= r->resume_bytes;
}

void
retain_disk_stop(struct retain *r)
{
	size_t pending;

	pthread_mutex_lock(&r->mu);
	pending = r->pending_left;
	r->cur[0] = '\0';
	pthread_mutex_unlock(&r->mu);
	r->stopped_ns = mono_ns();
	log_error("stopped writing: %s and %s cannot be kept; packets are "
	    "counted as lost (disk) until space returns", pending > 0 ?
	    "only undelivered files are left" :
	    "no file is left to delete", r->what[STATS_BOUND_FREE]);
	stats_disk_stopped(r->stats, true);
}

void
retain_disk_resume(struct retain *r, uint64_t lost)
{
	uint64_t ns = mono_ns() - r->stopped_ns;

	/* (log_error: a plain line, always shown) */
	log_error("writing again: there is room above %s after %" PRIu64
	    ".%" PRIu64 " s; %" PRIu64 " packets were lost (disk)",
	    r->what[STATS_BOUND_FREE], (uint64_t)(ns / CLOCK_NS_PER_S),
	    (uint64_t)(ns % CLOCK_NS_PER_S / 100000000u), lost);
	stats_disk_stopped(r->stats, false);
}
