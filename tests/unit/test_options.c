/*
 * test_options.c - unit tests for options.c: the command line of
 * mtracecap 0.6 (every short and long option), strict number parsing,
 * output URI forms, the -B-only options (the word splitting of
 * --pipeout and --post-rotate: test_words.c), and the exact messages of
 * the SIZE, --min-free and --stop-after values and of what the disk
 * bounds, --rotate-align and --post-rotate-timeout need.
 */
#include "config.h"

#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"
#include "tstamp.h"

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
 * Parse "mtracecap" followed by the arguments in args (NULL-terminated,
 * or all nargs of them).  getopt keeps hidden state (the position inside
 * a bundle of short options) that options_parse() does not reset (it is
 * called once per process), so start each parse from a fully initialised
 * getopt.
 */
static int
parse_args(struct run *r, const char *const *args, size_t nargs)
{
	static char prog[] = "mtracecap";
	static char dummy_prog[] = "x";
	char *dummy[] = { dummy_prog, NULL };

	memset(r, 0, sizeof(*r));
	r->argv[r->argc++] = prog;
	for (size_t i = 0; i < nargs && args[i] != NULL; i++) {
		assert_true(r->argc < MAXARGS - 1);
		r->argv[r->argc++] = (char *)args[i];
	}
	r->argv[r->argc] = NULL;

	optind = 0;
	opterr = 0;
	(void)getopt(1, dummy, ":");
	strcpy(r->err, "(unset)");
	r->rc = options_parse(r->argc, r->argv, &r->cfg, r->err,
	    sizeof(r->err));
	return r->rc;
}

/* parse_args() for the NULL-terminated arguments after r. */
static int
parse(struct run *r, ...)
{
	const char *args[MAXARGS];
	size_t n = 0;
	va_list ap;

	va_start(ap, r);
	while ((args[n] = va_arg(ap, const char *)) != NULL) {
		assert_true(n < MAXARGS - 1);
		n++;
	}
	va_end(ap);
	return parse_args(r, args, n);
}

#define PARSE(r, ...)		parse((r), __VA_ARGS__, (const char *)NULL)

/* The arguments of r as one string, for messages. */
static const char *
cmdline(const struct run *r)
{
	static char buf[1024];

	buf[0] = '\0';
	for (int i = 1; i < r->argc; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s[%s]",
		    i > 1 ? " " : "", r->argv[i]);
	return buf;
}

/*
 * Expect a usage error whose message contains every fragment of frags
 * (NULL-terminated, or all nfrags of them).
 */
static void
expect_error(const struct run *r, const char *const *frags, size_t nfrags)
{
	if (r->rc != -1)
		fail_msg("%s: parse succeeded, expected an error", cmdline(r));
	for (size_t i = 0; i < nfrags && frags[i] != NULL; i++)
		if (strstr(r->err, frags[i]) == NULL)
			fail_msg("%s: error '%s' does not contain '%s'",
			    cmdline(r), r->err, frags[i]);
	/* a failed parse must leave nothing to free */
	assert_null(r->cfg.output_path);
	assert_null(r->cfg.pipeout_argv);
}

/* --- tables of command lines ------------------------------------------ */

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The fields of struct config that a table can check. */
enum field {
	F_NONE = 0,		/* ends a list of checks */
	/* numbers (booleans are 0 or 1) */
	F_ACTION,
	F_ROTATING,
	F_ROTATE_SECONDS,
	F_ROTATE_BYTES,
	F_SNAPLEN,
	F_USE_UTC,
	F_VERBOSE,
	F_MAXWAIT_MS,
	F_COMPRESS_LEVEL,
	F_COMPRESS_TYPE,
	F_COMPRESS_TYPE_GIVEN,
	F_QUEUE_BYTES,
	F_CAPTURE_BUFFER,
	F_LIBTRACE_LIVE,
	F_NINPUTS,
	F_MAX_FILES,
	F_POST_ROTATE_TIMEOUT,
	/* strings, NULL if unset */
	F_OUTPUT_PATH,
	F_FILTER,
	F_WATCHFILE,
	F_SEQFILE,
	F_FILE_EXT,
	F_RELINQUISH_USER,
	F_PIPEOUT,
	F_INPUT_0,
	F_INPUT_1,
	F_INPUT_2,
};

/* Number field f of c; *name says which. */
static uint64_t
num_field(const struct config *c, enum field f, const char **name)
{
	switch (f) {
	case F_ACTION:		*name = "action"; return c->action;
	case F_ROTATING:	*name = "rotating"; return c->rotating;
	case F_ROTATE_SECONDS:	*name = "rotate_seconds";
				return c->rotate_seconds;
	case F_ROTATE_BYTES:	*name = "rotate_bytes"; return c->rotate_bytes;
	case F_SNAPLEN:		*name = "snaplen"; return c->snaplen;
	case F_USE_UTC:		*name = "use_utc"; return c->use_utc;
	case F_VERBOSE:		*name = "verbose"; return (uint64_t)c->verbose;
	case F_MAXWAIT_MS:	*name = "maxwait_ms"; return c->maxwait_ms;
	case F_COMPRESS_LEVEL:	*name = "compress_level";
				return (uint64_t)c->compress_level;
	case F_COMPRESS_TYPE:	*name = "compress_type";
				return c->compress_type;
	case F_COMPRESS_TYPE_GIVEN: *name = "compress_type_given";
				return c->compress_type_given;
	case F_QUEUE_BYTES:	*name = "queue_bytes"; return c->queue_bytes;
	case F_CAPTURE_BUFFER:	*name = "capture_buffer";
				return c->capture_buffer;
	case F_LIBTRACE_LIVE:	*name = "libtrace_live";
				return c->libtrace_live;
	case F_NINPUTS:		*name = "ninputs"; return c->ninputs;
	case F_MAX_FILES:	*name = "max_files"; return c->max_files;
	case F_POST_ROTATE_TIMEOUT: *name = "post_rotate_timeout_s";
				return c->post_rotate_timeout_s;
	default:		break;
	}
	fail_msg("field %d is not a number", (int)f);
	return 0;
}

/* String field f of c (NULL if unset); *name says which. */
static const char *
str_field(const struct config *c, enum field f, const char **name)
{
	switch (f) {
	case F_OUTPUT_PATH:	*name = "output_path"; return c->output_path;
	case F_FILTER:		*name = "filter"; return c->filter;
	case F_WATCHFILE:	*name = "watchfile"; return c->watchfile;
	case F_SEQFILE:		*name = "seqfile"; return c->seqfile;
	case F_FILE_EXT:	*name = "file_ext"; return c->file_ext;
	case F_RELINQUISH_USER:	*name = "relinquish_user";
				return c->relinquish_user;
	case F_PIPEOUT:		*name = "pipeout"; return c->pipeout;
	case F_INPUT_0:		*name = "inputs[0]";
				return c->ninputs > 0 ? c->inputs[0] : NULL;
	case F_INPUT_1:		*name = "inputs[1]";
				return c->ninputs > 1 ? c->inputs[1] : NULL;
	case F_INPUT_2:		*name = "inputs[2]";
				return c->ninputs > 2 ? c->inputs[2] : NULL;
	default:		break;
	}
	fail_msg("field %d is not a string", (int)f);
	return NULL;
}

/* One field and the value it must have. */
struct check {
	enum field	 field;
	uint64_t	 num;		/* a number field */
	const char	*str;		/* a string field */
};

#define NUM(f, v)	{ .field = (f), .num = (v) }
#define STR(f, s)	{ .field = (f), .str = (s) }

/* Fail, naming the command line of r, unless check k holds for r. */
static void
expect_field(const struct run *r, const struct check *k)
{
	const char *name = "", *got;
	uint64_t n;

	if (k->field >= F_OUTPUT_PATH) {
		got = str_field(&r->cfg, k->field, &name);
		if (got == NULL ? k->str != NULL :
		    k->str == NULL || strcmp(got, k->str) != 0)
			fail_msg("%s: %s is [%s], expected [%s]", cmdline(r),
			    name, got != NULL ? got : "(null)",
			    k->str != NULL ? k->str : "(null)");
		return;
	}
	n = num_field(&r->cfg, k->field, &name);
	if (n != k->num)
		fail_msg("%s: %s is %llu, expected %llu", cmdline(r), name,
		    (unsigned long long)n, (unsigned long long)k->num);
}

/* Every check of checks (up to n, or to the first F_NONE) holds for r. */
static void
expect_fields(const struct run *r, const struct check *checks, size_t n)
{
	for (size_t i = 0; i < n && checks[i].field != F_NONE; i++)
		expect_field(r, &checks[i]);
}

/*
 * One command line and what options_parse() must make of it: a usage
 * error containing every fragment of error, or (no fragments) success
 * with every check holding.
 */
