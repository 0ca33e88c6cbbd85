/*
 * options_value.h - parsers of single option values, private to
 * options.c (options_parse_u64 is public, in options.h).  Each returns 0,
 * or -1 with a one-line message naming the value and the option in err.
 */
#ifndef MTRACECAP_OPTIONS_VALUE_H
#define MTRACECAP_OPTIONS_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "compress.h"

/* -Z's word (gz, zlib, bz2, lzo, xz, zstd, lz4, none) into *t. */
int options_value_compress_type(const char *s, enum compress_type *t,
    char *err, size_t errlen);

/*
 * "pcapfile:PATH" -> PATH, classic pcap; "pcapng:PATH" -> PATH, pcapng
 * (*pcapng set).  A bare path is taken as pcapfile too; any other libtrace
 * output format is refused because mtracecap writes its files itself.
 * what names the option in messages; *path is malloc'ed.
 */
int options_value_output_uri(const char *uri, const char *what,
    char **path, bool *pcapng, char *err, size_t errlen);

/* --fanout's "N[,MODE][,defrag]" into cfg's fanout fields. */
struct config;
int options_value_fanout(const char *s, struct config *cfg, char *err,
    size_t errlen);

#endif
