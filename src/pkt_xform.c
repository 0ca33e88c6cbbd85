/*
 * pkt_xform.c - the packet path's optional step (pkt_xform.h): parse the
 * headers, cut to them for --headers-only, anonymise in the slot.
 *
 * DESIGN: a struct pkt_xform belongs to one reader stream; the main thread
 * creates it at open and destroys it after the reader is joined, the
 * reader alone uses it in between (no locks, no atomics but the counter).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"
#include "counter.h"
#include "input_counters.h"
#include "options.h"
#include "pkt_xform.h"
#include "pktparse.h"

/* ---- the anonymiser's plug (part F, anon.c): these three bodies ---- */

/* Main thread: set xf->anon and xf->anon_ctx from cfg, or leave them
 * NULL when cfg asks for no anonymisation.  0, or -1 with err. */
static int
xform_anon_open(struct pkt_xform *xf, const struct config *cfg, char *err,
    size_t errlen)
{
	struct anon *a;

	if (anon_create(cfg, &a, err, errlen) != 0)
		return -1;
	if (a == NULL)
		return 0;
	if ((xf->anon_ctx = anon_ctx_create(a, err, errlen)) == NULL) {
		anon_destroy(a);
		return -1;
	}
	xf->anon = a;
	xf->anon_own = a;
	return 0;
}

/* Free what xform_anon_open set (either may be NULL). */
static void
xform_anon_close(struct pkt_xform *xf)
{
	anon_ctx_destroy(xf->anon_ctx);
	anon_destroy(xf->anon_own);
}

/* Reader thread: anonymise the cl bytes of the slot at data. */
static void
xform_anon_apply(struct pkt_xform *xf, uint8_t *data, uint32_t cl)
{
	anon_apply(xf->anon, xf->anon_ctx, &xf->lay, data, cl);
}

const char *
pkt_xform_note(const struct pkt_xform *xf)
{
	return xf != NULL && xf->anon != NULL ? anon_note(xf->anon) : NULL;
}

/* ---- end of the anonymiser's plug ---- */

int
pkt_xform_create(const struct config *cfg, struct pkt_xform **out,
    char *err, size_t errlen)
{
	struct pkt_xform *xf;

	*out = NULL;
	if ((xf = calloc(1, sizeof(*xf))) == NULL) {
		(void)snprintf(err, errlen, "packet transform: %s",
		    strerror(errno));
		return -1;
	}
	xf->headers_only = cfg->headers_only;
	xf->extra = cfg->headers_extra;
	if (xform_anon_open(xf, cfg, err, errlen) != 0) {
		pkt_xform_destroy(xf);
		return -1;
	}
	if (!xf->headers_only && xf->anon == NULL) {
		pkt_xform_destroy(xf);
		return 0;
	}
	*out = xf;
	return 0;
}

void
pkt_xform_destroy(struct pkt_xform *xf)
{
	if (xf == NULL)
		return;
	xform_anon_close(xf);
	free(xf);
}

uint32_t
pkt_xform_len(struct pkt_xform *xf, struct input_counters *c, int linktype,
    const uint8_t *data, uint32_t caplen, uint32_t cl)
{
	uint64_t keep;

	pkt_parse(linktype, data, caplen, &xf->lay);
	if (!xf->lay.understood)
		counter_inc(&c->headers_unparsed);
	if (!xf->headers_only)
		return cl;
	/* understood: the headers and EXTRA bytes of payload; otherwise
	 * what could be parsed, never a guess at more */
	keep = xf->lay.hdr_end;
	if (xf->lay.understood)
		keep += xf->extra;
	return keep < cl ? (uint32_t)keep : cl;
}

void
pkt_xform_apply(struct pkt_xform *xf, uint8_t *data, uint32_t cl)
{
	xform_anon_apply(xf, data, cl);
}
