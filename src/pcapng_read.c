/*
 * pcapng_read.c - a parser for pcapng blocks (see pcapng_read.h), for
 * input_pcapng.c.
 *
 * Checks every block as libpcap 1.10 (sf-pcapng.c) does: a total length
 * of at least 12, a multiple of 4, the same in the trailer, at most
 * 16 MiB (an SHB at most 1 MiB); the fixed part of each block it reads
 * inside the block, a packet's data too; in an IDB, if_tsresol and
 * if_tsoffset of the right length and once each, options inside the
 * block, opt_endofopt of length 0.  Where the draft allows more than
 * libpcap reads, this reads it: sections in either byte order in one
 * file, SHB versions 1.x.  EPB options are read for epb_flags only and
 * leniently (libpcap reads none): a malformed option ends them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pcapng_read.h"
#include "wire.h"

#define HDR		8u	/* block type, total length */
#define TRAILER		4u

static size_t
pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

/* An IDB option that must come at most once (*saw) with length want. */
static int
idb_once(bool *saw, uint16_t olen, uint16_t want, const char *name,
    char *err, size_t errlen)
{
	if (*saw) {
		snprintf(err, errlen, "an Interface Description Block has "
		    "more than one %s", name);
		return -1;
	}
	if (olen != want) {
		snprintf(err, errlen, "an Interface Description Block has %s "
		    "of length %u != %u", name, (unsigned)olen, (unsigned)want);
		return -1;
	}
	*saw = true;
	return 0;
}

/* The options of an IDB, body[off, len) (len: without the trailer). */
static int
idb_options(const unsigned char *body, size_t off, size_t len, bool sw,
    struct pcapng_block *b, char *err, size_t errlen)
{
	bool saw_tsresol = false, saw_tsoffset = false;

