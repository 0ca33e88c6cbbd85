/*
 * test_options.c - unit tests for options.c: the command line of
 * mtracecap 0.6 (every short and long option), strict number parsing,
 * output URI forms, the -B-only options and options_split_words().
 */
#include "config.h"

#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define MAXARGS	64

/* One options_parse() call: argv must outlive cfg (inputs point into it). */
struct run {
	char		*argv[MAXARGS];
	int		 argc;
	struct config	 cfg;
	char		 err[512];
	int		 rc;
};

/*
 * Parse "mtracecap" followed by the NULL-terminated arguments.  getopt
 * keeps hidden state (the position inside a bundle of short options)
 * that options_parse() does not reset (it is called once per process),
 * so start each parse from a fully initialised getopt.
 */
static int
parse(struct run *r, ...)
{
	static char prog[] = "mtracecap";
	static char dummy_prog[] = "x";
	char *dummy[] = { dummy_prog, NULL };
	va_list ap;
	const char *a;

	memset(r, 0, sizeof(*r));
	r->argv[r->argc++] = prog;
	va_start(ap, r);
	while ((a = va_arg(ap, const char *)) != NULL) {
		assert_true(r->argc < MAXARGS - 1);
		r->argv[r->argc++] = (char *)a;
	}
	va_end(ap);
	r->argv[r->argc] = NULL;

	optind = 0;
	opterr = 0;
	(void)getopt(1, dummy, ":");
	strcpy(r->err, "(unset)");
	r->rc = options_parse(r->argc, r->argv, &r->cfg, r->err,
	    sizeof(r->err));
	return r->rc;
}

/* Expect a usage error whose message contains every given fragment. */
static void
expect_error(struct run *r, ...)
{
	va_list ap;
	const char *frag;

	if (r->rc != -1)
		fail_msg("parse succeeded, expected an error");
	va_start(ap, r);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (strstr(r->err, frag) == NULL) {
			va_end(ap);
			fail_msg("error '%s' does not contain '%s'", r->err,
			    frag);
		}
	}
	va_end(ap);
	/* a failed parse must leave nothing to free */
	assert_null(r->cfg.output_path);
	assert_null(r->cfg.pipeout_argv);
}

#define PARSE(r, ...)		parse((r), __VA_ARGS__, (const char *)NULL)
#define EXPECT_ERROR(r, ...) \
	expect_error((r), __VA_ARGS__, (const char *)NULL)

static int
group_setup(void **state)
{
	(void)state;
	/* GNU permutation is part of the command line we emulate */
	unsetenv("POSIXLY_CORRECT");
	return 0;
}

/* --- whole command lines ---------------------------------------------- */

static void
test_defaults(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "out.pcap", "ring:eth0"), 0);
	assert_int_equal(r.cfg.action, ACTION_RUN);
	assert_false(r.cfg.rotating);
	assert_string_equal(r.cfg.output_path, "out.pcap");
	assert_null(r.cfg.filter);
	assert_int_equal(r.cfg.rotate_seconds, 0);
	assert_int_equal(r.cfg.rotate_bytes, 0);
	assert_int_equal(r.cfg.snaplen, OPTIONS_SNAPLEN_DEFAULT);
	assert_int_equal(r.cfg.snaplen, 64);
	assert_false(r.cfg.use_utc);
	assert_int_equal(r.cfg.verbose, 0);
	assert_null(r.cfg.watchfile);
	assert_int_equal(r.cfg.maxwait_ms, 1);
	assert_int_equal(r.cfg.compress_level, -1);
	assert_int_equal(r.cfg.compress_type, COMPRESS_NONE);
	assert_false(r.cfg.compress_type_given);
	assert_null(r.cfg.seqfile);
	assert_string_equal(r.cfg.file_ext, "");
	assert_null(r.cfg.relinquish_user);
	assert_null(r.cfg.pipeout);
	assert_null(r.cfg.pipeout_argv);
	assert_int_equal(r.cfg.queue_bytes, (size_t)8 << 20);
	assert_int_equal(r.cfg.ninputs, 1);
	assert_string_equal(r.cfg.inputs[0], "ring:eth0");
	options_free(&r.cfg);
	assert_null(r.cfg.output_path);
	options_free(&r.cfg);	/* twice is harmless */
	options_free(NULL);
}

