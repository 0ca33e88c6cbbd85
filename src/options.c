/*
 * options.c - a table of options and the loop that applies it (values
 * are parsed by options_value.c, the checks across options are
 * options_check.c's).
 *
 * Same short and long options as mtracecap 0.6, so existing command lines
 * keep working; unlike 0.6 every value is checked (0.6 used atoi and
 * strtoul without end pointers and silently accepted garbage).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "log.h"
#include "naming.h"
#include "options.h"
#include "options_check.h"
#include "options_value.h"
#include "tstamp.h"
#include "words.h"

#define ROTATE_SECONDS_MAX	(10ull * 366 * 24 * 3600)	/* ten years */
#define ROTATE_SIZEMB_MAX	(1024ull * 1024)		/* 1 TiB */
#define MAXWAIT_MS_MAX		60000ull
#define QUEUE_MB_MAX		4096ull
#define CAPBUF_MB_MAX		2047ull		/* libpcap takes an int of bytes */
#define HOOK_TIMEOUT_MAX	(7ull * 24 * 3600)	/* a week */

/* Ids of the long-only options (short ones use their letter). */
#define OPT_LONG_ONLY	0x100	/* above every short letter */
enum {
	OPT_RELINQUISH = OPT_LONG_ONLY,
	OPT_PIPEOUT,
	OPT_FILE_EXT,
	OPT_VERSION,
	OPT_QUEUE_SIZE,
	OPT_CAPTURE_BUFFER,
	OPT_LIBTRACE_LIVE,
	OPT_POST_ROTATE,
	OPT_TSTAMP_PRECISION,
	OPT_MANIFEST,
	OPT_FANOUT,
	OPT_WAIT_INPUTS,
	OPT_TSTAMP_TYPE,
	OPT_LIST_TSTAMP_TYPES,
	OPT_METRICS_LISTEN,
	OPT_METRICS_FILE,
	OPT_CONTROL,
	OPT_CONTROL_GROUP,
	OPT_MAX_FILES,
	OPT_MAX_BYTES,
	OPT_MIN_FREE,
	OPT_POST_ROTATE_TIMEOUT,
	OPT_ROTATE_ALIGN,
	OPT_STOP_AFTER,
	OPT_HEADERS_ONLY,
	OPT_ANONYMIZE,
	OPT_ANONYMIZE_ONLY,
};

/* What an option's value is, hence how the loop in options_parse takes it. */
enum opt_kind {
	KIND_ACTION,	/* no value: set cfg->action, stop parsing */
	KIND_FLAG,	/* no value: set the bool at off */
	KIND_COUNT,	/* no value: add one to the int at off */
	KIND_STRING,	/* non-empty string, kept at off */
	KIND_NUMBER,	/* whole number in [min, max], given to set_number */
	KIND_SIZE,	/* a SIZE of at least min bytes, the uint64_t at off */
	KIND_WORDS,	/* a command: the string at off, its words at words_off */
	KIND_CUSTOM,	/* anything else: handle() */
	KIND_OPTIONAL,	/* handle(), the value NULL when not given: only
			 * as --name=VALUE (getopt's optional_argument) */
};

/* Parse state beyond the config: what the operands depend on. */
struct parse {
	struct config	*cfg;
	const char	*baseuri;	/* -B as given, or NULL */
};

struct opt_def {
	const char	*name;		/* long name */
	int		 key;		/* short letter, or an OPT_ id */
	enum opt_kind	 kind;
	const char	*what;		/* how messages name it: "-G/--rotate-seconds" */
	size_t		 off;		/* KIND_FLAG, _COUNT, _STRING, _SIZE,
					 * _WORDS */
	size_t		 words_off;	/* KIND_WORDS */
	enum options_action action;	/* KIND_ACTION */
	uint64_t	 min, max;	/* KIND_NUMBER (min: KIND_SIZE) */
	void		(*set_number)(struct config *, uint64_t);
	int		(*handle)(struct parse *, const char *, char *, size_t);
};

static void
set_rotate_seconds(struct config *c, uint64_t v)
{
	c->rotate_seconds = v;
}

static void
set_rotate_sizemb(struct config *c, uint64_t v)
{
	c->rotate_bytes = v << 20;
}

static void
set_maxwait(struct config *c, uint64_t v)
{
	c->maxwait_ms = (uint32_t)v;
}

static void
set_level(struct config *c, uint64_t v)
{
	c->compress_level = (int)v;
}

