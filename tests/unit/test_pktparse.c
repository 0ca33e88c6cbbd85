/*
 * test_pktparse.c - unit tests for pktparse.c: frames built here for every
 * link type and protocol the parser knows, each with the header end and
 * the layout it must find; then every frame cut at every length (the
 * parse of a prefix never reads past it, never claims more than it has),
 * and the packet transform (pkt_xform.c) on top: --headers-only's kept
 * length with EXTRA, -s and the not-understood rule.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input_counters.h"
#include "options.h"
#include "pkt_xform.h"
#include "pktparse.h"

#define PAYLOAD	23	/* bytes of payload after the headers */

/* A frame under construction. */
struct frame {
	uint8_t		 b[2048];
	uint32_t	 n;
};

static void
put(struct frame *f, const void *p, uint32_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put8(struct frame *f, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(f, &b, 1);
}

static void
put16(struct frame *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
zeros(struct frame *f, uint32_t n)
{
	while (n-- > 0)
		put8(f, 0);
}

static void
eth(struct frame *f, unsigned type)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(f, mac, sizeof(mac));
	put16(f, type);
}

static void
vlan(struct frame *f, unsigned vid, unsigned type)
{
	put16(f, vid);
	put16(f, type);
}

/* An IPv4 header with optlen bytes of options (NOPs). */
static void
ip4(struct frame *f, unsigned proto, unsigned optlen, unsigned fragoff)
{
	put8(f, 0x40 | (5 + optlen / 4));
	put8(f, 0);
	put16(f, 100);
	put16(f, 1);
	put16(f, fragoff / 8);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0xc6120001);	/* 198.18.0.1 */
	put32(f, 0xc6120002);
	for (unsigned i = 0; i < optlen; i++)
		put8(f, 1);
}

static void
ip6(struct frame *f, unsigned nh)
{
	put32(f, 0x60000000);
	put16(f, 100);
	put8(f, nh);
	put8(f, 64);
	put32(f, 0x20010db8);	/* 2001:db8::1, ::2 */
	zeros(f, 8);
	put32(f, 1);
	put32(f, 0x20010db8);
	zeros(f, 8);
	put32(f, 2);
}

/* An IPv6 extension header of len bytes (a multiple of 8) */
static void
ext6(struct frame *f, unsigned nh, unsigned len)
{
	put8(f, nh);
	put8(f, len / 8 - 1);
	zeros(f, len - 2);
}

static void
tcp(struct frame *f, unsigned optlen)
{
	put16(f, 40000);
	put16(f, 40001);
	put32(f, 1);
	put32(f, 0);
	put8(f, (5 + optlen / 4) << 4);
	put8(f, 0x02);
	put16(f, 1024);
	put32(f, 0);
	for (unsigned i = 0; i < optlen; i++)
		put8(f, 1);
}

static void
udp(struct frame *f)
{
	put16(f, 40000);
	put16(f, 40001);
	put16(f, 8 + PAYLOAD);
	put16(f, 0);
}

static void
icmp(struct frame *f, unsigned type)
{
	put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put32(f, 0);
}

static void
payload(struct frame *f)
{
	for (unsigned i = 0; i < PAYLOAD; i++)
		put8(f, 0xa0 + i);
}

/* Parse f as linktype; check the header end and understood. */
static void
expect(const struct frame *f, int linktype, uint32_t hdr_end,
    bool understood, struct pkt_layout *lay)
{
	pkt_parse(linktype, f->b, f->n, lay);
	if (lay->hdr_end != hdr_end || lay->understood != understood)
		fail_msg("link type %d, %u bytes: hdr_end %u understood %d, "
		    "want %u %d", linktype, f->n, lay->hdr_end,
		    lay->understood, hdr_end, understood);
}