struct cmdline {
	const char	*args[12];	/* after "mtracecap"; NULL-padded */
	const char	*error[4];
	struct check	 checks[3];
};

#define ARGS(...)		{ __VA_ARGS__ }
#define REFUSED(args, ...)	{ args, { __VA_ARGS__ }, { NUM(F_NONE, 0) } }
#define ACCEPTED(args, ...)	{ args, { NULL }, { __VA_ARGS__ } }

/* Parse each command line of the table in turn and check the outcome. */
static void
run_cmdlines(const struct cmdline *c, size_t n)
{
	for (; n > 0; n--, c++) {
		struct run r;

		parse_args(&r, c->args, NELEM(c->args));
		if (c->error[0] != NULL) {
			expect_error(&r, c->error, NELEM(c->error));
			continue;
		}
		if (r.rc != 0)
			fail_msg("%s refused: %s", cmdline(&r), r.err);
		expect_fields(&r, c->checks, NELEM(c->checks));
		options_free(&r.cfg);
	}
}

#define RUN_CMDLINES(table)	run_cmdlines((table), NELEM(table))

/*
 * A numeric option and its inclusive range [lo, hi].  lo and hi are
 * accepted (every value in between too if there are at most 16) and set
 * field to the value times scale; hi + 1, and lo - 1 if below, are
 * refused with a message naming the value, the option and the bound.
 */
struct range {
	const char	*opt;		/* "-G", or "--queue-size=" (glued) */
	const char	*name;		/* the option as messages name it */
	bool		 needs_b;	/* a -B option: "-B d i", not "o i" */
	bool		 below;
	enum field	 field;
	uint64_t	 lo, hi, scale;
};

static void
check_range(const struct range *g)
{
	uint64_t first = g->below ? g->lo - 1 : g->lo;

	for (uint64_t v = first; v <= g->hi + 1; v++) {
		struct cmdline c;
		char val[32], glued[64], quoted[40], bound[32];
		size_t n = 0;

		if (v > g->lo && v < g->hi && g->hi - g->lo > 16)
			v = g->hi;
		memset(&c, 0, sizeof(c));
		snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
		if (g->opt[strlen(g->opt) - 1] == '=') {
			snprintf(glued, sizeof(glued), "%s%s", g->opt, val);
			c.args[n++] = glued;
		} else {
			c.args[n++] = g->opt;
			c.args[n++] = val;
		}
		if (g->needs_b)
			c.args[n++] = "-B";
		c.args[n++] = g->needs_b ? "d" : "o";
		c.args[n++] = "i";
		if (v < g->lo || v > g->hi) {
			snprintf(quoted, sizeof(quoted), "'%s'", val);
			snprintf(bound, sizeof(bound), "%llu",
			    (unsigned long long)(v < g->lo ? g->lo : g->hi));
			c.error[0] = quoted;
			c.error[1] = g->name;
			c.error[2] = bound;
		} else {
			c.checks[0].field = g->field;
			c.checks[0].num = v * g->scale;
		}
		run_cmdlines(&c, 1);
	}
}

/*
 * Part of a whole command line: an option and its value, or operands,
 * and what it must set.
 */
struct setting {
	const char	*args[3];
	struct check	 checks[4];
};

/*
 * Parse the command line made of the args of every setting, in order:
 * it must succeed and every check hold.  The caller frees r->cfg.
 */
static void
parse_settings(struct run *r, const struct setting *s, size_t n)
{
	const char *args[MAXARGS] = { NULL };
	size_t nargs = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < NELEM(s[i].args) &&
		    s[i].args[k] != NULL; k++) {
			assert_true(nargs < MAXARGS - 1);
			args[nargs++] = s[i].args[k];
		}
	if (parse_args(r, args, nargs) != 0)
		fail_msg("%s refused: %s", cmdline(r), r->err);
	for (size_t i = 0; i < n; i++)
		expect_fields(r, s[i].checks, NELEM(s[i].checks));
}

/* parse_settings(), then free what it parsed. */
static void
check_settings(const struct setting *s, size_t n)
{
	struct run r;

	parse_settings(&r, s, n);
	options_free(&r.cfg);
}

#define PARSE_SETTINGS(r, table) \
	parse_settings((r), (table), NELEM(table))
#define CHECK_SETTINGS(table)		check_settings((table), NELEM(table))

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
	static const struct setting line[] = {
		{ ARGS("-B", "pcapfile:/var/cap"), { NUM(F_ROTATING, true),
		    STR(F_OUTPUT_PATH, "/var/cap") } },
		{ ARGS("-F", "tcp port 80"), { STR(F_FILTER, "tcp port 80") } },
		{ ARGS("-G", "60"), { NUM(F_ROTATE_SECONDS, 60) } },
		{ ARGS("-N", "/var/seq"), { STR(F_SEQFILE, "/var/seq") } },
		{ ARGS("-S", "10"), { NUM(F_ROTATE_BYTES, 10ull << 20) } },
		{ ARGS("-s", "128"), { NUM(F_SNAPLEN, 128) } },
		{ ARGS("-U"), { NUM(F_USE_UTC, true) } },
		{ ARGS("-v", "-v"), { NUM(F_VERBOSE, 2) } },
		{ ARGS("-W", "/run/watch"),
		    { STR(F_WATCHFILE, "/run/watch") } },
		{ ARGS("-w", "250"), { NUM(F_MAXWAIT_MS, 250) } },
		{ ARGS("-z", "6"), { NUM(F_COMPRESS_LEVEL, 6) } },
		{ ARGS("-Z", "bz2"), { NUM(F_COMPRESS_TYPE, COMPRESS_BZ2),
		    NUM(F_COMPRESS_TYPE_GIVEN, true) } },
		{ ARGS("int:eth0", "erf:/tmp/x.erf"), {
		    NUM(F_ACTION, ACTION_RUN), NUM(F_NINPUTS, 2),
		    STR(F_INPUT_0, "int:eth0"),
		    STR(F_INPUT_1, "erf:/tmp/x.erf") } },
	}, bundled[] = {
		/* attached values and bundled flags */
		{ ARGS("-Uvvs0"), { NUM(F_USE_UTC, true), NUM(F_VERBOSE, 2),
		    NUM(F_SNAPLEN, OPTIONS_SNAPLEN_MAX) } },
		{ ARGS("-w0"), { NUM(F_MAXWAIT_MS, 0) } },
		{ ARGS("-Bpcapfile:d"), { STR(F_OUTPUT_PATH, "d") } },
		{ ARGS("-G1"), { NUM(F_ROTATE_SECONDS, 1) } },
		{ ARGS("in"), { NUM(F_NINPUTS, 1) } },
	};

	(void)state;
	CHECK_SETTINGS(line);
	CHECK_SETTINGS(bundled);
}

