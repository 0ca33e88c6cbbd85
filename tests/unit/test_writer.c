/*
 * test_writer.c - unit tests for the writer loop (writer.c with rotate.c's
 * schedule, writer_sources.c, the finisher and the statistics): writer_run
 * is driven with fake inputs whose queues the test fills and closes
 * beforehand, and with an injected clock (writer_setup.clock).  The files
 * it writes are read back: which packets each holds, in which order, under
 * which name (-G by packet time, time going back, -C), what the -N
 * seqfile says at the end, and what the statistics counted for the
 * segments handed over (--rotate-align by packet time; --stop-after's
 * packets, files and bytes exactly, the rest lost with reason stop, and
 * duration on the injected monotonic clock), while another thread checks that every snapshot
 * of them agrees with itself; and the statistics' publishing on their
 * own (test_stats_publish).  Run it under TSan too: the finisher and the
 * snapshot reader are threads.
 *
 * The fake inputs replace input.c at link time: this file defines struct
 * input and every input_* function the writer and stats.c call, so the
 * archive's input.o is never pulled in.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "input.h"
#include "naming.h"
#include "queue.h"
#include "rotate.h"
#include "segment.h"
#include "stats.h"
#include "testutil.h"
#include "writer.h"

#define SEC		1000000000ull
#define T0		(1700000000ull * SEC)	/* 2023-11-14 22:13:20 UTC */
#define CAPLEN		64u
#define PCAP_HDR	24u
#define REC_HDR		16u
#define MAXIN		4
#define MAXPKT		64

/* --- fake inputs (link-time replacements of input.c) ------------------ */

struct input {
	struct queue		*q;
	const char		*uri;
	bool			 live;
	struct input_counters	 c;
	struct input_iface	 iface;		/* its one interface */
	const struct input_iface *ifaces[1];
};

size_t
input_ifaces(const struct input *in, const struct input_iface *const **tab)
{
	*tab = in->ifaces;
	return 1;
}

uint64_t
input_start_ns(const struct input *in)
{
	(void)in;
	return 0;
}

size_t
input_nstreams(const struct input *in)
{
	(void)in;
	return 1;
}

struct queue *
input_stream_queue(const struct input *in, size_t k)
{
	(void)k;
	return in->q;
}

/* every fake input is queued (pulls: test_merge, merge_files.sh) */
struct pull *
input_stream_pull(const struct input *in, size_t k)
{
	(void)in;
	(void)k;
	return NULL;
}

const char *
input_uri(const struct input *in)
{
	return in->uri;
}

bool
input_is_live(const struct input *in)
{
	return in->live;
}

int
input_linktype(const struct input *in)
{
	(void)in;
	return 1;	/* LINKTYPE_ETHERNET */
}

void
input_counts(const struct input *in, struct input_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->read = atomic_load_explicit(&in->c.read, memory_order_relaxed);
}

void
input_stream_counts(const struct input *in, size_t k,
    struct input_counts *out)
{
	(void)k;
	input_counts(in, out);
}

bool
input_can_reopen(const struct input *in)
{
	(void)in;
	return false;
}

/* fake inputs never go down: one empty record for them all */
static struct input_gaps no_gaps = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct input_gaps *
input_gaps(struct input *in)
{
	(void)in;
	return &no_gaps;
}

bool
input_filtered_known(const struct input *in)
{
	(void)in;
	return true;
}

const char *
input_anon_note(const struct input *in)
{
	(void)in;
	return NULL;
}

bool
input_parses_headers(const struct input *in)
{
	(void)in;
	return false;
}

bool
input_failed(const struct input *in)
{
	(void)in;
	return false;
}

bool
input_up(struct input *in)
{
	(void)in;
	return true;
}

void
input_queue_bytes(const struct input *in, uint64_t *used,
    uint64_t *capacity)
{
	*used = 0;
	*capacity = queue_capacity(in->q);
}

/* --- the injected clock ----------------------------------------------- */

