/*
 * writer_sources.h - the inputs as the writer's format sees them.
 *
 * One file-header descriptor per input (struct format_source), the
 * format's rule for which link types a file can hold, applied at start-up
 * (writer_check_inputs, from main) and per packet (writer_sources_fit),
 * and the count of packets stamped later than the format can hold.
 */
#ifndef MTRACECAP_WRITER_SOURCES_H
#define MTRACECAP_WRITER_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "input.h"
#include "options.h"
#include "queue.h"

#define WRITER_NO_IFACE	UINT32_MAX

struct writer_sources {
	const struct config	*cfg;
	const struct format	*fmt;		/* what the writer emits */
	struct format_source	*src;		/* per input, for the header */
	struct input *const	*inputs;
	size_t			 n;
	bool			*warned_unfit;	/* per input */
	uint64_t		*late_stamps;	/* per input: after fmt->max_ts_ns */
	/* formats with interfaces (fmt->ifaces): those of the current file */
	struct format_file	 file;
	size_t			 file_cap;
	/* [input * INPUT_MAX_IFACES + iface]: its id in the file, or
	 * WRITER_NO_IFACE; and the packets of it in files so far */
	uint32_t		*ids;
	uint64_t		*delivered;
};

/*
 * Can the files the writer emits for cfg hold the inputs[0, n) whose link
 * types are known before their first packet (the format's rule)?  0 if
 * so, else -1 with a message naming the input in err.  Main thread.
 */
int writer_check_inputs(const struct config *cfg,
    struct input *const *inputs, size_t n, char *err, size_t errlen);

/* The format and descriptors for inputs[0, n); -1 when out of memory. */
int writer_sources_init(struct writer_sources *s, const struct config *cfg,
    struct input *const *inputs, size_t n);
/* Frees what _init allocated (also after it failed). */
void writer_sources_fini(struct writer_sources *s);
/*
 * The rule for a packet of link type lt from input whose source has not
 * had it yet (the writer asks only when they differ).  True if it fits
 * (the source has that link type from now on); false if not, logged at
 * the first such packet of the input (the writer counts it as unfit).
 */
bool writer_sources_fit(struct writer_sources *s, int lt, size_t input);
/*
 * A packet stamped later than the format holds (pcap: after 2106): the
 * format writes the latest stamp it can; count it, and warn at the first
 * one of each input.  Not the per-packet path: such stamps are outliers.
 */
void writer_sources_late(struct writer_sources *s,
    const struct queue_rec *rec, size_t input);
/*
 * Formats with interfaces.  A new file: its interfaces are every
 * interface of every input known now whose link type is known, input 0's
 * first (the file header describes them).  -1 when out of memory.
 */
int writer_sources_file_begin(struct writer_sources *s);
/* The file's interface for rec of input, or NULL if it has none yet. */
static inline struct format_iface *
writer_sources_iface(struct writer_sources *s, const struct queue_rec *rec,
    size_t input)
{
	uint32_t id;

	if (rec->iface >= INPUT_MAX_IFACES)
		return NULL;
	id = s->ids[input * INPUT_MAX_IFACES + rec->iface];
	if (id == WRITER_NO_IFACE || s->file.ifs[id].linktype != rec->linktype)
		return NULL;
	return &s->file.ifs[id];
}
/*
 * rec's interface (or its link type) is new to the file: add one for it
 * (the caller has the format describe it).  NULL when out of memory or
 * when its input does not know it (counted as unfit by the caller).
 */
struct format_iface *writer_sources_iface_add(struct writer_sources *s,
    const struct queue_rec *rec, size_t input);
/* The file ends: count its packets into each interface's delivered. */
void writer_sources_file_end(struct writer_sources *s);

/* At the end: how many packets of each input had their stamp clamped. */
void writer_sources_report(const struct writer_sources *s);

#endif
