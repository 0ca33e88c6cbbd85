/*
 * tstamp.h - the time stamp types of live libpcap inputs: tcpdump -j's
 * names (--time-stamp-type), asking a handle for one and learning what it
 * got, and tcpdump -J's listing (--list-time-stamp-types).
 *
 * libpcap has no getter for the type a handle obtained: the type asked for
 * is obtained when pcap_set_tstamp_type() accepted it and pcap_activate()
 * did not return PCAP_WARNING_TSTAMP_TYPE_NOTSUP (libpcap 1.10 on Linux:
 * the driver refused SIOCSHWTSTAMP); otherwise the stamps are libpcap's
 * default, host.
 */
#ifndef MTRACECAP_TSTAMP_H
#define MTRACECAP_TSTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pcap/pcap.h>

/* No --time-stamp-type: ask libpcap for nothing (its default is host). */
#define TSTAMP_TYPE_DEFAULT	(-1)

/* The words --time-stamp-type takes, for messages. */
#define TSTAMP_TYPE_WORDS \
	"host, host_lowprec, host_hiprec, adapter or adapter_unsynced"

/* tcpdump -j's name (exact, lower case) -> PCAP_TSTAMP_ value.  0, or -1
 * for a word that is not one of TSTAMP_TYPE_WORDS. */
int tstamp_type_from_name(const char *name, int *pcap_type);
/* PCAP_TSTAMP_ value -> its name ("host"), or NULL if not ours. */
const char *tstamp_type_name(int pcap_type);

/*
 * --time-stamp-type=type (TSTAMP_TYPE_DEFAULT: not given) for the n
 * inputs uris: at least one must be a live input libpcap reads (ring:,
 * int:, pcapint: unless libtrace_live), as files keep the stamps they
 * hold.  0, or -1 with err naming the option.  No I/O.
 */
int tstamp_check_inputs(int type, char *const *uris, size_t n,
    bool libtrace_live, char *err, size_t errlen);

/*
 * --list-time-stamp-types uris: at least one, each a live interface
 * libpcap can open (ring:IF, int:IF, pcapint:IF; the interface offers
 * the same whatever --libtrace-live says).  0, or -1 with err naming the
 * first that is not.  No I/O.
 */
int tstamp_check_list(char *const *uris, size_t n, char *err,
    size_t errlen);

/* One open of a live input: what it asks for, and whom messages name. */
struct tstamp_ask {
	const char	*uri;		/* the input as the user named it */
	const char	*iface;		/* its interface */
	size_t		 index;		/* its position among the inputs */
	int		 type;		/* PCAP_TSTAMP_, or TSTAMP_TYPE_DEFAULT */
	bool		 accepted;	/* set by tstamp_request() */
};

/*
 * Between pcap_create() and pcap_activate() of p: ask for ask->type
 * (nothing for TSTAMP_TYPE_DEFAULT) and note in ask->accepted whether
 * libpcap took the request.  Any thread; may be called again for the
 * handle of a reopen.
 */
void tstamp_request(pcap_t *p, struct tstamp_ask *ask);

/*
 * After pcap_activate(p) returned activate_rc (>= 0; the caller leaves a
 * PCAP_WARNING_TSTAMP_TYPE_NOTSUP to this function): the stamps p gives,
 * "TYPE, nanoseconds" (or microseconds), a static string.  before is what
 * an earlier open of the same input got (NULL at its first), so that a
 * reopen or a further socket of the input says nothing new: only when the
 * result differs from before does it log, at -v, "input=I URI: time
 * stamps: ..." and, if the type asked for was refused, warn once that
 * IFACE does not support it.
 */
const char *tstamp_activated(pcap_t *p, const struct tstamp_ask *ask,
    int activate_rc, const char *before);

/*
 * --list-time-stamp-types for one uri (that tstamp_check_list took): what
 * its interface offers, in tcpdump -J's format, on fp (flushed).  Needs no
 * privilege.  0, or -1 with err naming the URI (no such interface,
 * libpcap's error, a failed write).
 */
int tstamp_list(FILE *fp, const char *uri, char *err, size_t errlen);

#endif
