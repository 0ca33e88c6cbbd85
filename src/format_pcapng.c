/*
 * format_pcapng.c - pcapng files (draft-ietf-opsawg-pcapng), written in
 * host byte order as one section per file:
 *
 *   Section Header Block (version 1.0, section length -1, shb_hardware,
 *   shb_os, shb_userappl "mtracecap VERSION", with --anonymize an
 *   opt_comment "addresses anonymised: " and how, anon.h's note),
 *   one Interface Description Block per interface of the file
 *   (struct format_file: every interface of input 0, then of input 1...),
 *   Enhanced Packet Blocks (interface id, 64-bit stamp in that
 *   interface's if_tsresol, lengths, epb_flags where known),
 *   and before the file is closed one Interface Statistics Block per
 *   interface (counters cumulative since the capture began, as the draft
 *   says; this file's own counts in an opt_comment).
 *
 * An interface first seen after the header (a pcapng input's late IDB, a
 * packet of a link type its interface did not have) gets its IDB right
 * before its first packet, which the draft allows.
 *
 * Stamps are 64-bit units of 10^-tsresol s: nanoseconds hold until
 * 2554-07-21; a later stamp (an input saturates one that overflows) is
 * written as the latest one that fits and counted by the writer.
 *
 * Crash recovery walks the blocks: a block is whole when its type is one
 * we write, its length is a multiple of 4 between 12 bytes and
 * PCAPNG_MAX_BLOCK, and its trailing length agrees.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "format.h"
#include "pcapfile.h"

#define BT_SHB		0x0A0D0D0Au
#define BT_IDB		1u
#define BT_ISB		5u
#define BT_EPB		6u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT	0
#define OPT_COMMENT	1
#define SHB_HARDWARE	2
#define SHB_OS		3
#define SHB_USERAPPL	4
#define IF_NAME		2
#define IF_DESCRIPTION	3
#define IF_TSRESOL	9
#define IF_FILTER	11
#define IF_OS		12
#define IF_FCSLEN	13
#define EPB_FLAGS	2
#define ISB_STARTTIME	2
#define ISB_ENDTIME	3
#define ISB_IFRECV	4
#define ISB_IFDROP	5
#define ISB_FILTERACCEPT 6
#define ISB_OSDROP	7
#define ISB_USRDELIV	8

#define EPB_FIXED	28u	/* type, length, interface, stamp, lengths */
#define EPB_FLAGS_OPT	12u	/* epb_flags and opt_endofopt */
/* the largest block a writer of ours makes: an IDB of long options */
#define PCAPNG_MAX_BLOCK (8u << 20)
#define PCAPNG_SHB_MIN	28u
#define PCAPNG_MAX_TS_NS (UINT64_MAX - 1)
#define ISB_NOTE_MAX	512	/* an ISB's opt_comment, with its NUL */

_Static_assert(EPB_FIXED <= FORMAT_HDR_MAX, "EPB header");
_Static_assert(3 + EPB_FLAGS_OPT + 4 <= FORMAT_HDR_MAX, "EPB trailer");
_Static_assert(EPB_FIXED + 3 + EPB_FLAGS_OPT + 4 <= FORMAT_REC_EXTRA,
    "EPB besides its data");

/* --- a block under construction (headers and trailers only) --- */

struct block {
	unsigned char	*b;
	size_t		 len, cap;
	bool		 oom;
};

static void
put(struct block *k, const void *p, size_t n)
{
	if (k->oom || n == 0)
		return;
	if (k->len + n > k->cap) {
		size_t cap = k->cap != 0 ? k->cap : 256;
		unsigned char *nb;

		while (cap < k->len + n)
			cap *= 2;
		if ((nb = realloc(k->b, cap)) == NULL) {
			k->oom = true;
			return;
		}
		k->b = nb;
		k->cap = cap;
	}
	memcpy(k->b + k->len, p, n);
	k->len += n;
}