static void
test_ethernet_ipv4(void **state)
{
	struct pkt_layout lay;
	struct frame f = { .n = 0 };

	(void)state;
	eth(&f, 0x0800);
	ip4(&f, 6, 0, 0);
	tcp(&f, 12);
	payload(&f);
	expect(&f, 1, 14 + 20 + 32, true, &lay);
	assert_int_equal(lay.nip, 1);
	assert_int_equal(lay.ip[0].off, 14);
	assert_int_equal(lay.ip[0].ver, 4);
	assert_int_equal(lay.ip[0].proto, 6);
	assert_int_equal(lay.ip[0].hlen, 20);
	assert_int_equal(lay.ip[0].l4_off, 34);
	assert_false(lay.ip[0].quoted);
	assert_int_equal(lay.arp_off, 0);

	/* options */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 17, 8, 0);
	udp(&f);
	payload(&f);
	expect(&f, 1, 14 + 28 + 8, true, &lay);
	assert_int_equal(lay.ip[0].hlen, 28);
	assert_int_equal(lay.ip[0].l4_off, 42);

	/* a later fragment: the IP header only */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 6, 0, 1480);
	payload(&f);
	expect(&f, 1, 34, true, &lay);
	assert_true(lay.ip[0].later_frag);
	assert_int_equal(lay.ip[0].l4_off, 0);

	/* a first fragment has its transport header */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 17, 0, 0);
	f.b[14 + 6] = 0x20;	/* MF */
	udp(&f);
	payload(&f);
	expect(&f, 1, 42, true, &lay);
	assert_false(lay.ip[0].later_frag);

	/* an IHL below 5 is not IP */
	f.b[14] = 0x44;
	expect(&f, 1, 14, false, &lay);
	assert_int_equal(lay.nip, 0);

	/* SCTP, ESP */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 132, 0, 0);
	zeros(&f, 12);
	payload(&f);
	expect(&f, 1, 34 + 12, true, &lay);
	f.b[14 + 9] = 50;
	expect(&f, 1, 34 + 8, true, &lay);
	/* a protocol not known: the IP header, not understood */
	f.b[14 + 9] = 253;
	expect(&f, 1, 34, false, &lay);
}

static void
test_vlan_mpls(void **state)
{
	struct pkt_layout lay;
	struct frame f = { .n = 0 };

	(void)state;
	eth(&f, 0x8100);
	vlan(&f, 10, 0x0800);
	ip4(&f, 17, 0, 0);
	udp(&f);
	payload(&f);
	expect(&f, 1, 18 + 28, true, &lay);
	assert_int_equal(lay.ip[0].off, 18);

	/* QinQ, both tag types */
	f.n = 0;
	eth(&f, 0x88a8);
	vlan(&f, 10, 0x8100);
	vlan(&f, 20, 0x86dd);
	ip6(&f, 17);
	udp(&f);
	payload(&f);
	expect(&f, 1, 22 + 48, true, &lay);
	f.b[12] = 0x91;
	f.b[13] = 0x00;
	expect(&f, 1, 22 + 48, true, &lay);

	/* a label stack of three */
	f.n = 0;
	eth(&f, 0x8847);
	put32(&f, 100 << 12 | 64);
	put32(&f, 200 << 12 | 64);
	put32(&f, 300 << 12 | 1 << 8 | 64);
	ip4(&f, 6, 0, 0);
	tcp(&f, 0);
	payload(&f);
	expect(&f, 1, 14 + 12 + 40, true, &lay);
	assert_int_equal(lay.ip[0].off, 26);
	/* ... over something not IP (a pseudowire control word) */
	f.b[26] = 0x00;
	expect(&f, 1, 26, false, &lay);

	/* ARP */
	f.n = 0;
	eth(&f, 0x0806);
	put16(&f, 1);
	put16(&f, 0x0800);
	put8(&f, 6);
	put8(&f, 4);
	put16(&f, 1);
	zeros(&f, 20);
	zeros(&f, 18);		/* Ethernet padding */
	expect(&f, 1, 14 + 28, true, &lay);
	assert_int_equal(lay.arp_off, 14);
	assert_int_equal(lay.nip, 0);

	/* 802.3 with LLC: not known */
	f.n = 0;
	eth(&f, 46);
	payload(&f);
	expect(&f, 1, 14, false, &lay);
}

