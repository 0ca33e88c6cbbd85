/*
 * options_check.c - the operands, and the checks across options once the
 * command line is parsed: what needs what, what excludes what, what fits
 * the inputs.
 * Pure: no I/O, no exit.
 */
#include "config.h"

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "compress.h"
#include "input_sniff.h"
#include "log.h"
#include "naming.h"
#include "options_check.h"
#include "options_config.h"
#include "options_value.h"
#include "tstamp.h"

int
options_check_operands(struct config *cfg, const char *baseuri, int argc,
    char **argv, int ind, char *err, size_t errlen)
{
	if (baseuri != NULL) {
		cfg->rotating = true;
		if (options_value_output_uri(baseuri, "-B/--baseuri",
		    &cfg->output_path, &cfg->pcapng, err, errlen) != 0)
			return -1;
		if (strcmp(cfg->output_path, "-") == 0) {
			log_seterr(err, errlen, "-B/--baseuri needs a "
			    "directory, not stdout: '%s'", baseuri);
			return -1;
		}
		if (cfg->manifest &&
		    naming_manifest_longest(cfg->file_ext) > NAME_MAX) {
			log_seterr(err, errlen, "--file-ext '%s' is too long "
			    "for --manifest: its temp names would exceed %d "
			    "bytes", cfg->file_ext, NAME_MAX);
			return -1;
		}
	} else {
		if (ind >= argc) {
			log_seterr(err, errlen, "missing outputuri and "
			    "traceuri (see mtracecap --help)");
			return -1;
		}
		if (options_value_output_uri(argv[ind], "outputuri",
		    &cfg->output_path, &cfg->pcapng, err, errlen) != 0)
			return -1;
		ind++;
		if (cfg->rotate_seconds != 0 || cfg->rotate_bytes != 0) {
			log_seterr(err, errlen, "%s needs -B: a single output "
			    "file cannot rotate", cfg->rotate_seconds != 0 ?
			    "-G/--rotate-seconds" : "-S/--rotate-sizemb");
			return -1;
		}
		if (cfg->seqfile != NULL) {
			log_seterr(err, errlen, "-N/--seqfile '%s' needs -B: "
			    "a single output file has no sequence number",
			    cfg->seqfile);
			return -1;
		}
		if (cfg->file_ext[0] != '\0') {
			log_seterr(err, errlen, "--file-ext '%s' needs -B",
			    cfg->file_ext);
			return -1;
		}
		if (cfg->manifest) {
			log_seterr(err, errlen, "--manifest needs -B: only "
			    "files in a directory get manifests");
			return -1;
		}
	}
	if (ind >= argc) {
		log_seterr(err, errlen, "missing traceuri: give at least "
		    "one input (see mtracecap --help)");
		return -1;
	}
	for (int i = ind; i < argc; i++) {
		if (argv[i][0] == '\0') {
			log_seterr(err, errlen, "empty traceuri (argument %d)",
			    i);
			return -1;
		}
	}
	cfg->inputs = argv + ind;
	cfg->ninputs = (size_t)(argc - ind);
	return 0;
}

/* -z and -Z together, and with --pipeout.  Returns 0 or -1 (err filled). */
static int
check_compression(struct config *cfg, char *err, size_t errlen)
{
	/* -z without -Z means gzip, as 0.6 did (compress_choose() says so) */
	if (cfg->compress_level >= 0 && !cfg->compress_type_given)
		cfg->compress_type = COMPRESS_GZ;
	if (cfg->compress_type == COMPRESS_NONE && cfg->compress_level > 0) {
		log_seterr(err, errlen, "-z/--compress-level %d conflicts "
		    "with -Z none", cfg->compress_level);
		return -1;
	}
	if (cfg->compress_type == COMPRESS_NONE)
		return 0;
	/* libwandio writes level 0 uncompressed, whatever the type: never a
	 * plain file under a compressed name */
	if (cfg->compress_level == 0) {
		log_seterr(err, errlen, "-z/--compress-level 0 would write "
		    "uncompressed %s files; use 1-9 or -Z none",
		    compress_name(cfg->compress_type));
		return -1;
	}
	if (cfg->compress_level < 0)
		cfg->compress_level = compress_default_level(
		    cfg->compress_type);
	if (cfg->pipeout != NULL) {
		log_seterr(err, errlen, "-Z/-z and --pipeout '%s' both "
		    "compress: choose one", cfg->pipeout);
		return -1;
	}
	return 0;
}

/* --fanout wants libpcap's sockets: every input live, read by libpcap.
 * Returns 0 or -1 (err filled). */
static int
check_fanout(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->fanout == 0)
		return 0;
	if (cfg->libtrace_live) {
		log_seterr(err, errlen, "--fanout needs live inputs read by "
		    "libpcap: not with --libtrace-live");
		return -1;
	}
	for (size_t i = 0; i < cfg->ninputs; i++) {
		if (!input_sniff_is_libpcap_live(cfg->inputs[i])) {
			log_seterr(err, errlen, "--fanout needs live inputs "
			    "read by libpcap (ring:, int:, pcapint:): '%s' is "
			    "not one", cfg->inputs[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * The disk bounds, --stop-after files: and --rotate-align are about the
 * files of -B; --post-rotate-timeout about --post-rotate (its default set
 * here).  Returns 0 or -1 (err filled).
 */
static int
check_files(struct config *cfg, char *err, size_t errlen)
{
	const char *need_b = cfg->max_files != 0 ? "--max-files" :
	    cfg->max_bytes != 0 ? "--max-bytes" :
	    cfg->min_free.bytes != 0 || cfg->min_free.pct != 0 ? "--min-free" :
	    cfg->stop_after.files != 0 ? "--stop-after files:" : NULL;

	if (need_b != NULL && !cfg->rotating) {
		log_seterr(err, errlen, "%s needs -B: it is about the files "
		    "in a directory", need_b);
		return -1;
	}
	if (cfg->rotate_align && cfg->rotate_seconds == 0) {
		log_seterr(err, errlen, "--rotate-align needs "
		    "-G/--rotate-seconds: it aligns -G's intervals");
		return -1;
	}
	if (cfg->post_rotate_timeout_s != 0 && cfg->post_rotate == NULL) {
		log_seterr(err, errlen, "--post-rotate-timeout %u needs "
		    "--post-rotate", cfg->post_rotate_timeout_s);
		return -1;
	}
	if (cfg->post_rotate_timeout_s == 0)
		cfg->post_rotate_timeout_s = OPTIONS_HOOK_TIMEOUT_DEFAULT;
	return 0;
}

int
options_check(struct config *cfg, char *err, size_t errlen)
{
	if (cfg->anon.only_arg != NULL && cfg->anon.method == ANON_NONE) {
		log_seterr(err, errlen, "--anonymize-only=%s needs "
		    "--anonymize", cfg->anon.only_arg);
		return -1;
	}
	if (check_compression(cfg, err, errlen) != 0 ||
	    check_files(cfg, err, errlen) != 0 ||
	    check_fanout(cfg, err, errlen) != 0 ||
	    options_value_control(cfg->control_path, cfg->control_group, err,
	    errlen) != 0 ||
	    tstamp_check_inputs(cfg->tstamp_type, cfg->inputs, cfg->ninputs,
	    cfg->libtrace_live, err, errlen) != 0)
		return -1;
	return 0;
}