static void
put32(struct block *k, uint32_t v)
{
	put(k, &v, 4);
}

static void
put_pad(struct block *k)
{
	static const unsigned char zero[4];

	put(k, zero, (4 - k->len % 4) % 4);
}

/* One option (code, value of len bytes, padded); an option longer than
 * its 16-bit length field holds is cut there. */
static void
put_opt(struct block *k, uint16_t code, const void *v, size_t len)
{
	uint16_t h[2] = { code, (uint16_t)(len > UINT16_MAX ? UINT16_MAX :
	    len) };

	put(k, h, sizeof(h));
	put(k, v, h[1]);
	put_pad(k);
}

static void
put_str(struct block *k, uint16_t code, const char *s)
{
	if (s != NULL && *s != '\0')
		put_opt(k, code, s, strlen(s));
}

static void
put_u64(struct block *k, uint16_t code, uint64_t v)
{
	put_opt(k, code, &v, sizeof(v));
}

/* A 64-bit stamp as pcapng splits it: high word first. */
static void
put_ts(struct block *k, uint64_t units)
{
	put32(k, (uint32_t)(units >> 32));
	put32(k, (uint32_t)units);
}

static void
put_ts_opt(struct block *k, uint16_t code, uint64_t units)
{
	uint32_t v[2] = { (uint32_t)(units >> 32), (uint32_t)units };

	put_opt(k, code, v, sizeof(v));
}

static void
block_begin(struct block *k, uint32_t type)
{
	k->len = 0;
	put32(k, type);
	put32(k, 0);		/* the length, once known */
}

/* opt_endofopt, the trailing length; emit it.  -1 when out of memory. */
static int
block_end(struct block *k, format_emit_fn emit, void *ctx)
{
	uint32_t total;
	int rc;

	put_opt(k, OPT_ENDOFOPT, NULL, 0);
	total = (uint32_t)k->len + 4;
	put32(k, total);
	if (k->oom) {
		free(k->b);
		return -1;
	}
	memcpy(k->b + 4, &total, 4);
	rc = emit(ctx, k->b, k->len);
	free(k->b);
	k->b = NULL;
	return rc;
}

/* --- file header: SHB and the IDBs --- */

static int
write_idb(const struct format_iface *fi, format_emit_fn emit, void *ctx)
{
	struct block k = { 0 };
	uint16_t lt[2] = { (uint16_t)fi->linktype, 0 };
	uint8_t res = fi->tsresol;

	block_begin(&k, BT_IDB);
	put(&k, lt, sizeof(lt));
	put32(&k, fi->snaplen);
	put_str(&k, IF_NAME, fi->desc->name);
	put_str(&k, IF_DESCRIPTION, fi->desc->description);
	put_opt(&k, IF_TSRESOL, &res, 1);
	if (fi->filter != NULL) {
		/* type 0: libpcap filter text */
		size_t n = strlen(fi->filter);
		unsigned char *v = malloc(n + 1);

		if (v == NULL) {
			k.oom = true;
		} else {
			v[0] = 0;
			memcpy(v + 1, fi->filter, n);
			put_opt(&k, IF_FILTER, v, n + 1);
			free(v);
		}
	}
	put_str(&k, IF_OS, fi->desc->os);
	/* the pcap link-type field's FCS bits (LINKTYPE_ | F | length) */
	if ((uint32_t)fi->linktype & 0x04000000u) {
		uint8_t fcs = (uint8_t)(((uint32_t)fi->linktype >> 28) * 2);

		put_opt(&k, IF_FCSLEN, &fcs, 1);
	}
	return block_end(&k, emit, ctx);
}

