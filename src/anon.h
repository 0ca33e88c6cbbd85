/*
 * anon.h - address anonymisation in the packet path (--anonymize,
 * --anonymize-only): rewrite the addresses of every IP header a packet's
 * layout (pktparse.h) lists, outer, tunnelled and ICMP-quoted, and the
 * protocol addresses of ARP, keeping the checksums right.
 *
 * pkt_xform.c plugs it in: per reader stream one struct anon (what to do,
 * with the key; read-only once made) and one struct anon_ctx (the
 * stream's cipher context and cache: never shared across threads), both
 * made at the stream's open on the main thread, before privileges drop
 * (the key file may be root's alone).
 */
#ifndef MTRACECAP_ANON_H
#define MTRACECAP_ANON_H

#include <stddef.h>
#include <stdint.h>

#include "pktparse.h"

struct anon;
struct anon_ctx;
struct config;

#define ANON_NOTE_MAX	96	/* anon_note()'s text, with its NUL */

/*
 * What cfg asks for into *out: NULL when no --anonymize; else reads the
 * key file (cryptopan:).  0, or -1 with err naming the key file or the
 * value.  The caller frees *out with anon_destroy (NULL: no-op).
 */
int	anon_create(const struct config *cfg, struct anon **out, char *err,
	    size_t errlen);
void	anon_destroy(struct anon *a);

/*
 * How a names itself in files (pcapng's SHB comment, the manifest):
 * "cryptopan (key sha256 1a2b3c4d), src and dst", "prefix 24,48, src
 * only".  The key itself never shows.  Lives as long as a.
 */
const char *anon_note(const struct anon *a);

/* A stream's own state for a; NULL with err (out of memory, libcrypto).
 * Freed with anon_ctx_destroy (NULL: no-op). */
struct anon_ctx *anon_ctx_create(const struct anon *a, char *err,
	    size_t errlen);
void	anon_ctx_destroy(struct anon_ctx *c);

/*
 * Reader thread: anonymise the cl bytes at data (a queue slot: a copy of
 * the packet cut to cl) whose headers lay says (parsed on the whole
 * packet; whatever lies beyond cl is skipped, an address cut by cl is
 * rewritten as far as it goes: CryptoPAn's first m bits depend on the
 * first m alone).  Per IP header: the addresses (--anonymize-only; a
 * quoted header's src and dst swap roles, as traceanon's: it travelled
 * the other way), the IPv4 header checksum, the TCP, UDP (0 over IPv4
 * stays 0), UDP-Lite and ICMPv6 checksums, an ICMP error's and GRE's
 * checksum over what changed inside them, all updated (RFC 1624: a right
 * checksum comes out as recomputing would make it, a wrong one stays
 * wrong).  A checksum whose coverage holds an address cut
 * by cl, a checksum changing past cl or bytes zeroed as not understood is
 * zeroed (an update would carry the unseen original bytes).  A
 * packet the parser did not understand keeps its length, but the bytes
 * past the last header it understood are zeroed (an address may be among
 * them), but for a transport header cut short, which holds none.
 */
void	anon_apply(const struct anon *a, struct anon_ctx *c,
	    const struct pkt_layout *lay, uint8_t *data, uint32_t cl);

#endif