	while (off < len) {
		uint16_t code, olen;
		const unsigned char *v;

		if (len - off < 4 || (code = wire_get16(body + off, sw),
		    olen = wire_get16(body + off + 2, sw),
		    len - off - 4 < pad4(olen))) {
			snprintf(err, errlen, "an option of an Interface "
			    "Description Block runs past the block");
			return -1;
		}
		v = body + off + 4;
		off += 4 + pad4(olen);
		switch (code) {
		case 0:		/* opt_endofopt */
			if (olen != 0) {
				snprintf(err, errlen, "an Interface "
				    "Description Block has opt_endofopt of "
				    "length %u != 0", (unsigned)olen);
				return -1;
			}
			return 0;
		case 2:		/* if_name */
			b->name = (struct pcapng_str){ v, olen };
			break;
		case 3:		/* if_description */
			b->descr = (struct pcapng_str){ v, olen };
			break;
		case 12:	/* if_os */
			b->os = (struct pcapng_str){ v, olen };
			break;
		case 9:		/* if_tsresol */
			if (idb_once(&saw_tsresol, olen, 1, "if_tsresol", err,
			    errlen) != 0)
				return -1;
			b->tsresol = v[0];
			break;
		case 14:	/* if_tsoffset */
			if (idb_once(&saw_tsoffset, olen, 8, "if_tsoffset", err,
			    errlen) != 0)
				return -1;
			b->tsoffset = (int64_t)wire_get64(v, sw);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* epb_flags from the options of an EPB at body[off, len); 0 if none. */
static uint32_t
epb_flags(const unsigned char *body, size_t off, size_t len, bool sw)
{
	while (off <= len && len - off >= 4) {
		uint16_t code = wire_get16(body + off, sw);
		uint16_t olen = wire_get16(body + off + 2, sw);

		if (code == 0 || len - off - 4 < pad4(olen))
			break;
		if (code == 2 && olen == 4)
			return wire_get32(body + off + 4, sw);
		off += 4 + pad4(olen);
	}
	return 0;
}

/* The body (len bytes, without header and trailer) of a packet block. */
static int
packet_body(const unsigned char *body, size_t len, bool sw,
    struct pcapng_block *b, char *err, size_t errlen)
{
	size_t fixed;

	b->flags = 0;
	switch (b->type) {
	case PCAPNG_BT_EPB:
	case PCAPNG_BT_PB:	/* the same, but a 16-bit interface id */
		fixed = 20;
		if (len < fixed)
			break;
		b->iface = b->type == PCAPNG_BT_EPB ? wire_get32(body, sw) :
		    wire_get16(body, sw);
		b->ts = (uint64_t)wire_get32(body + 4, sw) << 32 |
		    wire_get32(body + 8, sw);
		b->caplen = wire_get32(body + 12, sw);
		b->wirelen = wire_get32(body + 16, sw);
		goto data;
	default:	/* SPB */
		fixed = 4;
		if (len < fixed)
			break;
		b->iface = 0;
		b->ts = 0;
		b->wirelen = b->caplen = wire_get32(body, sw);
		b->room = (uint32_t)(len - fixed);
		b->data = body + fixed;
		return 0;
	}
	snprintf(err, errlen, "a block of type %u is too short (%zu bytes)",
	    (unsigned)b->type, len + HDR + TRAILER);
	return -1;
data:
	if (b->caplen > len - fixed) {
		snprintf(err, errlen, "a captured length of %u runs past its "
		    "block", (unsigned)b->caplen);
		return -1;
	}
	b->data = body + fixed;
	b->flags = b->type == PCAPNG_BT_EPB && len - fixed - b->caplen > 0 ?
	    epb_flags(body, fixed + pad4(b->caplen), len, sw) : 0;
	return 0;
}

/* The byte order of a section (an SHB's at p, 12 bytes): 0, or -1. */
static int
shb_order(const unsigned char *p, struct pcapng_section *s, char *err,
    size_t errlen)
{
	uint32_t bom = wire_get32(p + HDR, false);

	if (bom == PCAPNG_BYTE_ORDER || wire_swap32(bom) == PCAPNG_BYTE_ORDER) {
		s->swapped = bom != PCAPNG_BYTE_ORDER;
		return 0;
	}
	snprintf(err, errlen, "a Section Header Block has the byte-order "
	    "magic 0x%08x", (unsigned)bom);
	return -1;
}

ssize_t
pcapng_next(struct pcapng_section *s, const void *buf, size_t len,
    bool eof, struct pcapng_block *b, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	struct pcapng_section ns = *s;
	uint32_t tl, min = HDR + TRAILER, max = PCAPNG_MAXBLOCK;
	const unsigned char *body;
	size_t blen;

	b->need = 0;
	if (len == 0 && eof)
		return 0;
	if (len < HDR + 4) {
		if (!eof)
			return 0;
		goto truncated;
	}
	b->type = wire_get32(p, ns.swapped);
	if (b->type == PCAPNG_BT_SHB) {
		if (shb_order(p, &ns, err, errlen) != 0)
			return -1;
		min = HDR + 16 + TRAILER;
		max = PCAPNG_MAXSHB;
	} else if (!ns.started) {
		snprintf(err, errlen, "the file does not start with a Section "
		    "Header Block");
		return -1;
	}
	tl = wire_get32(p + 4, ns.swapped);
	if (tl < min || tl % 4 != 0 || tl > max) {
		snprintf(err, errlen, "a block of type 0x%08x has a total "
		    "length of %u (%s)", (unsigned)b->type, (unsigned)tl,
		    tl % 4 != 0 ? "not a multiple of 4" : tl < min ?
		    "too short" : "too long");
		return -1;
	}
	if (len < tl) {
		b->need = tl;
		if (!eof)
			return 0;
		goto truncated;
	}
	if (wire_get32(p + tl - TRAILER, ns.swapped) != tl) {
		snprintf(err, errlen, "a block's total length is %u, its "
		    "trailer says %u", (unsigned)tl,
		    (unsigned)wire_get32(p + tl - TRAILER, ns.swapped));
		return -1;
	}
	body = p + HDR;
	blen = tl - HDR - TRAILER;
	switch (b->type) {
	case PCAPNG_BT_SHB:
		b->major = wire_get16(body + 4, ns.swapped);
		b->minor = wire_get16(body + 6, ns.swapped);
		if (b->major != 1) {
			snprintf(err, errlen, "pcapng version %u.%u is not "
			    "supported", (unsigned)b->major,
			    (unsigned)b->minor);
			return -1;
		}
		ns.started = true;
		break;
	case PCAPNG_BT_IDB:
		if (blen < 8) {
			snprintf(err, errlen, "an Interface Description Block "
			    "is too short (%u bytes)", (unsigned)tl);
			return -1;
		}
		/* then 16 reserved bits, which readers ignore (the draft) */
		b->linktype = wire_get16(body, ns.swapped);
		b->snaplen = wire_get32(body + 4, ns.swapped);
		b->name = b->descr = b->os = (struct pcapng_str){ NULL, 0 };
		b->tsresol = 6;
		b->tsoffset = 0;
		if (idb_options(body, 8, blen, ns.swapped, b, err, errlen) != 0)
			return -1;
		break;
	case PCAPNG_BT_EPB:
	case PCAPNG_BT_SPB:
	case PCAPNG_BT_PB:
		if (packet_body(body, blen, ns.swapped, b, err, errlen) != 0)
			return -1;
		break;
	default:
		break;
	}
	*s = ns;
	return (ssize_t)tl;
truncated:
	if (b->need == 0)
		snprintf(err, errlen, "truncated pcapng file: %zu bytes of "
		    "a block header", len);
	else
		snprintf(err, errlen, "truncated pcapng file: a block of %u "
		    "bytes, only %zu left", (unsigned)b->need, len);
	return -1;
}

int
pcapng_clock_init(struct pcapng_clock *c, uint8_t tsresol, int64_t tsoffset,
    char *err, size_t errlen)
{
	unsigned n = tsresol & 0x7fu;

	memset(c, 0, sizeof(*c));
	c->offset_s = tsoffset;
	c->tsresol = 9;
	if (tsresol & 0x80u) {
		if (n > 63) {
			snprintf(err, errlen, "if_tsresol 2^-%u is too fine "
			    "for 64-bit stamps", n);
			return -1;
		}
		c->units = (uint64_t)1 << n;
		c->shift = (uint8_t)n;
		if (n == 0) {		/* whole seconds */
			c->mult = 1000000000u;
		}
		return 0;
	}
	if (n > 19) {
		snprintf(err, errlen, "if_tsresol 10^-%u is too fine for "
		    "64-bit stamps", n);
		return -1;
	}
	c->units = 1;
	for (unsigned i = 0; i < n; i++)
		c->units *= 10;
	if (n <= 9) {
		c->tsresol = (uint8_t)n;
		c->mult = 1000000000u / c->units;
	} else {
		c->div = c->units / 1000000000u;
	}
	return 0;
}
