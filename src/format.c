/*
 * format.c - the formats there are (see format.h): which one the writer
 * emits, and which one a file found by crash recovery is in.
 */
#include "config.h"

#include "format.h"

/* every format recovery recognises, in the order it tries them */
static const struct format *const formats[] = {
	&format_pcap,
	&format_pcap_ns,
	&format_pcapng,
};

const struct format *
format_select(bool pcapng, bool nano)
{
	if (pcapng)
		return &format_pcapng;
	return nano ? &format_pcap_ns : &format_pcap;
}

const struct format *
format_sniff(const unsigned char *h, size_t len)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i]->scan_header(h, len) != 0)
			return formats[i];
	return NULL;
}