static void
test_long_options(void **state)
{
	static const struct setting line[] = {
		{ ARGS("--baseuri=pcapfile:/var/cap"), { NUM(F_ROTATING, true),
		    STR(F_OUTPUT_PATH, "/var/cap") } },
		{ ARGS("--filter", "udp"), { STR(F_FILTER, "udp") } },
		{ ARGS("--rotate-seconds=3600"),
		    { NUM(F_ROTATE_SECONDS, 3600) } },
		{ ARGS("--seqfile", "/s"), { STR(F_SEQFILE, "/s") } },
		{ ARGS("--rotate-sizemb=100"),
		    { NUM(F_ROTATE_BYTES, 100ull << 20) } },
		{ ARGS("--snaplen", "1514"), { NUM(F_SNAPLEN, 1514) } },
		{ ARGS("--use-utc"), { NUM(F_USE_UTC, true) } },
		{ ARGS("--verbose"), { NUM(F_VERBOSE, 1) } },
		{ ARGS("--watchfile=/w"), { STR(F_WATCHFILE, "/w") } },
		{ ARGS("--maxwait_ms", "20"), { NUM(F_MAXWAIT_MS, 20) } },
		{ ARGS("--compress-level=9"), { NUM(F_COMPRESS_LEVEL, 9) } },
		{ ARGS("--compress-type", "xz"), {
		    NUM(F_COMPRESS_TYPE, COMPRESS_XZ),
		    NUM(F_COMPRESS_TYPE_GIVEN, true) } },
		{ ARGS("--relinquish-privileges=nobody"),
		    { STR(F_RELINQUISH_USER, "nobody") } },
		{ ARGS("--file-ext", ".pcap.gz"),
		    { STR(F_FILE_EXT, ".pcap.gz") } },
		{ ARGS("--queue-size=16"),
		    { NUM(F_QUEUE_BYTES, (size_t)16 << 20) } },
		{ ARGS("--capture-buffer=64"),
		    { NUM(F_CAPTURE_BUFFER, (size_t)64 << 20) } },
		{ ARGS("--libtrace-live"), { NUM(F_LIBTRACE_LIVE, true) } },
		{ ARGS("ring:eth0", "ring:eth1", "pcapfile:old.pcap"), {
		    NUM(F_NINPUTS, 3), STR(F_INPUT_2, "pcapfile:old.pcap"),
		    STR(F_PIPEOUT, NULL) } },
	}, zstd[] = {
		/* libwandio >= 4.2 types; main.c refuses them with older */
		{ ARGS("-Z", "zstd"), { NUM(F_COMPRESS_TYPE, COMPRESS_ZSTD),
		    NUM(F_COMPRESS_LEVEL, 3) } },
		{ ARGS("o", "in"), { NUM(F_NINPUTS, 1) } },
	}, lz4[] = {
		{ ARGS("--compress-type=lz4"), {
		    NUM(F_COMPRESS_TYPE, COMPRESS_LZ4),
		    NUM(F_COMPRESS_LEVEL, 1) } },
		{ ARGS("o", "in"), { NUM(F_NINPUTS, 1) } },
	}, pipeout[] = {
		/* --pipeout compresses by itself, so it goes without -z/-Z */
		{ ARGS("--pipeout=gzip -c -1"), {
		    STR(F_PIPEOUT, "gzip -c -1"),
		    NUM(F_COMPRESS_TYPE, COMPRESS_NONE) } },
		{ ARGS("o", "in"), { NUM(F_LIBTRACE_LIVE, false),
		    NUM(F_CAPTURE_BUFFER, (size_t)8 << 20) } },
	}, spelling[] = {
		/* the other spelling of each value-taking long option */
		{ ARGS("--baseuri", "pcapfile:d"),
		    { STR(F_OUTPUT_PATH, "d") } },
		{ ARGS("--filter=ip"), { STR(F_FILTER, "ip") } },
		{ ARGS("--rotate-seconds", "5"), { NUM(F_ROTATE_SECONDS, 5) } },
		{ ARGS("--seqfile=/q"), { STR(F_SEQFILE, "/q") } },
		{ ARGS("--rotate-sizemb", "2"),
		    { NUM(F_ROTATE_BYTES, 2ull << 20) } },
		{ ARGS("--snaplen=0"),
		    { NUM(F_SNAPLEN, OPTIONS_SNAPLEN_MAX) } },
		{ ARGS("--watchfile", "/x"), { STR(F_WATCHFILE, "/x") } },
		{ ARGS("--maxwait_ms=0"), { NUM(F_MAXWAIT_MS, 0) } },
		{ ARGS("--compress-level", "1"), { NUM(F_COMPRESS_LEVEL, 1) } },
		{ ARGS("--compress-type=lzo"),
		    { NUM(F_COMPRESS_TYPE, COMPRESS_LZO) } },
		{ ARGS("--relinquish-privileges", "daemon"),
		    { STR(F_RELINQUISH_USER, "daemon") } },
		{ ARGS("--file-ext=.x"), { STR(F_FILE_EXT, ".x") } },
		{ ARGS("--queue-size", "4096"),
		    { NUM(F_QUEUE_BYTES, (size_t)4096 << 20) } },
		{ ARGS("--capture-buffer", "2047"),
		    { NUM(F_CAPTURE_BUFFER, (size_t)2047 << 20) } },
		{ ARGS("in"), { NUM(F_NONE, 0) } },
	};
	struct run r;

	(void)state;
	CHECK_SETTINGS(line);
	CHECK_SETTINGS(spelling);
	CHECK_SETTINGS(zstd);
	CHECK_SETTINGS(lz4);

	PARSE_SETTINGS(&r, pipeout);
	assert_non_null(r.cfg.pipeout_argv);
	assert_string_equal(r.cfg.pipeout_argv[0], "gzip");
	assert_string_equal(r.cfg.pipeout_argv[1], "-c");
	assert_string_equal(r.cfg.pipeout_argv[2], "-1");
	assert_null(r.cfg.pipeout_argv[3]);
	options_free(&r.cfg);

	assert_int_equal(PARSE(&r, "--pipeout", "xz", "o", "in"), 0);
	assert_string_equal(r.cfg.pipeout_argv[0], "xz");
	assert_null(r.cfg.pipeout_argv[1]);
	options_free(&r.cfg);
}

/* --time-stamp-precision: micro (the default) or nano, nothing else */
static void
test_tstamp_precision(void **state)
{
	static const char *const bad[] = { "milli", "", "NANO", "nano ",
	    "micros" };
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "o", "i"), 0);
	assert_false(r.cfg.tstamp_nano);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "--time-stamp-precision=nano", "o", "i"),
	    0);
	assert_true(r.cfg.tstamp_nano);
	options_free(&r.cfg);
	/* the last one wins */
	assert_int_equal(PARSE(&r, "--time-stamp-precision", "nano",
	    "--time-stamp-precision=micro", "o", "i"), 0);
	assert_false(r.cfg.tstamp_nano);
	options_free(&r.cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];

		assert_int_equal(PARSE(&r, "--time-stamp-precision", bad[i],
		    "o", "i"), -1);
		snprintf(want, sizeof(want), "invalid value '%s' for "
		    "--time-stamp-precision: expected micro or nano", bad[i]);
		assert_string_equal(r.err, want);
	}
}

/* --time-stamp-type: tcpdump -j's five words, for live libpcap inputs */
static void
test_tstamp_type(void **state)
{
	static const struct { const char *word; int type; } good[] = {
		{ "host", PCAP_TSTAMP_HOST },
		{ "host_lowprec", PCAP_TSTAMP_HOST_LOWPREC },
		{ "host_hiprec", PCAP_TSTAMP_HOST_HIPREC },
		{ "adapter", PCAP_TSTAMP_ADAPTER },
		{ "adapter_unsynced", PCAP_TSTAMP_ADAPTER_UNSYNCED },
	};
	static const char *const bad[] = { "", "Host", "ADAPTER", "adapter ",
	    "hardware", "host_hiprec_unsynced", "3", "adapter,host" };
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "o", "ring:eth0"), 0);
	assert_int_equal(r.cfg.tstamp_type, TSTAMP_TYPE_DEFAULT);
	options_free(&r.cfg);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "--time-stamp-type=%s",
		    good[i].word);
		assert_int_equal(PARSE(&r, opt, "o", "ring:eth0"), 0);
		assert_int_equal(r.cfg.tstamp_type, good[i].type);
		assert_string_equal(tstamp_type_name(good[i].type),
		    good[i].word);
		options_free(&r.cfg);
	}
	/* the last one wins; a file beside a live input is fine */
	assert_int_equal(PARSE(&r, "--time-stamp-type", "adapter",
	    "--time-stamp-type=host", "o", "f.pcap", "pcapint:eth1"), 0);
	assert_int_equal(r.cfg.tstamp_type, PCAP_TSTAMP_HOST);
	options_free(&r.cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		assert_int_equal(PARSE(&r, "--time-stamp-type", bad[i], "o",
		    "ring:eth0"), -1);
		snprintf(want, sizeof(want), "invalid value '%s' for "
		    "--time-stamp-type: expected host, host_lowprec, "
		    "host_hiprec, adapter or adapter_unsynced", bad[i]);
		assert_string_equal(r.err, want);
	}
	assert_int_equal(PARSE(&r, "o", "ring:eth0", "--time-stamp-type"), -1);
	assert_string_equal(r.err,
	    "option '--time-stamp-type' needs a value");
	/* no input whose type libpcap sets: files, libtrace's readers */
	assert_int_equal(PARSE(&r, "--time-stamp-type=adapter", "o", "f.pcap",
	    "erf:x.erf", "dag:/dev/dag0"), -1);
	assert_string_equal(r.err, "--time-stamp-type=adapter needs a live "
	    "input read by libpcap (ring:, int: or pcapint:, without "
	    "--libtrace-live)");
	assert_int_equal(PARSE(&r, "--libtrace-live", "--time-stamp-type=host",
	    "o", "ring:eth0"), -1);
	assert_string_equal(r.err, "--time-stamp-type=host needs a live "
	    "input read by libpcap (ring:, int: or pcapint:, without "
	    "--libtrace-live)");
}

/* --metrics-listen=[ADDR:]PORT: a bare port is loopback only; ADDR is
 * numeric IPv4 or [IPv6]; --metrics-file is a path */
