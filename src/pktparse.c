/*
 * pktparse.c - where a packet's headers are (pktparse.h).
 *
 * One pass from the link layer inwards, no recursion: each step reads a
 * header at an offset (bounded by caplen), records it, and says what
 * follows (a network protocol by ethertype, an IP header, a transport
 * protocol) or that the parse ended, understood or not.  Tunnels (GRE,
 * IP-in-IP, 6in4, 4in6, 6in6) and the packet an ICMP error quotes loop
 * back to the IP step, at most PKT_MAX_IP times.
 */
#include "config.h"

#include <string.h>

#include "pktparse.h"

/* link types (LINKTYPE_ values, and the DLT_ ones that differ) */
#define LT_NULL		0
#define LT_EN10MB	1
#define LT_DLT_RAW	12	/* DLT_RAW on most systems */
#define LT_DLT_RAW_BSD	14	/* DLT_RAW on OpenBSD */
#define LT_RAW		101
#define LT_LOOP		108
#define LT_LINUX_SLL	113
#define LT_IPV4		228
#define LT_IPV6		229
#define LT_LINUX_SLL2	276

#define ETH_IPV4	0x0800
#define ETH_ARP		0x0806
#define ETH_VLAN	0x8100
#define ETH_IPV6	0x86dd
#define ETH_MPLS	0x8847
#define ETH_MPLS_MC	0x8848
#define ETH_QINQ	0x88a8
#define ETH_QINQ_OLD	0x9100
#define ETH_TEB		0x6558	/* GRE: transparent Ethernet bridging */

#define ETHER_MAX	16	/* ethertype steps (tags, labels, TEB) at most */

