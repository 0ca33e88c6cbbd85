/*
 * test_tstamp.c - unit tests for tstamp.c: the names, what libpcap takes
 * (pcap_create on lo, no privilege needed), the verdict after activate
 * including the path a veth cannot show (the driver refusing SIOCSHWTSTAMP
 * after libpcap took the type), the one warning per input and change, and
 * the listing (--list-time-stamp-types parsing: test_options.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "tstamp.h"

/* What was written to stderr between capture_begin and capture_end. */
static FILE *cap_file;
static int cap_saved = -1;
static char cap_text[2048];

static void
capture_begin(void)
{
	fflush(stderr);
	assert_non_null(cap_file = tmpfile());
	assert_true((cap_saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fileno(cap_file), STDERR_FILENO) >= 0);
}

static const char *
capture_end(void)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(cap_saved, STDERR_FILENO) >= 0);
	close(cap_saved);
	rewind(cap_file);
	n = fread(cap_text, 1, sizeof(cap_text) - 1, cap_file);
	cap_text[n] = '\0';
	fclose(cap_file);
	return cap_text;
}

static void
test_names(void **state)
{
	static const char *const names[] = { "host", "host_lowprec",
	    "host_hiprec", "adapter", "adapter_unsynced" };
	int t = -1;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(tstamp_type_from_name(names[i], &t), 0);
		/* libpcap's own name for the value is ours */
		assert_string_equal(pcap_tstamp_type_val_to_name(t), names[i]);
		assert_string_equal(tstamp_type_name(t), names[i]);
	}
	t = 12345;
	assert_int_equal(tstamp_type_from_name("Adapter", &t), -1);
	assert_int_equal(tstamp_type_from_name("", &t), -1);
	assert_int_equal(t, 12345);
	assert_null(tstamp_type_name(TSTAMP_TYPE_DEFAULT));
	assert_null(tstamp_type_name(PCAP_TSTAMP_HOST_HIPREC_UNSYNCED));
}

/* lo offers host alone (ETHTOOL_GET_TS_INFO reports no HWTSTAMP_FILTER_ALL) */
static void
test_request(void **state)
{
	static const struct { int type; bool accepted; } cases[] = {
		{ TSTAMP_TYPE_DEFAULT, true },	/* nothing asked */
		{ PCAP_TSTAMP_HOST, true },
		{ PCAP_TSTAMP_HOST_LOWPREC, false },
		{ PCAP_TSTAMP_ADAPTER, false },
		{ PCAP_TSTAMP_ADAPTER_UNSYNCED, false },
	};
	char perr[PCAP_ERRBUF_SIZE];
	struct tstamp_ask ask = { .uri = "ring:lo", .iface = "lo" };
	pcap_t *p;

	(void)state;
	assert_non_null(p = pcap_create("lo", perr));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask.type = cases[i].type;
		ask.accepted = !cases[i].accepted;
		tstamp_request(p, &ask);
		assert_int_equal(ask.accepted, cases[i].accepted);
	}
	pcap_close(p);
}

