/*
 * input_live.c - the libpcap live backend: ring:, int: and pcapint: (unless
 * --libtrace-live) as a TPACKET_V3 ring of --capture-buffer bytes, where
 * libtrace 3's ring: holds only 256 frames.
 *
 * DESIGN
 * - Opened and activated in the main thread, with nanosecond stamps and
 *   the filter in the kernel (input_push() then filters nothing); opened
 *   again the same way on the opener thread after a failure (reopen),
 *   its reader waiting.  --wait-for-inputs: an interface that does not
 *   exist yet leaves the stream absent, for the reader to reopen.
 * - --fanout: each of the source's N streams is a socket of its own,
 *   joined to one PACKET_FANOUT group right after pcap_activate (libpcap
 *   has no API: setsockopt on pcap_fileno).  The first socket's join
 *   asks the kernel for a group id no one uses (PACKET_FANOUT_FLAG_
 *   UNIQUEID) and the others, and every reopen, join that id.  Until its
 *   join a socket sees every packet, copies of what the group gets: the
 *   kernel's count at the join (pcap_stats, read at once) says how many
 *   its ring holds, and the reader discards that many first, counted;
 *   the drop counters start from the join too.
 * - The reader thread reads non-blocking, waiting in poll() for at most
 *   INPUT_POLL_MS so that a silent interface never keeps it from seeing
 *   the stop flag; before it waits it publishes what it queued.  A read
 *   op is one pcap_dispatch() and, when nothing was ready, one wait; what
 *   a dispatch queued is published at its end (one merger wake-up per
 *   ring block, not per 64 packets).  The ring's block timeout is a third
 *   of maxwait, or 10 ms for a single stream (live_block_ms).
 * - A stop reads on until the ring is empty and its current block has
 *   been handed over (live_draining): the kernel's packets are ours.
 * - libpcap accumulates the kernel's drop counters; the reader copies
 *   them into the stream's counters every INPUT_DROP_POLL_NS and at the
 *   end, adding what the handles before a reopen counted.
 */
#include "config.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "input.h"
#include "input_libpcap.h"
#include "input_backend.h"
#include "tstamp.h"

struct live_in {
	pcap_t			*pcap;
	struct pollfd		 pfd;
	uint64_t		 drops_at;	/* last drop refresh, mono ns */
	int			 block_ms;	/* the ring's block timeout */
	uint64_t		 drain_until;	/* stopping: read until, mono ns */
	struct input_stream	*st;		/* for live_packet */
	int			 linktype;
	uint64_t		 skip;		/* copies from before the join */
	/* the kernel's counts at the join (not ours), and what the
	 * handles before the current one counted */
	struct pcap_stat	 at_join;
	uint64_t		 base_drops, base_ifdrops;
};

/*
 * The ring's block timeout, ms.  The kernel hands over a ring block when
 * it is full or once its retire timer finds it still current, which takes
 * one to two of these periods (rounded to jiffies).  With more than one
 * stream to merge: a third of maxwait, so that a packet is in our queue
 * before the merge stops waiting for it; otherwise the streams of a
 * --fanout source (or of any two live inputs) come out of order.  A single
 * stream has nothing to be merged with: LIVE_SOLO_BLOCK_MS, so that at
 * high rates the kernel hands over full blocks, one wake-up each, rather
 * than a block per jiffy (the wake-ups, not the packets, were most of its
 * CPU time); the rotation and the stop wait for it
 * (input_live_lateness_ns).
 */
#define LIVE_SOLO_BLOCK_MS	10
/* a stop reads what the ring holds for at most this long after its
 * current block is due (live_read) */
#define LIVE_DRAIN_MAX_NS	(500 * CLOCK_NS_PER_MS)

/* a single stream: nothing to be merged with */
static bool
live_solo(const struct config *cfg)
{
	return cfg->ninputs == 1 && cfg->fanout <= 1;
}

