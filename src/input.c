/*
 * input.c - capture sources and their reader threads.
 *
 * DESIGN
 * - input_open() runs in the main thread: it creates, configures and
 *   starts the source, so every error (bad URI, missing file or interface,
 *   a filter that does not compile) is reported before any output exists.
 * - input_start() spawns one reader thread per input.  The thread owns the
 *   source exclusively (libtrace and libpcap handles are not thread-safe),
 *   copies each packet into the input's queue (live formats reuse their
 *   buffers on the next read) and publishes in batches.  A full queue makes
 *   only this reader wait; the kernel then drops, and we count those drops.
 * - The thread shares only: the queue, the counters (relaxed atomics), the
 *   stop flag (read) and the failed flag (written once, read after join).
 * - Live libtrace sources are read with trace_event() and poll() with a
 *   100 ms timeout so that a silent interface never keeps the reader from
 *   seeing the stop flag (a blocking pcapint: read would wait for the next
 *   packet forever).
 * - Regular, uncompressed classic pcap files are opened with libpcap (which
 *   checks the header and compiles the filter as for any pcap file), then
 *   read without it: the reader thread read()s big chunks and pcapfile.c
 *   parses the records as libpcap would, at a fraction of the cost of
 *   libpcap's fread() per record.  Files pcapfile.c declines (other
 *   magics, versions or link types) stay with libpcap, and so do pcapng,
 *   compressed files and streams.  MTRACECAP_READER=libpcap in the
 *   environment reads every pcap file with libpcap (for comparisons).
 * - A stream in a format only libtrace reads (erf:-, erf:FIFO) would
 *   block the reader in libtrace's read until data or end of file, deaf
 *   to SIGTERM.  A relay thread copies it into a pipe that libtrace reads
 *   instead, waiting in poll() and closing the pipe once told to stop;
 *   the reader then reads on to that end of file, so nothing the relay
 *   took from the stream is left behind in libtrace's buffers.  Of an
 *   ERF stream it passes on whole records only, so that a stop never
 *   ends libtrace's file inside a record (a truncated packet, which
 *   would fail the input); the stream's own end passes on what it holds.
 *   A compressed ERF stream is relayed from a decompressor child (as
 *   compressed pcap files are read), so that its records can be seen.
 * - This is the only file that includes libtrace.h; libtrace 3/4
 *   differences (drop counters) are hidden here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libtrace.h>
#include <pcap/pcap.h>

#include "clock.h"
#include "compress.h"
#include "counter.h"
#include "input.h"
#include "log.h"
#include "pcapfile.h"
#include "privs.h"
#include "spawn.h"

#define PUBLISH_BATCH		64		/* packets between publishes */
#define POLL_MS			CLOCK_STOP_LATENCY_MS	/* idle readers */
#define WAIT_SPACE_NS		CLOCK_STOP_LATENCY_NS
#define DROP_POLL_NS		200000000ull	/* kernel drop counter refresh */
#define FILE_CHUNK		(1u << 20)	/* native reader's buffer */
#define RELAY_READ		65536		/* the relay's read size */
#define ERF_HDRLEN		16		/* an ERF record's header */
#define ERF_MAXREC		65535		/* its 16-bit rlen */
_Static_assert(FILE_CHUNK >= PCAPFILE_MAXREC, "a record fits the buffer");

/* pcap LINKTYPE_ values used below */
#define LT_EN10MB		1
#define LT_PPP			9
#define LT_RAW			101
#define LT_C_HDLC		104
#define LT_IEEE802_11		105
#define LT_LOOP			108
#define LT_LINUX_SLL		113
#define LT_PFLOG		117
#define LT_PRISM		119
#define LT_RADIOTAP		127

enum backend {
	BACKEND_PCAP,		/* libpcap offline reader (pcap, pcapng) */
	BACKEND_PCAPFILE,	/* our classic pcap reader (pcapfile.c) */
	BACKEND_PCAP_LIVE,	/* libpcap live capture (TPACKET_V3 ring) */
	BACKEND_LIBTRACE,
};

/*
 * What a path holds, by its first bytes.  Classic pcap keeps 32-bit
 * unsigned stamps, which libpcap hands over sign-extended: FILE_PCAP_US
 * and FILE_PCAP_NS tell read_pcap how to undo that.
 */
enum file_kind {
	FILE_MISSING,
	FILE_PCAP_US,		/* classic pcap, microsecond stamps */
	FILE_PCAP_NS,		/* classic pcap, nanosecond stamps */
	FILE_PCAPNG,
	FILE_COMPRESSED,	/* gzip, bzip2, xz or lzo */
	FILE_OTHER,
};

struct stream;

struct input {
	char			*uri;
	size_t			 index;
	enum backend		 backend;
	bool			 live;
	int			 linktype;
	uint32_t		 snaplen;
	struct queue		*q;
	struct input_counters	 c;
	/* set by input_start; atomic: a relay thread may run before that */
	const atomic_bool	*_Atomic stop;
	pthread_t		 thread;
	bool			 started;
	atomic_bool		 failed;

	/* libpcap */
	pcap_t			*pcap;
	struct bpf_program	 prog;
	bool			 have_prog;
	enum file_kind		 kind;		/* of a pcap file or stream */
	const struct privs_user	*child_as;	/* a decompressor's user */

	/* native classic pcap reader */
	int			 fd;		/* -1 when not used */
	struct pcapfile_header	 fhdr;
	unsigned char		*fbuf;		/* FILE_CHUNK bytes */

	/* libtrace */
	libtrace_t		*trace;
	/* a stream (FIFO, pipe, "-") libtrace reads through our relay */
	int			 relay_src;	/* the stream; -1: no relay */
	int			 relay_rd, relay_wr;	/* the pipe to libtrace */
	pthread_t		 relay_thread;
	bool			 relay_started;
	bool			 relay_framed;	/* ERF: whole records only */
	pid_t			 relay_child;	/* decompressor of the stream */
	const char		*relay_tool;	/* its name */
	atomic_int		 relay_errno;	/* why the relay stopped early */
	atomic_bool		 reader_done;	/* the relay may give up */
	libtrace_filter_t	*filter;
	libtrace_packet_t	*packet;
	bool			 drops_are_deltas;
	uint64_t		 drops_total;
	uint64_t		 drops_checked_ns;
	bool			 warned_linktype;
};

/* libtrace URI prefixes of live sources; everything else is a file/stream */
static const char *const live_formats[] = {
	"ring", "int", "pcapint", "bpf", "dag", "dpdk", "pfring", "pfringzc",
	"pfringold", "xdp", "ndag", "etsilive", "rt", "legacypos", NULL,
};

