/*
 * options_config.h - struct config, the immutable result of the command
 * line (options_parse() in options.h fills it; options_check.c checks it
 * across options), and the defaults it starts from.
 */
#ifndef MTRACECAP_OPTIONS_CONFIG_H
#define MTRACECAP_OPTIONS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compress.h"
#include "options_value.h"

#define OPTIONS_SNAPLEN_MAX	262144u	/* tcpdump's MAXIMUM_SNAPLEN; -s 0 means this */
#define OPTIONS_SNAPLEN_DEFAULT	64u	/* as mtracecap 0.6 */
#define OPTIONS_MAXWAIT_DEFAULT	1u	/* ms, as mtracecap 0.6 */
#define OPTIONS_QUEUE_MB_DEFAULT 8u	/* per input */
#define OPTIONS_CAPBUF_MB_DEFAULT 8u	/* kernel ring per live input */
#define OPTIONS_HOOK_TIMEOUT_DEFAULT 300u /* s, --post-rotate-timeout */

enum options_action {
	ACTION_RUN = 0,
	ACTION_HELP,		/* -h: usage on stdout, exit 0 */
	ACTION_LIBTRACE_HELP,	/* -H: libtrace's format help, exit 0 */
	ACTION_VERSION,		/* --version */
	ACTION_LIST_TSTAMP_TYPES, /* --list-time-stamp-types: inputs only */
};

struct config {
	enum options_action action;

	/* output: either one file (or "-") or a directory for -B */
	bool		 rotating;	/* -B given */
	char		*output_path;	/* file, "-", or directory (owned) */
	bool		 pcapng;	/* pcapng: rather than pcapfile: */

	const char	*filter;	/* -F */
	uint64_t	 rotate_seconds;/* -G, 0 = off */
	uint64_t	 rotate_bytes;	/* -S in bytes, 0 = off */
	uint32_t	 snaplen;	/* -s, 0 on the command line -> MAX */
	bool		 use_utc;	/* -U */
	int		 verbose;	/* -v count */
	const char	*watchfile;	/* -W */
	uint32_t	 maxwait_ms;	/* -w */
	int		 compress_level;/* -z; after parsing 1-9 when compressing */
	enum compress_type compress_type; /* -Z, or gz when only -z given */
	bool		 compress_type_given;
	const char	*seqfile;	/* -N */
	const char	*file_ext;	/* --file-ext, "" by default */
	const char	*relinquish_user; /* --relinquish-privileges */
	const char	*post_rotate;	/* --post-rotate as given */
	char	       **post_rotate_argv; /* split into words (owned) */
	const char	*pipeout;	/* --pipeout as given */
	char	       **pipeout_argv;	/* split into words, NULL-terminated (owned) */
	size_t		 queue_bytes;	/* --queue-size, per input */
	size_t		 capture_buffer;/* --capture-buffer, bytes per live input */
	bool		 libtrace_live;	/* --libtrace-live: ring:/int:/pcapint: via libtrace */
	bool		 tstamp_nano;	/* --time-stamp-precision=nano */
	bool		 tstamp_given;	/* ...given at all (pcapng: micro cuts
					 * every interface's stamps to us) */
	bool		 manifest;	/* --manifest: NAME.json per file (-B) */
	unsigned	 fanout;	/* --fanout N: sockets per live input,
					 * 0 = off (one socket, no group) */
	enum options_fanout_mode fanout_mode;
	bool		 fanout_defrag;	/* ...,defrag */
	bool		 wait_for_inputs; /* --wait-for-inputs */
	int		 tstamp_type;	/* --time-stamp-type: PCAP_TSTAMP_, or
					 * TSTAMP_TYPE_DEFAULT (tstamp.h) */
	bool		 list_tstamp_types; /* --list-time-stamp-types given */
	struct options_listen metrics_listen; /* --metrics-listen */
	const char	*metrics_file;	/* --metrics-file */
	const char	*control_path;	/* --control: the control socket */
	const char	*control_group;	/* --control-group: may use it too */
	/* disk bounds and delivery (-B) */
	uint64_t	 max_files;	/* --max-files, 0 = no bound */
	uint64_t	 max_bytes;	/* --max-bytes, 0 = no bound */
	struct options_min_free min_free; /* --min-free */
	unsigned	 post_rotate_timeout_s; /* --post-rotate-timeout */
	bool		 rotate_align;	/* --rotate-align: -G on the epoch */
	struct options_stop_after stop_after; /* --stop-after */
	bool		 headers_only;	/* --headers-only */
	uint32_t	 headers_extra;	/* ...=EXTRA payload bytes kept */
	struct options_anon anon;	/* --anonymize, --anonymize-only */

	char * const	*inputs;	/* trace URIs (point into argv); the
					 * interfaces to list for
					 * ACTION_LIST_TSTAMP_TYPES */
	size_t		 ninputs;
};

#endif
