/*
 * input_pcapfile.c - the pcap file backend: pcap and pcapng files,
 * compressed or not, and pcap streams (FIFO, pipe, standard input).
 *
 * DESIGN
 * - Opened with libpcap in the main thread (which checks the header and
 *   compiles the filter as for any pcap file); streams and compressed
 *   files reach it through input_stdio.c.  The filter is applied by
 *   input_push().
 * - Regular, uncompressed classic pcap files are then read without
 *   libpcap: open switches the stream to the native reader (its own ops
 *   table), which read()s big chunks and has pcapfile.c parse the records
 *   as libpcap would, at a fraction of the cost of libpcap's fread() per
 *   record.  Files pcapfile.c declines (other magics, versions or link
 *   types) stay with libpcap, and so do compressed classic pcap files
 *   and classic pcap streams.
 * - A native file that needs nothing done per packet (input.c asks: the
 *   pull op) is not read by a thread at all: the merger reads it in
 *   place, mapped (input_pcapmap.c).  MTRACECAP_READER=read keeps the
 *   read() reader thread for it (comparisons).
 * - pcapng files, compressed or not, and pcapng streams go to the native
 *   pcapng reader (input_pcapng.c) without libpcap, which keeps their
 *   interfaces apart; it reads streams through input_stdio_read().  What
 *   it declines (a first interface whose link type libpcap rewrites) it
 *   hands back, a stream with the bytes it read, to libpcap.
 *   MTRACECAP_READER=libpcap in the environment reads every pcap and
 *   pcapng file with libpcap (for comparisons).
 * - Once a stream's or a compressed file's first bytes are read, open
 *   tells the core what it holds (st->src->kind), which sets the default
 *   interface's if_tsresol as for a regular file.
 * - A compressed file named by a bare path that holds neither pcap nor
 *   pcapng is libtrace's to read (open returns 1).
 * - After open, only the stream's reader thread touches the state.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input_libpcap.h"
#include "input_pcapmap.h"
#include "input_pcapng.h"
#include "input_stdio.h"
#include "input_backend.h"
#include "pcapfile.h"

#define FILE_CHUNK		(1u << 20)	/* native reader's buffer */
_Static_assert(FILE_CHUNK >= PCAPFILE_MAXREC, "a record fits the buffer");

struct pcapfile_in {
	pcap_t			*pcap;		/* NULL once native */
	enum in_kind		 kind;		/* of the file or stream */
	/* native classic pcap reader */
	int			 fd;		/* -1 when not used */
	struct pcapfile_header	 fhdr;
	unsigned char		*fbuf;		/* FILE_CHUNK bytes */
	size_t			 off, end;	/* unparsed bytes of fbuf */
	bool			 eof;
	struct pcapmap		*map;		/* read in place instead */
	bool			 stream;	/* read through input_stdio */
};

static int native_read(struct input_stream *st);
static struct pull *native_pull(struct input_stream *st);
static void pcapfile_close(struct input_stream *st);

static const struct input_backend native_backend = {
	.name = "pcapfile (native)",
	.read = native_read,
	.close = pcapfile_close,
	.pull = native_pull,
};

/*
 * The link-type field of the file libpcap opened, as the file holds it:
 * libpcap splits it into a DLT_ value and the FCS/extension bits (the top
 * six), and both go back into every file written.  A field with its top
 * bit set does not fit the int that carries link types: refused.
 */
static int
linktype_field(struct input_stream *st, pcap_t *p, char *err, size_t errlen)
{
	uint32_t lt = (uint32_t)input_libpcap_linktype(pcap_datalink(p)) |
	    (uint32_t)pcap_datalink_ext(p);

	if (lt > INT32_MAX) {
		log_seterr(err, errlen, "cannot read input '%s': link-type "
		    "field 0x%08x is not supported", st->src->uri,
		    (unsigned)lt);
		return -1;
	}
	st->src->linktype = (int)lt;
	return 0;
}

