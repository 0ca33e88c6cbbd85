/*
 * input_libpcap.c - libpcap helpers shared by the backends (see
 * input_libpcap.h).  Main thread only: they run while a source opens.
 */
#include "config.h"

#include "input_libpcap.h"
#include "input_backend.h"
#include "log.h"

/* libpcap's DLT_ values differ from the LINKTYPE_ values files hold for a
 * few link types (pcap-linktype(7)); the rest are equal. */
int
input_libpcap_linktype(int dlt)
{
	switch (dlt) {
	case 11:	return 100;	/* ATM_RFC1483 */
	case 12:	return INPUT_LT_RAW;
	case 15:	return 102;	/* SLIP_BSDOS */
	case 16:	return 103;	/* PPP_BSDOS */
	case 19:	return 106;	/* ATM_CLIP */
	default:	return dlt;
	}
}

int
input_libpcap_dlt(int linktype)
{
	switch (linktype) {
	case 100:		return 11;
	case INPUT_LT_RAW:	return 12;
	case 102:		return 15;
	case 103:		return 16;
	case 106:		return 19;
	default:		return linktype;
	}
}

int
input_libpcap_filter(struct input_stream *st, pcap_t *p, const char *filter,
    bool install, char *err, size_t errlen)
{
	if (filter == NULL)
		return 0;
	if (pcap_compile(p, &st->prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		log_seterr(err, errlen, "filter '%s' does not compile for "
		    "input '%s': %s", filter, st->src->uri, pcap_geterr(p));
		return -1;
	}
	st->have_prog = true;
	if (!install) {
		st->filter = &st->prog;
		return 0;
	}
	if (pcap_setfilter(p, &st->prog) != 0) {
		log_seterr(err, errlen, "cannot set filter '%s' on input '%s': "
		    "%s", filter, st->src->uri, pcap_geterr(p));
		return -1;
	}
	return 0;
}

int
input_libpcap_filter_check(const char *filter, const char *uri, char *err,
    size_t errlen)
{
	struct bpf_program prog;
	pcap_t *dead = pcap_open_dead(INPUT_LT_EN10MB, OPTIONS_SNAPLEN_MAX);
	int rc = 0;

	if (dead == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		log_seterr(err, errlen, "filter '%s' does not compile for "
		    "input '%s': %s", filter, uri, pcap_geterr(dead));
		rc = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(dead);
	return rc;
}
