/*
 * fuzz_pktparse.c - libFuzzer harness for the header parser (pktparse.c)
 * and --headers-only's kept length (pkt_xform.c).
 *
 * Input: 1 byte picks the link type (of those the parser knows, and one
 * it does not), 2 bytes EXTRA, then the frame.  The frame is parsed from
 * a heap block of exactly its size (ASan catches any read past it) and
 * the layout must hold: every offset inside the frame, hdr_end no further
 * than the frame, and the parse of a prefix agreeing with the whole one
 * (a prefix that holds the headers parses as the frame does; a shorter
 * one never claims more than it has).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input_counters.h"
#include "options.h"
#include "pkt_xform.h"
#include "pktparse.h"
#include "fuzz_common.h"

static const int linktypes[] = {
	1, 113, 276, 12, 14, 101, 228, 229, 0, 108, 105,
};
#define NLT	(sizeof(linktypes) / sizeof(linktypes[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The layout's invariants for a frame of len bytes. */
static void
check_layout(const struct pkt_layout *l, uint32_t len)
{
	FUZZ_CHECK(l->hdr_end <= len);
	FUZZ_CHECK(l->nip <= PKT_MAX_IP);
	for (unsigned k = 0; k < l->nip; k++) {
		const struct pkt_ip *ip = &l->ip[k];

		FUZZ_CHECK(ip->ver == 4 || ip->ver == 6);
		FUZZ_CHECK(ip->hlen >= (ip->ver == 4 ? 20u : 40u));
		FUZZ_CHECK(ip->off + ip->hlen <= len);
		FUZZ_CHECK(ip->off + ip->hlen <= l->hdr_end);
		FUZZ_CHECK(ip->l4_off == 0 || (ip->l4_off == ip->off +
		    ip->hlen && ip->l4_off < len));
		FUZZ_CHECK(!ip->later_frag || ip->l4_off == 0);
		/* outermost first */
		FUZZ_CHECK(k == 0 || ip->off >= l->ip[k - 1].off +
		    l->ip[k - 1].hlen);
	}
	/* ARP: at the top, or inside GRE's transparent Ethernet */
	FUZZ_CHECK(l->arp_off == 0 || (l->arp_off + 8 <= len &&
	    (l->nip == 0 || l->arp_off >= l->ip[l->nip - 1].off +
	    l->ip[l->nip - 1].hlen)));
	FUZZ_CHECK(l->icmp_off == 0 || (l->icmp_off + 8 <= len &&
	    l->nip >= 2));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_layout whole, part;
	struct input_counters c;
	struct config cfg;
	struct pkt_xform *xf;
	char err[128];
	uint32_t len, kept;
	uint8_t *p;
	int lt;

	if (size < 3 || size > 65535 + 3)
		return 0;
	lt = linktypes[data[0] % NLT];
	len = (uint32_t)(size - 3);
	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(p, data + 3, len);

	pkt_parse(lt, p, len, &whole);
	check_layout(&whole, len);

	/* the headers alone parse the same; any shorter prefix has less */
	pkt_parse(lt, p, whole.hdr_end, &part);
	check_layout(&part, whole.hdr_end);
	if (whole.understood) {
		FUZZ_CHECK(part.understood);
		FUZZ_CHECK(part.hdr_end == whole.hdr_end);
		FUZZ_CHECK(part.nip == whole.nip);
	}
	if (whole.hdr_end > 0) {
		uint32_t cut = (uint32_t)data[1] % whole.hdr_end;

		pkt_parse(lt, p, cut, &part);
		check_layout(&part, cut);
	}

	/* --headers-only=EXTRA: never more than -s (here a byte of the
	 * input) nor the frame, never less than the headers within them */
	memset(&cfg, 0, sizeof(cfg));
	memset(&c, 0, sizeof(c));
	cfg.headers_only = true;
	cfg.headers_extra = (uint32_t)data[1] << 8 | data[2];
	if (pkt_xform_create(&cfg, &xf, err, sizeof(err)) == 0) {
		uint32_t snap = (uint32_t)data[2] * 4;
		uint32_t cl = len < snap ? len : snap;

		kept = pkt_xform_len(xf, &c, lt, p, len, cl);
		FUZZ_CHECK(kept <= cl);
		FUZZ_CHECK(kept >= (whole.hdr_end < cl ? whole.hdr_end : cl));
		FUZZ_CHECK(whole.understood || kept == (whole.hdr_end < cl ?
		    whole.hdr_end : cl));
		FUZZ_CHECK(atomic_load(&c.headers_unparsed) ==
		    (whole.understood ? 0u : 1u));
		pkt_xform_destroy(xf);
	}
	free(p);
	return 0;
}
