/*
 * session_count.h - the packet path of the counter sessions (session.c
 * builds and swaps the tables; a stream's reader runs them): one table
 * per stream, immutable once published.
 */
#ifndef MTRACECAP_SESSION_COUNT_H
#define MTRACECAP_SESSION_COUNT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

/* One session's counters in one stream (only its reader adds). */
struct slot_count {
	atomic_uint_fast64_t	 packets, bytes;
};

struct session_entry {
	const struct bpf_program *prog;	/* for linktype; NULL: counts none */
	int			 linktype;
	struct slot_count	*c;	/* this stream's counters of the slot */
};

struct session_tab {
	size_t			 n;
	struct session_entry	 e[];
};

/*
 * Reader thread, only while sessions exist: count the packet in every
 * entry of t whose program for linktype matches it (its bytes: the wire
 * length).
 */
void session_count(const struct session_tab *t, int linktype,
    uint32_t caplen, uint32_t wirelen, const void *data);

#endif
