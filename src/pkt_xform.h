/*
 * pkt_xform.h - what the packet path does to a packet besides the snap
 * length, when configured: --headers-only (keep the headers, cut the
 * payload) and address anonymisation (anon.c).  One struct pkt_xform per
 * reader stream (input.c builds it at open, st->xform); NULL when neither
 * is configured, so plain capture pays one pointer test per packet.
 *
 * In input_push_if() (input_backend.h), reader thread:
 *
 *	cl = min(caplen, snaplen);
 *	if (st->xform != NULL)
 *		cl = pkt_xform_len(st->xform, &st->c, linktype, data,
 *		    caplen, cl);	parse the original, maybe cut
 *	reserve cl bytes of slot; copy cl bytes into it;
 *	if (st->xform != NULL && st->xform->anon != NULL)
 *		pkt_xform_apply(st->xform, r->data, cl);   in the slot
 *	commit;
 *
 * so no unanonymised byte leaves the reader's memory.  The layout
 * pkt_xform_len computed on the whole original (caplen bytes) waits in
 * xf->lay for pkt_xform_apply; it stays valid for the shorter copy
 * (anon_apply skips what lies beyond cl).
 *
 * The anonymiser (part F, anon.c) plugs in at three places in
 * pkt_xform.c, marked there: at create it sets xf->anon (what to do, may
 * be shared read-only) and xf->anon_ctx (this stream's own state: cipher
 * context, cache; never shared across threads); at destroy it frees
 * them; pkt_xform_apply calls
 *	anon_apply(xf->anon, xf->anon_ctx, &xf->lay, data, cl)
 * when xf->anon != NULL.
 */
#ifndef MTRACECAP_PKT_XFORM_H
#define MTRACECAP_PKT_XFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktparse.h"

struct anon;
struct anon_ctx;
struct config;
struct input_counters;

struct pkt_xform {
	bool		 headers_only;	/* --headers-only */
	uint32_t	 extra;		/* ...=EXTRA bytes of payload kept */
	const struct anon *anon;	/* NULL: addresses kept */
	struct anon_ctx	*anon_ctx;	/* the stream's own, with anon */
	struct anon	*anon_own;	/* anon, to free: this stream's */
	struct pkt_layout lay;		/* the packet in flight: set by
					 * pkt_xform_len, used by
					 * pkt_xform_apply */
};

/*
 * Main thread, at a stream's open: the stream's transform from cfg.  0
 * with *out set (the caller's, pkt_xform_destroy), or *out NULL when cfg
 * asks for no transform; -1 with err naming the value (a key file...).
 */
int	pkt_xform_create(const struct config *cfg, struct pkt_xform **out,
	    char *err, size_t errlen);
/* Free xf and what it holds; NULL is a no-op. */
void	pkt_xform_destroy(struct pkt_xform *xf);

/*
 * Reader thread, before the reserve: parse data (caplen bytes, linktype)
 * into xf->lay and return how many bytes to keep, at most cl (what the
 * snap length keeps).  Counts c->headers_unparsed for a packet the parser
 * did not understand.  Not inline: only configured streams call it.
 */
uint32_t pkt_xform_len(struct pkt_xform *xf, struct input_counters *c,
	    int linktype, const uint8_t *data, uint32_t caplen, uint32_t cl);
/*
 * Reader thread, after the copy into the slot, before the commit: rewrite
 * the cl bytes at data (the slot) as xf->lay says.  Called only when
 * xf->anon != NULL.
 */
void	pkt_xform_apply(struct pkt_xform *xf, uint8_t *data, uint32_t cl);

/* What the files say of the anonymisation (anon_note()), or NULL when
 * xf (may be NULL) keeps addresses.  Lives as long as xf. */
const char *pkt_xform_note(const struct pkt_xform *xf);

#endif
