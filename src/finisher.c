/*
 * finisher.c - the file-completion thread.
 *
 * DESIGN
 * - A FIFO of (struct output, struct segment) pairs under one mutex; the
 *   writer pushes, the finisher thread pops and runs output_close()
 *   (flush, wait for the compressor, fsync, rename), then charges the
 *   segment to the statistics (stats_segment_done: one critical section
 *   of the stats lock, read as one snapshot by any thread); a placed
 *   regular file is handed to the delivery queue (deliver.c, its own
 *   thread runs --post-rotate).  output_close() calls back (before_place)
 *   between the fsync and the rename: with --manifest NAME.json is
 *   complete before NAME exists, and NAME is in the delivery state file
 *   before it exists (a crash then cannot lose its delivery).  This is a handful of
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

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "finisher.h"
#include "input.h"
#include "input_iface.h"
#include "log.h"
#include "manifest.h"
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
	struct deliver	*deliver;
	struct stats	*stats;
	bool		 manifest;
	const char	*format;
	struct retain	*retain;
	/* finisher thread only until joined */
	bool		 failed;
};

/* One file's before-place step (output_place_fn's arg). */
struct placing {
	struct finisher		*f;
	const struct segment	*seg;
	char			 name[PATH_MAX];	/* the manifest's */
	bool			 written;	/* a manifest was */
	char			 want[PATH_MAX];	/* the name asked for */
	bool			 prepared;	/* want is set */
};

/* A difference of cumulative counters, 0 if one went backwards. */
static uint64_t
during(uint64_t at_close, uint64_t at_open)
{
	return at_close >= at_open ? at_close - at_open : 0;
}

/* What input i gave to seg, into *mi (its ifnames into names[]). */
static void
describe_input(const struct finisher *f, const struct segment *seg,
    size_t i, struct manifest_input *mi, const char **names, size_t max)
{
	const struct input *in = f->stats->inputs[i];
	const struct segment_counts *a = &seg->at_open[i];
	const struct segment_counts *c = &seg->at_close[i];
	const struct input_iface *const *tab;
	size_t n = input_ifaces(in, &tab);

	mi->uri = input_uri(in);
	mi->nifnames = n < max ? n : max;
	for (size_t k = 0; k < mi->nifnames; k++)
		names[k] = tab[k]->name != NULL ? tab[k]->name : "";
	mi->ifnames = names;
	mi->packets = seg->kept[i];
	mi->bytes = seg->bytes[i];
	mi->kernel_drops = during(c->kernel_drops, a->kernel_drops);
	mi->if_drops = during(c->if_drops, a->if_drops);
	mi->filtered = input_filtered_known(in) ?
	    during(c->filtered, a->filtered) : MANIFEST_UNKNOWN;
	mi->lost = during(seg->given[i], seg->kept[i]);
	mi->gaps = seg->gaps + i * INPUT_GAP_KEEP;
	mi->ngaps = seg->ngaps[i];
}

/*
 * output_close()'s callback with the complete temp file: its manifest,
 * and the (free) name it is to get.  A failure is logged and counted;
 * the file is placed all the same (its data matter more).
 */
