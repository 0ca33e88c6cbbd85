/*
 * input.c - the reader core: sources, their streams and reader threads.
 *
 * DESIGN
 * - input_open() runs in the main thread: it classifies the URI
 *   (input_sniff.c), picks the backend that reads it and has it create,
 *   configure and start the source, so every error (bad URI, missing
 *   file or interface, a filter that does not compile) is reported before
 *   any output exists.  A source (struct input) has one stream, or
 *   --fanout's N (input_backend.h): each is opened by the same backend,
 *   has its own reader thread and queue, and the accessors below sum
 *   their counters.
 * - input_start() spawns one reader thread per stream.  The thread owns
 *   its backend state exclusively (libtrace and libpcap handles are not
 *   thread-safe) and calls the backend's read op batch after batch; the
 *   backend hands every packet to input_push(), which filters, cuts to
 *   the snap length and copies it into the stream's queue (live formats
 *   reuse their buffers on the next read), publishing in batches.  A full
 *   queue makes only this reader wait; the kernel then drops, and we
 *   count those drops.
 * - A read that fails ends the stream, unless its backend can reopen:
 *   then the thread records a gap and reopens (input_reopen.c) and reads
 *   on; its queue stays open meanwhile, so the merge sees an idle input.
 * - The thread shares only: the queue, the counters (relaxed atomics), the
 *   stop flag (read), the failed flag (written once, read after join),
 *   the done flag (written at its end; a backend's helper threads read it)
 *   and the source's gaps (under their lock).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "clock.h"
#include "input.h"
#include "input_backend.h"

static const struct input_backend *const backends[] = {
	[INPUT_READER_PCAPFILE] = &input_pcapfile_backend,
	[INPUT_READER_LIVE] = &input_live_backend,
	[INPUT_READER_LIBTRACE] = &input_libtrace_backend,
};

bool
input_uri_is_live(const char *uri)
{
	return input_sniff_is_live(uri);	/* libpcap's backend or libtrace's */
}

static void
iface_free(struct input_iface *f)
{
	if (f == NULL)
		return;
	free(f->name);
	free(f->description);
	free(f->os);
	free(f);
}

