/*
 * anon.c - address anonymisation of a packet in its queue slot (anon.h).
 *
 * Checksums: every change made to the slot is kept as an *edit* (its
 * offset and its RFC 1624 delta).  A checksum field covering the packet
 * from some offset to its end (TCP, UDP, ICMP, ICMPv6, GRE) is updated by
 * the edits at or after that offset plus, for those with a pseudo-header,
 * its own IP header's address changes.  The IP headers are done innermost
 * first, so that an ICMP error's checksum sees the quoted header's new
 * addresses and checksums, and a GRE checksum its inner packet's.
 *
 * A checksum cannot be updated over an address that lies (partly) beyond
 * cl: its new bytes are not known, and keeping the old sum would carry the
 * original ones.  Such a checksum is zeroed; so is an IPv4 header's whose
 * own addresses are cut.  Every checksum is updated, none recomputed: a
 * right one comes out as recomputing would make it, a wrong one stays
 * wrong, and a cut packet gets what its whole form would.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "anon.h"
#include "cksum.h"
#include "cryptopan.h"
#include "log.h"
#include "options.h"

#define NONE		UINT32_MAX
#define EDITS_MAX	48	/* (PKT_MAX_IP + 1) * 6 and the zeroing */

struct anon {
	enum options_anon_method method;
	bool		 src, dst;	/* which addresses */
	unsigned	 v4bits, v6bits; /* prefix: */
	uint8_t		 key[CRYPTOPAN_KEY_LEN];
	char		 note[ANON_NOTE_MAX];
};

struct anon_ctx {
	const struct anon *a;
	struct cryptopan *cp;		/* cryptopan: only */
};

/* What one packet's rewriting changed so far. */
struct edits {
	unsigned	 n;
	uint32_t	 off[EDITS_MAX];
	uint16_t	 delta[EDITS_MAX];
	uint32_t	 hidden;	/* the first address to rewrite that is
					 * not all in the slot, or NONE */
	uint32_t	 end;		/* nothing of the packet lies past it
					 * (what the parser understood ends a
					 * quote cut short), or NONE */
};

int
anon_create(const struct config *cfg, struct anon **out, char *err,
    size_t errlen)
{
	const struct options_anon *o = &cfg->anon;
	const char *which;
	struct anon *a;
	char kerr[1024], id[CRYPTOPAN_ID_LEN];

	*out = NULL;
	if (o->method == ANON_NONE)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		log_seterr(err, errlen, "--anonymize: out of memory");
		return -1;
	}
	a->method = o->method;
	a->src = o->only != ANON_DST;
	a->dst = o->only != ANON_SRC;
	which = o->only == ANON_SRC ? "src only" : o->only == ANON_DST ?
	    "dst only" : "src and dst";
	if (a->method == ANON_CRYPTOPAN) {
		if (cryptopan_key_load(o->keyfile, a->key, kerr,
		    sizeof(kerr)) != 0) {
			log_seterr(err, errlen, "--anonymize: %s", kerr);
			anon_destroy(a);
			return -1;
		}
		cryptopan_key_id(a->key, id);
		(void)snprintf(a->note, sizeof(a->note), "cryptopan (key "
		    "sha256 %s), %s", id, which);
	} else {
		a->v4bits = o->v4bits;
		a->v6bits = o->v6bits;
		(void)snprintf(a->note, sizeof(a->note), "prefix %u,%u, %s",
		    a->v4bits, a->v6bits, which);
	}
	*out = a;
	return 0;
}

