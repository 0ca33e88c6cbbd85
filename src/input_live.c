/*
 * input_live.c - the libpcap live backend: ring:, int: and pcapint: (unless
 * --libtrace-live) as a TPACKET_V3 ring of --capture-buffer bytes, where
 * libtrace 3's ring: holds only 256 frames.
 *
 * DESIGN
 * - Opened and activated in the main thread, with nanosecond stamps and
 *   the filter in the kernel (input_push() then filters nothing).
 * - The reader thread reads non-blocking, waiting in poll() for at most
 *   INPUT_POLL_MS so that a silent interface never keeps it from seeing
 *   the stop flag; before it waits it publishes what it queued.  A read
 *   op is one pcap_dispatch() and, when nothing was ready, one wait.
 * - libpcap accumulates the kernel's drop counters; the reader copies
 *   them into the stream's counters every INPUT_DROP_POLL_NS and at the
 *   end.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "input_libpcap.h"
#include "input_backend.h"
#include "tstamp.h"

struct live_in {
	pcap_t			*pcap;
	struct pollfd		 pfd;
	uint64_t		 drops_at;	/* last drop refresh, mono ns */
	struct input_stream	*st;		/* for live_packet */
	int			 linktype;
};

static int
live_open(struct input_stream *st, const struct input_open_args *a,
    char *err, size_t errlen)
{
	const struct config *cfg = a->cfg;
	const char *uri = st->src->uri;
	char perr[PCAP_ERRBUF_SIZE] = "";
	int tmo = (int)cfg->maxwait_ms, rc;
	struct tstamp_ask ts = { .uri = uri, .iface = a->path,
	    .index = st->src->index, .type = cfg->tstamp_type };
	struct live_in *l;

	st->src->live = true;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	st->be = l;
	l->st = st;
	if ((l->pcap = pcap_create(a->path, perr)) == NULL) {
		log_seterr(err, errlen, "cannot open input '%s': %s", uri,
		    perr);
		return -1;
	}
	/* the kernel hands over a ring block after this many ms at most:
	 * keep it near maxwait so that packets are rarely late */
	if (tmo < 1)
		tmo = 1;
	if (tmo > INPUT_POLL_MS)
		tmo = INPUT_POLL_MS;
	pcap_set_snaplen(l->pcap, (int)cfg->snaplen);
	pcap_set_promisc(l->pcap, 1);
	pcap_set_timeout(l->pcap, tmo);
	pcap_set_buffer_size(l->pcap, (int)cfg->capture_buffer);
	pcap_set_tstamp_precision(l->pcap, PCAP_TSTAMP_PRECISION_NANO);
	tstamp_request(l->pcap, &ts);
	rc = pcap_activate(l->pcap);
	if (rc < 0) {
		log_seterr(err, errlen, "cannot start input '%s': %s", uri,
		    rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
		    rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs "
		    "root or CAP_NET_RAW)" : pcap_geterr(l->pcap));
		return -1;
	}
	if (rc > 0 && rc != PCAP_WARNING_TSTAMP_TYPE_NOTSUP)	/* tstamp's */
		log_warn("input '%s': %s", uri, pcap_geterr(l->pcap));
	st->src->linktype = input_libpcap_linktype(pcap_datalink(l->pcap));
	l->linktype = st->src->linktype;
	/* the type obtained, at the precision the kernel gave */
	st->src->tstamp_type = tstamp_activated(l->pcap, &ts, rc,
	    st->src->tstamp_type);
	if (input_libpcap_filter(st, l->pcap, cfg->filter, true, err,
	    errlen) != 0)
		return -1;
	if (pcap_setnonblock(l->pcap, 1, perr) != 0) {
		log_seterr(err, errlen, "input '%s': %s", uri, perr);
		return -1;
	}
	l->pfd.fd = pcap_get_selectable_fd(l->pcap);
	l->pfd.events = POLLIN;
	return 0;
}

static void
live_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_in *l = (struct live_in *)arg;

	input_push(l->st, (uint64_t)h->ts.tv_sec * 1000000000u +
	    (uint64_t)h->ts.tv_usec, h->caplen, h->len, l->linktype, data,
	    &l->st->batch);
}

static void
live_stats(struct input_stream *st)
{
	struct live_in *l = st->be;
	struct pcap_stat ps;

	/* libpcap accumulates the kernel's per-read counters for us */
	if (pcap_stats(l->pcap, &ps) == 0) {
		atomic_store_explicit(&st->c.if_drops, ps.ps_ifdrop,
		    memory_order_relaxed);
		atomic_store_explicit(&st->c.kernel_drops,
		    (uint64_t)ps.ps_drop + ps.ps_ifdrop, memory_order_relaxed);
	}
}

static int
live_read(struct input_stream *st)
{
	struct live_in *l = st->be;
	int n;

	if (input_stream_stopping(st))
		return 0;
	if (l->drops_at == 0)
		l->drops_at = mono_ns();
	n = pcap_dispatch(l->pcap, -1, live_packet, (u_char *)l);
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
	if (n > 0)
		return 1;
	/* nothing ready: hand over what we have, then sleep */
	queue_publish(st->q);
	st->batch = 0;
	if (poll(&l->pfd, 1, INPUT_POLL_MS) < 0 && errno != EINTR) {
		input_stream_fail(st, strerror(errno));
		return -1;
	}
	if (l->pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
		/* e.g. the interface went away: let libpcap say why */
		n = pcap_dispatch(l->pcap, -1, live_packet, (u_char *)l);
		if (n < 0) {
			input_stream_fail(st, pcap_geterr(l->pcap));
			return -1;
		}
	}
	return 1;
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
};