/* Both clocks stand still unless the test moves them: file inputs name
 * files by their stamps, so only delays and deadlines read these. */
struct fclock {
	_Atomic uint64_t	mono;
	_Atomic uint64_t	mono_step;	/* added after each reading */
	_Atomic uint64_t	wall;
	_Atomic uint64_t	reads;
};

static uint64_t
fclock_mono(void *arg)
{
	struct fclock *c = arg;

	atomic_fetch_add(&c->reads, 1);
	return atomic_fetch_add(&c->mono, atomic_load(&c->mono_step));
}

static uint64_t
fclock_wall(void *arg)
{
	struct fclock *c = arg;

	atomic_fetch_add(&c->reads, 1);
	return atomic_load(&c->wall);
}

/* --- a run of the writer ---------------------------------------------- */

struct pkt {
	size_t		 input;
	uint64_t	 ts;
};

struct run {
	char			 dir[512];
	char			 seqfile[600];
	struct config		 cfg;
	struct queue_waiter	 waiter;
	struct input		 in[MAXIN];
	struct input		*inp[MAXIN];
	size_t			 n;
	struct control		 ctl;
	struct stats		 stats;
	struct fclock		 clock;
	struct rotate_clock	 rc;
	uint32_t		 seen[MAXIN];	/* packets queued per input */
	/* a thread reading snapshots while the writer runs */
	pthread_t		 watcher;
	atomic_bool		 watch_stop;
	uint64_t		 watch_bad;	/* snapshots that disagreed */
	uint64_t		 watch_reads;
};

static void
run_setup(struct run *r, size_t n, uint64_t rotate_s, uint64_t rotate_bytes)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	assert_int_equal(testutil_mkdtemp(r->dir, sizeof(r->dir),
	    "test_writer"), 0);
	snprintf(r->seqfile, sizeof(r->seqfile), "%s/seq", r->dir);
	r->cfg.rotating = true;
	r->cfg.output_path = r->dir;
	r->cfg.rotate_seconds = rotate_s;
	r->cfg.rotate_bytes = rotate_bytes;
	r->cfg.snaplen = CAPLEN;
	r->cfg.use_utc = true;
	r->cfg.maxwait_ms = 1;
	r->cfg.seqfile = r->seqfile;
	r->cfg.file_ext = "";
	assert_int_equal(queue_waiter_init(&r->waiter), 0);
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		r->in[i].q = queue_create(1u << 16, CAPLEN, &r->waiter, err,
		    sizeof(err));
		assert_non_null(r->in[i].q);
		r->in[i].uri = i == 0 ? "fake:0" : "fake:1";
		r->in[i].iface = (struct input_iface){
			.name = (char *)r->in[i].uri,
			.description = (char *)r->in[i].uri,
			.linktype = 1,
			.tsresol = 9,
		};
		r->in[i].ifaces[0] = &r->in[i].iface;
		r->inp[i] = &r->in[i];
	}
	atomic_init(&r->ctl.stop, false);
	atomic_init(&r->ctl.rotate, false);
	atomic_init(&r->ctl.last_signal, 0);
	atomic_init(&r->ctl.beat, 0);
	assert_int_equal(stats_init(&r->stats, r->inp, n), 0);
	atomic_init(&r->clock.mono, 1000 * SEC);
	atomic_init(&r->clock.mono_step, 0);
	atomic_init(&r->clock.wall, T0 + 3600 * SEC);
	r->rc = (struct rotate_clock){ fclock_mono, fclock_wall, &r->clock };
}

/* Queue one packet; its first data bytes say which one it is. */
static void
run_queue(struct run *r, const struct pkt *p)
{
	struct queue_rec *rec = queue_reserve_try(r->in[p->input].q, CAPLEN);
	uint32_t k = r->seen[p->input]++;

	assert_non_null(rec);
	rec->ts_ns = p->ts;
	rec->wirelen = CAPLEN;
	rec->linktype = 1;
	memset(rec->data, 0, CAPLEN);
	rec->data[0] = (unsigned char)p->input;
	memcpy(rec->data + 1, &k, sizeof(k));
	queue_commit(r->in[p->input].q);
	atomic_fetch_add(&r->in[p->input].c.read, 1);
}