static void
set_queue_size(struct config *c, uint64_t v)
{
	c->queue_bytes = (size_t)v << 20;
}

static void
set_capture_buffer(struct config *c, uint64_t v)
{
	c->capture_buffer = (size_t)v << 20;
}


static void
set_max_files(struct config *c, uint64_t v)
{
	c->max_files = v;
}

static void
set_hook_timeout(struct config *c, uint64_t v)
{
	c->post_rotate_timeout_s = (unsigned)v;
}

/* -s 0 means whole packets, as in tcpdump */
static void
set_snaplen(struct config *c, uint64_t v)
{
	c->snaplen = v == 0 ? OPTIONS_SNAPLEN_MAX : (uint32_t)v;
}

static int handle_baseuri(struct parse *, const char *, char *, size_t);
static int handle_compress_type(struct parse *, const char *, char *, size_t);
static int handle_file_ext(struct parse *, const char *, char *, size_t);
static int handle_fanout(struct parse *, const char *, char *, size_t);
static int handle_tstamp_precision(struct parse *, const char *, char *,
    size_t);
static int handle_tstamp_type(struct parse *, const char *, char *, size_t);
static int handle_metrics_listen(struct parse *, const char *, char *,
    size_t);
static int handle_min_free(struct parse *, const char *, char *, size_t);
static int handle_stop_after(struct parse *, const char *, char *, size_t);
static int handle_headers_only(struct parse *, const char *, char *, size_t);
static int handle_anonymize(struct parse *, const char *, char *, size_t);
static int handle_anonymize_only(struct parse *, const char *, char *,
    size_t);

#define CFG(field)	offsetof(struct config, field)
#define ACTION(n, k, a) \
	{ .name = (n), .key = (k), .kind = KIND_ACTION, .action = (a) }
#define FLAG(n, k, f) \
	{ .name = (n), .key = (k), .kind = KIND_FLAG, .off = CFG(f) }
#define COUNT(n, k, f) \
	{ .name = (n), .key = (k), .kind = KIND_COUNT, .off = CFG(f) }
#define STRING(n, k, w, f) { .name = (n), .key = (k), .kind = KIND_STRING, \
	.what = (w), .off = CFG(f) }
#define NUMBER(n, k, w, lo, hi, fn) { .name = (n), .key = (k), \
	.kind = KIND_NUMBER, .what = (w), .min = (lo), .max = (hi), \
	.set_number = (fn) }
#define WORDS(n, k, w, f, wf) { .name = (n), .key = (k), .kind = KIND_WORDS, \
	.what = (w), .off = CFG(f), .words_off = CFG(wf) }
#define SIZE(n, k, w, lo, f) { .name = (n), .key = (k), .kind = KIND_SIZE, \
	.what = (w), .min = (lo), .off = CFG(f) }
#define CUSTOM(n, k, fn) \
	{ .name = (n), .key = (k), .kind = KIND_CUSTOM, .handle = (fn) }
#define OPTIONAL(n, k, fn) \
	{ .name = (n), .key = (k), .kind = KIND_OPTIONAL, .handle = (fn) }

/*
 * Every option, in the order of 0.6's getopt table (the order getopt_long
 * sees them in).  Messages name an option by .what, or by its own handler.
 */