static void
test_metrics_options(void **state)
{
	static const struct {
		const char *arg, *addr;
		bool v6;
		unsigned port;
	} good[] = {
		{ "9100", "127.0.0.1", false, 9100 },
		{ "0.0.0.0:1", "0.0.0.0", false, 1 },
		{ "192.0.2.7:65535", "192.0.2.7", false, 65535 },
		{ "[::1]:9100", "::1", true, 9100 },
		{ "[::]:80", "::", true, 80 },
	};
	static const struct { const char *arg, *want; } bad[] = {
		{ "0", "invalid value '0' for --metrics-listen's port: must be "
		    "at least 1" },
		{ "65536", "invalid value '65536' for --metrics-listen's port: "
		    "larger than 65535" },
		{ "127.0.0.1:", "empty value for --metrics-listen's port" },
		{ "x:80", "invalid address 'x' for --metrics-listen: not a "
		    "numeric IPv4 address (IPv6 goes in brackets)" },
		{ "::1:80", "invalid address '::1' for --metrics-listen: not a "
		    "numeric IPv4 address (IPv6 goes in brackets)" },
		{ "[1.2.3.4]:80", "invalid address '1.2.3.4' for "
		    "--metrics-listen: not a numeric IPv6 address" },
		{ ":80", "invalid value ':80' for --metrics-listen: want "
		    "[ADDR:]PORT, ADDR an IPv4 address or [IPv6]" },
		{ "[]:80", "invalid value '[]:80' for --metrics-listen: want "
		    "[ADDR:]PORT, ADDR an IPv4 address or [IPv6]" },
		{ "localhost:80", "invalid address 'localhost' for "
		    "--metrics-listen: not a numeric IPv4 address (IPv6 goes "
		    "in brackets)" },
	};
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "o", "ring:eth0"), 0);
	assert_false(r.cfg.metrics_listen.set);
	assert_null(r.cfg.metrics_file);
	options_free(&r.cfg);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "--metrics-listen=%s", good[i].arg);
		assert_int_equal(PARSE(&r, opt, "o", "ring:eth0"), 0);
		assert_true(r.cfg.metrics_listen.set);
		assert_string_equal(r.cfg.metrics_listen.addr, good[i].addr);
		assert_int_equal(r.cfg.metrics_listen.v6, good[i].v6);
		assert_int_equal(r.cfg.metrics_listen.port, good[i].port);
		options_free(&r.cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(PARSE(&r, "--metrics-listen", bad[i].arg, "o",
		    "ring:eth0"), -1);
		assert_string_equal(r.err, bad[i].want);
	}
	assert_int_equal(PARSE(&r, "--metrics-file=/run/m.prom", "o",
	    "ring:eth0"), 0);
	assert_string_equal(r.cfg.metrics_file, "/run/m.prom");
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "--metrics-file=", "o", "ring:eth0"), -1);
	assert_string_equal(r.err, "empty value for --metrics-file");
}

/* --fanout=N[,MODE][,defrag]: N 1-64, one mode, defrag once; live libpcap
 * inputs only */
static void
test_fanout(void **state)
{
	static const struct {
		const char *arg;
		unsigned n;
		enum options_fanout_mode mode;
		bool defrag;
	} good[] = {
		{ "1", 1, FANOUT_HASH, false },
		{ "64", 64, FANOUT_HASH, false },
		{ "4,lb", 4, FANOUT_LB, false },
		{ "2,cpu,defrag", 2, FANOUT_CPU, true },
		{ "3,defrag,qm", 3, FANOUT_QM, true },
		{ "8,hash", 8, FANOUT_HASH, false },
	};
	static const struct { const char *arg, *want; } bad[] = {
		{ "0", "invalid value '0' for --fanout: must be at least 1" },
		{ "65", "invalid value '65' for --fanout: larger than 64" },
		{ "-1", "invalid value '-1' for --fanout: not a non-negative "
		    "whole number" },
		{ "", "empty value for --fanout" },
		{ "2,rollover", "invalid value 'rollover' for --fanout: "
		    "rollover splits flows; use hash, lb, cpu or qm" },
		{ "2,lb,cpu", "invalid value 'cpu' for --fanout '2,lb,cpu': "
		    "expected one of hash, lb, cpu, qm, then defrag" },
		{ "2,defrag,defrag", "invalid value 'defrag' for --fanout "
		    "'2,defrag,defrag': expected one of hash, lb, cpu, qm, "
		    "then defrag" },
		{ "2,", "invalid value '' for --fanout '2,': expected one of "
		    "hash, lb, cpu, qm, then defrag" },
		{ "12345678901234567,lb", "invalid value '12345678901234567,lb' "
		    "for --fanout: expected N[,MODE][,defrag] with N from 1 to "
		    "64" },
	};
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "o", "ring:eth0"), 0);
	assert_int_equal(r.cfg.fanout, 0);
	options_free(&r.cfg);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "--fanout=%s", good[i].arg);
		assert_int_equal(PARSE(&r, opt, "o", "ring:eth0",
		    "pcapint:eth1"), 0);
		assert_int_equal(r.cfg.fanout, good[i].n);
		assert_int_equal(r.cfg.fanout_mode, good[i].mode);
		assert_int_equal(r.cfg.fanout_defrag, good[i].defrag);
		options_free(&r.cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(PARSE(&r, "--fanout", bad[i].arg, "o",
		    "ring:eth0"), -1);
		assert_string_equal(r.err, bad[i].want);
	}
	/* only live inputs that libpcap reads */
	assert_int_equal(PARSE(&r, "--fanout=2", "o", "ring:eth0", "f.pcap"),
	    -1);
	assert_string_equal(r.err, "--fanout needs live inputs read by libpcap "
	    "(ring:, int:, pcapint:): 'f.pcap' is not one");
	assert_int_equal(PARSE(&r, "--fanout=2", "o", "dag:/dev/dag0"), -1);
	assert_string_equal(r.err, "--fanout needs live inputs read by libpcap "
	    "(ring:, int:, pcapint:): 'dag:/dev/dag0' is not one");
	assert_int_equal(PARSE(&r, "--fanout=2", "--libtrace-live", "o",
	    "ring:eth0"), -1);
	assert_string_equal(r.err, "--fanout needs live inputs read by libpcap: "
	    "not with --libtrace-live");
	/* --wait-for-inputs is a flag */
	assert_int_equal(PARSE(&r, "--wait-for-inputs", "o", "ring:eth0"), 0);
	assert_true(r.cfg.wait_for_inputs);
	options_free(&r.cfg);
}

/* --list-time-stamp-types: an action whose operands are interfaces */
static void
test_list_tstamp_types(void **state)
{
	static const char *const bad[] = { "eth0", "f.pcap", "pcapfile:x",
	    "dag:/dev/dag0", "ring:", "erf:-" };
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "--list-time-stamp-types", "ring:eth0",
	    "int:eth1", "pcapint:lo"), 0);
	assert_int_equal(r.cfg.action, ACTION_LIST_TSTAMP_TYPES);
	assert_int_equal(r.cfg.ninputs, 3);
	assert_string_equal(r.cfg.inputs[0], "ring:eth0");
	assert_string_equal(r.cfg.inputs[2], "pcapint:lo");
	assert_null(r.cfg.output_path);
	options_free(&r.cfg);
	/* anywhere on the line, with --libtrace-live too */
	assert_int_equal(PARSE(&r, "ring:eth0", "--libtrace-live",
	    "--list-time-stamp-types"), 0);
	assert_int_equal(r.cfg.action, ACTION_LIST_TSTAMP_TYPES);
	assert_int_equal(r.cfg.ninputs, 1);
	assert_string_equal(r.cfg.inputs[0], "ring:eth0");
	options_free(&r.cfg);
	/* help wins */
	assert_int_equal(PARSE(&r, "--list-time-stamp-types", "--help"), 0);
	assert_int_equal(r.cfg.action, ACTION_HELP);
	options_free(&r.cfg);

	assert_int_equal(PARSE(&r, "--list-time-stamp-types"), -1);
	assert_string_equal(r.err, "--list-time-stamp-types needs at least "
	    "one live interface (ring:IF, int:IF or pcapint:IF)");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		assert_int_equal(PARSE(&r, "--list-time-stamp-types",
		    "ring:eth0", bad[i]), -1);
		snprintf(want, sizeof(want), "--list-time-stamp-types needs "
		    "live interfaces (ring:IF, int:IF or pcapint:IF): '%s' is "
		    "not one", bad[i]);
		assert_string_equal(r.err, want);
	}
	assert_int_equal(PARSE(&r, "--list-time-stamp-types=yes", "ring:e"),
	    -1);
	assert_string_equal(r.err, "option '--list-time-stamp-types' takes "
	    "no value: '--list-time-stamp-types=yes'");
}