static int
pcapng_file_header(const struct format_source *src, size_t n,
    const struct format_file *f, format_emit_fn emit, void *ctx)
{
	struct block k = { 0 };
	struct utsname u;
	uint16_t ver[2] = { 1, 0 };
	int64_t seclen = -1;
	char os[3 * sizeof(u.release)];
	int rc;

	block_begin(&k, BT_SHB);
	put32(&k, BYTE_ORDER_MAGIC);
	put(&k, ver, sizeof(ver));
	put(&k, &seclen, sizeof(seclen));
	if (uname(&u) == 0) {
		put_str(&k, SHB_HARDWARE, u.machine);
		(void)snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		put_str(&k, SHB_OS, os);
	}
	put_str(&k, SHB_USERAPPL, PACKAGE_NAME " " PACKAGE_VERSION);
	if (src != NULL && n > 0 && src[0].anon != NULL) {
		/* every input has the one --anonymize */
		char note[128];

		(void)snprintf(note, sizeof(note), "addresses anonymised: %s",
		    src[0].anon);
		put_str(&k, OPT_COMMENT, note);
	}
	if ((rc = block_end(&k, emit, ctx)) != 0)
		return rc;
	for (size_t i = 0; i < f->n && rc == 0; i++)
		rc = write_idb(&f->ifs[i], emit, ctx);
	return rc;
}

static int
pcapng_iface_added(const struct format_file *f, size_t id,
    format_emit_fn emit, void *ctx)
{
	return write_idb(&f->ifs[id], emit, ctx);
}

/* The bytes of an option of len bytes. */
static uint64_t
opt_size(size_t len)
{
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	return 4 + ((len + 3) & ~(uint64_t)3);
}

static uint64_t
str_size(const char *s)
{
	return s != NULL && *s != '\0' ? opt_size(strlen(s)) : 0;
}

/* What write_idb() writes at most for d: fixed part, options (if_fcslen
 * counted whether or not), opt_endofopt, trailing length. */
static uint64_t
pcapng_iface_size(const struct input_iface *d, const char *filter)
{
	return 16 + str_size(d->name) + str_size(d->description) +
	    opt_size(1) + (filter != NULL ? opt_size(strlen(filter) + 1) : 0) +
	    str_size(d->os) + opt_size(1) + 4 + 4;
}

/* The most write_isb() writes: fixed part, a comment of ISB_NOTE_MAX,
 * two stamps, five counters, opt_endofopt, trailing length. */
static uint64_t
pcapng_trailer_size(const struct format_file *f)
{
	return f->n * (20 + opt_size(ISB_NOTE_MAX - 1) + 2 * opt_size(8) +
	    5 * opt_size(8) + 4 + 4);
}

/* Any link type goes: every interface has its own. */
static int
pcapng_linktype_for(const struct format_source *src, size_t n, size_t i)
{
	(void)src;
	(void)n;
	(void)i;
	return -1;
}

/* --- packets: EPBs --- */

static inline uint32_t
epb_total(const struct queue_rec *rec)
{
	return EPB_FIXED + ((rec->caplen + 3) & ~3u) +
	    (rec->flags != 0 ? EPB_FLAGS_OPT : 0) + 4;
}