static void
test_ipv6_ext(void **state)
{
	struct pkt_layout lay;
	struct frame f = { .n = 0 };

	(void)state;
	eth(&f, 0x86dd);
	ip6(&f, 0);
	ext6(&f, 43, 8);	/* hop-by-hop */
	ext6(&f, 60, 24);	/* routing */
	ext6(&f, 51, 16);	/* destination options */
	put8(&f, 6);		/* AH: (2 + 2) * 4 = 16 bytes */
	put8(&f, 2);
	zeros(&f, 14);
	tcp(&f, 20);
	payload(&f);
	expect(&f, 1, 14 + 40 + 8 + 24 + 16 + 16 + 40, true, &lay);
	assert_int_equal(lay.ip[0].hlen, 40 + 8 + 24 + 16 + 16);
	assert_int_equal(lay.ip[0].proto, 6);
	assert_int_equal(lay.ip[0].l4_off, 14 + 104);

	/* fragment header: the first fragment has its transport header */
	f.n = 0;
	eth(&f, 0x86dd);
	ip6(&f, 44);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0x0001);	/* offset 0, M */
	put32(&f, 7);
	udp(&f);
	payload(&f);
	expect(&f, 1, 14 + 48 + 8, true, &lay);
	assert_false(lay.ip[0].later_frag);
	/* a later one: the IP headers only */
	f.b[14 + 40 + 2] = 0x05;
	f.b[14 + 40 + 3] = 0xc8;
	expect(&f, 1, 14 + 48, true, &lay);
	assert_true(lay.ip[0].later_frag);
	assert_int_equal(lay.ip[0].proto, 17);

	/* no next header */
	f.n = 0;
	eth(&f, 0x86dd);
	ip6(&f, 59);
	payload(&f);
	expect(&f, 1, 54, true, &lay);
	/* an extension header cut short by the packet */
	f.n = 0;
	eth(&f, 0x86dd);
	ip6(&f, 60);
	put8(&f, 6);
	put8(&f, 10);		/* 88 bytes it says */
	payload(&f);
	expect(&f, 1, 54, false, &lay);
	assert_int_equal(lay.nip, 0);
}

static void
test_icmp_errors(void **state)
{
	struct pkt_layout lay;
	struct frame f = { .n = 0 };

	(void)state;
	/* echo: the ICMP header only */
	eth(&f, 0x0800);
	ip4(&f, 1, 0, 0);
	icmp(&f, 8);
	payload(&f);
	expect(&f, 1, 42, true, &lay);
	assert_int_equal(lay.icmp_off, 0);

	/* port unreachable quoting IPv4 + UDP */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 1, 0, 0);
	icmp(&f, 3);
	ip4(&f, 17, 4, 0);
	udp(&f);
	payload(&f);
	expect(&f, 1, 42 + 24 + 8, true, &lay);
	assert_int_equal(lay.nip, 2);
	assert_int_equal(lay.icmp_off, 34);
	assert_true(lay.ip[1].quoted);
	assert_int_equal(lay.ip[1].off, 42);
	assert_int_equal(lay.ip[1].l4_off, 66);

	/* time exceeded quoting only 8 bytes of TCP (RFC 792): the quote
	 * ends with the packet, all of it header */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 1, 0, 0);
	icmp(&f, 11);
	ip4(&f, 6, 0, 0);
	tcp(&f, 0);
	f.n -= 12;
	expect(&f, 1, f.n, true, &lay);
	assert_int_equal(lay.ip[1].l4_off, 62);
	/* the quoted IP header cut short: not understood */
	f.n = 42 + 10;
	expect(&f, 1, 42, false, &lay);
	assert_int_equal(lay.nip, 1);
	assert_int_equal(lay.icmp_off, 0);

	/* ICMPv6 packet too big quoting IPv6 + TCP */
	f.n = 0;
	eth(&f, 0x86dd);
	ip6(&f, 58);
	icmp(&f, 2);
	ip6(&f, 6);
	tcp(&f, 8);
	payload(&f);
	expect(&f, 1, 14 + 48 + 40 + 28, true, &lay);
	assert_int_equal(lay.nip, 2);
	assert_int_equal(lay.icmp_off, 54);
	assert_true(lay.ip[1].quoted);
	/* an informational ICMPv6 (echo request) quotes nothing */
	f.b[54] = 128;
	expect(&f, 1, 14 + 48, true, &lay);
	assert_int_equal(lay.nip, 1);
}