static void
test_actions(void **state)
{
	static const struct cmdline cases[] = {
		ACCEPTED(ARGS("-h"), NUM(F_ACTION, ACTION_HELP)),
		ACCEPTED(ARGS("--help"), NUM(F_ACTION, ACTION_HELP)),
		ACCEPTED(ARGS("-H"), NUM(F_ACTION, ACTION_LIBTRACE_HELP)),
		ACCEPTED(ARGS("--libtrace-help"),
		    NUM(F_ACTION, ACTION_LIBTRACE_HELP)),
		ACCEPTED(ARGS("--version"), NUM(F_ACTION, ACTION_VERSION)),
		/* help wins over a command line that is otherwise incomplete */
		ACCEPTED(ARGS("-s", "100", "--help"),
		    NUM(F_ACTION, ACTION_HELP)),
	};

	(void)state;
	RUN_CMDLINES(cases);
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
	/* rc 0: sets want; rc -1: the message holds both fragments */
	static const struct {
		const char	*s, *what;
		uint64_t	 min, max;
		int		 rc;
		uint64_t	 want;
		const char	*frag[2];
	} cases[] = {
		{ "0", "X", 0, 10, 0, 0, { NULL, NULL } },
		{ "007", "X", 0, 10, 0, 7, { NULL, NULL } },
		{ "18446744073709551615", "X", 0, UINT64_MAX, 0, UINT64_MAX,
		    { NULL, NULL } },
		{ "", "-q/--quux", 0, 10, -1, 0, { "empty", "-q/--quux" } },
		/* overflow of uint64_t itself */
		{ "18446744073709551616", "X", 0, UINT64_MAX, -1, 0,
		    { "'18446744073709551616'", NULL } },
		{ "99999999999999999999999999", "X", 0, UINT64_MAX, -1, 0,
		    { "'99999999999999999999999999'", NULL } },
		/* bounds are inclusive */
		{ "10", "X", 5, 10, 0, 10, { NULL, NULL } },
		{ "5", "X", 5, 10, 0, 5, { NULL, NULL } },
		{ "11", "X", 5, 10, -1, 0, { "'11'", "10" } },
		{ "4", "X", 5, 10, -1, 0, { "'4'", "5" } },
	};
	char err[256];
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		err[0] = '\0';
		if (options_parse_u64(cases[i].s, cases[i].min, cases[i].max,
		    &v, cases[i].what, err, sizeof(err)) != cases[i].rc)
			fail_msg("'%s' in [%llu, %llu]: not %d (%s)",
			    cases[i].s, (unsigned long long)cases[i].min,
			    (unsigned long long)cases[i].max, cases[i].rc, err);
		if (cases[i].rc == 0)
			assert_int_equal(v, cases[i].want);
		for (size_t k = 0; k < NELEM(cases[i].frag); k++)
			if (cases[i].frag[k] != NULL &&
			    strstr(err, cases[i].frag[k]) == NULL)
				fail_msg("'%s': error '%s' lacks '%s'",
				    cases[i].s, err, cases[i].frag[k]);
	}

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

/*
 * Every numeric option at and beyond the ends of its range, and the
 * values that are special.
 */
static void
test_number_ranges(void **state)
{
	static const struct range ranges[] = {
		{ "-s", "-s/--snaplen", false, false, F_SNAPLEN, 1,
		    OPTIONS_SNAPLEN_MAX, 1 },
		/* ten years of 366 days */
		{ "-G", "-G/--rotate-seconds", true, true, F_ROTATE_SECONDS, 1,
		    316224000, 1 },
		/* 1 TiB is the limit */
		{ "-S", "-S/--rotate-sizemb", true, true, F_ROTATE_BYTES, 1,
		    1048576, 1 << 20 },
		{ "-w", "-w/--maxwait_ms", false, false, F_MAXWAIT_MS, 0, 60000,
		    1 },
		{ "-z", "-z/--compress-level", false, false, F_COMPRESS_LEVEL,
		    1, 9, 1 },
		{ "--queue-size=", "--queue-size", false, true, F_QUEUE_BYTES,
		    1, 4096, 1 << 20 },
		{ "--capture-buffer=", "--capture-buffer", false, true,
		    F_CAPTURE_BUFFER, 1, 2047, 1 << 20 },
		{ "--max-files=", "--max-files", true, true, F_MAX_FILES, 1,
		    UINT32_MAX, 1 },
	};
	static const struct cmdline special[] = {
		/* -s 0 is the largest snaplen */
		ACCEPTED(ARGS("-s", "0", "o", "i"), NUM(F_SNAPLEN, 262144)),
		REFUSED(ARGS("--snaplen=4294967296", "o", "i"), "'4294967296'",
		    "-s/--snaplen"),
		ACCEPTED(ARGS("-S", "3", "-B", "d", "i"),
		    NUM(F_ROTATE_BYTES, 3145728)),
		/* would overflow 64 bits once shifted */
		REFUSED(ARGS("-S", "17592186044416", "-B", "d", "i"),
		    "'17592186044416'", "-S/--rotate-sizemb"),
	};

	(void)state;
	for (size_t i = 0; i < NELEM(ranges); i++)
		check_range(&ranges[i]);
	RUN_CMDLINES(special);
}

/* --- disk bounds, hook timeout, aligned rotation, stop conditions ------ */

/* A SIZE (--max-bytes, --min-free, --stop-after bytes:): digits with an
 * optional binary k/K, M, G or T, at least 1 byte, at most 2^64 - 1. */
static void
test_size_values(void **state)
{
	static const struct { const char *arg; uint64_t bytes; } good[] = {
		{ "1", 1 },
		{ "1k", 1024 },
		{ "1K", 1024 },
		{ "3M", 3ull << 20 },
		{ "2G", 2ull << 30 },
		{ "1T", 1ull << 40 },
		{ "16777215T", 16777215ull << 40 },
		{ "18446744073709551615", UINT64_MAX },
		/* leading zeros, however many, as for every other number */
		{ "0000000000000000000000000000000000000001M", 1ull << 20 },
	};
#define SIZE_WORDS ": expected a size in bytes, with k, M, G or T after " \
	"it for KiB, MiB, GiB or TiB"
	static const struct { const char *arg, *want; } bad[] = {
		{ "0", "invalid value '0' for --max-bytes: must be at least 1 "
		    "byte" },
		{ "0k", "invalid value '0k' for --max-bytes: must be at least "
		    "1 byte" },
		{ "", "invalid value '' for --max-bytes" SIZE_WORDS },
		{ "k", "invalid value 'k' for --max-bytes" SIZE_WORDS },
		{ "1m", "invalid value '1m' for --max-bytes" SIZE_WORDS },
		{ "1MB", "invalid value '1MB' for --max-bytes" SIZE_WORDS },
		{ "1.5G", "invalid value '1.5G' for --max-bytes" SIZE_WORDS },
		{ "-1", "invalid value '-1' for --max-bytes" SIZE_WORDS },
		{ "+1", "invalid value '+1' for --max-bytes" SIZE_WORDS },
		{ " 1", "invalid value ' 1' for --max-bytes" SIZE_WORDS },
		{ "1 ", "invalid value '1 ' for --max-bytes" SIZE_WORDS },
		{ "0x10", "invalid value '0x10' for --max-bytes" SIZE_WORDS },
		{ "1kk", "invalid value '1kk' for --max-bytes" SIZE_WORDS },
		{ "16777216T", "invalid value '16777216T' for --max-bytes: "
		    "larger than 2^64 bytes" },
		{ "17179869184G", "invalid value '17179869184G' for "
		    "--max-bytes: larger than 2^64 bytes" },
		{ "18446744073709551616", "invalid value '18446744073709551616' "
		    "for --max-bytes: larger than 2^64 bytes" },
		/* 35 digits: too large, not "not a size" */
		{ "99999999999999999999999999999999999", "invalid value "
		    "'99999999999999999999999999999999999' for --max-bytes: "
		    "larger than 2^64 bytes" },
	};
	struct run r;

	(void)state;
	assert_int_equal(PARSE(&r, "-B", "d", "i"), 0);
	assert_int_equal(r.cfg.max_bytes, 0);
	assert_int_equal(r.cfg.max_files, 0);
	options_free(&r.cfg);
	for (size_t i = 0; i < NELEM(good); i++) {
		char opt[80];

		snprintf(opt, sizeof(opt), "--max-bytes=%s", good[i].arg);
		if (PARSE(&r, opt, "-B", "d", "i") != 0)
			fail_msg("%s refused: %s", opt, r.err);
		assert_true(r.cfg.max_bytes == good[i].bytes);
		options_free(&r.cfg);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		assert_int_equal(PARSE(&r, "--max-bytes", bad[i].arg, "-B", "d",
		    "i"), -1);
		assert_string_equal(r.err, bad[i].want);
	}
#undef SIZE_WORDS
}

