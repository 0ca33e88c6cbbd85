/*
 * segment.c - allocation of a segment (see segment.h); once per file.
 */
#include "config.h"

#include <stdlib.h>

#include "segment.h"

struct segment *
segment_create(size_t n)
{
	struct segment *seg = calloc(1, sizeof(*seg));

	if (seg == NULL)
		return NULL;
	seg->n = n;
	/* one block: given[n], kept[n], drops[n], bytes[n], delivered[n]
	 * (n may be 0), and one for the counts */
	seg->given = calloc(5 * n + 1, sizeof(uint64_t));
	seg->at_open = calloc(2 * n + 1, sizeof(*seg->at_open));
	seg->ngaps = calloc(n + 1, sizeof(*seg->ngaps));
	seg->gaps = calloc(n * INPUT_GAP_KEEP + 1, sizeof(*seg->gaps));
	if (seg->given == NULL || seg->at_open == NULL || seg->ngaps == NULL ||
	    seg->gaps == NULL) {
		segment_destroy(seg);
		return NULL;
	}
	seg->kept = seg->given + n;
	seg->drops = seg->kept + n;
	seg->bytes = seg->drops + n;
	seg->delivered = seg->bytes + n;
	seg->at_close = seg->at_open + n;
	return seg;
}

void
segment_destroy(struct segment *seg)
{
	if (seg == NULL)
		return;
	free(seg->given);
	free(seg->at_open);
	free(seg->ngaps);
	free(seg->gaps);
	free(seg);
}
