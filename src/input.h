/*
 * input.h - capture sources and the reader threads that drain them.
 *
 * A trace URI is opened, configured and started in the main thread
 * (libtrace 3 registers formats without a lock, so concurrent trace_create
 * calls are unsafe), then its reader thread copies every packet that
 * passes the filter into the input's bounded queue.  pcap and pcapng files
 * (pcapfile:, pcap:, pcapng: or a bare path holding one, compressed or
 * not) are opened with libpcap (regular uncompressed classic pcap files
 * are then read by pcapfile.c, which reproduces libpcap's records and
 * errors; MTRACECAP_READER=libpcap in the environment forces libpcap),
 * and so are the Linux live formats ring:,
 * int: and pcapint: (a TPACKET_V3 ring of --capture-buffer bytes, where
 * libtrace 3's ring: holds 256 frames) unless --libtrace-live; every
 * other URI goes through libtrace.  The backends (input_*.c) sit behind
 * input_backend.h.  A struct input is a source (what the user named);
 * it has one stream (reader thread and queue) or, with --fanout, one per
 * socket; its counters are their sums.
 */
#ifndef MTRACECAP_INPUT_H
#define MTRACECAP_INPUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input_counters.h"
#include "input_gap.h"
#include "input_iface.h"
#include "options.h"
#include "pull.h"
#include "queue.h"

struct input;
struct privs_user;


/*
 * Open, configure and start the source named by uri (main thread only).
 * index is its position among the inputs.  The input's queue wakes
 * consumer_waiter.  A decompressor child of a compressed file runs as
 * child_as (NULL: as we do; kept until input_destroy).  Once *stop is set
 * (NULL: never), an open that waits for data (a FIFO whose writer is
 * silent) gives up.  Returns NULL with a message naming the URI in err.
 */
struct input *input_open(const char *uri, size_t index,
    const struct config *cfg, const struct privs_user *child_as,
    struct queue_waiter *consumer_waiter, const atomic_bool *stop,
    char *err, size_t errlen);

/* Whether input_open(uri) would capture live (and so may need
 * capabilities to open); no I/O. */
bool input_uri_is_live(const char *uri);

/* The longest a packet of a single libpcap live input (ring:, int:,
 * pcapint:) may wait in the kernel's ring before its reader can see it: a
 * rotation waits that long for it (input_live.c).  0 when the inputs are
 * merged: their rings hand over within maxwait. */
uint64_t input_live_lateness_ns(const struct config *cfg);

/* Start the reader thread; it stops at end of input or once *stop is set. */
int input_start(struct input *in, const atomic_bool *stop, char *err,
    size_t errlen);
/* Wait for the reader thread (after which the counters are final). */
void input_join(struct input *in);
/* Close the source and free everything; input_destroy(NULL) is a no-op. */
void input_destroy(struct input *in);

/*
 * The source's streams: [0, n), each a merge leaf: its queue, or (queue
 * NULL) a pull the merger reads in place (pull.h: a plain pcap file that
 * needs nothing done per packet, read without a thread of its own).
 */
size_t input_nstreams(const struct input *in);
struct queue *input_stream_queue(const struct input *in, size_t k);
struct pull *input_stream_pull(const struct input *in, size_t k);

/* What a source's counters (input_counters.h) read, summed over its
 * streams: relaxed loads, each exact, together of about one moment. */
struct input_counts {
	uint64_t	read, filtered, kernel_drops, if_drops, queue_full;
	uint64_t	discarded, reopens;
	uint64_t	headers_unparsed;	/* pkt_xform.h */
};
void input_counts(const struct input *in, struct input_counts *out);
/* ... of stream k alone (-vv's per-socket figures). */
void input_stream_counts(const struct input *in, size_t k,
    struct input_counts *out);
/* Whether a failure of the source is a gap (it reopens) rather than its
 * end; and its gaps (any thread). */
bool input_can_reopen(const struct input *in);
struct input_gaps *input_gaps(struct input *in);
const char *input_uri(const struct input *in);
bool input_is_live(const struct input *in);
/* pcap LINKTYPE_ of the source if known before the first packet, else -1 */
int input_linktype(const struct input *in);
/*
 * The interfaces of the source known so far ([0, n), n returned, >= 1
 * after input_open()); more may come while its reader runs, each before
 * its first packet.  Any thread.
 */
size_t input_ifaces(const struct input *in,
    const struct input_iface *const **tab);
/* Wall clock (ns since the epoch) when the source was opened. */
uint64_t input_start_ns(const struct input *in);
/* False where the filter runs in the kernel, which does not count what it
 * rejects (live captures with -F): counters.filtered then means nothing. */
bool input_filtered_known(const struct input *in);
/* Whether its packets are parsed (--headers-only, anonymisation): its
 * headers_unparsed count means something. */
bool input_parses_headers(const struct input *in);
/* What its files say of the address anonymisation (anon.h's anon_note),
 * or NULL when it keeps addresses.  Lives as long as in. */
const char *input_anon_note(const struct input *in);
/* After input_join(): true if reading ended with an error (logged). */
bool input_failed(const struct input *in);
/* Up: not failed and no gap open (every stream captures).  Any thread. */
bool input_up(struct input *in);
/* Bytes its streams' queues hold now, and their capacity (any thread). */
void input_queue_bytes(const struct input *in, uint64_t *used,
    uint64_t *capacity);

/* libtrace's list of formats (for -H). */
void input_libtrace_help(void);

#endif