/* --min-free=SIZE|PCT%: bytes or a whole 1-99 percent, never both */
static void
test_min_free(void **state)
{
	static const struct {
		const char *arg;
		uint64_t bytes;
		unsigned pct;
	} good[] = {
		{ "8M", 8ull << 20, 0 },
		{ "1", 1, 0 },
		{ "1%", 0, 1 },
		{ "10%", 0, 10 },
		{ "99%", 0, 99 },
		{ "00000001%", 0, 1 },	/* was refused: an 8-byte buffer */
		{ "000000000000000000000000000000000000005%", 0, 5 },
	};
#define PCT ": a percentage must be a whole number from 1% to 99%"
	static const struct { const char *arg, *want; } bad[] = {
		{ "0", "invalid value '0' for --min-free: must be at least 1 "
		    "byte" },
		{ "", "invalid value '' for --min-free: expected a size in "
		    "bytes, with k, M, G or T after it for KiB, MiB, GiB or "
		    "TiB" },
		{ "8m", "invalid value '8m' for --min-free: expected a size in "
		    "bytes, with k, M, G or T after it for KiB, MiB, GiB or "
		    "TiB" },
		{ "0%", "invalid value '0%' for --min-free" PCT },
		{ "100%", "invalid value '100%' for --min-free" PCT },
		{ "%", "invalid value '%' for --min-free" PCT },
		{ "1.5%", "invalid value '1.5%' for --min-free" PCT },
		{ "-5%", "invalid value '-5%' for --min-free" PCT },
		{ "5%%", "invalid value '5%%' for --min-free" PCT },
		{ " 5%", "invalid value ' 5%' for --min-free" PCT },
		{ "5M%", "invalid value '5M%' for --min-free" PCT },
	};
#undef PCT
	struct run r;

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		char opt[80];

		snprintf(opt, sizeof(opt), "--min-free=%s", good[i].arg);
		if (PARSE(&r, opt, "-B", "d", "i") != 0)
			fail_msg("%s refused: %s", opt, r.err);
		assert_true(r.cfg.min_free.bytes == good[i].bytes);
		assert_int_equal(r.cfg.min_free.pct, good[i].pct);
		options_free(&r.cfg);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		assert_int_equal(PARSE(&r, "--min-free", bad[i].arg, "-B", "d",
		    "i"), -1);
		assert_string_equal(r.err, bad[i].want);
	}
	/* a repeated --min-free replaces the earlier one, kind and all */
	assert_int_equal(PARSE(&r, "--min-free=5%", "--min-free=1G", "-B", "d",
	    "i"), 0);
	assert_true(r.cfg.min_free.bytes == 1ull << 30);
	assert_int_equal(r.cfg.min_free.pct, 0);
	options_free(&r.cfg);
}

/* --stop-after=KIND:VALUE[,KIND:VALUE...] */
static void
test_stop_after(void **state)
{
	static const struct {
		const char *arg;
		struct options_stop_after want;
	} good[] = {
		{ "duration:60", { .duration_s = 60 } },
		{ "duration:316224000", { .duration_s = 316224000 } },
		{ "packets:1000", { .packets = 1000 } },
		{ "packets:18446744073709551615", { .packets = UINT64_MAX } },
		{ "files:3", { .files = 3 } },
		{ "bytes:1G", { .bytes = 1ull << 30 } },
		{ "bytes:1", { .bytes = 1 } },
		{ "packets:5,files:2,bytes:10k,duration:9", { .duration_s = 9,
		    .packets = 5, .files = 2, .bytes = 10240 } },
		/* a long condition is still one (was: "not KIND:VALUE") */
		{ "packets:0000000000000000000000000000000000000000000000000000"
		    "000000000000001", { .packets = 1 } },
		{ "bytes:0000000000000000000000000000000000000000000000000000000"
		    "000000000001k", { .bytes = 1024 } },
	};
	static const struct { const char *arg, *want; } bad[] = {
		{ "", "invalid value '' for --stop-after: an empty condition" },
		{ "packets:1,", "invalid value 'packets:1,' for --stop-after: "
		    "an empty condition" },
		{ ",packets:1", "invalid value ',packets:1' for --stop-after: "
		    "an empty condition" },
		{ "packets:1,,files:2", "invalid value 'packets:1,,files:2' "
		    "for --stop-after: an empty condition" },
		{ "packets", "invalid value 'packets' for --stop-after: "
		    "'packets' is not KIND:VALUE (duration, packets, files, "
		    "bytes)" },
		{ "files:2,bytes", "invalid value 'files:2,bytes' for "
		    "--stop-after: 'bytes' is not KIND:VALUE (duration, "
		    "packets, files, bytes)" },
		{ "foo:1", "invalid value 'foo:1' for --stop-after: unknown "
		    "condition 'foo' (expected duration, packets, files or "
		    "bytes)" },
		{ "Packets:1", "invalid value 'Packets:1' for --stop-after: "
		    "unknown condition 'Packets' (expected duration, packets, "
		    "files or bytes)" },
		{ ":5", "invalid value ':5' for --stop-after: unknown condition "
		    "'' (expected duration, packets, files or bytes)" },
		{ "packets:1,packets:2", "invalid value 'packets:1,packets:2' "
		    "for --stop-after: packets is given twice" },
		{ "bytes:1k,files:1,bytes:1k", "invalid value "
		    "'bytes:1k,files:1,bytes:1k' for --stop-after: bytes is "
		    "given twice" },
		{ "packets:", "empty value for --stop-after packets" },
		{ "packets:0", "invalid value '0' for --stop-after packets: "
		    "must be at least 1" },
		{ "files:0", "invalid value '0' for --stop-after files: must "
		    "be at least 1" },
		{ "duration:0", "invalid value '0' for --stop-after duration: "
		    "must be at least 1" },
		{ "duration:316224001", "invalid value '316224001' for "
		    "--stop-after duration: larger than 316224000" },
		{ "duration:1s", "invalid value '1s' for --stop-after "
		    "duration: not a non-negative whole number" },
		{ "packets:1:2", "invalid value '1:2' for --stop-after "
		    "packets: not a non-negative whole number" },
		{ "packets:18446744073709551616", "invalid value "
		    "'18446744073709551616' for --stop-after packets: larger "
		    "than 18446744073709551615" },
		{ "packets:1k", "invalid value '1k' for --stop-after packets: "
		    "not a non-negative whole number" },
		{ "bytes:0", "invalid value '0' for --stop-after bytes: must be "
		    "at least 1 byte" },
		{ "bytes:", "invalid value '' for --stop-after bytes: expected "
		    "a size in bytes, with k, M, G or T after it for KiB, MiB, "
		    "GiB or TiB" },
		{ "bytes:1x,packets:2", "invalid value '1x' for --stop-after "
		    "bytes: expected a size in bytes, with k, M, G or T after "
		    "it for KiB, MiB, GiB or TiB" },
		{ "bytes:16777216T", "invalid value '16777216T' for "
		    "--stop-after bytes: larger than 2^64 bytes" },
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		char opt[160];

		snprintf(opt, sizeof(opt), "--stop-after=%s", good[i].arg);
		if (PARSE(&r, opt, "-B", "d", "i") != 0)
			fail_msg("%s refused: %s", opt, r.err);
		assert_true(r.cfg.stop_after.duration_s ==
		    good[i].want.duration_s);
		assert_true(r.cfg.stop_after.packets == good[i].want.packets);
		assert_true(r.cfg.stop_after.files == good[i].want.files);
		assert_true(r.cfg.stop_after.bytes == good[i].want.bytes);
		options_free(&r.cfg);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		assert_int_equal(PARSE(&r, "--stop-after", bad[i].arg, "-B",
		    "d", "i"), -1);
		assert_string_equal(r.err, bad[i].want);
	}
	/* a repeated --stop-after replaces the earlier list */
	assert_int_equal(PARSE(&r, "--stop-after=packets:5",
	    "--stop-after=files:2", "-B", "d", "i"), 0);
	assert_true(r.cfg.stop_after.packets == 0);
	assert_true(r.cfg.stop_after.files == 2);
	options_free(&r.cfg);
	/* packets:, bytes: and duration: work on a single output file */
	assert_int_equal(PARSE(&r, "--stop-after=packets:5,bytes:1M,"
	    "duration:3", "o", "i"), 0);
	assert_true(r.cfg.stop_after.packets == 5);
	options_free(&r.cfg);
}

/* What needs what: -B for the disk bounds and files:, -G for
 * --rotate-align, --post-rotate for --post-rotate-timeout (300 s if not
 * given). */