int
input_iface_add(struct input *in, const struct input_iface *d)
{
	size_t n = atomic_load_explicit(&in->nifaces, memory_order_relaxed);
	struct input_iface *f;

	if (n >= INPUT_MAX_IFACES || (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*f = *d;
	f->name = strdup(d->name);
	f->description = strdup(d->description);
	f->os = d->os != NULL ? strdup(d->os) : NULL;
	if (f->name == NULL || f->description == NULL ||
	    (d->os != NULL && f->os == NULL)) {
		iface_free(f);
		return -1;
	}
	in->ifaces[n] = f;
	/* release: whoever sees the count sees the entry */
	atomic_store_explicit(&in->nifaces, n + 1, memory_order_release);
	return (int)n;
}

/*
 * The one interface of a source that did not describe its own: the
 * device or file (else what follows the URI's "format:"), the URI and,
 * live, the time stamp type and the host's OS (as the SHB's shb_os: the
 * packets were captured here; a file's OS is unknown).  0, or -1 with
 * err.
 */
static int
default_iface(struct input *in, const struct input_sniff *s, char *err,
    size_t errlen)
{
	const char *colon = strchr(in->uri, ':');
	char desc[1024], os[3 * sizeof(((struct utsname *)0)->release)];
	struct utsname u;
	struct input_iface d = {
		.name = (char *)(s->path != NULL ? s->path :
		    colon != NULL ? colon + 1 : in->uri),
		.description = in->uri,
		.linktype = in->linktype,
		.snaplen = in->snaplen,
		.tsresol = in->kind == IN_PCAP_US ? 6 : 9,
	};

	if (in->tstamp_type != NULL) {
		(void)snprintf(desc, sizeof(desc), "%s (time stamps: %s)",
		    in->uri, in->tstamp_type);
		d.description = desc;
	}
	if (in->live && uname(&u) == 0) {
		(void)snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		d.os = os;
	}
	if (input_iface_add(in, &d) < 0) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Open the stream st of source in with the backend that s names; 0, or
 * -1 with err. */
static int
stream_open(struct input *in, struct input_stream *st,
    const struct input_sniff *s, const struct config *cfg,
    const struct privs_user *child_as, struct queue_waiter *consumer_waiter,
    char *err, size_t errlen)
{
	struct input_open_args a = {
		.cfg = cfg,
		.path = s->path,
		.kind = s->kind,
		.stream = s->stream,
		.child_as = child_as,
	};
	char qerr[128];
	int rc;

	st->src = in;
	st->k = (size_t)(st - in->streams);
	st->snaplen = in->snaplen;
	in->kind = s->kind;
	st->ops = backends[s->reader];
	if ((rc = st->ops->open(st, &a, err, errlen)) > 0) {
		/* a compressed file only libtrace reads */
		st->ops->close(st);
		st->ops = &input_libtrace_backend;
		rc = st->ops->open(st, &a, err, errlen);
	}
	if (rc != 0)
		return -1;
	if (pkt_xform_create(cfg, &st->xform, err, errlen) != 0)
		return -1;
	if (st->k == 0 && atomic_load(&in->nifaces) == 0 &&
	    default_iface(in, s, err, errlen) != 0)
		return -1;
	/* nothing to do per packet: the merger reads it in place */
	if (st->ops->pull != NULL && st->filter == NULL && st->xform == NULL &&
	    cfg->control_path == NULL && (st->pull = st->ops->pull(st)) != NULL)
		return 0;
	st->q = queue_create(cfg->queue_bytes, cfg->snaplen, consumer_waiter,
	    qerr, sizeof(qerr));
	if (st->q == NULL) {
		log_seterr(err, errlen, "input '%s': %s", in->uri, qerr);
		return -1;
	}
	return 0;
}

struct input *
input_open(const char *uri, size_t index, const struct config *cfg,
    const struct privs_user *child_as,
    struct queue_waiter *consumer_waiter, const atomic_bool *stop,
    char *err, size_t errlen)
{
	struct input_sniff s;
	struct input *in;
	size_t n;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->uri = strdup(uri)) == NULL ||
	    input_gaps_init(&in->gaps) != 0) {
		log_seterr(err, errlen, "out of memory");
		if (in != NULL)
			free(in->uri);
		free(in);
		return NULL;
	}
	in->cfg = cfg;
	in->index = index;
	in->linktype = -1;
	in->fanout_id = -1;
	in->snaplen = cfg->snaplen;
	in->has_filter = cfg->filter != NULL;
	in->start_ns = realtime_ns();
	atomic_init(&in->nifaces, 0);
	if (input_sniff_uri(uri, cfg->libtrace_live, &s, err, errlen) != 0)
		goto fail;
	/* --fanout: N sockets of libpcap's on the interface */
	n = s.reader == INPUT_READER_LIVE && cfg->fanout > 0 ?
	    cfg->fanout : 1;
	if ((in->streams = calloc(n, sizeof(*in->streams))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		goto fail;
	}
	in->nstreams = n;
	for (size_t k = 0; k < in->nstreams; k++) {
		atomic_init(&in->streams[k].sessions, NULL);
		atomic_init(&in->streams[k].epoch, 0);
		atomic_init(&in->streams[k].stop, stop);
		atomic_init(&in->streams[k].failed, false);
		atomic_init(&in->streams[k].done, false);
	}
	for (size_t k = 0; k < in->nstreams; k++)
		if (stream_open(in, &in->streams[k], &s, cfg, child_as,
		    consumer_waiter, err, errlen) != 0)
			goto fail;
	return in;
fail:
	input_destroy(in);
	return NULL;
}

static void *
input_reader_thread(void *arg)
{
	struct input_stream *st = arg;

	/* a read that fails (-1) ends it unless the backend can reopen */
	for (int rc = st->absent ? -1 : 1;;) {
		while (rc > 0) {
			/* odd while a session table may be held (session.c) */
			atomic_fetch_add(&st->epoch, 1);
			atomic_thread_fence(memory_order_seq_cst);
			rc = st->ops->read(st);
			atomic_fetch_add_explicit(&st->epoch, 1,
			    memory_order_release);
		}
		if (rc == 0 || st->ops->reopen == NULL ||
		    input_stream_stopping(st) || !input_reopen(st))
			break;
		rc = 1;
	}
	if (st->ops->final != NULL)
		st->ops->final(st);
	atomic_store(&st->done, true);
	queue_close(st->q);
	return NULL;
}

int
input_start(struct input *in, const atomic_bool *stop, char *err,
    size_t errlen)
{
	int rc;

	for (size_t i = 0; i < in->nstreams; i++) {
		struct input_stream *st = &in->streams[i];

		atomic_store_explicit(&st->stop, stop, memory_order_release);
		if (st->pull != NULL)
			continue;	/* the merger's to read */
		if ((rc = pthread_create(&st->thread, NULL,
		    input_reader_thread, st)) != 0) {
			log_seterr(err, errlen, "cannot start a reader for "
			    "'%s': %s", in->uri, strerror(rc));
			return -1;
		}
		st->started = true;
	}
	return 0;
}

void
input_join(struct input *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->nstreams; i++) {
		struct input_stream *st = &in->streams[i];

		if (st->started) {
			pthread_join(st->thread, NULL);
			st->started = false;
		}
		/* never started, or done: helpers must not wait for it */
		atomic_store(&st->done, true);
		if (st->ops != NULL && st->ops->join != NULL)
			st->ops->join(st);
	}
}

void
input_destroy(struct input *in)
{
	if (in == NULL)
		return;
	input_join(in);
	for (size_t i = 0; in->streams != NULL && i < in->nstreams; i++) {
		struct input_stream *st = &in->streams[i];

		if (st->have_prog)
			pcap_freecode(&st->prog);
		if (st->ops != NULL)
			st->ops->close(st);
		queue_destroy(st->q);
		pkt_xform_destroy(st->xform);
	}
	input_gaps_destroy(&in->gaps);
	for (size_t i = 0; i < atomic_load(&in->nifaces); i++)
		iface_free(in->ifaces[i]);
	free(in->streams);
	free(in->uri);
	free(in);
}

size_t
input_nstreams(const struct input *in)
{
	return in->nstreams;
}

struct queue *
input_stream_queue(const struct input *in, size_t k)
{
	return in->streams[k].q;
}

struct pull *
input_stream_pull(const struct input *in, size_t k)
{
	return in->streams[k].pull;
}

static uint64_t
load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

void
input_stream_counts(const struct input *in, size_t k,
    struct input_counts *out)
{
	const struct input_counters *c = &in->streams[k].c;

	*out = (struct input_counts){
		.read = load(&c->read),
		.filtered = load(&c->filtered),
		.kernel_drops = load(&c->kernel_drops),
		.if_drops = load(&c->if_drops),
		.queue_full = load(&c->queue_full),
		.discarded = load(&c->discarded),
		.reopens = load(&c->reopens),
		.headers_unparsed = load(&c->headers_unparsed),
	};
}

void
input_counts(const struct input *in, struct input_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < in->nstreams; k++) {
		struct input_counts c;

		input_stream_counts(in, k, &c);
		out->read += c.read;
		out->filtered += c.filtered;
		out->kernel_drops += c.kernel_drops;
		out->if_drops += c.if_drops;
		out->queue_full += c.queue_full;
		out->discarded += c.discarded;
		out->reopens += c.reopens;
		out->headers_unparsed += c.headers_unparsed;
	}
}

