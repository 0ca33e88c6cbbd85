/*
 * input_libtrace.c - the libtrace backend: every URI that neither libpcap
 * backend reads (ERF, other live formats, --libtrace-live, compressed
 * files that hold neither pcap nor pcapng).
 *
 * DESIGN
 * - This is the only file that includes libtrace.h; libtrace 3/4
 *   differences (drop counters) are hidden here.  libtrace 3 registers
 *   formats without a lock: trace_create runs in the main thread, and
 *   after the start (the formats registered) in the opener thread only,
 *   when it reopens a source (below).
 * - libtrace applies the filter itself (one filter object per input:
 *   libtrace 3 compiles lazily, so the syntax is checked with libpcap
 *   first) and counts what it rejects; input_push() filters nothing.
 * - Live sources are read with trace_event() and poll() with an
 *   INPUT_POLL_MS timeout so that a silent interface never keeps the
 *   reader from seeing the stop flag (a blocking pcapint: read would wait
 *   for the next packet forever).  Files read with trace_read_packet();
 *   a stream behind the relay (input_relay.c) is read on to the end of file
 *   that the relay makes once told to stop.
 * - ring:, int: and pcapint: (--libtrace-live) read a packet socket
 *   whose errors are ours to take (input_pktsock.c: libtrace 3 would
 *   spin on ring:, end an int: or pcapint: read, or wait inside libpcap
 *   deaf to a stop): a link that goes down keeps its socket; an
 *   interface that went away fails the read, and the core reopens the
 *   source on the opener thread (libtrace_reopen: a new trace made as
 *   the first, the drop counters carried over), as it does libpcap's;
 *   one missing at start with --wait-for-inputs starts absent.
 *   libtrace's other live formats fail for good.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libtrace.h>

#include "input_libpcap.h"
#include "input_pktsock.h"
#include "input_relay.h"
#include "input_backend.h"

struct libtrace_in {
	libtrace_t		*trace;
	libtrace_filter_t	*filter;
	libtrace_packet_t	*packet;
	struct input_relay		 relay;
	bool			 drops_are_deltas;
	/* what the traces before the current one dropped, and in all */
	uint64_t		 drops_base, drops_total;
	uint64_t		 drops_checked_ns;
	bool			 warned_linktype;
	/* ring:, int:, pcapint: (--libtrace-live) */
	bool			 packet_socket;
	struct input_pktsock	 sock;
};

/* the live readers (at the end): ring:, int: and pcapint: (reopened
 * after failure), and libtrace's other live formats */
static const struct input_backend socket_backend, live_backend;

static int
libtrace_to_linktype(libtrace_linktype_t t)
{
	switch (t) {
	case TRACE_TYPE_ETH:		return INPUT_LT_EN10MB;
	case TRACE_TYPE_NONE:		return INPUT_LT_RAW;
	case TRACE_TYPE_LINUX_SLL:	return INPUT_LT_LINUX_SLL;
	case TRACE_TYPE_80211:		return INPUT_LT_IEEE802_11;
	case TRACE_TYPE_80211_RADIO:	return INPUT_LT_RADIOTAP;
	case TRACE_TYPE_80211_PRISM:	return INPUT_LT_PRISM;
	case TRACE_TYPE_PFLOG:		return INPUT_LT_PFLOG;
	case TRACE_TYPE_PPP:		return INPUT_LT_PPP;
	case TRACE_TYPE_HDLC_POS:	return INPUT_LT_C_HDLC;
	case TRACE_TYPE_OPENBSD_LOOP:	return INPUT_LT_LOOP;
	default:			return -1;
	}
}

/*
 * libtrace 3's int: creates its packet socket for every interface and binds
 * it to the one asked for only afterwards; it empties the socket only when
 * a filter is set.  So what the other interfaces received in between waits
 * in the socket and would be read as this interface's packets.  Empty it
 * once trace_start() returned, as libtrace 4 does (libpcap binds before its
 * socket takes any packet): the capture of this input starts now.
 * libtrace 3 has no trace_get_fd(): the first event names the socket (and
 * may read the first queued packet).  Bounded, so that a flood cannot
 * hold us here.
 */
#define DISCARD_MAX 65536

static void
discard_queued(struct input_stream *st, struct libtrace_in *t)
{
	libtrace_eventobj_t ev = trace_event(t->trace, t->packet);
	size_t n = 0;
	char byte;

	if (ev.type == TRACE_EVENT_PACKET && ev.size > 0)
		n++;
	else if (ev.type != TRACE_EVENT_IOWAIT)
		return;
	while (n < DISCARD_MAX && recv(ev.fd, &byte, 1,
	    MSG_DONTWAIT | MSG_TRUNC) >= 0)
		n++;
	if (n > 0)
		log_info("input '%s': discarded %zu packet(s) that were "
		    "queued while it opened", st->src->uri, n);
}