static void
test_activated(void **state)
{
	static const char warn[] = "mtracecap: input 'ring:eth0': time stamp "
	    "type 'adapter' is not supported by eth0; using host\n";
	static const char info_host[] = "mtracecap: input=2 ring:eth0: time "
	    "stamps: host, nanoseconds\n";
	struct tstamp_ask ask = { .uri = "ring:eth0", .iface = "eth0",
	    .index = 2, .type = PCAP_TSTAMP_ADAPTER, .accepted = true };
	char want[512];
	pcap_t *ns, *us;
	const char *d;

	(void)state;
	assert_non_null(ns = pcap_open_dead_with_tstamp_precision(DLT_EN10MB,
	    65535, PCAP_TSTAMP_PRECISION_NANO));
	assert_non_null(us = pcap_open_dead_with_tstamp_precision(DLT_EN10MB,
	    65535, PCAP_TSTAMP_PRECISION_MICRO));
	log_set_verbosity(1);

	/* taken and activated: the type asked for, said at -v only */
	capture_begin();
	d = tstamp_activated(ns, &ask, 0, NULL);
	assert_string_equal(capture_end(), "mtracecap: input=2 ring:eth0: "
	    "time stamps: adapter, nanoseconds\n");
	assert_string_equal(d, "adapter, nanoseconds");
	/* the same again (a reopen, another socket): nothing said */
	capture_begin();
	assert_string_equal(tstamp_activated(ns, &ask, 0, d), d);
	assert_string_equal(capture_end(), "");

	/* taken, but the driver refused SIOCSHWTSTAMP: host, one warning */
	snprintf(want, sizeof(want), "%s%s", warn, info_host);
	capture_begin();
	d = tstamp_activated(ns, &ask, PCAP_WARNING_TSTAMP_TYPE_NOTSUP, NULL);
	assert_string_equal(capture_end(), want);
	assert_string_equal(d, "host, nanoseconds");
	capture_begin();
	assert_string_equal(tstamp_activated(ns, &ask,
	    PCAP_WARNING_TSTAMP_TYPE_NOTSUP, d), d);
	assert_string_equal(capture_end(), "");
	/* not in the list (veth): the same; again after adapter worked */
	ask.accepted = false;
	capture_begin();
	d = tstamp_activated(ns, &ask, 0, "adapter, nanoseconds");
	assert_string_equal(capture_end(), want);
	assert_string_equal(d, "host, nanoseconds");
	/* another warning of activate is not a refusal of the type */
	ask.accepted = true;
	capture_begin();
	assert_string_equal(tstamp_activated(ns, &ask,
	    PCAP_WARNING_PROMISC_NOTSUP, NULL), "adapter, nanoseconds");
	assert_string_equal(capture_end(), "mtracecap: input=2 ring:eth0: "
	    "time stamps: adapter, nanoseconds\n");

	/* nothing asked: host, no warning; without -v nothing at all */
	ask.type = TSTAMP_TYPE_DEFAULT;
	capture_begin();
	assert_string_equal(tstamp_activated(ns, &ask, 0, NULL),
	    "host, nanoseconds");
	assert_string_equal(capture_end(), info_host);
	log_set_verbosity(0);
	capture_begin();
	assert_string_equal(tstamp_activated(us, &ask, 0, NULL),
	    "host, microseconds");
	assert_string_equal(capture_end(), "");
	ask.type = PCAP_TSTAMP_HOST_HIPREC;
	ask.accepted = false;
	capture_begin();
	assert_string_equal(tstamp_activated(us, &ask, 0, NULL),
	    "host, microseconds");
	assert_string_equal(capture_end(), "mtracecap: input 'ring:eth0': "
	    "time stamp type 'host_hiprec' is not supported by eth0; using "
	    "host\n");
	pcap_close(ns);
	pcap_close(us);
}

static void
test_list(void **state)
{
	char err[256], text[512];
	FILE *fp;
	size_t n;

	(void)state;
	assert_non_null(fp = tmpfile());
	assert_int_equal(tstamp_list(fp, "pcapint:lo", err, sizeof(err)), 0);
	rewind(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	assert_string_equal(text, "Time stamp types for lo (use option "
	    "--time-stamp-type to set):\n  host (Host)\n");

	assert_non_null(fp = tmpfile());
	assert_int_equal(tstamp_list(fp, "ring:mtc-no-such0", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cannot list the time stamp types of "
	    "'ring:mtc-no-such0': no such interface");
	assert_int_equal(ftell(fp), 0);
	fclose(fp);

	if ((fp = fopen("/dev/full", "w")) != NULL) {
		assert_int_equal(tstamp_list(fp, "int:lo", err, sizeof(err)),
		    -1);
		assert_string_equal(err, "cannot write the time stamp types "
		    "of 'int:lo': No space left on device");
		fclose(fp);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_activated),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