bool
input_can_reopen(const struct input *in)
{
	return in->streams[0].ops != NULL && in->streams[0].ops->reopen != NULL;
}

struct input_gaps *
input_gaps(struct input *in)
{
	return &in->gaps;
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
	return in->linktype;
}

size_t
input_ifaces(const struct input *in, const struct input_iface *const **tab)
{
	size_t n = atomic_load_explicit(&in->nifaces, memory_order_acquire);

	*tab = (const struct input_iface *const *)in->ifaces;
	return n;
}

uint64_t
input_start_ns(const struct input *in)
{
	return in->start_ns;
}

bool
input_filtered_known(const struct input *in)
{
	/* files filter in user space or libtrace counts its own; live
	 * sources with a filter filter in the kernel */
	return !in->live || !in->has_filter;
}

const char *
input_anon_note(const struct input *in)
{
	return in->nstreams > 0 ? pkt_xform_note(in->streams[0].xform) : NULL;
}

bool
input_parses_headers(const struct input *in)
{
	return in->nstreams > 0 && in->streams[0].xform != NULL;
}

bool
input_failed(const struct input *in)
{
	for (size_t i = 0; i < in->nstreams; i++)
		if (atomic_load_explicit(&in->streams[i].failed,
		    memory_order_relaxed))
			return true;
	return false;
}

bool
input_up(struct input *in)
{
	return !input_failed(in) && !input_gaps_open(&in->gaps);
}

void
input_queue_bytes(const struct input *in, uint64_t *used, uint64_t *capacity)
{
	*used = *capacity = 0;
	for (size_t k = 0; k < in->nstreams; k++) {
		if (in->streams[k].q == NULL)
			continue;	/* pulled: no queue */
		*used += queue_used_bytes(in->streams[k].q);
		*capacity += queue_capacity(in->streams[k].q);
	}
}

void
input_libtrace_help(void)
{
	input_libtrace_formats();
}
