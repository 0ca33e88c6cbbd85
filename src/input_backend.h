/*
 * input_backend.h - what the reader core (input.c) and its backends
 * (input_pcapfile.c, input_live.c, input_libtrace.c) share; private to them.
 *
 * A *source* (struct input) is what the user named: its URI, its row in
 * the statistics, its tie-break index, its link type and snap length.  A
 * *stream* (struct input_stream) is one reader thread, one queue and one
 * merge leaf reading (part of) a source.  Today every source has exactly
 * one stream; the types are apart so that one source can have several.
 *
 * A backend is a table of functions over a stream, as libpcap's pcap_t
 * ops: open (main thread), read a batch and make the statistics final
 * (the stream's reader thread), join its own helper threads, close.  Its
 * state hangs off st->be.  Every packet a backend reads goes through
 * input_push(), the one packet path: the filter (where the backend left
 * it to us), the snap length and the copy into the queue happen there.
 * A backend with a reopen op survives failure: when its read fails (or
 * its open found nothing yet, st->absent) the core records a gap and
 * calls reopen with back-off (input_reopen.c) until it works or the run
 * stops.  A stream that needs nothing done per packet may instead be read
 * by the merger itself (the pull op, pull.h): no reader thread, no queue.
 */
#ifndef MTRACECAP_INPUT_BACKEND_H
#define MTRACECAP_INPUT_BACKEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "clock.h"
#include "counter.h"
#include "input_sniff.h"
#include "input_counters.h"
#include "input_gap.h"
#include "input_iface.h"
#include "log.h"
#include "options.h"
#include "pkt_xform.h"
#include "pull.h"
#include "queue.h"
#include "session_count.h"

struct config;

#define INPUT_PUBLISH_BATCH	64	/* packets between publishes */
/* live: the kernel hands over a ring block of packets at once; a publish
 * wakes the merger, so publish per block read (or 1024), not per 64 */
#define INPUT_LIVE_PUBLISH_BATCH 1024
#define INPUT_READ_BATCH	1024	/* packets at most per read op */
#define INPUT_POLL_MS		CLOCK_STOP_LATENCY_MS	/* idle readers */
#define INPUT_WAIT_SPACE_NS	CLOCK_STOP_LATENCY_NS
#define INPUT_DROP_POLL_NS	200000000ull	/* drop counter refresh */

/* pcap LINKTYPE_ values the backends name */
#define INPUT_LT_EN10MB		1
#define INPUT_LT_PPP		9
#define INPUT_LT_RAW		101
#define INPUT_LT_C_HDLC		104
#define INPUT_LT_IEEE802_11	105
#define INPUT_LT_LOOP		108
#define INPUT_LT_LINUX_SLL	113
#define INPUT_LT_PFLOG		117
#define INPUT_LT_PRISM		119
#define INPUT_LT_RADIOTAP	127

struct input_stream;
struct privs_user;


/* What input_open() learnt about the URI, for the backend's open. */
struct input_open_args {
	const struct config	*cfg;
	const char		*path;	/* the file or device; NULL: libtrace's */
	enum in_kind		 kind;	/* what the file holds (by its magic) */
	bool			 stream; /* path is "-", a FIFO, a pipe, ... */
	const struct privs_user	*child_as;	/* decompressors run as */
};

struct input_backend {
	const char	*name;
	/*
	 * Main thread: open and start the source for st, setting
	 * st->src->live and ->linktype where known.  0; 1 when the source
	 * is libtrace's to read after all (nothing is left open); -1 with
	 * err naming the URI.  May point st->ops at a table of its own
	 * (a faster reader for the same source); close runs in any case.
	 */
	int	(*open)(struct input_stream *st,
		    const struct input_open_args *a, char *err,
		    size_t errlen);
	/*
	 * Reader thread: read a batch into input_push().  1 while there
	 * may be more, 0 at the end of the input or once stopping, -1
	 * after input_stream_fail().
	 */
	int	(*read)(struct input_stream *st);
	/* Reader thread, after the last read: make the counters final
	 * (kernel drops, what the source filtered).  NULL: nothing to do. */
	void	(*final)(struct input_stream *st);
	/* After the reader ended or never started: wait for the backend's
	 * own threads (st->done is set).  NULL: it has none. */
	void	(*join)(struct input_stream *st);
	/* Free st->be and whatever it holds; st->be may be NULL. */
	void	(*close)(struct input_stream *st);
	/*
	 * On the opener thread (opener.c: the one that may still open live
	 * sources), its reader waiting: close what failed, keeping the
	 * counters, and open the source again with the same settings.  0,
	 * or -1 with err (tried again later).  NULL: failure is final.
	 */
	int	(*reopen)(struct input_stream *st, char *err, size_t errlen);
	/*
	 * Main thread, after open, when the stream needs nothing done per
	 * packet (no filter, no st->xform, no counter sessions): the stream
	 * as a leaf the merger reads itself (pull.h), in place of a reader
	 * thread and a queue; NULL to keep those.  NULL: never.
	 */
	struct pull *(*pull)(struct input_stream *st);
};