/* Length of the "format" part of uri ("ring" in "ring:eth0"), 0 if none. */
static size_t
uri_format_len(const char *uri)
{
	const char *colon = strchr(uri, ':');

	if (colon == NULL || memchr(uri, '/', (size_t)(colon - uri)) != NULL)
		return 0;
	return (size_t)(colon - uri);
}

static bool
uri_has_format(const char *uri, const char *fmt)
{
	size_t n = uri_format_len(uri);

	return n != 0 && strlen(fmt) == n && strncmp(uri, fmt, n) == 0;
}

static bool
format_is_live(const char *uri)
{
	for (size_t i = 0; live_formats[i] != NULL; i++)
		if (uri_has_format(uri, live_formats[i]))
			return true;
	return false;
}

static int
libtrace_to_linktype(libtrace_linktype_t t)
{
	switch (t) {
	case TRACE_TYPE_ETH:		return LT_EN10MB;
	case TRACE_TYPE_NONE:		return LT_RAW;
	case TRACE_TYPE_LINUX_SLL:	return LT_LINUX_SLL;
	case TRACE_TYPE_80211:		return LT_IEEE802_11;
	case TRACE_TYPE_80211_RADIO:	return LT_RADIOTAP;
	case TRACE_TYPE_80211_PRISM:	return LT_PRISM;
	case TRACE_TYPE_PFLOG:		return LT_PFLOG;
	case TRACE_TYPE_PPP:		return LT_PPP;
	case TRACE_TYPE_HDLC_POS:	return LT_C_HDLC;
	case TRACE_TYPE_OPENBSD_LOOP:	return LT_LOOP;
	default:			return -1;
	}
}

/* The tool that decompresses a file starting with m, or NULL. */
static const char *
decompressor(const unsigned char *m, size_t n)
{
	const struct compress_info *c = n >= 4 ? compress_sniff(m, n) : NULL;

	/* zstd and lz4 files are left to libtrace, as they always were */
	if (c == NULL || c->type == COMPRESS_ZSTD || c->type == COMPRESS_LZ4)
		return NULL;
	return c->tool;
}

static enum file_kind
magic_kind(const unsigned char *m, size_t n)
{
	uint32_t magic;
	bool swapped;

	if (n < 4)
		return FILE_OTHER;
	if ((magic = pcapfile_magic(m, &swapped)) == PCAPFILE_MAGIC_US)
		return FILE_PCAP_US;
	if (magic == PCAPFILE_MAGIC_NS)
		return FILE_PCAP_NS;
	if (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a)
		return FILE_PCAPNG;
	if (decompressor(m, n) != NULL)
		return FILE_COMPRESSED;
	return FILE_OTHER;
}

/* Kind of a regular file by its first bytes (which are read and lost). */
static enum file_kind
probe_file(const char *path, int *errnum)
{
	unsigned char m[4] = { 0 };
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*errnum = errno;
		return FILE_MISSING;
	}
	n = read(fd, m, sizeof(m));
	if (n < 0)
		*errnum = errno;
	close(fd);
	if (n < 0)
		return FILE_MISSING;
	return magic_kind(m, (size_t)n);
}

/*
 * --- pcap from a pipe, a FIFO or standard input ---
 *
 * libpcap reads streams with a blocking fread(), which would keep the
 * reader from seeing the stop flag while the writer is silent and would
 * hold back a partial batch of packets.  So streams reach libpcap through
 * a stdio cookie that waits in poll(): every POLL_MS of silence it
 * publishes what is queued and checks the stop flag (then reports end of
 * file).  The first bytes, read to learn the kind, are handed back first.
 */
struct stream {
	int		 fd;
	struct input	*in;
	unsigned char	 head[4];
	size_t		 nhead, off;
	pid_t		 child;		/* decompressor writing into fd, or 0 */
	const char	*tool;		/* its name */
	char		*why;		/* while opening: its failure, not logged */
	size_t		 whylen;
};

/*
 * The decompressor of a compressed file input ended: reap it.  0 when it
 * exited 0; else a log line naming it and the input (while opening: the
 * reason in s->why instead, for the one error line of the open), and -1
 * (EIO): what it wrote before is kept, what is missing is the input's
 * failure.
 */
static int
stream_reap(struct stream *s)
{
	char err[256];
	pid_t pid = s->child;

	if (pid == 0)
		return 0;
	s->child = 0;
	if (spawn_finish(pid, "", err, sizeof(err)) == 0)
		return 0;
	if (s->why != NULL)
		log_seterr(s->why, s->whylen, "'%s -dc' failed (%s): the "
		    "compressed data is corrupt or truncated", s->tool, err);
	else
		log_error("input '%s': '%s -dc' failed (%s): the compressed "
		    "data is corrupt or truncated", s->in->uri, s->tool, err);
	errno = EIO;
	return -1;
}

static bool stopping(const struct input *in);

static ssize_t
stream_read(void *cookie, char *buf, size_t n)
{
	struct stream *s = cookie;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	ssize_t r;

	if (s->off < s->nhead) {
		r = (ssize_t)(s->nhead - s->off < n ? s->nhead - s->off : n);
		memcpy(buf, s->head + s->off, (size_t)r);
		s->off += (size_t)r;
		return r;
	}
	for (;;) {
		if (stopping(s->in))
			return 0;
		r = poll(&pfd, 1, 0);
		if (r == 0) {
			/* about to wait: hand over the packets read so far */
			if (s->in->q != NULL)
				queue_publish(s->in->q);
			r = poll(&pfd, 1, POLL_MS);
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			r = read(s->fd, buf, n);
			if (r == 0 && stream_reap(s) != 0)
				return -1;
			if (r >= 0 || (errno != EINTR && errno != EAGAIN))
				return r;
		}
	}
}

static int
stream_close(void *cookie)
{
	struct stream *s = cookie;

	close(s->fd);
	if (s->child != 0)	/* stopped early: nobody reads it now */
		spawn_kill(s->child);
	free(s);
	return 0;
}

/*
 * Read fd (which it then owns) as a stream and learn its kind; child is
 * the decompressor that writes into fd, if any (tool its name).  NULL
 * with *errnum on failure; when the child failed before the kind was
 * known, also with its reason in why (why[0] stays '\0' otherwise).
 */
static FILE *
stream_fdopen(struct input *in, int fd, pid_t child, const char *tool,
    enum file_kind *kind, int *errnum, char *why, size_t whylen)
{
	static const cookie_io_functions_t fns = {
		.read = stream_read,
		.close = stream_close,
	};
	struct stream *s;
	FILE *fp;
	ssize_t r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*errnum = errno;
		close(fd);
		if (child != 0)
			spawn_kill(child);
		return NULL;
	}
	s->in = in;
	s->fd = fd;
	s->child = child;
	s->tool = tool;
	if (why != NULL && whylen > 0) {
		s->why = why;
		s->whylen = whylen;
	}
	while (s->nhead < sizeof(s->head)) {
		r = stream_read(s, (char *)s->head + s->nhead,
		    sizeof(s->head) - s->nhead);
		if (r < 0 && s->why != NULL && s->why[0] != '\0') {
			/* not "not pcap": that error is the input's one line */
			*errnum = EIO;
			stream_close(s);
			return NULL;
		}
		if (r <= 0)
			break;
		s->nhead += (size_t)r;
	}
	s->why = NULL;		/* from now on the reader logs it */
	*kind = magic_kind(s->head, s->nhead);
	if ((fp = fopencookie(s, "r", fns)) == NULL) {
		*errnum = errno;
		stream_close(s);
	}
	return fp;
}