/* Snap length and filter on the created trace: 0, or -1 with err. */
static int
libtrace_config(struct input_stream *st, struct libtrace_in *t,
    const struct config *cfg, char *err, size_t errlen)
{
	libtrace_err_t e;
	/* libtrace refuses a snaplen over its packet buffer, which none of
	 * its packets exceeds: -s 0 (262144) must not end the input */
	int snap = cfg->snaplen < LIBTRACE_PACKET_BUFSIZE ?
	    (int)cfg->snaplen : LIBTRACE_PACKET_BUFSIZE;

	/* not every format takes a snaplen: we truncate ourselves anyway,
	 * but a refused one leaves a sticky error (even when trace_config
	 * returns 0) that would fail trace_start: clear it */
	if (trace_config(t->trace, TRACE_OPTION_SNAPLEN, &snap) != 0 ||
	    trace_is_err(t->trace))
		(void)trace_get_err(t->trace);
	if (cfg->filter == NULL)
		return 0;
	/* one filter object per input: libtrace 3 compiles lazily */
	t->filter = trace_create_filter(cfg->filter);
	if (t->filter == NULL ||
	    trace_config(t->trace, TRACE_OPTION_FILTER, t->filter) != 0) {
		e = trace_get_err(t->trace);
		log_seterr(err, errlen, "cannot set filter '%s' on input '%s': "
		    "%s", cfg->filter, st->src->uri, e.problem);
		return -1;
	}
	return 0;
}

/*
 * Create, configure and start t's trace of uri (the first open in the
 * main thread, a reopen in the opener thread), then empty an int:
 * socket of what it queued meanwhile.  0, or -1 with err (what was made
 * is left in t for libtrace_free).
 */
