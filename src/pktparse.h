/*
 * pktparse.h - where a packet's headers are: a pure parser (no
 * allocation, no state, any thread) from the link layer down to the
 * innermost transport header, for --headers-only (pkt_xform.c) and the
 * address anonymiser (anon.c).
 *
 * Link types are the LINKTYPE_ values the queue records carry (the
 * backends turn libpcap's DLT_ numbers into them): EN10MB (802.1Q, QinQ,
 * MPLS label stacks), LINUX_SLL, LINUX_SLL2, raw IP (12, 14, 101, 228,
 * 229), NULL and LOOP.  Then IPv4 (options, fragments), IPv6 and its
 * extension headers (hop-by-hop, routing, fragment, destination options,
 * AH), TCP, UDP, ICMP and ICMPv6 (with the IP and transport header an
 * error quotes), GRE, IP-in-IP, 6in4, 4in6, 6in6.  Every read is bounded
 * by caplen.
 */
#ifndef MTRACECAP_PKTPARSE_H
#define MTRACECAP_PKTPARSE_H

#include <stdbool.h>
#include <stdint.h>

#define PKT_MAX_IP	4	/* outer, tunnelled inner, ICMP-quoted... */

struct pkt_ip {
	uint32_t	 off;		/* IP header offset in the packet */
	uint8_t		 ver;		/* 4 or 6 */
	uint8_t		 proto;		/* final next header (after v6 ext
					 * headers) */
	uint32_t	 hlen;		/* IPv4 IHL*4, IPv6 40 + ext headers */
	uint32_t	 l4_off;	/* transport header offset, 0 if none;
					 * may be cut short (an error's quote,
					 * caplen): check lengths */
	bool		 quoted;	/* inside an ICMP/ICMPv6 error */
	bool		 later_frag;	/* a non-first fragment: no transport
					 * header */
};

struct pkt_layout {
	uint32_t	 hdr_end;	/* end of the last header parsed
					 * (innermost transport header, or the
					 * IP headers only for a later
					 * fragment) */
	bool		 understood;	/* the parse reached a transport header
					 * (or a later fragment, a known end) */
	unsigned	 nip;		/* ip[0, nip) filled, outermost first */
	struct pkt_ip	 ip[PKT_MAX_IP];
	uint32_t	 arp_off;	/* ARP header offset, 0 if not ARP
					 * (8 bytes there; any hardware and
					 * protocol type: check them) */
	uint32_t	 icmp_off;	/* the ICMP/ICMPv6 header whose error
					 * quotes ip[k > 0], 0 if none */
};

/*
 * Parse the packet p of caplen bytes of link type linktype into *out
 * (always filled).  A header cut short by caplen, a link type or protocol
 * it does not know, or more than PKT_MAX_IP IP headers end the parse:
 * understood is false and hdr_end is the end of the last whole header.
 * ip[k].off + ip[k].hlen <= caplen for every k < nip; ip[k].l4_off is
 * set when a transport header (not IP) starts before caplen, even one cut
 * short.  When the parse ends at an IP header cut short (IPv4 options,
 * IPv6 extension headers, or its fixed part; nip < PKT_MAX_IP), ip[nip]
 * holds its off and ver (4 or 6), the rest 0: the anonymiser rewrites
 * what of its addresses there is.  Any thread.
 */
void	pkt_parse(int linktype, const uint8_t *p, uint32_t caplen,
	    struct pkt_layout *out);

#endif