/*
 * Whether path is read as a stream (standard input "-", a FIFO, a pipe, a
 * device: anything but a regular file or a directory), which cannot be
 * read twice.  A path stat() fails on is not: *errnum says why.
 */
static bool
path_is_stream(const char *path, int *errnum)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return true;
	if (stat(path, &st) != 0) {
		*errnum = errno;
		return false;
	}
	return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

/* An fd (O_CLOEXEC) reading path, or standard input for "-"; -1 with
 * errno. */
static int
stream_fd(const char *path)
{
	return strcmp(path, "-") == 0 ? fcntl(0, F_DUPFD_CLOEXEC, 3) :
	    open(path, O_RDONLY | O_CLOEXEC);
}

/* Open path ("-" for standard input) as a stream and learn its kind. */
static FILE *
stream_open(struct input *in, const char *path, enum file_kind *kind,
    int *errnum)
{
	int fd = stream_fd(path);

	if (fd < 0) {
		*errnum = errno;
		return NULL;
	}
	return stream_fdopen(in, fd, 0, NULL, kind, errnum, NULL, 0);
}

/*
 * A compressed file: read through "gzip -dc" (bzip2, xz, lzop) in a child
 * process, which also spreads the work over two cores.  libwandio 3.0.22
 * is not used for this: it crashes on corrupt compressed data.  *kind
 * becomes what the decompressed stream holds.
 */
