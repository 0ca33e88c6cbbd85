/*
 * capcount.h - what a finished capture file holds, read back: its format,
 * its packets and their first and last stamps.  For the manifest of a file
 * recovered after a crash (manifest.c), whose counts only the file knows.
 */
#ifndef MTRACECAP_CAPCOUNT_H
#define MTRACECAP_CAPCOUNT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct capcount {
	bool		pcapng;		/* else classic pcap */
	uint64_t	packets;
	uint64_t	first_ns;	/* ns since the epoch, if packets > 0 */
	uint64_t	last_ns;
};

/*
 * Count the file path, decompressed by "tool -dc" (gzip, bzip2, xz...;
 * NULL when plain).  pcapng files are walked block by block
 * (pcapng_read.c: every interface, whatever its link type and clock);
 * classic pcap is read with libpcap.  0 with *c; -1 when the file cannot
 * be read whole (err names it and says why); -2 once *stop is set.
 */
int capcount_file(const char *path, const char *tool, struct capcount *c,
    const atomic_bool *stop, char *err, size_t errlen);

#endif