static void
test_disk_stop_needs(void **state)
{
	static const struct cmdline cases[] = {
		ACCEPTED(ARGS("--max-files=5", "-B", "d", "i"),
		    NUM(F_MAX_FILES, 5)),
		ACCEPTED(ARGS("--post-rotate=true", "-B", "d", "i"),
		    NUM(F_POST_ROTATE_TIMEOUT, 300)),
		ACCEPTED(ARGS("-B", "d", "i"),
		    NUM(F_POST_ROTATE_TIMEOUT, 300)),
		ACCEPTED(ARGS("--post-rotate-timeout=1", "--post-rotate=true",
		    "-B", "d", "i"), NUM(F_POST_ROTATE_TIMEOUT, 1)),
		ACCEPTED(ARGS("--post-rotate-timeout=604800",
		    "--post-rotate=true", "-B", "d", "i"),
		    NUM(F_POST_ROTATE_TIMEOUT, 604800)),
	};
	static const struct { const char *args[8], *want; } msgs[] = {
		{ { "--max-files=5", "o", "i" },
		    "--max-files needs -B: it is about the files in a "
		    "directory" },
		{ { "--max-bytes=1G", "o", "i" },
		    "--max-bytes needs -B: it is about the files in a "
		    "directory" },
		{ { "--min-free=5%", "o", "i" },
		    "--min-free needs -B: it is about the files in a "
		    "directory" },
		{ { "--stop-after=files:2", "o", "i" },
		    "--stop-after files: needs -B: it is about the files in a "
		    "directory" },
		{ { "--rotate-align", "-B", "d", "i" },
		    "--rotate-align needs -G/--rotate-seconds: it aligns -G's "
		    "intervals" },
		{ { "--min-free=8M", "o", "i" },
		    "--min-free needs -B: it is about the files in a "
		    "directory" },
		{ { "--stop-after=packets:9,files:2", "o", "i" },
		    "--stop-after files: needs -B: it is about the files in a "
		    "directory" },
		{ { "--rotate-align", "-S", "1", "-B", "d", "i" },
		    "--rotate-align needs -G/--rotate-seconds: it aligns -G's "
		    "intervals" },
		{ { "--rotate-align", "-G", "5", "o", "i" },
		    "-G/--rotate-seconds needs -B: a single output file cannot "
		    "rotate" },
		{ { "--post-rotate-timeout=5", "-B", "d", "i" },
		    "--post-rotate-timeout 5 needs --post-rotate" },
		{ { "--post-rotate-timeout=0", "--post-rotate=true", "-B", "d",
		    "i" }, "invalid value '0' for --post-rotate-timeout: must "
		    "be at least 1" },
		{ { "--post-rotate-timeout=604801", "--post-rotate=true", "-B",
		    "d", "i" }, "invalid value '604801' for "
		    "--post-rotate-timeout: larger than 604800" },
		{ { "--post-rotate-timeout=5m", "--post-rotate=true", "-B", "d",
		    "i" }, "invalid value '5m' for --post-rotate-timeout: not a "
		    "non-negative whole number" },
		{ { "--post-rotate-timeout=", "--post-rotate=true", "-B", "d",
		    "i" }, "empty value for --post-rotate-timeout" },
		{ { "--max-files=0", "-B", "d", "i" },
		    "invalid value '0' for --max-files: must be at least 1" },
		{ { "--max-files=5k", "-B", "d", "i" },
		    "invalid value '5k' for --max-files: not a non-negative "
		    "whole number" },
		{ { "--max-files=", "-B", "d", "i" },
		    "empty value for --max-files" },
		{ { "--rotate-align=1", "-G", "5", "-B", "d", "i" },
		    "option '--rotate-align' takes no value: "
		    "'--rotate-align=1'" },
	};
	struct run r;

	(void)state;
	RUN_CMDLINES(cases);
	for (size_t i = 0; i < NELEM(msgs); i++) {
		size_t n = 0;

		while (n < NELEM(msgs[i].args) && msgs[i].args[n] != NULL)
			n++;
		assert_int_equal(parse_args(&r, msgs[i].args, n), -1);
		assert_string_equal(r.err, msgs[i].want);
	}
	assert_int_equal(PARSE(&r, "--rotate-align", "-G", "300", "-B", "d",
	    "i"), 0);
	assert_true(r.cfg.rotate_align);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-G", "300", "-B", "d", "i"), 0);
	assert_false(r.cfg.rotate_align);
	options_free(&r.cfg);
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
	static const struct cmdline refused[] = {
		REFUSED(ARGS("-Z", "zip", "o", "i"), "'zip'",
		    "-Z/--compress-type"),
		REFUSED(ARGS("--compress-type=GZ", "o", "i"), "'GZ'"),
		REFUSED(ARGS("-Z", "", "o", "i"), "''", "-Z/--compress-type"),
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
	assert_int_equal(compress_default_level(COMPRESS_GZ), 6);
	assert_int_equal(compress_default_level(COMPRESS_BZ2), 9);
	assert_int_equal(compress_default_level(COMPRESS_XZ), 6);
	assert_int_equal(compress_default_level(COMPRESS_LZO), 1);
	RUN_CMDLINES(refused);

	assert_string_equal(compress_name(COMPRESS_NONE), "none");
	assert_string_equal(compress_name(COMPRESS_GZ), "gz");
	assert_string_equal(compress_name(COMPRESS_BZ2), "bz2");
	assert_string_equal(compress_name(COMPRESS_LZO), "lzo");
	assert_string_equal(compress_name(COMPRESS_XZ), "xz");
}

static void
test_level_without_type_means_gz(void **state)
{
	static const struct cmdline cases[] = {
		ACCEPTED(ARGS("-z", "3", "o", "i"),
		    NUM(F_COMPRESS_TYPE, COMPRESS_GZ),
		    NUM(F_COMPRESS_TYPE_GIVEN, false),
		    NUM(F_COMPRESS_LEVEL, 3)),
		/* an explicit -Z wins, in either order */
		ACCEPTED(ARGS("-Z", "bz2", "-z", "3", "o", "i"),
		    NUM(F_COMPRESS_TYPE, COMPRESS_BZ2),
		    NUM(F_COMPRESS_LEVEL, 3)),
		ACCEPTED(ARGS("-z", "3", "-Z", "xz", "o", "i"),
		    NUM(F_COMPRESS_TYPE, COMPRESS_XZ)),
		/* level 0: an uncompressed file under a compressed name */
		REFUSED(ARGS("-z", "0", "o", "i"), "-z/--compress-level 0",
		    "gz"),
		REFUSED(ARGS("-z", "0", "-Z", "bz2", "o", "i"),
		    "-z/--compress-level 0", "bz2"),
		/* -Z none with a level is a contradiction, level 0 is not */
		REFUSED(ARGS("-z", "5", "-Z", "none", "o", "i"),
		    "-z/--compress-level 5", "none"),
		ACCEPTED(ARGS("-z", "0", "-Z", "none", "o", "i"),
		    NUM(F_COMPRESS_TYPE, COMPRESS_NONE)),
		/* compressing twice is refused, naming the command */
		REFUSED(ARGS("-z", "3", "--pipeout=zstd -q", "o", "i"),
		    "'zstd -q'"),
		REFUSED(ARGS("-Z", "xz", "--pipeout=zstd", "o", "i"), "'zstd'"),
	};
	struct run r;

	(void)state;
	RUN_CMDLINES(cases);
	assert_int_equal(PARSE(&r, "-Z", "none", "--pipeout=zstd", "o", "i"),
	    0);
	assert_string_equal(r.cfg.pipeout_argv[0], "zstd");
	options_free(&r.cfg);
}

/* --- -B only ---------------------------------------------------------- */

static void
test_rotating_options_need_baseuri(void **state)
{
	static const struct cmdline cases[] = {
		REFUSED(ARGS("-G", "60", "out.pcap", "in"),
		    "-G/--rotate-seconds", "-B"),
		REFUSED(ARGS("-S", "10", "out.pcap", "in"),
		    "-S/--rotate-sizemb", "-B"),
		REFUSED(ARGS("-N", "/var/seq", "out.pcap", "in"),
		    "-N/--seqfile", "'/var/seq'", "-B"),
		REFUSED(ARGS("--seqfile=/var/seq", "out.pcap", "in"),
		    "'/var/seq'", "-B"),
		REFUSED(ARGS("--file-ext=.pcap", "out.pcap", "in"),
		    "--file-ext", "'.pcap'", "-B"),
		/* the same with -B are fine */
		ACCEPTED(ARGS("-G", "60", "-S", "10", "-N", "/var/seq",
		    "--file-ext=.pcap", "-B", "pcapfile:/d", "in"),
		    NUM(F_ROTATING, true)),
		REFUSED(ARGS("--file-ext=a/b", "-B", "d", "in"), "'a/b'",
		    "--file-ext"),
		REFUSED(ARGS("--manifest", "out.pcap", "in"), "--manifest",
		    "-B"),
	};
	struct run r;
	char ext[256], e[211];

	(void)state;
	RUN_CMDLINES(cases);
	assert_int_equal(PARSE(&r, "--manifest", "-B", "pcapfile:/d", "in"),
	    0);
	assert_true(r.cfg.manifest);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, "-B", "pcapfile:/d", "in"), 0);
	assert_false(r.cfg.manifest);
	options_free(&r.cfg);
	/* a --file-ext that fits a file name but not its manifest's temp
	 * name tmp-manifest-PID-NAME.N.json */
	memset(e, 'e', 210);
	e[210] = '\0';
	snprintf(ext, sizeof(ext), "--file-ext=%s", e);
	assert_int_equal(PARSE(&r, ext, "-B", "pcapfile:/d", "in"), 0);
	options_free(&r.cfg);
	assert_int_equal(PARSE(&r, ext, "--manifest", "-B", "pcapfile:/d",
	    "in"), -1);
	/* an empty --file-ext is the default and needs nothing */
	assert_int_equal(PARSE(&r, "--file-ext=", "out.pcap", "in"), 0);
	assert_string_equal(r.cfg.file_ext, "");
	options_free(&r.cfg);
}

