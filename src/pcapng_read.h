/*
 * pcapng_read.h - a parser for pcapng files (draft-ietf-opsawg-pcapng),
 * block by block, for input_pcapng.c's reader.
 *
 * Pure functions over caller-supplied bytes: no I/O, no allocation, no
 * threads (the pcapfile.h of pcapng).  It knows sections (each with its
 * own byte order), Interface Description Blocks with the options a reader
 * needs, the three packet blocks (enhanced, simple, obsolete) and skips
 * every other block by its length.  What a section's interface ids mean
 * (and so a packet's stamp in nanoseconds, pcapng_clock_ns()) is the
 * caller's to keep.
 */
#ifndef MTRACECAP_PCAPNG_READ_H
#define MTRACECAP_PCAPNG_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PCAPNG_BT_SHB		0x0A0D0D0Au	/* also the file's magic */
#define PCAPNG_BT_IDB		1u
#define PCAPNG_BT_PB		2u	/* obsolete Packet Block */
#define PCAPNG_BT_SPB		3u
#define PCAPNG_BT_EPB		6u
#define PCAPNG_BYTE_ORDER	0x1A2B3C4Du
/* the largest block read (libpcap's limit too); an SHB at most 1 MiB */
#define PCAPNG_MAXBLOCK		(16u << 20)
#define PCAPNG_MAXSHB		(1u << 20)

/* The section being read: set by its SHB. */
struct pcapng_section {
	bool		started;	/* an SHB was read */
	bool		swapped;	/* in the other byte order */
};

/* A string option: bytes into the block (not NUL-terminated), or len 0. */
struct pcapng_str {
	const unsigned char	*p;
	uint16_t		 len;
};

/* One block as parsed: which fields are set depends on type. */
struct pcapng_block {
	uint32_t		 type;
	uint32_t		 need;		/* pcapng_next() returned 0:
						 * bytes the block needs */
	/* SHB */
	uint16_t		 major, minor;
	/* IDB */
	uint16_t		 linktype;
	uint32_t		 snaplen;	/* as in the file */
	struct pcapng_str	 name, descr, os;
	uint8_t			 tsresol;	/* if_tsresol; 6 when absent */
	int64_t			 tsoffset;	/* if_tsoffset (seconds) */
	/* EPB, PB (SPB: iface 0, no stamp, caplen = wirelen) */
	uint32_t		 iface;
	uint64_t		 ts;		/* in the interface's units */
	uint32_t		 caplen, wirelen;
	uint32_t		 room;		/* SPB: data bytes it holds */
	uint32_t		 flags;		/* epb_flags, 0 if none */
	const unsigned char	*data;
};

/*
 * Parse the block at the start of buf[0, len); eof says nothing follows
 * buf in the file.  s is the section so far (zeroed before the first
 * block, which must be an SHB); an SHB updates it.  Returns the block's
 * length (> 0) and fills *b; 0 when buf holds only part of a block and
 * !eof (b->need: the bytes the block needs, 0 while its header is
 * incomplete), or nothing at all at eof (the clean end); -1 for a
 * malformed or truncated block, with the reason in err.
 */
ssize_t pcapng_next(struct pcapng_section *s, const void *buf, size_t len,
    bool eof, struct pcapng_block *b, char *err, size_t errlen);

/*
 * How an interface's stamps become nanoseconds since the epoch: from its
 * if_tsresol and if_tsoffset (pcapng_clock_init).  tsresol is what the
 * interface keeps in an output: its decimal digits when at most 9 (the
 * stamps convert exactly), else 9 (they convert rounding down).
 */
struct pcapng_clock {
	uint64_t	mult;		/* ns per unit; 0: divide */
	uint64_t	units;		/* units per second (10^n or 2^n) */
	uint64_t	div;		/* decimal n > 9: units per ns */
	uint8_t		shift;		/* binary: n of 2^-n; else 0 */
	uint8_t		tsresol;
	int64_t		offset_s;
};

/* 0, or -1 with err for an if_tsresol no 64-bit clock holds (10^-n with
 * n > 19, 2^-n with n > 63). */
int pcapng_clock_init(struct pcapng_clock *c, uint8_t tsresol,
    int64_t tsoffset, char *err, size_t errlen);

/*
 * Stamp t of an interface with clock c in nanoseconds since the epoch;
 * UINT64_MAX when that does not fit 64 bits or falls before the epoch
 * (saturated, never wrapped: the writer counts such stamps).  Inline:
 * once per packet.
 */
static inline uint64_t
pcapng_clock_ns(const struct pcapng_clock *c, uint64_t t)
{
	__extension__ typedef unsigned __int128 u128;
	uint64_t ns, sec, frac, off;

	if (c->mult != 0) {
		if (t > UINT64_MAX / c->mult)
			return UINT64_MAX;
		ns = t * c->mult;
	} else {
		sec = t / c->units;
		frac = t % c->units;
		if (c->shift != 0)
			frac = (uint64_t)(((u128)frac * 1000000000u) >>
			    c->shift);
		else
			frac /= c->div;
		if (sec > (UINT64_MAX - frac) / 1000000000u)
			return UINT64_MAX;
		ns = sec * 1000000000u + frac;
	}
	if (c->offset_s == 0)
		return ns;
	off = c->offset_s > 0 ? (uint64_t)c->offset_s :
	    -(uint64_t)c->offset_s;
	if (off > UINT64_MAX / 1000000000u)
		return UINT64_MAX;
	off *= 1000000000u;
	if (c->offset_s > 0)
		return ns > UINT64_MAX - off ? UINT64_MAX : ns + off;
	return ns < off ? UINT64_MAX : ns - off;
}

#endif