/*
 * Read snapshots until told to stop, as notify (and later metrics) does
 * while the writer and the finisher run, and count those whose figures
 * disagree: a completed file moves from the live count to written at one
 * instant, so written never exceeds live_written, and nothing is counted
 * beyond what was queued.
 */
static void *
watch_thread(void *arg)
{
	struct run *r = arg;
	struct stats_snapshot *snap = stats_snapshot_create(&r->stats);
	uint64_t queued = 0, files = 0;

	if (snap == NULL) {
		r->watch_bad++;
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++)
		queued += r->seen[i];
	while (!atomic_load(&r->watch_stop)) {
		stats_snapshot(&r->stats, snap);
		r->watch_reads++;
		if (snap->written > snap->live_written ||
		    snap->live_written + snap->live_lost > queued ||
		    snap->written + snap->lost > queued || snap->files < files)
			r->watch_bad++;
		for (size_t i = 0; i < r->n; i++)
			if (snap->in[i].fates.written > snap->in[i].read)
				r->watch_bad++;
		files = snap->files;
	}
	stats_snapshot_destroy(snap);
	return NULL;
}

/* Queue pkts[0, np), end every input and run the writer; its result. */
static int
run_writer(struct run *r, const struct pkt *pkts, size_t np, uint32_t first)
{
	struct writer_setup ws = {
		.cfg = &r->cfg,
		.inputs = r->inp,
		.ninputs = r->n,
		.control = &r->ctl,
		.waiter = &r->waiter,
		.stats = &r->stats,
		.first_seq = first,
		.clock = &r->rc,
	};
	int rc;

	for (size_t i = 0; i < np; i++)
		run_queue(r, &pkts[i]);
	for (size_t i = 0; i < r->n; i++)
		queue_close(r->in[i].q);
	atomic_init(&r->watch_stop, false);
	assert_int_equal(pthread_create(&r->watcher, NULL, watch_thread, r),
	    0);
	rc = writer_run(&ws);
	atomic_store(&r->watch_stop, true);
	assert_int_equal(pthread_join(r->watcher, NULL), 0);
	assert_int_equal(r->watch_bad, 0);
	return rc;
}

static void
run_teardown(struct run *r)
{
	stats_destroy(&r->stats);
	for (size_t i = 0; i < r->n; i++)
		queue_destroy(r->in[i].q);
	queue_waiter_destroy(&r->waiter);
	testutil_remove_tree(r->dir);
}

/* How many files the run left in its directory (the seqfile aside). */
static size_t
count_files(const struct run *r)
{
	DIR *dp = opendir(r->dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "seq") != 0)
			n++;
	closedir(dp);
	return n;
}

/*
 * The file named for (name_ns, seq) holds exactly the packets pkts[first,
 * first + nw), in that order: stamp, input, and which packet of its input
 * it is (its data says: the number of that input's packets before it).
 */
static void
check_file(const struct run *r, uint64_t name_ns, uint32_t seq,
    const struct pkt *pkts, size_t first, size_t nw)
{
	char path[1024];
	unsigned char buf[PCAP_HDR + MAXPKT * (REC_HDR + CAPLEN) + 1];
	FILE *fp;
	size_t len;

	assert_int_equal(naming_segment(path, sizeof(path), r->dir,
	    (time_t)(name_ns / SEC), true, seq, ""), 0);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("no file '%s'", path);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(len, PCAP_HDR + nw * (REC_HDR + CAPLEN));
	for (size_t i = 0; i < nw; i++) {
		const unsigned char *rec = buf + PCAP_HDR +
		    i * (REC_HDR + CAPLEN);
		size_t x = first + i;
		uint32_t sec, usec, k, want_k = 0;

		memcpy(&sec, rec, 4);
		memcpy(&usec, rec + 4, 4);
		assert_int_equal((uint64_t)sec * SEC + (uint64_t)usec * 1000,
		    pkts[x].ts);
		assert_int_equal(rec[REC_HDR], pkts[x].input);
		for (size_t j = 0; j < x; j++)
			want_k += pkts[j].input == pkts[x].input;
		memcpy(&k, rec + REC_HDR + 1, 4);
		assert_int_equal(k, want_k);
	}
}

