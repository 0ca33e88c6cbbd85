/*
 * pcapfile.c - a parser for classic pcap files that reads them exactly as
 * libpcap 1.10 does (sf-pcap.c), for input_pcapfile.c's native reader.
 *
 * What libpcap does to each record, and so what this does too:
 * - fields in the file's byte order; in versions before 2.3 (and in 2.3
 *   files where caplen > len) the two lengths are stored the other way
 *   round;
 * - a captured length over 262144 bytes is an error ("invalid packet
 *   capture length ..."); one over the file's snapshot length but within
 *   262144 is read whole and cut to the snapshot length;
 * - a file that ends inside a record is an error ("truncated dump file;
 *   ..."), one that ends between records is a clean end.
 * The file's snapshot length is taken as libpcap 1.10 takes it: 0 or more
 * than INT32_MAX means 262144, anything else is kept.  Stamps are returned
 * as unsigned seconds and fraction (libpcap sign-extends them;
 * input_pcapfile.c undoes that on its libpcap path, so both give the
 * same nanoseconds).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pcapfile.h"
#include "wire.h"

/* libpcap's DLT_/LINKTYPE_ values (equal for these) */
#define LT_LINUX_SLL		113
#define LT_PFLOG		117
#define LT_USB_LINUX		189
#define LT_USB_LINUX_MMAPPED	220
#define LT_DBUS			231
#define LT_NFLOG		239
#define LT_USBPCAP		249
#define LT_LINUX_SLL2		276
#define LT_EBHSCR		279

bool
pcapfile_linktype_declined(uint32_t lt, bool swapped)
{
	switch (lt) {
	case LT_USB_LINUX_MMAPPED:
	case LT_DBUS:
	case LT_USBPCAP:
	case LT_EBHSCR:
		return true;
	case LT_LINUX_SLL:
	case LT_PFLOG:
	case LT_USB_LINUX:
	case LT_NFLOG:
	case LT_LINUX_SLL2:
		return swapped;
	default:
		return false;
	}
}

uint32_t
pcapfile_magic(const unsigned char *m, bool *swapped)
{
	uint32_t v = wire_get32(m, false);

	*swapped = false;
	if (v == PCAPFILE_MAGIC_US || v == PCAPFILE_MAGIC_NS)
		return v;
	*swapped = true;
	v = wire_swap32(v);
	if (v == PCAPFILE_MAGIC_US || v == PCAPFILE_MAGIC_NS)
		return v;
	*swapped = false;
	return 0;
}

int
pcapfile_header_parse(const void *buf, size_t len, struct pcapfile_header *h,
    char *err, size_t errlen)
{
	const unsigned char *b = buf;
	uint32_t magic;
	bool swapped;

	if (len < 4) {
		snprintf(err, errlen, "truncated dump file; tried to read 4 "
		    "file header bytes, only got %zu", len);
		return -1;
	}
	if ((magic = pcapfile_magic(b, &swapped)) == 0)
		return 0;
	if (len < PCAPFILE_HDRLEN) {
		/* libpcap counts the bytes after the magic */
		snprintf(err, errlen, "truncated dump file; tried to read %d "
		    "file header bytes, only got %zu", PCAPFILE_HDRLEN,
		    len - 4);
		return -1;
	}
	memset(h, 0, sizeof(*h));
	h->swapped = swapped;
	h->nsec = magic == PCAPFILE_MAGIC_NS;
	h->version_major = wire_get16(b + 4, swapped);
	h->version_minor = wire_get16(b + 6, swapped);
	h->snaplen = wire_get32(b + 16, swapped);
	h->linktype = wire_get32(b + 20, swapped);
	if (h->version_major != 2 || h->version_minor > 4)
		return 0;	/* 543.0 (DG/UX), or libpcap's error */
	if (pcapfile_linktype_declined(h->linktype & 0x03ffffffu, swapped))
		return 0;
	if (h->version_minor < 3)
		h->lengths = PCAPFILE_LEN_SWAPPED;
	else if (h->version_minor == 3)
		h->lengths = PCAPFILE_LEN_MAYBE;
	else
		h->lengths = PCAPFILE_LEN_NORMAL;
	/* libpcap 1.10 keeps it as an int: 0 and "negative" mean the max */
	h->snapshot = h->snaplen == 0 || h->snaplen > INT32_MAX ?
	    PCAPFILE_MAXCAPLEN : h->snaplen;
	return 1;
}

ssize_t
pcapfile_next(const struct pcapfile_header *h, const void *buf, size_t len,
    bool eof, struct pcapfile_rec *rec, char *err, size_t errlen)
{
	const unsigned char *b = buf;
	uint32_t sec, frac, caplen, wirelen, t;

	if (len < PCAPFILE_RECHDRLEN) {
		if (!eof || len == 0)
			return 0;
		snprintf(err, errlen, "truncated dump file; tried to read %d "
		    "header bytes, only got %zu", PCAPFILE_RECHDRLEN, len);
		return -1;
	}
	sec = wire_get32(b, h->swapped);
	frac = wire_get32(b + 4, h->swapped);
	caplen = wire_get32(b + 8, h->swapped);
	wirelen = wire_get32(b + 12, h->swapped);
	if (h->lengths == PCAPFILE_LEN_SWAPPED ||
	    (h->lengths == PCAPFILE_LEN_MAYBE && caplen > wirelen)) {
		t = caplen;
		caplen = wirelen;
		wirelen = t;
	}
	if (caplen > PCAPFILE_MAXCAPLEN) {
		if (caplen > h->snapshot)
			snprintf(err, errlen, "invalid packet capture length "
			    "%u, bigger than snaplen of %u", caplen,
			    h->snapshot);
		else
			snprintf(err, errlen, "invalid packet capture length "
			    "%u, bigger than maximum of %u", caplen,
			    PCAPFILE_MAXCAPLEN);
		return -1;
	}
	if (len - PCAPFILE_RECHDRLEN < caplen) {
		size_t got = len - PCAPFILE_RECHDRLEN;

		if (!eof)
			return 0;
		/* over the snapshot, libpcap reads the snapshot, then the
		 * rest: a short first read names the snapshot length */
		snprintf(err, errlen, "truncated dump file; tried to read %u "
		    "captured bytes, only got %zu", caplen > h->snapshot &&
		    got < h->snapshot ? h->snapshot : caplen, got);
		return -1;
	}
	rec->ts_ns = (uint64_t)sec * 1000000000u +
	    (h->nsec ? (uint64_t)frac : (uint64_t)frac * 1000u);
	rec->caplen = caplen < h->snapshot ? caplen : h->snapshot;
	rec->wirelen = wirelen;
	rec->data = b + PCAPFILE_RECHDRLEN;
	return (ssize_t)(PCAPFILE_RECHDRLEN + caplen);
}