/* MTRACECAP_READER=name in the environment (comparisons): libpcap, every
 * pcap file is libpcap's; read, plain pcap files get a reader thread that
 * read()s them rather than being read in place by the merger. */
static bool
reader_forced(const char *name)
{
	const char *reader = getenv("MTRACECAP_READER");

	return reader != NULL && strcmp(reader, name) == 0;
}

static bool
libpcap_forced(void)
{
	return reader_forced("libpcap");
}

/*
 * Switch a stream that libpcap opened (header checked, filter compiled)
 * to the native reader if pcapfile.c reads this file exactly as libpcap
 * does; the libpcap handle is closed then.  Anything unexpected (the file
 * cannot be opened again, or its header does not say what libpcap saw)
 * leaves the stream on libpcap: this is only an optimisation.
 */
static void
try_native(struct input_stream *st, struct pcapfile_in *p, const char *path)
{
	unsigned char h[PCAPFILE_HDRLEN];
	struct pcapfile_header fh;
	char perr[PCAP_ERRBUF_SIZE];
	ssize_t n;
	int fd;

	if (libpcap_forced())
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	do {
		n = read(fd, h, sizeof(h));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h) ||
	    pcapfile_header_parse(h, sizeof(h), &fh, perr, sizeof(perr)) != 1 ||
	    fh.snapshot != (uint32_t)pcap_snapshot(p->pcap) ||
	    fh.swapped != (pcap_is_swapped(p->pcap) == 1) ||
	    fh.version_major != pcap_major_version(p->pcap) ||
	    fh.version_minor != pcap_minor_version(p->pcap) ||
	    (p->fbuf = malloc(FILE_CHUNK)) == NULL) {
		close(fd);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	p->fd = fd;
	p->fhdr = fh;
	st->ops = &native_backend;
	pcap_close(p->pcap);		/* the compiled filter stays valid */
	p->pcap = NULL;
}

/* The stream of a pipe or a compressed file (NULL with err, or with *in
 * NULL for a plain file libpcap opens itself).  1: libtrace's. */
static int
open_stdio(struct input_stream *st, const struct input_open_args *a,
    enum in_kind *kind, struct input_stdio **in, char *err, size_t errlen)
{
	const char *uri = st->src->uri;
	int errnum = 0;

	*in = NULL;
	if (a->stream) {
		if ((*in = input_stdio_open(st, a->path, kind, &errnum)) == NULL) {
			log_seterr(err, errlen, "cannot open input '%s': %s",
			    uri, strerror(errnum));
			return -1;
		}
		if (*kind == IN_COMPRESSED) {
			input_stdio_close(*in);
			*in = NULL;
			log_seterr(err, errlen, "cannot read input '%s': a "
			    "compressed stream; decompress it first (e.g. "
			    "zcat FILE | mtracecap ... pcapfile:-)", uri);
			return -1;
		}
	} else if (*kind == IN_COMPRESSED) {
		if ((*in = input_stdio_compressed(st, a->path, a->child_as, kind,
		    err, errlen)) == NULL)
			return -1;
		if (*kind == IN_OTHER && strcmp(a->path, uri) == 0) {
			/* a bare path to, say, a compressed ERF file: the
			 * format libtrace would guess is its to read */
			input_stdio_close(*in);
			*in = NULL;
			return 1;
		}
	}
	return 0;
}

/*
 * pcapng goes to the native reader (a regular file by its path, a stream
 * or a decompressor's output as in), which keeps its interfaces apart,
 * unless MTRACECAP_READER=libpcap.  Its return, or 1 when the file is
 * libpcap's (in, if not NULL, is the caller's again, read from its start).
 */
static int
open_pcapng(struct input_stream *st, const struct input_open_args *a,
    struct input_stdio *in, char *err, size_t errlen)
{
	if (libpcap_forced())
		return 1;
	return input_pcapng_open(st, a->path, in, a->cfg->filter, err, errlen);
}

/* Open the stream in (or the file path) with libpcap, which owns in
 * then; 0, or -1 with err. */