static int
live_block_ms(const struct config *cfg)
{
	int tmo;

	if (live_solo(cfg))
		return LIVE_SOLO_BLOCK_MS;
	tmo = (int)(cfg->maxwait_ms / 3);
	if (tmo < 1)
		tmo = 1;
	if (tmo > INPUT_POLL_MS)
		tmo = INPUT_POLL_MS;
	return tmo;
}

/* The longest a packet may sit in a ring block before the kernel hands
 * the block over: two timeouts and a jiffy (at HZ=100) of rounding. */
static uint64_t
block_lateness_ns(int block_ms)
{
	return (uint64_t)(2 * block_ms + 10) * CLOCK_NS_PER_MS;
}

uint64_t
input_live_lateness_ns(const struct config *cfg)
{
	/* merged streams hand over within maxwait (live_block_ms) */
	return live_solo(cfg) ? block_lateness_ns(LIVE_SOLO_BLOCK_MS) : 0;
}

static const int fanout_modes[] = {
	[FANOUT_HASH] = PACKET_FANOUT_HASH,
	[FANOUT_LB] = PACKET_FANOUT_LB,
	[FANOUT_CPU] = PACKET_FANOUT_CPU,
	[FANOUT_QM] = PACKET_FANOUT_QM,
};

/*
 * Join l's socket to its source's fan-out group (the first join makes
 * one), then learn how many packets it holds from before.  0, or -1 with
 * err.
 */
static int
live_join(struct input_stream *st, struct live_in *l, char *err,
    size_t errlen)
{
	const struct config *cfg = st->src->cfg;
	int fd = pcap_fileno(l->pcap), arg;
	socklen_t len = sizeof(arg);
	bool unique = st->src->fanout_id < 0;
	/* id in the low 16 bits, type and flags above: built unsigned, as
	 * DEFRAG (0x8000) << 16 does not fit an int */
	uint32_t v = (uint32_t)(unique ? 0 : st->src->fanout_id) |
	    (uint32_t)(fanout_modes[cfg->fanout_mode] |
	    (cfg->fanout_defrag ? PACKET_FANOUT_FLAG_DEFRAG : 0) |
	    (unique ? PACKET_FANOUT_FLAG_UNIQUEID : 0)) << 16;

	memcpy(&arg, &v, sizeof(arg));
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
		if (unique)
			log_seterr(err, errlen, "input '%s': the kernel refused "
			    "to make a fan-out group for socket %zu: %s",
			    st->src->uri, st->k + 1, strerror(errno));
		else
			log_seterr(err, errlen, "input '%s': the kernel refused "
			    "to join socket %zu to fan-out group %d: %s",
			    st->src->uri, st->k + 1, st->src->fanout_id,
			    strerror(errno));
		return -1;
	}
	/* everything the socket counted so far came before the join */
	memset(&l->at_join, 0, sizeof(l->at_join));
	if (pcap_stats(l->pcap, &l->at_join) == 0)
		l->skip = l->at_join.ps_recv - l->at_join.ps_drop;
	if (unique) {
		if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) != 0) {
			log_seterr(err, errlen, "input '%s': cannot read its "
			    "fan-out group: %s", st->src->uri,
			    strerror(errno));
			return -1;
		}
		st->src->fanout_id = arg & 0xffff;
	}
	return 0;
}

/*
 * Create and activate l's handle with cfg's settings (first: the
 * source's first open); --wait-for-inputs and no such interface (yet):
 * *absent.  0, or -1 with err.
 */
