/*
 * output_pieces.h - the list of pieces an output's flush writes when it
 * holds records by reference (output_append_ref, output.h): the parts of
 * its buffer copied in between them and the records themselves, where
 * they were read, in call order, for the sink's writev op (sink.h).
 * Also the rule of which records are worth a piece of their own.  Used
 * by output.c only, on the thread that owns the output.
 */
#ifndef MTRACECAP_OUTPUT_PIECES_H
#define MTRACECAP_OUTPUT_PIECES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

struct output_pieces {
	/* SINK_IOV_MAX of them; NULL when the sink takes no list.  n stays
	 * below SINK_IOV_MAX - 2 between calls, so the rest of the buffer
	 * always has room at the end (pieces_list) */
	struct iovec	*iov;
	int		 n;
	size_t		 mark;		/* the buffer up to here is in iov */
	size_t		 ref_bytes;	/* bytes of refs in iov */
	/* the run of records offered (pieces_copy_instead) that follow each
	 * other in memory: where the last ended, its bytes so far */
	const unsigned char *run_end;
	size_t		 run_bytes;
};

/* Allocate the list; 0, or -1 (out of memory). */
int pieces_init(struct output_pieces *p);
void pieces_free(struct output_pieces *p);

/* The list was written, or thrown away with the buffer: empty it. */
void pieces_reset(struct output_pieces *p);

/* Whether a flush must come before the next ref: the list is nearly
 * full, or bufsize bytes are held by reference already. */
bool pieces_due(const struct output_pieces *p, size_t bufsize);

/*
 * rec (len bytes) is offered: whether it should be copied into the buffer
 * rather than held by reference (a lone small record, or the first few
 * KiB of a run).  Every record offered counts in the runs.
 */
bool pieces_copy_instead(struct output_pieces *p, const void *rec,
    size_t len);

/* Hold rec by reference, after buf[mark, buflen) (copied since the last
 * piece).  Only when !pieces_due(). */
void pieces_add_ref(struct output_pieces *p, unsigned char *buf,
    size_t buflen, const void *rec, size_t len);

/* Whether anything is held in the list. */
static inline bool
pieces_any(const struct output_pieces *p)
{
	return p->n > 0;
}

/* The whole list to write, buf[mark, buflen) last; its length in *n. */
const struct iovec *pieces_list(struct output_pieces *p, unsigned char *buf,
    size_t buflen, int *n);

#endif
