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
	/* one block: given[n], kept[n], drops[n] (n may be 0) */
	if ((seg->given = calloc(3 * n + 1, sizeof(uint64_t))) == NULL) {
		free(seg);
		return NULL;
	}
	seg->kept = seg->given + n;
	seg->drops = seg->kept + n;
	return seg;
}

void
segment_destroy(struct segment *seg)
{
	if (seg == NULL)
		return;
	free(seg->given);
	free(seg);
}
