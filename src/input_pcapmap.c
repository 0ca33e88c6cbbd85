/*
 * input_pcapmap.c - a regular, uncompressed classic pcap file read in
 * place by the merging thread.
 *
 * DESIGN
 * - The file is mapped whole (read-only, shared), and the merger asks for
 *   one record at a time (pull.h): pcapfile.c parses it where it lies,
 *   and the record handed out points into the mapping.  No reader thread,
 *   no queue, no copy: a record whose bytes are already what the output
 *   file holds (host byte order, not cut, the fraction in range) is
 *   handed out with raw set, and the writer writes it from the mapping
 *   (output_append_ref).  Only files that need nothing done per packet
 *   come here (input.c: no filter, no --headers-only or anonymisation, no
 *   control socket and its counter sessions); the others keep their
 *   reader thread (input_pcapfile.c's read() path).
 * - The mapping stays until the input is destroyed, after the writer and
 *   its finisher ended, so whatever an output still has to write from it
 *   is there.  Resident memory stays bounded all the same: behind the
 *   records handed out, pages are given back (MADV_DONTNEED) once the
 *   output has most likely written them (PCAPMAP_KEEP is twice what an
 *   output holds by reference, its buffer's size); a page given back
 *   too early (a rotated file the finisher still flushes) is only read
 *   again from the page cache, never lost.  About KEEP + AHEAD + STEP
 *   of each input is resident, in place of its queue.  Ahead,
 *   the kernel is asked to read and map the next pages in one go rather
 *   than fault them one by one.
 * - A file that grew since it was mapped (a writer still appending) is
 *   mapped again, whole, at its end; the old mapping stays too, for what
 *   still points into it.  As the read() reader, it stops at the end
 *   seen then.
 * - A file cut shorter while mapped would kill the process with SIGBUS
 *   at the first access past its new end.  The pages ahead are mapped a
 *   step in advance (MADV_POPULATE_READ), which fails (EFAULT) rather
 *   than signals for pages the file no longer has: the input then fails
 *   with a clear error before anything is read from there, and an output
 *   still to write records from such pages fails in its turn ("Bad
 *   address"), is cut back to its last complete record and counts the
 *   rest as lost.  A file cut between two steps (or on a kernel before
 *   5.14) is caught by the SIGBUS handler (installed with the first
 *   mapping): an address in one of the mappings gets a page of zeros and
 *   fails the input the same way; SIGBUS anywhere else does what it
 *   always does.
 * - The common record (host byte order, version 2.4, not over the
 *   snapshot length, whole in the mapping) is parsed here, as
 *   pcapfile_next() would (tests/integration/corpus.sh and merge_files.sh
 *   compare the two); anything else goes to pcapfile_next().
 * - The stop flag and the window are looked at every PCAPMAP_STEP bytes.
 * - Runs on the merging thread only; the stream's counters (read) are
 *   its to write, relaxed, as a reader thread's would be.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_backend.h"
#include "input_pcapmap.h"

#define PCAPMAP_STEP	(1u << 20)	/* between looks at stop and window */
#define PCAPMAP_KEEP	(2u << 20)	/* mapped behind the read position */
#define PCAPMAP_AHEAD	(2u << 20)	/* mapped ahead in one go */
#define PCAPMAP_MAPS	8		/* mappings of a growing file */
#define PCAPMAP_PREFETCH 192		/* bytes of the next record fetched */

#define PCAPMAP_MAX	1024		/* mappings SIGBUS knows of */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22	/* Linux 5.14 */
#endif

struct pcapmap {
	struct pull		 pull;		/* first: what the merger sees */
	struct input_stream	*st;
	int			 fd;
	struct pcapfile_header	 fhdr;
	uint32_t		 frac_limit;	/* fractions below it are exact */
	bool			 raw_ok;	/* host byte order */
	/* host order, lengths in 2.4's order: records of up to fast_max
	 * bytes are parsed here, the rest by pcapfile.c */
	bool			 fast;
	uint32_t		 fast_max;
	uint32_t		 frac_ns;	/* ns per unit of the fraction */
	/* the mappings, the current one last */
	unsigned char		*map[PCAPMAP_MAPS];
	size_t			 maplen[PCAPMAP_MAPS];
	size_t			 nmaps;
	unsigned char		*base;		/* map[nmaps - 1] */
	size_t			 len;
	size_t			 off;		/* the next record */
	size_t			 next_look;	/* off at which to look again */
	size_t			 dropped;	/* given back below this */
	size_t			 populated;	/* mapped ahead up to this */
	bool			 populate;	/* MADV_POPULATE_READ works */
	bool			 eof;		/* no more growth to look for */
	bool			 done;
	volatile sig_atomic_t	 shrunk;	/* SIGBUS in one of the maps */
	size_t			 at_len;	/* the size it had */
	struct queue_rec	 rec;
};