/* --- output URIs ------------------------------------------------------ */

static void
test_output_uri_forms(void **state)
{
	static const struct {
		const char *uri, *path;
		bool pcapng;
	} ok[] = {
		{ "pcapfile:out.pcap", "out.pcap", false },
		{ "pcapfile:/var/x.pcap", "/var/x.pcap", false },
		{ "pcap:out.pcap", "out.pcap", false },
		{ "out.pcap", "out.pcap", false },
		{ "/abs/out.pcap", "/abs/out.pcap", false },
		{ "pcapfile:-", "-", false },
		{ "-", "-", false },
		{ "pcapfile:a:b", "a:b", false },
		{ "./a:b", "./a:b", false },	/* a path with a colon */
		{ "/tmp/x:y/z", "/tmp/x:y/z", false },
		{ "pcapng:x.pcapng", "x.pcapng", true },
		{ "pcapng:-", "-", true },
		{ "pcapng:a:b", "a:b", true },
		{ "./pcapng:b", "./pcapng:b", false },
	}, dirs[] = {
		{ "pcapfile:/var/cap/", "/var/cap/", false },
		{ "/var/cap", "/var/cap", false },
		{ "pcapng:/var/cap", "/var/cap", true },
	};
	static const struct cmdline refused[] = {
		REFUSED(ARGS("erf:x", "in"), "'erf:x'", "outputuri"),
		REFUSED(ARGS("pcapngx:x.pcapng", "in"), "'pcapngx:x.pcapng'"),
		REFUSED(ARGS("", "in"), "empty", "outputuri"),
		REFUSED(ARGS("pcapfile:", "in"), "'pcapfile:'"),
		REFUSED(ARGS("pcapng:", "in"), "'pcapng:'"),
	}, refused_dirs[] = {
		REFUSED(ARGS("-B", "erf:/var/cap", "in"), "'erf:/var/cap'",
		    "-B/--baseuri"),
		REFUSED(ARGS("-B", "pcapfile:-", "in"), "'pcapfile:-'",
		    "-B/--baseuri"),
		REFUSED(ARGS("-B", "-", "in"), "-B/--baseuri"),
		REFUSED(ARGS("-B", "pcapng:-", "in"), "'pcapng:-'",
		    "-B/--baseuri"),
		REFUSED(ARGS("-B", "", "in"), "empty", "-B/--baseuri"),
		REFUSED(ARGS("--baseuri=pcapfile:", "in"), "'pcapfile:'",
		    "-B/--baseuri"),
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (PARSE(&r, ok[i].uri, "in") != 0)
			fail_msg("'%s' refused: %s", ok[i].uri, r.err);
		assert_false(r.cfg.rotating);
		assert_string_equal(r.cfg.output_path, ok[i].path);
		assert_int_equal(r.cfg.pcapng, ok[i].pcapng);
		assert_int_equal(r.cfg.ninputs, 1);
		options_free(&r.cfg);
	}

	RUN_CMDLINES(refused);

	/* -B forms */
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (PARSE(&r, "-B", dirs[i].uri, "in") != 0)
			fail_msg("-B '%s' refused: %s", dirs[i].uri, r.err);
		assert_string_equal(r.cfg.output_path, dirs[i].path);
		assert_int_equal(r.cfg.pcapng, dirs[i].pcapng);
		options_free(&r.cfg);
	}
	RUN_CMDLINES(refused_dirs);
}

static void
test_missing_inputs(void **state)
{
	static const struct cmdline cases[] = {
		REFUSED(ARGS(NULL), "missing outputuri"),
		REFUSED(ARGS("-s", "100"), "missing outputuri"),
		REFUSED(ARGS("out.pcap"), "missing traceuri"),
		REFUSED(ARGS("-B", "pcapfile:/d"), "missing traceuri"),
		REFUSED(ARGS("out.pcap", ""), "empty traceuri"),
		REFUSED(ARGS("out.pcap", "in", ""), "empty traceuri"),
	};
	struct run r;

	(void)state;
	RUN_CMDLINES(cases);
	/* with -B the first operand is an input, not the output */
	assert_int_equal(PARSE(&r, "-B", "d", "a", "b"), 0);
	assert_int_equal(r.cfg.ninputs, 2);
	assert_string_equal(r.cfg.inputs[0], "a");
	options_free(&r.cfg);
}

static void
test_bad_option_messages(void **state)
{
	static const struct cmdline cases[] = {
		REFUSED(ARGS("-x", "o", "i"), "unknown option", "-x"),
		REFUSED(ARGS("--bogus", "o", "i"), "unknown option", "--bogus"),
		REFUSED(ARGS("--bogus=1", "o", "i"), "--bogus"),
		REFUSED(ARGS("o", "i", "-s"), "needs a value", "-s"),
		REFUSED(ARGS("o", "i", "--snaplen"), "needs a value",
		    "--snaplen"),
		REFUSED(ARGS("o", "i", "-B"), "needs a value", "-B"),
		/* empty strings where a name is needed */
		REFUSED(ARGS("-F", "", "o", "i"), "empty", "-F/--filter"),
		REFUSED(ARGS("-N", "", "-B", "d", "i"), "empty",
		    "-N/--seqfile"),
		REFUSED(ARGS("-W", "", "o", "i"), "empty", "-W/--watchfile"),
		REFUSED(ARGS("--relinquish-privileges=", "o", "i"), "empty",
		    "--relinquish-privileges"),
		REFUSED(ARGS("--pipeout=", "o", "i"), "--pipeout"),
		REFUSED(ARGS("--pipeout=gzip 'x", "o", "i"), "--pipeout",
		    "gzip 'x"),
		/* an error after a --pipeout frees its words (ASan checks) */
		REFUSED(ARGS("--pipeout=gzip -c", "-s", "x", "o", "i"), "'x'"),
	};

	(void)state;
	RUN_CMDLINES(cases);
}

/* An argument given to a flag: the message names what was typed. */
static void
test_flag_with_value_message(void **state)
{
	static const struct cmdline cases[] = {
		REFUSED(ARGS("--version=2", "o", "i"), "--version"),
		REFUSED(ARGS("--libtrace-live=yes", "o", "i"),
		    "--libtrace-live"),
		REFUSED(ARGS("--use-utc=yes", "o", "i"), "--use-utc"),
		REFUSED(ARGS("--verbose=2", "o", "i"), "--verbose"),
	};

	(void)state;
	RUN_CMDLINES(cases);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_short_options),
		cmocka_unit_test(test_long_options),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_tstamp_precision),
		cmocka_unit_test(test_tstamp_type),
		cmocka_unit_test(test_fanout),
		cmocka_unit_test(test_metrics_options),
		cmocka_unit_test(test_list_tstamp_types),
		cmocka_unit_test(test_repeated_options_last_wins),
		cmocka_unit_test(test_options_after_operands),
		cmocka_unit_test(test_parse_u64_strict),
		cmocka_unit_test(test_numeric_garbage),
		cmocka_unit_test(test_number_ranges),
		cmocka_unit_test(test_size_values),
		cmocka_unit_test(test_min_free),
		cmocka_unit_test(test_stop_after),
		cmocka_unit_test(test_disk_stop_needs),
		cmocka_unit_test(test_compress_types),
		cmocka_unit_test(test_level_without_type_means_gz),
		cmocka_unit_test(test_rotating_options_need_baseuri),
		cmocka_unit_test(test_output_uri_forms),
		cmocka_unit_test(test_missing_inputs),
		cmocka_unit_test(test_bad_option_messages),
		cmocka_unit_test(test_flag_with_value_message),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