static void
test_short_options(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-B", "pcapfile:/var/cap", "-F",
	    "tcp port 80", "-G", "60", "-N", "/var/seq", "-S", "10", "-s",
	    "128", "-U", "-v", "-v", "-W", "/run/watch", "-w", "250", "-z",
	    "6", "-Z", "bz2", "int:eth0", "erf:/tmp/x.erf"), 0);
	assert_int_equal(r.cfg.action, ACTION_RUN);
	assert_true(r.cfg.rotating);
	assert_string_equal(r.cfg.output_path, "/var/cap");
	assert_string_equal(r.cfg.filter, "tcp port 80");
	assert_int_equal(r.cfg.rotate_seconds, 60);
	assert_string_equal(r.cfg.seqfile, "/var/seq");
	assert_int_equal(r.cfg.rotate_bytes, 10ull << 20);
	assert_int_equal(r.cfg.snaplen, 128);
	assert_true(r.cfg.use_utc);
	assert_int_equal(r.cfg.verbose, 2);
	assert_string_equal(r.cfg.watchfile, "/run/watch");
	assert_int_equal(r.cfg.maxwait_ms, 250);
	assert_int_equal(r.cfg.compress_level, 6);
	assert_int_equal(r.cfg.compress_type, COMPRESS_BZ2);
	assert_true(r.cfg.compress_type_given);
	assert_int_equal(r.cfg.ninputs, 2);
	assert_string_equal(r.cfg.inputs[0], "int:eth0");
	assert_string_equal(r.cfg.inputs[1], "erf:/tmp/x.erf");
	options_free(&r.cfg);

	/* attached values and bundled flags */
	assert_int_equal(PARSE(&r, "-Uvvs0", "-w0", "-Bpcapfile:d", "-G1",
	    "in"), 0);
	assert_true(r.cfg.use_utc);
	assert_int_equal(r.cfg.verbose, 2);
	assert_int_equal(r.cfg.snaplen, OPTIONS_SNAPLEN_MAX);
	assert_int_equal(r.cfg.maxwait_ms, 0);
	assert_string_equal(r.cfg.output_path, "d");
	assert_int_equal(r.cfg.rotate_seconds, 1);
	assert_int_equal(r.cfg.ninputs, 1);
	options_free(&r.cfg);
}

static void
test_long_options(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "--baseuri=pcapfile:/var/cap",
	    "--filter", "udp", "--rotate-seconds=3600", "--seqfile", "/s",
	    "--rotate-sizemb=100", "--snaplen", "1514", "--use-utc",
	    "--verbose", "--watchfile=/w", "--maxwait_ms", "20",
	    "--compress-level=9", "--compress-type", "xz",
	    "--relinquish-privileges=nobody", "--file-ext", ".pcap.gz",
	    "--queue-size=16", "--capture-buffer=64", "--libtrace-live",
	    "ring:eth0", "ring:eth1", "pcapfile:old.pcap"), 0);
	assert_true(r.cfg.rotating);
	assert_string_equal(r.cfg.output_path, "/var/cap");
	assert_string_equal(r.cfg.filter, "udp");
	assert_int_equal(r.cfg.rotate_seconds, 3600);
	assert_string_equal(r.cfg.seqfile, "/s");
	assert_int_equal(r.cfg.rotate_bytes, 100ull << 20);
	assert_int_equal(r.cfg.snaplen, 1514);
	assert_true(r.cfg.use_utc);
	assert_int_equal(r.cfg.verbose, 1);
	assert_string_equal(r.cfg.watchfile, "/w");
	assert_int_equal(r.cfg.maxwait_ms, 20);
	assert_int_equal(r.cfg.compress_level, 9);
	assert_int_equal(r.cfg.compress_type, COMPRESS_XZ);
	assert_true(r.cfg.compress_type_given);
	assert_string_equal(r.cfg.relinquish_user, "nobody");
	assert_null(r.cfg.pipeout);
	assert_string_equal(r.cfg.file_ext, ".pcap.gz");
	assert_int_equal(r.cfg.queue_bytes, (size_t)16 << 20);
	assert_int_equal(r.cfg.capture_buffer, (size_t)64 << 20);
	assert_true(r.cfg.libtrace_live);
	assert_int_equal(r.cfg.ninputs, 3);
	assert_string_equal(r.cfg.inputs[2], "pcapfile:old.pcap");
	options_free(&r.cfg);

	/* --pipeout compresses by itself, so it goes without -z/-Z */
	assert_int_equal(PARSE(&r, "--pipeout=gzip -c -1", "o", "in"), 0);
	assert_string_equal(r.cfg.pipeout, "gzip -c -1");
	assert_non_null(r.cfg.pipeout_argv);
	assert_string_equal(r.cfg.pipeout_argv[0], "gzip");
	assert_string_equal(r.cfg.pipeout_argv[1], "-c");
	assert_string_equal(r.cfg.pipeout_argv[2], "-1");
	assert_null(r.cfg.pipeout_argv[3]);
	assert_int_equal(r.cfg.compress_type, COMPRESS_NONE);
	assert_false(r.cfg.libtrace_live);
	assert_int_equal(r.cfg.capture_buffer, (size_t)32 << 20);
	options_free(&r.cfg);

	/* the other spelling of each value-taking long option */
	assert_int_equal(PARSE(&r, "--baseuri", "pcapfile:d", "--filter=ip",
	    "--rotate-seconds", "5", "--seqfile=/q", "--rotate-sizemb", "2",
	    "--snaplen=0", "--watchfile", "/x", "--maxwait_ms=0",
	    "--compress-level", "1", "--compress-type=lzo",
	    "--relinquish-privileges", "daemon", "--file-ext=.x",
	    "--queue-size", "4096", "--capture-buffer", "2047", "in"), 0);
	assert_string_equal(r.cfg.output_path, "d");
	assert_string_equal(r.cfg.filter, "ip");
	assert_int_equal(r.cfg.rotate_seconds, 5);
	assert_string_equal(r.cfg.seqfile, "/q");
	assert_int_equal(r.cfg.rotate_bytes, 2ull << 20);
	assert_int_equal(r.cfg.snaplen, OPTIONS_SNAPLEN_MAX);
	assert_string_equal(r.cfg.watchfile, "/x");
	assert_int_equal(r.cfg.maxwait_ms, 0);
	assert_int_equal(r.cfg.compress_level, 1);
	assert_int_equal(r.cfg.compress_type, COMPRESS_LZO);
	assert_string_equal(r.cfg.relinquish_user, "daemon");
	assert_string_equal(r.cfg.file_ext, ".x");
	assert_int_equal(r.cfg.queue_bytes, (size_t)4096 << 20);
	assert_int_equal(r.cfg.capture_buffer, (size_t)2047 << 20);
	options_free(&r.cfg);

	assert_int_equal(PARSE(&r, "--pipeout", "xz", "o", "in"), 0);
	assert_string_equal(r.cfg.pipeout_argv[0], "xz");
	assert_null(r.cfg.pipeout_argv[1]);
	options_free(&r.cfg);
}

