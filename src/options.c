/*
 * options.c - getopt_long table and strict value parsing.
 *
 * Same short and long options as mtracecap 0.6, so existing command lines
 * keep working; unlike 0.6 every value is checked (0.6 used atoi and
 * strtoul without end pointers and silently accepted garbage).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "naming.h"
#include "options.h"

#define ROTATE_SECONDS_MAX	(10ull * 366 * 24 * 3600)	/* ten years */
#define ROTATE_SIZEMB_MAX	(1024ull * 1024)		/* 1 TiB */
#define MAXWAIT_MS_MAX		60000ull
#define QUEUE_MB_MAX		4096ull
#define CAPBUF_MB_MAX		2047ull		/* libpcap takes an int of bytes */

enum {
	OPT_RELINQUISH = 0x100,
	OPT_PIPEOUT,
	OPT_FILE_EXT,
	OPT_VERSION,
	OPT_QUEUE_SIZE,
	OPT_CAPTURE_BUFFER,
	OPT_LIBTRACE_LIVE,
	OPT_POST_ROTATE,
	OPT_TSTAMP_PRECISION,
};

static const struct option long_options[] = {
	{ "libtrace-help",	no_argument,		NULL, 'H' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "baseuri",		required_argument,	NULL, 'B' },
	{ "rotate-seconds",	required_argument,	NULL, 'G' },
	{ "seqfile",		required_argument,	NULL, 'N' },
	{ "rotate-sizemb",	required_argument,	NULL, 'S' },
	{ "snaplen",		required_argument,	NULL, 's' },
	{ "use-utc",		no_argument,		NULL, 'U' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "watchfile",		required_argument,	NULL, 'W' },
	{ "maxwait_ms",		required_argument,	NULL, 'w' },
	{ "compress-level",	required_argument,	NULL, 'z' },
	{ "compress-type",	required_argument,	NULL, 'Z' },
	{ "filter",		required_argument,	NULL, 'F' },
	{ "relinquish-privileges", required_argument,	NULL, OPT_RELINQUISH },
	{ "pipeout",		required_argument,	NULL, OPT_PIPEOUT },
	{ "file-ext",		required_argument,	NULL, OPT_FILE_EXT },
	{ "queue-size",		required_argument,	NULL, OPT_QUEUE_SIZE },
	{ "capture-buffer",	required_argument,	NULL, OPT_CAPTURE_BUFFER },
	{ "libtrace-live",	no_argument,		NULL, OPT_LIBTRACE_LIVE },
	{ "post-rotate",	required_argument,	NULL, OPT_POST_ROTATE },
	{ "time-stamp-precision", required_argument,	NULL,
	    OPT_TSTAMP_PRECISION },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

static const char short_options[] = ":HhB:G:N:S:s:UvW:w:z:Z:F:";

void
options_usage(FILE *fp)
{
	fprintf(fp,
"Usage: mtracecap [flags] outputuri traceuri [traceuri...]\n"
"       mtracecap [flags] -B baseuri traceuri [traceuri...]\n"
"\n"
"Capture from every traceuri (any libtrace URI: ring:eth0, int:eth0,\n"
"pcapint:eth0, pcapfile:trace.pcap, erf:trace.erf, ...), merge the packets\n"
"in timestamp order and write them as pcap to outputuri (pcapfile:FILE,\n"
"pcapfile:- for stdout) or to rotated files in the directory of -B.\n"
"\n"
"  -B, --baseuri pcapfile:DIR     write DIR/YYYYMMDD-HHMMSS-NNNNNNNN[ext] files\n"
"  -F, --filter BPF               keep only packets matching the filter\n"
"  -G, --rotate-seconds N         start a new file every N seconds (-B only)\n"
"  -S, --rotate-sizemb N          start a new file before one exceeds N MiB (-B only)\n"
"  -s, --snaplen BYTES            keep at most BYTES of each packet (default 64;\n"
"                                 0 = whole packets, up to 262144)\n"
"  -U, --use-utc                  name files in UTC instead of local time\n"
"  -v, --verbose                  per-file and exit statistics (twice: debug)\n"
"  -W, --watchfile FILE           before each new file, wait until FILE exists\n"
"  -w, --maxwait_ms MS            longest a silent live input may hold back\n"
"                                 the others (default 1)\n"
"  -z, --compress-level 0-9       compression level (-Z gz if no -Z)\n"
"  -Z, --compress-type TYPE       gz|zlib, bz2, lzo, xz, zstd, lz4 or none\n"
"                                 (zstd, lz4: libwandio >= 4.2)\n"
"  -N, --seqfile FILE             keep the file sequence number in FILE\n"
"      --file-ext=EXT             append EXT to every file name (-B only)\n"
"      --relinquish-privileges=USER  drop root to USER once inputs are open\n"
"      --pipeout=COMMAND          pipe each file through COMMAND (no shell)\n"
"      --post-rotate=COMMAND      run COMMAND FILE after each file is complete\n"
"      --queue-size=MB            buffer per input (default %u MiB)\n"
"      --capture-buffer=MB        kernel ring per live input (default %u MiB)\n"
"      --libtrace-live            read ring:, int:, pcapint: with libtrace's own\n"
"                                 readers instead of libpcap's TPACKET_V3 ring\n"
"      --time-stamp-precision=P   micro (default) or nano: pcap files with\n"
"                                 microsecond or nanosecond stamps\n"
"  -H, --libtrace-help            list libtrace's input formats\n"
"  -h, --help                     this help\n"
"      --version                  print the version\n"
"\n"
"Exit status: 0 after a clean stop, 1 on an input, output or runtime\n"
"error, 2 on a usage error.  See mtracecap(8).\n",
	    OPTIONS_QUEUE_MB_DEFAULT, OPTIONS_CAPBUF_MB_DEFAULT);
}

const char *
options_compress_name(enum compress_type t)
{
	switch (t) {
	case COMPRESS_NONE:	return "none";
	case COMPRESS_GZ:	return "gz";
	case COMPRESS_BZ2:	return "bz2";
	case COMPRESS_LZO:	return "lzo";
	case COMPRESS_XZ:	return "xz";
	case COMPRESS_ZSTD:	return "zstd";
	case COMPRESS_LZ4:	return "lz4";
	}
	return "?";
}

int
options_default_level(enum compress_type t)
{
	switch (t) {
	case COMPRESS_GZ:	return 6;	/* gzip's default */
	case COMPRESS_BZ2:	return 9;	/* bzip2's default */
	case COMPRESS_XZ:	return 6;	/* xz's default */
	case COMPRESS_LZO:	return 1;
	case COMPRESS_ZSTD:	return 3;	/* zstd's default */
	case COMPRESS_LZ4:	return 1;
	case COMPRESS_NONE:	return 0;
	}
	return 0;
}

int
options_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char *what, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	if (*s == '\0') {
		log_seterr(err, errlen, "empty value for %s", what);
		return -1;
	}
	/* strtoull accepts blanks, signs and "0x"; we accept digits only */
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			log_seterr(err, errlen,
			    "invalid value '%s' for %s: not a non-negative "
			    "whole number", s, what);
			return -1;
		}
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || *end != '\0' || v > max) {
		log_seterr(err, errlen,
		    "invalid value '%s' for %s: larger than %llu", s, what,
		    (unsigned long long)max);
		return -1;
	}
	if (v < min) {
		log_seterr(err, errlen,
		    "invalid value '%s' for %s: must be at least %llu", s,
		    what, (unsigned long long)min);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_compress_type(const char *s, enum compress_type *t, char *err,
    size_t errlen)
{
	static const struct {
		const char *name;
		enum compress_type type;
	} names[] = {
		{ "gz", COMPRESS_GZ }, { "gzip", COMPRESS_GZ },
		{ "zlib", COMPRESS_GZ }, { "bz2", COMPRESS_BZ2 },
		{ "bzip2", COMPRESS_BZ2 }, { "lzo", COMPRESS_LZO },
		{ "xz", COMPRESS_XZ }, { "lzma", COMPRESS_XZ },
		{ "zstd", COMPRESS_ZSTD }, { "lz4", COMPRESS_LZ4 },
		{ "none", COMPRESS_NONE }, { "no", COMPRESS_NONE },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*t = names[i].type;
			return 0;
		}
	}
	log_seterr(err, errlen,
	    "invalid value '%s' for -Z/--compress-type: expected gz, zlib, "
	    "bz2, lzo, xz, zstd, lz4 or none", s);
	return -1;
}

