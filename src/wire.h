/*
 * wire.h - fields of a capture file in either byte order: what the pcap
 * and pcapng parsers (pcapfile.c, pcapng_read.c) share.  Header only:
 * static inline, once per field of every record.
 */
#ifndef MTRACECAP_WIRE_H
#define MTRACECAP_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t
wire_swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
	    (v << 24);
}

/* The 32-bit field at p, written in the other byte order if swapped. */
static inline uint32_t
wire_get32(const unsigned char *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? wire_swap32(v) : v;
}

static inline uint16_t
wire_get16(const unsigned char *p, bool swapped)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

static inline uint64_t
wire_get64(const unsigned char *p, bool swapped)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	if (swapped)
		v = (uint64_t)wire_swap32((uint32_t)v) << 32 |
		    wire_swap32((uint32_t)(v >> 32));
	return v;
}

#endif