void
anon_destroy(struct anon *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

const char *
anon_note(const struct anon *a)
{
	return a->note;
}

struct anon_ctx *
anon_ctx_create(const struct anon *a, char *err, size_t errlen)
{
	struct anon_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		log_seterr(err, errlen, "--anonymize: out of memory");
		return NULL;
	}
	c->a = a;
	if (a->method == ANON_CRYPTOPAN &&
	    (c->cp = cryptopan_create(a->key, err, errlen)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
anon_ctx_destroy(struct anon_ctx *c)
{
	if (c == NULL)
		return;
	cryptopan_destroy(c->cp);
	free(c);
}

/* --- edits ------------------------------------------------------------- */

static void
edit_add(struct edits *e, uint32_t off, uint16_t delta)
{
	if (e->n < EDITS_MAX) {
		e->off[e->n] = off;
		e->delta[e->n++] = delta;
	} else if (e->hidden == NONE || off < e->hidden) {
		/* cannot happen (EDITS_MAX bounds what a layout holds);
		 * were it to, covering checksums are zeroed, not wrong */
		e->hidden = off;
	}
}

/* The delta of every edit at or after start, for a sum from start. */
static uint16_t
edits_from(const struct edits *e, uint32_t start)
{
	uint16_t s = 0;

	for (unsigned i = 0; i < e->n; i++)
		if (e->off[i] >= start)
			s = cksum_add(s, (e->off[i] - start) & 1 ?
			    cksum_swap(e->delta[i]) : e->delta[i]);
	return s;
}

/* --- addresses --------------------------------------------------------- */

/* The n-byte address at p (4 or 16) anonymised in place; only its first
 * have bytes are there (the rest counts as zero: the first bits of a
 * result depend on the first bits of the address alone). */
static void
map_addr(struct anon_ctx *c, uint8_t *p, unsigned n, unsigned have)
{
	const struct anon *a = c->a;
	uint8_t in[16] = { 0 }, out[16];

	memcpy(in, p, have);
	if (a->method == ANON_CRYPTOPAN && n == 4) {
		uint32_t v = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
		    (uint32_t)in[2] << 8 | in[3];

		(void)cryptopan_v4(c->cp, v, &v);	/* 0 on failure */
		out[0] = (uint8_t)(v >> 24);
		out[1] = (uint8_t)(v >> 16);
		out[2] = (uint8_t)(v >> 8);
		out[3] = (uint8_t)v;
	} else if (a->method == ANON_CRYPTOPAN) {
		(void)cryptopan_v6(c->cp, in, out);	/* 0s on failure */
	} else {
		unsigned keep = n == 4 ? a->v4bits : a->v6bits;

		for (unsigned i = 0; i < n; i++) {
			unsigned b = i * 8;

			out[i] = b + 8 <= keep ? in[i] : b >= keep ? 0 :
			    (uint8_t)(in[i] & (0xff00u >> (keep - b)));
		}
	}
	memcpy(p, out, have);
}

/*
 * The n-byte address at off, if on: rewritten as far as it lies in the
 * slot; a whole one's delta is an edit and is added to *ps (the
 * pseudo-header's), a cut one is e->hidden.
 */
static void
do_addr(struct anon_ctx *c, struct edits *e, uint8_t *data, uint32_t cl,
    uint32_t off, unsigned n, bool on, uint16_t *ps)
{
	uint8_t old[16];
	unsigned have;
	uint16_t d;

	if (!on)
		return;
	have = off >= cl ? 0 : cl - off < n ? cl - off : n;
	if (have < n && (e->hidden == NONE || off < e->hidden))
		e->hidden = off;
	if (have == 0)
		return;
	memcpy(old, data + off, have);
	map_addr(c, data + off, n, have);
	if (have < n)
		return;
	d = cksum_delta(old, data + off, n);
	edit_add(e, off, d);
	*ps = cksum_add(*ps, d);
}

/* Mark what lies at off (a checksum to change beyond the slot) as not
 * known to the checksums covering it. */
static void
hide(struct edits *e, uint32_t off)
{
	if (e->hidden == NONE || off < e->hidden)
		e->hidden = off;
}

/*
 * A checksum field at pos that is not all in the slot, to change by
 * delta: a change beyond it is hidden from the checksums around (unless
 * the packet ends before it: a quoted TCP header's); the half that is in
 * the slot is zeroed (its other half and so its update are not known).
 * true when the field is not all in the slot.
 */
static bool
csum_cut(struct edits *e, uint8_t *data, uint32_t cl, uint32_t pos,
    uint16_t delta)
{
	if (pos < cl && cl - pos >= 2)
		return false;
	if (pos + 2 <= e->end && ((e->hidden != NONE && e->hidden < pos) ||
	    (delta != 0 && delta != 0xffff)))
		hide(e, pos);
	if (pos + 1 == cl)
		data[pos] = 0;
	return true;
}

/*
 * The checksum field at pos covering the packet from start to its end,
 * plus a pseudo-header whose change is ps: updated by the edits from
 * start on, or zeroed when an address in its coverage is cut.  udp: a 0
 * means none and stays, a result of 0 is sent as ffff (RFC 768).
 */
static void
fix_csum(struct edits *e, uint8_t *data, uint32_t cl, uint32_t pos,
    uint32_t start, uint16_t ps, bool udp)
{
	uint16_t old, new, d = cksum_add(ps, edits_from(e, start));

	if (csum_cut(e, data, cl, pos, d))
		return;
	old = cksum_get(data + pos);
	if (udp && old == 0)
		return;
	if (e->hidden != NONE && e->hidden >= start) {
		new = 0;
	} else {
		new = cksum_update(old, d);
		if (udp && new == 0)
			new = 0xffff;
	}
	if (new == old)
		return;
	cksum_put(data + pos, new);
	edit_add(e, pos, cksum_delta16(old, new));
}

/*
 * The IPv4 header at off whose addresses changed by ps: updated, which
 * for a header whose checksum was right gives what recomputing gives
 * (RFC 1624: a header never sums to +0), and keeps a wrong one wrong (a
 * capture does not repair packets), whether or not all of it is in the
 * slot.
 */
static void
ipv4_csum(struct edits *e, uint8_t *data, uint32_t cl, uint32_t off,
    uint16_t ps)
{
	uint32_t pos = off + 10;
	uint16_t old, new;

	if (csum_cut(e, data, cl, pos, ps))
		return;
	old = cksum_get(data + pos);
	if (e->hidden != NONE && e->hidden < off + 20) {
		new = 0;
	} else {
		new = cksum_update(old, ps);
	}
	cksum_put(data + pos, new);
	if (new != old)
		edit_add(e, pos, cksum_delta16(old, new));
}

/* The IP header ip (cut: parsed no further than its start) and the
 * checksums its addresses count in. */
static void
anon_ip(struct anon_ctx *c, struct edits *e, const struct pkt_ip *ip,
    bool cut, uint8_t *data, uint32_t cl)
{
	const struct anon *a = c->a;
	bool v4 = ip->ver == 4;
	unsigned n = v4 ? 4 : 16;
	uint32_t src = ip->off + (v4 ? 12 : 8), l4 = ip->l4_off;
	uint16_t ps = 0;

	/* a quoted packet went the other way: its dst is our src */
	do_addr(c, e, data, cl, src, n, ip->quoted ? a->dst : a->src, &ps);
	do_addr(c, e, data, cl, src + n, n, ip->quoted ? a->src : a->dst,
	    &ps);
	if (!cut && !ip->later_frag && l4 != 0) {
		switch (ip->proto) {
		case 6:		/* TCP */
			fix_csum(e, data, cl, l4 + 16, l4, ps, false);
			break;
		case 17:	/* UDP */
		case 136:	/* UDP-Lite */
			fix_csum(e, data, cl, l4 + 6, l4, ps, true);
			break;
		case 58:	/* ICMPv6 */
			fix_csum(e, data, cl, l4 + 2, l4, ps, false);
			break;
		case 1:		/* ICMP: over the message only (a quote) */
			fix_csum(e, data, cl, l4 + 2, l4, 0, false);
			break;
		case 47:	/* GRE with its checksum present */
			if (l4 < cl && (data[l4] & 0x80) != 0)
				fix_csum(e, data, cl, l4 + 4, l4, 0, false);
			break;
		default:
			break;
		}
	}
	if (v4)
		ipv4_csum(e, data, cl, ip->off, ps);
}

/* ARP at o: the protocol addresses of IPv4 over any hardware; anything
 * else is zeroed past the fixed header. */
static void
anon_arp(struct anon_ctx *c, struct edits *e, uint8_t *data, uint32_t cl,
    uint32_t o)
{
	uint16_t ps = 0;
	uint32_t hl;

	if (o >= cl || cl - o <= 8)
		return;
	hl = data[o + 4];
	if (cksum_get(data + o + 2) == 0x0800 && data[o + 5] == 4) {
		do_addr(c, e, data, cl, o + 8 + hl, 4, c->a->src, &ps);
		do_addr(c, e, data, cl, o + 8 + 2 * hl + 4, 4, c->a->dst,
		    &ps);
		return;
	}
	memset(data + o + 8, 0, cl - o - 8);
}

/* Transport protocols whose header holds no address: one cut short
 * ends a parse with nothing unknown after it. */
static bool
addressless(uint8_t proto)
{
	switch (proto) {
	case 1: case 6: case 17: case 47: case 50: case 58: case 132:
	case 136:
		return true;
	default:
		return false;
	}
}

/*
 * Where the bytes the parser did not understand start (to be zeroed), or
 * NONE: understood, or the parse ended at a header cut short by the
 * capture (nothing follows it; *cut says when that is an IP header,
 * ip[nip], whose start pktparse.h records).
 */
static uint32_t
unknown_from(const struct pkt_layout *lay, const uint8_t *data, uint32_t cl,
    bool *cut)
{
	const struct pkt_ip *last;

	*cut = false;
	if (lay->understood || lay->arp_off != 0)
		return NONE;
	if (lay->nip < PKT_MAX_IP && (lay->ip[lay->nip].ver == 4 ||
	    lay->ip[lay->nip].ver == 6)) {
		*cut = true;
		return NONE;
	}
	if (lay->nip == 0)
		return lay->hdr_end;
	last = &lay->ip[lay->nip - 1];
	if (last->l4_off == 0 || lay->hdr_end != last->l4_off ||
	    !addressless(last->proto))
		return lay->hdr_end;
	/* GRE the parser refused (source routing, a version it does not
	 * know) rather than one cut short: what it carries is unknown; so it
	 * is when its flags lie past cl (cl: nothing to zero, but what is
	 * around it cannot be updated) */
	if (last->proto != 47)
		return NONE;
	if (last->l4_off >= cl || cl - last->l4_off < 2)
		return cl;
	if ((data[last->l4_off] & 0x40) != 0 ||
	    (data[last->l4_off + 1] & 0x07) > 1)
		return last->l4_off + 4 < cl ? last->l4_off + 4 : cl;
	return NONE;
}

void
anon_apply(const struct anon *a, struct anon_ctx *c,
    const struct pkt_layout *lay, uint8_t *data, uint32_t cl)
{
	struct edits e = { .n = 0, .hidden = NONE,
	    .end = lay->understood ? lay->hdr_end : NONE };
	uint32_t z;
	bool cut;

	(void)a;
	if ((z = unknown_from(lay, data, cl, &cut)) != NONE) {
		/* zeroed to the packet's end, past cl too: what a checksum
		 * around it would become is not known here */
		if (z < cl)
			memset(data + z, 0, cl - z);
		hide(&e, z);
	}
	/* (inside GRE's transparent Ethernet, ARP has IP headers around) */
	if (lay->arp_off != 0)
		anon_arp(c, &e, data, cl, lay->arp_off);
	if (cut) {
		struct pkt_ip ip = lay->ip[lay->nip];

		/* the parser sets quoted on whole headers only */
		ip.quoted = lay->icmp_off != 0 && ip.off > lay->icmp_off;
		anon_ip(c, &e, &ip, true, data, cl);
	}
	for (unsigned k = lay->nip; k-- > 0;)
		anon_ip(c, &e, &lay->ip[k], false, data, cl);
}
