/*
 * tstamp.c - time stamp types of live libpcap inputs (see tstamp.h): the
 * table of tcpdump -j's names, the request before pcap_activate(), the
 * verdict after it (with its one warning), and tcpdump -J's listing.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "input_sniff.h"
#include "log.h"
#include "tstamp.h"

/* What the -v line and the pcapng if_description call a handle's stamps. */
#define DESC(name)	{ name ", nanoseconds", name ", microseconds" }

static const struct tstamp_def {
	const char	*name;		/* tcpdump -j's */
	int		 type;		/* PCAP_TSTAMP_ */
	const char	*desc[2];	/* [0] nanosecond, [1] microsecond */
} tstamp_defs[] = {
	{ "host", PCAP_TSTAMP_HOST, DESC("host") },
	{ "host_lowprec", PCAP_TSTAMP_HOST_LOWPREC, DESC("host_lowprec") },
	{ "host_hiprec", PCAP_TSTAMP_HOST_HIPREC, DESC("host_hiprec") },
	{ "adapter", PCAP_TSTAMP_ADAPTER, DESC("adapter") },
	{ "adapter_unsynced", PCAP_TSTAMP_ADAPTER_UNSYNCED,
	    DESC("adapter_unsynced") },
};

#define NDEFS	(sizeof(tstamp_defs) / sizeof(tstamp_defs[0]))

static const struct tstamp_def *
def_of(int pcap_type)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (tstamp_defs[i].type == pcap_type)
			return &tstamp_defs[i];
	return NULL;
}

int
tstamp_type_from_name(const char *name, int *pcap_type)
{
	for (size_t i = 0; i < NDEFS; i++) {
		if (strcmp(tstamp_defs[i].name, name) == 0) {
			*pcap_type = tstamp_defs[i].type;
			return 0;
		}
	}
	return -1;
}

const char *
tstamp_type_name(int pcap_type)
{
	const struct tstamp_def *d = def_of(pcap_type);

	return d != NULL ? d->name : NULL;
}

int
tstamp_check_inputs(int type, char *const *uris, size_t n,
    bool libtrace_live, char *err, size_t errlen)
{
	if (type == TSTAMP_TYPE_DEFAULT)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (input_sniff_libpcap_device(uris[i], libtrace_live) != NULL)
			return 0;
	/* tcpdump ignores -j for files; a usage error says it was useless */
	log_seterr(err, errlen, "--time-stamp-type=%s needs a live input read "
	    "by libpcap (ring:, int: or pcapint:, without --libtrace-live)",
	    tstamp_type_name(type));
	return -1;
}

int
tstamp_check_list(char *const *uris, size_t n, char *err, size_t errlen)
{
	if (n == 0) {
		log_seterr(err, errlen, "--list-time-stamp-types needs at "
		    "least one live interface (ring:IF, int:IF or pcapint:IF)");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *dev = input_sniff_libpcap_device(uris[i], false);

		if (dev == NULL || *dev == '\0') {
			log_seterr(err, errlen, "--list-time-stamp-types needs "
			    "live interfaces (ring:IF, int:IF or pcapint:IF): "
			    "'%s' is not one", uris[i]);
			return -1;
		}
	}
	return 0;
}

void
tstamp_request(pcap_t *p, struct tstamp_ask *ask)
{
	/* 0: taken; PCAP_WARNING_TSTAMP_TYPE_NOTSUP: not in the list the
	 * interface offers (libpcap 1.10 asks the driver, ETHTOOL_GET_TS_INFO,
	 * in pcap_create), and the handle keeps host */
	ask->accepted = ask->type == TSTAMP_TYPE_DEFAULT ||
	    pcap_set_tstamp_type(p, ask->type) == 0;
}

const char *
tstamp_activated(pcap_t *p, const struct tstamp_ask *ask, int activate_rc,
    const char *before)
{
	const struct tstamp_def *asked = def_of(ask->type);
	const struct tstamp_def *got = def_of(PCAP_TSTAMP_HOST);
	const char *desc;

	/* activate warns when the driver refused SIOCSHWTSTAMP (EOPNOTSUPP,
	 * ERANGE); libpcap then gives host stamps */
	if (asked != NULL && ask->accepted &&
	    activate_rc != PCAP_WARNING_TSTAMP_TYPE_NOTSUP)
		got = asked;
	desc = got->desc[pcap_get_tstamp_precision(p) ==
	    PCAP_TSTAMP_PRECISION_NANO ? 0 : 1];
	if (before != NULL && strcmp(before, desc) == 0)
		return desc;		/* said already */
	if (asked != NULL && got != asked)
		log_error("input '%s': time stamp type '%s' is not supported "
		    "by %s; using %s", ask->uri, asked->name, ask->iface,
		    got->name);
	log_info("input=%zu %s: time stamps: %s", ask->index, ask->uri, desc);
	return desc;
}

/* tcpdump -J's text for the n types of iface; 0, or -1 (errno) if a
 * write failed. */
static int
print_types(FILE *fp, const char *iface, const int *types, int n)
{
	if (n == 0)
		return fprintf(fp, "Time stamp type cannot be set for %s\n",
		    iface) < 0 || fflush(fp) != 0 ? -1 : 0;
	if (fprintf(fp, "Time stamp types for %s (use option "
	    "--time-stamp-type to set):\n", iface) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *name = pcap_tstamp_type_val_to_name(types[i]);
		int w;

		if (name != NULL)
			w = fprintf(fp, "  %s (%s)\n", name,
			    pcap_tstamp_type_val_to_description(types[i]));
		else
			w = fprintf(fp, "  %d\n", types[i]);
		if (w < 0)
			return -1;
	}
	/* before a later interface's error line on stderr */
	return fflush(fp) == 0 ? 0 : -1;
}

int
tstamp_list(FILE *fp, const char *uri, char *err, size_t errlen)
{
	const char *iface = input_sniff_libpcap_device(uri, false);
	char perr[PCAP_ERRBUF_SIZE] = "";
	int *types = NULL, n, rc = -1;
	pcap_t *p;

	/* pcap_create takes any name, and lists host for one that does not
	 * exist (tcpdump -J does): ask the kernel first */
	if (iface == NULL || if_nametoindex(iface) == 0) {
		log_seterr(err, errlen, "cannot list the time stamp types of "
		    "'%s': %s", uri, iface == NULL || errno == ENODEV ||
		    errno == ENXIO ? "no such interface" : strerror(errno));
		return -1;
	}
	if ((p = pcap_create(iface, perr)) == NULL) {
		log_seterr(err, errlen, "cannot list the time stamp types of "
		    "'%s': %s", uri, perr);
		return -1;
	}
	if ((n = pcap_list_tstamp_types(p, &types)) < 0)
		log_seterr(err, errlen, "cannot list the time stamp types of "
		    "'%s': %s", uri, pcap_geterr(p));
	else if (print_types(fp, iface, types, n) != 0)
		log_seterr(err, errlen, "cannot write the time stamp types "
		    "of '%s': %s", uri, strerror(errno));
	else
		rc = 0;
	pcap_free_tstamp_types(types);
	pcap_close(p);
	return rc;
}
