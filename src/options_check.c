/*
 * options_check.c - the checks across options, once the command line is
 * parsed: what needs what, what excludes what, what fits the inputs.
 * Pure: no I/O, no exit.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "compress.h"
#include "input_sniff.h"
#include "log.h"
#include "options_check.h"
#include "options_config.h"
#include "options_value.h"
#include "tstamp.h"

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

int
options_check(struct config *cfg, char *err, size_t errlen)
{
	if (check_compression(cfg, err, errlen) != 0 ||
	    check_fanout(cfg, err, errlen) != 0 ||
	    options_value_control(cfg->control_path, cfg->control_group, err,
	    errlen) != 0 ||
	    tstamp_check_inputs(cfg->tstamp_type, cfg->inputs, cfg->ninputs,
	    cfg->libtrace_live, err, errlen) != 0)
		return -1;
	return 0;
}