static void
place_manifest(void *arg, const char *temp, char *want, size_t wlen)
{
	struct placing *p = arg;
	const struct segment *seg = p->seg;
	struct manifest_file mf = {
		.format = p->f->format, .has_seq = seg->has_seq,
		.seq = seg->seq, .disorders = seg->disorders,
		.start_ns = seg->open_wall_ns, .close_ns = seg->close_wall_ns,
		.anonymised = p->f->stats->n > 0 ?
		    input_anon_note(p->f->stats->inputs[0]) : NULL,
		.ninputs = seg->n < p->f->stats->n ? seg->n : p->f->stats->n,
	};
	struct manifest_input *ins = calloc(seg->n + 1, sizeof(*ins));
	const char **names = calloc(seg->n * INPUT_MAX_IFACES + 1,
	    sizeof(*names));
	char err[PATH_MAX * 2 + 128];
	uint64_t kept = 0;

	if (ins == NULL || names == NULL) {
		log_error("'%s': no manifest: out of memory", want);
		goto out;
	}
	for (size_t i = 0; i < mf.ninputs; i++)
		describe_input(p->f, seg, i, &ins[i],
		    names + i * INPUT_MAX_IFACES, INPUT_MAX_IFACES);
	for (size_t i = 0; i < seg->n; i++)
		kept += seg->kept[i];
	mf.inputs = ins;
	mf.packets = kept;
	/* packets go out in order: a cut-back file lost its last ones */
	mf.first_ns = kept > 0 ? seg->first_ts_ns : MANIFEST_UNKNOWN;
	mf.last_ns = kept > 0 && kept == seg->packets ? seg->last_ts_ns :
	    MANIFEST_UNKNOWN;
	if (manifest_write(temp, want, &mf, NULL, p->name, sizeof(p->name),
	    err, sizeof(err)) == 0)
		p->written = true;
	else
		log_error("%s; '%s' has no manifest", err, want);
	snprintf(want, wlen, "%s", p->name);
out:
	p->f->failed |= !p->written;
	free(names);
	free(ins);
}

/*
 * output_close()'s callback: the manifest (--manifest), then the name
 * the file is to get is recorded as awaiting delivery (saved before the
 * rename; a failure to save is logged there, and the file still goes).
 */
static void
before_place(void *arg, const char *temp, char *want, size_t wlen)
{
	struct placing *p = arg;

	if (p->f->manifest)
		place_manifest(p, temp, want, wlen);
	snprintf(p->want, sizeof(p->want), "%s", want);
	p->prepared = true;
	(void)deliver_prepare(p->f->deliver, want);
}

/* Complete one file: close and place it, hand it over for delivery,
 * count it. */
static void
complete(struct finisher *f, struct output *o, struct segment *seg)
{
	struct placing pl = { .f = f, .seg = seg };
	struct output_result res;
	struct stat st;
	char err[1024];
	bool ok;

	output_set_before_place(o, before_place, &pl);
	if (output_close(o, &res, err, sizeof(err)) != 0) {
		if (err[0] != '\0')
			log_error("%s", err);
		f->failed = true;
	}
	/* hooks get files, not stdout, FIFOs or devices */
	ok = res.final_path[0] != '\0' && !res.failed &&
	    strcmp(res.final_path, "-") != 0 &&
	    stat(res.final_path, &st) == 0 && S_ISREG(st.st_mode);
	deliver_placed(f->deliver, pl.prepared ? pl.want : NULL,
	    res.final_path, ok);
	if (pl.written && strcmp(res.final_path, pl.name) != 0)
		log_warn("'%s' was placed as '%s' after all: its manifest "
		    "'%s.json' names it wrongly", pl.name, res.final_path,
		    pl.name);
	if (res.lost > 0) {
		log_error("%s: %llu packets could not be written",
		    res.final_path[0] != '\0' ? res.final_path :
		    "output", (unsigned long long)res.lost);
		f->failed = true;
	}
	stats_segment_done(f->stats, seg, &res);
	if (res.final_path[0] != '\0' && !res.failed_name)
		retain_file_done(f->retain, res.final_path, res.bytes);
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
		while (f->count == 0 && !f->closing && !f->seq_pending)
			pthread_cond_wait(&f->nonempty, &f->mu);
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
finisher_create(const struct finisher_setup *fs, char *err, size_t errlen)
{
	struct finisher *f = calloc(1, sizeof(*f));
	int rc;

	if (f == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	f->deliver = fs->deliver;
	f->stats = fs->stats;
	f->manifest = fs->manifest;
	f->format = fs->format != NULL ? fs->format : "pcap";
	f->retain = fs->retain;
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