static int
open_libpcap(struct input_stream *st, struct pcapfile_in *p,
    struct input_stdio *in, const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	int errnum = 0;
	FILE *fp;

	if (in == NULL) {
		p->pcap = pcap_open_offline_with_tstamp_precision(path,
		    PCAP_TSTAMP_PRECISION_NANO, perr);
	} else if ((fp = input_stdio_fopen(in, &errnum)) == NULL) {
		snprintf(perr, sizeof(perr), "%s", strerror(errnum));
	} else {
		p->pcap = pcap_fopen_offline_with_tstamp_precision(fp,
		    PCAP_TSTAMP_PRECISION_NANO, perr);
		if (p->pcap == NULL)
			fclose(fp);
	}
	if (p->pcap == NULL) {
		log_seterr(err, errlen, "cannot read input '%s': %s",
		    st->src->uri, perr);
		return -1;
	}
	return 0;
}

static int
pcapfile_open(struct input_stream *st, const struct input_open_args *a,
    char *err, size_t errlen)
{
	enum in_kind kind = a->kind;
	struct input_stdio *in;
	struct pcapfile_in *p;
	int rc;

	if (kind == IN_PCAPNG && !a->stream &&
	    (rc = open_pcapng(st, a, NULL, err, errlen)) != 1)
		return rc;
	if ((rc = open_stdio(st, a, &kind, &in, err, errlen)) != 0)
		return rc;
	/* what the stream holds, known now: the default interface's
	 * resolution (input.c) */
	st->src->kind = kind;
	if (in != NULL && kind == IN_PCAPNG &&
	    (rc = open_pcapng(st, a, in, err, errlen)) != 1)
		return rc;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		input_stdio_close(in);
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	p->fd = -1;
	p->kind = kind;
	p->stream = in != NULL;
	st->be = p;
	if (open_libpcap(st, p, in, a->path, err, errlen) != 0 ||
	    linktype_field(st, p->pcap, err, errlen) != 0 ||
	    input_libpcap_filter(st, p->pcap, a->cfg->filter, false, err,
	    errlen) != 0)
		return -1;
	if (in == NULL && (kind == IN_PCAP_US || kind == IN_PCAP_NS))
		try_native(st, p, a->path);
	return 0;
}

/*
 * A classic pcap record holds unsigned 32-bit seconds and fraction;
 * libpcap sign-extends both (and scales a microsecond fraction by 1000).
 * Undo that so that stamps after 2038 and out-of-range fractions come out
 * as tcpdump prints them.  pcapng stamps are 64-bit and pass through.
 */
static uint64_t
pcap_file_ns(enum in_kind kind, const struct timeval *tv)
{
	uint64_t frac;

	if (kind == IN_PCAPNG) {
		/* past 2554 (or past time_t, negative) ns overflow 64 bits:
		 * saturate, never wrap; the writer counts such stamps */
		if (tv->tv_sec < 0 ||
		    (uint64_t)tv->tv_sec >= UINT64_MAX / 1000000000u)
			return UINT64_MAX;
		return (uint64_t)tv->tv_sec * 1000000000u +
		    (uint64_t)tv->tv_usec;
	}
	if (kind == IN_PCAP_US)
		frac = (uint64_t)(uint32_t)(tv->tv_usec / 1000) * 1000u;
	else
		frac = (uint32_t)tv->tv_usec;
	return (uint64_t)(uint32_t)tv->tv_sec * 1000000000u + frac;
}