static FILE *
compressed_open(struct input *in, const char *path, enum file_kind *kind,
    char *err, size_t errlen)
{
	unsigned char m[4] = { 0 };
	const char *tool;
	char why[256];
	ssize_t n;
	pid_t child;
	FILE *fp;
	int fd, out, errnum = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (n = pread(fd, m, sizeof(m), 0)) < 0) {
		log_seterr(err, errlen, "cannot open input '%s': %s", in->uri,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((tool = decompressor(m, (size_t)n)) == NULL) {
		close(fd);
		log_seterr(err, errlen, "cannot read input '%s': it changed "
		    "while being opened", in->uri);
		return NULL;
	}
	out = spawn_decompress(tool, fd, in->child_as, &child, err, errlen);
	close(fd);
	if (out < 0) {
		snprintf(why, sizeof(why), "%s", err);
		log_seterr(err, errlen, "cannot read compressed input '%s': "
		    "%s", in->uri, why);
		return NULL;
	}
	fp = stream_fdopen(in, out, child, tool, kind, &errnum, why,
	    sizeof(why));
	if (fp == NULL && why[0] != '\0')
		log_seterr(err, errlen, "cannot read compressed input '%s': "
		    "%s", in->uri, why);
	else if (fp == NULL)
		log_seterr(err, errlen, "cannot read input '%s': %s", in->uri,
		    strerror(errnum));
	return fp;
}

/* libpcap's DLT_ values differ from the LINKTYPE_ values files hold for a
 * few link types (pcap-linktype(7)); the rest are equal. */
static int
dlt_to_linktype(int dlt)
{
	switch (dlt) {
	case 11:	return 100;	/* ATM_RFC1483 */
	case 12:	return LT_RAW;
	case 15:	return 102;	/* SLIP_BSDOS */
	case 16:	return 103;	/* PPP_BSDOS */
	case 19:	return 106;	/* ATM_CLIP */
	default:	return dlt;
	}
}

/*
 * The link-type field of the file libpcap opened, as the file holds it:
 * libpcap splits it into a DLT_ value and the FCS/extension bits (the top
 * six), and both go back into every file written.  A field with its top
 * bit set does not fit the int that carries link types: refused.
 */
static int
pcap_linktype_field(struct input *in, char *err, size_t errlen)
{
	uint32_t lt = (uint32_t)dlt_to_linktype(pcap_datalink(in->pcap)) |
	    (uint32_t)pcap_datalink_ext(in->pcap);

	if (lt > INT32_MAX) {
		log_seterr(err, errlen, "cannot read input '%s': link-type "
		    "field 0x%08x is not supported", in->uri, (unsigned)lt);
		return -1;
	}
	in->linktype = (int)lt;
	return 0;
}

/* Compile (and for live sources install) the filter on a libpcap handle. */
static int
pcap_filter(struct input *in, const struct config *cfg, bool install,
    char *err, size_t errlen)
{
	if (cfg->filter == NULL)
		return 0;
	if (pcap_compile(in->pcap, &in->prog, cfg->filter, 1,
	    PCAP_NETMASK_UNKNOWN) != 0) {
		log_seterr(err, errlen, "filter '%s' does not compile for "
		    "input '%s': %s", cfg->filter, in->uri,
		    pcap_geterr(in->pcap));
		return -1;
	}
	in->have_prog = true;
	if (install && pcap_setfilter(in->pcap, &in->prog) != 0) {
		log_seterr(err, errlen, "cannot set filter '%s' on input '%s': "
		    "%s", cfg->filter, in->uri, pcap_geterr(in->pcap));
		return -1;
	}
	return 0;
}

/*
 * Switch an input that libpcap opened (header checked, filter compiled)
 * to the native reader if pcapfile.c reads this file exactly as libpcap
 * does; the libpcap handle is closed then.  Anything unexpected (the file
 * cannot be opened again, or its header does not say what libpcap saw)
 * leaves the input on libpcap: this is only an optimisation.
 */
static void
try_native(struct input *in, const char *path)
{
	unsigned char h[PCAPFILE_HDRLEN];
	struct pcapfile_header fh;
	const char *reader = getenv("MTRACECAP_READER");
	char perr[PCAP_ERRBUF_SIZE];
	ssize_t n;
	int fd;

	if (reader != NULL && strcmp(reader, "libpcap") == 0)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	do {
		n = read(fd, h, sizeof(h));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h) ||
	    pcapfile_header_parse(h, sizeof(h), &fh, perr, sizeof(perr)) != 1 ||
	    fh.snapshot != (uint32_t)pcap_snapshot(in->pcap) ||
	    fh.swapped != (pcap_is_swapped(in->pcap) == 1) ||
	    fh.version_major != pcap_major_version(in->pcap) ||
	    fh.version_minor != pcap_minor_version(in->pcap) ||
	    (in->fbuf = malloc(FILE_CHUNK)) == NULL) {
		close(fd);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	in->fd = fd;
	in->fhdr = fh;
	in->backend = BACKEND_PCAPFILE;
	pcap_close(in->pcap);		/* the compiled filter stays valid */
	in->pcap = NULL;
}

/*
 * A pcap or pcapng file (kind from probe_file), compressed or not, or a
 * stream (stream set: FIFO, pipe, character device, standard input).  A
 * compressed file named by a bare path that holds neither pcap nor pcapng
 * is left to libtrace, which guesses its format: 0 with in->backend set
 * to BACKEND_LIBTRACE.
 */
static int
open_pcap(struct input *in, const char *path, enum file_kind kind,
    bool stream, const struct config *cfg, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *fp = NULL;
	int errnum = 0;

	if (stream) {
		if ((fp = stream_open(in, path, &kind, &errnum)) == NULL) {
			log_seterr(err, errlen, "cannot open input '%s': %s",
			    in->uri, strerror(errnum));
			return -1;
		}
		if (kind == FILE_COMPRESSED) {
			fclose(fp);
			log_seterr(err, errlen, "cannot read input '%s': a "
			    "compressed stream; decompress it first (e.g. "
			    "zcat FILE | mtracecap ... pcapfile:-)", in->uri);
			return -1;
		}
	} else if (kind == FILE_COMPRESSED) {
		if ((fp = compressed_open(in, path, &kind, err, errlen)) ==
		    NULL)
			return -1;
		if (kind == FILE_OTHER && strcmp(path, in->uri) == 0) {
			/* a bare path to, say, a compressed ERF file: the
			 * format libtrace would guess is its to read */
			fclose(fp);
			in->backend = BACKEND_LIBTRACE;
			return 0;
		}
	}
	in->kind = kind;
	if (fp != NULL) {
		in->pcap = pcap_fopen_offline_with_tstamp_precision(fp,
		    PCAP_TSTAMP_PRECISION_NANO, perr);
		if (in->pcap == NULL)
			fclose(fp);
	} else {
		in->pcap = pcap_open_offline_with_tstamp_precision(path,
		    PCAP_TSTAMP_PRECISION_NANO, perr);
	}
	if (in->pcap == NULL) {
		log_seterr(err, errlen, "cannot read input '%s': %s", in->uri,
		    perr);
		return -1;
	}
	if (pcap_linktype_field(in, err, errlen) != 0 ||
	    pcap_filter(in, cfg, false, err, errlen) != 0)
		return -1;
	if (fp == NULL && (kind == FILE_PCAP_US || kind == FILE_PCAP_NS))
		try_native(in, path);
	return 0;
}

/* Syntax check of the filter before libtrace compiles it lazily. */
static int
check_filter(const char *filter, const char *uri, char *err, size_t errlen)
{
	struct bpf_program prog;
	pcap_t *dead = pcap_open_dead(LT_EN10MB, OPTIONS_SNAPLEN_MAX);
	int rc = 0;

	if (dead == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		log_seterr(err, errlen, "filter '%s' does not compile for "
		    "input '%s': %s", filter, uri, pcap_geterr(dead));
		rc = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(dead);
	return rc;
}

/*
 * Live capture through libpcap: a TPACKET_V3 ring of cfg->capture_buffer
 * bytes (libtrace 3's ring: holds only 256 frames), nanosecond stamps,
 * the filter in the kernel, non-blocking reads driven by poll().
 */
static int
open_pcap_live(struct input *in, const char *dev, const struct config *cfg,
    char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	int tmo = (int)cfg->maxwait_ms, rc;

	in->live = true;
	if ((in->pcap = pcap_create(dev, perr)) == NULL) {
		log_seterr(err, errlen, "cannot open input '%s': %s", in->uri,
		    perr);
		return -1;
	}
	/* the kernel hands over a ring block after this many ms at most:
	 * keep it near maxwait so that packets are rarely late */
	if (tmo < 1)
		tmo = 1;
	if (tmo > POLL_MS)
		tmo = POLL_MS;
	pcap_set_snaplen(in->pcap, (int)cfg->snaplen);
	pcap_set_promisc(in->pcap, 1);
	pcap_set_timeout(in->pcap, tmo);
	pcap_set_buffer_size(in->pcap, (int)cfg->capture_buffer);
	pcap_set_tstamp_precision(in->pcap, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(in->pcap);
	if (rc < 0) {
		log_seterr(err, errlen, "cannot start input '%s': %s", in->uri,
		    rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
		    rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs "
		    "root or CAP_NET_RAW)" : pcap_geterr(in->pcap));
		return -1;
	}
	if (rc > 0)
		log_warn("input '%s': %s", in->uri, pcap_geterr(in->pcap));
	in->linktype = dlt_to_linktype(pcap_datalink(in->pcap));
	if (pcap_filter(in, cfg, true, err, errlen) != 0)
		return -1;
	if (pcap_setnonblock(in->pcap, 1, perr) != 0) {
		log_seterr(err, errlen, "input '%s': %s", in->uri, perr);
		return -1;
	}
	return 0;
}

/*
 * Write all of buf into the relay's pipe (non-blocking), waiting in poll();
 * gives up (-1) on an error or once the reader is done.
 */
static int
relay_write(struct input *in, const char *buf, size_t n)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = in->relay_wr, .events = POLLOUT };
		ssize_t w = write(in->relay_wr, buf, n);

		if (w >= 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;	/* EPIPE: libtrace let go */
		if (atomic_load(&in->reader_done))
			return -1;
		(void)poll(&pfd, 1, POLL_MS);
	}
	return 0;
}

/*
 * The decompressor of the relayed stream ended its output: reap it.  0
 * when it exited 0 (or there is none); else a line naming it and the
 * input, and -1: the records it wrote are kept, the rest is missing.
 */
static int
relay_reap(struct input *in)
{
	char err[256];
	pid_t pid = in->relay_child;

	if (pid == 0)
		return 0;
	in->relay_child = 0;
	if (spawn_finish(pid, "", err, sizeof(err)) == 0)
		return 0;
	log_error("input '%s': '%s -dc' failed (%s): the compressed stream "
	    "is corrupt or truncated", in->uri, in->relay_tool, err);
	return -1;
}

/*
 * The decompressor for the stream fd, from its first bytes read without
 * taking them (pread of a regular file on standard input, tee(2) of a
 * pipe into a scratch pipe), or NULL: not compressed, shorter than a
 * magic, or neither (a compressed stream then passes as it comes, to
 * libtrace's own decompression).  Waits for the first 4 bytes or the
 * end, as libtrace's start would.
 */
static const char *
relay_peek_tool(int fd)
{
	unsigned char m[4];
	const struct timespec pause = { 0, 10000000 };	/* 10 ms */
	const char *tool = NULL;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct stat st;
	off_t at;
	ssize_t n = 0;
	int p[2];

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((at = lseek(fd, 0, SEEK_CUR)) >= 0 &&
		    pread(fd, m, sizeof(m), at) == (ssize_t)sizeof(m))
			tool = decompressor(m, sizeof(m));
		return tool;
	}
	if (pipe2(p, O_CLOEXEC) != 0)
		return NULL;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		n = tee(fd, p[1], sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && read(p[0], m, (size_t)n) != n))
			break;
		if (n == (ssize_t)sizeof(m)) {
			tool = decompressor(m, sizeof(m));
			break;
		}
		if (n == 0 || (pfd.revents & POLLHUP))
			break;		/* the end, before a magic */
		nanosleep(&pause, NULL);	/* a magic still arriving */
	}
	close(p[0]);
	close(p[1]);
	return tool;
}