static const struct opt_def opt_defs[] = {
	ACTION("libtrace-help", 'H', ACTION_LIBTRACE_HELP),
	ACTION("help", 'h', ACTION_HELP),
	CUSTOM("baseuri", 'B', handle_baseuri),
	NUMBER("rotate-seconds", 'G', "-G/--rotate-seconds", 1,
	    ROTATE_SECONDS_MAX, set_rotate_seconds),
	STRING("seqfile", 'N', "-N/--seqfile", seqfile),
	NUMBER("rotate-sizemb", 'S', "-S/--rotate-sizemb", 1,
	    ROTATE_SIZEMB_MAX, set_rotate_sizemb),
	NUMBER("snaplen", 's', "-s/--snaplen", 0, OPTIONS_SNAPLEN_MAX,
	    set_snaplen),
	FLAG("use-utc", 'U', use_utc),
	COUNT("verbose", 'v', verbose),
	STRING("watchfile", 'W', "-W/--watchfile", watchfile),
	NUMBER("maxwait_ms", 'w', "-w/--maxwait_ms", 0, MAXWAIT_MS_MAX,
	    set_maxwait),
	NUMBER("compress-level", 'z', "-z/--compress-level", 0, 9, set_level),
	CUSTOM("compress-type", 'Z', handle_compress_type),
	STRING("filter", 'F', "-F/--filter", filter),
	STRING("relinquish-privileges", OPT_RELINQUISH,
	    "--relinquish-privileges", relinquish_user),
	WORDS("pipeout", OPT_PIPEOUT, "--pipeout", pipeout, pipeout_argv),
	CUSTOM("file-ext", OPT_FILE_EXT, handle_file_ext),
	NUMBER("queue-size", OPT_QUEUE_SIZE, "--queue-size", 1, QUEUE_MB_MAX,
	    set_queue_size),
	NUMBER("capture-buffer", OPT_CAPTURE_BUFFER, "--capture-buffer", 1,
	    CAPBUF_MB_MAX, set_capture_buffer),
	FLAG("libtrace-live", OPT_LIBTRACE_LIVE, libtrace_live),
	WORDS("post-rotate", OPT_POST_ROTATE, "--post-rotate", post_rotate,
	    post_rotate_argv),
	CUSTOM("time-stamp-precision", OPT_TSTAMP_PRECISION,
	    handle_tstamp_precision),
	ACTION("version", OPT_VERSION, ACTION_VERSION),
	FLAG("manifest", OPT_MANIFEST, manifest),
	CUSTOM("fanout", OPT_FANOUT, handle_fanout),
	FLAG("wait-for-inputs", OPT_WAIT_INPUTS, wait_for_inputs),
	CUSTOM("time-stamp-type", OPT_TSTAMP_TYPE, handle_tstamp_type),
	FLAG("list-time-stamp-types", OPT_LIST_TSTAMP_TYPES,
	    list_tstamp_types),
	CUSTOM("metrics-listen", OPT_METRICS_LISTEN, handle_metrics_listen),
	STRING("metrics-file", OPT_METRICS_FILE, "--metrics-file",
	    metrics_file),
	STRING("control", OPT_CONTROL, "--control", control_path),
	STRING("control-group", OPT_CONTROL_GROUP, "--control-group",
	    control_group),
	NUMBER("max-files", OPT_MAX_FILES, "--max-files", 1, UINT32_MAX,
	    set_max_files),
	SIZE("max-bytes", OPT_MAX_BYTES, "--max-bytes", 1, max_bytes),
	CUSTOM("min-free", OPT_MIN_FREE, handle_min_free),
	NUMBER("post-rotate-timeout", OPT_POST_ROTATE_TIMEOUT,
	    "--post-rotate-timeout", 1, HOOK_TIMEOUT_MAX, set_hook_timeout),
	FLAG("rotate-align", OPT_ROTATE_ALIGN, rotate_align),
	CUSTOM("stop-after", OPT_STOP_AFTER, handle_stop_after),
	OPTIONAL("headers-only", OPT_HEADERS_ONLY, handle_headers_only),
	CUSTOM("anonymize", OPT_ANONYMIZE, handle_anonymize),
	CUSTOM("anonymize-only", OPT_ANONYMIZE_ONLY, handle_anonymize_only),
};

#define NOPTS	(sizeof(opt_defs) / sizeof(opt_defs[0]))

/* Does the option take a value?  Only actions, flags and counts do not. */
static bool
takes_value(const struct opt_def *d)
{
	return d->kind != KIND_ACTION && d->kind != KIND_FLAG &&
	    d->kind != KIND_COUNT;
}

/*
 * getopt_long's tables, built from opt_defs: longs[] must hold NOPTS + 1
 * entries and shorts[] 1 + 2 * NOPTS + 1 bytes.
 */