/*
 * Every mapping, for the SIGBUS handler: slots are filled by the thread
 * that maps (main at open, the merger when a file grew) and cleared at
 * close; the handler runs on the thread that touched the page, the
 * merger, and only reads them.
 */
static struct bus_slot {
	_Atomic(unsigned char *) base;
	size_t			 len;
	struct pcapmap		*owner;
} bus_slots[PCAPMAP_MAX];
static atomic_bool bus_installed;
static struct sigaction bus_old;
static size_t bus_page;		/* sysconf is no handler's to call */

static void
on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	unsigned char *a = si->si_addr;

	(void)uctx;
	for (size_t i = 0; i < PCAPMAP_MAX; i++) {
		unsigned char *b = atomic_load_explicit(&bus_slots[i].base,
		    memory_order_acquire);
		size_t page = bus_page;

		if (b == NULL || a < b || a >= b + bus_slots[i].len)
			continue;
		/* zeros in place of the page the file no longer has */
		if (mmap((void *)((uintptr_t)a & ~(uintptr_t)(page - 1)), page,
		    PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0) == MAP_FAILED)
			break;
		bus_slots[i].owner->shrunk = 1;
		return;
	}
	/* not ours: what SIGBUS did before (by default, the end) */
	(void)sigaction(sig, &bus_old, NULL);
}

/* Tell the handler of [base, base + len) of m; false when it cannot
 * (too many mappings: the caller does without this one). */
static bool
bus_watch(struct pcapmap *m, unsigned char *base, size_t len)
{
	if (!atomic_exchange(&bus_installed, true)) {
		struct sigaction sa;

		bus_page = (size_t)sysconf(_SC_PAGESIZE);
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, &bus_old) != 0)
			return false;
	}
	for (size_t i = 0; i < PCAPMAP_MAX; i++) {
		if (atomic_load(&bus_slots[i].base) != NULL)
			continue;
		bus_slots[i].len = len;
		bus_slots[i].owner = m;
		atomic_store_explicit(&bus_slots[i].base, base,
		    memory_order_release);
		return true;
	}
	return false;
}

static void
bus_unwatch(unsigned char *base)
{
	for (size_t i = 0; i < PCAPMAP_MAX; i++)
		if (atomic_load(&bus_slots[i].base) == base)
			atomic_store(&bus_slots[i].base, NULL);
}

static size_t
page_down(size_t v)
{
	static size_t page;

	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return v & ~(page - 1);
}

/* Map the whole file as it is now; 0, or -1 (errno) with nothing mapped
 * anew. */
static int
map_file(struct pcapmap *m)
{
	struct stat sb;
	void *p;

	if (m->nmaps == PCAPMAP_MAPS || fstat(m->fd, &sb) != 0 ||
	    sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX)
		return -1;
	if ((size_t)sb.st_size <= m->len)
		return -1;	/* not grown */
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (!bus_watch(m, p, (size_t)sb.st_size)) {
		(void)munmap(p, (size_t)sb.st_size);
		return -1;
	}
	(void)madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
	m->map[m->nmaps] = p;
	m->maplen[m->nmaps++] = (size_t)sb.st_size;
	m->base = p;
	m->len = (size_t)sb.st_size;
	m->at_len = m->len;
	/* the old mapping gave back or mapped its own pages */
	m->dropped = page_down(m->off);
	m->populated = m->dropped;
	return 0;
}

/* Every PCAPMAP_STEP bytes: give back what lies well behind, map what
 * comes next. */
static void
window(struct pcapmap *m)
{
	size_t to, ahead;

	if (m->off > PCAPMAP_KEEP &&
	    (to = page_down(m->off - PCAPMAP_KEEP)) > m->dropped) {
		(void)madvise(m->base + m->dropped, to - m->dropped,
		    MADV_DONTNEED);
		m->dropped = to;
	}
	ahead = m->off + PCAPMAP_AHEAD < m->len ? m->off + PCAPMAP_AHEAD :
	    m->len;
	if (m->populate && ahead > m->populated) {
		size_t from = page_down(m->populated);

		if (madvise(m->base + from, ahead - from,
		    MADV_POPULATE_READ) == 0)
			m->populated = ahead;
		else if (errno == EFAULT)
			m->shrunk = 1;	/* pages past the file's end now */
		else if (errno != EINTR && errno != EAGAIN)
			m->populate = false;	/* an older kernel */
	}
	m->next_look = m->off + PCAPMAP_STEP;
}

static const struct queue_rec *
end(struct pcapmap *m)
{
	m->done = true;
	atomic_store(&m->st->done, true);
	return NULL;
}

/* SIGBUS: the file lost what was read from it (the record is zeros). */
static const struct queue_rec *
shrunk(struct pcapmap *m)
{
	char why[128];

	snprintf(why, sizeof(why), "the file was cut short while it was "
	    "read (it had %zu bytes)", m->at_len);
	input_stream_fail(m->st, why);
	return end(m);
}