void
options_free_words(char **words)
{
	if (words == NULL)
		return;
	for (char **w = words; *w != NULL; w++)
		free(*w);
	free(words);
}

char **
options_split_words(const char *cmd, char *err, size_t errlen)
{
	size_t len = strlen(cmd);
	/* at most len/2+1 words; each word at most len bytes */
	size_t maxwords = len / 2 + 2;
	char **words = calloc(maxwords, sizeof(*words));
	char *cur = malloc(len + 1);
	size_t nwords = 0, n = 0;
	const char *p = cmd;
	bool inword = false;

	if (words == NULL || cur == NULL) {
		log_seterr(err, errlen, "out of memory");
		goto fail;
	}
	while (*p != '\0') {
		char c = *p++;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (inword) {
				cur[n] = '\0';
				if ((words[nwords++] = strdup(cur)) == NULL)
					goto oom;
				n = 0;
				inword = false;
			}
			continue;
		}
		inword = true;
		if (c == '\'') {
			while (*p != '\0' && *p != '\'')
				cur[n++] = *p++;
			if (*p != '\'')
				goto unbalanced;
			p++;
		} else if (c == '"') {
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				cur[n++] = *p++;
			}
			if (*p != '"')
				goto unbalanced;
			p++;
		} else if (c == '\\') {
			if (*p == '\0')
				goto unbalanced;
			cur[n++] = *p++;
		} else {
			cur[n++] = c;
		}
	}
	if (inword) {
		cur[n] = '\0';
		if ((words[nwords++] = strdup(cur)) == NULL)
			goto oom;
	}
	if (nwords == 0) {
		log_seterr(err, errlen, "empty command");
		goto fail;
	}
	free(cur);
	return words;