static void
test_actions(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-h"), 0);
	assert_int_equal(r.cfg.action, ACTION_HELP);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "--help"), 0);
	assert_int_equal(r.cfg.action, ACTION_HELP);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-H"), 0);
	assert_int_equal(r.cfg.action, ACTION_LIBTRACE_HELP);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "--libtrace-help"), 0);
	assert_int_equal(r.cfg.action, ACTION_LIBTRACE_HELP);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "--version"), 0);
	assert_int_equal(r.cfg.action, ACTION_VERSION);
	options_free(&r.cfg);
	/* help wins over a command line that is otherwise incomplete */
	assert_int_equal(PARSE(&r, "-s", "100", "--help"), 0);
	assert_int_equal(r.cfg.action, ACTION_HELP);
	options_free(&r.cfg);
}

static void
test_repeated_options_last_wins(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-s", "10", "-s", "20", "--pipeout=a b",
	    "--pipeout=c", "-Z", "gz", "-Z", "none", "out", "in"), 0);
	assert_int_equal(r.cfg.snaplen, 20);
	assert_string_equal(r.cfg.pipeout, "c");
	assert_string_equal(r.cfg.pipeout_argv[0], "c");
	assert_null(r.cfg.pipeout_argv[1]);
	assert_int_equal(r.cfg.compress_type, COMPRESS_NONE);
	options_free(&r.cfg);
}

static void
test_options_after_operands(void **state)
{
	struct run r;

	(void)state;
	/* getopt_long permutes, as in 0.6 */
	assert_int_equal(PARSE(&r, "out", "in1", "-s", "100", "in2"), 0);
	assert_int_equal(r.cfg.snaplen, 100);
	assert_string_equal(r.cfg.output_path, "out");
	assert_int_equal(r.cfg.ninputs, 2);
	assert_string_equal(r.cfg.inputs[0], "in1");
	assert_string_equal(r.cfg.inputs[1], "in2");
	options_free(&r.cfg);

	/* "--" ends the options */
	assert_int_equal(PARSE(&r, "--", "out", "-s"), 0);
	assert_int_equal(r.cfg.ninputs, 1);
	assert_string_equal(r.cfg.inputs[0], "-s");
	assert_int_equal(r.cfg.snaplen, 64);
	options_free(&r.cfg);
}

/* --- numbers ---------------------------------------------------------- */

