/*
 * fuzz_anon.c - libFuzzer harness for the address anonymiser (anon.c)
 * over the header parser's layouts (pktparse.c).
 *
 * Input: 1 byte picks the link type, 1 byte where the slot is cut (the
 * snap length), 1 byte the mode (prefix:V4BITS,V6BITS and src, dst or
 * both: the same rewriting as cryptopan but for how an address maps),
 * then the frame: the same layout as fuzz_pktparse's inputs, whose corpus
 * this one starts from.  The frame and the slot are heap blocks of their
 * exact sizes (ASan catches a write past cl), and anonymising the cut
 * slot must give the start of what anonymising the whole frame gives,
 * but for bytes zeroed (a checksum that cannot be updated): an address
 * cut by the snap length maps as far as it goes, nothing else differs.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"
#include "options.h"
#include "pktparse.h"
#include "fuzz_common.h"

static const int linktypes[] = {
	1, 113, 276, 12, 14, 101, 228, 229, 0, 108, 105,
};
#define NLT	(sizeof(linktypes) / sizeof(linktypes[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_layout lay;
	struct config cfg;
	struct anon *a = NULL;
	struct anon_ctx *c = NULL;
	uint8_t *full = NULL, *slot = NULL;
	uint32_t len, cl;
	char err[256];
	int lt;

	if (size < 3 || size > 65535 + 3)
		return 0;
	lt = linktypes[data[0] % NLT];
	len = (uint32_t)(size - 3);
	cl = len == 0 ? 0 : (uint32_t)((uint64_t)data[1] * (len + 1) / 256);
	memset(&cfg, 0, sizeof(cfg));
	cfg.anon.method = ANON_PREFIX;
	cfg.anon.v4bits = data[2] % 33u;
	cfg.anon.v6bits = (data[2] * 7u) % 129u;
	cfg.anon.only = (enum options_anon_only)(data[2] % 3u);
	FUZZ_CHECK(anon_create(&cfg, &a, err, sizeof(err)) == 0 && a != NULL);
	FUZZ_CHECK((c = anon_ctx_create(a, err, sizeof(err))) != NULL);
	if ((full = malloc(len > 0 ? len : 1)) == NULL ||
	    (slot = malloc(cl > 0 ? cl : 1)) == NULL)
		goto out;
	memcpy(full, data + 3, len);
	pkt_parse(lt, full, len, &lay);	/* on the original, as the reader */
	memcpy(slot, full, cl);
	anon_apply(a, c, &lay, full, len);
	anon_apply(a, c, &lay, slot, cl);
	for (uint32_t i = 0; i < cl; i++)
		FUZZ_CHECK(slot[i] == full[i] || slot[i] == 0);
out:
	free(slot);
	free(full);
	anon_ctx_destroy(c);
	anon_destroy(a);
	return 0;
}