static void
check_seqfile(const struct run *r, uint32_t last)
{
	char buf[32] = "", want[32];
	FILE *fp = fopen(r->seqfile, "r");

	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	snprintf(want, sizeof(want), "%u\n", last);
	assert_string_equal(buf, want);
}

/* Every packet is counted written once, consistently in one snapshot. */
static void
check_stats(struct run *r, uint64_t files, size_t np)
{
	struct stats_snapshot *snap = stats_snapshot_create(&r->stats);
	uint64_t sum = 0;

	assert_non_null(snap);
	stats_snapshot(&r->stats, snap);
	assert_int_equal(snap->files, files);
	assert_int_equal(snap->lost, 0);
	for (size_t i = 0; i < r->n; i++) {
		assert_int_equal(snap->in[i].fates.written, r->seen[i]);
		assert_int_equal(snap->in[i].read, r->seen[i]);
		sum += snap->in[i].fates.written;
	}
	assert_int_equal(sum, np);
	assert_int_equal(snap->written, np);
	assert_int_equal(snap->live_written, np);
	assert_int_equal(snap->live_lost, 0);
	stats_snapshot_destroy(snap);
}

/* --- tests -------------------------------------------------------------- */

/*
 * -G 10 over two file inputs: merged in (stamp, input) order, a file per
 * interval from the first packet's stamp, each named by its interval's
 * start; an empty interval gets no file; the seqfile has the last number.
 */
static void
test_interval_two_inputs(void **state)
{
	static const struct pkt p[] = {
		{ 0, T0 }, { 1, T0 }, { 0, T0 + 4 * SEC }, { 1, T0 + 9 * SEC },
		{ 0, T0 + 10 * SEC }, { 1, T0 + 12 * SEC },
		{ 0, T0 + 19 * SEC + 999999000 }, { 1, T0 + 31 * SEC },
		{ 0, T0 + 35 * SEC },
	};
	struct run r;

	(void)state;
	run_setup(&r, 2, 10, 0);
	assert_int_equal(run_writer(&r, p, 9, 7), 0);
	assert_int_equal(count_files(&r), 3);
	/* the merged order is by stamp, ties to the lower input: as p */
	check_file(&r, T0, 7, p, 0, 4);
	check_file(&r, T0 + 10 * SEC, 8, p, 4, 3);
	check_file(&r, T0 + 30 * SEC, 9, p, 7, 2);
	check_seqfile(&r, 9);
	check_stats(&r, 3, 9);
	run_teardown(&r);
}

/*
 * -G 10, one input whose stamps go back by more than an interval: that
 * packet opens the file of its own interval (on the same cadence, with
 * the next number); smaller disorder stays in the current file.
 */
static void
test_interval_back(void **state)
{
	static const struct pkt p[] = {
		{ 0, T0 + 2 * SEC }, { 0, T0 + 5 * SEC }, { 0, T0 + 12 * SEC },
		{ 0, T0 + 25 * SEC }, { 0, T0 + 17 * SEC },
		{ 0, T0 + 3 * SEC }, { 0, T0 + 4 * SEC },
	};
	struct run r;

	(void)state;
	run_setup(&r, 1, 10, 0);
	assert_int_equal(run_writer(&r, p, 7, 0), 0);
	assert_int_equal(count_files(&r), 4);
	check_file(&r, T0 + 2 * SEC, 0, p, 0, 2);
	check_file(&r, T0 + 12 * SEC, 1, p, 2, 1);
	/* 17 is 8 s before its interval's start: disorder, same file */
	check_file(&r, T0 + 22 * SEC, 2, p, 3, 2);
	check_file(&r, T0 + 2 * SEC, 3, p, 5, 2);
	check_seqfile(&r, 3);
	check_stats(&r, 4, 7);
	run_teardown(&r);
}