static inline void
put_field(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* ts in units of ns_per_unit ns; apart, so that the compiler does not
 * make the case of 1 a division too. */
static __attribute__((noinline)) uint64_t
units_of(uint64_t ts, uint64_t ns_per_unit)
{
	return ts / ns_per_unit;
}

/* The EPB header of rec, total bytes long, in fi. */
static inline void
epb_header(unsigned char *buf, const struct queue_rec *rec,
    const struct format_iface *fi, uint32_t total)
{
	uint64_t ts = rec->ts_ns < PCAPNG_MAX_TS_NS ? rec->ts_ns :
	    PCAPNG_MAX_TS_NS;

	/* a division by a constant is a multiplication; by a variable, tens
	 * of cycles (even by 1): the common resolutions get their own */
	if (fi->ns_per_unit == 1000)
		ts /= 1000;
	else if (fi->ns_per_unit != 1)
		ts = units_of(ts, fi->ns_per_unit);
	/* type, length, interface, stamp (high word first), caplen, wire
	 * length: each stored straight into buf, not through a copy on the
	 * stack whose wide reload cannot be store-forwarded */
	put_field(buf, BT_EPB);
	put_field(buf + 4, total);
	put_field(buf + 8, fi->id);
	put_field(buf + 12, (uint32_t)(ts >> 32));
	put_field(buf + 16, (uint32_t)ts);
	put_field(buf + 20, rec->caplen);
	put_field(buf + 24, rec->wirelen);
}

/* What follows the data of rec: padding, epb_flags, the length again. */
static inline size_t
epb_trailer(unsigned char *buf, const struct queue_rec *rec, uint32_t total)
{
	size_t n = (4 - rec->caplen % 4) % 4;

	/* the padding and the length: one unaligned store each */
	memset(buf, 0, 4);
	if (rec->flags != 0) {
		uint32_t o[3] = { EPB_FLAGS | 4u << 16, rec->flags, 0 };

		memcpy(buf + n, o, sizeof(o));	/* and opt_endofopt */
		n += EPB_FLAGS_OPT;
	}
	memcpy(buf + n, &total, 4);
	return n + 4;
}

static size_t
pcapng_record_header(unsigned char *buf, const struct queue_rec *rec,
    size_t input, const struct format_iface *fi)
{
	(void)input;
	epb_header(buf, rec, fi, epb_total(rec));
	return EPB_FIXED;
}

static size_t
pcapng_record_trailer(unsigned char *buf, const struct queue_rec *rec)
{
	return epb_trailer(buf, rec, epb_total(rec));
}

static size_t
pcapng_record_write(unsigned char *buf, const struct queue_rec *rec,
    size_t input, const struct format_iface *fi)
{
	uint32_t total = epb_total(rec);

	(void)input;
	epb_header(buf, rec, fi, total);
	memcpy(buf + EPB_FIXED, rec->data, rec->caplen);
	(void)epb_trailer(buf + EPB_FIXED + rec->caplen, rec, total);
	return total;
}

static uint64_t
pcapng_record_size(const struct queue_rec *rec)
{
	return epb_total(rec);
}

/* --- trailer: an ISB per interface --- */

static int
write_isb(const struct format_iface *fi, size_t n_of_input,
    const struct segment *seg, format_emit_fn emit, void *ctx)
{
	const struct segment_counts *o = &seg->at_open[fi->input];
	const struct segment_counts *c = &seg->at_close[fi->input];
	struct block k = { 0 };
	char note[ISB_NOTE_MAX], filtered[64];
	uint64_t u = fi->ns_per_unit;

	(void)snprintf(filtered, sizeof(filtered), ", %" PRIu64
	    " filtered out", c->filtered - o->filtered);
	block_begin(&k, BT_ISB);
	put32(&k, fi->id);
	put_ts(&k, seg->close_wall_ns / u);
	if (fi->sole)
		(void)snprintf(note, sizeof(note), "this file: %" PRIu64
		    " packets, %" PRIu64 " bytes; during it %" PRIu64
		    " dropped by the kernel, %" PRIu64 " by the interface%s",
		    fi->packets, fi->bytes, (c->kernel_drops - c->if_drops) -
		    (o->kernel_drops - o->if_drops), c->if_drops - o->if_drops,
		    fi->filtered_known ? filtered : "");
	else
		(void)snprintf(note, sizeof(note), "this file: %" PRIu64
		    " packets, %" PRIu64 " bytes (one of %zu interfaces of its "
		    "input; the input's counters are not per interface)",
		    fi->packets, fi->bytes, n_of_input);
	put_str(&k, OPT_COMMENT, note);
	put_ts_opt(&k, ISB_STARTTIME, fi->start_ns / u);
	put_ts_opt(&k, ISB_ENDTIME, seg->close_wall_ns / u);
	if (fi->sole) {
		/* a filter in the kernel does not say what it rejected */
		if (fi->filtered_known)
			put_u64(&k, ISB_IFRECV, c->read + c->filtered +
			    (c->kernel_drops - c->if_drops));
		put_u64(&k, ISB_IFDROP, c->if_drops);
		if (fi->filter != NULL)
			put_u64(&k, ISB_FILTERACCEPT, c->read);
		put_u64(&k, ISB_OSDROP, c->kernel_drops - c->if_drops);
	}
	put_u64(&k, ISB_USRDELIV, fi->delivered);
	return block_end(&k, emit, ctx);
}

static int
pcapng_file_trailer(const struct format_source *src,
    const struct format_file *f, const struct segment *seg,
    format_emit_fn emit, void *ctx)
{
	int rc = 0;

	(void)src;
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		size_t same = 0;

		for (size_t j = 0; j < f->n; j++)
			same += f->ifs[j].input == f->ifs[i].input;
		rc = write_isb(&f->ifs[i], same, seg, emit, ctx);
	}
	return rc;
}