/* The record just parsed, unless the file lost it meanwhile (SIGBUS:
 * the bytes read are zeros). */
static inline const struct queue_rec *
give(struct pcapmap *m, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
    const unsigned char *data, const unsigned char *raw)
{
	m->rec.ts_ns = ts_ns;
	m->rec.caplen = caplen;
	m->rec.wirelen = wirelen;
	m->rec.data = (unsigned char *)(uintptr_t)data;
	m->rec.raw = raw;
	if (m->shrunk)
		return shrunk(m);
	counter_inc(&m->st->c.read);
	return &m->rec;
}

static const struct queue_rec *
pcapmap_next(struct pull *pl)
{
	struct pcapmap *m = (struct pcapmap *)pl;
	struct input_stream *st = m->st;
	char perr[PCAP_ERRBUF_SIZE];
	struct pcapfile_rec r;
	const unsigned char *at;
	uint32_t h[4], cl;
	size_t left;
	ssize_t n;

	if (m->done)
		return NULL;
	if (m->off >= m->next_look) {
		if (input_stream_stopping(st))
			return end(m);
		window(m);
		if (m->shrunk)
			return shrunk(m);
	}
	at = m->base + m->off;
	left = m->len - m->off;
	if (m->fast && left >= PCAPFILE_RECHDRLEN) {
		/* the common record, as pcapfile_next() would parse it */
		memcpy(h, at, sizeof(h));
		if (h[2] <= m->fast_max && left - PCAPFILE_RECHDRLEN >= h[2]) {
			cl = h[2] < st->snaplen ? h[2] : st->snaplen;
			m->off += PCAPFILE_RECHDRLEN + (size_t)h[2];
			/* the next record, for this input's next turn: with
			 * many inputs merged, more streams than the CPU's
			 * prefetcher follows (each of its reads a miss) */
			if (m->off + PCAPMAP_PREFETCH <= m->len) {
				__builtin_prefetch(m->base + m->off);
				__builtin_prefetch(m->base + m->off + 64);
				__builtin_prefetch(m->base + m->off + 128);
			}
			return give(m, (uint64_t)h[0] * 1000000000u +
			    (uint64_t)h[1] * m->frac_ns, cl, h[3],
			    at + PCAPFILE_RECHDRLEN,
			    h[1] < m->frac_limit && h[2] == cl ? at : NULL);
		}
	}
	for (;;) {
		at = m->base + m->off;
		n = pcapfile_next(&m->fhdr, at, m->len - m->off, m->eof, &r,
		    perr, sizeof(perr));
		if (n > 0)
			break;
		if (m->shrunk)
			return shrunk(m);
		if (n < 0) {
			input_stream_fail(st, perr);
			return end(m);
		}
		if (m->eof)
			return end(m);
		/* the end of the mapping: the file may have grown */
		if (map_file(m) != 0)
			m->eof = true;
	}
	m->off += (size_t)n;
	cl = r.caplen < st->snaplen ? r.caplen : st->snaplen;
	memcpy(h, at, sizeof(h));
	/* the bytes are the record the writer would make of the fields */
	return give(m, r.ts_ns, cl, r.wirelen, r.data, m->raw_ok &&
	    h[1] < m->frac_limit && h[2] == cl && h[3] == r.wirelen ? at :
	    NULL);
}

struct pcapmap *
pcapmap_open(struct input_stream *st, int fd, const struct pcapfile_header *h)
{
	struct pcapmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->st = st;
	m->fd = fd;
	m->fhdr = *h;
	if (map_file(m) != 0 || m->len < PCAPFILE_HDRLEN) {
		pcapmap_close(m);
		return NULL;
	}
	m->off = PCAPFILE_HDRLEN;
	m->dropped = 0;
	m->populated = 0;
	m->populate = true;
	m->next_look = 0;	/* map the first pages at once */
	m->raw_ok = !h->swapped;
	m->frac_limit = h->nsec ? 1000000000u : 1000000u;
	m->frac_ns = h->nsec ? 1u : 1000u;
	m->fast = !h->swapped && h->lengths == PCAPFILE_LEN_NORMAL;
	m->fast_max = h->snapshot < PCAPFILE_MAXCAPLEN ? h->snapshot :
	    PCAPFILE_MAXCAPLEN;
	m->pull.next = pcapmap_next;
	m->pull.raw_magic = !m->raw_ok ? 0 : h->nsec ? PCAPFILE_MAGIC_NS :
	    PCAPFILE_MAGIC_US;
	m->rec.linktype = st->src->linktype;
	return m;
}

struct pull *
pcapmap_pull(struct pcapmap *m)
{
	return &m->pull;
}

void
pcapmap_close(struct pcapmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nmaps; i++) {
		bus_unwatch(m->map[i]);
		(void)munmap(m->map[i], m->maplen[i]);
	}
	free(m);
}