static int
live_activate(struct input_stream *st, struct live_in *l, const char *dev,
    bool first, bool *absent, char *err, size_t errlen)
{
	const struct config *cfg = st->src->cfg;
	const char *uri = st->src->uri;
	char perr[PCAP_ERRBUF_SIZE] = "";
	int tmo, rc;
	struct tstamp_ask ts = { .uri = uri, .iface = dev,
	    .index = st->src->index, .type = cfg->tstamp_type };
	const char *got;

	*absent = false;
	if ((l->pcap = pcap_create(dev, perr)) == NULL) {
		log_seterr(err, errlen, "cannot open input '%s': %s", uri,
		    perr);
		return -1;
	}
	tmo = live_block_ms(cfg);
	l->block_ms = tmo;
	pcap_set_snaplen(l->pcap, (int)cfg->snaplen);
	pcap_set_promisc(l->pcap, 1);
	pcap_set_timeout(l->pcap, tmo);
	pcap_set_buffer_size(l->pcap, (int)cfg->capture_buffer);
	pcap_set_tstamp_precision(l->pcap, PCAP_TSTAMP_PRECISION_NANO);
	tstamp_request(l->pcap, &ts);
	rc = pcap_activate(l->pcap);
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE && cfg->wait_for_inputs) {
		pcap_close(l->pcap);
		l->pcap = NULL;
		*absent = true;
		return 0;
	}
	if (rc < 0) {
		log_seterr(err, errlen, "cannot start input '%s': %s", uri,
		    rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
		    rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs "
		    "root or CAP_NET_RAW)" : pcap_geterr(l->pcap));
		return -1;
	}
	if (rc > 0 && rc != PCAP_WARNING_TSTAMP_TYPE_NOTSUP)	/* tstamp's */
		log_warn("input '%s': %s", uri, pcap_geterr(l->pcap));
	/* the type obtained (said once, and again only if it changes) */
	got = tstamp_activated(l->pcap, &ts, rc, st->src->tstamp_type);
	if (cfg->fanout > 0 && live_join(st, l, err, errlen) != 0)
		return -1;
	l->linktype = input_libpcap_linktype(pcap_datalink(l->pcap));
	/* what the source is, from its first open (main thread) only: the
	 * writer read it at start; an interface missing then is learnt
	 * from its packets */
	if (first && st->k == 0) {
		st->src->linktype = l->linktype;
		st->src->tstamp_type = got;
	}
	if (st->have_prog) {
		pcap_freecode(&st->prog);
		st->have_prog = false;
	}
	if (input_libpcap_filter(st, l->pcap, cfg->filter, true, err,
	    errlen) != 0)
		return -1;
	if (pcap_setnonblock(l->pcap, 1, perr) != 0) {
		log_seterr(err, errlen, "input '%s': %s", uri, perr);
		return -1;
	}
	l->pfd.fd = pcap_get_selectable_fd(l->pcap);
	l->pfd.events = POLLIN;
	l->drops_at = 0;
	return 0;
}

static int
live_open(struct input_stream *st, const struct input_open_args *a,
    char *err, size_t errlen)
{
	struct live_in *l;

	st->src->live = true;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	st->be = l;
	l->st = st;
	return live_activate(st, l, a->path, true, &st->absent, err, errlen);
}

static void
live_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_in *l = (struct live_in *)arg;

	input_push_every(l->st, (uint64_t)h->ts.tv_sec * 1000000000u +
	    (uint64_t)h->ts.tv_usec, h->caplen, h->len, l->linktype, 0, 0,
	    data, INPUT_LIVE_PUBLISH_BATCH, &l->st->batch);
}

/* live_packet's stand-in while the ring holds copies from before the
 * fan-out join. */
static void
live_packet_skip(u_char *arg, const struct pcap_pkthdr *h,
    const u_char *data)
{
	struct live_in *l = (struct live_in *)arg;

	if (l->skip == 0) {
		live_packet(arg, h, data);
		return;
	}
	l->skip--;
	counter_inc(&l->st->c.discarded);
}

static void
live_stats(struct input_stream *st)
{
	struct live_in *l = st->be;
	struct pcap_stat ps;

	/* libpcap accumulates the kernel's per-read counters for us */
	if (l->pcap != NULL && pcap_stats(l->pcap, &ps) == 0) {
		uint64_t ifd = ps.ps_ifdrop - l->at_join.ps_ifdrop;
		uint64_t d = ps.ps_drop - l->at_join.ps_drop;

		atomic_store_explicit(&st->c.if_drops, l->base_ifdrops + ifd,
		    memory_order_relaxed);
		atomic_store_explicit(&st->c.kernel_drops, l->base_drops + d +
		    ifd, memory_order_relaxed);
	}
}