/*
 * Of a compressed ERF stream, the decompressor's output is relayed (with
 * its records seen) instead of the stream.  0, or -1 with err.
 */
static int
relay_decompress(struct input *in, char *err, size_t errlen)
{
	const char *tool = relay_peek_tool(in->relay_src);
	char why[256];
	int out;

	if (tool == NULL)
		return 0;
	out = spawn_decompress(tool, in->relay_src, in->child_as,
	    &in->relay_child, why, sizeof(why));
	if (out < 0) {
		log_seterr(err, errlen, "cannot read compressed input '%s': "
		    "%s", in->uri, why);
		return -1;
	}
	close(in->relay_src);
	in->relay_src = out;
	in->relay_tool = tool;
	return 0;
}

/*
 * How many of the len bytes at buf are whole records, which the relay may
 * pass on; the rest is the start of a record still arriving, held back.
 * An ERF record says its length (rlen: bytes 10-11 of its 16-byte header,
 * big-endian, the header included), so a stop ends libtrace's file between
 * two records: a record the stop cut is not a packet, not a truncated one
 * that fails the input.  *framed is cleared (for good: all bytes pass as
 * they come) for a compressed stream, whose records we cannot see, and for
 * an rlen under 16, which libtrace is to report as it finds it.
 */
static size_t
relay_whole(const unsigned char *buf, size_t len, bool *framed)
{
	size_t off = 0, rlen;

	if (*framed && len >= 4 && decompressor(buf, 4) != NULL)
		*framed = false;
	if (!*framed)
		return len;
	while (len - off >= ERF_HDRLEN) {
		rlen = (size_t)buf[off + 10] << 8 | buf[off + 11];
		if (rlen < ERF_HDRLEN) {
			*framed = false;
			return len;
		}
		if (len - off < rlen)
			break;
		off += rlen;
	}
	return off;
}

/*
 * Copy the stream into the pipe until its end, an error or the stop flag;
 * then close the pipe: libtrace sees the end of its file.  Of an ERF
 * stream only whole records go on (relay_whole): at the stream's own end
 * the bytes held back follow (a stream that ends mid-record fails the
 * input as a file does); on a stop they are dropped, with a -v line.
 */
static void *
input_relay_thread(void *arg)
{
	struct input *in = arg;
	/* room for a read beside the start of the longest ERF record */
	unsigned char buf[RELAY_READ + ERF_MAXREC];
	bool framed = in->relay_framed;
	size_t len = 0, whole;

	/* started while the inputs open, before the main thread gives up
	 * its capabilities for itself alone: this thread needs none */
	if (privs_drop_thread_caps() != 0)
		atomic_store(&in->relay_errno, errno);
	while (atomic_load(&in->relay_errno) == 0 && !stopping(in) &&
	    !atomic_load(&in->reader_done)) {
		struct pollfd pfd = { .fd = in->relay_src, .events = POLLIN };
		int r = poll(&pfd, 1, POLL_MS);
		ssize_t n;

		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0) {
			atomic_store(&in->relay_errno, errno);
			break;
		}
		n = read(in->relay_src, buf + len, RELAY_READ);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			atomic_store(&in->relay_errno, errno);
		if (n == 0 && len > 0 && relay_write(in, (char *)buf, len) == 0)
			len = 0;	/* the stream's end: libtrace judges it */
		if (n == 0 && relay_reap(in) != 0)
			atomic_store(&in->relay_errno, EIO);
		if (n <= 0)
			break;
		len += (size_t)n;
		whole = relay_whole(buf, len, &framed);
		if (relay_write(in, (char *)buf, whole) != 0)
			break;
		memmove(buf, buf + whole, len - whole);
		len -= whole;
	}
	if (len > 0 && framed && stopping(in))
		log_info("input '%s': stopped with %zu byte(s) of a record not "
		    "yet read whole: not a packet", in->uri, len);
	if (in->relay_child != 0) {	/* stopped early: nobody reads it */
		spawn_kill(in->relay_child);
		in->relay_child = 0;
	}
	close(in->relay_wr);
	in->relay_wr = -1;
	return NULL;
}

/*
 * For a libtrace file format read from a stream ("-", a FIFO, a character
 * device): open the stream and a pipe, and set *uri to the URI libtrace
 * reads instead (malloc'ed; NULL when no relay is needed).  0, or -1 with
 * err naming the input.
 */
static int
relay_open(struct input *in, char **uri, char *err, size_t errlen)
{
	size_t flen = uri_format_len(in->uri);
	const char *path = in->uri + flen + 1;
	int p[2], rc, errnum = 0;

	*uri = NULL;
	/* a file libtrace reads itself, or says why it cannot */
	if (flen == 0 || format_is_live(in->uri) ||
	    !path_is_stream(path, &errnum))
		return 0;
	/* ERF records say their length: a stop cuts between two */
	in->relay_framed = uri_has_format(in->uri, "erf") ||
	    uri_has_format(in->uri, "rawerf");
	if ((in->relay_src = stream_fd(path)) < 0) {
		log_seterr(err, errlen, "cannot open input '%s': %s", in->uri,
		    strerror(errno));
		return -1;
	}
	if (in->relay_framed && relay_decompress(in, err, errlen) != 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) == 0) {
		in->relay_rd = p[0];	/* closed by input_destroy */
		in->relay_wr = p[1];
	}
	if (in->relay_rd < 0 || fcntl(p[1], F_SETFL, O_NONBLOCK) != 0 ||
	    asprintf(uri, "%.*s:/proc/self/fd/%d", (int)flen, in->uri,
	    p[0]) < 0) {
		log_seterr(err, errlen, "input '%s': cannot set up a pipe: %s",
		    in->uri, strerror(errno));
		*uri = NULL;
		return -1;
	}
	/* running already: libtrace reads the first bytes as it starts */
	if ((rc = pthread_create(&in->relay_thread, NULL, input_relay_thread,
	    in)) != 0) {
		log_seterr(err, errlen, "cannot start a relay for '%s': %s",
		    in->uri, strerror(rc));
		free(*uri);
		*uri = NULL;
		return -1;
	}
	in->relay_started = true;
	return 0;
}