static void
build_getopt_tables(struct option *longs, char *shorts)
{
	char *s = shorts;

	*s++ = ':';		/* a missing value returns ':' */
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt_def *d = &opt_defs[i];

		longs[i] = (struct option){ d->name,
		    d->kind == KIND_OPTIONAL ? optional_argument :
		    takes_value(d) ? required_argument : no_argument, NULL,
		    d->key };
		if (d->key < OPT_LONG_ONLY) {
			*s++ = (char)d->key;
			if (takes_value(d))
				*s++ = ':';
		}
	}
	longs[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

/*
 * getopt_long() rejected arg: name it.  For "--name=value" of a flag that
 * takes no value glibc sets optopt to the flag's short letter, so long
 * options are named from arg itself.
 */
static void
bad_option(const char *arg, int opt, char *err, size_t errlen)
{
	size_t n;

	if (strncmp(arg, "--", 2) != 0) {
		if (opt > 0 && opt < OPT_LONG_ONLY)
			log_seterr(err, errlen, "unknown option '-%c'", opt);
		else
			log_seterr(err, errlen, "unknown option '%s'", arg);
		return;
	}
	n = strcspn(arg + 2, "=");
	for (size_t i = 0; i < NOPTS; i++) {
		const char *name = opt_defs[i].name;

		if (strlen(name) == n && strncmp(name, arg + 2, n) == 0 &&
		    arg[2 + n] == '=' && !takes_value(&opt_defs[i])) {
			log_seterr(err, errlen, "option '--%s' takes no value: "
			    "'%s'", name, arg);
			return;
		}
	}
	log_seterr(err, errlen, "unknown option '%s'", arg);
}

/* -B: kept for the operands, which it changes */
static int
handle_baseuri(struct parse *p, const char *arg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	p->baseuri = arg;
	return 0;
}

static int
handle_compress_type(struct parse *p, const char *arg, char *err,
    size_t errlen)
{
	if (options_value_compress_type(arg, &p->cfg->compress_type, err,
	    errlen) != 0)
		return -1;
	p->cfg->compress_type_given = true;
	return 0;
}

/* --file-ext: part of a file name, and the whole name must fit */
static int
handle_file_ext(struct parse *p, const char *arg, char *err, size_t errlen)
{
	if (strchr(arg, '/') != NULL) {
		log_seterr(err, errlen, "invalid value '%s' for --file-ext: "
		    "must not contain '/'", arg);
		return -1;
	}
	if (naming_longest(arg) > NAME_MAX) {
		log_seterr(err, errlen, "invalid value '%s' for --file-ext: "
		    "%zu bytes, more than the %zu that fit in a file name",
		    arg, strlen(arg), (size_t)NAME_MAX - naming_longest(""));
		return -1;
	}
	p->cfg->file_ext = arg;
	return 0;
}

static int
handle_fanout(struct parse *p, const char *arg, char *err, size_t errlen)
{
	struct options_fanout f;

	if (options_value_fanout(arg, &f, err, errlen) != 0)
		return -1;
	p->cfg->fanout = f.n;
	p->cfg->fanout_mode = f.mode;
	p->cfg->fanout_defrag = f.defrag;
	return 0;
}

/* --time-stamp-precision: tcpdump's words for pcap's two stamp formats */
static int
handle_metrics_listen(struct parse *p, const char *arg, char *err,
    size_t errlen)
{
	return options_value_listen(arg, &p->cfg->metrics_listen, err, errlen);
}

static int
handle_min_free(struct parse *p, const char *arg, char *err, size_t errlen)
{
	return options_value_min_free(arg, &p->cfg->min_free, err, errlen);
}

static int
handle_stop_after(struct parse *p, const char *arg, char *err, size_t errlen)
{
	return options_value_stop_after(arg, &p->cfg->stop_after, err,
	    errlen);
}

/* --headers-only[=EXTRA]: EXTRA bytes of payload kept, 0 without it */
static int
handle_headers_only(struct parse *p, const char *arg, char *err,
    size_t errlen)
{
	uint64_t v = 0;

	if (arg != NULL && options_parse_u64(arg, 0, UINT16_MAX, &v,
	    "--headers-only", err, errlen) != 0)
		return -1;
	p->cfg->headers_only = true;
	p->cfg->headers_extra = (uint32_t)v;
	return 0;
}

static int
handle_anonymize(struct parse *p, const char *arg, char *err, size_t errlen)
{
	return options_value_anonymize(arg, &p->cfg->anon, err, errlen);
}

static int
handle_anonymize_only(struct parse *p, const char *arg, char *err,
    size_t errlen)
{
	return options_value_anonymize_only(arg, &p->cfg->anon, err, errlen);
}

static int
handle_tstamp_precision(struct parse *p, const char *arg, char *err,
    size_t errlen)
{
	if (strcmp(arg, "micro") != 0 && strcmp(arg, "nano") != 0) {
		log_seterr(err, errlen, "invalid value '%s' for "
		    "--time-stamp-precision: expected micro or nano", arg);
		return -1;
	}
	p->cfg->tstamp_nano = strcmp(arg, "nano") == 0;
	p->cfg->tstamp_given = true;
	return 0;
}

static int
handle_tstamp_type(struct parse *p, const char *arg, char *err,
    size_t errlen)
{
	return options_value_tstamp_type(arg, &p->cfg->tstamp_type, err,
	    errlen);
}

/*
 * Take one option d with its value arg (NULL for those without).  Returns
 * 0, or -1 with err filled.  A repeated option replaces the earlier one
 * (-v counts).
 */
static int
apply_option(const struct opt_def *d, const char *arg, struct parse *p,
    char *err, size_t errlen)
{
	char *field = (char *)p->cfg + d->off;
	uint64_t v;

	switch (d->kind) {
	case KIND_ACTION:
		p->cfg->action = d->action;
		return 0;
	case KIND_FLAG:
		*(bool *)(void *)field = true;
		return 0;
	case KIND_COUNT:
		(*(int *)(void *)field)++;
		return 0;
	case KIND_STRING:
		if (arg[0] == '\0') {
			log_seterr(err, errlen, "empty value for %s", d->what);
			return -1;
		}
		*(const char **)(void *)field = arg;
		return 0;
	case KIND_NUMBER:
		if (options_parse_u64(arg, d->min, d->max, &v, d->what, err,
		    errlen) != 0)
			return -1;
		d->set_number(p->cfg, v);
		return 0;
	case KIND_SIZE:
		return options_value_size(arg, d->min, d->what,
		    (uint64_t *)(void *)field, err, errlen);
	case KIND_WORDS: {
		char ***words = (char ***)(void *)((char *)p->cfg +
		    d->words_off);
		char werr[256];

		words_free(*words);
		if ((*words = words_split(arg, werr, sizeof(werr))) == NULL) {
			log_seterr(err, errlen, "invalid value '%s' for %s: %s",
			    arg, d->what, werr);
			return -1;
		}
		*(const char **)(void *)field = arg;
		return 0;
	}
	case KIND_CUSTOM:
	case KIND_OPTIONAL:
		return d->handle(p, arg, err, errlen);
	}
	return 0;
}

int
options_parse(int argc, char **argv, struct config *cfg, char *err,
    size_t errlen)
{
	struct option longs[NOPTS + 1];
	char shorts[2 * NOPTS + 2];
	struct parse p = { .cfg = cfg, .baseuri = NULL };
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->snaplen = OPTIONS_SNAPLEN_DEFAULT;
	cfg->maxwait_ms = OPTIONS_MAXWAIT_DEFAULT;
	cfg->compress_level = -1;
	cfg->file_ext = "";
	cfg->queue_bytes = (size_t)OPTIONS_QUEUE_MB_DEFAULT << 20;
	cfg->capture_buffer = (size_t)OPTIONS_CAPBUF_MB_DEFAULT << 20;
	cfg->tstamp_type = TSTAMP_TYPE_DEFAULT;
	build_getopt_tables(longs, shorts);

	opterr = 0;
	optind = 0;		/* glibc: a full re-initialisation */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_def *d = NULL;

		for (size_t i = 0; i < NOPTS && d == NULL; i++)
			if (opt_defs[i].key == c)
				d = &opt_defs[i];
		if (c == ':') {
			log_seterr(err, errlen, "option '%s' needs a value",
			    argv[optind - 1]);
			goto fail;
		}
		if (d == NULL) {
			bad_option(argv[optind - 1], optopt, err, errlen);
			goto fail;
		}
		if (apply_option(d, optarg, &p, err, errlen) != 0)
			goto fail;
		if (d->kind == KIND_ACTION)
			return 0;
	}
	if (cfg->list_tstamp_types) {
		/* no output: every operand is an interface to list */
		cfg->action = ACTION_LIST_TSTAMP_TYPES;
		cfg->inputs = argv + optind;
		cfg->ninputs = (size_t)(argc - optind);
		if (tstamp_check_list(cfg->inputs, cfg->ninputs, err,
		    errlen) != 0)
			goto fail;
		return 0;
	}
	if (options_check_operands(cfg, p.baseuri, argc, argv, optind, err,
	    errlen) != 0 ||
	    options_check(cfg, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	options_free(cfg);
	return -1;
}

void
options_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->output_path);
	cfg->output_path = NULL;
	words_free(cfg->pipeout_argv);
	cfg->pipeout_argv = NULL;
	words_free(cfg->post_rotate_argv);
	cfg->post_rotate_argv = NULL;
}