unbalanced:
	log_seterr(err, errlen, "unbalanced quote or trailing backslash in '%s'",
	    cmd);
	goto fail;
oom:
	log_seterr(err, errlen, "out of memory");
fail:
	free(cur);
	options_free_words(words);
	return NULL;
}

/*
 * "pcapfile:PATH" -> PATH.  A bare path is taken as pcapfile too; any other
 * libtrace output format is refused because mtracecap writes pcap itself.
 */
static int
parse_output_uri(const char *uri, const char *what, char **path, char *err,
    size_t errlen)
{
	const char *colon = strchr(uri, ':');
	const char *p = uri;

	if (colon != NULL) {
		size_t flen = (size_t)(colon - uri);

		if ((flen == 8 && strncmp(uri, "pcapfile", 8) == 0) ||
		    (flen == 4 && strncmp(uri, "pcap", 4) == 0)) {
			p = colon + 1;
		} else if (memchr(uri, '/', flen) == NULL) {
			log_seterr(err, errlen,
			    "unsupported output format in %s '%s': mtracecap "
			    "writes pcapfile: only", what, uri);
			return -1;
		}
		/* else: a path that merely contains a colon */
	}
	if (*p == '\0') {
		log_seterr(err, errlen, "empty path in %s '%s'", what, uri);
		return -1;
	}
	if ((*path = strdup(p)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
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
		if (opt > 0 && opt < 0x100)
			log_seterr(err, errlen, "unknown option '-%c'", opt);
		else
			log_seterr(err, errlen, "unknown option '%s'", arg);
		return;
	}
	n = strcspn(arg + 2, "=");
	for (const struct option *o = long_options; o->name != NULL; o++) {
		if (strlen(o->name) == n && strncmp(o->name, arg + 2, n) == 0 &&
		    arg[2 + n] == '=' && o->has_arg == no_argument) {
			log_seterr(err, errlen, "option '--%s' takes no value: "
			    "'%s'", o->name, arg);
			return;
		}
	}
	log_seterr(err, errlen, "unknown option '%s'", arg);
}

int
options_parse(int argc, char **argv, struct config *cfg, char *err,
    size_t errlen)
{
	const char *baseuri = NULL;
	uint64_t v;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->snaplen = OPTIONS_SNAPLEN_DEFAULT;
	cfg->maxwait_ms = OPTIONS_MAXWAIT_DEFAULT;
	cfg->compress_level = -1;
	cfg->file_ext = "";
	cfg->queue_bytes = (size_t)OPTIONS_QUEUE_MB_DEFAULT << 20;
	cfg->capture_buffer = (size_t)OPTIONS_CAPBUF_MB_DEFAULT << 20;

	opterr = 0;
	optind = 0;		/* glibc: a full re-initialisation */
	while ((c = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1) {
		switch (c) {
		case 'H':
			cfg->action = ACTION_LIBTRACE_HELP;
			return 0;
		case 'h':
			cfg->action = ACTION_HELP;
			return 0;
		case OPT_VERSION:
			cfg->action = ACTION_VERSION;
			return 0;
		case 'B':
			baseuri = optarg;
			break;
		case 'F':
			if (optarg[0] == '\0') {
				log_seterr(err, errlen,
				    "empty value for -F/--filter");
				goto fail;
			}
			cfg->filter = optarg;
			break;
		case 'G':
			if (options_parse_u64(optarg, 1, ROTATE_SECONDS_MAX,
			    &v, "-G/--rotate-seconds", err, errlen) != 0)
				goto fail;
			cfg->rotate_seconds = v;
			break;
		case 'N':
			if (optarg[0] == '\0') {
				log_seterr(err, errlen,
				    "empty value for -N/--seqfile");
				goto fail;
			}
			cfg->seqfile = optarg;
			break;
		case 'S':
			if (options_parse_u64(optarg, 1, ROTATE_SIZEMB_MAX, &v,
			    "-S/--rotate-sizemb", err, errlen) != 0)
				goto fail;
			cfg->rotate_bytes = v << 20;
			break;
		case 's':
			if (options_parse_u64(optarg, 0, OPTIONS_SNAPLEN_MAX,
			    &v, "-s/--snaplen", err, errlen) != 0)
				goto fail;
			cfg->snaplen = v == 0 ? OPTIONS_SNAPLEN_MAX :
			    (uint32_t)v;
			break;
		case 'U':
			cfg->use_utc = true;
			break;
		case 'v':
			cfg->verbose++;
			break;
		case 'W':
			if (optarg[0] == '\0') {
				log_seterr(err, errlen,
				    "empty value for -W/--watchfile");
				goto fail;
			}
			cfg->watchfile = optarg;
			break;
		case 'w':
			if (options_parse_u64(optarg, 0, MAXWAIT_MS_MAX, &v,
			    "-w/--maxwait_ms", err, errlen) != 0)
				goto fail;
			cfg->maxwait_ms = (uint32_t)v;
			break;
		case 'z':
			if (options_parse_u64(optarg, 0, 9, &v,
			    "-z/--compress-level", err, errlen) != 0)
				goto fail;
			cfg->compress_level = (int)v;
			break;
		case 'Z':
			if (parse_compress_type(optarg, &cfg->compress_type,
			    err, errlen) != 0)
				goto fail;
			cfg->compress_type_given = true;
			break;
		case OPT_RELINQUISH:
			if (optarg[0] == '\0') {
				log_seterr(err, errlen, "empty value for "
				    "--relinquish-privileges");
				goto fail;
			}
			cfg->relinquish_user = optarg;
			break;
		case OPT_PIPEOUT: {
			char werr[256];

			options_free_words(cfg->pipeout_argv);
			cfg->pipeout_argv = options_split_words(optarg, werr,
			    sizeof(werr));
			if (cfg->pipeout_argv == NULL) {
				log_seterr(err, errlen,
				    "invalid value '%s' for --pipeout: %s",
				    optarg, werr);
				goto fail;
			}
			cfg->pipeout = optarg;
			break;
		}
		case OPT_POST_ROTATE: {
			char werr[256];

			options_free_words(cfg->post_rotate_argv);
			cfg->post_rotate_argv = options_split_words(optarg,
			    werr, sizeof(werr));
			if (cfg->post_rotate_argv == NULL) {
				log_seterr(err, errlen, "invalid value '%s' "
				    "for --post-rotate: %s", optarg, werr);
				goto fail;
			}
			cfg->post_rotate = optarg;
			break;
		}
		case OPT_FILE_EXT:
			if (strchr(optarg, '/') != NULL) {
				log_seterr(err, errlen, "invalid value '%s' "
				    "for --file-ext: must not contain '/'",
				    optarg);
				goto fail;
			}
			if (naming_longest(optarg) > NAME_MAX) {
				log_seterr(err, errlen, "invalid value '%s' "
				    "for --file-ext: %zu bytes, more than the "
				    "%zu that fit in a file name", optarg,
				    strlen(optarg), (size_t)NAME_MAX -
				    naming_longest(""));
				goto fail;
			}
			cfg->file_ext = optarg;
			break;
		case OPT_QUEUE_SIZE:
			if (options_parse_u64(optarg, 1, QUEUE_MB_MAX, &v,
			    "--queue-size", err, errlen) != 0)
				goto fail;
			cfg->queue_bytes = (size_t)v << 20;
			break;
		case OPT_TSTAMP_PRECISION:
			if (strcmp(optarg, "micro") != 0 &&
			    strcmp(optarg, "nano") != 0) {
				log_seterr(err, errlen, "invalid value '%s' "
				    "for --time-stamp-precision: expected "
				    "micro or nano", optarg);
				goto fail;
			}
			cfg->tstamp_nano = strcmp(optarg, "nano") == 0;
			break;
		case OPT_LIBTRACE_LIVE:
			cfg->libtrace_live = true;
			break;
		case OPT_CAPTURE_BUFFER:
			if (options_parse_u64(optarg, 1, CAPBUF_MB_MAX, &v,
			    "--capture-buffer", err, errlen) != 0)
				goto fail;
			cfg->capture_buffer = (size_t)v << 20;
			break;
		case ':':
			log_seterr(err, errlen, "option '%s' needs a value",
			    argv[optind - 1]);
			goto fail;
		case '?':
		default:
			bad_option(argv[optind - 1], optopt, err, errlen);
			goto fail;
		}
	}

	if (baseuri != NULL) {
		cfg->rotating = true;
		if (parse_output_uri(baseuri, "-B/--baseuri", &cfg->output_path,
		    err, errlen) != 0)
			goto fail;
		if (strcmp(cfg->output_path, "-") == 0) {
			log_seterr(err, errlen, "-B/--baseuri needs a "
			    "directory, not stdout: '%s'", baseuri);
			goto fail;
		}
	} else {
		if (optind >= argc) {
			log_seterr(err, errlen, "missing outputuri and "
			    "traceuri (see mtracecap --help)");
			goto fail;
		}
		if (parse_output_uri(argv[optind], "outputuri",
		    &cfg->output_path, err, errlen) != 0)
			goto fail;
		optind++;
		if (cfg->rotate_seconds != 0 || cfg->rotate_bytes != 0) {
			log_seterr(err, errlen, "%s needs -B: a single output "
			    "file cannot rotate", cfg->rotate_seconds != 0 ?
			    "-G/--rotate-seconds" : "-S/--rotate-sizemb");
			goto fail;
		}
		if (cfg->seqfile != NULL) {
			log_seterr(err, errlen, "-N/--seqfile '%s' needs -B: "
			    "a single output file has no sequence number",
			    cfg->seqfile);
			goto fail;
		}
		if (cfg->file_ext[0] != '\0') {
			log_seterr(err, errlen, "--file-ext '%s' needs -B",
			    cfg->file_ext);
			goto fail;
		}
	}
	if (optind >= argc) {
		log_seterr(err, errlen, "missing traceuri: give at least "
		    "one input (see mtracecap --help)");
		goto fail;
	}
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '\0') {
			log_seterr(err, errlen, "empty traceuri (argument %d)",
			    i);
			goto fail;
		}
	}
	cfg->inputs = argv + optind;
	cfg->ninputs = (size_t)(argc - optind);

	/* -z without -Z means gzip, as 0.6 did (main.c says so) */
	if (cfg->compress_level >= 0 && !cfg->compress_type_given)
		cfg->compress_type = COMPRESS_GZ;
	if (cfg->compress_type == COMPRESS_NONE && cfg->compress_level > 0) {
		log_seterr(err, errlen, "-z/--compress-level %d conflicts "
		    "with -Z none", cfg->compress_level);
		goto fail;
	}
	if (cfg->compress_type != COMPRESS_NONE) {
		/* libwandio writes level 0 uncompressed, whatever the type:
		 * never a plain file under a compressed name */
		if (cfg->compress_level == 0) {
			log_seterr(err, errlen, "-z/--compress-level 0 would "
			    "write uncompressed %s files; use 1-9 or -Z none",
			    options_compress_name(cfg->compress_type));
			goto fail;
		}
		if (cfg->compress_level < 0)
			cfg->compress_level = options_default_level(
			    cfg->compress_type);
		if (cfg->pipeout != NULL) {
			log_seterr(err, errlen, "-Z/-z and --pipeout '%s' both "
			    "compress: choose one", cfg->pipeout);
			goto fail;
		}
	}
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
	options_free_words(cfg->pipeout_argv);
	cfg->pipeout_argv = NULL;
	options_free_words(cfg->post_rotate_argv);
	cfg->post_rotate_argv = NULL;
}