/* -C: a file takes packets while they fit, each file named by the stamp
 * of its first packet (file inputs); the clock never names one. */
static void
test_size(void **state)
{
	struct pkt p[7];
	struct run r;

	(void)state;
	for (size_t i = 0; i < 7; i++)
		p[i] = (struct pkt){ 0, T0 + i * 2 * SEC };
	run_setup(&r, 1, 0, PCAP_HDR + 3 * (REC_HDR + CAPLEN));
	assert_int_equal(run_writer(&r, p, 7, 0), 0);
	assert_int_equal(count_files(&r), 3);
	check_file(&r, p[0].ts, 0, p, 0, 3);
	check_file(&r, p[3].ts, 1, p, 3, 3);
	check_file(&r, p[6].ts, 2, p, 6, 1);
	check_seqfile(&r, 2);
	check_stats(&r, 3, 7);
	run_teardown(&r);
}

/* -G and -C together: size cuts inside an interval keep the cadence. */
static void
test_size_and_interval(void **state)
{
	static const struct pkt p[] = {
		{ 0, T0 }, { 0, T0 + 1 * SEC }, { 0, T0 + 2 * SEC },
		{ 0, T0 + 11 * SEC }, { 0, T0 + 21 * SEC },
	};
	struct run r;

	(void)state;
	run_setup(&r, 1, 10, PCAP_HDR + 2 * (REC_HDR + CAPLEN));
	assert_int_equal(run_writer(&r, p, 5, 0), 0);
	assert_int_equal(count_files(&r), 4);
	check_file(&r, T0, 0, p, 0, 2);
	check_file(&r, T0 + 2 * SEC, 1, p, 2, 1);
	check_file(&r, T0 + 10 * SEC, 2, p, 3, 1);
	check_file(&r, T0 + 20 * SEC, 3, p, 4, 1);
	check_stats(&r, 4, 5);
	run_teardown(&r);
}

/* No packet, file inputs: no file at all, and the clock was injected. */
static void
test_empty(void **state)
{
	struct run r;

	(void)state;
	run_setup(&r, 2, 10, 0);
	assert_int_equal(run_writer(&r, NULL, 0, 0), 0);
	assert_int_equal(count_files(&r), 0);
	assert_true(atomic_load(&r.clock.reads) > 0);
	check_stats(&r, 0, 0);
	run_teardown(&r);
}

/*
 * --rotate-align, -G 2 by packet time from an odd second and a half: the
 * first file is named by its first stamp and ends at the next even
 * second; the later ones are named by even seconds (without it they
 * would start at odd seconds and a half: T0+1, +3, +5...).
 */
static void
test_align(void **state)
{
	static const struct pkt p[] = {
		{ 0, T0 + 1 * SEC + SEC / 2 }, { 0, T0 + 1 * SEC + 9 * SEC / 10 },
		{ 0, T0 + 2 * SEC }, { 0, T0 + 3 * SEC + 9 * SEC / 10 },
		{ 0, T0 + 4 * SEC + SEC / 10 }, { 0, T0 + 7 * SEC },
		{ 0, T0 + 8 * SEC + SEC / 2 },
	};
	struct run r;

	(void)state;
	run_setup(&r, 1, 2, 0);
	r.cfg.rotate_align = true;
	assert_int_equal(run_writer(&r, p, 7, 0), 0);
	assert_int_equal(count_files(&r), 5);
	check_file(&r, T0 + 1 * SEC, 0, p, 0, 2);
	check_file(&r, T0 + 2 * SEC, 1, p, 2, 2);
	check_file(&r, T0 + 4 * SEC, 2, p, 4, 1);
	check_file(&r, T0 + 6 * SEC, 3, p, 5, 1);
	check_file(&r, T0 + 8 * SEC, 4, p, 6, 1);
	check_stats(&r, 5, 7);
	run_teardown(&r);
}

