/*
 * format_pcap.c - classic pcap 2.4 files as tcpdump -w writes them (host
 * byte order), with microsecond stamps (magic 0xa1b2c3d4, what mtracecap
 * 0.6 writes) or nanosecond ones (0xa1b23c4d, tcpdump's
 * --time-stamp-precision=nano).  The two differ only in the magic and in
 * the unit of the fraction of a second; each has its own functions so
 * that the per-packet division is by a constant.
 *
 * Stamps are unsigned 32-bit seconds, so nothing after 2106-02-07
 * 06:28:15 UTC fits: a later stamp is written as the latest one that
 * does (clamped, not wrapped modulo 2^32 s, so that it still sorts after
 * every other), and the writer counts and reports such packets.
 *
 * One link type per file: the header has one field for all sources.
 */
#include "config.h"

#include <string.h>

#include "format.h"
#include "pcapfile.h"

#define LINKTYPE_DEFAULT	1		/* Ethernet */
/* 2106-02-07 06:28:15.999999999 UTC: the last instant of 32-bit seconds */
#define PCAP_MAX_TS_NS		(((uint64_t)UINT32_MAX + 1) * 1000000000u - 1)

struct pcap_file_header_v24 {
	uint32_t	magic;
	uint16_t	version_major;
	uint16_t	version_minor;
	int32_t		thiszone;
	uint32_t	sigfigs;
	uint32_t	snaplen;
	uint32_t	linktype;
};

struct pcap_rec_header {
	uint32_t	ts_sec;
	uint32_t	ts_frac;	/* us or ns, by the magic */
	uint32_t	caplen;
	uint32_t	len;
};

_Static_assert(sizeof(struct pcap_file_header_v24) == PCAPFILE_HDRLEN,
    "pcap header");
_Static_assert(sizeof(struct pcap_rec_header) == PCAPFILE_RECHDRLEN,
    "pcap record");
_Static_assert(PCAPFILE_RECHDRLEN <= FORMAT_HDR_MAX, "pcap record header");

/* pcap: every packet of a file has the link type of the first source
 * whose link type is known. */
static int
pcap_linktype_for(const struct format_source *src, size_t n, size_t i)
{
	(void)i;
	for (size_t j = 0; j < n; j++)
		if (src[j].linktype >= 0)
			return src[j].linktype;
	return -1;
}

static int
file_header(uint32_t magic, const struct format_source *src, size_t n,
    format_emit_fn emit, void *ctx)
{
	int lt = pcap_linktype_for(src, n, 0);
	struct pcap_file_header_v24 h = {
		.magic = magic,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = n > 0 ? src[0].snaplen : 0,
		.linktype = (uint32_t)(lt >= 0 ? lt : LINKTYPE_DEFAULT),
	};

	return emit(ctx, &h, sizeof(h));
}

static int
pcap_us_file_header(const struct format_source *src, size_t n,
    const struct format_file *f, format_emit_fn emit, void *ctx)
{
	(void)f;
	return file_header(PCAPFILE_MAGIC_US, src, n, emit, ctx);
}

static int
pcap_ns_file_header(const struct format_source *src, size_t n,
    const struct format_file *f, format_emit_fn emit, void *ctx)
{
	(void)f;
	return file_header(PCAPFILE_MAGIC_NS, src, n, emit, ctx);
}

/* The record header of rec with fractions in units of ns_per_frac ns
 * (a constant in each caller). */
static inline size_t
record_header(unsigned char *buf, const struct queue_rec *rec,
    uint32_t ns_per_frac)
{
	uint64_t ts = rec->ts_ns < PCAP_MAX_TS_NS ? rec->ts_ns : PCAP_MAX_TS_NS;
	struct pcap_rec_header h = {
		.ts_sec = (uint32_t)(ts / 1000000000u),
		.ts_frac = (uint32_t)(ts % 1000000000u / ns_per_frac),
		.caplen = rec->caplen,
		.len = rec->wirelen,
	};

	memcpy(buf, &h, sizeof(h));
	return sizeof(h);
}

static size_t
pcap_us_record_header(unsigned char *buf, const struct queue_rec *rec,
    size_t input, const struct format_iface *fi)
{
	(void)input;
	(void)fi;
	return record_header(buf, rec, 1000u);
}