static void
test_tunnels(void **state)
{
	struct pkt_layout lay;
	struct frame f = { .n = 0 };

	(void)state;
	/* GRE with checksum, key and sequence over IPv4, carrying IPv6 */
	eth(&f, 0x0800);
	ip4(&f, 47, 0, 0);
	put16(&f, 0xb000);
	put16(&f, 0x86dd);
	zeros(&f, 12);
	ip6(&f, 17);
	udp(&f);
	payload(&f);
	expect(&f, 1, 34 + 16 + 48, true, &lay);
	assert_int_equal(lay.nip, 2);
	assert_int_equal(lay.ip[0].l4_off, 34);
	assert_int_equal(lay.ip[1].off, 50);
	assert_false(lay.ip[1].quoted);

	/* plain GRE carrying Ethernet with a VLAN tag */
	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 47, 0, 0);
	put16(&f, 0);
	put16(&f, 0x6558);
	eth(&f, 0x8100);
	vlan(&f, 5, 0x0800);
	ip4(&f, 6, 0, 0);
	tcp(&f, 0);
	payload(&f);
	expect(&f, 1, 38 + 18 + 40, true, &lay);
	assert_int_equal(lay.ip[1].off, 56);
	/* GRE carrying something else */
	f.b[36] = 0x88;
	f.b[37] = 0x0b;
	expect(&f, 1, 38, false, &lay);

	/* IP-in-IP, 6in4, 4in6, 6in6 */
	static const struct {
		unsigned	outer, inner;
	} tun[] = { { 4, 4 }, { 4, 6 }, { 6, 4 }, { 6, 6 } };
	for (size_t i = 0; i < sizeof(tun) / sizeof(tun[0]); i++) {
		uint32_t end;

		f.n = 0;
		eth(&f, tun[i].outer == 4 ? 0x0800 : 0x86dd);
		if (tun[i].outer == 4)
			ip4(&f, tun[i].inner == 4 ? 4 : 41, 0, 0);
		else
			ip6(&f, tun[i].inner == 4 ? 4 : 41);
		if (tun[i].inner == 4)
			ip4(&f, 17, 0, 0);
		else
			ip6(&f, 17);
		udp(&f);
		end = f.n;
		payload(&f);
		expect(&f, 1, end, true, &lay);
		assert_int_equal(lay.nip, 2);
		assert_int_equal(lay.ip[0].l4_off, 0);
		assert_int_equal(lay.ip[1].ver, tun[i].inner);
	}

	/* nested past PKT_MAX_IP */
	f.n = 0;
	eth(&f, 0x0800);
	for (int i = 0; i < PKT_MAX_IP + 1; i++)
		ip4(&f, 4, 0, 0);
	payload(&f);
	expect(&f, 1, 14 + 20 * PKT_MAX_IP, false, &lay);
	assert_int_equal(lay.nip, PKT_MAX_IP);
}

static void
test_link_types(void **state)
{
	struct pkt_layout lay;
	struct frame f = { .n = 0 };
	static const int raw[] = { 12, 14, 101, 228, 229 };

	(void)state;
	/* Linux cooked v1: protocol at 14 */
	zeros(&f, 14);
	put16(&f, 0x0800);
	ip4(&f, 17, 0, 0);
	udp(&f);
	payload(&f);
	expect(&f, 113, 16 + 28, true, &lay);
	/* v2: protocol first */
	f.n = 0;
	put16(&f, 0x86dd);
	zeros(&f, 18);
	ip6(&f, 6);
	tcp(&f, 0);
	payload(&f);
	expect(&f, 276, 20 + 60, true, &lay);

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		f.n = 0;
		ip6(&f, 17);
		udp(&f);
		payload(&f);
		expect(&f, raw[i], 48, true, &lay);
	}
	/* NULL (host order) and LOOP (network order) */
	f.n = 0;
	put32(&f, 0x02000000);
	ip4(&f, 17, 0, 0);
	udp(&f);
	payload(&f);
	expect(&f, 0, 32, true, &lay);
	f.b[0] = 0;
	f.b[3] = 2;
	expect(&f, 108, 32, true, &lay);
	f.b[3] = 30;		/* AF_INET6 of some BSDs: IP by its nibble */
	expect(&f, 108, 32, true, &lay);
	f.b[3] = 7;		/* AF_ISO... */
	expect(&f, 108, 4, false, &lay);
	/* link types not known: nothing */
	expect(&f, 105, 0, false, &lay);
	expect(&f, -1, 0, false, &lay);
}