static void
test_parse_u64_strict(void **state)
{
	static const char *const bad[] = {
		"abc", "12abc", "-1", "+1", " 1", "1 ", "\t1", "1\n", "0x10",
		"1.5", "1e3", "--1", "١", "1,000",
	};
	char err[256];
	uint64_t v;

	(void)state;
	assert_int_equal(options_parse_u64("0", 0, 10, &v, "X", err,
	    sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(options_parse_u64("007", 0, 10, &v, "X", err,
	    sizeof(err)), 0);
	assert_int_equal(v, 7);
	assert_int_equal(options_parse_u64("18446744073709551615", 0,
	    UINT64_MAX, &v, "X", err, sizeof(err)), 0);
	assert_int_equal(v, UINT64_MAX);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		err[0] = '\0';
		if (options_parse_u64(bad[i], 0, UINT64_MAX, &v, "-q/--quux",
		    err, sizeof(err)) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(v, 12345);	/* untouched */
		assert_non_null(strstr(err, bad[i]));
		assert_non_null(strstr(err, "-q/--quux"));
	}

	/* empty */
	assert_int_equal(options_parse_u64("", 0, 10, &v, "-q/--quux", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_non_null(strstr(err, "-q/--quux"));

	/* overflow of uint64_t itself */
	assert_int_equal(options_parse_u64("18446744073709551616", 0,
	    UINT64_MAX, &v, "X", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'18446744073709551616'"));
	assert_int_equal(options_parse_u64("99999999999999999999999999", 0,
	    UINT64_MAX, &v, "X", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'99999999999999999999999999'"));

	/* bounds are inclusive */
	assert_int_equal(options_parse_u64("10", 5, 10, &v, "X", err,
	    sizeof(err)), 0);
	assert_int_equal(v, 10);
	assert_int_equal(options_parse_u64("5", 5, 10, &v, "X", err,
	    sizeof(err)), 0);
	assert_int_equal(v, 5);
	assert_int_equal(options_parse_u64("11", 5, 10, &v, "X", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'11'"));
	assert_non_null(strstr(err, "10"));
	assert_int_equal(options_parse_u64("4", 5, 10, &v, "X", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'4'"));
	assert_non_null(strstr(err, "5"));

	/* a tiny error buffer is never overrun and stays terminated */
	{
		char small[8];

		memset(small, 'z', sizeof(small));
		assert_int_equal(options_parse_u64("abcdefghijkl", 0, 1, &v,
		    "X", small, sizeof(small)), -1);
		assert_non_null(memchr(small, '\0', sizeof(small)));
	}
}

/* One numeric option: each bad value is refused with a message naming it. */
static void
check_numeric_option(const char *opt, const char *name)
{
	static const char *const bad[] = {
		"", "x", "1x", "-1", "+1", " 1", "1 ", "0x1", "1.0",
		"18446744073709551616", "99999999999999999999",
	};
	struct run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE(&r, opt, bad[i], "-B", "d", "in");
		if (r.rc != -1)
			fail_msg("%s '%s' was accepted", opt, bad[i]);
		assert_non_null(strstr(r.err, name));
		if (bad[i][0] != '\0') {
			char quoted[64];

			snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
			if (strstr(r.err, quoted) == NULL)
				fail_msg("error '%s' does not name %s", r.err,
				    quoted);
		}
		assert_null(r.cfg.output_path);
	}
}

static void
test_numeric_garbage(void **state)
{
	(void)state;
	check_numeric_option("-s", "-s/--snaplen");
	check_numeric_option("--snaplen", "-s/--snaplen");
	check_numeric_option("-G", "-G/--rotate-seconds");
	check_numeric_option("--rotate-seconds", "-G/--rotate-seconds");
	check_numeric_option("-S", "-S/--rotate-sizemb");
	check_numeric_option("--rotate-sizemb", "-S/--rotate-sizemb");
	check_numeric_option("-w", "-w/--maxwait_ms");
	check_numeric_option("--maxwait_ms", "-w/--maxwait_ms");
	check_numeric_option("-z", "-z/--compress-level");
	check_numeric_option("--compress-level", "-z/--compress-level");
	check_numeric_option("--queue-size", "--queue-size");
	check_numeric_option("--capture-buffer", "--capture-buffer");
}

static void
test_snaplen(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-s", "0", "o", "i"), 0);
	assert_int_equal(r.cfg.snaplen, 262144);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-s", "1", "o", "i"), 0);
	assert_int_equal(r.cfg.snaplen, 1);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-s", "262144", "o", "i"), 0);
	assert_int_equal(r.cfg.snaplen, 262144);
	options_free(&r.cfg);
	PARSE(&r, "-s", "262145", "o", "i");
	EXPECT_ERROR(&r, "'262145'", "-s/--snaplen", "262144");
	PARSE(&r, "--snaplen=4294967296", "o", "i");
	EXPECT_ERROR(&r, "'4294967296'", "-s/--snaplen");
}

static void
test_rotate_seconds(void **state)
{
	struct run r;

	(void)state;
	PARSE(&r, "-G", "0", "-B", "d", "i");
	EXPECT_ERROR(&r, "'0'", "-G/--rotate-seconds");
	assert_int_equal(PARSE(&r, "-G", "1", "-B", "d", "i"), 0);
	assert_int_equal(r.cfg.rotate_seconds, 1);
	options_free(&r.cfg);
	/* ten years of 366 days */
	assert_int_equal(PARSE(&r, "-G", "316224000", "-B", "d", "i"), 0);
	assert_int_equal(r.cfg.rotate_seconds, 316224000);
	options_free(&r.cfg);
	PARSE(&r, "-G", "316224001", "-B", "d", "i");
	EXPECT_ERROR(&r, "'316224001'", "-G/--rotate-seconds");
}

static void
test_rotate_sizemb(void **state)
{
	struct run r;

	(void)state;
	PARSE(&r, "-S", "0", "-B", "d", "i");
	EXPECT_ERROR(&r, "'0'", "-S/--rotate-sizemb");
	assert_int_equal(PARSE(&r, "-S", "1", "-B", "d", "i"), 0);
	assert_int_equal(r.cfg.rotate_bytes, 1048576);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-S", "3", "-B", "d", "i"), 0);
	assert_int_equal(r.cfg.rotate_bytes, 3145728);
	options_free(&r.cfg);
	/* 1 TiB is the limit */
	assert_int_equal(PARSE(&r, "-S", "1048576", "-B", "d", "i"), 0);
	assert_int_equal(r.cfg.rotate_bytes, 1ull << 40);
	options_free(&r.cfg);
	PARSE(&r, "-S", "1048577", "-B", "d", "i");
	EXPECT_ERROR(&r, "'1048577'", "-S/--rotate-sizemb");
	/* would overflow 64 bits once shifted */
	PARSE(&r, "-S", "17592186044416", "-B", "d", "i");
	EXPECT_ERROR(&r, "'17592186044416'", "-S/--rotate-sizemb");
}

static void
test_maxwait_level_queue(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-w", "0", "o", "i"), 0);
	assert_int_equal(r.cfg.maxwait_ms, 0);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-w", "60000", "o", "i"), 0);
	assert_int_equal(r.cfg.maxwait_ms, 60000);
	options_free(&r.cfg);
	PARSE(&r, "-w", "60001", "o", "i");
	EXPECT_ERROR(&r, "'60001'", "-w/--maxwait_ms");

	for (int l = 1; l <= 9; l++) {
		char v[4];

		snprintf(v, sizeof(v), "%d", l);
		assert_int_equal(PARSE(&r, "-z", v, "o", "i"), 0);
		assert_int_equal(r.cfg.compress_level, l);
		options_free(&r.cfg);
	}
	PARSE(&r, "-z", "10", "o", "i");
	EXPECT_ERROR(&r, "'10'", "-z/--compress-level");

	PARSE(&r, "--queue-size=0", "o", "i");
	EXPECT_ERROR(&r, "'0'", "--queue-size");
	assert_int_equal(PARSE(&r, "--queue-size=1", "o", "i"), 0);
	assert_int_equal(r.cfg.queue_bytes, (size_t)1 << 20);
	options_free(&r.cfg);
	PARSE(&r, "--queue-size=4097", "o", "i");
	EXPECT_ERROR(&r, "'4097'", "--queue-size");

	PARSE(&r, "--capture-buffer=0", "o", "i");
	EXPECT_ERROR(&r, "'0'", "--capture-buffer");
	assert_int_equal(PARSE(&r, "--capture-buffer=1", "o", "i"), 0);
	assert_int_equal(r.cfg.capture_buffer, (size_t)1 << 20);
	options_free(&r.cfg);
	PARSE(&r, "--capture-buffer=2048", "o", "i");
	EXPECT_ERROR(&r, "'2048'", "--capture-buffer");
}

/* --- compression ------------------------------------------------------ */

static void
test_compress_types(void **state)
{
	/* without -z each type gets its tool's default level */
	static const struct {
		const char *name;
		enum compress_type t;
		int level;
	} ok[] = {
		{ "gz", COMPRESS_GZ, 6 }, { "gzip", COMPRESS_GZ, 6 },
		{ "zlib", COMPRESS_GZ, 6 }, { "bz2", COMPRESS_BZ2, 9 },
		{ "bzip2", COMPRESS_BZ2, 9 }, { "lzo", COMPRESS_LZO, 1 },
		{ "xz", COMPRESS_XZ, 6 }, { "lzma", COMPRESS_XZ, 6 },
		{ "none", COMPRESS_NONE, -1 }, { "no", COMPRESS_NONE, -1 },
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(PARSE(&r, "-Z", ok[i].name, "o", "i"), 0);
		assert_int_equal(r.cfg.compress_type, ok[i].t);
		assert_true(r.cfg.compress_type_given);
		assert_int_equal(r.cfg.compress_level, ok[i].level);
		options_free(&r.cfg);
	}
	assert_int_equal(options_default_level(COMPRESS_GZ), 6);
	assert_int_equal(options_default_level(COMPRESS_BZ2), 9);
	assert_int_equal(options_default_level(COMPRESS_XZ), 6);
	assert_int_equal(options_default_level(COMPRESS_LZO), 1);
	PARSE(&r, "-Z", "zip", "o", "i");
	EXPECT_ERROR(&r, "'zip'", "-Z/--compress-type");
	PARSE(&r, "--compress-type=GZ", "o", "i");
	EXPECT_ERROR(&r, "'GZ'");
	PARSE(&r, "-Z", "", "o", "i");
	EXPECT_ERROR(&r, "''", "-Z/--compress-type");

	assert_string_equal(options_compress_name(COMPRESS_NONE), "none");
	assert_string_equal(options_compress_name(COMPRESS_GZ), "gz");
	assert_string_equal(options_compress_name(COMPRESS_BZ2), "bz2");
	assert_string_equal(options_compress_name(COMPRESS_LZO), "lzo");
	assert_string_equal(options_compress_name(COMPRESS_XZ), "xz");
}

static void
test_level_without_type_means_gz(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-z", "3", "o", "i"), 0);
	assert_int_equal(r.cfg.compress_type, COMPRESS_GZ);
	assert_false(r.cfg.compress_type_given);
	assert_int_equal(r.cfg.compress_level, 3);
	options_free(&r.cfg);
	/* an explicit -Z wins, in either order */
	assert_int_equal(PARSE(&r, "-Z", "bz2", "-z", "3", "o", "i"), 0);
	assert_int_equal(r.cfg.compress_type, COMPRESS_BZ2);
	assert_int_equal(r.cfg.compress_level, 3);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-z", "3", "-Z", "xz", "o", "i"), 0);
	assert_int_equal(r.cfg.compress_type, COMPRESS_XZ);
	options_free(&r.cfg);
	/* level 0 would be an uncompressed file under a compressed name */
	PARSE(&r, "-z", "0", "o", "i");
	EXPECT_ERROR(&r, "-z/--compress-level 0", "gz");
	PARSE(&r, "-z", "0", "-Z", "bz2", "o", "i");
	EXPECT_ERROR(&r, "-z/--compress-level 0", "bz2");
	/* -Z none with a level is a contradiction, level 0 is not */
	PARSE(&r, "-z", "5", "-Z", "none", "o", "i");
	EXPECT_ERROR(&r, "-z/--compress-level 5", "none");
	assert_int_equal(PARSE(&r, "-z", "0", "-Z", "none", "o", "i"), 0);
	assert_int_equal(r.cfg.compress_type, COMPRESS_NONE);
	options_free(&r.cfg);
	/* compressing twice is refused, naming the command */
	PARSE(&r, "-z", "3", "--pipeout=zstd -q", "o", "i");
	EXPECT_ERROR(&r, "'zstd -q'");
	PARSE(&r, "-Z", "xz", "--pipeout=zstd", "o", "i");
	EXPECT_ERROR(&r, "'zstd'");
	assert_int_equal(PARSE(&r, "-Z", "none", "--pipeout=zstd", "o", "i"),
	    0);
	assert_string_equal(r.cfg.pipeout_argv[0], "zstd");
	options_free(&r.cfg);
}

/* --- -B only ---------------------------------------------------------- */

static void
test_rotating_options_need_baseuri(void **state)
{
	struct run r;

	(void)state;
	PARSE(&r, "-G", "60", "out.pcap", "in");
	EXPECT_ERROR(&r, "-G/--rotate-seconds", "-B");
	PARSE(&r, "-S", "10", "out.pcap", "in");
	EXPECT_ERROR(&r, "-S/--rotate-sizemb", "-B");
	PARSE(&r, "-N", "/var/seq", "out.pcap", "in");
	EXPECT_ERROR(&r, "-N/--seqfile", "'/var/seq'", "-B");
	PARSE(&r, "--seqfile=/var/seq", "out.pcap", "in");
	EXPECT_ERROR(&r, "'/var/seq'", "-B");
	PARSE(&r, "--file-ext=.pcap", "out.pcap", "in");
	EXPECT_ERROR(&r, "--file-ext", "'.pcap'", "-B");

	/* the same with -B are fine */
	assert_int_equal(PARSE(&r, "-G", "60", "-S", "10", "-N", "/var/seq",
	    "--file-ext=.pcap", "-B", "pcapfile:/d", "in"), 0);
	assert_true(r.cfg.rotating);
	options_free(&r.cfg);

	/* an empty --file-ext is the default and needs nothing */
	assert_int_equal(PARSE(&r, "--file-ext=", "out.pcap", "in"), 0);
	assert_string_equal(r.cfg.file_ext, "");
	options_free(&r.cfg);
	PARSE(&r, "--file-ext=a/b", "-B", "d", "in");
	EXPECT_ERROR(&r, "'a/b'", "--file-ext");
}

/* --- output URIs ------------------------------------------------------ */

static void
test_output_uri_forms(void **state)
{
	static const struct {
		const char *uri, *path;
	} ok[] = {
		{ "pcapfile:out.pcap", "out.pcap" },
		{ "pcapfile:/var/x.pcap", "/var/x.pcap" },
		{ "pcap:out.pcap", "out.pcap" },
		{ "out.pcap", "out.pcap" },
		{ "/abs/out.pcap", "/abs/out.pcap" },
		{ "pcapfile:-", "-" },
		{ "-", "-" },
		{ "pcapfile:a:b", "a:b" },
		{ "./a:b", "./a:b" },		/* a path with a colon */
		{ "/tmp/x:y/z", "/tmp/x:y/z" },
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (PARSE(&r, ok[i].uri, "in") != 0)
			fail_msg("'%s' refused: %s", ok[i].uri, r.err);
		assert_false(r.cfg.rotating);
		assert_string_equal(r.cfg.output_path, ok[i].path);
		assert_int_equal(r.cfg.ninputs, 1);
		options_free(&r.cfg);
	}

	PARSE(&r, "erf:x", "in");
	EXPECT_ERROR(&r, "'erf:x'", "outputuri");
	PARSE(&r, "pcapng:x.pcapng", "in");
	EXPECT_ERROR(&r, "'pcapng:x.pcapng'");
	PARSE(&r, "", "in");
	EXPECT_ERROR(&r, "empty", "outputuri");
	PARSE(&r, "pcapfile:", "in");
	EXPECT_ERROR(&r, "'pcapfile:'");

	/* -B forms */
	assert_int_equal(PARSE(&r, "-B", "pcapfile:/var/cap/", "in"), 0);
	assert_string_equal(r.cfg.output_path, "/var/cap/");
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-B", "/var/cap", "in"), 0);
	assert_string_equal(r.cfg.output_path, "/var/cap");
	options_free(&r.cfg);
	PARSE(&r, "-B", "erf:/var/cap", "in");
	EXPECT_ERROR(&r, "'erf:/var/cap'", "-B/--baseuri");
	PARSE(&r, "-B", "pcapfile:-", "in");
	EXPECT_ERROR(&r, "'pcapfile:-'", "-B/--baseuri");
	PARSE(&r, "-B", "-", "in");
	EXPECT_ERROR(&r, "-B/--baseuri");
	PARSE(&r, "-B", "", "in");
	EXPECT_ERROR(&r, "empty", "-B/--baseuri");
	PARSE(&r, "--baseuri=pcapfile:", "in");
	EXPECT_ERROR(&r, "'pcapfile:'", "-B/--baseuri");
}

static void
test_missing_inputs(void **state)
{
	struct run r;

	(void)state;
	PARSE(&r, (const char *)NULL);
	EXPECT_ERROR(&r, "missing outputuri");
	PARSE(&r, "-s", "100");
	EXPECT_ERROR(&r, "missing outputuri");
	PARSE(&r, "out.pcap");
	EXPECT_ERROR(&r, "missing traceuri");
	PARSE(&r, "-B", "pcapfile:/d");
	EXPECT_ERROR(&r, "missing traceuri");
	PARSE(&r, "out.pcap", "");
	EXPECT_ERROR(&r, "empty traceuri");
	PARSE(&r, "out.pcap", "in", "");
	EXPECT_ERROR(&r, "empty traceuri");
	/* with -B the first operand is an input, not the output */
	assert_int_equal(PARSE(&r, "-B", "d", "a", "b"), 0);
	assert_int_equal(r.cfg.ninputs, 2);
	assert_string_equal(r.cfg.inputs[0], "a");
	options_free(&r.cfg);
}

static void
test_bad_option_messages(void **state)
{
	struct run r;

	(void)state;
	PARSE(&r, "-x", "o", "i");
	EXPECT_ERROR(&r, "unknown option", "-x");
	PARSE(&r, "--bogus", "o", "i");
	EXPECT_ERROR(&r, "unknown option", "--bogus");
	PARSE(&r, "--bogus=1", "o", "i");
	EXPECT_ERROR(&r, "--bogus");
	PARSE(&r, "o", "i", "-s");
	EXPECT_ERROR(&r, "needs a value", "-s");
	PARSE(&r, "o", "i", "--snaplen");
	EXPECT_ERROR(&r, "needs a value", "--snaplen");
	PARSE(&r, "o", "i", "-B");
	EXPECT_ERROR(&r, "needs a value", "-B");

	/* empty strings where a name is needed */
	PARSE(&r, "-F", "", "o", "i");
	EXPECT_ERROR(&r, "empty", "-F/--filter");
	PARSE(&r, "-N", "", "-B", "d", "i");
	EXPECT_ERROR(&r, "empty", "-N/--seqfile");
	PARSE(&r, "-W", "", "o", "i");
	EXPECT_ERROR(&r, "empty", "-W/--watchfile");
	PARSE(&r, "--relinquish-privileges=", "o", "i");
	EXPECT_ERROR(&r, "empty", "--relinquish-privileges");
	PARSE(&r, "--pipeout=", "o", "i");
	EXPECT_ERROR(&r, "--pipeout");
	PARSE(&r, "--pipeout=gzip 'x", "o", "i");
	EXPECT_ERROR(&r, "--pipeout", "gzip 'x");
	/* an error after a --pipeout frees its words (ASan checks) */
	PARSE(&r, "--pipeout=gzip -c", "-s", "x", "o", "i");
	EXPECT_ERROR(&r, "'x'");
}

/* An argument given to a flag: the message names what was typed. */
static void
test_flag_with_value_message(void **state)
{
	struct run r;

	(void)state;
	PARSE(&r, "--version=2", "o", "i");
	EXPECT_ERROR(&r, "--version");
	PARSE(&r, "--libtrace-live=yes", "o", "i");
	EXPECT_ERROR(&r, "--libtrace-live");
	PARSE(&r, "--use-utc=yes", "o", "i");
	EXPECT_ERROR(&r, "--use-utc");
	PARSE(&r, "--verbose=2", "o", "i");
	EXPECT_ERROR(&r, "--verbose");
}

/* --- options_split_words ---------------------------------------------- */

/* Split cmd and compare with the NULL-terminated expected words. */
static void
check_words(const char *cmd, ...)
{
	char err[256] = "";
	char **w = options_split_words(cmd, err, sizeof(err));
	va_list ap;
	const char *want;
	size_t i = 0;

	if (w == NULL)
		fail_msg("split of [%s] failed: %s", cmd, err);
	va_start(ap, cmd);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (w[i] == NULL || strcmp(w[i], want) != 0) {
			va_end(ap);
			fail_msg("[%s]: word %zu is [%s], expected [%s]", cmd,
			    i, w[i] != NULL ? w[i] : "(none)", want);
		}
		i++;
	}
	va_end(ap);
	if (w[i] != NULL)
		fail_msg("[%s]: extra word [%s]", cmd, w[i]);
	options_free_words(w);
}

#define WORDS(cmd, ...) \
	check_words((cmd), __VA_ARGS__, (const char *)NULL)

static void
check_split_fails(const char *cmd, const char *frag)
{
	char err[256] = "";
	char **w = options_split_words(cmd, err, sizeof(err));

	if (w != NULL) {
		options_free_words(w);
		fail_msg("split of [%s] succeeded", cmd);
	}
	if (strstr(err, frag) == NULL)
		fail_msg("[%s]: error '%s' lacks '%s'", cmd, err, frag);
}

static void
test_split_words(void **state)
{
	(void)state;
	WORDS("gzip", "gzip");
	WORDS("gzip -c -9", "gzip", "-c", "-9");
	WORDS("  a \t b\nc  ", "a", "b", "c");
	WORDS("a b c d e f g h", "a", "b", "c", "d", "e", "f", "g", "h");
	/* single quotes: everything literal */
	WORDS("'a b' c", "a b", "c");
	WORDS("'a\\b \"c\"'", "a\\b \"c\"");
	WORDS("x'y z'w", "xy zw");
	WORDS("''", "");
	WORDS("'' '' ''", "", "", "");
	WORDS("a '' b", "a", "", "b");
	/* double quotes: \" and \\ are escapes, other backslashes stay */
	WORDS("\"a b\"", "a b");
	WORDS("\"a \\\" b\"", "a \" b");
	WORDS("\"a\\\\b\"", "a\\b");
	WORDS("\"a\\nb\"", "a\\nb");
	WORDS("\"it's\"", "it's");
	WORDS("'say \"hi\"'", "say \"hi\"");
	WORDS("\"$HOME\" `x` *", "$HOME", "`x`", "*");	/* no expansion */
	/* backslash outside quotes escapes any one character */
	WORDS("a\\ b", "a b");
	WORDS("\\'x", "'x");
	WORDS("\\\\", "\\");
	WORDS("a\\\"b", "a\"b");
	WORDS("xz -T0 --stdout", "xz", "-T0", "--stdout");

	check_split_fails("'abc", "unbalanced");
	check_split_fails("a 'b c", "'a 'b c'");
	check_split_fails("\"abc", "unbalanced");
	check_split_fails("\"a\\\"", "unbalanced");
	check_split_fails("abc\\", "unbalanced");
	check_split_fails("", "empty");
	check_split_fails("   \t\n", "empty");
	options_free_words(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_short_options),
		cmocka_unit_test(test_long_options),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_repeated_options_last_wins),
		cmocka_unit_test(test_options_after_operands),
		cmocka_unit_test(test_parse_u64_strict),
		cmocka_unit_test(test_numeric_garbage),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_rotate_seconds),
		cmocka_unit_test(test_rotate_sizemb),
		cmocka_unit_test(test_maxwait_level_queue),
		cmocka_unit_test(test_compress_types),
		cmocka_unit_test(test_level_without_type_means_gz),
		cmocka_unit_test(test_rotating_options_need_baseuri),
		cmocka_unit_test(test_output_uri_forms),
		cmocka_unit_test(test_missing_inputs),
		cmocka_unit_test(test_bad_option_messages),
		cmocka_unit_test(test_flag_with_value_message),
		cmocka_unit_test(test_split_words),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
