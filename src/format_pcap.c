/*
 * format_pcap.c - classic pcap 2.4 files with microsecond stamps, as
 * mtracecap 0.6 and tcpdump -w write them (host byte order).
 *
 * Stamps are unsigned 32-bit seconds, so nothing after 2106-02-07
 * 06:28:15 UTC fits: a later stamp is written as the latest one that
 * does (clamped, not wrapped modulo 2^32 s, so that it still sorts after
 * every other), and the writer counts and reports such packets.
 */
#include "config.h"

#include <string.h>

#include "format.h"

#define PCAP_MAGIC_US		0xa1b2c3d4u
#define LINKTYPE_DEFAULT	1		/* Ethernet */
/* 2106-02-07 06:28:15.999999999 UTC: the last instant of 32-bit seconds */
#define PCAP_MAX_TS_NS		(((uint64_t)UINT32_MAX + 1) * 1000000000u - 1)

struct pcap_file_header_v24 {
	uint32_t	magic;
	uint16_t	version_major;
	uint16_t	version_minor;
	int32_t		thiszone;
	uint32_t	sigfigs;
	uint32_t	snaplen;
	uint32_t	linktype;
};

struct pcap_rec_header {
	uint32_t	ts_sec;
	uint32_t	ts_usec;
	uint32_t	caplen;
	uint32_t	len;
};

_Static_assert(sizeof(struct pcap_file_header_v24) == 24, "pcap header");
_Static_assert(sizeof(struct pcap_rec_header) == 16, "pcap record");

static size_t
pcap_file_header(unsigned char *buf, int linktype, uint32_t snaplen,
    size_t ninputs)
{
	struct pcap_file_header_v24 h = {
		.magic = PCAP_MAGIC_US,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = snaplen,
		.linktype = (uint32_t)(linktype >= 0 ? linktype :
		    LINKTYPE_DEFAULT),
	};

	(void)ninputs;
	memcpy(buf, &h, sizeof(h));
	return sizeof(h);
}

static size_t
pcap_record_header(unsigned char *buf, const struct queue_rec *rec,
    size_t input)
{
	uint64_t ts = rec->ts_ns < PCAP_MAX_TS_NS ? rec->ts_ns : PCAP_MAX_TS_NS;
	struct pcap_rec_header h = {
		.ts_sec = (uint32_t)(ts / 1000000000u),
		.ts_usec = (uint32_t)(ts % 1000000000u / 1000u),
		.caplen = rec->caplen,
		.len = rec->wirelen,
	};

	(void)input;
	memcpy(buf, &h, sizeof(h));
	return sizeof(h);
}

static uint64_t
pcap_record_size(uint32_t caplen)
{
	return sizeof(struct pcap_rec_header) + (uint64_t)caplen;
}

const struct format format_pcap = {
	.name = "pcap",
	.file_header = pcap_file_header,
	.record_header = pcap_record_header,
	.record_trailer = NULL,
	.record_size = pcap_record_size,
	.max_ts_ns = PCAP_MAX_TS_NS,
	.max_ts_text = "2106-02-07 06:28:15.999999 UTC",
};