/* The backends (input.c picks one per source). */
extern const struct input_backend input_pcapfile_backend;	/* pcap, pcapng */
extern const struct input_backend input_live_backend;	/* libpcap live */
extern const struct input_backend input_libtrace_backend;	/* the rest */
/* libtrace's list of formats (for input_libtrace_help). */
void input_libtrace_formats(void);

/* A source (input.h's struct input): what the user named.  Set up in the
 * main thread; read-only once the readers run. */
struct input {
	char			*uri;
	const struct config	*cfg;		/* for reopens */
	size_t			 index;		/* tie-break, stats row */
	bool			 live;
	bool			 has_filter;	/* -F given */
	int			 linktype;	/* LINKTYPE_, -1 unknown */
	/* what its file or stream holds: sniffed, then as the backend's
	 * open found it (a stream's or a decompressed file's first bytes) */
	enum in_kind		 kind;
	uint32_t		 snaplen;
	/* live: the time stamp type obtained ("host", ...), or NULL */
	const char		*tstamp_type;
	uint64_t		 start_ns;	/* wall clock at open */
	/* interfaces (input_iface_add), [0, nifaces) published */
	struct input_iface	*ifaces[INPUT_MAX_IFACES];
	_Atomic size_t		 nifaces;
	struct input_stream	*streams;
	size_t			 nstreams;
	int			 fanout_id;	/* live --fanout group, -1 none */
	struct input_gaps	 gaps;
};

/* A stream: one reader thread, one queue, one merge leaf. */
struct input_stream {
	struct input		*src;
	size_t			 k;		/* in src->streams */
	const struct input_backend *ops;
	void			*be;		/* the backend's state */
	struct queue		*q;		/* NULL when pulled */
	/* read in place by the merger (ops->pull): no reader thread */
	struct pull		*pull;
	uint32_t		 snaplen;
	/* applied by input_push(); NULL when the source filters itself
	 * (kernel, libtrace) or there is no filter */
	const struct bpf_program *filter;
	struct bpf_program	 prog;		/* compiled by input_libpcap */
	bool			 have_prog;
	/* --headers-only, anonymisation (pkt_xform.h): NULL for neither */
	struct pkt_xform	*xform;
	unsigned		 batch;		/* between read ops */
	struct input_counters	 c;
	/* set by input_open (an open that waits gives up once it is set)
	 * and again by input_start; atomic: a relay thread may run before
	 * that */
	const atomic_bool	*_Atomic stop;
	atomic_bool		 failed;	/* written once, read after join */
	atomic_bool		 done;		/* the reader stopped reading */
	/* the reader's: why the last read failed; nothing open yet (the
	 * interface was missing at start, --wait-for-inputs) */
	char			 why[256];
	bool			 absent;
	pthread_t		 thread;
	bool			 started;
	/* counter sessions (session.c): the table the reader runs, NULL
	 * for none; epoch: odd while the reader may hold a table */
	_Atomic(struct session_tab *) sessions;
	atomic_uint_fast64_t	 epoch;
};