/*
 * libtrace 3's int: creates its packet socket for every interface and binds
 * it to the one asked for only afterwards; it empties the socket only when
 * a filter is set.  So what the other interfaces received in between waits
 * in the socket and would be read as this interface's packets.  Empty it
 * once trace_start() returned, as libtrace 4 does (libpcap binds before its
 * socket takes any packet): the capture of this input starts now.  libtrace 3 has no trace_get_fd(): the first
 * event names the socket (and may read the first queued packet).  Bounded,
 * so that a flood cannot hold us here.
 */
#define DISCARD_MAX 65536

static void
discard_queued(struct input *in)
{
	libtrace_eventobj_t ev = trace_event(in->trace, in->packet);
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
		    "queued while it opened", in->uri, n);
}

static int
open_libtrace(struct input *in, const struct config *cfg, char *err,
    size_t errlen)
{
	libtrace_err_t e;
	char *relay_uri;
	/* libtrace refuses a snaplen over its packet buffer, which none of
	 * its packets exceeds: -s 0 (262144) must not end the input */
	int snap = cfg->snaplen < LIBTRACE_PACKET_BUFSIZE ?
	    (int)cfg->snaplen : LIBTRACE_PACKET_BUFSIZE;

	in->live = format_is_live(in->uri);
	in->drops_are_deltas = uri_has_format(in->uri, "ring") ||
	    uri_has_format(in->uri, "int");
	if (cfg->filter != NULL &&
	    check_filter(cfg->filter, in->uri, err, errlen) != 0)
		return -1;
	if (relay_open(in, &relay_uri, err, errlen) != 0)
		return -1;
	in->trace = trace_create(relay_uri != NULL ? relay_uri : in->uri);
	free(relay_uri);
	if (in->trace == NULL || trace_is_err(in->trace)) {
		e = trace_get_err(in->trace);
		log_seterr(err, errlen, "cannot open input '%s': %s", in->uri,
		    e.problem);
		return -1;
	}
	/* not every format takes a snaplen: we truncate ourselves anyway,
	 * but a refused one leaves a sticky error (even when trace_config
	 * returns 0) that would fail trace_start: clear it */
	if (trace_config(in->trace, TRACE_OPTION_SNAPLEN, &snap) != 0 ||
	    trace_is_err(in->trace))
		(void)trace_get_err(in->trace);
	if (cfg->filter != NULL) {
		/* one filter object per input: libtrace 3 compiles lazily */
		in->filter = trace_create_filter(cfg->filter);
		if (in->filter == NULL ||
		    trace_config(in->trace, TRACE_OPTION_FILTER,
		    in->filter) != 0) {
			e = trace_get_err(in->trace);
			log_seterr(err, errlen, "cannot set filter '%s' on "
			    "input '%s': %s", cfg->filter, in->uri, e.problem);
			return -1;
		}
	}
	if (trace_start(in->trace) != 0) {
		e = trace_get_err(in->trace);
		log_seterr(err, errlen, "cannot start input '%s': %s",
		    in->uri, e.problem);
		return -1;
	}
	if ((in->packet = trace_create_packet()) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (in->live && uri_has_format(in->uri, "int"))
		discard_queued(in);
	return 0;
}

bool
input_uri_is_live(const char *uri)
{
	return format_is_live(uri);	/* libpcap's backend or libtrace's */
}

struct input *
input_open(const char *uri, size_t index, const struct config *cfg,
    const struct privs_user *child_as,
    struct queue_waiter *consumer_waiter, char *err, size_t errlen)
{
	struct input *in;
	char qerr[128];
	const char *path = NULL;
	enum file_kind kind = FILE_OTHER;
	bool stream = false;
	int errnum = 0;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->uri = strdup(uri)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		free(in);
		return NULL;
	}
	in->index = index;
	in->linktype = -1;
	in->fd = -1;
	in->relay_src = in->relay_rd = in->relay_wr = -1;
	in->snaplen = cfg->snaplen;
	in->child_as = child_as;
	atomic_init(&in->failed, false);
	atomic_init(&in->relay_errno, 0);
	atomic_init(&in->reader_done, false);

	if ((uri_has_format(uri, "pcapint") || uri_has_format(uri, "ring") ||
	    uri_has_format(uri, "int")) && !cfg->libtrace_live) {
		in->backend = BACKEND_PCAP_LIVE;
		if (open_pcap_live(in, uri + uri_format_len(uri) + 1, cfg,
		    err, errlen) != 0)
			goto fail;
		goto make_queue;
	}
	if (uri_has_format(uri, "pcapfile") || uri_has_format(uri, "pcap") ||
	    uri_has_format(uri, "pcapng"))
		path = uri + uri_format_len(uri) + 1;
	else if (uri_format_len(uri) == 0)
		path = uri;		/* bare path: libpcap if it is pcap */
	if (path != NULL) {
		/* pipes and devices cannot be read twice: no probe */
		stream = path_is_stream(path, &errnum);
		if (errnum == 0 && !stream)
			kind = probe_file(path, &errnum);
		if (errnum != 0) {
			log_seterr(err, errlen, "cannot open input '%s': %s",
			    uri, strerror(errnum));
			goto fail;
		}
	}
	in->backend = BACKEND_LIBTRACE;
	if (path != NULL && (stream || kind != FILE_OTHER || path != uri)) {
		in->backend = BACKEND_PCAP;
		/* may hand a compressed file back to libtrace (backend) */
		if (open_pcap(in, path, kind, stream, cfg, err, errlen) != 0)
			goto fail;
	}
	if (in->backend == BACKEND_LIBTRACE) {
		if (open_libtrace(in, cfg, err, errlen) != 0)
			goto fail;
	}
make_queue:
	in->q = queue_create(cfg->queue_bytes, cfg->snaplen, consumer_waiter,
	    qerr, sizeof(qerr));
	if (in->q == NULL) {
		log_seterr(err, errlen, "input '%s': %s", uri, qerr);
		goto fail;
	}
	return in;
fail:
	input_destroy(in);
	return NULL;
}

/* Copy one packet into the queue, waiting for room if need be. */
static void
push_packet(struct input *in, uint64_t ts_ns, uint32_t caplen,
    uint32_t wirelen, int linktype, const void *data, unsigned *batch)
{
	uint32_t cl = caplen < in->snaplen ? caplen : in->snaplen;
	struct queue_rec *r;

	while ((r = queue_reserve_try(in->q, cl)) == NULL) {
		counter_inc(&in->c.queue_full);
		*batch = 0;
		(void)queue_wait_space(in->q, cl, WAIT_SPACE_NS);
	}
	r->ts_ns = ts_ns;
	r->wirelen = wirelen;
	r->linktype = linktype;
	memcpy(r->data, data, cl);
	queue_commit(in->q);
	counter_inc(&in->c.read);
	if (++*batch >= PUBLISH_BATCH) {
		queue_publish(in->q);
		*batch = 0;
	}
}

