/*
 * options_value.h - parsers of single option values, for options.c
 * (options.h includes this: options_parse_u64 is everyone's).  Each
 * returns 0, or -1 with a one-line message naming the value and the
 * option in err.
 */
#ifndef MTRACECAP_OPTIONS_VALUE_H
#define MTRACECAP_OPTIONS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compress.h"

/* --fanout's MODE: how the kernel spreads packets over the sockets */
enum options_fanout_mode {
	FANOUT_HASH = 0,	/* by flow: a flow stays on one socket */
	FANOUT_LB,		/* round robin */
	FANOUT_CPU,		/* by the CPU that received it */
	FANOUT_QM,		/* by the NIC's receive queue */
};
#define OPTIONS_FANOUT_MAX	64u
#define OPTIONS_DURATION_MAX	(10ull * 366 * 24 * 3600)	/* ten years, in s */

/* What --fanout says. */
struct options_fanout {
	unsigned	 n;		/* sockets, 1-OPTIONS_FANOUT_MAX */
	enum options_fanout_mode mode;
	bool		 defrag;
};

/*
 * Strict unsigned parsing: decimal digits only, no sign, no blanks, no
 * trailing text, within [min, max].  Returns 0 or -1 (err says why).
 */
int options_parse_u64(const char *s, uint64_t min, uint64_t max,
    uint64_t *out, const char *what, char *err, size_t errlen);


/* -Z's word (gz, zlib, bz2, lzo, xz, zstd, lz4, none) into *t. */
int options_value_compress_type(const char *s, enum compress_type *t,
    char *err, size_t errlen);

/* --time-stamp-type's word (tcpdump -j's names) into *pcap_type. */
int options_value_tstamp_type(const char *s, int *pcap_type, char *err,
    size_t errlen);

/*
 * "pcapfile:PATH" -> PATH, classic pcap; "pcapng:PATH" -> PATH, pcapng
 * (*pcapng set).  A bare path is taken as pcapfile too; any other libtrace
 * output format is refused because mtracecap writes its files itself.
 * what names the option in messages; *path is malloc'ed.
 */
int options_value_output_uri(const char *uri, const char *what,
    char **path, bool *pcapng, char *err, size_t errlen);

/* What --metrics-listen says: a numeric address and a port. */
#define OPTIONS_ADDR_MAX	46	/* INET6_ADDRSTRLEN */
struct options_listen {
	bool		 set;
	bool		 v6;		/* addr is IPv6 (shown as [addr]) */
	char		 addr[OPTIONS_ADDR_MAX];
	uint16_t	 port;
};

/* --metrics-listen's "[ADDR:]PORT" (ADDR: IPv4 or [IPv6], numeric; none:
 * 127.0.0.1) into *l. */
int options_value_listen(const char *s, struct options_listen *l,
    char *err, size_t errlen);

/* --fanout's "N[,MODE][,defrag]" into *f. */
int options_value_fanout(const char *s, struct options_fanout *f,
    char *err, size_t errlen);

/*
 * A SIZE: a whole number of bytes, or one followed by k, M, G or T
 * (binary: 2^10, 2^20, 2^30, 2^40; K is taken for k), at least min.
 * what names the option in messages.
 */
int options_value_size(const char *s, uint64_t min, const char *what,
    uint64_t *out, char *err, size_t errlen);

/* What --min-free says: a SIZE, or a whole percentage of the file
 * system (1-99). */
struct options_min_free {
	uint64_t	 bytes;		/* SIZE, 0 = a percentage or none */
	unsigned	 pct;		/* PCT%, 0 = SIZE or none */
};
int options_value_min_free(const char *s, struct options_min_free *m,
    char *err, size_t errlen);

/* What --stop-after says: each condition, 0 = not given. */
struct options_stop_after {
	uint64_t	 duration_s;	/* duration:SECONDS */
	uint64_t	 packets;	/* packets:N */
	uint64_t	 files;		/* files:N */
	uint64_t	 bytes;		/* bytes:SIZE */
};
/* --stop-after's "KIND:VALUE[,KIND:VALUE...]" into *sa (each kind at
 * most once, every value at least 1). */
int options_value_stop_after(const char *s, struct options_stop_after *sa,
    char *err, size_t errlen);

/* --anonymize's METHOD:ARG and --anonymize-only's directions. */
enum options_anon_method { ANON_NONE = 0, ANON_CRYPTOPAN, ANON_PREFIX };
enum options_anon_only { ANON_BOTH = 0, ANON_SRC, ANON_DST };
struct options_anon {
	enum options_anon_method method;
	const char	*keyfile;	/* cryptopan:KEYFILE (into argv) */
	unsigned	 v4bits, v6bits; /* prefix:V4BITS,V6BITS */
	enum options_anon_only only;
	const char	*only_arg;	/* --anonymize-only as given, or NULL */
};
/* "cryptopan:KEYFILE" or "prefix:V4BITS,V6BITS" (0-32, 0-128) into *a */
int options_value_anonymize(const char *s, struct options_anon *a,
    char *err, size_t errlen);
/* "src", "dst" or "both" into a->only */
int options_value_anonymize_only(const char *s, struct options_anon *a,
    char *err, size_t errlen);

/* --control's PATH (NULL: none) and --control-group (NULL: none, needs
 * --control).  Only the form: the group is looked up when the socket is
 * made. */
int options_value_control(const char *path, const char *group, char *err,
    size_t errlen);

#endif