/* After --stop-after: written, lost (all of them with reason stop), files
 * and the stop flag, for the readers. */
static void
check_stopped(struct run *r, uint64_t files, uint64_t written, uint64_t lost)
{
	struct stats_snapshot *snap = stats_snapshot_create(&r->stats);

	assert_non_null(snap);
	stats_snapshot(&r->stats, snap);
	assert_int_equal(snap->files, files);
	assert_int_equal(snap->written, written);
	assert_int_equal(snap->lost, lost);
	assert_int_equal(snap->lost_stop, lost);
	assert_int_equal(snap->lost_output, 0);
	assert_int_equal(snap->lost_nofile, 0);
	assert_int_equal(snap->live_written, written);
	stats_snapshot_destroy(snap);
	assert_true(atomic_load(&r->ctl.stop));
	assert_int_equal(count_files(r), files);
}

/* The packets of test_interval_two_inputs: files of 4, 3 and 2 (-G 10). */
static const struct pkt two_inputs[] = {
	{ 0, T0 }, { 1, T0 }, { 0, T0 + 4 * SEC }, { 1, T0 + 9 * SEC },
	{ 0, T0 + 10 * SEC }, { 1, T0 + 12 * SEC },
	{ 0, T0 + 19 * SEC + 999999000 }, { 1, T0 + 31 * SEC },
	{ 0, T0 + 35 * SEC },
};

/* packets:5 - exactly five written; the file ends with the fifth. */
static void
test_stop_packets(void **state)
{
	struct run r;

	(void)state;
	run_setup(&r, 2, 10, 0);
	r.cfg.stop_after.packets = 5;
	assert_int_equal(run_writer(&r, two_inputs, 9, 0), 0);
	check_file(&r, T0, 0, two_inputs, 0, 4);
	check_file(&r, T0 + 10 * SEC, 1, two_inputs, 4, 1);
	check_seqfile(&r, 1);
	check_stopped(&r, 2, 5, 4);
	run_teardown(&r);
}

/* files:2 - the packet that would open a third file is not written. */
static void
test_stop_files(void **state)
{
	struct run r;

	(void)state;
	run_setup(&r, 2, 10, 0);
	r.cfg.stop_after.files = 2;
	assert_int_equal(run_writer(&r, two_inputs, 9, 0), 0);
	check_file(&r, T0, 0, two_inputs, 0, 4);
	check_file(&r, T0 + 10 * SEC, 1, two_inputs, 4, 3);
	check_seqfile(&r, 1);
	check_stopped(&r, 2, 7, 2);
	run_teardown(&r);
}

/*
 * bytes: with -S of three records: the files' bytes (headers included)
 * never pass it; exactly at the limit is allowed, a byte less keeps the
 * packet out; a new file counts its header.
 */
static void
test_stop_bytes(void **state)
{
	const uint64_t file3 = PCAP_HDR + 3 * (REC_HDR + CAPLEN);
	struct pkt p[7];
	struct run r;

	(void)state;
	for (size_t i = 0; i < 7; i++)
		p[i] = (struct pkt){ 0, T0 + i * 2 * SEC };
	/* two full files exactly: the seventh packet needs a third */
	run_setup(&r, 1, 0, file3);
	r.cfg.stop_after.bytes = 2 * file3;
	assert_int_equal(run_writer(&r, p, 7, 0), 0);
	check_file(&r, p[0].ts, 0, p, 0, 3);
	check_file(&r, p[3].ts, 1, p, 3, 3);
	check_stopped(&r, 2, 6, 1);
	run_teardown(&r);
	/* a byte less: the sixth packet does not fit */
	run_setup(&r, 1, 0, file3);
	r.cfg.stop_after.bytes = 2 * file3 - 1;
	assert_int_equal(run_writer(&r, p, 7, 0), 0);
	check_file(&r, p[0].ts, 0, p, 0, 3);
	check_file(&r, p[3].ts, 1, p, 3, 2);
	check_stopped(&r, 2, 5, 2);
	run_teardown(&r);
	/* room for a file's header and nothing else: no file at all */
	run_setup(&r, 1, 0, file3);
	r.cfg.stop_after.bytes = PCAP_HDR + REC_HDR + CAPLEN - 1;
	assert_int_equal(run_writer(&r, p, 7, 0), 0);
	check_stopped(&r, 0, 0, 7);
	run_teardown(&r);
}