/* Whether the stream is told to stop (any thread). */
static inline bool
input_stream_stopping(const struct input_stream *st)
{
	const atomic_bool *stop = atomic_load_explicit(&st->stop,
	    memory_order_acquire);

	return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

/* Reader thread: reading failed (what: why).  A stream that cannot
 * reopen is closed (logged once, the other inputs continue); one that can
 * is reopened by the core after the read returns -1. */
static inline void
input_stream_fail(struct input_stream *st, const char *what)
{
	size_t n;

	/* cut to fit (no snprintf or strnlen: GCC's -Wformat-truncation and
	 * -Wstringop-overread warn wherever what is a short literal) */
	for (n = 0; n + 1 < sizeof(st->why) && what[n] != '\0'; n++)
		st->why[n] = what[n];
	st->why[n] = '\0';
	if (st->ops->reopen != NULL)
		return;
	log_error("input '%s' failed: %s; closing it, the other inputs "
	    "continue", st->src->uri, what);
	atomic_store_explicit(&st->failed, true, memory_order_relaxed);
}

/*
 * Reader thread: st's source is down (st->why says why; st->absent: it
 * was never opened): record the gap, then reopen it on the opener thread
 * with back-off, 0.5 s doubling to 30 s, until it works (true: read on)
 * or the run stops (false).  input_reopen.c.
 */
bool input_reopen(struct input_stream *st);

/*
 * The packet path (reader thread): filter (st->filter), cut to the snap
 * length (and the headers, st->xform), copy into the queue (anonymised
 * in the slot, st->xform), waiting for room if need be, and publish
 * every `every` packets (*batch counts them; a caller that publishes
 * itself sets it to 0).  Inline: once per packet, no call of its own.
 */
static inline __attribute__((always_inline)) void
input_push_every(struct input_stream *st, uint64_t ts_ns, uint32_t caplen,
    uint32_t wirelen, int linktype, uint32_t iface, uint32_t flags,
    const void *data, unsigned every, unsigned *batch)
{
	struct queue_rec *r;
	uint32_t cl;

	if (st->filter != NULL) {
		struct pcap_pkthdr h = { .caplen = caplen, .len = wirelen };

		if (pcap_offline_filter(st->filter, &h, data) == 0) {
			counter_inc(&st->c.filtered);
			return;
		}
	}
	{
		const struct session_tab *t = atomic_load_explicit(
		    &st->sessions, memory_order_acquire);

		if (__builtin_expect(t != NULL, 0))
			session_count(t, linktype, caplen, wirelen, data);
	}
	cl = caplen < st->snaplen ? caplen : st->snaplen;
	if (__builtin_expect(st->xform != NULL, 0))
		cl = pkt_xform_len(st->xform, &st->c, linktype, data, caplen,
		    cl);
	while ((r = queue_reserve_try(st->q, cl)) == NULL) {
		counter_inc(&st->c.queue_full);
		*batch = 0;
		(void)queue_wait_space(st->q, cl, INPUT_WAIT_SPACE_NS);
	}
	r->ts_ns = ts_ns;
	r->wirelen = wirelen;
	r->linktype = linktype;
	r->iface = iface;
	r->flags = flags;
	memcpy(r->data, data, cl);
	if (__builtin_expect(st->xform != NULL, 0) && st->xform->anon != NULL)
		pkt_xform_apply(st->xform, r->data, cl);
	queue_commit(st->q);
	counter_inc(&st->c.read);
	if (++*batch >= every) {
		queue_publish(st->q);
		*batch = 0;
	}
}

/* input_push_every() with the batch of every backend but live ones. */
static inline __attribute__((always_inline)) void
input_push_if(struct input_stream *st, uint64_t ts_ns, uint32_t caplen,
    uint32_t wirelen, int linktype, uint32_t iface, uint32_t flags,
    const void *data, unsigned *batch)
{
	input_push_every(st, ts_ns, caplen, wirelen, linktype, iface, flags,
	    data, INPUT_PUBLISH_BATCH, batch);
}

/* input_push_if() for a packet of interface 0 with no epb_flags: every
 * backend but pcapng files. */
static inline __attribute__((always_inline)) void
input_push(struct input_stream *st, uint64_t ts_ns, uint32_t caplen,
    uint32_t wirelen, int linktype, const void *data, unsigned *batch)
{
	input_push_if(st, ts_ns, caplen, wirelen, linktype, 0, 0, data, batch);
}

/*
 * A new interface of source in (a pcapng input's IDB), described by d
 * (copied; d->name and d->description must not be NULL).  Open (main
 * thread) or its stream's reader thread; published to the writer before
 * any packet of it is (push packets with iface = the value returned).
 * Returns its index, or -1 when out of memory or past
 * INPUT_MAX_IFACES (the caller counts the packets of such an interface
 * as lost).  A backend that adds none gets one at open from the core
 * (the device or file, the URI).
 */
int input_iface_add(struct input *in, const struct input_iface *d);

#endif
