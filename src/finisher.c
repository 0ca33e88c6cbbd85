/*
 * finisher.c - the file-completion thread.
 *
 * DESIGN
 * - A FIFO of (struct output, struct segment) pairs under one mutex; the
 *   writer pushes, the finisher thread pops and runs output_close()
 *   (flush, wait for the compressor, fsync, rename), then charges the
 *   segment to the statistics (stats_segment_done: one critical section
 *   of the stats lock, read as one snapshot by any thread); a placed
 *   regular file also gets its --post-rotate hook.  This is a handful of
 *   operations per file, so a mutex and two condition variables are the
 *   simple right tool; no lock is held across any I/O.  The mutex also hands the
 *   segment (plain fields) over from the writer.
 * - The -N sequence number travels beside the FIFO: one pending value
 *   (seq_pending, under the mutex) that a newer request replaces, saved
 *   before the next file is taken, and at the latest when the thread
 *   drains at finisher_destroy(); so the save's fsync never stalls the
 *   writer and the last value is on disk before exit.
 * - The failed flag is only touched by the finisher thread and read by
 *   finisher_destroy() after pthread_join (which orders them).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "finisher.h"
#include "log.h"
#include "seqfile.h"
#include "stats.h"

#define MAX_PENDING	4

struct finisher {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 nonempty;
	pthread_cond_t	 nonfull;
	struct output	*pending[MAX_PENDING];
	struct segment	*pending_seg[MAX_PENDING];
	size_t		 head;
	size_t		 count;
	bool		 closing;
	bool		 seq_pending;	/* seq_path should get seq */
	const char	*seq_path;
	uint32_t	 seq;
	struct postrotate *pr;
	struct stats	*stats;
	/* finisher thread only until joined */
	bool		 failed;
};

/* Complete one file: close and place it, run the hook, count it. */
static void
complete(struct finisher *f, struct output *o, struct segment *seg)
{
	struct output_result res;
	struct stat st;
	char err[1024];

	if (output_close(o, &res, err, sizeof(err)) != 0) {
		if (err[0] != '\0')
			log_error("%s", err);
		f->failed = true;
	}
	/* hooks get files, not stdout, FIFOs or devices */
	if (res.final_path[0] != '\0' && !res.failed &&
	    strcmp(res.final_path, "-") != 0 &&
	    stat(res.final_path, &st) == 0 && S_ISREG(st.st_mode))
		postrotate_run(f->pr, res.final_path);
	if (res.lost > 0) {
		log_error("%s: %llu packets could not be written",
		    res.final_path[0] != '\0' ? res.final_path :
		    "output", (unsigned long long)res.lost);
		f->failed = true;
	}
	stats_segment_done(f->stats, seg, &res);
	segment_destroy(seg);
}

/* Called with f->mu held, which it drops while it saves. */
static void
save_seq_locked(struct finisher *f)
{
	const char *path = f->seq_path;
	uint32_t seq = f->seq;
	char err[512];

	f->seq_pending = false;
	pthread_mutex_unlock(&f->mu);
	if (seqfile_save(path, seq, err, sizeof(err)) != 0) {
		log_error("%s", err);
		f->failed = true;
	}
	pthread_mutex_lock(&f->mu);
}

static void *
finisher_thread(void *arg)
{
	struct finisher *f = arg;

	for (;;) {
		struct output *o;
		struct segment *seg;

		pthread_mutex_lock(&f->mu);
		while (f->seq_pending)
			save_seq_locked(f);
		while (f->count == 0 && !f->closing && !f->seq_pending) {
			struct timespec ts;

			/*
			 * Wake to reap finished hooks: every stop latency
			 * while some run (a zombie lives at most that long,
			 * no SIGCHLD needed), else every second.  f->pr is
			 * only used by this thread while it runs.
			 */
			ts = clock_deadline(CLOCK_REALTIME,
			    postrotate_busy(f->pr) ? CLOCK_STOP_LATENCY_NS :
			    CLOCK_NS_PER_S);
			pthread_cond_timedwait(&f->nonempty, &f->mu, &ts);
			if (f->count == 0 && !f->closing && !f->seq_pending) {
				pthread_mutex_unlock(&f->mu);
				postrotate_reap(f->pr);
				pthread_mutex_lock(&f->mu);
			}
		}
		if (f->seq_pending) {
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		if (f->count == 0) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		o = f->pending[f->head];
		seg = f->pending_seg[f->head];
		f->head = (f->head + 1) % MAX_PENDING;
		f->count--;
		pthread_cond_signal(&f->nonfull);
		pthread_mutex_unlock(&f->mu);
		complete(f, o, seg);
	}
	return NULL;
}

struct finisher *
finisher_create(struct postrotate *pr, struct stats *st, char *err,
    size_t errlen)
{
	struct finisher *f = calloc(1, sizeof(*f));
	int rc;

	if (f == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	f->pr = pr;
	f->stats = st;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->nonempty, NULL);
	pthread_cond_init(&f->nonfull, NULL);
	if ((rc = pthread_create(&f->thread, NULL, finisher_thread, f)) != 0) {
		log_seterr(err, errlen, "cannot start the finisher thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&f->nonfull);
		pthread_cond_destroy(&f->nonempty);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return NULL;
	}
	return f;
}

void
finisher_submit(struct finisher *f, struct output *o, struct segment *seg)
{
	pthread_mutex_lock(&f->mu);
	while (f->count == MAX_PENDING)
		pthread_cond_wait(&f->nonfull, &f->mu);
	f->pending[(f->head + f->count) % MAX_PENDING] = o;
	f->pending_seg[(f->head + f->count) % MAX_PENDING] = seg;
	f->count++;
	pthread_cond_signal(&f->nonempty);
	pthread_mutex_unlock(&f->mu);
}

void
finisher_save_seq(struct finisher *f, const char *path, uint32_t seq)
{
	pthread_mutex_lock(&f->mu);
	f->seq_path = path;
	f->seq = seq;
	f->seq_pending = true;
	pthread_cond_signal(&f->nonempty);
	pthread_mutex_unlock(&f->mu);
}

void
finisher_destroy(struct finisher *f, bool *failed)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->closing = true;
	pthread_cond_signal(&f->nonempty);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	*failed = f->failed;
	pthread_cond_destroy(&f->nonfull);
	pthread_cond_destroy(&f->nonempty);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