static size_t
pcap_ns_record_header(unsigned char *buf, const struct queue_rec *rec,
    size_t input, const struct format_iface *fi)
{
	(void)input;
	(void)fi;
	return record_header(buf, rec, 1u);
}

static size_t
pcap_us_record_write(unsigned char *buf, const struct queue_rec *rec,
    size_t input, const struct format_iface *fi)
{
	(void)input;
	(void)fi;
	memcpy(buf + record_header(buf, rec, 1000u), rec->data, rec->caplen);
	return PCAPFILE_RECHDRLEN + (size_t)rec->caplen;
}

static size_t
pcap_ns_record_write(unsigned char *buf, const struct queue_rec *rec,
    size_t input, const struct format_iface *fi)
{
	(void)input;
	(void)fi;
	memcpy(buf + record_header(buf, rec, 1u), rec->data, rec->caplen);
	return PCAPFILE_RECHDRLEN + (size_t)rec->caplen;
}

static uint64_t
pcap_record_size(const struct queue_rec *rec)
{
	return PCAPFILE_RECHDRLEN + (uint64_t)rec->caplen;
}

/*
 * --- the last whole record, for crash recovery ---
 *
 * A crash leaves at most part of one record after the last complete one.
 * A record header no pcap writer produces (caplen above 256 KiB or above
 * the wire length, a zero wire length, a fraction of a second of 1 s or
 * more) is garbage, or the zeros a power loss leaves.
 */

static size_t
scan_header(uint32_t magic, const unsigned char *h, size_t len)
{
	bool swapped;

	return len >= 4 && pcapfile_magic(h, &swapped) == magic ?
	    PCAPFILE_HDRLEN : 0;
}

static size_t
pcap_us_scan_header(const unsigned char *h, size_t len)
{
	return scan_header(PCAPFILE_MAGIC_US, h, len);
}

static size_t
pcap_ns_scan_header(const unsigned char *h, size_t len)
{
	return scan_header(PCAPFILE_MAGIC_NS, h, len);
}

static uint32_t
rec_field(const unsigned char *rh, size_t at, bool swapped)
{
	uint32_t v;

	memcpy(&v, rh + at, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static uint64_t
scan_record(const unsigned char *h, const unsigned char *rh,
    uint32_t frac_limit)
{
	bool swapped;
	uint32_t frac, cl, wl;

	(void)pcapfile_magic(h, &swapped);
	frac = rec_field(rh, 4, swapped);
	cl = rec_field(rh, 8, swapped);
	wl = rec_field(rh, 12, swapped);
	if (cl > PCAPFILE_MAXCAPLEN || wl == 0 || cl > wl || frac >= frac_limit)
		return 0;
	return PCAPFILE_RECHDRLEN + (uint64_t)cl;
}

static uint64_t
pcap_us_scan_record(const unsigned char *h, const unsigned char *rh)
{
	return scan_record(h, rh, 1000000u);
}

static uint64_t
pcap_ns_scan_record(const unsigned char *h, const unsigned char *rh)
{
	return scan_record(h, rh, 1000000000u);
}

/* The two differ in the unit of the fraction (us, ns) and in how the
 * latest stamp they hold reads. */
#define PCAP_FORMAT(unit, magic, last)					\
	{								\
		.name = "pcap",						\
		.file_header = pcap_##unit##_file_header,		\
		.ifaces = false,					\
		.linktype_for = pcap_linktype_for,			\
		.record_header = pcap_##unit##_record_header,		\
		.record_trailer = NULL,					\
		.record_size = pcap_record_size,			\
		.record_write = pcap_##unit##_record_write,		\
		.file_trailer = NULL,					\
		.raw_magic = magic,					\
		.max_ts_ns = PCAP_MAX_TS_NS,				\
		.max_ts_text = last,					\
		.scan_header = pcap_##unit##_scan_header,		\
		.scan_rechdr = PCAPFILE_RECHDRLEN,			\
		.scan_record = pcap_##unit##_scan_record,		\
		.scan_tail = 0,						\
	}

const struct format format_pcap =
    PCAP_FORMAT(us, PCAPFILE_MAGIC_US, "2106-02-07 06:28:15.999999 UTC");
const struct format format_pcap_ns =
    PCAP_FORMAT(ns, PCAPFILE_MAGIC_NS, "2106-02-07 06:28:15.999999999 UTC");