struct parse {
	const uint8_t		*p;
	uint32_t		 caplen;
	struct pkt_layout	*out;
	uint32_t		 icmp_at;	/* an error quoting what follows */
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Whether n bytes at off are within the packet. */
static bool
have(const struct parse *ps, uint32_t off, uint32_t n)
{
	return off <= ps->caplen && n <= ps->caplen - off;
}

/* The parse ended at end: known (understood) or not. */
static void
done(struct parse *ps, uint32_t end, bool understood)
{
	ps->out->hdr_end = end;
	ps->out->understood = understood;
}

/* What follows a header: what next names at off. */
enum next {
	NEXT_END,	/* done() was called */
	NEXT_ETHER,	/* an ethertype (*type) at off */
	NEXT_IP,	/* an IP header (version by its first nibble) */
};

/*
 * An ethertype type whose payload starts at off (after VLAN tags and MPLS
 * labels are taken off): where its network header is.
 */
static enum next
ether_step(struct parse *ps, uint32_t *off, uint16_t *type)
{
	uint32_t o = *off;

	switch (*type) {
	case ETH_VLAN:
	case ETH_QINQ:
	case ETH_QINQ_OLD:
		if (!have(ps, o, 4)) {
			done(ps, o, false);
			return NEXT_END;
		}
		*type = rd16(ps->p + o + 2);
		*off = o + 4;
		return NEXT_ETHER;
	case ETH_MPLS:
	case ETH_MPLS_MC:
		/* the label stack to the bottom-of-stack bit, then IP by
		 * its first nibble (a control word or Ethernet: not known) */
		for (;;) {
			if (!have(ps, o, 4)) {
				done(ps, o, false);
				return NEXT_END;
			}
			o += 4;
			if (ps->p[o - 2] & 0x01)
				break;
		}
		*off = o;
		if (have(ps, o, 1) && (ps->p[o] >> 4 == 4 ||
		    ps->p[o] >> 4 == 6))
			return NEXT_IP;
		done(ps, o, false);
		return NEXT_END;
	case ETH_IPV4:
	case ETH_IPV6:
		return NEXT_IP;
	case ETH_ARP:
		if (!have(ps, o, 8)) {
			done(ps, o, false);
			return NEXT_END;
		}
		ps->out->arp_off = o;
		{
			/* header, then sender and target hardware and
			 * protocol addresses */
			uint32_t len = 8 + 2u * ((uint32_t)ps->p[o + 4] +
			    ps->p[o + 5]);

			if (have(ps, o, len))
				done(ps, o + len, true);
			else
				done(ps, o + 8, false);
		}
		return NEXT_END;
	default:
		done(ps, o, false);
		return NEXT_END;
	}
}

/* The Ethernet header at off (also inside GRE). */
static enum next
ether_header(struct parse *ps, uint32_t *off, uint16_t *type)
{
	if (!have(ps, *off, 14)) {
		done(ps, *off, false);
		return NEXT_END;
	}
	*type = rd16(ps->p + *off + 12);
	*off += 14;
	return NEXT_ETHER;
}

/* The link-layer header: what follows it, at *off. */
static enum next
link_header(struct parse *ps, int linktype, uint32_t *off, uint16_t *type)
{
	uint32_t af;

	*off = 0;
	switch (linktype) {
	case LT_EN10MB:
		return ether_header(ps, off, type);
	case LT_LINUX_SLL:
		if (!have(ps, 0, 16))
			break;
		*type = rd16(ps->p + 14);
		*off = 16;
		return NEXT_ETHER;
	case LT_LINUX_SLL2:
		if (!have(ps, 0, 20))
			break;
		*type = rd16(ps->p);
		*off = 20;
		return NEXT_ETHER;
	case LT_DLT_RAW:
	case LT_DLT_RAW_BSD:
	case LT_RAW:
	case LT_IPV4:
	case LT_IPV6:
		return NEXT_IP;
	case LT_NULL:
	case LT_LOOP:
		/* the address family: host order of the capturing machine
		 * (NULL) or network order (LOOP); either order will do */
		if (!have(ps, 0, 4))
			break;
		af = (uint32_t)ps->p[0] | (uint32_t)ps->p[3];
		*off = 4;
		if ((ps->p[1] | ps->p[2]) == 0 && (ps->p[0] == 0 ||
		    ps->p[3] == 0) && (af == 2 || af == 10 || af == 24 ||
		    af == 28 || af == 30))
			return NEXT_IP;
		done(ps, 4, false);
		return NEXT_END;
	default:
		break;
	}
	done(ps, 0, false);
	return NEXT_END;
}

/*
 * The IP header at off, into ps->out->ip[k]: its length (IPv6 with its
 * extension headers), protocol and fragment.  false (done() called) when
 * it is cut short or not IP.
 */
static bool
ip_header(struct parse *ps, uint32_t off, struct pkt_ip *ip)
{
	const uint8_t *p = ps->p;
	uint32_t o;
	uint8_t nh;

	memset(ip, 0, sizeof(*ip));
	ip->off = off;
	if (!have(ps, off, 1)) {
		done(ps, off, false);
		return false;
	}
	ip->ver = p[off] >> 4;
	if (ip->ver == 4) {
		uint32_t hl = (uint32_t)(p[off] & 0x0f) * 4;

		if (hl < 20 || !have(ps, off, hl)) {
			done(ps, off, false);
			return false;
		}
		ip->hlen = hl;
		ip->proto = p[off + 9];
		ip->later_frag = (rd16(p + off + 6) & 0x1fff) != 0;
		return true;
	}
	if (ip->ver != 6 || !have(ps, off, 40)) {
		done(ps, off, false);
		return false;
	}
	nh = p[off + 6];
	for (o = off + 40;;) {
		uint32_t len;

		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (!have(ps, o, 2))
				goto cut;
			len = ((uint32_t)p[o + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if (!have(ps, o, 8))
				goto cut;
			len = 8;
			if ((rd16(p + o + 2) & 0xfff8) != 0)
				ip->later_frag = true;
			break;
		case 51:	/* AH */
			if (!have(ps, o, 2))
				goto cut;
			len = ((uint32_t)p[o + 1] + 2) * 4;
			break;
		default:
			ip->hlen = o - off;
			ip->proto = nh;
			return true;
		}
		if (!have(ps, o, len))
			goto cut;
		nh = p[o];
		o += len;
		if (ip->later_frag) {
			/* what follows the fragment header is not a header */
			ip->hlen = o - off;
			ip->proto = nh;
			return true;
		}
	}
cut:
	done(ps, o, false);
	return false;
}

/* ICMP/ICMPv6 types of error messages, which quote the packet at fault. */
static bool
icmp_error(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 3 || type == 4 || type == 5 || type == 11 ||
		    type == 12;
	return type >= 1 && type <= 4;
}

/*
 * The GRE header at o: its length (flags say which optional fields),
 * and what it carries (*type: an ethertype).  0 when it is cut short or
 * of a kind not known (done() called).
 */
static uint32_t
gre_header(struct parse *ps, uint32_t o, uint16_t *type)
{
	const uint8_t *p = ps->p;
	uint16_t flags;
	uint32_t len = 4;

	if (!have(ps, o, 4)) {
		done(ps, o, false);
		return 0;
	}
	flags = rd16(p + o);
	if ((flags & 0x4000) != 0 || (flags & 0x0007) > 1) {
		/* source routing (RFC 1701), unknown versions */
		done(ps, o, false);
		return 0;
	}
	if (flags & 0x8000)
		len += 4;	/* checksum and offset */
	if (flags & 0x2000)
		len += 4;	/* key (PPTP's version 1: always) */
	if (flags & 0x1000)
		len += 4;	/* sequence number */
	if ((flags & 0x0007) == 1 && (flags & 0x0080))
		len += 4;	/* PPTP's acknowledgment */
	if (!have(ps, o, len)) {
		done(ps, o, false);
		return 0;
	}
	*type = rd16(p + o + 2);
	return len;
}

/*
 * The transport header of ps->out->ip[k] at o.  Returns NEXT_END (done()
 * called) or what follows: an IP header at *off (a tunnel, a quoted
 * packet; *quoted set for the latter) or an ethertype *type at *off.
 */
static enum next
transport(struct parse *ps, unsigned k, uint32_t *off, uint16_t *type,
    bool *quoted)
{
	struct pkt_ip *ip = &ps->out->ip[k];
	const uint8_t *p = ps->p;
	uint32_t o = ip->off + ip->hlen;
	uint32_t len;

	if (ip->later_frag || (ip->ver == 6 && ip->proto == 59)) {
		/* no transport header: a later fragment, IPv6's "no next
		 * header" */
		done(ps, o, true);
		return NEXT_END;
	}
	if (ip->proto == 4 || ip->proto == 41) {
		/* IP-in-IP, 6in4, 4in6, 6in6 */
		*off = o;
		return NEXT_IP;
	}
	if (have(ps, o, 1))
		ip->l4_off = o;
	switch (ip->proto) {
	case 6:		/* TCP: the data offset */
		if (!have(ps, o, 13) || (len = (uint32_t)(p[o + 12] >> 4) * 4)
		    < 20)
			goto cut;
		break;
	case 17:	/* UDP */
	case 136:	/* UDP-Lite */
	case 50:	/* ESP: SPI and sequence number, the rest sealed */
		len = 8;
		break;
	case 132:	/* SCTP: the common header */
		len = 12;
		break;
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		len = 8;
		if (!have(ps, o, len))
			goto cut;
		if (!ip->quoted && icmp_error(ip->proto, p[o]) &&
		    have(ps, o + len, 1)) {
			ps->icmp_at = o;
			*off = o + len;
			*quoted = true;
			return NEXT_IP;
		}
		break;
	case 47:	/* GRE */
		if ((len = gre_header(ps, o, type)) == 0)
			return NEXT_END;
		*off = o + len;
		if (*type == ETH_TEB)
			return ether_header(ps, off, type);
		if (*type == ETH_IPV4 || *type == ETH_IPV6 ||
		    *type == ETH_MPLS || *type == ETH_MPLS_MC)
			return NEXT_ETHER;
		done(ps, o + len, false);
		return NEXT_END;
	default:
		done(ps, o, false);
		return NEXT_END;
	}
	if (!have(ps, o, len))
		goto cut;
	done(ps, o + len, true);
	return NEXT_END;
cut:
	if (ip->quoted && ps->caplen > o) {
		/* an error quotes as much as fits: a transport header cut
		 * at the end of the packet is all header */
		done(ps, ps->caplen, true);
		return NEXT_END;
	}
	done(ps, o, false);
	return NEXT_END;
}

void
pkt_parse(int linktype, const uint8_t *p, uint32_t caplen,
    struct pkt_layout *out)
{
	struct parse ps = { .p = p, .caplen = caplen, .out = out };
	enum next next;
	uint32_t off = 0;
	uint16_t type = 0;
	bool quoted = false;
	unsigned vlans = 0;

	memset(out, 0, sizeof(*out));
	next = link_header(&ps, linktype, &off, &type);
	for (;;) {
		switch (next) {
		case NEXT_END:
			return;
		case NEXT_ETHER:
			if (++vlans > ETHER_MAX) {
				done(&ps, off, false);
				return;
			}
			next = ether_step(&ps, &off, &type);
			break;
		case NEXT_IP:
			if (out->nip == PKT_MAX_IP) {
				done(&ps, off, false);
				return;
			}
			if (!ip_header(&ps, off, &out->ip[out->nip]))
				return;
			out->ip[out->nip].quoted = quoted;
			if (quoted && out->icmp_off == 0)
				out->icmp_off = ps.icmp_at;
			next = transport(&ps, out->nip++, &off, &type,
			    &quoted);
			break;
		}
	}
}
