/*
 * output_pieces.c - the list of pieces an output's flush writes, and
 * which records are worth a piece of their own (output_pieces.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "output_pieces.h"
#include "sink.h"

/*
 * A record is only written from where it lies once its run (records
 * that follow each other there) reached PIECES_REF_RUN bytes; before,
 * it is copied.  The kernel takes a piece of a writev at a cost of its
 * own, a lone small record costs more that way than a memcpy (4 files
 * of 128-byte records interleaved: +12% time into a file), while a long
 * run is one piece, a write from the input's pages with no copy here.
 */
#define PIECES_REF_RUN	4096

int
pieces_init(struct output_pieces *p)
{
	p->iov = calloc(SINK_IOV_MAX, sizeof(*p->iov));
	return p->iov != NULL ? 0 : -1;
}

void
pieces_free(struct output_pieces *p)
{
	free(p->iov);
	p->iov = NULL;
}

void
pieces_reset(struct output_pieces *p)
{
	p->n = 0;
	p->mark = 0;
	p->ref_bytes = 0;
}

/*
 * Checked before anything is added, so a failed flush leaves nothing of
 * the record behind: the list keeps room for two pieces (the copied
 * bytes before the record, the record) and pieces_list's rest of the
 * buffer, and refs are held for at most bufsize bytes (plus one
 * record), so a flush writes at most about 2 x bufsize and no packet
 * waits long.
 */
bool
pieces_due(const struct output_pieces *p, size_t bufsize)
{
	return p->n > SINK_IOV_MAX - 3 || p->ref_bytes >= bufsize;
}

bool
pieces_copy_instead(struct output_pieces *p, const void *rec, size_t len)
{
	if ((const unsigned char *)rec != p->run_end)
		p->run_bytes = 0;
	p->run_end = (const unsigned char *)rec + len;
	return (p->run_bytes += len) <= PIECES_REF_RUN;
}

/* buf[mark, buflen), copied since the last piece, as a piece. */
static void
add_copied(struct output_pieces *p, unsigned char *buf, size_t buflen)
{
	if (buflen > p->mark) {
		p->iov[p->n].iov_base = buf + p->mark;
		p->iov[p->n].iov_len = buflen - p->mark;
		p->n++;
		p->mark = buflen;
	}
}

void
pieces_add_ref(struct output_pieces *p, unsigned char *buf, size_t buflen,
    const void *rec, size_t len)
{
	struct iovec *last = p->n > 0 ? &p->iov[p->n - 1] : NULL;

	p->ref_bytes += len;
	if (buflen == p->mark && last != NULL && (const unsigned char *)
	    last->iov_base + last->iov_len == (const unsigned char *)rec) {
		/* the last piece is a ref that rec follows in memory */
		last->iov_len += len;
		return;
	}
	/* copied bytes came in since the last piece: they go first */
	add_copied(p, buf, buflen);
	p->iov[p->n].iov_base = (void *)(uintptr_t)rec;
	p->iov[p->n].iov_len = len;
	p->n++;
}

const struct iovec *
pieces_list(struct output_pieces *p, unsigned char *buf, size_t buflen,
    int *n)
{
	add_copied(p, buf, buflen);
	*n = p->n;
	return p->iov;
}
