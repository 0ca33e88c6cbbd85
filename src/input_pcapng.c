/*
 * input_pcapng.c - the native pcapng reader: pcapng files, compressed or
 * not, and pcapng streams, every interface of every section kept apart.
 *
 * DESIGN
 * - input_pcapfile.c hands pcapng here instead of to libpcap (which
 *   merges all interfaces into one, refuses differing link types and
 *   drops epb_flags).  A regular file is read() in big chunks; a stream
 *   (a pipe, a FIFO, standard input, a decompressor's output) is read
 *   through input_stdio_read() into the same buffer, which returns what
 *   the pipe holds, publishes the queue before it waits and sees a stop
 *   within INPUT_POLL_MS.  pcapng_read.c parses the blocks in place;
 *   packets are copied into the queue by input_push_if() with their
 *   interface and epb_flags.
 * - Each IDB becomes an interface of the source (input_iface_add), in the
 *   order they come; a new SHB starts a new numbering of its section's
 *   interface ids, appended after the earlier sections' ones.  The IDBs
 *   before the first packet are registered while opening (main thread) so
 *   that the writer knows them at its first file; later ones by the
 *   reader thread before the packets that name them (input_iface_add
 *   publishes with release, the packets are queued after).
 * - The filter (-F) is compiled once per link type; the stream's filter
 *   pointer is set to the packet's interface's program before each push.
 * - Malformed blocks fail the input with the byte offset; what was read
 *   before stays queued.  Errors in or before the first IDB fail the open,
 *   as libpcap's would; later ones (even before the first packet) are the
 *   reader's, as with libpcap.  A file whose first interface has a link
 *   type libpcap rewrites (pcapfile_linktype_declined) is left to libpcap;
 *   a stream keeps the bytes it read until its first IDB is known and
 *   hands them back for that.  A decompressor's failure is logged by
 *   input_stdio.c and ends the input with a read error.
 * - After open, only the stream's reader thread touches the state.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input_backend.h"
#include "input_libpcap.h"
#include "input_pcapng.h"
#include "input_stdio.h"
#include "pcapfile.h"
#include "pcapng_read.h"

#define NG_CHUNK	(1u << 20)	/* read() size, and the first buffer */
#define NG_SNAPSHOT	262144u		/* libpcap's for the link types read */
/* a stream keeps up to this many of its first bytes until its first IDB
 * is known, to hand them back to libpcap */
#define NG_KEEP		(PCAPNG_MAXSHB + NG_CHUNK)

/* One interface of the section being read. */
struct ngif {
	int			 index;		/* in the source; -1: past
						 * INPUT_MAX_IFACES */
	int			 linktype;
	uint32_t		 snapshot;	/* caplen limit, as libpcap's */
	struct pcapng_clock	 clk;
	const struct bpf_program *filter;	/* NULL: none */
};

/* A filter compiled for one link type. */
struct ngprog {
	int			 linktype;
	struct bpf_program	 prog;
};

struct ngin {
	int			 fd;		/* a regular file, or -1 */
	struct input_stdio	*in;		/* else the stream */
	char			*path;		/* the file: default if_name */
	const char		*filter;	/* -F text, or NULL */
	unsigned char		*buf;
	size_t			 cap, off, end;	/* unparsed: buf[off, end) */
	bool			 eof;
	bool			 drained;	/* a stream: what the stop let
						 * be read is read */
	int			 rerr;		/* errno of a failed read: for
						 * good (a decompressor's
						 * failure is not an EOF) */
	uint64_t		 base;		/* file offset of buf[0] */
	struct pcapng_section	 sec;
	struct ngif		*ifs;		/* this section's interfaces */
	size_t			 nifs, ifcap;
	size_t			 nfile;		/* IDBs so far, all sections */
	uint64_t		 last_ts;	/* this section's last stamp */
	struct ngprog		**progs;		/* one per link type */
	size_t			 nprogs;
};

static int ng_read(struct input_stream *st);
static void ng_close(struct input_stream *st);

static const struct input_backend ng_backend = {
	.name = "pcapng (native)",
	.read = ng_read,
	.close = ng_close,
};



/* The filter program for link type lt, compiled on first use (each apart:
 * the interfaces point at them).  NULL with why when it does not
 * compile. */