/* --- the last whole block, for crash recovery --- */

static uint32_t
field(const unsigned char *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/* Whether the section's byte order is the other one; h is its SHB. */
static bool
swapped_of(const unsigned char *h)
{
	return field(h + 8, false) != BYTE_ORDER_MAGIC;
}

static size_t
pcapng_scan_header(const unsigned char *h, size_t len)
{
	uint32_t total;
	bool swapped;

	if (len < 4 || field(h, false) != BT_SHB)
		return 0;
	if (len < 12)
		return PCAPNG_SHB_MIN;		/* cut short: not whole */
	if (field(h + 8, false) == BYTE_ORDER_MAGIC)
		swapped = false;
	else if (field(h + 8, true) == BYTE_ORDER_MAGIC)
		swapped = true;
	else
		return 0;
	total = field(h + 4, swapped);
	if (total < PCAPNG_SHB_MIN || total % 4 != 0 ||
	    total > PCAPNG_MAX_BLOCK)
		return 0;
	return total;
}

static uint64_t
pcapng_scan_record(const unsigned char *h, const unsigned char *rh)
{
	bool swapped = swapped_of(h);
	uint32_t type = field(rh, swapped), total = field(rh + 4, swapped);

	if (type != BT_IDB && type != BT_EPB && type != BT_ISB)
		return 0;
	if (total < 12 || total % 4 != 0 || total > PCAPNG_MAX_BLOCK ||
	    (type == BT_EPB && total < EPB_FIXED + 4))
		return 0;
	return total;
}

static bool
pcapng_scan_tail_ok(const unsigned char *h, const unsigned char *rh,
    const unsigned char *tail)
{
	bool swapped = swapped_of(h);

	return field(tail, swapped) == field(rh + 4, swapped);
}

static bool
pcapng_scan_is_packet(const unsigned char *h, const unsigned char *rh)
{
	return field(rh, swapped_of(h)) == BT_EPB;
}

const struct format format_pcapng = {
	.name = "pcapng",
	.file_header = pcapng_file_header,
	.ifaces = true,
	.iface_added = pcapng_iface_added,
	.iface_size = pcapng_iface_size,
	.trailer_size = pcapng_trailer_size,
	.linktype_for = pcapng_linktype_for,
	.record_header = pcapng_record_header,
	.record_trailer = pcapng_record_trailer,
	.record_size = pcapng_record_size,
	.record_write = pcapng_record_write,
	.file_trailer = pcapng_file_trailer,
	.max_ts_ns = PCAPNG_MAX_TS_NS,
	.max_ts_text = "2554-07-21 23:34:33.709551614 UTC",
	.scan_header = pcapng_scan_header,
	.scan_rechdr = 8,
	.scan_record = pcapng_scan_record,
	.scan_tail = 4,
	.scan_tail_ok = pcapng_scan_tail_ok,
	.scan_is_packet = pcapng_scan_is_packet,
};