static bool
stopping(const struct input *in)
{
	const atomic_bool *stop = atomic_load_explicit(&in->stop,
	    memory_order_acquire);

	return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

static void
fail_input(struct input *in, const char *what)
{
	log_error("input '%s' failed: %s; closing it, the other inputs "
	    "continue", in->uri, what);
	atomic_store_explicit(&in->failed, true, memory_order_relaxed);
}

/*
 * A classic pcap record holds unsigned 32-bit seconds and fraction;
 * libpcap sign-extends both (and scales a microsecond fraction by 1000).
 * Undo that so that stamps after 2038 and out-of-range fractions come out
 * as tcpdump prints them.  pcapng stamps are 64-bit and pass through.
 */
static uint64_t
pcap_file_ns(enum file_kind kind, const struct timeval *tv)
{
	uint64_t frac;

	if (kind == FILE_PCAPNG) {
		/* past 2554 (or past time_t, negative) ns overflow 64 bits:
		 * saturate, never wrap; the writer counts such stamps */
		if (tv->tv_sec < 0 ||
		    (uint64_t)tv->tv_sec >= UINT64_MAX / 1000000000u)
			return UINT64_MAX;
		return (uint64_t)tv->tv_sec * 1000000000u +
		    (uint64_t)tv->tv_usec;
	}
	if (kind == FILE_PCAP_US)
		frac = (uint64_t)(uint32_t)(tv->tv_usec / 1000) * 1000u;
	else
		frac = (uint32_t)tv->tv_usec;
	return (uint64_t)(uint32_t)tv->tv_sec * 1000000000u + frac;
}

static void
read_pcap(struct input *in)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned batch = 0;
	int rc;

	while (!stopping(in)) {
		rc = pcap_next_ex(in->pcap, &h, &data);
		if (rc == 1) {
			if (in->have_prog &&
			    pcap_offline_filter(&in->prog, h, data) == 0) {
				counter_inc(&in->c.filtered);
				continue;
			}
			push_packet(in, pcap_file_ns(in->kind, &h->ts),
			    h->caplen, h->len, in->linktype, data, &batch);
		} else if (rc == PCAP_ERROR_BREAK || stopping(in)) {
			break;		/* end of file, or told to stop */
		} else {
			fail_input(in, pcap_geterr(in->pcap));
			break;
		}
	}
}

/*
 * The native reader: FILE_CHUNK bytes at a time, records parsed in place
 * and copied into the queue; a record cut by the end of the buffer moves
 * to its start before the next read.  Errors are libpcap's words.
 */
static void
read_pcapfile(struct input *in)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcapfile_rec rec;
	size_t off = 0, end = 0;
	unsigned batch = 0;
	bool eof = false;
	ssize_t n;

	while (!stopping(in)) {
		n = pcapfile_next(&in->fhdr, in->fbuf + off, end - off, eof,
		    &rec, perr, sizeof(perr));
		if (n > 0) {
			off += (size_t)n;
			if (in->have_prog) {
				struct pcap_pkthdr h = {
					.caplen = rec.caplen,
					.len = rec.wirelen,
				};

				if (pcap_offline_filter(&in->prog, &h,
				    rec.data) == 0) {
					counter_inc(&in->c.filtered);
					continue;
				}
			}
			push_packet(in, rec.ts_ns, rec.caplen, rec.wirelen,
			    in->linktype, rec.data, &batch);
			continue;
		}
		if (n < 0) {
			fail_input(in, perr);
			break;
		}
		if (eof)
			break;
		/* a record needs more bytes than the buffer holds: refill;
		 * it fits, FILE_CHUNK >= PCAPFILE_MAXREC */
		memmove(in->fbuf, in->fbuf + off, end - off);
		end -= off;
		off = 0;
		n = read(in->fd, in->fbuf + end, FILE_CHUNK - end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(perr, sizeof(perr), "error reading dump "
			    "file: %s", strerror(errno));
			fail_input(in, perr);
			break;
		}
		if (n == 0)
			eof = true;
		end += (size_t)n;
	}
}

struct live_ctx {
	struct input	*in;
	unsigned	 batch;
};

static void
live_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_ctx *ctx = (struct live_ctx *)arg;

	push_packet(ctx->in, (uint64_t)h->ts.tv_sec * 1000000000u +
	    (uint64_t)h->ts.tv_usec, h->caplen, h->len, ctx->in->linktype,
	    data, &ctx->batch);
}

static void
update_pcap_drops(struct input *in)
{
	struct pcap_stat ps;

	/* libpcap accumulates the kernel's per-read counters for us */
	if (pcap_stats(in->pcap, &ps) == 0)
		atomic_store_explicit(&in->c.kernel_drops,
		    (uint64_t)ps.ps_drop + ps.ps_ifdrop, memory_order_relaxed);
}

static void
read_pcap_live(struct input *in)
{
	struct live_ctx ctx = { in, 0 };
	struct pollfd pfd = {
		.fd = pcap_get_selectable_fd(in->pcap), .events = POLLIN,
	};
	uint64_t last = mono_ns();

	while (!stopping(in)) {
		int n = pcap_dispatch(in->pcap, -1, live_packet, (u_char *)&ctx);

		if (n < 0) {
			if (n == PCAP_ERROR_BREAK)
				break;
			fail_input(in, pcap_geterr(in->pcap));
			break;
		}
		if (mono_ns() - last >= DROP_POLL_NS) {
			last = mono_ns();
			update_pcap_drops(in);
		}
		if (n > 0)
			continue;
		/* nothing ready: hand over what we have, then sleep */
		queue_publish(in->q);
		ctx.batch = 0;
		if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR) {
			fail_input(in, strerror(errno));
			break;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			/* e.g. the interface went away: let libpcap say why */
			n = pcap_dispatch(in->pcap, -1, live_packet,
			    (u_char *)&ctx);
			if (n < 0) {
				fail_input(in, pcap_geterr(in->pcap));
				break;
			}
		}
	}
	update_pcap_drops(in);
}

/* Fold libtrace 3 (per-query deltas on ring:/int:) and 4 (totals). */
static void
update_drops(struct input *in)
{
#ifdef HAVE_TRACE_GET_STATISTICS
	libtrace_stat_t *st = trace_get_statistics(in->trace, NULL);

	if (st != NULL && st->dropped_valid)
		in->drops_total = st->dropped;
#else
	uint64_t d = trace_get_dropped_packets(in->trace);

	if (d == UINT64_MAX)
		return;
	if (in->drops_are_deltas)
		in->drops_total += d;
	else if (d > in->drops_total)
		in->drops_total = d;
#endif
	atomic_store_explicit(&in->c.kernel_drops, in->drops_total,
	    memory_order_relaxed);
}