static int
live_dispatch(struct live_in *l)
{
	return pcap_dispatch(l->pcap, -1, l->skip > 0 ? live_packet_skip :
	    live_packet, (u_char *)l);
}

/*
 * A stop: what the kernel holds is ours too, its ring's blocks and the
 * packets of its current block.  Read on until the ring is empty and that
 * block must have been handed over, or, when the packets come faster
 * than we read them, for at most LIVE_DRAIN_MAX_NS more.  Whether to read
 * on; *last: an empty ring ends it now; *wait_ms: the longest to wait for
 * the block.
 */
static bool
live_draining(struct live_in *l, bool *last, int *wait_ms)
{
	uint64_t now = mono_ns(), left_ms;

	if (l->drain_until == 0)
		l->drain_until = now + block_lateness_ns(l->block_ms);
	if (now >= l->drain_until + LIVE_DRAIN_MAX_NS)
		return false;
	*last = now >= l->drain_until;
	left_ms = *last ? 0 : (l->drain_until - now) / CLOCK_NS_PER_MS;
	if (!*last && left_ms < INPUT_POLL_MS)
		*wait_ms = (int)left_ms + 1;
	return true;
}

static int
live_read(struct input_stream *st)
{
	struct live_in *l = st->be;
	int n, wait_ms = INPUT_POLL_MS;
	bool last = false;

	if (input_stream_stopping(st) && !live_draining(l, &last, &wait_ms))
		return 0;
	if (l->drops_at == 0)
		l->drops_at = mono_ns();
	n = live_dispatch(l);
	if (n < 0) {
		if (n == PCAP_ERROR_BREAK)
			return 0;
		input_stream_fail(st, pcap_geterr(l->pcap));
		return -1;
	}
	if (mono_ns() - l->drops_at >= INPUT_DROP_POLL_NS) {
		l->drops_at = mono_ns();
		live_stats(st);
	}
	/* what the kernel handed over, at once; and before any sleep */
	queue_publish(st->q);
	st->batch = 0;
	if (n > 0)
		return 1;
	/* nothing ready: sleep */
	if (last)
		return 0;
	if (poll(&l->pfd, 1, wait_ms) < 0 && errno != EINTR) {
		input_stream_fail(st, strerror(errno));
		return -1;
	}
	if (l->pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
		/* e.g. the interface went away: let libpcap say why */
		n = live_dispatch(l);
		if (n < 0) {
			input_stream_fail(st, pcap_geterr(l->pcap));
			return -1;
		}
		/* else libpcap took the socket's error and found it harmless
		 * (ENETDOWN: the link went down; the socket stays) */
	}
	return 1;
}

/* On the opener thread, the reader waiting (the backend's reopen op). */
static int
live_reopen(struct input_stream *st, char *err, size_t errlen)
{
	struct live_in *l = st->be;
	const char *uri = st->src->uri;
	bool absent;

	if (l->pcap != NULL) {
		live_stats(st);
		l->base_drops = atomic_load_explicit(&st->c.kernel_drops,
		    memory_order_relaxed);
		l->base_ifdrops = atomic_load_explicit(&st->c.if_drops,
		    memory_order_relaxed);
		pcap_close(l->pcap);
		l->pcap = NULL;
	}
	memset(&l->at_join, 0, sizeof(l->at_join));
	l->skip = 0;
	if (live_activate(st, l, uri + input_sniff_format_len(uri) + 1,
	    false, &absent, err, errlen) != 0 || absent) {
		if (absent)
			log_seterr(err, errlen, "no such interface");
		if (l->pcap != NULL)
			pcap_close(l->pcap);
		l->pcap = NULL;
		return -1;
	}
	return 0;
}

static void
live_close(struct input_stream *st)
{
	struct live_in *l = st->be;

	if (l == NULL)
		return;
	if (l->pcap != NULL)
		pcap_close(l->pcap);
	free(l);
	st->be = NULL;
}

const struct input_backend input_live_backend = {
	.name = "libpcap live",
	.open = live_open,
	.read = live_read,
	.final = live_stats,
	.close = live_close,
	.reopen = live_reopen,
};