/* libpcap's reader: up to INPUT_READ_BATCH records. */
static int
pcapfile_read(struct input_stream *st)
{
	struct pcapfile_in *p = st->be;
	int linktype = st->src->linktype;
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned batch = st->batch;
	int rc = 1;

	for (unsigned i = 0; i < INPUT_READ_BATCH; i++) {
		/* a stream reads on to the end of what the pipe held at the
		 * stop (input_stdio_read); a file stops here */
		if (!p->stream && input_stream_stopping(st)) {
			rc = 0;
			break;
		}
		rc = pcap_next_ex(p->pcap, &h, &data);
		if (rc == 1) {
			input_push(st, pcap_file_ns(p->kind, &h->ts),
			    h->caplen, h->len, linktype, data, &batch);
			continue;
		}
		if (rc != PCAP_ERROR_BREAK && input_stream_stopping(st))
			log_info("input '%s': stopped inside a record not yet "
			    "read whole (%s): not a packet", st->src->uri,
			    pcap_geterr(p->pcap));
		if (rc == PCAP_ERROR_BREAK || input_stream_stopping(st)) {
			rc = 0;		/* end of file, or told to stop */
		} else {
			input_stream_fail(st, pcap_geterr(p->pcap));
			rc = -1;
		}
		break;
	}
	st->batch = batch;
	return rc;
}

/* Move what is left of the buffer to its start and read more: 1, 0 at
 * the end of the file, -1 failed. */
static int
native_refill(struct input_stream *st, struct pcapfile_in *p)
{
	char perr[PCAP_ERRBUF_SIZE];
	ssize_t n;

	memmove(p->fbuf, p->fbuf + p->off, p->end - p->off);
	p->end -= p->off;
	p->off = 0;
	n = read(p->fd, p->fbuf + p->end, FILE_CHUNK - p->end);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0) {
		snprintf(perr, sizeof(perr), "error reading dump file: %s",
		    strerror(errno));
		input_stream_fail(st, perr);
		return -1;
	}
	if (n == 0)
		p->eof = true;
	p->end += (size_t)n;
	return 1;
}

/*
 * The native reader: a batch is what FILE_CHUNK bytes hold, records
 * parsed in place and copied into the queue; a record cut by the end of
 * the buffer moves to its start before the next read.  Errors are
 * libpcap's words.
 */
static int
native_read(struct input_stream *st)
{
	struct pcapfile_in *p = st->be;
	int linktype = st->src->linktype;
	char perr[PCAP_ERRBUF_SIZE];
	struct pcapfile_rec rec;
	size_t off = p->off, end = p->end;
	unsigned batch = st->batch;
	ssize_t n;

	while (!input_stream_stopping(st)) {
		n = pcapfile_next(&p->fhdr, p->fbuf + off, end - off, p->eof,
		    &rec, perr, sizeof(perr));
		if (n > 0) {
			off += (size_t)n;
			input_push(st, rec.ts_ns, rec.caplen, rec.wirelen,
			    linktype, rec.data, &batch);
			continue;
		}
		st->batch = batch;
		p->off = off;
		if (n < 0) {
			input_stream_fail(st, perr);
			return -1;
		}
		if (p->eof)
			return 0;
		/* a record needs more bytes than the buffer holds: refill;
		 * it fits, FILE_CHUNK >= PCAPFILE_MAXREC */
		return native_refill(st, p);
	}
	st->batch = batch;
	p->off = off;
	return 0;
}

/*
 * Nothing to do per packet (input.c asked): the merger reads the file in
 * place (input_pcapmap.c), unless MTRACECAP_READER=read or it cannot be
 * mapped; then it keeps its reader thread and this buffer.
 */
static struct pull *
native_pull(struct input_stream *st)
{
	struct pcapfile_in *p = st->be;

	if (reader_forced("read") ||
	    (p->map = pcapmap_open(st, p->fd, &p->fhdr)) == NULL)
		return NULL;
	free(p->fbuf);
	p->fbuf = NULL;
	return pcapmap_pull(p->map);
}

static void
pcapfile_close(struct input_stream *st)
{
	struct pcapfile_in *p = st->be;

	if (p == NULL)
		return;
	pcapmap_close(p->map);
	if (p->pcap != NULL)
		pcap_close(p->pcap);
	if (p->fd >= 0)
		close(p->fd);
	free(p->fbuf);
	free(p);
	st->be = NULL;
}

const struct input_backend input_pcapfile_backend = {
	.name = "pcapfile",
	.open = pcapfile_open,
	.read = pcapfile_read,
	.close = pcapfile_close,
};