/* All the frames above, for the cut tests. */
static size_t
corpus(struct frame *out, int *lt, size_t max)
{
	size_t n = 0;
	struct frame *f;

#define NEXT() (assert_true(n < max), f = &out[n], f->n = 0, lt[n++] = 1)
	NEXT(); eth(f, 0x8100); vlan(f, 1, 0x0800); ip4(f, 6, 8, 0);
	tcp(f, 12); payload(f);
	NEXT(); eth(f, 0x86dd); ip6(f, 0); ext6(f, 44, 8); udp(f);
	NEXT(); eth(f, 0x0800); ip4(f, 1, 0, 0); icmp(f, 3);
	ip4(f, 47, 0, 0); put16(f, 0x2000); put16(f, 0x0800); zeros(f, 4);
	ip4(f, 6, 0, 0); tcp(f, 0);
	NEXT(); eth(f, 0x86dd); ip6(f, 58); icmp(f, 1); ip6(f, 41);
	ip6(f, 17); udp(f); payload(f);
	NEXT(); eth(f, 0x8847); put32(f, 1 << 8); ip6(f, 4); ip4(f, 17, 0, 0);
	udp(f);
	NEXT(); eth(f, 0x0806); put32(f, 0x00010800); put32(f, 0x06040001);
	zeros(f, 20);
#undef NEXT
	return n;
}

/* Every prefix of every frame: hdr_end within it, ip[] within it, and a
 * prefix that holds the whole headers parses as the whole frame. */
static void
test_cuts(void **state)
{
	struct frame fr[8];
	int lt[8];
	size_t n = corpus(fr, lt, 8);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct pkt_layout whole, lay;

		pkt_parse(lt[i], fr[i].b, fr[i].n, &whole);
		assert_true(whole.understood);
		for (uint32_t len = 0; len <= fr[i].n; len++) {
			/* a copy of exactly len bytes, for ASan */
			uint8_t *p = malloc(len > 0 ? len : 1);

			assert_non_null(p);
			memcpy(p, fr[i].b, len);
			pkt_parse(lt[i], p, len, &lay);
			assert_true(lay.hdr_end <= len);
			assert_true(lay.nip <= PKT_MAX_IP);
			for (unsigned k = 0; k < lay.nip; k++)
				assert_true(lay.ip[k].off + lay.ip[k].hlen <=
				    len);
			if (len >= whole.hdr_end) {
				assert_true(lay.understood);
				assert_int_equal(lay.hdr_end, whole.hdr_end);
			}
			free(p);
		}
	}
}

/* pkt_xform_len: --headers-only's kept length. */
static void
test_xform_len(void **state)
{
	struct config cfg;
	struct input_counters c;
	struct pkt_xform *xf;
	struct frame f = { .n = 0 };
	char err[128];

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&cfg, 0, sizeof(cfg));
	/* nothing asked: no transform */
	assert_int_equal(pkt_xform_create(&cfg, &xf, err, sizeof(err)), 0);
	assert_null(xf);

	cfg.headers_only = true;
	assert_int_equal(pkt_xform_create(&cfg, &xf, err, sizeof(err)), 0);
	assert_non_null(xf);
	eth(&f, 0x0800);
	ip4(&f, 6, 0, 0);
	tcp(&f, 0);
	payload(&f);
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, f.n), 54);
	/* -s shorter than the headers wins */
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, 40), 40);
	assert_int_equal(atomic_load(&c.headers_unparsed), 0);
	pkt_xform_destroy(xf);

	/* EXTRA, bounded by what there is */
	cfg.headers_extra = 10;
	assert_int_equal(pkt_xform_create(&cfg, &xf, err, sizeof(err)), 0);
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, f.n), 64);
	cfg.headers_extra = 1000;
	pkt_xform_destroy(xf);
	assert_int_equal(pkt_xform_create(&cfg, &xf, err, sizeof(err)), 0);
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, f.n), f.n);
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, 60), 60);

	/* not understood: what was parsed, no EXTRA, counted */
	f.b[14 + 9] = 253;
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, f.n), 34);
	assert_int_equal(pkt_xform_len(xf, &c, 1, f.b, f.n, 20), 20);
	assert_int_equal(pkt_xform_len(xf, &c, 147, f.b, f.n, f.n), 0);
	assert_int_equal(atomic_load(&c.headers_unparsed), 3);
	pkt_xform_destroy(xf);
	pkt_xform_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_vlan_mpls),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_xform_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