static void
maybe_update_drops(struct input *in)
{
	uint64_t now = mono_ns();

	if (now - in->drops_checked_ns >= DROP_POLL_NS) {
		in->drops_checked_ns = now;
		update_drops(in);
	}
}

static void
push_libtrace_packet(struct input *in, unsigned *batch)
{
	libtrace_linktype_t lt;
	uint32_t remaining = 0;
	void *l2 = trace_get_packet_buffer(in->packet, &lt, &remaining);
	struct timespec ts = trace_get_timespec(in->packet);
	int linktype = libtrace_to_linktype(lt);
	size_t wire;

	if (l2 == NULL || linktype < 0) {
		if (!in->warned_linktype)
			log_warn("input '%s': packet of link type %d that "
			    "pcap cannot hold, skipped and counted as "
			    "filtered", in->uri, (int)lt);
		in->warned_linktype = true;
		counter_inc(&in->c.filtered);
		return;
	}
	wire = trace_get_wire_length(in->packet);
	/* libtrace counts the Ethernet FCS in the wire length; pcap not */
	if (lt == TRACE_TYPE_ETH && wire >= 4 + (size_t)remaining)
		wire -= 4;
	push_packet(in, (uint64_t)ts.tv_sec * 1000000000u +
	    (uint64_t)ts.tv_nsec, remaining, (uint32_t)wire, linktype, l2,
	    batch);
}

static void
read_libtrace_live(struct input *in)
{
	unsigned batch = 0;

	while (!stopping(in)) {
		libtrace_eventobj_t ev = trace_event(in->trace, in->packet);

		switch (ev.type) {
		case TRACE_EVENT_PACKET:
			if (ev.size < 0) {
				fail_input(in, trace_get_err(in->trace).problem);
				return;
			}
			push_libtrace_packet(in, &batch);
			if ((atomic_load_explicit(&in->c.read,
			    memory_order_relaxed) & 0xffff) == 0)
				maybe_update_drops(in);
			break;
		case TRACE_EVENT_IOWAIT: {
			struct pollfd pfd = { .fd = ev.fd, .events = POLLIN };

			queue_publish(in->q);
			batch = 0;
			maybe_update_drops(in);
			if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR) {
				fail_input(in, strerror(errno));
				return;
			}
			break;
		}
		case TRACE_EVENT_SLEEP: {
			double s = ev.seconds < 0.1 ? ev.seconds : 0.1;
			struct timespec ts = { 0, (long)(s * 1e9) };

			queue_publish(in->q);
			batch = 0;
			nanosleep(&ts, NULL);
			break;
		}
		case TRACE_EVENT_TERMINATE:
		default:
			if (trace_is_err(in->trace))
				fail_input(in, trace_get_err(in->trace).problem);
			return;
		}
	}
}

static void
read_libtrace_file(struct input *in)
{
	unsigned batch = 0;
	int rc, e;

	/* behind a relay: on to the end of file, which the relay makes
	 * once told to stop */
	while (in->relay_src >= 0 || !stopping(in)) {
		rc = trace_read_packet(in->trace, in->packet);
		if (rc > 0) {
			push_libtrace_packet(in, &batch);
		} else {
			if (rc < 0 || trace_is_err(in->trace))
				fail_input(in, trace_get_err(in->trace).problem);
			else if (in->relay_src >= 0 &&
			    (e = atomic_load(&in->relay_errno)) != 0)
				fail_input(in, strerror(e));
			break;
		}
	}
}

static void *
input_reader_thread(void *arg)
{
	struct input *in = arg;

	if (in->backend == BACKEND_PCAP)
		read_pcap(in);
	else if (in->backend == BACKEND_PCAPFILE)
		read_pcapfile(in);
	else if (in->backend == BACKEND_PCAP_LIVE)
		read_pcap_live(in);
	else if (in->live)
		read_libtrace_live(in);
	else
		read_libtrace_file(in);
	if (in->backend == BACKEND_LIBTRACE) {
		update_drops(in);
		if (!in->live) {
			uint64_t f = trace_get_filtered_packets(in->trace);

			if (f != UINT64_MAX)
				atomic_store_explicit(&in->c.filtered, f,
				    memory_order_relaxed);
		}
	}
	atomic_store(&in->reader_done, true);
	queue_close(in->q);
	return NULL;
}

int
input_start(struct input *in, const atomic_bool *stop, char *err,
    size_t errlen)
{
	int rc;

	atomic_store_explicit(&in->stop, stop, memory_order_release);
	in->drops_checked_ns = mono_ns();
	if ((rc = pthread_create(&in->thread, NULL, input_reader_thread,
	    in)) != 0) {
		log_seterr(err, errlen, "cannot start a reader for '%s': %s",
		    in->uri, strerror(rc));
		return -1;
	}
	in->started = true;
	return 0;
}

void
input_join(struct input *in)
{
	if (in != NULL && in->started) {
		pthread_join(in->thread, NULL);
		in->started = false;
	}
	if (in != NULL && in->relay_started) {
		/* never started, or done: the relay must not wait for data */
		atomic_store(&in->reader_done, true);
		pthread_join(in->relay_thread, NULL);
		in->relay_started = false;
	}
}

void
input_destroy(struct input *in)
{
	if (in == NULL)
		return;
	input_join(in);
	if (in->have_prog)
		pcap_freecode(&in->prog);
	if (in->pcap != NULL)
		pcap_close(in->pcap);
	if (in->fd >= 0)
		close(in->fd);
	if (in->relay_src >= 0)
		close(in->relay_src);
	if (in->relay_child != 0)	/* the relay never ran */
		spawn_kill(in->relay_child);
	if (in->relay_rd >= 0)
		close(in->relay_rd);
	if (in->relay_wr >= 0)
		close(in->relay_wr);
	free(in->fbuf);
	if (in->packet != NULL)
		trace_destroy_packet(in->packet);
	if (in->trace != NULL)
		trace_destroy(in->trace);
	if (in->filter != NULL)
		trace_destroy_filter(in->filter);
	queue_destroy(in->q);
	free(in->uri);
	free(in);
}

struct queue *
input_queue(const struct input *in)
{
	return in->q;
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

const struct input_counters *
input_counters(const struct input *in)
{
	return &in->c;
}

bool
input_filtered_known(const struct input *in)
{
	/* libpcap files filter in user space; libtrace counts its own */
	return !in->live || (!in->have_prog && in->filter == NULL);
}

bool
input_failed(const struct input *in)
{
	return atomic_load_explicit(&in->failed, memory_order_relaxed);
}

void
input_libtrace_help(void)
{
	trace_help();
}