static int
libtrace_start(struct input_stream *st, struct libtrace_in *t,
    const char *uri, char *err, size_t errlen)
{
	libtrace_err_t e;

	t->trace = trace_create(uri);
	if (t->trace == NULL || trace_is_err(t->trace)) {
		e = trace_get_err(t->trace);
		log_seterr(err, errlen, "cannot open input '%s': %s",
		    st->src->uri, e.problem);
		return -1;
	}
	if (libtrace_config(st, t, st->src->cfg, err, errlen) != 0)
		return -1;
	if (trace_start(t->trace) != 0) {
		e = trace_get_err(t->trace);
		log_seterr(err, errlen, "cannot start input '%s': %s",
		    st->src->uri, e.problem);
		return -1;
	}
	if ((t->packet = trace_create_packet()) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	input_pktsock_reset(&t->sock);
	t->drops_checked_ns = 0;
	if (st->src->live && input_sniff_has_format(st->src->uri, "int"))
		discard_queued(st, t);
	return 0;
}

/* Free t's packet, trace and filter (any of them may be NULL). */
static void
libtrace_free(struct libtrace_in *t)
{
	if (t->packet != NULL)
		trace_destroy_packet(t->packet);
	if (t->trace != NULL)
		trace_destroy(t->trace);
	if (t->filter != NULL)
		trace_destroy_filter(t->filter);
	t->packet = NULL;
	t->trace = NULL;
	t->filter = NULL;
}

static int
libtrace_open(struct input_stream *st, const struct input_open_args *a,
    char *err, size_t errlen)
{
	const struct config *cfg = a->cfg;
	const char *uri = st->src->uri;
	struct libtrace_in *t;
	char *relay_uri;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	input_relay_init(&t->relay, st);
	st->be = t;
	st->src->live = input_sniff_is_live(uri);
	t->drops_are_deltas = input_sniff_has_format(uri, "ring") ||
	    input_sniff_has_format(uri, "int");
	t->packet_socket = t->drops_are_deltas ||
	    input_sniff_has_format(uri, "pcapint");
	input_pktsock_init(&t->sock, st, t->packet_socket ?
	    uri + input_sniff_format_len(uri) + 1 : "");
	if (cfg->filter != NULL &&
	    input_libpcap_filter_check(cfg->filter, uri, err, errlen) != 0)
		return -1;
	if (st->src->live && t->packet_socket && cfg->wait_for_inputs &&
	    if_nametoindex(t->sock.ifname) == 0) {
		/* the core reopens it, once it is there */
		st->absent = true;
		st->ops = &socket_backend;
		return input_sniff_has_format(uri, "pcapint") ?
		    input_pktsock_kick_start(&t->sock, err, errlen) : 0;
	}
	if (input_relay_open(&t->relay, a->child_as, &relay_uri, err,
	    errlen) != 0)
		return -1;
	rc = libtrace_start(st, t, relay_uri != NULL ? relay_uri : uri, err,
	    errlen);
	free(relay_uri);
	if (rc != 0)
		return -1;
	if (st->src->live)
		st->ops = t->packet_socket ? &socket_backend : &live_backend;
	if (st->src->live && input_sniff_has_format(uri, "pcapint"))
		return input_pktsock_kick_start(&t->sock, err, errlen);
	return 0;
}

/* Fold libtrace 3 (per-query deltas on ring:/int:) and 4 (totals of
 * the current trace, after those of the traces before it). */
static void
update_drops(struct input_stream *st, struct libtrace_in *t)
{
#ifdef HAVE_TRACE_GET_STATISTICS
	libtrace_stat_t *s;

	if (t->trace == NULL)
		return;
	s = trace_get_statistics(t->trace, NULL);
	if (s != NULL && s->dropped_valid)
		t->drops_total = t->drops_base + s->dropped;
#else
	uint64_t d;

	if (t->trace == NULL ||
	    (d = trace_get_dropped_packets(t->trace)) == UINT64_MAX)
		return;
	if (t->drops_are_deltas)
		t->drops_total += d;
	else if (t->drops_base + d > t->drops_total)
		t->drops_total = t->drops_base + d;
#endif
	atomic_store_explicit(&st->c.kernel_drops, t->drops_total,
	    memory_order_relaxed);
}

static void
maybe_update_drops(struct input_stream *st, struct libtrace_in *t)
{
	uint64_t now = mono_ns();

	if (now - t->drops_checked_ns >= INPUT_DROP_POLL_NS) {
		t->drops_checked_ns = now;
		update_drops(st, t);
	}
}

static void
push_packet(struct input_stream *st, struct libtrace_in *t, unsigned *batch)
{
	libtrace_linktype_t lt;
	uint32_t remaining = 0;
	void *l2 = trace_get_packet_buffer(t->packet, &lt, &remaining);
	struct timespec ts = trace_get_timespec(t->packet);
	int linktype = libtrace_to_linktype(lt);
	size_t wire;

	if (l2 == NULL || linktype < 0) {
		if (!t->warned_linktype)
			log_warn("input '%s': packet of link type %d that "
			    "pcap cannot hold, skipped and counted as "
			    "filtered", st->src->uri, (int)lt);
		t->warned_linktype = true;
		counter_inc(&st->c.filtered);
		return;
	}
	wire = trace_get_wire_length(t->packet);
	/* libtrace counts the Ethernet FCS in the wire length; pcap not */
	if (lt == TRACE_TYPE_ETH && wire >= 4 + (size_t)remaining)
		wire -= 4;
	input_push(st, (uint64_t)ts.tv_sec * 1000000000u +
	    (uint64_t)ts.tv_nsec, remaining, (uint32_t)wire, linktype, l2,
	    batch);
}

/* Reader thread: libtrace ended the read of a packet socket (ev).  1
 * read on (its link is down), or -1 after input_stream_fail(). */
static int
libtrace_ended(struct input_stream *st, struct libtrace_in *t,
    const libtrace_eventobj_t *ev)
{
	if (trace_is_err(t->trace)) {
		input_stream_fail(st, trace_get_err(t->trace).problem);
		return -1;
	}
	return input_pktsock_ended(&t->sock, ev->fd);
}

/* Wait for the live source (or sleep as a replayed trace says): 0, or
 * -1 failed. */
static int
libtrace_wait(struct input_stream *st, struct libtrace_in *t,
    const libtrace_eventobj_t *ev)
{
	queue_publish(st->q);
	st->batch = 0;
	if (ev->type == TRACE_EVENT_IOWAIT) {
		struct pollfd pfd = { .fd = ev->fd, .events = POLLIN };

		maybe_update_drops(st, t);
		if (poll(&pfd, 1, INPUT_POLL_MS) < 0 && errno != EINTR) {
			input_stream_fail(st, strerror(errno));
			return -1;
		}
		if (t->packet_socket)
			return input_pktsock_check(&t->sock, ev->fd,
			    pfd.revents);
	} else {
		double s = ev->seconds < 0.1 ? ev->seconds : 0.1;
		struct timespec ts = { 0, (long)(s * 1e9) };

		nanosleep(&ts, NULL);
	}
	return 0;
}

/* A live source: the events up to the next wait, INPUT_READ_BATCH
 * packets at most. */
static int
libtrace_read_events(struct input_stream *st)
{
	struct libtrace_in *t = st->be;

	if (t->drops_checked_ns == 0)
		t->drops_checked_ns = mono_ns();
	for (unsigned i = 0; i < INPUT_READ_BATCH; i++) {
		libtrace_eventobj_t ev;

		if (input_stream_stopping(st))
			return 0;
		ev = trace_event(t->trace, t->packet);
		switch (ev.type) {
		case TRACE_EVENT_PACKET:
			if (ev.size < 0) {
				input_stream_fail(st,
				    trace_get_err(t->trace).problem);
				return -1;
			}
			push_packet(st, t, &st->batch);
			if ((atomic_load_explicit(&st->c.read,
			    memory_order_relaxed) & 0xffff) == 0)
				maybe_update_drops(st, t);
			break;
		case TRACE_EVENT_IOWAIT:
		case TRACE_EVENT_SLEEP:
			return libtrace_wait(st, t, &ev) == 0 ? 1 : -1;
		case TRACE_EVENT_TERMINATE:
		default:
			if (input_stream_stopping(st))
				return 0;	/* maybe kicked */
			if (t->packet_socket)
				return libtrace_ended(st, t, &ev);
			if (trace_is_err(t->trace)) {
				input_stream_fail(st,
				    trace_get_err(t->trace).problem);
				return -1;
			}
			return 0;
		}
	}
	return 1;
}

/* libtrace_read_events, with the kick (input_pktsock.c) told. */
static int
libtrace_read_live(struct input_stream *st)
{
	struct libtrace_in *t = st->be;
	int rc;

	input_pktsock_reading(&t->sock, true);
	rc = libtrace_read_events(st);
	input_pktsock_reading(&t->sock, false);
	return rc;
}

/* A file or a relayed stream: INPUT_READ_BATCH packets at most. */
static int
libtrace_read_file(struct input_stream *st)
{
	struct libtrace_in *t = st->be;
	bool relayed = input_relay_active(&t->relay);
	unsigned batch = st->batch;
	int rc = 1, e;

	for (unsigned i = 0; i < INPUT_READ_BATCH; i++) {
		if (!relayed && input_stream_stopping(st)) {
			rc = 0;
			break;
		}
		rc = trace_read_packet(t->trace, t->packet);
		if (rc > 0) {
			push_packet(st, t, &batch);
			rc = 1;
			continue;
		}
		if (rc < 0 || trace_is_err(t->trace)) {
			input_stream_fail(st, trace_get_err(t->trace).problem);
			rc = -1;
		} else if (relayed && (e = input_relay_errno(&t->relay)) != 0) {
			input_stream_fail(st, strerror(e));
			rc = -1;
		} else {
			rc = 0;
		}
		break;
	}
	st->batch = batch;
	return rc;
}

static void
libtrace_stats(struct input_stream *st)
{
	struct libtrace_in *t = st->be;
	uint64_t f;

	update_drops(st, t);
	if (st->src->live || t->trace == NULL)
		return;
	if ((f = trace_get_filtered_packets(t->trace)) != UINT64_MAX)
		atomic_store_explicit(&st->c.filtered, f,
		    memory_order_relaxed);
}

static void
libtrace_join(struct input_stream *st)
{
	struct libtrace_in *t = st->be;

	if (t != NULL) {
		input_relay_join(&t->relay);
		input_pktsock_join(&t->sock);
	}
}

static void
libtrace_close(struct input_stream *st)
{
	struct libtrace_in *t = st->be;

	if (t == NULL)
		return;
	input_relay_join(&t->relay);
	input_pktsock_join(&t->sock);
	input_relay_close(&t->relay);
	libtrace_free(t);
	free(t);
	st->be = NULL;
}

/*
 * The opener thread, the reader waiting (socket_backend's reopen op):
 * the old trace goes, its drops counted, and a new one is made as the
 * first was.  Nothing here waits: trace_start binds a socket (ring:
 * maps its ring) or fails.
 */
static int
libtrace_reopen(struct input_stream *st, char *err, size_t errlen)
{
	struct libtrace_in *t = st->be;

	if (t->trace != NULL) {
		update_drops(st, t);
		t->drops_base = t->drops_total;
	}
	libtrace_free(t);
	if (libtrace_start(st, t, st->src->uri, err, errlen) != 0) {
		libtrace_free(t);
		return -1;
	}
	return 0;
}

void
input_libtrace_formats(void)
{
	trace_help();
}

static const struct input_backend socket_backend = {
	.name = "libtrace live",
	.read = libtrace_read_live,
	.final = libtrace_stats,
	.join = libtrace_join,
	.close = libtrace_close,
	.reopen = libtrace_reopen,
};

static const struct input_backend live_backend = {
	.name = "libtrace live",
	.read = libtrace_read_live,
	.final = libtrace_stats,
	.join = libtrace_join,
	.close = libtrace_close,
};

const struct input_backend input_libtrace_backend = {
	.name = "libtrace",
	.open = libtrace_open,
	.read = libtrace_read_file,
	.final = libtrace_stats,
	.join = libtrace_join,
	.close = libtrace_close,
};