static const struct bpf_program *
ng_filter(struct ngin *g, int lt, char *why, size_t whylen)
{
	struct ngprog **tab, *np;
	pcap_t *dead;
	int rc;

	for (size_t i = 0; i < g->nprogs; i++)
		if (g->progs[i]->linktype == lt)
			return &g->progs[i]->prog;
	if ((tab = realloc(g->progs, (g->nprogs + 1) * sizeof(*tab))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	g->progs = tab;
	if ((np = calloc(1, sizeof(*np))) == NULL ||
	    (dead = pcap_open_dead(input_libpcap_dlt(lt), (int)NG_SNAPSHOT)) == NULL) {
		free(np);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	rc = pcap_compile(dead, &np->prog, g->filter, 1, PCAP_NETMASK_UNKNOWN);
	if (rc != 0)
		snprintf(why, whylen, "filter '%s' does not compile for link "
		    "type %d: %s", g->filter, lt, pcap_geterr(dead));
	pcap_close(dead);
	if (rc != 0) {
		free(np);
		return NULL;
	}
	np->linktype = lt;
	tab[g->nprogs++] = np;
	return &np->prog;
}

/* A string option as one line in buf: up to its first NUL, control
 * characters as spaces. */
static const char *
ng_str(const struct pcapng_str *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; n < s->len && n + 1 < size && s->p[n] != '\0'; n++)
		buf[n] = s->p[n] < 0x20 || s->p[n] == 0x7f ? ' ' :
		    (char)s->p[n];
	buf[n] = '\0';
	return buf;
}

/* An IDB: a new interface of this section, and of the source.  0, or -1
 * with why; 1 when it is the file's first and libpcap's to read. */
static int
ng_idb(struct input_stream *st, struct ngin *g, const struct pcapng_block *b,
    char *why, size_t whylen)
{
	char name[256], descr[256], os[256], full[1024];
	struct input_iface d = { 0 };
	struct ngif *f;

	if (pcapfile_linktype_declined(b->linktype, g->sec.swapped)) {
		if (g->nfile == 0)
			return 1;
		snprintf(why, whylen, "interface %zu has link type %u, which "
		    "this reader does not convert in such a file",
		    g->nfile, (unsigned)b->linktype);
		return -1;
	}
	if (g->nifs == g->ifcap) {
		size_t n = g->ifcap == 0 ? 8 : 2 * g->ifcap;

		if ((f = realloc(g->ifs, n * sizeof(*f))) == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		g->ifs = f;
		g->ifcap = n;
	}
	f = &g->ifs[g->nifs];
	memset(f, 0, sizeof(*f));
	if (pcapng_clock_init(&f->clk, b->tsresol, b->tsoffset, why,
	    whylen) != 0)
		return -1;
	f->linktype = b->linktype;
	f->snapshot = b->snaplen == 0 || b->snaplen > NG_SNAPSHOT ?
	    NG_SNAPSHOT : b->snaplen;
	if (g->filter != NULL &&
	    (f->filter = ng_filter(g, f->linktype, why, whylen)) == NULL)
		return -1;
	d.name = b->name.len > 0 ? (char *)ng_str(&b->name, name,
	    sizeof(name)) : (char *)g->path;
	d.os = b->os.len > 0 ? (char *)ng_str(&b->os, os, sizeof(os)) : NULL;
	if (b->descr.len > 0)
		snprintf(full, sizeof(full), "%s interface %zu: %s",
		    st->src->uri, g->nfile, ng_str(&b->descr, descr,
		    sizeof(descr)));
	else
		snprintf(full, sizeof(full), "%s interface %zu", st->src->uri,
		    g->nfile);
	d.description = full;
	d.linktype = f->linktype;
	d.snaplen = b->snaplen;
	d.tsresol = f->clk.tsresol;
	f->index = -1;
	if (atomic_load_explicit(&st->src->nifaces, memory_order_relaxed) <
	    INPUT_MAX_IFACES && (f->index = input_iface_add(st->src, &d)) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (g->nfile == 0)
		st->src->linktype = f->linktype;
	g->nifs++;
	g->nfile++;
	return 0;
}

/*
 * A packet block: its interface, stamp and lengths checked, pushed.  An
 * SPB has no stamp: it takes the stamp of the section's previous packet
 * (0 before any), so that it keeps its place in a merge by time.  0, or
 * -1 with why.
 */
static int
ng_packet(struct input_stream *st, struct ngin *g, const struct pcapng_block *b,
    unsigned *batch, char *why, size_t whylen)
{
	const struct ngif *f;
	uint32_t caplen = b->caplen;
	uint64_t ts;

	if (b->iface >= g->nifs) {
		snprintf(why, whylen, "a packet of interface %" PRIu32 ", "
		    "which no Interface Description Block of its section "
		    "defines", b->iface);
		return -1;
	}
	f = &g->ifs[b->iface];
	if (f->index < 0) {
		snprintf(why, whylen, "a packet of interface %zu of the file, "
		    "but an input holds at most %d interfaces",
		    g->nfile - g->nifs + b->iface, INPUT_MAX_IFACES);
		return -1;
	}
	if (b->type == PCAPNG_BT_SPB) {
		caplen = caplen < f->snapshot ? caplen : f->snapshot;
		if (caplen > b->room) {
			snprintf(why, whylen, "a Simple Packet Block of "
			    "%" PRIu32 " bytes holds only %" PRIu32, caplen,
			    b->room);
			return -1;
		}
		ts = g->last_ts;
	} else {
		ts = pcapng_clock_ns(&f->clk, b->ts);
	}
	if (caplen > f->snapshot) {
		snprintf(why, whylen, "a captured length of %" PRIu32 " is "
		    "over the snapshot length %" PRIu32 " of its interface",
		    caplen, f->snapshot);
		return -1;
	}
	g->last_ts = ts;
	st->filter = f->filter;
	input_push_if(st, ts, caplen, b->wirelen, f->linktype,
	    (uint32_t)f->index, b->flags, b->data, batch);
	return 0;
}

/*
 * Move the unparsed bytes to the start of the buffer, growing it to need
 * bytes if need be, and read more: read() a regular file, a stream what
 * it has.  A stream keeps what it read (and grows the buffer) until its
 * first interface is known, up to NG_KEEP bytes.  0 (also on EINTR and on
 * a stop: try again), -1 with why (again at every call after a read
 * failed).
 */
static int
ng_refill(struct input_stream *st, struct ngin *g, size_t need, char *why,
    size_t whylen)
{
	size_t drop = g->in != NULL && g->nfile == 0 && g->end < NG_KEEP ?
	    0 : g->off;
	size_t want = g->off - drop + need;
	ssize_t n;

	memmove(g->buf, g->buf + drop, g->end - drop);
	g->base += drop;
	g->end -= drop;
	g->off -= drop;
	if (g->end == g->cap && want <= g->cap)
		want = 2 * g->cap;	/* keeping: full */
	if (want > g->cap) {
		unsigned char *nb = realloc(g->buf, want);

		if (nb == NULL) {
			snprintf(why, whylen, "out of memory for a block of "
			    "%zu bytes", need);
			return -1;
		}
		g->buf = nb;
		g->cap = want;
	}
	if (g->rerr != 0)
		n = -1;
	else if (g->in != NULL)
		n = input_stdio_read(g->in, g->buf + g->end, g->cap - g->end);
	else
		n = read(g->fd, g->buf + g->end, g->cap - g->end);
	if (n < 0 && g->rerr == 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		if (g->rerr == 0)
			g->rerr = errno;
		snprintf(why, whylen, "error reading the file: %s",
		    strerror(g->rerr));
		return -1;
	}
	g->eof = n == 0 && !input_stream_stopping(st);
	g->drained = n == 0 && g->in != NULL && input_stream_stopping(st);
	g->end += (size_t)n;
	return 0;
}

/*
 * Parse and handle the blocks in the buffer.  opening: stop before the
 * first packet block (2) and read more when the buffer runs out;
 * otherwise stop there (1: call again).  0 at the end of the file (or
 * stopping), 1, 2; -1 with why (the offset in it); 3 when libpcap is to
 * read the file.
 */
static int
ng_run(struct input_stream *st, struct ngin *g, bool opening, char *why,
    size_t whylen)
{
	char perr[256];
	struct pcapng_block b = { 0 };	/* once per read op */
	unsigned batch = st->batch;
	ssize_t n;
	int rc = 0;

	for (;;) {
		/* a file stops here; a stream reads on to the end of what
		 * its pipe held at the stop (input_stdio_read) */
		if (!opening && g->in == NULL && input_stream_stopping(st))
			break;
		n = pcapng_next(&g->sec, g->buf + g->off, g->end - g->off,
		    g->eof, &b, perr, sizeof(perr));
		if (n == 0 && g->eof)
			break;
		if (n == 0 && g->drained && !opening) {
			if (g->end > g->off)
				log_info("input '%s': stopped with %zu byte(s) "
				    "of a block not yet read whole: not a "
				    "packet", st->src->uri, g->end - g->off);
			break;
		}
		if (n == 0 && !opening) {
			rc = 1;
			if (ng_refill(st, g, b.need, perr, sizeof(perr)) != 0)
				goto fail;
			break;
		}
		if (n == 0 && input_stream_stopping(st)) {
			snprintf(perr, sizeof(perr), "stopped while opening");
			goto fail;
		}
		if (n == 0) {
			if (ng_refill(st, g, b.need, perr, sizeof(perr)) != 0)
				goto fail;
			continue;
		}
		if (n < 0)
			goto fail;
		switch (b.type) {
		case PCAPNG_BT_SHB:
			g->nifs = 0;		/* a new numbering */
			g->last_ts = 0;
			break;
		case PCAPNG_BT_IDB:
			if ((rc = ng_idb(st, g, &b, perr, sizeof(perr))) < 0)
				goto fail;
			if (rc == 1) {
				st->batch = batch;
				return 3;
			}
			break;
		case PCAPNG_BT_EPB:
		case PCAPNG_BT_SPB:
		case PCAPNG_BT_PB:
			if (opening) {
				st->batch = batch;
				return 2;
			}
			if (ng_packet(st, g, &b, &batch, perr,
			    sizeof(perr)) != 0)
				goto fail;
			break;
		default:
			break;
		}
		g->off += (size_t)n;
	}
	st->batch = batch;
	return rc;
fail:
	st->batch = batch;
	snprintf(why, whylen, "%s (pcapng block at byte %" PRIu64 ")", perr,
	    g->base + g->off);
	return -1;
}

static int
ng_read(struct input_stream *st)
{
	char why[512];
	int rc = ng_run(st, st->be, false, why, sizeof(why));

	if (rc < 0)
		input_stream_fail(st, why);
	return rc < 0 ? -1 : rc;
}

/*
 * The file is libpcap's after all (ng_run said 3: nothing registered):
 * undo the open; a stream gets the bytes read back, to be read from its
 * start.  1, or -1 with err.
 */
static int
ng_decline(struct input_stream *st, struct ngin *g,
    const struct input_backend *ops, char *err, size_t errlen)
{
	if (g->in != NULL && g->base != 0) {
		log_seterr(err, errlen, "cannot read input '%s': its first "
		    "interface has a link type only libpcap reads, and it "
		    "comes after more than %u bytes of other blocks",
		    st->src->uri, (unsigned)NG_KEEP);
		return -1;
	}
	if (g->in != NULL && input_stdio_unread(g->in, g->buf, g->end) != 0) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	g->in = NULL;		/* the caller's again */
	ng_close(st);
	st->ops = ops;
	return 1;
}

int
input_pcapng_open(struct input_stream *st, const char *path,
    struct input_stdio *in, const char *filter, char *err, size_t errlen)
{
	const struct input_backend *ops = st->ops;
	const char *uri = st->src->uri;
	char why[512];
	struct ngin *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->buf = malloc(NG_CHUNK)) == NULL) {
		free(g);
		input_stdio_close(in);
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	g->cap = NG_CHUNK;
	g->filter = filter;
	g->fd = -1;
	g->in = in;
	st->ops = &ng_backend;
	st->be = g;
	if ((g->path = strdup(path)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (in == NULL && (g->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_seterr(err, errlen, "cannot open input '%s': %s", uri,
		    strerror(errno));
		return -1;
	}
	if (in == NULL)
		(void)posix_fadvise(g->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = ng_run(st, g, true, why, sizeof(why));
	if (rc == 3)
		return ng_decline(st, g, ops, err, errlen);
	if (rc == 2 && g->nfile == 0) {
		log_seterr(err, errlen, "cannot read input '%s': a packet "
		    "block before any Interface Description Block (pcapng "
		    "block at byte %" PRIu64 ")", uri, g->base + g->off);
		return -1;
	}
	if (rc < 0 && g->nfile > 0)
		return 0;	/* past the first IDB: the reader's error */
	if (rc < 0) {
		log_seterr(err, errlen, "cannot read input '%s': %s", uri, why);
		return -1;
	}
	if (g->nfile == 0) {
		log_seterr(err, errlen, "cannot read input '%s': the file has "
		    "no Interface Description Block", uri);
		return -1;
	}
	return 0;
}

static void
ng_close(struct input_stream *st)
{
	struct ngin *g = st->be;

	if (g == NULL)
		return;
	st->filter = NULL;
	for (size_t i = 0; i < g->nprogs; i++) {
		pcap_freecode(&g->progs[i]->prog);
		free(g->progs[i]);
	}
	free(g->progs);
	free(g->ifs);
	free(g->buf);
	free(g->path);
	if (g->fd >= 0)
		close(g->fd);
	input_stdio_close(g->in);
	free(g);
	st->be = NULL;
}