/*
 * duration: on the writer's monotonic clock (here a second per reading):
 * the stop flag is set as by SIGTERM and what was queued is still
 * written; a duration not reached leaves the flag alone.
 */
static void
test_stop_duration(void **state)
{
	struct run r;

	(void)state;
	run_setup(&r, 2, 10, 0);
	r.cfg.stop_after.duration_s = 2;
	atomic_store(&r.clock.mono_step, SEC);
	assert_int_equal(run_writer(&r, two_inputs, 9, 0), 0);
	assert_true(atomic_load(&r.ctl.stop));
	assert_int_equal(count_files(&r), 3);
	check_stats(&r, 3, 9);
	run_teardown(&r);

	run_setup(&r, 2, 10, 0);
	r.cfg.stop_after.duration_s = 1000000;
	atomic_store(&r.clock.mono_step, SEC);
	assert_int_equal(run_writer(&r, two_inputs, 9, 0), 0);
	assert_false(atomic_load(&r.ctl.stop));
	check_stats(&r, 3, 9);
	run_teardown(&r);
}

/*
 * The statistics on their own: the writer's own losses show once it
 * publishes them (per batch), a completed segment moves from the live
 * count to written and lost in one step, and the status line reads as
 * it always did.
 */
static void
test_stats_publish(void **state)
{
	struct run r;
	struct segment *seg;
	struct output_result res;
	char line[384];

	(void)state;
	run_setup(&r, 2, 0, 0);
	stats_lost_nofile(&r.stats, 0);
	stats_lost_nofile(&r.stats, 1);
	stats_unfit(&r.stats, 1);
	stats_live_status(&r.stats, line, sizeof(line));
	assert_string_equal(line, "0 packets written, 0 lost, 0 dropped by "
	    "the kernel; 0 files done");
	stats_segment_progress(&r.stats, NULL, 0, 0);
	stats_live_status(&r.stats, line, sizeof(line));
	assert_string_equal(line, "0 packets written, 3 lost, 0 dropped by "
	    "the kernel; 0 files done");

	seg = segment_create(2);
	assert_non_null(seg);
	stats_segment_open(&r.stats, seg, "/some/dir/f1");
	seg->given[0] = 5;
	seg->given[1] = 2;
	seg->kept[0] = 4;
	seg->kept[1] = 2;
	stats_segment_progress(&r.stats, seg, 6, 0);
	stats_live_status(&r.stats, line, sizeof(line));
	assert_string_equal(line, "6 packets written, 3 lost, 0 dropped by "
	    "the kernel; 0 files done, writing f1");
	stats_segment_handover(&r.stats, seg);
	memset(&res, 0, sizeof(res));
	snprintf(res.final_path, sizeof(res.final_path), "/some/dir/f1");
	res.packets = 6;
	res.lost = 1;
	stats_segment_done(&r.stats, seg, &res);
	segment_destroy(seg);
	stats_live_status(&r.stats, line, sizeof(line));
	assert_string_equal(line, "6 packets written, 4 lost, 0 dropped by "
	    "the kernel; 1 file done, last file f1");
	assert_int_equal(stats_total_written(&r.stats), 6);
	assert_int_equal(stats_total_lost(&r.stats), 4);
	run_teardown(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_two_inputs),
		cmocka_unit_test(test_interval_back),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_and_interval),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_align),
		cmocka_unit_test(test_stop_packets),
		cmocka_unit_test(test_stop_files),
		cmocka_unit_test(test_stop_bytes),
		cmocka_unit_test(test_stop_duration),
		cmocka_unit_test(test_stats_publish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
